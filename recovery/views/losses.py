"""The losses pages: log a loss, My losses, one loss's page, edit, delete, move on."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from recovery import selectors, services
from recovery.dates import short_date
from recovery.forms import LossFilterForm, LostDealForm
from recovery.models import Emotion, Stage
from recovery.views.rendering import blank_check_in_fields, code_url, counted_page
from teams.access import audience_line

LOSSES_PER_PAGE = 20
# The fields of LostDealForm that lost_deal_create and lost_deal_update take as they are.
DEAL_FIELDS = ("name", "amount", "currency", "stage", "lost_on", "reasons", "competitor", "notes")


def _deal_fields(form: LostDealForm) -> dict:
    return {name: form.cleaned_data[name] for name in DEAL_FIELDS}


@login_required
@require_safe
def loss_list(request):
    filter_form = LossFilterForm(request.GET or None)
    filters = filter_form.selector_kwargs()
    losses = selectors.own_losses(user=request.user, **filters)
    page = counted_page(losses, LOSSES_PER_PAGE, request.GET.get("page"))
    filtering = any(value not in (None, "") for key, value in filters.items() if key != "order")
    return render(
        request,
        "recovery/loss_list.html",
        {"filter_form": filter_form, "page_obj": page, "rows": _loss_rows(page), "filtering": filtering},
    )


STAGE_LABELS = dict(Stage.choices)


def _loss_rows(deals) -> list[dict]:
    """What each row of My losses shows, its link and date worked out once here."""
    detail_url = code_url("recovery:loss_detail")
    return [
        {
            "name": deal.name,
            "url": detail_url(deal.code),
            "lost_on": short_date(deal.lost_on),
            "stage": STAGE_LABELS.get(deal.stage, deal.stage),
            "currency": deal.currency,
            "amount": deal.amount,
            "reasons": ", ".join(reason.label for reason in deal.reasons.all()),
            "status": deal.reflection.status,
            "moved_on": deal.has_moved_on,
        }
        for deal in deals
    ]


@login_required
@require_http_methods(["GET", "POST"])
def loss_create(request):
    if request.method == "POST":
        form = LostDealForm(request.POST)
        if form.is_valid():
            # The same form posted twice (double tap, back button) finds the loss it made.
            deal = services.lost_deal_create(
                owner=request.user, submission_id=form.cleaned_data["submission_id"], **_deal_fields(form)
            )
            messages.success(request, "Logged. Now take a moment with it: feel it first.")
            return redirect("recovery:reflection_edit", code=deal.code)
    else:
        form = LostDealForm()
    return render(request, "recovery/loss_form.html", {"form": form, "deal": None})


@login_required
@require_safe
def loss_detail(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    # Its share, if any: the Sharing section links to it or offers to share.
    shared = getattr(deal, "share", None)
    reflection = deal.reflection
    check_ins = list(deal.check_ins.all())
    context = {
        "deal": deal,
        "audience_line": audience_line(shared),
        "shared": shared,
        "reflection": reflection,
        "emotions": [Emotion(value).label for value in reflection.emotions if value in Emotion.values],
        "answered_check_ins": [check_in for check_in in check_ins if check_in.answered_at is not None],
        "pending_check_ins": [check_in for check_in in check_ins if check_in.is_pending],
        # An empty CheckInForm's fields, with its default ids (id_mood_0...).
        "check_in_fields": blank_check_in_fields("id_"),
        "today": timezone.localdate(),
    }
    return render(request, "recovery/loss_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def loss_edit(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    if request.method == "POST":
        # Validated without `instance=deal`: a ModelForm writes what was typed onto its instance,
        # and lost_deal_update compares the new date lost with the one stored on the deal.
        form = LostDealForm(request.POST)
        if form.is_valid():
            services.lost_deal_update(deal=deal, **_deal_fields(form))
            messages.success(request, f"Saved your changes to “{deal.name}”.")
            return redirect("recovery:loss_detail", code=deal.code)
    else:
        form = LostDealForm(instance=deal)
    return render(request, "recovery/loss_form.html", {"form": form, "deal": deal})


@login_required
@require_http_methods(["GET", "POST"])
def loss_delete(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    if request.method == "POST":
        name = deal.name
        services.lost_deal_delete(deal=deal)
        messages.success(request, f"Deleted “{name}”, with its reflection and check-ins.")
        return redirect("recovery:loss_list")
    return render(request, "recovery/loss_confirm_delete.html", {"deal": deal})


@login_required
@require_POST
def loss_move_on(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    services.lost_deal_move_on(deal=deal)
    messages.success(request, "You've felt it, and you're moving on. Well done for giving it its time.")
    return redirect("recovery:loss_detail", code=deal.code)


@login_required
@require_POST
def loss_undo_move_on(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    services.lost_deal_undo_move_on(deal=deal)
    messages.success(request, "No rush: this loss is open again. Take the time you need.")
    return redirect("recovery:loss_detail", code=deal.code)
