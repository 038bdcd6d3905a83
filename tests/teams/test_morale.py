"""The morale dashboard's figures against hand-computed values, and the anonymity threshold.

The data is logged in the week of THIS_MONDAY; `board()` reads the dashboard the next week, once
that week has closed (the week under way is never shown).
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from recovery import services as recovery_services
from teams import morale
from teams import services as team_services
from teams.models import Comment, Encouragement, Membership
from tests.conftest import at, join, log_loss, make_user, share

# Thursday 19 November 2026, noon UTC: the current ISO week starts on Monday 16 November.
NOW = datetime.datetime(2026, 11, 19, 12, 0, tzinfo=datetime.UTC)
THIS_MONDAY = datetime.date(2026, 11, 16)
LAST_MONDAY = datetime.date(2026, 11, 9)
NEXT_WEEK = NOW + datetime.timedelta(weeks=1)
LONG_AGO = NOW - datetime.timedelta(weeks=60)
pytestmark = pytest.mark.time_machine(NOW, tick=False)


@pytest.fixture
def crew(team, manager, owner):
    """The team with five people, members for more than a year: manager, owner and three more reps."""
    reps = [make_user(f"rep{i}@example.com", f"Rep {i}") for i in range(3)]
    for rep in reps:
        join(team, rep)
    Membership.objects.filter(team=team).update(joined_at=LONG_AGO)
    return [manager, owner, *reps]


def board(team, weeks=4, viewer=None, now=NEXT_WEEK):
    """The dashboard as `viewer` sees it a week from NOW: the week of THIS_MONDAY is its last."""
    return morale.build_dashboard(team, weeks, viewer=viewer, now=now)


def week_cell(dashboard, key, monday):
    return dashboard.series[key].cells[dashboard.weeks.index(monday)]


def test_weeks_are_the_closed_iso_weeks_before_the_current_one(team):
    assert morale.weeks_for(team, 4) == [
        datetime.date(2026, 10, 19),
        datetime.date(2026, 10, 26),
        datetime.date(2026, 11, 2),
        LAST_MONDAY,
    ]


def test_mood_index_is_the_mean_of_reflection_and_check_in_moods(crew, team):
    a, b, c = crew[1], crew[2], crew[3]
    log_loss(a, THIS_MONDAY, mood=2)
    log_loss(b, THIS_MONDAY, mood=3)
    deal = log_loss(c, THIS_MONDAY, mood=4)
    recovery_services.check_in_create(deal=deal, mood=5)
    dashboard = board(team)
    # (2 + 3 + 4 + 5) / 4
    assert week_cell(dashboard, "mood", THIS_MONDAY) == morale.Cell(3.5)
    assert week_cell(dashboard, "mood", LAST_MONDAY).empty


def test_two_contributors_are_hidden_and_three_are_shown(crew, team):
    # Last week two people, this week three.
    log_loss(crew[1], LAST_MONDAY, mood=1)
    log_loss(crew[2], LAST_MONDAY, mood=2)
    for person, mood in zip(crew[1:4], (1, 2, 3), strict=True):
        log_loss(person, THIS_MONDAY, mood=mood)
    dashboard = board(team)
    for key in ("mood", "losses", "share_rate", "not_personal"):
        assert week_cell(dashboard, key, LAST_MONDAY) == morale.HIDDEN, key
        assert dashboard.series[key].total == morale.HIDDEN, key
    assert dashboard.currencies[0].cells[-2] == morale.HIDDEN
    assert week_cell(dashboard, "mood", THIS_MONDAY) == morale.Cell(2.0)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.Cell(3)
    assert dashboard.currencies[0].cells[-1] == morale.Cell(3000)


def test_a_higher_threshold_hides_a_week_of_three(crew, team, settings):
    settings.MORALE_MIN_GROUP = 4
    for person, mood in zip(crew[1:4], (1, 2, 3), strict=True):
        log_loss(person, LAST_MONDAY, mood=mood)
    for person, mood in zip(crew[1:5], (1, 2, 3, 4), strict=True):
        log_loss(person, THIS_MONDAY, mood=mood)
    dashboard = board(team)
    assert week_cell(dashboard, "mood", LAST_MONDAY) == morale.HIDDEN
    assert week_cell(dashboard, "mood", THIS_MONDAY) == morale.Cell(2.5)


def test_the_threshold_never_goes_below_three_whatever_the_setting(crew, team, settings):
    settings.MORALE_MIN_GROUP = 1  # past the settings check (tests/test_settings.py)
    log_loss(crew[1], THIS_MONDAY, mood=1)
    log_loss(crew[2], THIS_MONDAY, mood=2)
    assert week_cell(board(team), "mood", THIS_MONDAY) == morale.HIDDEN


def test_a_hidden_week_cannot_be_recovered_by_subtracting_from_the_total(crew, team):
    # Last week three people: shown. This week one person: hidden.
    for person in crew[1:4]:
        log_loss(person, LAST_MONDAY)
    log_loss(crew[1], THIS_MONDAY)
    dashboard = board(team)
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
    dashboard = board(team)
    assert [c.hidden for c in dashboard.series["losses"].cells] == [True, True, False, True]
    # Another range's total, or next week's, could be subtracted from it: hidden too.
    assert dashboard.series["losses"].total == morale.HIDDEN


def test_top_reasons_cannot_be_subtracted_across_ranges(crew, team):
    # Three people picked "Timing" in the last four weeks; 8 weeks ago one of them picked it alone.
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, reasons=("timing",))
    log_loss(crew[1], THIS_MONDAY - datetime.timedelta(weeks=8), reasons=("timing",))
    assert board(team).top_reasons == [("Timing", True, 3)]
    # 4 over twelve weeks less 3 over four would be one person's pick: withheld.
    twelve = board(team, 12)
    assert twelve.top_reasons == []
    assert twelve.top_reasons_hidden == 1


def test_amounts_are_summed_per_currency_never_across(crew, team):
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, amount=100, currency="EUR")
        log_loss(person, THIS_MONDAY, amount=10, currency="GBP")
    dashboard = board(team)
    totals = {c.currency: c.cells[-1] for c in dashboard.currencies}
    assert totals == {"EUR": morale.Cell(300), "GBP": morale.Cell(30)}


def test_share_rate_and_not_personal(crew, team):
    a, b, c = crew[1], crew[2], crew[3]
    shared = log_loss(a, THIS_MONDAY, reasons=("price-budget", "my-follow-up"))
    log_loss(b, THIS_MONDAY, reasons=("timing",))
    log_loss(c, THIS_MONDAY, reasons=("my-discovery",))
    log_loss(c, THIS_MONDAY, reasons=("unknown",))
    share(shared, team=team, show_name=False)
    dashboard = board(team)
    assert week_cell(dashboard, "share_rate", THIS_MONDAY) == morale.Cell(25)  # 1 of 4
    # price, timing and unknown are outside control; follow-up and discovery within: 3 of 5
    assert week_cell(dashboard, "not_personal", THIS_MONDAY) == morale.Cell(60)


def test_recovery_time_is_the_median_of_days_to_moving_on(crew, team):
    days = []
    for person, ago in zip(crew[1:4], (2, 4, 9), strict=True):
        deal = log_loss(person, THIS_MONDAY - datetime.timedelta(days=ago))
        recovery_services.lost_deal_move_on(deal=deal)
        days.append(deal.recovery_days)
    dashboard = board(team)
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
    dashboard = board(team)
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
    dashboard = board(team)
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
    dashboard = board(team)
    assert week_cell(dashboard, "mood", LAST_MONDAY) == morale.Cell(4.0)
    assert week_cell(dashboard, "mood", THIS_MONDAY).empty


def test_former_members_no_longer_count(crew, team):
    leaver = crew[3]
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY)
    team_services.membership_leave(membership=leaver.memberships.get(team=team))
    dashboard = board(team)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.HIDDEN


def test_top_reasons_show_only_reasons_picked_by_enough_people(crew, team):
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, reasons=("price-budget",))
    log_loss(crew[1], THIS_MONDAY, reasons=("my-demo-pitch",))
    dashboard = board(team)
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
    dashboard = board(team, now=NOW)
    assert [s.deal for s in dashboard.needs_encouragement] == [quiet]


# ---------------------------------------------------------------- against a manager doing arithmetic


def test_the_viewer_does_not_count_towards_the_threshold(crew, team, manager):
    # The manager and two reps: three people, but only two besides the manager.
    for person in (manager, crew[1], crew[2]):
        log_loss(person, THIS_MONDAY, mood=3, amount=100)
    # The week before, three reps and the manager.
    for person, mood in ((crew[1], 1), (crew[2], 2), (crew[3], 3), (manager, 5)):
        log_loss(person, LAST_MONDAY, mood=mood)
    outsider_view = board(team, viewer=None)
    assert week_cell(outsider_view, "losses", THIS_MONDAY) == morale.Cell(3)
    mine = board(team, viewer=manager)
    for key in ("mood", "losses", "share_rate", "not_personal"):
        assert week_cell(mine, key, THIS_MONDAY) == morale.HIDDEN, key
        assert mine.series[key].total == morale.HIDDEN, key
    assert mine.currencies[0].cells[-1] == morale.HIDDEN
    # Three people besides the manager last week: shown, with the manager's own mood in it.
    assert week_cell(mine, "mood", LAST_MONDAY) == morale.Cell(2.8)  # (1 + 2 + 3 + 5) / 4
    # Picked by the same three reps besides the manager over the range: a top reason after all.
    assert board(team, viewer=manager).top_reasons == [("Price or budget", True, 7)]


def test_the_week_under_way_is_never_shown(crew, team):
    for person in crew[1:5]:
        log_loss(person, THIS_MONDAY, mood=4)
    dashboard = board(team, now=NOW)
    assert THIS_MONDAY not in dashboard.weeks
    assert dashboard.weeks[-1] == LAST_MONDAY
    assert all(cell.empty for cell in dashboard.series["mood"].cells)


def figures_of(dashboard):
    """Everything a dashboard shows from private data, to compare two readings."""
    return (
        {key: (series.cells, series.total) for key, series in dashboard.series.items()},
        [(c.currency, c.cells, c.total) for c in dashboard.currencies],
        dashboard.top_reasons,
    )


def test_a_closed_week_does_not_change_when_a_member_leaves_or_joins(crew, team, manager):
    for person in crew[1:5]:
        log_loss(person, THIS_MONDAY, mood=2, amount=100)
    before = board(team, viewer=manager)
    assert week_cell(before, "losses", THIS_MONDAY) == morale.Cell(4)

    with time_machine.travel(NEXT_WEEK, tick=False):
        team_services.membership_leave(membership=crew[4].memberships.get(team=team))
        newcomer = make_user("new@example.com", "Nina Newcomer")
        join(team, newcomer)
        log_loss(newcomer, THIS_MONDAY, mood=5, amount=1)  # backdated into the closed week
        log_loss(crew[1], THIS_MONDAY, mood=5, amount=1)  # and by a member who was there
        after = board(team, viewer=manager)
    assert figures_of(after) == figures_of(before)


def test_a_member_leaving_freezes_the_closed_weeks_they_counted_in(crew, team, manager):
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, mood=2)
    # Nobody has looked yet; the week has closed when the third person leaves.
    with time_machine.travel(NEXT_WEEK, tick=False):
        team_services.membership_leave(membership=crew[3].memberships.get(team=team))
        dashboard = board(team, viewer=manager)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.Cell(3)


def test_a_members_data_counts_from_the_day_they_joined(crew, team, manager):
    wednesday = THIS_MONDAY + datetime.timedelta(days=2)
    newcomer = make_user("new@example.com", "Nina Newcomer")
    Membership.objects.filter(pk=join(team, newcomer).pk).update(joined_at=at(wednesday, 15))
    log_loss(newcomer, THIS_MONDAY, mood=1)  # before joining: never counts
    log_loss(newcomer, LAST_MONDAY, mood=1)  # before joining: never counts
    log_loss(newcomer, wednesday, mood=4, mood_at=at(wednesday, 9))  # the day they joined: counts
    for person in crew[1:3]:
        log_loss(person, THIS_MONDAY, mood=4)
        log_loss(person, LAST_MONDAY, mood=4)
    dashboard = board(team, viewer=manager)
    assert week_cell(dashboard, "losses", LAST_MONDAY) == morale.HIDDEN  # two people: Nina doesn't count
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.Cell(3)
    assert week_cell(dashboard, "mood", THIS_MONDAY) == morale.Cell(4.0)


def test_a_currency_is_shown_only_where_enough_people_priced_losses_in_it(crew, team, manager):
    for person in crew[1:4]:
        log_loss(person, THIS_MONDAY, amount=100, currency="EUR")
    log_loss(crew[1], THIS_MONDAY, amount=5000, currency="JPY")
    log_loss(crew[2], THIS_MONDAY, amount=None, currency="GBP")  # not priced: nobody's amount
    log_loss(crew[3], THIS_MONDAY, amount=None, currency="GBP")
    log_loss(crew[4], THIS_MONDAY, amount=7, currency="GBP")
    dashboard = board(team, viewer=manager)
    cells = {c.currency: (c.cells[-1], c.total) for c in dashboard.currencies}
    assert cells["EUR"] == (morale.Cell(300), morale.Cell(300))
    assert cells["JPY"] == (morale.HIDDEN, morale.HIDDEN)
    assert cells["GBP"] == (morale.HIDDEN, morale.HIDDEN)
    assert week_cell(dashboard, "losses", THIS_MONDAY) == morale.Cell(7)
