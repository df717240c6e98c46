import uuid

import pyotp
import pytest
from rest_framework.test import APIClient

from django_loyalty.accounts import tokens
from django_loyalty.accounts.models import Account
from django_loyalty.core import engine
from django_loyalty.tenants import views as tenant_views

PASSWORD = "correct-horse-battery"


class Env:
    """A fresh tenant (engine tenant + program + customer) and a user of each role."""

    def __init__(self):
        slug = "t" + uuid.uuid4().hex[:10]
        self.tenant = tenant_views.create_tenant(f"Tenant {slug}", slug)
        s = engine.session(self.tenant.admin_key)
        self.program = s.program.create(name="Main", currency="EUR")
        self.tenant.program_id = self.program["id"]
        self.tenant.save()
        s.rule.create(name="Base", actions=[{"type": "per_currency", "rate": "1"}])
        self.customer = s.customer.enroll(external_id=f"c-{slug}", program_ids=[self.program["id"]])
        self.engine_session = s
        self.users = {}
        for role in ("super_admin", "tenant_admin", "staff", "customer"):
            name = f"{role}-{slug}"
            user, secret = tenant_views.make_user(
                name, f"{name}@example.com", PASSWORD, role, None if role == "super_admin" else self.tenant,
                customer_id=self.customer["id"] if role == "customer" else "")
            self.users[role] = user

    @property
    def slug(self):
        return self.tenant.slug

    def account(self, role):
        return Account.objects.get(user=self.users[role])

    def totp(self, role, offset_steps=0):
        import time

        t = pyotp.TOTP(self.account(role).totp_secret)
        return t.at(time.time() + 30 * offset_steps)

    def client(self, role=None, tenant=True):
        c = APIClient()
        if role is not None:
            acct = self.account(role)
            pair = tokens.issue(acct.user, acct)
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}", **({"HTTP_X_TENANT": self.slug} if tenant else {}))
            c.pair = pair
        elif tenant:
            c.credentials(HTTP_X_TENANT=self.slug)
        return c

    def pos_client(self):
        key = engine.session(self.tenant.admin_key).apikey.create(name="till", scopes=["pos", "read"])["key"]
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return c

    def earn(self, points):
        return self.engine_session.ledger.earn(customer_id=self.customer["id"], points=points)


@pytest.fixture
def env(db):
    return Env()


@pytest.fixture
def other(db):
    return Env()
