"""The closed-lost webhook: what a CRM's request must carry, and what it brings in."""

import datetime
import hashlib
import hmac
import io
import json
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from recovery import middleware, selectors, webhooks
from recovery.imports import reasons_from_text
from recovery.models import LostDeal, Source, Webhook, WebhookDelivery
from recovery.views.webhooks import UNEXPECTED_ERROR
from recovery.webhooks import PayloadError, parse_payload, signature_is_valid
from tests.tasks import run_queued_tasks, worker

# Noon UTC: the latest date that is already "today" somewhere on Earth is tomorrow.
FROZEN = datetime.datetime(2025, 3, 10, 12, 0, tzinfo=datetime.UTC)
TODAY = FROZEN.date()
pytestmark = pytest.mark.time_machine(FROZEN, tick=False)


def good_body(**overrides):
    body = {
        "deal_name": "Acme renewal",
        "amount": 12000.5,
        "currency": "EUR",
        "date_lost": TODAY.isoformat(),
        "stage": "negotiation",
        "reason": "Went with a cheaper competitor",
        "crm_id": "deal-48213",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


def sign(secret, raw):
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def send(client, webhook, body=None, *, raw=None, signature=None, secret=None, **extra):
    """POST to the webhook's address, signed with its secret unless told otherwise."""
    if raw is None:
        raw = json.dumps(good_body() if body is None else body).encode()
    headers = {}
    if signature is None:
        signature = sign(secret or webhook.secret, raw)
    if signature is not False:
        headers["X-Rebound-Signature"] = signature
    url = reverse("recovery:webhook_receive", kwargs={"code": webhook.code})
    return client.generic("POST", url, raw, content_type="application/json", headers=headers, **extra)


def deliver(client, webhook, body=None, **kwargs):
    """send(), then run the queued tasks as the worker would: the loss is made by then."""
    response = send(client, webhook, body, **kwargs)
    run_queued_tasks()
    return response


def nothing_saved(webhook):
    webhook.refresh_from_db()
    return (
        not LostDeal.objects.exists()
        and not WebhookDelivery.objects.exists()
        and not DBTaskResult.objects.exists()
        and webhook.last_used_at is None
    )


@pytest.fixture
def webhook(owner):
    return webhooks.webhook_create(owner=owner)


@pytest.fixture
def outsiders_webhook(outsider):
    return webhooks.webhook_create(owner=outsider)


# ---------------------------------------------------------------- a good request


def test_a_signed_request_is_answered_202_and_the_task_creates_one_loss_for_the_owner(client, owner, webhook):
    response = send(client, webhook)

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert response.json() == {
        "status": "accepted",
        "delivery": str(delivery.code),
        "message": "Received: the loss is being created. Its outcome shows on the rep's webhook page.",
    }
    # Stored and queued, nothing made yet: the loss is the worker's job.
    assert delivery.state == WebhookDelivery.State.QUEUED
    assert not LostDeal.objects.exists()
    task = DBTaskResult.objects.get()
    assert task.task_path == "recovery.webhooks.webhook_delivery_run"
    assert task.args_kwargs["kwargs"] == {"delivery_code": str(delivery.code)}
    webhook.refresh_from_db()
    assert webhook.last_used_at == FROZEN

    assert run_queued_tasks() == 1

    deal = LostDeal.objects.get()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.loss, delivery.error) == (WebhookDelivery.State.CREATED, deal, "")
    assert delivery.finished_at == FROZEN
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert deal.owner == owner
    assert deal.name == "Acme renewal"
    assert deal.amount == Decimal("12000.50")
    assert deal.currency == "EUR"
    assert deal.lost_on == TODAY
    assert deal.stage == "negotiation"
    assert deal.source == Source.WEBHOOK
    assert deal.crm_id == "deal-48213"
    assert deal.crm_reason == "Went with a cheaper competitor"
    assert sorted(deal.reasons.values_list("slug", flat=True)) == ["competitor", "price-budget"]
    # It waits in "To reflect" like any loss: an empty reflection and its check-in prompts.
    assert deal.reflection.status == "not_started"
    assert deal.check_ins.count() == 3


