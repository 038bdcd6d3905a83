"""`manage.py delete_leftovers`: what is no use after a day goes, everything else stays."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from recovery import imports
from recovery.models import CsvImport, LostDeal
from teams import services as team_services
from teams.models import Encouragement, Invitation, NotificationEmail
from tests.access_matrix_data import HUBSPOT_EXPORT, IMPORT_CONTENT
from tests.conftest import make_loss, make_user, share

NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def run() -> str:
    out = io.StringIO()
    call_command("delete_leftovers", stdout=out)
    return out.getvalue()


def upload(owner, *, hours_ago: int) -> CsvImport:
    with time_machine.travel(NOW - hours_ago * HOUR, tick=False):
        file = imports.read_upload("deals.csv", HUBSPOT_EXPORT)
        kind, mapping = imports.recognise(file.table.columns)
        return imports.csv_import_create(
            owner=owner, upload=file, kind=kind, mapping={**mapping, "default_currency": "EUR"}
        )


def invite(team, manager, email, *, expired_hours_ago: int) -> Invitation:
    with time_machine.travel(NOW - Invitation.VALID_FOR - expired_hours_ago * HOUR, tick=False):
        invitation, _token = team_services.invitation_create(team=team, invited_by=manager, email=email)
    return invitation


def remaining(model, objects) -> list:
    return [obj for obj in objects if model.objects.filter(pk=obj.pk).exists()]


def test_an_import_left_unconfirmed_for_more_than_a_day_goes_with_its_rows(owner):
    old = upload(owner, hours_ago=25)
    recent = upload(owner, hours_ago=23)
    confirmed = upload(owner, hours_ago=72)
    with time_machine.travel(NOW - 71 * HOUR, tick=False):
        assert imports.csv_import_confirm(csv_import=confirmed) == 1
    assert IMPORT_CONTENT in old.content  # the file's rows, kept for the preview

    output = run()

    assert remaining(CsvImport, [old, recent, confirmed]) == [recent, confirmed]
    assert not CsvImport.objects.exclude(pk=recent.pk).filter(content__contains=IMPORT_CONTENT).exists()
    assert LostDeal.objects.filter(owner=owner, name=IMPORT_CONTENT).count() == 1  # the confirmed one's loss
    assert "Deleted 1 unconfirmed CRM import(s)" in output


def test_an_invitation_expired_more_than_a_day_ago_goes_and_open_and_accepted_ones_stay(team, manager):
    gone = invite(team, manager, "gone@example.com", expired_hours_ago=25)
    just_expired = invite(team, manager, "late@example.com", expired_hours_ago=23)
    open_one, _token = team_services.invitation_create(
        team=team, invited_by=manager, email="open@example.com"
    )
    accepted = invite(team, manager, "joined@example.com", expired_hours_ago=24 * 30)
    with time_machine.travel(accepted.created_at + HOUR, tick=False):
        team_services.invitation_accept(
            invitation=accepted, user=make_user("joined@example.com", "Jo Joined")
        )

    output = run()

    assert remaining(Invitation, [gone, just_expired, open_one, accepted]) == [
        just_expired,
        open_one,
        accepted,
    ]
    assert "1 expired invitation(s)" in output


def test_records_of_notification_emails_over_a_day_old_go(owner, team, teammate):
    shared = share(make_loss(owner, name="Globex expansion"), team=team)
    with time_machine.travel(NOW - 25 * HOUR, tick=False):
        team_services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.PROUD)
    with time_machine.travel(NOW - 23 * HOUR, tick=False):
        team_services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.BEEN_THERE)

    output = run()

    left = NotificationEmail.objects.filter(kind="encouragement").values_list("encouragement", flat=True)
    assert list(left) == [Encouragement.Kind.BEEN_THERE]
    assert NotificationEmail.objects.filter(kind="shared").count() == 2  # the share's, just now
    assert "and 1 notification email record(s)" in output


def test_running_it_twice_deletes_nothing_more(owner, team, manager):
    kept = upload(owner, hours_ago=1)
    upload(owner, hours_ago=30)
    invite(team, manager, "gone@example.com", expired_hours_ago=48)
    said = (
        "Deleted {n} unconfirmed CRM import(s), {n} expired invitation(s) and 0 notification email record(s)."
    )
    assert run() == said.format(n=1) + "\n"
    assert run() == said.format(n=0) + "\n"
    assert list(CsvImport.objects.all()) == [kept]
    assert not Invitation.objects.exists()
