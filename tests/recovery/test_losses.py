"""The losses pages: log, My losses, one loss, edit, delete, move on."""

import datetime
import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recovery import services
from recovery.models import CheckIn, LossReason, LostDeal, Reflection
from recovery.views.losses import LOSSES_PER_PAGE
from tests.conftest import HEADER_QUERIES, loss_form, make_loss, share

# Noon, so that "today" cannot change while a test runs.
FROZEN = datetime.datetime(2025, 3, 10, 12, 0, tzinfo=datetime.UTC)
TODAY = FROZEN.date()

# Session, user, then the page's own queries (read them in the failure output before changing these).
# losses with reflections and their total, their reasons, reasons of the filter's <select>, the header
LIST_QUERIES = 5 + HEADER_QUERIES
# loss with its reflection and share, its reasons, its check-ins, the header
DETAIL_QUERIES = 5 + HEADER_QUERIES

PAGES = ["recovery:loss_detail", "recovery:loss_edit", "recovery:loss_delete"]
POST_ONLY = ["recovery:loss_move_on", "recovery:loss_undo_move_on"]


def reason_pks(*slugs):
    return list(LossReason.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def loss_payload(**overrides):
    """conftest's loss form, with cents and two reasons, lost on TODAY."""
    return (
        loss_form(amount="5000.50", reasons=reason_pks("timing", "my-follow-up"), lost_on=TODAY.isoformat())
        | overrides
    )


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def names_listed(response):
    return [deal.name for deal in response.context["page_obj"].object_list]


def finish_reflection(deal, lesson="Ask about budget earlier"):
    services.reflection_save(
        reflection=deal.reflection,
        emotions=["disappointed"],
        mood=2,
        feelings="",
        talk_to="",
        unhelpful_advice="",
        outside_control="",
        lesson=lesson,
        finish=True,
    )


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("url_name", ["recovery:loss_list", "recovery:loss_create"])
def test_anonymous_is_sent_to_login_from_list_and_create(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", PAGES + POST_ONLY)
def test_anonymous_is_sent_to_login_from_a_loss(client, loss, url_name, method):
    response = getattr(client, method)(reverse(url_name, kwargs={"code": loss.code}))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert LostDeal.objects.filter(pk=loss.pk, moved_on_at__isnull=True).exists()


@pytest.mark.parametrize("url_name", PAGES)
def test_owner_sees_each_page_of_a_loss(owner_client, loss, url_name):
    response = owner_client.get(reverse(url_name, kwargs={"code": loss.code}))
    assert response.status_code == 200
    assert response.context["deal"] == loss
    assert "Acme renewal" in response.text


@pytest.mark.parametrize("url_name", PAGES)
def test_outsider_gets_404_on_each_page_of_a_loss(outsider_client, loss, url_name):
    response = outsider_client.get(reverse(url_name, kwargs={"code": loss.code}))
    assert response.status_code == 404
    assert "Acme renewal" not in response.text


def test_a_loss_that_does_not_exist_gets_404(owner_client, loss):
    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": uuid.uuid4()}))
    assert response.status_code == 404


@pytest.mark.parametrize("url_name", POST_ONLY)
def test_post_only_views_refuse_get(owner_client, loss, url_name):
    response = owner_client.get(reverse(url_name, kwargs={"code": loss.code}))
    assert response.status_code == 405


@pytest.mark.parametrize("url_name", ["recovery:loss_list", "recovery:loss_detail"])
def test_read_only_pages_refuse_post(owner_client, loss, url_name):
    kwargs = {"code": loss.code} if url_name == "recovery:loss_detail" else {}
    response = owner_client.post(reverse(url_name, kwargs=kwargs))
    assert response.status_code == 405


def test_outsider_cannot_move_on_from_a_loss_but_the_owner_can(outsider_client, owner, loss):
    url = reverse("recovery:loss_move_on", kwargs={"code": loss.code})
    assert outsider_client.post(url).status_code == 404
    loss.refresh_from_db()
    assert loss.moved_on_at is None

    outsider_client.force_login(owner)
    assert outsider_client.post(url).status_code == 302
    loss.refresh_from_db()
    assert loss.moved_on_at is not None


def test_outsider_cannot_undo_a_move_on_but_the_owner_can(outsider_client, owner, loss):
    services.lost_deal_move_on(deal=loss)
    url = reverse("recovery:loss_undo_move_on", kwargs={"code": loss.code})
    assert outsider_client.post(url).status_code == 404
    loss.refresh_from_db()
    assert loss.moved_on_at is not None

    outsider_client.force_login(owner)
    assert outsider_client.post(url).status_code == 302
    loss.refresh_from_db()
    assert loss.moved_on_at is None


def test_outsider_cannot_delete_a_loss_but_the_owner_can(outsider_client, owner, loss):
    url = reverse("recovery:loss_delete", kwargs={"code": loss.code})
    assert outsider_client.post(url).status_code == 404
    assert LostDeal.objects.filter(pk=loss.pk).exists()

    outsider_client.force_login(owner)
    assert outsider_client.post(url).status_code == 302
    assert not LostDeal.objects.filter(pk=loss.pk).exists()


def test_outsider_cannot_edit_a_loss_but_the_owner_can(outsider_client, owner, loss):
    url = reverse("recovery:loss_edit", kwargs={"code": loss.code})
    payload = loss_payload(name="Renamed by someone", lost_on=loss.lost_on.isoformat())
    assert outsider_client.post(url, payload).status_code == 404
    loss.refresh_from_db()
    assert loss.name == "Acme renewal"

    outsider_client.force_login(owner)
    assert outsider_client.post(url, payload).status_code == 302
    loss.refresh_from_db()
    assert loss.name == "Renamed by someone"


def test_outsider_does_not_see_the_owners_losses_in_their_list(outsider_client, loss):
    response = outsider_client.get(reverse("recovery:loss_list"))
    assert response.status_code == 200
    assert names_listed(response) == []
    assert "Acme renewal" not in response.text


@pytest.mark.parametrize(
    ("url_name", "needs_code"),
    [
        ("recovery:loss_create", False),
        ("recovery:loss_edit", True),
        ("recovery:loss_delete", True),
        ("recovery:loss_move_on", True),
        ("recovery:loss_undo_move_on", True),
    ],
)
def test_post_without_csrf_token_is_refused(owner, loss, url_name, needs_code):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse(url_name, kwargs={"code": loss.code} if needs_code else {})
    response = client.post(url, loss_payload(name="Forged"))
    assert response.status_code == 403
    assert LostDeal.objects.get() == loss
    loss.refresh_from_db()
    assert loss.name == "Acme renewal"
    assert loss.moved_on_at is None


# ---------------------------------------------------------------- log a loss


@pytest.mark.time_machine(FROZEN)
def test_log_form_opens_with_a_tip_today_and_control_badges(owner_client):
    response = owner_client.get(reverse("recovery:loss_create"))
    assert response.status_code == 200
    assert "Feel your emotions." in response.text
    assert 'name="lost_on" value="2025-03-10"' in response.text
    assert (
        response.text.count("outside your control") == LossReason.objects.filter(outside_control=True).count()
    )
    assert (
        response.text.count("within your control") == LossReason.objects.filter(outside_control=False).count()
    )
    assert re.search(r'<input type="hidden" name="submission_id" value="[0-9a-f-]{36}"', response.text)


@pytest.mark.time_machine(FROZEN)
def test_logging_a_loss_saves_it_and_leads_to_the_reflection(owner_client, owner):
    response = owner_client.post(reverse("recovery:loss_create"), loss_payload())

    deal = LostDeal.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("recovery:reflection_edit", kwargs={"code": deal.code})
    assert message_texts(response) == ["Logged. Now take a moment with it: feel it first."]
    assert deal.owner == owner
    assert (deal.name, deal.stage, deal.currency, deal.competitor) == (
        "Bigcorp pilot",
        "demo",
        "GBP",
        "Rival Inc",
    )
    assert str(deal.amount) == "5000.50"
    assert deal.lost_on == TODAY
    assert sorted(deal.reasons.values_list("slug", flat=True)) == ["my-follow-up", "timing"]
    assert Reflection.objects.filter(deal=deal).exists()


def test_posting_the_same_form_twice_logs_one_loss(owner_client):
    form_page = owner_client.get(reverse("recovery:loss_create"))
    submission_id = form_page.context["form"].initial["submission_id"]
    payload = loss_payload(submission_id=submission_id, lost_on=form_page.context["form"].initial["lost_on"])

    first = owner_client.post(reverse("recovery:loss_create"), payload)
    second = owner_client.post(reverse("recovery:loss_create"), payload)

    assert LostDeal.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert (
        first.url
        == second.url
        == reverse("recovery:reflection_edit", kwargs={"code": LostDeal.objects.get().code})
    )


def test_two_separate_forms_log_two_losses(owner_client):
    for _ in range(2):
        form_page = owner_client.get(reverse("recovery:loss_create"))
        initial = form_page.context["form"].initial
        payload = loss_payload(submission_id=initial["submission_id"], lost_on=initial["lost_on"])
        assert owner_client.post(reverse("recovery:loss_create"), payload).status_code == 302
    assert LostDeal.objects.count() == 2


def test_a_refused_form_keeps_its_submission_id_so_the_fixed_post_logs_once(owner_client):
    form_page = owner_client.get(reverse("recovery:loss_create"))
    initial = form_page.context["form"].initial
    payload = loss_payload(submission_id=initial["submission_id"], lost_on=initial["lost_on"])

    refused = owner_client.post(reverse("recovery:loss_create"), {**payload, "reasons": []})
    assert refused.status_code == 200
    assert f'value="{initial["submission_id"]}"' in refused.text

    owner_client.post(reverse("recovery:loss_create"), payload)
    owner_client.post(reverse("recovery:loss_create"), payload)
    assert LostDeal.objects.count() == 1


def test_log_page_runs_a_fixed_number_of_queries(owner_client, django_assert_num_queries):
    with django_assert_num_queries(3 + HEADER_QUERIES):  # session, user, the reasons' checkboxes
        response = owner_client.get(reverse("recovery:loss_create"))
    assert response.status_code == 200


def test_logging_a_loss_runs_a_fixed_number_of_queries(owner_client, django_assert_num_queries):
    # Session, user, the reasons picked; the same submission already logged?; then a savepoint,
    # the loss, its reasons (those it has, the new ones), its reflection, its check-ins, the
    # release. The amount's range is checked by the form's validators, not by a query.
    payload = loss_payload(submission_id=uuid.uuid4(), lost_on=timezone.localdate().isoformat())
    with django_assert_num_queries(11):
        response = owner_client.post(reverse("recovery:loss_create"), payload)
    assert response.status_code == 302


# ---------------------------------------------------------------- edit


def test_edit_form_shows_what_was_logged(owner_client, owner):
    deal = make_loss(owner, name="Globex expansion", reasons=("competitor",), competitor="Initech")
    response = owner_client.get(reverse("recovery:loss_edit", kwargs={"code": deal.code}))
    assert response.status_code == 200
    assert 'value="Globex expansion"' in response.text
    assert 'value="Initech"' in response.text
    competitor_pk = reason_pks("competitor")[0]
    assert re.search(
        rf'<input type="checkbox" name="reasons" value="{competitor_pk}"[^>]*checked', response.text
    )
    assert "Save changes" in response.text


@pytest.mark.time_machine(FROZEN)
def test_edit_saves_the_changes_and_returns_to_the_loss(owner_client, loss):
    url = reverse("recovery:loss_edit", kwargs={"code": loss.code})
    response = owner_client.post(url, loss_payload(name="Acme renewal 2025", amount="", currency="USD"))

    assert response.status_code == 302
    assert response.url == reverse("recovery:loss_detail", kwargs={"code": loss.code})
    assert message_texts(response) == ["Saved your changes to “Acme renewal 2025”."]
    loss.refresh_from_db()
    assert (loss.name, loss.amount, loss.currency, loss.stage) == ("Acme renewal 2025", None, "USD", "demo")
    assert sorted(loss.reasons.values_list("slug", flat=True)) == ["my-follow-up", "timing"]
    assert LostDeal.objects.count() == 1


@pytest.mark.time_machine(FROZEN)
def test_moving_the_date_lost_moves_the_check_in_prompts(owner_client, owner):
    deal = make_loss(owner)  # lost today: prompts on 11, 13 and 17 March
    two_days_earlier = TODAY - datetime.timedelta(days=2)

    owner_client.post(
        reverse("recovery:loss_edit", kwargs={"code": deal.code}),
        loss_payload(lost_on=two_days_earlier.isoformat()),
    )

    deal.refresh_from_db()
    assert deal.lost_on == two_days_earlier
    pending = sorted(deal.check_ins.filter(answered_at__isnull=True).values_list("due_on", flat=True))
    # Day 1 (9 March) is already past; days 3 and 7 follow the new date.
    assert pending == [datetime.date(2025, 3, 11), datetime.date(2025, 3, 15)]


def test_edit_with_bad_input_keeps_what_was_typed_and_changes_nothing(owner_client, loss):
    url = reverse("recovery:loss_edit", kwargs={"code": loss.code})
    response = owner_client.post(url, loss_payload(name="Typed new name", amount="-1"))

    assert response.status_code == 200
    assert "Enter an amount of zero or more." in response.context["form"].errors["amount"]
    assert 'value="Typed new name"' in response.text
    assert "Edit “Acme renewal”" in response.text
    loss.refresh_from_db()
    assert loss.name == "Acme renewal"
    assert loss.amount == 12000


# ---------------------------------------------------------------- delete


def test_delete_page_names_the_deal_and_warns_it_cannot_be_undone(owner_client, loss):
    response = owner_client.get(reverse("recovery:loss_delete", kwargs={"code": loss.code}))
    assert response.status_code == 200
    assert "Delete “Acme renewal”?" in response.text
    assert "its reflection and all its check-ins" in response.text
    assert "This can't be undone." in response.text
    assert LostDeal.objects.filter(pk=loss.pk).exists()


def test_delete_removes_the_loss_its_reflection_and_check_ins(owner_client, owner, loss):
    kept = make_loss(owner, name="Kept loss")
    services.check_in_create(deal=loss, mood=3, note="Better")
    assert CheckIn.objects.filter(deal=loss).count() == 4

    response = owner_client.post(reverse("recovery:loss_delete", kwargs={"code": loss.code}))

    assert response.status_code == 302
    assert response.url == reverse("recovery:loss_list")
    assert message_texts(response) == ["Deleted “Acme renewal”, with its reflection and check-ins."]
    assert list(LostDeal.objects.all()) == [kept]
    assert not Reflection.objects.filter(deal_id=loss.pk).exists()
    assert not CheckIn.objects.filter(deal_id=loss.pk).exists()
    assert Reflection.objects.filter(deal=kept).exists()
    assert CheckIn.objects.filter(deal=kept).count() == 3


# ---------------------------------------------------------------- detail


def test_detail_shows_the_deal_and_who_can_see_it(owner_client, owner):
    deal = make_loss(
        owner,
        name="Initech rollout",
        reasons=("price-budget", "my-discovery"),
        amount=25000,
        currency="USD",
        competitor="Globex",
        notes="Budget froze in Q3.",
    )
    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": deal.code}))

    assert response.status_code == 200
    assert response.context["audience_line"] == "Only you can see this loss."
    assert "Only you can see this loss." in response.text
    text = response.text
    for expected in ["Initech rollout", "USD 25,000", "Proposal", "Globex", "Budget froze in Q3."]:
        assert expected in text
    assert re.search(r"Price or budget\s*<span class=\"badge[^\"]*\">outside your control", text)
    assert re.search(r"My discovery\s*<span class=\"badge[^\"]*\">within your control", text)


def test_detail_invites_a_reflection_not_started(owner_client, loss):
    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": loss.code}))
    assert response.context["reflection"].status == "not_started"
    assert "Reflect on it" in response.text
    assert reverse("recovery:reflection_edit", kwargs={"code": loss.code}) in response.text


def test_detail_offers_to_continue_a_half_finished_reflection(owner_client, loss):
    services.reflection_save(
        reflection=loss.reflection,
        emotions=["frustrated", "hopeful"],
        mood=2,
        feelings="",
        talk_to="",
        unhelpful_advice="",
        outside_control="",
        lesson="",
    )
    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": loss.code}))
    assert response.context["reflection"].status == "started"
    assert "Continue your reflection" in response.text
    assert "Half-finished reflection" in response.text
    assert "Frustrated, Hopeful" in response.text
    assert "2 · Low" in response.text


def test_detail_summarises_a_finished_reflection(owner_client, loss):
    finish_reflection(loss, lesson="Find the economic buyer")
    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": loss.code}))
    assert response.context["reflection"].status == "finished"
    assert "Reflected" in response.text
    assert "Find the economic buyer" in response.text
    assert "Disappointed" in response.text
    assert "Continue your reflection" not in response.text


@pytest.mark.time_machine(FROZEN)
def test_detail_lists_answered_check_ins_and_pending_prompts(owner_client, owner):
    deal = make_loss(owner, days_ago=2)  # prompts on 9 (past, skipped), 11 and 15 March
    services.check_in_create(deal=deal, mood=4, note="Talked it through with Sam")
    first_prompt = deal.check_ins.get(due_on=datetime.date(2025, 3, 11))

    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": deal.code}))

    assert [c.note for c in response.context["answered_check_ins"]] == ["Talked it through with Sam"]
    assert [c.due_on for c in response.context["pending_check_ins"]] == [
        datetime.date(2025, 3, 11),
        datetime.date(2025, 3, 15),
    ]
    assert "4 · Fairly good" in response.text
    assert "Talked it through with Sam" in response.text
    assert "11 March 2025" in response.text
    assert "15 March 2025" in response.text
    # Not due yet: no link to answer it.
    assert reverse("recovery:check_in_answer", kwargs={"code": first_prompt.code}) not in response.text


@pytest.mark.time_machine(FROZEN)
def test_detail_links_a_prompt_once_it_is_due_and_drops_dismissed_ones(owner_client, owner, time_machine):
    deal = make_loss(owner)  # lost today: prompts on 11, 13 and 17 March
    due = deal.check_ins.get(due_on=datetime.date(2025, 3, 11))
    not_yet_due = deal.check_ins.get(due_on=datetime.date(2025, 3, 13))
    services.check_in_dismiss(check_in=deal.check_ins.get(due_on=datetime.date(2025, 3, 17)))

    time_machine.move_to(datetime.datetime(2025, 3, 12, 12, 0, tzinfo=datetime.UTC))
    response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": deal.code}))

    detail_url = reverse("recovery:loss_detail", kwargs={"code": deal.code})
    answer_url = reverse("recovery:check_in_answer", kwargs={"code": due.code})
    assert f'href="{answer_url}?next={detail_url}"' in response.text
    assert f'action="{reverse("recovery:check_in_dismiss", kwargs={"code": due.code})}"' in response.text
    assert reverse("recovery:check_in_answer", kwargs={"code": not_yet_due.code}) not in response.text
    assert reverse("recovery:check_in_dismiss", kwargs={"code": not_yet_due.code}) not in response.text
    assert [c.due_on for c in response.context["pending_check_ins"]] == [
        datetime.date(2025, 3, 11),
        datetime.date(2025, 3, 13),
    ]


def test_detail_has_a_check_in_form_posting_to_check_in_create(owner_client, loss):
    detail_url = reverse("recovery:loss_detail", kwargs={"code": loss.code})
    response = owner_client.get(detail_url)
    assert f'action="{reverse("recovery:check_in_create", kwargs={"code": loss.code})}"' in response.text
    assert f'name="next" value="{detail_url}"' in response.text
    assert "How do you feel about it now?" in response.text
    assert 'name="mood"' in response.text


@pytest.mark.parametrize("check_ins", [3, 50])
def test_detail_runs_a_fixed_number_of_queries(owner_client, loss, check_ins, django_assert_num_queries):
    for number in range(check_ins):
        services.check_in_create(deal=loss, mood=number % 5 + 1, note=f"Note {number}")
    with django_assert_num_queries(DETAIL_QUERIES):
        response = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": loss.code}))
    assert len(response.context["answered_check_ins"]) == check_ins


# ---------------------------------------------------------------- move on


@pytest.mark.time_machine(FROZEN)
def test_moving_on_records_the_days_since_the_loss(owner_client, owner):
    deal = make_loss(owner, days_ago=5)
    url = reverse("recovery:loss_move_on", kwargs={"code": deal.code})

    response = owner_client.post(url)

    assert response.status_code == 302
    assert response.url == reverse("recovery:loss_detail", kwargs={"code": deal.code})
    assert message_texts(response) == [
        "You've felt it, and you're moving on. Well done for giving it its time."
    ]
    deal.refresh_from_db()
    assert deal.recovery_days == 5
    assert deal.moved_on_at.date() == TODAY

    page = owner_client.get(response.url)
    assert "Moved on on 10 March 2025 — 5 days after the loss." in page.text
    assert reverse("recovery:loss_undo_move_on", kwargs={"code": deal.code}) in page.text
    assert "I've felt it, and I'm moving on" not in page.text


@pytest.mark.time_machine(FROZEN)
def test_undo_clears_the_move_on(owner_client, owner):
    deal = make_loss(owner, days_ago=1)
    services.lost_deal_move_on(deal=deal)

    response = owner_client.post(reverse("recovery:loss_undo_move_on", kwargs={"code": deal.code}))

    assert response.status_code == 302
    assert response.url == reverse("recovery:loss_detail", kwargs={"code": deal.code})
    assert message_texts(response) == ["No rush: this loss is open again. Take the time you need."]
    deal.refresh_from_db()
    assert deal.moved_on_at is None
    assert deal.recovery_days is None
    page = owner_client.get(response.url)
    assert "I've felt it, and I'm moving on" in page.text
    assert "Moved on on" not in page.text


# ---------------------------------------------------------------- My losses


def test_empty_list_invites_logging_the_first_loss(owner_client):
    response = owner_client.get(reverse("recovery:loss_list"))
    assert response.status_code == 200
    assert "No losses logged yet" in response.text
    assert reverse("recovery:loss_create") in response.text
    assert "No losses match these filters." not in response.text


def test_list_shows_each_loss_with_its_badges(owner_client, owner):
    not_started = make_loss(owner, name="Not started deal", days_ago=3, amount=900, currency="CHF")
    half = make_loss(owner, name="Half deal", days_ago=2, reasons=("timing", "my-demo-pitch"))
    services.reflection_save(
        reflection=half.reflection,
        emotions=[],
        mood=None,
        feelings="Gutted.",
        talk_to="",
        unhelpful_advice="",
        outside_control="",
        lesson="",
    )
    done = make_loss(owner, name="Done deal", days_ago=1)
    finish_reflection(done)
    services.lost_deal_move_on(deal=done)

    response = owner_client.get(reverse("recovery:loss_list"))

    rows = {deal.name: deal for deal in response.context["page_obj"].object_list}
    assert rows["Not started deal"].reflection.status == "not_started"
    assert rows["Half deal"].reflection.status == "started"
    assert rows["Done deal"].reflection.status == "finished"
    text = response.text
    assert reverse("recovery:loss_detail", kwargs={"code": not_started.code}) in text
    assert "CHF 900" in text
    assert "Timing, My demo or pitch" in text
    assert text.count("Not reflected yet") == 1
    assert text.count("Half-finished reflection") == 1
    assert text.count(">Reflected<") == 1
    assert text.count(">Moved on<") == 1


@pytest.fixture
def varied_losses(owner):
    """Five losses logged on 10 March 2025, lost on 29 Jan (Alpha), 18 Feb (Delta), 28 Feb (Bravo),
    5 Mar (Echo) and 9 Mar (Charlie). Bravo is moved on; Delta's reflection is finished."""
    alpha = make_loss(owner, name="Alpha", days_ago=40, stage="demo", reasons=("price-budget",), amount=100)
    bravo = make_loss(
        owner, name="Bravo", days_ago=10, stage="proposal", reasons=("my-discovery",), amount=9000
    )
    charlie = make_loss(owner, name="Charlie", days_ago=1, stage="proposal", reasons=("timing",), amount=500)
    delta = make_loss(
        owner, name="Delta", days_ago=20, stage="contract", reasons=("price-budget",), amount=700
    )
    echo = make_loss(owner, name="Echo", days_ago=5, stage="negotiation", reasons=("unknown",), amount=50)
    services.lost_deal_move_on(deal=bravo)
    finish_reflection(delta)
    return alpha, bravo, charlie, delta, echo


@pytest.mark.time_machine(FROZEN)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Charlie", "Echo", "Bravo", "Delta", "Alpha"]),
        ({"date_from": "2025-02-28"}, ["Charlie", "Echo", "Bravo"]),
        ({"date_to": "2025-02-28"}, ["Bravo", "Delta", "Alpha"]),
        ({"date_to": "2025-02-27"}, ["Delta", "Alpha"]),
        ({"date_from": "2025-02-15", "date_to": "2025-03-06"}, ["Echo", "Bravo", "Delta"]),
        ({"reason": "price-budget"}, ["Delta", "Alpha"]),
        ({"stage": "proposal"}, ["Charlie", "Bravo"]),
        ({"moved_on": "yes"}, ["Bravo"]),
        ({"moved_on": "no"}, ["Charlie", "Echo", "Delta", "Alpha"]),
        ({"finished": "yes"}, ["Delta"]),
        ({"finished": "no"}, ["Charlie", "Echo", "Bravo", "Alpha"]),
        ({"stage": "proposal", "moved_on": "no"}, ["Charlie"]),
    ],
)
def test_each_filter_narrows_the_list(owner_client, varied_losses, query, expected):
    response = owner_client.get(reverse("recovery:loss_list"), query)
    assert response.status_code == 200
    assert names_listed(response) == expected


