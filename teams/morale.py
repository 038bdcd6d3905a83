"""The managers' morale dashboard: a team's weekly figures, with the anonymity threshold.

Every figure is defined once, in FIGURES, with the words the page shows for it. Figures built
from private data (mood, losses, recovery time, reasons) are read from frozen closed weeks
(teams.morale_weeks: what a closed week shows never changes, whoever joins or leaves) and shown
for a week or a range only where at least `min_group()` people other than the viewer contributed
to them; otherwise the server withholds them: the page, the chart data, the CSV and the digest
only ever get `Cell.hidden`. A range total beside weekly cells is shown only when none of its
weeks is hidden: then it adds nothing that the weekly cells don't already show, so no total of
this range, of another range or of last week's dashboard can be subtracted from it to work a
hidden week out. The top reasons get the same care across the ranges (see `_top_reasons`).

Support and time to first support come from shared data, with no threshold, read live from the
support tally and first support, kept per team and share (teams/models.py, "Tallies"). The page,
the CSV and the digest build the dashboard the same way, in a fixed number of queries whatever the
range and the data.
"""

import datetime
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import DateField, DurationField, Exists, F, OuterRef, Sum, Value
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

from recovery.aggregates import Median
from recovery.models import LossReason

from . import morale_weeks
from .models import FirstSupport, SharedLoss, SupportTally, Team, User

RANGES = (4, 12, 26, 52)
DEFAULT_RANGE = 12
NEEDS_ENCOURAGEMENT_AFTER = datetime.timedelta(hours=24)


def min_group() -> int:
    """The anonymity threshold: never below 3, whatever the setting says."""
    return max(3, settings.MORALE_MIN_GROUP)


def hidden_text() -> str:
    return f"fewer than {min_group()} people besides you: hidden to keep answers anonymous"


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
# The range and its weeks: closed weeks only (teams.morale_weeks)


def weeks_for(team: Team, weeks: int, now: datetime.datetime | None = None) -> list[datetime.date]:
    """The Mondays of the last `weeks` ISO weeks that have ended, in the team's time zone.

    The week under way is never shown: its figures would change with every check-in, and comparing
    them before and after one would give that check-in away.
    """
    return morale_weeks.closed_weeks(team, weeks, now)


# ---------------------------------------------------------------------------
# Combining per-week parts under the threshold


class _PerWeek:
    """Additive parts of a private figure per week, and the people who contributed to them."""

    def __init__(self):
        self.members: dict[datetime.date, set[int]] = {}
        self.week_sums: dict[datetime.date, list] = {}

    def add(self, week, part: dict | None, *, number=float):
        if part:
            self.members[week] = set(part["people"])
            self.week_sums[week] = [number(v) for v in part["sums"]]

    def sums(self, weeks) -> list:
        parts = [self.week_sums[w] for w in weeks if w in self.week_sums]
        return [sum(column) for column in zip(*parts, strict=True)]


def _threshold_cells(per_week: _PerWeek, weeks, compute, viewer_id) -> tuple[list[Cell], Cell]:
    """Weekly cells and the range total of a private figure, each withheld below the threshold.

    A week is shown only where at least `min_group()` people other than the viewer contributed: a
    manager who contributed too can't take their own part away to find the others'. The total is
    shown only when no week of the range is hidden. `compute(sums, weeks)` gives the figure.
    """
    k = min_group()
    cells, any_hidden = [], False
    for w in weeks:
        people = per_week.members.get(w, set())
        if not people:
            cells.append(EMPTY)
        elif len(people - {viewer_id}) < k:
            cells.append(HIDDEN)
            any_hidden = True
        else:
            cells.append(Cell(compute(per_week.week_sums[w], [w])))
    if any_hidden:
        total = HIDDEN
    elif all(cell.empty for cell in cells):
        total = EMPTY
    else:
        total = Cell(compute(per_week.sums(weeks), weeks))
    return cells, total


def _ratio(numerator, denominator, scale=1, digits=1):
    return round(scale * numerator / denominator, digits) if denominator else None


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


# ---------------------------------------------------------------------------
# The dashboard


