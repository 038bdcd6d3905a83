"""Scheduled jobs, run by the task worker itself: no cron, no scheduler process.

`tick` is one task that runs every TICK_EVERY. It first claims its own slot (a ScheduledRun row
"tick", keyed by the slot's start) and queues the next tick for the next slot, in one transaction;
then, for each job due (teams/timetable.py), claims the job's period and queues the job, again
in one transaction. A claim is a unique row, so however many workers run, however many ticks are
queued (`manage.py schedule --start` at each worker start adds one), each slot ticks once and each
period's job is queued once: a tick that finds its slot taken stops there, which also folds extra
chains of ticks back into one. A worker killed in the middle of a tick rolls its claim back, and
the next `--start` (or the other workers' chain) carries on.

A job that fails is not run again for its period: its ScheduledRun stays without finished_at and
its task row holds the error. The digest and the reminders keep their own sent-markers (DigestSent,
CheckIn.reminded_at), so running them by hand afterwards sends only what wasn't sent.
"""

import datetime
import io

from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from recovery import services as recovery_services

from . import timetable
from .management.commands.send_morale_digest import build_digest, managers_of, send_digest
from .models import ScheduledRun, Team
from .morale_weeks import freeze_closed_weeks

TICK_EVERY = datetime.timedelta(minutes=5)
# How long finished task rows and ScheduledRun rows are kept: `manage.py schedule` and the admin
# show this much history. Longer than any period (a week), so no pruned period can come due again.
KEPT_FOR = datetime.timedelta(days=14)


def slot_of(moment: datetime.datetime) -> datetime.datetime:
    """The start of the TICK_EVERY slot the moment falls in (slots start at midnight UTC)."""
    step = int(TICK_EVERY.total_seconds())
    return datetime.datetime.fromtimestamp(int(moment.timestamp()) // step * step, tz=datetime.UTC)


def claim(job: str, period: str) -> ScheduledRun | None:
    """The run's row, written now; None if this job's period was claimed already."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(job=job, period=period)
    except IntegrityError:
        return None


@task
def tick() -> str:
    now = timezone.now()
    slot = slot_of(now)
    with transaction.atomic():
        if claim("tick", slot.isoformat()) is None:
            return "This slot has ticked already."
        tick.using(run_after=slot + TICK_EVERY).enqueue()

    due = timetable.due(now)
    taken = set(ScheduledRun.objects.filter(period__in={d.period for d in due}).values_list("job", "period"))
    queued = []
    for run in due:
        if (run.job, run.period) in taken:
            continue
        with transaction.atomic():
            if claimed := claim(run.job, run.period):
                JOBS[run.job].enqueue(run_id=claimed.pk, **run.kwargs)
                queued.append(str(claimed))
    return f"Queued {', '.join(queued)}." if queued else "Nothing was due."


def _finish(run_id: int, outcome: str) -> str:
    ScheduledRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), outcome=outcome[:200])
    return outcome


@task
def freeze_weeks(*, run_id: int, team_id: int) -> str:
    team = Team.objects.filter(pk=team_id).first()
    frozen = freeze_closed_weeks(team) if team else 0
    return _finish(run_id, f"Froze {frozen} week(s).")


@task
def morale_digest(*, run_id: int, team_id: int) -> str:
    """Each manager's digest of the team (as `manage.py send_morale_digest` sends it)."""
    team = Team.objects.filter(pk=team_id).first()
    now = timezone.now()
    sent = failed = 0
    for manager in managers_of(team) if team else []:
        digest = build_digest(team, manager, now)
        if digest.is_empty:
            continue
        try:
            sent += send_digest(digest, manager, now)
        except Exception:  # one failed email must not stop the others; the error is raised below
            failed += 1
    if failed:
        raise RuntimeError(
            f"{failed} digest(s) could not be sent ({sent} sent); send_morale_digest retries them."
        )
    return _finish(run_id, f"Sent {sent} digest(s).")


@task
def check_in_reminders(*, run_id: int, day: str) -> str:
    sent = recovery_services.check_ins_send_reminders(today=datetime.date.fromisoformat(day))
    return _finish(run_id, f"Sent {sent} reminder(s).")


@task
def delete_leftovers(*, run_id: int) -> str:
    out = io.StringIO()
    call_command("delete_leftovers", stdout=out)
    return _finish(run_id, out.getvalue().strip())


@task
def prune_task_results(*, run_id: int) -> str:
    """django-tasks-db's own clean-up (finished task rows over 14 days old, on every queue), and our
    own runs as old: their periods (a day, a week) are long over, so none can be claimed again."""
    out = io.StringIO()
    call_command("prune_db_task_results", queue_name="*", min_age_days=KEPT_FOR.days, stdout=out)
    old = ScheduledRun.objects.filter(claimed_at__lt=timezone.now() - KEPT_FOR).exclude(pk=run_id)
    runs, _ = old.delete()
    return _finish(
        run_id, f"{out.getvalue().strip() or 'Pruned finished task rows.'} Deleted {runs} old run(s)."
    )


JOBS = {
    "freeze_weeks": freeze_weeks,
    "morale_digest": morale_digest,
    "check_in_reminders": check_in_reminders,
    "delete_leftovers": delete_leftovers,
    "prune_task_results": prune_task_results,
}
