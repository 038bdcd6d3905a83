"""Writes that arrive at the same instant: nothing duplicated, nothing lost, no errors.

Each request runs in a thread of its own, with its own database connection, through the whole
stack (middleware, view, service). To make "the same instant" certain rather than likely, a
separate connection holds a SHARE lock on the tables written to: every request queues on its
first write, and when all of them are waiting the lock goes and they race for real.

PostgreSQL only: production runs on it, and SQLite serialises writers (and has no LOCK TABLE),
so there is no race there to test.
"""

import datetime
import importlib
import io
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Min, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recovery import imports
from recovery.models import CheckIn, CsvImport, LostDeal, Reflection
from teams import services as team_services
from teams.models import (
    Audience,
    Comment,
    Encouragement,
    FirstSupport,
    Invitation,
    Notification,
    SharedLoss,
    SupportTally,
)
from tests.access_matrix_data import HUBSPOT_EXPORT
from tests.conftest import loss_form, make_loss, share
from tests.teams.test_tallies import recounted, tally_tables

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Races need PostgreSQL: SQLite serialises every write."
)

WAIT = 10  # seconds: far more than any of these requests needs


@pytest.fixture(autouse=True)
def loss_reasons(transactional_db):
    """Threads need committed data, so these tests empty the tables after each run: put back
    the loss reasons that every install gets from its data migration."""
    importlib.import_module("recovery.migrations.0002_seed_loss_reasons").seed(apps, None)


@contextmanager
def writes_held(*tables, until_waiting):
    """Hold writes to `tables` until `until_waiting` connections queue behind the lock."""
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    try:
        with blocker.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE MODE")
            yield
            deadline = time.monotonic() + WAIT
            while True:
                cursor.execute(
                    "SELECT count(DISTINCT pid) FROM pg_locks"
                    " WHERE NOT granted AND relation = ANY(%s::regclass[])",
                    [list(tables)],
                )
                if cursor.fetchone()[0] >= until_waiting:
                    break
                assert time.monotonic() < deadline, f"Fewer than {until_waiting} requests reached the lock."
                time.sleep(0.01)
    finally:
        blocker.rollback()  # Releases the lock: every queued write goes at once.
        blocker.close()


def run_at_once(requests, *, tables):
    """Send every request in a thread of its own; they all meet at the first write to `tables`."""
    responses = [None] * len(requests)
    errors = []

    def send(index, request):
        try:
            responses[index] = request()
        except Exception as error:  # Reported by the test, which fails on any.
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, r)) for i, r in enumerate(requests)]
    with writes_held(*tables, until_waiting=len(requests)):
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads), "A request never finished."
    assert errors == []
    return responses


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shared(owner, team, teammate, trusted):
    """The owner's loss, shared with the team that teammate and trusted are in."""
    return share(make_loss(owner), team=team, message="Lost this one today.")


def test_two_colleagues_encouraging_and_commenting_at_once_lose_nothing(shared, teammate, trusted):
    code = shared.deal.code
    encourage = reverse("teams:encourage", kwargs={"code": code})
    comment = reverse("teams:comment_create", kwargs={"code": code})
    requests = []
    for person in (teammate, trusted):
        giver, writer = signed_in(person), signed_in(person)
        body = f"Been there too, {person.name}. You've got this."
        requests.append(lambda c=giver: c.post(encourage, {"kind": "been_there"}))
        requests.append(lambda c=writer, body=body: c.post(comment, {"body": body}))

    responses = run_at_once(requests, tables=["teams_encouragement", "teams_comment"])

    assert [r.status_code for r in responses] == [302, 302, 302, 302]
    assert set(Encouragement.objects.filter(shared=shared).values_list("user", "kind")) == {
        (teammate.pk, "been_there"),
        (trusted.pk, "been_there"),
    }
    assert sorted(Comment.objects.filter(shared=shared).values_list("author", flat=True)) == sorted(
        [teammate.pk, trusted.pk]
    )
    told = Notification.objects.filter(recipient=shared.deal.owner).exclude(kind=Notification.Kind.SHARED)
    assert sorted(told.values_list("kind", "actor")) == sorted(
        [
            (Notification.Kind.ENCOURAGEMENT, teammate.pk),
            (Notification.Kind.ENCOURAGEMENT, trusted.pk),
            (Notification.Kind.COMMENT, teammate.pk),
            (Notification.Kind.COMMENT, trusted.pk),
        ]
    )


def test_an_encouragement_double_clicked_at_once_is_given_once(shared, teammate):
    encourage = reverse("teams:encourage", kwargs={"code": shared.deal.code})
    clients = [signed_in(teammate), signed_in(teammate)]
    requests = [
        lambda c=c: c.post(encourage, {"kind": "proud"}, headers={"accept": "application/json"})
        for c in clients
    ]

    responses = run_at_once(requests, tables=["teams_encouragement"])

    # Both clicks meant "give it": both are told it is given, and it is given once.
    assert [(r.status_code, r.json()["given"]) for r in responses] == [(200, True), (200, True)]
    assert Encouragement.objects.filter(shared=shared, user=teammate, kind="proud").count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.ENCOURAGEMENT, actor=teammate).count() == 1


