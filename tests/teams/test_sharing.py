"""Sharing a loss (tip 4): the Share section, share, stop sharing, and who sees it."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from recovery import services as recovery_services
from teams import access
from teams import services as team_services
from teams.models import Audience, Comment, Encouragement, Notification, SharedLoss, TrustedColleague
from tests.conftest import HEADER_QUERIES, audience_line_of, join, make_loss, make_user, share

PERSONAS_OUTSIDE = ["outsider", "former_member", "other_team_member"]
NOT_THE_OWNER = ["teammate", "trusted", "manager", *PERSONAS_OUTSIDE]


def share_url(deal):
    return reverse("teams:share_create", kwargs={"code": deal.code})


def unshare_url(deal):
    return reverse("teams:share_delete", kwargs={"code": deal.code})


def reflection_url(deal):
    return reverse("recovery:reflection_edit", kwargs={"code": deal.code})


def detail_url(deal):
    return reverse("recovery:loss_detail", kwargs={"code": deal.code})


def shared_loss_url(deal):
    return reverse("teams:shared_loss", kwargs={"code": deal.code})


def payload(team=None, **overrides):
    """What the owner sends from the Share section: a team's code, or "trusted"."""
    data = {
        "audience": str(team.code) if team is not None else "trusted",
        "message": "Lost this one on price. Any ideas for next time?",
        "show_name": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def last_message(response):
    """The message this response added (earlier ones wait in the session until a page shows them)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def share_section(text):
    return text.split('id="tip-share-title"')[1].split("</section>")[0]


def seen_by(user):
    return list(access.visible_shares(user).values_list("deal__name", flat=True))


def reflect_fully(deal, people=()):
    """A reflection with every private part written, and a check-in with a note."""
    recovery_services.reflection_save(
        reflection=deal.reflection,
        emotions=["embarrassed"],
        mood=2,
        feelings="I cried in the car park afterwards",
        talk_to="My mentor Sam",
        unhelpful_advice="Someone said it was their loss",
        outside_control="Their budget was frozen",
        lesson="Find the economic buyer early",
        people=people,
        finish=True,
    )
    recovery_services.check_in_create(deal=deal, mood=3, note="Still replaying the pricing call")


@pytest.fixture
def deal(owner):
    return make_loss(owner, name="Globex expansion", notes="Their CFO hates us", amount=54321, currency="GBP")


# ---------------------------------------------------------------- sharing: who may


def test_owner_shares_with_their_team_and_is_taken_to_the_shared_loss(owner_client, deal, team):
    response = owner_client.post(
        share_url(deal), payload(team, show_amount="on", include_lesson="on", message="  Any ideas?  ")
    )
    assert response.status_code == 302
    assert response["Location"] == shared_loss_url(deal)
    shared = SharedLoss.objects.get(deal=deal)
    assert (shared.audience, shared.team) == (Audience.TEAM, team)
    assert shared.message == "Any ideas?"
    assert (shared.show_name, shared.show_amount, shared.include_lesson) == (True, True, True)
    assert last_message(response) == f"Thank you for sharing. {audience_line_of(deal)}"


def test_unticked_boxes_share_neither_name_nor_amount_nor_lesson(owner_client, deal, team):
    owner_client.post(share_url(deal), payload(team, show_name=None))
    shared = SharedLoss.objects.get(deal=deal)
    assert (shared.show_name, shared.show_amount, shared.include_lesson) == (False, False, False)


def test_a_team_share_is_seen_by_the_teams_members_and_nobody_else(
    owner_client, deal, team, teammate, trusted, manager, former_member, other_team_member, outsider
):
    owner_client.post(share_url(deal), payload(team))
    for member in (teammate, trusted, manager):
        assert seen_by(member) == ["Globex expansion"], member
    for stranger in (former_member, other_team_member, outsider):
        assert seen_by(stranger) == [], stranger


def test_a_trusted_share_is_seen_by_trusted_colleagues_and_not_by_other_teammates_or_the_manager(
    owner_client, deal, team, teammate, trusted, manager, former_member, other_team_member, outsider
):
    response = owner_client.post(share_url(deal), payload(None))
    assert response.status_code == 302
    assert SharedLoss.objects.get(deal=deal).audience == Audience.TRUSTED
    assert seen_by(trusted) == ["Globex expansion"]
    for person in (teammate, manager, former_member, other_team_member, outsider):
        assert seen_by(person) == [], person


def test_sharing_notifies_the_audience_and_only_them(
    owner_client, deal, team, teammate, trusted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(share_url(deal), payload(None))
    notified = Notification.objects.filter(kind=Notification.Kind.SHARED)
    assert list(notified.values_list("recipient__email", flat=True)) == [trusted.email]
    assert [message.to for message in mailoutbox] == [[trusted.email]]


def test_taking_someone_off_the_trusted_list_removes_their_access_at_once(
    owner_client, deal, team, teammate, trusted
):
    TrustedColleague.objects.create(owner=deal.owner, colleague=teammate)
    owner_client.post(share_url(deal), payload(None))
    assert seen_by(trusted) == ["Globex expansion"]

    owner_client.post(reverse("teams:trusted_colleagues"), {"colleagues": [teammate.pk]})

    assert seen_by(trusted) == []
    assert seen_by(teammate) == ["Globex expansion"]


@pytest.mark.parametrize("audience", ["team", "trusted"])
def test_someone_leaving_the_team_stops_seeing_it_at_once(owner_client, deal, team, trusted, audience):
    owner_client.post(share_url(deal), payload(team if audience == "team" else None))
    assert seen_by(trusted) == ["Globex expansion"]
    team_services.membership_leave(membership=trusted.memberships.get(team=team))
    assert seen_by(trusted) == []


def test_the_manager_does_not_see_a_trusted_share_they_are_not_in(owner_client, client, deal, team, manager):
    owner_client.post(share_url(deal), payload(None, message="For the people I trust"))
    client.force_login(manager)
    assert seen_by(manager) == []
    response = client.get(shared_loss_url(deal))
    assert response.status_code == 404
    assert "For the people I trust" not in response.text


@pytest.mark.parametrize("persona", NOT_THE_OWNER)
def test_sharing_someone_elses_loss_gets_404_and_shares_nothing(client, request, deal, team, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    response = client.post(share_url(deal), payload(team))
    assert response.status_code == 404
    assert not SharedLoss.objects.exists()
    # The refusal was about who asked, not what was sent: the same POST works for the owner.
    client.force_login(deal.owner)
    assert client.post(share_url(deal), payload(team)).status_code == 302
    assert SharedLoss.objects.filter(deal=deal, team=team).exists()


def test_an_unknown_loss_gets_404(owner_client, team):
    url = reverse("teams:share_create", kwargs={"code": "00000000-0000-0000-0000-000000000000"})
    assert owner_client.post(url, payload(team)).status_code == 404


def test_get_on_share_is_refused(owner_client, deal, team):
    assert owner_client.get(share_url(deal)).status_code == 405
    assert not SharedLoss.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"), [("post", share_url), ("get", unshare_url), ("post", unshare_url)]
)
def test_anonymous_is_sent_to_log_in(client, deal, team, method, url):
    response = getattr(client, method)(url(deal), payload(team) if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not SharedLoss.objects.exists()


# ---------------------------------------------------------------- sharing: bad input


def test_sharing_with_a_team_you_are_not_in_is_refused_and_keeps_what_was_typed(
    owner_client, deal, team, other_team_member
):
    their_team = other_team_member.teams.get()
    response = owner_client.post(share_url(deal), payload(their_team, message="Please be kind"))
    assert response.status_code == 200
    assert not SharedLoss.objects.exists()
    section = share_section(response.text)
    assert 'id="id_audience_error"' in section and "Pick one of your teams." in section
    assert "Please be kind</textarea>" in section
    assert "Nothing has been shared yet." in section


def test_the_service_refuses_a_team_the_owner_is_not_in(deal, other_team_member):
    with pytest.raises(ValidationError, match="only share with a team you are in"):
        team_services.loss_share(
            deal=deal,
            audience=Audience.TEAM,
            team=other_team_member.teams.get(),
            message="",
            show_name=False,
            show_amount=False,
            include_lesson=False,
        )
    assert not SharedLoss.objects.exists()


def test_no_audience_chosen_says_so_next_to_the_field(owner_client, deal, team):
    response = owner_client.post(share_url(deal), payload(team, audience=None, message="Kept"))
    assert response.status_code == 200
    assert not SharedLoss.objects.exists()
    section = share_section(response.text)
    assert re.search(r'id="id_audience_error"[^>]*><li>Choose who to share it with\.</li>', section)
    assert "Kept</textarea>" in section
    assert re.search(r'name="show_name"[^>]*checked', section)


def test_a_message_over_the_limit_is_refused(owner_client, deal, team):
    response = owner_client.post(share_url(deal), payload(team, message="x" * 1001))
    assert response.status_code == 200
    assert "Ensure this value has at most 1000 characters (it has 1001)." in share_section(response.text)
    assert not SharedLoss.objects.exists()


def test_sharing_with_trusted_colleagues_before_picking_any_is_refused(owner_client, deal, team, teammate):
    response = owner_client.post(share_url(deal), payload(None))
    assert response.status_code == 200
    assert not SharedLoss.objects.exists()
    assert "You haven&#x27;t picked any trusted colleagues from your teams yet." in share_section(
        response.text
    )


def test_a_refused_share_leaves_the_reflection_form_as_saved(owner_client, deal, team):
    owner_client.post(reflection_url(deal), {"feelings": "Saved before sharing", "lesson": "Call earlier"})
    response = owner_client.post(share_url(deal), payload(team, audience="nonsense"))
    assert response.status_code == 200
    text = response.text
    assert "Saved before sharing</textarea>" in text
    assert 'value="Call earlier"' in text
    # The reflection form shows no errors of its own: only the share form does.
    assert "Some answers need a look" not in text
    assert text.count('class="errorlist"') == 1


def test_sharing_twice_says_it_is_already_shared_and_changes_nothing(owner_client, deal, team, trusted):
    owner_client.post(share_url(deal), payload(team, message="First time"))
    response = owner_client.post(share_url(deal), payload(None, message="Second time"))
    assert response.status_code == 302
    assert response["Location"] == reflection_url(deal) + "#share"
    assert last_message(response) == (
        "This loss is already shared. Stop sharing it first to share it with someone else."
    )
    shared = SharedLoss.objects.get()
    assert (shared.team, shared.message) == (team, "First time")


# ---------------------------------------------------------------- the Share section of the reflection


def test_share_section_offers_each_team_and_trusted_colleagues_in_a_form_of_its_own(
    owner, owner_client, deal, team, trusted
):
    team_services.team_create(creator=owner, name="Renewals Guild")
    text = owner_client.get(reflection_url(deal)).text
    section = share_section(text)
    assert f'action="{share_url(deal)}"' in section
    labels = re.findall(
        r'<input type="radio" name="audience" value="[^"]+"[^>]*>\s*([^<]+?)\s*</label>', section
    )
    assert labels == ["Everyone in EMEA Mid-Market", "Everyone in Renewals Guild", "My trusted colleagues"]
    assert "Your trusted colleagues: Tara Trusted." in section
    for label in ["A message to them", "Show the account name", "Show the amount", "Include my lesson"]:
        assert label in section
    assert ">Share it</button>" in section
    # Two forms side by side: the reflection form is closed before the share form opens.
    main = text.split("<main")[1]
    assert main.count("<form") == 2
    reflection_form = main.index(f'<form method="post" action="{reflection_url(deal)}"')
    share_form = main.index(f'action="{share_url(deal)}"')
    assert reflection_form < main.index("</form>", reflection_form) < share_form


def test_share_section_says_plainly_what_is_never_shared(owner_client, deal, team):
    section = share_section(owner_client.get(reflection_url(deal)).text)
    assert (
        "<strong>Never shared:</strong> your feelings, the people you'll talk to, your notes and your "
        "check-ins." in section
    )


def test_share_section_invites_picking_trusted_colleagues_when_there_are_none(owner_client, deal, team):
    section = share_section(owner_client.get(reflection_url(deal)).text)
    assert "You haven't picked any trusted colleagues yet." in section
    assert f'href="{reverse("teams:trusted_colleagues")}"' in section


def test_share_section_without_a_team_explains_and_links_to_teams(owner_client, deal):
    section = share_section(owner_client.get(reflection_url(deal)).text)
    assert "you're not in one yet" in section
    assert f'href="{reverse("teams:team_list")}"' in section
    assert "<form" not in section and "<input" not in section


def test_share_section_of_a_shared_loss_says_who_sees_it_and_offers_to_stop(owner_client, deal, team):
    owner_client.post(share_url(deal), payload(team))
    section = share_section(owner_client.get(reflection_url(deal)).text)
    assert audience_line_of(deal) in section.replace("&#x27;", "'")
    assert f'href="{unshare_url(deal)}">Stop sharing</a>' in section
    assert f'href="{shared_loss_url(deal)}"' in section
    assert "<form" not in section


def test_the_reflection_says_when_the_lesson_is_shared(owner_client, deal, team):
    owner_client.post(reflection_url(deal), {"lesson": "Call earlier"})
    owner_client.post(share_url(deal), payload(team, include_lesson="on"))
    text = owner_client.get(reflection_url(deal)).text
    assert "Only you can see this reflection.</strong> Except your lesson" in text


def test_loss_detail_offers_to_share_or_to_stop_sharing(owner_client, deal, team):
    text = owner_client.get(detail_url(deal)).text
    assert f'href="{reflection_url(deal)}#share">Share it with colleagues</a>' in text
    owner_client.post(share_url(deal), payload(team))
    text = owner_client.get(detail_url(deal)).text
    assert f'href="{unshare_url(deal)}">Stop sharing</a>' in text
    assert "Share it with colleagues</a>" not in text


# ---------------------------------------------------------------- what the audience sees


def test_what_is_shared_never_includes_feelings_people_notes_or_check_ins(
    owner_client, client, deal, team, teammate, trusted
):
    reflect_fully(deal, people=[trusted])
    owner_client.post(share_url(deal), payload(team, show_name="on", include_lesson="on"))
    client.force_login(teammate)
    response = client.get(shared_loss_url(deal))
    assert response.status_code == 200
    text = response.text
    assert "Lost this one on price. Any ideas for next time?" in text
    assert "Find the economic buyer early" in text  # the lesson, ticked
    for private in [
        "I cried in the car park afterwards",  # Feel
        "Embarrassed",
        "My mentor Sam",  # People
        "Tara Trusted",
        "Someone said it was their loss",
        "Their CFO hates us",  # notes
        "Still replaying the pricing call",  # check-in
    ]:
        assert private not in text, private


def test_the_audience_line_never_promises_more_than_is_shared(owner_client, deal, team):
    owner_client.post(share_url(deal), payload(team))
    assert "never your feelings, notes or check-ins" in audience_line_of(deal)


# ---------------------------------------------------------------- stop sharing


@pytest.fixture
def shared(owner_client, deal, team, teammate, manager):
    owner_client.post(share_url(deal), payload(team))
    shared = SharedLoss.objects.get(deal=deal)
    team_services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.BEEN_THERE)
    team_services.encouragement_toggle(shared=shared, user=manager, kind=Encouragement.Kind.PROUD)
    team_services.comment_create(shared=shared, author=teammate, body="Happened to me last month too.")
    return shared


def test_stop_sharing_asks_first_and_says_comments_and_encouragement_go_too(owner_client, deal, shared):
    response = owner_client.get(unshare_url(deal))
    assert response.status_code == 200
    text = response.text
    assert "Stop sharing “Globex expansion”?" in text
    assert "The comments and encouragement on it are removed too" in text
    assert "<li>1 comment</li>" in text and "<li>2 encouragements</li>" in text
    assert f'<form method="post" action="{unshare_url(deal)}"' in text
    assert SharedLoss.objects.filter(pk=shared.pk).exists()


def test_stop_sharing_takes_it_out_of_every_feed_at_once(
    owner_client, deal, shared, teammate, trusted, manager
):
    assert seen_by(teammate) == ["Globex expansion"]
    response = owner_client.post(unshare_url(deal))
    assert response.status_code == 302
    assert response["Location"] == detail_url(deal)
    assert last_message(response) == "You've stopped sharing it. Only you can see this loss now."
    for person in (teammate, trusted, manager):
        assert seen_by(person) == []
    assert not Comment.objects.exists() and not Encouragement.objects.exists()
    assert not Notification.objects.exists()
    assert audience_line_of(deal) == "Only you can see this loss."


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", NOT_THE_OWNER)
def test_nobody_but_the_owner_can_stop_sharing(client, request, deal, shared, persona, method):
    client.force_login(request.getfixturevalue(persona))
    assert getattr(client, method)(unshare_url(deal)).status_code == 404
    assert SharedLoss.objects.filter(pk=shared.pk).exists()
    # The same request from the owner works.
    client.force_login(deal.owner)
    assert getattr(client, method)(unshare_url(deal)).status_code in (200, 302)


def test_stop_sharing_a_loss_that_is_not_shared_says_so(owner_client, deal):
    for method in ("get", "post"):
        response = getattr(owner_client, method)(unshare_url(deal))
        assert response.status_code == 302
        assert response["Location"] == detail_url(deal)
        assert last_message(response) == "This loss isn't shared: only you can see it."


def test_a_loss_can_be_shared_again_after_stopping(owner_client, deal, shared, team, trusted):
    owner_client.post(unshare_url(deal))
    assert owner_client.post(share_url(deal), payload(None)).status_code == 302
    assert seen_by(trusted) == ["Globex expansion"]


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("how_many", [3, 50])
@pytest.mark.parametrize(
    ("state", "queries"),
    [
        # Session, user, loss + reflection + its share (none), reasons, the owner's teams (share form),
        # the people picked, the teammates (People checkboxes), the trusted colleagues' names.
        ("unshared", 8),
        # ... whether the owner is in a team, the people picked, the teammates, then the audience
        # line's audience (counted, or named).
        ("team", 8),
        ("trusted", 8),
    ],
)
def test_reflection_page_runs_a_fixed_number_of_queries(
    owner, team, django_assert_num_queries, client, how_many, state, queries
):
    colleagues = [make_user(f"colleague{i}@example.com", f"Colleague {i}") for i in range(how_many)]
    for colleague in colleagues:
        join(team, colleague)
        TrustedColleague.objects.create(owner=owner, colleague=colleague)
    deals = [make_loss(owner, name=f"Loss {i}") for i in range(how_many)]
    deal = deals[-1]
    recovery_services.reflection_save(
        reflection=deal.reflection,
        emotions=[],
        mood=None,
        feelings="",
        talk_to="",
        unhelpful_advice="",
        outside_control="",
        lesson="",
        people=colleagues,
    )
    if state != "unshared":
        share(deal, team=team if state == "team" else None, message="", show_name=False)
    client.force_login(owner)
    with django_assert_num_queries(queries + HEADER_QUERIES):
        response = client.get(reflection_url(deal))
    assert response.status_code == 200
    assert response.text.count('name="people"') == how_many + 1  # the manager is a teammate too
    if state == "trusted":
        assert "Colleague 0, Colleague 1" in response.text


@pytest.mark.parametrize("how_many", [3, 50])
def test_reflection_page_without_a_team_runs_a_fixed_number_of_queries(
    owner, client, how_many, django_assert_num_queries
):
    deals = [make_loss(owner, name=f"Loss {i}") for i in range(how_many)]
    client.force_login(owner)
    # Session, user, loss + reflection + its share (none), reasons, the owner's teams (none), people picked.
    with django_assert_num_queries(6 + HEADER_QUERIES):
        response = client.get(reflection_url(deals[-1]))
    assert "you're not in one yet" in response.text