@pytest.mark.time_machine(FROZEN)
@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("newest", ["Charlie", "Echo", "Bravo", "Delta", "Alpha"]),
        ("oldest", ["Alpha", "Delta", "Bravo", "Echo", "Charlie"]),
        ("name", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
        ("amount", ["Bravo", "Delta", "Charlie", "Alpha", "Echo"]),
    ],
)
def test_sorting_orders_the_list(owner_client, varied_losses, order, expected):
    response = owner_client.get(reverse("recovery:loss_list"), {"order": order})
    assert names_listed(response) == expected


@pytest.mark.time_machine(FROZEN)
def test_filters_that_exclude_everything_say_so_and_offer_to_clear_them(owner_client, varied_losses):
    response = owner_client.get(reverse("recovery:loss_list"), {"stage": "prospecting"})
    assert names_listed(response) == []
    assert "No losses match these filters." in response.text
    assert f'href="{reverse("recovery:loss_list")}">Clear the filters' in response.text
    assert "No losses logged yet" not in response.text


@pytest.mark.time_machine(FROZEN)
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "garbage"}, "date_from", "Enter a valid date."),
        ({"date_to": "2025-13-45"}, "date_to", "Enter a valid date."),
        ({"date_from": "2025-03-01", "date_to": "2025-02-01"}, "date_to", "“Lost until” must be on or after"),
        ({"reason": "no-such-reason"}, "reason", "Select a valid choice."),
        ({"stage": "lost"}, "stage", "Select a valid choice."),
        ({"order": "-secret"}, "order", "Select a valid choice."),
    ],
)
def test_invalid_filter_shows_the_error_by_its_field(owner_client, varied_losses, query, field, message):
    response = owner_client.get(reverse("recovery:loss_list"), query)
    assert response.status_code == 200
    assert any(message in error for error in response.context["filter_form"].errors[field])
    error_list = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.text, re.S)
    assert error_list is not None
    assert "Check the filters marked below" in response.text
    # The invalid filter is left out; the valid ones still apply.
    valid_only = {key: value for key, value in query.items() if key != field}
    expected = names_listed(owner_client.get(reverse("recovery:loss_list"), valid_only))
    assert names_listed(response) == expected
    assert len(expected) == (2 if valid_only else 5)


