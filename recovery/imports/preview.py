"""A file's rows read into the deals to import and the rows skipped (with why), and the reads of imports."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from recovery.models import CsvImport, LossReason, LostDeal, Stage
from teams.models import User

from .crms import squash
from .files import Table, read_table
from .values import (
    DOLLAR,
    BadValue,
    amounts_decimal_comma,
    boolean,
    currency_code,
    dates_day_first,
    parse_amount,
    parse_date,
    reasons_from_text,
    stage_from_text,
)

DEFAULT_STAGE = Stage.PROPOSAL
# What the model's fields hold.
NAME_MAX = LostDeal._meta.get_field("name").max_length
CRM_ID_MAX = LostDeal._meta.get_field("crm_id").max_length
CRM_REASON_MAX = LostDeal._meta.get_field("crm_reason").max_length
COMPETITOR_MAX = LostDeal._meta.get_field("competitor").max_length


@dataclass
class DealRow:
    """A row that becomes a lost deal when the rep confirms."""

    number: int
    name: str
    lost_on: datetime.date
    amount: Decimal | None
    currency: str
    stage: str
    stage_guessed: bool
    crm_id: str
    crm_reason: str
    reason_slugs: list[str]
    competitor: str
    # Filled in by build_preview from reason_slugs.
    reasons: list[LossReason] = field(default_factory=list)

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    def same_deal_key(self) -> tuple:
        """Without a CRM id, a deal is known by its name, date lost and amount."""
        return (self.name.casefold(), self.lost_on, self.amount)


@dataclass
class SkippedRow:
    number: int
    name: str
    why: str


@dataclass
class Preview:
    to_import: list[DealRow]
    skipped: list[SkippedRow]
    # Row numbers of the won and still-open deals: counted, not listed one by one.
    not_lost: list[int]

    @property
    def stages_guessed(self) -> bool:
        return any(row.stage_guessed for row in self.to_import)


def _getter(table: Table, mapping: dict) -> Callable[[list[str], str], str]:
    index = {column: position for position, column in enumerate(table.columns)}

    def get(values: list[str], name: str) -> str:
        position = index.get(mapping.get(name) or "")
        if position is None or position >= len(values):
            return ""
        return values[position].strip()

    return get


def _is_lost(values: list[str], get, mapping: dict) -> bool:
    if mapping.get("won") and mapping.get("closed"):
        won, closed = boolean(get(values, "won")), boolean(get(values, "closed"))
        if won is not None and closed is not None:
            return closed and not won
    if mapping.get("status"):
        return squash(get(values, "status")) == squash(mapping.get("lost_value", ""))
    return True  # No column says which deals were lost: the rep said they all were.


def _column_values(table: Table, get, name: str) -> list[str]:
    return [value for _, values in table.rows if (value := get(values, name))]


# A task reading a file says how far it has got every this many rows.
PROGRESS_EVERY = 250


def read_deals(
    table: Table, mapping: dict, *, today: datetime.date, progress: Callable[[int], None] | None = None
) -> Preview:
    """Each row, read with the mapping: a deal to import, a row skipped and why, or a deal not lost.

    Pure: duplicates of losses already in Rebound are found by build_preview. `progress`, if given,
    is called with the number of rows read so far every PROGRESS_EVERY rows.
    """
    get = _getter(table, mapping)
    day_first = dates_day_first(_column_values(table, get, "lost_on"))
    decimal_comma = amounts_decimal_comma(_column_values(table, get, "amount"), delimiter=table.delimiter)
    default_currency = mapping.get("default_currency") or "EUR"
    width = len(table.columns)
    preview = Preview(to_import=[], skipped=[], not_lost=[])
    seen: dict[tuple, int] = {}
    for count, (number, values) in enumerate(table.rows, start=1):
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        name = get(values, "name")
        if len(values) > width and any(value.strip() for value in values[width:]):
            why = (
                f"it has {len(values)} values but the file has {width} columns (a stray "
                f"{'comma' if table.delimiter == ',' else 'separator'} or quote?)"
            )
            preview.skipped.append(SkippedRow(number, name, why))
            continue
        if not _is_lost(values, get, mapping):
            preview.not_lost.append(number)
            continue
        problems, row = _read_row(number, values, get, day_first, decimal_comma, default_currency, today)
        if problems:
            preview.skipped.append(SkippedRow(number, name, "; ".join(problems)))
            continue
        key = ("id", row.crm_id) if row.crm_id else ("deal", *row.same_deal_key())
        if key in seen:
            what = "CRM id" if row.crm_id else "name, date lost and amount"
            why = f"same {what} as row {seen[key]}"
            preview.skipped.append(SkippedRow(number, name, why))
            continue
        seen[key] = number
        preview.to_import.append(row)
    return preview


def _read_row(number, values, get, day_first, decimal_comma, default_currency, today):
    """(problems, DealRow or None) for a lost deal's row."""
    problems = []
    name = get(values, "name")[:NAME_MAX].strip()
    if not name:
        problems.append("no deal name")
    crm_id = get(values, "crm_id")
    if len(crm_id) > CRM_ID_MAX:
        problems.append(f"the CRM id is longer than {CRM_ID_MAX} characters")
    raw_date = get(values, "lost_on")
    lost_on = parse_date(raw_date, day_first=day_first) if raw_date else None
    if not raw_date:
        problems.append("no date lost")
    elif lost_on is None:
        problems.append(f"the date “{raw_date}” can't be read")
    elif lost_on > today:
        problems.append(f"the date lost, {lost_on.day} {lost_on:%B %Y}, is in the future")
    amount, amount_currency = None, ""
    try:
        amount, amount_currency = parse_amount(get(values, "amount"), decimal_comma=decimal_comma)
    except BadValue as error:
        problems.append(str(error))
    raw_currency = get(values, "currency")
    currency = currency_code(raw_currency)
    if amount_currency == DOLLAR:
        amount_currency = "" if currency else "USD"
    if currency is None:
        problems.append(f"the currency “{raw_currency}” isn't one we know (use a code such as EUR or USD)")
    elif currency and amount_currency and currency != amount_currency:
        problems.append(f"the amount is in {amount_currency} but the currency column says {currency}")
    if problems:
        return problems, None
    stage = stage_from_text(get(values, "stage"))
    crm_reason = " ".join(get(values, "reason").split())[:CRM_REASON_MAX]
    row = DealRow(
        number=number,
        name=name,
        lost_on=lost_on,
        amount=amount,
        currency=currency or amount_currency or default_currency,
        stage=stage or DEFAULT_STAGE,
        stage_guessed=stage is None,
        crm_id=crm_id,
        crm_reason=crm_reason,
        reason_slugs=reasons_from_text(crm_reason),
        competitor=get(values, "competitor")[:COMPETITOR_MAX].strip(),
    )
    return [], row


