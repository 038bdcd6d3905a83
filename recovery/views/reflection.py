"""The reflection on a lost deal: the four tips, on one page, in one form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from recovery import selectors, services
from recovery.forms import ReflectionForm


def _bound_form(request, *, finishing):
    # Validated into a throwaway instance: a ModelForm writes the cleaned values onto its
    # instance, and reflection_save compares the stored mood with the new one (mood_at).
    return ReflectionForm(request.POST, finishing=finishing)


def _render(request, deal, form):
    return render(
        request,
        "recovery/reflection_form.html",
        {
            "deal": deal,
            "reflection": deal.reflection,
            "form": form,
            # From the prefetched reasons: no query of its own.
            "outside_reasons": [reason for reason in deal.reasons.all() if reason.outside_control],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reflection_edit(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    if request.method == "GET":
        return _render(request, deal, ReflectionForm(instance=deal.reflection))
    # A finished reflection can still be changed, but stays complete while it is finished.
    form = _bound_form(request, finishing=deal.reflection.is_finished)
    if not form.is_valid():
        return _render(request, deal, form)
    services.reflection_save(reflection=deal.reflection, finish=False, **form.cleaned_data)
    if deal.reflection.is_finished:
        messages.success(request, "Saved. Your reflection is still finished.")
    else:
        messages.success(request, "Saved. Come back whenever you're ready.")
    return redirect("recovery:reflection_edit", code=deal.code)


@login_required
@require_POST
def reflection_finish(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    form = _bound_form(request, finishing=True)
    if not form.is_valid():
        return _render(request, deal, form)
    services.reflection_save(reflection=deal.reflection, finish=True, **form.cleaned_data)
    messages.success(request, "Reflection finished. You felt it and named it: that's how you move on.")
    return redirect("recovery:loss_detail", code=deal.code)


@login_required
@require_POST
def reflection_reopen(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    services.reflection_reopen(reflection=deal.reflection)
    messages.success(request, "Reopened. Change anything you like, and take your time.")
    return redirect("recovery:reflection_edit", code=deal.code)
