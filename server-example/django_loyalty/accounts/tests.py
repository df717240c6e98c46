"""Auth: login with TOTP (replay refused), lockout kept in the DB, refresh rotation and reuse
detection, 8 concurrent refreshes, logout and password change revocation, expiry, register,
password reset, throttling."""

import datetime as dt
import re
import threading

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from django_loyalty.accounts.models import Account

from conftest import PASSWORD, Env

pytestmark = pytest.mark.django_db


def login(env, role, password=PASSWORD, otp=None):
    body = {"username": env.users[role].username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return APIClient().post("/api/auth/login/", body, format="json")


def test_customer_login_returns_tokens_and_user(env):
    r = login(env, "customer")
    assert r.status_code == 200, r.data
    assert r.data["user"]["role"] == "customer"
    assert r.data["user"]["tenant"] == env.slug
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {r.data['access']}")
    me = c.get("/api/auth/user/")
    assert me.status_code == 200 and me.data["username"] == env.users["customer"].username


def test_wrong_password_is_401_with_detail(env):
    r = login(env, "customer", password="nope")
    assert r.status_code == 401 and "detail" in r.data


def test_admin_needs_totp_and_a_replayed_code_is_refused(env):
    r = login(env, "tenant_admin")
    assert r.status_code == 400 and r.data["field"] == "otp"
    code = env.totp("tenant_admin")
    assert login(env, "tenant_admin", otp=code).status_code == 200
    again = login(env, "tenant_admin", otp=code)
    assert again.status_code == 401
    assert "TOTP" in again.data["detail"]
    assert login(env, "tenant_admin", otp="000000" if code != "000000" else "111111").status_code == 401


def test_super_admin_needs_totp_too(env):
    assert login(env, "super_admin").status_code == 400
    assert login(env, "super_admin", otp=env.totp("super_admin")).status_code == 200


def test_lockout_after_repeated_failures_is_stored_in_the_database(env):
    for _ in range(5):
        assert login(env, "customer", password="wrong").status_code == 401
    acct = Account.objects.get(user=env.users["customer"])
    assert acct.locked_until is not None
    # Even the right password is refused while locked.
    r = login(env, "customer")
    assert r.status_code == 403 and "locked" in r.data["detail"]
    Account.objects.filter(pk=acct.pk).update(locked_until=None)
    assert login(env, "customer").status_code == 200


def test_failed_totp_codes_count_towards_lockout(env):
    for _ in range(5):
        login(env, "tenant_admin", otp="123456" if env.totp("tenant_admin") != "123456" else "654321")
    assert Account.objects.get(user=env.users["tenant_admin"]).locked_until is not None


def refresh(raw):
    return APIClient().post("/api/auth/token/refresh/", {"refresh": raw}, format="json")


def test_refresh_rotates_and_reuse_revokes_the_family(env):
    first = login(env, "customer").data
    r = refresh(first["refresh"])
    assert r.status_code == 200
    second = r.data
    assert second["refresh"] != first["refresh"]
    # Reusing the first token: refused and the whole login is revoked.
    reuse = refresh(first["refresh"])
    assert reuse.status_code == 401
    assert refresh(second["refresh"]).status_code == 401
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {second['access']}")
    assert c.get("/api/auth/user/").status_code == 401


def test_access_token_expiry(env):
    acct = env.account("customer")
    tok = AccessToken.for_user(acct.user)
    tok["tv"] = acct.token_version
    tok.set_exp(lifetime=-dt.timedelta(seconds=1))
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {tok}")
    r = c.get("/api/auth/user/")
    assert r.status_code == 401


def test_logout_revokes_the_login(env):
    pair = login(env, "customer").data
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert c.post("/api/auth/logout/", {"refresh": pair["refresh"]}, format="json").status_code == 204
    assert c.get("/api/auth/user/").status_code == 401
    assert refresh(pair["refresh"]).status_code == 401


def test_password_change_revokes_every_earlier_token(env):
    a = login(env, "customer").data
    b = login(env, "customer").data
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {a['access']}")
    r = c.post("/api/auth/password/change/", {"old_password": PASSWORD, "new_password": "another-long-pass-9"}, format="json")
    assert r.status_code == 200
    assert c.get("/api/auth/user/").status_code == 401
    assert refresh(b["refresh"]).status_code == 401
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {r.data['access']}")
    assert c.get("/api/auth/user/").status_code == 200


def test_password_change_bad_input_names_the_field(env):
    c = env.client("customer")
    r = c.post("/api/auth/password/change/", {"old_password": "wrong", "new_password": "another-long-pass-9"}, format="json")
    assert r.status_code == 400 and r.data["field"] == "old_password"
    r = c.post("/api/auth/password/change/", {"old_password": PASSWORD, "new_password": "short"}, format="json")
    assert r.status_code == 400 and r.data["field"] == "new_password"


def test_register_enrols_a_customer_in_the_engine(env):
    c = APIClient()
    c.credentials(HTTP_X_TENANT=env.slug)
    r = c.post("/api/auth/register/", {"username": "newbie-" + env.slug, "email": "n@example.com",
                                        "password": "a-long-password-1"}, format="json")
    assert r.status_code == 201, r.data
    cid = r.data["user"]["customer_id"]
    assert env.engine_session.customer.get(id=cid)["external_id"] == "user:newbie-" + env.slug
    r = c.post("/api/auth/register/", {"username": "x", "email": "not-an-email", "password": "a-long-password-1"}, format="json")
    assert r.status_code == 400 and r.data["field"] == "email"
    assert APIClient().post("/api/auth/register/", {"username": "y", "email": "y@example.com", "password": "a-long-password-1"},
                            format="json").status_code == 400


def test_password_reset_flow(env):
    user = env.users["customer"]
    r = APIClient().post("/api/auth/password/reset/", {"email": user.email}, format="json")
    assert r.status_code == 200 and len(mail.outbox) == 1
    body = mail.outbox[0].body
    uid = re.search(r"uid=(\S+)", body).group(1)
    token = re.search(r"token=(\S+)", body).group(1)
    bad = APIClient().post("/api/auth/password/reset/confirm/", {"uid": uid, "token": "x-y", "new_password": "brand-new-pass-1"}, format="json")
    assert bad.status_code == 400 and bad.data["field"] == "token"
    ok = APIClient().post("/api/auth/password/reset/confirm/", {"uid": uid, "token": token, "new_password": "brand-new-pass-1"}, format="json")
    assert ok.status_code == 200
    assert login(env, "customer", password="brand-new-pass-1").status_code == 200
    # Unknown address: same answer, no mail.
    assert APIClient().post("/api/auth/password/reset/", {"email": "nobody@example.com"}, format="json").status_code == 200
    assert len(mail.outbox) == 1


def test_auth_endpoints_are_throttled(env, settings):
    from rest_framework.throttling import SimpleRateThrottle

    from django.core.cache import cache

    cache.clear()
    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**old, "auth": "3/minute"}
    try:
        codes = [login(env, "customer", password="x").status_code for _ in range(4)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = old
        cache.clear()
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


def test_write_endpoints_are_throttled(env):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**old, "write": "2/minute"}
    c = env.client("customer")
    try:
        codes = [c.post("/api/feedback/", {"text": "hi"}, format="json").status_code for _ in range(3)]
        read = c.get("/api/points/balance/").status_code
    finally:
        SimpleRateThrottle.THROTTLE_RATES = old
        cache.clear()
    assert codes == [201, 201, 429] and read == 200


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_refreshes_of_one_token_exactly_one_succeeds():
    env = Env()
    pair = login(env, "customer").data
    barrier = threading.Barrier(8)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(refresh(pair["refresh"]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [401] * 7, results


def test_malformed_refresh_tokens_are_401_and_400_not_500(env):
    # Found by schemathesis: token_backend.decode raises TokenBackendError (not TokenError).
    assert refresh("0").status_code == 401
    c = env.client("customer")
    r = c.post("/api/auth/logout/", {"refresh": "0"}, format="json")
    assert r.status_code == 400 and r.data["field"] == "refresh"


@pytest.mark.django_db(transaction=True)
def test_one_totp_code_sent_twice_at_once_logs_in_once():
    env = Env()
    code = env.totp("tenant_admin")
    barrier = threading.Barrier(4)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(login(env, "tenant_admin", otp=code).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 401, 401, 401], results
