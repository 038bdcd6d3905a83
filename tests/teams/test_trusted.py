"""Tip 2: trusted colleagues, and the colleagues a rep will talk to in their reflection."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from recovery import services as recovery_services
from recovery.models import Reflection
from teams import services as team_services
from teams.models import TrustedColleague
from tests.conftest import HEADER_QUERIES, join, make_loss, make_user

TRUSTED = reverse("teams:trusted_colleagues")


def trusted_list(user):
    return sorted(TrustedColleague.objects.filter(owner=user).values_list("colleague__name", flat=True))


def offered(text):
    """The names offered as checkboxes, in order."""
    return re.findall(r'<input type="checkbox" name="colleagues"[^>]*>\s*([^<]+?)\s*</label>', text)


def ticked(text):
    return re.findall(
        r'<input type="checkbox" name="colleagues"[^>]*checked[^>]*>\s*([^<]+?)\s*</label>', text
    )


# ---------------------------------------------------------------- the page


def test_owner_picks_from_the_members_of_their_teams_by_name_only(
    owner, owner_client, team, teammate, trusted, former_member, other_team_member, outsider
):
    text = owner_client.get(TRUSTED).text
    assert offered(text) == ["Maya Manager", "Tara Trusted", "Theo Teammate"]
    assert "teammate@example.com" not in text and "trusted@example.com" not in text
    for stranger in ("Fiona Former", "Omar Otherteam", "Oscar Outsider", "Olivia Owner</label>"):
        assert stranger not in text


def test_colleagues_from_every_team_of_mine_are_offered_once(owner, owner_client, team, teammate):
    ana = make_user("ana@example.com", "Ana Silva")
    guild = team_services.team_create(creator=owner, name="Renewals Guild")
    join(team, ana)
    join(guild, ana)  # In two teams of mine: listed once.
    join(guild, make_user("ben@example.com", "Ben Carter"))
    assert offered(owner_client.get(TRUSTED).text) == [
        "Ana Silva",
        "Ben Carter",
        "Maya Manager",
        "Theo Teammate",
    ]


def test_page_quotes_tip_2_and_says_the_list_is_private(owner_client, team, teammate):
    text = owner_client.get(TRUSTED).text
    assert "<h1>Trusted colleagues</h1>" in text
    assert "Surround yourself with the right people." in text
    assert "It's your own list: nobody is told who is on it, unless you share a loss" in text


def test_current_list_is_ticked(owner_client, team, teammate, trusted):
    assert ticked(owner_client.get(TRUSTED).text) == ["Tara Trusted"]


def test_without_teammates_the_page_explains_and_links_to_teams(owner_client):
    text = owner_client.get(TRUSTED).text
    assert "nobody else is in a team with you yet" in text
    assert f'href="{reverse("teams:team_list")}"' in text
    assert 'name="colleagues"' not in text and "<button" not in text.split("<main")[1]


def test_anonymous_is_sent_to_log_in(client, db):
    for method in ("get", "post"):
        response = getattr(client, method)(TRUSTED)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_other_methods_are_refused(owner_client, team):
    assert owner_client.put(TRUSTED).status_code == 405
    assert owner_client.delete(TRUSTED).status_code == 405


# ---------------------------------------------------------------- saving


def test_saving_replaces_the_list(owner, owner_client, team, teammate, trusted, manager):
    response = owner_client.post(TRUSTED, {"colleagues": [teammate.pk, manager.pk]})
    assert response.status_code == 302
    assert response["Location"] == TRUSTED
    assert trusted_list(owner) == ["Maya Manager", "Theo Teammate"]
    page = owner_client.get(TRUSTED).text
    assert "Saved. Your trusted colleagues: Maya Manager, Theo Teammate." in page
    assert ticked(page) == ["Maya Manager", "Theo Teammate"]


def test_saving_nothing_empties_the_list(owner, owner_client, team, trusted):
    response = owner_client.post(TRUSTED, {})
    assert response.status_code == 302
    assert trusted_list(owner) == []
    assert "Saved. Your list is empty for now." in owner_client.get(TRUSTED).text


@pytest.mark.parametrize("persona", ["outsider", "former_member", "other_team_member", "owner"])
def test_someone_outside_my_teams_cannot_be_trusted_and_nothing_is_saved(
    owner, owner_client, request, team, teammate, trusted, persona
):
    stranger = request.getfixturevalue(persona)
    response = owner_client.post(TRUSTED, {"colleagues": [teammate.pk, stranger.pk]})
    assert response.status_code == 200
    assert re.search(
        r'id="id_colleagues_error"[^>]*><li>You can only trust colleagues from your teams\.</li>',
        response.text,
    )
    assert trusted_list(owner) == ["Tara Trusted"]
    # What was ticked stays ticked, to fix and send again.
    assert ticked(response.text) == ["Theo Teammate"]
    assert owner_client.post(TRUSTED, {"colleagues": [teammate.pk]}).status_code == 302
    assert trusted_list(owner) == ["Theo Teammate"]


def test_a_made_up_id_is_refused(owner, owner_client, team, trusted):
    response = owner_client.post(TRUSTED, {"colleagues": ["not-a-number"]})
    assert response.status_code == 200
    assert "You can only trust colleagues from your teams." in response.text
    assert trusted_list(owner) == ["Tara Trusted"]


def test_the_service_refuses_a_non_teammate_too(owner, team, outsider, trusted):
    with pytest.raises(ValidationError, match="only trust colleagues from your teams"):
        team_services.trusted_colleagues_set(owner=owner, colleagues=[outsider])
    assert trusted_list(owner) == ["Tara Trusted"]


def test_each_person_sees_and_changes_only_their_own_list(client, owner, team, teammate, trusted):
    TrustedColleague.objects.create(owner=teammate, colleague=owner)
    client.force_login(teammate)
    assert ticked(client.get(TRUSTED).text) == ["Olivia Owner"]
    client.post(TRUSTED, {"colleagues": [trusted.pk]})
    assert trusted_list(teammate) == ["Tara Trusted"]
    assert trusted_list(owner) == ["Tara Trusted"]  # the owner's list is untouched


PAGES_OF_A_COLLEAGUE = [
    ("home", {}),
    ("teams:trusted_colleagues", {}),
    ("teams:team_list", {}),
    ("teams:feed", {}),
    ("teams:notifications", {}),
    ("teams:profile", {}),
]


def _without_tokens(text):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_a_colleagues_pages_never_mention_being_trusted(client, owner, team, teammate):
    """Whether the owner trusts Theo changes nothing on any of Theo's pages."""
    client.force_login(teammate)
    pages = [*PAGES_OF_A_COLLEAGUE, ("teams:team_detail", {"code": team.code})]

    def render_all():
        responses = [client.get(reverse(name, kwargs=kwargs)) for name, kwargs in pages]
        assert [r.status_code for r in responses] == [200] * len(pages)
        return [_without_tokens(r.text) for r in responses]

    before = render_all()
    TrustedColleague.objects.create(owner=owner, colleague=teammate)
    after = render_all()
    assert after == before
    assert all("trusts you" not in page for page in after)


