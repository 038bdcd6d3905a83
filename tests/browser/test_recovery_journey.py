"""A rep logs a loss, reflects in two sittings, checks in, moves on and sees it counted."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_log_reflect_check_in_move_on_and_export(page, owner, tmp_path):
    log_in(page, owner)
    lost_on = timezone.localdate() - datetime.timedelta(days=3)

    # Log a lost deal: one short form, then straight to the reflection.
    page.get_by_role("link", name="Log a lost deal").click()
    page.get_by_label("Deal or account").fill("Globex expansion")
    page.get_by_label("Amount").fill("48000")
    page.get_by_label("Currency").select_option("GBP")
    page.get_by_label("Stage lost at").select_option("negotiation")
    page.get_by_label("Date lost").fill(lost_on.isoformat())
    page.get_by_label("Price or budget").check()
    page.get_by_label("My follow-up").check()
    page.get_by_role("textbox", name="Competitor").fill("Initech")
    page.get_by_role("button", name="Log it, then reflect").click()
    expect(page.get_by_role("heading", name="Reflect on Globex expansion")).to_be_visible()

    # First sitting: feelings and mood, then save part-way.
    page.get_by_label("Disappointed").check()
    page.get_by_label("Frustrated").check()
    page.get_by_label("2 · Low").check()
    page.get_by_label("Who will you talk to about it?").fill("Priya, who has lost to Initech too")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Saved. Come back whenever you're ready.")).to_be_visible()

    # The list marks it half-finished; the second sitting finds everything kept.
    page.get_by_role("link", name="My losses").first.click()
    row = page.get_by_role("row").filter(has_text="Globex expansion")
    expect(row.get_by_text("Half-finished reflection")).to_be_visible()
    row.get_by_role("link", name="Globex expansion").click()
    page.get_by_role("link", name="Continue your reflection").click()
    expect(page.get_by_label("Disappointed")).to_be_checked()
    expect(page.get_by_label("2 · Low")).to_be_checked()
    expect(page.get_by_text("Price or budget").first).to_be_visible()
    page.get_by_label("One lesson or skill to work on").fill("Follow up within two days, every time.")
    page.get_by_role("button", name="Finish reflection").click()
    expect(page.get_by_role("heading", name="Globex expansion", exact=True)).to_be_visible()
    expect(page.get_by_text("Reflected", exact=True)).to_be_visible()
    expect(page.get_by_text("Only you can see this loss.")).to_be_visible()

    # A check-in from the loss page, then "I've felt it, and I'm moving on".
    page.get_by_label("4 · Fairly good").check()
    page.get_by_label("Anything to add?").fill("Talked it through with Priya.")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Talked it through with Priya.")).to_be_visible()
    page.get_by_role("button", name="I've felt it, and I'm moving on").click()
    expect(page.get_by_text("3 days after the loss")).to_be_visible()

    # My recovery counts it: the median recovery time is this loss's three days.
    page.get_by_role("link", name="My recovery").first.click()
    expect(page.get_by_text("Follow up within two days, every time.")).to_be_visible()
    recovery = page.get_by_role("region", name="Recovery time")
    expect(recovery).to_contain_text("3 days")

    # My data: the CSV download holds the loss.
    page.get_by_text(owner.name).first.click()
    page.get_by_role("link", name="My data").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a spreadsheet (CSV)").click()
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)
    exported = path.read_text(encoding="utf-8-sig")
    assert "Globex expansion" in exported
    assert "Follow up within two days, every time." in exported
