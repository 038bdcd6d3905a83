"""Closed weeks of the morale dashboard, frozen: computed once from the rows, then never again.

What a closed week shows must not change afterwards, or a manager could compare it before and after
a change and work out what one person added or took away. So a team's week is computed once, the
first time it is needed after it ended (a dashboard, its CSV, a digest), or just before somebody
leaves the team (`membership_leave`, `membership_remove`, deleting an account), and stored in
`FrozenWeek`. From then on it is only read.

Who counts towards a week: the people who are members when it is frozen (which, since somebody
leaving freezes the closed weeks first, are the members at the week's end), each with what they
recorded from the day they joined the team onwards, in the team's time zone. A loss backdated to
before that day, or into a week already frozen, counts nowhere.

The frozen figures are the additive parts of each figure and who contributed to them, per week
(`figures` below); the threshold is applied when they are read (teams.morale), per viewer.
"""

import datetime
import zoneinfo
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DateField, Exists, OuterRef, Q, Sum
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

from recovery.models import CheckIn, LostDeal, Reflection

from .models import FrozenWeek, Membership, SharedLoss, Team

# How far back a dashboard can look: the longest range.
LONGEST_RANGE = 52


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def start_of(day: datetime.date, tz) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def closed_weeks(team: Team, weeks: int, now: datetime.datetime | None = None) -> list[datetime.date]:
    """The Mondays of the last `weeks` ISO weeks that have ended, in the team's time zone, oldest first."""
    tz = zoneinfo.ZoneInfo(team.time_zone)
    this_week = week_start(timezone.localtime(now or timezone.now(), tz).date())
    return [this_week - datetime.timedelta(weeks=n) for n in range(weeks, 0, -1)]


def frozen_figures(team: Team, mondays: list[datetime.date], now=None) -> dict[datetime.date, dict]:
    """The frozen figures of these closed weeks, freezing first those not frozen yet (one query if none)."""
    rows = dict(FrozenWeek.objects.filter(team=team, week__in=mondays).values_list("week", "figures"))
    if len(rows) < len(set(mondays)):
        freeze_closed_weeks(team, now)
        rows = dict(FrozenWeek.objects.filter(team=team, week__in=mondays).values_list("week", "figures"))
    return rows


def freeze_closed_weeks(team: Team, now: datetime.datetime | None = None) -> int:
    """Freeze every closed week of the longest range that isn't frozen yet; how many were frozen.

    Safe to run at the same time as itself: a week frozen by another run is kept as it was, and
    whoever reads it reads the stored one.
    """
    mondays = closed_weeks(team, LONGEST_RANGE, now)
    done = set(FrozenWeek.objects.filter(team=team, week__gte=mondays[0]).values_list("week", flat=True))
    missing = [m for m in mondays if m not in done]
    if not missing:
        return 0
    figures = week_figures(team, missing[0], missing[-1] + datetime.timedelta(weeks=1))
    FrozenWeek.objects.bulk_create(
        [FrozenWeek(team=team, week=m, figures=figures.get(m, {})) for m in missing], ignore_conflicts=True
    )
    return len(missing)


# ---------------------------------------------------------------------------
# A span of weeks, computed from the rows


def _since_joining(joined: dict[int, datetime.date], tz, moment: str, date: bool = False) -> Q:
    """Rows of these members, each from the day they joined (`joined`, in the team's time zone)."""
    condition = Q(pk__in=[])
    for user_id, day in joined.items():
        condition |= Q(owner_id=user_id, **{f"{moment}__gte": day if date else start_of(day, tz)})
    return condition


def _week(field_name, tz):
    return Cast(TruncWeek(field_name, tzinfo=tz, output_field=DateField()), DateField())


