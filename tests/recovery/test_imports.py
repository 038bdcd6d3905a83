"""Reading CRM exports: decoding, delimiters, recognition, values, rows, duplicates, and the import itself."""

import codecs
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery import imports, selectors
from recovery import services as recovery_services
from recovery.imports import CsvFileError, Kind
from recovery.models import CheckIn, CsvImport, LossReason, LostDeal, Reflection, Source, Stage
from tests.conftest import make_loss

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crm"
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


def upload(name, data=None):
    return imports.read_upload(name, fixture_bytes(name) if data is None else data)


def preview_of(filename, data=None, **mapping_overrides):
    """The pure reading of a file: recognised, mapped, every row read."""
    table = upload(filename, data).table
    _kind, mapping = imports.recognise(table.columns)
    mapping.update(mapping_overrides)
    return imports.read_deals(table, mapping, today=TODAY)


def text_file(text, encoding="utf-8"):
    return text.encode(encoding)


def names(rows):
    return [row.name for row in rows]


def skipped_by_row(preview):
    return {row.number: row.why for row in preview.skipped}


HUBSPOT_HEADER = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Currency","Closed Lost Reason"\n'
)


def hubspot(*rows):
    return text_file(HUBSPOT_HEADER + "".join(row + "\n" for row in rows))


def save_import(owner, filename="hubspot_deals.csv", data=None, mapping=None):
    """A CsvImport as the upload view saves it; `mapping` adds to what was recognised."""
    read = upload(filename, data)
    kind, recognised = imports.recognise(read.table.columns)
    mapping = recognised | (mapping or {})
    return imports.csv_import_create(owner=owner, upload=read, kind=kind, mapping=mapping)


# ---------------------------------------------------------------- decoding


def test_utf8_with_a_byte_order_mark_keeps_it_out_of_the_first_column_name():
    read = upload("utf8_bom.csv")
    assert read.table.columns[0] == "Deal - ID"
    assert read.table.rows[0][1][1] == "Café Crème SARL"
    assert imports.recognise(read.table.columns)[0] == Kind.PIPEDRIVE


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-16"), id="utf-16 as Python writes it"),
        pytest.param(lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), id="utf-16-le with BOM"),
        pytest.param(lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), id="utf-16-be with BOM"),
        pytest.param(lambda text: text.encode("utf-16-le"), id="utf-16-le without BOM"),
    ],
)
def test_utf16_as_excel_unicode_text_writes_it_is_read_and_tab_separated(encode):
    text = "Deal Name\tDeal Stage\tClose Date\tAmount\r\nSociété Générale\tClosed lost\t2026-03-14\t1000\r\n"
    read = upload("unicode.txt", encode(text))
    assert read.table.delimiter == "\t"
    assert read.table.columns == ["Deal Name", "Deal Stage", "Close Date", "Amount"]
    assert read.table.rows == [(2, ["Société Générale", "Closed lost", "2026-03-14", "1000"])]


def test_latin1_file_keeps_its_accents():
    read = upload("latin1_accents.csv")
    assert [values[0] for _, values in read.table.rows] == ["Société Générale", "Crédit Agricole"]


def test_windows_1252_euro_sign_and_curly_quotes_are_read():
    data = "Deal,Amount,Why\n“Big” deal,€1.200,Too pricey – sadly\n".encode("cp1252")
    read = upload("windows.csv", data)
    assert read.table.rows[0][1] == ["“Big” deal", "€1.200", "Too pricey – sadly"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (fixture_bytes("binary_junk.csv"), "it isn't text"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"x" * 100, "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"x" * 100, "older Excel workbook (.xls)"),
        (b"%PDF-1.7\n" + b"x" * 100, "This is a PDF"),
        (b"name,amount\n" + bytes(range(1, 32)) * 20, "it isn't text"),
    ],
    ids=["binary junk", "xlsx", "xls", "pdf", "control characters"],
)
def test_a_file_that_is_not_text_is_refused_with_a_clear_message(data, says):
    with pytest.raises(CsvFileError) as refused:
        upload("deals.csv", data)
    assert says in str(refused.value)


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_an_empty_file_is_refused(data):
    with pytest.raises(CsvFileError, match="This file is empty"):
        upload("empty.csv", data)


def test_a_header_without_rows_is_refused():
    with pytest.raises(CsvFileError, match="column names but no deals under them"):
        upload("header_only.csv")


def test_a_file_over_5_mb_is_refused_before_it_is_read():
    data = b"Deal Name,Amount\n" + b"x" * imports.MAX_BYTES
    with pytest.raises(CsvFileError, match=r"This file is 5\.0 MB; the most Rebound takes is 5 MB"):
        upload("big.csv", data)


def test_5000_rows_are_taken_and_5001_are_refused():
    header = "Deal Name,Close Date\n"
    five_thousand = header + "Deal,2026-03-14\n" * imports.MAX_ROWS
    assert len(upload("many.csv", five_thousand.encode()).table.rows) == imports.MAX_ROWS
    with pytest.raises(CsvFileError, match="more than 5,000 deals"):
        upload("too-many.csv", (five_thousand + "One more,2026-03-14\n").encode())


