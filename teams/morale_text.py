"""How the dashboard's cells read: on the page, in its CSV and in the weekly digest."""

import datetime
import functools
from decimal import Decimal

from teams import morale

NO_DATA = "—"


def number_text(value, grouping: bool = True) -> str:
    """3 → "3", 3.0 → "3", 3.5 → "3.5", Decimal("1200.50") → "1,200.50"."""
    sep = "," if grouping else ""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return f"{value:{sep}.0f}"
        return f"{value:{sep}.2f}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:{sep}}"


def value_text(cell: morale.Cell, unit: str = "") -> str:
    """A cell as the page and the digest show it: the number with its unit, "—", or why it is hidden."""
    if cell.hidden:
        return morale.hidden_text()
    if cell.value is None:
        return NO_DATA
    number = number_text(cell.value)
    if unit == "%":
        return f"{number}%"
    if unit == "days" and cell.value == 1:
        return f"{number} day"
    return f"{number} {unit}" if unit else number


def csv_text(cell: morale.Cell) -> str:
    """A cell in the CSV: the bare number (its unit is in the column's name), empty, or the hidden text."""
    if cell.hidden:
        return morale.hidden_text()
    if cell.value is None:
        return ""
    return number_text(cell.value, grouping=False)


@functools.lru_cache(maxsize=512)
def week_label(monday: datetime.date) -> str:
    return f"{monday.day} {monday:%b}"


def range_label(weeks: list[datetime.date]) -> str:
    first, last = weeks[0], weeks[-1]
    return f"the weeks of {first.day} {first:%b %Y} to {last.day} {last:%b %Y}"
