"""The managers' morale dashboard page: who may open it, what it shows, and what it never shows."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from recovery import charts
from recovery import services as recovery_services
from teams import morale
from teams import services as team_services
from teams.models import Membership
from tests.conftest import HEADER_QUERIES, at, join, log_loss, make_user, share

# Thursday 19 November 2026, noon UTC: the current ISO week starts on Monday 16 November.
NOW = datetime.datetime(2026, 11, 19, 12, 0, tzinfo=datetime.UTC)
THIS_MONDAY = datetime.date(2026, 11, 16)
LAST_MONDAY = datetime.date(2026, 11, 9)
# The dashboard is read a week later, once the week of THIS_MONDAY has closed (the week under way
# is never shown), by which time everyone in the team had been a member for long.
NEXT_WEEK = NOW + datetime.timedelta(weeks=1)
LONG_AGO = NOW - datetime.timedelta(weeks=60)
pytestmark = pytest.mark.time_machine(NOW, tick=False)
HIDDEN = "fewer than 3 people besides you: hidden to keep answers anonymous"


# ---------------------------------------------------------------- helpers (for the CSV and digest tests too)


def share_with_team(deal, team, *, when, **fields):
    with time_machine.travel(when, tick=False):
        return share(deal, team=team, message="A tough one.", **fields)


def add_reps(team, how_many, start=0):
    reps = [make_user(f"rep{i}@example.com", f"Rep Number{i}") for i in range(start, start + how_many)]
    for rep in reps:
        join(team, rep)
    return reps


def dashboard_url(team, weeks=None):
    url = reverse("teams:dashboard", kwargs={"code": team.code})
    return f"{url}?weeks={weeks}" if weeks else url


def section(html: str, key: str) -> str:
    """The HTML of one figure's section."""
    match = re.search(rf'<section[^>]*id="figure-{key}".*?</section>', html, re.S)
    assert match, f"no section for {key}"
    return match.group(0)


def table_cells(html: str) -> dict[str, str]:
    """Row label → cell text, for the weekly rows and the total row of the first table in `html`."""
    html = html.split("</table>")[0]
    rows = re.findall(
        r'<tr><th scope="row">(?:<time[^>]*>)?([^<]+)(?:</time>)?</th><td[^>]*>([^<]*)</td>', html
    )
    return dict(rows)


def chart_titles(html: str, element: str) -> list[str]:
    """The tooltips of the chart's bars (`rect class="chart__bar"`), points (`circle`) or withheld weeks."""
    pattern = {
        "bar": r'<rect class="chart__bar"[^>]*><title>([^<]*)</title>',
        "point": r'<circle class="chart__dot"[^>]*><title>([^<]*)</title>',
        "withheld": r'<rect class="chart__withheld"[^>]*><title>([^<]*)</title>',
    }[element]
    return re.findall(pattern, html)


def members_all_along():
    """Every membership began long ago: members' data of the weeks shown counts (from joining on)."""
    Membership.objects.update(joined_at=LONG_AGO)


class NextWeekClient:
    """The manager's browser a week from NOW, in a team whose people were members all along."""

    def __init__(self, client):
        self.client = client

    def get(self, *args, **kwargs):
        members_all_along()
        with time_machine.travel(NEXT_WEEK, tick=False):
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        return self.client.post(*args, **kwargs)


@pytest.fixture
def manager_client(client, manager, team):
    client.force_login(manager)
    return NextWeekClient(client)


# ---------------------------------------------------------------- who may open it


