"""Tip 2: a comment that sounds dismissive is held back for rephrasing; its writer may still post it."""

import html
import re

import pytest
from django.urls import reverse

from teams.dismissive import DISMISSIVE_PHRASES, dismissive_phrases_in, is_dismissive
from teams.models import Comment, Notification
from tests.conftest import make_loss, share

TIP_2 = (
    "Surround yourself with the right people: avoid dismissive advice like “You didn't want that client "
    "anyway”. Choose words that support and encourage."
)

# ---------------------------------------------------------------- the check itself


@pytest.mark.parametrize(
    "text",
    [
        # The examples DESIGN.md gives.
        "You didn't want that client anyway.",
        "I never liked them.",
        "Their loss!",
        "Just get over it",
        "At least you learned something.",
        "You should have called them sooner.",
        # Shouting, curly apostrophes, punctuation and line breaks do not hide them.
        "YOU DIDN'T WANT THAT CLIENT ANYWAY!!!",
        "You didn’t want that client anyway…",
        "Honestly? Their... loss.",
        "Oh well, just get\nover it, mate.",
        "at least, you tried",
        "You should’ve pushed for the exec meeting",
        "AT LEAST IT'S OVER",
        "It's only one deal, no big deal",
    ],
)
def test_dismissive_phrases_trip_the_check(text):
    assert is_dismissive(text)
    assert dismissive_phrases_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "I've been there. It stings, and it's fine to feel it.",
        "I lost at least three deals like this last year.",
        "Their lost deal taught me to qualify budget early.",
        "You should talk to Ben, he won them back once.",
        "What should happen next? I'm happy to help.",
        "Proud of you for sharing this.",
        "Happy to talk it over whenever you like.",
        "",
    ],
)
def test_supportive_words_do_not_trip_the_check(text):
    assert not is_dismissive(text)
    assert dismissive_phrases_in(text) == []


def test_every_listed_phrase_trips_the_check_in_a_sentence():
    for phrase in DISMISSIVE_PHRASES:
        assert is_dismissive(f"Well. {phrase.upper()}, right?"), phrase


def test_the_phrases_found_are_named():
    assert dismissive_phrases_in("Their loss. At least you learned something!") == [
        "their loss",
        "at least you",
    ]


# ---------------------------------------------------------------- the nudge when commenting


@pytest.fixture
def deal(owner, team):
    deal = make_loss(owner, name="Globex expansion")
    share(deal, team=team)
    return deal


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


def comment_url(deal):
    return reverse("teams:comment_create", kwargs={"code": deal.code})


DISMISSIVE = "Their loss, honestly. You will find a better client."


def test_a_dismissive_comment_is_held_for_rephrasing(teammate_client, deal, owner):
    response = teammate_client.post(comment_url(deal), {"body": DISMISSIVE})
    assert response.status_code == 200
    assert not Comment.objects.exists()
    assert not Notification.objects.filter(recipient=owner, kind=Notification.Kind.COMMENT).exists()
    assert response.context["nudge"] == {"phrases": ["their loss"]}
    assert html.unescape(TIP_2) in html.unescape(response.text)
    assert "“their loss”" in response.text


def test_the_held_text_stays_in_the_box_to_rephrase(teammate_client, deal):
    response = teammate_client.post(comment_url(deal), {"body": DISMISSIVE})
    textarea = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert textarea is not None
    assert textarea.group(1).strip() == DISMISSIVE
    assert response.context["comment_form"].errors == {}


def test_the_nudge_offers_a_separate_post_it_anyway_form_with_the_same_words(teammate_client, deal):
    response = teammate_client.post(comment_url(deal), {"body": DISMISSIVE})
    anyway = re.search(
        r'<form[^>]*class="comment-nudge__anyway"[^>]*>(.*?)</form>', response.text, re.S
    ).group(1)
    assert f'<input type="hidden" name="body" value="{DISMISSIVE}">' in anyway
    assert '<input type="hidden" name="post_anyway" value="1">' in anyway
    assert "Post it anyway" in anyway


def test_post_it_anyway_posts_the_words_as_they_are(teammate_client, deal, owner):
    response = teammate_client.post(comment_url(deal), {"body": DISMISSIVE, "post_anyway": "1"})
    assert response.status_code == 302
    assert Comment.objects.get().body == DISMISSIVE
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.COMMENT).count() == 1


def test_rephrased_words_post_normally(teammate_client, deal):
    teammate_client.post(comment_url(deal), {"body": DISMISSIVE})
    rephrased = "That's a tough one. You'll find a client who values what you bring."
    response = teammate_client.post(comment_url(deal), {"body": rephrased})
    assert response.status_code == 302
    assert Comment.objects.get().body == rephrased


def test_rephrased_words_that_still_sound_dismissive_are_held_again(teammate_client, deal):
    response = teammate_client.post(comment_url(deal), {"body": "Just get over it, at least you tried."})
    assert response.status_code == 200
    assert response.context["nudge"] == {"phrases": ["just get over it", "get over it", "at least you"]}
    assert not Comment.objects.exists()


def test_post_it_anyway_still_refuses_an_empty_comment(teammate_client, deal):
    response = teammate_client.post(comment_url(deal), {"body": "  ", "post_anyway": "1"})
    assert response.status_code == 200
    assert response.context["comment_form"].errors["body"] == ["Write a few words first."]
    assert not Comment.objects.exists()


def test_a_supportive_comment_gets_no_nudge(teammate_client, deal):
    response = teammate_client.post(comment_url(deal), {"body": "Been there. Proud of you for sharing."})
    assert response.status_code == 302
    assert Comment.objects.count() == 1
