"""The link in a check-in reminder that stops them: works signed out, asks before it changes anything."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from teams.access import REMINDERS_STOP_SALT, reminders_stop_token
from tests.conftest import make_user


def stop_url(token):
    return reverse("teams:reminders_stop", kwargs={"reminders_token": token})


@pytest.fixture
def anonymous():
    return Client(enforce_csrf_checks=True)


def post_with_csrf(client, url):
    """POST the page's own form, as a browser would: the CSRF token from the GET."""
    page = client.get(url)
    return client.post(url, {"csrfmiddlewaretoken": page.context["csrf_token"]})


def reminders_on(user):
    user.refresh_from_db()
    return user.check_in_reminders


def test_get_asks_and_changes_nothing(anonymous, owner):
    response = anonymous.get(stop_url(reminders_stop_token(owner)))
    assert response.status_code == 200
    assert "Stop check-in reminders?" in response.text
    assert '<button type="submit"' in response.text
    assert reminders_on(owner)


def test_the_confirm_button_stops_them_without_signing_in(anonymous, owner):
    response = post_with_csrf(anonymous, stop_url(reminders_stop_token(owner)))
    assert response.status_code == 302
    assert response.url == reverse("teams:reminders_stopped")
    assert not reminders_on(owner)
    assert "Check-in reminders stopped" in anonymous.get(response.url).text
    assert "_auth_user_id" not in anonymous.session  # nobody was signed in by the link


def test_the_link_stops_only_its_own_persons_reminders(anonymous, owner, outsider):
    post_with_csrf(anonymous, stop_url(reminders_stop_token(owner)))
    assert reminders_on(outsider)


def test_a_post_without_the_pages_csrf_token_is_refused(anonymous, owner):
    assert anonymous.post(stop_url(reminders_stop_token(owner))).status_code == 403
    assert reminders_on(owner)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"), id="altered"),
        pytest.param(lambda token: token[: len(token) // 2], id="cut-short"),
        pytest.param(lambda token: "not-a-token", id="made-up"),
    ],
)
def test_a_tampered_link_gets_a_clear_400_and_changes_nothing(anonymous, owner, tamper):
    url = stop_url(tamper(reminders_stop_token(owner)))
    response = anonymous.get(url)
    assert response.status_code == 400
    assert "This link doesn't work" in response.text
    assert anonymous.post(url).status_code in (400, 403)
    assert Client().post(url).status_code == 400  # without CSRF checks: the token still decides
    assert reminders_on(owner)


def test_a_token_signed_for_something_else_opens_nothing(anonymous, owner):
    other_purpose = signing.dumps([owner.pk, owner.email], salt="something-else")
    assert anonymous.get(stop_url(other_purpose)).status_code == 400
    right_salt_wrong_shape = signing.dumps({"pk": owner.pk}, salt=REMINDERS_STOP_SALT)
    assert anonymous.get(stop_url(right_salt_wrong_shape)).status_code == 400


def test_a_link_made_before_the_address_changed_opens_nothing(anonymous, owner):
    token = reminders_stop_token(owner)
    owner.email = "olivia.new@example.com"
    owner.save(update_fields=["email"])
    assert Client().post(stop_url(token)).status_code == 400
    assert reminders_on(owner)


def test_the_link_works_for_the_person_signed_in_as_someone_else_too(owner, db):
    """A shared computer: whoever is signed in, the link speaks for the person it was sent to."""
    someone = make_user("someone@example.com", "Someone Else")
    client = Client()
    client.force_login(someone)
    assert client.post(stop_url(reminders_stop_token(owner))).status_code == 302
    assert not reminders_on(owner)
    assert reminders_on(someone)


def test_other_methods_are_refused(owner):
    assert Client().put(stop_url(reminders_stop_token(owner))).status_code == 405
    assert reminders_on(owner)
