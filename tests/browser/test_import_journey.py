"""A rep imports their lost deals from a HubSpot export, checks the preview, and reflects on one."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from recovery.models import LostDeal, Source
from tests.browser.conftest import log_in
from tests.tasks import worker_thread

HUBSPOT_EXPORT = Path(__file__).resolve().parent.parent / "fixtures" / "crm" / "hubspot_deals.csv"


@pytest.fixture
def worker(live_server):
    """A real task worker beside the live server, as `make run` starts one: it reads the uploads."""
    with worker_thread() as loop:
        yield loop


def test_import_a_hubspot_export_then_reflect_on_an_imported_loss(page, owner, worker):
    log_in(page, owner)

    # From My losses to the import page; upload the export.
    page.get_by_role("link", name="My losses").first.click()
    page.get_by_role("link", name="Import from your CRM").click()
    expect(page.get_by_role("heading", name="Import lost deals from your CRM")).to_be_visible()
    page.get_by_label("Your CRM export").set_input_files(HUBSPOT_EXPORT)
    page.get_by_label("Currency, where the file doesn't say").select_option("GBP")
    page.get_by_role("button", name="Upload and preview").click()

    # The worker reads the file; the progress page turns into the preview by itself (its script
    # polls the progress and reloads when done). The preview: the lost deals to import, the rows
    # skipped and why. Nothing saved yet.
    expect(page.get_by_role("heading", name="Check what will be imported")).to_be_visible()
    to_import = page.get_by_role("table", name="Lost deals to import")
    expect(to_import.get_by_role("row")).to_have_count(5)  # the header and four deals
    globex = to_import.get_by_role("row").filter(has_text="Globex – 200 seats")
    expect(globex).to_contain_text("EUR 48,000")
    expect(globex).to_contain_text("“Went with a competitor on price”")
    expect(globex).to_contain_text("Price or budget, Chose a competitor")
    expect(globex).to_contain_text("guessed")
    stark = to_import.get_by_role("row").filter(has_text="Stark Industries")
    expect(stark).to_contain_text("No amount")
    skipped = page.get_by_role("table", name="Rows skipped, and why")
    expect(skipped.get_by_role("row").filter(has_text="No deal name.")).to_contain_text("9")
    expect(page.get_by_text("Not lost deals (won or still open): rows 3, 5, 8.")).to_be_visible()
    assert not LostDeal.objects.filter(owner=owner).exists()

    # Confirm: home, with the imported losses waiting to be reflected on.
    page.get_by_role("button", name="Import 4 lost deals").click()
    expect(page.get_by_text("Imported 4 lost deals. They're waiting for your reflection.")).to_be_visible()
    to_reflect = page.get_by_role("region", name="To reflect")
    expect(to_reflect.get_by_role("listitem")).to_have_count(4)
    expect(to_reflect.get_by_text("Imported from a CRM export")).to_have_count(4)
    assert set(LostDeal.objects.filter(owner=owner).values_list("source", flat=True)) == {Source.CSV}

    # Reflect on one: the CRM's words are there, and no reason was picked yet for "Other".
    to_reflect.get_by_role("link", name="Reflect on Wayne Enterprises").click()
    expect(page.get_by_role("heading", name="Reflect on Wayne Enterprises")).to_be_visible()
    expect(page.get_by_text("Your CRM said: “Other”")).to_be_visible()
    expect(page.get_by_role("link", name="Pick the reasons")).to_be_visible()
    page.get_by_label("Disappointed").check()
    page.get_by_label("3 · Okay").check()
    page.get_by_label("One lesson or skill to work on").fill("Ask who else is in the running.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Saved. Come back whenever you're ready.")).to_be_visible()
    expect(page.get_by_label("Disappointed")).to_be_checked()
    wayne = LostDeal.objects.get(owner=owner, name="Wayne Enterprises")
    assert wayne.reflection.lesson == "Ask who else is in the running."

    # Uploading the same export again brings in nothing new.
    page.get_by_role("link", name="My losses").first.click()
    page.get_by_role("link", name="Import from your CRM").click()
    page.get_by_label("Your CRM export").set_input_files(HUBSPOT_EXPORT)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Nothing to import")).to_be_visible()
    expect(page.get_by_text("Already in Rebound (imported before, with the same CRM id).")).to_have_count(4)
    assert LostDeal.objects.filter(owner=owner).count() == 4


def test_the_progress_page_turns_into_the_preview_by_itself_once_the_worker_has_read_the_file(page, owner):
    log_in(page, owner)
    page.goto("/imports/")
    page.get_by_label("Your CRM export").set_input_files(HUBSPOT_EXPORT)
    page.get_by_role("button", name="Upload and preview").click()

    # No worker yet: the file waits, and the page says so, with its bar and a link to refresh.
    expect(page.get_by_role("heading", name="Reading “hubspot_deals.csv”")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Waiting to start reading")).to_have_attribute("max", "8")
    expect(page.get_by_role("link", name="Refresh to see how far it has got")).to_be_visible()

    # The worker starts: without a click, the page shows the preview.
    with worker_thread():
        expect(page.get_by_role("heading", name="Check what will be imported")).to_be_visible()
    expect(page.get_by_role("button", name="Import 4 lost deals")).to_be_visible()
