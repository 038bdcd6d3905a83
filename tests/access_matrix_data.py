"""The world the access matrix walks through: its visitors, the objects in URLs, and secrets to watch for.

tests/test_access_matrix.py holds the tables (what each visitor must get from each URL); this module
builds what the tables refer to by label, walks the URL resolver, and takes snapshots of the rows a
refused POST must leave alone.
"""

import datetime
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from recovery import imports
from recovery import services as recovery_services
from recovery.models import LostDeal, Webhook
from teams import services as team_services
from teams.models import Comment, Encouragement, TrustedColleague, User
from tests.conftest import join, make_loss, make_user, share

# ---------------------------------------------------------------- visitors

# The table's columns, in this order. `trusted` is in the audience of the trusted-only share;
# `untrusted` was on the owner's trusted list and was taken off it (still a teammate); `former`
# was in the owner's team and left it. Both were in the audience when the owner shared.
VISITORS = (
    "anonymous",
    "owner",
    "teammate",
    "trusted",
    "untrusted",
    "former",
    "other_team",
    "manager",
    "staff",
)

# Who may see what, from DESIGN.md's privacy rules. These sets are the oracle the tables are
# checked against: a table can't grant a 200 to anyone outside them.
OWNER = frozenset({"owner"})
TEAM_MEMBERS = frozenset({"owner", "teammate", "trusted", "untrusted", "manager"})
TEAM_AUDIENCE = TEAM_MEMBERS  # a loss shared with the team: its current members (rule 2)
TRUSTED_AUDIENCE = frozenset({"owner", "trusted"})  # a loss shared with trusted colleagues only
TEAM_MANAGERS = frozenset({"manager"})
STAFF = frozenset({"staff"})
INVITEE = frozenset({"other_team"})  # the open invitation to the team was sent to their address
NOBODY = frozenset()


# ---------------------------------------------------------------- secrets that must not leak

# Each string is written into one private or shared field; only the people beside it may ever
# find it in a page, a download or an email (privacy rules 1 and 2, and "never shared" in DESIGN.md).
PRIVATE_LOSS_NAME = "Canary Private Deal Initech"
PRIVATE_LOSS_NOTES = "Canary private notes: the champion cried"
PRIVATE_AMOUNT = "864213"  # also looked for as "864,213"
SHARED_LOSS_NAME = "Canary Hidden Name Umbrella"  # shared with show_name=False
SHARED_LOSS_NOTES = "Canary shared-loss notes, never shared"
SHARED_AMOUNT = "975312"  # shared with show_amount=False
FEELINGS = "Canary feelings: gutted and embarrassed"
LESSON = "Canary lesson kept to myself"  # shared with include_lesson=False
CHECK_IN_NOTE = "Canary check-in note: still low"
TEAM_MESSAGE = "Canary team message: lost it on price"
COMMENT_BODY = "Canary comment: been there, you've got this"
TRUSTED_LOSS_NAME = "Canary Trusted Deal Hooli"  # shared with trusted colleagues, name shown
TRUSTED_MESSAGE = "Canary trusted message: only for the people I trust"
IMPORT_CONTENT = "Canary import row Vandelay"
HUBSPOT_EXPORT = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Currency","Closed Lost Reason"\n'
    f'"90001","{IMPORT_CONTENT}","Closed lost","2026-03-14","1200","EUR","Too expensive"\n'
).encode()
WEBHOOK_SECRET = "canarywebhooksecret" + "0" * 45
TOTP_SECRET = "CANARYTOTPSECRETJBSWY3DPEHPK3PXP"