@pytest.mark.parametrize("how_many", [3, 50])
def test_page_runs_a_fixed_number_of_queries(owner, owner_client, team, how_many, django_assert_num_queries):
    for i in range(how_many):
        colleague = make_user(f"colleague{i}@example.com", f"Colleague {i}")
        join(team, colleague)
        if i % 2:
            TrustedColleague.objects.create(owner=owner, colleague=colleague)
    # Session, user, the current list, the teammates.
    with django_assert_num_queries(4 + HEADER_QUERIES):
        response = owner_client.get(TRUSTED)
    assert len(offered(response.text)) == how_many + 1
    assert len(ticked(response.text)) == how_many // 2


# ---------------------------------------------------------------- the reflection's People section


def reflection_url(deal):
    return reverse("recovery:reflection_edit", kwargs={"code": deal.code})


def finish_url(deal):
    return reverse("recovery:reflection_finish", kwargs={"code": deal.code})


def people_offered(text):
    return re.findall(r'<input type="checkbox" name="people"[^>]*>\s*([^<]+?)\s*</label>', text)


def people_of(deal):
    return sorted(Reflection.objects.get(deal=deal).people.values_list("name", flat=True))


def test_people_section_offers_the_colleagues_of_my_teams(
    owner, owner_client, team, teammate, trusted, former_member, other_team_member, outsider
):
    deal = make_loss(owner)
    text = owner_client.get(reflection_url(deal)).text
    people = text.split('id="tip-people-title"')[1].split("</section>")[0]
    assert people_offered(people) == ["Maya Manager", "Tara Trusted", "Theo Teammate"]
    assert "<legend>Colleagues you will talk to" in people
    assert '<label for="id_talk_to">Or someone else' in people


