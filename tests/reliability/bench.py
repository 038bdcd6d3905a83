"""Page benchmark (issue 7): how fast each page of Rebound is, against a floor, on PostgreSQL.

    .venv/bin/python -m tests.reliability.bench [--seconds 10] [--output bench-results.md]

It seeds (once, then reuses) a database whose name must contain "bench" (rebound_bench on the
PostgreSQL at 127.0.0.1:5432, or --database-url) with bench_dashboard's team: 50 people, two
years of losses, reflections, check-ins, shares, encouragement and comments. That team
and its 20 neighbouring teams of 10 people are seeded: the "team" scale.

Then it serves Rebound with gunicorn (production settings, 2 workers, persistent database
connections) under tests/reliability/bench_urls.py, signs in a rep and the team's manager, and
drives each page with wrk on loopback (--seconds each, 16 connections, 2 threads). The floor is
a view that only reads the session. SQL queries per request are counted once per page in this
process with Django's test client, which also times the CSV upload page on each hostile file of
tests/hostile_csv.py (the slowest is reported). Last, bench_dashboard times the dashboard
server-side, on PostgreSQL and on SQLite (bench.sqlite3 in the project folder, seeded the first
time; --no-sqlite skips it).

It prints a table and writes it as markdown to --output (not to be committed). Loopback only,
bounded in time; gunicorn is stopped at the end and the losses the POST made are deleted, so the
database stays the same from run to run. Numbers depend on the machine and on what else it is
doing (wrk shares the cores with gunicorn): compare pages within one run, as ratios to the floor.
"""

import argparse
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.reliability import harness

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rebound_bench"
BENCH_URLCONF = "tests.reliability.bench_urls"
POST_NAME = "Bench POST"  # the losses the POST makes, deleted afterwards
REP = "rep001"  # a member of the seeded team (rep000 is its manager)
MANAGER = "rep000"
SQLITE_FILE = "bench.sqlite3"  # the dashboard's SQLite timing: seeded once, kept (git ignores it)

# wrk's own summary, printed by every script: latencies in microseconds.
DONE_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("BENCH requests=%d duration=%d p50=%d p95=%d p99=%d status=%d socket=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""

# A POST of a new loss, each request with its own submission id (else every request after the
# first would find the loss the first one made and write nothing).
POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("number", threads)
end
local count = 0
request = function()
  count = count + 1
  local id = string.format("%s-%04x-4000-8000-%012x", "{nonce}", number, count)
  return wrk.format(nil, nil, nil, "{body}&submission_id=" .. id)
end
"""


@dataclass
class Page:
    name: str
    path: str
    who: str  # "rep" or "manager"
    method: str = "GET"
    expect: int = 200


@dataclass
class Result:
    page: Page
    rps: float
    p50: float
    p95: float
    p99: float
    bad: int  # answers other than 2xx/3xx, and socket errors
    queries: int | None


# ---------------------------------------------------------------- the database


def ensure_database(url: str) -> None:
    """Create the bench database if it isn't there; never drop it (seeding takes a while)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to use {name!r}: the benchmark's database name must contain 'bench'.")
    admin = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password,
        "dbname": "postgres",
    }
    with psycopg.connect(**admin, autocommit=True) as db:
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            db.execute(f'CREATE DATABASE "{name}"')


def seed():
    """bench_dashboard's team, seeded once (its --runs 0 can't be used: it times no run then)."""
    from django.contrib.auth.hashers import make_password

    from teams.management.commands import bench_dashboard
    from teams.models import Team

    command = bench_dashboard.Command()
    team = Team.objects.filter(name=bench_dashboard.BENCH_TEAM).first()
    if team is None or not Team.objects.filter(name__startswith=bench_dashboard.OTHER_TEAM).exists():
        print("Seeding the benchmark's teams (once; about a minute)...", flush=True)
        command._delete()
        team = command._seed(members=50, years=2)
    command._report_size(team)  # also ANALYZE on PostgreSQL
    password = make_password(harness.PASSWORD)
    people = {
        role: sign_in_ready(f"{local}@{bench_dashboard.EMAIL_DOMAIN}", password)
        for role, local in (("rep", REP), ("manager", MANAGER))
    }
    return team, people


