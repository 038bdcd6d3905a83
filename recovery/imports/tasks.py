"""The import's background work: reading an uploaded file's rows into its preview."""

from django.tasks import task

from . import services

READ_FAILED = (
    "Something went wrong on Rebound's side while reading this file. Upload it again; if it fails "
    "again, tell us."
)


@task
def csv_import_read(*, import_code: str) -> str:
    """Read the import's rows into its preview (see services.csv_import_read). An unexpected error
    is recorded on the import, for the rep, and raised again, so the task's row keeps the traceback."""
    try:
        return services.csv_import_read(code=import_code)
    except Exception:
        services.csv_import_fail(code=import_code, error=READ_FAILED)
        raise
