"""The scheduled jobs run themselves: a tick in the task worker queues each job once per period.

The clock is time_machine's; the worker is django-tasks-db's own Worker, made to run every ready task
in this test's transaction (its command closes the connection between tasks, which would close the
test database). A tick's next tick waits for the next slot, so a run ends after one tick.
"""

import datetime
import zoneinfo
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from teams import schedule as tasks
from teams import services as team_services
from teams import timetable
from teams.models import DigestSent, FrozenWeek, ScheduledRun
from tests.conftest import join, log_loss, make_user

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")  # UTC+13 in December
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")  # UTC-8 in December
MONDAY = datetime.date(2026, 12, 7)
LAST_MONDAY = MONDAY - datetime.timedelta(weeks=1)


def local(day, hour, minute=0, tz=datetime.UTC):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def run_worker():
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    while ready := DBTaskResult.objects.ready().order_by("enqueued_at").first():
        ready.claim(worker.worker_id)
        worker.run_task(ready)


def tick_at(moment):
    """A tick at that moment, and every job it queued run, as a worker would."""
    with time_machine.travel(moment, tick=False):
        tasks.tick.enqueue()
        run_worker()


def runs(job, week=None):
    """The periods the job has run for (of that week only, if given)."""
    found = ScheduledRun.objects.filter(job=job)
    if week:
        found = found.filter(period__startswith=str(week))
    return sorted(found.values_list("period", flat=True))


def team_in(tz_name, manager_email):
    """A team in that time zone, its manager and a rep."""
    manager = make_user(manager_email, f"Manager {tz_name}")
    team = team_services.team_create(creator=manager, name=f"Team {tz_name}")
    team.time_zone = tz_name
    team.save(update_fields=["time_zone"])
    rep = make_user(f"rep.{manager_email}", f"Rep {tz_name}")
    join(team, rep)
    return team, manager, rep


@pytest.fixture
def auckland_and_la(db):
    with time_machine.travel(local(LAST_MONDAY - datetime.timedelta(weeks=4), 12), tick=False):
        auckland = team_in("Pacific/Auckland", "akl@example.com")
        la = team_in("America/Los_Angeles", "lax@example.com")
    # The schedule ran all along: the runs of the week before are done (nothing to report then).
    tick_at(local(LAST_MONDAY + datetime.timedelta(days=1), 12))
    for _team, _manager, rep in (auckland, la):
        with time_machine.travel(local(LAST_MONDAY + datetime.timedelta(days=2), 12), tick=False):
            log_loss(rep, LAST_MONDAY + datetime.timedelta(days=2), mood=2)
    return auckland, la


def digest_recipients(mailoutbox):
    return sorted(to for message in mailoutbox if "week went" in message.subject for to in message.to)


def test_a_tick_queues_the_next_tick_for_the_start_of_the_next_slot(db):
    with time_machine.travel(local(MONDAY, 9, 2), tick=False):
        tasks.tick.enqueue()
        run_worker()
    following = DBTaskResult.objects.get(task_path=tasks.tick.module_path, status="READY")
    assert following.run_after == local(MONDAY, 9, 5)
    assert runs("tick") == [local(MONDAY, 9, 0).isoformat()]


def test_the_chain_of_ticks_carries_on_by_itself(db):
    """Two slots later, the worker has run the tick it queued for itself: no one queued another."""
    tick_at(local(MONDAY, 9, 2))
    with time_machine.travel(local(MONDAY, 9, 6), tick=False):
        run_worker()
    with time_machine.travel(local(MONDAY, 9, 11), tick=False):
        run_worker()
    assert runs("tick") == [local(MONDAY, 9, m).isoformat() for m in (0, 5, 10)]
    assert DBTaskResult.objects.filter(task_path=tasks.tick.module_path, status="READY").count() == 1


def test_auckland_gets_its_digest_on_its_own_monday_morning(auckland_and_la, mailoutbox):
    (akl_team, akl_manager, _), _la = auckland_and_la
    # Monday 06:55 in Auckland (Sunday 17:55 UTC): not yet.
    tick_at(local(MONDAY, 6, 55, AUCKLAND))
    assert digest_recipients(mailoutbox) == []
    # Monday 07:00 in Auckland: Auckland's managers, and no one in Los Angeles, where it is Sunday.
    tick_at(local(MONDAY, 7, 0, AUCKLAND))
    assert digest_recipients(mailoutbox) == [akl_manager.email]
    assert DigestSent.objects.get(manager=akl_manager).week == LAST_MONDAY
    assert runs("morale_digest", MONDAY) == [f"{MONDAY} team {akl_team.pk}"]


