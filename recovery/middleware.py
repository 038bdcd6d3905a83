"""Rebound's own middleware: private responses are not kept, and a readable 503 when the database is away."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import escape_leading_slashes

logger = logging.getLogger(__name__)

MESSAGE = (
    "Rebound can't reach its database right now. Nothing you sent was half-saved; "
    "please try again in a moment."
)
# Seconds a client (or a load balancer) should wait before trying again.
RETRY_AFTER = 10


class PrivateResponsesMiddleware:
    """`Cache-Control: no-store, private` on every response to someone with a session.

    Who is asking is known only through the session (allauth signs people in with it, and keeps
    the state of a sign-up or a two-factor login there), so a response can depend on the person
    only if the request carried the session cookie, or if the response sets or clears it (signing
    in and out). Those responses are private: no proxy may share them and no browser may keep
    them on disk, where Back after signing out, or the next person at a shared computer, would
    find them. The rule is on the cookie, not on what the view read: a refused POST or a 404 of
    a signed-in person is private too, at no cost (no session is loaded to decide).

    Other responses are the same for every anonymous visitor and keep their own headers: the
    landing page, the login and sign-up pages, `/healthz` (never cached anyway). Static files
    never get here: whitenoise answers them further up. The two directives are added to what a
    view set, and nothing is taken away: `never_cache`'s no-cache, must-revalidate and max-age=0
    stay (only a contradicting `public` goes). Put it just above SessionMiddleware in MIDDLEWARE,
    so it sees the session cookie that middleware sets on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cookie = settings.SESSION_COOKIE_NAME
        if cookie in request.COOKIES or cookie in response.cookies:
            patch_cache_control(response, no_store=True, private=True)
        return response


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
