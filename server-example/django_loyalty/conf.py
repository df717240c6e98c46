"""The app's settings, read from ``settings.LOYALTY`` (a dict) with these defaults."""

from django.conf import settings

DEFAULTS = {
    # The engine database shared by every worker process (a loyalty URI or a path).
    "ENGINE_URI": "loyalty.db",
    # The engine administrator's credential (16+ bytes); recorded by the engine's first open.
    "ADMIN_KEY": None,
    "ENGINE_OPTIONS": {"pool_size": 4, "busy_timeout_ms": 10000},
    # Tenant from the first label of the Host when it ends with ".<TENANT_DOMAIN>".
    "TENANT_DOMAIN": None,
    "TENANT_HEADER": "HTTP_X_TENANT",
    # Roles that must give a TOTP code (RFC 6238) at login.
    "MFA_ROLES": ("super_admin", "tenant_admin"),
    # Failed logins or TOTP codes in a row before the account is locked, and for how long.
    "LOCKOUT_THRESHOLD": 5,
    "LOCKOUT_SECONDS": 900,
    # Where the operation catalogue is (capi/ops); None: the copy shipped with the package, else
    # the checkout's.
    "CATALOGUE_DIR": None,
    # Seconds an analytics aggregate stays cached.
    "ANALYTICS_TTL": 60,
}


def get(name):
    return getattr(settings, "LOYALTY", {}).get(name, DEFAULTS[name])
