"""The CSV import read by a task: queued on upload, progress while it reads, the preview after,
a failure said on the page; the rep can leave and come back."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from recovery.imports import preview as preview_module
from recovery.imports import services, tasks
from recovery.imports.files import CsvFileError
from recovery.models import CsvImport, LostDeal
from tests.recovery.test_import_views import CUSTOM_MAPPING, START, post_upload, uploaded, url
from tests.tasks import run_queued_tasks

HEADER = '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Currency"\n'


def export(rows):
    return (
        HEADER + "".join(f'"{i}","Deal {i}","Closed lost","2026-03-14","100","EUR"\n' for i in range(rows))
    ).encode()


def test_an_upload_is_queued_then_read_by_the_task_then_previewed(owner_client):
    csv_import = uploaded(owner_client, read=False)

    assert csv_import.state == CsvImport.State.QUEUED
    assert csv_import.rows_total == 8  # the header aside
    assert DBTaskResult.objects.get().task_path == "recovery.imports.tasks.csv_import_read"
    page = owner_client.get(url("import_preview", csv_import))
    assert page.status_code == 200
    assert "Waiting to start reading" in page.text
    assert '<progress id="import-progress" max="8" value="0">' in page.text
    assert f'href="{url("import_preview", csv_import)}">Refresh to see how far it has got</a>' in page.text
    assert 'src="/static/js/import_progress.js"' in page.text
    assert owner_client.get(url("import_progress", csv_import)).json() == {
        "state": "queued",
        "rows_read": 0,
        "rows_total": 8,
        "done": False,
    }

    assert run_queued_tasks() == 1

    csv_import.refresh_from_db()
    assert (csv_import.state, csv_import.rows_read) == (CsvImport.State.READY, 8)
    assert owner_client.get(url("import_progress", csv_import)).json()["done"] is True
    preview = owner_client.get(url("import_preview", csv_import))
    assert "Check what will be imported" in preview.text
    assert len(preview.context["preview"].to_import) == 4
    assert not LostDeal.objects.exists()


def test_the_progress_endpoint_says_how_many_rows_are_read_while_the_task_reads(owner_client, monkeypatch):
    monkeypatch.setattr(preview_module, "PROGRESS_EVERY", 100)
    csv_import = uploaded(owner_client, "big.csv", export(250), read=False)
    seen = []
    build = services.build_preview

    def watched(csv_import, **kwargs):
        progress = kwargs.pop("progress")

        def step(count):
            progress(count)
            seen.append(owner_client.get(url("import_progress", csv_import)).json())

        return build(csv_import, progress=step, **kwargs)

    monkeypatch.setattr(services, "build_preview", watched)

    run_queued_tasks()

    assert seen == [
        {"state": "reading", "rows_read": 100, "rows_total": 250, "done": False},
        {"state": "reading", "rows_read": 200, "rows_total": 250, "done": False},
    ]
    assert owner_client.get(url("import_progress", csv_import)).json() == {
        "state": "ready",
        "rows_read": 250,
        "rows_total": 250,
        "done": True,
    }


def test_the_rep_can_leave_and_come_back_to_the_import(owner_client):
    csv_import = uploaded(owner_client, read=False)

    # Gone elsewhere; the upload page lists the file and where it stands.
    assert "0 of 8 rows read" in owner_client.get(START).text
    run_queued_tasks()
    assert "ready for preview" in owner_client.get(START).text
    # Back through the list's link: the preview, read from the database.
    page = owner_client.get(url("import_preview", csv_import))
    assert page.context["preview"] is not None
    assert "Import 4 lost deals" in page.text


def test_a_file_that_cannot_be_read_any_more_fails_with_its_reason(owner_client, monkeypatch):
    def unreadable(csv_import, **kwargs):
        raise CsvFileError("This file has more than 5000 rows.")

    monkeypatch.setattr(services, "build_preview", unreadable)
    csv_import = uploaded(owner_client)

    csv_import.refresh_from_db()
    assert (csv_import.state, csv_import.error) == ("failed", "This file has more than 5000 rows.")
    page = owner_client.get(url("import_preview", csv_import))
    assert "Nothing was imported: This file has more than 5000 rows." in page.text
    assert "Failed" in owner_client.get(START).text
    assert owner_client.get(url("import_progress", csv_import)).json()["done"] is True
    assert owner_client.post(url("import_confirm", csv_import)).url == url("import_preview", csv_import)
    assert not LostDeal.objects.exists()


def test_an_unexpected_error_fails_the_import_and_the_task(owner_client, monkeypatch):
    def broken(csv_import, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "build_preview", broken)
    csv_import = uploaded(owner_client)

    csv_import.refresh_from_db()
    assert (csv_import.state, csv_import.error) == ("failed", tasks.READ_FAILED)
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert "a bug" in task.traceback


def test_confirming_before_the_file_is_read_imports_nothing(owner_client):
    csv_import = uploaded(owner_client, read=False)

    response = owner_client.post(url("import_confirm", csv_import))

    assert response.url == url("import_preview", csv_import)
    assert not LostDeal.objects.exists()
    # Once read, the same POST imports.
    run_queued_tasks()
    assert owner_client.post(url("import_confirm", csv_import)).url == reverse("home")
    assert LostDeal.objects.count() == 4


def test_picking_other_columns_reads_the_file_again(owner_client):
    csv_import = uploaded(owner_client, "latin1_accents.csv")
    assert csv_import.state == CsvImport.State.QUEUED  # no mapping yet: nothing to read
    assert not DBTaskResult.objects.exists()

    owner_client.post(url("import_map", csv_import), CUSTOM_MAPPING)

    csv_import.refresh_from_db()
    assert (csv_import.state, csv_import.preview) == (CsvImport.State.QUEUED, None)
    assert run_queued_tasks() == 1
    csv_import.refresh_from_db()
    assert csv_import.state == CsvImport.State.READY
    assert [row["name"] for row in csv_import.preview["to_import"]] == ["Société Générale", "Crédit Agricole"]


def test_a_task_run_twice_writes_the_same_preview(owner_client):
    csv_import = uploaded(owner_client)
    csv_import.refresh_from_db()
    first = csv_import.preview

    assert tasks.csv_import_read.call(import_code=str(csv_import.code)) == "ready"

    csv_import.refresh_from_db()
    assert csv_import.preview == first


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_itself_reads_a_committed_upload(client, owner):
    client.force_login(owner)
    post_upload(client, read=False)

    assert run_queued_tasks() == 1

    assert CsvImport.objects.get().state == CsvImport.State.READY
