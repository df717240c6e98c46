"""scripts/serve.sh on an empty folder: it starts, seeds and serves; run again, it seeds nothing
twice. A small tenant (LOYALTY_SEED_CUSTOMERS) keeps it quick; the server stops by itself.

Django's tables in SQLite (the default), and in PostgreSQL ([postgres]: a fresh database made in
the cluster of DATABASE_URL, dropped afterwards) when the suite runs with
LOYALTY_TEST_KEEP_DB_URL=1 and a postgres:// DATABASE_URL, as scripts/test-server.sh does."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

import pyotp
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_serve(data, port, database_url=None, seconds=120):
    env = dict(os.environ, LOYALTY_DATA=str(data), PORT=str(port), WORKERS="2", LOYALTY_SEED_CUSTOMERS="12",
               LOYALTY_SERVE_SECONDS=str(seconds))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.Popen([str(ROOT / "scripts/serve.sh")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def wait_ready(proc, deadline=300):
    lines = []
    end = time.monotonic() + deadline
    for line in proc.stdout:
        lines.append(line)
        if line.strip() == "ready":
            return "".join(lines)
        if time.monotonic() > end:
            break
    raise AssertionError("serve.sh did not get ready:\n" + "".join(lines))


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def api(port, path, body=None, token=None, tenant="demo"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", "X-Tenant": tenant,
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    keep = os.environ.get("LOYALTY_TEST_KEEP_DB_URL") == "1"
    return url if keep and url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture(params=["sqlite", "postgres"])
def database(request):
    """(DATABASE_URL for serve.sh or None, a function counting Django's users in that database)."""
    if request.param == "sqlite":
        yield None, None
        return
    base = postgres_url()
    if base is None:
        pytest.skip("Django's tables in PostgreSQL: run with LOYALTY_TEST_KEEP_DB_URL=1 DATABASE_URL=postgres://...")
    import psycopg

    name = f"serve_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name

    def users():
        with psycopg.connect(url) as c:
            return c.execute("SELECT count(*) FROM auth_user").fetchone()[0]

    try:
        yield url, users
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.skipif(not os.path.exists("/usr/bin/redis-server") and not os.environ.get("CI"), reason="needs redis-server")
def test_serve_sh_starts_seeds_serves_and_seeds_once(tmp_path, database):
    database_url, users = database
    data = tmp_path / "data"
    port = free_port()
    proc = run_serve(data, port, database_url)
    try:
        out = wait_ready(proc)
        assert "seeded tenant 'demo'" in out
        assert f"http://127.0.0.1:{port}/api/docs/" in out
        logins = json.loads((data / "demo-logins.json").read_text())
        assert {"superadmin", "admin", "staff", "alice"} <= set(logins)
        alice = api(port, "/api/auth/login/", {"username": "alice", "password": logins["alice"]["password"]})
        assert api(port, "/api/points/balance/", token=alice["access"])["lifetime_earned"] > 0
        admin = api(port, "/api/auth/login/", {"username": "admin", "password": logins["admin"]["password"],
                                               "otp": pyotp.TOTP(logins["admin"]["totp_secret"]).now()})
        customers = api(port, "/api/admin/customers/", token=admin["access"])
        assert customers["count"] == 12
        assert api(port, "/api/admin/rules/", token=admin["access"])["count"] == 15
        assert api(port, "/api/admin/rewards/", token=admin["access"])["count"] == 20
        assert api(port, "/api/admin/locations/", token=admin["access"])["count"] == 10
        # Django's tables are where DATABASE_URL says: no SQLite file when it names PostgreSQL.
        assert (data / "django.sqlite3").exists() == (database_url is None)
        if users is not None:
            assert users() == len(logins)
    finally:
        stop(proc)

    port = free_port()
    proc = run_serve(data, port, database_url)
    try:
        out = wait_ready(proc)
        assert "already seeded: nothing to do" in out
        logins2 = json.loads((data / "demo-logins.json").read_text())
        assert logins2 == logins
        admin = api(port, "/api/auth/login/", {"username": "admin", "password": logins["admin"]["password"],
                                               "otp": pyotp.TOTP(logins["admin"]["totp_secret"]).at(time.time() + 30)})
        assert api(port, "/api/admin/customers/", token=admin["access"])["count"] == 12
    finally:
        stop(proc)
