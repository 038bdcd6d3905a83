import logging

from allauth.account.adapter import DefaultAccountAdapter
from django import forms

from .forms import INVALID_EMAIL, has_control_characters

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Django's validator lets a quoted address carry control characters that no email can be sent to."""
        email = super().clean_email(email)
        if has_control_characters(email):
            raise forms.ValidationError(INVALID_EMAIL)
        return email

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        """A notice of a change already made (password, email addresses, two-factor): with the mail
        server down, the change stands and the failure is logged, instead of an error page."""
        try:
            super().send_notification_mail(template_prefix, user, context, email)
        except OSError:  # smtplib's errors included
            logger.exception("Couldn't send the %s notice to user %s.", template_prefix, user.pk)
