"""The managers' morale dashboard: a team's weekly figures, with the anonymity threshold.

Every figure is defined once, in FIGURES, with the words the page shows for it. Figures built
from private data (mood, losses, recovery time, reasons) are shown for a week or a range only
where at least `min_group()` different members contributed to them; otherwise the server
withholds them: the page, the chart data, the CSV and the digest only ever get `Cell.hidden`.
A range total beside weekly cells is shown only when none of its weeks is hidden: then it adds
nothing that the weekly cells don't already show, so no total of this range, of another range or
of last week's dashboard can be subtracted from it to work a hidden week out. The top reasons get
the same care across the ranges (see `_top_reasons`).

All figures are aggregated in the database, grouped by ISO week (Monday to Sunday in the
team's time zone), from the tallies kept per member (or team) and week (`MoodTally` and the others
in teams/models.py); for private figures the database also lists who contributed to each week
(`Members`), which is what the threshold needs. The page, the CSV and the digest build it the same
way, in 8 queries whatever the range and the data.
"""

import datetime
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    DateField,
    DurationField,
    Exists,
    F,
    OuterRef,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, TruncWeek
from django.utils import timezone

from recovery.aggregates import Median
from recovery.models import LossReason

from .models import (
    FirstSupport,
    LossTally,
    Membership,
    MoodTally,
    RecoveryTally,
    SharedLoss,
    SupportTally,
    Team,
)

RANGES = (4, 12, 26, 52)
DEFAULT_RANGE = 12
NEEDS_ENCOURAGEMENT_AFTER = datetime.timedelta(hours=24)


def min_group() -> int:
    """The anonymity threshold: never below 3, whatever the setting says."""
    return max(3, settings.MORALE_MIN_GROUP)


def hidden_text() -> str:
    return f"fewer than {min_group()} people: hidden to keep answers anonymous"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    how: str  # "How this is counted", shown on the page
    private: bool  # built from private data: the threshold applies
    unit: str = ""


FIGURES = [
    Figure(
        "mood",
        "Mood index",
        "The mean of members' mood scores, from 1 (very low) to 5 (good): the mood given in each "
        "reflection's Feel section and in every check-in answered that week.",
        private=True,
    ),
    Figure(
        "losses",
        "Losses logged",
        "Lost deals members logged with a date lost in that week. Amounts are summed per currency, "
        "never across currencies.",
        private=True,
    ),
    Figure(
        "share_rate",
        "Share rate",
        "Of the losses logged that week, the share their owners chose to share (with this team or "
        "with trusted colleagues).",
        private=True,
        unit="%",
    ),
    Figure(
        "support",
        "Support given",
        "Encouragements and comments given that week on losses shared with this team.",
        private=False,
    ),
    Figure(
        "first_support",
        "Time to first support",
        "For losses shared with this team that week: the median hours from sharing to the first "
        "encouragement or comment.",
        private=False,
        unit="h",
    ),
    Figure(
        "recovery",
        "Recovery time",
        "For losses marked “I've felt it, and I'm moving on” that week: the median days from the date "
        "lost to that mark.",
        private=True,
        unit="days",
    ),
    Figure(
        "not_personal",
        "Not personal",
        "Of the reasons members picked for the losses logged that week, the share outside their control.",
        private=True,
        unit="%",
    ),
]
FIGURES_BY_KEY = {f.key: f for f in FIGURES}


@dataclass(frozen=True)
class Cell:
    """One figure for one week or for the range. `value` is None when hidden or when there is no data."""

    value: float | int | None
    hidden: bool = False

    @property
    def empty(self) -> bool:
        return self.value is None and not self.hidden


HIDDEN = Cell(None, hidden=True)
EMPTY = Cell(None)


@dataclass
class Series:
    figure: Figure
    cells: list[Cell]
    total: Cell


@dataclass
class CurrencyTotal:
    currency: str
    cells: list[Cell]
    total: Cell


@dataclass
class Dashboard:
    team: Team
    weeks: list[datetime.date]  # the Mondays, oldest first
    series: dict[str, Series]
    currencies: list[CurrencyTotal]
    top_reasons: list[tuple[str, bool, int]]  # label, outside control, times picked
    top_reasons_hidden: int  # how many reasons were left out for having too few people
    lessons: list[SharedLoss] = field(default_factory=list)
    needs_encouragement: list[SharedLoss] = field(default_factory=list)

    @property
    def min_group(self) -> int:
        return min_group()


