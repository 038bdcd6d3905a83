"""Reads of the recovery app. A loss and everything under it is its owner's alone."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Greatest, Least, TruncDate, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from teams.models import User

from .aggregates import Median
from .models import CheckIn, LossReason, LostDeal, Reflection

LOSS_ORDERINGS = {
    "newest": ["-lost_on", "-created_at"],
    "oldest": ["lost_on", "created_at"],
    "name": ["name", "-lost_on"],
    "amount": [F("amount").desc(nulls_last=True), "-lost_on"],
}


def get_own_loss(*, user: User, code) -> LostDeal:
    """The user's own loss, or 404: another person's loss looks exactly like a missing one.

    Its share (if any) comes in the same query, with what the audience line reads of it: its
    team and the deal's owner."""
    return get_object_or_404(
        LostDeal.objects.select_related("owner", "reflection", "share__team").prefetch_related(
            Prefetch("reasons", queryset=LossReason.objects.all())
        ),
        owner=user,
        code=code,
    )


def get_own_check_in(*, user: User, code) -> CheckIn:
    return get_object_or_404(CheckIn.objects.select_related("deal"), deal__owner=user, code=code)


def own_losses(
    *,
    user: User,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    reason: LossReason | None = None,
    stage: str = "",
    moved_on: bool | None = None,
    finished: bool | None = None,
    order: str = "newest",
) -> QuerySet[LostDeal]:
    losses = LostDeal.objects.filter(owner=user)
    if date_from:
        losses = losses.filter(lost_on__gte=date_from)
    if date_to:
        losses = losses.filter(lost_on__lte=date_to)
    if reason:
        losses = losses.filter(reasons=reason)
    if stage:
        losses = losses.filter(stage=stage)
    if moved_on is not None:
        losses = losses.filter(moved_on_at__isnull=not moved_on)
    if finished is not None:
        losses = losses.filter(reflection__finished_at__isnull=not finished)
    return (
        losses.select_related("reflection")
        .prefetch_related(Prefetch("reasons", queryset=LossReason.objects.all()))
        .order_by(*LOSS_ORDERINGS.get(order, LOSS_ORDERINGS["newest"]))
    )


def due_check_ins(*, user: User) -> QuerySet[CheckIn]:
    """Prompts due by today on losses the rep has not yet moved on from."""
    return (
        CheckIn.objects.filter(
            deal__owner=user,
            deal__moved_on_at__isnull=True,
            due_on__lte=timezone.localdate(),
            answered_at__isnull=True,
            dismissed_at__isnull=True,
        )
        .select_related("deal")
        .order_by("due_on", "deal__name")
    )


def due_check_ins_shown(*, user: User, limit: int) -> tuple[list[CheckIn], int]:
    """The first `limit` due check-ins (with their deal's code, name and date) and how many are due.

    One query: the total is a window count over every due row, computed before the LIMIT, so
    only the rows shown leave the database.
    """
    shown = list(
        due_check_ins(user=user)
        .only("code", "due_on", "deal__code", "deal__name", "deal__lost_on")
        .annotate(due_total=Window(Count("pk")))[:limit]
    )
    return shown, (shown[0].due_total if shown else 0)


def unfinished_reflections(*, user: User) -> QuerySet[LostDeal]:
    """Losses still waiting for their reflection to be finished, newest first."""
    return (
        LostDeal.objects.filter(owner=user, reflection__finished_at__isnull=True, moved_on_at__isnull=True)
        .select_related("reflection")
        .order_by("-lost_on", "-created_at")
    )


# ---------------------------------------------------------------------------
# My recovery and My data: the rep's own figures, every one computed in the database.
# ---------------------------------------------------------------------------

# Mood scores grouped by whole days since the loss (the date of the score in the site's
# time zone minus the date lost): (key, label, first day, last day or None for "and after").
MOOD_BUCKETS = [
    ("same_day", "Same day", 0, 0),
    ("day_1", "Day 1", 1, 2),
    ("day_3", "Day 3", 3, 6),
    ("day_7", "Day 7", 7, 13),
    ("later", "Later", 14, None),
]
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class MonthCount:
    month: datetime.date  # the first day of the month
    count: int


