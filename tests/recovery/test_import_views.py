"""The import pages: upload, columns, preview, confirm; who may see them; what each refusal says."""

import datetime
import uuid
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse

from recovery import imports
from recovery.models import CsvImport, LostDeal, Source
from tests.conftest import HEADER_QUERIES, make_loss
from tests.tasks import run_queued_tasks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crm"
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
START = reverse("recovery:import_start")
HUBSPOT_LOST = {"Globex – 200 seats", "Umbrella pilot", "Stark Industries", "Wayne Enterprises"}

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def csv_file(name, data=None):
    if data is None:
        data = (FIXTURES / name).read_bytes()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_upload(client, name="hubspot_deals.csv", data=None, currency="EUR", *, read=True):
    """Upload through the page; then, unless told not to, the worker reads the file (as
    `manage.py db_worker` would, a moment later)."""
    response = client.post(START, {"file": csv_file(name, data), "default_currency": currency})
    if read:
        run_queued_tasks()
    return response


def url(name, csv_import):
    return reverse(f"recovery:{name}", kwargs={"code": csv_import.code})


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def field_errors(response, field="file"):
    return response.context["form"].errors.get(field, [])


def uploaded(client, name="hubspot_deals.csv", data=None, *, read=True):
    """Upload through the page, as the rep does; the import it made."""
    response = post_upload(client, name, data, read=read)
    assert response.status_code == 302
    return CsvImport.objects.order_by("-pk").first()  # The clock is frozen: created_at ties.


@pytest.fixture
def hubspot_import(owner_client):
    return uploaded(owner_client)


CUSTOM_MAPPING = {
    "name": "Deal",
    "lost_on": "Lost on",
    "amount": "Value",
    "currency": "Currency",
    "reason": "Why",
    "default_currency": "EUR",
}


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login_from_the_upload_page(client, db, method):
    response = getattr(client, method)(START)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("method", "url_name"),
    [("get", "import_preview"), ("get", "import_map"), ("post", "import_map"), ("post", "import_confirm")],
)
def test_anonymous_is_sent_to_login_from_an_import(client, owner, method, url_name):
    csv_import = uploaded_as(owner)
    response = getattr(client, method)(url(url_name, csv_import))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not LostDeal.objects.exists()


def uploaded_as(user, name="hubspot_deals.csv"):
    read = imports.read_upload(name, (FIXTURES / name).read_bytes())
    kind, mapping = imports.recognise(read.table.columns)
    csv_import = imports.csv_import_create(owner=user, upload=read, kind=kind, mapping=mapping)
    run_queued_tasks()
    return csv_import


@pytest.mark.parametrize(
    ("method", "url_name"),
    [("get", "import_preview"), ("get", "import_map"), ("post", "import_map"), ("post", "import_confirm")],
)
def test_outsider_gets_404_on_someone_elses_import(outsider_client, owner, method, url_name):
    csv_import = uploaded_as(owner)
    response = getattr(outsider_client, method)(url(url_name, csv_import), CUSTOM_MAPPING)
    assert response.status_code == 404
    assert "Globex" not in response.text
    assert not LostDeal.objects.exists()
    assert CsvImport.objects.get(pk=csv_import.pk).mapping == csv_import.mapping


def test_an_import_that_does_not_exist_gets_404(owner_client):
    response = owner_client.get(reverse("recovery:import_preview", kwargs={"code": uuid.uuid4()}))
    assert response.status_code == 404


def test_the_confirmation_refused_to_an_outsider_works_for_the_owner(outsider_client, owner):
    csv_import = uploaded_as(owner)
    assert outsider_client.post(url("import_confirm", csv_import)).status_code == 404
    assert not LostDeal.objects.exists()

    outsider_client.force_login(owner)
    response = outsider_client.post(url("import_confirm", csv_import))
    assert response.status_code == 302
    assert set(LostDeal.objects.filter(owner=owner).values_list("name", flat=True)) == HUBSPOT_LOST


def test_get_on_confirm_is_refused(owner_client, hubspot_import):
    assert owner_client.get(url("import_confirm", hubspot_import)).status_code == 405
    assert not LostDeal.objects.exists()


def test_post_on_the_preview_is_refused(owner_client, hubspot_import):
    assert owner_client.post(url("import_preview", hubspot_import)).status_code == 405


