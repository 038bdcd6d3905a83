"""A manager opens the team morale dashboard, changes the range, downloads the CSV and follows
a loss that needs encouragement to its page."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import log_loss
from tests.teams.test_dashboard_views import members_all_along, share_with_team


@pytest.fixture
def team_week(team, owner, teammate, trusted):
    """Three long-standing members logged losses last week (enough to show), and one shared two days
    ago has no support."""
    members_all_along()
    today = timezone.localdate()
    for person, mood in ((owner, 2), (teammate, 3), (trusted, 4)):
        log_loss(person, today - datetime.timedelta(weeks=1), mood=mood)
    quiet = log_loss(owner, today - datetime.timedelta(days=3), name="Initech renewal")
    share_with_team(quiet, team, when=timezone.now() - datetime.timedelta(days=2))
    return quiet


def test_manager_reads_the_dashboard_downloads_it_and_follows_a_quiet_loss(
    page, manager, team, team_week, tmp_path
):
    log_in(page, manager)
    # The team page has no link to the dashboard yet (the teams pages are another piece of work).
    page.goto(reverse("teams:dashboard", kwargs={"code": team.code}))
    expect(page.get_by_role("heading", name="Team morale: EMEA Mid-Market")).to_be_visible()
    expect(page.get_by_text("not a league table")).to_be_visible()

    # The range: 12 weeks first, then 4.
    picker = page.get_by_role("navigation", name="Range")
    expect(picker.get_by_role("link", name="12 weeks")).to_have_attribute("aria-current", "page")
    picker.get_by_role("link", name="4 weeks").click()
    expect(picker.get_by_role("link", name="4 weeks")).to_have_attribute("aria-current", "page")
    expect(picker.get_by_role("link", name="12 weeks")).not_to_have_attribute("aria-current", "page")

    # The charts are drawn: last week's mood is a point, its losses a bar, with the numbers beside.
    mood = page.get_by_role("region", name="Mood index")
    expect(mood.get_by_role("img", name="Mood index, week by week")).to_be_visible()
    expect(mood.locator("svg circle.chart__dot")).to_have_count(1)
    expect(mood.get_by_role("table")).to_contain_text("3")  # (2 + 3 + 4) / 3
    losses = page.get_by_role("region", name="Losses logged")
    expect(losses.locator("svg rect.chart__bar")).not_to_have_count(0)

    # The CSV of those four weeks.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these 4 weeks (CSV)").click()
    path = tmp_path / "morale.csv"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename.startswith("rebound-morale-emea-mid-market-4-weeks-")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 5
    assert rows[-1]["Week starting"] == "Range"
    assert rows[-2]["Mood index (1 to 5)"] == "3"

    # A loss shared two days ago with no support yet: straight to it.
    needs = page.get_by_role("region", name="Needs encouragement")
    needs.get_by_role("link", name="Initech renewal").click()
    expect(page.get_by_role("heading", name="Initech renewal", level=1)).to_be_visible()
    assert page.url.endswith(reverse("teams:shared_loss", kwargs={"code": team_week.code}))
