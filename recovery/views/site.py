from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recovery import selectors
from recovery.forms import CheckInForm

# The home page stays short: the rest is one click away (My losses, filtered).
HOME_CHECK_INS_SHOWN = 10
HOME_REFLECTIONS_SHOWN = 10


@require_safe
def home(request):
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    due = list(selectors.due_check_ins(user=request.user))
    # One query fetches one more than shown, to know whether there are more.
    to_reflect = list(selectors.unfinished_reflections(user=request.user)[: HOME_REFLECTIONS_SHOWN + 1])
    check_ins = [
        # Each inline form gets its own ids; the field names stay those the answer view reads.
        (check_in, CheckInForm(auto_id=f"check-in-{check_in.code}-%s"))
        for check_in in due[:HOME_CHECK_INS_SHOWN]
    ]
    return render(
        request,
        "recovery/home.html",
        {
            "check_ins": check_ins,
            "more_check_ins": len(due) - len(check_ins),
            "to_reflect": to_reflect[:HOME_REFLECTIONS_SHOWN],
            "more_to_reflect": len(to_reflect) > HOME_REFLECTIONS_SHOWN,
        },
    )


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
