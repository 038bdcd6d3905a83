"""The rep's webhook addresses (list, create, revoke) and the address a CRM posts closed-lost deals to."""

import functools
import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from recovery import webhooks
from recovery.middleware import database_unavailable_response
from recovery.models import Stage

logger = logging.getLogger(__name__)

# The secret of the address just created, kept in the session for the one page view that shows it.
NEW_SECRET_SESSION_KEY = "rebound_new_webhook"  # noqa: S105 (a session key, not a secret)


def _address(request: HttpRequest, code) -> str:
    return request.build_absolute_uri(reverse("recovery:webhook_receive", kwargs={"code": code}))


@login_required
@require_safe
@never_cache
def webhook_list(request):
    own = list(webhooks.own_webhooks(user=request.user))
    rows = [{"webhook": webhook, "address": _address(request, webhook.code)} for webhook in own]
    new = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    new_row = None
    if new:
        new_row = next((row for row in rows if str(row["webhook"].code) == new.get("code")), None)
        if new_row is not None and not new_row["webhook"].is_active:
            new_row = None
    context = {
        "rows": rows,
        "deliveries": webhooks.recent_deliveries(user=request.user),
        "new_row": new_row,
        "new_secret": new["secret"] if new_row else None,
        "any_active": any(row["webhook"].is_active for row in rows),
        "signature_header": webhooks.SIGNATURE_HEADER,
        "stages": Stage.values,
        "default_stage": webhooks.DEFAULT_STAGE,
        "max_body_kb": webhooks.MAX_BODY_BYTES // 1024,
        "rate_limit": webhooks.RATE_LIMIT,
    }
    return render(request, "recovery/webhook_list.html", context)


@login_required
@require_POST
def webhook_create(request):
    try:
        webhook = webhooks.webhook_create(owner=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("recovery:webhook_list")
    request.session[NEW_SECRET_SESSION_KEY] = {"code": str(webhook.code), "secret": webhook.secret}
    messages.success(request, "Your new webhook address is ready.")
    return redirect("recovery:webhook_list")


@login_required
@require_POST
def webhook_revoke(request, code):
    webhook = webhooks.get_own_webhook(user=request.user, code=code)
    webhooks.webhook_revoke(webhook=webhook)
    messages.success(
        request,
        "Revoked. Anything sent to that address is now refused, and nothing it brought in was touched.",
    )
    return redirect("recovery:webhook_list")


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


UNEXPECTED_ERROR = (
    "Something went wrong on Rebound's side. Send the deal again later: the same crm_id never "
    "makes two losses."
)


def _answers_in_json(view):
    """Every answer of the view is JSON, its failures too: a CRM shows its admin what came back.

    The database away or busy (OperationalError, InterfaceError) is the 503 with Retry-After that
    DatabaseUnavailableMiddleware gives pages, in JSON whatever the request accepts; any other
    error is logged with its traceback and answered 500.
    """

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            logger.error(
                "Database unavailable while handling %s %s: %s",
                request.method,
                request.path,
                error,
                exc_info=True,
            )
            return database_unavailable_response(request, as_json=True)
        except Exception:
            logger.exception("Unexpected error while handling %s %s", request.method, request.path)
            return _error(500, UNEXPECTED_ERROR)

    return answer


def _read_body(request: HttpRequest) -> bytes:
    """The body, or its first MAX_BODY_BYTES + 1 bytes when it is longer (enough to refuse it).

    A body sent with Transfer-Encoding: chunked comes without a Content-Length, and Django reads
    it as empty. gunicorn decodes the chunks and ends wsgi.input where the body ends, which it
    says with wsgi.input_terminated (as mod_wsgi and Werkzeug do): then the stream itself is read.
    """
    if request.META.get("CONTENT_LENGTH") or not request.META.get("wsgi.input_terminated"):
        return request.body
    stream, parts, size = request.META["wsgi.input"], [], 0
    while size <= webhooks.MAX_BODY_BYTES:
        part = stream.read(webhooks.MAX_BODY_BYTES + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


@csrf_exempt
@_answers_in_json
def webhook_receive(request, code):
    """A CRM's closed-lost deal. The address and the body's signature are the only credentials.

    The signature is checked before the request counts toward the address's rate limit: without
    the secret, nobody can use up the owner's allowance. A valid body is stored with its task in
    one transaction and answered 202 at once; the worker makes the loss. A crm_id already known is
    answered 200 "exists" straight away.
    """
    if request.method != "POST":
        response = _error(405, "Send lost deals with POST.")
        response["Allow"] = "POST"
        return response
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error(400, "The Content-Length header isn't a number.", fields={})
    if declared > webhooks.MAX_BODY_BYTES:
        return _too_large()
    try:
        code = uuid.UUID(str(code))
    except ValueError:
        return _not_found()
    webhook = webhooks.get_active_webhook(code=code)
    if webhook is None:
        return _not_found()
    body = _read_body(request)
    if len(body) > webhooks.MAX_BODY_BYTES:
        return _too_large()
    signature = request.headers.get(webhooks.SIGNATURE_HEADER)
    if not webhooks.signature_is_valid(secret=webhook.secret, body=body, header=signature):
        return _error(
            401,
            f"The {webhooks.SIGNATURE_HEADER} header is missing or doesn't match the body: "
            "sign the exact body with this address's secret (HMAC-SHA256, hex).",
        )
    if webhooks.rate_limited(webhook=webhook):
        response = _error(429, f"Too many requests: this address takes {webhooks.RATE_LIMIT} a minute.")
        response["Retry-After"] = str(webhooks.seconds_to_next_window())
        return response
    try:
        payload = webhooks.parse_payload(body)
    except webhooks.PayloadError as error:
        return _error(400, error.message, fields=error.fields)
    try:
        delivery = webhooks.webhook_delivery_accept(webhook=webhook, body=body, payload=payload)
    except webhooks.WebhookRevoked:
        return _not_found()
    if delivery.loss is not None:
        return JsonResponse(
            {
                "status": "exists",
                "loss": str(delivery.loss.code),
                "delivery": str(delivery.code),
                "message": "This CRM id came in before: nothing was added.",
            },
            status=200,
        )
    return JsonResponse(
        {
            "status": "accepted",
            "delivery": str(delivery.code),
            "message": "Received: the loss is being created. Its outcome shows on the rep's webhook page.",
        },
        status=202,
    )


def _not_found() -> JsonResponse:
    # An address that never existed and one that was revoked get the same answer.
    return _error(404, "There is no webhook at this address, or it was revoked.")


def _too_large() -> JsonResponse:
    return _error(413, f"The body is too large: send at most {webhooks.MAX_BODY_BYTES // 1024} KB.")