def test_a_loss_brought_in_waits_in_the_reps_to_reflect_list(client, owner, webhook):
    deliver(client, webhook)
    assert [deal.name for deal in selectors.unfinished_reflections(user=owner)] == ["Acme renewal"]


def test_the_bare_hex_signature_is_accepted_too(client, webhook):
    raw = json.dumps(good_body()).encode()
    response = send(client, webhook, raw=raw, signature=sign(webhook.secret, raw).removeprefix("sha256="))
    assert response.status_code == 202


def test_only_the_required_fields_are_enough(client, webhook):
    body = good_body(amount=..., currency=..., stage=..., reason=..., crm_id=48213)

    response = deliver(client, webhook, body)

    assert response.status_code == 202
    deal = LostDeal.objects.get()
    assert deal.amount is None
    assert deal.stage == "proposal"
    assert deal.crm_id == "48213"
    assert deal.crm_reason == ""
    assert not deal.reasons.exists()


def test_an_amount_in_quotes_and_a_lower_case_currency_are_understood(client, webhook):
    response = deliver(client, webhook, good_body(amount="9999.999", currency="gbp", stage="Demo"))
    assert response.status_code == 202
    deal = LostDeal.objects.get()
    assert (deal.amount, deal.currency, deal.stage) == (Decimal("10000.00"), "GBP", "demo")


def test_fields_the_crm_adds_are_ignored(client, webhook):
    response = send(client, webhook, good_body(hs_object_id=1234, properties={"x": 1}))
    assert response.status_code == 202


def test_a_repeated_crm_id_answers_exists_at_once_and_adds_nothing(client, webhook):
    deliver(client, webhook)
    first = LostDeal.objects.get()

    again = send(client, webhook, good_body(deal_name="Acme renewal (resent)"))

    assert again.status_code == 200
    repeat = WebhookDelivery.objects.get(crm_id="deal-48213", state=WebhookDelivery.State.DUPLICATE)
    assert again.json() == {
        "status": "exists",
        "loss": str(first.code),
        "delivery": str(repeat.code),
        "message": "This CRM id came in before: nothing was added.",
    }
    assert repeat.loss == first
    # Known at once: nothing was queued for it.
    assert run_queued_tasks() == 0
    assert LostDeal.objects.get().name == "Acme renewal"


def test_the_same_crm_id_twice_before_the_worker_runs_makes_one_loss(client, webhook):
    first = send(client, webhook)
    again = send(client, webhook, good_body(deal_name="Acme renewal (resent)"))
    # Neither is known yet: both are accepted, and the task makes the second a duplicate.
    assert (first.status_code, again.status_code) == (202, 202)

    assert run_queued_tasks() == 2

    deal = LostDeal.objects.get()
    assert deal.name == "Acme renewal"
    states = dict(WebhookDelivery.objects.values_list("code", "state"))
    assert states == {
        uuid.UUID(first.json()["delivery"]): WebhookDelivery.State.CREATED,
        uuid.UUID(again.json()["delivery"]): WebhookDelivery.State.DUPLICATE,
    }
    assert set(WebhookDelivery.objects.values_list("loss", flat=True)) == {deal.pk}


def test_a_task_run_twice_adds_nothing_the_second_time(client, webhook):
    response = deliver(client, webhook)
    code = response.json()["delivery"]

    # As if a worker was killed after its commit, before marking the task done, and it ran again.
    assert webhooks.webhook_delivery_run.call(delivery_code=code) == WebhookDelivery.State.CREATED

    assert LostDeal.objects.count() == 1


def test_a_failing_task_is_recorded_on_the_delivery_and_on_the_task(client, webhook, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(webhooks.services, "lost_deal_create", broken)

    response = deliver(client, webhook)

    assert response.status_code == 202
    assert not LostDeal.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.error == (
        "Something went wrong on Rebound's side (RuntimeError). Send the deal again: the same "
        "crm_id never makes two losses."
    )
    assert delivery.finished_at == FROZEN
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert "the disk is full" in task.traceback
    # Sent again once it's mended, the deal comes in.
    monkeypatch.undo()
    assert deliver(client, webhook).status_code == 202
    assert LostDeal.objects.get().crm_id == "deal-48213"


def test_an_address_revoked_before_the_task_runs_brings_nothing_in(client, webhook):
    send(client, webhook)
    webhooks.webhook_revoke(webhook=webhook)

    run_queued_tasks()

    assert not LostDeal.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.error) == (WebhookDelivery.State.FAILED, webhooks.REVOKED_BEFORE_RUN)


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_itself_brings_the_loss_in_after_the_request_committed(owner):
    """No test transaction around it: the worker's loop runs untouched, connection checks and all."""
    webhook = webhooks.webhook_create(owner=owner)
    assert send(Client(), webhook).status_code == 202

    assert run_queued_tasks() == 1

    assert LostDeal.objects.get().owner == owner
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.CREATED


