"""Emails of the teams app, rendered from subject / text / html triplets in templates/emails/.

Rendered now and queued in the caller's transaction; the task worker sends them (recovery.tasks).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from recovery.tasks import outgoing_email_create

from .models import Encouragement


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send(template: str, to: list[str], context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}_body.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{template}_body.html", context), "text/html")
    outgoing_email_create(message=message)


def send_invitation(invitation, token: str) -> None:
    send(
        "invitation",
        [invitation.email],
        {
            "invitation": invitation,
            "accept_url": absolute(reverse("teams:invitation_accept", kwargs={"token": token})),
        },
    )


def send_notifications(recipients, *, kind: str, actor, shared, encouragement: str = "") -> None:
    """One email each: a comment or encouragement on their loss, or a loss shared with them.

    `encouragement` is the kind given ("proud"), for encouragement: the email names it.
    """
    url = absolute(reverse("teams:shared_loss", kwargs={"code": shared.deal.code}))
    label = Encouragement.Kind(encouragement).label if encouragement else ""
    for person in recipients:
        send(
            f"notification_{kind}",
            [person.email],
            {
                "person": person,
                "actor": actor,
                "shared": shared,
                "encouragement": label,
                "url": url,
                "preferences_url": absolute(reverse("teams:profile")),
            },
        )
