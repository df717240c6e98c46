"""Admin: tenants (super admin), the audit log and its verification, the event feed."""

import secrets

import pyotp
from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from ..accounts.models import Account, EngineKey
from ..core import catalogue, engine
from ..core.api import PAGE_PARAMS, STD, STD_ID, TENANT_HEADER, EngineView, errors
from ..core.security import ADMIN_ROLES
from .models import Tenant

TENANT_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "engine": catalogue.response("tenant.get", handle="admin"),
    },
}


def tenant_json(t: Tenant):
    return {"id": t.pk, "slug": t.slug, "engine": engine.admin().tenant.get(id=t.engine_id)}


def create_tenant(name, slug, timezone=None, settings=None):
    """Creates the engine tenant, its app key and the server's Tenant row."""
    inp = {"name": name, "slug": slug}
    if timezone:
        inp["timezone"] = timezone
    if settings:
        inp["settings"] = settings
    made = engine.admin().tenant.create(inp)
    admin_key = made["api_key"]["key"]
    app = engine.session(admin_key).apikey.create(name="customer app", scopes=["pos", "read"])
    return Tenant.objects.create(
        slug=made["tenant"]["slug"], engine_id=made["tenant"]["id"], name=name, admin_key=admin_key, app_key=app["key"]
    )


class TenantCreate(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=64)
    timezone = serializers.CharField(max_length=64, required=False)
    settings = serializers.DictField(required=False)


class TenantListView(EngineView):
    roles = ("super_admin",)
    needs_tenant = False

    @extend_schema(parameters=PAGE_PARAMS, responses={200: catalogue.page_of(TENANT_OUT), **errors(401, 403)}, operation_id="tenants_list")
    def get(self, request):
        return self.page([tenant_json(t) for t in Tenant.objects.order_by("pk")])

    @extend_schema(request=TenantCreate, responses={201: TENANT_OUT, **errors(*STD, 409)},
                   description="Creates a tenant (engine operation `tenant.create`) with its keys.")
    def post(self, request):
        s = TenantCreate(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        if Tenant.objects.filter(slug=d["slug"]).exists():
            raise exceptions.ValidationError({"slug": ["already taken"]})
        t = create_tenant(d["name"], d["slug"], d.get("timezone"), d.get("settings"))
        return Response(tenant_json(t), status=status.HTTP_201_CREATED)


class TenantUpdate(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    settings = serializers.DictField(required=False)


class TenantDetailView(EngineView):
    roles = ADMIN_ROLES
    needs_tenant = False

    def tenant(self, request, pk):
        t = Tenant.objects.filter(pk=pk).first()
        account = request.user.account
        if t is None or (account.role != "super_admin" and account.tenant_id != t.pk):
            raise exceptions.NotFound("no such tenant")
        return t

    @extend_schema(responses={200: TENANT_OUT, **errors(401, 403, 404)})
    def get(self, request, pk):
        return Response(tenant_json(self.tenant(request, pk)))

    @extend_schema(request=TenantUpdate, responses={200: TENANT_OUT, **errors(*STD_ID)},
                   description="Engine operation `tenant.update`.")
    def patch(self, request, pk):
        t = self.tenant(request, pk)
        s = TenantUpdate(data=request.data)
        s.is_valid(raise_exception=True)
        if s.validated_data:
            engine.admin().tenant.update(id=t.engine_id, **s.validated_data)
            if "name" in s.validated_data:
                Tenant.objects.filter(pk=t.pk).update(name=s.validated_data["name"])
        return Response(tenant_json(t))


AUDIT_ROW_WITH_USER = catalogue.list_of("audit.list")
AUDIT_ROW_WITH_USER.setdefault("properties", {})["user"] = {
    "type": ["string", "null"], "description": "the server user whose engine key acted"}


class AuditView(EngineView):
    roles = ADMIN_ROLES

    @extend_schema(
        parameters=[TENANT_HEADER, *PAGE_PARAMS,
                    OpenApiParameter("action", str, required=False), OpenApiParameter("target", str, required=False)],
        responses={200: catalogue.page_of(AUDIT_ROW_WITH_USER), **errors(*STD)},
        description="The tenant's hash-chained audit log (engine `audit.list`), newest first; `user` names the "
        "server user whose engine key acted.",
    )
    def get(self, request):
        inp = {k: request.query_params[k] for k in ("action", "target") if request.query_params.get(k)}
        rows = engine.all_items(self.session().call, "audit.list", inp, limit=1000)
        users = {
            f"key:{k.prefix}": k.account.user.get_username()
            for k in EngineKey.objects.filter(tenant=request.tenant).select_related("account__user")
        }
        for r in rows:
            r["user"] = users.get(r.get("actor"))
        return self.page(rows)


class AuditVerifyView(EngineView):
    roles = ADMIN_ROLES

    @extend_schema(parameters=[TENANT_HEADER], responses={200: catalogue.response("audit.verify"), **errors(*STD)},
                   description="Verifies the tenant's audit hash chain (engine `audit.verify`).")
    def get(self, request):
        return Response(self.call("audit.verify"))


EVENT = catalogue.list_of("events.poll", key="events")


class EventsView(EngineView):
    roles = ADMIN_ROLES

    @extend_schema(
        parameters=[TENANT_HEADER, OpenApiParameter("after", str, required=False, description="cursor of the last event seen"),
                    OpenApiParameter("limit", int, required=False), OpenApiParameter("types", str, required=False, description="comma-separated")],
        responses={200: catalogue.response("events.poll"), **errors(*STD)},
        description="The event outbox as a cursor feed (engine `events.poll`): pass the returned cursor as `after`.",
    )
    def get(self, request):
        q = request.query_params
        inp = {}
        if q.get("after"):
            inp["after"] = q["after"]
        if q.get("limit"):
            try:
                inp["limit"] = int(q["limit"])
            except ValueError:
                raise exceptions.ValidationError({"limit": ["an integer"]})
        if q.get("types"):
            inp["types"] = [t for t in q["types"].split(",") if t]
        return Response(self.call("events.poll", inp))


class StaffCreate(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256)
    role = serializers.ChoiceField(choices=["tenant_admin", "staff"])


class StaffView(EngineView):
    roles = ADMIN_ROLES

    @extend_schema(request=StaffCreate, parameters=[TENANT_HEADER],
                   responses={201: inline_serializer("StaffCreated", {"username": serializers.CharField(), "role": serializers.CharField(),
                                                                      "totp_secret": serializers.CharField(allow_null=True)}), **errors(*STD)},
                   description="Creates a tenant admin or staff user of the tenant; an admin's TOTP secret is returned once.")
    def post(self, request):
        s = StaffCreate(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user, secret = make_user(d["username"], d["email"], d["password"], d["role"], request.tenant)
        return Response({"username": user.username, "role": d["role"], "totp_secret": secret}, status=status.HTTP_201_CREATED)


def make_user(username, email, password, role, tenant, customer_id="", totp_secret=None):
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise exceptions.ValidationError({"username": ["already taken"]})
    secret = totp_secret or (pyotp.random_base32() if role in ("super_admin", "tenant_admin") else "")
    with transaction.atomic():
        user = User.objects.create_user(username, email, password)
        Account.objects.create(user=user, role=role, tenant=tenant, customer_id=customer_id, totp_secret=secret)
    return user, secret or None


def random_password():
    return secrets.token_urlsafe(12)