def build_dashboard(
    team: Team,
    weeks: int = DEFAULT_RANGE,
    *,
    viewer: User | None,
    now: datetime.datetime | None = None,
) -> Dashboard:
    """The team's dashboard over its last `weeks` closed weeks, as `viewer` may see it.

    `viewer` is the manager looking (or receiving the digest): they never count towards the
    threshold. None only where nobody in the team reads it (benchmarks, tests of the figures).
    """
    now = now or timezone.now()
    viewer_id = viewer.pk if viewer else None
    tz = zoneinfo.ZoneInfo(team.time_zone)
    mondays = weeks_for(team, weeks, now)
    start = morale_weeks.start_of(mondays[0], tz)
    stop = morale_weeks.start_of(mondays[-1] + datetime.timedelta(weeks=1), tz)
    frozen = morale_weeks.frozen_figures(team, mondays, now)

    mood, losses, recovered, reasons = _PerWeek(), _PerWeek(), _PerWeek(), _PerWeek()
    amounts: dict[str, _PerWeek] = defaultdict(_PerWeek)
    reason_rows = []
    days_by_week: dict[datetime.date, Counter] = {}
    for week in mondays:
        figures = frozen.get(week, {})
        mood.add(week, figures.get("mood"))
        losses.add(week, figures.get("losses"))
        for currency, part in figures.get("amounts", {}).items():
            amounts[currency].add(week, part, number=Decimal)
        recovery = figures.get("recovery")
        recovered.add(week, recovery)
        if recovery:
            days_by_week[week] = Counter({int(d): n for d, n in recovery["days"].items()})
        picked = figures.get("reasons", {})
        for pk, part in picked.items():
            reason_rows.append(
                {"pk": int(pk), "week": week, "n": part["sums"][0], "people": set(part["people"])}
            )
        if picked:
            # "Not personal": of all the picks that week, those outside the reps' control.
            reasons.add(
                week,
                {
                    "people": set().union(*(part["people"] for part in picked.values())),
                    "sums": [
                        sum(part["sums"][0] for part in picked.values()),
                        sum(part["sums"][0] for part in picked.values() if part["outside"]),
                    ],
                },
            )

    def recovery_median(sums, weeks):
        counts = days_by_week.get(weeks[0]) if len(weeks) == 1 else sum(days_by_week.values(), Counter())
        return _round(_median(counts or Counter()))

    series = {}

    def private(key, per_week, compute):
        series[key] = Series(FIGURES_BY_KEY[key], *_threshold_cells(per_week, mondays, compute, viewer_id))

    private("mood", mood, lambda s, _: _ratio(s[0], s[1]))
    private("losses", losses, lambda s, _: int(s[0]))
    private("share_rate", losses, lambda s, _: _ratio(s[1], s[0], scale=100, digits=0))
    private("recovery", recovered, recovery_median)
    private("not_personal", reasons, lambda s, _: _ratio(s[1], s[0], scale=100, digits=0))

    # Support given on losses shared with this team (shared data: no threshold), read live.
    def week_of(field_name):
        return Cast(TruncWeek(field_name, tzinfo=tz, output_field=DateField()), DateField())

    support = dict(
        SupportTally.objects.filter(team=team, at__gte=start, at__lt=stop)
        .annotate(week=week_of("at"))
        .values("week")
        .annotate(n=Sum("n"))
        .order_by()
        .values_list("week", "n")
    )
    series["support"] = Series(
        FIGURES_BY_KEY["support"],
        [Cell(support.get(w, 0)) for w in mondays],
        Cell(sum(support.get(w, 0) for w in mondays)),
    )

    # Time to first support, for losses shared with this team in the range: the median delay from
    # sharing to the first encouragement or comment still shown, per week and over the range (the
    # row with no week), in one query.
    delays = FirstSupport.objects.filter(team=team, shared_at__gte=start, shared_at__lt=stop).annotate(
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
    series["first_support"] = Series(
        FIGURES_BY_KEY["first_support"],
        [Cell(_round(first_support.get(w))) for w in mondays],
        Cell(_round(first_support.get(None))),
    )

    currencies = []
    for currency in sorted(amounts):
        cells, total = _threshold_cells(amounts[currency], mondays, lambda s, _: s[0], viewer_id)
        currencies.append(CurrencyTotal(currency, cells, total))

    top_reasons, left_out = _top_reasons(reason_rows, mondays, viewer_id)
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


def _top_reasons(rows, mondays, viewer_id):
    """Reasons picked over the range, most picked first, each only if enough people picked it.

    `rows` hold each reason's picks per week, with who picked it (`people`, a set). As for every
    private figure, the viewer doesn't count towards the threshold. A reason's count is also
    withheld when the weeks outside any shorter range hold between 1 and `min_group() - 1` of the
    people (other than the viewer) who picked it: subtracting the shorter range's count would
    otherwise give what they picked.
    """
    k = min_group()
    reasons = {}
    for row in rows:
        reason = reasons.setdefault(row["pk"], {"pk": row["pk"], "n": 0, "weeks": defaultdict(set)})
        reason["n"] += row["n"]
        reason["weeks"][row["week"]] |= row["people"] - {viewer_id}
    shorter_starts = [mondays[-r] for r in RANGES if r < len(mondays)]

    def safe(weeks: dict) -> bool:
        if len(set().union(*weeks.values())) < k:
            return False
        for start in shorter_starts:
            before = set().union(*(people for week, people in weeks.items() if week < start))
            if 0 < len(before) < k:
                return False
        return True

    shown = [r for r in reasons.values() if safe(r["weeks"])]
    labels = {reason.pk: reason for reason in LossReason.objects.all()}  # a short list, and one query
    shown.sort(key=lambda r: (-r["n"], labels[r["pk"]].position))
    top = [(labels[r["pk"]].label, labels[r["pk"]].outside_control, r["n"]) for r in shown]
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
