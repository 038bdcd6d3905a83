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


def page_result(method="GET", rps=400.0, p99=50.0, queries=8):
    from tests.reliability.bench import Page, Result

    return Result(Page("a page", "/a/", "rep", method), rps, p99 / 2, p99, p99, bad=0, queries=queries)


def test_the_bench_says_which_goals_a_page_misses():
    from tests.reliability.bench import goals_missed

    assert goals_missed(page_result(), floor_rps=1000) == "met"
    assert goals_missed(page_result(rps=349), floor_rps=1000) == "requests/s"
    assert goals_missed(page_result(p99=100), floor_rps=1000) == "p99"
    assert goals_missed(page_result(queries=13), floor_rps=1000) == "queries"
    slow = page_result(rps=10, p99=500, queries=20)
    assert goals_missed(slow, floor_rps=1000) == "requests/s, p99, queries"


def test_the_bench_holds_a_post_only_to_the_query_goal():
    from tests.reliability.bench import goals_missed

    assert goals_missed(page_result(method="POST", rps=10, p99=500), floor_rps=1000) == "met"
    assert goals_missed(page_result(method="POST", queries=13), floor_rps=1000) == "queries"