def test_a_crm_id_first_brought_in_from_a_csv_is_not_duplicated(client, owner, webhook):
    from tests.conftest import make_loss

    make_loss(owner, source=Source.CSV, crm_id="deal-48213")

    response = send(client, webhook)

    assert response.status_code == 200
    assert LostDeal.objects.filter(owner=owner).count() == 1


def test_another_reps_address_creates_the_loss_for_that_rep_only(client, owner, outsider, outsiders_webhook):
    response = deliver(client, outsiders_webhook)

    assert response.status_code == 202
    assert not LostDeal.objects.filter(owner=owner).exists()
    assert LostDeal.objects.get().owner == outsider


def test_another_reps_address_refuses_a_request_signed_with_your_secret(client, webhook, outsiders_webhook):
    response = send(client, outsiders_webhook, secret=webhook.secret)
    assert response.status_code == 401
    assert nothing_saved(outsiders_webhook)


def test_the_same_crm_id_for_two_reps_makes_one_loss_each(
    client, owner, outsider, webhook, outsiders_webhook
):
    assert deliver(client, webhook).status_code == 202
    assert deliver(client, outsiders_webhook).status_code == 202
    assert LostDeal.objects.filter(crm_id="deal-48213").count() == 2


def test_the_latest_date_already_reached_somewhere_is_accepted(client, webhook):
    tomorrow = TODAY + datetime.timedelta(days=1)  # 02:00 on 11 March in UTC+14 (Kiribati)
    response = send(client, webhook, good_body(date_lost=tomorrow.isoformat()))
    assert response.status_code == 202


# ---------------------------------------------------------------- rejections, nothing saved


def test_a_wrong_signature_gets_401(client, webhook):
    response = send(client, webhook, signature="sha256=" + "0" * 64)
    assert response.status_code == 401
    assert "X-Rebound-Signature" in response.json()["error"]
    assert nothing_saved(webhook)


def test_a_signature_of_another_body_gets_401(client, webhook):
    raw = json.dumps(good_body()).encode()
    tampered = json.dumps(good_body(amount=1)).encode()
    response = send(client, webhook, raw=tampered, signature=sign(webhook.secret, raw))
    assert response.status_code == 401
    assert nothing_saved(webhook)


def test_a_missing_signature_gets_401(client, webhook):
    response = send(client, webhook, signature=False)
    assert response.status_code == 401
    assert nothing_saved(webhook)


@pytest.mark.parametrize("signature", ["sha256=", "sha256=xyz", "sha1=" + "a" * 40, "sha256=é" + "a" * 63])
def test_a_malformed_signature_gets_401(client, webhook, signature):
    response = send(client, webhook, signature=signature)
    assert response.status_code == 401
    assert nothing_saved(webhook)


def test_an_unknown_address_gets_404(client, db):
    ghost = Webhook(code=uuid.uuid4(), secret="a" * 64)
    response = send(client, ghost)
    assert response.status_code == 404
    assert not LostDeal.objects.exists()


