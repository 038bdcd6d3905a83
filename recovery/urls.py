from django.urls import path

from .views import checkins, imports, insights, losses, reflection, webhooks

app_name = "recovery"

urlpatterns = [
    path("losses/", losses.loss_list, name="loss_list"),
    path("losses/new/", losses.loss_create, name="loss_create"),
    path("losses/<uuid:code>/", losses.loss_detail, name="loss_detail"),
    path("losses/<uuid:code>/edit/", losses.loss_edit, name="loss_edit"),
    path("losses/<uuid:code>/delete/", losses.loss_delete, name="loss_delete"),
    path("losses/<uuid:code>/move-on/", losses.loss_move_on, name="loss_move_on"),
    path("losses/<uuid:code>/undo-move-on/", losses.loss_undo_move_on, name="loss_undo_move_on"),
    path("losses/<uuid:code>/reflection/", reflection.reflection_edit, name="reflection_edit"),
    path("losses/<uuid:code>/reflection/finish/", reflection.reflection_finish, name="reflection_finish"),
    path("losses/<uuid:code>/reflection/reopen/", reflection.reflection_reopen, name="reflection_reopen"),
    path("losses/<uuid:code>/check-in/", checkins.check_in_create, name="check_in_create"),
    path("check-ins/<uuid:code>/", checkins.check_in_answer, name="check_in_answer"),
    path("check-ins/<uuid:code>/dismiss/", checkins.check_in_dismiss, name="check_in_dismiss"),
    path("my-recovery/", insights.my_recovery, name="my_recovery"),
    path("my-data/", insights.my_data, name="my_data"),
    path("my-data/rebound-export.csv", insights.export_csv, name="export_csv"),
    path("my-data/rebound-export.json", insights.export_json, name="export_json"),
    path("imports/", imports.import_start, name="import_start"),
    path("imports/<uuid:code>/", imports.import_preview, name="import_preview"),
    path("imports/<uuid:code>/columns/", imports.import_map, name="import_map"),
    path("imports/<uuid:code>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<uuid:code>/confirm/", imports.import_confirm, name="import_confirm"),
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<uuid:code>/revoke/", webhooks.webhook_revoke, name="webhook_revoke"),
    # <str:code>, not <uuid:code>: a mistyped address gets the webhook's JSON 404, not a page.
    path("hooks/lost-deals/<str:code>/", webhooks.webhook_receive, name="webhook_receive"),
]
