"""A mail server that is down must not turn a saved comment, encouragement, share or sign-up into
a 500, nor lose the email.

Emails are queued with the write and sent by the task worker (recovery.tasks): no request talks to
the mail server. These tests commit, as production does, and the last ones run a real SMTP server
(Python's socketserver) that comes up after an outage: each email arrives there exactly once.
"""

import importlib
import re
import socket
import socketserver
import threading
import time
from email import message_from_bytes

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.test import Client
from django.urls import reverse

from recovery.models import OutgoingEmail
from recovery.tasks import send_email
from teams.models import Comment, Encouragement, Notification, SharedLoss
from tests.conftest import make_loss, run_tasks, share

# An SMTP server that refuses connections: a closed port on this machine.
SMTP_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "use_tls": False, "timeout": 2},
    }
}


@pytest.fixture(autouse=True)
def loss_reasons(transactional_db):
    """The worker sees only what was committed, so these tests commit,
    and the tables are emptied after each: put back the seeded loss reasons."""
    importlib.import_module("recovery.migrations.0002_seed_loss_reasons").seed(apps, None)


@pytest.fixture
def shared(owner, team, teammate):
    return share(make_loss(owner), team=team, message="Lost this one today.")


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_a_comment_is_posted_when_the_mail_server_is_down(shared, teammate, settings):
    settings.MAILERS = SMTP_DOWN
    url = reverse("teams:comment_create", kwargs={"code": shared.deal.code})
    response = signed_in(teammate).post(url, {"body": "Been there. You've got this."})
    assert response.status_code == 302
    assert Comment.objects.filter(shared=shared, author=teammate).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.COMMENT, actor=teammate).count() == 1


def test_encouragement_is_given_when_the_mail_server_is_down(shared, teammate, settings):
    settings.MAILERS = SMTP_DOWN
    url = reverse("teams:encourage", kwargs={"code": shared.deal.code})
    response = signed_in(teammate).post(url, {"kind": "proud"})
    assert response.status_code == 302
    assert Encouragement.objects.filter(shared=shared, user=teammate).count() == 1


def test_a_loss_is_shared_when_the_mail_server_is_down(owner, team, teammate, settings):
    settings.MAILERS = SMTP_DOWN
    deal = make_loss(owner)
    url = reverse("teams:share_create", kwargs={"code": deal.code})
    form = {"audience": str(team.code), "message": "Lost this one.", "show_name": "on"}
    response = signed_in(owner).post(url, form)
    assert response.status_code == 302, response.content[:300]
    assert SharedLoss.objects.filter(deal=deal).count() == 1


# ---------------------------------------------------------------- a real mail server, after an outage


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: every message received is kept in server.received."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test-smtp ready")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.reply("250 test-smtp")
            elif command == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.server.received.append(message_from_bytes(b"".join(lines)))
                self.reply("250 queued")
            elif command == b"QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 ok")


@pytest.fixture
def mail_server(settings):
    """A port where no mail server listens yet (settings.MAILERS points there), and `start()` to
    bring one up on it. Its `received` lists the messages it took."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }

    class Server:
        received = []
        running = None

        def start(self):
            self.running = socketserver.ThreadingTCPServer(("127.0.0.1", port), SMTPHandler)
            self.running.received = self.received
            threading.Thread(target=self.running.serve_forever, daemon=True).start()

    server = Server()
    yield server
    if server.running:
        server.running.shutdown()
        server.running.server_close()


def test_an_email_queued_during_an_outage_arrives_exactly_once_when_the_server_is_back(
    mail_server, shared, teammate, time_machine
):
    time_machine.move_to("2026-11-16 09:00Z", tick=False)
    url = reverse("teams:comment_create", kwargs={"code": shared.deal.code})
    assert signed_in(teammate).post(url, {"body": "Been there."}).status_code == 302
    assert run_tasks() >= 1  # the share's and the comment's emails: refused
    assert OutgoingEmail.objects.filter(sent_at=None, attempts=1).count() == OutgoingEmail.objects.count()
    mail_server.start()
    time_machine.move_to("2026-11-16 09:01Z", tick=False)
    run_tasks()
    for email in OutgoingEmail.objects.all():  # a second run of each task, as after a worker restart
        send_email.enqueue(email.pk)
    run_tasks()
    ids = [message["Message-ID"] for message in mail_server.received]
    assert len(ids) == OutgoingEmail.objects.count() >= 3  # the owner's comment notice, the share's two
    assert len(set(ids)) == len(ids)
    assert not OutgoingEmail.objects.filter(sent_at=None).exists()


def test_sign_up_answers_at_once_with_the_mail_server_down_and_the_link_arrives_after(
    mail_server, time_machine
):
    time_machine.move_to("2026-11-16 09:00Z", tick=False)
    client = Client(raise_request_exception=False)
    form = {"email": "nia@example.com", "name": "Nia Newcomer", "password1": "correct-horse-9"}
    started = time.monotonic()
    response = client.post(reverse("account_signup"), form | {"password2": form["password1"]})
    assert time.monotonic() - started < 2
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    [email] = OutgoingEmail.objects.filter(to=["nia@example.com"])
    assert email.attempts == 0  # the request didn't try the mail server; the worker will
    assert run_tasks() == 1
    email.refresh_from_db()
    assert "ConnectionRefusedError" in email.last_error
    mail_server.start()
    time_machine.move_to("2026-11-16 09:01Z", tick=False)  # past the first retry's delay
    assert run_tasks() == 1
    [message] = mail_server.received
    assert message["To"] == "nia@example.com"
    [text] = [
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    ]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", text).group(1)
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="nia@example.com").verified
