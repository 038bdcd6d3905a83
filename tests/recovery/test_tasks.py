"""The email queue (recovery.tasks): queued with the write, sent once by the worker, retried on
the schedule while the mail server is away, then marked failed with the reason."""

import datetime
import smtplib

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from recovery.models import OutgoingEmail
from recovery.tasks import RETRY_DELAYS, outgoing_email_create, send_email
from tests.conftest import run_tasks

NOW = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def queue(subject="Hello") -> OutgoingEmail:
    message = EmailMultiAlternatives(subject, "Plain words.", "rebound@example.com", ["ana@example.com"])
    message.attach_alternative("<p>Plain words.</p>", "text/html")
    return outgoing_email_create(message=message)


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    return monkeypatch


def test_a_queued_email_is_sent_by_the_worker_as_it_was_rendered(mailoutbox):
    email = queue()
    assert run_tasks() == 1
    [sent] = mailoutbox
    assert (sent.subject, sent.body, sent.to) == ("Hello", "Plain words.", ["ana@example.com"])
    assert sent.alternatives[0].content == "<p>Plain words.</p>"
    assert sent.extra_headers["Message-ID"] == email.headers["Message-ID"]
    email.refresh_from_db()
    assert (email.sent_at, email.attempts, email.failed_at) == (NOW, 1, None)


def test_the_task_run_twice_sends_the_email_once(mailoutbox):
    email = queue()
    send_email.enqueue(email.pk)  # the same email's task again, as a retry from the admin would
    assert run_tasks() == 2
    assert len(mailoutbox) == 1
    returned = sorted(DBTaskResult.objects.values_list("return_value", flat=True))
    assert returned == [f"Already sent at {NOW.isoformat()}.", "Sent on attempt 1."]
    email.refresh_from_db()
    assert email.attempts == 1


def test_an_email_queued_in_a_rolled_back_write_is_never_sent(mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the write that caused it fails")
    assert OutgoingEmail.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert mailoutbox == []


def test_with_the_mail_server_down_the_first_retry_comes_within_a_minute_and_then_it_is_sent(
    smtp_down, mailoutbox
):
    email = queue()
    assert run_tasks() == 1
    email.refresh_from_db()
    assert (email.attempts, email.sent_at) == (1, None)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    smtp_down.undo()  # the server is back
    with time_machine.travel(NOW + datetime.timedelta(seconds=29), tick=False):
        assert run_tasks() == 0  # not yet due
    with time_machine.travel(NOW + datetime.timedelta(seconds=30), tick=False):
        assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.attempts, email.sent_at) == (2, NOW + datetime.timedelta(seconds=30))


def test_retries_follow_the_schedule_for_about_a_day_then_the_email_is_marked_failed_with_the_reason(
    smtp_down, mailoutbox
):
    email = queue()
    assert run_tasks() == 1
    at = NOW
    for attempt, delay in enumerate(RETRY_DELAYS, start=2):
        with time_machine.travel(at + delay - datetime.timedelta(seconds=1), tick=False):
            assert run_tasks() == 0, f"attempt {attempt} ran early"
        at += delay
        with time_machine.travel(at, tick=False):
            assert run_tasks() == 1, f"attempt {attempt} didn't run at {at}"
    assert datetime.timedelta(hours=20) < at - NOW <= datetime.timedelta(hours=24)
    assert at - NOW == datetime.timedelta(hours=23, minutes=42, seconds=30)
    with time_machine.travel(at + datetime.timedelta(days=2), tick=False):
        assert run_tasks() == 0  # no attempt after the last
    email.refresh_from_db()
    assert email.attempts == len(RETRY_DELAYS) + 1 == 10
    assert email.failed_at == at
    assert email.sent_at is None
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # One task per attempt (the first two were enqueued at the same frozen instant: sort by attempt).
    results = sorted(DBTaskResult.objects.all(), key=lambda r: r.args_kwargs["kwargs"].get("attempt", 1))
    assert [r.args_kwargs["kwargs"].get("attempt", 1) for r in results] == list(range(1, 11))
    assert [r.status for r in results] == [TaskResultStatus.SUCCESSFUL] * 9 + [TaskResultStatus.FAILED]
    assert results[-1].exception_class_path == "recovery.tasks.EmailNotSent"
    assert "Gave up after 10 attempts: SMTPServerDisconnected" in results[-1].traceback
    assert mailoutbox == []


def test_an_email_that_failed_and_is_sent_again_later_is_no_longer_failed(mailoutbox):
    email = queue()
    email.failed_at, email.attempts = timezone.now(), 10
    email.save()
    run_tasks()
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.failed_at, email.attempts) == (None, 11)
