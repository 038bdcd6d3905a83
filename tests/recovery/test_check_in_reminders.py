"""Check-in reminders: one email on the morning a check-in falls due, to reps who want them."""

import datetime
import re
import smtplib
import zoneinfo
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from recovery import services
from recovery.models import CheckIn
from tests.conftest import make_loss
from tests.teams.test_schedule import tick_at

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
LOST_ON = datetime.date(2026, 12, 6)  # a Sunday: its first check-in falls due on Monday the 7th
DUE = LOST_ON + datetime.timedelta(days=1)
SITE = "https://rebound.example"


@pytest.fixture(autouse=True)
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SITE_URL = SITE


@pytest.fixture
def lost_on_sunday(owner):
    with time_machine.travel(datetime.datetime(2026, 12, 6, 18, 0, tzinfo=PARIS), tick=False):
        return make_loss(owner, name="Globex renewal", lost_on=LOST_ON)


def morning(day, hour=8, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def reminders(mailoutbox):
    return [m for m in mailoutbox if "How do you feel about" in m.subject]


def test_the_reminder_goes_at_eight_in_the_morning_with_the_question_and_both_links(
    lost_on_sunday, owner, mailoutbox
):
    tick_at(morning(DUE, 7, 55))
    assert reminders(mailoutbox) == []
    tick_at(morning(DUE))
    [email] = reminders(mailoutbox)
    assert email.to == [owner.email]
    assert email.subject == "How do you feel about “Globex renewal” now?"
    check_in = CheckIn.objects.get(deal=lost_on_sunday, due_on=DUE)
    answer_url = SITE + reverse("recovery:check_in_answer", kwargs={"code": check_in.code})
    assert answer_url in email.body
    assert f'href="{answer_url}"' in email.alternatives[0].content
    assert re.search(re.escape(SITE) + r"/reminders/stop/[^/\s]+/", email.body)
    assert check_in.reminded_at is not None


def test_each_check_in_is_reminded_once_however_often_the_job_runs(lost_on_sunday, mailoutbox):
    assert services.check_ins_send_reminders(today=DUE) == 1
    assert services.check_ins_send_reminders(today=DUE) == 0
    tick_at(morning(DUE, 9))
    tick_at(morning(DUE + datetime.timedelta(days=1), 9))
    assert len(reminders(mailoutbox)) == 1


def test_a_rep_who_turned_reminders_off_gets_none(lost_on_sunday, owner, mailoutbox):
    owner.check_in_reminders = False
    owner.save(update_fields=["check_in_reminders"])
    tick_at(morning(DUE))
    assert reminders(mailoutbox) == []
    assert CheckIn.objects.get(deal=lost_on_sunday, due_on=DUE).reminded_at is None


def test_answered_dismissed_and_moved_on_check_ins_get_no_reminder(owner, mailoutbox):
    with time_machine.travel(morning(LOST_ON, 18), tick=False):
        answered = make_loss(owner, name="Answered", lost_on=LOST_ON)
        dismissed = make_loss(owner, name="Dismissed", lost_on=LOST_ON)
        moved_on = make_loss(owner, name="Moved on", lost_on=LOST_ON)
        services.lost_deal_move_on(deal=moved_on)
    with time_machine.travel(morning(DUE, 7), tick=False):
        services.check_in_answer(check_in=answered.check_ins.get(due_on=DUE), mood=3)
        services.check_in_dismiss(check_in=dismissed.check_ins.get(due_on=DUE))
    assert services.check_ins_send_reminders(today=DUE) == 0
    assert reminders(mailoutbox) == []


def reminded(deal):
    return set(deal.check_ins.filter(reminded_at__isnull=False).values_list("due_on", flat=True))


def test_a_missed_morning_is_made_up_within_two_days(lost_on_sunday):
    """No worker ran on the 7th or 8th: on the 9th, the day-one check-in is reminded with day three's."""
    services.check_ins_send_reminders(today=DUE + services.REMINDER_WINDOW)
    assert reminded(lost_on_sunday) == {DUE, LOST_ON + datetime.timedelta(days=3)}


def test_a_check_in_due_longer_ago_gets_no_reminder(lost_on_sunday):
    services.check_ins_send_reminders(today=DUE + services.REMINDER_WINDOW + datetime.timedelta(days=1))
    assert reminded(lost_on_sunday) == {LOST_ON + datetime.timedelta(days=3)}


def test_with_the_mail_server_down_a_reminder_is_queued_once_and_sent_when_it_is_back(
    lost_on_sunday, mailoutbox
):
    # The reminder is recorded with its email queued (recovery.tasks): the job doesn't fail.
    down = mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPException("down")
    )
    with down:
        assert services.check_ins_send_reminders(today=DUE) == 1
        assert len(mailoutbox) == 0  # the first attempt failed, a retry is scheduled
    assert CheckIn.objects.get(deal=lost_on_sunday, due_on=DUE).reminded_at is not None
    assert services.check_ins_send_reminders(today=DUE) == 0  # never twice
    with time_machine.travel(datetime.timedelta(minutes=1), tick=False):
        assert [m.to for m in mailoutbox] == [[lost_on_sunday.owner.email]]