@dataclass(frozen=True)
class ReasonCount:
    label: str
    outside_control: bool
    count: int


@dataclass(frozen=True)
class MoodBucket:
    key: str
    label: str
    first_day: int
    last_day: int | None
    count: int
    mean: float | None  # None when no score fell in this bucket

    @property
    def days(self) -> str:
        if self.last_day is None:
            return f"{self.first_day} days or more"
        if self.first_day == self.last_day:
            return "the day of the loss" if self.first_day == 0 else f"day {self.first_day}"
        return f"days {self.first_day} to {self.last_day}"


@dataclass(frozen=True)
class RecoveryFigures:
    losses: int
    months: list[MonthCount]
    reasons: list[ReasonCount]
    recovered: int  # losses marked "moved on", which the median is based on
    median_recovery_days: float | None
    mood_curve: list[MoodBucket]

    @property
    def losses_in_months(self) -> int:
        return sum(m.count for m in self.months)

    @property
    def reason_picks(self) -> int:
        return sum(r.count for r in self.reasons)

    @property
    def reason_picks_outside(self) -> int:
        return sum(r.count for r in self.reasons if r.outside_control)

    @property
    def outside_percent(self) -> int | None:
        total = self.reason_picks
        return round(100 * self.reason_picks_outside / total) if total else None

    @property
    def mood_scores(self) -> int:
        return sum(b.count for b in self.mood_curve)


