"""The admin signs in through allauth's login, so two-factor and allauth's rate limits cover staff too."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

from tests.conftest import PASSWORD, make_user

ADMIN = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture
def staff(db):
    user = make_user("staff@example.com", "Sam Staff")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def totp_secret(staff):
    """The staff member has turned on two-factor with an authenticator app."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


def current_code(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def signed_in(client):
    return "_auth_user_id" in client.session


def allauth_login(client, user, password=PASSWORD):
    url = f"{reverse('account_login')}?next={ADMIN}"
    return client.post(url, {"login": user.email, "password": password})


def test_the_admins_own_login_form_checks_no_password(client, staff):
    """A POST with the right password to the admin's form signs nobody in: it sends them to allauth."""
    page = client.get(ADMIN_LOGIN)
    assert page.status_code == 302
    assert page.url == f"{reverse('account_login')}?next={ADMIN_LOGIN.replace('/', '%2F')}"

    response = client.post(ADMIN_LOGIN, {"username": staff.email, "password": PASSWORD, "next": ADMIN})
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={ADMIN.replace('/', '%2F')}"
    assert not signed_in(client)
    assert client.get(ADMIN).url.startswith(ADMIN_LOGIN)


def test_staff_with_two_factor_cannot_reach_the_admin_with_a_password_alone(client, staff, totp_secret):
    client.post(ADMIN_LOGIN, {"username": staff.email, "password": PASSWORD, "next": ADMIN})
    assert not signed_in(client)

    # allauth's login takes the password, then asks for the second factor before signing in.
    response = allauth_login(client, staff)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not signed_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(totp_secret)})
    assert response.status_code == 302
    assert response.url == ADMIN
    assert signed_in(client)
    assert client.get(ADMIN).status_code == 200


def test_staff_without_two_factor_get_in_through_allauths_login(client, staff):
    response = allauth_login(client, staff)
    assert response.status_code == 302
    assert response.url == ADMIN
    assert client.get(ADMIN).status_code == 200
    # Signed in already, the admin's login page sends staff on to the admin.
    assert client.get(ADMIN_LOGIN).status_code == 302


def test_staff_failing_their_password_are_rate_limited_like_everyone(client, staff):
    for _ in range(5):
        assert allauth_login(client, staff, password="wrong-password").status_code == 200
    blocked = allauth_login(client, staff)
    assert "Too many failed login attempts. Try again later." in blocked.text
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302


def test_someone_who_is_not_staff_never_gets_the_admin(client, owner):
    response = allauth_login(client, owner)
    assert response.status_code == 302
    assert signed_in(client)
    index = client.get(ADMIN)
    assert index.status_code == 302
    assert index.url.startswith(ADMIN_LOGIN)
    assert client.get(index.url).status_code == 403
    assert client.post(ADMIN_LOGIN, {"username": owner.email, "password": PASSWORD}).status_code == 403
