"""The weekly morale digest: each team's managers get last week's figures beside the week before."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from teams import emails, morale, morale_weeks
from teams.models import DigestSent, Role, SharedLoss, Team, User
from teams.morale_text import value_text, week_label


@dataclass
class DigestLine:
    label: str
    before: str  # the week before
    last: str  # last week


@dataclass
class Digest:
    team: Team
    week: datetime.date  # the Monday of the week reported on
    lines: list[DigestLine]
    needs_encouragement: list[SharedLoss]
    needs_encouragement_urls: dict[int, str]

    @property
    def is_empty(self) -> bool:
        nothing = {value_text(morale.EMPTY), "0"}
        quiet = all(line.before in nothing and line.last in nothing for line in self.lines)
        return quiet and not self.needs_encouragement


def build_digest(team: Team, manager: User, now: datetime.datetime) -> Digest:
    """One manager's digest: the last two closed weeks, as frozen, through the dashboard's threshold
    for that manager (who doesn't count towards it). Only weekly cells are used, not range totals."""
    board = morale.build_dashboard(team, 2, viewer=manager, now=now)
    week = board.weeks[-1]
    ended = morale_weeks.start_of(week + datetime.timedelta(weeks=1), zoneinfo.ZoneInfo(team.time_zone))
    lines = [
        DigestLine(
            label=figure.label,
            before=value_text(board.series[figure.key].cells[0], figure.unit),
            last=value_text(board.series[figure.key].cells[1], figure.unit),
        )
        for figure in morale.FIGURES
    ]
    lines += [
        DigestLine(
            label=f"Amount lost ({c.currency})", before=value_text(c.cells[0]), last=value_text(c.cells[1])
        )
        for c in board.currencies
    ]
    # Still waiting now, whenever it was shared in these two weeks or since.
    waiting = list(morale.needs_encouragement(team, now, since=ended - datetime.timedelta(weeks=2)))
    urls = {
        shared.pk: emails.absolute(reverse("teams:shared_loss", kwargs={"code": shared.deal.code}))
        for shared in waiting
    }
    return Digest(
        team=team, week=week, lines=lines, needs_encouragement=waiting, needs_encouragement_urls=urls
    )


def managers_of(team: Team):
    """Who gets the team's digest: its active managers."""
    return User.objects.filter(
        memberships__team=team, memberships__role=Role.MANAGER, is_active=True
    ).order_by("pk")


def send_digest(digest: Digest, manager: User, now: datetime.datetime) -> bool:
    """Queue one manager's digest unless it was queued already; True if queued.

    The record and the queued email are committed together (the worker sends it, retrying while the
    mail server is away), and two runs at once can't both queue it, as the record is unique per
    team, manager and week.
    """
    with transaction.atomic():
        _, created = DigestSent.objects.get_or_create(team=digest.team, manager=manager, week=digest.week)
        if not created:
            return False
        emails.send(
            "morale_digest",
            [manager.email],
            {
                "manager": manager,
                "team": digest.team,
                "week": digest.week,
                "week_label": f"{week_label(digest.week)} {digest.week:%Y}",
                "lines": digest.lines,
                "needs_encouragement": [
                    (shared, digest.needs_encouragement_urls[shared.pk])
                    for shared in digest.needs_encouragement
                ],
                "now": now,
                "hidden_text": morale.hidden_text(),
                "min_group": morale.min_group(),
                "dashboard_url": emails.absolute(
                    reverse("teams:dashboard", kwargs={"code": digest.team.code})
                ),
            },
        )
    return True


class Command(BaseCommand):
    help = (
        "Email each team's managers the morale digest for the last complete ISO week (Monday to Sunday "
        "in the team's time zone), beside the week before, with the shared losses still waiting for "
        "encouragement. Running it again in the same week sends nothing twice (each digest is recorded "
        "in DigestSent). Figures withheld on the dashboard are withheld here too. Every active manager "
        "gets it whatever their email_notifications choice, which covers comments, encouragement and "
        "losses shared with them: the digest is the report of the team they manage. Teams with nothing "
        "to report for the two weeks are skipped. The task worker sends it by itself on Monday at 07:00 "
        "in each team's time zone (schedule/tasks.py): run this by hand only to send one that failed, "
        "or to check with --dry-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say who would get a digest; send and record nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        sent = already = failed = 0
        for team in Team.objects.order_by("pk"):
            for manager in managers_of(team):
                digest = build_digest(team, manager, now)
                if digest.is_empty:
                    self.stdout.write(
                        f"{team.name}: nothing to report to {manager.email} for the week of {digest.week}."
                    )
                    continue
                if dry_run:
                    recorded = DigestSent.objects.filter(
                        team=team, manager=manager, week=digest.week
                    ).exists()
                    state = "already sent" if recorded else "would send"
                    self.stdout.write(f"{team.name}, week of {digest.week}: {state} to {manager.email}")
                    continue
                try:
                    if send_digest(digest, manager, now):
                        sent += 1
                    else:
                        already += 1
                except Exception as error:  # one failed email must not stop the others
                    failed += 1
                    self.stderr.write(f"{team.name}: the digest to {manager.email} failed ({error}).")
        if dry_run:
            self.stdout.write("Dry run: nothing sent or recorded.")
            return
        self.stdout.write(f"Sent {sent} digest(s); {already} already sent this week.")
        if failed:
            raise CommandError(f"{failed} digest(s) could not be sent; run again to retry them.")
