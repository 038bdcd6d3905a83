from django.urls import path

from .views import account, dashboard, feed, notifications, sharing, teams

app_name = "teams"

urlpatterns = [
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_create, name="team_create"),
    path("teams/<uuid:code>/", teams.team_detail, name="team_detail"),
    path("teams/<uuid:code>/invite/", teams.invitation_create, name="invitation_create"),
    path(
        "teams/<uuid:code>/invitations/<uuid:invitation>/revoke/",
        teams.invitation_revoke,
        name="invitation_revoke",
    ),
    path("teams/<uuid:code>/leave/", teams.team_leave, name="team_leave"),
    path("teams/<uuid:code>/members/<uuid:membership>/remove/", teams.member_remove, name="member_remove"),
    path("teams/<uuid:code>/members/<uuid:membership>/role/", teams.member_set_role, name="member_set_role"),
    path("teams/<uuid:code>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("teams/<uuid:code>/dashboard.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("invitations/<str:token>/", teams.invitation_accept, name="invitation_accept"),
    path("invitations/<uuid:code>/join/", teams.invitation_join, name="invitation_join"),
    path("invitations/<uuid:code>/decline/", teams.invitation_decline, name="invitation_decline"),
    path("profile/", teams.profile, name="profile"),
    path("account/delete/", account.account_delete, name="account_delete"),
    path("reminders/stop/<str:reminders_token>/", account.reminders_stop, name="reminders_stop"),
    path("reminders/stopped/", account.reminders_stopped, name="reminders_stopped"),
    path("trusted/", sharing.trusted_colleagues, name="trusted_colleagues"),
    path("losses/<uuid:code>/share/", sharing.share_create, name="share_create"),
    path("losses/<uuid:code>/unshare/", sharing.share_delete, name="share_delete"),
    path("feed/", feed.feed, name="feed"),
    path("shared/<uuid:code>/", feed.shared_loss, name="shared_loss"),
    path("shared/<uuid:code>/encourage/", feed.encourage, name="encourage"),
    path("shared/<uuid:code>/comments/", feed.comment_create, name="comment_create"),
    path("comments/<uuid:code>/hide/", feed.comment_hide, name="comment_hide"),
    path("comments/<uuid:code>/show/", feed.comment_show, name="comment_show"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
]
