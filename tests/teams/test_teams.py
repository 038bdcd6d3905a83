"""My teams, one team's page, and what managers and members can do there."""

import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from teams import services
from teams.models import Invitation, Membership, Role, SharedLoss, Team
from tests.conftest import HEADER_QUERIES, join, make_loss, make_user, share

# Session, user, then the page's own queries (read them in the failure output before changing these).
LIST_QUERIES = 3 + HEADER_QUERIES  # my memberships with their team and member count
DETAIL_QUERIES = 4 + HEADER_QUERIES  # the team, its members with their users
MANAGER_DETAIL_QUERIES = 5 + HEADER_QUERIES  # ... and the open invitations with who sent them

POST_ONLY = ["team_leave", "invitation_create"]  # take the team's code only
MEMBER_ACTIONS = ["member_remove", "member_set_role"]  # take the team's and a membership's code


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def detail_url(team):
    return reverse("teams:team_detail", kwargs={"code": team.code})


def member_url(name, membership):
    return reverse(f"teams:{name}", kwargs={"code": membership.team.code, "membership": membership.code})


def role_of(team, user):
    return Membership.objects.get(team=team, user=user).role


def share_with_team(owner, team, name="Acme renewal"):
    return share(make_loss(owner, name=name), team=team, message="Lost on price.")


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("url_name", ["teams:team_list"])
def test_anonymous_is_sent_to_login_from_my_teams(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_anonymous_is_sent_to_login_from_a_team_page(client, team):
    response = client.get(detail_url(team))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "EMEA Mid-Market" not in response.text


@pytest.mark.parametrize("url_name", POST_ONLY)
def test_anonymous_posts_to_team_actions_are_sent_to_login(client, team, owner, url_name):
    response = client.post(
        reverse(f"teams:{url_name}", kwargs={"code": team.code}), {"email": "x@example.com"}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert Membership.objects.filter(team=team, user=owner).exists()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("url_name", MEMBER_ACTIONS)
def test_anonymous_posts_to_member_actions_are_sent_to_login(client, team, owner, url_name):
    membership = Membership.objects.get(team=team, user=owner)
    response = client.post(member_url(url_name, membership), {"role": "manager"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert role_of(team, owner) == Role.MEMBER


def test_anonymous_cannot_create_a_team(client, db):
    response = client.post(reverse("teams:team_create"), {"name": "Sneaky"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Team.objects.exists()


def test_post_only_views_refuse_get(client, team, manager, owner):
    client.force_login(manager)
    membership = Membership.objects.get(team=team, user=owner)
    invitation, _token = services.invitation_create(team=team, invited_by=manager, email="new@example.com")
    urls = [
        reverse("teams:team_create"),
        reverse("teams:team_leave", kwargs={"code": team.code}),
        reverse("teams:invitation_create", kwargs={"code": team.code}),
        reverse("teams:invitation_revoke", kwargs={"code": team.code, "invitation": invitation.code}),
        member_url("member_remove", membership),
        member_url("member_set_role", membership),
    ]
    for url in urls:
        assert client.get(url).status_code == 405, url
    assert Membership.objects.filter(team=team, user=owner, role=Role.MEMBER).exists()
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize("url_name", ["teams:team_list"])
def test_my_teams_refuses_post(owner_client, url_name):
    assert owner_client.post(reverse(url_name)).status_code == 405


def test_team_page_refuses_post(owner_client, team):
    assert owner_client.post(detail_url(team)).status_code == 405


def test_team_actions_refuse_a_post_without_csrf_token(team, manager, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    membership = Membership.objects.get(team=team, user=owner)
    assert client.post(member_url("member_remove", membership)).status_code == 403
    assert client.post(reverse("teams:team_create"), {"name": "Forged"}).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert Team.objects.count() == 1


# ---------------------------------------------------------------- my teams


def test_my_teams_lists_each_team_with_my_role_and_its_member_count(owner_client, team, teammate, owner):
    other = services.team_create(creator=owner, name="Benelux Partners")
    response = owner_client.get(reverse("teams:team_list"))
    assert response.status_code == 200
    rows = {m.team.name: (m.role, m.member_count) for m in response.context["memberships"]}
    assert rows == {"Benelux Partners": (Role.MANAGER, 1), "EMEA Mid-Market": (Role.MEMBER, 3)}
    assert detail_url(team) in response.text
    assert detail_url(other) in response.text


def test_my_teams_does_not_list_teams_i_am_not_in(outsider_client, team, other_team_member):
    response = outsider_client.get(reverse("teams:team_list"))
    assert list(response.context["memberships"]) == []
    assert detail_url(team) not in response.text
    assert "APAC Enterprise" not in response.text
    assert "You're not in a team yet" in response.text
    assert "Surround yourself with the right people." in response.text


def test_former_member_no_longer_sees_the_team_in_my_teams(client, former_member, team):
    client.force_login(former_member)
    response = client.get(reverse("teams:team_list"))
    assert list(response.context["memberships"]) == []
    assert detail_url(team) not in response.text


@pytest.mark.parametrize("teams", [3, 50])
def test_my_teams_runs_a_fixed_number_of_queries(client, db, teams, django_assert_num_queries):
    person = make_user("busy@example.com", "Bea Busy")
    for number in range(teams):
        team = services.team_create(
            creator=make_user(f"m{number}@example.com", f"M {number}"), name=f"T{number}"
        )
        join(team, person)
    client.force_login(person)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("teams:team_list"))
    assert len(response.context["memberships"]) == teams
    assert all(m.member_count == 2 for m in response.context["memberships"])


# ---------------------------------------------------------------- create a team


def test_creating_a_team_makes_the_creator_its_manager(owner_client, owner):
    response = owner_client.post(reverse("teams:team_create"), {"name": "  Nordics Inside Sales "})
    team = Team.objects.get()
    assert team.name == "Nordics Inside Sales"
    assert response.status_code == 302
    assert response.url == detail_url(team)
    assert list(Membership.objects.filter(team=team).values_list("user", "role")) == [
        (owner.pk, Role.MANAGER)
    ]
    assert any("you're its manager" in text for text in message_texts(response))


def test_a_person_can_be_in_several_teams(owner_client, owner, team):
    owner_client.post(reverse("teams:team_create"), {"name": "Benelux Partners"})
    owner_client.post(reverse("teams:team_create"), {"name": "Channel"})
    assert set(owner.teams.values_list("name", flat=True)) == {
        "EMEA Mid-Market",
        "Benelux Partners",
        "Channel",
    }
    for each in owner.teams.all():
        assert owner_client.get(detail_url(each)).status_code == 200


@pytest.mark.parametrize(
    ("name", "error"),
    [("", "This field is required."), ("x" * 81, "at most 80 characters")],
)
def test_a_bad_team_name_is_shown_next_to_the_field_and_nothing_is_created(owner_client, name, error):
    response = owner_client.post(reverse("teams:team_create"), {"name": name})
    assert response.status_code == 200
    assert error in str(response.context["form"].errors["name"])
    assert 'aria-invalid="true"' in response.text
    assert f'value="{name}"' in response.text or not name
    assert not Team.objects.exists()
    assert not Membership.objects.exists()


# ---------------------------------------------------------------- a team's page


def test_members_see_everyone_in_the_team_with_their_roles(client, team, owner, manager, teammate):
    client.force_login(teammate)
    response = client.get(detail_url(team))
    assert response.status_code == 200
    people = {m.user.name: m.role for m in response.context["memberships"]}
    assert people == {"Maya Manager": Role.MANAGER, "Olivia Owner": Role.MEMBER, "Theo Teammate": Role.MEMBER}
    for name in people:
        assert name in response.text
    assert "Leave EMEA Mid-Market" in response.text


def test_the_team_page_shows_names_but_nothing_private(client, team, owner, teammate):
    make_loss(owner, name="Secret Deal Inc", notes="My private notes")
    client.force_login(teammate)
    response = client.get(detail_url(team))
    assert "Olivia Owner" in response.text
    assert "owner@example.com" not in response.text
    assert "Secret Deal Inc" not in response.text
    assert "My private notes" not in response.text


def test_members_who_are_not_managers_see_no_manager_controls(client, team, teammate, manager):
    services.invitation_create(team=team, invited_by=manager, email="pending@example.com")
    client.force_login(teammate)
    response = client.get(detail_url(team))
    assert "invitation_form" not in response.context
    assert "pending@example.com" not in response.text
    assert "Make manager" not in response.text
    assert "Remove" not in response.text


def test_managers_see_the_invite_form_open_invitations_and_member_controls(client, team, manager, owner):
    services.invitation_create(team=team, invited_by=manager, email="pending@example.com")
    client.force_login(manager)
    response = client.get(detail_url(team))
    assert "invitation_form" in response.context
    assert "pending@example.com" in response.text
    assert "Revoke" in response.text
    assert "Make manager" in response.text
    assert 'Remove<span class="visually-hidden"> Olivia Owner from EMEA Mid-Market' in response.text


@pytest.mark.parametrize("persona", ["outsider", "former_member", "other_team_member"])
def test_people_outside_the_team_get_404_on_its_page(client, team, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(detail_url(team))
    assert response.status_code == 404
    assert "EMEA Mid-Market" not in response.text
    assert "Olivia Owner" not in response.text


def test_a_team_that_does_not_exist_gets_404(owner_client, team):
    assert owner_client.get(reverse("teams:team_detail", kwargs={"code": uuid.uuid4()})).status_code == 404


@pytest.mark.parametrize("members", [3, 50])
def test_the_team_page_runs_a_fixed_number_of_queries(
    client, team, manager, members, django_assert_num_queries
):
    for number in range(members):
        join(team, make_user(f"member{number}@example.com", f"Member {number}"))
        services.invitation_create(team=team, invited_by=manager, email=f"invitee{number}@example.com")
    client.force_login(manager)
    with django_assert_num_queries(MANAGER_DETAIL_QUERIES):
        response = client.get(detail_url(team))
    assert len(response.context["memberships"]) == members + 2
    assert response.text.count("Revoke<span") == members

    member = Membership.objects.filter(team=team, role=Role.MEMBER).first().user
    client.force_login(member)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(detail_url(team))


# ---------------------------------------------------------------- manager actions


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "former_member", "other_team_member"])
def test_changing_a_role_is_404_for_non_managers_and_works_for_the_manager(
    client, team, owner, persona, request
):
    """The refusal is about who asks: the very same POST by the team's manager succeeds."""
    membership = Membership.objects.get(team=team, user=owner)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(member_url("member_set_role", membership), {"role": "manager"})
    assert response.status_code == 404
    assert role_of(team, owner) == Role.MEMBER

    client.force_login(team.memberships.get(role=Role.MANAGER).user)
    response = client.post(member_url("member_set_role", membership), {"role": "manager"})
    assert response.status_code == 302
    assert response.url == detail_url(team)
    assert role_of(team, owner) == Role.MANAGER
    assert "Olivia Owner is now a manager of EMEA Mid-Market." in message_texts(response)


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "former_member", "other_team_member"])
def test_removing_a_member_is_404_for_non_managers_and_works_for_the_manager(
    client, team, teammate, manager, persona, request
):
    membership = Membership.objects.get(team=team, user=teammate)
    url = member_url("member_remove", membership)  # The teammate too: they leave, they don't remove.
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()

    client.force_login(manager)
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == detail_url(team)
    assert not Membership.objects.filter(team=team, user=teammate).exists()
    assert "Theo Teammate is no longer in EMEA Mid-Market." in message_texts(response)


def test_a_manager_of_another_team_cannot_manage_this_one(client, team, owner, other_team_member):
    membership = Membership.objects.get(team=team, user=owner)
    client.force_login(other_team_member)
    assert client.post(member_url("member_set_role", membership), {"role": "manager"}).status_code == 404
    assert client.post(member_url("member_remove", membership)).status_code == 404
    assert role_of(team, owner) == Role.MEMBER


def test_a_membership_of_another_team_is_404_even_for_a_manager(client, team, manager, other_team_member):
    """A manager's team code with someone else's membership code finds nothing."""
    elsewhere = Membership.objects.get(user=other_team_member)
    url = reverse("teams:member_remove", kwargs={"code": team.code, "membership": elsewhere.code})
    client.force_login(manager)
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.parametrize("role", ["", "owner", "admin", "MANAGER"])
def test_an_unknown_role_is_refused_with_a_message_and_nothing_changes(client, team, manager, owner, role):
    membership = Membership.objects.get(team=team, user=owner)
    client.force_login(manager)
    response = client.post(member_url("member_set_role", membership), {"role": role})
    assert response.status_code == 302
    assert role_of(team, owner) == Role.MEMBER
    assert "Choose whether they are a manager or a member." in message_texts(response)


def test_a_manager_can_make_a_manager_a_member_again(client, team, manager, owner):
    membership = Membership.objects.get(team=team, user=owner)
    services.membership_set_role(membership=membership, role=Role.MANAGER)
    client.force_login(manager)
    response = client.post(member_url("member_set_role", membership), {"role": "member"})
    assert response.status_code == 302
    assert role_of(team, owner) == Role.MEMBER


# ---------------------------------------------------------------- at least one manager


def test_the_last_manager_cannot_make_themselves_a_member(client, team, manager):
    membership = Membership.objects.get(team=team, user=manager)
    client.force_login(manager)
    response = client.post(member_url("member_set_role", membership), {"role": "member"})
    assert response.status_code == 302
    assert role_of(team, manager) == Role.MANAGER
    assert any("needs at least one manager" in text for text in message_texts(response))


def test_the_last_manager_cannot_remove_themselves(client, team, manager):
    membership = Membership.objects.get(team=team, user=manager)
    client.force_login(manager)
    response = client.post(member_url("member_remove", membership))
    assert response.status_code == 302
    assert response.url == detail_url(team)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert any("needs at least one manager" in text for text in message_texts(response))


def test_the_last_manager_cannot_leave_but_can_once_someone_else_manages(client, team, manager, owner):
    client.force_login(manager)
    url = reverse("teams:team_leave", kwargs={"code": team.code})
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == detail_url(team)
    assert role_of(team, manager) == Role.MANAGER
    assert any("needs at least one manager" in text for text in message_texts(response))

    client.post(
        member_url("member_set_role", Membership.objects.get(team=team, user=owner)), {"role": "manager"}
    )
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("teams:team_list")
    assert not Membership.objects.filter(team=team, user=manager).exists()
    assert list(team.memberships.values_list("user", "role")) == [(owner.pk, Role.MANAGER)]


def test_with_two_managers_one_can_step_down(client, team, manager, owner):
    services.membership_set_role(membership=Membership.objects.get(team=team, user=owner), role=Role.MANAGER)
    client.force_login(manager)
    response = client.post(
        member_url("member_set_role", Membership.objects.get(team=team, user=manager)), {"role": "member"}
    )
    assert role_of(team, manager) == Role.MEMBER
    assert "You're now a member of EMEA Mid-Market." in message_texts(response)
    # No longer a manager: the manager controls are gone, and the actions are 404.
    page = client.get(detail_url(team))
    assert "invitation_form" not in page.context
    assert (
        client.post(member_url("member_remove", Membership.objects.get(team=team, user=owner))).status_code
        == 404
    )


# ---------------------------------------------------------------- leaving


def test_a_member_can_leave_and_no_longer_sees_the_team(owner_client, team, owner):
    response = owner_client.post(reverse("teams:team_leave", kwargs={"code": team.code}))
    assert response.status_code == 302
    assert response.url == reverse("teams:team_list")
    assert not Membership.objects.filter(team=team, user=owner).exists()
    assert any("You've left EMEA Mid-Market" in text for text in message_texts(response))
    assert owner_client.get(detail_url(team)).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "former_member", "other_team_member"])
def test_leaving_a_team_you_are_not_in_is_404(client, team, persona, request, owner):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("teams:team_leave", kwargs={"code": team.code})).status_code == 404
    assert team.memberships.count() == 2


