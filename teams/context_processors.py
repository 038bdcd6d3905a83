from django.utils.functional import SimpleLazyObject

from .selectors import unread_notification_count


def notifications(request):
    """The unread count in the header, counted only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user))}
