import uuid

from django.conf import settings
from django.db import models

ROLES = [
    ("super_admin", "super admin"),
    ("tenant_admin", "tenant admin"),
    ("staff", "staff"),
    ("customer", "customer"),
]


class Account(models.Model):
    """The loyalty side of a Django user: role, tenant, engine customer, MFA and lockout state."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loyalty")
    role = models.CharField(max_length=20, choices=ROLES)
    tenant = models.ForeignKey("loyalty_tenants.Tenant", null=True, blank=True, on_delete=models.CASCADE)
    customer_id = models.CharField(max_length=64, blank=True, default="")
    # Bumped by a password change or reset: every token issued before is refused.
    token_version = models.PositiveIntegerField(default=0)
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    # The last RFC 6238 time step accepted: a code of that step or an earlier one is a replay.
    totp_last_step = models.BigIntegerField(default=0)
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.user} ({self.role})"


class EngineKey(models.Model):
    """The engine API key of one user in one tenant (so the audit log's actor is that user)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="engine_keys")
    tenant = models.ForeignKey("loyalty_tenants.Tenant", on_delete=models.CASCADE)
    key_id = models.CharField(max_length=64)
    prefix = models.CharField(max_length=32, db_index=True)
    secret = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "tenant"], name="loyalty_enginekey_unique")]


class TokenFamily(models.Model):
    """The refresh tokens descending from one login; revoked as a whole on logout or reuse."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    revoked = models.BooleanField(default=False)
    reason = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
