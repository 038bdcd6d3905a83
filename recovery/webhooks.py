"""The closed-lost webhook: a CRM posts a lost deal to a rep's own address, signed with its secret.

Everything the receiving view needs lives here: the signature check, the rate limit, the body's
validation, and the writes (create and revoke an address, store a delivery, bring a loss in). Each
write is one transaction. The view only puts them in order and turns the outcome into a JSON
answer. The loss itself is made by the task `webhook_delivery_run`, which a worker runs after the
request has been answered 202.
"""

import datetime
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.tasks import task
from django.utils import timezone

from teams.models import User

from . import services
from .currencies import ALL as CURRENCY_CODES
from .imports import reasons_from_text
from .imports.preview import CRM_ID_MAX, CRM_REASON_MAX, DEFAULT_STAGE, NAME_MAX
from .models import MAX_AMOUNT, LossReason, LostDeal, Source, Stage, Webhook, WebhookDelivery

SIGNATURE_HEADER = "X-Rebound-Signature"
MAX_BODY_BYTES = 16 * 1024
# Requests per address and per window, counted in the cache that every worker shares.
RATE_LIMIT = 60
RATE_WINDOW_SECONDS = 60
# Deliveries the webhook page lists, newest first.
RECENT_DELIVERIES = 20
# Addresses a rep may have in use at once: one per CRM is plenty.
MAX_ACTIVE_WEBHOOKS = 10
DEFAULT_CURRENCY = "USD"
# A CRM sends the date in its own time zone: a date is in the future only once it is in the
# future everywhere (UTC+14 is the earliest time zone on Earth).
EARLIEST_UTC_OFFSET = datetime.timedelta(hours=14)

_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")
_CURRENCIES = frozenset(CURRENCY_CODES)
_CENT = Decimal("0.01")


# ---------------------------------------------------------------- reading addresses


def own_webhooks(*, user: User) -> QuerySet[Webhook]:
    """The user's addresses, newest first, revoked ones included."""
    return Webhook.objects.filter(owner=user).order_by("-created_at")


def get_own_webhook(*, user: User, code) -> Webhook:
    """The user's own address, or 404: another rep's address looks exactly like a missing one."""
    return get_object_or_404(Webhook, owner=user, code=code)


def get_active_webhook(*, code) -> Webhook | None:
    """The address a CRM posts to, if it exists and was not revoked (both look the same outside)."""
    return Webhook.objects.select_related("owner").filter(code=code, revoked_at__isnull=True).first()


def recent_deliveries(*, user: User) -> list[WebhookDelivery]:
    """The last deliveries to any of the user's addresses, newest first, with their losses. One query."""
    return list(
        WebhookDelivery.objects.filter(webhook__owner=user)
        .select_related("webhook", "loss")
        .order_by("-received_at", "-pk")[:RECENT_DELIVERIES]
    )


# ---------------------------------------------------------------- signature and rate limit


