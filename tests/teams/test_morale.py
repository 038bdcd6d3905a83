"""The morale dashboard's figures against hand-computed values, and the anonymity threshold."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from recovery import services as recovery_services
from teams import morale
from teams import services as team_services
from teams.models import Comment, Encouragement
from tests.conftest import at, join, log_loss, make_user, share

# Thursday 19 November 2026, noon UTC: the current ISO week starts on Monday 16 November.
NOW = datetime.datetime(2026, 11, 19, 12, 0, tzinfo=datetime.UTC)
THIS_MONDAY = datetime.date(2026, 11, 16)
LAST_MONDAY = datetime.date(2026, 11, 9)
pytestmark = pytest.mark.time_machine(NOW, tick=False)


@pytest.fixture
def crew(team, manager, owner):
    """The team with five people: manager, owner and three more reps."""
    reps = [make_user(f"rep{i}@example.com", f"Rep {i}") for i in range(3)]
    for rep in reps:
        join(team, rep)
    return [manager, owner, *reps]


def week_cell(dashboard, key, monday):
    return dashboard.series[key].cells[dashboard.weeks.index(monday)]


def test_weeks_are_iso_weeks_ending_with_the_current_one(team):
    assert morale.weeks_for(team, 4) == [
        datetime.date(2026, 10, 26),
        datetime.date(2026, 11, 2),
        LAST_MONDAY,
        THIS_MONDAY,
    ]


def test_mood_index_is_the_mean_of_reflection_and_check_in_moods(crew, team):
    a, b, c = crew[1], crew[2], crew[3]
    log_loss(a, THIS_MONDAY, mood=2)
    log_loss(b, THIS_MONDAY, mood=3)
    deal = log_loss(c, THIS_MONDAY, mood=4)
    recovery_services.check_in_create(deal=deal, mood=5)
    dashboard = morale.build_dashboard(team, 4)
    # (2 + 3 + 4 + 5) / 4
    assert week_cell(dashboard, "mood", THIS_MONDAY) == morale.Cell(3.5)
    assert week_cell(dashboard, "mood", LAST_MONDAY).empty


def test_two_contributors_are_hidden_and_three_are_shown(crew, team):
    log_loss(crew[1], THIS_MONDAY, mood=1)
    log_loss(crew[2], THIS_MONDAY, mood=2)
    dashboard = morale.build_dashboard(team, 4)
    for key in ("mood", "losses", "share_rate", "not_personal"):
        assert week_cell(dashboard, key, THIS_MONDAY) == morale.HIDDEN, key
        assert dashboard.series[key].total == morale.HIDDEN, key
    assert dashboard.currencies[0].cells[-1] == morale.HIDDEN

    log_loss(crew[3], THIS_MONDAY, mood=3)
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "mood", THIS_MONDAY) == morale.Cell(2.0)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.Cell(3)
    assert dashboard.currencies[0].cells[-1] == morale.Cell(3000)


def test_a_higher_threshold_hides_a_week_of_three(crew, team, settings):
    settings.MORALE_MIN_GROUP = 4
    for person, mood in zip(crew[1:4], (1, 2, 3), strict=True):
        log_loss(person, THIS_MONDAY, mood=mood)
    assert week_cell(morale.build_dashboard(team, 4), "mood", THIS_MONDAY) == morale.HIDDEN

    log_loss(crew[4], THIS_MONDAY, mood=4)
    assert week_cell(morale.build_dashboard(team, 4), "mood", THIS_MONDAY) == morale.Cell(2.5)


def test_the_threshold_never_goes_below_three_whatever_the_setting(crew, team, settings):
    settings.MORALE_MIN_GROUP = 1  # past the settings check (tests/test_settings.py)
    log_loss(crew[1], THIS_MONDAY, mood=1)
    log_loss(crew[2], THIS_MONDAY, mood=2)
    assert week_cell(morale.build_dashboard(team, 4), "mood", THIS_MONDAY) == morale.HIDDEN


def test_a_hidden_week_cannot_be_recovered_by_subtracting_from_the_total(crew, team):
    # Last week three people: shown. This week one person: hidden.
    for person in crew[1:4]:
        log_loss(person, LAST_MONDAY)
    log_loss(crew[1], THIS_MONDAY)
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "losses", LAST_MONDAY) == morale.Cell(3)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.HIDDEN
    # 4 in total would give the hidden week away (4 - 3): the total is withheld.
    assert dashboard.series["losses"].total == morale.HIDDEN


def test_the_total_stays_hidden_even_when_the_hidden_weeks_together_have_enough_people(crew, team):
    for person in crew[1:4]:
        log_loss(person, LAST_MONDAY)
    log_loss(crew[1], THIS_MONDAY)
    log_loss(crew[2], THIS_MONDAY - datetime.timedelta(weeks=2))
    log_loss(crew[3], THIS_MONDAY - datetime.timedelta(weeks=3))
    dashboard = morale.build_dashboard(team, 4)
    assert [c.hidden for c in dashboard.series["losses"].cells] == [True, True, False, True]
    # Another range's total, or next week's, could be subtracted from it: hidden too.
    assert dashboard.series["losses"].total == morale.HIDDEN


def test_top_reasons_cannot_be_subtracted_across_ranges(crew, team):
    # Three people picked "Timing" in the last four weeks; 8 weeks ago one of them picked it alone.
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, reasons=("timing",))
    log_loss(crew[1], THIS_MONDAY - datetime.timedelta(weeks=8), reasons=("timing",))
    assert morale.build_dashboard(team, 4).top_reasons == [("Timing", True, 3)]
    # 4 over twelve weeks less 3 over four would be one person's pick: withheld.
    twelve = morale.build_dashboard(team, 12)
    assert twelve.top_reasons == []
    assert twelve.top_reasons_hidden == 1


def test_amounts_are_summed_per_currency_never_across(crew, team):
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, amount=100, currency="EUR")
        log_loss(person, THIS_MONDAY, amount=10, currency="GBP")
    dashboard = morale.build_dashboard(team, 4)
    totals = {c.currency: c.cells[-1] for c in dashboard.currencies}
    assert totals == {"EUR": morale.Cell(300), "GBP": morale.Cell(30)}


def test_share_rate_and_not_personal(crew, team):
    a, b, c = crew[1], crew[2], crew[3]
    shared = log_loss(a, THIS_MONDAY, reasons=("price-budget", "my-follow-up"))
    log_loss(b, THIS_MONDAY, reasons=("timing",))
    log_loss(c, THIS_MONDAY, reasons=("my-discovery",))
    log_loss(c, THIS_MONDAY, reasons=("unknown",))
    share(shared, team=team, show_name=False)
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "share_rate", THIS_MONDAY) == morale.Cell(25)  # 1 of 4
    # price, timing and unknown are outside control; follow-up and discovery within: 3 of 5
    assert week_cell(dashboard, "not_personal", THIS_MONDAY) == morale.Cell(60)


def test_recovery_time_is_the_median_of_days_to_moving_on(crew, team):
    days = []
    for person, ago in zip(crew[1:4], (2, 4, 9), strict=True):
        deal = log_loss(person, THIS_MONDAY - datetime.timedelta(days=ago))
        recovery_services.lost_deal_move_on(deal=deal)
        days.append(deal.recovery_days)
    dashboard = morale.build_dashboard(team, 4)
    assert sorted(days) == [5, 7, 12]
    assert week_cell(dashboard, "recovery", THIS_MONDAY) == morale.Cell(7)


def test_recovery_medians_take_the_two_middle_values_each_week_and_over_the_range(crew, team):
    # This week: four people move on after 5, 7, 12 and 23 days (median 9.5).
    for person, ago in zip(crew[1:5], (2, 4, 9, 20), strict=True):
        recovery_services.lost_deal_move_on(deal=log_loss(person, THIS_MONDAY - datetime.timedelta(days=ago)))
    # Last week, on Wednesday: three people after 1, 3 and 5 days (median 3).
    wednesday = LAST_MONDAY + datetime.timedelta(days=2)
    for person, ago in zip(crew[1:4], (1, 3, 5), strict=True):
        deal = log_loss(person, wednesday - datetime.timedelta(days=ago))
        with time_machine.travel(at(wednesday, 12), tick=False):
            recovery_services.lost_deal_move_on(deal=deal)
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "recovery", THIS_MONDAY) == morale.Cell(9.5)
    assert week_cell(dashboard, "recovery", LAST_MONDAY) == morale.Cell(3)
    # Over the range: the median of 1, 3, 5, 5, 7, 12, 23.
    assert dashboard.series["recovery"].total == morale.Cell(5)


def test_support_and_time_to_first_support(crew, team, manager):
    deal = log_loss(crew[1], THIS_MONDAY)
    with time_machine.travel(at(THIS_MONDAY, 9), tick=False):
        shared = share(deal, team=team, show_name=False)
    with time_machine.travel(at(THIS_MONDAY, 12), tick=False):
        team_services.comment_create(shared=shared, author=manager, body="Here for you.")
    with time_machine.travel(at(THIS_MONDAY, 15), tick=False):
        team_services.encouragement_toggle(shared=shared, user=crew[2], kind=Encouragement.Kind.BEEN_THERE)
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "support", THIS_MONDAY) == morale.Cell(2)
    assert week_cell(dashboard, "first_support", THIS_MONDAY) == morale.Cell(3.0)
    assert Comment.objects.count() == 1


def test_weeks_follow_the_team_time_zone_around_midnight_on_sunday(crew, team):
    team.time_zone = "America/Los_Angeles"
    team.save()
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    # Monday 16 November 05:00 UTC is still Sunday 15 November in Los Angeles: last week there.
    sunday_night = datetime.datetime(2026, 11, 16, 5, 0, tzinfo=datetime.UTC)
    assert timezone.localtime(sunday_night, la).weekday() == 6
    for person in crew[1:4]:
        log_loss(person, LAST_MONDAY, mood=4, mood_at=sunday_night)
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "mood", LAST_MONDAY) == morale.Cell(4.0)
    assert week_cell(dashboard, "mood", THIS_MONDAY).empty


def test_former_members_no_longer_count(crew, team):
    leaver = crew[3]
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY)
    team_services.membership_leave(membership=leaver.memberships.get(team=team))
    dashboard = morale.build_dashboard(team, 4)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.HIDDEN


def test_top_reasons_show_only_reasons_picked_by_enough_people(crew, team):
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, reasons=("price-budget",))
    log_loss(crew[1], THIS_MONDAY, reasons=("my-demo-pitch",))
    dashboard = morale.build_dashboard(team, 4)
    assert dashboard.top_reasons == [("Price or budget", True, 3)]
    assert dashboard.top_reasons_hidden == 1


def test_needs_encouragement_lists_shares_without_support_after_a_day(crew, team, manager):
    quiet = log_loss(crew[1], THIS_MONDAY - datetime.timedelta(days=3))
    supported = log_loss(crew[2], THIS_MONDAY - datetime.timedelta(days=3))
    fresh = log_loss(crew[3], THIS_MONDAY)
    shares = {}
    for deal, when in (
        (quiet, NOW - datetime.timedelta(days=2)),
        (supported, NOW - datetime.timedelta(days=2)),
        (fresh, NOW - datetime.timedelta(hours=3)),
    ):
        with time_machine.travel(when, tick=False):
            shares[deal.pk] = share(deal, team=team, show_name=False)
    team_services.comment_create(shared=shares[supported.pk], author=manager, body="Proud of you.")
    dashboard = morale.build_dashboard(team, 4)
    assert [s.deal for s in dashboard.needs_encouragement] == [quiet]