def test_a_line_over_64_kb_is_refused_naming_its_line():
    data = ("Deal Name,Notes\nFine,ok\nHuge," + "x" * imports.MAX_LINE_CHARS + "\n").encode()
    with pytest.raises(CsvFileError, match="Line 3 of this file is longer than 64 KB"):
        upload("huge-line.csv", data)


def test_a_line_of_64_kb_with_its_line_break_is_read():
    line = "Big," + "x" * (imports.MAX_LINE_CHARS - len("Big,") - 1) + "\n"
    assert len(line) == imports.MAX_LINE_CHARS
    read = upload("long-line.csv", ("Deal Name,Notes\n" + line).encode())
    assert read.table.rows[0][1][0] == "Big"


def test_a_value_left_open_by_a_stray_quote_is_refused_naming_its_row():
    # Short lines, but the quote opened on row 3 is never closed: the value runs on past 128 KB.
    data = ('Deal Name,Notes\nFine,ok\nHuge,"never closed\n' + "more words\n" * 15_000).encode()
    with pytest.raises(CsvFileError, match="Row 3 has a value longer than 128 KB: often a quote"):
        upload("open-quote.csv", data)


def test_200_columns_are_read_and_201_are_refused():
    def file_of(columns):
        return (
            ",".join(f"Column {n}" for n in range(columns)) + "\n" + "x," * (columns - 1) + "x\n"
        ).encode()

    assert len(upload("wide.csv", file_of(imports.MAX_COLUMNS)).table.columns) == imports.MAX_COLUMNS
    with pytest.raises(CsvFileError, match="This file has 201 columns; Rebound reads files of up to 200"):
        upload("too-wide.csv", file_of(imports.MAX_COLUMNS + 1))


def test_a_row_with_more_than_200_values_is_refused_naming_its_row():
    data = ("Deal Name,Close Date\nA,2026-03-01\n" + "," * 300 + "B\n").encode()
    with pytest.raises(CsvFileError, match="Row 3 has 301 values; Rebound reads rows of up to 200"):
        upload("wide-row.csv", data)


# ---------------------------------------------------------------- delimiters and rows


def test_semicolons_of_european_excel_are_sniffed():
    read = upload("european_semicolon.csv")
    assert read.table.delimiter == ";"
    assert read.table.columns[:3] == ["Record ID", "Deal Name", "Deal Stage"]


def test_commas_inside_values_do_not_make_a_semicolon_file_a_comma_file():
    read = upload("notes.csv", b"Deal;Amount;Notes\nAcme, Inc.;1000;Lost, sadly, to price\n")
    assert read.table.delimiter == ";"
    assert read.table.rows[0][1] == ["Acme, Inc.", "1000", "Lost, sadly, to price"]


def test_excel_sep_line_decides_the_delimiter_and_is_not_the_header():
    read = upload("sep.csv", b"sep=;\r\nDeal;Close Date\r\nAcme, Inc.;2026-03-14\r\n")
    assert read.table.columns == ["Deal", "Close Date"]
    assert read.table.rows == [(2, ["Acme, Inc.", "2026-03-14"])]


def test_quoted_line_breaks_stay_inside_their_field_and_rows_are_numbered_as_a_spreadsheet_shows_them():
    read = upload("quoted_newlines.csv")
    assert [number for number, _ in read.table.rows] == [2, 3, 4]
    reason = read.table.rows[0][1][6]
    assert reason == "Went with a competitor.\r\nTheir security review also flagged us."
    assert read.table.rows[1][1][1] == 'Contoso "Big" deal'


def test_blank_rows_are_left_out_but_still_counted():
    read = upload("blank.csv", b"\n\nDeal,Close Date\nA,2026-03-01\n,\n\nB,2026-03-02\n")
    assert read.table.rows == [(2, ["A", "2026-03-01"]), (5, ["B", "2026-03-02"])]


def test_long_runs_of_blank_rows_are_left_out_and_still_counted():
    data = "\r\n" * 100_000 + "Deal,Close Date\r\n" + "\r\n" * 100_000 + ",\r\n" * 1000 + "A,2026-03-01\r\n"
    read = upload("blank-runs.csv", data.encode())
    assert read.table.columns == ["Deal", "Close Date"]
    assert read.table.rows == [(101_002, ["A", "2026-03-01"])]


def test_column_names_are_trimmed_and_made_unique():
    read = upload("names.csv", b" Deal ,,Amount,Amount\nA,x,1,2\n")
    assert read.table.columns == ["Deal", "Column 2", "Amount", "Amount (2)"]


def test_repeated_column_names_are_numbered_past_the_names_already_taken():
    header = ",".join(["Amount"] * 150 + ["Stage", "Stage (2)", "Stage", "Stage (2)"])
    read = upload("repeats.csv", f"{header}\n{'1,' * 153}1\n".encode())
    names = read.table.columns
    assert names[:3] == ["Amount", "Amount (2)", "Amount (3)"]
    assert names[149] == "Amount (150)"
    assert names[150:] == ["Stage", "Stage (2)", "Stage (3)", "Stage (2) (2)"]
    assert len(set(names)) == len(names)


