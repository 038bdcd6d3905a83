"""The reflection page: the four tips, saved part-way, finished, reopened."""

import re

import pytest
from django.urls import reverse

from recovery.models import Reflection
from tests.conftest import HEADER_QUERIES, make_loss


def edit_url(deal):
    return reverse("recovery:reflection_edit", args=[deal.code])


def finish_url(deal):
    return reverse("recovery:reflection_finish", args=[deal.code])


def reopen_url(deal):
    return reverse("recovery:reflection_reopen", args=[deal.code])


ESSENTIALS = {"emotions": ["disappointed", "determined"], "mood": "2", "lesson": "Find the economic buyer"}
ALL_URLS = [("get", edit_url), ("post", edit_url), ("post", finish_url), ("post", reopen_url)]


def stored(deal):
    return Reflection.objects.get(deal=deal)


def snapshot(deal):
    r = stored(deal)
    return (
        r.emotions,
        r.mood,
        r.mood_at,
        r.feelings,
        r.talk_to,
        r.unhelpful_advice,
        r.outside_control,
        r.lesson,
        r.finished_at,
    )


# ---------- Access ----------


def test_owner_sees_the_reflection_page(owner_client, loss):
    response = owner_client.get(edit_url(loss))
    assert response.status_code == 200
    assert "<h1>Reflect on Acme renewal</h1>" in response.text
    assert "Only you can see this reflection." in response.text


@pytest.mark.parametrize(("method", "url"), ALL_URLS)
def test_outsider_gets_404(outsider_client, loss, method, url):
    response = getattr(outsider_client, method)(url(loss), ESSENTIALS if method == "post" else None)
    assert response.status_code == 404
    assert snapshot(loss)[-1] is None and stored(loss).emotions == []


@pytest.mark.parametrize(("method", "url"), ALL_URLS)
def test_anonymous_is_sent_to_log_in(client, loss, method, url):
    response = getattr(client, method)(url(loss))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("url", [finish_url, reopen_url])
def test_get_on_a_post_only_url_is_refused(owner_client, loss, url):
    assert owner_client.get(url(loss)).status_code == 405


def test_the_payload_refused_to_the_outsider_finishes_for_the_owner(owner_client, outsider, loss, client):
    client.force_login(outsider)
    assert client.post(finish_url(loss), ESSENTIALS).status_code == 404
    client.force_login(loss.owner)
    assert client.post(finish_url(loss), ESSENTIALS).status_code == 302
    assert stored(loss).finished_at is not None


# ---------- The page ----------


def test_four_sections_come_in_the_tips_order_each_opened_by_its_quote(owner_client, loss):
    text = owner_client.get(edit_url(loss)).text
    quotes = [
        "Tip 1</span> Feel",
        "Feel your emotions.",
        "Tip 2</span> People",
        "Surround yourself with the right people.",
        "Tip 3</span> Not personal",
        "Remember: it's probably not personal.",
        "Tip 4</span> Share",
        "Don't be ashamed: share it with colleagues.",
    ]
    positions = [text.index(q) for q in quotes]
    assert positions == sorted(positions)
    assert text.count("<section") == 4


def test_emotions_come_in_four_labelled_groups(owner_client, loss):
    text = owner_client.get(edit_url(loss)).text
    for legend in [
        "Unpleasant, high energy",
        "Unpleasant, low energy",
        "Pleasant, high energy",
        "Pleasant, low energy",
    ]:
        assert f"<legend>{legend}</legend>" in text
    assert text.count('type="checkbox" name="emotions"') == 24
    assert text.count('type="radio" name="mood"') == 5


def test_one_form_with_save_and_finish_buttons(owner_client, loss):
    text = owner_client.get(edit_url(loss)).text
    main = text.split("<main")[1]
    assert main.count("<form") == 1
    assert f'<form method="post" action="{edit_url(loss)}"' in main
    assert ">Save and come back later</button>" in main
    assert f'formaction="{finish_url(loss)}">Finish reflection</button>' in main


def test_share_section_says_nothing_is_shared_and_offers_no_controls(owner_client, loss):
    text = owner_client.get(edit_url(loss)).text
    share = text.split('id="tip-share-title"')[1].split("</section>")[0]
    assert "nothing here is shared" in share
    assert "<input" not in share and "<button" not in share and "<select" not in share


