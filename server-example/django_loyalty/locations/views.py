"""Locations (admin CRUD with radius and polygon geofences), the customer's map and check-ins."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ..core import catalogue, engine
from ..core.api import PAGE_PARAMS, STD, STD_ID, TENANT_HEADER, EngineView, errors, idempotent, op_schema
from ..core.crud import query_input, resource
from ..core.security import ADMIN_ROLES, ALL_ROLES, STAFF_ROLES

LocationList, LocationDetail = resource(
    "locations", list_op="location.list", get_op="location.get", create_op="location.create",
    update_op="location.update", filters={"active": bool}, read_roles=STAFF_ROLES, tag="locations",
)


class LocationDeactivate(EngineView):
    roles = ADMIN_ROLES

    @op_schema("location.deactivate", request=False, tags=["locations"])
    def post(self, request, pk):
        return Response(self.call("location.deactivate", {"id": pk}))


class CustomerLocations(EngineView):
    roles = ALL_ROLES

    @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS], responses={200: catalogue.page_of(catalogue.list_of("location.list")), **errors(*STD)},
                   tags=["me"], description="The tenant's active locations (engine `location.list`), for the map.")
    def get(self, request):
        return self.page(engine.all_items(self.session().call, "location.list", {"active": True}))


class CheckinView(EngineView):
    roles = ("customer",)

    @op_schema("checkin.submit", drop=("customer_id", "idempotency_key", "mock"), ok=201, codes=(*STD_ID, 409),
               idempotent=True, tags=["me"], summary="Checks the signed-in customer in; the engine verifies the geofence.")
    @idempotent
    def post(self, request):
        body = self.body(drop=("customer_id", "idempotency_key", "mock"), set={"customer_id": request.user.account.customer_id})
        if self.idempotency_key:
            body["idempotency_key"] = self.idempotency_key
        return Response(self.call("checkin.submit", body), status=status.HTTP_201_CREATED)


class CheckinListAdmin(EngineView):
    roles = STAFF_ROLES
    FILTERS = {"customer_id": str, "location_id": str, "status": str}

    @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS, *[OpenApiParameter(n, str, required=False) for n in FILTERS]],
                   responses={200: catalogue.page_of(catalogue.list_of("checkin.list")), **errors(*STD)}, tags=["locations"],
                   description="Check-ins (engine `checkin.list`), for fraud review.")
    def get(self, request):
        return self.page(engine.all_items(self.session().call, "checkin.list", query_input(request, self.FILTERS)))