def test_los_angeles_gets_its_digest_on_its_own_monday_morning(auckland_and_la, mailoutbox):
    (_, akl_manager, _), (_, la_manager, _) = auckland_and_la
    tick_at(local(MONDAY, 7, 0, AUCKLAND))
    tick_at(local(MONDAY, 6, 55, LOS_ANGELES))  # Monday 14:55 UTC: still Monday night in Auckland
    assert digest_recipients(mailoutbox) == [akl_manager.email]
    tick_at(local(MONDAY, 7, 0, LOS_ANGELES))
    assert digest_recipients(mailoutbox) == [akl_manager.email, la_manager.email]
    assert DigestSent.objects.get(manager=la_manager).week == LAST_MONDAY


def test_a_digest_missed_on_monday_is_sent_later_that_week_once(auckland_and_la, mailoutbox):
    """No worker ran on Monday: Tuesday's first tick sends it, and Wednesday's sends nothing more."""
    (_, akl_manager, _), (_, la_manager, _) = auckland_and_la
    tick_at(local(MONDAY + datetime.timedelta(days=1), 10, 0, LOS_ANGELES))
    tick_at(local(MONDAY + datetime.timedelta(days=2), 10, 0, LOS_ANGELES))
    assert digest_recipients(mailoutbox) == [akl_manager.email, la_manager.email]


def test_a_restarted_worker_runs_no_period_twice(auckland_and_la, mailoutbox):
    tick_at(local(MONDAY, 7, 0, LOS_ANGELES))
    sent = len(mailoutbox)
    claimed = ScheduledRun.objects.count()
    # The worker restarts (config/run.sh queues a tick each time) in the same slot, then later on.
    with time_machine.travel(local(MONDAY, 7, 2, LOS_ANGELES), tick=False):
        call_command("schedule", "--start", stdout=StringIO())
        run_worker()
    assert ScheduledRun.objects.count() == claimed
    tick_at(local(MONDAY, 9, 0, LOS_ANGELES))
    assert len(mailoutbox) == sent
    assert set(ScheduledRun.objects.exclude(job="tick").values_list("job", "period")) == set(
        ScheduledRun.objects.filter(claimed_at__lt=local(MONDAY, 7, 1, LOS_ANGELES))
        .exclude(job="tick")
        .values_list("job", "period")
    )


def test_two_ticks_queued_for_one_slot_tick_once_and_leave_one_chain(auckland_and_la, mailoutbox):
    with time_machine.travel(local(MONDAY, 7, 1, LOS_ANGELES), tick=False):
        tasks.tick.enqueue()
        tasks.tick.enqueue()
        run_worker()
    assert len(runs("tick", MONDAY)) == 1
    assert len(runs("morale_digest", MONDAY)) == 2
    assert DBTaskResult.objects.filter(task_path=tasks.tick.module_path, status="READY").count() == 1
    assert DigestSent.objects.count() == 2 == len(digest_recipients(mailoutbox))


def test_the_closed_week_is_frozen_from_monday_midnight_in_the_teams_time_zone(auckland_and_la):
    (akl_team, _, _), (la_team, _, _) = auckland_and_la
    tick_at(local(MONDAY, 0, 5, AUCKLAND))  # Sunday morning in Los Angeles
    assert FrozenWeek.objects.filter(team=akl_team, week=LAST_MONDAY).exists()
    assert not FrozenWeek.objects.filter(team=la_team, week=LAST_MONDAY).exists()
    assert runs("freeze_weeks", MONDAY) == [f"{MONDAY} team {akl_team.pk}"]
    tick_at(local(MONDAY, 0, 5, LOS_ANGELES))
    assert FrozenWeek.objects.filter(team=la_team, week=LAST_MONDAY).exists()


