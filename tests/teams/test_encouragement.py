"""Encouragement: one click, one of each kind per person per loss, toggled; its owner is told."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from teams import services as team_services
from teams.models import Encouragement, Notification
from tests.conftest import make_loss, share


@pytest.fixture
def deal(owner):
    return make_loss(owner, name="Globex expansion")


@pytest.fixture
def shared(deal, team):
    return share(deal, team=team)


def encourage_url(deal):
    return reverse("teams:encourage", kwargs={"code": deal.code})


def page_url(deal, anchor=""):
    return reverse("teams:shared_loss", kwargs={"code": deal.code}) + anchor


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login_and_nothing_is_saved(client, shared, deal):
    response = client.post(encourage_url(deal), {"kind": "proud"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Encouragement.objects.exists()


def test_get_is_refused(client, shared, deal, teammate):
    client.force_login(teammate)
    assert client.get(encourage_url(deal)).status_code == 405
    assert not Encouragement.objects.exists()


@pytest.mark.parametrize("persona", ["former_member", "other_team_member", "outsider"])
def test_people_outside_the_audience_get_404_and_the_same_post_works_for_a_teammate(
    client, request, shared, deal, teammate, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(encourage_url(deal), {"kind": "proud"}).status_code == 404
    assert not Encouragement.objects.exists()
    assert not Notification.objects.filter(kind=Notification.Kind.ENCOURAGEMENT).exists()

    client.force_login(teammate)
    assert client.post(encourage_url(deal), {"kind": "proud"}).status_code == 302
    assert Encouragement.objects.filter(shared=shared, user=teammate, kind="proud").exists()


def test_a_manager_not_trusted_cannot_encourage_a_trusted_share_but_a_trusted_colleague_can(
    client, owner, manager, trusted
):
    deal = make_loss(owner, name="Initech pilot")
    shared = share(deal, team=None)
    client.force_login(manager)
    assert client.post(encourage_url(deal), {"kind": "been_there"}).status_code == 404
    assert not Encouragement.objects.exists()

    client.force_login(trusted)
    assert client.post(encourage_url(deal), {"kind": "been_there"}).status_code == 302
    assert Encouragement.objects.filter(shared=shared, user=trusted).count() == 1


def test_post_without_csrf_token_is_refused(shared, deal, teammate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(teammate)
    assert client.post(encourage_url(deal), {"kind": "proud"}).status_code == 403
    assert not Encouragement.objects.exists()


# ---------------------------------------------------------------- giving and taking back


def test_encouraging_gives_it_and_comes_back_to_the_loss(client, shared, deal, teammate):
    client.force_login(teammate)
    response = client.post(encourage_url(deal), {"kind": "been_there"})
    assert response.status_code == 302
    assert response.url == page_url(deal, "#encouragement")
    assert list(Encouragement.objects.values_list("user", "kind")) == [(teammate.pk, "been_there")]
    assert any("Been there" in text and "sent" in text for text in message_texts(response))


def test_a_second_click_takes_it_back(client, shared, deal, teammate):
    client.force_login(teammate)
    client.post(encourage_url(deal), {"kind": "proud"})
    response = client.post(encourage_url(deal), {"kind": "proud"})
    assert response.status_code == 302
    assert not Encouragement.objects.exists()
    assert any("Took back" in text for text in message_texts(response))


def test_one_of_each_kind_per_person(client, shared, deal, teammate, manager):
    client.force_login(teammate)
    for kind in Encouragement.Kind.values:
        client.post(encourage_url(deal), {"kind": kind})
    client.force_login(manager)
    client.post(encourage_url(deal), {"kind": "proud"})
    assert sorted(Encouragement.objects.filter(user=teammate).values_list("kind", flat=True)) == sorted(
        Encouragement.Kind.values
    )
    assert Encouragement.objects.filter(kind="proud").count() == 2


@pytest.mark.parametrize("payload", [{"kind": "meh"}, {"kind": ""}, {}])
def test_an_unknown_kind_is_refused_with_a_message_and_nothing_is_saved(
    client, shared, deal, teammate, payload
):
    client.force_login(teammate)
    response = client.post(encourage_url(deal), payload)
    assert response.status_code == 400
    assert not Encouragement.objects.exists()
    assert not Notification.objects.filter(kind=Notification.Kind.ENCOURAGEMENT).exists()
    assert message_texts(response)  # says what went wrong
    assert response.context["card"].title == "Globex expansion"


def test_the_owner_cannot_encourage_their_own_loss(owner_client, shared, deal):
    response = owner_client.post(encourage_url(deal), {"kind": "proud"})
    assert response.status_code == 400
    assert not Encouragement.objects.exists()
    assert "Encouragement is for your colleagues to give." in message_texts(response)


def test_a_safe_next_is_followed_and_an_unsafe_one_ignored(client, shared, deal, teammate):
    client.force_login(teammate)
    response = client.post(encourage_url(deal), {"kind": "proud", "next": reverse("teams:feed")})
    assert response.url == reverse("teams:feed")
    response = client.post(encourage_url(deal), {"kind": "proud", "next": "https://evil.example/"})
    assert response.url == page_url(deal, "#encouragement")


# ---------------------------------------------------------------- JSON (for encourage.js)


def test_json_answer_says_whether_it_is_given_and_the_new_count(client, shared, deal, teammate, manager):
    team_services.encouragement_toggle(shared=shared, user=manager, kind="here_to_talk")
    client.force_login(teammate)
    response = client.post(
        encourage_url(deal), {"kind": "here_to_talk"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["given"] is True
    assert response.json()["count"] == 2
    response = client.post(
        encourage_url(deal), {"kind": "here_to_talk"}, headers={"Accept": "application/json"}
    )
    assert (response.json()["given"], response.json()["count"]) == (False, 1)


def test_json_answer_for_an_unknown_kind_is_a_400_with_the_message(client, shared, deal, teammate):
    client.force_login(teammate)
    response = client.post(encourage_url(deal), {"kind": "meh"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "That kind of encouragement doesn't exist."}
    assert not Encouragement.objects.exists()


# ---------------------------------------------------------------- notifications


def test_encouraging_notifies_the_owner_once(client, owner, shared, deal, teammate):
    client.force_login(teammate)
    client.post(encourage_url(deal), {"kind": "proud"})
    notifications = Notification.objects.filter(kind=Notification.Kind.ENCOURAGEMENT)
    assert list(notifications.values_list("recipient", "actor", "shared")) == [
        (owner.pk, teammate.pk, shared.pk)
    ]
    # Taking it back tells nobody anything new.
    client.post(encourage_url(deal), {"kind": "proud"})
    assert notifications.count() == 1


def test_encouraging_sends_the_owner_an_email_when_they_allow_it(
    client, owner, shared, deal, teammate, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://rebound.example"
    client.force_login(teammate)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(encourage_url(deal), {"kind": "proud"})
    assert [message.to for message in mailoutbox] == [[owner.email]]
    assert "Theo Teammate sent you encouragement" in mailoutbox[0].subject
    assert f"https://rebound.example{page_url(deal)}" in mailoutbox[0].body


def test_no_email_when_the_owner_turned_them_off_but_the_notification_is_there(
    client, owner, shared, deal, teammate, mailoutbox, django_capture_on_commit_callbacks
):
    owner.email_notifications = False
    owner.save()
    client.force_login(teammate)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(encourage_url(deal), {"kind": "proud"})
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.ENCOURAGEMENT).count() == 1
