"""The API's URLs: ``path("api/", include("django_loyalty.urls"))``; schema and docs included."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

OPEN = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", include("django_loyalty.accounts.urls")),
    path("", include("django_loyalty.tenants.urls")),
    path("", include("django_loyalty.programs.urls")),
    path("", include("django_loyalty.customers.urls")),
    path("", include("django_loyalty.locations.urls")),
    path("", include("django_loyalty.rewards.urls")),
    path("", include("django_loyalty.analytics.urls")),
    path("", include("django_loyalty.insights.urls")),
    path("schema/", SpectacularAPIView.as_view(**OPEN), name="loyalty-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="loyalty-schema", **OPEN), name="loyalty-docs"),
]
