"""Writes of the teams app: each function is one transaction; emails leave after it commits."""

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from recovery.models import LostDeal

from . import emails, morale_weeks
from .access import audience_of, team_ids_of, teammates
from .models import (
    Audience,
    Comment,
    Encouragement,
    Invitation,
    Membership,
    Notification,
    NotificationEmail,
    Role,
    SharedLoss,
    Team,
    TrustedColleague,
    User,
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Teams and memberships


@transaction.atomic
def team_create(*, creator: User, name: str) -> Team:
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=creator, role=Role.MANAGER)
    return team


def _keep_a_manager(membership: Membership) -> None:
    """A team always keeps at least one manager."""
    if membership.role != Role.MANAGER:
        return
    others = (
        Membership.objects.select_for_update()
        .filter(team=membership.team, role=Role.MANAGER)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ValidationError(
            f"{membership.team.name} needs at least one manager: make someone else a manager first."
        )


def _end_membership(membership: Membership) -> None:
    _keep_a_manager(membership)
    # The closed weeks they counted in keep what they showed (teams.morale_weeks).
    morale_weeks.freeze_closed_weeks(membership.team)
    # What they shared with this team leaves its feed with them.
    SharedLoss.objects.filter(team=membership.team, deal__owner=membership.user).delete()
    membership.delete()


@transaction.atomic
def membership_leave(*, membership: Membership) -> None:
    _end_membership(membership)


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    _end_membership(membership)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role == Role.MEMBER:
        _keep_a_manager(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


# Invitations


@transaction.atomic
def invitation_create(*, team: Team, invited_by: User, email: str) -> tuple[Invitation, str]:
    """Invite someone by email. Returns the invitation and its token (only ever in the email)."""
    email = email.strip().lower()
    if Membership.objects.filter(team=team, user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already in {team.name}.")
    # A new invitation replaces any still open for the same address.
    Invitation.objects.filter(team=team, email__iexact=email, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        invited_by=invited_by,
        token_hash=hash_token(token),
        expires_at=timezone.now() + Invitation.VALID_FOR,
    )
    emails.send_invitation(invitation, token)  # queued: sent after this commits, never without it
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    invitation.delete()


@transaction.atomic
def invitations_delete_expired(*, expired_before: datetime.datetime) -> int:
    """Delete the invitations never accepted that expired before that moment; returns how many.

    Accepted ones stay: they say who invited whom. One DELETE by query, safe to repeat at once.
    """
    deleted, _ = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=expired_before).delete()
    return deleted


def _verified_emails(user: User) -> set[str]:
    return {
        e.lower()
        for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    }


def _join(invitation: Invitation, user: User) -> Membership:
    """The one place a Membership is made from an invitation."""
    membership, _ = Membership.objects.get_or_create(team=invitation.team, user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _answerable(invitation: Invitation, user: User) -> Invitation:
    """The invitation, locked, if it is open and addressed to one of the user's verified emails."""
    invitation = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    if invitation.declined_at is not None:
        raise ValidationError("You've declined this invitation. Ask your manager for a new one.")
    if invitation.is_expired:
        raise ValidationError("This invitation has expired. Ask your manager for a new one.")
    if invitation.email.lower() not in _verified_emails(user):
        raise ValidationError(
            f"This invitation was sent to {invitation.email}. Sign in with that address (or add and "
            "verify it on your Email page) to answer it."
        )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the team: the invitation must be open and addressed to one of the user's verified emails.

    Verifying an email address never does this by itself: the person says yes.
    """
    return _join(_answerable(invitation, user), user)


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User) -> Invitation:
    """Say no: the invitation is closed, and leaves the person's and the managers' lists."""
    invitation = _answerable(invitation, user)
    invitation.declined_at = timezone.now()
    invitation.save(update_fields=["declined_at"])
    return invitation


# Trusted colleagues


@transaction.atomic
def trusted_colleagues_set(*, owner: User, colleagues: Iterable[User]) -> None:
    """Replace the owner's list. Only teammates can be on it."""
    wanted = {c.pk for c in colleagues}
    allowed = set(teammates(owner).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - allowed:
        raise ValidationError("You can only trust colleagues from your teams.")
    TrustedColleague.objects.filter(owner=owner).exclude(colleague__in=wanted).delete()
    existing = set(TrustedColleague.objects.filter(owner=owner).values_list("colleague_id", flat=True))
    TrustedColleague.objects.bulk_create(
        TrustedColleague(owner=owner, colleague_id=pk) for pk in wanted - existing
    )


# Notifying

# How long a notification about the same event waits before it may reach the same person again.
NOTIFY_AGAIN_AFTER = datetime.timedelta(days=1)


def _notify(
    *, recipients: Iterable[User], kind: str, actor: User, shared: SharedLoss, encouragement: str = ""
) -> None:
    """Tell each recipient in the app, and by email where they allow it, without repeating an event.

    Each comment is news of its own: always told. A loss shared with someone, or one kind of
    encouragement from one colleague on a loss, is emailed at most once a day, however often it
    is toggled or unshared and shared again (NotificationEmail holds the last one). In the app, a
    colleague's encouragement on a loss is listed once a day, whatever its kind (the list doesn't
    name it); a loss shared again has one notification, its new share's (the old one went with
    the old share).
    """
    recipients = [r for r in recipients if r.pk != actor.pk]
    if kind == Notification.Kind.ENCOURAGEMENT:
        listed = set(
            Notification.objects.filter(
                kind=kind,
                actor=actor,
                shared=shared,
                recipient__in=recipients,
                created_at__gt=timezone.now() - NOTIFY_AGAIN_AFTER,
            ).values_list("recipient_id", flat=True)
        )
        in_app = [r for r in recipients if r.pk not in listed]
    else:
        in_app = recipients
    Notification.objects.bulk_create(
        Notification(recipient=r, kind=kind, actor=actor, shared=shared) for r in in_app
    )
    to_email = [r for r in recipients if r.email_notifications]
    if kind != Notification.Kind.COMMENT:
        to_email = _not_emailed_in_a_day(
            to_email, kind=kind, encouragement=encouragement, deal=shared.deal, actor=actor
        )
    # Queued with the write; the worker sends them, and retries while the mail server is away.
    emails.send_notifications(to_email, kind=kind, actor=actor, shared=shared, encouragement=encouragement)


def _not_emailed_in_a_day(
    recipients: list[User], *, kind: str, encouragement: str, deal: LostDeal, actor: User
) -> list[User]:
    """Those of `recipients` not emailed about this event in the past day, recorded as emailed now.

    Two or three queries, however many recipients. The same event can't be notified twice at once
    (its encouragement or share is one row, written one transaction after the other), so reading
    then writing is enough; the unique constraint makes any overlap a skipped row, not an error.
    """
    if not recipients:
        return []
    now = timezone.now()
    records = NotificationEmail.objects.filter(
        kind=kind, encouragement=encouragement, deal=deal, actor=actor, recipient__in=recipients
    )
    last_sent = dict(records.values_list("recipient_id", "sent_at"))
    due = [r for r in recipients if r.pk not in last_sent or last_sent[r.pk] <= now - NOTIFY_AGAIN_AFTER]
    if again := [r for r in due if r.pk in last_sent]:
        records.filter(recipient__in=again).update(sent_at=now)
    NotificationEmail.objects.bulk_create(
        (
            NotificationEmail(
                recipient=r, kind=kind, encouragement=encouragement, deal=deal, actor=actor, sent_at=now
            )
            for r in due
            if r.pk not in last_sent
        ),
        ignore_conflicts=True,
    )
    return due


@transaction.atomic
def notification_emails_delete_old(*, sent_before: datetime.datetime) -> int:
    """Delete the records of notification emails sent before that moment; returns how many.

    A record older than NOTIFY_AGAIN_AFTER holds nothing back any more.
    """
    deleted, _ = NotificationEmail.objects.filter(sent_at__lt=sent_before).delete()
    return deleted


# Sharing (tip 4)


@transaction.atomic
def loss_share(
    *,
    deal: LostDeal,
    audience: str,
    team: Team | None,
    message: str,
    show_name: bool,
    show_amount: bool,
    include_lesson: bool,
) -> SharedLoss:
    """Share a loss with one of the owner's teams or with their trusted colleagues."""
    if audience == Audience.TEAM:
        if team is None or not Membership.objects.filter(team=team, user=deal.owner).exists():
            raise ValidationError("You can only share with a team you are in.")
    else:
        team = None
    already_shared = ValidationError(
        "This loss is already shared. Stop sharing it first to share it differently."
    )
    if SharedLoss.objects.filter(deal=deal).exists():
        raise already_shared
    try:
        with transaction.atomic():
            shared = SharedLoss.objects.create(
                deal=deal,
                audience=audience,
                team=team,
                message=message,
                show_name=show_name,
                show_amount=show_amount,
                include_lesson=include_lesson,
            )
    except IntegrityError:
        raise already_shared from None  # The same share arrived twice at once (a double click).
    _notify(recipients=audience_of(shared), kind=Notification.Kind.SHARED, actor=deal.owner, shared=shared)
    return shared


@transaction.atomic
def loss_unshare(*, shared: SharedLoss) -> None:
    """Takes the loss out of every feed at once, with its comments and encouragement."""
    shared.delete()


# Encouragement and comments


@transaction.atomic
def encouragement_toggle(*, shared: SharedLoss, user: User, kind: str) -> bool:
    """Give or take back one kind of encouragement. Returns whether it is now given."""
    if kind not in Encouragement.Kind.values:
        raise ValidationError("That kind of encouragement doesn't exist.")
    if shared.deal.owner_id == user.pk:
        raise ValidationError("Encouragement is for your colleagues to give.")
    deleted, _ = Encouragement.objects.filter(shared=shared, user=user, kind=kind).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Encouragement.objects.create(shared=shared, user=user, kind=kind)
    except IntegrityError:
        return True  # The same click arrived twice at once: it is given.
    _notify(
        recipients=[shared.deal.owner],
        kind=Notification.Kind.ENCOURAGEMENT,
        actor=user,
        shared=shared,
        encouragement=kind,
    )
    return True


@transaction.atomic
def comment_create(*, shared: SharedLoss, author: User, body: str) -> Comment:
    comment = Comment.objects.create(shared=shared, author=author, body=body)
    _notify(recipients=[shared.deal.owner], kind=Notification.Kind.COMMENT, actor=author, shared=shared)
    return comment


@transaction.atomic
def comment_set_hidden(*, comment: Comment, hidden: bool) -> Comment:
    """The loss's owner hides (or shows again) a comment on it."""
    comment.hidden_at = timezone.now() if hidden else None
    comment.save(update_fields=["hidden_at"])
    return comment


# Notifications


@transaction.atomic
def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def user_update_profile(
    *, user: User, name: str, email_notifications: bool, check_in_reminders: bool
) -> User:
    user.name = name
    user.email_notifications = email_notifications
    user.check_in_reminders = check_in_reminders
    user.save(update_fields=["name", "email_notifications", "check_in_reminders"])
    return user


def user_stop_check_in_reminders(*, user: User) -> User:
    """The unsubscribe link's POST: no more check-in reminder emails (turned on again on the profile)."""
    user.check_in_reminders = False
    user.save(update_fields=["check_in_reminders"])
    return user


# Deleting an account (DESIGN.md "My data")


@dataclass(frozen=True)
class TeamAfterDeletion:
    """What deleting an account does to one of its teams."""

    team: Team
    # They were its only member: the team goes too.
    deleted: bool = False
    # They were its last manager: its longest-standing member becomes one.
    new_manager: Membership | None = None


@dataclass(frozen=True)
class AccountDeletion:
    """What deleting an account will do, said on the page before it is done."""

    losses: int
    kept_comments: int
    teams: list[TeamAfterDeletion]


def _teams_after_deletion(user: User) -> list[TeamAfterDeletion]:
    teams = list(Team.objects.filter(pk__in=team_ids_of(user)).order_by("name", "pk"))
    others = Membership.objects.filter(team__in=[team.pk for team in teams]).exclude(user=user)
    counts = {
        row["team_id"]: row
        for row in others.values("team_id").annotate(
            members=Count("pk"), managers=Count("pk", filter=Q(role=Role.MANAGER))
        )
    }
    managerless = [pk for pk, row in counts.items() if row["managers"] == 0]
    successors: dict[int, Membership] = {}
    if managerless:
        # One query for every team that needs a manager: the first member of each, by seniority.
        for membership in (
            others.filter(team__in=managerless).select_related("user").order_by("team_id", "joined_at", "pk")
        ):
            successors.setdefault(membership.team_id, membership)
    return [
        TeamAfterDeletion(team=team, deleted=team.pk not in counts, new_manager=successors.get(team.pk))
        for team in teams
    ]


def user_delete_preview(*, user: User) -> AccountDeletion:
    """What user_delete would do now: shown on the confirmation page, done by user_delete."""
    return AccountDeletion(
        losses=LostDeal.objects.filter(owner=user).count(),
        kept_comments=Comment.objects.filter(author=user).exclude(shared__deal__owner=user).count(),
        teams=_teams_after_deletion(user),
    )


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete an account and everything that is the person's own, all in one transaction.

    Gone, by cascade from the user: their losses with reflections and check-ins, their shares with
    the comments and encouragement on them, their imports, webhooks and notifications, trusted
    lists in both directions, the encouragement they gave, their memberships, email addresses and
    two-factor keys. Kept: their comments on colleagues' losses, signed "a former member"
    (Comment.author is SET_NULL), since they are part of someone else's conversation.
    Every team keeps a manager: if they were its last one, its longest-standing member becomes
    one. A team left with nobody in it is deleted.
    """
    # Lock the memberships of their teams: a manager stepping down (services._keep_a_manager) or a
    # teammate deleting their own account at the same moment waits, then sees what changed here.
    list(
        Membership.objects.select_for_update()
        .filter(team__in=team_ids_of(user))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for outcome in _teams_after_deletion(user):
        if outcome.deleted:
            outcome.team.delete()
            continue
        # The closed weeks they counted in keep what they showed (teams.morale_weeks).
        morale_weeks.freeze_closed_weeks(outcome.team)
        if outcome.new_manager is not None:
            Membership.objects.filter(pk=outcome.new_manager.pk).update(role=Role.MANAGER)
    User.objects.filter(pk=user.pk).delete()
