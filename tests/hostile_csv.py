"""CSV exports built to keep a worker busy, each with the start of the message that refuses it.

Before the import's limits, the first took a worker past gunicorn's 30-second timeout. Each is
now refused in one pass over the file. tests/test_hostile_input.py uploads every one (a message
next to the file field, nothing saved); the benchmark (tests/reliability/bench.py) times the
upload page on each and reports the slowest.
"""

SAME_NAME_COLUMNS = b",".join([b"Amount"] * 3000) + b"\r\n" + b",".join([b"1"] * 3000) + b"\r\n"
SHORT_COLUMNS = b",".join(b"c%d" % n for n in range(10_000)) + b"\r\n" + b"x," * 9_999 + b"x\r\n"
BLANK_LINES = b"Deal Name,Close Date\r\n" + b"\r\n" * 50_000 + b",\r\n" * 50_000
ONE_HUGE_LINE = b"Deal Name,Close Date\r\n" + b"A" * (4 * 1024 * 1024) + b",2026-03-14\r\n"
NULS = b"Deal Name,Close Date\r\n" + b"Acme\x00\x00 renewal,2026-03-14\x00\r\n" * 2_000

HOSTILE_CSV_FILES = {
    "3,000 columns of the same name": (SAME_NAME_COLUMNS, "This file has 3,000 columns; Rebound reads"),
    "10,000 short columns": (SHORT_COLUMNS, "This file has 10,000 columns; Rebound reads"),
    "100,000 blank lines": (BLANK_LINES, "This file has column names but no deals under them."),
    "one 4 MB line": (ONE_HUGE_LINE, "Line 2 of this file is longer than 64 KB"),
    "NUL characters": (NULS, "This file doesn't look like a CSV: it isn't text."),
}