# ---------------------------------------------------------------------------
# The range and its weeks


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def weeks_for(team: Team, weeks: int, now: datetime.datetime | None = None) -> list[datetime.date]:
    """The Mondays of the last `weeks` ISO weeks, the current one included, in the team's time zone."""
    tz = zoneinfo.ZoneInfo(team.time_zone)
    today = timezone.localtime(now or timezone.now(), tz).date()
    this_week = week_start(today)
    return [this_week - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _start_of(day: datetime.date, tz) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


# ---------------------------------------------------------------------------
# Combining per-week, per-member rows under the threshold


def _plus(a: list | None, b) -> list:
    return list(b) if a is None else [x + y for x, y in zip(a, b, strict=True)]


class Members(Aggregate):
    """The ids of the members behind a group of rows, as text ("3,7,3,12"): who contributed.
    (Also used to list a group's values of another column, e.g. its numbers of days.)

    With it the database gives one row per week (not one per week and member) and the threshold
    still knows who contributed; far fewer rows to read on a big team. Ids repeat (DISTINCT would
    make the database sort every group, which costs more than reading the repeats).
    """

    function = "GROUP_CONCAT"
    name = "Members"
    template = "%(function)s(%(expressions)s)"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s((%(expressions)s)::text, ',')",
            **extra_context,
        )


def _ids(text: str | None) -> set[str]:
    """The members in a `Members` text, as a set of ids in text: only ever counted and compared."""
    return set(text.split(",")) if text else set()


def _counted(text: str) -> Counter:
    """A `Members` text of "number x times" ("3x2,5x1,3x1") as how often each number came: {3: 3, 5: 1}."""
    counts = Counter()
    for item, repeats in Counter(text.split(",")).items():  # (each distinct item parsed once)
        number, times = item.split("x")
        counts[int(number)] += int(times) * repeats
    return counts


def _median(counts: Counter) -> float | None:
    """The median of the numbers counted ({3: 3, 5: 1} → 3.0), as statistics.median gives it."""
    total = counts.total()
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # where the middle one or two are, counting from 0
    found, seen = [], 0
    for number in sorted(counts):
        seen += counts[number]
        while middle and middle[0] < seen:
            found.append(number)
            middle.pop(0)
    return (found[0] + found[1]) / 2


class _PerWeek:
    """Additive parts of a private figure per week, and the members who contributed to them."""

    def __init__(self):
        self.members: dict[datetime.date, set[int]] = defaultdict(set)
        self.week_sums: dict[datetime.date, list] = {}

    def add(self, week, members: set[int], *values):
        self.members[week] |= members
        self.week_sums[week] = _plus(self.week_sums.get(week), values)

    def sums(self, weeks) -> list:
        totals = None
        for w in weeks:
            if w in self.week_sums:
                totals = _plus(totals, self.week_sums[w])
        return totals or []


def _threshold_cells(per_week: _PerWeek, weeks, compute) -> tuple[list[Cell], Cell]:
    """Weekly cells and the range total of a private figure, each withheld below the threshold.

    `compute(sums, weeks)` gives the figure for those weeks from the summed parts.
    """
    k = min_group()
    cells, hidden_weeks = [], []
    for w in weeks:
        people = len(per_week.members.get(w, ()))
        if not people:
            cells.append(EMPTY)
        elif people < k:
            cells.append(HIDDEN)
            hidden_weeks.append(w)
        else:
            cells.append(Cell(compute(per_week.week_sums[w], [w])))
    if not any(w in per_week.members for w in weeks):
        total = EMPTY
    elif hidden_weeks:
        total = HIDDEN
    else:
        total = Cell(compute(per_week.sums(weeks), weeks))
    return cells, total


def _ratio(numerator, denominator, scale=1, digits=1):
    return round(scale * numerator / denominator, digits) if denominator else None


# ---------------------------------------------------------------------------
# The dashboard


