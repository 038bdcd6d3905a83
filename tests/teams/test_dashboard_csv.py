"""The dashboard's CSV: the weekly figures exactly as the page shows them, hidden cells hidden."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from recovery import services as recovery_services
from teams import morale
from teams import services as team_services
from tests.conftest import at, log_loss
from tests.teams.test_dashboard_views import (
    HIDDEN,
    LAST_MONDAY,
    NOW,
    THIS_MONDAY,
    NextWeekClient,
    section,
    share_with_team,
    table_cells,
)

pytestmark = pytest.mark.time_machine(NOW, tick=False)

HEADER = [
    "Week starting",
    "ISO week",
    "Mood index (1 to 5)",
    "Losses logged",
    "Share rate (%)",
    "Support given",
    "Time to first support (hours)",
    "Recovery time (days)",
    "Not personal (%)",
]


def csv_url(team, weeks=None):
    url = reverse("teams:dashboard_csv", kwargs={"code": team.code})
    return f"{url}?weeks={weeks}" if weeks else url


def read_csv(response) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def manager_client(client, manager, team):
    client.force_login(manager)
    return NextWeekClient(client)


# ---------------------------------------------------------------- who may download it


def test_manager_downloads_the_csv_as_an_attachment(manager_client, team):
    response = manager_client.get(csv_url(team, 4))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="rebound-morale-emea-mid-market-4-weeks-2026-11-26.csv"'
    )
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "former_member", "other_team_member"])
def test_anyone_but_a_manager_of_the_team_gets_404(client, request, team, owner, teammate, persona):
    for person in (owner, teammate):
        log_loss(person, THIS_MONDAY)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(csv_url(team))
    assert response.status_code == 404
    assert "Content-Disposition" not in response


def test_the_same_request_succeeds_for_the_manager(client, team, owner, manager):
    client.force_login(owner)
    assert client.get(csv_url(team, 4)).status_code == 404
    client.force_login(manager)
    assert client.get(csv_url(team, 4)).status_code == 200


def test_anonymous_is_sent_to_login(client, team):
    response = client.get(csv_url(team))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_csv_refuses_post(manager_client, team):
    assert manager_client.post(csv_url(team)).status_code == 405


# ---------------------------------------------------------------- content


@pytest.mark.parametrize("weeks", morale.RANGES)
def test_one_row_per_week_and_a_range_row(manager_client, team, weeks):
    rows = read_csv(manager_client.get(csv_url(team, weeks)))
    assert list(rows[0]) == HEADER
    assert len(rows) == weeks + 1
    assert rows[-2]["Week starting"] == "2026-11-16"
    assert rows[-2]["ISO week"] == "2026-W47"
    assert rows[-1]["Week starting"] == "Range"
    assert rows[-1]["ISO week"].endswith("to 2026-W47")
    mondays = [datetime.date.fromisoformat(r["Week starting"]) for r in rows[:-1]]
    assert all(m.weekday() == 0 for m in mondays)
    assert mondays == sorted(mondays)


def test_the_csv_holds_the_figures_with_per_currency_columns(manager_client, team, owner, teammate, trusted):
    for person, mood in ((owner, 2), (teammate, 3), (trusted, 5)):
        log_loss(person, THIS_MONDAY, mood=mood, amount=1000, currency="EUR")
        log_loss(person, THIS_MONDAY, amount=250.5, currency="GBP", reasons=("my-follow-up",))
    shared = share_with_team(owner.lost_deals.first(), team, when=at(THIS_MONDAY, 9))
    with time_machine.travel(at(THIS_MONDAY, 15), tick=False):
        team_services.comment_create(shared=shared, author=teammate, body="With you.")
        for person in (owner, teammate, trusted):
            recovery_services.lost_deal_move_on(deal=person.lost_deals.first())
    rows = read_csv(manager_client.get(csv_url(team, 4)))
    assert list(rows[0])[-2:] == ["Amount lost (EUR)", "Amount lost (GBP)"]
    week = rows[-2]
    assert week["Mood index (1 to 5)"] == "3.3"  # (2 + 3 + 5) / 3
    assert week["Losses logged"] == "6"
    assert week["Share rate (%)"] == "17"  # 1 of 6
    assert week["Support given"] == "1"
    assert week["Time to first support (hours)"] == "6"
    assert week["Recovery time (days)"] == "0"
    assert week["Not personal (%)"] == "50"  # price for 3 losses, follow-up for 3
    assert week["Amount lost (EUR)"] == "3000"
    assert week["Amount lost (GBP)"] == "751.50"
    # Weeks without data are empty cells, not zeros (support, a count of shared activity, is 0).
    quiet = rows[0]
    assert quiet["Mood index (1 to 5)"] == ""
    assert quiet["Losses logged"] == ""
    assert quiet["Support given"] == "0"
    # The range row: everything happened this week.
    assert rows[-1]["Losses logged"] == "6"
    assert rows[-1]["Amount lost (GBP)"] == "751.50"


def test_hidden_cells_stay_hidden_in_the_csv(manager_client, team, owner, teammate):
    log_loss(owner, THIS_MONDAY, mood=1, amount=77777)
    log_loss(teammate, THIS_MONDAY, mood=2, amount=11111)
    response = manager_client.get(csv_url(team, 4))
    text = response.content.decode("utf-8")
    for leak in ("77777", "11111", "88888", "1.5"):
        assert leak not in text
    rows = read_csv(response)
    for row in (rows[-2], rows[-1]):  # this week, and the range
        for column in ("Mood index (1 to 5)", "Losses logged", "Share rate (%)", "Not personal (%)"):
            assert row[column] == HIDDEN, column
        assert row["Amount lost (EUR)"] == HIDDEN


def test_the_range_row_is_hidden_when_it_would_give_a_hidden_week_away(
    manager_client, team, owner, teammate, trusted
):
    for person in (owner, teammate, trusted):
        log_loss(person, LAST_MONDAY)
    log_loss(owner, THIS_MONDAY)
    rows = read_csv(manager_client.get(csv_url(team, 4)))
    assert [r["Losses logged"] for r in rows] == ["", "", "3", HIDDEN, HIDDEN]


def test_the_csv_says_what_the_page_shows(manager_client, team, owner, teammate, trusted):
    for person in (owner, teammate, trusted):
        log_loss(person, LAST_MONDAY, mood=4)
    log_loss(owner, THIS_MONDAY, mood=1)
    page = manager_client.get(reverse("teams:dashboard", kwargs={"code": team.code}) + "?weeks=4").text
    rows = read_csv(manager_client.get(csv_url(team, 4)))
    for figure, column in (("mood", "Mood index (1 to 5)"), ("losses", "Losses logged")):
        shown = table_cells(section(page, figure))
        in_csv = [r[column] for r in rows]
        on_page = [shown[w] for w in ("26 Oct", "2 Nov", "9 Nov", "16 Nov", "All 4 weeks")]
        assert in_csv == [("" if text == "—" else text) for text in on_page]


def test_an_unknown_range_gives_the_default_range(manager_client, team):
    rows = read_csv(manager_client.get(csv_url(team) + "?weeks=1000"))
    assert len(rows) == morale.DEFAULT_RANGE + 1
