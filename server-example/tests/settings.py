"""Test settings: the demo project's, with a throwaway data folder, an in-process cache, a fast
password hasher and generous throttles (tests that check throttling lower them).

Django's tables are in SQLite (in the data folder) unless LOYALTY_TEST_KEEP_DB_URL=1 and
DATABASE_URL names a PostgreSQL database: then Django's test runner makes test_<name> in that
cluster (scripts/test-server.sh runs the suite both ways, with scripts/pg-cluster.sh)."""

import os
import tempfile

os.environ.setdefault("LOYALTY_DATA", tempfile.mkdtemp(prefix="loyalty-test-"))
os.environ.pop("DATABASE_URL", None) if os.environ.get("LOYALTY_TEST_KEEP_DB_URL") != "1" else None
os.environ.pop("REDIS_URL", None)

from demo.settings import *  # noqa: E402,F401,F403
from demo.settings import DATA, DATABASES, REST_FRAMEWORK  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA / "test-django.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "10000/minute", "write": "10000/minute"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