def build_dashboard(
    team: Team, weeks: int = DEFAULT_RANGE, now: datetime.datetime | None = None
) -> Dashboard:
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(team.time_zone)
    mondays = weeks_for(team, weeks, now)
    first_day = mondays[0]
    start = _start_of(first_day, tz)
    members = Membership.objects.filter(team=team).values("user_id")

    def week_of(field_name, tzinfo=tz):
        # Cast to a date in SQL: the rows then need no conversion on their way to Python.
        return Cast(TruncWeek(field_name, tzinfo=tzinfo, output_field=DateField()), DateField())

    # Mood: reflections' first mood and answered check-ins, per week, with who gave them.
    mood = _PerWeek()
    for week, people, total, n in (
        MoodTally.objects.filter(owner__in=members, at__gte=start)
        .annotate(week=week_of("at"))
        .values("week")
        .annotate(members=Members("owner"), total=Sum("total"), n=Sum("n"))
        .order_by()
        .values_list("week", "members", "total", "n")
    ):
        mood.add(week, _ids(people), total, n)

    # Losses logged, shared, and their amounts per currency.
    losses = _PerWeek()
    amounts: dict[str, _PerWeek] = defaultdict(_PerWeek)
    loss_rows = (
        LossTally.objects.filter(owner__in=members, lost_on__gte=first_day)
        .annotate(week=week_of("lost_on", None))
        .values("week", "currency")
        .annotate(
            members=Members("owner"),
            priced_by=Members(Case(When(priced__gt=0, then=F("owner")))),
            n=Sum("n"),
            shared=Sum("shared"),
            total_amount=Sum("amount"),
        )
        .order_by()
        .values_list("week", "currency", "members", "priced_by", "n", "shared", "total_amount")
    )
    for week, currency, people, priced_by, n, shared, total_amount in loss_rows:
        losses.add(week, _ids(people), n, shared)
        if priced_by := _ids(priced_by):
            amounts[currency].add(week, priced_by, total_amount)

    # Reasons picked for the losses logged, per reason and week: "not personal" and the top reasons.
    # (Asked of LossReason, so that it is grouped by the reason's primary key: PostgreSQL then
    # needn't sort the picks by the reason's label too.)
    reason_rows = [
        {**row, "people": _ids(row["people"])}
        for row in LossReason.objects.filter(tallies__owner__in=members, tallies__lost_on__gte=first_day)
        .annotate(week=week_of("tallies__lost_on", None))
        .values("pk", "label", "outside_control", "position", "week")
        .annotate(n=Sum("tallies__n"), people=Members("tallies__owner"))
        .order_by()
    ]
    reasons = _PerWeek()
    for row in reason_rows:
        reasons.add(row["week"], row["people"], row["n"], row["n"] if row["outside_control"] else 0)

    # Recovery time: medians can't be added up, so the database counts each week's numbers of days
    # (whole numbers) and the medians of each week and of the range are taken here, exactly.
    recovered = _PerWeek()
    days_by_week: dict[datetime.date, Counter] = {}
    for week, people, n, days in (
        RecoveryTally.objects.filter(owner__in=members, at__gte=start)
        .annotate(week=week_of("at"))
        .values("week")
        .annotate(
            members=Members("owner"),
            losses=Sum("n"),
            days=Members(Concat("days", Value("x"), "n", output_field=CharField())),
        )
        .order_by()
        .values_list("week", "members", "losses", "days")
    ):
        recovered.add(week, _ids(people), n)
        days_by_week[week] = _counted(days)
    recovery_medians = {week: _median(days) for week, days in days_by_week.items()}
    recovery_range_median = _median(sum(days_by_week.values(), Counter()))

    # Support given on losses shared with this team (shared data: no threshold).
    support = dict(
        SupportTally.objects.filter(team=team, at__gte=start)
        .annotate(week=week_of("at"))
        .values("week")
        .annotate(n=Sum("n"))
        .order_by()
        .values_list("week", "n")
    )

    # Time to first support, for losses shared with this team in the range: the median delay from
    # sharing to the first encouragement or comment still shown, per week and over the range (the
    # row with no week), in one query.
    delays = FirstSupport.objects.filter(team=team, shared_at__gte=start).annotate(
        delay=F("first_support_at") - F("shared_at")
    )

    def median_delay(week):
        return (
            delays.annotate(week=week)
            .values("week")
            .annotate(median=Median("delay", output_field=DurationField()))
            .values_list("week", "median")
            .order_by()
        )

    first_support = {
        week: median.total_seconds() / 3600
        for week, median in median_delay(week_of("shared_at")).union(
            median_delay(Value(None, DateField())), all=True
        )
        if median is not None
    }

    series = {}

    def private(key, per_week, compute):
        series[key] = Series(FIGURES_BY_KEY[key], *_threshold_cells(per_week, mondays, compute))

    def recovery_median(sums, weeks):
        return _round(recovery_medians.get(weeks[0]) if len(weeks) == 1 else recovery_range_median)

    private("mood", mood, lambda s, _: _ratio(s[0], s[1]))
    private("losses", losses, lambda s, _: s[0])
    private("share_rate", losses, lambda s, _: _ratio(s[1], s[0], scale=100, digits=0))
    private("recovery", recovered, recovery_median)
    private("not_personal", reasons, lambda s, _: _ratio(s[1], s[0], scale=100, digits=0))
    series["support"] = Series(
        FIGURES_BY_KEY["support"],
        [Cell(support.get(w, 0)) for w in mondays],
        Cell(sum(support.get(w, 0) for w in mondays)),
    )
    series["first_support"] = Series(
        FIGURES_BY_KEY["first_support"],
        [Cell(_round(first_support.get(w))) for w in mondays],
        Cell(_round(first_support.get(None))),
    )

    currencies = []
    for currency in sorted(amounts):
        cells, total = _threshold_cells(amounts[currency], mondays, lambda s, _: s[0])
        currencies.append(CurrencyTotal(currency, cells, total))

    top_reasons, left_out = _top_reasons(reason_rows, mondays)
    return Dashboard(
        team=team,
        weeks=mondays,
        series=series,
        currencies=currencies,
        top_reasons=top_reasons,
        top_reasons_hidden=left_out,
        lessons=list(
            SharedLoss.objects.filter(team=team, include_lesson=True, shared_at__gte=start)
            .exclude(deal__reflection__lesson="")
            .select_related("deal__reflection", "deal__owner")
            .order_by("-shared_at")[:10]
        ),
        needs_encouragement=list(needs_encouragement(team, now, since=start)[:20]),
    )


