"""The dashboard's tallies (teams/models.py): exact weeks in every time zone, and, on PostgreSQL,
tables that always hold what their rows add up to, whatever changed the rows."""

import datetime
import importlib
import statistics
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from recovery import services as recovery_services
from recovery.models import CheckIn, LossReason, LostDeal, Reflection
from teams import morale
from teams import services as team_services
from teams.models import Comment, Encouragement, Membership, SharedLoss, Team
from tests.conftest import join, make_loss, make_user, share

NOW = datetime.datetime(2026, 11, 19, 12, 0, tzinfo=datetime.UTC)  # a Thursday
MONDAYS = [datetime.date(2026, 11, 2), datetime.date(2026, 11, 9), datetime.date(2026, 11, 16)]
ONE_MICROSECOND = datetime.timedelta(microseconds=1)

tallies = importlib.import_module("teams.migrations.0006_morale_tallies")
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="On SQLite the tallies are views of their rows."
)


@pytest.fixture
def reps(team):
    people = [make_user(f"tally{i}@example.com", f"Tally {i}") for i in range(3)]
    for person in people:
        join(team, person)
    Membership.objects.update(joined_at=NOW - datetime.timedelta(weeks=60))
    return people


def edge_moments(tz: zoneinfo.ZoneInfo) -> list[datetime.datetime]:
    """Moments either side of where the team's weeks begin, and of where a tally's slots change."""
    moments = []
    for monday in MONDAYS:
        local_midnight = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
        utc_monday = datetime.datetime.combine(monday, datetime.time.min, tzinfo=datetime.UTC)
        for edge in (
            local_midnight,
            local_midnight + datetime.timedelta(minutes=15),
            utc_monday + datetime.timedelta(hours=12),  # where the middle of a UTC week begins...
            utc_monday - datetime.timedelta(hours=14),  # ...and where the one before ended
        ):
            moments += [edge - ONE_MICROSECOND, edge]
    return [moment for moment in moments if moment < NOW]


@pytest.mark.parametrize(
    "zone",
    [
        "Pacific/Kiritimati",  # UTC+14
        "Etc/GMT+12",  # UTC-12
        "Asia/Kathmandu",  # UTC+5:45
        "America/St_Johns",  # UTC-3:30
        "Pacific/Chatham",  # UTC+13:45 in November (summer time)
        "Australia/Lord_Howe",  # half an hour of summer time
        "Europe/London",
        "UTC",
    ],
)
@time_machine.travel(NOW, tick=False)
def test_every_moment_counts_in_its_week_in_the_team_time_zone(team, reps, zone):
    team.time_zone = zone
    team.save()
    tz = zoneinfo.ZoneInfo(zone)
    by_week = {}
    for i, moment in enumerate(edge_moments(tz)):
        mood = 1 + i % 5
        for person in reps:
            deal = make_loss(person, name=f"Edge {i}")
            CheckIn.objects.create(deal=deal, owner=person, mood=mood, answered_at=moment)
        by_week.setdefault(morale.week_start(moment.astimezone(tz).date()), []).append(mood)
    # Losses are logged today, with no mood: only the check-ins above count.
    assert not Reflection.objects.filter(mood__isnull=False).exists()

    # Read the next week, when the last of these weeks has closed (and is frozen from the rows).
    dashboard = morale.build_dashboard(team, 4, viewer=None, now=NOW + datetime.timedelta(weeks=1))

    shown = {
        week: cell.value for week, cell in zip(dashboard.weeks, dashboard.series["mood"].cells, strict=True)
    }
    expected = {
        week: round(sum(moods) / len(moods), 1) if (moods := by_week.get(week)) else None
        for week in dashboard.weeks
    }
    assert shown == expected
    assert len(by_week) >= 3  # the moments did land in different weeks


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=60))
def test_recovery_medians_from_counts_are_the_medians_of_the_days(days):
    """The recovery tallies count each number of days; the median is taken from those counts."""
    expected = statistics.median(days) if days else None
    assert morale._median(Counter(days)) == expected


# ---------------------------------------------------------------------------
# PostgreSQL: the tables against their rows


def tally_tables() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        tables = {}
        for tally in tallies.TALLIES:
            cursor.execute(f"SELECT {tally.columns()} FROM {tally.name}")  # noqa: S608 (our own names)
            tables[tally.name] = sorted(cursor.fetchall())
        cursor.execute("SELECT * FROM teams_firstsupport")
        tables["teams_firstsupport"] = sorted(cursor.fetchall())
    return tables


