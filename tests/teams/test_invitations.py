"""Inviting a colleague by email, revoking the invitation, and accepting it from its link."""

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from teams import services
from teams.models import Invitation, Membership, Role
from tests.conftest import HEADER_QUERIES, make_user

INVITEE = "ines.invitee@example.com"


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def invite_url(team):
    return reverse("teams:invitation_create", kwargs={"code": team.code})


def accept_url(token):
    return reverse("teams:invitation_accept", kwargs={"token": token})


def revoke_url(invitation):
    return reverse(
        "teams:invitation_revoke", kwargs={"code": invitation.team.code, "invitation": invitation.code}
    )


@pytest.fixture
def invitation_and_token(team, manager):
    return services.invitation_create(team=team, invited_by=manager, email=INVITEE)


@pytest.fixture
def invitee(db):
    """Already has an account, with the invited address verified."""
    return make_user(INVITEE, "Ines Invitee")


def is_member(team, user):
    return Membership.objects.filter(team=team, user=user).exists()


# ---------------------------------------------------------------- inviting


def test_a_manager_invites_by_email_and_the_email_carries_the_link(
    client, team, manager, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://rebound.example"
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(team), {"email": " Ines.Invitee@Example.com "})
    assert response.status_code == 302
    assert response.url == reverse("teams:team_detail", kwargs={"code": team.code})
    assert any(text.startswith(f"Invitation sent to {INVITEE}.") for text in message_texts(response))

    invitation = Invitation.objects.get()
    assert (invitation.team, invitation.email, invitation.invited_by) == (team, INVITEE, manager)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [INVITEE]
    assert "EMEA Mid-Market" in email.subject
    link = re.search(r"https://rebound\.example/invitations/(\S+)/", email.body)
    assert link is not None
    token = link.group(1)
    assert services.hash_token(token) == invitation.token_hash
    assert token not in str(invitation.__dict__)  # Only its hash is stored.

    # The link in the email opens the invitation.
    response = client.get(accept_url(token))
    assert response.status_code == 200
    assert "Maya Manager invited you to join EMEA Mid-Market" in response.text


@pytest.mark.parametrize("typed", ["not-an-email", "ines@", "ines example.com"])
def test_an_invalid_address_is_shown_next_to_the_field_with_what_was_typed(
    client, team, manager, mailoutbox, typed, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(team), {"email": typed})
    assert response.status_code == 200
    assert response.context["team"] == team
    assert response.context["invitation_form"].errors["email"] == [
        "Enter a valid email address, like ana@example.com."
    ]
    assert f'value="{typed}"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_an_empty_address_is_refused(client, team, manager):
    client.force_login(manager)
    response = client.post(invite_url(team), {"email": ""})
    assert response.status_code == 200
    assert response.context["invitation_form"].errors["email"] == ["This field is required."]
    assert not Invitation.objects.exists()


def test_inviting_someone_already_in_the_team_is_shown_next_to_the_field(
    client, team, manager, owner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(team), {"email": "OWNER@example.com"})
    assert response.status_code == 200
    assert response.context["invitation_form"].errors["email"] == [
        "owner@example.com is already in EMEA Mid-Market."
    ]
    assert 'value="OWNER@example.com"' in response.text
    assert not Invitation.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "former_member", "other_team_member"])
def test_only_a_manager_can_invite(
    client, team, manager, persona, request, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(request.getfixturevalue(persona))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(invite_url(team), {"email": INVITEE}).status_code == 404
    assert not Invitation.objects.exists()
    assert mailoutbox == []

    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(invite_url(team), {"email": INVITEE}).status_code == 302
    assert Invitation.objects.filter(team=team, email=INVITEE).exists()
    assert len(mailoutbox) == 1


def test_inviting_again_replaces_the_open_invitation(client, team, manager, invitation_and_token):
    old, old_token = invitation_and_token
    client.force_login(manager)
    client.post(invite_url(team), {"email": INVITEE})
    assert Invitation.objects.filter(team=team, email=INVITEE).count() == 1
    assert not Invitation.objects.filter(pk=old.pk).exists()
    assert client.get(accept_url(old_token)).status_code == 404


# ---------------------------------------------------------------- revoking


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "former_member", "other_team_member"])
def test_only_a_manager_can_revoke_an_invitation(
    client, team, manager, invitation_and_token, persona, request
):
    invitation, _token = invitation_and_token
    client.force_login(request.getfixturevalue(persona))
    assert client.post(revoke_url(invitation)).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()

    client.force_login(manager)
    response = client.post(revoke_url(invitation))
    assert response.status_code == 302
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert any(f"Revoked the invitation to {INVITEE}" in text for text in message_texts(response))


