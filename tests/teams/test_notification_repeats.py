"""Notifications don't flood: the same event reaches the same person by email once a day.

An event is a loss shared with someone (by deal: unsharing and sharing again is the same news), or
one kind of encouragement from one colleague on a loss. Each comment is an event of its own. In the
app, a colleague's encouragement on a loss is listed once a day, and a loss shared again has the one
notification of its new share.
"""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from recovery.models import OutgoingEmail
from teams import services as team_services
from teams.models import Encouragement, Notification, NotificationEmail
from tests.conftest import join, make_loss, make_user, share

PROUD = Encouragement.Kind.PROUD
BEEN_THERE = Encouragement.Kind.BEEN_THERE
NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.time_machine(NOW, tick=False)


@pytest.fixture
def deal(owner):
    return make_loss(owner, name="Globex expansion")


@pytest.fixture
def shared(deal, team, teammate):
    return share(deal, team=team)


@pytest.fixture
def mail(db, mailoutbox):
    """The emails sent (asked for after the database, which empties the outbox it starts with)."""
    return mailoutbox


@pytest.fixture
def outbox(shared, mail):
    """The emails sent after the fixtures' own (the share's, to the team)."""
    mail.clear()
    return mail


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Calls a service and sends the emails it leaves for after its commit."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def toggle(run, shared, user, kind=PROUD):
    return run(team_services.encouragement_toggle, shared=shared, user=user, kind=kind)


def reshare(run, deal, team):
    team_services.loss_unshare(shared=deal.share)
    deal.refresh_from_db()
    return run(share, deal=deal, team=team)


def owners_notifications(owner):
    return list(Notification.objects.filter(recipient=owner).values_list("kind", "actor__name"))


# ---------------------------------------------------------------- encouragement


def test_toggling_encouragement_five_times_emails_the_owner_once(
    run_on_commit, outbox, owner, shared, teammate
):
    given = [toggle(run_on_commit, shared, teammate) for _ in range(5)]
    assert given == [True, False, True, False, True]
    assert [message.to for message in outbox] == [[owner.email]]
    assert outbox[0].subject == "Theo Teammate sent you encouragement: “Proud of you for sharing”"
    assert (
        "Theo Teammate sent you “Proud of you for sharing” on “Globex expansion”"
        in outbox[0].alternatives[0][0]
    )
    # Nor does the list fill up with the same news.
    assert owners_notifications(owner) == [("encouragement", "Theo Teammate")]


def test_another_kind_of_encouragement_is_emailed_and_listed_once(
    run_on_commit, outbox, owner, shared, teammate
):
    toggle(run_on_commit, shared, teammate, PROUD)
    toggle(run_on_commit, shared, teammate, BEEN_THERE)
    assert [message.subject for message in outbox] == [
        "Theo Teammate sent you encouragement: “Proud of you for sharing”",
        "Theo Teammate sent you encouragement: “Been there”",
    ]
    assert owners_notifications(owner) == [("encouragement", "Theo Teammate")]


def test_another_colleagues_encouragement_is_emailed_and_listed(
    run_on_commit, outbox, owner, shared, teammate, manager
):
    toggle(run_on_commit, shared, teammate)
    toggle(run_on_commit, shared, manager)
    assert [message.subject for message in outbox] == [
        "Theo Teammate sent you encouragement: “Proud of you for sharing”",
        "Maya Manager sent you encouragement: “Proud of you for sharing”",
    ]
    assert len(owners_notifications(owner)) == 2


def test_the_same_encouragement_is_emailed_and_listed_again_a_day_later(
    run_on_commit, outbox, owner, shared, teammate
):
    toggle(run_on_commit, shared, teammate)
    toggle(run_on_commit, shared, teammate)  # taken back
    with time_machine.travel(NOW + datetime.timedelta(hours=23), tick=False):
        toggle(run_on_commit, shared, teammate)
        toggle(run_on_commit, shared, teammate)
    assert len(outbox) == 1
    with time_machine.travel(NOW + datetime.timedelta(hours=25), tick=False):
        toggle(run_on_commit, shared, teammate)
    assert len(outbox) == 2
    assert len(owners_notifications(owner)) == 2
    email = NotificationEmail.objects.get(kind=Notification.Kind.ENCOURAGEMENT)
    assert email.sent_at == NOW + datetime.timedelta(hours=25)