def test_recent_imports_show_only_the_reps_own(owner_client, owner, outsider):
    uploaded_as(owner, "pipedrive_deals.csv")
    uploaded_as(outsider, "salesforce_opportunities.csv")
    response = owner_client.get(START)
    assert response.status_code == 200
    assert "pipedrive_deals.csv" in response.text
    assert "salesforce_opportunities.csv" not in response.text


# ---------------------------------------------------------------- upload


def test_upload_page_explains_which_exports_work(owner_client):
    response = owner_client.get(START)
    assert response.status_code == 200
    text = response.text
    assert "Deals → Export" in text
    assert "Opportunities report" in text
    assert 'enctype="multipart/form-data"' in text
    assert 'accept=".csv,' in text
    assert "Your recent imports" not in text


def test_uploading_a_hubspot_export_keeps_it_for_the_preview_and_imports_nothing_yet(owner_client, owner):
    response = post_upload(owner_client, currency="GBP")
    csv_import = CsvImport.objects.get(owner=owner)
    assert response.status_code == 302
    assert response.url == url("import_preview", csv_import)
    assert (csv_import.kind, csv_import.filename) == (CsvImport.Kind.HUBSPOT, "hubspot_deals.csv")
    assert csv_import.mapping["name"] == "Deal Name"
    assert csv_import.mapping["default_currency"] == "GBP"
    assert csv_import.content.startswith('"Record ID","Deal Name"')
    assert not LostDeal.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("binary_junk.csv", None, "This file doesn't look like a CSV: it isn't text."),
        ("header_only.csv", None, "This file has column names but no deals under them."),
        ("empty.csv", b"", "This file is empty."),
        ("blank.csv", b"\r\n  \r\n", "This file is empty."),
        ("deals.xlsx", b"PK\x03\x04" + b"\x00" * 50, "This looks like an Excel workbook (.xlsx), not a CSV."),
        ("huge.csv", b"Deal Name,Close Date\n" + b"x" * (5 * 1024 * 1024), "the most Rebound takes is 5 MB"),
        (
            "many.csv",
            b"Deal Name,Close Date\n" + b"Deal,2026-03-14\n" * 5001,
            "This file has more than 5,000 deals",
        ),
    ],
    ids=["binary", "header only", "empty", "blank lines", "xlsx", "over 5 MB", "over 5,000 rows"],
)
def test_a_file_that_cannot_be_imported_gets_a_clear_message_next_to_the_field(
    owner_client, name, data, says
):
    response = post_upload(owner_client, name, data)
    assert response.status_code == 200
    assert any(says in error for error in field_errors(response))
    assert says.replace("'", "&#x27;") in response.text
    assert 'aria-invalid="true"' in response.text
    assert not CsvImport.objects.exists()


def test_uploading_without_a_file_asks_for_one(owner_client):
    response = owner_client.post(START, {"default_currency": "EUR"})
    assert response.status_code == 200
    assert field_errors(response) == ["Choose the CSV file to import."]


def test_an_unknown_default_currency_is_refused(owner_client):
    response = post_upload(owner_client, currency="XXX")
    assert response.status_code == 200
    assert field_errors(response, "default_currency") == [
        "Choose a currency code from the list, such as EUR or USD."
    ]
    assert not CsvImport.objects.exists()


def test_a_utf16_tab_separated_export_from_excel_is_read(owner_client, owner):
    text = (
        "Record ID\tDeal Name\tDeal Stage\tClose Date\tAmount\tCurrency\tClosed Lost Reason\r\n"
        "77\tSociété Générale\tClosed lost\t2026-03-14\t1000\tEUR\tPrice\r\n"
    )
    csv_import = uploaded(owner_client, "unicode.txt", text.encode("utf-16"))
    response = owner_client.get(url("import_preview", csv_import))
    assert "Société Générale" in response.text
    assert [row.name for row in response.context["preview"].to_import] == ["Société Générale"]


def test_an_unrecognised_csv_goes_to_the_columns_page(owner_client):
    response = post_upload(owner_client, "latin1_accents.csv")
    csv_import = CsvImport.objects.get()
    assert csv_import.kind == CsvImport.Kind.CUSTOM
    assert response.url == url("import_map", csv_import)


