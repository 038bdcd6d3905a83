"""Notifications: in the app (with an unread count) and by email where the person allows it."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from teams import selectors
from teams import services as team_services
from teams.models import Encouragement, Notification
from teams.views.notifications import NOTIFICATIONS_PER_PAGE
from tests.conftest import make_loss, make_user, share

LIST = reverse("teams:notifications")
READ = reverse("teams:notifications_read")


def listed(response):
    return list(response.context["page_obj"].object_list)


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def shared(owner, team):
    return share(make_loss(owner, name="Globex expansion"), team=team)


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client, db):
    for response in (client.get(LIST), client.post(READ)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_the_list_refuses_post_and_mark_read_refuses_get(owner_client, owner, shared, teammate):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    assert owner_client.post(LIST).status_code == 405
    assert owner_client.get(READ).status_code == 405
    assert Notification.objects.get(recipient=owner).read_at is None


def test_mark_read_without_csrf_token_is_refused(owner, shared, teammate):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(READ).status_code == 403
    assert Notification.objects.get(recipient=owner).read_at is None


# ---------------------------------------------------------------- the list


def test_i_see_my_notifications_newest_first_each_linking_to_the_loss(
    owner_client, owner, shared, teammate, manager
):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    team_services.encouragement_toggle(shared=shared, user=manager, kind=Encouragement.Kind.PROUD)
    Notification.objects.filter(kind=Notification.Kind.COMMENT).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = owner_client.get(LIST)
    assert [n.kind for n in listed(response)] == ["encouragement", "comment"]
    assert "Maya Manager encouraged you on your loss “Globex expansion”" in response.text
    assert "Theo Teammate commented on your loss “Globex expansion”" in response.text
    assert reverse("teams:shared_loss", kwargs={"code": shared.deal.code}) in response.text


def test_a_loss_shared_with_me_is_announced_with_only_its_allowed_title(client, owner, team, teammate):
    share(make_loss(owner, name="Secret Corp", stage="contract"), team=team, show_name=False)
    client.force_login(teammate)
    response = client.get(LIST)
    assert [n.kind for n in listed(response)] == ["shared"]
    assert "Olivia Owner shared a loss with you: “A deal lost at the contract stage”" in response.text
    assert "Secret Corp" not in response.text


def test_i_do_not_see_other_peoples_notifications(client, owner, shared, teammate, outsider):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    client.force_login(outsider)
    response = client.get(LIST)
    assert listed(response) == []
    assert "Globex expansion" not in response.text
    assert "No notifications yet" in response.text


def test_unread_notifications_are_marked_and_opening_the_list_does_not_read_them(
    owner_client, owner, shared, teammate
):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    response = owner_client.get(LIST)
    assert "notification--unread" in response.text
    assert ">New<" in response.text
    assert response.context["unread"] == 1
    owner_client.get(LIST)
    owner_client.get(reverse("teams:shared_loss", kwargs={"code": shared.deal.code}))
    assert Notification.objects.get(recipient=owner).read_at is None


def test_mark_all_as_read_reads_only_mine(owner_client, owner, shared, team, teammate):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    team_services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.PROUD)
    theirs = share(make_loss(teammate, name="Teammate's loss"), team=team)
    response = owner_client.post(READ)
    assert response.status_code == 302
    assert response.url == LIST
    assert "All caught up: every notification is marked as read." in message_texts(response)
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    # Others' notifications are left alone.
    assert Notification.objects.filter(shared=theirs, read_at__isnull=True).exclude(recipient=owner).exists()
    page = owner_client.get(LIST)
    assert "notification--unread" not in page.text
    assert "Mark all as read" not in page.text


def test_mark_all_as_read_with_nothing_unread_says_so(owner_client):
    response = owner_client.post(READ)
    assert response.status_code == 302
    assert "Nothing new: you were already all caught up." in message_texts(response)


def test_the_list_is_paginated(owner_client, owner, shared):
    people = [
        make_user(f"colleague{n}@example.com", f"Colleague {n}") for n in range(NOTIFICATIONS_PER_PAGE + 2)
    ]
    Notification.objects.bulk_create(
        Notification(recipient=owner, kind=Notification.Kind.COMMENT, actor=person, shared=shared)
        for person in people
    )
    assert len(listed(owner_client.get(LIST))) == NOTIFICATIONS_PER_PAGE
    assert len(listed(owner_client.get(LIST, {"page": 2}))) == 2


# ---------------------------------------------------------------- privacy


def test_a_former_member_no_longer_sees_notifications_of_a_team_they_left(client, owner, team, teammate):
    shared = share(make_loss(owner, name="Globex expansion"), team=team)
    client.force_login(teammate)
    assert [n.shared for n in listed(client.get(LIST))] == [shared]
    team_services.membership_leave(membership=teammate.memberships.get(team=team))
    response = client.get(LIST)
    assert listed(response) == []
    assert "Globex expansion" not in response.text
    assert "A deal lost" not in response.text
    assert selectors.unread_notification_count(teammate) == 0


def test_a_notification_disappears_with_the_unshared_loss(client, owner, shared, teammate):
    team_services.loss_unshare(shared=shared)
    client.force_login(teammate)
    assert listed(client.get(LIST)) == []
    assert not Notification.objects.exists()


# ---------------------------------------------------------------- the unread count in the header


def test_the_unread_count_is_in_every_pages_context(owner_client, owner, shared, teammate, manager):
    team_services.comment_create(shared=shared, author=teammate, body="With you.")
    team_services.comment_create(shared=shared, author=manager, body="Here if you want to talk.")
    response = owner_client.get(reverse("teams:feed"))
    assert response.context["unread_notifications"] == 2
    owner_client.post(READ)
    assert owner_client.get(reverse("teams:feed")).context["unread_notifications"] == 0


def test_no_notification_for_my_own_actions(owner_client, owner, shared):
    owner_client.post(
        reverse("teams:comment_create", kwargs={"code": shared.deal.code}), {"body": "Thanks all."}
    )
    owner_client.post(reverse("teams:encourage", kwargs={"code": shared.deal.code}), {"kind": "proud"})
    assert not Notification.objects.filter(recipient=owner).exists()
    assert owner_client.get(LIST).context["unread_notifications"] == 0


# ---------------------------------------------------------------- emails


def test_sharing_emails_the_audience_who_allow_it_only(
    owner, team, teammate, manager, mailoutbox, django_capture_on_commit_callbacks
):
    manager.email_notifications = False
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        share(make_loss(owner, name="Secret Corp", stage="demo"), team=team, show_name=False)
    assert [message.to for message in mailoutbox] == [[teammate.email]]
    assert "Secret Corp" not in mailoutbox[0].body
    # Both are told in the app.
    assert set(Notification.objects.values_list("recipient", flat=True)) == {teammate.pk, manager.pk}


def test_a_comment_emails_the_owner_when_they_allow_it(
    client, owner, shared, teammate, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(teammate)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("teams:comment_create", kwargs={"code": shared.deal.code}), {"body": "With you."})
    assert [message.to for message in mailoutbox] == [[owner.email]]
    assert mailoutbox[0].subject == "Theo Teammate commented on the loss you shared"


def test_a_comment_sends_no_email_when_the_owner_turned_them_off(
    client, owner, shared, teammate, mailoutbox, django_capture_on_commit_callbacks
):
    owner.email_notifications = False
    owner.save()
    client.force_login(teammate)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("teams:comment_create", kwargs={"code": shared.deal.code}), {"body": "With you."})
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=owner).count() == 1


# ---------------------------------------------------------------- query count


# Session and user, then the page's own: the unread count (the header's too, counted once), the
# paginator's count, the page of notifications with their actors, shared losses, deals and teams.
LIST_QUERIES = 2 + 3


@pytest.mark.parametrize("how_many", [3, 50])
def test_the_list_runs_a_fixed_number_of_queries(
    owner_client, owner, team, django_assert_num_queries, how_many
):
    people = [make_user(f"colleague{n}@example.com", f"Colleague {n}") for n in range(how_many)]
    for person in people:
        team.memberships.create(user=person)
    shares = [share(make_loss(owner, name=f"Deal {n}"), team=team) for n in range(3)]
    Notification.objects.bulk_create(
        Notification(recipient=owner, kind=kind, actor=person, shared=shares[n % 3])
        for n, person in enumerate(people)
        for kind in (Notification.Kind.COMMENT, Notification.Kind.ENCOURAGEMENT)
    )
    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get(LIST)
    assert len(listed(response)) == min(2 * how_many, NOTIFICATIONS_PER_PAGE)
