"""Security headers on every kind of page, and the HTTPS settings production runs with.

With the development/test settings, every response carries a Content-Security-Policy that
allows no inline script, and the headers that stop sniffing, framing, referrer leaks and
cross-origin window access. Production settings are read in a subprocess (they refuse to load
without a secret key and hosts); `check --deploy` itself is tested in tests/test_settings.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import make_loss, share

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_HOST = "rebound.example.com"
# Script sources that would let injected markup run: any of them in script-src defeats the policy.
UNSAFE_SCRIPT_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}


def csp_directives(header: str) -> dict[str, list[str]]:
    """ "default-src 'self'; img-src 'self' data:" → {"default-src": ["'self'"], "img-src": [...]}."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def script_sources(directives: dict[str, list[str]]) -> list[str]:
    """What the browser allows for scripts: script-src, or default-src when there is none."""
    if "script-src" in directives:
        return directives["script-src"]
    return directives.get("default-src", [])


# ---------------------------------------------------------------- the pages


@pytest.fixture
def pages(owner, manager, team):
    """(name, who is signed in, url): one of each kind of page, public and private, HTML and not."""
    deal = make_loss(owner, name="Initech renewal")
    share(deal, team=team, message="Lost on price.")
    return {
        "landing": (None, "/"),
        "login": (None, reverse("account_login")),
        "signup": (None, reverse("account_signup")),
        "healthz": (None, "/healthz"),
        "not found": (None, "/no-such-page/"),
        "home": (owner, "/"),
        "loss": (owner, reverse("recovery:loss_detail", kwargs={"code": deal.code})),
        "reflection": (owner, reverse("recovery:reflection_edit", kwargs={"code": deal.code})),
        "feed": (owner, reverse("teams:feed")),
        "shared loss": (owner, reverse("teams:shared_loss", kwargs={"code": deal.code})),
        "dashboard": (manager, reverse("teams:dashboard", kwargs={"code": team.code})),
        "dashboard csv": (manager, reverse("teams:dashboard_csv", kwargs={"code": team.code})),
        "export csv": (owner, reverse("recovery:export_csv")),
    }


PAGE_NAMES = [
    "landing",
    "login",
    "signup",
    "healthz",
    "not found",
    "home",
    "loss",
    "reflection",
    "feed",
    "shared loss",
    "dashboard",
    "dashboard csv",
    "export csv",
]


@pytest.fixture
def fetch(client, pages):
    def fetch(name):
        person, url = pages[name]
        if person is not None:
            client.force_login(person)
        response = client.get(url)
        assert response.status_code == (404 if name == "not found" else 200), (name, response.status_code)
        return response

    return fetch


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_has_a_content_security_policy_without_inline_script(fetch, name):
    response = fetch(name)
    assert "Content-Security-Policy" in response.headers, name
    directives = csp_directives(response.headers["Content-Security-Policy"])
    sources = script_sources(directives)
    assert sources, f"{name}: no script-src and no default-src, so any script may run"
    assert not UNSAFE_SCRIPT_SOURCES & {source.lower() for source in sources}, (name, sources)
    # Nothing that could load a plug-in or re-base relative script URLs.
    assert directives.get("object-src") == ["'none'"], name
    assert "base-uri" in directives, name
    assert "*" not in directives["base-uri"], name


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_refuses_to_be_framed(fetch, name):
    response = fetch(name)
    assert response.headers.get("X-Frame-Options") == "DENY", name
    directives = csp_directives(response.headers["Content-Security-Policy"])
    assert directives.get("frame-ancestors") == ["'none'"], name


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_forbids_sniffing_and_cross_origin_openers_and_limits_the_referrer(fetch, name):
    response = fetch(name)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", name
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", name
    # Addresses carry loss codes: they must never leave the site in a Referer header.
    assert response.headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}, name


def test_a_form_page_with_errors_has_the_same_headers(owner_client):
    """A refused form is rendered by the view itself, not a redirect: it is protected all the same."""
    response = owner_client.post(reverse("recovery:loss_create"), {"name": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    directives = csp_directives(response.headers["Content-Security-Policy"])
    assert not UNSAFE_SCRIPT_SOURCES & set(script_sources(directives))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_load_no_inline_script_that_the_policy_would_block(fetch):
    """Every <script> on the site's pages has a src on the site: the CSP blocks nothing of ours."""
    for name in ("landing", "login", "home", "loss", "reflection", "feed", "shared loss", "dashboard"):
        html = fetch(name).content.decode()
        for tag in html.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert ' src="/static/' in opening, f"{name}: inline or off-site script <script{opening}>"
        assert " onclick=" not in html and " onload=" not in html, name


# ---------------------------------------------------------------- production settings


PRODUCTION_PROBE = """
import json
from django.conf import settings
from django.test import Client

client = Client()
https_health = client.get("/healthz", secure=True, HTTP_HOST=HOST)
http_page = client.get("/losses/", HTTP_HOST=HOST)
http_health = client.get("/healthz", HTTP_HOST=HOST)
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "https_health": [https_health.status_code, dict(https_health.headers)],
    "http_page": [http_page.status_code, http_page.headers.get("Location")],
    "http_health": http_health.status_code,
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """config.settings as production loads it: DJANGO_DEBUG unset, a secret key and a host given."""
    database = tmp_path_factory.mktemp("production") / "probe.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdef",
        "DJANGO_ALLOWED_HOSTS": PRODUCTION_HOST,
        # /healthz only runs SELECT 1: an empty SQLite file answers it without touching real data.
        "DATABASE_URL": f"sqlite:///{database}",
    }
    code = f"HOST = {PRODUCTION_HOST!r}\n" + PRODUCTION_PROBE
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_is_not_in_debug_mode(production):
    assert production["DEBUG"] is False


def test_production_sends_hsts_for_at_least_a_year(production):
    assert production["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    status, headers = production["https_health"]
    assert status == 200
    hsts = headers.get("Strict-Transport-Security", "")
    assert "max-age=" in hsts
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 60 * 60 * 24 * 365
    assert "includeSubDomains" in hsts


def test_production_cookies_are_only_sent_over_https(production):
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True


def test_production_redirects_plain_http_to_https(production):
    assert production["SECURE_SSL_REDIRECT"] is True
    # Behind the proxy, the forwarded protocol says whether the visitor used HTTPS.
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    status, location = production["http_page"]
    assert status == 301
    assert location == f"https://{PRODUCTION_HOST}/losses/"


def test_production_health_check_answers_over_plain_http_for_the_load_balancer(production):
    assert production["http_health"] == 200


def test_production_responses_carry_the_same_security_headers(production):
    _status, headers = production["https_health"]
    directives = csp_directives(headers["Content-Security-Policy"])
    assert not UNSAFE_SCRIPT_SOURCES & set(script_sources(directives))
    assert directives.get("frame-ancestors") == ["'none'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] == "same-origin"
