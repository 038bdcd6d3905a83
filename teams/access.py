"""Who may see what: the one place that decides it.

A private loss is its owner's alone (recovery.selectors.get_own_loss). A shared loss is seen by
its owner and its audience: the team's current members, or the owner's trusted colleagues who
still share a team with them. Managers get nothing extra. Whatever a person may not see looks
exactly like something that does not exist: 404.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Audience, Comment, Membership, Role, SharedLoss, Team, TrustedColleague, User

SHARED_PARTS = "They see what you chose to share, never your feelings, notes or check-ins."


def team_ids_of(user: User) -> QuerySet:
    """The ids of the user's teams, as a subquery."""
    return Membership.objects.filter(user=user).values("team_id")


def teammates(user: User) -> QuerySet[User]:
    """Everyone who shares at least one team with the user, the user excluded."""
    return (
        User.objects.filter(
            Exists(Membership.objects.filter(user=OuterRef("pk"), team__in=team_ids_of(user)))
        )
        .exclude(pk=user.pk)
        .order_by("name", "email")
    )


def visible_shares(user: User) -> QuerySet[SharedLoss]:
    """The shared losses the user may see: their own, and those whose audience they are in."""
    my_teams = team_ids_of(user)
    trusted_by_owner = Exists(TrustedColleague.objects.filter(owner=OuterRef("deal__owner"), colleague=user))
    still_teammates = Exists(Membership.objects.filter(user=OuterRef("deal__owner"), team__in=my_teams))
    return SharedLoss.objects.filter(
        Q(deal__owner=user)
        | Q(audience=Audience.TEAM, team__in=my_teams)
        | (Q(audience=Audience.TRUSTED) & trusted_by_owner & still_teammates)
    )


def get_shared_loss_for_viewer(user: User, code) -> SharedLoss:
    """A shared loss by its deal's code, if the user may see it; 404 otherwise."""
    return get_object_or_404(
        visible_shares(user).select_related("deal__owner", "team"),
        deal__code=code,
    )


def get_comment_for_loss_owner(user: User, code) -> Comment:
    """A comment on one of the user's own shared losses (only its owner may hide it); 404 otherwise."""
    return get_object_or_404(
        Comment.objects.select_related("shared__deal"), code=code, shared__deal__owner=user
    )


def audience_of(shared: SharedLoss) -> QuerySet[User]:
    """The people who can see a shared loss, its owner excluded."""
    owner = shared.deal.owner
    if shared.audience == Audience.TEAM:
        people = User.objects.filter(memberships__team=shared.team)
    else:
        people = User.objects.filter(
            Exists(TrustedColleague.objects.filter(owner=owner, colleague=OuterRef("pk"))),
            Exists(Membership.objects.filter(user=OuterRef("pk"), team__in=team_ids_of(owner))),
        )
    return people.exclude(pk=owner.pk).order_by("name", "email")


def get_team_for_member(user: User, code) -> Team:
    return get_object_or_404(Team.objects.filter(memberships__user=user), code=code)


def get_team_for_manager(user: User, code) -> Team:
    """Only a team's managers may manage it; to anyone else it does not exist."""
    return get_object_or_404(
        Team.objects.filter(memberships__user=user, memberships__role=Role.MANAGER), code=code
    )


def get_membership_for_manager(user: User, team_code, membership_code) -> Membership:
    """A membership of a team the user manages; 404 for anyone else."""
    return get_object_or_404(
        Membership.objects.select_related("user", "team"),
        code=membership_code,
        team=get_team_for_manager(user, team_code),
    )


def audience_line(deal) -> str:
    """Who can see a loss, in one line (privacy rule 4)."""
    shared = SharedLoss.objects.filter(deal=deal).select_related("team", "deal__owner").first()
    if shared is None:
        return "Only you can see this loss."
    if shared.audience == Audience.TEAM:
        others = audience_of(shared).count()
        people = "person" if others == 1 else "people"
        return f"Shared with everyone in {shared.team.name} ({others} other {people}). {SHARED_PARTS}"
    names = [person.name for person in audience_of(shared)]
    if not names:
        return "Shared with your trusted colleagues, but none of them is in your teams now: only you see it."
    return f"Shared with your trusted colleagues: {', '.join(names)}. {SHARED_PARTS}"
