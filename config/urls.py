from django.contrib import admin
from django.urls import include, path

from recovery.views import site

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", site.healthz, name="healthz"),
    path("", include("recovery.urls")),
    path("", include("teams.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