def test_the_same_encouragement_on_another_loss_is_emailed(
    run_on_commit, outbox, owner, team, shared, teammate
):
    other = share(make_loss(owner, name="Initech renewal"), team=team)
    outbox.clear()  # after the new share's own emails
    toggle(run_on_commit, shared, teammate)
    toggle(run_on_commit, other, teammate)
    assert len(outbox) == 2
    assert len(owners_notifications(owner)) == 2


# ---------------------------------------------------------------- sharing again


def test_unsharing_and_sharing_again_emails_each_person_once(
    run_on_commit, mail, owner, deal, team, teammate, manager
):
    run_on_commit(share, deal=deal, team=team)
    for _ in range(3):
        reshare(run_on_commit, deal, team)
    assert sorted(message.to[0] for message in mail) == sorted([teammate.email, manager.email])
    # Each has one notification in the app, of the share that is there now.
    notifications = Notification.objects.filter(kind=Notification.Kind.SHARED)
    assert sorted(notifications.values_list("recipient__name", flat=True)) == [
        "Maya Manager",
        "Theo Teammate",
    ]
    assert set(notifications.values_list("shared", flat=True)) == {deal.share.pk}


def test_sharing_again_emails_whoever_was_not_told_yet(run_on_commit, outbox, deal, team, teammate):
    newcomer = make_user("newcomer@example.com", "Nina Newcomer")
    join(team, newcomer)
    reshare(run_on_commit, deal, team)
    assert [message.to for message in outbox] == [[newcomer.email]]


def test_sharing_again_a_day_later_emails_everyone_again(
    run_on_commit, outbox, deal, team, teammate, manager
):
    with time_machine.travel(NOW + datetime.timedelta(days=1, minutes=1), tick=False):
        reshare(run_on_commit, deal, team)
    assert sorted(message.to[0] for message in outbox) == sorted([teammate.email, manager.email])


def test_a_person_with_emails_off_is_told_in_the_app_and_emailed_after_turning_them_on(
    run_on_commit, mail, deal, team, teammate, manager
):
    manager.email_notifications = False
    manager.save()
    run_on_commit(share, deal=deal, team=team)
    assert [message.to for message in mail] == [[teammate.email]]
    assert Notification.objects.filter(recipient=manager).count() == 1
    manager.email_notifications = True
    manager.save()
    reshare(run_on_commit, deal, team)
    assert [message.to for message in mail] == [[teammate.email], [manager.email]]


# ---------------------------------------------------------------- comments


def test_each_comment_is_emailed_and_listed(run_on_commit, outbox, owner, shared, teammate):
    for body in ("Been there.", "Here if you want to talk.", "Proud of you."):
        run_on_commit(team_services.comment_create, shared=shared, author=teammate, body=body)
    assert [message.to for message in outbox] == [[owner.email]] * 3
    assert owners_notifications(owner) == [("comment", "Theo Teammate")] * 3
    assert not NotificationEmail.objects.filter(kind=Notification.Kind.COMMENT).exists()


# ---------------------------------------------------------------- how it is kept


def test_an_encouragement_rolled_back_queues_no_email(outbox, shared, teammate):
    queued = OutgoingEmail.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        team_services.encouragement_toggle(shared=shared, user=teammate, kind=PROUD)
        raise RuntimeError("the write fails after the email was queued")
    assert outbox == []
    assert OutgoingEmail.objects.count() == queued
    team_services.encouragement_toggle(shared=shared, user=teammate, kind=PROUD)
    assert len(outbox) == 1


@pytest.mark.parametrize("how_many", [3, 50])
def test_sharing_takes_a_fixed_number_of_queries_and_two_per_email_queued(
    owner, team, how_many, django_assert_num_queries
):
    for n in range(how_many):
        join(team, make_user(f"colleague{n}@example.com", f"Colleague {n}"))
    deal = make_loss(owner, name="Initech renewal")
    # A transaction: the owner's membership, whether the loss is shared, the share (in a savepoint),
    # its audience, their notifications, then the emails sent them about it, and those sent now;
    # then each email queued: its row and its task's (django.tasks enqueues one task at a time).
    with django_assert_num_queries(1 + 2 + 3 + 2 + 2 + 1 + 2 * (how_many + 1)):
        share(deal, team=team)
    assert NotificationEmail.objects.filter(deal=deal).count() == how_many + 1  # and the manager
    assert NotificationEmail.objects.filter(sent_at=timezone.now()).count() == how_many + 1
