"""The writes of an import, each one transaction."""

import datetime
from collections.abc import Sequence
from itertools import batched

from django.db import transaction
from django.utils import timezone

from recovery.models import CsvImport, LostDeal, Source
from recovery.services import lost_deals_prepare
from teams.models import User

from .files import Upload
from .preview import DealRow, build_preview

# Losses written per round of inserts: 5,000 rows take ten rounds of four queries.
BATCH_SIZE = 500


@transaction.atomic
def csv_import_create(*, owner: User, upload: Upload, kind: str, mapping: dict) -> CsvImport:
    """Keep an uploaded file, read and checked, until the rep confirms its preview."""
    return CsvImport.objects.create(
        owner=owner, filename=upload.filename, content=upload.text, kind=kind, mapping=mapping
    )


@transaction.atomic
def csv_import_set_mapping(*, csv_import: CsvImport, mapping: dict) -> CsvImport:
    """The columns the rep picked replace the mapping (and any recognised export's own rules)."""
    csv_import.mapping = mapping
    csv_import.save(update_fields=["mapping"])
    return csv_import


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
