from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django import forms
from django.contrib.sites.shortcuts import get_current_site

from recovery.tasks import outgoing_email_create

from .forms import INVALID_EMAIL, has_control_characters


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Django's validator lets a quoted address carry control characters that no email can be sent to."""
        email = super().clean_email(email)
        if has_control_characters(email):
            raise forms.ValidationError(INVALID_EMAIL)
        return email

    def send_mail(self, template_prefix, email, context):
        """allauth's emails (verification, password reset, notices of changes) are rendered here, as
        allauth's own send_mail does, and queued: the task worker sends them and retries while the mail
        server is away, so no page waits on it or fails with it."""
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        outgoing_email_create(message=self.render_mail(template_prefix, email, context))
