"""Reads of the teams app: the feed, one shared loss, notifications.

Whatever is shown of a shared loss goes through `SharedCard`, built from the fields its owner
allowed and nothing else: a template cannot show a note, a feeling or a check-in it never got.
Every list is read in a fixed number of queries, whatever its length.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Func, IntegerField, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from recovery.dates import short_date, short_date_time
from recovery.models import LossReason, Reflection

from .access import newest_visible_shares, visible_share_count, visible_to
from .models import Audience, Comment, Encouragement, Notification, SharedLoss, User


def _count_of(model, condition: str = "") -> Func:
    """A correlated COUNT(*) of `model`'s rows per shared loss, for annotate(). In SQL: built
    through the ORM, the two counts of the feed cost 1.5 ms of Python per page."""
    table = model._meta.db_table
    count = f"SELECT COUNT(*) FROM {table} counted WHERE counted.shared_id = %(expressions)s"  # noqa: S608
    return Func(F("pk"), template=f"({count}{condition})", output_field=IntegerField())


def with_support_counts(shares: QuerySet[SharedLoss]) -> QuerySet[SharedLoss]:
    """Counts of encouragement and of comments the audience can see (hidden ones are not counted)."""
    return shares.annotate(
        encouragement_count=_count_of(Encouragement),
        comment_count=_count_of(Comment, " AND counted.hidden_at IS NULL"),
    )


@dataclass(frozen=True)
class SharedCard:
    """What the audience may see of a shared loss: only what its owner allowed."""

    code: uuid.UUID  # the deal's code, used in the shared loss's address
    title: str
    stage: str
    lost_on: date
    amount: Decimal | None  # None unless the owner chose to show it
    currency: str
    reasons: list[tuple[str, bool]]  # (label, outside the rep's control)
    message: str
    owner_name: str
    is_mine: bool
    team_name: str  # "" when shared with trusted colleagues
    shared_at: datetime
    url: str  # the shared loss's page
    encouragement_count: int = 0
    comment_count: int = 0
    lesson: str = ""  # only if the owner included it

    @property
    def has_support(self) -> bool:
        return bool(self.encouragement_count or self.comment_count)

    @property
    def shown_amount(self) -> bool:
        return self.amount is not None

    @property
    def shared_at_iso(self) -> str:
        """What |date:'c' writes, for <time datetime>, at a fifth of the cost of the filter."""
        return timezone.localtime(self.shared_at).isoformat()

    @property
    def shared_on(self) -> str:
        """What |date:"j M Y" writes."""
        return short_date(timezone.localtime(self.shared_at))

    @property
    def lost_on_display(self) -> str:
        """What |date:"j M Y" writes."""
        return short_date(self.lost_on)


def shared_card(
    shared: SharedLoss,
    *,
    viewer: User,
    lesson: str = "",
    encouragement_count: int | None = None,
    comment_count: int | None = None,
    reasons: list[tuple[str, bool]] | None = None,
) -> SharedCard:
    """The card of a shared loss. Counts default to those annotated by `with_support_counts`,
    reasons to the deal's."""
    deal = shared.deal
    return SharedCard(
        code=deal.code,
        title=shared.title,
        stage=deal.get_stage_display(),
        lost_on=deal.lost_on,
        amount=deal.amount if shared.show_amount else None,
        currency=deal.currency if shared.show_amount else "",
        reasons=(
            [(reason.label, reason.outside_control) for reason in deal.reasons.all()]
            if reasons is None
            else reasons
        ),
        message=shared.message,
        owner_name=deal.owner.name,
        is_mine=deal.owner_id == viewer.pk,
        team_name=shared.team.name if shared.audience == Audience.TEAM else "",
        shared_at=shared.shared_at,
        url=reverse("teams:shared_loss", kwargs={"code": deal.code}),
        encouragement_count=(
            getattr(shared, "encouragement_count", 0) if encouragement_count is None else encouragement_count
        ),
        comment_count=getattr(shared, "comment_count", 0) if comment_count is None else comment_count,
        lesson=lesson if shared.include_lesson else "",
    )


# The feed


class Feed:
    """The cards of the shared losses the user may see, newest first, with their support counts:
    the object list of a Paginator, which reads a page of it in three queries: the count, the
    page, the reasons.
    """

    def __init__(self, user: User):
        self.user = user

    def count(self) -> int:
        return visible_share_count(self.user)

    def __getitem__(self, page: slice) -> list[SharedCard]:
        shares = list(
            with_support_counts(newest_visible_shares(self.user, stop=page.stop)).select_related(
                "deal__owner", "team"
            )[page]
        )
        reasons = _reasons_of([shared.deal_id for shared in shares])
        return [shared_card(shared, viewer=self.user, reasons=reasons[shared.deal_id]) for shared in shares]


