"""The writes of an import, each one transaction."""

import datetime
from collections.abc import Sequence
from itertools import batched

from django.db import transaction
from django.utils import timezone

from recovery.models import CsvImport, LostDeal, Source
from recovery.services import lost_deals_prepare
from teams.models import User

from .crms import mapping_complete
from .files import CsvFileError, Upload
from .preview import DealRow, build_preview, preview_to_json

# Losses written per round of inserts: 5,000 rows take ten rounds of four queries.
BATCH_SIZE = 500


def _enqueue_read(csv_import: CsvImport) -> None:
    from .tasks import csv_import_read  # the task module imports these services

    csv_import_read.enqueue(import_code=str(csv_import.code))


@transaction.atomic
def csv_import_create(*, owner: User, upload: Upload, kind: str, mapping: dict) -> CsvImport:
    """Keep an uploaded file, checked, until the rep confirms its preview; if its columns are known,
    enqueue the task that reads its rows into the preview, in the same transaction."""
    csv_import = CsvImport.objects.create(
        owner=owner,
        filename=upload.filename,
        content=upload.text,
        kind=kind,
        mapping=mapping,
        rows_total=len(upload.table.rows),
    )
    if mapping_complete(mapping):
        _enqueue_read(csv_import)
    return csv_import


@transaction.atomic
def csv_import_set_mapping(*, csv_import: CsvImport, mapping: dict) -> CsvImport:
    """The columns the rep picked replace the mapping (and any recognised export's own rules); the
    file is read again with them, by a task enqueued in the same transaction."""
    csv_import.mapping = mapping
    csv_import.state = CsvImport.State.QUEUED
    csv_import.rows_read = 0
    csv_import.preview = None
    csv_import.error = ""
    csv_import.save(update_fields=["mapping", "state", "rows_read", "preview", "error"])
    _enqueue_read(csv_import)
    return csv_import


def csv_import_read(*, code: str) -> str:
    """Read the file's rows into its preview, saying how far it has got; returns the import's state.

    Progress is written as it goes (one UPDATE every PROGRESS_EVERY rows, each its own transaction,
    so the page polling it sees it); the preview is written in one UPDATE at the end. Reading is
    pure, so a task that runs twice only writes the same preview again. An import already confirmed
    is left alone. A file that can't be read any more (the limits changed) fails with its message.
    """
    csv_import = CsvImport.objects.get(code=code)
    if csv_import.imported_at is not None:
        return csv_import.state
    rows = CsvImport.objects.filter(pk=csv_import.pk, imported_at__isnull=True)
    rows.update(state=CsvImport.State.READING, rows_read=0, error="")
    try:
        preview = build_preview(csv_import, progress=lambda count: rows.update(rows_read=count))
    except CsvFileError as error:
        rows.update(state=CsvImport.State.FAILED, error=str(error))
        return CsvImport.State.FAILED
    rows.update(
        state=CsvImport.State.READY,
        rows_read=csv_import.rows_total,
        preview=preview_to_json(preview),
    )
    return CsvImport.State.READY


def csv_import_fail(*, code: str, error: str) -> None:
    CsvImport.objects.filter(code=code, imported_at__isnull=True).update(
        state=CsvImport.State.FAILED, error=error
    )


def csv_import_confirm(*, csv_import: CsvImport) -> int:
    """Import every good row of the preview, in one transaction: all of them or none.

    Returns how many losses were imported; 0 if the file was imported already (a second click).
    The file's text is then dropped: the import keeps its name, kind, date and count.
    Each loss comes as recovery.services.lost_deal_create makes one: with its empty reflection,
    waiting for the rep, and the check-in prompts still ahead. They are written in batches, since
    one call of lost_deal_create per row takes 20 to 30 seconds for 5,000 rows.

    A CRM id that another request gave to a loss meanwhile (a webhook, say) breaks the owner's
    unique constraint: IntegrityError, and nothing is imported; the next try skips that deal.
    """
    with transaction.atomic():
        locked = CsvImport.objects.select_for_update().get(pk=csv_import.pk)
        if locked.imported_at is not None:
            return 0
        # Read again inside the transaction: duplicates are checked against the latest losses.
        preview = build_preview(locked)
        owner = locked.owner
        for rows in batched(preview.to_import, BATCH_SIZE):
            _create_losses(owner, rows)
        locked.imported_at = timezone.now()
        locked.imported_count = len(preview.to_import)
        # The file was kept for its preview only: its other columns (contacts, owners, notes) go.
        locked.content = ""
        locked.save(update_fields=["imported_at", "imported_count", "content"])
    csv_import.imported_at, csv_import.imported_count = locked.imported_at, locked.imported_count
    return locked.imported_count


def _new_loss(owner: User, row: DealRow) -> LostDeal:
    return LostDeal(
        owner=owner,
        name=row.name,
        amount=row.amount,
        currency=row.currency,
        stage=row.stage,
        lost_on=row.lost_on,
        competitor=row.competitor,
        source=Source.CSV,
        crm_id=row.crm_id,
        crm_reason=row.crm_reason,
    )


def _create_losses(owner: User, rows: Sequence[DealRow]) -> None:
    """The losses of these rows, with their reasons, empty reflections and check-in prompts."""
    deals = LostDeal.objects.bulk_create([_new_loss(owner, row) for row in rows])
    Reasons = LostDeal.reasons.through
    Reasons.objects.bulk_create(
        Reasons(lostdeal=deal, lossreason=reason)
        for deal, row in zip(deals, rows, strict=True)
        for reason in row.reasons
    )
    lost_deals_prepare(deals=deals)


@transaction.atomic
def csv_imports_delete_unconfirmed(*, uploaded_before: datetime.datetime) -> int:
    """Delete the files uploaded before that moment and never confirmed; returns how many.

    Their text holds the CRM's other columns (contacts, owners, notes): kept for the preview only.
    One DELETE by query, so running it twice, or twice at once, is harmless.
    """
    deleted, _ = CsvImport.objects.filter(imported_at__isnull=True, created_at__lt=uploaded_before).delete()
    return deleted
