"""Time the morale dashboard on a big team: seeds one, then builds and renders each range N times.

The seed also gives the database 20 neighbouring teams of 10 people with the same history, so the
tables have realistic sizes and the dashboard's queries have other teams' rows to skip.

It writes into the configured database, so point it at a throwaway one, e.g.

    createdb -h 127.0.0.1 -U postgres rebound_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/rebound_bench
    DJANGO_DEBUG=true .venv/bin/python manage.py migrate
    DJANGO_DEBUG=true .venv/bin/python manage.py bench_dashboard --runs 20

For production-like numbers run it with DJANGO_DEBUG off (DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS
set, and `collectstatic` run, as the manifest storage needs it): the template engine then runs without
its debug bookkeeping. The seeded team is kept, so later runs skip straight to the timing.
"""

import datetime
import io
import math
import random
import statistics
import time
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connection, transaction
from django.db.models import Q
from django.shortcuts import render
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recovery.models import CheckIn, LossReason, LostDeal, Reflection, Stage
from teams import morale
from teams.models import Audience, Comment, Encouragement, Membership, Role, SharedLoss, Team, User
from teams.views.dashboard import dashboard_context

BENCH_TEAM = "Rebound benchmark team"
EMAIL_DOMAIN = "bench.rebound.invalid"
BATCH = 2000
LOSSES_PER_MEMBER_YEAR = 200  # 50 members over 2 years: 20,000 losses
SHARE_RATE = 0.5  # 10,000 shared losses
OTHER_TEAM = "Rebound benchmark neighbours"
OTHER_TEAMS = 20
OTHER_TEAM_SIZE = 10
CURRENCIES = ["EUR", "EUR", "USD", "USD", "GBP", "CHF"]


@contextmanager
def explicit_timestamps(*fields):
    """Let bulk_create keep the past `created_at` we give, instead of auto_now_add's "now"."""
    saved = [(f, f.auto_now_add) for f in fields]
    for f, _ in saved:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in saved:
            f.auto_now_add = value