def test_page_has_no_inline_script_or_style(owner_client, loss):
    text = owner_client.get(edit_url(loss)).text
    assert "style=" not in text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)


def outside_reasons_shown(text):
    section = text.split('id="tip-personal-title"')[1].split("</section>")[0]
    return section, re.findall(r'<li class="badge">([^<]+)</li>', section)


def test_not_personal_lists_exactly_the_outside_control_reasons_of_this_deal(owner, owner_client):
    deal = make_loss(owner, reasons=("price-budget", "timing", "my-discovery", "relationship"))
    make_loss(owner, name="Another deal", reasons=("competitor", "champion-left"))
    _, shown = outside_reasons_shown(owner_client.get(edit_url(deal)).text)
    assert shown == ["Price or budget", "Timing"]


def test_not_personal_says_so_gently_when_no_reason_was_outside_control(owner, owner_client):
    deal = make_loss(owner, reasons=("my-follow-up",))
    section, shown = outside_reasons_shown(owner_client.get(edit_url(deal)).text)
    assert shown == []
    assert "None of the reasons you picked were outside your control" in section


# ---------- Saving part-way ----------


def test_save_part_way_in_two_sittings_keeps_everything(owner_client, loss):
    first = {"emotions": ["sad", "frustrated"], "feelings": "Gutted, honestly.", "talk_to": "Priya"}
    response = owner_client.post(edit_url(loss), first)
    assert response.status_code == 302
    assert response["Location"] == edit_url(loss)
    assert "Saved. Come back whenever you&#x27;re ready." in owner_client.get(edit_url(loss)).text

    # The second sitting sends the whole form again, as the page does, with more filled in.
    second = {**first, "mood": "3", "outside_control": "Their budget was cut", "lesson": "Multi-thread"}
    assert owner_client.post(edit_url(loss), second).status_code == 302

    r = stored(loss)
    assert r.emotions == ["sad", "frustrated"]
    assert r.feelings == "Gutted, honestly."
    assert r.talk_to == "Priya"
    assert r.mood == 3
    assert r.outside_control == "Their budget was cut"
    assert r.lesson == "Multi-thread"
    assert r.finished_at is None
    home = owner_client.get(reverse("home")).text
    assert "Half-finished reflection" in home.split("Reflect on Acme renewal")[1].split("</li>")[0]


def test_saved_answers_are_shown_again(owner_client, loss):
    owner_client.post(edit_url(loss), {"emotions": ["lonely"], "mood": "1", "talk_to": "My mentor Sam"})
    text = owner_client.get(edit_url(loss)).text
    assert re.search(r'value="lonely"[^>]*checked', text)
    assert re.search(r'name="mood" value="1"[^>]*checked', text)
    assert 'value="My mentor Sam"' in text


def test_first_mood_given_is_time_stamped(owner_client, loss):
    owner_client.post(edit_url(loss), {"feelings": "Numb"})
    assert stored(loss).mood_at is None
    owner_client.post(edit_url(loss), {"feelings": "Numb", "mood": "2"})
    assert stored(loss).mood == 2
    assert stored(loss).mood_at is not None


@pytest.mark.parametrize("mood", ["0", "6", "abc", "-1"])
@pytest.mark.parametrize("url", [edit_url, finish_url])
def test_mood_outside_the_scale_gets_a_clear_error(owner_client, loss, url, mood):
    before = snapshot(loss)
    response = owner_client.post(url(loss), {**ESSENTIALS, "mood": mood, "feelings": "Still typed"})
    assert response.status_code == 200
    assert "Pick a mood from 1 (very low) to 5 (good)." in response.text
    assert "Still typed" in response.text
    assert snapshot(loss) == before