def _round(value):
    return None if value is None else round(value, 1)


def _top_reasons(rows, mondays):
    """Reasons picked over the range, most picked first, each only if enough people picked it.

    `rows` hold each reason's picks per week, with who picked it (`people`, a set). A reason's
    count is also withheld when the weeks outside any shorter range hold between 1 and
    `min_group() - 1` of the people who picked it: subtracting the shorter range's count would
    otherwise give what they picked.
    """
    k = min_group()
    reasons = {}
    for row in rows:
        reason = reasons.setdefault(row["pk"], {"row": row, "n": 0, "weeks": defaultdict(set)})
        reason["n"] += row["n"]
        reason["weeks"][row["week"]] |= row["people"]
    shorter_starts = [mondays[-r] for r in RANGES if r < len(mondays)]

    def safe(weeks: dict) -> bool:
        if len(set().union(*weeks.values())) < k:
            return False
        for start in shorter_starts:
            before = set().union(*(people for week, people in weeks.items() if week < start))
            if 0 < len(before) < k:
                return False
        return True

    shown = sorted(
        (r for r in reasons.values() if safe(r["weeks"])), key=lambda r: (-r["n"], r["row"]["position"])
    )
    top = [(r["row"]["label"], r["row"]["outside_control"], r["n"]) for r in shown]
    return top[:8], len(reasons) - len(shown)


def needs_encouragement(team: Team, now: datetime.datetime, since: datetime.datetime):
    """Losses shared with the team since `since` that have had no encouragement or comment for 24 hours."""
    return (
        SharedLoss.objects.filter(
            Exists(FirstSupport.objects.filter(shared=OuterRef("pk"), first_support_at__isnull=True)),
            team=team,
            shared_at__gte=since,
            shared_at__lte=now - NEEDS_ENCOURAGEMENT_AFTER,
        )
        .select_related("deal__owner")
        .order_by("shared_at")
    )
