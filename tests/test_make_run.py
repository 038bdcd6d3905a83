"""`make run` serves the site with a task worker beside it, and stops both together (config/run.sh).

Real processes: the script starts gunicorn and `manage.py db_worker` on a migrated SQLite file,
then gets the signal a terminal's Ctrl-C or a process manager's stop would send.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUN = ROOT / "config" / "run.sh"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    database = tmp_path_factory.mktemp("run") / "db.sqlite3"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{database}",
        "BIN": str(BIN),
    }
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
    return env


def group_members(pgid):
    listing = [shutil.which("ps"), "-o", "pid=,args=", "-g", str(pgid)]
    ps = subprocess.run(listing, capture_output=True, text=True)
    return [line.strip() for line in ps.stdout.splitlines() if line.strip()]


def wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1 only)
                return response.status
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def start(environment, port):
    """config/run.sh serving on that port, in a session of its own as a terminal gives `make run`:
    the process group is the script's pid."""
    env = environment | {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    return subprocess.Popen(
        [RUN], cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda run: os.killpg(run.pid, signal.SIGINT), id="ctrl-c-to-the-group"),
        pytest.param(lambda run: run.send_signal(signal.SIGTERM), id="term-to-the-script"),
    ],
)
def test_make_run_starts_gunicorn_and_the_worker_and_stops_both(environment, stop):
    port = free_port()
    run = start(environment, port)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == 200
        assert wait_for(f"http://127.0.0.1:{port}/healthz/tasks") == 200
        running = group_members(run.pid)
        assert any("db_worker" in line for line in running), running
        assert any("gunicorn" in line for line in running), running

        stop(run)
        run.wait(timeout=30)
        time.sleep(0.5)
        assert group_members(run.pid) == []
    finally:
        if run.poll() is None or group_members(run.pid):
            os.killpg(run.pid, signal.SIGKILL)


def test_when_gunicorn_cannot_start_the_worker_is_stopped_too(environment):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = start(environment, port)
        try:
            assert run.wait(timeout=60) != 0
            time.sleep(0.5)
            assert group_members(run.pid) == []
        finally:
            if group_members(run.pid):
                os.killpg(run.pid, signal.SIGKILL)


def test_make_run_starts_the_scheduled_jobs_and_the_worker_runs_them(environment):
    """The first tick is queued before the worker starts; the worker runs it and the jobs it queues."""
    port = free_port()
    run = start(environment, port)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == 200
        deadline = time.monotonic() + 30
        while True:
            status = subprocess.run(
                [sys.executable, "manage.py", "schedule"],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
            ).stdout
            if "delete_leftovers" in status and "finished: Deleted" in status:
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
        assert "Next tick:" in status
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=30)
