"""The benchmark's floor view: a signed-in person gets "ok", an anonymous one is sent to sign in."""

import pytest

from teams.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reliability.bench_urls")]


def test_floor_answers_ok_for_a_signed_in_person(client):
    client.force_login(User.objects.create(email="floor@example.com", name="Floor"))

    answer = client.get("/bench/floor/")

    assert answer.status_code == 200
    assert answer.content == b"ok"


def test_floor_sends_an_anonymous_visitor_to_sign_in(client):
    answer = client.get("/bench/floor/")

    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_bench_urlconf_keeps_the_project_pages(client):
    assert client.get("/healthz").status_code == 200
