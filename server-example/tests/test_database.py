"""Django's tables are where the run says: SQLite by default, PostgreSQL when the suite runs with
LOYALTY_TEST_KEEP_DB_URL=1 and a postgres:// DATABASE_URL (scripts/test-server.sh's second run),
so that run cannot fall back to SQLite unnoticed."""

import os

import pytest
from django.contrib.auth.models import User
from django.db import connection


def wants_postgres():
    url = os.environ.get("DATABASE_URL", "")
    return os.environ.get("LOYALTY_TEST_KEEP_DB_URL") == "1" and url.startswith(("postgres://", "postgresql://"))


@pytest.mark.django_db
def test_djangos_tables_are_where_database_url_says():
    assert connection.vendor == ("postgresql" if wants_postgres() else "sqlite")
    User.objects.create_user("db-probe", password="x" * 12)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SELECT current_database(), to_regclass('auth_user') IS NOT NULL")
            name, has_users = c.fetchone()
        assert name.startswith("test_") and has_users
    assert User.objects.filter(username="db-probe").count() == 1
