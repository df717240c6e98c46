"""Auth endpoints: register, login (+TOTP), refresh, logout, password change / reset, user."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import conf
from ..core import engine
from ..core.api import TENANT_HEADER, errors
from ..core.security import ALL_ROLES, requested_tenant_slug
from ..tenants.models import Tenant
from . import tokens
from .models import Account

User = get_user_model()

TOKENS = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField(source="loyalty.role")
    tenant = serializers.SerializerMethodField()
    customer_id = serializers.CharField(source="loyalty.customer_id")
    mfa = serializers.SerializerMethodField()

    def get_tenant(self, user) -> str | None:
        t = user.loyalty.tenant
        return t.slug if t else None

    def get_mfa(self, user) -> bool:
        return bool(user.loyalty.totp_secret)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=6, required=False, allow_blank=True, help_text="TOTP code (admin roles)")


class LoginResponse(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class AuthView(APIView):
    authentication_classes = []
    roles = "public"
    throttle_scope = "auth"

    def get_authenticate_header(self, request):
        # Failed credentials are 401 (with a challenge), not DRF's 403 for views without auth.
        return 'Bearer realm="api"'


class LoginView(AuthView):
    @extend_schema(request=LoginSerializer, responses={200: LoginResponse, **errors(400, 401, 403, 429)},
                   description="Password login; admin roles also give `otp`, a TOTP code (RFC 6238) not used before. "
                   "Repeated failures lock the account for a while (403).")
    def post(self, request):
        s = LoginSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = User.objects.filter(username=d["username"]).first()
        account = Account.objects.select_related("tenant").filter(user=user).first() if user else None
        if account is None:
            raise exceptions.AuthenticationFailed("invalid credentials")
        tokens.check_locked(account)
        if not user.check_password(d["password"]) or not user.is_active:
            tokens.record_failure(account)
            raise exceptions.AuthenticationFailed("invalid credentials")
        if account.role in conf.get("MFA_ROLES"):
            if not account.totp_secret:
                raise exceptions.PermissionDenied("this role needs multi-factor authentication: no TOTP device set up")
            if not d.get("otp"):
                raise exceptions.ValidationError({"otp": ["a TOTP code is required for this role"]})
            if not tokens.consume_totp(account, d["otp"]):
                tokens.record_failure(account)
                raise exceptions.AuthenticationFailed("invalid or already used TOTP code")
        tokens.record_success(account)
        pair = tokens.issue(user, account)
        return Response({**pair, "user": UserSerializer(user).data})


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class RefreshView(AuthView):
    @extend_schema(request=RefreshSerializer, responses={200: TOKENS, **errors(400, 401, 429)},
                   description="Exchanges a refresh token for a new pair, once; presenting it again revokes the login.")
    def post(self, request):
        s = RefreshSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(tokens.rotate(s.validated_data["refresh"]))


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    profile = serializers.DictField(required=False)


class RegisterView(AuthView):
    @extend_schema(request=RegisterSerializer, responses={201: LoginResponse, **errors(400, 404, 409, 429)},
                   parameters=[TENANT_HEADER],
                   description="Registers a customer of the tenant (X-Tenant or subdomain) and enrols them in the engine.")
    def post(self, request):
        s = RegisterSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        slug = requested_tenant_slug(request)
        if not slug:
            raise exceptions.ValidationError({"tenant": ["name the tenant (X-Tenant header or subdomain)"]})
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise exceptions.NotFound("no such tenant")
        if User.objects.filter(username=d["username"]).exists():
            raise exceptions.ValidationError({"username": ["already taken"]})
        try:
            password_validation.validate_password(d["password"])
        except DjangoValidationError as e:
            raise exceptions.ValidationError({"password": list(e.messages)})
        enrol = {"external_id": f"user:{d['username']}", "profile": {"email": d["email"], **d.get("profile", {})}}
        if tenant.program_id:
            enrol["program_ids"] = [tenant.program_id]
        customer = engine.session(tenant.app_key).customer.enroll(enrol)
        with transaction.atomic():
            user = User.objects.create_user(d["username"], d["email"], d["password"])
            account = Account.objects.create(user=user, role="customer", tenant=tenant, customer_id=customer["id"])
        pair = tokens.issue(user, account)
        return Response({**pair, "user": UserSerializer(user).data}, status=status.HTTP_201_CREATED)


class LogoutView(APIView):
    roles = ALL_ROLES
    needs_tenant = False

    @extend_schema(request=RefreshSerializer, responses={204: None, **errors(400, 401)},
                   description="Revokes this login: its refresh token and every access token of it.")
    def post(self, request):
        s = RefreshSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        tokens.revoke_family(s.validated_data["refresh"], request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordChangeView(APIView):
    roles = ALL_ROLES
    needs_tenant = False
    throttle_scope = "auth"

    @extend_schema(request=PasswordChangeSerializer, responses={200: TOKENS, **errors(400, 401, 429)},
                   description="Changes the password; every token issued before stops working, a new pair is returned.")
    def post(self, request):
        s = PasswordChangeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        user = request.user
        if not user.check_password(s.validated_data["old_password"]):
            raise exceptions.ValidationError({"old_password": ["wrong password"]})
        try:
            password_validation.validate_password(s.validated_data["new_password"], user)
        except DjangoValidationError as e:
            raise exceptions.ValidationError({"new_password": list(e.messages)})
        user.set_password(s.validated_data["new_password"])
        user.save(update_fields=["password"])
        tokens.revoke_all(user.account)
        return Response(tokens.issue(user, user.account))


class ResetSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetView(AuthView):
    @extend_schema(request=ResetSerializer, responses={200: inline_serializer("Detail", {"detail": serializers.CharField()}), **errors(400, 429)},
                   description="Mails a reset link (uid and token) when the address is known; the answer is the same either way.")
    def post(self, request):
        s = ResetSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        for user in User.objects.filter(email__iexact=s.validated_data["email"], is_active=True):
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            token = default_token_generator.make_token(user)
            send_mail("Password reset", f"uid={uid}\ntoken={token}\n", None, [user.email])
        return Response({"detail": "if the address is known, a reset message was sent"})


class ResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField()
    token = serializers.CharField()
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordResetConfirmView(AuthView):
    @extend_schema(request=ResetConfirmSerializer, responses={200: inline_serializer("Detail2", {"detail": serializers.CharField()}), **errors(400, 429)},
                   description="Sets a new password with the mailed uid and token; every earlier token stops working.")
    def post(self, request):
        s = ResetConfirmSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        try:
            user = User.objects.get(pk=force_str(urlsafe_base64_decode(d["uid"])))
        except (User.DoesNotExist, ValueError, TypeError, OverflowError):
            raise exceptions.ValidationError({"uid": ["invalid link"]})
        if not default_token_generator.check_token(user, d["token"]):
            raise exceptions.ValidationError({"token": ["invalid or expired token"]})
        try:
            password_validation.validate_password(d["new_password"], user)
        except DjangoValidationError as e:
            raise exceptions.ValidationError({"new_password": list(e.messages)})
        user.set_password(d["new_password"])
        user.save(update_fields=["password"])
        account = Account.objects.filter(user=user).first()
        if account:
            tokens.revoke_all(account)
            tokens.record_success(account)
        return Response({"detail": "password changed"})


class CurrentUserView(APIView):
    roles = ALL_ROLES
    needs_tenant = False

    @extend_schema(responses={200: UserSerializer, **errors(401, 403)})
    def get(self, request):
        return Response(UserSerializer(request.user).data)