CANARIES = {
    PRIVATE_LOSS_NAME: OWNER,
    PRIVATE_LOSS_NOTES: OWNER,
    PRIVATE_AMOUNT: OWNER,
    "864,213": OWNER,
    SHARED_LOSS_NAME: OWNER,
    SHARED_LOSS_NOTES: OWNER,
    SHARED_AMOUNT: OWNER,
    "975,312": OWNER,
    FEELINGS: OWNER,
    LESSON: OWNER,
    CHECK_IN_NOTE: OWNER,
    TEAM_MESSAGE: TEAM_AUDIENCE,
    COMMENT_BODY: TEAM_AUDIENCE,
    TRUSTED_LOSS_NAME: TRUSTED_AUDIENCE,
    TRUSTED_MESSAGE: TRUSTED_AUDIENCE,
    IMPORT_CONTENT: OWNER,
    # Secrets: shown once when made, never on any page afterwards, not even to their owner.
    WEBHOOK_SECRET: NOBODY,
    TOTP_SECRET: NOBODY,
}


def leaked_canaries(text: str, visitor: str) -> list[str]:
    """The secrets in `text` that `visitor` may not see."""
    return [canary for canary, readers in CANARIES.items() if visitor not in readers and canary in text]


# When the owner shared, the former member was in the team as a teammate is, and the untrusted
# colleague on the list as the trusted one is: what was emailed to them then could say what it said
# to those two. (They left the audience afterwards, and the pages must show them nothing since.)
AUDIENCE_WHEN_SHARED = {"former": "teammate", "untrusted": "trusted"}


# ---------------------------------------------------------------- the world


@dataclass
class World:
    users: dict[str, User | None]
    # URL arguments by label, as the tables name them.
    args: dict[str, object]
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, visitor: str) -> Client:
        """A client signed in as the visitor (made once, so signing in changes nothing later)."""
        if visitor not in self.clients:
            client = Client()
            if self.users[visitor] is not None:
                client.force_login(self.users[visitor])
            self.clients[visitor] = client
        return self.clients[visitor]


