from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recovery import selectors
from recovery.dates import long_date
from recovery.models import Source
from recovery.views.rendering import blank_check_in_fields, code_url

# The home page stays short: the rest is one click away (My losses, filtered).
HOME_CHECK_INS_SHOWN = 10
HOME_REFLECTIONS_SHOWN = 10


@require_safe
def home(request):
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    due, due_count = selectors.due_check_ins_shown(user=request.user, limit=HOME_CHECK_INS_SHOWN)
    # One query fetches one more than shown, to know whether there are more.
    to_reflect = list(selectors.unfinished_reflections(user=request.user)[: HOME_REFLECTIONS_SHOWN + 1])
    return render(
        request,
        "recovery/home.html",
        {
            "check_ins": _check_in_rows(due),
            "more_check_ins": due_count - len(due),
            "to_reflect": _reflection_rows(to_reflect[:HOME_REFLECTIONS_SHOWN]),
            "more_to_reflect": len(to_reflect) > HOME_REFLECTIONS_SHOWN,
            "next": request.get_full_path(),
        },
    )


def _check_in_rows(check_ins) -> list[dict]:
    """What each due check-in's card shows, its links and dates worked out once here."""
    deal_url = code_url("recovery:loss_detail")
    answer_url = code_url("recovery:check_in_answer")
    dismiss_url = code_url("recovery:check_in_dismiss")
    return [
        {
            "heading_id": f"check-in-title-{check_in.code.hex}",
            "deal_name": check_in.deal.name,
            "deal_url": deal_url(check_in.deal.code),
            "lost_on": long_date(check_in.deal.lost_on),
            "due_on": long_date(check_in.due_on),
            "answer_url": answer_url(check_in.code),
            "dismiss_url": dismiss_url(check_in.code),
            # Each inline form gets its own ids; the field names stay those the answer view reads.
            "fields": blank_check_in_fields(f"check-in-{check_in.code}-"),
        }
        for check_in in check_ins
    ]


def _reflection_rows(deals) -> list[dict]:
    reflect_url = code_url("recovery:reflection_edit")
    return [
        {
            "name": deal.name,
            "url": reflect_url(deal.code),
            "status": deal.reflection.status,
            "source": deal.get_source_display() if deal.source != Source.MANUAL else "",
            "lost_on": long_date(deal.lost_on),
        }
        for deal in deals
    ]


@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_safe
def healthz_tasks(request):
    """For monitoring the task worker: how long the oldest task ready to run has waited, in seconds
    (0 when none waits); 503 once that is over TASKS_MAX_AGE, as no worker is keeping up."""
    waited = selectors.oldest_ready_task_wait()
    age = round(waited.total_seconds()) if waited else 0
    limit = settings.TASKS_MAX_AGE
    late = age > limit
    return JsonResponse(
        {"status": "late" if late else "ok", "oldest_queued_seconds": age, "max_seconds": limit},
        status=503 if late else 200,
    )
