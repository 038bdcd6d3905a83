"""The feed, one shared loss, encouragement and comments (tips 2 and 4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from recovery.views import safe_next_url
from teams import access, selectors, services
from teams.dismissive import dismissive_phrases_in
from teams.forms import CommentForm, EncouragementForm
from teams.models import Audience, Encouragement, SharedLoss
from teams.ratelimits import rate_limited

SHARES_PER_PAGE = 20


def _shared_loss_url(shared: SharedLoss, anchor: str = "") -> str:
    url = reverse("teams:shared_loss", kwargs={"code": shared.deal.code})
    return f"{url}#{anchor}" if anchor else url


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _audience_line(shared: SharedLoss, user) -> str:
    """Who can see this loss, in one line (privacy rule 4), said to the person looking."""
    if shared.deal.owner_id == user.pk:
        return access.audience_line(shared)
    owner = shared.deal.owner.name
    if shared.audience == Audience.TEAM:
        audience = f"everyone in {shared.team.name}"
    else:
        audience = "the colleagues they trust, you among them"
    return f"{owner} shared this with {audience}. You see only what they chose to share."


def _render_shared_loss(request, shared: SharedLoss, *, comment_form=None, nudge=None, status=200):
    page = selectors.shared_loss_page(shared, viewer=request.user)
    context = {
        "shared": shared,
        "card": page.card,
        "encouragements": page.encouragements,
        "comments": page.comments,
        "audience_line": _audience_line(shared, request.user),
        "comment_form": comment_form or CommentForm(),
        "nudge": nudge,
    }
    return render(request, "teams/shared_loss.html", context, status=status)


@login_required
@require_safe
def feed(request):
    page = Paginator(selectors.Feed(request.user), SHARES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "teams/feed.html", {"page_obj": page, "cards": page.object_list})


@login_required
@require_safe
def shared_loss(request, code):
    shared = access.get_shared_loss_for_viewer(request.user, code)
    return _render_shared_loss(request, shared)


@login_required
@require_POST
def encourage(request, code):
    shared = access.get_shared_loss_for_viewer(request.user, code)
    form = EncouragementForm(request.POST)
    try:
        if not form.is_valid():
            if not request.POST.get("kind"):
                raise ValidationError("Choose one of the four kinds of encouragement.")
            raise ValidationError(form.errors["kind"][0])
        kind = form.cleaned_data["kind"]
        given = services.encouragement_toggle(shared=shared, user=request.user, kind=kind)
    except ValidationError as error:
        if _wants_json(request):
            return JsonResponse({"error": error.messages[0]}, status=400)
        messages.error(request, error.messages[0])
        return _render_shared_loss(request, shared, status=400)

    label = Encouragement.Kind(kind).label
    owner = shared.deal.owner.name
    if _wants_json(request):
        return JsonResponse(
            {
                "kind": kind,
                "given": given,
                "count": selectors.encouragement_count(shared, kind),
                "message": f"“{label}” sent to {owner}." if given else f"Took back “{label}”.",
            }
        )
    if given:
        messages.success(request, f"“{label}” sent. {owner} will see it: a small word goes a long way.")
    else:
        messages.info(request, f"Took back “{label}”.")
    return HttpResponseRedirect(safe_next_url(request, _shared_loss_url(shared, "encouragement")))


@login_required
@require_POST
@rate_limited("comment")
def comment_create(request, code):
    shared = access.get_shared_loss_for_viewer(request.user, code)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_shared_loss(request, shared, comment_form=form)
    body = form.cleaned_data["body"]
    phrases = dismissive_phrases_in(body)
    if phrases and not form.cleaned_data["post_anyway"]:
        # Tip 2: held back, kept in the box to rephrase; "Post it anyway" stays possible.
        return _render_shared_loss(
            request, shared, comment_form=CommentForm(initial={"body": body}), nudge={"phrases": phrases}
        )
    comment = services.comment_create(shared=shared, author=request.user, body=body)
    if shared.deal.owner_id == request.user.pk:
        messages.success(request, "Your reply is posted.")
    else:
        messages.success(request, f"Posted. Thank you for supporting {shared.deal.owner.name}.")
    return redirect(_shared_loss_url(shared, f"comment-{comment.code}"))


def _set_hidden(request, code, *, hidden: bool):
    comment = access.get_comment_for_loss_owner(request.user, code)
    services.comment_set_hidden(comment=comment, hidden=hidden)
    if hidden:
        messages.success(request, "Hidden. Only you can see that comment now.")
    else:
        messages.success(request, "Shown again to everyone who can see this loss.")
    return redirect(_shared_loss_url(comment.shared, f"comment-{comment.code}"))


@login_required
@require_POST
def comment_hide(request, code):
    return _set_hidden(request, code, hidden=True)


@login_required
@require_POST
def comment_show(request, code):
    return _set_hidden(request, code, hidden=False)
