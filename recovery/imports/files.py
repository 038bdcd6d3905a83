"""Reading an uploaded file: its encoding, its delimiter, its rows, and the limits on it."""

import codecs
import csv
import io
import re
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# A CRM's deal export has a few dozen columns, and no line of it comes near 64 KB. Files past
# these limits are refused before anything else is done with them, so that reading any file of
# up to MAX_BYTES stays a single pass over it: no file keeps a worker busy.
MAX_COLUMNS = 200
MAX_LINE_CHARS = 64 * 1024


class CsvFileError(Exception):
    """A file that can't be imported at all. The message is for the rep, as it is."""


CHECK_AND_EXPORT_AGAIN = (
    "Check that the file opens as it should in a spreadsheet app, then export it again as CSV."
)
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


# Unicode's control characters (category Cc), tabs and line breaks aside.
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _is_mostly_text(text: str) -> bool:
    """No more than 1% control characters (besides tabs and line breaks): binary files have many."""
    return len(CONTROLS.findall(text)) <= len(text) // 100


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


def _is_blank(record: list[str]) -> bool:
    """No value but spaces: an empty line reads as [], a line of commas as ["", "", ...]."""
    return not record or not "".join(record).strip()


# Blank lines, and lines of nothing but spaces and separators, at the top of a file.
LEADING_BLANKS = re.compile(r"[\s,;]*")


def _without_leading_blank_lines(text: str) -> str:
    """The text from its first line with a value on: blank lines above the header, cut in one step."""
    blanks = LEADING_BLANKS.match(text).end()
    line_end = max(text.rfind("\n", 0, blanks), text.rfind("\r", 0, blanks))
    return text[line_end + 1 :]


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the header into the most columns."""
    best, most = ",", 1
    for delimiter in DELIMITERS:
        try:
            header = next((record for record in _records(text, delimiter) if not _is_blank(record)), [])
        except csv.Error:
            continue
        if len(header) > most:
            best, most = delimiter, len(header)
    return best


def _column_names(header: list[str]) -> list[str]:
    """The header's names, stripped, each unique: an empty one becomes "Column 3", a repeat "Amount (2)".

    One pass: each name remembers the last number it was given, so the next repeat starts there.
    """
    names: list[str] = []
    taken: set[str] = set()
    last_count: dict[str, int] = {}
    for position, raw in enumerate(header, start=1):
        name = raw.strip().lstrip("\ufeff").strip() or f"Column {position}"
        unique, count = name, last_count.get(name, 1)
        while unique in taken:
            count += 1
            unique = f"{name} ({count})"
        last_count[name] = count
        taken.add(unique)
        names.append(unique)
    return names


def _lines(text: str):
    """The text's lines, each with its line break, split as the CSV reader splits them (CR, LF, CRLF)."""
    return io.StringIO(text, newline="")


def _check_line_lengths(text: str) -> None:
    """Refuse a file with a line (its line break included) longer than MAX_LINE_CHARS."""
    if max(map(len, _lines(text)), default=0) <= MAX_LINE_CHARS:
        return
    number = next(number for number, line in enumerate(_lines(text), start=1) if len(line) > MAX_LINE_CHARS)
    raise CsvFileError(
        f"Line {number:,} of this file is longer than {MAX_LINE_CHARS // 1024} KB, which no CRM export "
        f"is. {CHECK_AND_EXPORT_AGAIN}"
    )


def _too_many_values(number: int, count: int) -> CsvFileError:
    if number == 1:
        what = f"This file has {count:,} columns; Rebound reads files of up to {MAX_COLUMNS}."
    else:
        what = f"Row {number:,} has {count:,} values; Rebound reads rows of up to {MAX_COLUMNS}."
    return CsvFileError(
        f"{what} Export only the deals' own columns (name, close date, amount, stage, lost reason) "
        "and upload that file."
    )


def read_table(text: str) -> Table:
    """Parse the text as CSV (quoted line breaks and all): its columns and its non-blank rows.

    A pass over the text to check its lines' lengths, a look at its header with each delimiter, a
    pass to parse it: time in proportion to the file's size, whatever it holds. Blank rows cost
    one test each (spreadsheets leave thousands of them).
    """
    _check_line_lengths(text)
    delimiter = None
    if match := SEP_LINE.match(text):
        # Excel's "sep=;" first line says which delimiter follows.
        delimiter, text = match.group(1), text[match.end() :]
    text = _without_leading_blank_lines(text)
    delimiter = delimiter or sniff_delimiter(text)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    number = 0
    records = _records(text, delimiter)
    try:
        for record in records:
            number += 1
            if not record or _is_blank(record):  # An empty line is [], tested without a call.
                continue
            if len(record) > MAX_COLUMNS:
                raise _too_many_values(1 if header is None else number, len(record))
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
        row = 1 if header is None else number + 1
        if "field limit" in str(error):
            # One value runs on for more than csv.field_size_limit() characters (128 KB).
            raise CsvFileError(
                f"Row {row:,} has a value longer than {csv.field_size_limit() // 1024} KB: often a quote "
                f'(") that is opened and never closed. {CHECK_AND_EXPORT_AGAIN}'
            ) from None
        raise CsvFileError(f"Row {row:,} can't be read ({error}). {CHECK_AND_EXPORT_AGAIN}") from None
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
