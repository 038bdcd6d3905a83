"""The task queue's admin: staff send a failed email again; nobody else can."""

import smtplib

import pytest
from django.core.mail import EmailMultiAlternatives
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from recovery.models import OutgoingEmail
from recovery.tasks import outgoing_email_create
from tests.conftest import make_user, run_tasks

CHANGELIST = "admin:django_tasks_database_dbtaskresult_changelist"


@pytest.fixture
def staff(db):
    person = make_user("staff@example.com", "Sam Staff")
    person.is_staff = person.is_superuser = True
    person.save()
    return person


@pytest.fixture
def failed_email(db, monkeypatch):
    """An email whose last attempt failed: its task is the last of its retries."""

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    message = EmailMultiAlternatives("Hello", "Plain words.", "rebound@example.com", ["ana@example.com"])
    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", refuse)
        patch.setattr("recovery.tasks.RETRY_DELAYS", ())  # no retries: the first attempt is the last
        email = outgoing_email_create(message=message)
        run_tasks()
    email.refresh_from_db()
    assert email.failed_at is not None
    return email


def send_again(client, *results):
    return client.post(
        reverse(CHANGELIST),
        {"action": "send_again", "_selected_action": [str(r.pk) for r in results]},
        follow=True,
    )


def test_staff_send_a_failed_email_again_and_it_goes(client, staff, failed_email, mailoutbox):
    client.force_login(staff)
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    response = send_again(client, failed)
    assert "1 email(s) queued to be sent again." in response.text
    assert len(mailoutbox) == 1
    failed_email.refresh_from_db()
    assert failed_email.sent_at is not None
    assert failed_email.failed_at is None
    assert failed_email.attempts == 2


def test_only_failed_email_tasks_are_sent_again(client, staff, failed_email, mailoutbox):
    client.force_login(staff)
    send_again(client, DBTaskResult.objects.get())
    run_tasks()
    done = DBTaskResult.objects.get(status=TaskResultStatus.SUCCESSFUL)
    response = send_again(client, done)
    assert "1 task(s) skipped: only failed email tasks are sent again." in response.text
    assert DBTaskResult.objects.count() == 2
    assert len(mailoutbox) == 1
    assert OutgoingEmail.objects.get().attempts == 2


def test_someone_who_is_not_staff_cannot_send_again(client, owner, failed_email, mailoutbox):
    client.force_login(owner)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "send_again", "_selected_action": [str(DBTaskResult.objects.get().pk)]},
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert DBTaskResult.objects.count() == 1
    assert mailoutbox == []
