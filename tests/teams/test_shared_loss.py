"""One shared loss's page: only its audience sees it, and only what its owner allowed."""

import uuid

import pytest
from django.urls import reverse

from recovery import services as recovery_services
from teams import services as team_services
from teams.models import Comment, Encouragement
from tests.conftest import HEADER_QUERIES, audience_line_of, join, make_loss, make_user, share


def page_url(deal):
    return reverse("teams:shared_loss", kwargs={"code": deal.code})


@pytest.fixture
def deal(owner):
    return make_loss(owner, name="Globex expansion", amount=54321, currency="GBP", stage="demo")


@pytest.fixture
def team_share(deal, team):
    return share(deal, team=team, message="Lost it at the demo. Any tips?")


@pytest.fixture
def trusted_share(deal, trusted):
    return share(deal, team=None, message="Only for the people I trust.")


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client, team_share, deal):
    response = client.get(page_url(deal))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_page_refuses_post(owner_client, team_share, deal):
    assert owner_client.post(page_url(deal)).status_code == 405


@pytest.mark.parametrize("persona", ["owner", "teammate", "manager"])
def test_owner_and_team_members_see_a_loss_shared_with_the_team(client, request, team_share, deal, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(page_url(deal))
    assert response.status_code == 200
    assert response.context["card"].title == "Globex expansion"
    assert "Lost it at the demo. Any tips?" in response.text


@pytest.mark.parametrize("persona", ["former_member", "other_team_member", "outsider"])
def test_people_outside_the_audience_get_404(client, request, team_share, deal, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(page_url(deal))
    assert response.status_code == 404
    assert "Globex expansion" not in response.text
    assert "Lost it at the demo" not in response.text


def test_a_trusted_share_is_seen_by_trusted_colleagues_only(
    client, trusted_share, deal, trusted, teammate, manager
):
    client.force_login(trusted)
    assert client.get(page_url(deal)).status_code == 200
    # The manager and a teammate are in the owner's team, but not trusted: nothing to see.
    for person in (manager, teammate):
        client.force_login(person)
        response = client.get(page_url(deal))
        assert response.status_code == 404
        assert "Only for the people I trust." not in response.text


def test_a_trusted_colleague_who_leaves_the_owners_teams_stops_seeing_it(
    client, trusted_share, deal, trusted, team
):
    client.force_login(trusted)
    assert client.get(page_url(deal)).status_code == 200
    team_services.membership_leave(membership=trusted.memberships.get(team=team))
    assert client.get(page_url(deal)).status_code == 404


def test_a_private_loss_gets_404_even_for_its_owner_here(owner_client, client, deal, team, teammate):
    """Not shared: it has no shared page; its owner has their own private page instead."""
    assert owner_client.get(page_url(deal)).status_code == 404
    client.force_login(teammate)
    assert client.get(page_url(deal)).status_code == 404


def test_an_unknown_code_gets_404(client, teammate, team_share):
    client.force_login(teammate)
    assert client.get(reverse("teams:shared_loss", kwargs={"code": uuid.uuid4()})).status_code == 404


def test_an_unshared_loss_gets_404_at_once(client, teammate, team_share, deal):
    client.force_login(teammate)
    team_services.loss_unshare(shared=team_share)
    assert client.get(page_url(deal)).status_code == 404


# ---------------------------------------------------------------- what is shown (privacy)

MARKERS = {
    "notes": "MARKER-NOTES-7f3a",
    "feelings": "MARKER-FEELINGS-1b2c",
    "talk_to": "MARKER-TALK-TO-9d8e",
    "unhelpful_advice": "MARKER-ADVICE-4e5f",
    "outside_control": "MARKER-OUTSIDE-6a7b",
    "check_in_note": "MARKER-CHECKIN-3c4d",
    "person": "Percy Peoplemarker",
}


@pytest.fixture
def fully_reflected(owner, team):
    """A loss with every private part filled with marker strings, then shared with everything allowed."""
    deal = make_loss(owner, name="Marker Corp", notes=MARKERS["notes"])
    person = make_user("percy@example.com", MARKERS["person"])
    join(team, person)
    recovery_services.reflection_save(
        reflection=deal.reflection,
        emotions=["ashamed", "lonely"],
        mood=1,
        feelings=MARKERS["feelings"],
        talk_to=MARKERS["talk_to"],
        unhelpful_advice=MARKERS["unhelpful_advice"],
        outside_control=MARKERS["outside_control"],
        lesson="Qualify the budget in the first call",
        finish=True,
    )
    deal.reflection.people.add(person)
    recovery_services.check_in_create(deal=deal, mood=2, note=MARKERS["check_in_note"])
    share(deal, team=team, show_name=True, show_amount=True, include_lesson=True)
    return deal


def test_the_audience_never_sees_feelings_people_notes_or_check_ins(client, fully_reflected, teammate):
    client.force_login(teammate)
    response = client.get(page_url(fully_reflected))
    assert response.status_code == 200
    for marker in MARKERS.values():
        assert marker not in response.text
    for emotion in ("Ashamed", "Lonely", "Very low", "1 · ", "2 · Low"):
        assert emotion not in response.text
    # What the owner allowed is there.
    assert "Marker Corp" in response.text
    assert "Qualify the budget in the first call" in response.text


def test_the_owner_does_not_see_their_private_parts_here_either(owner_client, fully_reflected):
    """The shared page shows the owner what their audience sees, nothing more."""
    response = owner_client.get(page_url(fully_reflected))
    for marker in MARKERS.values():
        assert marker not in response.text
    assert reverse("recovery:loss_detail", kwargs={"code": fully_reflected.code}) in response.text


def test_name_amount_and_lesson_are_hidden_unless_allowed(client, owner, team, teammate):
    deal = make_loss(owner, name="Hidden Name Ltd", amount=77777, stage="negotiation")
    recovery_services.reflection_save(
        reflection=deal.reflection,
        emotions=[],
        mood=None,
        feelings="",
        talk_to="",
        unhelpful_advice="",
        outside_control="",
        lesson="A lesson kept to myself",
    )
    share(deal, team=team, show_name=False, show_amount=False, include_lesson=False)
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert "Hidden Name Ltd" not in response.text
    assert "77,777" not in response.text and "77777" not in response.text
    assert "A lesson kept to myself" not in response.text
    assert "A deal lost at the negotiation stage" in response.text


def test_name_amount_and_lesson_are_shown_when_allowed(client, team_share, deal, teammate):
    deal.reflection.lesson = "Book the demo with the decision maker"
    deal.reflection.save()
    team_share.show_amount = team_share.include_lesson = True
    team_share.save()
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert "Globex expansion" in response.text
    assert "GBP 54,321" in response.text
    assert "Book the demo with the decision maker" in response.text


def test_the_page_says_who_can_see_it(client, owner, team_share, deal, teammate):
    client.force_login(teammate)
    assert "Olivia Owner shared this with everyone in EMEA Mid-Market." in client.get(page_url(deal)).text
    client.force_login(owner)
    assert audience_line_of(deal) in client.get(page_url(deal)).text


def test_a_trusted_colleague_is_told_they_are_one_of_the_trusted(client, trusted_share, deal, trusted):
    client.force_login(trusted)
    assert "shared this with the colleagues they trust, you among them" in client.get(page_url(deal)).text


# ---------------------------------------------------------------- encouragement and comments on the page


def test_the_audience_gets_the_four_encouragement_buttons_with_their_state(
    client, team_share, deal, teammate
):
    team_services.encouragement_toggle(shared=team_share, user=teammate, kind=Encouragement.Kind.BEEN_THERE)
    client.force_login(teammate)
    response = client.get(page_url(deal))
    buttons = {button.kind: (button.count, button.given) for button in response.context["encouragements"]}
    assert buttons == {
        "been_there": (1, True),
        "you_got_this": (0, False),
        "proud": (0, False),
        "here_to_talk": (0, False),
    }
    assert response.text.count('action="' + reverse("teams:encourage", kwargs={"code": deal.code})) == 4
    assert response.text.count('aria-pressed="true"') == 1
    assert response.text.count('aria-pressed="false"') == 3


def test_the_owner_sees_counts_and_who_encouraged_but_no_buttons(
    owner_client, team_share, deal, teammate, manager
):
    team_services.encouragement_toggle(shared=team_share, user=teammate, kind=Encouragement.Kind.PROUD)
    team_services.encouragement_toggle(shared=team_share, user=manager, kind=Encouragement.Kind.PROUD)
    response = owner_client.get(page_url(deal))
    assert reverse("teams:encourage", kwargs={"code": deal.code}) not in response.text
    assert "aria-pressed" not in response.text
    proud = next(button for button in response.context["encouragements"] if button.kind == "proud")
    assert proud.count == 2
    assert proud.names == ["Theo Teammate", "Maya Manager"]
    assert "Theo Teammate, Maya Manager" in response.text


def test_the_audience_is_not_told_who_encouraged(client, team_share, deal, teammate, manager):
    team_services.encouragement_toggle(shared=team_share, user=manager, kind=Encouragement.Kind.PROUD)
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert all(button.names == [] for button in response.context["encouragements"])
    assert "Maya Manager" not in response.text


def test_comments_are_shown_oldest_first_with_their_authors(client, team_share, deal, teammate, manager):
    team_services.comment_create(shared=team_share, author=teammate, body="First comment")
    team_services.comment_create(shared=team_share, author=manager, body="Second comment")
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert [comment.body for comment in response.context["comments"]] == ["First comment", "Second comment"]
    assert response.text.index("First comment") < response.text.index("Second comment")
    assert "Theo Teammate" in response.text and "Maya Manager" in response.text


def test_a_deleted_authors_comment_is_signed_a_former_member(client, team_share, deal, teammate):
    leaver = make_user("leaver@example.com", "Lee Leaver")
    team_services.comment_create(shared=team_share, author=leaver, body="Chin up, it happens to us all.")
    leaver.delete()
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert "Chin up, it happens to us all." in response.text
    assert "A former member" in response.text
    assert "Lee Leaver" not in response.text


# ---------------------------------------------------------------- query count


def _add_support(shared, how_many):
    """`how_many` comments and `how_many` encouragements from distinct colleagues (four kinds each)."""
    kinds = Encouragement.Kind.values
    people = [make_user(f"colleague{n}@example.com", f"Colleague {n}") for n in range((how_many + 3) // 4)]
    Encouragement.objects.bulk_create(
        Encouragement(shared=shared, user=people[n // 4], kind=kinds[n % 4]) for n in range(how_many)
    )
    Comment.objects.bulk_create(
        Comment(shared=shared, author=people[n % len(people)], body=f"Comment {n}") for n in range(how_many)
    )


# Session and user, then the page's own: the shared loss (with deal, owner and team), its reasons,
# the encouragement counts, the comments with their authors, the lesson.
AUDIENCE_QUERIES = 2 + 5
# The owner also gets the names of who encouraged them, and the audience line (its audience, counted).
OWNER_QUERIES = AUDIENCE_QUERIES + 1 + 1


@pytest.mark.parametrize("how_many", [3, 50])
def test_the_audience_page_runs_a_fixed_number_of_queries(
    client, team_share, deal, teammate, django_assert_num_queries, how_many
):
    team_share.include_lesson = True
    team_share.save()
    _add_support(team_share, how_many)
    client.force_login(teammate)
    with django_assert_num_queries(AUDIENCE_QUERIES + HEADER_QUERIES):
        response = client.get(page_url(deal))
    assert len(response.context["comments"]) == how_many
    assert response.context["card"].encouragement_count == how_many


@pytest.mark.parametrize("how_many", [3, 50])
def test_the_owners_page_runs_a_fixed_number_of_queries(
    owner_client, owner, team_share, deal, django_assert_num_queries, how_many
):
    team_share.include_lesson = True
    team_share.save()
    _add_support(team_share, how_many)
    with django_assert_num_queries(OWNER_QUERIES + HEADER_QUERIES):
        response = owner_client.get(page_url(deal))
    assert len(response.context["comments"]) == how_many
    assert sum(len(button.names) for button in response.context["encouragements"]) == how_many
