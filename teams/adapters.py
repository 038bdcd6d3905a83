from allauth.account.adapter import DefaultAccountAdapter
from django import forms

from .forms import INVALID_EMAIL, has_control_characters


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Django's validator lets a quoted address carry control characters that no email can be sent to."""
        email = super().clean_email(email)
        if has_control_characters(email):
            raise forms.ValidationError(INVALID_EMAIL)
        return email