# ---------------------------------------------------------------- recognising the exports


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        (
            "hubspot_deals.csv",
            Kind.HUBSPOT,
            {
                "crm_id": "Record ID",
                "name": "Deal Name",
                "status": "Deal Stage",
                "lost_value": "Closed lost",
                "amount": "Amount",
                "currency": "Currency",
                "lost_on": "Close Date",
                "reason": "Closed Lost Reason",
            },
        ),
        (
            "salesforce_opportunities.csv",
            Kind.SALESFORCE,
            {
                "crm_id": "Opportunity ID",
                "name": "Opportunity Name",
                "won": "Won",
                "closed": "Closed",
                "amount": "Amount",
                "currency": "Opportunity Currency",
                "lost_on": "Close Date",
                "reason": "Loss Reason",
            },
        ),
        (
            "pipedrive_deals.csv",
            Kind.PIPEDRIVE,
            {
                "crm_id": "Deal - ID",
                "name": "Deal - Title",
                "status": "Deal - Status",
                "lost_value": "lost",
                "stage": "Deal - Stage",
                "amount": "Deal - Value",
                "currency": "Deal - Currency",
                "lost_on": "Deal - Lost time",
                "reason": "Deal - Lost reason",
            },
        ),
    ],
)
def test_each_crm_export_is_recognised_by_its_header(name, kind, expected):
    found_kind, mapping = imports.recognise(upload(name).table.columns)
    assert found_kind == kind
    assert expected.items() <= mapping.items()
    assert imports.mapping_complete(mapping)


@pytest.mark.parametrize(
    ("header", "reason_column"),
    [
        ("Opportunity Name,Stage,Close Date,Closed Lost Reason", "Closed Lost Reason"),
        ("Opportunity Name,Stage,Close Date,Reason Lost", "Reason Lost"),
        ("Opportunity Name,Stage,Close Date,Loss Reason", "Loss Reason"),
    ],
)
def test_salesforce_loss_reason_field_is_found_under_its_usual_names(header, reason_column):
    kind, mapping = imports.recognise(header.split(","))
    assert kind == Kind.SALESFORCE
    assert mapping["reason"] == reason_column


def test_salesforce_opportunity_id_is_found_whatever_its_capitals():
    assert imports.recognise(["Opportunity Id", "Opportunity Name", "Stage"])[1]["crm_id"] == "Opportunity Id"


def test_salesforce_data_loader_api_names_are_recognised():
    kind, mapping = imports.recognise(["Id", "Name", "StageName", "Amount", "CloseDate", "IsWon", "IsClosed"])
    assert kind == Kind.SALESFORCE
    assert (mapping["crm_id"], mapping["name"], mapping["lost_on"]) == ("Id", "Name", "CloseDate")
    assert (mapping["won"], mapping["closed"]) == ("IsWon", "IsClosed")


def test_any_other_csv_is_custom_with_a_guess_for_the_rep_to_check():
    columns = upload("latin1_accents.csv").table.columns
    assert imports.recognise(columns) == (Kind.CUSTOM, {})
    assert imports.guess_mapping(columns) == {
        "name": "Deal",
        "lost_on": "Lost on",
        "amount": "Value",
        "currency": "Currency",
        "reason": "Why",
    }


def test_a_recognised_export_without_its_close_date_is_not_complete():
    kind, mapping = imports.recognise(["Record ID", "Deal Name", "Deal Stage", "Amount"])
    assert kind == Kind.HUBSPOT
    assert not imports.mapping_complete(mapping)
    assert imports.missing_columns(mapping) == ["date lost (close date)"]


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("12000", False, (Decimal("12000.00"), "")),
        ("9500.5", False, (Decimal("9500.50"), "")),
        ("12,000.50", False, (Decimal("12000.50"), "")),
        ("EUR 12,000.00", False, (Decimal("12000.00"), "EUR")),
        ("12,000.00 usd", False, (Decimal("12000.00"), "USD")),
        ("£1,250", False, (Decimal("1250.00"), "GBP")),
        ("$1,234.56", False, (Decimal("1234.56"), "$")),
        ("1'234.50", False, (Decimal("1234.50"), "")),
        ("12.000,50", True, (Decimal("12000.50"), "")),
        ("12 000,50", True, (Decimal("12000.50"), "")),
        ("12\u202f000,50\u00a0€", True, (Decimal("12000.50"), "EUR")),
        ("1.250.000", True, (Decimal("1250000.00"), "")),
        ("0.005", False, (Decimal("0.01"), "")),
        ("", False, (None, "")),
        ("  ", True, (None, "")),
    ],
)
def test_amounts_are_read_in_the_formats_crms_and_spreadsheets_write(text, decimal_comma, expected):
    assert imports.parse_amount(text, decimal_comma=decimal_comma) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("about 5k", "isn't a number"),
        ("1e5", "isn't a number"),
        ("12.34.56", "isn't a number"),
        ("-500", "is negative"),
        ("(500)", "is negative"),
        ("99999999999999", "is too large"),
    ],
)
def test_an_unreadable_amount_says_why(text, why):
    with pytest.raises(imports.values.BadValue, match=why):
        imports.parse_amount(text)