def test_a_revoked_invitation_no_longer_works(client, team, manager, invitee, invitation_and_token):
    invitation, token = invitation_and_token
    client.force_login(manager)
    client.post(revoke_url(invitation))
    client.force_login(invitee)
    assert client.get(accept_url(token)).status_code == 404
    assert client.post(accept_url(token)).status_code == 404
    assert not is_member(team, invitee)


def test_an_invitation_of_another_team_cannot_be_revoked_through_mine(
    client, team, other_team_member, manager
):
    invitation, _token = services.invitation_create(team=team, invited_by=manager, email=INVITEE)
    my_team = Membership.objects.get(user=other_team_member).team
    url = reverse("teams:invitation_revoke", kwargs={"code": my_team.code, "invitation": invitation.code})
    client.force_login(other_team_member)
    assert client.post(url).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_open_invitations_are_listed_for_managers_with_their_expiry(
    client, team, manager, invitation_and_token
):
    invitation, _token = invitation_and_token
    client.force_login(manager)
    response = client.get(reverse("teams:team_detail", kwargs={"code": team.code}))
    assert list(response.context["open_invitations"]) == [invitation]
    assert INVITEE in response.text
    assert invitation.expires_at.strftime("%-d %B %Y") in response.text
    assert revoke_url(invitation) in response.text


def test_used_and_expired_invitations_are_not_listed_as_open(
    client, team, manager, invitee, invitation_and_token
):
    invitation, _token = invitation_and_token
    expired, _ = services.invitation_create(team=team, invited_by=manager, email="late@example.com")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.invitation_accept(invitation=invitation, user=invitee)
    client.force_login(manager)
    response = client.get(reverse("teams:team_detail", kwargs={"code": team.code}))
    assert list(response.context["open_invitations"]) == []
    assert "No invitations waiting for an answer." in response.text


# ---------------------------------------------------------------- the invitation page


def test_an_anonymous_visitor_is_told_who_invited_them_and_offered_sign_in_and_sign_up(
    client, invitation_and_token
):
    _invitation, token = invitation_and_token
    response = client.get(accept_url(token))
    assert response.status_code == 200
    assert "Maya Manager invited you to join EMEA Mid-Market" in response.text
    assert f"{reverse('account_login')}?next={accept_url(token)}" in response.text
    assert f"{reverse('account_signup')}?next={accept_url(token)}" in response.text
    assert INVITEE in response.text
    assert "<button" not in response.text.split("<main", 1)[1]  # Nothing to click to join yet.


def test_an_anonymous_post_is_sent_to_sign_in_and_joins_nobody(client, team, invitation_and_token):
    invitation, token = invitation_and_token
    response = client.post(accept_url(token))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert team.memberships.count() == 2
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_invited_person_signed_in_sees_a_join_button(client, invitee, invitation_and_token):
    _invitation, token = invitation_and_token
    client.force_login(invitee)
    response = client.get(accept_url(token))
    assert response.status_code == 200
    assert "Maya Manager invited you to join EMEA Mid-Market" in response.text
    assert (
        '<button type="submit" class="button button--primary">Join EMEA Mid-Market</button>' in response.text
    )


def test_accepting_as_the_invited_existing_user_joins_the_team(client, team, invitee, invitation_and_token):
    invitation, token = invitation_and_token
    client.force_login(invitee)
    response = client.post(accept_url(token))
    assert response.status_code == 302
    assert response.url == reverse("teams:team_detail", kwargs={"code": team.code})
    assert Membership.objects.get(team=team, user=invitee).role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_by == invitee
    assert invitation.accepted_at is not None
    assert any("Welcome to EMEA Mid-Market" in text for text in message_texts(response))
    assert client.get(response.url).status_code == 200


def test_accepting_as_someone_with_another_email_is_refused(
    client, team, outsider, invitee, invitation_and_token
):
    """The refusal is about the person: the invited address's owner then joins with the same link."""
    invitation, token = invitation_and_token
    client.force_login(outsider)
    page = client.get(accept_url(token))
    assert page.status_code == 403
    assert (
        f"This invitation was sent to {INVITEE}, and you're signed in as outsider@example.com." in page.text
    )
    assert "Join EMEA Mid-Market</button>" not in page.text

    response = client.post(accept_url(token))
    assert response.status_code == 403
    assert not is_member(team, outsider)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None

    client.force_login(invitee)
    assert client.post(accept_url(token)).status_code == 302
    assert is_member(team, invitee)


