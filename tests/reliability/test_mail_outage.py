"""A mail server that is down must not turn a saved comment, encouragement or share into a 500.

Notification emails leave after the write commits (transaction.on_commit), inside the request.
The in-app notification is already saved; the email is a second channel. If sending it raises,
the person sees an error page for something that was saved, and is tempted to send it again.
"""

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from teams.models import Comment, Encouragement, Notification, SharedLoss
from tests.conftest import make_loss, share

# An SMTP server that refuses connections: a closed port on this machine.
SMTP_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "use_tls": False, "timeout": 2},
    }
}


@pytest.fixture(autouse=True)
def loss_reasons(transactional_db):
    """on_commit callbacks run only when a transaction really commits, so these tests commit,
    and the tables are emptied after each: put back the seeded loss reasons."""
    importlib.import_module("recovery.migrations.0002_seed_loss_reasons").seed(apps, None)


@pytest.fixture
def shared(owner, team, teammate):
    return share(make_loss(owner), team=team, message="Lost this one today.")


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_a_comment_is_posted_when_the_mail_server_is_down(shared, teammate, settings):
    settings.MAILERS = SMTP_DOWN
    url = reverse("teams:comment_create", kwargs={"code": shared.deal.code})
    response = signed_in(teammate).post(url, {"body": "Been there. You've got this."})
    assert response.status_code == 302
    assert Comment.objects.filter(shared=shared, author=teammate).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.COMMENT, actor=teammate).count() == 1


def test_encouragement_is_given_when_the_mail_server_is_down(shared, teammate, settings):
    settings.MAILERS = SMTP_DOWN
    url = reverse("teams:encourage", kwargs={"code": shared.deal.code})
    response = signed_in(teammate).post(url, {"kind": "proud"})
    assert response.status_code == 302
    assert Encouragement.objects.filter(shared=shared, user=teammate).count() == 1


def test_a_loss_is_shared_when_the_mail_server_is_down(owner, team, teammate, settings):
    settings.MAILERS = SMTP_DOWN
    deal = make_loss(owner)
    url = reverse("teams:share_create", kwargs={"code": deal.code})
    form = {"audience": str(team.code), "message": "Lost this one.", "show_name": "on"}
    response = signed_in(owner).post(url, form)
    assert response.status_code == 302, response.content[:300]
    assert SharedLoss.objects.filter(deal=deal).count() == 1