@pytest.mark.parametrize(
    ("values", "delimiter", "expected"),
    [
        (["12000", "950,75"], ",", True),
        (["12.000,50"], ",", True),
        (["12,000.50"], ";", False),
        (["12,000", "800"], ",", False),
        (["12000"], ";", True),
        (["EUR 1.250.000"], ",", True),
    ],
)
def test_a_files_decimal_separator_is_decided_from_its_amounts(values, delimiter, expected):
    assert imports.amounts_decimal_comma(values, delimiter=delimiter) is expected


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2026-03-14", False, datetime.date(2026, 3, 14)),
        ("2026-03-14 10:00", False, datetime.date(2026, 3, 14)),
        ("2026-03-14 09:30:00", False, datetime.date(2026, 3, 14)),
        ("2026-03-14T23:30:00.000Z", False, datetime.date(2026, 3, 14)),
        ("2026/3/4", False, datetime.date(2026, 3, 4)),
        ("3/14/2026", False, datetime.date(2026, 3, 14)),
        ("3/14/2026 10:00 AM", False, datetime.date(2026, 3, 14)),
        ("3/4/26", False, datetime.date(2026, 3, 4)),
        ("3/4/2026", True, datetime.date(2026, 4, 3)),
        ("14.03.2026", False, datetime.date(2026, 3, 14)),
        ("14-03-2026", False, datetime.date(2026, 3, 14)),
        ("Mar 14, 2026", False, datetime.date(2026, 3, 14)),
        ("14 March 2026", False, datetime.date(2026, 3, 14)),
        ("2026-02-30", False, None),
        ("13/45/2026", False, None),
        ("next Tuesday", False, None),
    ],
)
def test_dates_are_read_in_the_formats_crms_write(text, day_first, expected):
    assert imports.parse_date(text, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["3/14/2026", "4/2/2026"], False),
        (["14/03/2026", "02/04/2026"], True),
        (["3/4/2026", "5/6/2026"], False),
        (["3/14/2026", "13/45/2026", "4/2/2026"], False),
        (["2026-03-14", "14.03.2026"], False),
    ],
    ids=["US", "European", "ambiguous is US", "junk does not sway", "no slashes"],
)
def test_whether_slashed_dates_are_day_first_is_decided_per_file(values, expected):
    assert imports.dates_day_first(values) is expected


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("Negotiation/Review", Stage.NEGOTIATION),
        ("Proposal/Price Quote", Stage.PROPOSAL),
        ("Needs Analysis", Stage.DISCOVERY),
        ("Qualification", Stage.DISCOVERY),
        ("Prospecting", Stage.PROSPECTING),
        ("Value Proposition", Stage.DEMO),
        ("Appointment scheduled", Stage.DISCOVERY),
        ("Presentation scheduled", Stage.DEMO),
        ("Decision maker bought-in", Stage.DEMO),
        ("Contract sent", Stage.CONTRACT),
        ("Lead In", Stage.PROSPECTING),
        ("Demo Scheduled", Stage.DEMO),
        ("Proposal Made", Stage.PROPOSAL),
        ("Negotiations Started", Stage.NEGOTIATION),
        ("negotiation", Stage.NEGOTIATION),
        ("Technical evaluation", Stage.DEMO),
        ("Closed lost", None),
        ("Closed Lost", None),
        ("", None),
    ],
)
def test_crm_stages_map_onto_rebounds_stages(text, stage):
    assert imports.stage_from_text(text) == stage


@pytest.mark.parametrize(
    ("text", "slugs"),
    [
        ("Price too high", ["price-budget"]),
        ("Too expensive", ["price-budget"]),
        ("No budget", ["price-budget"]),
        ("Timing", ["timing"]),
        ("Not now – maybe next year", ["timing"]),
        ("Lost to Competitor", ["competitor"]),
        ("Went with Initech on price", ["price-budget", "competitor"]),
        ("No Decision / Non-Responsive", ["no-decision"]),
        ("Status quo", ["no-decision"]),
        ("Went dark after the demo", ["no-decision"]),
        ("Feature/Product", ["product-fit"]),
        ("Missing integration", ["product-fit"]),
        ("Champion left", ["champion-left"]),
        ("Budget cut after a reorg", ["price-budget", "champion-left"]),
        ("Procurement / legal review took too long", ["procurement-legal"]),
        ("Failed the security review", ["procurement-legal"]),
        ("Relationship with the buyer soured", ["relationship"]),
        ("Benefit unclear", []),
        ("Other", []),
        ("", []),
    ],
)
def test_crm_lost_reasons_map_onto_rebounds_reasons_by_their_words(text, slugs):
    assert imports.reasons_from_text(text) == slugs


@pytest.mark.parametrize(
    ("text", "code"),
    [("EUR", "EUR"), (" eur ", "EUR"), ("€", "EUR"), ("Euro", "EUR"), ("$", "USD"), ("", ""), ("XYZ", None)],
)
def test_currency_codes_symbols_and_words_are_read(text, code):
    assert imports.currency_code(text) == code


# ---------------------------------------------------------------- rows into deals


