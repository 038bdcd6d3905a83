"""My data: the page, and the CSV and JSON exports of everything a rep wrote (theirs only)."""

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from recovery import exports
from recovery.models import CheckIn, LostDeal, Reflection, Source
from tests.conftest import HEADER_QUERIES, make_loss

PAGE = reverse("recovery:my_data")
CSV_URL = reverse("recovery:export_csv")
JSON_URL = reverse("recovery:export_json")
UTC = datetime.UTC
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DEAL_NAME = "Northwind Traders \u2013 renewal"  # with an en dash


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def read_csv(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def full_loss(frozen, owner, teammate):
    """A loss with every field filled: reasons, a finished reflection, check-ins of every kind."""
    deal = make_loss(
        owner,
        name=DEAL_NAME,
        days_ago=10,
        reasons=("price-budget", "my-discovery"),
        amount=12000,
        currency="EUR",
        competitor="Globex",
        notes="They'll revisit next year.",
    )
    lost = deal.lost_on
    Reflection.objects.filter(deal=deal).update(
        emotions=["disappointed", "determined"],
        mood=2,
        mood_at=datetime.datetime(2026, 6, 5, 18, 30, tzinfo=UTC),
        feelings="It stings.",
        talk_to="Maya",
        unhelpful_advice="You didn't want that client anyway.",
        outside_control="Their budget was cut.",
        lesson="Find the economic buyer early.",
        finished_at=datetime.datetime(2026, 6, 5, 19, 0, tzinfo=UTC),
    )
    CheckIn.objects.create(
        deal=deal,
        owner_id=deal.owner_id,
        due_on=lost + datetime.timedelta(days=1),
        mood=3,
        note="Talked to Maya.",
        answered_at=datetime.datetime(2026, 6, 6, 9, 0, tzinfo=UTC),
    )
    CheckIn.objects.create(
        deal=deal,
        owner_id=deal.owner_id,
        due_on=lost + datetime.timedelta(days=3),
        dismissed_at=datetime.datetime(2026, 6, 8, tzinfo=UTC),
    )
    CheckIn.objects.create(deal=deal, owner_id=deal.owner_id, due_on=lost + datetime.timedelta(days=7))
    CheckIn.objects.create(
        deal=deal,
        owner_id=deal.owner_id,
        mood=4,
        answered_at=datetime.datetime(2026, 6, 14, 8, 0, tzinfo=UTC),
    )
    deal.reflection.people.set([teammate])
    LostDeal.objects.filter(pk=deal.pk).update(
        moved_on_at=datetime.datetime(2026, 6, 14, 8, 5, tzinfo=UTC),
        recovery_days=9,
        source=Source.CSV,
        crm_id="HS-1042",
        crm_reason="Went with a cheaper vendor",
    )
    deal.refresh_from_db()
    return deal


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, CSV_URL, JSON_URL])
def test_anonymous_is_redirected_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("url", [PAGE, CSV_URL, JSON_URL])
def test_post_is_refused(owner_client, url):
    assert owner_client.post(url).status_code == 405


@pytest.mark.parametrize("url", [PAGE, CSV_URL, JSON_URL])
def test_another_users_losses_never_appear(owner_client, owner, outsider, url):
    make_loss(owner, name="Acme renewal")
    theirs = make_loss(outsider, name="Zebra Secret Deal", notes="Outsider's notes")
    Reflection.objects.filter(deal=theirs).update(lesson="Outsider's lesson")
    CheckIn.objects.create(
        deal=theirs, owner_id=theirs.owner_id, mood=1, note="Outsider's check-in", answered_at=timezone.now()
    )

    response = owner_client.get(url)

    body = response.content.decode()
    assert response.status_code == 200
    for secret in ("Zebra Secret Deal", "Outsider", str(theirs.code)):
        assert secret not in body
    if url != PAGE:
        assert "Acme renewal" in body


# --- the page ---------------------------------------------------------------------------------


def test_page_explains_the_export_and_links_to_both_files(owner_client, owner):
    deal = make_loss(owner, days_ago=10)
    CheckIn.objects.create(deal=deal, owner_id=deal.owner_id, mood=3, answered_at=timezone.now())
    CheckIn.objects.create(
        deal=deal, owner_id=deal.owner_id, due_on=timezone.localdate()
    )  # not answered: not counted
    make_loss(owner, name="Second")

    response = owner_client.get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{CSV_URL}"' in html
    assert f'href="{JSON_URL}"' in html
    assert "<strong>2 losses</strong>" in html
    assert "<strong>1 check-in</strong>" in html
    assert "<dt>check_ins</dt>" in html  # every column is documented
    assert html.count("<dt>") == len(exports.CSV_HEADER)


