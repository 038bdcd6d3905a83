"""When the database can't be reached, a person gets a readable 503, never a 500."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError
from django.test import RequestFactory

from recovery.middleware import MESSAGE, DatabaseUnavailableMiddleware

ROOT = Path(__file__).resolve().parent.parent.parent

# Run in a real process with production settings whose database is a closed port: nothing is
# mocked. The session cookie makes every page look the signed-in person up in the database.
REQUESTS = r"""
import json
from django.test import Client

client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "s" * 32
form = {"name": "Acme renewal", "stage": "proposal", "lost_on": "2026-01-05", "currency": "EUR"}
answers = {
    "page": client.get("/losses/"),
    "form": client.post("/losses/new/", form),
    "json": client.post(
        "/shared/6f1c2b9e-4d0a-4c8e-9a51-3e2f7d8b0c11/encourage/",
        {"kind": "proud"},
        headers={"accept": "application/json"},
    ),
    "healthz": client.get("/healthz"),
    # A CRM asks for nothing in particular: the webhook answers JSON all the same.
    "webhook": client.post(
        "/hooks/lost-deals/6f1c2b9e-4d0a-4c8e-9a51-3e2f7d8b0c11/",
        b'{"deal_name": "Acme renewal"}',
        content_type="application/json",
        headers={"x-rebound-signature": "sha256=" + "0" * 64},
    ),
}
print(json.dumps({
    name: {"status": r.status_code, "body": r.content.decode(), "headers": dict(r.headers)}
    for name, r in answers.items()
}))
"""


@pytest.fixture(scope="module")
def answers():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "only-for-this-test-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/unreachable",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", REQUESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_page_answers_503_with_the_readable_page_when_the_database_is_unreachable(answers):
    page = answers["page"]
    assert page["status"] == 503, page["body"][:500]
    assert MESSAGE in page["body"].replace("&#x27;", "'")
    assert "<h1>Back in a moment</h1>" in page["body"]
    # Asking for the same page again is the way back.
    assert 'href="/losses/"' in page["body"]


def test_a_form_posted_while_the_database_is_unreachable_answers_503_not_500(answers):
    form = answers["form"]
    assert form["status"] == 503, form["body"][:500]
    assert "Nothing you sent was half-saved" in form["body"]


def test_the_503_asks_clients_to_retry_later_and_is_never_cached(answers):
    headers = {name.lower(): value for name, value in answers["page"]["headers"].items()}
    assert headers["retry-after"] == "10"
    assert "no-store" in headers["cache-control"]


def test_a_json_request_gets_the_message_as_json(answers):
    # encourage.js shows `error` from the JSON it gets back, instead of a page it can't read.
    reply = answers["json"]
    assert reply["status"] == 503
    assert json.loads(reply["body"]) == {"error": MESSAGE}


def test_the_crm_webhook_gets_a_json_503_whatever_it_accepts(answers):
    reply = answers["webhook"]
    headers = {name.lower(): value for name, value in reply["headers"].items()}
    assert reply["status"] == 503, reply["body"][:500]
    assert headers["content-type"] == "application/json"
    assert json.loads(reply["body"]) == {"error": MESSAGE}
    assert headers["retry-after"] == "10"


def test_healthz_still_reports_the_database_as_unreachable(answers):
    assert answers["healthz"]["status"] == 503
    assert json.loads(answers["healthz"]["body"])["database"] == "unreachable"


@pytest.mark.parametrize("error", [IntegrityError("duplicate key"), ValueError("a bug")])
def test_other_errors_are_left_to_the_500_handler(error):
    # A constraint violation or a bug is not an outage: saying "try again" would hide it.
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/losses/"), error) is None


def test_the_retry_link_never_leaves_the_site():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    request.path = "//evil.example/x"  # What a link to https://rebound//evil.example/x asks for.
    response = middleware.process_exception(request, OperationalError())
    assert response.status_code == 503
    assert b'href="//evil.example' not in response.content
    assert b'href="/%2Fevil.example/x"' in response.content