def test_an_unverified_copy_of_the_invited_address_is_not_enough(
    client, team, outsider, invitation_and_token
):
    _invitation, token = invitation_and_token
    outsider.emailaddress_set.create(email=INVITEE, verified=False, primary=False)
    client.force_login(outsider)
    assert client.post(accept_url(token)).status_code == 403
    assert not is_member(team, outsider)


def test_a_second_verified_address_of_the_same_person_works(client, team, outsider, invitation_and_token):
    _invitation, token = invitation_and_token
    outsider.emailaddress_set.create(email=INVITEE.upper(), verified=True, primary=False)
    client.force_login(outsider)
    assert client.post(accept_url(token)).status_code == 302
    assert is_member(team, outsider)


def test_an_expired_invitation_is_refused(client, team, invitee, invitation_and_token):
    invitation, token = invitation_and_token
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        client.force_login(invitee)  # A fresh session: the old one has expired too.
        page = client.get(accept_url(token))
        assert page.status_code == 410
        assert "This invitation has expired" in page.text
        assert "Ask Maya Manager for a new one." in page.text
        assert page.wsgi_request.user == invitee
        response = client.post(accept_url(token))
    assert response.status_code == 410
    assert not is_member(team, invitee)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_invitation_still_works_on_its_last_day(client, team, invitee, invitation_and_token):
    _invitation, token = invitation_and_token
    client.force_login(invitee)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=13, hours=23)):
        assert client.post(accept_url(token)).status_code == 302
    assert is_member(team, invitee)


def test_an_invitation_works_only_once(client, team, invitee, outsider, invitation_and_token):
    _invitation, token = invitation_and_token
    client.force_login(invitee)
    assert client.post(accept_url(token)).status_code == 302

    # The invitee leaves; the used link does not bring them back.
    client.post(reverse("teams:team_leave", kwargs={"code": team.code}))
    assert not is_member(team, invitee)
    response = client.post(accept_url(token))
    assert response.status_code == 410
    assert "This invitation has already been used." in response.text
    assert not is_member(team, invitee)

    # Nor does it let anyone else in.
    client.force_login(outsider)
    assert client.post(accept_url(token)).status_code == 410
    assert not is_member(team, outsider)
    client.logout()
    assert client.get(accept_url(token)).status_code == 410


def test_someone_already_in_the_team_is_told_so(client, team, owner, manager):
    _invitation, token = services.invitation_create(
        team=team, invited_by=manager, email="owner.second@example.com"
    )
    client.force_login(owner)
    response = client.get(accept_url(token))
    assert response.status_code == 200
    assert "You're already in EMEA Mid-Market." in response.text
    assert "Join EMEA Mid-Market</button>" not in response.text


@pytest.mark.parametrize("token", ["forged", "x" * 43, "a-b_c", "%00"])
def test_a_forged_token_is_404_and_joins_nobody(client, invitee, invitation_and_token, team, token):
    client.force_login(invitee)
    page = client.get(accept_url(token))
    assert page.status_code == 404
    assert "This invitation link doesn't work" in page.text
    assert client.post(accept_url(token)).status_code == 404
    assert not is_member(team, invitee)
    assert Invitation.objects.get().accepted_at is None


def test_a_forged_token_is_404_for_anonymous_visitors_too(client, invitation_and_token):
    response = client.get(accept_url("not-a-real-token"))
    assert response.status_code == 404
    assert "EMEA Mid-Market" not in response.text


def test_the_invitation_page_refuses_other_methods(client, invitation_and_token):
    _invitation, token = invitation_and_token
    assert client.put(accept_url(token)).status_code == 405
    assert client.delete(accept_url(token)).status_code == 405


def test_a_lost_race_shows_the_services_reason_and_joins_nobody(
    client, team, invitee, invitation_and_token, monkeypatch
):
    """If the invitation is used between the page's checks and the write, the service's refusal is shown."""
    _invitation, token = invitation_and_token

    def used_meanwhile(**kwargs):
        raise ValidationError("This invitation has already been used.")

    monkeypatch.setattr(services, "invitation_accept", used_meanwhile)
    client.force_login(invitee)
    response = client.post(accept_url(token))
    assert response.status_code == 409
    assert "This invitation has already been used." in response.text
    assert not is_member(team, invitee)


