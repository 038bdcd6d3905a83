"""The rep's webhook page: list the addresses, create one (its secret shown once), revoke one."""

import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from recovery import webhooks
from recovery.models import LostDeal, Webhook, WebhookDelivery
from tests.conftest import HEADER_QUERIES, make_loss
from tests.recovery.test_webhooks import good_body, send
from tests.tasks import run_queued_tasks

LIST_URL = reverse("recovery:webhook_list")
CREATE_URL = reverse("recovery:webhook_create")
# Session, user, the rep's addresses, their last deliveries with their losses, then the header.
LIST_QUERIES = 4 + HEADER_QUERIES


def revoke_url(webhook):
    return reverse("recovery:webhook_revoke", kwargs={"code": webhook.code})


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def secrets_shown(html):
    return re.findall(r"\b[0-9a-f]{64}\b", html)


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(("method", "url"), [("get", LIST_URL), ("post", CREATE_URL)])
def test_anonymous_is_sent_to_login(client, db, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Webhook.objects.exists()


def test_anonymous_cant_revoke(client, owner):
    webhook = webhooks.webhook_create(owner=owner)
    response = client.post(revoke_url(webhook))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    webhook.refresh_from_db()
    assert webhook.is_active


def test_create_and_revoke_refuse_get(owner_client, owner):
    webhook = webhooks.webhook_create(owner=owner)
    assert owner_client.get(CREATE_URL).status_code == 405
    assert owner_client.get(revoke_url(webhook)).status_code == 405
    webhook.refresh_from_db()
    assert webhook.is_active
    assert Webhook.objects.count() == 1


def test_list_refuses_post(owner_client):
    assert owner_client.post(LIST_URL).status_code == 405


def test_outsider_gets_404_revoking_someone_elses_address_and_the_owner_can(client, owner, outsider):
    webhook = webhooks.webhook_create(owner=owner)
    client.force_login(outsider)

    response = client.post(revoke_url(webhook))

    assert response.status_code == 404
    webhook.refresh_from_db()
    assert webhook.is_active
    # The same request from the owner works: the refusal was about whose address it is.
    client.force_login(owner)
    assert client.post(revoke_url(webhook)).status_code == 302
    webhook.refresh_from_db()
    assert not webhook.is_active


def test_revoking_an_address_that_does_not_exist_gets_404(owner_client):
    response = owner_client.post(reverse("recovery:webhook_revoke", kwargs={"code": uuid.uuid4()}))
    assert response.status_code == 404


def test_the_list_shows_only_the_reps_own_addresses(owner_client, owner, outsider):
    own = webhooks.webhook_create(owner=owner)
    theirs = webhooks.webhook_create(owner=outsider)

    response = owner_client.get(LIST_URL)

    assert str(own.code) in response.text
    assert str(theirs.code) not in response.text
    assert theirs.secret not in response.text


# ---------------------------------------------------------------- the list


def test_an_empty_list_invites_to_create_an_address(owner_client):
    response = owner_client.get(LIST_URL)
    assert response.status_code == 200
    assert "No webhook addresses yet" in response.text
    assert "Create a webhook address" in response.text


def test_the_list_shows_the_full_address_dates_and_status(owner_client, owner):
    used = webhooks.webhook_create(owner=owner)
    Webhook.objects.filter(pk=used.pk).update(last_used_at="2025-03-09T08:30:00Z")
    revoked = webhooks.webhook_revoke(webhook=webhooks.webhook_create(owner=owner))

    response = owner_client.get(LIST_URL)

    html = response.text
    assert f"http://testserver/hooks/lost-deals/{used.code}/" in html
    assert f"http://testserver/hooks/lost-deals/{revoked.code}/" in html
    assert "9 Mar 2025, 08:30" in html
    assert "Never" in html
    assert "Revoked " in html
    # Only the address in use can be revoked.
    assert revoke_url(used) in html
    assert revoke_url(revoked) not in html
    # A secret is never shown on an ordinary visit.
    assert secrets_shown(html) == []


def test_the_list_is_never_cached(owner_client):
    response = owner_client.get(LIST_URL)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_costs_a_fixed_number_of_queries(
    client, owner_client, owner, django_assert_num_queries, count
):
    for n in range(count):
        webhook = webhooks.webhook_create(owner=owner)
        send(client, webhook, good_body(crm_id=f"deal-{n}", date_lost="2025-03-10"))
    run_queued_tasks()
    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get(LIST_URL)
    assert len(response.context["rows"]) == count
    assert len(response.context["deliveries"]) == count


# ---------------------------------------------------------------- the deliveries


def test_the_list_shows_each_deliverys_outcome_newest_first(client, owner_client, owner, time_machine):
    webhook = webhooks.webhook_create(owner=owner)
    time_machine.move_to("2025-03-10T09:00:00Z", tick=False)
    make_loss(owner, name="Known deal", crm_id="deal-known")
    send(client, webhook, good_body(crm_id="deal-new", deal_name="Globex pilot", date_lost="2025-03-10"))
    run_queued_tasks()
    time_machine.move_to("2025-03-10T09:05:00Z", tick=False)
    send(client, webhook, good_body(crm_id="deal-known", date_lost="2025-03-10"))
    time_machine.move_to("2025-03-10T09:10:00Z", tick=False)
    waiting = send(client, webhook, good_body(crm_id="deal-waiting", date_lost="2025-03-10"))
    WebhookDelivery.objects.filter(crm_id="deal-new").update(received_at="2025-03-10T08:55:00Z")
    failed = WebhookDelivery.objects.create(
        webhook=webhook, body="{}", crm_id="deal-broken", state="failed", error="It went wrong here."
    )

    response = owner_client.get(LIST_URL)

    deliveries = response.context["deliveries"]
    assert [d.crm_id for d in deliveries] == ["deal-broken", "deal-waiting", "deal-known", "deal-new"]
    html = response.text
    assert "It went wrong here." in html and str(failed.code) in html
    assert waiting.json()["delivery"] in html
    globex = LostDeal.objects.get(crm_id="deal-new")
    assert f'href="/losses/{globex.code}/">Globex pilot</a>' in html
    assert ">Came in before</span>" in html and ">Waiting</span>" in html


def test_the_list_shows_only_the_last_20_deliveries_and_none_of_another_reps(
    client, owner_client, owner, outsider
):
    webhook = webhooks.webhook_create(owner=owner)
    theirs = webhooks.webhook_create(owner=outsider)
    for n in range(webhooks.RECENT_DELIVERIES + 1):
        send(client, webhook, good_body(crm_id=f"deal-{n:02}", date_lost="2025-03-10"))
    send(client, theirs, good_body(crm_id="their-deal", date_lost="2025-03-10"))

    deliveries = owner_client.get(LIST_URL).context["deliveries"]

    assert len(deliveries) == webhooks.RECENT_DELIVERIES
    assert "their-deal" not in {d.crm_id for d in deliveries}
    assert "deal-00" not in {d.crm_id for d in deliveries}


# ---------------------------------------------------------------- create: the secret, once


def test_creating_shows_the_secret_once(owner_client, owner):
    response = owner_client.post(CREATE_URL, follow=True)

    webhook = Webhook.objects.get(owner=owner)
    assert re.fullmatch(r"[0-9a-f]{64}", webhook.secret)
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert webhook.secret in response.text
    assert "Copy the secret now: we won't show it again." in response.text
    assert f"http://testserver/hooks/lost-deals/{webhook.code}/" in response.text
    assert "X-Rebound-Signature" in response.text

    again = owner_client.get(LIST_URL)

    assert webhook.secret not in again.text
    assert secrets_shown(again.text) == []
    assert str(webhook.code) in again.text


def test_each_address_gets_its_own_secret(owner_client, owner):
    owner_client.post(CREATE_URL)
    owner_client.post(CREATE_URL)
    assert len(set(Webhook.objects.filter(owner=owner).values_list("secret", flat=True))) == 2


def test_a_secret_is_not_shown_once_its_address_is_revoked(owner_client, owner):
    owner_client.post(CREATE_URL)
    webhook = Webhook.objects.get(owner=owner)
    webhooks.webhook_revoke(webhook=webhook)

    response = owner_client.get(LIST_URL)

    assert webhook.secret not in response.text


def test_a_rep_can_have_ten_addresses_in_use_and_no_more(owner_client, owner):
    for _ in range(webhooks.MAX_ACTIVE_WEBHOOKS):
        webhooks.webhook_create(owner=owner)

    response = owner_client.post(CREATE_URL)

    assert response.status_code == 302
    assert Webhook.objects.filter(owner=owner).count() == webhooks.MAX_ACTIVE_WEBHOOKS
    assert "Revoke one you no longer need" in message_texts(response)[0]
    # A revoked address frees its place.
    webhooks.webhook_revoke(webhook=Webhook.objects.filter(owner=owner).first())
    owner_client.post(CREATE_URL)
    assert Webhook.objects.filter(owner=owner).count() == webhooks.MAX_ACTIVE_WEBHOOKS + 1


# ---------------------------------------------------------------- revoke


def test_revoking_stops_the_address_and_says_so(owner_client, owner):
    webhook = webhooks.webhook_create(owner=owner)

    response = owner_client.post(revoke_url(webhook), follow=True)

    webhook.refresh_from_db()
    assert webhook.revoked_at is not None
    assert any(text.startswith("Revoked.") for text in message_texts(response))
    assert "Revoked " in response.text


def test_revoking_twice_keeps_the_first_moment(owner_client, owner):
    webhook = webhooks.webhook_create(owner=owner)
    owner_client.post(revoke_url(webhook))
    webhook.refresh_from_db()
    first = webhook.revoked_at

    owner_client.post(revoke_url(webhook))

    webhook.refresh_from_db()
    assert webhook.revoked_at == first


def test_my_data_links_to_the_webhook_page(owner_client):
    response = owner_client.get(reverse("recovery:my_data"))
    assert LIST_URL in response.text
