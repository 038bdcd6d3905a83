"""Changing the account asks for the password again after five minutes, and the person is told by email.

Email addresses (add, remove, make primary) and two-factor (turning it off) need a recent
reauthentication; the password change form asks for the current password every time.
"""

import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.urls import reverse

from recovery.models import OutgoingEmail
from tests.conftest import PASSWORD, run_tasks

START = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC)
LATER = datetime.timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
NEW_ADDRESS = "olivia.new@example.com"
EMAIL = reverse("account_email")
REAUTHENTICATE = reverse("account_reauthenticate")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def signed_in(client, owner, clock):
    """Signed in, and the password given again just now."""
    client.force_login(owner)
    assert client.post(REAUTHENTICATE, {"password": PASSWORD}).status_code == 302
    return client


def asks_for_the_password(response, path):
    return response.status_code == 302 and response.url == f"{REAUTHENTICATE}?next={path.replace('/', '%2F')}"


def addresses(user):
    return set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))


def sent_to(mailoutbox, address, subject):
    return [m for m in mailoutbox if m.to == [address] and m.subject == f"[Rebound] {subject}"]


# ---------------------------------------------------------------- email addresses


def test_adding_an_address_right_after_giving_the_password_needs_nothing_more(signed_in, owner):
    response = signed_in.post(EMAIL, {"email": NEW_ADDRESS, "action_add": ""})
    assert response.status_code == 302
    assert NEW_ADDRESS in addresses(owner)


def test_adding_an_address_after_the_timeout_asks_for_the_password_and_adds_nothing_until_given(
    signed_in, owner, clock
):
    clock.shift(LATER)
    response = signed_in.post(EMAIL, {"email": NEW_ADDRESS, "action_add": ""})
    assert asks_for_the_password(response, EMAIL)
    assert addresses(owner) == {owner.email}

    wrong = signed_in.post(f"{REAUTHENTICATE}?next={EMAIL}", {"password": "not-my-password"})
    assert wrong.status_code == 200
    assert addresses(owner) == {owner.email}

    # The right password carries out the request that was held.
    signed_in.post(f"{REAUTHENTICATE}?next={EMAIL}", {"password": PASSWORD})
    assert addresses(owner) == {owner.email, NEW_ADDRESS}


def test_a_fresh_sign_in_alone_is_not_enough_to_add_an_address(client, owner, clock):
    client.force_login(owner)
    assert asks_for_the_password(client.post(EMAIL, {"email": NEW_ADDRESS, "action_add": ""}), EMAIL)
    assert addresses(owner) == {owner.email}


@pytest.fixture
def second_address(owner):
    return EmailAddress.objects.create(user=owner, email=NEW_ADDRESS, verified=True, primary=False)


def test_changing_the_primary_address_after_the_timeout_asks_first_then_tells_the_old_address(
    signed_in, owner, second_address, clock, mailoutbox
):
    clock.shift(LATER)
    response = signed_in.post(EMAIL, {"email": NEW_ADDRESS, "action_primary": ""})
    assert asks_for_the_password(response, EMAIL)
    assert EmailAddress.objects.get_primary_email(owner) == owner.email
    assert mailoutbox == []

    signed_in.post(f"{REAUTHENTICATE}?next={EMAIL}", {"password": PASSWORD})
    assert EmailAddress.objects.get_primary_email(owner) == NEW_ADDRESS
    [told] = sent_to(mailoutbox, owner.email, "Email Changed")
    assert f"Your email has been changed from {owner.email} to {NEW_ADDRESS}." in told.body
    assert sent_to(mailoutbox, NEW_ADDRESS, "Email Changed") == []


def test_removing_an_address_after_the_timeout_asks_first_then_tells_the_primary_address(
    signed_in, owner, second_address, clock, mailoutbox
):
    clock.shift(LATER)
    response = signed_in.post(EMAIL, {"email": NEW_ADDRESS, "action_remove": ""})
    assert asks_for_the_password(response, EMAIL)
    assert NEW_ADDRESS in addresses(owner)

    signed_in.post(f"{REAUTHENTICATE}?next={EMAIL}", {"password": PASSWORD})
    assert addresses(owner) == {owner.email}
    [told] = sent_to(mailoutbox, owner.email, "Email Removed")
    assert f"Email address {NEW_ADDRESS} has been removed from your account." in told.body


# ---------------------------------------------------------------- the password


def test_changing_the_password_asks_for_the_current_one_and_tells_the_person(
    signed_in, owner, clock, mailoutbox
):
    clock.shift(LATER)
    url = reverse("account_change_password")
    new = {"password1": "a-brand-new-password-9", "password2": "a-brand-new-password-9"}
    refused = signed_in.post(url, {**new, "oldpassword": "not-my-password"})
    assert refused.status_code == 200
    assert "Please type your current password." in refused.text
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert mailoutbox == []

    assert signed_in.post(url, {**new, "oldpassword": PASSWORD}).status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-password-9")
    [told] = sent_to(mailoutbox, owner.email, "Password Changed")
    assert "Your password has been changed." in told.body


# ---------------------------------------------------------------- two-factor


@pytest.fixture
def totp(owner):
    return TOTP.activate(owner, generate_totp_secret()).instance


def test_turning_two_factor_off_after_the_timeout_asks_first_then_tells_the_person(
    signed_in, owner, totp, clock, mailoutbox
):
    clock.shift(LATER)
    url = reverse("mfa_deactivate_totp")
    assert asks_for_the_password(signed_in.get(url), url)
    assert asks_for_the_password(signed_in.post(url), url)
    assert Authenticator.objects.filter(pk=totp.pk).exists()
    assert mailoutbox == []

    signed_in.post(f"{REAUTHENTICATE}?next={url}", {"password": PASSWORD})
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    [told] = sent_to(mailoutbox, owner.email, "Authenticator App Deactivated")
    assert "Authenticator app deactivated." in told.body


def test_turning_two_factor_off_right_after_giving_the_password_asks_nothing_more(
    signed_in, owner, totp, mailoutbox
):
    response = signed_in.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not response.url.startswith(REAUTHENTICATE)
    assert not Authenticator.objects.filter(pk=totp.pk).exists()


# ---------------------------------------------------------------- with the mail server down

SMTP_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "use_tls": False, "timeout": 2},
    }
}


def test_a_password_change_stands_when_the_mail_server_is_down_and_its_notice_goes_later(
    signed_in, owner, settings, mailoutbox
):
    """The notice is a second channel: the change is made at once, and the notice is queued, tried,
    and sent once the mail server is back."""
    working = settings.MAILERS
    settings.MAILERS = SMTP_DOWN
    new = "a-brand-new-password-9"
    url = reverse("account_change_password")
    response = signed_in.post(url, {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(new)
    assert run_tasks() == 1  # the worker tries: refused
    notice = OutgoingEmail.objects.get(to=[owner.email], subject="[Rebound] Password Changed")
    assert (notice.attempts, notice.sent_at) == (1, None)
    assert "ConnectionRefusedError" in notice.last_error
    settings.MAILERS = working
    with time_machine.travel(datetime.timedelta(minutes=1)):  # past the first retry's delay
        assert [m.subject for m in sent_to(mailoutbox, owner.email, "Password Changed")] == [notice.subject]
