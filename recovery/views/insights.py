"""My recovery (the rep's own figures) and My data (the export of everything they wrote)."""

import csv
import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import MONTHS
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import charts, exports, selectors
from ..dates import long_date
from .rendering import code_url, counted_page

LESSONS_PER_PAGE = 20


@login_required
@require_GET
def my_recovery(request):
    figures = selectors.recovery_figures(user=request.user)
    lessons = counted_page(
        selectors.own_lessons(user=request.user), LESSONS_PER_PAGE, request.GET.get("page")
    )
    loss_url = code_url("recovery:loss_detail")
    lesson_rows = [
        {
            "lesson": reflection.lesson,
            "deal_name": reflection.deal.name,
            "deal_url": loss_url(reflection.deal.code),
            "lost_on": long_date(reflection.deal.lost_on),
            "lost_on_iso": reflection.deal.lost_on.isoformat(),
        }
        for reflection in lessons
    ]
    months_chart = charts.bar_chart(
        [(m.month.strftime("%b"), m.count) for m in figures.months],
        id="losses-chart",
        title="Losses per month",
        description=(
            f"{figures.losses_in_months} losses from {figures.months[0].month:%B %Y} "
            f"to {figures.months[-1].month:%B %Y}. The numbers are also in the table beside it."
        ),
    )
    mood_chart = charts.line_chart(
        [(b.label, b.mean) for b in figures.mood_curve],
        id="mood-chart",
        title="Mean mood by days since the loss",
        description="Mood from 1 (very low) to 5 (good). The numbers are also in the table beside it.",
    )
    share_chart = charts.share_bar(
        figures.reason_picks_outside,
        figures.reason_picks,
        id="share-chart",
        title="Reasons outside your control",
        description=(
            f"{figures.reason_picks_outside} of {figures.reason_picks} reasons were outside your control."
        ),
    )
    # Each month as the table names it (`|date:"F Y"`), worked out once here.
    month_rows = [(f"{MONTHS[m.month.month]} {m.month.year}", m.count) for m in figures.months]
    return render(
        request,
        "recovery/my_recovery.html",
        {
            "figures": figures,
            "month_rows": month_rows,
            "first_month": month_rows[0][0],
            "last_month": month_rows[-1][0],
            "lessons": lessons,
            "lesson_rows": lesson_rows,
            "months_chart": months_chart,
            "mood_chart": mood_chart,
            "share_chart": share_chart,
        },
    )


@login_required
@require_GET
def my_data(request):
    return render(
        request,
        "recovery/my_data.html",
        {"counts": selectors.own_data_counts(user=request.user), "csv_columns": exports.CSV_COLUMNS},
    )


def _filename(extension: str) -> str:
    return f"rebound-export-{timezone.localdate():%Y-%m-%d}.{extension}"


@never_cache
@login_required
@require_GET
def export_csv(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    # A byte-order mark, so that spreadsheet programs read the accents right.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(exports.CSV_HEADER)
    writer.writerows(exports.csv_rows(selectors.export_losses(user=request.user)))
    return response


@never_cache
@login_required
@require_GET
def export_json(request):
    data = exports.json_document(user=request.user, losses=selectors.export_losses(user=request.user))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    return response
