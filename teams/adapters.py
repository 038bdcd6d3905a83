from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages

from . import services


class AccountAdapter(DefaultAccountAdapter):
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
