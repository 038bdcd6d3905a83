"""Reading an uploaded file: its encoding, its delimiter, its rows, and the limits on it."""

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


class CsvFileError(Exception):
    """A file that can't be imported at all. The message is for the rep, as it is."""


EMPTY_FILE = "This file is empty. Export your deals from your CRM again and upload the new file."
SAVE_AS_CSV = "Open it in your spreadsheet app, choose Save As → “CSV UTF-8”, and upload that file instead."
NOT_TEXT = (
    "This file doesn't look like a CSV: it isn't text. Export your deals from your CRM as CSV and "
    "upload that file."
)
SIGNATURES = {
    b"PK\x03\x04": f"This looks like an Excel workbook (.xlsx), not a CSV. {SAVE_AS_CSV}",
    b"\xd0\xcf\x11\xe0": f"This looks like an older Excel workbook (.xls), not a CSV. {SAVE_AS_CSV}",
    b"%PDF": "This is a PDF, not a CSV. Export your deals from your CRM as CSV and upload that file.",
}


def _looks_like_utf16(sample: bytes) -> str | None:
    """UTF-16 without its byte order mark: ASCII text with a zero byte beside every character."""
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) == len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) == len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _is_mostly_text(text: str) -> bool:
    """No more than 1% control characters (besides tabs and line breaks): binary files have many."""
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in "\t\r\n\f\v")
    return controls <= len(text) // 100


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 as Excel's "Unicode text" writes it, else
    Windows-1252 or Latin-1, which every old spreadsheet app writes."""
    if not data.strip():
        raise CsvFileError(EMPTY_FILE)
    for signature, message in SIGNATURES.items():
        if data.startswith(signature):
            raise CsvFileError(message)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = _looks_like_utf16(data[:2000])
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise CsvFileError(NOT_TEXT) from None
    elif b"\x00" in data:
        raise CsvFileError(NOT_TEXT)
    else:
        text = _decode_8bit(data)
    text = text.lstrip("\ufeff")
    if "\x00" in text or not _is_mostly_text(text):
        raise CsvFileError(NOT_TEXT)
    if not text.strip():
        raise CsvFileError(EMPTY_FILE)
    return text


def _decode_8bit(data: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # Never fails: every byte is a character.


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")
SEP_LINE = re.compile(r"\Asep=([,;\t|])[ \t]*\r?\n", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    columns: list[str]
    # (row number as a spreadsheet shows it, the row's values), blank rows left out.
    rows: list[tuple[int, list[str]]]
    delimiter: str


def _records(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the header into the most columns."""
    best, most = ",", 1
    for delimiter in DELIMITERS:
        try:
            header = next((record for record in _records(text, delimiter) if any(map(str.strip, record))), [])
        except csv.Error:
            continue
        if len(header) > most:
            best, most = delimiter, len(header)
    return best


def _column_names(header: list[str]) -> list[str]:
    """The header's names, stripped, each unique: an empty one becomes "Column 3", a repeat "Amount (2)"."""
    names: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = raw.strip().lstrip("\ufeff").strip() or f"Column {position}"
        unique, count = name, 1
        while unique in names:
            count += 1
            unique = f"{name} ({count})"
        names.append(unique)
    return names


def read_table(text: str) -> Table:
    """Parse the text as CSV (quoted line breaks and all): its columns and its non-blank rows."""
    delimiter = None
    if match := SEP_LINE.match(text):
        # Excel's "sep=;" first line says which delimiter follows.
        delimiter, text = match.group(1), text[match.end() :]
    delimiter = delimiter or sniff_delimiter(text)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    number = 0
    records = _records(text, delimiter)
    try:
        for record in records:
            number += 1
            if not any(value.strip() for value in record):
                continue
            if header is None:
                header, number = record, 1  # Blank lines above the header don't count.
                continue
            rows.append((number, record))
            if len(rows) > MAX_ROWS:
                raise CsvFileError(
                    f"This file has more than {MAX_ROWS:,} deals, the most Rebound takes at once. Export "
                    "fewer at a time (only closed-lost deals, or one year at a time) and import each file."
                )
    except csv.Error as error:
        raise CsvFileError(
            f"Row {number + 1} can't be read ({error}). Check that the file opens as it should in a "
            "spreadsheet app, then export it again as CSV."
        ) from None
    if header is None:
        raise CsvFileError(EMPTY_FILE)
    if not rows:
        raise CsvFileError(
            "This file has column names but no deals under them. Check the export's filters in your "
            "CRM, then export again."
        )
    return Table(columns=_column_names(header), rows=rows, delimiter=delimiter)


@dataclass(frozen=True)
class Upload:
    filename: str
    text: str
    table: Table


def read_upload(filename: str, data: bytes) -> Upload:
    """An uploaded file, read and checked; CsvFileError with a message for the rep if it can't be."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(too_large_message(len(data)))
    text = decode(data)
    return Upload(filename=filename[:255], text=text, table=read_table(text))


def too_large_message(size: int) -> str:
    return (
        f"This file is {size / 1024 / 1024:.1f} MB; the most Rebound takes is "
        f"{MAX_BYTES // 1024 // 1024} MB. Export fewer deals at a time (only closed-lost ones, say) "
        "and try again."
    )