def test_a_recognised_export_missing_its_close_date_goes_to_the_columns_page_and_says_so(owner_client):
    data = b"Record ID,Deal Name,Deal Stage,Amount\n1,Acme,Closed lost,100\n"
    response = post_upload(owner_client, "hubspot.csv", data)
    csv_import = CsvImport.objects.get()
    assert response.url == url("import_map", csv_import)
    assert message_texts(response) == [
        "This looks like a HubSpot deals export, but we couldn't find its date lost (close date) column. "
        "Pick it below."
    ]


# ---------------------------------------------------------------- columns


def test_the_columns_page_shows_the_first_rows_and_a_first_guess(owner_client):
    csv_import = uploaded(owner_client, "latin1_accents.csv")
    response = owner_client.get(url("import_map", csv_import))
    assert response.status_code == 200
    assert "Société Générale" in response.text
    form = response.context["form"]
    assert (form["name"].value(), form["lost_on"].value(), form["amount"].value()) == (
        "Deal",
        "Lost on",
        "Value",
    )
    assert "— Not in this file —" in response.text


def test_picking_the_columns_leads_to_the_preview(owner_client):
    csv_import = uploaded(owner_client, "latin1_accents.csv")
    response = owner_client.post(url("import_map", csv_import), CUSTOM_MAPPING)
    assert response.status_code == 302
    assert response.url == url("import_preview", csv_import)
    run_queued_tasks()
    csv_import.refresh_from_db()
    assert csv_import.mapping == CUSTOM_MAPPING
    preview = owner_client.get(url("import_preview", csv_import))
    assert [row.name for row in preview.context["preview"].to_import] == [
        "Société Générale",
        "Crédit Agricole",
    ]


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"name": ""}, "name", "Pick the column with the deal or account names."),
        ({"lost_on": ""}, "lost_on", "Pick the column with the dates lost."),
        ({"amount": "Not a column"}, "amount", "Pick one of the file's columns."),
        ({"lost_on": "Deal"}, "lost_on", "This is the column you picked for the deal name. Pick another."),
        ({"status": "Why"}, "lost_value", "Type the value that means a deal was lost, e.g. “Closed lost”."),
        ({"lost_value": "Lost"}, "status", "Pick the column that holds “Lost”, or clear that value."),
    ],
)
def test_a_mapping_that_cannot_work_says_why_next_to_the_field(owner_client, change, field, error):
    csv_import = uploaded(owner_client, "latin1_accents.csv")
    response = owner_client.post(url("import_map", csv_import), CUSTOM_MAPPING | change)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    csv_import.refresh_from_db()
    assert csv_import.mapping == {"default_currency": "EUR"}


def test_a_status_column_and_its_value_pick_the_lost_rows(owner_client):
    csv_import = uploaded(owner_client, "custom_status.csv")
    mapping = {"name": "Customer", "lost_on": "Decided on", "status": "Outcome", "lost_value": " lost "}
    owner_client.post(url("import_map", csv_import), mapping | {"default_currency": "USD"})
    run_queued_tasks()
    csv_import.refresh_from_db()
    assert csv_import.mapping["lost_value"] == "lost"
    preview = owner_client.get(url("import_preview", csv_import)).context["preview"]
    assert [row.name for row in preview.to_import] == ["Blue Sky Ltd", "Green Field"]


def test_preview_and_confirm_before_the_columns_are_picked_go_to_the_columns_page(owner_client):
    csv_import = uploaded(owner_client, "latin1_accents.csv")
    assert owner_client.get(url("import_preview", csv_import)).url == url("import_map", csv_import)
    assert owner_client.post(url("import_confirm", csv_import)).url == url("import_map", csv_import)
    assert not LostDeal.objects.exists()


# ---------------------------------------------------------------- preview


