"""Rewards: the catalogue and redemption for customers; admin CRUD and stock; coupon lookup and
fulfilment for cashiers."""

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..core import catalogue, engine
from ..core.api import PAGE_PARAMS, STD, STD_ID, TENANT_HEADER, EngineView, errors, idempotent, op_schema
from ..core.crud import query_input, resource
from ..core.security import ADMIN_ROLES, ALL_ROLES, STAFF_ROLES

RewardList, RewardDetail = resource(
    "rewards", list_op="reward.list", get_op="reward.get", create_op="reward.create", update_op="reward.update",
    filters={"program_id": str, "category": str, "active": bool}, read_roles=STAFF_ROLES, tag="rewards",
)

REWARD_PAGE = catalogue.page_of(catalogue.list_of("reward.list"))


class StockView(EngineView):
    roles = ADMIN_ROLES

    @op_schema("reward.stock", drop=("id",), codes=(*STD_ID, 409), idempotent=True, tags=["rewards"],
               summary="Changes a reward's stock by `delta` or sets it to `stock`.")
    @idempotent
    def post(self, request, pk):
        return Response(self.call("reward.stock", self.body(drop=("id",), set={"id": pk})))


class CustomerRewards(EngineView):
    roles = ALL_ROLES

    @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS, OpenApiParameter("category", str, required=False)],
                   responses={200: REWARD_PAGE, **errors(*STD)}, tags=["me"], operation_id="my_rewards_list",
                   description="Rewards available now (engine `reward.list` with `available_now`).")
    def get(self, request):
        inp = dict(query_input(request, {"category": str}), active=True, available_now=True)
        return self.page(engine.all_items(self.session().call, "reward.list", inp))


class CustomerRewardDetail(EngineView):
    roles = ALL_ROLES

    @op_schema("reward.get", request=False, tags=["me"])
    def get(self, request, pk):
        reward = self.call("reward.get", {"id": pk})
        if not reward.get("active", True) and request.user.account.role == "customer":
            raise exceptions.NotFound("no such reward")
        return Response(reward)


def _redeem_request():
    s = catalogue.request("reward.redeem", drop=("reward_id", "customer_id", "idempotency_key", "occurred_at"))
    s.setdefault("properties", {})["reserve"] = {"type": "boolean", "description": "reserve instead of redeeming at once"}
    s["properties"]["ttl_seconds"] = catalogue.request("reward.reserve").get("properties", {}).get("ttl_seconds", {})
    return s


class RedeemView(EngineView):
    roles = ("customer",)

    @op_schema("reward.redeem", drop=("reward_id", "customer_id", "idempotency_key", "occurred_at"), ok=201,
               codes=(*STD_ID, 409), idempotent=True, tags=["me"], request=False,
               summary="Redeems a reward for the signed-in customer; the answer carries the coupon code. With "
               "`reserve: true` the points are held and the coupon is fulfilled by a cashier (engine `reward.reserve`).")
    @extend_schema(request={"application/json": _redeem_request()})
    @idempotent
    def post(self, request, pk):
        body = self.body(drop=("reward_id", "customer_id", "idempotency_key", "occurred_at"),
                         set={"reward_id": pk, "customer_id": request.user.account.customer_id})
        # Without an Idempotency-Key header the request is a new redemption each time.
        body["idempotency_key"] = self.idempotency_key or f"http-{uuid.uuid4().hex}"
        if body.pop("reserve", False) is True:
            # A reservation: points held, a coupon the cashier fulfils (POST /api/coupons/{code}/fulfil/).
            body.pop("metadata", None)
            return Response(self.call("reward.reserve", body), status=status.HTTP_201_CREATED)
        body.pop("ttl_seconds", None)
        return Response(self.call("reward.redeem", body), status=status.HTTP_201_CREATED)


class RedemptionsView(EngineView):
    roles = ("customer",)

    @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS, OpenApiParameter("status", str, required=False)],
                   responses={200: catalogue.page_of(catalogue.list_of("redemption.list")), **errors(*STD)}, tags=["me"],
                   description="The signed-in customer's redemptions (engine `redemption.list`).")
    def get(self, request):
        inp = dict(query_input(request, {"status": str}), customer_id=request.user.account.customer_id)
        return self.page(engine.all_items(self.session().call, "redemption.list", inp))


class RedemptionsAdmin(EngineView):
    roles = STAFF_ROLES
    FILTERS = {"customer_id": str, "reward_id": str, "status": str}

    @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS, *[OpenApiParameter(n, str, required=False) for n in FILTERS]],
                   responses={200: catalogue.page_of(catalogue.list_of("redemption.list")), **errors(*STD)}, tags=["rewards"],
                   description="Redemptions (engine `redemption.list`).")
    def get(self, request):
        return self.page(engine.all_items(self.session().call, "redemption.list", query_input(request, self.FILTERS)))


class CouponView(EngineView):
    roles = STAFF_ROLES

    @op_schema("redemption.by_code", request=False, tags=["cashier"], summary="Looks a coupon up by its code.")
    def get(self, request, code):
        return Response(self.call("redemption.by_code", {"code": code}))


class CouponFulfilView(EngineView):
    roles = STAFF_ROLES

    @op_schema("redemption.fulfil", request=False, codes=(*STD_ID, 409), idempotent=True, tags=["cashier"],
               summary="Hands the reward over: fulfils the redemption with this coupon code.")
    @idempotent
    def post(self, request, code):
        red = self.call("redemption.by_code", {"code": code})
        inp = {"id": red["id"]}
        if self.idempotency_key:
            inp["idempotency_key"] = self.idempotency_key
        return Response(self.call("redemption.fulfil", inp))
