"""Load drill: 50 people using Rebound at once, on PostgreSQL, under gunicorn.

    .venv/bin/python -m tests.reliability.load [--seconds 60] [--clients 50]

It makes a fresh database (rebound_load on the PostgreSQL at 127.0.0.1:5432, or --database-url),
migrates it, seeds a team of ten with losses shared in the team, serves Rebound with gunicorn
(production settings, 2 workers) and signs the ten in, once each. Then --clients threads, each
using one person's session (five per person), keep asking for the feed, shared losses, their own
losses, the home page or, for the manager, the morale dashboard, and keep logging losses, posting
comments and toggling encouragement, for --seconds. Afterwards it checks:

- no answer was a 5xx (nor a 4xx, nor a dropped connection);
- every write that was acknowledged is in the database: each loss by name and each comment by
  its marker, exactly once; each encouragement in the state its last acknowledged toggle gave;
- the dashboard's support tally and first support, kept by triggers through all those concurrent
  writes, hold what a recount of their rows gives.

It prints requests per second, status counts, latencies, and writes acknowledged against found.
Exit status 0 when everything holds, 1 when anything does not. Loopback traffic only. Requests
per second depend on the machine: the clients run on the same cores as the server.
"""

import argparse
import datetime
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.reliability import harness

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rebound_load"
PEOPLE = 10
KINDS = ("been_there", "you_got_this", "proud", "here_to_talk")
# How often each thing is done, out of 100.
MIX = {
    "feed": 24,
    "shared loss": 20,
    "my losses": 10,
    "own loss": 6,
    "dashboard or home": 10,
    "log a loss": 10,
    "comment": 10,
    "encourage": 10,
}
PACE_MARGIN = 5  # seconds added to a rate limit's window: answers take time to arrive
MARKER = re.compile(r"\[load (\d+-\d+)\]")


@dataclass
class Person:
    email: str
    manager: bool
    own_losses: list[str]
    client: harness.Client | None = None
    # Comments are rate-limited per person (settings.REBOUND_RATE_LIMITS): people type at a human
    # pace, so the drill does too, a little under the limit, and counts any 429 on its own.
    comments_sent: deque = field(default_factory=deque)
    pace: threading.Lock = field(default_factory=threading.Lock)

    def may_comment(self, limit: tuple[int, int] | None) -> bool:
        if limit is None:
            return True
        count, seconds = limit
        now = time.monotonic()
        with self.pace:
            while self.comments_sent and self.comments_sent[0] < now - seconds - PACE_MARGIN:
                self.comments_sent.popleft()
            if len(self.comments_sent) >= count - 1:
                return False
            self.comments_sent.append(now)
            return True


@dataclass
class World:
    team_code: str
    people: list[Person]
    shared: list[tuple[str, str]]  # (deal code, owner email) of each loss shared in the team
    comment_limit: tuple[int, int] | None = None  # (count, seconds) per person, if any


@dataclass
class Tally:
    """One client thread's record."""

    statuses: Counter = field(default_factory=Counter)
    by_action: dict = field(default_factory=lambda: defaultdict(list))  # action → latencies
    problems: list[str] = field(default_factory=list)
    rate_limited: int = 0
    losses: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    # (email, deal code, kind) → whether the last acknowledged toggle left it given
    encouragement: dict = field(default_factory=dict)


