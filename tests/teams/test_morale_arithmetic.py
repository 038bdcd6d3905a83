"""A manager doing arithmetic on the dashboard finds nothing: a property test.

Hypothesis writes a team's history: reps (and the manager) log losses, some backdated, with moods;
people join and leave; now and then the manager looks: the CSV at every range, and their weekly
digest. A model written here says what each closed week holds: the people who were members when
the week was frozen (the first look or departure after it ended), each with what they logged from
the day they joined. Then the test plays the manager:

- every weekly figure shown is the model's, and is shown only where at least 3 people besides the
  manager contributed to it (currencies: priced a loss in it);
- a closed week reads the same at every look, whoever joined or left since;
- a range total shows only when none of its weeks is hidden;
- and, collecting every number ever shown (weekly cells and range totals of every range, at every
  look) as equations over the weeks' unknown values, no hidden week can be solved for.
"""

import contextlib
import csv
import datetime
import io
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from teams import morale
from teams import services as team_services
from teams.management.commands.send_morale_digest import build_digest
from teams.models import Membership, Role
from teams.morale_text import value_text
from tests.conftest import log_loss, make_user

START = datetime.datetime(2026, 6, 1, 8, 0, tzinfo=datetime.UTC)  # a Monday morning
K = 3
REPS = 5
LOSSES, MOOD = "Losses logged", "Mood index (1 to 5)"
CURRENCIES = ("EUR", "GBP")


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_end(monday: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        monday + datetime.timedelta(weeks=1), datetime.time.min, tzinfo=datetime.UTC
    )


# ---------------------------------------------------------------- the history

# 0 is the manager, who logs losses too (and often: the viewer must never count towards the 3).
person = st.sampled_from([0, 0, *range(1, REPS + 1)])
loss = st.tuples(
    st.just("loss"),
    person,
    st.integers(min_value=0, max_value=10),  # days backdated
    st.one_of(st.none(), st.integers(min_value=0, max_value=9)),  # amount, or not priced
    st.sampled_from(CURRENCIES),
    st.one_of(st.none(), st.integers(min_value=1, max_value=5)),  # mood in the Feel section
)
# A week of the team's life: losses, people joining and leaving, the manager looking; each at an
# hour of the week (0 is Monday 00:00). Weeks are where figures are shown or hidden, so the history
# is written week by week, dense enough that some weeks have three people or more and some fewer.
at_hour = st.integers(min_value=0, max_value=7 * 24 - 1)
change = st.tuples(st.sampled_from(["join", "leave"]), st.integers(min_value=1, max_value=REPS))
week_plan = st.tuples(
    st.lists(st.tuples(at_hour, loss), max_size=9),
    st.lists(st.tuples(at_hour, change), max_size=2),
    st.lists(st.tuples(at_hour, st.just(("look",))), max_size=2),
)


def chronological(weeks):
    """The weeks' events in order, as (moment, event)."""
    events = []
    for n, (losses, changes, looks) in enumerate(weeks):
        for hour, event in [*losses, *changes, *looks]:
            events.append((START + datetime.timedelta(weeks=n, hours=hour), event))
    return sorted(events, key=lambda item: item[0])


history = st.lists(week_plan, min_size=2, max_size=6).map(chronological)
first_members = st.sets(st.integers(min_value=1, max_value=REPS), min_size=3)