def test_people_are_saved_kept_private_and_shown_again(owner, owner_client, team, teammate, trusted):
    deal = make_loss(owner)
    response = owner_client.post(
        reflection_url(deal), {"people": [teammate.pk, trusted.pk], "talk_to": "My mentor Sam"}
    )
    assert response.status_code == 302
    assert people_of(deal) == ["Tara Trusted", "Theo Teammate"]
    assert Reflection.objects.get(deal=deal).talk_to == "My mentor Sam"
    text = owner_client.get(reflection_url(deal)).text
    assert re.search(rf'name="people" value="{teammate.pk}"[^>]*checked', text)
    assert not re.search(r'name="people" value="\d+"[^>]*checked[^>]*>\s*Maya Manager', text)
    # Unticking them all saves an empty list.
    owner_client.post(reflection_url(deal), {"talk_to": "My mentor Sam"})
    assert people_of(deal) == []


def test_finishing_saves_the_people_too(owner, owner_client, team, teammate):
    deal = make_loss(owner)
    essentials = {"emotions": ["sad"], "mood": "2", "lesson": "Call earlier"}
    assert owner_client.post(finish_url(deal), {**essentials, "people": [teammate.pk]}).status_code == 302
    assert people_of(deal) == ["Theo Teammate"]


@pytest.mark.parametrize("persona", ["outsider", "former_member", "other_team_member", "owner"])
def test_people_outside_my_teams_are_refused_and_nothing_is_saved(
    owner, owner_client, request, team, teammate, persona
):
    deal = make_loss(owner)
    stranger = request.getfixturevalue(persona)
    response = owner_client.post(
        reflection_url(deal), {"people": [teammate.pk, stranger.pk], "feelings": "Still typed"}
    )
    assert response.status_code == 200
    assert re.search(
        r'id="id_people_error"[^>]*><li>You can only pick colleagues from your teams\.</li>', response.text
    )
    assert "Still typed</textarea>" in response.text
    assert people_of(deal) == []
    assert Reflection.objects.get(deal=deal).feelings == ""


def test_the_service_refuses_people_outside_the_owners_teams(owner, team, teammate, outsider):
    deal = make_loss(owner)
    with pytest.raises(ValidationError, match="only pick colleagues from your teams"):
        recovery_services.reflection_save(
            reflection=deal.reflection,
            emotions=[],
            mood=None,
            feelings="Not saved",
            talk_to="",
            unhelpful_advice="",
            outside_control="",
            lesson="",
            people=[teammate, outsider],
        )
    assert people_of(deal) == []
    assert Reflection.objects.get(deal=deal).feelings == ""


def test_saving_without_people_leaves_them_as_they_were(owner, team, teammate):
    deal = make_loss(owner)
    fields = dict.fromkeys(["feelings", "talk_to", "unhelpful_advice", "outside_control", "lesson"], "")
    recovery_services.reflection_save(
        reflection=deal.reflection, emotions=[], mood=None, people=[teammate], **fields
    )
    recovery_services.reflection_save(reflection=deal.reflection, emotions=[], mood=None, **fields)
    assert people_of(deal) == ["Theo Teammate"]


def test_without_a_team_the_people_section_invites_to_create_or_join_one(owner, owner_client):
    deal = make_loss(owner)
    text = owner_client.get(reflection_url(deal)).text
    people = text.split('id="tip-people-title"')[1].split("</section>")[0]
    assert f'<a href="{reverse("teams:team_list")}">Create a team or join one</a>' in people
    assert 'name="people"' not in people
    assert '<label for="id_talk_to">Who will you talk to about it?' in people
