"""Teams, their members and invitations, and the profile page.

Tip 2, "Surround yourself with the right people": a team is the group a rep can share a loss
with. Lookups go through teams.access (a team you are not in, or do not manage, is a 404);
writes go through teams.services.
"""

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from teams import access, services
from teams.forms import InvitationForm, ProfileForm, TeamForm
from teams.models import Invitation, Membership, Role, Team
from teams.ratelimits import rate_limited


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# ---------------------------------------------------------------- my teams


def _render_team_list(request, form: TeamForm, status: int = 200):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("team")
        .annotate(member_count=Count("team__memberships"))
        .order_by("team__name", "team__pk")
    )
    return render(request, "teams/team_list.html", {"memberships": memberships, "form": form}, status=status)


@login_required
@require_safe
def team_list(request):
    return _render_team_list(request, TeamForm())


@login_required
@require_POST
def team_create(request):
    form = TeamForm(request.POST)
    if not form.is_valid():
        return _render_team_list(request, form)
    team = services.team_create(creator=request.user, name=form.cleaned_data["name"].strip())
    messages.success(request, f"{team.name} is ready, and you're its manager. Invite your colleagues below.")
    return redirect("teams:team_detail", code=team.code)


# ---------------------------------------------------------------- one team


def _render_team(request, team: Team, invitation_form: InvitationForm | None = None):
    memberships = list(team.memberships.select_related("user").order_by("user__name", "user__email"))
    mine = next(m for m in memberships if m.user_id == request.user.pk)
    context = {
        "team": team,
        "memberships": memberships,
        "my_membership": mine,
        "manager_count": sum(1 for m in memberships if m.is_manager),
    }
    if mine.is_manager:
        context["invitation_form"] = invitation_form or InvitationForm()
        context["open_invitations"] = team.invitations.open().select_related("invited_by")
    return render(request, "teams/team_detail.html", context)


@login_required
@require_safe
def team_detail(request, code):
    team = access.get_team_for_member(request.user, code)
    return _render_team(request, team)


@login_required
@require_POST
@rate_limited("invitation")
def invitation_create(request, code):
    team = access.get_team_for_manager(request.user, code)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                team=team, invited_by=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. The link in it works once, for 14 days.",
            )
            return redirect("teams:team_detail", code=team.code)
    return _render_team(request, team, invitation_form=form)


@login_required
@require_POST
def invitation_revoke(request, code, invitation):
    team = access.get_team_for_manager(request.user, code)
    invitation = get_object_or_404(team.invitations.filter(accepted_at__isnull=True), code=invitation)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"Revoked the invitation to {invitation.email}. Its link no longer works.")
    return redirect("teams:team_detail", code=team.code)


@login_required
@require_POST
def team_leave(request, code):
    team = access.get_team_for_member(request.user, code)
    membership = get_object_or_404(
        Membership.objects.select_related("team", "user"), team=team, user=request.user
    )
    try:
        services.membership_leave(membership=membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("teams:team_detail", code=team.code)
    messages.success(
        request, f"You've left {team.name}. Anything you shared with the team has left its feed with you."
    )
    return redirect("teams:team_list")


@login_required
@require_POST
def member_remove(request, code, membership):
    membership = access.get_membership_for_manager(request.user, code, membership)
    team, person = membership.team, membership.user
    try:
        services.membership_remove(membership=membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("teams:team_detail", code=team.code)
    if person.pk == request.user.pk:
        messages.success(request, f"You've left {team.name}.")
        return redirect("teams:team_list")
    messages.success(request, f"{person.name} is no longer in {team.name}.")
    return redirect("teams:team_detail", code=team.code)


@login_required
@require_POST
def member_set_role(request, code, membership):
    membership = access.get_membership_for_manager(request.user, code, membership)
    team, person = membership.team, membership.user
    role = request.POST.get("role", "")
    if role not in Role.values:
        messages.error(request, "Choose whether they are a manager or a member.")
        return redirect("teams:team_detail", code=team.code)
    try:
        services.membership_set_role(membership=membership, role=role)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("teams:team_detail", code=team.code)
    who = "You're" if person.pk == request.user.pk else f"{person.name} is"
    messages.success(request, f"{who} now a {Role(role).label.lower()} of {team.name}.")
    # A manager who made themselves a member can still see the team, but no longer manage it.
    return redirect("teams:team_detail", code=team.code)


# ---------------------------------------------------------------- accepting an invitation


def _invitation_problem(invitation: Invitation, user) -> tuple[str, int] | None:
    """Why this invitation cannot be accepted by this person now, with the page's status; None if it can."""
    if user.is_authenticated and Membership.objects.filter(team=invitation.team, user=user).exists():
        return "member", 200
    if invitation.accepted_at is not None:
        return "used", 410
    if invitation.declined_at is not None:
        return "declined", 410
    if invitation.is_expired:
        return "expired", 410
    if user.is_authenticated:
        verified = EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True)
        if not verified.exists():
            return "other_person", 403
    return None


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Anyone with the link may read it; only its addressee, signed in and verified, may join."""
    invitation = (
        Invitation.objects.select_related("team", "invited_by")
        .filter(token_hash=services.hash_token(token))
        .first()
    )
    if invitation is None:
        return render(request, "teams/invitation_accept.html", {"state": "not_found"}, status=404)
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())

    problem = _invitation_problem(invitation, request.user)
    state, status = problem or ("open", 200)
    error = None
    if request.method == "POST" and problem is None:
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:  # Someone else, or a second click, got there first.
            state, status, error = "refused", 409, _error_text(exc)
        else:
            messages.success(
                request, f"Welcome to {invitation.team.name}. Your colleagues here are behind you."
            )
            return redirect("teams:team_detail", code=invitation.team.code)
    context = {"state": state, "invitation": invitation, "error": error}
    return render(request, "teams/invitation_accept.html", context, status=status)


# ---------------------------------------------------------------- my invitations (home page)


@login_required
@require_POST
def invitation_join(request, code):
    """Accept one of my pending invitations, as listed on the home page."""
    invitation = access.get_invitation_for_invitee(request.user, code)
    try:
        services.invitation_accept(invitation=invitation, user=request.user)
    except ValidationError as error:  # A second click, or another tab, got there first.
        messages.error(request, _error_text(error))
        return redirect("home")
    messages.success(request, f"Welcome to {invitation.team.name}. Your colleagues here are behind you.")
    return redirect("teams:team_detail", code=invitation.team.code)


@login_required
@require_POST
def invitation_decline(request, code):
    invitation = access.get_invitation_for_invitee(request.user, code)
    try:
        services.invitation_decline(invitation=invitation, user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"You've declined the invitation to {invitation.team.name}.")
    return redirect("home")


# ---------------------------------------------------------------- profile


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    if request.method == "POST":
        # Validated without `instance`: a ModelForm writes what was typed onto its instance, and an
        # invalid name must not show up in the header of the page that reports it.
        form = ProfileForm(request.POST)
        if form.is_valid():
            user = services.user_update_profile(
                user=request.user,
                name=form.cleaned_data["name"],
                email_notifications=form.cleaned_data["email_notifications"],
                check_in_reminders=form.cleaned_data["check_in_reminders"],
            )
            messages.success(request, f"Saved. Your colleagues will see you as {user.name}.")
            return redirect("teams:profile")
    else:
        form = ProfileForm(instance=request.user)
    return render(request, "teams/profile.html", {"form": form})
