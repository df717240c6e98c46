"""Customers: the admin's list, details, adjust-points and tier assignment; the customer's own
profile, balance and history; POS purchase submission and returns (API-key authentication)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ..core import catalogue, engine
from ..core.api import PAGE_PARAMS, STD_ID, TENANT_HEADER, EngineView, errors, idempotent, op_schema
from ..core.crud import query_input, resource
from ..core.security import ADMIN_ROLES, STAFF_ROLES

CustomerList, CustomerDetail = resource(
    "customers", list_op="customer.list", get_op="customer.get", create_op="customer.enroll",
    update_op="customer.update", filters={"segment": str}, read_roles=STAFF_ROLES, write_roles=STAFF_ROLES,
    tag="customers",
)


class AdjustPointsView(EngineView):
    roles = ADMIN_ROLES

    @op_schema("ledger.adjust", drop=("customer_id", "idempotency_key"), codes=(*STD_ID, 409), idempotent=True,
               tags=["customers"], summary="Adds (positive) or removes (negative) points; written to the audit log.")
    @idempotent
    def post(self, request, pk):
        body = self.body(drop=("customer_id", "idempotency_key"), set={"customer_id": pk})
        if self.idempotency_key:
            body["idempotency_key"] = self.idempotency_key
        return Response(self.call("ledger.adjust", body))


class AssignTierView(EngineView):
    roles = ADMIN_ROLES

    @op_schema("tier.assign", drop=("customer_id",), codes=(*STD_ID, 409), tags=["customers"])
    def post(self, request, pk):
        return Response(self.call("tier.assign", self.body(drop=("customer_id",), set={"customer_id": pk})))


class CustomerBalanceAdminView(EngineView):
    roles = STAFF_ROLES

    @op_schema("ledger.balance", request=False, tags=["customers"])
    def get(self, request, pk):
        return Response(self.call("ledger.balance", {"customer_id": pk}))


HISTORY_FILTERS = {"program_id": str, "from": str, "to": str}


def history_page(view, customer_id):
    inp = query_input(view.request, HISTORY_FILTERS)
    types = view.request.query_params.get("types")
    if types:
        inp["types"] = [t for t in types.split(",") if t]
    inp["customer_id"] = customer_id
    return view.page(engine.all_items(view.session().call, "ledger.history", inp))


HISTORY_PARAMS = [TENANT_HEADER, *PAGE_PARAMS, *[OpenApiParameter(n, str, required=False) for n in (*HISTORY_FILTERS, "types")]]
HISTORY_RESPONSES = {200: catalogue.page_of(catalogue.list_of("ledger.history")), **errors(*STD_ID)}


class CustomerHistoryAdminView(EngineView):
    roles = STAFF_ROLES

    @extend_schema(parameters=HISTORY_PARAMS, responses=HISTORY_RESPONSES, tags=["customers"],
                   description="A customer's ledger entries (engine `ledger.history`), newest first.")
    def get(self, request, pk):
        return history_page(self, pk)


# ---- the signed-in customer


class ProfileView(EngineView):
    roles = ("customer",)

    @op_schema("customer.get", request=False, tags=["me"])
    def get(self, request):
        return Response(self.call("customer.get", {"id": request.user.account.customer_id}))

    @op_schema("customer.update", drop=("id", "segments"), response=catalogue.response("customer.get"), tags=["me"])
    def patch(self, request):
        body = self.body(drop=("id", "segments"), set={"id": request.user.account.customer_id})
        return Response(self.call("customer.update", body))


class BalanceView(EngineView):
    roles = ("customer",)

    @op_schema("ledger.balance", request=False, tags=["me"])
    def get(self, request):
        return Response(self.call("ledger.balance", {"customer_id": request.user.account.customer_id}))


class HistoryView(EngineView):
    roles = ("customer",)

    @extend_schema(parameters=HISTORY_PARAMS, responses=HISTORY_RESPONSES, tags=["me"],
                   description="The signed-in customer's ledger entries, newest first (engine `ledger.history`).")
    def get(self, request):
        return history_page(self, request.user.account.customer_id)


# ---- POS


class PurchaseView(EngineView):
    roles = ("pos", *STAFF_ROLES)

    @op_schema("purchase.submit", ok=201, codes=(*STD_ID, 409), idempotent=True, tags=["pos"],
               summary="Submits a purchase: the program's rules decide the points (POS: `Authorization: Api-Key <key>`). "
               "A repeated order_id returns the first result.")
    @idempotent
    def post(self, request):
        return Response(self.call("purchase.submit", self.body()), status=status.HTTP_201_CREATED)


class ReturnView(EngineView):
    roles = ("pos", *STAFF_ROLES)

    @op_schema("purchase.return", ok=201, codes=(*STD_ID, 409), idempotent=True, tags=["pos"],
               summary="Returns items of a purchase; the points they earned are reversed under the return policy.")
    @idempotent
    def post(self, request):
        return Response(self.call("purchase.return", self.body()), status=status.HTTP_201_CREATED)
