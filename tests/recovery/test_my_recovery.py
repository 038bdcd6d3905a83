"""My recovery: every figure against numbers worked out by hand, the charts, and who sees what."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from recovery import charts, selectors
from recovery.models import CheckIn, LostDeal, Reflection
from tests.conftest import HEADER_QUERIES, at, make_loss, make_user

URL = reverse("recovery:my_recovery")
TODAY = datetime.date(2026, 6, 15)
UTC = datetime.UTC


@pytest.fixture
def frozen():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 12, 0, tzinfo=UTC), tick=False):
        yield


def loss_on(owner, day, **fields):
    return make_loss(owner, days_ago=(timezone.localdate() - day).days, **fields)


def set_mood(deal, mood, when):
    Reflection.objects.filter(deal=deal).update(mood=mood, mood_at=when)


def answer(deal, mood, when, due_on=None):
    return CheckIn.objects.create(
        deal=deal, owner_id=deal.owner_id, due_on=due_on, mood=mood, answered_at=when
    )


def bucket(curve, key):
    return next(b for b in curve if b.key == key)


def make_history(owner, count):
    """`count` losses with reasons, a first mood, a lesson, three answered check-ins; every other moved on."""
    for i in range(count):
        deal = make_loss(
            owner, name=f"Deal {i}", days_ago=i % 60 + 10, reasons=("price-budget", "my-discovery")
        )
        Reflection.objects.filter(deal=deal).update(
            mood=2, mood_at=at(deal.lost_on), lesson=f"Lesson {i}", finished_at=at(deal.lost_on)
        )
        for day, mood in ((1, 3), (3, 4), (7, 4)):
            answer(deal, mood, at(deal.lost_on + datetime.timedelta(days=day)))
        if i % 2:
            LostDeal.objects.filter(pk=deal.pk).update(moved_on_at=timezone.now(), recovery_days=i % 9 + 2)


# --- access ---------------------------------------------------------------------------------


def test_anonymous_is_redirected_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_post_is_refused(owner_client):
    assert owner_client.post(URL).status_code == 405


def test_owner_sees_their_page(owner_client, loss):
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert response.context["figures"].losses == 1
    assert "My recovery" in response.content.decode()


def test_another_users_losses_and_lessons_never_appear(owner_client, owner, outsider):
    make_loss(owner, name="Acme renewal")
    theirs = make_loss(outsider, name="Zebra Secret Deal", reasons=("my-follow-up",))
    Reflection.objects.filter(deal=theirs).update(
        lesson="Outsider's private lesson", mood=1, mood_at=timezone.now()
    )
    response = owner_client.get(URL)
    html = response.content.decode()
    assert "Zebra Secret Deal" not in html
    assert "Outsider's private lesson" not in html
    figures = response.context["figures"]
    assert figures.losses == 1
    assert [r.label for r in figures.reasons] == ["Price or budget"]
    assert figures.mood_scores == 0


def test_rep_with_no_losses_sees_the_empty_state(owner_client):
    response = owner_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing here yet" in html
    assert reverse("recovery:loss_create") in html
    assert "<svg" not in html


# --- losses per month ------------------------------------------------------------------------


def test_losses_per_month_covers_twelve_months_with_empty_ones_as_zero(frozen, owner, outsider):
    for day in ["2026-06-01", "2026-06-15", "2026-04-30", "2025-07-01", "2025-06-30"]:
        loss_on(owner, datetime.date.fromisoformat(day))
    loss_on(outsider, datetime.date(2026, 5, 10))

    months = selectors.losses_per_month(user=owner)

    assert [m.month for m in months][:2] == [datetime.date(2025, 7, 1), datetime.date(2025, 8, 1)]
    assert len(months) == 12
    assert months[-1].month == datetime.date(2026, 6, 1)
    counts = {m.month: m.count for m in months}
    assert counts[datetime.date(2026, 6, 1)] == 2
    assert counts[datetime.date(2026, 5, 1)] == 0  # only the outsider lost one that month
    assert counts[datetime.date(2026, 4, 1)] == 1
    assert counts[datetime.date(2025, 7, 1)] == 1  # June 2025 is a thirteenth month: left out
    assert sum(counts.values()) == 4


def test_months_cross_the_new_year():
    months = selectors._month_starts(datetime.date(2026, 2, 28), 12)
    assert months[0] == datetime.date(2025, 3, 1)
    assert months[10:] == [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]


def test_month_table_and_chart_show_the_counts(frozen, owner_client, owner):
    loss_on(owner, datetime.date(2026, 6, 3))
    loss_on(owner, datetime.date(2026, 6, 4))
    html = owner_client.get(URL).content.decode()
    assert '<th scope="row">June 2026</th><td class="num">2</td>' in html
    assert '<th scope="row">May 2026</th><td class="num">0</td>' in html
    assert "<title>Jun: 2</title>" in html


# --- not personal -----------------------------------------------------------------------------


def test_share_outside_control_counts_each_loss_and_reason_pair(owner_client, owner, outsider):
    make_loss(owner, name="A", reasons=("price-budget", "my-discovery"))  # outside, within
    make_loss(owner, name="B", reasons=("timing", "price-budget"))  # outside, outside
    make_loss(owner, name="C", reasons=("my-follow-up",))  # within
    make_loss(outsider, name="D", reasons=("relationship", "my-demo-pitch"))

    figures = selectors.recovery_figures(user=owner)

    assert (figures.reason_picks_outside, figures.reason_picks) == (3, 5)
    assert figures.outside_percent == 60
    assert figures.reasons[0].label == "Price or budget"
    assert figures.reasons[0].count == 2
    html = owner_client.get(URL).content.decode()
    assert "<strong>3 of 5</strong> reasons you picked were outside your control (60%)" in html
    assert "Remember: it's probably not personal." in html


def test_losses_without_reasons_give_no_share(owner):
    make_loss(owner, reasons=())
    figures = selectors.recovery_figures(user=owner)
    assert figures.reason_picks == 0
    assert figures.outside_percent is None


# --- recovery time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "median"),
    [((2, 5, 9), 5), ((2, 5, 9, 10), 7), ((4,), 4)],
)
def test_median_recovery_time_counts_only_losses_moved_on(owner, days, median):
    for d in days:
        deal = make_loss(owner)
        LostDeal.objects.filter(pk=deal.pk).update(moved_on_at=timezone.now(), recovery_days=d)
    make_loss(owner, name="Not moved on yet")

    figures = selectors.recovery_figures(user=owner)

    assert figures.median_recovery_days == median
    assert figures.recovered == len(days)
    assert figures.losses == len(days) + 1


def test_median_is_empty_before_any_loss_is_moved_on(owner_client, owner):
    make_loss(owner)
    response = owner_client.get(URL)
    assert response.context["figures"].median_recovery_days is None
    assert "Your median recovery time will show here" in response.content.decode()


def test_recovery_time_is_shown_with_how_many_losses_it_rests_on(owner_client, owner):
    for d in (3, 6):
        deal = make_loss(owner)
        LostDeal.objects.filter(pk=deal.pk).update(moved_on_at=timezone.now(), recovery_days=d)
    html = owner_client.get(URL).content.decode()
    assert "<strong>4.5 days</strong>" in html
    assert "based on the 2 losses you have moved on from" in html


# --- recovery curve ---------------------------------------------------------------------------


def test_mood_curve_puts_each_score_in_its_bucket(frozen, owner, outsider):
    lost = datetime.date(2026, 5, 1)
    deal = loss_on(owner, lost)
    set_mood(deal, 2, at(lost, 9))  # same day
    answer(deal, 3, at(lost + datetime.timedelta(days=1), 8), due_on=lost + datetime.timedelta(days=1))
    answer(deal, 4, at(lost + datetime.timedelta(days=2), 23, 59))  # day 1 bucket: days 1-2
    answer(deal, 3, at(lost + datetime.timedelta(days=3)), due_on=lost + datetime.timedelta(days=3))
    answer(deal, 5, at(lost + datetime.timedelta(days=6)))  # day 3 bucket: days 3-6
    answer(deal, 4, at(lost + datetime.timedelta(days=7)), due_on=lost + datetime.timedelta(days=7))
    answer(deal, 4, at(lost + datetime.timedelta(days=13)))  # day 7 bucket: days 7-13
    answer(deal, 5, at(lost + datetime.timedelta(days=14)))  # later: 14 days or more
    answer(deal, 3, at(lost + datetime.timedelta(days=40)))
    # Neither an unanswered nor a dismissed prompt is a score.
    CheckIn.objects.create(deal=deal, owner_id=deal.owner_id, due_on=lost + datetime.timedelta(days=30))
    CheckIn.objects.create(
        deal=deal,
        owner_id=deal.owner_id,
        due_on=lost + datetime.timedelta(days=31),
        dismissed_at=timezone.now(),
    )
    second = loss_on(owner, lost + datetime.timedelta(days=10))
    set_mood(second, 1, at(second.lost_on, 23, 0))
    answer(second, 2, at(second.lost_on + datetime.timedelta(days=1)))
    theirs = loss_on(outsider, lost)
    set_mood(theirs, 5, at(lost))
    answer(theirs, 1, at(lost + datetime.timedelta(days=1)))

    curve = selectors.mood_curve(user=owner)

    assert [b.label for b in curve] == ["Same day", "Day 1", "Day 3", "Day 7", "Later"]
    assert (bucket(curve, "same_day").mean, bucket(curve, "same_day").count) == (1.5, 2)
    assert (bucket(curve, "day_1").mean, bucket(curve, "day_1").count) == (3.0, 3)
    assert (bucket(curve, "day_3").mean, bucket(curve, "day_3").count) == (4.0, 2)
    assert (bucket(curve, "day_7").mean, bucket(curve, "day_7").count) == (4.0, 2)
    assert (bucket(curve, "later").mean, bucket(curve, "later").count) == (4.0, 2)


def test_mood_curve_leaves_empty_buckets_empty(owner):
    deal = make_loss(owner)
    set_mood(deal, 2, timezone.now())
    curve = selectors.mood_curve(user=owner)
    assert bucket(curve, "same_day").mean == 2.0
    assert all(b.mean is None and b.count == 0 for b in curve[1:])


def test_mood_curve_rounds_the_mean_to_one_decimal(frozen, owner):
    deal = loss_on(owner, datetime.date(2026, 6, 1))
    for mood in (2, 2, 3):
        answer(deal, mood, at(datetime.date(2026, 6, 2)))
    assert bucket(selectors.mood_curve(user=owner), "day_1").mean == 2.3


def test_mood_curve_counts_days_in_the_sites_time_zone(frozen, owner):
    """23:30 UTC on the day of the loss is already the next day in Paris."""
    lost = datetime.date(2026, 6, 1)
    deal = loss_on(owner, lost)
    answer(deal, 4, at(lost, 23, 30))
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        paris = selectors.mood_curve(user=owner)
    utc = selectors.mood_curve(user=owner)
    assert bucket(paris, "day_1").count == 1
    assert bucket(utc, "same_day").count == 1


def test_a_mood_given_before_the_date_lost_counts_as_same_day(frozen, owner):
    """The date lost can be edited to a later day than the mood was given."""
    deal = loss_on(owner, datetime.date(2026, 6, 10))
    set_mood(deal, 3, at(datetime.date(2026, 6, 8)))
    assert bucket(selectors.mood_curve(user=owner), "same_day").count == 1


def test_mood_table_states_the_bucket_edges(owner_client, owner):
    deal = make_loss(owner)
    set_mood(deal, 2, timezone.now())
    html = owner_client.get(URL).content.decode()
    for edges in ("The day of the loss", "Days 1 to 2", "Days 3 to 6", "Days 7 to 13", "14 days or more"):
        assert edges in html
    assert '<td class="num">2.0</td>' in html


def test_no_moods_yet_shows_a_hint_instead_of_the_curve(owner_client, owner):
    make_loss(owner)
    html = owner_client.get(URL).content.decode()
    assert "No moods yet" in html
    assert 'id="mood-chart-title"' not in html


# --- lessons ----------------------------------------------------------------------------------


def test_lessons_are_listed_newest_loss_first_with_deal_and_date(frozen, owner_client, owner):
    old = loss_on(owner, datetime.date(2026, 3, 2), name="Old Co")
    new = loss_on(owner, datetime.date(2026, 6, 1), name="New Co")
    blank = loss_on(owner, datetime.date(2026, 6, 5), name="No Lesson Co")
    Reflection.objects.filter(deal=old).update(lesson="Find the economic buyer early")
    Reflection.objects.filter(deal=new).update(lesson="Send a recap within a day")
    Reflection.objects.filter(deal=blank).update(lesson="")

    response = owner_client.get(URL)

    lessons = list(response.context["lessons"])
    assert [r.lesson for r in lessons] == ["Send a recap within a day", "Find the economic buyer early"]
    html = response.content.decode()
    assert html.index("Send a recap within a day") < html.index("Find the economic buyer early")
    assert 'lost on <time datetime="2026-03-02">2 March 2026</time>' in html
    assert reverse("recovery:loss_detail", args=[new.code]) in html
    assert "2 lessons, newest first." in html


def test_lessons_are_paginated_twenty_at_a_time(owner_client, owner):
    for i in range(23):
        deal = make_loss(owner, name=f"Deal {i}", days_ago=i)
        Reflection.objects.filter(deal=deal).update(lesson=f"Lesson number {i:02d}")

    first = owner_client.get(URL)
    second = owner_client.get(URL, {"page": "2"})
    bad = owner_client.get(URL, {"page": "nonsense"})

    assert [r.lesson for r in first.context["lessons"]][:2] == ["Lesson number 00", "Lesson number 01"]
    assert len(first.context["lessons"]) == 20
    assert [r.lesson for r in second.context["lessons"]] == [f"Lesson number {i}" for i in (20, 21, 22)]
    assert "Page 1 of 2" in first.content.decode()
    assert "23 lessons, newest first." in first.content.decode()
    assert bad.status_code == 200
    assert bad.context["lessons"].number == 1


# --- the page as a whole ----------------------------------------------------------------------


def test_charts_are_labelled_svg_without_inline_styles_and_tables_have_captions(owner_client, owner):
    make_history(owner, 3)
    html = owner_client.get(URL).content.decode()
    assert html.count('role="img"') == 3
    for chart in ("losses-chart", "mood-chart", "share-chart"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html
    assert 'style="' not in html
    assert "<script>" not in html
    assert html.count("<caption>") == 3


@pytest.mark.parametrize("count", [3, 50])
def test_query_count_does_not_grow_with_the_data(django_assert_num_queries, owner_client, owner, count):
    make_history(owner, count)
    # Session, user; the totals (with the lessons' count), months, reasons, two for the mood
    # curve; the page of lessons.
    with django_assert_num_queries(8 + HEADER_QUERIES):
        response = owner_client.get(URL)
    assert response.context["figures"].losses == count


def test_figures_on_a_larger_history_are_right(owner):
    make_history(owner, 10)
    figures = selectors.recovery_figures(user=owner)
    assert figures.losses == 10
    assert (figures.reason_picks_outside, figures.reason_picks) == (10, 20)
    assert figures.recovered == 5
    # Losses 1, 3, 5, 7, 9 moved on with i % 9 + 2 days: 3, 5, 7, 9, 2 -> median 5.
    assert figures.median_recovery_days == 5
    assert [b.mean for b in figures.mood_curve] == [2.0, 3.0, 4.0, 4.0, None]


# --- chart geometry ---------------------------------------------------------------------------


def test_bar_chart_scales_the_tallest_bar_to_a_round_top():
    chart = charts.bar_chart([("a", 0), ("b", 3), ("c", 7)], id="c", title="t", description="d")
    plot = chart.bottom - chart.top
    assert [t.label for t in chart.ticks] == ["0", "2", "4", "6", "8"]
    assert chart.bars[0].height == 0
    assert chart.bars[2].height == round(plot * 7 / 8, 1)
    assert chart.bars[2].y == round(chart.bottom - plot * 7 / 8, 1)
    assert chart.bars[0].x < chart.bars[1].x < chart.bars[2].x


def test_bar_chart_of_zeros_still_has_an_axis():
    chart = charts.bar_chart([("a", 0), ("b", 0)], id="c", title="t", description="d")
    assert [t.label for t in chart.ticks] == ["0", "1"]
    assert all(b.height == 0 for b in chart.bars)


@pytest.mark.parametrize(("top", "step"), [(0, 1), (4, 1), (5, 2), (9, 5), (19, 5), (40, 10), (41, 20)])
def test_nice_step(top, step):
    assert charts._nice_step(top) == step


def test_line_chart_skips_missing_points_and_spans_the_mood_scale():
    chart = charts.line_chart([("a", 1.0), ("b", None), ("c", 5.0)], id="m", title="t", description="d")
    assert [t.label for t in chart.ticks] == ["1", "2", "3", "4", "5"]
    assert chart.points[1].y is None
    assert chart.points[0].y == chart.bottom
    assert chart.points[2].y == chart.top
    assert (
        chart.polyline == f"{chart.points[0].x},{chart.points[0].y} {chart.points[2].x},{chart.points[2].y}"
    )


def test_share_bar_splits_the_width():
    bar = charts.share_bar(3, 4, id="s", title="t", description="d")
    assert (bar.part_width, bar.rest_x, bar.rest_width) == (480.0, 480.0, 160.0)
    empty = charts.share_bar(0, 0, id="s", title="t", description="d")
    assert (empty.part_width, empty.rest_width) == (0.0, 640.0)


def test_pages_of_other_users_are_separate(client, owner):
    """Two reps each see their own count, from the same URL."""
    other = make_user("other@example.com", "Other Rep")
    make_loss(owner)
    make_loss(other)
    make_loss(other)
    client.force_login(other)
    assert client.get(URL).context["figures"].losses == 2
    client.force_login(owner)
    assert client.get(URL).context["figures"].losses == 1
