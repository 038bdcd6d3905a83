"""The reflection on a lost deal: the four tips on one page.

Tips 1 to 3 are one form. Tip 4, sharing, is a form of its own beside it (posting to
teams:share_create), since forms cannot be nested.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from recovery import selectors, services
from recovery.forms import ReflectionForm
from recovery.models import LostDeal
from teams import access
from teams.forms import ShareForm


def _bound_form(request, *, finishing):
    # Not bound to the saved reflection: a ModelForm writes what was typed onto its instance,
    # and an invalid form must leave the reflection shown beside it as it is stored.
    return ReflectionForm(request.POST, finishing=finishing, owner=request.user)


def _saved(deal: LostDeal, form: ReflectionForm, *, finish: bool) -> bool:
    """Save a valid form; False (with the errors on the form) when it or the service refuses."""
    if not form.is_valid():
        return False
    try:
        services.reflection_save(reflection=deal.reflection, finish=finish, **form.cleaned_data)
    except ValidationError as error:
        # A colleague picked left the team since the page was shown.
        form.add_error("people", error)
        return False
    return True


def render_reflection_page(request, deal: LostDeal, *, form=None, share_form=None):
    """The page, with the reflection form (as given, or as saved) and the Share section.

    Its queries do not grow with the data: whether the loss is shared, the owner's teams,
    the colleagues they picked, their teammates, and the audience line or the trusted names.
    """
    owner = request.user
    shared = getattr(deal, "share", None)
    trusted = []
    if shared is None:
        share_form = share_form or ShareForm(owner=owner)
        has_teams = bool(share_form.teams)
        if has_teams:
            trusted = list(access.trusted_audience(owner))
        audience_line = None  # The section offers the share form instead.
    else:
        share_form = None
        has_teams = access.team_ids_of(owner).exists()
        audience_line = access.audience_line(shared)
    form = form or ReflectionForm(instance=deal.reflection, owner=owner)
    if has_teams:
        form.fields["talk_to"].label = "Or someone else"
    return render(
        request,
        "recovery/reflection_form.html",
        {
            "deal": deal,
            "reflection": deal.reflection,
            "form": form,
            # From the prefetched reasons: no query of its own.
            "outside_reasons": [reason for reason in deal.reasons.all() if reason.outside_control],
            "has_teams": has_teams,
            "shared": shared,
            "share_form": share_form,
            "trusted": trusted,
            "audience_line": audience_line,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reflection_edit(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    if request.method == "GET":
        return render_reflection_page(request, deal)
    # A finished reflection can still be changed, but stays complete while it is finished.
    form = _bound_form(request, finishing=deal.reflection.is_finished)
    if not _saved(deal, form, finish=False):
        return render_reflection_page(request, deal, form=form)
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
    if not _saved(deal, form, finish=True):
        return render_reflection_page(request, deal, form=form)
    messages.success(request, "Reflection finished. You felt it and named it: that's how you move on.")
    return redirect("recovery:loss_detail", code=deal.code)


@login_required
@require_POST
def reflection_reopen(request, code):
    deal = selectors.get_own_loss(user=request.user, code=code)
    services.reflection_reopen(reflection=deal.reflection)
    messages.success(request, "Reopened. Change anything you like, and take your time.")
    return redirect("recovery:reflection_edit", code=deal.code)
