"""Fault drill: PostgreSQL goes away under a running Rebound, then comes back.

    .venv/bin/python -m tests.reliability.fault [--outage 5] [--stop-mode fast]

It makes a throwaway PostgreSQL cluster of its own (a temporary folder, a free port), migrates
and seeds it, serves Rebound with gunicorn (production settings, 2 workers), signs a rep in, and
logs losses without pause while it stops PostgreSQL for a few seconds and starts it again.
It checks that:

- while the database is down, pages answer 503 with the readable page, and /healthz says 503;
- once it is back, every request succeeds again, without restarting gunicorn;
- every loss whose form was acknowledged (302) is in the database, exactly once;
- no loss is half-done: each has its reflection, its reason and its check-in prompts.

A form that was not acknowledged is sent again unchanged, as a person presses the button again:
the same submission must still log the loss once. Exit status 0 when everything holds, 1 when
anything does not. Whatever it made is removed; it takes well under two minutes.
"""

import argparse
import html
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.reliability import harness

DATABASE = "rebound_fault"
REP = "rep@example.com"
READABLE = "Rebound can't reach its database right now."
# What a loss logged part-way would look like.
HALF_DONE = ("without reflection", "orphan reflections", "without reason", "wrong check-ins")
PHASES = {
    "before": "before the outage",
    "outage": "while PostgreSQL was down",
    "transition": "while PostgreSQL was stopping or starting",
    "after": "after PostgreSQL was back",
}
BUDGET = 115  # seconds for the whole drill, set-up and clean-up included


def postgres_bin() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise SystemExit("No PostgreSQL server binaries under /usr/lib/postgresql: set PG_BIN.")
    return found[-1].parent


