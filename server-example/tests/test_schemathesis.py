"""schemathesis over /api/schema/ against a live server (gunicorn on 127.0.0.1 over a freshly
seeded small demo tenant): no 500 and no response that breaks the schema, as the tenant admin
and as the demo customer. A fixed seed keeps the run reproducible; the server stops with the test."""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

DEMO = pathlib.Path(__file__).resolve().parents[1] / "demo"
BIN = pathlib.Path(sys.executable).parent
pytestmark = pytest.mark.skipif(shutil.which("schemathesis", path=str(BIN)) is None, reason="schemathesis not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=DEMO, env=env, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data = tmp_path_factory.mktemp("st-data")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")}
    env.update(LOYALTY_DATA=str(data), LOYALTY_SEED_CUSTOMERS="8", LOYALTY_THROTTLE_WRITE="100000/minute",
               LOYALTY_THROTTLE_AUTH="100000/minute")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "loyalty_seed")
    tokens = {}
    for user in ("admin", "alice"):
        tokens[user] = manage(env, "shell", "-c", (
            "from django_loyalty.accounts.models import Account;from django_loyalty.accounts import tokens;"
            f"a=Account.objects.get(user__username='{user}');print(tokens.issue(a.user,a)['access'])")).strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen([str(BIN / "gunicorn"), "demo.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--error-logfile", str(data / "gunicorn.log")], cwd=DEMO, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/schema/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    yield url, tokens
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.mark.parametrize("user", ["admin", "alice"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live, user):
    url, tokens = live
    r = subprocess.run([str(BIN / "schemathesis"), "run", url, "-H", f"Authorization: Bearer {tokens[user]}",
                        "-H", "X-Tenant: demo", "--max-examples", "5", "--seed", "1",
                        "-c", "not_a_server_error,response_schema_conformance", "--phases", "examples,fuzzing",
                        "--exclude-path-regex", "/api/auth/password/change/"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-6000:]
