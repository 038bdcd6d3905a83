from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.contrib import messages

from . import services
from .forms import INVALID_EMAIL, has_control_characters


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Django's validator lets a quoted address carry control characters that no email can be sent to."""
        email = super().clean_email(email)
        if has_control_characters(email):
            raise forms.ValidationError(INVALID_EMAIL)
        return email

    def confirm_email(self, request, email_address):
        """Someone invited by email joins the team as soon as they verify that address."""
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            memberships = services.invitations_accept_for_verified_email(
                user=email_address.user, email=email_address.email
            )
            for membership in memberships:
                messages.success(request, f"Welcome to {membership.team.name}.")
        return confirmed