# ---------------------------------------------------------------------------
# Reads of the database
# ---------------------------------------------------------------------------


def get_own_import(*, user: User, code) -> CsvImport:
    """The user's own import, or 404: another person's import looks exactly like a missing one."""
    return get_object_or_404(CsvImport, owner=user, code=code)


def recent_imports(*, user: User, limit: int = 10) -> list[CsvImport]:
    """The rep's latest imports, without their files' text."""
    return list(CsvImport.objects.filter(owner=user).defer("content", "preview")[:limit])


def build_preview(
    csv_import: CsvImport,
    *,
    today: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Preview:
    """What confirming would import, and what it would skip and why.

    Two queries whatever the file's size: the owner's losses that could be the same deals, and the
    reasons the CRM's words map to.
    """
    table = read_table(csv_import.content)
    preview = read_deals(table, csv_import.mapping, today=today or timezone.localdate(), progress=progress)
    if not preview.to_import:
        return preview
    dates = [row.lost_on for row in preview.to_import]
    existing = LostDeal.objects.filter(owner_id=csv_import.owner_id).filter(
        Q(lost_on__range=(min(dates), max(dates))) | ~Q(crm_id="")
    )
    known_ids, known_deals, known_manual = set(), set(), set()
    for crm_id, name, lost_on, amount in existing.values_list("crm_id", "name", "lost_on", "amount"):
        key = (name.casefold(), lost_on, amount)
        known_deals.add(key)
        if crm_id:
            known_ids.add(crm_id)
        else:
            known_manual.add(key)
    fresh = []
    for row in preview.to_import:
        if row.crm_id and row.crm_id in known_ids:
            why = "already in Rebound (imported before, with the same CRM id)"
        elif row.same_deal_key() in (known_manual if row.crm_id else known_deals):
            why = "already in Rebound (a loss with the same name, date lost and amount)"
        else:
            fresh.append(row)
            continue
        preview.skipped.append(SkippedRow(row.number, row.name, why))
    preview.skipped.sort(key=lambda skipped: skipped.number)
    preview.to_import = fresh
    slugs = {slug for row in fresh for slug in row.reason_slugs}
    if slugs:
        reasons = {reason.slug: reason for reason in LossReason.objects.filter(slug__in=slugs)}
        for row in fresh:
            row.reasons = [reasons[slug] for slug in row.reason_slugs if slug in reasons]
    return preview


# ---------------------------------------------------------------------------
# The preview kept between the task that reads it and the page that shows it
# ---------------------------------------------------------------------------

_ROW_FIELDS = ("number", "name", "currency", "stage", "stage_guessed", "crm_id", "crm_reason", "competitor")


def preview_to_json(preview: Preview) -> dict:
    return {
        "to_import": [
            {
                **{name: getattr(row, name) for name in _ROW_FIELDS},
                "lost_on": row.lost_on.isoformat(),
                "amount": None if row.amount is None else str(row.amount),
                "reason_slugs": [reason.slug for reason in row.reasons],
            }
            for row in preview.to_import
        ],
        "skipped": [[row.number, row.name, row.why] for row in preview.skipped],
        "not_lost": preview.not_lost,
    }


def preview_from_json(data: dict) -> Preview:
    """The stored preview, with its reasons (one query)."""
    rows = [
        DealRow(
            **{name: item[name] for name in _ROW_FIELDS},
            lost_on=datetime.date.fromisoformat(item["lost_on"]),
            amount=None if item["amount"] is None else Decimal(item["amount"]),
            reason_slugs=item["reason_slugs"],
        )
        for item in data["to_import"]
    ]
    slugs = {slug for row in rows for slug in row.reason_slugs}
    if slugs:
        reasons = {reason.slug: reason for reason in LossReason.objects.filter(slug__in=slugs)}
        for row in rows:
            row.reasons = [reasons[slug] for slug in row.reason_slugs if slug in reasons]
    return Preview(
        to_import=rows,
        skipped=[SkippedRow(number, name, why) for number, name, why in data["skipped"]],
        not_lost=data["not_lost"],
    )
