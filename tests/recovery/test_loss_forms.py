"""The rules of a lost deal: what the log form refuses, how it says so, and what it keeps."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from recovery.forms import LostDealForm
from recovery.models import MAX_AMOUNT, LossReason, LostDeal
from tests.conftest import loss_form, make_loss

FROZEN = datetime.datetime(2025, 3, 10, 12, 0, tzinfo=datetime.UTC)
TODAY = FROZEN.date()

pytestmark = pytest.mark.time_machine(FROZEN)


def error_list_html(response, field):
    """The error list rendered next to a field (Django gives it the id `id_<field>_error`)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.text, re.S)
    return match.group(1) if match else ""


BAD_INPUT = [
    pytest.param("amount", "-5", "Enter an amount of zero or more.", id="negative-amount"),
    pytest.param(
        "amount", str(MAX_AMOUNT + 1), "That amount looks too large. Check the number.", id="absurd-amount"
    ),
    pytest.param("amount", "lots", "Enter a number.", id="amount-not-a-number"),
    pytest.param(
        "currency", "XXX", "Choose a currency code from the list, such as EUR or USD.", id="unknown-currency"
    ),
    pytest.param("lost_on", "2025-03-11", "The date lost can't be in the future.", id="future-date"),
    pytest.param("lost_on", "yesterday", "Enter a valid date.", id="date-not-a-date"),
    pytest.param("stage", "lost", "Choose the stage from the list.", id="unknown-stage"),
    pytest.param(
        "reasons", [999999], "That reason doesn't exist. Pick one from the list.", id="missing-reason"
    ),
    pytest.param(
        "reasons", ["abc"], "That reason doesn't exist. Pick one from the list.", id="garbage-reason"
    ),
    pytest.param("reasons", [], "Pick at least one reason. “Unknown” is fine.", id="no-reason"),
    pytest.param(
        "notes", "x" * 5001, "Ensure this value has at most 5000 characters (it has 5001).", id="long-notes"
    ),
    pytest.param(
        "competitor",
        "x" * 101,
        "Ensure this value has at most 100 characters (it has 101).",
        id="long-competitor",
    ),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_is_refused_by_its_field_and_the_rest_is_kept(owner_client, field, value, message):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(**{field: value}))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert escape(message) in error_list_html(response, field)
    assert list(response.context["form"].errors) == [field]
    # Everything else typed is still there.
    kept = {
        "name": 'value="Bigcorp pilot"',
        "competitor": 'value="Rival Inc"',
        "notes": "They went quiet after the demo.</textarea>",
        "amount": 'name="amount" value="5000"',
    }
    for other_field, html in kept.items():
        if other_field != field:
            assert html in response.text
    assert LostDeal.objects.count() == 0


def test_an_amount_with_more_digits_than_the_database_holds_is_refused(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(amount="1" + "0" * 20))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["amount"]
    assert error_list_html(response, "amount")
    assert 'value="Bigcorp pilot"' in response.text
    assert LostDeal.objects.count() == 0


def test_a_name_over_200_characters_is_refused_and_the_rest_is_kept(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(name="n" * 201))

    assert response.status_code == 200
    message = "Ensure this value has at most 200 characters (it has 201)."
    assert message in response.context["form"].errors["name"]
    assert escape(message) in error_list_html(response, "name")
    assert 'value="Rival Inc"' in response.text
    assert 'value="5000"' in response.text
    assert LostDeal.objects.count() == 0


def test_a_blank_name_is_refused(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(name="   "))
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert error_list_html(response, "name")
    assert LostDeal.objects.count() == 0


def test_ticked_reasons_stay_ticked_when_the_form_comes_back(owner_client):
    timing, my_demo = LossReason.objects.filter(slug__in=["timing", "my-demo-pitch"]).order_by("position")
    payload = loss_form(reasons=[timing.pk, my_demo.pk], amount="-1")

    response = owner_client.post(reverse("recovery:loss_create"), payload)

    checked = re.findall(r'<input type="checkbox" name="reasons" value="(\d+)"[^>]*checked', response.text)
    assert sorted(int(pk) for pk in checked) == sorted([timing.pk, my_demo.pk])


def test_the_field_in_error_is_marked_invalid_for_assistive_technology(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(amount="-5"))
    assert re.search(r'<input type="number" name="amount"[^>]*aria-invalid="true"', response.text)
    assert re.search(r'aria-describedby="id_amount_helptext id_amount_error"', response.text)


def test_reasons_error_is_announced_with_its_fieldset(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(reasons=[]))
    assert '<fieldset aria-describedby="id_reasons_helptext id_reasons_error">' in response.text


def test_amount_may_be_left_out(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(amount=""))
    assert response.status_code == 302
    assert LostDeal.objects.get().amount is None


def test_an_amount_of_exactly_the_maximum_is_accepted(owner_client):
    response = owner_client.post(reverse("recovery:loss_create"), loss_form(amount=str(MAX_AMOUNT)))
    assert response.status_code == 302
    assert LostDeal.objects.get().amount == MAX_AMOUNT


def test_a_loss_may_be_dated_today_or_in_the_past(owner_client):
    for lost_on in [TODAY, TODAY - datetime.timedelta(days=400)]:
        assert LostDealForm(data=loss_form(lost_on=lost_on.isoformat())).is_valid()


def test_each_new_form_carries_its_own_submission_id_and_today_as_date():
    first, second = LostDealForm(), LostDealForm()
    assert first.initial["submission_id"] != second.initial["submission_id"]
    assert first.initial["lost_on"] == TODAY


def test_the_edit_form_carries_no_submission_id(owner):
    form = LostDealForm(instance=make_loss(owner))
    assert "submission_id" not in form.initial


def test_the_database_refuses_a_negative_amount(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        LostDeal.objects.create(owner=owner, name="Bad", stage="demo", amount=-1)


def test_the_database_refuses_an_amount_over_the_maximum(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        LostDeal.objects.create(owner=owner, name="Bad", stage="demo", amount=MAX_AMOUNT + 1)


def test_model_validation_refuses_an_unknown_currency(owner):
    deal = LostDeal(owner=owner, name="Bad", stage="demo", currency="XXX")
    with pytest.raises(ValidationError) as refused:
        deal.full_clean()
    assert "currency" in refused.value.message_dict