def test_hubspot_export_takes_the_closed_lost_deals_and_skips_the_others():
    preview = preview_of("hubspot_deals.csv", default_currency="GBP")
    assert names(preview.to_import) == [
        "Globex – 200 seats",
        "Umbrella pilot",
        "Stark Industries",
        "Wayne Enterprises",
    ]
    assert preview.not_lost == [3, 5, 8]  # Closed won, Appointment scheduled, Contract sent
    assert skipped_by_row(preview) == {9: "no deal name"}
    globex, umbrella, stark, wayne = preview.to_import
    assert (globex.number, globex.crm_id, globex.lost_on) == (2, "18273645001", datetime.date(2026, 3, 14))
    assert (globex.amount, globex.currency) == (Decimal("48000.00"), "EUR")
    assert globex.crm_reason == "Went with a competitor on price"
    assert globex.reason_slugs == ["price-budget", "competitor"]
    assert (umbrella.amount, umbrella.currency) == (Decimal("9500.50"), "GBP")
    # No amount and no currency: the currency the rep chose on the upload form.
    assert (stark.amount, stark.currency) == (None, "GBP")
    assert wayne.reason_slugs == []
    # HubSpot doesn't say at which stage a deal was lost.
    assert all(row.stage == Stage.PROPOSAL and row.stage_guessed for row in preview.to_import)


def test_salesforce_report_takes_the_closed_not_won_opportunities():
    preview = preview_of("salesforce_opportunities.csv")
    assert names(preview.to_import) == [
        "SocGen – EMEA rollout",
        "Umbrella – Security add-on",
        "Vandelay – Imports",
    ]
    assert preview.not_lost == [3, 4]
    assert skipped_by_row(preview) == {6: "the date “13/45/2026” can't be read"}
    socgen = preview.to_import[0]
    assert (socgen.amount, socgen.currency, socgen.lost_on) == (
        Decimal("120000.00"),
        "EUR",
        datetime.date(2026, 3, 14),
    )
    assert preview.to_import[2].lost_on == datetime.date(2026, 10, 5)


def test_salesforce_won_and_closed_checkboxes_decide_over_the_stage_name():
    data = text_file(
        "Opportunity Name,Stage,Close Date,Won,Closed\n"
        "Lost late,Negotiation/Review,2026-03-14,false,true\n"
        "Won,Closed Won,2026-03-14,true,true\n"
        "Open,Closed Lost,2026-03-14,false,false\n"
    )
    preview = preview_of("sf.csv", data)
    assert names(preview.to_import) == ["Lost late"]
    assert preview.to_import[0].stage == Stage.NEGOTIATION
    assert not preview.to_import[0].stage_guessed
    assert preview.not_lost == [3, 4]


def test_salesforce_without_checkboxes_uses_the_closed_lost_stage():
    data = text_file("Opportunity Name,Stage,Close Date\nA,Closed Lost,3/14/2026\nB,Prospecting,3/15/2026\n")
    preview = preview_of("sf.csv", data)
    assert names(preview.to_import) == ["A"]
    assert preview.not_lost == [3]


def test_pipedrive_export_takes_lost_deals_with_their_stage_and_says_why_rows_are_skipped():
    preview = preview_of("pipedrive_deals.csv")
    assert names(preview.to_import) == ["Acme Corp deal", "Initech deal", "Wayne deal"]
    assert [(row.stage, row.stage_guessed) for row in preview.to_import] == [
        (Stage.PROPOSAL, False),
        (Stage.DEMO, False),
        (Stage.PROSPECTING, False),
    ]
    assert preview.not_lost == [3, 5]  # won, open
    assert skipped_by_row(preview) == {
        6: "the amount “about 5k” isn't a number",
        7: "the currency “XYZ” isn't one we know (use a code such as EUR or USD)",
    }
    assert preview.to_import[0].lost_on == datetime.date(2026, 3, 14)


def test_european_excel_file_reads_decimal_commas_and_day_first_dates():
    preview = preview_of("european_semicolon.csv")
    assert [(row.name, row.amount, row.currency, row.lost_on) for row in preview.to_import] == [
        ("Müller GmbH Rollout", Decimal("12000.50"), "EUR", datetime.date(2026, 3, 14)),
        ("Bäckerei Huber", Decimal("950.75"), "EUR", datetime.date(2026, 4, 2)),
        ("Zürich Versicherung", Decimal("1250000.00"), "CHF", datetime.date(2026, 5, 11)),
    ]


def test_quoted_line_breaks_in_a_reason_become_spaces():
    preview = preview_of("quoted_newlines.csv")
    assert preview.to_import[0].crm_reason == "Went with a competitor. Their security review also flagged us."
    assert preview.to_import[0].reason_slugs == ["competitor", "procurement-legal"]
    assert preview.to_import[1].name == 'Contoso "Big" deal'