def test_pagination_splits_the_list_and_keeps_the_filters(owner_client, owner):
    for number in range(45):
        make_loss(
            owner, name=f"Deal {number:02}", days_ago=number, stage="demo" if number % 2 else "proposal"
        )
    make_loss(owner, name="Other stage", stage="contract")

    first = owner_client.get(reverse("recovery:loss_list"))
    assert len(names_listed(first)) == LOSSES_PER_PAGE
    assert first.context["page_obj"].paginator.num_pages == 3
    assert 'href="?page=2"' in first.text

    query = {"stage": "proposal", "order": "oldest", "page": "2"}
    second = owner_client.get(reverse("recovery:loss_list"), query)
    # 23 proposal losses: page 2 holds the last three, oldest first.
    assert names_listed(second) == ["Deal 04", "Deal 02", "Deal 00"]
    assert 'href="?stage=proposal&amp;order=oldest&amp;page=1"' in second.text
    assert "Page 2 of 2" in second.text


def test_a_page_number_out_of_range_shows_a_real_page(owner_client, owner):
    for number in range(LOSSES_PER_PAGE + 1):
        make_loss(owner, name=f"Deal {number:02}", days_ago=number)
    assert owner_client.get(reverse("recovery:loss_list"), {"page": "99"}).context["page_obj"].number == 2
    assert owner_client.get(reverse("recovery:loss_list"), {"page": "abc"}).context["page_obj"].number == 1


