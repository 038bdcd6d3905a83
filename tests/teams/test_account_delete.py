"""Deleting one's own account: everything that was theirs goes, in one transaction; comments on
colleagues' losses stay, signed "a former member"; every team keeps a manager."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.db import DatabaseError
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recovery.models import CheckIn, CsvImport, LostDeal, Reflection, Webhook
from teams import services
from teams.models import (
    Comment,
    Encouragement,
    Invitation,
    Membership,
    Notification,
    Role,
    SharedLoss,
    Team,
    TrustedColleague,
    User,
)
from tests.conftest import PASSWORD, join, make_loss, make_user, share

URL = reverse("teams:account_delete")
CONFIRM = {"password": PASSWORD, "confirmation": "delete my account"}


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def set_joined(team, user, days_ago):
    Membership.objects.filter(team=team, user=user).update(
        joined_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


@pytest.fixture
def everything(owner, team, teammate, trusted, manager):
    """The owner's whole life in Rebound, and a colleague's, side by side."""
    deal = make_loss(owner, name="Globex expansion")
    shared = share(deal, team=team)
    services.comment_create(shared=shared, author=teammate, body="Rough one. Proud of you for sharing.")
    services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.BEEN_THERE)
    services.comment_create(shared=shared, author=owner, body="Thanks, it helps.")

    theirs = make_loss(teammate, name="Initech pilot")
    theirs_shared = share(theirs, team=team)
    kept = services.comment_create(
        shared=theirs_shared, author=owner, body="Been there. You'll get the next one."
    )
    services.encouragement_toggle(shared=theirs_shared, user=owner, kind=Encouragement.Kind.YOU_GOT_THIS)
    theirs.reflection.people.add(owner)  # the teammate planned to talk to the owner

    TrustedColleague.objects.create(owner=teammate, colleague=owner)  # `trusted` is on the owner's list
    CsvImport.objects.create(owner=owner, filename="hubspot.csv", content="Deal Name\nAcme\n")
    Webhook.objects.create(owner=owner, secret="s" * 64)
    return {"deal": deal, "shared": shared, "theirs": theirs, "theirs_shared": theirs_shared, "kept": kept}


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login_and_nothing_is_deleted(client, owner):
    for response in (client.get(URL), client.post(URL, CONFIRM)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert User.objects.filter(pk=owner.pk).exists()


def test_other_methods_are_refused(owner_client, owner):
    assert owner_client.put(URL).status_code == 405
    assert owner_client.delete(URL).status_code == 405
    assert User.objects.filter(pk=owner.pk).exists()


def test_the_profile_page_links_to_it(owner_client):
    assert f'href="{URL}"' in owner_client.get(reverse("teams:profile")).text


# ---------------------------------------------------------------- the page


def test_the_page_explains_what_happens_and_deleting_needs_a_post(owner_client, owner, everything):
    response = owner_client.get(URL)
    assert response.status_code == 200
    text = response.text
    assert "Your 1 lost deal, with its reflection and check-ins." in text
    assert "your shared losses leave every feed, with the comments and encouragement on them" in text
    assert "Your CSV imports and CRM webhook addresses" in text
    assert "Your list of trusted colleagues, and your place on theirs." in text
    # The decision about comments, said before it happens.
    assert "The 1 comment you wrote on colleagues' losses stays" in text
    assert "signed “a former member” instead of your name" in text
    assert "<strong>EMEA Mid-Market</strong>" in text
    assert "you leave it; everyone else stays, with its other managers." in text
    assert 'name="password"' in text
    assert 'name="confirmation"' in text
    assert User.objects.filter(pk=owner.pk).exists()
    assert LostDeal.objects.filter(owner=owner).count() == 1


def test_the_page_says_which_team_goes_and_who_becomes_manager(client, team, manager, owner, teammate):
    solo = services.team_create(creator=manager, name="Manager's own")
    set_joined(team, owner, days_ago=30)
    set_joined(team, teammate, days_ago=60)
    client.force_login(manager)
    text = client.get(URL).text
    assert "you're its only member, so the team is deleted too." in text
    assert (
        "you're its only manager, so Theo Teammate, its longest-standing member, becomes its manager." in text
    )
    # Nothing of theirs to count: said plainly, not as "0 lost deals".
    assert "Your lost deals, with their reflections and check-ins (you have none at the moment)." in text
    assert "You haven't commented on colleagues' losses." in text
    assert Team.objects.filter(pk=solo.pk).exists()
    assert Membership.objects.get(team=team, user=teammate).role == Role.MEMBER


def test_the_page_costs_the_same_queries_however_many_teams_need_a_new_manager(
    client, manager, django_assert_num_queries
):
    client.force_login(manager)

    def teams_to_hand_over(count):
        for number in range(count):
            team = services.team_create(creator=manager, name=f"Team {number}")
            join(team, make_user(f"member{number}-{count}@example.com", f"Member {number}"))
            join(team, make_user(f"second{number}-{count}@example.com", f"Second {number}"))

    # Session and user, the header's unread count, then the page's own: the teams, how many
    # others and managers each has, the next managers in one query, the losses and the comments.
    expected = 2 + 1 + 5
    teams_to_hand_over(1)
    with django_assert_num_queries(expected):
        assert client.get(URL).status_code == 200
    teams_to_hand_over(5)
    with django_assert_num_queries(expected):
        response = client.get(URL)
    assert response.text.count("its longest-standing member, becomes its manager") == 6


# ---------------------------------------------------------------- refusals


def test_a_wrong_password_is_refused_and_nothing_is_deleted(owner_client, owner, everything):
    response = owner_client.post(URL, {**CONFIRM, "password": "not-my-password"})
    assert response.status_code == 200
    assert "That isn&#x27;t your password. Nothing was deleted." in response.text
    assert User.objects.filter(pk=owner.pk).exists()
    assert LostDeal.objects.filter(owner=owner).count() == 1
    assert Membership.objects.filter(user=owner).count() == 1
    assert "_auth_user_id" in owner_client.session
    # The same form with the right password deletes: the refusal was about the password.
    assert owner_client.post(URL, CONFIRM).status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("typed", ["", "delete", "yes", "delete my acount"])
def test_the_confirmation_must_be_typed_out(owner_client, owner, typed):
    response = owner_client.post(URL, {**CONFIRM, "confirmation": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["confirmation"]
    assert User.objects.filter(pk=owner.pk).exists()


def test_the_confirmation_forgives_capitals_and_spaces(owner_client, owner):
    response = owner_client.post(URL, {**CONFIRM, "confirmation": "  Delete  my Account "})
    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()


def test_guessing_the_password_here_is_limited_like_signing_in(owner_client, owner):
    for _ in range(5):
        owner_client.post(URL, {**CONFIRM, "password": "guess"})
    response = owner_client.post(URL, CONFIRM)
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.text
    assert User.objects.filter(pk=owner.pk).exists()


def test_a_failure_midway_undoes_the_steps_before_it(team, manager, owner, monkeypatch):
    """One transaction: a team deleted and a manager promoted are undone if deleting the user fails."""
    solo = services.team_create(creator=manager, name="Just me")
    real_delete = QuerySet.delete

    def fail_on_users(queryset):
        if queryset.model is User:
            raise DatabaseError("the database went away")
        return real_delete(queryset)

    monkeypatch.setattr(QuerySet, "delete", fail_on_users)
    with pytest.raises(DatabaseError):
        services.user_delete(user=manager)
    monkeypatch.undo()
    assert User.objects.filter(pk=manager.pk).exists()
    assert Team.objects.filter(pk=solo.pk).exists()
    assert Membership.objects.get(team=team, user=owner).role == Role.MEMBER
    assert Membership.objects.get(team=team, user=manager).role == Role.MANAGER


# ---------------------------------------------------------------- what goes, what stays


def test_everything_that_was_theirs_is_deleted(owner_client, owner, teammate, trusted, everything):
    deal, shared = everything["deal"], everything["shared"]
    assert Reflection.objects.filter(deal=deal).exists()
    assert CheckIn.objects.filter(deal=deal).exists()
    assert Notification.objects.filter(recipient=owner).exists()
    assert Notification.objects.filter(actor=owner).exists()

    response = owner_client.post(URL, CONFIRM)

    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not LostDeal.objects.filter(pk=deal.pk).exists()
    assert not Reflection.objects.filter(deal_id=deal.pk).exists()
    assert not CheckIn.objects.filter(deal_id=deal.pk).exists()
    assert not SharedLoss.objects.filter(pk=shared.pk).exists()
    assert not Comment.objects.filter(shared_id=shared.pk).exists()
    assert not Encouragement.objects.filter(shared_id=shared.pk).exists()
    assert not Notification.objects.filter(shared_id=shared.pk).exists()
    assert not CsvImport.objects.filter(owner_id=owner.pk).exists()
    assert not Webhook.objects.filter(owner_id=owner.pk).exists()
    assert not Notification.objects.filter(recipient_id=owner.pk).exists()
    assert not Notification.objects.filter(actor_id=owner.pk).exists()
    assert not TrustedColleague.objects.filter(owner_id=owner.pk).exists()
    assert not TrustedColleague.objects.filter(colleague_id=owner.pk).exists()
    assert not Membership.objects.filter(user_id=owner.pk).exists()
    assert not Encouragement.objects.filter(user_id=owner.pk).exists()
    assert not EmailAddress.objects.filter(email=owner.email).exists()


def test_what_was_the_colleagues_stays_theirs(owner_client, owner, team, teammate, trusted, everything):
    theirs, theirs_shared = everything["theirs"], everything["theirs_shared"]
    owner_client.post(URL, CONFIRM)

    assert LostDeal.objects.filter(pk=theirs.pk).exists()
    assert SharedLoss.objects.filter(pk=theirs_shared.pk).exists()
    assert Reflection.objects.filter(deal=theirs).exists()
    assert list(theirs.reflection.people.all()) == []
    assert Team.objects.filter(pk=team.pk).exists()
    assert Membership.objects.filter(team=team).count() == 3  # manager, teammate, trusted


def test_comments_on_colleagues_losses_stay_signed_a_former_member(client, owner, teammate, everything):
    kept = everything["kept"]
    client.force_login(owner)
    client.post(URL, CONFIRM)

    kept.refresh_from_db()
    assert kept.author is None
    assert kept.body == "Been there. You'll get the next one."
    client.force_login(teammate)
    page = client.get(reverse("teams:shared_loss", kwargs={"code": everything["theirs"].code}))
    assert page.status_code == 200
    assert '<strong class="comment__author">A former member</strong>' in page.text
    assert "Been there. You&#x27;ll get the next one." in page.text
    assert "Olivia Owner" not in page.text


def test_it_signs_out_and_lands_on_the_landing_page_with_a_message(owner_client, owner):
    response = owner_client.post(URL, CONFIRM, follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "_auth_user_id" not in owner_client.session
    assert "Lost a deal? Feel it, share it, move on." in response.text  # the landing page
    assert "Your account is deleted, with everything that was yours in it." in response.text


def test_their_other_sessions_are_signed_out_too(owner_client, owner):
    laptop = Client()
    laptop.force_login(owner)
    assert laptop.get(reverse("teams:feed")).status_code == 200
    owner_client.post(URL, CONFIRM)
    response = laptop.get(reverse("teams:feed"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_address_can_sign_up_afresh(owner_client, owner):
    owner_client.post(URL, CONFIRM)
    again = make_user(owner.email, "Olivia Again")
    assert again.pk != owner.pk
    assert not LostDeal.objects.filter(owner=again).exists()


# ---------------------------------------------------------------- every team keeps a manager


def test_the_last_managers_team_gets_its_longest_standing_member_as_manager(
    client, team, manager, owner, teammate
):
    # The teammate joined first, although their account (and membership row) was made later.
    set_joined(team, owner, days_ago=30)
    set_joined(team, teammate, days_ago=60)
    client.force_login(manager)
    assert client.post(URL, CONFIRM).status_code == 302

    assert not User.objects.filter(pk=manager.pk).exists()
    assert Membership.objects.get(team=team, user=teammate).role == Role.MANAGER
    assert Membership.objects.get(team=team, user=owner).role == Role.MEMBER


def test_a_team_with_another_manager_promotes_nobody(client, team, manager, owner, teammate):
    Membership.objects.filter(team=team, user=teammate).update(role=Role.MANAGER)
    client.force_login(manager)
    client.post(URL, CONFIRM)
    assert list(Membership.objects.filter(team=team, role=Role.MANAGER).values_list("user", flat=True)) == [
        teammate.pk
    ]
    assert Membership.objects.get(team=team, user=owner).role == Role.MEMBER


def test_a_member_leaving_changes_no_roles(owner_client, team, manager, teammate):
    owner_client.post(URL, CONFIRM)
    roles = dict(Membership.objects.filter(team=team).values_list("user", "role"))
    assert roles == {manager.pk: Role.MANAGER, teammate.pk: Role.MEMBER}


def test_a_team_left_with_nobody_is_deleted(client, other_team_member, team):
    apac = Team.objects.get(name="APAC Enterprise")
    services.invitation_create(team=apac, invited_by=other_team_member, email="new@example.com")
    client.force_login(other_team_member)
    assert client.post(URL, CONFIRM).status_code == 302

    assert not Team.objects.filter(pk=apac.pk).exists()
    assert not Invitation.objects.filter(team_id=apac.pk).exists()
    assert Team.objects.filter(pk=team.pk).exists()  # someone else's team is untouched


def test_every_team_is_handled_in_one_go(client, manager, team, owner, other_team_member):
    solo = services.team_create(creator=manager, name="Just me")
    shared_team = services.team_create(creator=other_team_member, name="Shared")
    join(shared_team, manager, role=Role.MANAGER)
    client.force_login(manager)
    client.post(URL, CONFIRM)

    assert not Team.objects.filter(pk=solo.pk).exists()
    assert Membership.objects.get(team=team, user=owner).role == Role.MANAGER
    assert list(shared_team.memberships.values_list("user", "role")) == [(other_team_member.pk, Role.MANAGER)]
