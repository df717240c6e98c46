"""AI insights (admin): segments, churn, locations, feedback; recommendations and feedback for
customers. Results come from the tenant's AI provider (offline by default)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ..core import catalogue, engine
from ..core.api import PAGE_PARAMS, STD, TENANT_HEADER, EngineView, errors, op_schema
from ..core.security import ADMIN_ROLES
from .models import Feedback


class SegmentsView(EngineView):
    roles = ADMIN_ROLES

    @op_schema("ai.segments", request=False, tags=["insights"])
    def get(self, request):
        return Response(self.call("ai.segments", {}))


CHURN_ROW = {"type": "object", "properties": {"customer_id": {"type": "string"}, "external_id": {"type": "string"},
                                              "risk": {"type": "number"}, "band": {"type": "string"},
                                              "factors": {}, "actions": {}}}


class ChurnView(EngineView):
    roles = ADMIN_ROLES

    @extend_schema(parameters=[TENANT_HEADER, *PAGE_PARAMS, OpenApiParameter("band", str, required=False)],
                   responses={200: catalogue.page_of(CHURN_ROW), **errors(*STD)}, tags=["insights"],
                   description="Churn risk of every customer, highest first (engine `ai.churn`, stored results reused).")
    def get(self, request):
        call = self.session().call
        rows = []
        for c in engine.all_items(call, "customer.list", {}):
            out = call("ai.churn", {"customer_id": c["id"]})["output"]
            for r in out.get("customers", []):
                rows.append({"customer_id": c["id"], "external_id": c["external_id"], "risk": r.get("risk"),
                             "band": r.get("band"), "factors": r.get("factors"), "actions": r.get("actions")})
        band = request.query_params.get("band")
        if band:
            rows = [r for r in rows if r["band"] == band]
        rows.sort(key=lambda r: -(r["risk"] or 0))
        return self.page(rows)


class LocationInsightsView(EngineView):
    roles = ADMIN_ROLES

    @op_schema("ai.location_insights", request=False, tags=["insights"],
               parameters=[OpenApiParameter("location_id", str, required=False), OpenApiParameter("window_days", int, required=False)])
    def get(self, request):
        from ..core.crud import query_input

        return Response(self.call("ai.location_insights", query_input(request, {"location_id": str, "window_days": int})))


class FeedbackAdminView(EngineView):
    roles = ADMIN_ROLES

    @op_schema("ai.feedback", request=False, tags=["insights"],
               summary="Sentiment and themes of the latest 1000 feedback texts customers sent.")
    def get(self, request):
        texts = [{"id": str(f.pk), "text": f.text}
                 for f in Feedback.objects.filter(tenant=request.tenant).order_by("-created_at")[:1000]]
        if not texts:
            return Response({"output": {"items": [], "summary": None}, "cached": False})
        return Response(self.call("ai.feedback", {"texts": texts}))


class FeedbackIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class FeedbackView(EngineView):
    roles = ("customer",)

    @extend_schema(parameters=[TENANT_HEADER], request=FeedbackIn,
                   responses={201: inline_serializer("FeedbackOut", {"id": serializers.IntegerField(), "text": serializers.CharField()}),
                              **errors(*STD)}, tags=["me"], description="Sends feedback (analysed in the admin's insights).")
    def post(self, request):
        s = FeedbackIn(data=request.data)
        s.is_valid(raise_exception=True)
        f = Feedback.objects.create(tenant=request.tenant, customer_id=request.user.account.customer_id, text=s.validated_data["text"])
        return Response({"id": f.pk, "text": f.text}, status=status.HTTP_201_CREATED)


class RecommendationsView(EngineView):
    roles = ("customer",)

    @op_schema("ai.recommendations", request=False, tags=["me"])
    def get(self, request):
        return Response(self.call("ai.recommendations", {"customer_id": request.user.account.customer_id}))
