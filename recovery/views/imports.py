"""Importing lost deals from a CRM's CSV export: upload, map the columns if needed, preview, confirm.

Nothing becomes a loss before the rep confirms the preview; the file waits in a CsvImport that
only its owner can reach (anyone else gets 404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from recovery import imports
from recovery.forms import ColumnMappingForm, CsvUploadForm
from recovery.models import CsvImport

# A preview lists this many rows of each kind; the counts above it cover the whole file.
PREVIEW_ROWS_SHOWN = 200
SAMPLE_ROWS_SHOWN = 3


def _unreadable(request, csv_import, error):
    """A stored file that can no longer be read (the limits changed since it was uploaded)."""
    messages.error(request, f"Nothing was imported from “{csv_import.filename}”: {error}")
    return redirect("recovery:import_start")


def _already_imported(request, csv_import):
    when = date_format(timezone.localtime(csv_import.imported_at), "j F Y")
    messages.info(
        request,
        f"You imported “{csv_import.filename}” on {when}: nothing more to do with it. "
        "To bring in newer deals, upload a new export.",
    )
    return redirect("recovery:import_preview", code=csv_import.code)


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    if request.method == "POST":
        form = CsvUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            kind, mapping = imports.recognise(upload.table.columns)
            mapping["default_currency"] = form.cleaned_data["default_currency"]
            csv_import = imports.csv_import_create(
                owner=request.user, upload=upload, kind=kind, mapping=mapping
            )
            if imports.mapping_complete(mapping):
                return redirect("recovery:import_preview", code=csv_import.code)
            if kind != imports.Kind.CUSTOM:
                missing = " and ".join(imports.missing_columns(mapping))
                messages.warning(
                    request,
                    f"This looks like a {csv_import.get_kind_display()}, but we couldn't find its {missing} "
                    "column. Pick it below.",
                )
            return redirect("recovery:import_map", code=csv_import.code)
    else:
        form = CsvUploadForm()
    return render(
        request,
        "recovery/import_start.html",
        {"form": form, "recent_imports": imports.recent_imports(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request, code):
    csv_import = imports.get_own_import(user=request.user, code=code)
    if csv_import.imported_at is not None:
        return _already_imported(request, csv_import)
    try:
        table = imports.read_table(csv_import.content)
    except imports.CsvFileError as error:
        return _unreadable(request, csv_import, error)
    if request.method == "POST":
        form = ColumnMappingForm(request.POST, columns=table.columns)
        if form.is_valid():
            imports.csv_import_set_mapping(csv_import=csv_import, mapping=form.mapping())
            return redirect("recovery:import_preview", code=csv_import.code)
    else:
        mapping = csv_import.mapping
        if not imports.mapping_complete(mapping):
            mapping = {**imports.guess_mapping(table.columns), **mapping}
        form = ColumnMappingForm(initial=mapping, columns=table.columns)
    sample = [
        [values[position] if position < len(values) else "" for position in range(len(table.columns))]
        for _, values in table.rows[:SAMPLE_ROWS_SHOWN]
    ]
    return render(
        request,
        "recovery/import_map.html",
        {"csv_import": csv_import, "form": form, "columns": table.columns, "sample": sample},
    )


@login_required
@require_safe
def import_preview(request, code):
    csv_import = imports.get_own_import(user=request.user, code=code)
    if csv_import.imported_at is not None:
        # Done: the page says when, and how many; a preview now would only list duplicates.
        return render(request, "recovery/import_preview.html", {"csv_import": csv_import, "preview": None})
    if not imports.mapping_complete(csv_import.mapping):
        return redirect("recovery:import_map", code=csv_import.code)
    if csv_import.state != CsvImport.State.READY:
        # Waiting, being read, or failed: the page says which, from the database, so the rep can
        # leave and come back.
        return render(request, "recovery/import_progress.html", {"csv_import": csv_import})
    preview = imports.preview_from_json(csv_import.preview)
    context = {
        "csv_import": csv_import,
        "preview": preview,
        "rows_shown": PREVIEW_ROWS_SHOWN,
        "to_import_shown": preview.to_import[:PREVIEW_ROWS_SHOWN],
        "skipped_shown": preview.skipped[:PREVIEW_ROWS_SHOWN],
        "not_lost_shown": preview.not_lost[:PREVIEW_ROWS_SHOWN],
        "not_lost_more": max(0, len(preview.not_lost) - PREVIEW_ROWS_SHOWN),
    }
    return render(request, "recovery/import_preview.html", context)


@login_required
@require_safe
@never_cache
def import_progress(request, code):
    """How far the task reading the file has got, for the progress bar's script to poll."""
    csv_import = imports.get_own_import(user=request.user, code=code)
    return JsonResponse(
        {
            "state": csv_import.state,
            "rows_read": csv_import.rows_read,
            "rows_total": csv_import.rows_total,
            "done": not csv_import.is_being_read,
        }
    )


@login_required
@require_POST
def import_confirm(request, code):
    csv_import = imports.get_own_import(user=request.user, code=code)
    if csv_import.imported_at is not None:
        return _already_imported(request, csv_import)
    if not imports.mapping_complete(csv_import.mapping):
        return redirect("recovery:import_map", code=csv_import.code)
    if csv_import.state != CsvImport.State.READY:
        return redirect("recovery:import_preview", code=csv_import.code)
    try:
        count = imports.csv_import_confirm(csv_import=csv_import)
    except imports.CsvFileError as error:
        return _unreadable(request, csv_import, error)
    except DatabaseError:
        messages.error(
            request,
            "Nothing was imported: something went wrong while saving. Your file is still here; try again.",
        )
        return redirect("recovery:import_preview", code=csv_import.code)
    if count == 1:
        messages.success(request, "Imported 1 lost deal. It's waiting for your reflection.")
    elif count:
        messages.success(request, f"Imported {count} lost deals. They're waiting for your reflection.")
    else:
        messages.info(
            request, "Nothing new to import: the deals in this file are already in Rebound, or were skipped."
        )
    return redirect("home")
