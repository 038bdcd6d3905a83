"""The weekly morale digest: one email per manager for last week, never twice, hidden stays hidden."""

import datetime
import smtplib
from io import StringIO

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.urls import reverse

from teams import services as team_services
from teams.models import DigestSent, Role
from tests.conftest import join, log_loss, make_user
from tests.teams.test_dashboard_views import (
    HIDDEN,
    LAST_MONDAY,
    NOW,
    THIS_MONDAY,
    members_all_along,
    share_with_team,
)

pytestmark = pytest.mark.time_machine(NOW, tick=False)
WEEK_BEFORE = LAST_MONDAY - datetime.timedelta(weeks=1)
SITE = "https://rebound.example"


@pytest.fixture
def outbox(db, mailoutbox):
    """The sent emails. After `db`, whose test case setup replaces Django's outbox."""
    return mailoutbox


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def run(*args) -> str:
    members_all_along()
    out = StringIO()
    call_command("send_morale_digest", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def second_manager(team):
    person = make_user("second.manager@example.com", "Sam Second")
    join(team, person, Role.MANAGER)
    return person


@pytest.fixture
def busy_last_week(team, owner, teammate, trusted):
    """Three people logged losses last week (shown); two the week before (hidden)."""
    for person, mood in ((owner, 2), (teammate, 3), (trusted, 4)):
        log_loss(person, LAST_MONDAY, mood=mood, amount=1000)
    log_loss(owner, WEEK_BEFORE, mood=1, amount=77777)
    log_loss(teammate, WEEK_BEFORE, mood=1, amount=11111)


def bodies(message) -> tuple[str, str]:
    return message.body, message.alternatives[0].content


def test_each_manager_gets_one_digest_for_last_week(outbox, team, manager, second_manager, busy_last_week):
    run()
    assert sorted(m.to[0] for m in outbox) == [manager.email, second_manager.email]
    message = outbox[0]
    assert message.subject == "EMEA Mid-Market: how the team's week went (week of 9 Nov 2026)"
    text, html = bodies(message)
    assert "Mood index: 3 (the week before: " in text
    assert "Losses logged: 3 (the week before: " in text
    assert "Amount lost (EUR): 3,000" in text
    assert '<td align="right">3,000</td>' in html
    assert f"{SITE}{reverse('teams:dashboard', kwargs={'code': team.code})}" in text
    assert set(DigestSent.objects.values_list("week", flat=True)) == {LAST_MONDAY}
    assert DigestSent.objects.count() == 2


def test_members_who_are_not_managers_get_no_digest(outbox, team, owner, teammate, busy_last_week):
    run()
    recipients = {m.to[0] for m in outbox}
    assert owner.email not in recipients
    assert teammate.email not in recipients


def test_running_twice_in_a_week_sends_nothing_more(outbox, team, manager, second_manager, busy_last_week):
    run()
    assert len(outbox) == 2
    with time_machine.travel(NOW + datetime.timedelta(days=2), tick=False):  # Saturday, same week
        output = run()
    assert len(outbox) == 2
    assert "Sent 0 digest(s); 2 already sent this week." in output
    assert DigestSent.objects.count() == 2


def test_the_next_week_sends_the_next_digest(outbox, team, manager, busy_last_week):
    run()
    log_loss(manager, THIS_MONDAY)  # something to report for the week of 16 November
    with time_machine.travel(NOW + datetime.timedelta(days=7), tick=False):
        run()
    assert len(outbox) == 2
    assert "(week of 16 Nov 2026)" in outbox[1].subject
    assert set(DigestSent.objects.values_list("week", flat=True)) == {LAST_MONDAY, THIS_MONDAY}


def test_hidden_figures_stay_hidden_in_the_digest(outbox, team, manager, busy_last_week):
    run()
    text, html = bodies(outbox[0])
    for body in (text, html):
        for leak in ("77,777", "77777", "11,111", "88,888", "88888"):
            assert leak not in body
    # The week before had two people: its private figures say why they are hidden.
    assert f"Mood index: 3 (the week before: {HIDDEN})" in text
    assert f"Losses logged: 3 (the week before: {HIDDEN})" in text
    assert f"Amount lost (EUR): 3,000 (the week before: {HIDDEN})" in text
    assert html.count(HIDDEN) >= 5


def test_two_people_last_week_are_hidden_and_not_named(outbox, team, manager, owner, teammate):
    log_loss(owner, LAST_MONDAY, mood=1, amount=55555)
    log_loss(teammate, LAST_MONDAY, mood=2, amount=4444)
    run()
    text, html = bodies(outbox[0])
    assert f"Losses logged: {HIDDEN}" in text
    assert f"Mood index: {HIDDEN}" in text
    for body in (text, html):
        assert "55,555" not in body
        assert "59,999" not in body
        assert owner.name not in body
        assert teammate.name not in body


def test_the_digest_links_to_losses_that_need_encouragement(outbox, team, manager, owner, teammate):
    quiet = log_loss(owner, LAST_MONDAY, name="Quiet deal")
    helped = log_loss(teammate, LAST_MONDAY, name="Helped deal")
    share_with_team(quiet, team, when=NOW - datetime.timedelta(days=3))
    supported = share_with_team(helped, team, when=NOW - datetime.timedelta(days=3))
    team_services.comment_create(shared=supported, author=owner, body="You've got this.")
    outbox.clear()  # the share's and comment's notifications, which aren't the digest
    run()
    text, html = bodies(outbox[0])
    url = f"{SITE}{reverse('teams:shared_loss', kwargs={'code': quiet.code})}"
    assert f"- Quiet deal, shared by Olivia Owner 3\xa0days ago:\n  {url}" in text
    assert f'<a href="{url}">Quiet deal</a>' in html
    assert "Helped deal" not in text


def test_the_digest_keeps_the_account_name_hidden_if_the_owner_hid_it(outbox, team, manager, owner):
    quiet = log_loss(owner, LAST_MONDAY, name="Secret Account renewal")
    share_with_team(quiet, team, when=NOW - datetime.timedelta(days=3), show_name=False)
    outbox.clear()  # the share's notifications, which aren't the digest
    run()
    text, html = bodies(outbox[0])
    url = f"{SITE}{reverse('teams:shared_loss', kwargs={'code': quiet.code})}"
    assert f"- A deal lost at the proposal stage, shared by Olivia Owner 3\xa0days ago:\n  {url}" in text
    assert "Secret Account" not in text
    assert "Secret Account" not in html


def test_weeks_are_complete_weeks_in_the_team_time_zone(outbox, team, manager, busy_last_week):
    team.time_zone = "America/Los_Angeles"
    team.save()
    # Monday 16 November 05:00 UTC is still Sunday night in Los Angeles: the week of 9 November
    # isn't over there, so the last complete week is the one of 2 November.
    with time_machine.travel(datetime.datetime(2026, 11, 16, 5, 0, tzinfo=datetime.UTC), tick=False):
        run()
    assert "(week of 2 Nov 2026)" in outbox[0].subject
    assert DigestSent.objects.get().week == WEEK_BEFORE


def test_a_team_with_nothing_to_report_is_skipped(outbox, team, manager):
    output = run()
    assert outbox == []
    assert DigestSent.objects.count() == 0
    assert "EMEA Mid-Market: nothing to report" in output


def test_an_inactive_manager_gets_nothing(outbox, team, manager, second_manager, busy_last_week):
    second_manager.is_active = False
    second_manager.save()
    run()
    assert [m.to[0] for m in outbox] == [manager.email]


def test_managers_who_turned_notifications_off_still_get_their_team_report(
    outbox, team, manager, busy_last_week
):
    manager.email_notifications = False
    manager.save()
    run()
    assert [m.to[0] for m in outbox] == [manager.email]


def test_dry_run_sends_and_records_nothing(outbox, team, manager, busy_last_week):
    output = run("--dry-run")
    assert outbox == []
    assert DigestSent.objects.count() == 0
    assert f"would send to {manager.email}" in output


def test_with_the_mail_server_down_the_digest_is_recorded_and_sent_once_it_is_back(
    outbox, monkeypatch, team, manager, busy_last_week
):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPException("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", refuse)
        assert "Sent 1 digest(s)" in run()  # queued with its record
        assert outbox == []  # the worker tried, and failed
    assert DigestSent.objects.count() == 1
    assert "0 digest(s); 1 already sent" in run()  # the retry is the queue's, not a second digest
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):  # past the first retry's delay
        assert [m.to[0] for m in outbox] == [manager.email]