def test_manager_sees_the_dashboard(manager_client, team):
    response = manager_client.get(dashboard_url(team))
    assert response.status_code == 200
    assert response.context["weeks"] == morale.DEFAULT_RANGE
    assert "Team morale: EMEA Mid-Market" in response.text
    assert "not a league table" in response.text
    for figure in morale.FIGURES:
        assert f'id="heading-{figure.key}">{figure.label}</h2>' in response.text
        assert figure.how.replace("'", "&#x27;") in response.text


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "former_member", "other_team_member"])
def test_anyone_but_a_manager_of_the_team_gets_404(client, request, team, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    response = client.get(dashboard_url(team))
    assert response.status_code == 404
    assert "Team morale" not in response.text


def test_a_manager_of_another_team_gets_404_but_this_teams_manager_does_not(
    client, team, manager, other_team_member
):
    client.force_login(other_team_member)  # manages APAC Enterprise, not this team
    assert client.get(dashboard_url(team)).status_code == 404
    client.force_login(manager)
    assert client.get(dashboard_url(team)).status_code == 200


def test_a_member_made_manager_sees_it_and_loses_it_when_demoted(client, team, owner):
    membership = owner.memberships.get(team=team)
    client.force_login(owner)
    assert client.get(dashboard_url(team)).status_code == 404
    team_services.membership_set_role(membership=membership, role="manager")
    assert client.get(dashboard_url(team)).status_code == 200
    team_services.membership_set_role(membership=membership, role="member")
    assert client.get(dashboard_url(team)).status_code == 404


def test_anonymous_is_sent_to_login(client, team):
    response = client.get(dashboard_url(team))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_dashboard_refuses_post(manager_client, team):
    assert manager_client.post(dashboard_url(team)).status_code == 405


# ---------------------------------------------------------------- range


@pytest.mark.parametrize("weeks", morale.RANGES)
def test_each_range_shows_that_many_weeks_and_marks_its_link(manager_client, team, weeks):
    response = manager_client.get(dashboard_url(team, weeks))
    assert response.context["weeks"] == weeks
    assert len(response.context["board"].weeks) == weeks
    cells = table_cells(section(response.text, "support"))
    assert len(cells) == weeks + 1  # the weeks and the range total
    assert f"All {weeks} weeks" in cells
    assert f'<a href="?weeks={weeks}" aria-current="page">{weeks} weeks</a>' in response.text
    picker = re.search(r'<nav aria-label="Range">.*?</nav>', response.text, re.S).group(0)
    assert picker.count("aria-current") == 1
    csv_url = reverse("teams:dashboard_csv", kwargs={"code": team.code})
    assert f'href="{csv_url}?weeks={weeks}"' in response.text


@pytest.mark.parametrize("value", ["7", "abc", "-4", ""])
def test_an_unknown_range_falls_back_to_the_default(manager_client, team, value):
    response = manager_client.get(dashboard_url(team) + f"?weeks={value}")
    assert response.status_code == 200
    assert response.context["weeks"] == morale.DEFAULT_RANGE


# ---------------------------------------------------------------- the threshold, on the page and in charts


@pytest.fixture
def two_people_this_week(team, owner, teammate):
    """Only two people logged losses this week: every private figure of the week is withheld."""
    log_loss(owner, THIS_MONDAY, mood=1, amount=77777)
    log_loss(teammate, THIS_MONDAY, mood=2, amount=11111)


def test_with_two_contributors_no_private_value_is_in_the_page(manager_client, team, two_people_this_week):
    html = manager_client.get(dashboard_url(team, 4)).text
    for key in ("mood", "losses", "share_rate", "not_personal"):
        cells = table_cells(section(html, key))
        assert cells["16 Nov"] == HIDDEN, key
        assert cells["All 4 weeks"] == HIDDEN, key
    # Neither amount, nor their sum, nor the mean mood (1.5), nor the count (2) is anywhere.
    for leak in ("77,777", "77777", "11,111", "11111", "88,888", "88888"):
        assert leak not in html
    assert "1.5" not in table_cells(section(html, "mood")).values()
    amounts = section(html, "losses").split('id="amounts-caption"')[1]
    assert re.findall(r'<td class="num cell-hidden">([^<]*)</td>', amounts) == [HIDDEN, HIDDEN]


def test_with_two_contributors_the_charts_leave_the_week_out(manager_client, team, two_people_this_week):
    html = manager_client.get(dashboard_url(team, 4)).text
    mood = section(html, "mood")
    assert chart_titles(mood, "point") == []
    assert chart_titles(mood, "withheld") == [f"Week of 16 Nov: {HIDDEN}"]
    losses = section(html, "losses")
    assert chart_titles(losses, "bar") == []
    assert chart_titles(losses, "withheld") == [f"Week of 16 Nov: {HIDDEN}"]
    # The withheld mark carries no height of its own: it spans the whole plot, whatever the data.
    assert 'class="chart__withheld" x="' in losses
    assert "<polyline" not in mood


def test_with_three_contributors_the_figures_show(
    manager_client, team, owner, teammate, trusted, two_people_this_week
):
    log_loss(trusted, THIS_MONDAY, mood=4, amount=1000)
    html = manager_client.get(dashboard_url(team, 4)).text
    assert table_cells(section(html, "mood"))["16 Nov"] == "2.3"  # (1 + 2 + 4) / 3
    assert table_cells(section(html, "losses"))["16 Nov"] == "3"
    assert table_cells(section(html, "losses"))["All 4 weeks"] == "3"
    assert "89,888" in section(html, "losses")  # 77,777 + 11,111 + 1,000 EUR
    assert chart_titles(section(html, "mood"), "point") == ["Week of 16 Nov: 2.3"]
    assert chart_titles(section(html, "losses"), "bar") == ["Week of 16 Nov: 3"]
    assert chart_titles(section(html, "mood"), "withheld") == []


def test_a_range_total_that_would_give_a_hidden_week_away_is_hidden(
    manager_client, team, owner, teammate, trusted
):
    for person in (owner, teammate, trusted):
        log_loss(person, LAST_MONDAY)
    log_loss(owner, THIS_MONDAY)
    cells = table_cells(section(manager_client.get(dashboard_url(team, 4)).text, "losses"))
    assert cells["9 Nov"] == "3"
    assert cells["16 Nov"] == HIDDEN
    # 4 would give this week's hidden 1 away by subtraction.
    assert cells["All 4 weeks"] == HIDDEN


def test_a_range_total_stays_hidden_while_any_week_is_hidden_even_with_enough_people(
    manager_client, team, owner, teammate, trusted
):
    for person in (owner, teammate, trusted):
        log_loss(person, LAST_MONDAY)
    log_loss(owner, THIS_MONDAY)
    log_loss(teammate, THIS_MONDAY - datetime.timedelta(weeks=2))
    log_loss(trusted, THIS_MONDAY - datetime.timedelta(weeks=3))
    cells = table_cells(section(manager_client.get(dashboard_url(team, 4)).text, "losses"))
    assert [cells[w] for w in ("26 Oct", "2 Nov", "9 Nov", "16 Nov")] == [HIDDEN, HIDDEN, "3", HIDDEN]
    # The hidden weeks hold three people, but a 12-week total or last week's CSV could still be
    # subtracted from a 6 here: a total is shown only when it adds nothing to the weeks shown.
    assert cells["All 4 weeks"] == HIDDEN


def test_a_range_total_shows_when_no_week_is_hidden(manager_client, team, owner, teammate, trusted):
    for monday in (LAST_MONDAY, THIS_MONDAY):
        for person in (owner, teammate, trusted):
            log_loss(person, monday)
    cells = table_cells(section(manager_client.get(dashboard_url(team, 4)).text, "losses"))
    assert [cells[w] for w in ("26 Oct", "2 Nov", "9 Nov", "16 Nov")] == ["—", "—", "3", "3"]
    assert cells["All 4 weeks"] == "6"


def test_weeks_without_data_say_so_without_a_point(manager_client, team):
    html = manager_client.get(dashboard_url(team, 4)).text
    cells = table_cells(section(html, "mood"))
    assert cells == {"26 Oct": "—", "2 Nov": "—", "9 Nov": "—", "16 Nov": "—", "All 4 weeks": "—"}
    assert "<svg" not in section(html, "mood")
    assert "Nothing to draw for these weeks yet." in section(html, "mood")


def test_shared_figures_have_no_threshold_and_units_show(manager_client, team, owner, teammate, manager):
    deal = log_loss(owner, THIS_MONDAY)
    shared = share_with_team(deal, team, when=at(THIS_MONDAY, 9))
    with time_machine.travel(at(THIS_MONDAY, 12), tick=False):
        team_services.comment_create(shared=shared, author=teammate, body="Here for you.")
    html = manager_client.get(dashboard_url(team, 4)).text
    assert table_cells(section(html, "support"))["16 Nov"] == "1"
    assert table_cells(section(html, "support"))["9 Nov"] == "0"
    assert table_cells(section(html, "first_support"))["16 Nov"] == "3 h"
    assert chart_titles(section(html, "support"), "bar") == [
        "Week of 26 Oct: 0",
        "Week of 2 Nov: 0",
        "Week of 9 Nov: 0",
        "Week of 16 Nov: 1",
    ]


def test_the_page_names_no_one_next_to_private_figures(manager_client, team, owner, teammate, trusted):
    for person in (owner, teammate, trusted):
        log_loss(person, THIS_MONDAY, mood=3)
    html = manager_client.get(dashboard_url(team, 4)).text
    for key in ("mood", "losses", "share_rate", "recovery", "not_personal"):
        figure = section(html, key)
        for person in (owner, teammate, trusted):
            assert person.name not in figure
            assert person.email not in figure


# ---------------------------------------------------------------- reasons, lessons, needs encouragement


def test_top_reasons_list_only_reasons_enough_people_picked(manager_client, team, owner, teammate, trusted):
    for person in (owner, teammate, trusted):
        log_loss(person, THIS_MONDAY, reasons=("timing",))
    log_loss(owner, THIS_MONDAY, reasons=("my-demo-pitch",))
    html = manager_client.get(dashboard_url(team, 4)).text
    assert '<th scope="row">Timing</th>' in html
    assert "My demo or pitch" not in html
    assert "1 more reason was picked by fewer than 3 people" in html


def test_lessons_show_only_when_the_owner_chose_to_share_them(manager_client, team, owner, teammate):
    kept = log_loss(owner, THIS_MONDAY, name="Initech")
    shared = log_loss(teammate, THIS_MONDAY, name="Globex")
    for deal, lesson in ((kept, "Kept to myself: ask about budget"), (shared, "Confirm the decision maker")):
        deal.reflection.lesson = lesson
        deal.reflection.save()
    share_with_team(kept, team, when=at(THIS_MONDAY, 9), include_lesson=False)
    share_with_team(shared, team, when=at(THIS_MONDAY, 9), include_lesson=True)
    html = manager_client.get(dashboard_url(team, 4)).text
    assert "Confirm the decision maker" in html
    assert "Shared by Theo Teammate" in html
    assert reverse("teams:shared_loss", kwargs={"code": shared.code}) in html
    assert "Kept to myself" not in html


def test_a_private_lesson_is_never_shown(manager_client, team, owner):
    deal = log_loss(owner, THIS_MONDAY, name="Umbrella")
    deal.reflection.lesson = "A private lesson"
    deal.reflection.save()
    html = manager_client.get(dashboard_url(team, 4)).text
    assert "A private lesson" not in html
    assert "Umbrella" not in html


def test_needs_encouragement_links_to_shares_without_support_after_a_day(
    manager_client, team, owner, teammate
):
    quiet = log_loss(owner, LAST_MONDAY, name="Quiet deal")
    helped = log_loss(teammate, LAST_MONDAY, name="Helped deal")
    fresh = log_loss(teammate, THIS_MONDAY, name="Fresh deal")
    share_with_team(quiet, team, when=NOW - datetime.timedelta(days=2))
    supported = share_with_team(helped, team, when=NOW - datetime.timedelta(days=2))
    share_with_team(fresh, team, when=NOW - datetime.timedelta(hours=3))
    team_services.comment_create(shared=supported, author=owner, body="Proud of you.")
    html = manager_client.client.get(dashboard_url(team, 4)).text  # read now: fresh is 3 hours old
    needs = re.search(r'aria-labelledby="needs-heading".*?</section>', html, re.S).group(0)
    assert reverse("teams:shared_loss", kwargs={"code": quiet.code}) in needs
    assert "Quiet deal" in needs
    assert "2\xa0days ago" in needs
    assert "Helped deal" not in needs
    assert "Fresh deal" not in needs


def test_needs_encouragement_keeps_the_account_name_hidden_if_the_owner_hid_it(manager_client, team, owner):
    deal = log_loss(owner, LAST_MONDAY, name="Secret account")
    share_with_team(deal, team, when=NOW - datetime.timedelta(days=2), show_name=False)
    html = manager_client.get(dashboard_url(team, 4)).text
    assert "Secret account" not in html
    assert "A deal lost at the proposal stage" in html


# ---------------------------------------------------------------- query count


# The session, the user and the team; then the figures (teams.morale), one query each whatever the data.
ACCESS_QUERIES = 3
# The closed weeks (frozen), support, first support, the reasons' names, lessons, needs encouragement.
MORALE_QUERIES = 6
# The first reading after a week closed also freezes it: which weeks are frozen, the members, the
# moods of reflections and of check-ins, the losses, the reasons, recoveries; the insert; reading again.
FREEZE_QUERIES = 9


def _spread_losses(team, how_many, weeks):
    """`how_many` losses, with moods, shares and support, spread over `weeks` weeks by three reps."""
    reps = add_reps(team, 3, start=10)
    for i in range(how_many):
        rep = reps[i % 3]
        lost_on = THIS_MONDAY - datetime.timedelta(days=(i * 7 * weeks // how_many) % (7 * weeks))
        deal = log_loss(rep, lost_on, mood=1 + i % 5, currency=("EUR", "GBP", "USD")[i % 3])
        if i % 4 == 0:
            shared = share_with_team(deal, team, when=at(lost_on, 9), include_lesson=True)
            with time_machine.travel(at(lost_on, 11), tick=False):
                team_services.comment_create(shared=shared, author=reps[(i + 1) % 3], body="With you.")
        if i % 3 == 0:
            with time_machine.travel(at(lost_on + datetime.timedelta(days=2)), tick=False):
                recovery_services.lost_deal_move_on(deal=deal)


@pytest.mark.parametrize(("losses", "weeks"), [(3, 4), (3, 52), (200, 4), (200, 52)])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    manager_client, manager, team, losses, weeks, django_assert_num_queries
):
    _spread_losses(team, losses, 52)
    members_all_along()
    with time_machine.travel(NEXT_WEEK, tick=False):
        # The first reading freezes the closed weeks (a fixed number of queries too); later ones read them.
        with django_assert_num_queries(ACCESS_QUERIES + FREEZE_QUERIES + MORALE_QUERIES + HEADER_QUERIES):
            first = manager_client.client.get(dashboard_url(team, weeks))
        with django_assert_num_queries(ACCESS_QUERIES + MORALE_QUERIES + HEADER_QUERIES):
            response = manager_client.client.get(dashboard_url(team, weeks))
    assert response.status_code == 200
    assert len(response.context["board"].weeks) == weeks

    def without_token(html):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)

    assert without_token(first.text) == without_token(response.text)


# ---------------------------------------------------------------- the chart helper


def test_series_chart_draws_gaps_and_breaks_the_line_at_them():
    chart = charts.series_chart(
        [
            charts.Datum("a", 2.0),
            charts.Datum("b", 3.0),
            charts.Datum("c", None, withheld=True),
            charts.Datum("d", 4.0),
            charts.Datum("e", None),
            charts.Datum("f", 5.0),
            charts.Datum("g", 1.0),
        ],
        kind="line",
        id="m",
        title="t",
        description="d",
        y_min=1,
        y_max=5,
    )
    assert [p.label for p in chart.points] == ["a", "b", "d", "f", "g"]
    assert len(chart.segments) == 2  # a-b and f-g; d stands alone
    assert [s.label for s in chart.withheld] == ["c"]
    assert [t.label for t in chart.ticks] == ["1", "2", "3", "4", "5"]


def test_series_chart_bars_only_for_values_and_labels_thinned_on_long_ranges():
    data = [charts.Datum(f"w{i}", None if i % 2 else float(i)) for i in range(52)]
    chart = charts.series_chart(data, id="b", title="t", description="d")
    assert len(chart.bars) == 26
    assert chart.slots[-1].show_label
    assert 8 <= sum(s.show_label for s in chart.slots) <= 16
    assert not chart.show_values
    tall = max(chart.bars, key=lambda b: b.value)
    assert tall.y >= chart.top


# ---------------------------------------------------------------- no subtraction across ranges


def test_two_range_totals_cannot_be_subtracted_to_reveal_a_hidden_week(team, owner, teammate, trusted):
    loner = add_reps(team, 1, start=20)[0]
    # The last four weeks: weeks 2, 3 and 4 back each hold one different person (hidden), and this
    # week three people (shown). Together the hidden weeks hold three people: the 4-week total shows.
    for person, weeks_ago in ((owner, 1), (teammate, 2), (trusted, 3)):
        log_loss(person, THIS_MONDAY - datetime.timedelta(weeks=weeks_ago))
    for person in (owner, teammate, trusted):
        log_loss(person, THIS_MONDAY)
    # Eight weeks back, one person alone lost three deals: that week is hidden.
    for _ in range(3):
        log_loss(loner, THIS_MONDAY - datetime.timedelta(weeks=8))
    members_all_along()
    short = morale.build_dashboard(team, 4, viewer=None, now=NEXT_WEEK)
    long = morale.build_dashboard(team, 12, viewer=None, now=NEXT_WEEK)
    lonely_week = long.series["losses"].cells[long.weeks.index(THIS_MONDAY - datetime.timedelta(weeks=8))]
    assert lonely_week.hidden
    short_total, long_total = short.series["losses"].total, long.series["losses"].total
    # Both totals can't be shown: their difference, less the weeks shown in between, is the hidden week.
    assert short_total.hidden or long_total.hidden, (
        f"12-week total {long_total.value} - 4-week total {short_total.value} = the loner's 3 losses"
    )
