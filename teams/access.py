"""Who may see what: the one place that decides it.

A private loss is its owner's alone (recovery.selectors.get_own_loss). A shared loss is seen by
its owner and its audience: the team's current members, or the owner's trusted colleagues who
still share a team with them. Managers get nothing extra. Whatever a person may not see looks
exactly like something that does not exist: 404.
"""

from allauth.account.models import EmailAddress
from django.core import signing
from django.db import connections, router
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import Lookup
from django.shortcuts import get_object_or_404

from .models import Audience, Comment, Invitation, Membership, Role, SharedLoss, Team, User

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


# Who may see a shared loss, in SQL. The rule reads as the module's docstring says: its owner;
# the current members of the team it is shared with; the colleagues its owner trusts who still
# share a team with the owner. It is written as SQL because it runs on every page (the header's
# unread count) and twice more on the feed: built through the ORM, its nested subqueries cost
# several milliseconds of Python per request, more than PostgreSQL takes to run them.
# Every %s is the id of the person looking (`_me`); `s` is a share. Only these
# constants are ever put into the SQL (noqa: S608); values go in as parameters.

_MY_TEAMS = "SELECT my.team_id FROM teams_membership my WHERE my.user_id = %s"

# People who trust me and share one of my teams (never me: one cannot trust oneself).
_MY_TEAMMATES = f"SELECT mate.user_id FROM teams_membership mate WHERE mate.team_id IN ({_MY_TEAMS})"  # noqa: S608
_TRUSTING_TEAMMATES = (
    "SELECT tc.owner_id FROM teams_trustedcolleague tc WHERE tc.colleague_id = %s AND tc.owner_id <> %s"  # noqa: S608
    f" AND tc.owner_id IN ({_MY_TEAMMATES})"
)

# On a share, with its `{owner}` (its deal's), `{audience}` and `{team}` columns.
_TEAM, _TRUSTED = f"'{Audience.TEAM.value}'", f"'{Audience.TRUSTED.value}'"
_MAY_SEE = (
    "{owner} = %s"
    f" OR ({{audience}} = {_TEAM} AND {{team}} IN ({_MY_TEAMS}))"
    f" OR ({{audience}} = {_TRUSTED} AND {{owner}} IN ({_TRUSTING_TEAMMATES}))"
)


def _me(user_id: int, sql: str) -> list[int]:
    """The parameters of `sql`: the user's id for each %s."""
    return [user_id] * sql.count("%s")


class _VisibleTo(Lookup):
    """The share whose owner is `lhs`, with its `audience` and `team`, is one the user whose id
    is `rhs` may see: checked on the share's own columns, row by row, for a share or a few."""

    lookup_name = "visible_to"

    def __init__(self, owner, audience, team, user_id: int):
        super().__init__(owner, user_id)
        self.audience, self.team, self.user_id = audience, team, user_id

    def get_source_expressions(self):
        return [self.lhs, self.audience, self.team]

    def set_source_expressions(self, exprs):
        self.lhs, self.audience, self.team = exprs

    def resolve_expression(self, *args, **kwargs):
        resolved = super().resolve_expression(*args, **kwargs)
        resolved.audience = self.audience.resolve_expression(*args, **kwargs)
        resolved.team = self.team.resolve_expression(*args, **kwargs)
        return resolved

    def as_sql(self, compiler, connection):
        columns = {}
        for name, column in (("owner", self.lhs), ("audience", self.audience), ("team", self.team)):
            columns[name], params = compiler.compile(column)
            assert not params, "a column has no parameters"
        return f"({_MAY_SEE.format(**columns)})", _me(self.user_id, _MAY_SEE)


_A_SHARE_I_MAY_SEE = _MAY_SEE.format(owner="d.owner_id", audience="s.audience", team="s.team_id")


class _PointsToVisibleShare(Lookup):
    """`lhs`, the id of a share, is one the user whose id is `rhs` may see: an EXISTS on the
    share and its deal, row by row, for what points to a share (my notifications)."""

    lookup_name = "points_to_visible_share"

    def __init__(self, share_id, user_id: int):
        super().__init__(share_id, user_id)
        self.user_id = user_id

    def as_sql(self, compiler, connection):
        share_sql, params = self.process_lhs(compiler, connection)
        sql = (
            "EXISTS (SELECT 1 FROM teams_sharedloss s INNER JOIN recovery_lostdeal d ON d.id = s.deal_id"  # noqa: S608
            f" WHERE s.id = {share_sql} AND ({_A_SHARE_I_MAY_SEE}))"
        )
        return sql, (*params, *_me(self.user_id, _A_SHARE_I_MAY_SEE))


def visible_to(user: User, share: str = "") -> Lookup:
    """A filter: the shared loss at `share` ("" on a share, "shared" on what points to one) is
    one the user may see. To list all the shares they may see, see `newest_visible_shares`.

    On a share, the rule reads the share's own columns (an EXISTS would cost PostgreSQL a
    millisecond more to plan); on what points to one, an EXISTS on the share's id (joining the
    share and its deal costs more Python to build, on every page: the header's unread count)."""
    if share:
        return _PointsToVisibleShare(F(f"{share}_id"), user.pk)
    return _VisibleTo(F("deal__owner_id"), F("audience"), F("team_id"), user.pk)


def visible_shares(user: User) -> QuerySet[SharedLoss]:
    """The shared losses the user may see: their own, and those whose audience they are in."""
    return SharedLoss.objects.filter(visible_to(user))


# The same rule, to list the shares: three disjoint parts, each read through an index. (In one
# WHERE clause, the OR of the three makes PostgreSQL read every share in the database.)

