from django.urls import path

from .views import checkins, insights, losses, reflection

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
]