class Model:
    """What each closed week holds, computed the way the promise says."""

    def __init__(self):
        self.joined: dict[int, datetime.datetime] = {}  # current members: since when
        self.rows = []  # (person, lost_on, amount, currency, mood, mood_at)
        self.frozen: dict[datetime.date, dict] = {}

    def freeze(self, now):
        """Freeze every week that ended by `now` and isn't frozen: as it is at this moment."""
        monday = monday_of(START.date())
        while week_end(monday) <= now:
            if monday not in self.frozen:
                self.frozen[monday] = self.week(monday)
            monday += datetime.timedelta(weeks=1)

    def week(self, monday):
        counts = {"losses": {}, "mood": {}, **{c: {} for c in CURRENCIES}}
        end = monday + datetime.timedelta(weeks=1)
        for who, lost_on, amount, currency, mood, mood_at in self.rows:
            if who not in self.joined:
                continue
            joined_on = self.joined[who].date()
            if monday <= lost_on < end and lost_on >= joined_on:
                counts["losses"].setdefault(who, []).append(1)
                if amount is not None:
                    counts[currency].setdefault(who, []).append(amount)
            if mood is not None and monday <= mood_at.date() < end and mood_at.date() >= joined_on:
                counts["mood"].setdefault(who, []).append(mood)
        return counts

    def expected(self, monday, figure, viewer):
        """(shown, value) of a figure for a frozen week, as the viewer must see it."""
        parts = self.frozen[monday][figure]
        if not parts:
            return "empty", None
        if len(set(parts) - {viewer}) < K:
            return "hidden", None
        values = [v for vs in parts.values() for v in vs]
        if figure == "mood":
            return "shown", round(sum(values) / len(values), 1)
        return "shown", sum(values)


# ---------------------------------------------------------------- what the manager reads


