"""Deletes what is no use after a day: unconfirmed CRM imports, expired invitations, old email records."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from recovery.imports.services import csv_imports_delete_unconfirmed
from teams import services

# How long an unconfirmed import or an expired invitation is kept. A notification email's record
# is kept as long as it holds the next email back (teams.services.NOTIFY_AGAIN_AFTER, a day too).
KEPT_FOR = datetime.timedelta(days=1)


class Command(BaseCommand):
    help = (
        "Deletes CRM imports uploaded more than a day ago and never confirmed, invitations expired "
        "more than a day ago and never accepted, and records of notification emails over a day old. "
        "Safe to run as often as you like, and twice at once."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        imports = csv_imports_delete_unconfirmed(uploaded_before=now - KEPT_FOR)
        invitations = services.invitations_delete_expired(expired_before=now - KEPT_FOR)
        emails = services.notification_emails_delete_old(sent_before=now - services.NOTIFY_AGAIN_AFTER)
        self.stdout.write(
            f"Deleted {imports} unconfirmed CRM import(s), {invitations} expired invitation(s) "
            f"and {emails} notification email record(s)."
        )