# ---------------------------------------------------------------- answering from the home page


def join_url(invitation):
    return reverse("teams:invitation_join", kwargs={"code": invitation.code})


def decline_url(invitation):
    return reverse("teams:invitation_decline", kwargs={"code": invitation.code})


INVITED = "Maya Manager</strong> invited you to join <strong>EMEA Mid-Market</strong>."


def home_text(client):
    return client.get(reverse("home")).text


def test_home_shows_my_open_invitation_with_the_team_who_sent_it_and_both_answers(
    client, invitee, invitation_and_token
):
    invitation, _token = invitation_and_token
    client.force_login(invitee)
    home = home_text(client)
    assert "An invitation is waiting for you" in home
    assert INVITED in home
    assert f"Sent to {INVITEE}, open until {invitation.expires_at.strftime('%-d %B %Y')}." in home
    assert f'action="{join_url(invitation)}"' in home
    assert f'action="{decline_url(invitation)}"' in home
    assert "Join EMEA Mid-Market</button>" in home


def test_home_shows_invitations_to_any_of_my_verified_addresses_and_no_others(
    client, team, manager, outsider, invitation_and_token
):
    outsider.emailaddress_set.create(email=INVITEE.upper(), verified=True, primary=False)
    unverified, _ = services.invitation_create(team=team, invited_by=manager, email="oscar.work@example.com")
    outsider.emailaddress_set.create(email="oscar.work@example.com", verified=False, primary=False)
    client.force_login(outsider)
    home = home_text(client)
    assert INVITED in home
    assert "An invitation is waiting for you" in home  # not the one to the unverified address
    assert join_url(unverified) not in home


def test_home_shows_no_used_expired_declined_or_other_peoples_invitations(
    client, team, manager, invitee, outsider, other_team_member
):
    used, _ = services.invitation_create(team=team, invited_by=manager, email=INVITEE)
    services.invitation_accept(invitation=used, user=invitee)
    services.membership_leave(membership=Membership.objects.get(team=team, user=invitee))
    other_team = Membership.objects.get(user=other_team_member).team
    declined, _ = services.invitation_create(team=other_team, invited_by=other_team_member, email=INVITEE)
    services.invitation_decline(invitation=declined, user=invitee)
    third = services.team_create(creator=manager, name="Nordics")
    expired, _ = services.invitation_create(team=third, invited_by=manager, email=INVITEE)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.invitation_create(team=third, invited_by=manager, email=outsider.email)

    client.force_login(invitee)
    assert "invited you to join" not in home_text(client)


def test_an_invitation_to_a_team_i_am_already_in_is_not_offered(client, team, manager, owner):
    owner.emailaddress_set.create(email="olivia.second@example.com", verified=True, primary=False)
    services.invitation_create(team=team, invited_by=manager, email="olivia.second@example.com")
    client.force_login(owner)
    assert "invited you to join" not in home_text(client)


@pytest.mark.parametrize("how_many", [1, 6])
def test_home_reads_my_invitations_in_one_query_however_many(
    client, manager, invitee, how_many, django_assert_num_queries
):
    for number in range(how_many):
        team = services.team_create(creator=manager, name=f"Team {number}")
        services.invitation_create(team=team, invited_by=manager, email=INVITEE)
    client.force_login(invitee)
    # Session, user, due check-ins, unfinished reflections, my invitations with their teams and senders.
    with django_assert_num_queries(5 + HEADER_QUERIES):
        response = client.get(reverse("home"))
    assert response.text.count("invited you to join") == how_many


def test_joining_from_home_joins_the_team(client, team, invitee, invitation_and_token):
    invitation, _token = invitation_and_token
    client.force_login(invitee)
    response = client.post(join_url(invitation))
    assert response.status_code == 302
    assert response.url == reverse("teams:team_detail", kwargs={"code": team.code})
    assert Membership.objects.get(team=team, user=invitee).role == Role.MEMBER
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.declined_at) == (invitee, None)
    assert any("Welcome to EMEA Mid-Market" in text for text in message_texts(response))
    assert "invited you to join" not in home_text(client)