def sign_in_ready(email: str, password_hash: str):
    """A known password and a verified address (allauth's mandatory verification) for a seeded person."""
    from allauth.account.models import EmailAddress

    from teams.models import User

    user = User.objects.get(email=email)
    user.password = password_hash
    user.email_notifications = False
    user.save(update_fields=["password", "email_notifications"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def pages(team, people) -> list[Page]:
    from django.db.models import Count

    from recovery.models import LostDeal
    from teams.models import SharedLoss

    rep = people["rep"]
    loss = (
        LostDeal.objects.filter(owner=rep, reflection__isnull=False)
        .exclude(reflection__lesson="")
        .order_by("-lost_on")
        .first()
    )
    talked_about = (
        SharedLoss.objects.filter(team=team, comments__hidden_at=None)
        .annotate(n=Count("comments"))
        .order_by("-n", "-shared_at")
        .select_related("deal")
        .first()
    )
    dashboard = f"/teams/{team.code}/dashboard/"
    return [
        Page("floor (session only)", "/bench/floor/", "rep"),
        Page("/healthz", "/healthz", "rep"),
        Page("home", "/", "rep"),
        Page("My losses", "/losses/", "rep"),
        Page("My losses ?stage=proposal", "/losses/?stage=proposal", "rep"),
        Page("a loss with its reflection", f"/losses/{loss.code}/", "rep"),
        Page("My recovery", "/my-recovery/", "rep"),
        Page("feed", "/feed/", "rep"),
        Page(f"shared loss ({talked_about.n} comments)", f"/shared/{talked_about.deal.code}/", "rep"),
        Page("dashboard 12 weeks", f"{dashboard}?weeks=12", "manager"),
        Page("dashboard 52 weeks", f"{dashboard}?weeks=52", "manager"),
        Page("POST a new loss", "/losses/new/", "rep", method="POST", expect=302),
    ]


def loss_form(reason_id: int, token: str) -> dict:
    from django.utils import timezone

    return {
        "csrfmiddlewaretoken": token,
        "name": POST_NAME,
        "amount": "12000",
        "currency": "EUR",
        "stage": "proposal",
        "lost_on": timezone.localdate().isoformat(),
        "reasons": str(reason_id),
    }


def count_queries(page_list: list[Page], people) -> dict[str, int]:
    """SQL queries per request, in this process: the second request of each page (the first warms up)."""
    import uuid

    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from recovery.models import LossReason

    setup_test_environment()
    reason = LossReason.objects.order_by("pk").first().pk
    counts = {}
    with override_settings(ROOT_URLCONF=BENCH_URLCONF):
        clients = {}
        for role, user in people.items():
            clients[role] = Client()
            clients[role].force_login(user)
        for page in page_list:
            client = clients[page.who]
            for _ in range(2):
                with CaptureQueriesContext(connection) as queries:
                    if page.method == "POST":
                        data = loss_form(reason, "") | {"submission_id": str(uuid.uuid4())}
                        answer = client.post(page.path, data)
                    else:
                        answer = client.get(page.path)
            if answer.status_code != page.expect:
                raise RuntimeError(f"{page.method} {page.path} answered {answer.status_code} in-process")
            counts[page.name] = len(queries)
    return counts


def hostile_upload_timing(user, runs: int = 3) -> str:
    """The CSV upload page on each file of tests/hostile_csv.py, in this process: the slowest file's
    median of `runs`, in one line. Each must be refused with its message, and none is kept."""
    import statistics

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings
    from django.urls import reverse
    from django.utils.html import escape

    from recovery.models import CsvImport
    from tests.hostile_csv import HOSTILE_CSV_FILES

    client = Client()
    client.force_login(user)
    url = reverse("recovery:import_start")
    kept = CsvImport.objects.count()
    medians = {}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for name, (data, says) in HOSTILE_CSV_FILES.items():
            times = []
            for _ in range(runs):
                upload = SimpleUploadedFile("deals.csv", data, content_type="text/csv")
                start = time.perf_counter()
                answer = client.post(url, {"file": upload, "default_currency": "EUR"})
                times.append(time.perf_counter() - start)
                if answer.status_code != 200 or escape(says) not in answer.content.decode():
                    raise RuntimeError(f"The upload page did not refuse the CSV file with {name}.")
            medians[name] = statistics.median(times)
    if CsvImport.objects.count() != kept:
        raise RuntimeError("The upload page kept a hostile CSV file.")
    slowest = max(medians, key=medians.get)
    others = ", ".join(
        f"{name} {seconds * 1000:,.0f}" for name, seconds in medians.items() if name != slowest
    )
    return (
        f"CSV upload page on hostile files, in-process (median of {runs}): the slowest, {slowest} "
        f"({len(HOSTILE_CSV_FILES[slowest][0]) / 1024 / 1024:.1f} MB), {medians[slowest] * 1000:,.0f} ms, "
        f"refused with its message; the others, in ms: {others}."
    )


def delete_posted_losses() -> int:
    from recovery.models import LostDeal

    deleted, _ = LostDeal.objects.filter(name=POST_NAME).delete()
    return deleted


# ---------------------------------------------------------------- wrk


def cookie_header(client: harness.Client) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.jar)


def run_wrk(args, url: str, cookie: str, script: str, folder: Path) -> dict:
    script_path = folder / f"wrk-{secrets.token_hex(4)}.lua"
    script_path.write_text(script + DONE_LUA)
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script_path),
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60, check=False)
    match = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return {key: int(value) for key, value in (item.split("=") for item in match.group(1).split())}


