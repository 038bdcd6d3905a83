"""Trusted colleagues (tip 2) and sharing a loss (tip 4): share it, stop sharing it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from recovery import selectors as recovery_selectors
from recovery.views import reflection as reflection_views
from teams import access, services
from teams.forms import ShareForm, TrustedColleaguesForm
from teams.models import Audience, SharedLoss, TrustedColleague


@login_required
@require_http_methods(["GET", "POST"])
def trusted_colleagues(request):
    """The owner's own list of trusted colleagues, picked from their teams. Nobody else sees it."""
    owner = request.user
    if request.method == "POST":
        form = TrustedColleaguesForm(request.POST, owner=owner)
        if form.is_valid():
            colleagues = list(form.cleaned_data["colleagues"])
            try:
                services.trusted_colleagues_set(owner=owner, colleagues=colleagues)
            except ValidationError as error:
                form.add_error("colleagues", error)
            else:
                if colleagues:
                    names = ", ".join(str(person) for person in colleagues)
                    messages.success(request, f"Saved. Your trusted colleagues: {names}.")
                else:
                    messages.success(request, "Saved. Your list is empty for now.")
                return redirect("teams:trusted_colleagues")
    else:
        current = TrustedColleague.objects.filter(owner=owner).values_list("colleague_id", flat=True)
        form = TrustedColleaguesForm(initial={"colleagues": list(current)}, owner=owner)
    return render(request, "teams/trusted_colleagues.html", {"form": form})


@login_required
@require_POST
def share_create(request, code):
    deal = recovery_selectors.get_own_loss(user=request.user, code=code)
    share_section = reverse("recovery:reflection_edit", kwargs={"code": deal.code}) + "#share"
    if hasattr(deal, "share"):
        messages.error(
            request, "This loss is already shared. Stop sharing it first to share it with someone else."
        )
        return redirect(share_section)
    form = ShareForm(request.POST, owner=request.user)
    if form.is_valid():
        audience, team = form.audience_and_team()
        if audience == Audience.TRUSTED and not access.trusted_audience(request.user).exists():
            form.add_error(
                "audience",
                "You haven't picked any trusted colleagues from your teams yet. "
                "Pick them first, or share with everyone in a team.",
            )
        else:
            try:
                shared = services.loss_share(
                    deal=deal,
                    audience=audience,
                    team=team,
                    message=form.cleaned_data["message"],
                    show_name=form.cleaned_data["show_name"],
                    show_amount=form.cleaned_data["show_amount"],
                    include_lesson=form.cleaned_data["include_lesson"],
                )
            except ValidationError as error:
                form.add_error("audience", error)
                # It may have been shared by another request meanwhile: show the loss as it is now.
                deal = recovery_selectors.get_own_loss(user=request.user, code=code)
            else:
                messages.success(request, f"Thank you for sharing. {access.audience_line(shared)}")
                return redirect("teams:shared_loss", code=deal.code)
    # What was typed comes back, with each error next to its field; the reflection is untouched.
    return reflection_views.render_reflection_page(request, deal, share_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def share_delete(request, code):
    """Stop sharing: a confirmation page, then the loss leaves every feed at once."""
    deal = recovery_selectors.get_own_loss(user=request.user, code=code)
    shared = getattr(deal, "share", None)
    if shared is None:
        messages.info(request, "This loss isn't shared: only you can see it.")
        return redirect("recovery:loss_detail", code=deal.code)
    if request.method == "POST":
        services.loss_unshare(shared=shared)
        messages.success(request, "You've stopped sharing it. Only you can see this loss now.")
        return redirect("recovery:loss_detail", code=deal.code)
    support = SharedLoss.objects.filter(pk=shared.pk).aggregate(
        encouragements=Count("encouragements", distinct=True),
        comments=Count("comments", distinct=True),
    )
    return render(
        request,
        "teams/share_confirm_delete.html",
        {"deal": deal, "shared": shared, "audience_line": access.audience_line(shared), **support},
    )
