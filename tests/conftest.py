"""Personas and factories shared by the whole suite."""

import datetime
from collections.abc import Sequence

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from recovery import services
from recovery.models import LossReason, Stage
from recovery.selectors import get_own_loss
from teams import services as team_services
from teams.access import audience_line
from teams.models import Audience, Membership, Role, TrustedColleague, User
from tests.tasks import run_queued_tasks

PASSWORD = "a-long-test-password"
# What the site's header costs a signed-in person on every page: the unread-notification count.
HEADER_QUERIES = 1


def make_user(email, name):
    user = User.objects.create_user(email=email, name=name, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_loss(owner, *, name="Acme renewal", days_ago=0, reasons=("price-budget",), **fields):
    """A loss logged through the real service, with its reflection and check-in prompts; lost
    `days_ago` days ago, unless `lost_on` says when."""
    fields.setdefault("lost_on", timezone.localdate() - datetime.timedelta(days=days_ago))
    fields.setdefault("stage", Stage.PROPOSAL)
    fields.setdefault("amount", 12000)
    fields.setdefault("currency", "EUR")
    return services.lost_deal_create(
        owner=owner, name=name, reasons=LossReason.objects.filter(slug__in=reasons), **fields
    )


def at(day, hour=10, minute=0, tz=datetime.UTC):
    """That day at that time (10:00 UTC unless said)."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def log_loss(owner, lost_on, *, name=None, amount=1000, mood=None, mood_at=None, **fields):
    """A loss lost on `lost_on`, named after its owner and that day, as the morale dashboard's tests
    log them; `mood` fills its reflection's Feel section, at 10:00 that day unless `mood_at` says when."""
    deal = make_loss(
        owner, name=name or f"{owner.name} deal {lost_on}", lost_on=lost_on, amount=amount, **fields
    )
    if mood is not None:
        deal.reflection.mood = mood
        deal.reflection.mood_at = mood_at or at(lost_on)
        deal.reflection.save()
    return deal


def loss_form(**overrides):
    """What a rep types in the form to log a loss, as POST data."""
    return {
        "name": "Bigcorp pilot",
        "amount": "5000",
        "currency": "GBP",
        "stage": "demo",
        "lost_on": timezone.localdate().isoformat(),
        "reasons": [LossReason.objects.get(slug="timing").pk],
        "competitor": "Rival Inc",
        "notes": "They went quiet after the demo.",
        **overrides,
    }


def run_tasks(queue: str = "*") -> int:
    """Run every task that is ready (in that queue), as `manage.py db_worker --batch` does."""
    return run_queued_tasks(queue)


class WorkerOutbox(Sequence):
    """The mail sent by the time a test looks, with a worker that keeps up: reading it first runs
    the emails' tasks that are ready (their own queue), then reads Django's test outbox."""

    def __init__(self, outbox):
        self.outbox = outbox

    def _sent(self):
        run_tasks("emails")
        return self.outbox

    def __len__(self):
        return len(self._sent())

    def __getitem__(self, index):
        return self._sent()[index]

    def __iter__(self):
        return iter(list(self._sent()))

    def __eq__(self, other):
        return list(self._sent()) == other

    __hash__ = None

    def clear(self):
        """Forget what was sent by now (the tasks that are ready run first)."""
        self._sent().clear()


@pytest.fixture
def mailoutbox(mailoutbox):
    """pytest-django's outbox, read as the worker would have filled it by then (WorkerOutbox).

    It holds the mail of the test's own steps: what the fixtures queued (a share's notifications,
    say) is sent before the test starts, and cleared (pytest_runtest_call below)."""
    return WorkerOutbox(mailoutbox)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    outbox = getattr(item, "funcargs", {}).get("mailoutbox")
    if isinstance(outbox, WorkerOutbox):
        outbox.clear()


@pytest.fixture
def owner(db):
    """A rep with losses of their own."""
    return make_user("owner@example.com", "Olivia Owner")


@pytest.fixture
def outsider(db):
    """Somebody else entirely: sees none of the owner's private data."""
    return make_user("outsider@example.com", "Oscar Outsider")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def loss(owner):
    return make_loss(owner)


def share(deal, *, team=None, message="Lost this one on price. Any ideas for next time?", **fields):
    """Share a loss through the real service: with `team`, or with trusted colleagues if None."""
    fields.setdefault("show_name", True)
    fields.setdefault("show_amount", False)
    fields.setdefault("include_lesson", False)
    return team_services.loss_share(
        deal=deal,
        audience=Audience.TEAM if team else Audience.TRUSTED,
        team=team,
        message=message,
        **fields,
    )


def audience_line_of(deal):
    """A loss's audience line as its pages say it: from its share, read afresh as they read it."""
    return audience_line(getattr(get_own_loss(user=deal.owner, code=deal.code), "share", None))


def join(team, user, role=Role.MEMBER):
    return Membership.objects.create(team=team, user=user, role=role)


# The personas of the teams app, around the owner's team. Only the audience of a shared loss
# may see it: never a former member, a member of another team, or a manager as such.


@pytest.fixture
def manager(db):
    """Manages the owner's team; sees a loss only if it was shared with them like anyone else."""
    return make_user("manager@example.com", "Maya Manager")


@pytest.fixture
def team(owner, manager):
    """EMEA Mid-Market: managed by `manager`, with `owner` as a member."""
    team = team_services.team_create(creator=manager, name="EMEA Mid-Market")
    join(team, owner)
    return team


@pytest.fixture
def teammate(team):
    """A member of the owner's team: in the audience of what the owner shares with it."""
    user = make_user("teammate@example.com", "Theo Teammate")
    join(team, user)
    return user


@pytest.fixture
def trusted(team, owner):
    """A teammate the owner trusts: in the audience of what the owner shares with trusted colleagues."""
    user = make_user("trusted@example.com", "Tara Trusted")
    join(team, user)
    TrustedColleague.objects.create(owner=owner, colleague=user)
    return user


@pytest.fixture
def former_member(team):
    """Was in the owner's team and left: sees nothing of it any more."""
    user = make_user("former@example.com", "Fiona Former")
    team_services.membership_leave(membership=join(team, user))
    return user


@pytest.fixture
def other_team_member(db):
    """In a team of their own, not the owner's."""
    user = make_user("other@example.com", "Omar Otherteam")
    team_services.team_create(creator=user, name="APAC Enterprise")
    return user
