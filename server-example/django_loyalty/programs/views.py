"""Programs, rules (with dry-run), tiers and the tier policy; the customer's tiers."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ..core import catalogue
from ..core.api import STD, STD_ID, TENANT_HEADER, EngineView, errors, op_schema
from ..core.crud import resource
from ..core.security import ADMIN_ROLES, ALL_ROLES, STAFF_ROLES

ProgramList, ProgramDetail = resource(
    "programs", list_op="program.list", get_op="program.get", create_op="program.create",
    update_op="program.update", paged=False, filters={"active": bool}, read_roles=STAFF_ROLES, tag="programs",
)
RuleList, RuleDetail = resource(
    "rules", list_op="rule.list", get_op="rule.get", create_op="rule.create", update_op="rule.update",
    filters={"program_id": str, "active": bool}, read_roles=STAFF_ROLES, tag="rules",
)
TierList, TierDetail = resource(
    "tiers", list_op="tier.list", get_op="tier.get", create_op="tier.create", update_op="tier.update",
    paged=False, filters={"program_id": str}, read_roles=STAFF_ROLES, tag="tiers",
)


class RuleStateView(EngineView):
    roles = ADMIN_ROLES
    op = None

    def post(self, request, pk):
        return Response(self.call(self.op, {"id": pk}))


class RuleActivate(RuleStateView):
    op = "rule.activate"
    post = op_schema("rule.activate", request=False, response=catalogue.response("rule.activate"), tags=["rules"])(RuleStateView.post)


class RuleDeactivate(RuleStateView):
    op = "rule.deactivate"
    post = op_schema("rule.deactivate", request=False, response=catalogue.response("rule.deactivate"), tags=["rules"])(RuleStateView.post)


class DryRunView(EngineView):
    roles = STAFF_ROLES

    @op_schema("purchase.dry_run", summary="What a purchase would earn, with the rules' explanation; nothing is written.",
               tags=["rules"])
    def post(self, request):
        return Response(self.call("purchase.dry_run", self.body()))


class TierPolicyView(EngineView):
    roles = {"GET": STAFF_ROLES, "PUT": ADMIN_ROLES}

    @op_schema("tier.policy.get", request=False, tags=["tiers"])
    def get(self, request):
        inp = {"program_id": request.query_params["program_id"]} if request.query_params.get("program_id") else {}
        return Response(self.call("tier.policy.get", inp))

    @op_schema("tier.policy.set", tags=["tiers"])
    def put(self, request):
        return Response(self.call("tier.policy.set", self.body()))


class CustomerTiersView(EngineView):
    roles = ALL_ROLES

    @extend_schema(parameters=[TENANT_HEADER], responses={200: catalogue.response("tier.list"), **errors(*STD)},
                   description="The tenant's tiers (engine `tier.list`).")
    def get(self, request):
        return Response(self.call("tier.list", {}))


class CurrentTierView(EngineView):
    roles = ("customer",)

    @op_schema("tier.status", request=False, codes=STD_ID, summary="The signed-in customer's tier and progress.")
    def get(self, request):
        return Response(self.call("tier.status", {"customer_id": request.user.account.customer_id}))