def signature_for(*, secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of the raw body, keyed with the address's secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(*, secret: str, body: bytes, header: str | None) -> bool:
    """`header` is "sha256=<hex>" or the bare hex; compared in constant time."""
    if not header:
        return False
    given = header.strip()
    if given[:7].lower() == "sha256=":
        given = given[7:]
    if not _HEX_SIGNATURE.fullmatch(given):
        return False
    return hmac.compare_digest(given.lower(), signature_for(secret=secret, body=body))


def rate_limited(*, webhook: Webhook) -> bool:
    """Count this request against its address; True once the window's limit is passed.

    Only for a request whose signature matched: one without the secret must not use up the
    owner's allowance.

    A fixed window per address, in Django's cache (the database cache, shared by all workers).
    The cache's incr is a read then a write, so two requests at the same instant may count as
    one: the limit is a guard against a runaway CRM loop, not an exact quota.
    """
    window = int(time.time() // RATE_WINDOW_SECONDS)
    key = f"rebound:webhook-rate:{webhook.code}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired or culled between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
        count = 1
    return count > RATE_LIMIT


def seconds_to_next_window() -> int:
    return RATE_WINDOW_SECONDS - int(time.time()) % RATE_WINDOW_SECONDS


# ---------------------------------------------------------------- the body


class PayloadError(Exception):
    """The body can't become a loss: `message` says why, `fields` names each field's problem."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


@dataclass(frozen=True)
class LostDealPayload:
    name: str
    lost_on: datetime.date
    stage: str
    amount: Decimal | None
    currency: str
    crm_id: str
    crm_reason: str


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_payload(body: bytes) -> LostDealPayload:
    """Validate the JSON body of a closed-lost request; raise PayloadError with every problem found."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError("The body must be JSON encoded as UTF-8.") from None
    try:
        # Decimal keeps amounts exact (and huge integers cheap); NaN and Infinity are refused.
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise PayloadError(
            f"The body isn't valid JSON ({error.msg} at line {error.lineno} column {error.colno})."
        ) from None
    except (ValueError, RecursionError):
        raise PayloadError("The body isn't valid JSON.") from None
    if not isinstance(data, dict):
        raise PayloadError('The body must be a JSON object, such as {"deal_name": "Acme renewal", ...}.')

    errors: dict[str, str] = {}

    def check(field, parse):
        try:
            return parse(data.get(field))
        except ValidationError as error:
            errors[field] = error.messages[0]
            return None

    name = check("deal_name", _deal_name)
    lost_on = check("date_lost", _date_lost)
    stage = check("stage", _stage)
    amount = check("amount", _amount)
    currency = check("currency", _currency)
    crm_id = check("crm_id", _crm_id)
    crm_reason = check("reason", _reason)
    if amount is not None and currency is None and "currency" not in errors:
        errors["currency"] = 'Give the amount\'s currency as an ISO 4217 code, such as "EUR".'
    if errors:
        raise PayloadError("Some fields need fixing before this deal can come in.", errors)
    return LostDealPayload(
        name=name,
        lost_on=lost_on,
        stage=stage,
        amount=amount,
        currency=currency or DEFAULT_CURRENCY,
        crm_id=crm_id,
        crm_reason=crm_reason,
    )


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be text.")
    if "\x00" in value:
        raise ValidationError(f"{what} can't contain null characters.")
    return value.strip()


def _deal_name(value) -> str:
    if _is_blank(value):
        raise ValidationError("Give the deal or account name.")
    name = _text(value, "The deal name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"Keep the deal name to {NAME_MAX} characters (it has {len(name)}).")
    return name


def _date_lost(value) -> datetime.date:
    if _is_blank(value):
        raise ValidationError("Give the date the deal was lost, as YYYY-MM-DD.")
    text = _text(value, "The date lost")
    if not _DATE.fullmatch(text):
        raise ValidationError('Write the date lost as YYYY-MM-DD, such as "2025-03-10".')
    try:
        lost_on = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text} isn't a date on the calendar.") from None
    if lost_on > (timezone.now() + EARLIEST_UTC_OFFSET).date():
        raise ValidationError("The date lost can't be in the future.")
    return lost_on


def _stage(value) -> str:
    if _is_blank(value):
        return DEFAULT_STAGE
    stage = _text(value, "The stage").lower()
    if stage not in Stage.values:
        raise ValidationError(f"The stage must be one of: {', '.join(Stage.values)}.")
    return stage


def _amount(value) -> Decimal | None:
    if _is_blank(value):
        return None
    if isinstance(value, str):
        if not _AMOUNT.fullmatch(value.strip()):
            raise ValidationError(
                'Write the amount as a number, such as 12000 or "12000.50", without symbols.'
            )
        value = Decimal(value.strip())
    if not isinstance(value, Decimal):  # a list, an object or true/false
        raise ValidationError('The amount must be a number, such as 12000 or "12000.50".')
    if value < 0:
        raise ValidationError("The amount can't be negative.")
    if value > MAX_AMOUNT:
        raise ValidationError(f"The amount can't be more than {MAX_AMOUNT:,}.")
    try:
        return value.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationError('The amount must be a number, such as 12000 or "12000.50".') from None


def _currency(value) -> str | None:
    if _is_blank(value):
        return None
    code = _text(value, "The currency").upper()
    if code not in _CURRENCIES:
        raise ValidationError(
            f"{code[:10]} isn't an ISO 4217 currency code we know, such as USD, EUR or GBP."
        )
    return code


def _crm_id(value) -> str:
    if isinstance(value, Decimal):
        # HubSpot and Pipedrive ids are numbers: take whole numbers as their digits.
        if value != value.to_integral_value() or value.adjusted() >= CRM_ID_MAX:
            raise ValidationError("The CRM id must be text or a whole number.")
        value = format(value, "f")
    if _is_blank(value):
        raise ValidationError("Give the deal's id in your CRM: it stops the same deal coming in twice.")
    crm_id = _text(value, "The CRM id")
    if len(crm_id) > CRM_ID_MAX:
        raise ValidationError(f"Keep the CRM id to {CRM_ID_MAX} characters (it has {len(crm_id)}).")
    return crm_id


def _reason(value) -> str:
    if _is_blank(value):
        return ""
    reason = " ".join(_text(value, "The reason").split())
    # The CRM's own words are a hint for the rep, not a record to keep whole: long ones are cut.
    if len(reason) > CRM_REASON_MAX:
        reason = reason[: CRM_REASON_MAX - 1].rstrip() + "…"
    return reason


# ---------------------------------------------------------------- writes


def _new_secret() -> str:
    return secrets.token_hex(32)


@transaction.atomic
def webhook_create(*, owner: User) -> Webhook:
    """A new address with its own secret. Raises ValidationError when the rep has too many in use."""
    # Lock the rep's row so that two clicks at once can't both pass the limit.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    if Webhook.objects.filter(owner=owner, revoked_at__isnull=True).count() >= MAX_ACTIVE_WEBHOOKS:
        raise ValidationError(
            f"You already have {MAX_ACTIVE_WEBHOOKS} webhook addresses in use. "
            "Revoke one you no longer need, then create a new one."
        )
    return Webhook.objects.create(owner=owner, secret=_new_secret())


@transaction.atomic
def webhook_revoke(*, webhook: Webhook) -> Webhook:
    """Refuse every request to this address from now on. Revoking twice keeps the first moment."""
    if webhook.revoked_at is None:
        webhook.revoked_at = timezone.now()
        webhook.save(update_fields=["revoked_at"])
    return webhook


class WebhookRevoked(Exception):
    """The address was revoked while its request was being read."""


@transaction.atomic
def webhook_delivery_accept(*, webhook: Webhook, body: bytes, payload: LostDealPayload) -> WebhookDelivery:
    """Store a signed, valid delivery and enqueue the task that brings its loss in, in one
    transaction, so a delivery is never stored without its task nor queued without its row.

    A crm_id that is already one of the owner's losses is recorded at once as a duplicate, with
    that loss, and nothing is queued. Raises WebhookRevoked if the address was revoked meanwhile.
    """
    if not Webhook.objects.select_for_update().filter(pk=webhook.pk, revoked_at__isnull=True).exists():
        raise WebhookRevoked
    known = LostDeal.objects.filter(owner_id=webhook.owner_id, crm_id=payload.crm_id).first()
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        body=body.decode("utf-8-sig"),
        crm_id=payload.crm_id,
        state=WebhookDelivery.State.DUPLICATE if known else WebhookDelivery.State.QUEUED,
        loss=known,
        finished_at=now if known else None,
    )
    Webhook.objects.filter(pk=webhook.pk).update(last_used_at=now)
    if known is None:
        webhook_delivery_run.enqueue(delivery_code=str(delivery.code))
    return delivery


@transaction.atomic
def webhook_receive_loss(*, webhook: Webhook, payload: LostDealPayload) -> tuple[LostDeal, bool]:
    """Bring a lost deal in for the address's owner; True if it is new, False if its crm_id was known.

    The address's row is locked for the transaction, so two deliveries of the same deal at once
    (CRMs retry) make one loss, and the second is told it already exists.
    """
    locked = Webhook.objects.select_for_update().filter(pk=webhook.pk, revoked_at__isnull=True).first()
    if locked is None:
        raise WebhookRevoked
    owner = webhook.owner
    deal = LostDeal.objects.filter(owner=owner, crm_id=payload.crm_id).first()
    created = deal is None
    if created:
        deal = services.lost_deal_create(
            owner=owner,
            name=payload.name,
            stage=payload.stage,
            lost_on=payload.lost_on,
            reasons=LossReason.objects.filter(slug__in=reasons_from_text(payload.crm_reason)),
            amount=payload.amount,
            currency=payload.currency,
            source=Source.WEBHOOK,
            crm_id=payload.crm_id,
            crm_reason=payload.crm_reason,
        )
    return deal, created


REVOKED_BEFORE_RUN = "The address was revoked before this deal came in: nothing was added."
FAILED_ON_OUR_SIDE = (
    "Something went wrong on Rebound's side ({error}). Send the deal again: the same crm_id never "
    "makes two losses."
)


@transaction.atomic
def webhook_delivery_bring_in(*, code: str) -> str:
    """Make the delivery's loss (or find it, for a crm_id that came in meanwhile) and record the
    outcome on the delivery, in one transaction; returns the delivery's state.

    The delivery's row is locked and only a queued delivery is processed, so a task that runs
    twice (a worker killed after the commit, before marking the task done) adds nothing the second
    time.
    """
    delivery = WebhookDelivery.objects.select_for_update().get(code=code)
    if delivery.state != WebhookDelivery.State.QUEUED:
        return delivery.state
    webhook = Webhook.objects.select_related("owner").get(pk=delivery.webhook_id)
    deal, created = webhook_receive_loss(webhook=webhook, payload=parse_payload(delivery.body.encode()))
    delivery.state = WebhookDelivery.State.CREATED if created else WebhookDelivery.State.DUPLICATE
    delivery.loss = deal
    delivery.finished_at = timezone.now()
    delivery.save(update_fields=["state", "loss", "finished_at"])
    return delivery.state


def webhook_delivery_fail(*, code: str, error: str) -> None:
    """Record why a queued delivery brought nothing in (one UPDATE, so one transaction)."""
    WebhookDelivery.objects.filter(code=code, state=WebhookDelivery.State.QUEUED).update(
        state=WebhookDelivery.State.FAILED, error=error, finished_at=timezone.now()
    )


@task
def webhook_delivery_run(*, delivery_code: str) -> str:
    """The task behind a 202: bring the delivery's loss in, or record on it why not.

    An unexpected error is recorded on the delivery (the rep sees it) and raised again, so the
    task's own row is failed with the traceback for the admin.
    """
    try:
        return webhook_delivery_bring_in(code=delivery_code)
    except WebhookRevoked:
        webhook_delivery_fail(code=delivery_code, error=REVOKED_BEFORE_RUN)
        return WebhookDelivery.State.FAILED
    except Exception as error:
        webhook_delivery_fail(code=delivery_code, error=FAILED_ON_OUR_SIDE.format(error=type(error).__name__))
        raise
