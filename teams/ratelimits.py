"""Per-person limits on how fast someone may post, counted in Django's cache.

The cache is the database cache (settings.CACHES), so every worker counts in the same place. Each
limit is a sliding window: at most `count` attempts in any `seconds`. An attempt over the limit is
refused and not counted, so waiting always works. allauth limits sign-in, sign-up and password
resets itself; its own refusals render the same page, templates/429.html.

Limits are set in settings.REBOUND_RATE_LIMITS as {action: (count, seconds)}.
"""

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render

DEFAULT_LIMITS = {
    "comment": (10, 60),
    "invitation": (20, 60 * 60),
}
TOO_FAST = "You're posting faster than we can keep up with. Take a breath and try again in {wait}."

# Attempts by one person are counted one at a time, under a lock kept in the cache as well.
LOCK_SECONDS = 10
LOCK_TRIES = 50
LOCK_RETRY_SECONDS = 0.02


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # When refused: how many seconds until an attempt would be allowed again.
    retry_after: int = 0


def limit_of(action: str) -> tuple[int, int]:
    """(count, seconds) for an action: the setting, else the default."""
    limits = {**DEFAULT_LIMITS, **getattr(settings, "REBOUND_RATE_LIMITS", {})}
    if action not in limits:
        raise ImproperlyConfigured(f"No rate limit is set for {action!r}: add it to REBOUND_RATE_LIMITS.")
    return limits[action]


def _cache_key(action: str, user) -> str:
    return f"rebound:ratelimit:{action}:{user.pk}"


@contextmanager
def _lock(key: str):
    lock = f"{key}:lock"
    for attempt in range(LOCK_TRIES):
        if cache.add(lock, True, timeout=LOCK_SECONDS):
            break
        if attempt < LOCK_TRIES - 1:
            time.sleep(LOCK_RETRY_SECONDS)
    else:
        yield False
        return
    try:
        yield True
    finally:
        cache.delete(lock)


def attempt(user, action: str) -> Verdict:
    """Count one attempt at `action` by `user`, unless it is over the limit."""
    count, seconds = limit_of(action)
    key = _cache_key(action, user)
    with _lock(key) as locked:
        if not locked:
            # The same person is posting many times at once: treat it as over the limit.
            return Verdict(allowed=False, retry_after=1)
        now = time.time()
        recent = [moment for moment in cache.get(key, []) if moment > now - seconds]
        if len(recent) >= count:
            return Verdict(allowed=False, retry_after=max(1, math.ceil(min(recent) + seconds - now)))
        recent.append(now)
        cache.set(key, recent, timeout=seconds)
        return Verdict(allowed=True)


def clear(user, action: str) -> None:
    """Forget someone's attempts at an action."""
    cache.delete(_cache_key(action, user))


def _wait(seconds: int) -> str:
    """How long to wait, in words: "a minute", "25 minutes", "an hour"."""
    if seconds <= 60:
        return "a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minutes"
    hours = math.ceil(minutes / 60)
    return "an hour" if hours == 1 else f"{hours} hours"


def too_many_requests(request, verdict: Verdict):
    """429 Too Many Requests, with the site's page and a Retry-After header."""
    message = TOO_FAST.format(wait=_wait(verdict.retry_after))
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def rate_limited(action: str):
    """Refuse a view with 429 once the person is over the limit for `action`.

    Counts per person, so it goes under @login_required (and under @require_POST, so that only
    what posts is counted).
    """

    def decorator(view):
        @wraps(view)
        def limited_view(request, *args, **kwargs):
            if not request.user.is_authenticated:
                raise ImproperlyConfigured(
                    f"{view.__name__}: @rate_limited counts per person; put it under @login_required."
                )
            verdict = attempt(request.user, action)
            if not verdict.allowed:
                return too_many_requests(request, verdict)
            return view(request, *args, **kwargs)

        return limited_view

    return decorator
