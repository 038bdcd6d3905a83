import datetime
import os
import subprocess
import sys
from pathlib import Path

import time_machine
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_200_after_a_database_round_trip(db, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable():
    # A real server process whose database is a closed port: nothing is mocked.
    code = (
        "from django.test import Client; r = Client().get('/healthz'); "
        "print(r.status_code, r.json()['database'])"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/unreachable",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["503", "unreachable"], result.stderr


def queued(*, enqueued_at, run_after=None, status="READY"):
    """A task row as django-tasks-db writes it, enqueued at that moment."""
    with time_machine.travel(enqueued_at, tick=False):
        return DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="recovery.tasks.send_email",
            backend_name="default",
            run_after=run_after,
            status=status,
        )


NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


@time_machine.travel(NOW, tick=False)
def test_healthz_tasks_answers_200_with_age_0_when_nothing_waits(db, client, django_assert_num_queries):
    queued(enqueued_at=NOW - datetime.timedelta(hours=2), status="SUCCESSFUL")
    with django_assert_num_queries(1):
        response = client.get("/healthz/tasks")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "oldest_queued_seconds": 0, "max_seconds": 300}


@time_machine.travel(NOW, tick=False)
def test_healthz_tasks_gives_the_oldest_ready_tasks_age(db, client):
    queued(enqueued_at=NOW - datetime.timedelta(seconds=20))
    queued(enqueued_at=NOW - datetime.timedelta(seconds=90))
    queued(enqueued_at=NOW - datetime.timedelta(hours=1), status="RUNNING")
    response = client.get("/healthz/tasks")
    assert response.status_code == 200
    assert response.json()["oldest_queued_seconds"] == 90


@time_machine.travel(NOW, tick=False)
def test_healthz_tasks_counts_a_deferred_task_from_its_run_after(db, client):
    # Enqueued an hour ago to run ten seconds ago: it has waited ten seconds, not an hour.
    queued(enqueued_at=NOW - datetime.timedelta(hours=1), run_after=NOW - datetime.timedelta(seconds=10))
    # Not due yet: not waiting at all.
    queued(enqueued_at=NOW - datetime.timedelta(hours=2), run_after=NOW + datetime.timedelta(minutes=5))
    assert client.get("/healthz/tasks").json()["oldest_queued_seconds"] == 10


@time_machine.travel(NOW, tick=False)
def test_healthz_tasks_answers_503_when_the_oldest_waits_past_the_limit(db, client, settings):
    settings.TASKS_MAX_AGE = 60
    queued(enqueued_at=NOW - datetime.timedelta(seconds=61))
    response = client.get("/healthz/tasks")
    assert response.status_code == 503
    assert response.json() == {"status": "late", "oldest_queued_seconds": 61, "max_seconds": 60}
    settings.TASKS_MAX_AGE = 61
    assert client.get("/healthz/tasks").status_code == 200
