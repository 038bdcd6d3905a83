"""demo_data: twelve weeks of realistic data for the six demo people, created once."""

import datetime
import io
import time
from statistics import mean

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from recovery import selectors
from recovery.management.commands.demo_data import DEMO_PASSWORD, DEMO_PEOPLE
from recovery.models import CheckIn, LostDeal, Reflection
from teams.models import User
from tests.conftest import make_loss, make_user

NOW = datetime.datetime(2026, 6, 15, 10, 30, tzinfo=datetime.UTC)
TODAY = NOW.date()


def counts():
    return {
        "users": User.objects.count(),
        "losses": LostDeal.objects.count(),
        "reasons": LostDeal.reasons.through.objects.count(),
        "reflections": Reflection.objects.count(),
        "check_ins": CheckIn.objects.count(),
    }


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        started = time.monotonic()
        call_command("demo_data", stdout=out)
        elapsed = time.monotonic() - started
        yield {"output": out.getvalue(), "seconds": elapsed}


def test_running_it_twice_creates_nothing_new(demo):
    first = counts()
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        out = io.StringIO()
        call_command("demo_data", stdout=out)
    assert counts() == first
    assert "Created" not in out.getvalue()
    assert "maya@example.com" in out.getvalue()


def test_it_prints_the_logins_and_the_password(demo):
    output = demo["output"]
    assert f"password for each: {DEMO_PASSWORD}" in output
    for email, name in DEMO_PEOPLE:
        assert f"{email} ({name})" in output
    assert "manager: maya@example.com" in output


def test_demo_people_can_log_in(demo, client):
    assert client.login(email="ana@example.com", password=DEMO_PASSWORD)


def test_every_person_gets_one_to_three_losses_a_week_for_twelve_weeks(demo):
    per_person = dict(
        LostDeal.objects.values_list("owner__email").annotate(n=Count("id")).values_list("owner__email", "n")
    )
    assert set(per_person) == {email for email, _ in DEMO_PEOPLE}
    for n in per_person.values():
        assert 12 <= n <= 37
    first, last = (
        min(LostDeal.objects.values_list("lost_on", flat=True)),
        max(LostDeal.objects.values_list("lost_on", flat=True)),
    )
    assert TODAY - datetime.timedelta(weeks=12) < first <= TODAY - datetime.timedelta(weeks=11)
    assert TODAY - datetime.timedelta(days=7) <= last <= TODAY
    weeks = {(TODAY - d).days // 7 for d in LostDeal.objects.values_list("lost_on", flat=True)}
    assert weeks == set(range(12))


def test_losses_look_real(demo):
    losses = list(LostDeal.objects.prefetch_related("reasons"))
    assert {loss.currency for loss in losses} == {"EUR", "GBP", "USD"}
    assert len({loss.name for loss in losses}) > 40
    assert all(" \u2013 " in loss.name for loss in losses)  # "Account, en dash, kind of deal"
    assert all(1 <= len(loss.reasons.all()) <= 3 for loss in losses)
    assert any(loss.competitor for loss in losses)
    assert any(not loss.competitor for loss in losses)
    assert any(loss.amount is None for loss in losses)
    assert len({loss.stage for loss in losses}) >= 5
    # Reasons are weighted: price comes up more often than a weak demo.
    picked = [r.slug for loss in losses for r in loss.reasons.all()]
    assert picked.count("price-budget") > picked.count("my-demo-pitch")


def test_every_loss_has_a_reflection_most_finished_some_half_done(demo):
    assert Reflection.objects.count() == LostDeal.objects.count()
    total = Reflection.objects.count()
    finished = Reflection.objects.filter(finished_at__isnull=False)
    assert finished.count() > total / 2
    assert finished.exclude(lesson="").count() == finished.count()
    half_done = Reflection.objects.filter(finished_at__isnull=True, mood__isnull=False)
    assert half_done.exists()
    assert all(r.emotions for r in Reflection.objects.filter(mood__isnull=False))
    assert not Reflection.objects.filter(mood__isnull=False, mood_at__isnull=True).exists()


def test_check_ins_draw_a_rising_recovery_curve(demo):
    curves = [selectors.mood_curve(user=user) for user in User.objects.all()]
    by_bucket = {key: mean(c[i].mean for c in curves) for i, key in enumerate(["same", "d1", "d3", "d7"])}
    assert by_bucket["same"] < by_bucket["d1"] < by_bucket["d3"] < by_bucket["d7"]
    assert CheckIn.objects.filter(answered_at__isnull=False).count() > 100


def test_some_losses_are_moved_on_after_a_few_days_to_two_weeks(demo):
    moved = LostDeal.objects.filter(moved_on_at__isnull=False)
    assert moved.count() > LostDeal.objects.count() / 4
    assert moved.filter(moved_on_at__isnull=False, recovery_days__isnull=True).count() == 0
    for loss in moved:
        assert 3 <= loss.recovery_days <= 14
        assert loss.moved_on_at <= NOW
        assert (loss.moved_on_at.date() - loss.lost_on).days == loss.recovery_days


def test_a_couple_of_check_ins_wait_for_an_answer_today_and_none_are_overdue(demo):
    due = [c for user in User.objects.all() for c in selectors.due_check_ins(user=user)]
    assert len(due) >= 2
    assert {c.due_on for c in due} == {TODAY}


def test_nothing_happens_in_the_future(demo):
    assert not LostDeal.objects.filter(lost_on__gt=TODAY).exists()
    assert not CheckIn.objects.filter(answered_at__gt=NOW).exists()
    assert not CheckIn.objects.filter(dismissed_at__gt=NOW).exists()
    assert not Reflection.objects.filter(finished_at__gt=NOW).exists()
    assert not Reflection.objects.filter(mood_at__gt=NOW).exists()
    # Future prompts are pending, never answered.
    assert not CheckIn.objects.filter(due_on__gt=TODAY, answered_at__isnull=False).exists()


def test_it_is_the_same_every_run(demo):
    first = list(LostDeal.objects.order_by("owner__email", "lost_on", "name").values_list("name", "amount"))
    LostDeal.objects.all().delete()
    with time_machine.travel(NOW, tick=False):
        call_command("demo_data", stdout=io.StringIO())
    again = list(LostDeal.objects.order_by("owner__email", "lost_on", "name").values_list("name", "amount"))
    assert again == first


def test_a_person_who_already_has_losses_keeps_just_theirs(db):
    ana = make_user("ana@example.com", "Ana Silva")
    make_loss(ana, name="Ana's own")
    with time_machine.travel(NOW, tick=False):
        call_command("demo_data", stdout=io.StringIO())
    assert list(LostDeal.objects.filter(owner=ana).values_list("name", flat=True)) == ["Ana's own"]
    assert LostDeal.objects.exclude(owner=ana).count() > 50


def test_it_is_fast(demo):
    assert demo["seconds"] < 10