def measure(args, server, page: Page, client: harness.Client, folder: Path, reason_id: int) -> dict:
    script = ""
    if page.method == "POST":
        form_page = client.get(page.path)  # a fresh CSRF token, and its cookie
        body = urlencode(loss_form(reason_id, harness.csrf_token(form_page.body)))
        script = POST_LUA.replace("{nonce}", secrets.token_hex(4)).replace("{body}", body)
    else:
        # One request first: the page must answer as expected before it is timed.
        answer = client.get(page.path)
        if answer.status != page.expect:
            raise RuntimeError(f"GET {page.path} answered {answer.status} before the run")
    return run_wrk(args, server.url + page.path, cookie_header(client), script, folder)


# ---------------------------------------------------------------- reporting


# The goals for a read page: a share of the floor's requests/s, a p99, a number of queries.
GOAL_SHARE_OF_FLOOR = 0.35
GOAL_P99_MS = 100
GOAL_QUERIES = 12


def goals_missed(r: Result, floor_rps: float) -> str:
    missed = []
    if r.page.method == "GET" and r.rps < GOAL_SHARE_OF_FLOOR * floor_rps:
        missed.append("requests/s")
    if r.page.method == "GET" and r.p99 >= GOAL_P99_MS:
        missed.append("p99")
    if r.queries is not None and r.queries > GOAL_QUERIES:
        missed.append("queries")
    return ", ".join(missed) or "met"