def test_leaving_takes_what_you_shared_with_that_team_out_of_its_feed(owner_client, owner, team, teammate):
    shared = share_with_team(owner, team)
    other_team = services.team_create(creator=owner, name="Benelux Partners")
    shared_elsewhere = share_with_team(owner, other_team, name="Globex")
    teammates_loss = share_with_team(teammate, team, name="Initech")

    owner_client.post(reverse("teams:team_leave", kwargs={"code": team.code}))

    assert not SharedLoss.objects.filter(pk=shared.pk).exists()
    assert shared.deal.__class__.objects.filter(pk=shared.deal.pk).exists()  # The loss itself stays, private.
    assert SharedLoss.objects.filter(pk=shared_elsewhere.pk).exists()
    assert SharedLoss.objects.filter(pk=teammates_loss.pk).exists()


def test_removing_a_member_takes_what_they_shared_with_the_team_out_of_its_feed(client, manager, team, owner):
    shared = share_with_team(owner, team)
    client.force_login(manager)
    client.post(member_url("member_remove", Membership.objects.get(team=team, user=owner)))
    assert not SharedLoss.objects.filter(pk=shared.pk).exists()


def test_only_managers_see_the_link_to_the_morale_dashboard(client, team, manager, owner):
    dashboard = reverse("teams:dashboard", kwargs={"code": team.code})
    client.force_login(owner)
    assert dashboard not in client.get(reverse("teams:team_detail", kwargs={"code": team.code})).text
    client.force_login(manager)
    assert dashboard in client.get(reverse("teams:team_detail", kwargs={"code": team.code})).text
