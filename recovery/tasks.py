"""Background tasks (Django's Tasks framework, run by `manage.py db_worker`), and the one retry rule.

Every email leaves through `outgoing_email_create`: the message is rendered in the request, stored
with its task in the caller's transaction, and sent by the worker. Django's Tasks API has no retry,
so `retry_later` builds it on deferral (`run_after`).

Kept apart from services.py, which imports teams: teams queues its emails from here.
"""

import datetime
from email.utils import make_msgid

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.tasks import TaskContext, task
from django.utils import timezone
from django.utils.html import strip_tags

from .models import OutgoingEmail

# After a failed attempt, the next waits this long: the first within a minute, the last about a day
# after the first attempt (23 h 42 min), ten attempts in all.
RETRY_DELAYS = (
    datetime.timedelta(seconds=30),
    datetime.timedelta(minutes=2),
    datetime.timedelta(minutes=10),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=1),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=4),
    datetime.timedelta(hours=8),
    datetime.timedelta(hours=8),
)


class EmailNotSent(Exception):
    """The retries are used up; the task fails with this, and the email is marked failed."""


def retry_later(context: TaskContext) -> datetime.datetime | None:
    """Enqueue the running task again with the same arguments, deferred by the next of RETRY_DELAYS,
    as attempt n + 1; the time it will run, or None once the delays are used up.

    The task takes an `attempt` keyword argument (1 for the first). The new task row is written in
    the current transaction, so a retry and the record of the failure are committed together.
    """
    result = context.task_result
    attempt = result.kwargs.get("attempt", 1)
    if attempt > len(RETRY_DELAYS):
        return None
    run_after = timezone.now() + RETRY_DELAYS[attempt - 1]
    result.task.using(run_after=run_after).enqueue(*result.args, **(result.kwargs | {"attempt": attempt + 1}))
    return run_after


@transaction.atomic(savepoint=False)
def outgoing_email_create(*, message: EmailMessage) -> OutgoingEmail:
    """Store a rendered message and enqueue its sending, in the caller's transaction: rolled back
    with the write that caused it, committed with it. Returns the stored email."""
    if message.attachments:
        raise ValueError("Queued emails carry no attachments.")
    body, html = message.body, ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    elif message.content_subtype == "html":
        body, html = strip_tags(message.body), message.body
    # Fixed now, so the rare copy sent twice (see send_email) carries the same Message-ID.
    headers = {"Message-ID": make_msgid(domain=DNS_NAME), **message.extra_headers}
    email = OutgoingEmail.objects.create(
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        reply_to=list(message.reply_to),
        headers=headers,
        subject=message.subject,
        body=body,
        html=html,
    )
    send_email.enqueue(email.pk)
    return email


def _message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=email.to,
        cc=email.cc,
        bcc=email.bcc,
        reply_to=email.reply_to,
        headers=email.headers,
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


@task(takes_context=True, queue_name="emails")
def send_email(context: TaskContext, email_id: int, attempt: int = 1) -> str:
    """Send one stored email, unless it was sent already; on a mail-server error, try again later
    (retry_later), and fail with the reason once the retries are used up.

    The email's row is locked while it is sent, so two runs of this task can't both send it, and
    `sent_at` is written as soon as the server has taken it. The one window left: the worker dies
    after the server took the message and before `sent_at` is committed; that task row stays
    RUNNING, and if it is run again (the admin's retry), the email goes twice, with the same
    Message-ID, which most mail systems use to drop the second.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.sent_at is not None:
            return f"Already sent at {email.sent_at.isoformat()}."
        email.attempts += 1
        try:
            _message(email).send()
        except OSError as error:  # smtplib's errors, refused connections, timeouts
            email.last_error = f"{type(error).__name__}: {error}"
            retry_at = retry_later(context)
            if retry_at is None:
                email.failed_at = timezone.now()
            email.save(update_fields=["attempts", "last_error", "failed_at"])
        else:
            email.sent_at = timezone.now()
            email.failed_at = None
            email.save(update_fields=["attempts", "sent_at", "failed_at"])
            return f"Sent on attempt {attempt}."
    if retry_at is None:
        raise EmailNotSent(f"Gave up after {email.attempts} attempts: {email.last_error}")
    return f"Attempt {attempt} failed ({email.last_error}); the next is at {retry_at.isoformat()}."
