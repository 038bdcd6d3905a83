"""Accounts through allauth: two-factor for whoever wants it, and rate-limited logins."""

from allauth.account.models import EmailAddress
from django.urls import reverse

from teams.models import User
from tests.conftest import PASSWORD


def test_two_factor_with_an_authenticator_app_is_offered(owner_client):
    response = owner_client.get(reverse("mfa_index"))
    assert response.status_code == 200
    assert "Authenticator App" in response.text
    # Turning it on asks for the password again first.
    activate_url = reverse("mfa_activate_totp")
    assert owner_client.get(activate_url).url.startswith(reverse("account_reauthenticate"))
    owner_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    activate = owner_client.get(activate_url)
    assert activate.status_code == 200
    assert '<img src="data:image/svg+xml;base64,' in activate.text


def test_repeated_wrong_passwords_are_rate_limited(client, owner):
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": owner.email, "password": "wrong-password"})
        assert response.status_code == 200
    # Even the right password is refused for a while after five wrong ones.
    blocked = client.post(url, {"login": owner.email, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in blocked.text
    assert "_auth_user_id" not in client.session


def test_logging_out_needs_a_post(owner_client):
    assert owner_client.get(reverse("account_logout")).status_code == 200  # the confirmation page
    assert "_auth_user_id" in owner_client.session
    owner_client.post(reverse("account_logout"))
    assert "_auth_user_id" not in owner_client.session


def test_a_forged_email_verification_key_verifies_nothing(client, db):
    user = User.objects.create_user(email="new@example.com", name="Nia New", password=PASSWORD)
    address = EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = client.get(reverse("account_confirm_email", kwargs={"key": "forged-key"}))
    assert response.status_code == 200
    assert "expired or is invalid" in response.text
    client.post(reverse("account_confirm_email", kwargs={"key": "forged-key"}))
    address.refresh_from_db()
    assert not address.verified