def recounted() -> dict[str, list[tuple]]:
    """What each table would hold if counted again from its rows, as the migration first does."""
    with connection.cursor() as cursor:
        tables = {}
        for tally in tallies.TALLIES:
            cursor.execute(tally.select())
            tables[tally.name] = sorted(cursor.fetchall())
        cursor.execute("SELECT * FROM teams_firstsupport_rows")
        tables["teams_firstsupport"] = sorted(cursor.fetchall())
    return tables


def assert_tallied():
    assert tally_tables() == recounted()


@postgresql_only
def test_the_tables_follow_every_change_to_the_rows(team, owner, manager, reps):
    other_team = Team.objects.create(name="APAC")
    join(other_team, owner)
    reasons = list(LossReason.objects.order_by("position")[:3])
    deals = []
    for i, person in enumerate([owner, *reps]):
        deal = make_loss(person, days_ago=i * 3, reasons=[r.slug for r in reasons[: i % 3 + 1]])
        deal.reflection.mood, deal.reflection.mood_at = 1 + i, NOW - datetime.timedelta(days=i)
        deal.reflection.save()
        recovery_services.check_in_create(deal=deal, mood=5 - i)
        deals.append(deal)
    assert_tallied()
    assert tally_tables()["teams_moodtally"], "the moods are counted"

    # A loss edited: new date, amount, currency and reasons; marked moving on, and back.
    first = deals[0]
    recovery_services.lost_deal_update(
        deal=first,
        name=first.name,
        stage=first.stage,
        lost_on=first.lost_on - datetime.timedelta(days=10),
        reasons=reasons[1:],
        amount=None,
        currency="USD",
        competitor="",
        notes="",
    )
    recovery_services.lost_deal_move_on(deal=deals[1])
    recovery_services.lost_deal_move_on(deal=deals[2])
    recovery_services.lost_deal_undo_move_on(deal=deals[2])
    assert_tallied()

    # Shared with a team, supported, a comment hidden, then the share moved and another unshared.
    shared = share(first, team=team)
    other = share(deals[1], team=team)
    share(deals[2])  # with trusted colleagues: no team's support
    team_services.encouragement_toggle(shared=shared, user=manager, kind=Encouragement.Kind.BEEN_THERE)
    team_services.encouragement_toggle(shared=other, user=manager, kind=Encouragement.Kind.BEEN_THERE)
    comment = team_services.comment_create(shared=shared, author=reps[0], body="Been there.")
    team_services.comment_create(shared=other, author=reps[0], body="Chin up.")
    assert_tallied()
    team_services.comment_set_hidden(comment=comment, hidden=True)
    team_services.encouragement_toggle(shared=other, user=manager, kind=Encouragement.Kind.BEEN_THERE)
    SharedLoss.objects.filter(pk=shared.pk).update(team=other_team)
    team_services.loss_unshare(shared=other)
    assert_tallied()
    assert tally_tables()["teams_supporttally"], "the support is counted"

    # Changes that go around the services: queryset updates, bulk inserts, deletions.
    LostDeal.objects.filter(owner=reps[0]).update(lost_on=NOW.date() - datetime.timedelta(days=40))
    answered = CheckIn.objects.filter(owner=reps[1], answered_at__isnull=False)
    answered.update(answered_at=NOW - datetime.timedelta(days=20))
    CheckIn.objects.bulk_create(
        CheckIn(deal=deals[3], owner=reps[2], mood=2, answered_at=NOW - datetime.timedelta(days=d))
        for d in range(5)
    )
    LostDeal.reasons.through.objects.filter(lostdeal=deals[3]).delete()
    recovery_services.lost_deal_delete(deal=deals[1])
    Comment.objects.all().delete()
    assert_tallied()

    # People leaving: their shares with the team go; a deleted account takes everything of theirs.
    team_services.membership_leave(membership=reps[1].memberships.get(team=team))
    team_services.user_delete(user=owner)
    assert_tallied()
    assert not any(row[0] == owner.pk for row in tally_tables()["teams_moodtally"])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_emptying_the_tables_empties_the_tallies():
    """The test runner's flush empties tables with TRUNCATE, which row triggers don't see."""
    person = make_user("truncate@example.com", "Truncate")
    recovery_services.check_in_create(deal=make_loss(person), mood=3)
    assert tally_tables()["teams_moodtally"]
    call_command("flush", interactive=False, verbosity=0)
    assert tally_tables() == {name: [] for name in tally_tables()}