def test_ragged_rows_short_ones_are_read_and_long_ones_skipped():
    preview = preview_of("ragged_rows.csv")
    assert names(preview.to_import) == ["Short row", "Trailing separators"]
    assert preview.to_import[0].amount is None
    assert skipped_by_row(preview) == {
        3: "it has 9 values but the file has 7 columns (a stray comma or quote?)"
    }


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ('"1","A","Closed lost","","100","EUR",""', "no date lost"),
        ('"1","A","Closed lost","someday","100","EUR",""', "the date “someday” can't be read"),
        (
            '"1","A","Closed lost","2026-11-27","100","EUR",""',
            "the date lost, 27 November 2026, is in the future",
        ),
        (
            '"1","A","Closed lost","2026-03-14","EUR 100","USD",""',
            "the amount is in EUR but the currency column says USD",
        ),
        ('"1"," ","Closed lost","2026-03-14","100","EUR",""', "no deal name"),
        (
            '"1","","Closed lost","tomorrow","-5","EUR",""',
            "no deal name; the date “tomorrow” can't be read; the amount “-5” is negative",
        ),
    ],
)
def test_a_lost_deals_row_with_a_problem_is_skipped_with_every_reason(row, why):
    preview = preview_of("h.csv", hubspot(row))
    assert preview.to_import == []
    assert skipped_by_row(preview) == {2: why}


def test_today_is_not_the_future():
    preview = preview_of("h.csv", hubspot(f'"1","A","Closed lost","{TODAY}","100","EUR",""'))
    assert names(preview.to_import) == ["A"]


def test_a_bare_dollar_amount_takes_the_currency_column_or_else_usd():
    preview = preview_of(
        "h.csv",
        hubspot(
            '"1","A","Closed lost","2026-03-14","$100","CAD",""',
            '"2","B","Closed lost","2026-03-14","$100","",""',
        ),
    )
    assert [row.currency for row in preview.to_import] == ["CAD", "USD"]


def test_a_row_repeated_in_the_file_is_imported_once():
    preview = preview_of(
        "h.csv",
        hubspot(
            '"1","A","Closed lost","2026-03-14","100","EUR",""',
            '"1","A again","Closed lost","2026-03-15","200","EUR",""',
            '"","B","Closed lost","2026-03-14","100","EUR",""',
            '"","b","Closed lost","2026-03-14","100.00","EUR",""',
        ),
    )
    assert names(preview.to_import) == ["A", "B"]
    assert skipped_by_row(preview) == {
        3: "same CRM id as row 2",
        5: "same name, date lost and amount as row 4",
    }


def test_a_custom_file_with_a_status_column_takes_the_rows_with_the_lost_value():
    table = upload("custom_status.csv").table
    mapping = {"name": "Customer", "amount": "Deal value", "lost_on": "Decided on", "reason": "Notes on loss"}
    mapping |= {"status": "Outcome", "lost_value": "LOST"}
    preview = imports.read_deals(table, mapping, today=TODAY)
    assert names(preview.to_import) == ["Blue Sky Ltd", "Green Field"]
    assert preview.not_lost == [3]
    assert preview.to_import[0].lost_on == datetime.date(2026, 3, 14)
    assert preview.to_import[0].currency == "EUR"  # The default when none was chosen.


def test_a_custom_file_without_a_status_column_is_all_lost_deals():
    table = upload("custom_status.csv").table
    mapping = {"name": "Customer", "lost_on": "Decided on", "default_currency": "USD"}
    preview = imports.read_deals(table, mapping, today=TODAY)
    assert names(preview.to_import) == ["Blue Sky Ltd", "Red Rock plc", "Green Field"]
    assert {row.currency for row in preview.to_import} == {"USD"}


def test_overlong_values_are_cut_to_what_a_loss_holds():
    row = f'"1","{"N" * 250}","Closed lost","2026-03-14","100","EUR","{"r" * 400}"'
    deal = preview_of("h.csv", hubspot(row)).to_import[0]
    assert (len(deal.name), len(deal.crm_reason)) == (200, 300)


def test_an_overlong_crm_id_is_skipped_rather_than_cut():
    row = f'"{"9" * 101}","A","Closed lost","2026-03-14","100","EUR",""'
    assert skipped_by_row(preview_of("h.csv", hubspot(row))) == {
        2: "the CRM id is longer than 100 characters"
    }


# ---------------------------------------------------------------- duplicates of losses already in Rebound


def test_preview_skips_deals_already_imported_with_the_same_crm_id(owner):
    make_loss(owner, name="Renamed since", crm_id="18273645001", source=Source.CSV)
    preview = imports.build_preview(save_import(owner))
    assert "Globex – 200 seats" not in names(preview.to_import)
    assert skipped_by_row(preview)[2] == "already in Rebound (imported before, with the same CRM id)"


def test_preview_skips_a_deal_logged_by_hand_with_the_same_name_date_and_amount(owner):
    LostDeal.objects.filter(pk=make_loss(owner, name="UMBRELLA PILOT", amount=Decimal("9500.50")).pk).update(
        lost_on=datetime.date(2026, 4, 2)
    )
    preview = imports.build_preview(save_import(owner))
    assert "Umbrella pilot" not in names(preview.to_import)
    assert (
        skipped_by_row(preview)[4] == "already in Rebound (a loss with the same name, date lost and amount)"
    )


def test_a_loss_logged_by_hand_with_another_amount_is_not_a_duplicate(owner):
    deal = make_loss(owner, name="Umbrella pilot", amount=Decimal("9000"))
    LostDeal.objects.filter(pk=deal.pk).update(lost_on=datetime.date(2026, 4, 2))
    assert "Umbrella pilot" in names(imports.build_preview(save_import(owner)).to_import)


