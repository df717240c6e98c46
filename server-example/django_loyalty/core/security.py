"""Authentication, tenant resolution, roles and throttles: every endpoint goes through these.

- ``JWTAuthentication``: simplejwt's access token, also refused when the user's
  ``token_version`` moved on (password change or reset) or its token family was revoked
  (logout, refresh-token reuse).
- ``ApiKeyAuthentication``: ``Authorization: Api-Key <engine key>`` for POS integrations; the
  engine checks the key, its tenant becomes the request's tenant.
- ``RolePermission`` (the default permission): a view lists the roles it admits in ``roles``;
  a view without ``roles`` admits nobody. It also resolves ``request.tenant`` (subdomain or
  ``X-Tenant``) and checks it against the token.
"""

import loyalty
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework_simplejwt.authentication import JWTAuthentication as _SimpleJWT

from .. import conf
from . import engine

ADMIN_ROLES = ("super_admin", "tenant_admin")
STAFF_ROLES = ("super_admin", "tenant_admin", "staff")
ALL_ROLES = ("super_admin", "tenant_admin", "staff", "customer")


class JWTAuthentication(_SimpleJWT):
    def get_user(self, validated_token):
        from ..accounts.models import Account, TokenFamily

        user = super().get_user(validated_token)
        try:
            account = Account.objects.select_related("tenant").get(user=user)
        except Account.DoesNotExist:
            raise exceptions.AuthenticationFailed("user has no loyalty account", code="no_account")
        if validated_token.get("tv") != account.token_version:
            raise exceptions.AuthenticationFailed("token revoked", code="token_not_valid")
        fam = validated_token.get("fam")
        if fam and TokenFamily.objects.filter(pk=fam, revoked=True).exists():
            raise exceptions.AuthenticationFailed("token revoked", code="token_not_valid")
        user.account = account
        return user


class PosClient:
    """The principal of a request authenticated by an engine API key."""

    is_authenticated = True
    is_active = True
    pk = None
    id = None
    username = "pos"

    def __init__(self, tenant, key, info):
        self.tenant = tenant
        self.key = key
        self.info = info
        self.account = None

    def __str__(self):
        return f"pos:{self.info.get('key_id')}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        key = header[len(self.keyword) + 1 :].strip()
        from ..tenants.models import Tenant

        try:
            session = engine.session(key)
            info = session.session.info()
        except loyalty.Error:
            engine.forget(key)
            raise exceptions.AuthenticationFailed("invalid API key")
        tenant = Tenant.objects.filter(engine_id=session.tenant_id).first()
        if tenant is None:
            raise exceptions.AuthenticationFailed("invalid API key")
        return PosClient(tenant, key, info), key

    def authenticate_header(self, request):
        return self.keyword


def requested_tenant_slug(request):
    slug = request.META.get(conf.get("TENANT_HEADER"))
    if slug:
        return slug.strip().lower()
    domain = conf.get("TENANT_DOMAIN")
    if domain:
        host = request.get_host().split(":")[0].lower()
        if host.endswith("." + domain):
            sub = host[: -len(domain) - 1]
            if sub and "." not in sub:
                return sub
    return None


def role_of(request):
    user = request.user
    if isinstance(user, PosClient):
        return "pos"
    account = getattr(user, "account", None)
    return account.role if account else None


def resolve_tenant(request):
    """Sets ``request.tenant`` (or None) from the URL/header, checked against the principal."""
    from ..tenants.models import Tenant

    slug = requested_tenant_slug(request)
    user = request.user
    if isinstance(user, PosClient):
        if slug and slug != user.tenant.slug:
            raise exceptions.PermissionDenied("this API key is not valid for this tenant")
        return user.tenant
    account = getattr(user, "account", None)
    if account is None:
        return None
    if account.role == "super_admin":
        if not slug:
            return None
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise exceptions.NotFound("no such tenant")
        return tenant
    if slug and (account.tenant is None or slug != account.tenant.slug):
        raise exceptions.PermissionDenied("this token is not valid for this tenant")
    return account.tenant


class RolePermission(permissions.BasePermission):
    message = "your role may not do this"

    def has_permission(self, request, view):
        roles = getattr(view, "roles", None)
        if roles is None:
            return False
        if roles == "public":
            return True
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        role = role_of(request)
        if isinstance(roles, dict):
            roles = roles.get(request.method, roles.get("*", ()))
        if role not in roles:
            return False
        request.tenant = resolve_tenant(request)
        if getattr(view, "needs_tenant", True) and request.tenant is None:
            raise exceptions.ValidationError({"tenant": ["name the tenant (X-Tenant header or subdomain)"]})
        return True


def principal_key(request) -> str:
    """A stable id of the caller for idempotency and throttling scopes."""
    user = request.user
    if isinstance(user, PosClient):
        return f"pos:{user.info.get('key_id')}"
    return f"user:{user.pk}"


class WriteThrottle(throttling.UserRateThrottle):
    """Throttles writes (POST, PUT, PATCH, DELETE) per user or API key, rate ``write``."""

    scope = "write"

    def allow_request(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = principal_key(request)
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthThrottle(throttling.ScopedRateThrottle):
    """Throttles the auth endpoints (login, register, refresh, password reset) per client IP."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def engine_key_for(request):
    """The engine API key this request acts with in its tenant.

    Admins and staff act with their own key (made on first use: scope admin for admins, pos for
    staff), so the engine's audit log names them; customers act with the tenant's app key; POS
    clients with their own key.
    """
    from ..accounts.models import EngineKey

    user = request.user
    tenant = request.tenant
    if isinstance(user, PosClient):
        return user.key
    account = user.account
    if account.role == "customer":
        return tenant.app_key
    ek = EngineKey.objects.filter(account=account, tenant=tenant).first()
    if ek is None:
        scopes = ["admin"] if account.role in ADMIN_ROLES else ["pos", "read"]
        made = engine.session(tenant.admin_key).apikey.create(name=f"user:{user.get_username()}"[:64], scopes=scopes)
        ek, _ = EngineKey.objects.get_or_create(
            account=account,
            tenant=tenant,
            defaults={"key_id": made["id"], "prefix": made.get("prefix", ""), "secret": made["key"]},
        )
    return ek.secret


def session_for(request) -> loyalty.Session:
    return engine.session(engine_key_for(request))


User = get_user_model()
