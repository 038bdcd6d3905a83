"""Profile one page of Rebound on the benchmark's database: where a request's time goes.

    .venv/bin/python -m tests.reliability.profile_page /feed/ [--as manager] [--runs 200] [--html out.html]

It runs in production settings (DEBUG off, cached templates), signs in the benchmark's rep (or
its manager) with the test client, warms the page up, then times --runs requests of it in this
process and prints the median, the p95 and the SQL queries per request, followed by
pyinstrument's profile of those requests (--html writes it as a page to explore). Run
`make bench` once first: it seeds the database this reads (rebound_bench).
"""

import argparse
import os
import statistics
import sys
import time

from tests.reliability import harness
from tests.reliability.bench import DEFAULT_URL, MANAGER, REP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page, e.g. /feed/ or '/losses/?stage=proposal'")
    parser.add_argument("--as", dest="who", choices=["rep", "manager"], default="rep")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--html", help="also write pyinstrument's profile as HTML here")
    args = parser.parse_args()

    env = harness.server_env(args.database_url, 0) | {"DJANGO_ALLOWED_HOSTS": "testserver"}
    harness.collect_static(env)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from teams.management.commands.bench_dashboard import EMAIL_DOMAIN
    from teams.models import User

    local = MANAGER if args.who == "manager" else REP
    client = Client()
    client.force_login(User.objects.get(email=f"{local}@{EMAIL_DOMAIN}"))
    for _ in range(3):  # warm-up: templates compiled, connection open
        answer = client.get(args.path)
    if answer.status_code != 200:
        print(f"{args.path} answered {answer.status_code}", file=sys.stderr)
        return 1
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    captured = queries.captured_queries  # read now: the next request clears Django's query log

    timings = []
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.runs):
        started = time.perf_counter()
        client.get(args.path)
        timings.append((time.perf_counter() - started) * 1000)
    profiler.stop()
    timings.sort()
    print(
        f"{args.path} as the {args.who}: median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, {len(captured)} queries, "
        f"{len(answer.content) / 1024:.0f} KB"
    )
    for query in captured:
        print(f"  {query['time']:>6} s  {query['sql'][:160]}")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        with open(args.html, "w") as out:
            out.write(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