def test_another_reps_losses_never_make_a_deal_a_duplicate(owner, outsider):
    make_loss(outsider, name="Globex – 200 seats", crm_id="18273645001", source=Source.CSV)
    assert "Globex – 200 seats" in names(imports.build_preview(save_import(owner)).to_import)


def test_preview_finds_rebounds_reasons_for_the_crms_words(owner):
    preview = imports.build_preview(save_import(owner))
    globex = preview.to_import[0]
    assert [reason.slug for reason in globex.reasons] == ["price-budget", "competitor"]


@pytest.mark.parametrize("how_many", [3, 300])
def test_preview_runs_two_queries_whatever_the_files_size(owner, django_assert_num_queries, how_many):
    rows = [f'"{i}","Deal {i}","Closed lost","2026-03-14","100","EUR","Price"' for i in range(how_many)]
    csv_import = save_import(owner, "h.csv", hubspot(*rows))
    make_loss(owner, crm_id="0")
    with django_assert_num_queries(2):  # the owner's losses that could be the same, the reasons
        preview = imports.build_preview(csv_import)
    assert len(preview.to_import) == how_many - 1


# ---------------------------------------------------------------- the import itself


def test_confirming_imports_every_good_row_as_a_loss_waiting_for_its_reflection(owner):
    csv_import = save_import(owner)
    assert imports.csv_import_confirm(csv_import=csv_import) == 4
    losses = {deal.name: deal for deal in LostDeal.objects.filter(owner=owner).prefetch_related("reasons")}
    assert set(losses) == {"Globex – 200 seats", "Umbrella pilot", "Stark Industries", "Wayne Enterprises"}
    globex = losses["Globex – 200 seats"]
    assert (globex.source, globex.crm_id, globex.crm_reason) == (
        Source.CSV,
        "18273645001",
        "Went with a competitor on price",
    )
    assert (globex.amount, globex.currency, globex.stage) == (Decimal("48000.00"), "EUR", Stage.PROPOSAL)
    assert {reason.slug for reason in globex.reasons.all()} == {"price-budget", "competitor"}
    assert list(losses["Wayne Enterprises"].reasons.all()) == []
    assert all(deal.reflection.finished_at is None for deal in losses.values())
    # Losses months old get no check-in prompts: those days are past.
    assert not CheckIn.objects.filter(deal__owner=owner).exists()
    # The home page's "To reflect" list picks them up.
    assert set(selectors.unfinished_reflections(user=owner).values_list("name", flat=True)) == set(losses)
    csv_import.refresh_from_db()
    assert csv_import.imported_at == NOW
    assert csv_import.imported_count == 4
    assert csv_import.content == ""  # Kept for the preview only.


def test_confirming_twice_creates_nothing_new(owner):
    csv_import = save_import(owner)
    imports.csv_import_confirm(csv_import=csv_import)
    again = CsvImport.objects.get(pk=csv_import.pk)
    assert imports.csv_import_confirm(csv_import=again) == 0
    assert LostDeal.objects.filter(owner=owner).count() == 4
    again.refresh_from_db()
    assert again.imported_count == 4


def test_importing_the_same_file_twice_creates_nothing_new(owner):
    imports.csv_import_confirm(csv_import=save_import(owner))
    second = save_import(owner)
    preview = imports.build_preview(second)
    assert preview.to_import == []
    assert {row.number for row in preview.skipped} == {2, 4, 6, 7, 9}
    assert imports.csv_import_confirm(csv_import=second) == 0
    assert LostDeal.objects.filter(owner=owner).count() == 4


def test_a_file_without_crm_ids_imported_twice_creates_nothing_new(owner):
    mapping = {
        "name": "Deal",
        "lost_on": "Lost on",
        "amount": "Value",
        "currency": "Currency",
        "reason": "Why",
    }
    for _ in range(2):
        imports.csv_import_confirm(csv_import=save_import(owner, "latin1_accents.csv", mapping=mapping))
    assert sorted(LostDeal.objects.filter(owner=owner).values_list("name", flat=True)) == [
        "Crédit Agricole",
        "Société Générale",
    ]


@pytest.mark.parametrize("error", [RuntimeError("boom"), DatabaseError("disk full")])
def test_a_failure_on_the_third_row_leaves_nothing_half_imported(owner, monkeypatch, error):
    # Two losses a batch: the first batch is written when the third row fails.
    monkeypatch.setattr(imports.services, "BATCH_SIZE", 2)
    real_new_loss = imports.services._new_loss
    calls = []

    def fail_on_third_row(owner, row):
        calls.append(row.name)
        if len(calls) == 3:
            raise error
        return real_new_loss(owner, row)

    monkeypatch.setattr(imports.services, "_new_loss", fail_on_third_row)
    csv_import = save_import(owner)
    with pytest.raises(type(error)):
        imports.csv_import_confirm(csv_import=csv_import)
    assert len(calls) == 3
    assert LostDeal.objects.filter(owner=owner).count() == 0
    csv_import.refresh_from_db()
    assert (csv_import.imported_at, csv_import.imported_count) == (None, 0)
    # The same import succeeds once the failure is gone.
    monkeypatch.setattr(imports.services, "_new_loss", real_new_loss)
    assert imports.csv_import_confirm(csv_import=csv_import) == 4