@pytest.mark.parametrize("losses", [3, 50])
def test_list_runs_a_fixed_number_of_queries(owner_client, owner, losses, django_assert_num_queries):
    for number in range(losses):
        deal = make_loss(owner, name=f"Deal {number}", days_ago=number, reasons=("timing", "my-follow-up"))
        if number % 3 == 0:
            services.lost_deal_move_on(deal=deal)
    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get(reverse("recovery:loss_list"))
    assert len(names_listed(response)) == min(losses, LOSSES_PER_PAGE)
    assert "Timing, My follow-up" in response.text


def test_filtered_list_runs_the_same_queries_as_the_plain_one_plus_the_reason_lookup(
    owner_client, owner, django_assert_num_queries
):
    for number in range(30):
        make_loss(owner, name=f"Deal {number}", days_ago=number, reasons=("timing", "my-follow-up"))
    with django_assert_num_queries(LIST_QUERIES + 1):
        response = owner_client.get(reverse("recovery:loss_list"), {"reason": "timing", "moved_on": "no"})
    assert len(names_listed(response)) == LOSSES_PER_PAGE


def test_detail_of_a_shared_loss_says_when_and_links_to_the_shared_page(owner_client, loss, team, teammate):
    shared = share(loss, team=team)
    text = owner_client.get(reverse("recovery:loss_detail", kwargs={"code": loss.code})).text
    assert f"You shared it on {shared.shared_at:%-d %B %Y}" in text
    assert reverse("teams:shared_loss", kwargs={"code": loss.code}) in text
    assert reverse("teams:share_delete", kwargs={"code": loss.code}) in text
    assert f"Shared with everyone in {team.name} (2 other people)." in text


@pytest.mark.parametrize("check_ins", [3, 50])
def test_detail_of_a_shared_loss_runs_a_fixed_number_of_queries(
    owner_client, loss, team, teammate, check_ins, django_assert_num_queries
):
    share(loss, team=team)
    for number in range(check_ins):
        services.check_in_create(deal=loss, mood=number % 5 + 1, note=f"Note {number}")
    # The audience line also counts the team's other members.
    with django_assert_num_queries(DETAIL_QUERIES + 1):
        owner_client.get(reverse("recovery:loss_detail", kwargs={"code": loss.code}))
