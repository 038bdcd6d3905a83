"""Personas and factories shared by the whole suite."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from recovery import services
from recovery.models import LossReason, Stage
from teams.models import User

PASSWORD = "a-long-test-password"


def make_user(email, name):
    user = User.objects.create_user(email=email, name=name, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_loss(owner, *, name="Acme renewal", days_ago=0, reasons=("price-budget",), **fields):
    """A loss logged through the real service, with its reflection and check-in prompts."""
    fields.setdefault("stage", Stage.PROPOSAL)
    fields.setdefault("amount", 12000)
    fields.setdefault("currency", "EUR")
    return services.lost_deal_create(
        owner=owner,
        name=name,
        lost_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        reasons=LossReason.objects.filter(slug__in=reasons),
        **fields,
    )


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