@pytest.mark.parametrize("code", ["not-a-uuid", "1", "%00", "' OR 1=1 --"])
def test_a_mistyped_address_gets_the_same_json_404(client, db, code):
    unknown = send(client, Webhook(code=uuid.uuid4(), secret="a" * 64))
    response = client.post(f"/hooks/lost-deals/{code}/", b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == unknown.json()


def test_a_revoked_address_gets_the_same_404_as_an_unknown_one(client, webhook):
    webhooks.webhook_revoke(webhook=webhook)
    unknown = send(client, Webhook(code=uuid.uuid4(), secret=webhook.secret))

    response = send(client, webhook)

    assert response.status_code == 404
    assert response.json() == unknown.json()
    assert not LostDeal.objects.exists()


def test_get_gets_405(client, webhook):
    response = client.get(reverse("recovery:webhook_receive", kwargs={"code": webhook.code}))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert nothing_saved(webhook)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "isn't valid JSON"),
        (b"", "isn't valid JSON"),
        (b'{"deal_name": NaN}', "isn't valid JSON"),
        (b"\xff\xfe{}", "UTF-8"),
    ],
)
def test_a_body_that_is_not_json_gets_400(client, webhook, raw, message):
    response = send(client, webhook, raw=raw)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert nothing_saved(webhook)


@pytest.mark.parametrize("raw", [json.dumps([good_body()]), '"Acme renewal"', "12", "null"])
def test_json_that_is_not_an_object_gets_400(client, webhook, raw):
    response = send(client, webhook, raw=raw.encode())
    assert response.status_code == 400
    assert "JSON object" in response.json()["error"]
    assert nothing_saved(webhook)


def test_missing_fields_get_400_naming_each_one(client, webhook):
    response = send(client, webhook, {"amount": 100})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"deal_name", "date_lost", "crm_id", "currency"}
    assert nothing_saved(webhook)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", -1),
        ("amount", "12,000"),
        ("amount", "€12000"),
        ("amount", 10**12 + 1),
        ("amount", True),
        ("amount", [100]),
        ("amount", "1e999999999"),
        ("currency", "XYZ"),
        ("currency", "euro"),
        ("currency", 978),
        ("date_lost", (TODAY + datetime.timedelta(days=2)).isoformat()),
        ("date_lost", "10/03/2025"),
        ("date_lost", "2025-02-30"),
        ("date_lost", "20250310"),
        ("stage", "closed-lost"),
        ("deal_name", "x" * 201),
        ("deal_name", "   "),
        ("deal_name", {"name": "Acme"}),
        ("deal_name", "Acme\x00"),
        ("crm_id", "x" * 101),
        ("crm_id", 1.5),
        ("crm_id", ""),
        ("reason", ["price"]),
    ],
)
def test_an_invalid_field_gets_400_naming_it(client, webhook, field, value):
    response = send(client, webhook, good_body(**{field: value}))

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert nothing_saved(webhook)


def test_a_number_too_long_for_python_to_read_is_an_amount_error_not_a_crash(client, webhook):
    body = json.dumps(good_body(amount=0)).replace('"amount": 0', '"amount": 1' + "0" * 5000)

    response = send(client, webhook, raw=body.encode())

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["amount"]
    assert nothing_saved(webhook)


def test_a_future_date_says_so(client, webhook):
    response = send(client, webhook, good_body(date_lost="2025-03-12"))
    assert response.json()["fields"] == {"date_lost": "The date lost can't be in the future."}


def test_an_amount_without_a_currency_gets_400(client, webhook):
    response = send(client, webhook, good_body(currency=...))
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["currency"]
    assert nothing_saved(webhook)


def test_a_body_over_16_kb_gets_413(client, webhook):
    body = good_body(notes="x" * webhooks.MAX_BODY_BYTES)
    response = send(client, webhook, body)
    assert response.status_code == 413
    assert nothing_saved(webhook)


def test_a_body_longer_than_its_content_length_says_is_still_refused(rf, webhook):
    from recovery.views.webhooks import webhook_receive

    raw = json.dumps(good_body(notes="x" * webhooks.MAX_BODY_BYTES)).encode()
    request = rf.generic(
        "POST",
        reverse("recovery:webhook_receive", kwargs={"code": webhook.code}),
        raw,
        content_type="application/json",
        headers={"X-Rebound-Signature": sign(webhook.secret, raw)},
    )
    request.META["CONTENT_LENGTH"] = "100"  # lies; the body is read whole below
    request._body = raw

    response = webhook_receive(request, code=webhook.code)

    assert response.status_code == 413
    assert nothing_saved(webhook)


