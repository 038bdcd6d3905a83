"""Dates as the pages write them, without the `|date` filter's cost on pages that show many.

The filter takes 35-45 us a date on the benchmark's machine; these write the same letters
directly (tests/teams/test_feed.py compares them with the filter).
"""

import datetime

from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3


def long_date(value: datetime.date) -> str:
    """`value|date:"j F Y"`: 26 November 2026."""
    return f"{value.day} {MONTHS[value.month]} {value.year:04d}"


def short_date(value: datetime.date) -> str:
    """`value|date:"j M Y"`: 26 Nov 2026."""
    return f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}"


def short_date_time(value: datetime.datetime) -> str:
    """`value|date:"j M Y, H:i"` of an aware datetime, in local time: 26 Nov 2026, 09:30."""
    local = timezone.localtime(value)
    return f"{short_date(local)}, {local.hour:02d}:{local.minute:02d}"
