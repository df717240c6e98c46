"""Token issuance, rotation with reuse detection, TOTP and lockout."""

import datetime as dt
import time

import pyotp
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from .. import conf
from .models import Account, TokenFamily


def issue(user, account, family=None):
    """A new refresh/access pair for ``user`` in ``family`` (a new family for a login)."""
    if family is None:
        family = TokenFamily.objects.create(user=user)
    refresh = RefreshToken.for_user(user)
    refresh["fam"] = str(family.pk)
    refresh["tv"] = account.token_version
    refresh["role"] = account.role
    refresh["tenant"] = account.tenant.slug if account.tenant_id else None
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class Unauthorized(exceptions.AuthenticationFailed):
    pass


def rotate(raw: str):
    """Exchanges a refresh token for a new pair, once.

    The token's row is locked (``SELECT ... FOR UPDATE``; on SQLite the whole write
    transaction is serialised by ``BEGIN IMMEDIATE``), so of concurrent exchanges of one token
    exactly one succeeds. A token presented again after it was exchanged is a reuse: the
    whole family (every token descending from that login) is revoked.
    """
    try:
        payload = token_backend.decode(raw, verify=True)
    except (TokenError, TokenBackendError):  # a malformed token is a TokenBackendError
        raise Unauthorized("refresh token invalid or expired", code="token_not_valid")
    if payload.get("token_type") != "refresh" or "jti" not in payload or "fam" not in payload:
        raise Unauthorized("not a refresh token", code="token_not_valid")
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=payload["jti"]).first()
        family = TokenFamily.objects.select_for_update().filter(pk=payload["fam"]).first()
        if outstanding is None or family is None or family.revoked:
            raise Unauthorized("refresh token revoked", code="token_not_valid")
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            family.revoked = True
            family.reason = "reuse"
            family.save(update_fields=["revoked", "reason"])
            revoked = True  # refused below, after the revocation commits
        else:
            revoked = False
            account = Account.objects.select_related("tenant", "user").get(user_id=outstanding.user_id)
            if payload.get("tv") != account.token_version or not account.user.is_active:
                raise Unauthorized("refresh token revoked", code="token_not_valid")
            BlacklistedToken.objects.create(token=outstanding)
            pair = issue(account.user, account, family)
    if revoked:
        raise Unauthorized("refresh token already used: every token of this login is revoked", code="token_reused")
    return pair


def revoke_family(raw: str, user) -> None:
    try:
        payload = token_backend.decode(raw, verify=True)
    except (TokenError, TokenBackendError):
        raise exceptions.ValidationError({"refresh": ["invalid or expired token"]})
    if payload.get("token_type") != "refresh" or str(payload.get("user_id")) != str(user.pk):
        raise exceptions.ValidationError({"refresh": ["not a refresh token of this user"]})
    TokenFamily.objects.filter(pk=payload.get("fam"), user=user).update(revoked=True, reason="logout")


def revoke_all(account) -> None:
    """Every token of the user stops working (password change, reset)."""
    Account.objects.filter(pk=account.pk).update(token_version=F("token_version") + 1)
    TokenFamily.objects.filter(user_id=account.user_id, revoked=False).update(revoked=True, reason="password")
    account.refresh_from_db(fields=["token_version"])


# ---- lockout


def check_locked(account) -> None:
    if account.locked_until and account.locked_until > timezone.now():
        raise exceptions.PermissionDenied("account locked after repeated failures; try again later")


def record_failure(account) -> None:
    threshold = conf.get("LOCKOUT_THRESHOLD")
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(failed_attempts=F("failed_attempts") + 1)
        account.refresh_from_db(fields=["failed_attempts"])
        if account.failed_attempts >= threshold:
            until = timezone.now() + dt.timedelta(seconds=conf.get("LOCKOUT_SECONDS"))
            Account.objects.filter(pk=account.pk).update(locked_until=until, failed_attempts=0)


def record_success(account) -> None:
    if account.failed_attempts or account.locked_until:
        Account.objects.filter(pk=account.pk).update(failed_attempts=0, locked_until=None)


# ---- TOTP (RFC 6238, 30 s steps, one step of clock drift either way)


def totp_step_of(secret: str, code: str, now: float | None = None):
    """The time step ``code`` is valid for, or None."""
    if not code or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for s in (step, step - 1, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(s), code):
            return s
    return None


def consume_totp(account, code: str) -> bool:
    """True when ``code`` is valid and of a later step than any code used before (a replayed
    code is refused); the step is recorded with a conditional update, so two requests with one
    code cannot both pass."""
    step = totp_step_of(account.totp_secret, code)
    if step is None:
        return False
    return Account.objects.filter(pk=account.pk, totp_last_step__lt=step).update(totp_last_step=step) == 1
