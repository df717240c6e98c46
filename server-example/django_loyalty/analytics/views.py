"""Analytics (admin): overview, engagement and redemption figures computed from the engine's
data, cached per tenant for ``LOYALTY["ANALYTICS_TTL"]`` seconds (the cache is shared by the
workers when it is redis)."""

import collections

import loyalty

from django.core.cache import cache
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from .. import conf
from ..core import engine
from ..core.api import STD, TENANT_HEADER, EngineView, errors
from ..core.security import ADMIN_ROLES

OBJ = {"type": "object", "additionalProperties": True}


class AnalyticsView(EngineView):
    roles = ADMIN_ROLES
    kind = ""

    def get(self, request):
        key = f"loyalty:analytics:{request.tenant.slug}:{self.kind}"
        data = cache.get(key)
        if data is None:
            data = self.compute(self.session().call)
            cache.set(key, data, conf.get("ANALYTICS_TTL"))
        return Response(data)


def schema(desc):
    return extend_schema(parameters=[TENANT_HEADER], responses={200: OBJ, **errors(*STD)}, tags=["analytics"], description=desc)


class Overview(AnalyticsView):
    kind = "overview"

    @schema("Customers, points issued, redeemed and outstanding, rewards, rules and locations.")
    def get(self, request):
        return super().get(request)

    def compute(self, call):
        customers = engine.all_items(call, "customer.list", {})
        totals = collections.Counter()
        for c in customers:
            try:
                b = call("ledger.balance", {"customer_id": c["id"]})
            except loyalty.NotFoundError:  # enrolled in no program
                continue
            if b:
                totals["points_issued"] += b["lifetime_earned"]
                totals["points_redeemed"] += b["lifetime_redeemed"]
                totals["points_outstanding"] += b["balance"]
        return {
            "customers": len(customers),
            **{k: totals[k] for k in ("points_issued", "points_redeemed", "points_outstanding")},
            "rewards": len(engine.all_items(call, "reward.list", {"active": True})),
            "rules": len(engine.all_items(call, "rule.list", {"active": True})),
            "locations": len(engine.all_items(call, "location.list", {"active": True})),
        }


class Engagement(AnalyticsView):
    kind = "engagement"

    @schema("Check-ins by status and by location, and customers by number of check-ins.")
    def get(self, request):
        return super().get(request)

    def compute(self, call):
        checkins = engine.all_items(call, "checkin.list", {})
        by_status = collections.Counter(c.get("status") for c in checkins)
        by_location = collections.Counter(c.get("location_id") for c in checkins)
        per_customer = collections.Counter(c.get("customer_id") for c in checkins)
        return {
            "checkins": len(checkins),
            "by_status": dict(by_status),
            "by_location": dict(by_location),
            "customers_checked_in": len(per_customer),
        }


class Redemptions(AnalyticsView):
    kind = "redemptions"

    @schema("Redemptions by status and by reward, with the points spent.")
    def get(self, request):
        return super().get(request)

    def compute(self, call):
        reds = []
        for c in engine.all_items(call, "customer.list", {}):
            reds.extend(engine.all_items(call, "redemption.list", {"customer_id": c["id"]}))
        by_reward = collections.defaultdict(lambda: {"count": 0, "points": 0, "name": ""})
        for r in reds:
            row = by_reward[r["reward_id"]]
            row["count"] += 1
            row["points"] += r.get("points", 0)
            row["name"] = r.get("reward_name", "")
        return {
            "redemptions": len(reds),
            "by_status": dict(collections.Counter(r.get("status") for r in reds)),
            "by_reward": dict(by_reward),
        }
