"""Start the scheduled jobs' tick, or say when each job last ran."""

from django.core.management.base import BaseCommand
from django.db.models import OuterRef, Subquery
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from teams import schedule as tasks
from teams.models import ScheduledRun


class Command(BaseCommand):
    help = (
        "With --start: queue a tick now, so the scheduled jobs run (config/run.sh does it before each "
        "worker starts). Harmless when they already run: a tick whose slot has ticked stops there. "
        "Without: the last run of each job, and when the next tick is due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", action="store_true", help="Queue a tick now.")

    def handle(self, *args, start=False, **options):
        if start:
            tasks.tick.enqueue()
            self.stdout.write("Queued a tick: the worker runs the scheduled jobs from now on.")
            return
        latest = (
            ScheduledRun.objects.filter(job=OuterRef("job")).order_by("-claimed_at", "-pk").values("pk")[:1]
        )
        runs = ScheduledRun.objects.filter(pk__in=Subquery(latest)).order_by("job")
        for run in runs:
            when = timezone.localtime(run.claimed_at).strftime("%Y-%m-%d %H:%M %Z")
            state = (
                f"finished: {run.outcome}" if run.finished_at else "not finished (queued, running or failed)"
            )
            self.stdout.write(f"{run.job}: {run.period}, claimed {when}, {state}")
        if not runs:
            self.stdout.write("No scheduled job has run yet.")
        queued = DBTaskResult.objects.filter(task_path=tasks.tick.module_path, status=TaskResultStatus.READY)
        following = queued.order_by("run_after").first()
        if following is None:
            self.stdout.write(self.style.WARNING("No tick is queued: run `manage.py schedule --start`."))
        elif following.run_after == get_date_max():
            self.stdout.write("Next tick: as soon as a worker is free.")
        else:
            self.stdout.write(f"Next tick: {timezone.localtime(following.run_after):%Y-%m-%d %H:%M %Z}.")
