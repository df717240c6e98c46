"""Settings a project using the app starts from: ``from django_loyalty.defaults import *``
then adjust (rates, lifetimes, CORS, LOYALTY)."""

import datetime as dt

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_loyalty.core.security.JWTAuthentication",
        "django_loyalty.core.security.ApiKeyAuthentication",
    ],
    # Every view says which roles it admits (``roles``); a view that does not admits nobody.
    "DEFAULT_PERMISSION_CLASSES": ["django_loyalty.core.security.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": [
        "django_loyalty.core.security.AuthThrottle",
        "django_loyalty.core.security.WriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": "30/minute", "write": "600/minute"},
    "DEFAULT_PAGINATION_CLASS": "django_loyalty.core.pagination.Pagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "django_loyalty.core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": dt.timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": dt.timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "libloyalty reference server",
    "DESCRIPTION": "The product's REST API on the libloyalty engine. Authenticate with `POST /api/auth/login/` "
    "(admin roles add a TOTP code) and send `Authorization: Bearer <access>`; POS integrations send "
    "`Authorization: Api-Key <engine API key>`. The tenant comes from the subdomain or `X-Tenant`.",
    "VERSION": "0.1.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
}