def test_an_emotion_not_in_the_list_is_refused(owner_client, loss):
    before = snapshot(loss)
    response = owner_client.post(edit_url(loss), {"emotions": ["sad", "smug"]})
    assert response.status_code == 200
    assert "“smug” isn&#x27;t one of the feelings listed." in response.text
    assert snapshot(loss) == before


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("feelings", 5000),
        ("talk_to", 300),
        ("unhelpful_advice", 2000),
        ("outside_control", 2000),
        ("lesson", 300),
    ],
)
def test_text_over_its_limit_is_refused(owner_client, loss, field, limit):
    before = snapshot(loss)
    response = owner_client.post(edit_url(loss), {field: "x" * (limit + 1)})
    assert response.status_code == 200
    assert f"Ensure this value has at most {limit} characters (it has {limit + 1})." in response.text
    assert snapshot(loss) == before
    # At the limit it is fine.
    assert owner_client.post(edit_url(loss), {field: "x" * limit}).status_code == 302
    assert getattr(stored(loss), field) == "x" * limit


# ---------- Finishing ----------


def test_finishing_without_the_essentials_shows_errors_and_saves_nothing(owner_client, loss):
    before = snapshot(loss)
    typed = {"feelings": "I can't stop replaying the call", "talk_to": "Priya from onboarding"}
    response = owner_client.post(finish_url(loss), typed)
    assert response.status_code == 200
    text = response.text
    assert "To finish, pick at least one feeling." in text
    assert "To finish, say how you feel right now." in text
    assert "To finish, write one lesson or skill to work on." in text
    assert "I can&#x27;t stop replaying the call" in text
    assert 'value="Priya from onboarding"' in text
    assert snapshot(loss) == before
    # Each error sits next to its field.
    assert (
        'id="id_mood_error"' in text and 'id="id_lesson_error"' in text and 'id="id_emotions_error"' in text
    )


def test_finishing_with_the_essentials_marks_it_finished(owner_client, loss):
    response = owner_client.post(finish_url(loss), {**ESSENTIALS, "feelings": "Better now"})
    assert response.status_code == 302
    assert response["Location"] == reverse("recovery:loss_detail", args=[loss.code])
    r = stored(loss)
    assert r.finished_at is not None
    assert r.emotions == ["disappointed", "determined"]
    assert r.mood == 2 and r.mood_at is not None
    assert r.lesson == "Find the economic buyer"
    assert r.feelings == "Better now"


def test_finished_reflection_can_still_be_edited_and_stays_finished(owner_client, loss):
    owner_client.post(finish_url(loss), ESSENTIALS)
    finished_at = stored(loss).finished_at
    page = owner_client.get(edit_url(loss)).text
    assert "Reopen the reflection" in page
    assert ">Save changes</button>" in page
    response = owner_client.post(edit_url(loss), {**ESSENTIALS, "lesson": "Confirm the budget owner"})
    assert response.status_code == 302
    assert stored(loss).lesson == "Confirm the budget owner"
    assert stored(loss).finished_at == finished_at


def test_a_finished_reflection_keeps_its_essentials(owner_client, loss):
    owner_client.post(finish_url(loss), ESSENTIALS)
    before = snapshot(loss)
    response = owner_client.post(edit_url(loss), {**ESSENTIALS, "lesson": ""})
    assert response.status_code == 200
    assert "To finish, write one lesson or skill to work on." in response.text
    assert snapshot(loss) == before


def test_reopen_makes_it_unfinished_again_and_keeps_the_text(owner_client, loss):
    owner_client.post(finish_url(loss), ESSENTIALS)
    response = owner_client.post(reopen_url(loss))
    assert response.status_code == 302
    assert response["Location"] == edit_url(loss)
    r = stored(loss)
    assert r.finished_at is None
    assert r.lesson == "Find the economic buyer"
    assert ">Finish reflection</button>" in owner_client.get(edit_url(loss)).text


# ---------- Queries ----------


@pytest.mark.parametrize("how_many", [3, 50])
def test_reflection_page_runs_a_fixed_number_of_queries(
    owner, owner_client, django_assert_num_queries, how_many
):
    deals = [
        make_loss(owner, name=f"Loss {i}", reasons=("price-budget", "timing", "my-demo-pitch"))
        for i in range(how_many)
    ]
    # Session, user, the loss with its reflection and share, its reasons.
    # ..., the owner's teams, the colleagues picked, and the header.
    with django_assert_num_queries(6 + HEADER_QUERIES):
        response = owner_client.get(edit_url(deals[-1]))
    assert response.status_code == 200
    assert "Timing" in response.text