def test_a_database_failure_in_the_second_batch_rolls_back_the_first(owner, monkeypatch):
    monkeypatch.setattr(imports.services, "BATCH_SIZE", 2)
    real_bulk_create = Reflection.objects.bulk_create
    batches = []

    def fail_on_second_batch(objs, *args, **kwargs):
        batches.append(objs)
        if len(batches) == 2:
            raise DatabaseError("could not extend file")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Reflection.objects, "bulk_create", fail_on_second_batch)
    with pytest.raises(DatabaseError):
        imports.csv_import_confirm(csv_import=save_import(owner))
    assert len(batches) == 2
    assert not LostDeal.objects.exists()
    assert not Reflection.objects.exists()


def test_imported_losses_are_made_as_a_loss_logged_by_hand_is(owner):
    """The batched import writes what recovery.services.lost_deal_create writes for one loss."""
    yesterday = TODAY - datetime.timedelta(days=1)
    by_hand = recovery_services.lost_deal_create(
        owner=owner,
        name="By hand",
        stage=Stage.DEMO,
        lost_on=yesterday,
        reasons=LossReason.objects.filter(slug__in=["price-budget", "timing"]),
        amount=Decimal("100.00"),
        currency="EUR",
        crm_id="by-hand",
        crm_reason="Price and timing",
        source=Source.CSV,
    )
    row = f'"imported","Imported","Closed lost","{yesterday}","100","EUR","Price and timing"'
    imports.csv_import_confirm(csv_import=save_import(owner, "h.csv", hubspot(row)))
    imported = LostDeal.objects.get(crm_id="imported")

    def made(deal):
        return (
            deal.owner_id,
            deal.lost_on,
            deal.amount,
            deal.currency,
            deal.source,
            deal.crm_reason,
            deal.moved_on_at,
            deal.created_at is not None,
            sorted(deal.reasons.values_list("slug", flat=True)),
            Reflection.objects.filter(deal=deal, finished_at__isnull=True, mood__isnull=True).count(),
            sorted((c.due_on, c.answered_at, c.dismissed_at) for c in deal.check_ins.all()),
        )

    assert made(imported) == made(by_hand)


def test_a_recent_loss_imported_gets_its_check_in_prompts(owner):
    yesterday = TODAY - datetime.timedelta(days=1)
    csv_import = save_import(
        owner, "h.csv", hubspot(f'"1","Fresh","Closed lost","{yesterday}","100","EUR",""')
    )
    imports.csv_import_confirm(csv_import=csv_import)
    due = sorted(CheckIn.objects.filter(deal__owner=owner).values_list("due_on", flat=True))
    assert due == [yesterday + datetime.timedelta(days=3), yesterday + datetime.timedelta(days=7)]


def test_recent_imports_are_the_owners_only_newest_first(owner, outsider):
    first = save_import(owner)
    save_import(outsider)
    second = save_import(owner, "pipedrive_deals.csv")
    CsvImport.objects.filter(pk=first.pk).update(created_at=NOW - datetime.timedelta(hours=1))
    assert imports.recent_imports(user=owner) == [second, first]


# ---------------------------------------------------------------- any file at all


CSV_PIECES = st.sampled_from([*'abcXYZ019 .,;\t"\r\n-/€$£éß', "Closed lost", "lost", "2026-03-14", "3/4/26"])
ANY_BYTES = st.binary(max_size=3000)
CSV_LIKE = st.lists(CSV_PIECES, max_size=400).map("".join).map(str.encode)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(ANY_BYTES, CSV_LIKE))
def test_any_file_is_read_or_refused_with_a_message_and_its_rows_never_raise(data):
    try:
        read = imports.read_upload("any.csv", data)
    except CsvFileError as refused:
        assert str(refused)
        return
    _kind, mapping = imports.recognise(read.table.columns)
    if not imports.mapping_complete(mapping):
        first, last = read.table.columns[0], read.table.columns[-1]
        mapping = {"name": first, "lost_on": last, "amount": first, "currency": first}
        mapping |= {"status": last, "lost_value": "lost"}
    preview = imports.read_deals(read.table, mapping, today=TODAY)
    rows = len(preview.to_import) + len(preview.skipped) + len(preview.not_lost)
    assert rows == len(read.table.rows)
    for row in preview.to_import:
        assert row.name and row.lost_on <= TODAY and row.currency in imports.values.CURRENCY_CODES
        assert row.amount is None or Decimal(0) <= row.amount <= 10**12


def test_imported_losses_reflections_and_prompts_carry_their_owner(owner):
    """The morale dashboard reads moods by the owner copied onto reflections and check-ins."""
    today = timezone.localdate().isoformat()
    row = f'"9","Lost today","Closed lost","{today}","100","EUR","Price"'
    imports.csv_import_confirm(csv_import=save_import(owner, "h.csv", hubspot(row)))

    assert list(Reflection.objects.values_list("owner", flat=True)) == [owner.pk]
    assert list(CheckIn.objects.values_list("owner", flat=True)) == [owner.pk] * 3
