"""A readable 503, not a 500, when the database can't be reached while handling a request."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.http import escape_leading_slashes

logger = logging.getLogger(__name__)

MESSAGE = (
    "Rebound can't reach its database right now. Nothing you sent was half-saved; "
    "please try again in a moment."
)
# Seconds a client (or a load balancer) should wait before trying again.
RETRY_AFTER = 10


class DatabaseUnavailableMiddleware:
    """Turns a database OperationalError or InterfaceError raised by a view into a 503.

    Every write is one transaction, so a request that failed this way saved nothing: saying so
    and asking to try again is the truth, where a 500 would look like a bug. The page is rendered
    without the request, so no context processor (the unread count, the user) touches the
    database again. Put it last in MIDDLEWARE: its process_exception then runs first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable while handling %s %s: %s",
            request.method,
            request.path,
            exception,
            exc_info=exception,
        )
        return database_unavailable_response(request)


def database_unavailable_response(request, *, as_json: bool = False) -> HttpResponse:
    """The 503: JSON for a request that accepts it or a view that only speaks it, else the page."""
    if as_json or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": MESSAGE}, status=503)
    else:
        # A page asked for is worth asking for again; after a form, the home page is the way back.
        retry_url = "/"
        if request.method in ("GET", "HEAD"):
            retry_url = escape_leading_slashes(request.get_full_path())
        context = {"message": MESSAGE, "retry_url": retry_url}
        response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response
