"""“How do you feel about it now?”: answering, dismissing and making check-ins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_http_methods, require_POST

from recovery import selectors, services
from recovery.forms import CheckInForm
from recovery.views import safe_next_url


def _next_url(request):
    return safe_next_url(request, resolve_url("home"))


def _render(request, *, deal, form, action, check_in=None):
    return render(
        request,
        "recovery/check_in_form.html",
        {"deal": deal, "form": form, "action": action, "check_in": check_in, "next": _next_url(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_in_answer(request, code):
    check_in = selectors.get_own_check_in(user=request.user, code=code)
    action = resolve_url("recovery:check_in_answer", code=check_in.code)
    if request.method == "GET":
        form = CheckInForm(instance=check_in)
        return _render(request, deal=check_in.deal, form=form, action=action, check_in=check_in)
    form = CheckInForm(request.POST, instance=check_in)
    if not form.is_valid():
        return _render(request, deal=check_in.deal, form=form, action=action, check_in=check_in)
    # Answering again (or after dismissing) simply updates the answer.
    services.check_in_answer(
        check_in=check_in, mood=form.cleaned_data["mood"], note=form.cleaned_data["note"]
    )
    messages.success(request, "Thanks for checking in. Noticing how you feel is part of moving on.")
    return HttpResponseRedirect(_next_url(request))


@login_required
@require_POST
def check_in_dismiss(request, code):
    check_in = selectors.get_own_check_in(user=request.user, code=code)
    was_pending = check_in.is_pending
    services.check_in_dismiss(check_in=check_in)
    if was_pending:
        messages.info(request, "Dismissed. You can check in any time from the loss's page.")
    return HttpResponseRedirect(_next_url(request))


@login_required
@require_POST
def check_in_create(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        action = resolve_url("recovery:check_in_create", code=deal.code)
        return _render(request, deal=deal, form=form, action=action)
    services.check_in_create(deal=deal, mood=form.cleaned_data["mood"], note=form.cleaned_data["note"])
    messages.success(request, "Check-in saved. Noticing how you feel is part of moving on.")
    return redirect("recovery:loss_detail", code=deal.code)
