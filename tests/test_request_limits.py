"""Oversized requests are refused with 400 before a view runs, never with a 500; files don't count."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from recovery.models import LostDeal
from teams.models import Comment, Team, User
from tests.conftest import PASSWORD, make_loss, share

MB = 1024 * 1024
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def csrf_client(owner):
    """A browser's path: CSRF checked, so the middleware reads the body before any view."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.token = get_random_string(32)
    client.cookies["csrftoken"] = client.token
    return client


def big_form(token, megabytes, **fields):
    """A urlencoded form of about `megabytes`, with a valid CSRF token and the given fields."""
    padding = "x" * int(megabytes * MB)
    pairs = [f"csrfmiddlewaretoken={token}", *(f"{k}={v}" for k, v in fields.items()), f"notes={padding}"]
    return "&".join(pairs)


@pytest.fixture
def shared(owner, team):
    return share(make_loss(owner, name="Globex expansion"), team=team)


def test_a_3_mb_form_post_to_the_profile_is_refused_with_400(csrf_client, owner):
    url = reverse("teams:profile")
    response = csrf_client.post(url, big_form(csrf_client.token, 3, name="Mallory"), content_type=URLENCODED)
    assert response.status_code == 400
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"
    # The same form, small, is saved: the refusal was about the size.
    small = f"csrfmiddlewaretoken={csrf_client.token}&name=Olivia+O."
    assert csrf_client.post(url, small, content_type=URLENCODED).status_code == 302
    owner.refresh_from_db()
    assert owner.name == "Olivia O."


def test_a_3_mb_comment_is_refused_before_the_view_counts_it(csrf_client, owner, shared, settings):
    settings.REBOUND_RATE_LIMITS = {"comment": (1, 60)}
    url = reverse("teams:comment_create", kwargs={"code": shared.deal.code})
    body = big_form(csrf_client.token, 3, body="Hello")
    for _ in range(3):
        assert csrf_client.post(url, body, content_type=URLENCODED).status_code == 400
    assert not Comment.objects.exists()
    # The view never ran, so its rate limiter counted nothing: one small comment still gets through.
    small = f"csrfmiddlewaretoken={csrf_client.token}&body=Hello"
    assert csrf_client.post(url, small, content_type=URLENCODED).status_code == 302
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("log a loss", reverse("recovery:loss_create")),
        ("create a team", reverse("teams:team_create")),
        ("delete the account", reverse("teams:account_delete")),
    ],
)
def test_a_3_mb_post_to_other_forms_is_refused_with_400(csrf_client, owner, name, url):
    fields = {"name": "Acme", "password": PASSWORD, "confirmation": "delete my account"}
    response = csrf_client.post(url, big_form(csrf_client.token, 3, **fields), content_type=URLENCODED)
    assert response.status_code == 400, name
    assert User.objects.filter(pk=owner.pk).exists()
    assert not LostDeal.objects.exists()
    assert not Team.objects.filter(name="Acme").exists()


def test_without_the_csrf_middleware_reading_it_the_view_refuses_it_with_400_too(owner_client, shared):
    url = reverse("teams:comment_create", kwargs={"code": shared.deal.code})
    response = owner_client.post(url, big_form("-", 3, body="Hello"), content_type=URLENCODED)
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_a_large_form_under_the_limit_reaches_the_view(csrf_client, owner):
    """2 MB is let through, and the form itself says what is wrong with it."""
    url = reverse("teams:profile")
    body = f"csrfmiddlewaretoken={csrf_client.token}&name={'n' * (2 * MB)}"
    response = csrf_client.post(url, body, content_type=URLENCODED)
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"


def test_too_many_fields_are_refused_with_400(csrf_client, owner):
    url = reverse("teams:profile")
    body = "&".join([f"csrfmiddlewaretoken={csrf_client.token}", "name=Mallory", *["x=1"] * 1000])
    assert len(body) < 10_000
    assert csrf_client.post(url, body, content_type=URLENCODED).status_code == 400
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"


def test_a_3_mb_text_field_in_a_multipart_form_is_refused_with_400(csrf_client, owner):
    url = reverse("teams:profile")
    data = {"csrfmiddlewaretoken": csrf_client.token, "name": "Mallory", "notes": "x" * (3 * MB)}
    assert csrf_client.post(url, data).status_code == 400
    owner.refresh_from_db()
    assert owner.name == "Olivia Owner"


def test_an_uploaded_file_does_not_count_towards_the_form_limit(csrf_client, owner):
    """A 4.5 MB file (the CSV import takes up to 5 MB) passes the 2.5 MB limit on form fields."""
    upload = SimpleUploadedFile("deals.csv", b"Deal Name,Amount\n" + b"Acme,1000\n" * (450 * 1024))
    assert upload.size > 4 * MB
    data = {"csrfmiddlewaretoken": csrf_client.token, "name": "Olivia O.", "file": upload}
    response = csrf_client.post(reverse("teams:profile"), data)
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.name == "Olivia O."
