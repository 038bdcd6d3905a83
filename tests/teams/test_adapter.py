"""Someone invited who has no account yet joins the team once they sign up and verify their email."""

import datetime
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from teams import services
from teams.adapters import AccountAdapter
from teams.models import Membership, Role, User

NEWCOMER = "nia.newcomer@example.com"
PASSWORD = "correct-horse-battery-staple"


def sign_up(client, email, name="Nia Newcomer", next_url=None):
    url = reverse("account_signup") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"email": email, "name": name, "password1": PASSWORD, "password2": PASSWORD})


def confirmation_link(mailoutbox, email):
    sent = [m for m in mailoutbox if m.to == [email]]
    assert sent, f"no email to {email}"
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", sent[-1].body).group(1)


def is_member(team, email):
    return Membership.objects.filter(team=team, user__email=email).exists()


@pytest.fixture
def invitation_and_token(team, manager):
    return services.invitation_create(team=team, invited_by=manager, email=NEWCOMER)


def test_a_new_sign_up_joins_the_team_once_the_email_is_verified(
    client, team, invitation_and_token, mailoutbox
):
    invitation, token = invitation_and_token
    response = sign_up(
        client, NEWCOMER.upper(), next_url=reverse("teams:invitation_accept", kwargs={"token": token})
    )
    assert response.status_code == 302
    newcomer = User.objects.get(email=NEWCOMER)
    # Not yet: the address is not verified.
    assert not is_member(team, NEWCOMER)

    link = confirmation_link(mailoutbox, NEWCOMER)
    assert client.get(link).status_code == 200
    assert not is_member(team, NEWCOMER)  # Opening the page alone changes nothing.
    response = client.post(link)
    assert response.status_code == 302

    membership = Membership.objects.get(team=team, user=newcomer)
    assert membership.role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer
    assert invitation.accepted_at is not None
    assert "Welcome to EMEA Mid-Market." in [str(m) for m in get_messages(response.wsgi_request)]

    # Signed in, they see the team like any member.
    client.force_login(newcomer)
    assert client.get(reverse("teams:team_detail", kwargs={"code": team.code})).status_code == 200


def test_signing_up_with_another_address_joins_nothing(client, team, invitation_and_token, mailoutbox):
    invitation, _token = invitation_and_token
    sign_up(client, "someone.else@example.com")
    client.post(confirmation_link(mailoutbox, "someone.else@example.com"))
    assert EmailAddress.objects.get(email="someone.else@example.com").verified
    assert not is_member(team, "someone.else@example.com")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_invitation_that_expired_before_verification_joins_nothing(
    client, team, invitation_and_token, mailoutbox
):
    invitation, _token = invitation_and_token
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        sign_up(client, NEWCOMER)
        client.post(confirmation_link(mailoutbox, NEWCOMER))
        assert EmailAddress.objects.get(email=NEWCOMER).verified
    assert not is_member(team, NEWCOMER)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_invitations_to_several_teams_are_all_accepted_on_verification(
    client, team, invitation_and_token, other_team_member, mailoutbox
):
    other_team = Membership.objects.get(user=other_team_member).team
    services.invitation_create(team=other_team, invited_by=other_team_member, email=NEWCOMER)
    sign_up(client, NEWCOMER)
    client.post(confirmation_link(mailoutbox, NEWCOMER))
    assert is_member(team, NEWCOMER)
    assert is_member(other_team, NEWCOMER)


def test_the_adapter_joins_the_team_when_it_confirms_an_address(team, invitation_and_token):
    """Called directly, as allauth calls it from its confirm view."""
    newcomer = User.objects.create_user(email=NEWCOMER, name="Nia Newcomer", password=PASSWORD)
    address = EmailAddress.objects.create(user=newcomer, email=NEWCOMER, verified=False, primary=True)
    request = RequestFactory().post("/accounts/confirm-email/key/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = newcomer

    assert AccountAdapter().confirm_email(request, address)
    assert Membership.objects.filter(team=team, user=newcomer, role=Role.MEMBER).exists()
    assert "Welcome to EMEA Mid-Market." in [str(m) for m in request._messages]