def _reasons_of(deal_ids: list[int]) -> dict[int, list[tuple[str, bool]]]:
    """The reasons of each deal, in their order, as (label, outside the rep's control)."""
    reasons = defaultdict(list)
    rows = LossReason.objects.filter(lost_deals__in=deal_ids).values_list(
        "lost_deals", "label", "outside_control"
    )
    for deal_id, label, outside_control in rows:
        reasons[deal_id].append((label, outside_control))
    return reasons


# One shared loss


@dataclass(frozen=True)
class EncouragementButton:
    kind: str
    label: str
    count: int
    given: bool  # by the viewer
    names: list[str] = field(default_factory=list)  # who gave it: filled for the loss's owner only


@dataclass(frozen=True)
class CommentItem:
    """A comment as its page shows it."""

    code: uuid.UUID
    author_id: int | None  # None once its author deleted their account
    author_name: str | None
    body: str
    created_at: datetime
    hidden_at: datetime | None

    @property
    def created_at_iso(self) -> str:
        """What |date:'c' writes, for <time datetime>, at a fifth of the cost of the filter."""
        return timezone.localtime(self.created_at).isoformat()

    @property
    def created_on(self) -> str:
        """What |date:"j M Y, H:i" writes."""
        return short_date_time(self.created_at)


@dataclass(frozen=True)
class SharedLossPage:
    card: SharedCard
    encouragements: list[EncouragementButton]
    comments: list[CommentItem]  # oldest first; hidden ones only for the owner


def encouragement_buttons(shared: SharedLoss, *, viewer: User) -> list[EncouragementButton]:
    """The four kinds in their order, each with its count and whether the viewer gave it.

    The counts come from one aggregate query; the loss's owner also gets, in one more query,
    the names of who encouraged them.
    """
    rows = (
        Encouragement.objects.filter(shared=shared)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"), mine=Count("pk", filter=Q(user=viewer)))
    )
    counts = {row["kind"]: (row["n"], row["mine"] > 0) for row in rows}
    names = defaultdict(list)
    if shared.deal.owner_id == viewer.pk:
        givers = (
            Encouragement.objects.filter(shared=shared)
            .order_by("created_at", "pk")
            .values_list("kind", "user__name")
        )
        for kind, name in givers:
            names[kind].append(name)
    return [
        EncouragementButton(
            kind=kind,
            label=label,
            count=counts.get(kind, (0, False))[0],
            given=counts.get(kind, (0, False))[1],
            names=names[kind],
        )
        for kind, label in Encouragement.Kind.choices
    ]


def comments_for(shared: SharedLoss, *, viewer: User) -> list[CommentItem]:
    """Oldest first. Hidden comments only for the loss's owner, who hid them."""
    comments = Comment.objects.filter(shared=shared).order_by("created_at", "pk")
    if shared.deal.owner_id != viewer.pk:
        comments = comments.filter(hidden_at__isnull=True)
    fields = ("code", "author_id", "author__name", "body", "created_at", "hidden_at")
    return [CommentItem(*row) for row in comments.values_list(*fields)]


def shared_lesson(shared: SharedLoss) -> str:
    """The lesson from the reflection, read alone and only if the owner chose to include it."""
    if not shared.include_lesson:
        return ""
    return Reflection.objects.filter(deal_id=shared.deal_id).values_list("lesson", flat=True).first() or ""


def shared_loss_page(shared: SharedLoss, *, viewer: User) -> SharedLossPage:
    """Everything on a shared loss's page, for a viewer already allowed to see it
    (teams.access.get_shared_loss_for_viewer). A fixed number of queries: the reasons, the
    encouragement counts, the comments, and the lesson or the givers' names where they apply.
    """
    comments = comments_for(shared, viewer=viewer)
    encouragements = encouragement_buttons(shared, viewer=viewer)
    card = shared_card(
        shared,
        viewer=viewer,
        lesson=shared_lesson(shared),
        encouragement_count=sum(button.count for button in encouragements),
        comment_count=sum(1 for comment in comments if comment.hidden_at is None),
    )
    return SharedLossPage(card=card, encouragements=encouragements, comments=comments)


def encouragement_count(shared: SharedLoss, kind: str) -> int:
    return Encouragement.objects.filter(shared=shared, kind=kind).count()


# Notifications


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first, about shared losses they can still see.

    Someone who left a team does not see even the title of a loss shared with it.
    """
    return (
        Notification.objects.filter(visible_to(user, "shared"), recipient=user)
        .select_related("actor", "shared__deal", "shared__team")
        .order_by("-created_at", "-pk")
    )


def unread_notification_count(user: User) -> int:
    """Unread notifications about losses the user can still see (what the header should count)."""
    unread = Notification.objects.filter(visible_to(user, "shared"), recipient=user, read_at__isnull=True)
    return unread.count()
