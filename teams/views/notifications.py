"""Notifications: comments and encouragement on my losses, losses shared with me.

Opening the list changes nothing: notifications stay unread until "Mark all as read".
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from teams import selectors, services

NOTIFICATIONS_PER_PAGE = 30


@login_required
@require_safe
def notification_list(request):
    notifications = selectors.notifications_for(request.user)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    unread = selectors.unread_notification_count(request.user)
    # The header shows the same count: given here, it is not counted twice.
    context = {"page_obj": page, "unread": unread, "unread_notifications": unread}
    return render(request, "teams/notifications.html", context)


@login_required
@require_POST
def notifications_read(request):
    count = services.notifications_mark_read(user=request.user)
    if count:
        messages.success(request, "All caught up: every notification is marked as read.")
    else:
        messages.info(request, "Nothing new: you were already all caught up.")
    return redirect("teams:notifications")