def test_page_for_a_rep_with_nothing_yet(owner_client):
    html = owner_client.get(PAGE).content.decode()
    assert "<strong>0 losses</strong>" in html


# --- CSV --------------------------------------------------------------------------------------


def test_csv_is_an_attachment_named_with_the_date(frozen, owner_client, loss):
    response = owner_client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="rebound-export-2026-06-15.csv"'
    assert "no-store" in response["Cache-Control"]


def test_csv_has_one_row_per_loss_with_every_field(owner_client, full_loss):
    rows = read_csv(owner_client.get(CSV_URL))

    assert len(rows) == 1
    row = rows[0]
    assert list(row) == exports.CSV_HEADER
    assert row["id"] == str(full_loss.code)
    assert row["deal"] == DEAL_NAME
    assert (row["amount"], row["currency"]) == ("12000.00", "EUR")
    assert row["stage"] == "Proposal"
    assert row["date_lost"] == "2026-06-05"
    assert row["reasons"] == "Price or budget; My discovery"
    assert row["reasons_outside_control"] == "1"
    assert row["competitor"] == "Globex"
    assert row["notes"] == "They'll revisit next year."
    assert row["emotions"] == "Disappointed; Determined"
    assert row["mood"] == "2"
    assert row["mood_at"] == "2026-06-05T18:30:00+00:00"
    assert row["feelings"] == "It stings."
    assert row["colleagues"] == full_loss.reflection.people.get().name
    assert row["talk_to"] == "Maya"
    assert row["unhelpful_advice"] == "You didn't want that client anyway."
    assert row["outside_control"] == "Their budget was cut."
    assert row["lesson"] == "Find the economic buyer early."
    assert row["reflection_finished_at"] == "2026-06-05T19:00:00+00:00"
    assert row["check_ins_answered"] == "2"
    assert row["check_ins"] == (
        "2026-06-06: 3/5 “Talked to Maya.” | 2026-06-08: dismissed | "
        "2026-06-12: not answered | 2026-06-14: 4/5"
    )
    assert row["moved_on_at"] == "2026-06-14T08:05:00+00:00"
    assert row["recovery_days"] == "9"
    assert row["source"] == "Imported from a CRM export"
    assert (row["crm_id"], row["crm_reason"]) == ("HS-1042", "Went with a cheaper vendor")