def table(results: list[Result]) -> list[str]:
    floor = results[0].rps or 1
    lines = [
        "| page | requests/s | p50 ms | p95 ms | p99 ms | SQL queries | vs floor | errors | goals |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        queries = "—" if r.queries is None else str(r.queries)
        goals = "" if r is results[0] or r.page.path == "/healthz" else goals_missed(r, floor)
        lines.append(
            f"| {r.page.name} | {r.rps:,.0f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | {queries} | "
            f"{r.rps / floor:.0%} | {r.bad} | {goals} |"
        )
    return lines


def dashboard_timing(env: dict, runs: int, database_url: str | None = None, timeout: int = 300) -> str:
    """bench_dashboard's server-side timing, in production settings (DEBUG off), in its own process."""
    env = dict(env)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=harness.ROOT,
            env=env,
            check=True,
            timeout=timeout,
        )
    done = subprocess.run(
        [sys.executable, "manage.py", "bench_dashboard", "--runs", str(runs)],
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        return f"bench_dashboard failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


def machine_note() -> str:
    import os

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores, load average before the run {load}"


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk's time on each page (10, at most 60)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"the bench database ({DEFAULT_URL})")
    parser.add_argument("--output", default="bench-results.md", help="markdown results (bench-results.md)")
    parser.add_argument("--dashboard-runs", type=int, default=5, help="bench_dashboard runs per range (5)")
    parser.add_argument(
        "--no-sqlite",
        dest="sqlite",
        action="store_false",
        help=f"don't time the dashboard on SQLite (seeded once into {SQLITE_FILE})",
    )
    args = parser.parse_args()
    if not 1 <= args.seconds <= 60:
        parser.error("--seconds must be from 1 to 60.")
    if not 1 <= args.threads <= args.connections <= 64:
        parser.error("--threads and --connections: 1 <= threads <= connections <= 64.")
    if args.dashboard_runs < 1:
        parser.error("--dashboard-runs must be at least 1.")
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk (as root)", file=sys.stderr)
        return 1

    budget = 12 * (args.seconds + 15) + 600 + (900 if args.sqlite else 0)

    harness.time_limit(budget, "The benchmark")
    folder = Path(tempfile.mkdtemp(prefix="rebound-bench-"))
    server = None
    note = machine_note()
    try:
        ensure_database(args.database_url)
        harness.use_database(args.database_url)
        harness.prepare_database()
        team, people = seed()
        page_list = pages(team, people)
        print("Counting SQL queries per page in-process...", flush=True)
        queries = count_queries(page_list, people)
        delete_posted_losses()
        print("Timing the CSV upload page on hostile files in-process...", flush=True)
        hostile_upload = hostile_upload_timing(people["rep"])

        # gunicorn with production settings, but the bench URLconf: a settings module of its own.
        (folder / "bench_settings.py").write_text(
            f'from config.settings import *  # noqa: F403\n\nROOT_URLCONF = "{BENCH_URLCONF}"\n'
        )
        env = harness.server_env(args.database_url, harness.free_port())
        harness.collect_static(env)
        server_env = env | {
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": f"{folder}:{harness.ROOT}",
        }
        server = harness.Server(server_env, folder / "gunicorn.log")
        server.start()
        clients = {}
        for role, user in people.items():
            clients[role] = harness.Client(server.url)
            clients[role].log_in(user.email)

        from recovery.models import LossReason

        reason_id = LossReason.objects.order_by("pk").first().pk
        results = []
        for page in page_list:
            print(f"  {page.method} {page.path} for {args.seconds} s...", flush=True)
            stats = measure(args, server, page, clients[page.who], folder, reason_id)
            results.append(
                Result(
                    page=page,
                    rps=stats["requests"] / (stats["duration"] / 1e6),
                    p50=stats["p50"] / 1000,
                    p95=stats["p95"] / 1000,
                    p99=stats["p99"] / 1000,
                    bad=stats["status"] + stats["socket"],
                    queries=queries.get(page.name),
                )
            )
        server.stop()
        posted = delete_posted_losses()

        print("Timing the dashboard server-side (bench_dashboard)...", flush=True)
        timing = dashboard_timing(env, args.dashboard_runs)
        sqlite_timing = None
        if args.sqlite:
            sqlite_timing = dashboard_timing(
                env, args.dashboard_runs, f"sqlite:///{harness.ROOT / SQLITE_FILE}", timeout=900
            )

        header = (
            f"Rebound page benchmark, {time.strftime('%Y-%m-%d %H:%M')}: wrk {args.threads} threads, "
            f"{args.connections} connections, {args.seconds} s a page, gunicorn 2 sync workers, DEBUG off, "
            f"PostgreSQL {urlsplit(args.database_url).path.lstrip('/')}; {note}. The 'team' scale: a team of "
            f"50 and 20 neighbouring teams of 10. The POST made {posted} losses, deleted afterwards."
        )
        lines = [
            header,
            "",
            *table(results),
            "",
            hostile_upload,
            "",
            "Dashboard, server-side (bench_dashboard, PostgreSQL):",
            "",
            "```",
            timing,
            "```",
        ]
        if sqlite_timing is not None:
            lines += ["", "Dashboard, server-side, SQLite:", "", "```", sqlite_timing, "```"]
        text = "\n".join(lines) + "\n"
        print()
        print(text)
        Path(args.output).write_text(text)
        print(f"Written to {args.output}")
        return 1 if any(r.bad for r in results) else 0
    except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
        print(f"The benchmark could not run: {error}", file=sys.stderr)
        if server is not None:
            print(server.log_tail(), file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
        try:
            delete_posted_losses()
        except Exception as error:  # Say so; the results stand.
            print(f"Could not delete the POST's losses: {error}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