_MY_DEALS = "SELECT mine.id FROM recovery_lostdeal mine WHERE mine.owner_id = %s"
_TRUSTING_DEALS = (
    f"SELECT theirs.id FROM recovery_lostdeal theirs WHERE theirs.owner_id IN ({_TRUSTING_TEAMMATES})"  # noqa: S608
)
_WITH_MY_TEAMS = f"s.audience = {_TEAM} AND s.team_id IN ({_MY_TEAMS})"


def _visible_share_parts() -> list[str]:
    """SELECTs of the id and shared_at of the shares that `_me` may see, in three disjoint parts."""
    # PostgreSQL hash-joins `deal_id IN (a person's deals)` with a read of every share; with
    # `= ANY(ARRAY(...))` it reads their deals once, then looks each up in the index on deal_id.
    is_one_of = "= ANY(ARRAY({}))" if _connection().vendor == "postgresql" else "IN ({})"
    return [
        # Shared with one of my teams (mine among them): the index on team and shared_at.
        f"SELECT s.id, s.shared_at FROM teams_sharedloss s WHERE {_WITH_MY_TEAMS}",  # noqa: S608
        # My others: shared with my trusted colleagues, or with a team I have left.
        f"SELECT s.id, s.shared_at FROM teams_sharedloss s WHERE s.deal_id {is_one_of.format(_MY_DEALS)}"  # noqa: S608
        f" AND NOT ({_WITH_MY_TEAMS})",
        # Shared with their trusted colleagues by teammates who trust me.
        f"SELECT s.id, s.shared_at FROM teams_sharedloss s WHERE s.audience = {_TRUSTED}"  # noqa: S608
        f" AND s.deal_id {is_one_of.format(_TRUSTING_DEALS)}",
    ]


def _connection():
    return connections[router.db_for_read(SharedLoss)]


def visible_share_count(user: User) -> int:
    """How many shared losses the user may see: `visible_shares(user).count()`, faster. The parts
    are disjoint: the sum of their counts (cheaper than the count of their UNION ALL)."""
    counts = [f"(SELECT COUNT(*) FROM ({part}) part{n})" for n, part in enumerate(_visible_share_parts())]  # noqa: S608
    sql = f"SELECT {' + '.join(counts)}"
    with _connection().cursor() as cursor:
        cursor.execute(sql, _me(user.pk, sql))
        return cursor.fetchone()[0]


NEWEST_FIRST = ("-shared_at", "-pk")


def newest_visible_shares(user: User, *, stop: int) -> QuerySet[SharedLoss]:
    """The `stop` newest shared losses the user may see, newest first (`NEWEST_FIRST`).

    As `visible_shares(user).order_by(*NEWEST_FIRST)[:stop]`, but each part of the rule reads
    only its own `stop` newest shares through its index, whatever the number of shares: the
    `stop` newest of all are among them.
    """
    newest = " UNION ALL ".join(
        f"SELECT id FROM ({part} ORDER BY s.shared_at DESC, s.id DESC LIMIT {int(stop)}) part{number}"  # noqa: S608
        for number, part in enumerate(_visible_share_parts())
    )
    return SharedLoss.objects.filter(pk__in=RawSQL(newest, _me(user.pk, newest))).order_by(*NEWEST_FIRST)  # noqa: S611


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


def trusted_audience(owner: User) -> QuerySet[User]:
    """Whom sharing with trusted colleagues reaches: the owner's trusted colleagues who still
    share a team with them."""
    return teammates(owner).filter(trust_received__owner=owner)


def audience_of(shared: SharedLoss) -> QuerySet[User]:
    """The people who can see a shared loss, its owner excluded."""
    owner = shared.deal.owner
    if shared.audience == Audience.TRUSTED:
        return trusted_audience(owner)
    return User.objects.filter(memberships__team=shared.team).exclude(pk=owner.pk).order_by("name", "email")


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


def invitations_for_invitee(user: User) -> QuerySet[Invitation]:
    """The open invitations addressed to one of the user's verified emails, to teams they aren't in,
    with their team and who sent them: theirs to accept or decline."""
    verified = EmailAddress.objects.filter(user=user, verified=True).values(lower=Lower("email"))
    return (
        Invitation.objects.open()
        .alias(email_lower=Lower("email"))
        .filter(email_lower__in=verified)
        .exclude(Exists(Membership.objects.filter(team=OuterRef("team"), user=user)))
        .select_related("team", "invited_by")
        .order_by("-created_at", "pk")
    )


def get_invitation_for_invitee(user: User, code) -> Invitation:
    """One of the user's open invitations; any other (someone else's, used, declined) is a 404."""
    return get_object_or_404(invitations_for_invitee(user), code=code)


def audience_line(shared: SharedLoss | None) -> str:
    """Who can see a loss, in one line (privacy rule 4), from its share (None if it is private),
    read with its team and its deal's owner."""
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


# The link in a check-in reminder that stops them, usable without signing in: the person's id and
# address, signed with the secret key. It doesn't expire (an old email's link keeps working) and
# names one account: a link whose address was changed since, or that was altered, opens nothing.
REMINDERS_STOP_SALT = "teams.check-in-reminders.stop"


def reminders_stop_token(user: User) -> str:
    return signing.dumps([user.pk, user.email.lower()], salt=REMINDERS_STOP_SALT, compress=True)


def get_user_for_reminders_stop(token: str) -> User | None:
    """The active person the token was made for; None for a token we didn't sign or that is stale."""
    try:
        pk, email = signing.loads(token, salt=REMINDERS_STOP_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return User.objects.filter(pk=pk, email__iexact=email, is_active=True).first()