def test_csv_rows_are_oldest_first_and_empty_fields_stay_empty(frozen, owner_client, owner):
    make_loss(owner, name="Newer", days_ago=1, amount=None, reasons=())
    make_loss(owner, name="Older", days_ago=30)

    rows = read_csv(owner_client.get(CSV_URL))

    assert [r["deal"] for r in rows] == ["Older", "Newer"]
    newer = rows[1]
    assert newer["amount"] == ""
    assert newer["reasons"] == ""
    assert newer["mood"] == ""
    assert newer["moved_on_at"] == ""
    assert newer["colleagues"] == ""
    assert (newer["source"], newer["crm_id"], newer["crm_reason"]) == ("Logged by hand", "", "")
    assert newer["check_ins_answered"] == "0"
    # The service created the prompts still ahead: days 3 and 7 (day 1 is today, already past).
    assert newer["check_ins"] == "2026-06-17: not answered | 2026-06-21: not answered"


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(owner_client, owner):
    deal = make_loss(
        owner,
        name='=HYPERLINK("http://evil.example","Click")',
        competitor="@SUM(A1:A9)",
        notes="+1 555 0100",
    )
    Reflection.objects.filter(deal=deal).update(lesson="-2 calls a day is too few", feelings="\t=cmd")

    row = read_csv(owner_client.get(CSV_URL))[0]

    assert row["deal"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["competitor"] == "'@SUM(A1:A9)"
    assert row["notes"] == "'+1 555 0100"
    assert row["lesson"] == "'-2 calls a day is too few"
    assert row["feelings"] == "'\t=cmd"
    assert row["amount"] == "12000.00"  # ordinary values are left alone


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-5", "'-5"),
        ("@A1", "'@A1"),
        ("\r=1", "'\r=1"),
        ("Acme = good", "Acme = good"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_safe_cell(value, cell):
    assert exports.safe_cell(value) == cell


def test_csv_of_a_rep_with_no_losses_has_just_the_header(owner_client):
    response = owner_client.get(CSV_URL)
    text = response.content.decode("utf-8-sig")
    assert text.strip() == ",".join(exports.CSV_HEADER)


# --- JSON -------------------------------------------------------------------------------------


def test_json_is_an_attachment_named_with_the_date(frozen, owner_client, loss):
    response = owner_client.get(JSON_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="rebound-export-2026-06-15.json"'
    assert "no-store" in response["Cache-Control"]


def test_json_nests_reflection_and_check_ins(owner_client, owner, full_loss):
    data = json.loads(owner_client.get(JSON_URL).content)

    assert data["format"] == "rebound-export"
    assert data["exported_at"] == "2026-06-15T12:00:00+00:00"
    assert data["account"] == {"email": owner.email, "name": owner.name}
    assert len(data["losses"]) == 1
    loss = data["losses"][0]
    assert loss["id"] == str(full_loss.code)
    assert loss["deal"] == DEAL_NAME
    assert loss["amount"] == "12000.00"
    assert loss["currency"] == "EUR"
    assert loss["stage"] == "proposal"
    assert loss["date_lost"] == "2026-06-05"
    assert loss["reasons"] == [
        {"slug": "price-budget", "label": "Price or budget", "outside_control": True},
        {"slug": "my-discovery", "label": "My discovery", "outside_control": False},
    ]
    assert loss["competitor"] == "Globex"
    assert loss["reflection"] == {
        "feel": {
            "emotions": ["disappointed", "determined"],
            "mood": 2,
            "mood_at": "2026-06-05T18:30:00+00:00",
            "feelings": "It stings.",
        },
        "people": {
            "colleagues": [full_loss.reflection.people.get().name],
            "talk_to": "Maya",
            "unhelpful_advice": "You didn't want that client anyway.",
        },
        "not_personal": {
            "outside_control": "Their budget was cut.",
            "lesson": "Find the economic buyer early.",
        },
        "finished_at": "2026-06-05T19:00:00+00:00",
    }
    assert loss["check_ins"] == [
        {
            "due_on": "2026-06-06",
            "mood": 3,
            "note": "Talked to Maya.",
            "answered_at": "2026-06-06T09:00:00+00:00",
            "dismissed_at": None,
        },
        {
            "due_on": "2026-06-08",
            "mood": None,
            "note": "",
            "answered_at": None,
            "dismissed_at": "2026-06-08T00:00:00+00:00",
        },
        {"due_on": "2026-06-12", "mood": None, "note": "", "answered_at": None, "dismissed_at": None},
        {
            "due_on": None,
            "mood": 4,
            "note": "",
            "answered_at": "2026-06-14T08:00:00+00:00",
            "dismissed_at": None,
        },
    ]
    assert loss["moved_on_at"] == "2026-06-14T08:05:00+00:00"
    assert loss["recovery_days"] == 9
    assert (loss["source"], loss["crm_id"], loss["crm_reason"]) == (
        "csv",
        "HS-1042",
        "Went with a cheaper vendor",
    )


def test_json_amount_left_out_is_null(owner_client, owner):
    make_loss(owner, amount=None)
    assert json.loads(owner_client.get(JSON_URL).content)["losses"][0]["amount"] is None


def test_json_keeps_text_as_typed(owner_client, owner):
    make_loss(owner, name='=cmd "quoted" <b>Chloé</b>')
    data = json.loads(owner_client.get(JSON_URL).content)
    assert data["losses"][0]["deal"] == '=cmd "quoted" <b>Chloé</b>'


# --- query counts -----------------------------------------------------------------------------


def make_losses(owner, count, colleagues=()):
    for i in range(count):
        deal = make_loss(owner, name=f"Deal {i}", days_ago=i % 40, reasons=("timing", "my-follow-up"))
        Reflection.objects.filter(deal=deal).update(mood=2, mood_at=timezone.now(), lesson=f"Lesson {i}")
        deal.reflection.people.set(colleagues)
        CheckIn.objects.create(deal=deal, owner_id=deal.owner_id, mood=3, answered_at=timezone.now())


@pytest.mark.parametrize("count", [3, 50])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # Session, user; then losses with reflections, their reasons, the colleagues picked in the
        # reflections, their check-ins.
        (CSV_URL, 6),
        (JSON_URL, 6),
        # Session, user; then one count of losses and answered check-ins.
        (PAGE, 3),
    ],
)
def test_query_count_does_not_grow_with_the_data(
    django_assert_num_queries, owner_client, owner, teammate, count, url, queries
):
    make_losses(owner, count, colleagues=[teammate])
    with django_assert_num_queries(queries + (HEADER_QUERIES if url == PAGE else 0)):
        response = owner_client.get(url)
    assert response.status_code == 200
    if url == CSV_URL:
        assert len(read_csv(response)) == count
    if url == JSON_URL:
        assert len(json.loads(response.content)["losses"]) == count
