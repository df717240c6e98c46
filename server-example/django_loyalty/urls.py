"""The API's URLs: ``path("api/", include("django_loyalty.urls"))``; schema and docs included."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

OPEN = {"authentication_classes": [], "permission_classes": [AllowAny]}


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated once per process (it does not depend on the caller, and
    generating it, with the catalogue's schemas inlined, takes about a second)."""

    _cache: dict = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        data = self._cache.get(version)
        if data is None:
            data = self._cache[version] = super()._get_schema_response(request).data
        return Response(data=data, headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'})


urlpatterns = [
    path("", include("django_loyalty.accounts.urls")),
    path("", include("django_loyalty.tenants.urls")),
    path("", include("django_loyalty.programs.urls")),
    path("", include("django_loyalty.customers.urls")),
    path("", include("django_loyalty.locations.urls")),
    path("", include("django_loyalty.rewards.urls")),
    path("", include("django_loyalty.analytics.urls")),
    path("", include("django_loyalty.insights.urls")),
    path("schema/", SchemaView.as_view(**OPEN), name="loyalty-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="loyalty-schema", **OPEN), name="loyalty-docs"),
]