def test_preview_shows_what_will_be_imported_and_what_is_skipped_with_row_numbers(
    owner_client, hubspot_import
):
    response = owner_client.get(url("import_preview", hubspot_import))
    assert response.status_code == 200
    text = response.text
    for name in HUBSPOT_LOST:
        assert name in text
    assert "“Went with a competitor on price”" in text
    assert "<td>Price or budget, Chose a competitor</td>" in text
    assert "EUR 48,000" in text
    assert "Stages marked “guessed” aren't in your file: those deals are set to Proposal." in text
    assert "<td>9</td>" in text and "No deal name." in text
    assert "Not lost deals (won or still open): rows 3, 5, 8." in text
    assert ">Import 4 lost deals</button>" in text
    assert "Initech renewal" not in [row.name for row in response.context["to_import_shown"]]
    assert not LostDeal.objects.exists()


@pytest.mark.parametrize("how_many", [3, 120])
def test_preview_runs_a_fixed_number_of_queries(owner_client, owner, django_assert_num_queries, how_many):
    rows = "".join(
        f'"{i}","Deal {i}","Closed lost","2026-03-14","100","EUR","Price"\n' for i in range(how_many)
    )
    header = '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Currency","Closed Lost Reason"\n'
    make_loss(owner, name="Deal 0", crm_id="0")
    csv_import = uploaded(owner_client, "h.csv", (header + rows).encode())
    # Session, user, the import (its preview read by the task), the reasons, and the header.
    with django_assert_num_queries(4 + HEADER_QUERIES):
        response = owner_client.get(url("import_preview", csv_import))
    assert len(response.context["preview"].to_import) == how_many - 1


def test_a_long_preview_lists_the_first_rows_and_counts_them_all(owner_client):
    header = '"Record ID","Deal Name","Deal Stage","Close Date"\n'
    lost = "".join(f'"{i}","Deal {i}","Closed lost","2026-03-14"\n' for i in range(205))
    won = "".join(f'"w{i}","Won {i}","Closed won","2026-03-14"\n' for i in range(203))
    csv_import = uploaded(owner_client, "long.csv", (header + lost + won).encode())
    text = owner_client.get(url("import_preview", csv_import)).text
    assert "Lost deals to import: the first 200 of 205" in text
    assert '<th scope="row">Deal 199</th>' in text
    assert '<th scope="row">Deal 200</th>' not in text
    assert "rows 207, 208, " in text and ", 406 and 3 more." in text  # won rows 207 to 409
    assert ">Import 205 lost deals</button>" in text


@pytest.mark.parametrize("how_many", [1, 15])
def test_upload_page_runs_a_fixed_number_of_queries(owner_client, owner, django_assert_num_queries, how_many):
    for _ in range(how_many):
        uploaded_as(owner)
    # Session, user, the rep's recent imports, and the header.
    with django_assert_num_queries(3 + HEADER_QUERIES):
        response = owner_client.get(START)
    assert response.text.count("hubspot_deals.csv") == min(how_many, 10)


def test_a_preview_with_nothing_new_says_so_and_offers_no_import(owner_client, owner):
    imports.csv_import_confirm(csv_import=uploaded_as(owner))
    second = uploaded(owner_client)
    response = owner_client.get(url("import_preview", second))
    assert "Nothing to import" in response.text
    assert "Already in Rebound (imported before, with the same CRM id)." in response.text
    assert url("import_confirm", second) not in response.text


# ---------------------------------------------------------------- confirm


def test_confirming_imports_the_deals_and_sends_the_rep_home_to_reflect(owner_client, owner, hubspot_import):
    response = owner_client.post(url("import_confirm", hubspot_import))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert message_texts(response) == ["Imported 4 lost deals. They're waiting for your reflection."]
    losses = LostDeal.objects.filter(owner=owner)
    assert set(losses.values_list("name", flat=True)) == HUBSPOT_LOST
    assert set(losses.values_list("source", flat=True)) == {Source.CSV}
    home = owner_client.get(reverse("home")).text
    assert "Reflect on Globex – 200 seats" in home
    assert home.count("Imported from a CRM export") == 4


def test_one_deal_imported_is_said_in_the_singular(owner_client):
    data = b'"Record ID","Deal Name","Deal Stage","Close Date"\n"1","Solo","Closed lost","2026-03-14"\n'
    response = owner_client.post(url("import_confirm", uploaded(owner_client, "one.csv", data)))
    assert message_texts(response) == ["Imported 1 lost deal. It's waiting for your reflection."]