def test_a_loss_form_submitted_twice_at_once_logs_one_loss(owner):
    form = loss_form(submission_id=str(uuid.uuid4()))
    clients = [signed_in(owner), signed_in(owner)]
    requests = [lambda c=c: c.post(reverse("recovery:loss_create"), form) for c in clients]

    responses = run_at_once(requests, tables=["recovery_lostdeal"])

    deal = LostDeal.objects.get(owner=owner)  # One, not two.
    reflect = reverse("recovery:reflection_edit", kwargs={"code": deal.code})
    assert [(r.status_code, r.url) for r in responses] == [(302, reflect), (302, reflect)]
    # And it is whole: its reason, its reflection and its check-in prompts, each once.
    assert list(deal.reasons.values_list("slug", flat=True)) == ["timing"]
    assert Reflection.objects.filter(deal=deal).count() == 1
    today = timezone.localdate()
    assert sorted(CheckIn.objects.filter(deal=deal).values_list("due_on", flat=True)) == [
        today + datetime.timedelta(days=days) for days in CheckIn.PROMPT_DAYS
    ]


def test_support_given_and_hidden_at_once_is_all_counted_for_the_dashboard(
    shared, owner, teammate, trusted, manager
):
    """Encouragements at the same instant all add to one row of the support tally, in turn. Hiding
    last week's comment at that instant changes another week's row, so only first support's lock on
    the team keeps the recounts of the share's first support apart: without it, one would fail."""
    comment = team_services.comment_create(shared=shared, author=trusted, body="Been there.")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    hide = reverse("teams:comment_hide", kwargs={"code": comment.code})
    encourage = reverse("teams:encourage", kwargs={"code": shared.deal.code})
    hider, givers = signed_in(owner), [signed_in(person) for person in (teammate, trusted, manager)]
    requests = [lambda: hider.post(hide)] + [lambda c=c: c.post(encourage, {"kind": "proud"}) for c in givers]

    responses = run_at_once(requests, tables=["teams_comment", "teams_encouragement"])

    assert [r.status_code for r in responses] == [302] * 4
    given = Encouragement.objects.filter(shared=shared)
    assert sorted(given.values_list("user", flat=True)) == sorted([teammate.pk, trusted.pk, manager.pk])
    assert SupportTally.objects.filter(team=shared.team).aggregate(n=Sum("n")) == {"n": 3}
    first = given.aggregate(first=Min("created_at"))["first"]
    assert FirstSupport.objects.get(shared=shared).first_support_at == first
    assert tally_tables() == recounted()


def test_a_loss_shared_two_ways_at_once_is_shared_once_and_both_pages_say_how(owner, team, trusted):
    """Two tabs: one shares with the team, the other with trusted colleagues, at the same instant."""
    deal = make_loss(owner)
    url = reverse("teams:share_create", kwargs={"code": deal.code})
    forms = [
        {"audience": audience, "message": "Lost this one on price."}
        for audience in (str(team.code), "trusted")
    ]
    clients = [signed_in(owner), signed_in(owner)]
    requests = [lambda c=c, form=form: c.post(url, form) for c, form in zip(clients, forms, strict=True)]

    responses = run_at_once(requests, tables=["teams_sharedloss"])

    saved = SharedLoss.objects.get(deal=deal)
    shared_page, refused = sorted(responses, key=lambda r: r.status_code, reverse=True)
    assert (shared_page.status_code, refused.status_code) == (302, 200)
    # The other tab finds it shared, and says how it was shared: not how that tab asked.
    team_line = f"Shared with everyone in {team.name}"
    trusted_line = f"Shared with your trusted colleagues: {trusted.name}"
    said, not_said = (
        (team_line, trusted_line) if saved.audience == Audience.TEAM else (trusted_line, team_line)
    )
    page = refused.content.decode()
    assert said in page
    assert not_said not in page


def test_two_clean_ups_at_once_delete_each_leftover_once(owner, team, manager):
    """`manage.py delete_leftovers` from two crons at once: both finish, and the counts add up."""
    upload = imports.read_upload("deals.csv", HUBSPOT_EXPORT)
    kind, mapping = imports.recognise(upload.table.columns)
    for _ in range(3):
        imports.csv_import_create(owner=owner, upload=upload, kind=kind, mapping=mapping)
    CsvImport.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    for n in range(2):
        team_services.invitation_create(team=team, invited_by=manager, email=f"late{n}@example.com")
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(days=2))

    def clean_up():
        out = io.StringIO()
        call_command("delete_leftovers", stdout=out)
        return [int(word) for word in out.getvalue().split() if word.isdigit()]

    counts = run_at_once([clean_up, clean_up], tables=["recovery_csvimport"])

    assert [sum(column) for column in zip(*counts, strict=True)] == [3, 2, 0]
    assert not CsvImport.objects.exists()
    assert not Invitation.objects.exists()