class Cluster:
    """A PostgreSQL cluster of the drill's own: its folder, its port, its socket."""

    def __init__(self, folder: Path, port: int):
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.bin = postgres_bin()
        self.url = f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    def _run(self, *args: str) -> None:
        # initdb refuses to run as root: the postgres user runs the cluster.
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, text=True, timeout=60)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"),
            *("-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"),
            "--no-sync",  # A drill's cluster: nothing to keep if the machine fails.
            "--no-instructions",
        )
        self.start()
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", autocommit=True) as db:
            db.execute(f"CREATE DATABASE {DATABASE}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "postgres.log")
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            log,
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        status = [*as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(status, capture_output=True, timeout=30).returncode == 0


@dataclass
class Attempt:
    what: str  # "form" (GET a fresh form), "post" (send it), or a page checked by the drill
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400

    @property
    def kind(self) -> str:
        if self.status is None:
            return "connection error"
        return "ok" if self.ok else str(self.status)


class Writer(threading.Thread):
    """A rep logging losses one after another, with a fresh form each time."""

    def __init__(self, client: harness.Client):
        super().__init__(daemon=True)
        self.client = client
        self.stopping = threading.Event()
        self.attempts: list[Attempt] = []
        self.acknowledged: list[str] = []
        self.unacknowledged_posts = 0
        self.from_open_tab = 0
        self.unexpected: list[str] = []

    def _send(self, what, call, *args):
        started = time.monotonic()
        try:
            answer = call(*args)
        except harness.CONNECTION_ERRORS as error:
            self.attempts.append(Attempt(what, started, time.monotonic(), None, repr(error)))
            return None
        self.attempts.append(Attempt(what, started, time.monotonic(), answer.status))
        return answer

    def run(self):
        number, pending, last_page = 0, None, None
        while not self.stopping.is_set():
            if pending is None:
                page = self._send("form", self.client.get, "/losses/new/")
                if page is not None and page.status == 200:
                    last_page, submission_id = page.body, harness.form_value(page.body, "submission_id")
                elif last_page is not None:
                    # No fresh form: send one from a tab opened earlier, which has an id of its own.
                    submission_id = str(uuid.uuid4())
                    self.from_open_tab += 1
                else:
                    time.sleep(0.05)
                    continue
                number += 1
                pending = {
                    "csrfmiddlewaretoken": harness.csrf_token(last_page),
                    "submission_id": submission_id,
                    "name": f"Fault drill {number:04d}",
                    "amount": "1000",
                    "currency": "EUR",
                    "stage": "proposal",
                    "lost_on": harness.form_value(last_page, "lost_on"),
                    "reasons": [harness.form_value(last_page, "reasons")],
                }
            answer = self._send("post", self.client.post, "/losses/new/", pending)
            if answer is not None and answer.status == 302 and "/reflection/" in answer.location:
                self.acknowledged.append(pending["name"])
                pending = None
            elif answer is not None and answer.status < 500:
                # Not an outage: the drill sent something the form refused. Report it, move on.
                self.unexpected.append(f"POST /losses/new/ answered {answer.status}: {answer.body[:200]!r}")
                pending = None
            else:
                self.unacknowledged_posts += 1  # Sent again, unchanged, on the next turn.
                time.sleep(0.05)


def seed(password_hash: str) -> None:
    import datetime

    from django.utils import timezone

    from recovery import services
    from recovery.models import LossReason

    rep = harness.make_person(REP, "Riley Rep", password_hash)
    today = timezone.localdate()
    for days, name, slug in [(9, "Globex renewal", "price-budget"), (4, "Initech pilot", "timing")]:
        services.lost_deal_create(
            owner=rep,
            name=name,
            stage="demo",
            lost_on=today - datetime.timedelta(days=days),
            reasons=LossReason.objects.filter(slug=slug),
            amount=5000,
            currency="EUR",
        )


def check_page(client: harness.Client, path: str, want: int, attempts: list, problems: list, readable=False):
    started = time.monotonic()
    try:
        answer = client.get(path)
    except harness.CONNECTION_ERRORS as error:
        attempts.append(Attempt(f"GET {path}", started, time.monotonic(), None, repr(error)))
        problems.append(f"GET {path}: no answer ({error!r}), expected {want}")
        return
    attempts.append(Attempt(f"GET {path}", started, time.monotonic(), answer.status))
    if answer.status != want:
        problems.append(f"GET {path} answered {answer.status}, expected {want}")
    elif readable and READABLE not in html.unescape(answer.body):
        problems.append(f"GET {path} answered {want} without the readable page")


def verify(acknowledged: list[str]) -> dict:
    from django.db import connections
    from django.db.models import Count

    from recovery.models import CheckIn, LostDeal, Reflection

    connections.close_all()  # This process's connection died with the server.
    drill = LostDeal.objects.filter(name__startswith="Fault drill ")
    found = Counter(drill.values_list("name", flat=True))
    counted = drill.annotate(
        reasons_count=Count("reasons", distinct=True), prompts=Count("check_ins", distinct=True)
    )
    return {
        "found": len(found),
        "missing": sorted(set(acknowledged) - set(found)),
        "duplicated": sorted(name for name, times in found.items() if times > 1),
        "without reflection": LostDeal.objects.filter(reflection__isnull=True).count(),
        "orphan reflections": Reflection.objects.exclude(deal__in=LostDeal.objects.all()).count(),
        "without reason": counted.filter(reasons_count=0).count(),
        "wrong check-ins": counted.exclude(prompts=len(CheckIn.PROMPT_DAYS)).count(),
    }


def phase_of(attempt: Attempt, marks: dict) -> str:
    if attempt.ended < marks["stopping"]:
        return "before"
    if attempt.started >= marks["up"]:
        return "after"
    if attempt.started >= marks["down"] and attempt.ended <= marks["starting"]:
        return "outage"
    return "transition"  # In flight while PostgreSQL was stopping or starting: 2xx, 3xx or 503.


def drill(args, cluster: Cluster) -> int:
    folder = cluster.folder
    cluster.create()
    harness.use_database(cluster.url)
    harness.prepare_database()
    from django.contrib.auth.hashers import make_password

    seed(make_password(harness.PASSWORD))
    env = harness.server_env(cluster.url, harness.free_port())
    harness.collect_static(env)
    server = harness.Server(env, folder / "gunicorn.log")
    try:
        server.start()
        client = harness.Client(server.url, timeout=10)
        client.log_in(REP)
        return run_outage(args, cluster, server, client)
    finally:
        server.stop()
        if args.verbose:
            print(f"gunicorn's log, last lines:\n{server.log_tail(12)}")


def run_outage(args, cluster: Cluster, server: harness.Server, client: harness.Client) -> int:
    writer = Writer(client)
    checks: list[Attempt] = []
    problems: list[str] = []
    marks = {}
    writer.start()
    time.sleep(args.before)

    marks["stopping"] = time.monotonic()
    cluster.stop(args.stop_mode)
    marks["down"] = time.monotonic()
    check_page(client, "/losses/", 503, checks, problems, readable=True)
    check_page(client, "/feed/", 503, checks, problems, readable=True)
    check_page(client, "/healthz", 503, checks, problems)
    time.sleep(max(0.0, args.outage - (time.monotonic() - marks["down"])))
    marks["starting"] = time.monotonic()
    cluster.start()
    marks["up"] = time.monotonic()
    for path in ("/losses/", "/feed/", "/my-recovery/", "/healthz"):
        check_page(client, path, 200, checks, problems)
    time.sleep(args.after)
    writer.stopping.set()
    writer.join(15)
    if server.process.poll() is not None:
        problems.append("gunicorn stopped during the drill")

    attempts = writer.attempts + checks
    by_phase = {phase: Counter() for phase in ("before", "outage", "transition", "after")}
    for attempt in attempts:
        by_phase[phase_of(attempt, marks)][attempt.kind] += 1
    allowed = {"before": {"ok"}, "outage": {"503"}, "transition": {"ok", "503"}, "after": {"ok"}}
    for phase, kinds in by_phase.items():
        for kind, count in kinds.items():
            if kind not in allowed[phase]:
                problems.append(f"{count} request(s) {PHASES[phase]} answered {kind}")
    first_ok_after = min(
        (a.ended - marks["up"] for a in attempts if a.started >= marks["up"] and a.ok), default=None
    )
    problems.extend(writer.unexpected)
    found = verify(writer.acknowledged)
    for key in ("missing", "duplicated"):
        if found[key]:
            problems.append(f"{len(found[key])} acknowledged loss(es) {key}: {found[key][:5]}")
    for key in HALF_DONE:
        if found[key]:
            problems.append(f"{found[key]} half-done: {key}")

    errors = Counter(a.kind for a in attempts if not a.ok)
    half_done = sum(
        found[k] for k in ("without reflection", "orphan reflections", "without reason", "wrong check-ins")
    )
    outage = marks["starting"] - marks["down"]
    print(f"Rebound fault drill: PostgreSQL stopped (-m {args.stop_mode}) for {outage:.1f} s under gunicorn")
    print(f"  requests                 {len(attempts)}")
    for phase, kinds in by_phase.items():
        print(f"    {phase:<22} {sum(kinds.values()):>4}  {dict(sorted(kinds.items()))}")
    print(f"  acknowledged writes      {len(writer.acknowledged)} (302 to the reflection)")
    print(f"  not acknowledged, resent {writer.unacknowledged_posts} (the same form, as a person would)")
    print(f"  forms from an open tab   {writer.from_open_tab} (when a fresh form would not load)")
    print(f"  errors by kind           {dict(sorted(errors.items())) or 'none'}")
    if first_ok_after is not None:
        print(f"  first success after start {first_ok_after:.2f} s (gunicorn not restarted)")
    print(f"  writes checked           {found['found']} drill losses in the database")
    print(f"  missing                  {len(found['missing'])}")
    print(f"  duplicated               {len(found['duplicated'])}")
    print(f"  half-done                {half_done}")
    for problem in problems:
        print(f"  VIOLATION: {problem}")
    print("  result                   " + ("FAIL" if problems else "PASS"))
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=5.0, help="seconds PostgreSQL stays down (5)")
    parser.add_argument("--before", type=float, default=3.0, help="seconds of writes before the outage (3)")
    parser.add_argument("--after", type=float, default=3.0, help="seconds of writes after it (3)")
    parser.add_argument("--stop-mode", choices=["fast", "immediate"], default="fast", help="pg_ctl stop mode")
    parser.add_argument("--verbose", action="store_true", help="print the end of gunicorn's log")
    args = parser.parse_args()
    if args.before + args.outage + args.after > 60:
        parser.error("--before, --outage and --after add up to at most 60 seconds.")

    harness.time_limit(BUDGET, "The drill")
    folder = Path(tempfile.mkdtemp(prefix="rebound-fault-"))
    cluster = Cluster(folder, harness.free_port())
    try:
        return drill(args, cluster)
    except (subprocess.CalledProcessError, RuntimeError, TimeoutError, OSError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(f"Fault drill could not run: {error}\n{detail}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        if cluster.data.exists() and cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
