from django.utils.functional import SimpleLazyObject

from .access import invitations_for_invitee
from .selectors import unread_notification_count


def notifications(request):
    """The unread count in the header, counted only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user))}


def invitations(request):
    """The person's open invitations to teams, read only on pages that show them (home).

    A context processor, so that the home page (recovery's) shows them without importing teams.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"pending_invitations": SimpleLazyObject(lambda: list(invitations_for_invitee(user)))}
