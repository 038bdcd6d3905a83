"""The benchmark's URL configuration: every page of Rebound, plus a floor to compare them with.

The floor is the cheapest page a signed-in person can get: the session is read and the user
loaded (what every page of ours does), and nothing else. `make bench` serves this URLconf with
gunicorn and reports each page's requests per second as a share of the floor's.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_required
def floor(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_urlpatterns]