def build_world(owner, manager, team, teammate, trusted, other_team) -> World:
    """Everything the tables name around conftest's personas, made through the real services where
    they exist, with the visitors conftest hasn't: the untrusted colleague, staff, and a former member
    who leaves after the owner shares (conftest's left before)."""
    # Both in the audience when the owner shares, below; out of it afterwards.
    untrusted = make_user("untrusted@example.com", "Uma Untrusted")
    join(team, untrusted)
    taken_off = TrustedColleague.objects.create(owner=owner, colleague=untrusted)
    former = make_user("former@example.com", "Fiona Former")
    former_membership = join(team, former)
    staff = make_user("staff@example.com", "Sam Staff")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])

    # The owner's private loss, lost three days ago, and a check-in on it answered with a note.
    private = make_loss(
        owner, name=PRIVATE_LOSS_NAME, notes=PRIVATE_LOSS_NOTES, amount=int(PRIVATE_AMOUNT), days_ago=3
    )
    due = private.check_ins.order_by("due_on").first()
    check_in = recovery_services.check_in_answer(check_in=due, mood=2, note=CHECK_IN_NOTE)

    # A loss shared with the team, hiding its name and amount, with a comment and encouragement.
    team_loss = make_loss(owner, name=SHARED_LOSS_NAME, notes=SHARED_LOSS_NOTES, amount=int(SHARED_AMOUNT))
    recovery_services.reflection_save(
        reflection=team_loss.reflection,
        emotions=["embarrassed"],
        mood=2,
        feelings=FEELINGS,
        talk_to="",
        unhelpful_advice="",
        outside_control="",
        lesson=LESSON,
        finish=True,
    )
    team_share = share(team_loss, team=team, message=TEAM_MESSAGE, show_name=False)
    comment = team_services.comment_create(shared=team_share, author=teammate, body=COMMENT_BODY)
    team_services.encouragement_toggle(shared=team_share, user=teammate, kind=Encouragement.Kind.BEEN_THERE)

    # A loss shared with trusted colleagues only: the manager is not in its audience.
    trusted_loss = make_loss(owner, name=TRUSTED_LOSS_NAME)
    share(trusted_loss, message=TRUSTED_MESSAGE)

    # Rule 2: "Someone who leaves the team stops seeing it at once" (and so does someone untrusted).
    team_services.membership_leave(membership=former_membership)
    taken_off.delete()

    # An invitation to the owner's team, addressed to the member of another team.
    invitation, token = team_services.invitation_create(team=team, invited_by=manager, email=other_team.email)

    # An uploaded HubSpot export, waiting for the owner to confirm it.
    upload = imports.read_upload("deals.csv", HUBSPOT_EXPORT)
    kind, mapping = imports.recognise(upload.table.columns)
    csv_import = imports.csv_import_create(
        owner=owner, upload=upload, kind=kind, mapping={**mapping, "default_currency": "EUR"}
    )
    webhook = Webhook.objects.create(owner=owner, secret=WEBHOOK_SECRET)
    authenticator = Authenticator.objects.create(
        user=owner, type=Authenticator.Type.TOTP, data={"secret": TOTP_SECRET}
    )
    group = Group.objects.create(name="Support")

    # A task row as django-tasks-db writes one: the admin lists the queue.
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="recovery.tasks.example", backend_name="default"
    )
    users = {
        "anonymous": None,
        "owner": owner,
        "teammate": teammate,
        "trusted": trusted,
        "untrusted": untrusted,
        "former": former,
        "other_team": other_team,
        "manager": manager,
        "staff": staff,
    }
    args = {
        "private": private.code,
        "team_loss": team_loss.code,
        "trusted_loss": trusted_loss.code,
        "check_in": check_in.code,
        "pending_check_in": team_loss.check_ins.order_by("due_on").first().code,
        "comment": comment.code,
        "team": team.code,
        "other_team": other_team.teams.get().code,  # managed by the member of another team
        "teammate_membership": teammate.memberships.get().code,
        "invitation": invitation.code,
        "invitation_token": token,
        "import": csv_import.code,
        "webhook": webhook.code,
        # The admin's arguments.
        "owner_pk": owner.pk,
        "owner_email_pk": EmailAddress.objects.get(user=owner).pk,
        "authenticator_pk": authenticator.pk,
        "group_pk": group.pk,
        "task_pk": task.pk,
        "loss_content_type": ContentType.objects.get_for_model(LostDeal).pk,
        "private_pk": private.pk,
        "teams_app": "teams",
        "no_such_page": "no-such-page/",
        # allauth's emailed links, made up: the pages must still answer sensibly.
        "made_up_key": "made-up-key",
        "user_id_b36": "1",
    }
    return World(users=users, args=args)


def today() -> datetime.date:
    return timezone.localdate()


# ---------------------------------------------------------------- the URL patterns


@dataclass(frozen=True)
class Pattern:
    key: str  # the pattern's name ("recovery:loss_detail"), or its route if it has none
    route: str  # the full route, as django.urls.ResolverMatch.route writes it


def _join(prefix: str, route: str) -> str:
    return prefix + route.removeprefix("^")


def url_patterns(patterns=None, prefix="", namespace=None) -> list[Pattern]:
    """Every URL pattern the project answers to, its own and its apps' (allauth, admin), recursively."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            found.append(Pattern(key=name or route, route=route))
    return found


# ---------------------------------------------------------------- snapshots


def snapshot() -> dict[str, list[dict]]:
    """Every row of the recovery and teams apps (and allauth's email addresses), to compare."""
    models = [
        *apps.get_app_config("recovery").get_models(),
        *apps.get_app_config("teams").get_models(),
        EmailAddress,
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# Set-ups some mutations need before their POST can change anything.


def move_on_private_loss(world: World) -> None:
    recovery_services.lost_deal_move_on(deal=LostDeal.objects.get(code=world.args["private"]))


def hide_the_comment(world: World) -> None:
    team_services.comment_set_hidden(comment=Comment.objects.get(code=world.args["comment"]), hidden=True)