class _Parts:
    """Per week, the additive parts of one figure and who contributed to them."""

    def __init__(self):
        self.weeks = defaultdict(lambda: {"people": set(), "sums": None})

    def add(self, week, person, *values):
        part = self.weeks[week]
        part["people"].add(person)
        sums = part["sums"]
        part["sums"] = list(values) if sums is None else [a + b for a, b in zip(sums, values, strict=True)]

    def stored(self, week):
        part = self.weeks.get(week)
        return part and {"people": sorted(part["people"]), "sums": [_json(v) for v in part["sums"]]}


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def week_figures(team: Team, first: datetime.date, end: datetime.date) -> dict[datetime.date, dict]:
    """Each week's figures from `first` (a Monday) until `end`, as FrozenWeek stores them.

    Per week, a JSON object with, for each private figure, `people` (the ids of who contributed) and
    its additive `sums`:
    - "mood": [sum of moods, how many moods], from reflections and answered check-ins;
    - "losses": [losses logged, of which shared];
    - "amounts": per currency, {"people": who priced a loss in it, "sums": [the amount, as text]};
    - "reasons": per reason id, {"people", "sums": [times picked], "outside": outside their control};
    - "recovery": {"people", "days": {days to moving on: how many losses}}.
    """
    tz = zoneinfo.ZoneInfo(team.time_zone)
    start, stop = start_of(first, tz), start_of(end, tz)
    joined = {
        user_id: timezone.localtime(joined_at, tz).date()
        for user_id, joined_at in Membership.objects.filter(team=team).values_list("user_id", "joined_at")
    }
    mood, losses, recovered = _Parts(), _Parts(), _Parts()
    amounts = defaultdict(_Parts)
    reasons = defaultdict(_Parts)
    outside = {}
    days = defaultdict(lambda: defaultdict(int))

    for model, moment in ((Reflection, "mood_at"), (CheckIn, "answered_at")):
        for week, owner, total, n in (
            model.objects.filter(
                _since_joining(joined, tz, moment), mood__isnull=False, **{f"{moment}__gte": start}
            )
            .filter(**{f"{moment}__lt": stop})
            .annotate(week=_week(moment, tz))
            .values("week", "owner")
            .annotate(total=Sum("mood"), n=Count("pk"))
            .values_list("week", "owner", "total", "n")
            .order_by()
        ):
            mood.add(week, owner, total, n)

    deals = LostDeal.objects.filter(
        _since_joining(joined, tz, "lost_on", date=True), lost_on__gte=first, lost_on__lt=end
    )
    for week, owner, currency, n, shared, priced, amount in (
        deals.annotate(week=_week("lost_on", None))
        .values("week", "owner", "currency")
        .annotate(
            n=Count("pk"),
            shared=Count("pk", filter=Exists(SharedLoss.objects.filter(deal=OuterRef("pk")))),
            priced=Count("amount"),
            amount=Sum("amount"),
        )
        .values_list("week", "owner", "currency", "n", "shared", "priced", "amount")
        .order_by()
    ):
        losses.add(week, owner, n, shared)
        if priced:
            amounts[currency].add(week, owner, amount)

    for week, owner, reason, is_outside, n in (
        LostDeal.reasons.through.objects.filter(lostdeal__in=deals)
        .annotate(week=_week("lostdeal__lost_on", None))
        .values("week", "lostdeal__owner", "lossreason", "lossreason__outside_control")
        .annotate(n=Count("pk"))
        .values_list("week", "lostdeal__owner", "lossreason", "lossreason__outside_control", "n")
        .order_by()
    ):
        reasons[reason].add(week, owner, n)
        outside[reason] = is_outside

    for week, owner, recovery_days, n in (
        LostDeal.objects.filter(
            _since_joining(joined, tz, "moved_on_at"),
            moved_on_at__gte=start,
            moved_on_at__lt=stop,
            recovery_days__isnull=False,
        )
        .annotate(week=_week("moved_on_at", tz))
        .values("week", "owner", "recovery_days")
        .annotate(n=Count("pk"))
        .values_list("week", "owner", "recovery_days", "n")
        .order_by()
    ):
        recovered.add(week, owner, n)
        days[week][str(recovery_days)] += n

    figures = {}
    monday = first
    while monday < end:
        week = {
            "mood": mood.stored(monday),
            "losses": losses.stored(monday),
            "amounts": {c: parts.stored(monday) for c, parts in sorted(amounts.items())},
            "reasons": {
                str(r): {**parts.stored(monday), "outside": outside[r]}
                for r, parts in reasons.items()
                if monday in parts.weeks
            },
            "recovery": recovered.stored(monday) and {**recovered.stored(monday), "days": dict(days[monday])},
        }
        week["amounts"] = {c: part for c, part in week["amounts"].items() if part}
        figures[monday] = {key: value for key, value in week.items() if value}
        monday += datetime.timedelta(weeks=1)
    return figures