def test_a_body_of_exactly_16_kb_is_read(client, webhook):
    body = good_body(notes="")
    padding = webhooks.MAX_BODY_BYTES - len(json.dumps(body).encode())
    body["notes"] = "x" * padding
    raw = json.dumps(body).encode()
    assert len(raw) == webhooks.MAX_BODY_BYTES

    assert send(client, webhook, raw=raw).status_code == 202


def test_the_61st_request_in_a_minute_gets_429_and_saves_nothing(client, webhook, outsiders_webhook):
    for _ in range(webhooks.RATE_LIMIT):
        assert send(client, webhook).status_code in (200, 202)

    response = send(client, webhook, good_body(crm_id="deal-61"))

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert not LostDeal.objects.filter(crm_id="deal-61").exists()
    # The limit is per address: another one is still answered.
    assert send(client, outsiders_webhook).status_code == 202


def test_the_rate_limit_starts_again_the_next_minute(client, webhook, time_machine):
    for _ in range(webhooks.RATE_LIMIT):
        send(client, webhook, good_body(crm_id="deal-1"))
    assert send(client, webhook).status_code == 429

    time_machine.move_to(FROZEN + datetime.timedelta(minutes=1))

    assert send(client, webhook).status_code == 202


def test_badly_signed_requests_do_not_use_up_the_addresses_allowance(client, webhook):
    """Anyone who knows the address but not the secret can't stop the CRM's deals coming in."""
    for _ in range(100):
        assert deliver(client, webhook, signature="sha256=" + "0" * 64).status_code == 401

    response = deliver(client, webhook)

    assert response.status_code == 202
    assert LostDeal.objects.filter(crm_id="deal-48213").exists()


# ---------------------------------------------------------------- a chunked body, as gunicorn hands it on


class Trickle(io.BytesIO):
    """A request body read as a socket gives it: at most 1,000 bytes a read. Counts what was read."""

    def read(self, size=-1):
        part = super().read(1000 if size is None or size < 0 else min(size, 1000))
        self.bytes_read = self.tell()
        return part


def send_chunked(client, webhook, raw, *, terminated=True):
    """POST through the WSGI handler with the environ gunicorn builds for Transfer-Encoding: chunked:
    no CONTENT_LENGTH, the decoded body in wsgi.input, and wsgi.input_terminated."""
    body = Trickle(raw)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": reverse("recovery:webhook_receive", kwargs={"code": webhook.code}),
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_X_REBOUND_SIGNATURE": sign(webhook.secret, raw),
        "wsgi.input": body,
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.request(**environ), body


def test_a_chunked_body_is_read_and_brings_the_loss_in(client, webhook):
    response, _ = send_chunked(client, webhook, json.dumps(good_body()).encode())
    run_queued_tasks()

    assert response.status_code == 202
    assert LostDeal.objects.get().name == "Acme renewal"


def test_a_chunked_body_of_exactly_16_kb_is_read(client, webhook):
    body = good_body(notes="")
    body["notes"] = "x" * (webhooks.MAX_BODY_BYTES - len(json.dumps(body).encode()))
    raw = json.dumps(body).encode()
    assert len(raw) == webhooks.MAX_BODY_BYTES

    response, _ = send_chunked(client, webhook, raw)

    assert response.status_code == 202


def test_a_chunked_body_over_16_kb_gets_413_and_is_not_read_on(client, webhook):
    response, body = send_chunked(client, webhook, json.dumps(good_body(notes="x" * 1_000_000)).encode())

    assert response.status_code == 413
    assert "at most 16 KB" in response.json()["error"]
    assert body.bytes_read == webhooks.MAX_BODY_BYTES + 1
    assert nothing_saved(webhook)


def test_a_body_without_a_length_on_a_server_that_cannot_end_it_is_not_read(client, webhook):
    # Without wsgi.input_terminated the stream may run on into the next request: it is left alone.
    response, body = send_chunked(client, webhook, json.dumps(good_body()).encode(), terminated=False)

    assert response.status_code == 401
    assert body.tell() == 0
    assert nothing_saved(webhook)


# ---------------------------------------------------------------- every answer is JSON


def failing_queries(error):
    """Every SQL query fails with `error`, as when the database is locked, away, or broken."""

    def execute(execute, sql, params, many, context):
        raise error

    return connection.execute_wrapper(execute)


