import os

from django.urls import include, path

urlpatterns = [path("api/", include("django_loyalty.urls")), path("", include("django_loyalty.pages.urls"))]
if os.environ.get("LOYALTY_BENCH") == "1":
    urlpatterns.append(path("api/", include("bench.urls")))