def test_leftovers_and_old_task_rows_are_deleted_once_a_day(db, settings):
    settings.TIME_ZONE = "Europe/Paris"
    with time_machine.travel(local(MONDAY - datetime.timedelta(days=20), 12), tick=False):
        old = tasks.tick.enqueue()  # finished (it runs below) more than 14 days before
        run_worker()
    tick_at(local(MONDAY, 0, 10, zoneinfo.ZoneInfo("Europe/Paris")))
    assert not DBTaskResult.objects.filter(pk=old.id).exists()
    # The runs of 20 days ago went too, but for the pruning, which ran today.
    assert runs("delete_leftovers") == [str(MONDAY)]
    assert runs("prune_task_results") == [str(MONDAY)]
    assert runs("tick") == [
        local(MONDAY, 0, 10, zoneinfo.ZoneInfo("Europe/Paris")).astimezone(datetime.UTC).isoformat()
    ]
    assert ScheduledRun.objects.get(job="prune_task_results").outcome.endswith("Deleted 4 old run(s).")
    done = ScheduledRun.objects.get(job="delete_leftovers", period=str(MONDAY))
    assert done.finished_at is not None
    assert done.outcome.startswith("Deleted 0 unconfirmed CRM import(s)")
    tick_at(local(MONDAY, 23, 50, zoneinfo.ZoneInfo("Europe/Paris")))
    assert runs("delete_leftovers")[-1] == str(MONDAY)


def test_a_failed_job_is_not_rerun_for_its_period_and_keeps_its_error(auckland_and_la, mailoutbox):
    with mock.patch("teams.schedule.send_digest", side_effect=RuntimeError("SMTP is down")):
        tick_at(local(MONDAY, 7, 0, AUCKLAND))
    run = ScheduledRun.objects.get(job="morale_digest", period__startswith=str(MONDAY))
    assert run.finished_at is None
    failed = DBTaskResult.objects.get(task_path=tasks.morale_digest.module_path, status="FAILED")
    assert failed.status == "FAILED"
    assert "1 digest(s) could not be sent" in failed.traceback
    tick_at(local(MONDAY, 8, 0, AUCKLAND))
    assert (
        DBTaskResult.objects.filter(task_path=tasks.morale_digest.module_path, status="FAILED").count() == 1
    )
    assert runs("morale_digest", MONDAY) == [run.period]


def test_the_schedule_command_says_what_ran_and_when_the_next_tick_is(db):
    tick_at(local(MONDAY, 9, 2))
    out = StringIO()
    call_command("schedule", stdout=out)
    assert f"delete_leftovers: {MONDAY}, claimed" in out.getvalue()
    assert "finished: Deleted 0 unconfirmed CRM import(s)" in out.getvalue()
    assert "Next tick: 2026-12-07 09:05" in out.getvalue()


def test_the_schedule_command_warns_when_no_tick_is_queued(db):
    out = StringIO()
    call_command("schedule", stdout=out)
    assert "No scheduled job has run yet." in out.getvalue()
    assert "No tick is queued" in out.getvalue()


def test_the_timetable_gives_each_team_its_own_monday(db):
    with time_machine.travel(local(MONDAY - datetime.timedelta(weeks=2), 12), tick=False):
        (akl_team, _, _), (la_team, _, _) = (
            team_in("Pacific/Auckland", "a@example.com"),
            team_in("America/Los_Angeles", "l@example.com"),
        )
    due = timetable.due(local(MONDAY, 7, 0, AUCKLAND))  # Sunday 10:00 in Los Angeles
    digests = {d.period for d in due if d.job == "morale_digest"}
    assert f"{MONDAY} team {akl_team.pk}" in digests
    assert f"{MONDAY - datetime.timedelta(weeks=1)} team {la_team.pk}" in digests  # its own week's


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Races need PostgreSQL.")
def test_two_workers_ticking_at_the_same_instant_queue_each_job_once(transactional_db):
    from tests.reliability.test_concurrent_writes import run_at_once

    with time_machine.travel(local(MONDAY - datetime.timedelta(weeks=2), 12), tick=False):
        team_in("Pacific/Auckland", "a@example.com")
    with time_machine.travel(local(MONDAY, 7, 1, AUCKLAND), tick=False):
        run_at_once([tasks.tick.call, tasks.tick.call], tables=[ScheduledRun._meta.db_table])
    assert len(runs("tick")) == 1
    assert DBTaskResult.objects.filter(task_path=tasks.tick.module_path).count() == 1
    for job in ("freeze_weeks", "morale_digest", "delete_leftovers", "prune_task_results"):
        assert len(runs(job)) == 1, job
        assert DBTaskResult.objects.filter(task_path=getattr(tasks, job).module_path).count() == 1