@pytest.mark.parametrize(
    "error",
    [OperationalError("database is locked"), InterfaceError("connection already closed")],
    ids=["busy", "connection gone"],
)
def test_a_busy_or_unreachable_database_gets_a_json_503_with_retry_after(client, webhook, error, caplog):
    with failing_queries(error):
        response = send(client, webhook)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": middleware.MESSAGE}
    assert response["Retry-After"] == str(middleware.RETRY_AFTER)
    assert "no-store" in response["Cache-Control"]
    assert "Database unavailable" in caplog.text
    assert nothing_saved(webhook)
    # The same request once the database is back is taken.
    assert send(client, webhook).status_code == 202


def test_an_unexpected_error_gets_a_json_500_and_is_logged(client, webhook, caplog):
    with failing_queries(RuntimeError("a bug")):
        response = send(client, webhook)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": UNEXPECTED_ERROR}
    assert "RuntimeError: a bug" in caplog.text
    assert nothing_saved(webhook)


# ---------------------------------------------------------------- the pieces


def test_a_signature_check_needs_the_exact_secret():
    body = b'{"deal_name": "Acme"}'
    good = hmac.new(b"s" * 64, body, hashlib.sha256).hexdigest()
    assert signature_is_valid(secret="s" * 64, body=body, header=f"sha256={good}")
    assert signature_is_valid(secret="s" * 64, body=body, header=good.upper())
    assert not signature_is_valid(secret="t" * 64, body=body, header=f"sha256={good}")
    assert not signature_is_valid(secret="s" * 64, body=body, header=None)


def test_parse_payload_reports_every_problem_at_once():
    with pytest.raises(PayloadError) as caught:
        parse_payload(b'{"deal_name": "", "date_lost": "soon", "stage": "won", "crm_id": null}')
    assert set(caught.value.fields) == {"deal_name", "date_lost", "stage", "crm_id"}


def test_json_nested_too_deep_to_parse_is_refused_not_crashed():
    with pytest.raises(PayloadError, match="isn't valid JSON"):
        parse_payload(b"[" * 100_000 + b"]" * 100_000)


def test_a_long_crm_reason_is_shortened_to_fit():
    payload = parse_payload(json.dumps(good_body(reason="too   expensive " * 40)).encode())
    assert len(payload.crm_reason) == 300
    assert payload.crm_reason.startswith("too expensive too expensive")
    assert payload.crm_reason.endswith("…")


@pytest.mark.parametrize(
    ("text", "slugs"),
    [
        ("Price too high", ["price-budget"]),
        ("No budget this year", ["price-budget"]),
        ("Lost to competitor", ["competitor"]),
        ("Went with Rival Inc", ["competitor"]),
        ("Bad timing, maybe next quarter", ["timing"]),
        ("Project on hold", ["timing"]),
        ("No decision - went dark", ["no-decision"]),
        ("Missing feature: SSO", ["product-fit"]),
        ("Our champion left the company", ["champion-left"]),
        ("Stuck in procurement", ["procurement-legal"]),
        ("Poor follow-up on our side", ["my-follow-up"]),
        ("Demo didn't land", ["my-demo-pitch"]),
        ("Benefits unclear", []),
        ("Other", []),
        ("", []),
    ],
)
def test_a_crm_reason_maps_to_rebounds_reasons(text, slugs):
    assert reasons_from_text(text) == slugs


@pytest.mark.django_db(transaction=True)
def test_two_workers_bringing_in_the_same_deal_at_once_make_one_loss(owner):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write: the race needs PostgreSQL's row locks.")
    webhook = webhooks.webhook_create(owner=owner)
    raw = json.dumps(good_body()).encode()
    assert [send(Client(), webhook, raw=raw).status_code for _ in range(2)] == [202, 202]
    barrier = threading.Barrier(2)

    def work(name):
        barrier.wait()
        try:
            # Each worker takes one task (SKIP LOCKED), and both bring the same crm_id in at once.
            worker(worker_id=name).run()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert LostDeal.objects.filter(owner=owner).count() == 1
    assert sorted(WebhookDelivery.objects.values_list("state", flat=True)) == ["created", "duplicate"]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
