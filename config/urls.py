from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from recovery.views import site

# The admin signs in through allauth, so staff get two-factor and allauth's rate limits too; a
# signed-in person who isn't staff gets 403 from it.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", site.healthz, name="healthz"),
    path("healthz/tasks", site.healthz_tasks, name="healthz_tasks"),
    path("", include("recovery.urls")),
    path("", include("teams.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
