"""Running the task queue in tests the way `manage.py db_worker` runs it: django-tasks-db's own
Worker, in batch mode (it takes ready tasks one at a time, oldest first, until none is left)."""

import threading
from contextlib import contextmanager
from unittest import mock

from django.db import connection
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult


def worker(*, worker_id="test-worker", batch=True, interval=0.0, queue="*"):
    return db_worker.Worker(
        queue_names=[queue],
        excluded_queue_names=[],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
    )


def run_queued_tasks(queue: str = "*") -> int:
    """Run every task ready now, as a worker would; returns how many ran (failed ones included).

    Inside a test wrapped in a transaction (the `db` fixture) the worker's close_old_connections
    would see the test's open transaction as a leftover and drop the connection, so it is skipped
    there; everything else (taking the task with its lock, claiming it, running it, recording its
    result) is the worker's own code. Tests with `transactional_db` run the loop untouched.
    """
    before = DBTaskResult.objects.finished().count()
    if connection.in_atomic_block:
        with mock.patch.object(db_worker, "close_old_connections", lambda: None):
            worker(queue=queue).run()
    else:
        worker(queue=queue).run()
    return DBTaskResult.objects.finished().count() - before


@contextmanager
def worker_thread():
    """A real worker loop in a thread beside the test (for the live server's browser tests, which
    commit their data), polling every 50 ms; stopped when the block ends."""
    loop = worker(worker_id="browser-test-worker", batch=False, interval=0.05)

    def run():
        try:
            loop.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.running = False
        thread.join(timeout=10)
