"""Lost deals brought in from a CRM's CSV export: HubSpot, Salesforce, Pipedrive, or any CSV.

Reading a file is pure: decode the bytes, sniff the delimiter and parse (files.py), recognise the
export and map its columns (crms.py), read its values (values.py), then read each row into a deal
to import or a row skipped with its reason (preview.py). The database is read by `build_preview`
(the owner's losses, to spot duplicates) and written only by the services (services.py):
`csv_import_create` keeps the upload until the rep confirms, `csv_import_confirm` brings every good
row in, in one transaction. Between the two, the task `tasks.csv_import_read` reads the rows
into the preview the page shows, saying how far it has got.

Choices made, shown to the rep where they matter:
- Row numbers are a spreadsheet's: the header is row 1, the first deal is row 2.
- Amounts: "12000", "12,000.50", "EUR 12,000.00", "€1.200,50", "12 000,50" are all read. Whether a
  lone comma is a decimal or a thousands separator is decided once per file: a decimal comma if
  an amount in the file ends in a comma and one or two digits (or has a dot before three digits
  and a comma), else a decimal point, unless the file is semicolon-separated (European Excel),
  which makes it a decimal comma. Amounts are rounded to cents.
- Dates: ISO ("2026-03-14", with or without a time), D.M.Y and month names are read as they are;
  slashed dates are M/D/Y (as US Salesforce writes them) unless more values of the file only make
  sense as D/M/Y. The time of day is dropped: the date is the one the CRM wrote.
- A lost deal whose file doesn't say at which stage it was lost is set to Proposal; the preview
  marks it "guessed", and the rep can change it after import.
"""

from .crms import FIELDS, REQUIRED_FIELDS, Kind, guess_mapping, mapping_complete, missing_columns, recognise
from .files import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_ROWS,
    CsvFileError,
    Table,
    Upload,
    decode,
    read_table,
    read_upload,
)
from .preview import (
    DEFAULT_STAGE,
    DealRow,
    Preview,
    SkippedRow,
    build_preview,
    get_own_import,
    preview_from_json,
    read_deals,
    recent_imports,
)
from .services import csv_import_confirm, csv_import_create, csv_import_set_mapping
from .values import (
    amounts_decimal_comma,
    currency_code,
    dates_day_first,
    parse_amount,
    parse_date,
    reasons_from_text,
    stage_from_text,
)

__all__ = [
    "DEFAULT_STAGE",
    "FIELDS",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_LINE_CHARS",
    "MAX_ROWS",
    "REQUIRED_FIELDS",
    "CsvFileError",
    "DealRow",
    "Kind",
    "Preview",
    "SkippedRow",
    "Table",
    "Upload",
    "amounts_decimal_comma",
    "build_preview",
    "csv_import_confirm",
    "csv_import_create",
    "csv_import_set_mapping",
    "currency_code",
    "dates_day_first",
    "decode",
    "get_own_import",
    "guess_mapping",
    "mapping_complete",
    "missing_columns",
    "parse_amount",
    "parse_date",
    "preview_from_json",
    "read_deals",
    "read_table",
    "read_upload",
    "reasons_from_text",
    "recent_imports",
    "recognise",
    "stage_from_text",
]
