"""demo_data: twelve weeks of realistic data for the six demo people, created once."""

import datetime
import io
import time
from statistics import mean

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, F

from recovery import selectors
from recovery.management.commands.demo_data import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TEAM
from recovery.models import CheckIn, LostDeal, Reflection
from teams import access
from teams.dismissive import is_dismissive
from teams.models import (
    Audience,
    Comment,
    Encouragement,
    Membership,
    Notification,
    Role,
    SharedLoss,
    Team,
    TrustedColleague,
    User,
)
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
        "teams": Team.objects.count(),
        "memberships": Membership.objects.count(),
        "trusted": TrustedColleague.objects.count(),
        "shares": SharedLoss.objects.count(),
        "encouragements": Encouragement.objects.count(),
        "comments": Comment.objects.count(),
        "notifications": Notification.objects.count(),
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


# ---------------------------------------------------------------- the teams part


def test_everyone_is_in_the_demo_team_and_maya_manages_it(demo):
    team = Team.objects.get(name=DEMO_TEAM)
    roles = dict(team.memberships.values_list("user__email", "role"))
    assert roles == {email: Role.MEMBER for email, _ in DEMO_PEOPLE} | {"maya@example.com": Role.MANAGER}
    assert "Created the team EMEA Mid-Market" in demo["output"]


def test_reflections_name_colleagues_from_the_team_in_their_people_section(demo):
    names = {name for _, name in DEMO_PEOPLE}
    with_people = Reflection.objects.filter(people__isnull=False).distinct()
    assert with_people.count() > Reflection.objects.filter(finished_at__isnull=False).count() / 2
    assert not Reflection.objects.filter(talk_to__in=names).exists()  # picked, not typed
    assert Reflection.objects.filter(talk_to="My mentor").exists()  # someone else, typed
    for reflection in with_people.select_related("deal"):
        picked = set(reflection.people.values_list("pk", flat=True))
        assert picked <= set(access.teammates(reflection.deal.owner).values_list("pk", flat=True))


def test_each_person_trusts_two_or_three_teammates(demo):
    for user in User.objects.all():
        trusted = set(TrustedColleague.objects.filter(owner=user).values_list("colleague_id", flat=True))
        assert 2 <= len(trusted) <= 3, user
        assert trusted <= set(access.teammates(user).values_list("pk", flat=True))


def test_about_a_third_of_finished_reflections_are_shared_mostly_with_the_team(demo):
    finished = Reflection.objects.filter(finished_at__isnull=False).count()
    shares = SharedLoss.objects.all()
    assert 0.25 * finished <= shares.count() <= 0.45 * finished
    # Only finished reflections are shared, and only after they were finished.
    assert not shares.filter(deal__reflection__finished_at__isnull=True).exists()
    assert all(
        s.shared_at >= s.deal.reflection.finished_at for s in shares.select_related("deal__reflection")
    )
    with_team = shares.filter(audience=Audience.TEAM).count()
    with_trusted = shares.filter(audience=Audience.TRUSTED).count()
    assert with_team > with_trusted > 0
    assert len({s.deal.owner_id for s in shares.select_related("deal")}) == len(DEMO_PEOPLE)


def test_shared_losses_vary_in_what_they_show(demo):
    shares = SharedLoss.objects.all()
    for flag in ("show_name", "show_amount", "include_lesson"):
        assert shares.filter(**{flag: True}).exists(), flag
        assert shares.filter(**{flag: False}).exists(), flag
    assert shares.exclude(message="").count() > shares.count() / 2


def test_most_shared_losses_got_support_from_their_own_audience(demo):
    shares = list(SharedLoss.objects.select_related("deal__owner", "team"))
    supported = [s for s in shares if s.encouragements.exists() or s.comments.exists()]
    assert len(supported) > 0.7 * len(shares)
    assert sum(1 for s in shares if s.comments.exists()) > len(shares) / 3
    for shared in shares:
        audience = set(access.audience_of(shared).values_list("pk", flat=True))
        givers = set(shared.encouragements.values_list("user_id", flat=True))
        writers = set(shared.comments.values_list("author_id", flat=True)) - {shared.deal.owner_id}
        assert givers | writers <= audience, shared


def test_demo_comments_are_warm_never_dismissive(demo):
    bodies = set(Comment.objects.values_list("body", flat=True))
    assert len(bodies) > 5
    assert [body for body in bodies if is_dismissive(body)] == []


def test_support_comes_after_sharing_and_never_in_the_future(demo):
    for row in [*Encouragement.objects.select_related("shared"), *Comment.objects.select_related("shared")]:
        assert row.shared.shared_at <= row.created_at <= NOW
    assert not SharedLoss.objects.filter(shared_at__gt=NOW).exists()
    assert not Notification.objects.filter(created_at__gt=NOW).exists()
    assert not Notification.objects.filter(read_at__gt=NOW).exists()
    # Support did not all arrive at once: time to first support is spread out.
    assert Encouragement.objects.values("created_at").distinct().count() > 20


def test_a_few_shared_losses_still_wait_for_encouragement_after_a_day(demo):
    """The morale dashboard's "needs encouragement" has something to show."""
    waiting = SharedLoss.objects.filter(
        shared_at__lte=NOW - datetime.timedelta(hours=24), encouragements=None, comments=None
    )
    assert 2 <= waiting.count() <= 5
    assert waiting.filter(shared_at__gte=NOW - datetime.timedelta(days=14)).count() >= 2


def test_notifications_tell_the_audience_and_the_owner_and_some_are_unread(demo):
    for shared in SharedLoss.objects.select_related("deal__owner", "team"):
        told = set(
            shared.notifications.filter(kind=Notification.Kind.SHARED).values_list("recipient_id", flat=True)
        )
        assert told == set(access.audience_of(shared).values_list("pk", flat=True))
        encouraged = shared.notifications.filter(kind=Notification.Kind.ENCOURAGEMENT)
        assert encouraged.count() == shared.encouragements.count()
        assert set(encouraged.values_list("recipient_id", flat=True)) <= {shared.deal.owner_id}
    unread = Notification.objects.filter(read_at__isnull=True)
    assert 0 < unread.count() < Notification.objects.count() / 2
    assert not Notification.objects.filter(read_at__lt=F("created_at")).exists()


def test_the_demo_sends_no_email(db, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("demo_data", stdout=io.StringIO())
    assert SharedLoss.objects.exists() and Notification.objects.exists()
    assert callbacks == []
    assert mailoutbox == []


def test_a_persons_own_losses_are_never_shared(db):
    ana = make_user("ana@example.com", "Ana Silva")
    own = make_loss(ana, name="Ana's own")
    own.reflection.finished_at = NOW - datetime.timedelta(days=3)
    own.reflection.save()
    with time_machine.travel(NOW, tick=False):
        call_command("demo_data", stdout=io.StringIO())
    assert not SharedLoss.objects.filter(deal__owner=ana).exists()
    assert SharedLoss.objects.exists()
    assert Membership.objects.filter(user=ana, team__name=DEMO_TEAM).exists()


def test_an_earlier_demo_gets_its_team_but_none_of_its_old_losses_shared(demo):
    """A database seeded before teams existed: the team and trusted lists appear, nothing is shared."""
    SharedLoss.objects.all().delete()
    Team.objects.all().delete()
    TrustedColleague.objects.all().delete()
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("demo_data", stdout=out)
    assert Membership.objects.filter(team__name=DEMO_TEAM).count() == len(DEMO_PEOPLE)
    assert TrustedColleague.objects.exists()
    assert not SharedLoss.objects.exists()
    assert "shared losses" not in out.getvalue()
