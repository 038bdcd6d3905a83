"""Deleting one's own account (DESIGN.md "My data"): a page that says exactly what happens, then a POST.
And the link in a check-in reminder that stops them, which works without signing in."""

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from teams import access, services

CONFIRMATION = "delete my account"


class AccountDeleteForm(forms.Form):
    """The password again (re-authentication), and the words typed out to show it is meant."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirmation = forms.CharField(
        label=f"Type “{CONFIRMATION}” to confirm",
        max_length=100,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        # allauth's check: wrong passwords count towards the same limit as failed sign-ins, so this
        # form can't be used to guess a password from a session left open.
        if not get_adapter().reauthenticate(self.user, password):
            raise forms.ValidationError("That isn't your password. Nothing was deleted.")
        return password

    def clean_confirmation(self):
        typed = " ".join(self.cleaned_data["confirmation"].lower().split())
        if typed != CONFIRMATION:
            raise forms.ValidationError(f"Type “{CONFIRMATION}” exactly, to show you mean it.")
        return typed


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_delete(user=request.user)
        logout(request)
        messages.success(
            request,
            "Your account is deleted, with everything that was yours in it. "
            "We're sorry to see you go, and we wish you luck with the next deal.",
        )
        return redirect("home")
    preview = services.user_delete_preview(user=request.user)
    return render(request, "teams/account_delete.html", {"form": form, "preview": preview})


@require_http_methods(["GET", "POST"])
def reminders_stop(request, reminders_token):
    """GET asks (a mail scanner following the link changes nothing); the POST stops the reminders."""
    person = access.get_user_for_reminders_stop(reminders_token)
    if person is None:
        return render(request, "teams/reminders_stop.html", {"state": "bad_link"}, status=400)
    if request.method == "POST":
        services.user_stop_check_in_reminders(user=person)
        return redirect("teams:reminders_stopped")
    return render(request, "teams/reminders_stop.html", {"state": "confirm", "token": reminders_token})


@require_http_methods(["GET"])
def reminders_stopped(request):
    return render(request, "teams/reminders_stop.html", {"state": "stopped"})
