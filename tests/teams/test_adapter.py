"""Someone invited who has no account yet signs up, verifies their email, and then chooses to join.

Verifying an address never joins a team by itself: the invitation waits on the home page (and
behind its link) for a yes or a no.
"""

import datetime
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
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
INVITED = "Maya Manager</strong> invited you to join <strong>EMEA Mid-Market</strong>."


def sign_up(client, email, name="Nia Newcomer", next_url=None):
    url = reverse("account_signup") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"email": email, "name": name, "password1": PASSWORD, "password2": PASSWORD})


def confirmation_link(mailoutbox, email):
    sent = [m for m in mailoutbox if m.to == [email]]
    assert sent, f"no email to {email}"
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", sent[-1].body).group(1)


def sign_up_and_verify(client, mailoutbox, email, **kwargs):
    sign_up(client, email, **kwargs)
    assert client.post(confirmation_link(mailoutbox, email)).status_code == 302
    assert EmailAddress.objects.get(email__iexact=email).verified


def sign_in(client, email):
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    return response


def is_member(team, email):
    return Membership.objects.filter(team=team, user__email=email).exists()


def join_url(invitation):
    return reverse("teams:invitation_join", kwargs={"code": invitation.code})


@pytest.fixture
def invitation_and_token(team, manager):
    return services.invitation_create(team=team, invited_by=manager, email=NEWCOMER)


def test_verifying_the_invited_address_joins_no_team(client, team, invitation_and_token, mailoutbox):
    invitation, token = invitation_and_token
    response = sign_up(
        client, NEWCOMER.upper(), next_url=reverse("teams:invitation_accept", kwargs={"token": token})
    )
    assert response.status_code == 302
    assert not is_member(team, NEWCOMER)

    link = confirmation_link(mailoutbox, NEWCOMER)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email=NEWCOMER).verified

    assert not is_member(team, NEWCOMER)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert invitation.declined_at is None


def test_once_signed_in_the_newcomer_sees_the_invitation_and_joins_by_accepting_it(
    client, team, invitation_and_token, mailoutbox
):
    invitation, token = invitation_and_token
    sign_up_and_verify(
        client, mailoutbox, NEWCOMER, next_url=reverse("teams:invitation_accept", kwargs={"token": token})
    )
    sign_in(client, NEWCOMER)

    home = client.get(reverse("home"))
    assert INVITED in home.text
    assert join_url(invitation) in home.text
    # The link from the email offers the same choice.
    link_page = client.get(reverse("teams:invitation_accept", kwargs={"token": token}))
    assert "Join EMEA Mid-Market</button>" in link_page.text
    assert not is_member(team, NEWCOMER)

    response = client.post(join_url(invitation))
    assert response.status_code == 302
    assert response.url == reverse("teams:team_detail", kwargs={"code": team.code})
    newcomer = User.objects.get(email=NEWCOMER)
    assert Membership.objects.get(team=team, user=newcomer).role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer
    assert client.get(response.url).status_code == 200
    assert INVITED not in client.get(reverse("home")).text


def test_signing_up_with_another_address_sees_no_invitation(client, team, invitation_and_token, mailoutbox):
    invitation, _token = invitation_and_token
    sign_up_and_verify(client, mailoutbox, "someone.else@example.com")
    sign_in(client, "someone.else@example.com")
    assert "invited you to join" not in client.get(reverse("home")).text
    assert client.post(join_url(invitation)).status_code == 404
    assert not is_member(team, "someone.else@example.com")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_invitation_that_expired_before_verification_is_not_offered(
    client, team, invitation_and_token, mailoutbox
):
    invitation, _token = invitation_and_token
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        sign_up_and_verify(client, mailoutbox, NEWCOMER)
        sign_in(client, NEWCOMER)
        assert "invited you to join" not in client.get(reverse("home")).text
        assert client.post(join_url(invitation)).status_code == 404
    assert not is_member(team, NEWCOMER)


def test_invitations_to_several_teams_are_each_answered_on_their_own(
    client, team, invitation_and_token, other_team_member, mailoutbox
):
    other_team = Membership.objects.get(user=other_team_member).team
    other, _ = services.invitation_create(team=other_team, invited_by=other_team_member, email=NEWCOMER)
    sign_up_and_verify(client, mailoutbox, NEWCOMER)
    sign_in(client, NEWCOMER)
    home = client.get(reverse("home")).text
    assert "2 invitations are waiting for you" in home
    assert "invited you to join <strong>EMEA Mid-Market</strong>" in home
    assert "invited you to join <strong>APAC Enterprise</strong>" in home

    client.post(join_url(other))
    assert is_member(other_team, NEWCOMER)
    assert not is_member(team, NEWCOMER)
    home = client.get(reverse("home")).text
    assert "An invitation is waiting for you" in home
    assert INVITED in home


def test_the_adapter_joins_nothing_when_it_confirms_an_address(team, invitation_and_token):
    """Called directly, as allauth calls it from its confirm view."""
    newcomer = User.objects.create_user(email=NEWCOMER, name="Nia Newcomer", password=PASSWORD)
    address = EmailAddress.objects.create(user=newcomer, email=NEWCOMER, verified=False, primary=True)
    request = RequestFactory().post("/accounts/confirm-email/key/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = newcomer

    assert AccountAdapter().confirm_email(request, address)
    address.refresh_from_db()
    assert address.verified
    assert not Membership.objects.filter(user=newcomer).exists()
