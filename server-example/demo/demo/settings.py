"""The demo project: the django_loyalty app and little else. Configured by environment:

LOYALTY_DATA          folder of the engine file and the SQLite database (default ./data)
DATABASE_URL          Django's database (default SQLite in LOYALTY_DATA; postgres://user:pw@host:port/db
                      through psycopg 3, pinned in requirements.txt)
REDIS_URL             cache and throttling shared by the workers (default: per-process memory)
LOYALTY_ADMIN_KEY     the engine administrator's credential (default: made once, kept in LOYALTY_DATA)
DJANGO_SECRET_KEY     (default: made once, kept in LOYALTY_DATA)
CORS_ALLOWED_ORIGINS  comma-separated origins allowed by CORS
LOYALTY_TENANT_DOMAIN tenant subdomains of this domain (acme.<domain>)
LOYALTY_THROTTLE_AUTH, LOYALTY_THROTTLE_WRITE  throttle rates ("30/minute", "600/minute")
LOYALTY_BENCH=1       mounts the plain-ORM peer of the load benchmark (bench/)
"""

import os
import pathlib
import secrets

import dj_database_url

from django_loyalty import INSTALLED_APPS as LOYALTY_APPS
from django_loyalty.defaults import REST_FRAMEWORK, SIMPLE_JWT, SPECTACULAR_SETTINGS  # noqa: F401

DATA = pathlib.Path(os.environ.get("LOYALTY_DATA", pathlib.Path.cwd() / "data")).resolve()
DATA.mkdir(parents=True, exist_ok=True)


def _kept_secret(name, env):
    if os.environ.get(env):
        return os.environ[env]
    path = DATA / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(40))
    return path.read_text().strip()


SECRET_KEY = _kept_secret("secret_key", "DJANGO_SECRET_KEY")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,.localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    *LOYALTY_APPS,
]
if os.environ.get("LOYALTY_BENCH") == "1":
    INSTALLED_APPS.append("bench")  # the plain-ORM peer of benchmarks/server (never in production)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}]

DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{DATA / 'django.sqlite3'}", conn_max_age=60,
                                      conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time (BEGIN IMMEDIATE): the refresh-token exchange relies on it on SQLite.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20,
                                       "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOYALTY = {
    "ENGINE_URI": os.environ.get("LOYALTY_ENGINE_URI", str(DATA / "loyalty.db")),
    "ADMIN_KEY": _kept_secret("admin_key", "LOYALTY_ADMIN_KEY"),
    "TENANT_DOMAIN": os.environ.get("LOYALTY_TENANT_DOMAIN", "localhost"),
}

REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
    "auth": os.environ.get("LOYALTY_THROTTLE_AUTH", REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"]),
    "write": os.environ.get("LOYALTY_THROTTLE_WRITE", REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["write"]),
}}

CORS_ALLOWED_ORIGINS = [o for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if o]
CORS_ALLOW_HEADERS = ("authorization", "content-type", "idempotency-key", "x-tenant")

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = "loyalty@localhost"
STATIC_URL = "static/"
STATIC_ROOT = DATA / "static"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