def test_confirming_twice_creates_nothing_new_and_says_it_was_done(owner_client, owner, hubspot_import):
    owner_client.post(url("import_confirm", hubspot_import), follow=True)
    response = owner_client.post(url("import_confirm", hubspot_import))
    assert response.url == url("import_preview", hubspot_import)
    assert message_texts(response) == [
        "You imported “hubspot_deals.csv” on 26 November 2026: nothing more to do with it. "
        "To bring in newer deals, upload a new export."
    ]
    assert LostDeal.objects.filter(owner=owner).count() == 4
    page = owner_client.get(url("import_preview", hubspot_import))
    assert "On 26 November 2026 you imported 4 lost deals from this HubSpot deals export." in page.text


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_columns_of_an_imported_file_can_no_longer_change(owner_client, hubspot_import, method):
    owner_client.post(url("import_confirm", hubspot_import), follow=True)
    response = getattr(owner_client, method)(url("import_map", hubspot_import), CUSTOM_MAPPING)
    assert response.url == url("import_preview", hubspot_import)
    assert message_texts(response)[0].startswith("You imported “hubspot_deals.csv” on 26 November 2026")
    hubspot_import.refresh_from_db()
    assert hubspot_import.mapping["name"] == "Deal Name"


def test_importing_the_same_file_twice_creates_nothing_new(owner_client, owner, hubspot_import):
    owner_client.post(url("import_confirm", hubspot_import), follow=True)
    second = uploaded(owner_client)
    response = owner_client.post(url("import_confirm", second))
    assert message_texts(response) == [
        "Nothing new to import: the deals in this file are already in Rebound, or were skipped."
    ]
    assert LostDeal.objects.filter(owner=owner).count() == 4


def test_a_database_failure_mid_import_leaves_nothing_and_says_so(
    owner_client, owner, hubspot_import, monkeypatch
):
    monkeypatch.setattr(imports.services, "BATCH_SIZE", 2)  # The first batch is written, then row 3 fails.
    real_new_loss = imports.services._new_loss
    calls = []

    def fail_on_third_row(owner, row):
        calls.append(row.name)
        if len(calls) == 3:
            raise DatabaseError("could not extend file")
        return real_new_loss(owner, row)

    monkeypatch.setattr(imports.services, "_new_loss", fail_on_third_row)
    response = owner_client.post(url("import_confirm", hubspot_import))
    assert response.status_code == 302
    assert response.url == url("import_preview", hubspot_import)
    assert message_texts(response) == [
        "Nothing was imported: something went wrong while saving. Your file is still here; try again."
    ]
    assert len(calls) == 3
    assert not LostDeal.objects.exists()
    hubspot_import.refresh_from_db()
    assert hubspot_import.imported_at is None


# ---------------------------------------------------------------- where imported losses show


def test_an_imported_loss_reflection_quotes_the_crm_and_asks_for_reasons_when_none_matched(
    owner_client, owner
):
    imports.csv_import_confirm(csv_import=uploaded_as(owner))
    wayne = LostDeal.objects.get(owner=owner, name="Wayne Enterprises")
    text = owner_client.get(reverse("recovery:reflection_edit", args=[wayne.code])).text
    assert "Your CRM said: “Other”" in text
    assert "You haven't picked the reasons for this loss yet." in text
    assert f'href="{reverse("recovery:loss_edit", args=[wayne.code])}"' in text
    assert "Imported from a CRM export" in text


def test_an_imported_loss_with_matched_reasons_shows_them_as_usual(owner_client, owner):
    imports.csv_import_confirm(csv_import=uploaded_as(owner))
    globex = LostDeal.objects.get(owner=owner, name="Globex – 200 seats")
    text = owner_client.get(reverse("recovery:reflection_edit", args=[globex.code])).text
    assert "Your CRM said: “Went with a competitor on price”" in text
    assert "You haven't picked the reasons" not in text
    assert "these were outside your control" in text


def test_a_loss_logged_by_hand_shows_no_crm_line_or_badge(owner_client, loss):
    text = owner_client.get(reverse("recovery:reflection_edit", args=[loss.code])).text
    assert "Your CRM said" not in text
    assert "Imported from" not in text


def test_my_losses_links_to_the_import_page(owner_client):
    text = owner_client.get(reverse("recovery:loss_list")).text
    assert f'href="{START}"' in text
    assert "Import from your CRM" in text