def admin_params(parts) -> dict:
    """The server's maintenance database, to create and drop the drill's own."""
    return {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password,
        "dbname": "postgres",
    }


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "load" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: the load drill's database name must contain 'load'.")
    with psycopg.connect(**admin_params(parts), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()
    parts = urlsplit(url)
    with psycopg.connect(**admin_params(parts), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def seed() -> World:
    """A team of ten (the first is its manager), each with three losses, two shared in the team."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from recovery import services
    from recovery.models import LossReason
    from teams import services as team_services
    from teams.models import Audience, Membership, Role

    password = make_password(harness.PASSWORD)
    reasons = list(LossReason.objects.all())
    today = timezone.localdate()
    people, shared = [], []
    team = None
    for number in range(PEOPLE):
        email = f"rep{number}@example.com"
        user = harness.make_person(email, f"Rep {number}", password)
        if team is None:
            team = team_services.team_create(creator=user, name="Load Drill Team")
        else:
            Membership.objects.create(team=team, user=user, role=Role.MEMBER)
        own = []
        for index in range(3):
            deal = services.lost_deal_create(
                owner=user,
                name=f"Seeded deal {number}-{index}",
                stage="proposal",
                lost_on=today - datetime.timedelta(days=3 * index + number),
                reasons=[reasons[(number + index) % len(reasons)]],
                amount=1000 * (index + 1),
                currency="EUR",
            )
            own.append(str(deal.code))
            if index < 2:
                team_services.loss_share(
                    deal=deal,
                    audience=Audience.TEAM,
                    team=team,
                    message="Lost this one. Any ideas for next time?",
                    show_name=True,
                    show_amount=index == 0,
                    include_lesson=False,
                )
                shared.append((str(deal.code), email))
        people.append(Person(email=email, manager=number == 0, own_losses=own))
    from django.conf import settings

    limit = getattr(settings, "REBOUND_RATE_LIMITS", {}).get("comment")
    return World(team_code=str(team.code), people=people, shared=shared, comment_limit=limit)


class Visitor(threading.Thread):
    """One client: a person's session, doing one thing after another until the deadline."""

    def __init__(self, number: int, person: Person, world: World, deadline: float, clients: int):
        super().__init__(daemon=True)
        self.number = number
        self.person = person
        self.world = world
        self.deadline = deadline
        self.random = random.Random(number)
        self.tally = Tally()
        self.token = None
        self.count = 0
        # Each (person, shared loss, kind) is toggled by one thread only, so its final state is
        # known: this thread takes the shared losses of its slot among its person's threads.
        slot, slots = number // PEOPLE, -(-clients // PEOPLE)
        self.to_encourage = [
            code
            for index, (code, owner) in enumerate(world.shared)
            if owner != person.email and index % slots == slot
        ]

    def send(self, action: str, method: str, path: str, data=None, headers=None):
        started = time.monotonic()
        try:
            answer = self.person.client.request(method, path, data=data, headers=headers)
        except harness.CONNECTION_ERRORS as error:
            self.tally.statuses["no answer"] += 1
            self.tally.problems.append(f"{method} {path}: no answer ({error!r})")
            return None
        self.tally.by_action[action].append(time.monotonic() - started)
        self.tally.statuses[answer.status] += 1
        if answer.status == 429 and action == "comment":
            self.tally.rate_limited += 1  # The limit doing its job: not acknowledged, not an error.
        elif answer.status >= 400:
            self.tally.problems.append(f"{method} {path} answered {answer.status}")
        if answer.status == 200 and self.token is None and "csrfmiddlewaretoken" in answer.body:
            self.token = harness.csrf_token(answer.body)
        return answer

    def run(self):
        actions, weights = zip(*MIX.items(), strict=True)
        self.send("my losses", "GET", "/losses/")  # a page with a form: the CSRF token
        while time.monotonic() < self.deadline:
            action = self.random.choices(actions, weights)[0]
            getattr(self, action.replace(" ", "_"))()

    def marker(self) -> str:
        self.count += 1
        return f"{self.number}-{self.count}"

    def feed(self):
        self.send("feed", "GET", "/feed/")

    def shared_loss(self):
        code, _ = self.random.choice(self.world.shared)
        self.send("shared loss", "GET", f"/shared/{code}/")

    def my_losses(self):
        self.send("my losses", "GET", "/losses/")

    def own_loss(self):
        self.send("own loss", "GET", f"/losses/{self.random.choice(self.person.own_losses)}/")

    def dashboard_or_home(self):
        if self.person.manager:
            self.send("dashboard", "GET", f"/teams/{self.world.team_code}/dashboard/")
        else:
            self.send("home", "GET", "/")

    def log_a_loss(self):
        page = self.send("log a loss", "GET", "/losses/new/")
        if page is None or page.status != 200:
            return
        name = f"Load drill {self.marker()}"
        form = {
            "csrfmiddlewaretoken": harness.csrf_token(page.body),
            "submission_id": harness.form_value(page.body, "submission_id"),
            "name": name,
            "amount": str(self.random.randint(1, 90) * 500),
            "currency": "EUR",
            "stage": self.random.choice(["discovery", "demo", "proposal", "negotiation"]),
            "lost_on": harness.form_value(page.body, "lost_on"),
            "reasons": [harness.form_value(page.body, "reasons")],
        }
        answer = self.send("log a loss", "POST", "/losses/new/", form)
        if answer is not None and answer.status == 302 and "/reflection/" in answer.location:
            self.tally.losses.append(name)

    def comment(self):
        if not self.person.may_comment(self.world.comment_limit):
            return self.feed()
        code, _ = self.random.choice(self.world.shared)
        marker = self.marker()
        body = f"Been there too [load {marker}]. You've got this."
        form = {"csrfmiddlewaretoken": self.token, "body": body}
        answer = self.send("comment", "POST", f"/shared/{code}/comments/", form)
        if answer is not None and answer.status == 302:
            self.tally.comments.append(marker)

    def encourage(self):
        if not self.to_encourage:
            return self.feed()
        code = self.random.choice(self.to_encourage)
        kind = self.random.choice(KINDS)
        form = {"csrfmiddlewaretoken": self.token, "kind": kind}
        answer = self.send(
            "encourage", "POST", f"/shared/{code}/encourage/", form, headers={"Accept": "application/json"}
        )
        key = (self.person.email, code, kind)
        if answer is not None and answer.status == 200:
            self.tally.encouragement[key] = json.loads(answer.body)["given"]
        else:
            self.tally.encouragement[key] = None  # unknown from here on: not checked


def verify(tallies: list[Tally]) -> dict:
    from django.db import connections

    from recovery.models import LostDeal
    from teams.models import Comment, Encouragement
    from tests.teams.test_tallies import recounted, tally_tables

    connections.close_all()
    losses = Counter(LostDeal.objects.filter(name__startswith="Load drill ").values_list("name", flat=True))
    comments = Counter(
        match.group(1)
        for body in Comment.objects.filter(body__contains="[load ").values_list("body", flat=True)
        if (match := MARKER.search(body))
    )
    given = set(Encouragement.objects.values_list("user__email", "shared__deal__code", "kind").iterator())
    given = {(email, str(code), kind) for email, code, kind in given}
    acknowledged_losses = [name for t in tallies for name in t.losses]
    acknowledged_comments = [marker for t in tallies for marker in t.comments]
    states = {key: state for t in tallies for key, state in t.encouragement.items() if state is not None}
    kept, counted = tally_tables(), recounted()
    return {
        "tallies off": [name for name in kept if kept[name] != counted[name]],
        "losses": (len(acknowledged_losses), sum(losses[name] == 1 for name in acknowledged_losses)),
        "comments": (len(acknowledged_comments), sum(comments[m] == 1 for m in acknowledged_comments)),
        "encouragement": (len(states), sum((key in given) == state for key, state in states.items())),
        "duplicated": sum(n > 1 for n in losses.values()) + sum(n > 1 for n in comments.values()),
    }


def milliseconds(values: list[float], *shares: float) -> str:
    return ", ".join(
        f"p{share * 100:.0f} {harness.percentile(values, share) * 1000:.0f} ms" for share in shares
    )


def report(args, tallies: list[Tally], elapsed: float, found: dict, cpu: float | None) -> int:
    statuses = sum((t.statuses for t in tallies), Counter())
    latencies = defaultdict(list)
    for t in tallies:
        for action, values in t.by_action.items():
            latencies[action].extend(values)
    every = [value for values in latencies.values() for value in values]
    total = sum(statuses.values())
    problems = [p for t in tallies for p in t.problems]
    print(f"Rebound load drill: {args.clients} clients for {elapsed:.0f} s, gunicorn 2 workers, PostgreSQL")
    print(f"  requests                 {total} ({total / elapsed:.0f} per second)")
    print(f"  statuses                 {dict(sorted(statuses.items(), key=lambda item: str(item[0])))}")
    if cpu:
        # Wall-clock figures depend on what else the cores do; CPU per request does not, as much.
        print(f"  gunicorn workers' CPU    {cpu:.1f} s, {cpu / total * 1000:.1f} ms a request")
    print(f"  latency (all)            {milliseconds(every, 0.5, 0.95, 0.99)}")
    for action in sorted(latencies):
        values = latencies[action]
        print(f"    {action:<20} {len(values):>6} requests, {milliseconds(values, 0.5, 0.95)}")
    for what in ("losses", "comments", "encouragement"):
        acknowledged, present = found[what]
        print(f"  {what + ' acknowledged':<24} {acknowledged}, found in the database: {present}")
        if present != acknowledged:
            problems.append(f"{acknowledged - present} acknowledged {what} not found as acknowledged")
    print(f"  comments refused (429)   {sum(t.rate_limited for t in tallies)} (the per-person rate limit)")
    print(f"  duplicated writes        {found['duplicated']}")
    off = found["tallies off"]
    print(f"  dashboard tallies        {'match a recount' if not off else 'differ: ' + ', '.join(off)}")
    if off:
        problems.append(f"the dashboard's tallies differ from a recount of their rows: {', '.join(off)}")
    if found["duplicated"]:
        problems.append(f"{found['duplicated']} writes found more than once")
    server_errors = sum(
        count for status, count in statuses.items() if isinstance(status, int) and status >= 500
    )
    print(f"  5xx                      {server_errors}")
    for problem in problems[:20]:
        print(f"  VIOLATION: {problem}")
    if len(problems) > 20:
        print(f"  ... and {len(problems) - 20} more")
    print("  result                   " + ("FAIL" if problems else "PASS"))
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="how long the clients run (60, at most 600)"
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"a database to create afresh ({DEFAULT_URL})"
    )
    parser.add_argument("--keep-database", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be more than 0 and at most 600.")
    if not 1 <= args.clients <= 200:
        parser.error("--clients must be from 1 to 200.")

    budget = int(args.seconds) + 180  # set-up, sign-ins and clean-up included

    harness.time_limit(budget, "The drill")
    folder = Path(tempfile.mkdtemp(prefix="rebound-load-"))
    server = None
    try:
        recreate_database(args.database_url)
        harness.use_database(args.database_url)
        harness.prepare_database()
        world = seed()
        env = harness.server_env(args.database_url, harness.free_port())
        harness.collect_static(env)
        server = harness.Server(env, folder / "gunicorn.log")
        server.start()
        for person in world.people:
            person.client = harness.Client(server.url)
            person.client.log_in(person.email)
        started = time.monotonic()
        visitors = [
            Visitor(number, world.people[number % PEOPLE], world, started + args.seconds, args.clients)
            for number in range(args.clients)
        ]
        for visitor in visitors:
            visitor.start()
        cpu_before = server.worker_cpu_seconds()
        for visitor in visitors:
            visitor.join(args.seconds + 60)
        elapsed = time.monotonic() - started
        cpu_after = server.worker_cpu_seconds()
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        stuck = sum(visitor.is_alive() for visitor in visitors)
        server.stop()
        tallies = [v.tally for v in visitors]
        result = report(args, tallies, elapsed, verify(tallies), cpu)
        if stuck:
            print(f"  VIOLATION: {stuck} client(s) still waiting for an answer at the end")
            result = 1
        return result
    except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
        print(f"Load drill could not run: {error}", file=sys.stderr)
        if server is not None:
            print(server.log_tail(), file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
        if not args.keep_database:
            try:
                drop_database(args.database_url)
            except Exception as error:  # Say so; the drill's own result stands.
                print(f"Could not drop the drill's database: {error}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
