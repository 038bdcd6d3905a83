"""The dashboard's weeks: exact in every time zone, for the frozen private figures and the support
tally alike; and, on PostgreSQL, the support tally and first support (teams/models.py, "Tallies"):
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
from recovery.models import CheckIn, Reflection
from teams import morale, morale_weeks
from teams import services as team_services
from teams.models import Comment, Encouragement, Membership, SharedLoss, Team
from tests.conftest import join, make_loss, make_user, share

NOW = datetime.datetime(2026, 11, 19, 12, 0, tzinfo=datetime.UTC)  # a Thursday
MONDAYS = [datetime.date(2026, 11, 2), datetime.date(2026, 11, 9), datetime.date(2026, 11, 16)]
ONE_MICROSECOND = datetime.timedelta(microseconds=1)

SUPPORT = importlib.import_module("teams.migrations.0006_morale_tallies").SUPPORT
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="On SQLite the tallies are views of their rows."
)
ZONES = [
    "Pacific/Kiritimati",  # UTC+14
    "Etc/GMT+12",  # UTC-12
    "Asia/Kathmandu",  # UTC+5:45
    "America/St_Johns",  # UTC-3:30
    "Pacific/Chatham",  # UTC+13:45 in November (summer time)
    "Australia/Lord_Howe",  # half an hour of summer time
    "Europe/London",
    "UTC",
]


@pytest.fixture
def reps(team):
    people = [make_user(f"tally{i}@example.com", f"Tally {i}") for i in range(3)]
    for person in people:
        join(team, person)
    Membership.objects.update(joined_at=NOW - datetime.timedelta(weeks=60))
    return people


def edge_moments(tz: zoneinfo.ZoneInfo) -> list[datetime.datetime]:
    """Moments either side of where the team's weeks begin, and of where the support tally's slots change."""
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


@pytest.mark.parametrize("zone", ZONES)
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
        by_week.setdefault(morale_weeks.week_start(moment.astimezone(tz).date()), []).append(mood)
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


@pytest.mark.parametrize("zone", ZONES)
@time_machine.travel(NOW, tick=False)
def test_every_encouragement_counts_in_its_week_in_the_team_time_zone(team, owner, reps, zone):
    team.time_zone = zone
    team.save()
    tz = zoneinfo.ZoneInfo(zone)
    shares = [share(make_loss(owner, name=f"Edge {n}"), team=team) for n in range(2)]
    givers = [(s, person, kind) for s in shares for person in reps for kind in Encouragement.Kind.values]
    moments = edge_moments(tz)
    assert len(givers) >= len(moments)  # one encouragement at each moment
    by_week = Counter()
    for moment, (shared, person, kind) in zip(moments, givers, strict=False):
        with time_machine.travel(moment, tick=False):
            team_services.encouragement_toggle(shared=shared, user=person, kind=kind)
        by_week[morale_weeks.week_start(moment.astimezone(tz).date())] += 1

    dashboard = morale.build_dashboard(team, 4, viewer=None, now=NOW + datetime.timedelta(weeks=1))

    shown = {
        week: cell.value
        for week, cell in zip(dashboard.weeks, dashboard.series["support"].cells, strict=True)
    }
    assert set(by_week) <= set(dashboard.weeks)
    assert shown == {week: by_week.get(week, 0) for week in dashboard.weeks}
    assert len(by_week) >= 3  # the moments did land in different weeks


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=60))
def test_recovery_medians_from_counts_are_the_medians_of_the_days(days):
    """A frozen week counts the losses per number of days to recovery; the median comes from those counts."""
    expected = statistics.median(days) if days else None
    assert morale._median(Counter(days)) == expected


# ---------------------------------------------------------------------------
# The tallies left: support and first support


def test_only_the_shared_figures_are_tallied(db):
    """Migration teams 0010 drops the private tallies, whose triggers cost every new loss: on
    PostgreSQL nothing is kept on the recovery tables any more."""
    with connection.cursor() as cursor:
        names = set(connection.introspection.table_names(cursor, include_views=True))
        tallied = {name for name in names if name.endswith("tally") or name.endswith("tally_rows")}
        tallied |= {name for name in names if name.startswith("teams_firstsupport")}
        triggers = set()
        if connection.vendor == "postgresql":
            cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
            triggers = {table for (table,) in cursor.fetchall()}
    if connection.vendor == "postgresql":
        assert tallied == {
            "teams_supporttally",
            "teams_supporttally_rows",
            "teams_firstsupport",
            "teams_firstsupport_rows",
        }
        assert triggers == {"teams_sharedloss", "teams_encouragement", "teams_comment"}
    else:
        assert tallied == {"teams_supporttally", "teams_firstsupport"}


def tally_tables() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        tables = {}
        cursor.execute(f"SELECT {SUPPORT.columns()} FROM {SUPPORT.name}")  # noqa: S608 (our own names)
        tables[SUPPORT.name] = sorted(cursor.fetchall())
        cursor.execute("SELECT * FROM teams_firstsupport")
        tables["teams_firstsupport"] = sorted(cursor.fetchall())
    return tables


def recounted() -> dict[str, list[tuple]]:
    """What each table would hold if counted again from its rows, as the migration first does."""
    with connection.cursor() as cursor:
        tables = {}
        cursor.execute(SUPPORT.select())
        tables[SUPPORT.name] = sorted(cursor.fetchall())
        cursor.execute("SELECT * FROM teams_firstsupport_rows")
        tables["teams_firstsupport"] = sorted(cursor.fetchall())
    return tables


def assert_tallied():
    assert tally_tables() == recounted()


@postgresql_only
def test_the_tables_follow_every_change_to_the_rows(team, owner, manager, reps):
    other_team = Team.objects.create(name="APAC")
    join(other_team, owner)
    deals = [make_loss(person, days_ago=i * 3) for i, person in enumerate([owner, *reps])]

    # Shared with a team, supported, a comment hidden, then the share moved and another unshared.
    shared = share(deals[0], team=team)
    other = share(deals[1], team=team)
    share(deals[2])  # with trusted colleagues: no team's support
    third = share(deals[3], team=team)
    team_services.encouragement_toggle(shared=shared, user=manager, kind=Encouragement.Kind.BEEN_THERE)
    team_services.encouragement_toggle(shared=other, user=manager, kind=Encouragement.Kind.BEEN_THERE)
    comment = team_services.comment_create(shared=shared, author=reps[0], body="Been there.")
    team_services.comment_create(shared=other, author=reps[0], body="Chin up.")
    assert_tallied()
    assert tally_tables()["teams_supporttally"], "the support is counted"
    team_services.comment_set_hidden(comment=comment, hidden=True)
    team_services.encouragement_toggle(shared=other, user=manager, kind=Encouragement.Kind.BEEN_THERE)
    SharedLoss.objects.filter(pk=shared.pk).update(team=other_team)
    team_services.loss_unshare(shared=other)
    assert_tallied()
    assert [row[1] for row in tally_tables()["teams_firstsupport"]] == [other_team.pk, team.pk]

    # Changes that go around the services: bulk inserts, queryset updates, deletions.
    Encouragement.objects.bulk_create(
        Encouragement(shared=third, user=person, kind=kind, created_at=NOW - datetime.timedelta(days=d))
        for d, (person, kind) in enumerate(zip([manager, *reps[:2]], Encouragement.Kind.values, strict=False))
    )
    Encouragement.objects.filter(shared=third, user=manager).update(
        created_at=NOW - datetime.timedelta(days=30)
    )
    Comment.objects.filter(pk=comment.pk).update(hidden_at=None)
    assert_tallied()
    Comment.objects.all().delete()
    recovery_services.lost_deal_delete(deal=deals[0])  # the share moved to the other team goes with it
    assert_tallied()
    assert [row[0] for row in tally_tables()["teams_firstsupport"]] == [third.pk]

    # People leaving: their shares with the team go; a deleted account takes everything of theirs.
    last = share(make_loss(reps[0], name="Last one"), team=team)
    team_services.encouragement_toggle(shared=last, user=manager, kind=Encouragement.Kind.PROUD)
    team_services.membership_leave(membership=reps[2].memberships.get(team=team))
    assert_tallied()
    assert [row[0] for row in tally_tables()["teams_firstsupport"]] == [last.pk]
    team_services.user_delete(user=reps[0])
    assert_tallied()
    assert tally_tables() == {"teams_supporttally": [], "teams_firstsupport": []}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_emptying_the_tables_empties_the_tallies():
    """The test runner's flush empties tables with TRUNCATE, which row triggers don't see."""
    person, colleague = (
        make_user("truncate@example.com", "Truncate"),
        make_user("colleague@example.com", "Colleague"),
    )
    team = team_services.team_create(creator=person, name="Flush")
    join(team, colleague)
    shared = share(make_loss(person), team=team)
    team_services.encouragement_toggle(shared=shared, user=colleague, kind=Encouragement.Kind.PROUD)
    assert all(tally_tables().values())
    call_command("flush", interactive=False, verbosity=0)
    assert tally_tables() == {name: [] for name in tally_tables()}