def read_csv(client, team, weeks):
    url = reverse("teams:dashboard_csv", kwargs={"code": team.code})
    response = client.get(f"{url}?weeks={weeks}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))


def parse(text):
    if text == morale.hidden_text():
        return "hidden", None
    if text == "":
        return "empty", None
    return "shown", Decimal(text)


def column(figure):
    return {"losses": LOSSES, "mood": MOOD}.get(figure, f"Amount lost ({figure})")


@contextlib.contextmanager
def rolled_back():
    """One example in a savepoint, undone at its end."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def solvable(equations, unknowns, target) -> bool:
    """Whether the value of `target` follows from the equations (each a set of unknowns summing to a
    known number): rational Gaussian elimination, target in the row space."""
    index = {u: i for i, u in enumerate(unknowns)}

    def rank(rows):
        rows = [list(r) for r in rows]
        r = 0
        for c in range(len(unknowns)):
            pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
            if pivot is None:
                continue
            rows[r], rows[pivot] = rows[pivot], rows[r]
            for i in range(len(rows)):
                if i != r and rows[i][c] != 0:
                    factor = Fraction(rows[i][c], rows[r][c])
                    rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
            r += 1
        return r

    def vector(weeks):
        row = [Fraction(0)] * len(unknowns)
        for w in weeks:
            row[index[w]] = Fraction(1)
        return row

    matrix = [vector(e) for e in equations]
    return rank(matrix) == rank([*matrix, vector([target])])


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=first_members, events=history)
def test_no_arithmetic_on_the_dashboard_reveals_fewer_than_three_people(client, first, events):
    with rolled_back():
        check_history(client, first, events)


def check_history(client, first, events):
    with time_machine.travel(START, tick=False) as clock:
        manager = make_user("boss@example.com", "Maya Manager")
        team = team_services.team_create(creator=manager, name="Arithmetic")
        people = {0: manager}
        for i in range(1, REPS + 1):
            people[i] = make_user(f"rep{i}@example.com", f"Rep {i}")
        model = Model()
        model.joined[0] = START
        for i in sorted(first):
            Membership.objects.create(team=team, user=people[i], role=Role.MEMBER)
            model.joined[i] = START
        now = START
        seen: dict[tuple, tuple] = {}  # (figure, week) -> (shown, value), at the first look
        equations: dict[str, list] = {}  # figure -> [(weeks, value)]
        hidden_weeks: dict[str, set] = {}
        for moment, (kind, *args) in events:
            now = max(now, moment)
            clock.move_to(now)
            if kind == "loss":
                who, back, amount, currency, mood = args
                if who != 0 and who not in model.joined:
                    continue
                lost_on = now.date() - datetime.timedelta(days=back)
                log_loss(people[who], lost_on, amount=amount, currency=currency, mood=mood, mood_at=now)
                model.rows.append((who, lost_on, amount, currency, mood, now))
            elif kind == "join" and args[0] not in model.joined:
                Membership.objects.create(team=team, user=people[args[0]], role=Role.MEMBER)
                model.joined[args[0]] = now
            elif kind == "leave" and args[0] in model.joined:
                model.freeze(now)  # before they go: what they counted in stays
                team_services.membership_leave(
                    membership=Membership.objects.get(team=team, user=people[args[0]])
                )
                del model.joined[args[0]]
            elif kind == "look":
                model.freeze(now)
                client.force_login(manager)  # weeks go by: a fresh session
                look(client, team, manager, model, now, seen, equations, hidden_weeks)

        # A last look, once the last of these weeks has closed.
        now = week_end(monday_of(now.date())) + datetime.timedelta(hours=1)
        clock.move_to(now)
        model.freeze(now)
        client.force_login(manager)
        look(client, team, manager, model, now, seen, equations, hidden_weeks)
        # Steer the search towards histories where there is something to work out.
        shown = sum(state == "shown" for state, _ in seen.values())
        target(float(shown), label="cells shown")
        target(float(sum(len(weeks) for weeks in hidden_weeks.values())), label="cells hidden")

        # The attacker's last move: every number ever shown, against every week ever hidden.
        for figure, rows in equations.items():
            unknowns = sorted({w for weeks, _ in rows for w in weeks} | hidden_weeks.get(figure, set()))
            for week in hidden_weeks.get(figure, ()):
                assert not solvable([weeks for weeks, _ in rows], unknowns, week), (
                    f"{figure}, week of {week}: hidden, yet it follows from what was shown"
                )


def look(client, team, manager, model, now, seen, equations, hidden_weeks):
    for weeks in morale.RANGES:
        rows = read_csv(client, team, weeks)
        mondays = [datetime.date.fromisoformat(r["Week starting"]) for r in rows[:-1]]
        assert mondays == morale.weeks_for(team, weeks, now)
        total_row = rows[-1]
        for figure in ("losses", "mood", *CURRENCIES):
            name = column(figure)
            cells = []
            for monday, row in zip(mondays, rows[:-1], strict=True):
                got = parse(row.get(name, ""))
                cells.append(got)
                if monday < START.date():
                    assert got == ("empty", None), f"{figure} before the team existed: {got}"
                    continue
                state, value = model.expected(monday, figure, 0)
                assert got[0] == state, f"{figure}, week of {monday}: {got[0]}, the model says {state}"
                if state == "shown":
                    assert got[1] == Decimal(str(value)), f"{figure}, week of {monday}"
                key = (figure, monday)
                assert seen.setdefault(key, got) == got, (
                    f"{figure}, week of {monday} changed: {seen[key]} → {got}"
                )
                if state == "hidden":
                    hidden_weeks.setdefault(figure, set()).add(monday)
                elif figure != "mood":  # shown, or empty: nobody, so nothing to add
                    equations.setdefault(figure, []).append(([monday], got[1] or 0))
            total = parse(total_row.get(name, ""))
            if any(state == "hidden" for state, _ in cells):
                assert total[0] == "hidden", f"{figure}: the {weeks}-week total shows beside a hidden week"
            elif total[0] == "shown" and figure != "mood":
                assert total[1] == sum(v for state, v in cells if state == "shown"), figure
                equations.setdefault(figure, []).append(([m for m in mondays if m >= START.date()], total[1]))

    # The digest says the same of last week and the week before, to this manager.
    digest = build_digest(team, manager, now)
    lines = {line.label: line for line in digest.lines}
    before, last = morale.weeks_for(team, 2, now)
    for monday, attribute in ((before, "before"), (last, "last")):
        if monday < START.date():
            continue
        state, value = model.expected(monday, "losses", 0)
        text = getattr(lines["Losses logged"], attribute)
        expected = {"hidden": morale.hidden_text(), "empty": value_text(morale.EMPTY)}.get(state, str(value))
        assert text == expected, f"the digest's losses for the week of {monday}"
