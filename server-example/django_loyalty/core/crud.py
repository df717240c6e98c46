"""List/create and get/update endpoints over an engine resource, schemas from the catalogue."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from . import catalogue, engine
from .api import PAGE_PARAMS, STD, STD_ID, TENANT_HEADER, EngineView, errors, op_schema
from .security import ADMIN_ROLES


def query_input(request, filters):
    """Engine filters from query parameters: {name: type}; bad values are 400 naming them."""
    out = {}
    for name, typ in filters.items():
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        if typ is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise exceptions.ValidationError({name: ["true or false"]})
            out[name] = raw.lower() in ("true", "1")
        elif typ is int:
            try:
                out[name] = int(raw)
            except ValueError:
                raise exceptions.ValidationError({name: ["an integer"]})
        else:
            out[name] = raw
    return out


def resource(prefix, *, list_op, get_op, create_op=None, update_op=None, paged=True, filters=None,
             read_roles=ADMIN_ROLES, write_roles=ADMIN_ROLES, create_defaults=None, tag=None):
    """Two views: ``/<prefix>/`` (GET page, POST create) and ``/<prefix>/<id>/`` (GET, PATCH)."""
    filters = filters or {}
    item = catalogue.list_of(list_op)
    single = catalogue.response(get_op)
    filter_params = [OpenApiParameter(n, t, required=False) for n, t in filters.items()]
    tags = [tag] if tag else None

    class ListView(EngineView):
        roles = {"GET": read_roles, "POST": write_roles}

        @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS, *filter_params],
                       responses={200: catalogue.page_of(item), **errors(*STD)}, tags=tags, operation_id=f"{prefix}_list",
                       description=f"Engine operation `{list_op}`, page by page: " + catalogue.doc(list_op))
        def get(self, request):
            inp = query_input(request, filters)
            if paged:
                items = engine.all_items(self.session().call, list_op, inp)
            else:
                items = self.call(list_op, inp)["items"]
            return self.page(items)

        if create_op:

            @op_schema(create_op, ok=201, response=single, codes=(*STD, 409), tags=tags)
            def post(self, request):
                body = self.body()
                if create_defaults:
                    for k, v in create_defaults(request).items():
                        body.setdefault(k, v)
                return Response(self.call(create_op, body), status=status.HTTP_201_CREATED)

    class DetailView(EngineView):
        roles = {"GET": read_roles, "PATCH": write_roles}

        @extend_schema(parameters=[TENANT_HEADER], responses={200: single, **errors(*STD_ID)}, tags=tags, operation_id=f"{prefix}_get",
                       description=f"Engine operation `{get_op}`.")
        def get(self, request, pk):
            return Response(self.call(get_op, {"id": pk}))

        if update_op:

            @op_schema(update_op, drop=("id",), response=single, codes=(*STD_ID, 409), tags=tags)
            def patch(self, request, pk):
                return Response(self.call(update_op, self.body(drop=("id",), set={"id": pk})))

    ListView.__name__ = f"{prefix.title()}ListView"
    DetailView.__name__ = f"{prefix.title()}DetailView"
    return ListView, DetailView