def test_declining_records_it_joins_nothing_and_takes_it_off_every_list(
    client, team, manager, invitee, invitation_and_token
):
    invitation, token = invitation_and_token
    client.force_login(invitee)
    response = client.post(decline_url(invitation))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert "You've declined the invitation to EMEA Mid-Market." in message_texts(response)
    assert not is_member(team, invitee)
    invitation.refresh_from_db()
    assert invitation.declined_at is not None
    assert invitation.accepted_at is None
    assert "invited you to join" not in home_text(client)

    # Its link says so, and no longer joins.
    page = client.get(accept_url(token))
    assert page.status_code == 410
    assert f"You declined this invitation on {invitation.declined_at.strftime('%-d %B %Y')}." in page.text
    assert client.post(accept_url(token)).status_code == 410
    assert client.post(join_url(invitation)).status_code == 404
    assert not is_member(team, invitee)

    # The manager's list of open invitations no longer has it.
    client.force_login(manager)
    detail = client.get(reverse("teams:team_detail", kwargs={"code": team.code}))
    assert list(detail.context["open_invitations"]) == []


def test_a_declined_invitation_can_be_sent_again_and_accepted(
    client, team, manager, invitee, invitation_and_token
):
    invitation, _token = invitation_and_token
    services.invitation_decline(invitation=invitation, user=invitee)
    again, _ = services.invitation_create(team=team, invited_by=manager, email=INVITEE)
    client.force_login(invitee)
    assert join_url(again) in home_text(client)
    assert client.post(join_url(again)).status_code == 302
    assert is_member(team, invitee)


def test_the_invitation_page_offers_to_decline_too(client, invitee, invitation_and_token):
    invitation, token = invitation_and_token
    client.force_login(invitee)
    page = client.get(accept_url(token))
    assert f'action="{decline_url(invitation)}"' in page.text
    assert 'Decline<span class="visually-hidden"> the invitation to EMEA Mid-Market</span>' in page.text


@pytest.mark.parametrize("url", [join_url, decline_url])
def test_answering_needs_a_post(client, invitee, invitation_and_token, url):
    invitation, _token = invitation_and_token
    client.force_login(invitee)
    assert client.get(url(invitation)).status_code == 405
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.declined_at) == (None, None)


@pytest.mark.parametrize("url", [join_url, decline_url])
def test_an_anonymous_answer_is_sent_to_sign_in(client, invitation_and_token, url):
    invitation, _token = invitation_and_token
    response = client.post(url(invitation))
    assert response.url.startswith(reverse("account_login"))
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.declined_at) == (None, None)


@pytest.mark.parametrize("url", [join_url, decline_url])
@pytest.mark.parametrize("persona", ["owner", "manager", "outsider", "other_team_member"])
def test_someone_elses_invitation_is_404_and_the_same_post_works_for_its_addressee(
    client, team, invitee, invitation_and_token, persona, url, request
):
    invitation, _token = invitation_and_token
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url(invitation)).status_code == 404
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.declined_at) == (None, None)

    client.force_login(invitee)
    assert client.post(url(invitation)).status_code == 302
    invitation.refresh_from_db()
    assert invitation.accepted_at or invitation.declined_at


def test_an_answered_invitation_cannot_be_answered_again(client, team, invitee, invitation_and_token):
    invitation, _token = invitation_and_token
    client.force_login(invitee)
    client.post(join_url(invitation))
    assert client.post(decline_url(invitation)).status_code == 404
    invitation.refresh_from_db()
    assert invitation.declined_at is None
    assert is_member(team, invitee)


def test_the_decline_service_refuses_someone_it_was_not_sent_to(outsider, invitation_and_token):
    invitation, _token = invitation_and_token
    with pytest.raises(ValidationError, match="This invitation was sent to"):
        services.invitation_decline(invitation=invitation, user=outsider)
    invitation.refresh_from_db()
    assert invitation.declined_at is None


def test_a_lost_race_on_home_shows_the_services_reason_and_joins_nobody(
    client, team, invitee, invitation_and_token, monkeypatch
):
    invitation, _token = invitation_and_token

    def used_meanwhile(**kwargs):
        raise ValidationError("This invitation has already been used.")

    monkeypatch.setattr(services, "invitation_accept", used_meanwhile)
    client.force_login(invitee)
    response = client.post(join_url(invitation))
    assert response.url == reverse("home")
    assert "This invitation has already been used." in message_texts(response)
    assert not is_member(team, invitee)
