"""Per-person rate limits on posting comments and sending invitations, counted in the shared cache;
and behind a proxy, allauth's login limits counted per client, not per proxy."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from teams import ratelimits
from teams.models import Comment, Invitation
from tests.conftest import PASSWORD, make_loss, share

SLOW_DOWN = "You&#x27;re posting faster than we can keep up with. Take a breath and try again in"
START = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def shared(owner, team):
    return share(make_loss(owner, name="Globex expansion"), team=team)


def comment(client, shared, body="You've got this."):
    return client.post(reverse("teams:comment_create", kwargs={"code": shared.deal.code}), {"body": body})


def invite(client, team, number):
    return client.post(
        reverse("teams:invitation_create", kwargs={"code": team.code}), {"email": f"new{number}@example.com"}
    )


def post_comments(client, shared, count, start=0):
    for number in range(start, start + count):
        response = comment(client, shared, f"Comment {number}")
        assert response.status_code == 302, f"comment {number} was refused"


# ---------------------------------------------------------------- comments: 10 a minute


def test_the_eleventh_comment_within_a_minute_gets_429_and_is_not_saved(client, clock, shared, teammate):
    client.force_login(teammate)
    post_comments(client, shared, 10)
    clock.shift(datetime.timedelta(seconds=59))

    response = comment(client, shared, "One too many")

    assert response.status_code == 429
    assert "429.html" in [t.name for t in response.templates]
    assert f"{SLOW_DOWN} a minute." in response.text
    assert response["Retry-After"] == "1"
    assert Comment.objects.count() == 10
    assert not Comment.objects.filter(body="One too many").exists()


def test_comments_are_allowed_again_once_the_minute_has_passed(client, clock, shared, teammate):
    client.force_login(teammate)
    post_comments(client, shared, 10)
    assert comment(client, shared).status_code == 429
    clock.shift(datetime.timedelta(seconds=60))
    assert comment(client, shared, "After a breath").status_code == 302
    assert Comment.objects.filter(body="After a breath").exists()


def test_the_minute_is_counted_back_from_each_comment(client, clock, shared, teammate):
    client.force_login(teammate)
    post_comments(client, shared, 5)
    clock.shift(datetime.timedelta(seconds=40))
    post_comments(client, shared, 5, start=5)
    assert comment(client, shared).status_code == 429
    # 61 s after the first five: they no longer count, the last five still do.
    clock.shift(datetime.timedelta(seconds=21))
    post_comments(client, shared, 5, start=10)
    response = comment(client, shared)
    assert response.status_code == 429
    assert response["Retry-After"] == "39"


def test_refused_attempts_do_not_make_the_wait_longer(client, clock, shared, teammate):
    client.force_login(teammate)
    post_comments(client, shared, 10)
    for _ in range(5):
        clock.shift(datetime.timedelta(seconds=10))
        assert comment(client, shared).status_code == 429
    clock.shift(datetime.timedelta(seconds=10))
    assert comment(client, shared).status_code == 302


def test_another_person_is_not_affected(client, clock, shared, teammate, trusted, owner):
    client.force_login(teammate)
    post_comments(client, shared, 10)
    assert comment(client, shared).status_code == 429
    for person in (trusted, owner):
        client.force_login(person)
        assert comment(client, shared, f"From {person.name}").status_code == 302
    assert Comment.objects.count() == 12


def test_refused_get_requests_are_not_counted(client, clock, shared, teammate):
    client.force_login(teammate)
    url = reverse("teams:comment_create", kwargs={"code": shared.deal.code})
    for _ in range(15):
        assert client.get(url).status_code == 405
    post_comments(client, shared, 10)


def test_the_limit_comes_from_the_settings(client, clock, shared, teammate, settings):
    settings.REBOUND_RATE_LIMITS = {"comment": (2, 60)}
    client.force_login(teammate)
    post_comments(client, shared, 2)
    assert comment(client, shared).status_code == 429


def test_counts_live_in_the_database_cache_that_every_worker_shares(client, shared, teammate, settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    client.force_login(teammate)
    post_comments(client, shared, 1)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")  # noqa: S608 (the table's name is ours)
        keys = [row[0] for row in cursor.fetchall()]
    assert f":1:rebound:ratelimit:comment:{teammate.pk}" in keys


# ---------------------------------------------------------------- invitations: 20 an hour


def test_the_twenty_first_invitation_within_an_hour_gets_429(
    client, clock, team, manager, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(20):
            assert invite(client, team, number).status_code == 302
        clock.shift(datetime.timedelta(minutes=35))

        response = invite(client, team, 20)

    assert response.status_code == 429
    assert f"{SLOW_DOWN} 25 minutes." in response.text
    assert Invitation.objects.filter(team=team).count() == 20
    assert not Invitation.objects.filter(email="new20@example.com").exists()
    assert len(mailoutbox) == 20


def test_invitations_are_allowed_again_after_the_hour(client, clock, team, manager):
    client.force_login(manager)
    for number in range(20):
        invite(client, team, number)
    assert "an hour." in invite(client, team, 20).text
    clock.shift(datetime.timedelta(hours=1))
    assert invite(client, team, 20).status_code == 302
    assert Invitation.objects.filter(email="new20@example.com").exists()


def test_comment_and_invitation_limits_are_counted_apart(client, clock, team, manager, shared):
    client.force_login(manager)
    post_comments(client, shared, 10)
    assert invite(client, team, 0).status_code == 302


# ---------------------------------------------------------------- the pieces


def test_the_limiter_refuses_anonymous_use_loudly(db):
    request = RequestFactory().post("/")
    request.user = AnonymousUser()
    view = ratelimits.rate_limited("comment")(lambda request: None)
    with pytest.raises(ImproperlyConfigured):
        view(request)


def test_an_unknown_action_is_a_configuration_error(owner):
    with pytest.raises(ImproperlyConfigured):
        ratelimits.attempt(owner, "no-such-action")


def test_clearing_forgets_the_attempts(owner, clock):
    for _ in range(10):
        assert ratelimits.attempt(owner, "comment").allowed
    assert not ratelimits.attempt(owner, "comment").allowed
    ratelimits.clear(owner, "comment")
    assert ratelimits.attempt(owner, "comment").allowed


def test_allauths_own_limits_show_the_same_page(client, owner):
    """allauth refuses a sixth password change in a minute with templates/429.html."""
    client.force_login(owner)
    url = reverse("account_change_password")
    form = {"oldpassword": "wrong", "password1": "a-new-password-1", "password2": "a-new-password-1"}
    for _ in range(5):
        assert client.post(url, form).status_code == 200
    response = client.post(url, {**form, "oldpassword": PASSWORD})
    assert response.status_code == 429
    assert "<h1>Slow down a little</h1>" in response.text
    assert "That's a lot of requests in a short time." in response.text
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


# ---------------------------------------------------------------- behind a proxy: whose address counts

PROXY = "10.0.0.5"  # every request below comes from the proxy's address
BLOCKED = "Too many failed login attempts. Try again later."


def fail_logins(client, count, forwarded_for):
    """Failed logins from one client, each for another address (allauth also limits each address to 5)."""
    url = reverse("account_login")
    for number in range(count):
        headers = {"X-Forwarded-For": forwarded_for(number)}
        response = client.post(
            url,
            {"login": f"guess{number}@example.com", "password": "wrong"},
            headers=headers,
            REMOTE_ADDR=PROXY,
        )
        assert BLOCKED not in response.text, f"attempt {number} was refused"


def log_in_from(client, forwarded_for, user):
    return client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
        REMOTE_ADDR=PROXY,
    )


def test_behind_one_proxy_each_client_has_its_own_login_failure_limit(client, owner, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    fail_logins(client, 10, lambda n: "203.0.113.7")
    assert BLOCKED in log_in_from(Client(), "203.0.113.7", owner).text

    # Another client behind the same proxy is not held back by the first one's failures.
    other = Client()
    response = log_in_from(other, "198.51.100.9", owner)
    assert response.status_code == 302
    assert "_auth_user_id" in other.session


def test_behind_one_proxy_a_forged_first_address_does_not_dodge_the_limit(client, owner, settings):
    """The proxy appends the address it saw: whatever the client wrote before it is not counted."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    fail_logins(client, 10, lambda n: f"192.0.2.{n}, 203.0.113.7")
    assert BLOCKED in log_in_from(Client(), "192.0.2.200, 203.0.113.7", owner).text


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, owner, settings):
    """By default a client's X-Forwarded-For is its own words: changing it doesn't dodge the limit."""
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0
    fail_logins(client, 10, lambda n: f"203.0.113.{n}")
    other = Client()
    assert BLOCKED in log_in_from(other, "198.51.100.9", owner).text
    assert "_auth_user_id" not in other.session
