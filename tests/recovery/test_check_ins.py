"""Check-ins: answering a prompt, dismissing it, checking in unprompted from a loss."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from recovery import services
from recovery.models import CheckIn
from tests.conftest import HEADER_QUERIES, make_loss

HOME = reverse("home")


@pytest.fixture
def check_in(loss):
    """The first prompt of the owner's loss (due tomorrow; answerable any time)."""
    return loss.check_ins.order_by("due_on").first()


def answer_url(check_in):
    return reverse("recovery:check_in_answer", args=[check_in.code])


def dismiss_url(check_in):
    return reverse("recovery:check_in_dismiss", args=[check_in.code])


def create_url(deal):
    return reverse("recovery:check_in_create", args=[deal.code])


def fresh(check_in):
    return CheckIn.objects.get(pk=check_in.pk)


# ---------- Access ----------


def test_owner_sees_the_answer_page(owner_client, check_in):
    response = owner_client.get(answer_url(check_in))
    assert response.status_code == 200
    assert '<h1 id="check-in-title">Check in on Acme renewal</h1>' in response.text
    assert "How do you feel about it now?" in response.text
    assert f'action="{answer_url(check_in)}"' in response.text


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "answer"), ("post", "answer"), ("post", "dismiss"), ("post", "create")],
)
def test_outsider_gets_404(outsider_client, check_in, method, url):
    target = {
        "answer": answer_url(check_in),
        "dismiss": dismiss_url(check_in),
        "create": create_url(check_in.deal),
    }
    response = getattr(outsider_client, method)(target[url], {"mood": "4"} if method == "post" else None)
    assert response.status_code == 404
    assert fresh(check_in).is_pending
    assert check_in.deal.check_ins.count() == 3


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "answer"), ("post", "answer"), ("post", "dismiss"), ("post", "create")],
)
def test_anonymous_is_sent_to_log_in(client, check_in, method, url):
    target = {
        "answer": answer_url(check_in),
        "dismiss": dismiss_url(check_in),
        "create": create_url(check_in.deal),
    }
    response = getattr(client, method)(target[url], {"mood": "4"} if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert fresh(check_in).is_pending


def test_get_on_dismiss_is_refused(owner_client, check_in):
    assert owner_client.get(dismiss_url(check_in)).status_code == 405
    assert fresh(check_in).is_pending


def test_get_on_create_is_refused(owner_client, loss):
    assert owner_client.get(create_url(loss)).status_code == 405


def test_the_answer_refused_to_the_outsider_is_accepted_from_the_owner(client, owner, outsider, check_in):
    client.force_login(outsider)
    assert client.post(answer_url(check_in), {"mood": "4"}).status_code == 404
    client.force_login(owner)
    assert client.post(answer_url(check_in), {"mood": "4"}).status_code == 302
    assert fresh(check_in).mood == 4


# ---------- Answering ----------


def test_answer_saves_mood_and_note_and_goes_home(owner_client, check_in):
    response = owner_client.post(answer_url(check_in), {"mood": "4", "note": "Slept on it. Better."})
    assert response.status_code == 302
    assert response["Location"] == HOME
    saved = fresh(check_in)
    assert saved.mood == 4
    assert saved.note == "Slept on it. Better."
    assert saved.answered_at is not None


def test_answer_goes_back_to_a_local_next(owner_client, check_in):
    next_url = reverse("recovery:loss_detail", args=[check_in.deal.code])
    response = owner_client.post(answer_url(check_in), {"mood": "3", "next": next_url})
    assert response["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "http://testserver.evil/"],
)
def test_next_pointing_elsewhere_is_ignored(owner_client, check_in, next_url):
    response = owner_client.post(answer_url(check_in), {"mood": "3", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_answer_page_keeps_next_from_the_query_string(owner_client, check_in):
    next_url = reverse("recovery:loss_list")
    text = owner_client.get(answer_url(check_in), {"next": next_url}).text
    assert f'<input type="hidden" name="next" value="{next_url}">' in text


@pytest.mark.parametrize("mood", ["0", "6", "abc", ""])
def test_answer_with_mood_outside_the_scale_is_refused_and_nothing_saved(owner_client, check_in, mood):
    response = owner_client.post(
        answer_url(check_in), {"mood": mood, "note": "My typed note", "next": "/losses/"}
    )
    assert response.status_code == 200
    expected = "This field is required." if mood == "" else "Pick a mood from 1 (very low) to 5 (good)."
    assert expected in response.text
    assert "My typed note" in response.text
    assert '<input type="hidden" name="next" value="/losses/">' in response.text
    saved = fresh(check_in)
    assert saved.is_pending and saved.mood is None and saved.note == ""


def test_answering_again_updates_the_answer(owner_client, check_in):
    owner_client.post(answer_url(check_in), {"mood": "2", "note": "Rough day"})
    page = owner_client.get(answer_url(check_in)).text
    assert "Answering again replaces that answer." in page
    owner_client.post(answer_url(check_in), {"mood": "4", "note": "Better"})
    saved = fresh(check_in)
    assert (saved.mood, saved.note) == (4, "Better")
    assert check_in.deal.check_ins.count() == 3


def test_answering_a_dismissed_prompt_answers_it(owner_client, check_in):
    services.check_in_dismiss(check_in=check_in)
    assert owner_client.post(answer_url(check_in), {"mood": "5"}).status_code == 302
    saved = fresh(check_in)
    assert saved.mood == 5 and saved.dismissed_at is None and saved.answered_at is not None


# ---------- Dismissing ----------


def test_dismiss_hides_the_prompt_and_goes_back(owner_client, check_in):
    response = owner_client.post(dismiss_url(check_in), {"next": "/losses/"})
    assert response.status_code == 302
    assert response["Location"] == "/losses/"
    assert fresh(check_in).dismissed_at is not None


def test_dismiss_ignores_a_next_on_another_host(owner_client, check_in):
    response = owner_client.post(dismiss_url(check_in), {"next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_dismissing_an_answered_prompt_changes_nothing(owner_client, check_in):
    services.check_in_answer(check_in=check_in, mood=3)
    before = fresh(check_in)
    assert owner_client.post(dismiss_url(check_in)).status_code == 302
    after = fresh(check_in)
    assert (after.mood, after.answered_at, after.dismissed_at) == (3, before.answered_at, None)


def test_dismissing_twice_keeps_the_first_moment(owner_client, check_in):
    owner_client.post(dismiss_url(check_in))
    first = fresh(check_in).dismissed_at
    assert owner_client.post(dismiss_url(check_in)).status_code == 302
    assert fresh(check_in).dismissed_at == first


# ---------- Checking in unprompted ----------


def test_unprompted_check_in_is_saved_and_goes_to_the_loss(owner_client, loss):
    response = owner_client.post(create_url(loss), {"mood": "3", "note": "Talked to Priya"})
    assert response.status_code == 302
    assert response["Location"] == reverse("recovery:loss_detail", args=[loss.code])
    made = loss.check_ins.get(due_on__isnull=True)
    assert (made.mood, made.note) == (3, "Talked to Priya")
    assert made.answered_at is not None


@pytest.mark.parametrize("mood", ["0", "6", "abc", ""])
def test_unprompted_check_in_with_a_bad_mood_is_refused(owner_client, loss, mood):
    response = owner_client.post(create_url(loss), {"mood": mood, "note": "Typed before the mistake"})
    assert response.status_code == 200
    assert "Typed before the mistake" in response.text
    assert f'action="{create_url(loss)}"' in response.text
    assert 'id="id_mood_error"' in response.text
    assert not loss.check_ins.filter(due_on__isnull=True).exists()


def test_note_over_its_limit_is_refused(owner_client, loss):
    response = owner_client.post(create_url(loss), {"mood": "3", "note": "x" * 2001})
    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2001)." in response.text
    assert not loss.check_ins.filter(due_on__isnull=True).exists()


# ---------- Queries ----------


@pytest.mark.parametrize("how_many", [3, 50])
def test_answer_page_runs_a_fixed_number_of_queries(owner, owner_client, django_assert_num_queries, how_many):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC), tick=False):
        deals = [make_loss(owner, name=f"Loss {i}") for i in range(how_many)]
    target = deals[-1].check_ins.first()
    # Session, user, the check-in with its loss.
    with django_assert_num_queries(3 + HEADER_QUERIES):
        response = owner_client.get(answer_url(target))
    assert response.status_code == 200
