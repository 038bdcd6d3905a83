"""Private pages are not kept: `Cache-Control: no-store, private` on every answer to someone signed in.

recovery.middleware.PrivateResponsesMiddleware decides, on the session cookie: every URL pattern
the project defines is walked as the owner and as the manager (the access matrix's URLs, built
with the objects of its world), and each answer, whatever its status, must say no-store and
private. Pages that are the same for every anonymous visitor, and static files, keep their own.
"""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from teams.models import Encouragement
from tests.access_matrix_data import build_world, url_patterns
from tests.conftest import PASSWORD
from tests.test_access_matrix import rows_for

SIGNED_IN = ("owner", "manager")


def directives(response) -> set[str]:
    """`Cache-Control: max-age=0, no-cache` → {"max-age", "no-cache"}."""
    header = response.headers.get("Cache-Control", "")
    return {part.split("=")[0].strip().lower() for part in header.split(",") if part.strip()}


def is_kept_from_caches(response) -> bool:
    return {"no-store", "private"} <= directives(response)


@pytest.fixture
def world(owner, manager, team, teammate, trusted, other_team_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(owner, manager, team, teammate, trusted, other_team_member)


def test_every_url_pattern_answers_a_signed_in_person_with_no_store_and_private(world):
    kept = []
    walked = 0
    for pattern in url_patterns():
        rows = rows_for(pattern)
        assert rows, f"{pattern.key} has no row in the access matrix"
        for row in rows:
            url = row.url(world, pattern)
            for visitor in SIGNED_IN:
                response = world.client(visitor).get(url)
                walked += 1
                if not is_kept_from_caches(response):
                    header = response.headers.get("Cache-Control")
                    kept.append(f"{url} as {visitor}: {response.status_code}, Cache-Control {header!r}")
    assert walked > 100  # the whole project, admin and allauth included
    assert not kept, f"{len(kept)} answer(s) a cache may keep:\n" + "\n".join(kept)


def test_a_views_own_never_cache_directives_stay(world):
    response = world.client("owner").get(reverse("recovery:export_csv"))
    assert response.status_code == 200
    assert directives(response) == {"max-age", "no-cache", "no-store", "must-revalidate", "private"}


def test_encouragement_answered_in_json_is_not_kept(world):
    url = reverse("teams:encourage", kwargs={"code": world.args["team_loss"]})
    response = world.client("teammate").post(
        url, {"kind": Encouragement.Kind.PROUD}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["given"] is True
    assert is_kept_from_caches(response)


def test_signing_in_and_out_is_not_kept(owner):
    """Both set the session cookie: an answer that hands one out must never be shared."""
    client = Client()
    response = client.post(reverse("account_login"), {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME in response.cookies
    assert is_kept_from_caches(response)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""  # cleared
    assert is_kept_from_caches(response)


MIDDLEWARE = "recovery.middleware.PrivateResponsesMiddleware"
WITHOUT_THE_MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]


@pytest.mark.parametrize("url", ["/", reverse("account_login"), reverse("account_signup"), "/healthz"])
def test_public_pages_for_anonymous_visitors_keep_their_own_caching(db, client, url):
    """allauth's pages and /healthz are never_cache of their own; the landing page says nothing."""
    assert MIDDLEWARE in settings.MIDDLEWARE
    response = client.get(url)
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    with override_settings(MIDDLEWARE=WITHOUT_THE_MIDDLEWARE):
        untouched = Client().get(url)
    assert response.headers.get("Cache-Control") == untouched.headers.get("Cache-Control")


def test_the_landing_page_may_be_cached(db, client):
    response = client.get("/")
    assert "landing.html" in [template.name for template in response.templates]
    assert "no-store" not in directives(response)
    assert "private" not in directives(response)


def test_the_same_address_is_private_to_someone_signed_in(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 200
    assert "recovery/home.html" in [template.name for template in response.templates]
    assert is_kept_from_caches(response)


@pytest.mark.parametrize("signed_in", [False, True])
def test_static_files_keep_whitenoises_caching(owner, client, signed_in):
    if signed_in:
        client.force_login(owner)
    response = client.get(settings.STATIC_URL + "css/site.css")
    assert response.status_code == 200
    assert "public" in directives(response)
    assert "max-age" in directives(response)
    assert "no-store" not in directives(response)