def _month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the `count` months ending with today's, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def losses_per_month(*, user: User, today: datetime.date | None = None) -> list[MonthCount]:
    """Losses by the month they were lost in, the last twelve months, months with none as 0."""
    months = _month_starts(today or timezone.localdate(), MONTHS_SHOWN)
    rows = (
        LostDeal.objects.filter(owner=user, lost_on__gte=months[0])
        .annotate(month=TruncMonth("lost_on"))
        .values("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
        .order_by()
    )
    counts = dict(rows)
    return [MonthCount(month=m, count=counts.get(m, 0)) for m in months]


def reason_counts(*, user: User) -> list[ReasonCount]:
    """How often the user picked each reason (one per loss and reason), most picked first."""
    rows = (
        LossReason.objects.filter(lost_deals__owner=user)
        .annotate(n=Count("lost_deals"))
        .order_by("-n", "position", "label")
        .values_list("label", "outside_control", "n")
    )
    return [ReasonCount(label=label, outside_control=outside, count=n) for label, outside, n in rows]


class DaysBetween(Func):
    """Whole days from the second date to the first, as an integer (`a - b` of two dates)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


# The mood buckets' days run from 0 to the first day of the last one ("and after"): a day
# since the loss is clamped to that range in the database, so at most that many groups.
_LAST_BUCKET_DAY = MOOD_BUCKETS[-1][2]
_BUCKET_OF_DAY = {
    day: i
    for i, (_key, _label, first, last) in enumerate(MOOD_BUCKETS)
    for day in range(first, (last if last is not None else first) + 1)
}


def _mood_sums(queryset, *, scored_at: str, lost_on: str) -> dict[int, tuple[int, int]]:
    """{bucket number: (sum of moods, number of moods)} for the scores in `queryset`.

    The day of a score is its date in the site's time zone minus the date lost; a score from
    before the loss counts as the same day, and every day from the last bucket's first is one.
    """
    days = Greatest(Least(DaysBetween(TruncDate(scored_at), F(lost_on)), Value(_LAST_BUCKET_DAY)), Value(0))
    rows = (
        queryset.annotate(days=days)
        .values("days")
        .annotate(total=Sum("mood"), n=Count("mood"))
        .values_list("days", "total", "n")
        .order_by()
    )
    sums = {}
    for day, total, n in rows:
        bucket = _BUCKET_OF_DAY[day]
        previous_total, previous_n = sums.get(bucket, (0, 0))
        sums[bucket] = (previous_total + total, previous_n + n)
    return sums


def mood_curve(*, user: User) -> list[MoodBucket]:
    """The recovery curve: mean mood by days since the loss.

    The scores are the reflection's "how you feel right now" (dated when it was set) and
    every answered check-in, prompted or not (dated when it was answered).
    """
    first = _mood_sums(
        Reflection.objects.filter(deal__owner=user, mood__isnull=False, mood_at__isnull=False),
        scored_at="mood_at",
        lost_on="deal__lost_on",
    )
    later = _mood_sums(
        CheckIn.objects.filter(deal__owner=user, answered_at__isnull=False, mood__isnull=False),
        scored_at="answered_at",
        lost_on="deal__lost_on",
    )
    buckets = []
    for i, (key, label, first_day, last_day) in enumerate(MOOD_BUCKETS):
        total = first.get(i, (0, 0))[0] + later.get(i, (0, 0))[0]
        n = first.get(i, (0, 0))[1] + later.get(i, (0, 0))[1]
        buckets.append(
            MoodBucket(
                key=key,
                label=label,
                first_day=first_day,
                last_day=last_day,
                count=n,
                mean=round(total / n, 1) if n else None,
            )
        )
    return buckets


def recovery_figures(*, user: User, today: datetime.date | None = None) -> RecoveryFigures:
    """Everything on My recovery but the lessons, in five queries whatever the data size."""
    totals = LostDeal.objects.filter(owner=user).aggregate(
        losses=Count("id"),
        # Only losses marked "moved on" have recovery days; both Count and Median skip NULLs.
        recovered=Count("recovery_days"),
        median=Median("recovery_days"),
    )
    return RecoveryFigures(
        losses=totals["losses"],
        months=losses_per_month(user=user, today=today),
        reasons=reason_counts(user=user),
        recovered=totals["recovered"],
        median_recovery_days=totals["median"],
        mood_curve=mood_curve(user=user),
    )


def own_lessons(*, user: User) -> QuerySet[Reflection]:
    """The lessons the user wrote down, newest loss first, each with its deal."""
    return (
        Reflection.objects.filter(deal__owner=user)
        .exclude(lesson="")
        .select_related("deal")
        .only("lesson", "deal__code", "deal__name", "deal__lost_on")
        .order_by("-deal__lost_on", "-deal__created_at", "-pk")
    )


def export_losses(*, user: User) -> QuerySet[LostDeal]:
    """All the user's losses, oldest first, with reasons, reflection (and the colleagues picked in
    it) and check-ins: 4 queries."""
    return (
        LostDeal.objects.filter(owner=user)
        .select_related("reflection")
        .prefetch_related(
            Prefetch("reasons", queryset=LossReason.objects.order_by("position", "label")),
            Prefetch("reflection__people", queryset=User.objects.order_by("name", "pk").only("name")),
            Prefetch("check_ins", queryset=CheckIn.objects.order_by(F("due_on").asc(nulls_last=True), "pk")),
        )
        .order_by("lost_on", "created_at", "pk")
    )


def own_data_counts(*, user: User) -> dict[str, int]:
    """How much the export holds: the number of losses and of answered check-ins."""
    return LostDeal.objects.filter(owner=user).aggregate(
        losses=Count("id", distinct=True),
        check_ins=Count("check_ins", filter=Q(check_ins__answered_at__isnull=False), distinct=True),
    )


def oldest_ready_task_wait() -> datetime.timedelta | None:
    """How long the task that has waited longest to run has waited, or None if none waits.

    A task is ready from its enqueueing, or from its `run_after` when deferred (a retry waits for its
    time, and isn't late before then). One query.
    """
    ready_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    oldest = (
        DBTaskResult.objects.ready()
        .annotate(ready_since=ready_since)
        .order_by("ready_since")
        .values_list("ready_since", flat=True)
        .first()
    )
    return timezone.now() - oldest if oldest else None
