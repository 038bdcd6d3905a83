"""The profile page: the name colleagues see, and whether we email you."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from teams.models import Notification, User
from tests.conftest import make_loss, share

URL = reverse("teams:profile")


def test_anonymous_is_sent_to_login(client, db):
    for response in (client.get(URL), client.post(URL, {"name": "Hacker"})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_other_methods_are_refused(owner_client, owner):
    assert owner_client.put(URL).status_code == 405
    assert owner_client.delete(URL).status_code == 405
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"


def test_the_page_shows_my_name_email_and_preference(owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert 'value="Olivia Owner"' in response.text
    assert "owner@example.com" in response.text
    assert response.context["form"]["email_notifications"].value() is True
    assert re.search(r'<input type="checkbox" name="email_notifications"[^>]* checked>', response.text)


def test_changing_my_name_and_turning_emails_off(owner_client, owner):
    response = owner_client.post(URL, {"name": "  Olivia O. "})  # An unticked box sends nothing.
    assert response.status_code == 302
    assert response.url == URL
    owner.refresh_from_db()
    assert owner.name == "Olivia O."
    assert owner.email_notifications is False
    assert "Saved. Your colleagues will see you as Olivia O.." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]


def test_turning_emails_back_on(owner_client, owner):
    User.objects.filter(pk=owner.pk).update(email_notifications=False)
    owner_client.post(URL, {"name": "Olivia Owner", "email_notifications": "on"})
    owner.refresh_from_db()
    assert owner.email_notifications is True


def test_each_person_changes_only_their_own_profile(client, owner, outsider):
    client.force_login(outsider)
    client.post(URL, {"name": "Oscar O.", "email_notifications": "on"})
    owner.refresh_from_db()
    outsider.refresh_from_db()
    assert owner.name == "Olivia Owner"
    assert outsider.name == "Oscar O."


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 81, "Ensure this value has at most 80 characters (it has 81)."),
    ],
)
def test_a_bad_name_is_shown_next_to_the_field_and_nothing_is_saved(owner_client, owner, typed, error):
    response = owner_client.post(URL, {"name": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [error]
    assert 'aria-invalid="true"' in response.text
    if typed.strip():
        assert f'value="{typed}"' in response.text
    # The header still shows the saved name, not what was typed.
    assert "Account menu for </span>Olivia Owner</summary>" in response.text
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"
    assert owner.email_notifications is True


def test_a_name_of_exactly_80_characters_is_fine(owner_client, owner):
    assert owner_client.post(URL, {"name": "x" * 80}).status_code == 302
    owner.refresh_from_db()
    assert owner.name == "x" * 80


def test_the_profile_refuses_a_post_without_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(URL, {"name": "Forged"}).status_code == 403
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"


def test_with_emails_off_a_loss_shared_with_me_is_in_the_app_but_not_emailed(
    client, owner, team, teammate, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(teammate)
    client.post(URL, {"name": "Theo Teammate"})
    with django_capture_on_commit_callbacks(execute=True):
        share(make_loss(owner), team=team, message="", show_name=False)
    assert Notification.objects.filter(recipient=teammate).count() == 1
    assert teammate.email not in [address for email in mailoutbox for address in email.to]
    assert "manager@example.com" in [address for email in mailoutbox for address in email.to]


def test_check_in_reminders_are_on_by_default_and_can_be_turned_off_and_on(owner_client, owner):
    response = owner_client.get(URL)
    assert re.search(r'<input type="checkbox" name="check_in_reminders"[^>]* checked>', response.text)
    assert "Email me when a check-in is due" in response.text
    owner_client.post(URL, {"name": owner.name, "email_notifications": "on"})
    owner.refresh_from_db()
    assert (owner.check_in_reminders, owner.email_notifications) == (False, True)
    owner_client.post(URL, {"name": owner.name, "check_in_reminders": "on"})
    owner.refresh_from_db()
    assert (owner.check_in_reminders, owner.email_notifications) == (True, False)