@contextmanager
def tallies_counted_at_the_end():
    """On PostgreSQL, load without the support tallies' row triggers, then count them once.

    The triggers (migration teams 0006) add each encouragement and comment to its team's week and
    recount its share's first support: right for the app's writes, slow for the tens of thousands
    of rows of a seed. Inside the seed's transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = ["teams_sharedloss", "teams_encouragement", "teams_comment"]  # the tables they count
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys' checks, due at the commit
        cursor.execute("SELECT teams_tallies_rebuild()")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _bulk(model, objects, out, label):
    created = []
    for start in range(0, len(objects), BATCH):
        created += model.objects.bulk_create(objects[start : start + BATCH])
    out.write(f"  {len(created):>7,} {label}")
    return created


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class Command(BaseCommand):
    help = (
        "Seed (once) a team of --members people with --years of losses, reflections, check-ins, shares, "
        "encouragement and comments, then time the morale dashboard (build + render, no cache) for each "
        "range, --runs times, and print the median and p95. Writes into the configured database: use a "
        "throwaway DATABASE_URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=50)
        parser.add_argument("--years", type=int, default=2)
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument(
            "--reseed", action="store_true", help="Delete the benchmark team and its people, and seed again."
        )
        parser.add_argument(
            "--force-seed",
            action="store_true",
            help="Seed even though the database holds other teams (it is not a throwaway one).",
        )

    def handle(self, *args, members, years, runs, reseed, force_seed, **options):
        if members < morale.min_group():
            raise CommandError(f"--members must be at least {morale.min_group()}, or every figure is hidden.")
        db = connection.settings_dict
        self.stdout.write(f"Database: {connection.vendor} {db.get('NAME')}")
        if reseed:
            self._delete()
        team = Team.objects.filter(name=BENCH_TEAM).first()
        if team is None:
            if Team.objects.exists() and not force_seed:
                raise CommandError(
                    "This database already has teams: the benchmark seeds thousands of rows. Point "
                    "DATABASE_URL at a throwaway database, or pass --force-seed."
                )
            started = time.perf_counter()
            team = self._seed(members, years)
            self.stdout.write(f"Seeded in {time.perf_counter() - started:.1f} s.")
        else:
            self.stdout.write("The benchmark team exists: seeding skipped (--reseed to start again).")
        self._report_size(team)
        self._time(team, runs)

    # ------------------------------------------------------------ seeding

    def _delete(self):
        with transaction.atomic():
            Team.objects.filter(Q(name=BENCH_TEAM) | Q(name__startswith=OTHER_TEAM)).delete()
            User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()

    @transaction.atomic
    def _seed(self, members: int, years: int) -> Team:
        rng = random.Random(2026)  # the same data on every machine
        self.stdout.write(f"Seeding {BENCH_TEAM}: {members} members, {years} years of data...")
        with tallies_counted_at_the_end():
            team = self._seed_team(BENCH_TEAM, "rep", members, years, rng, self.stdout)
            self._talked_about(team)
            self.stdout.write(
                f"Seeding {OTHER_TEAMS} other teams of {OTHER_TEAM_SIZE} people, {years} years of data, "
                "for realistic table sizes..."
            )
            quiet = OutputWrapper(io.StringIO())
            for t in range(OTHER_TEAMS):
                name, prefix = f"{OTHER_TEAM} {t + 1:02d}", f"t{t + 1:02d}rep"
                self._seed_team(name, prefix, OTHER_TEAM_SIZE, years, rng, quiet)
        return team

    def _seed_team(self, name, prefix, members, years, rng, out) -> Team:
        """One team of `members` people (the first its manager) with `years` of history."""
        now = timezone.now()
        today = timezone.localdate()
        no_login = make_password(None)  # nobody logs in as these people
        people = _bulk(
            User,
            [
                User(email=f"{prefix}{i:03d}@{EMAIL_DOMAIN}", name=f"Bench Rep {i:03d}", password=no_login)
                for i in range(members)
            ],
            out,
            "people",
        )
        team = Team.objects.create(name=name)
        _bulk(
            Membership,
            [
                Membership(team=team, user=p, role=Role.MANAGER if i == 0 else Role.MEMBER)
                for i, p in enumerate(people)
            ],
            out,
            "memberships",
        )
        # Members since before the history begins: all of it counts on the dashboard.
        Membership.objects.filter(team=team).update(
            joined_at=timezone.now() - datetime.timedelta(days=years * 365 + 7)
        )

        days = years * 365
        reasons = list(LossReason.objects.all())
        if not reasons:
            raise CommandError("No loss reasons: run the migrations first (they seed the reasons).")
        deals = []
        for i in range(members * years * LOSSES_PER_MEMBER_YEAR):
            lost_on = today - datetime.timedelta(days=rng.randrange(days))
            moved_on_at = None
            if rng.random() < 0.7:
                moved_on_at = datetime.datetime.combine(
                    lost_on + datetime.timedelta(days=rng.randint(0, 30)),
                    datetime.time(17),
                    tzinfo=datetime.UTC,
                )
                if moved_on_at > now:
                    moved_on_at = None
            deals.append(
                LostDeal(
                    owner=rng.choice(people),
                    name=f"Bench deal {i}",
                    amount=None if rng.random() < 0.1 else Decimal(rng.randrange(1_000, 200_000)),
                    currency=rng.choice(CURRENCIES),
                    stage=rng.choice(Stage.values),
                    lost_on=lost_on,
                    moved_on_at=moved_on_at,
                    recovery_days=(moved_on_at.date() - lost_on).days if moved_on_at else None,
                )
            )
        deals = _bulk(LostDeal, deals, out, "losses")
        if any(d.pk is None for d in deals):
            raise CommandError("This database doesn't return ids from bulk inserts.")

        def at(day: datetime.date, hour: int) -> datetime.datetime:
            return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)

        _bulk(
            LostDeal.reasons.through,
            [
                LostDeal.reasons.through(lostdeal_id=d.pk, lossreason_id=r.pk)
                for d in deals
                for r in rng.sample(reasons, rng.choice((1, 1, 2, 3)))
            ],
            out,
            "reasons picked",
        )
        _bulk(
            Reflection,
            [
                Reflection(
                    deal=d,
                    owner_id=d.owner_id,
                    mood=rng.randint(1, 5),
                    mood_at=at(d.lost_on, rng.randint(9, 18)),
                    lesson=f"Lesson {d.pk}: follow up sooner" if rng.random() < 0.4 else "",
                    finished_at=at(d.lost_on, 19),
                )
                for d in deals
            ],
            out,
            "reflections",
        )
        check_ins = []
        for d in deals:
            for offset in CheckIn.PROMPT_DAYS:
                due_on = d.lost_on + datetime.timedelta(days=offset)
                answered = due_on <= today and rng.random() < 0.9
                check_ins.append(
                    CheckIn(
                        deal=d,
                        owner_id=d.owner_id,
                        due_on=due_on,
                        mood=rng.randint(1, 5) if answered else None,
                        answered_at=at(due_on, rng.randint(8, 20)) if answered else None,
                    )
                )
        _bulk(CheckIn, check_ins, out, "check-ins")

        shared_deals = [d for d in deals if rng.random() < SHARE_RATE]
        shares = _bulk(
            SharedLoss,
            [
                SharedLoss(
                    deal=d,
                    audience=Audience.TEAM,
                    team=team,
                    message="Lost this one. Any thoughts welcome.",
                    show_name=rng.random() < 0.5,
                    show_amount=rng.random() < 0.3,
                    include_lesson=rng.random() < 0.5,
                    shared_at=at(d.lost_on, 20),
                )
                for d in shared_deals
            ],
            out,
            "shares",
        )
        kinds = Encouragement.Kind.values
        encouragements, comments = [], []
        for shared in shares:
            if rng.random() < 0.12:
                continue  # some losses get no support at all: "needs encouragement"
            others = [p for p in rng.sample(people, min(8, len(people))) if p.pk != shared.deal.owner_id]
            for person, kind in {(p, rng.choice(kinds)) for p in others[: rng.randint(2, 5)]}:
                encouragements.append(
                    Encouragement(
                        shared=shared,
                        user=person,
                        kind=kind,
                        created_at=shared.shared_at + datetime.timedelta(minutes=rng.randint(5, 4000)),
                    )
                )
            for _ in range(rng.randint(0, 2)):
                comments.append(
                    Comment(
                        shared=shared,
                        author=rng.choice(others),
                        body="Been there. You'll get the next one.",
                        created_at=shared.shared_at + datetime.timedelta(minutes=rng.randint(5, 4000)),
                        hidden_at=None,
                    )
                )
        with explicit_timestamps(
            Encouragement._meta.get_field("created_at"), Comment._meta.get_field("created_at")
        ):
            _bulk(Encouragement, [e for e in encouragements if e.created_at <= now], out, "encouragements")
            _bulk(Comment, [c for c in comments if c.created_at <= now], out, "comments")
        return team

    def _talked_about(self, team, comments=50):
        """One loss shared with the team that got `comments` comments: the page of a long thread."""
        days_ago = timezone.now() - datetime.timedelta(days=3)
        shared = SharedLoss.objects.filter(team=team, shared_at__lte=days_ago).order_by("-shared_at").first()
        people = list(User.objects.filter(memberships__team=team).exclude(pk=shared.deal.owner_id)[:comments])
        with explicit_timestamps(Comment._meta.get_field("created_at")):
            Comment.objects.bulk_create(
                Comment(
                    shared=shared,
                    author=people[n % len(people)],
                    body=f"Comment {n + 1}: been there. You'll get the next one.",
                    created_at=shared.shared_at + datetime.timedelta(minutes=10 * (n + 1)),
                )
                for n in range(comments)
            )

    def _report_size(self, team):
        members = Membership.objects.filter(team=team).values("user_id")
        deals = LostDeal.objects.filter(owner__in=members)
        self.stdout.write(
            f"Team: {Membership.objects.filter(team=team).count()} members, {deals.count():,} losses, "
            f"{CheckIn.objects.filter(owner__in=members).count():,} check-ins, "
            f"{SharedLoss.objects.filter(team=team).count():,} shares, "
            f"{Encouragement.objects.filter(shared__team=team).count():,} encouragements, "
            f"{Comment.objects.filter(shared__team=team).count():,} comments."
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # as autovacuum would: index-only scans need it

    # ------------------------------------------------------------ timing

    def _time(self, team, runs):
        manager = User.objects.get(memberships__team=team, memberships__role=Role.MANAGER)
        factory = RequestFactory()
        url = reverse("teams:dashboard", kwargs={"code": team.code})
        self.stdout.write(
            f"\n{runs} runs per range after a warm-up run; milliseconds, server-side (time.perf_counter).\n"
        )
        header = (
            f"{'range':>8} | {'build median':>12} {'p95':>7} | {'render median':>13} {'p95':>7} | "
            f"{'total median':>12} {'p95':>7} | {'queries':>7} | {'HTML KB':>7}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for weeks in morale.RANGES:
            builds, renders, totals = [], [], []
            request = factory.get(url, {"weeks": weeks})
            request.user = manager
            morale.build_dashboard(team, weeks, viewer=manager)  # freezes the closed weeks once
            with CaptureQueriesContext(connection) as queries:
                morale.build_dashboard(team, weeks, viewer=manager)
            for run in range(runs + 1):
                started = time.perf_counter()
                board = morale.build_dashboard(team, weeks, viewer=manager)
                built = time.perf_counter()
                response = render(request, "teams/dashboard.html", dashboard_context(board))
                done = time.perf_counter()
                if run == 0:
                    continue  # warm-up: template compilation, connection, caches of the database
                builds.append((built - started) * 1000)
                renders.append((done - built) * 1000)
                totals.append((done - started) * 1000)
            label = f"{weeks} wk"
            self.stdout.write(
                f"{label:>8} | {statistics.median(builds):>12.1f} {_percentile(builds, 95):>7.1f} | "
                f"{statistics.median(renders):>13.1f} {_percentile(renders, 95):>7.1f} | "
                f"{statistics.median(totals):>12.1f} {_percentile(totals, 95):>7.1f} | "
                f"{len(queries):>7} | {len(response.content) / 1024:>7.0f}"
            )
