"""Seeds a demo tenant, idempotently: ``manage.py loyalty_seed [--customers 500] [--months 6]``.

A program with four tiers, 15 rules, 20 rewards, 10 locations (radius and polygon fences),
customers with months of purchases, check-ins and redemptions, feedback, and AI results by
the offline provider; users of each role. A tenant already seeded is left alone; an interrupted
seed resumes (every engine write has a deterministic order id or idempotency key, enrolments
are looked up by external id). The demo logins are written to ``<LOYALTY_DATA>/demo-logins.json``.
"""

import datetime as dt
import json
import os
import pathlib
import random
import sys
import time

import loyalty
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from ... import views as tenant_views
from ....accounts.models import Account
from ....core import engine
from ....insights.models import Feedback
from ...models import Tenant

CITY = (52.3702, 4.8952)  # Amsterdam
CATEGORIES = ["coffee", "bakery", "sandwich", "merch", "beans"]
FEEDBACK = [
    "Great coffee and friendly staff!", "The queue was far too long this morning.",
    "Love the new pastries.", "App kept crashing when I tried to redeem.", "Cosy place, will come back.",
    "Prices went up again, not happy.", "Fast service at the station kiosk.", "My latte was cold.",
]


class Progress:
    def __init__(self, label, total, out):
        self.label, self.total, self.done, self.out = label, max(total, 1), 0, out
        self.t0 = time.monotonic()
        self.draw()

    def step(self, n=1):
        self.done += n
        if self.done == self.total or self.done % max(1, self.total // 50) == 0:
            self.draw()

    def draw(self):
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        self.out.write(f"\r  {self.label:<22} [{bar:<30}] {self.done}/{self.total}")
        self.out.flush()

    def close(self):
        self.done = self.total
        self.draw()
        self.out.write(f"  {time.monotonic() - self.t0:.1f}s\n")


def ts(d: dt.datetime) -> str:
    return loyalty.format_time(d)


class Command(BaseCommand):
    help = "Seeds the demo tenant (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo")
        parser.add_argument("--customers", type=int, default=int(os.environ.get("LOYALTY_SEED_CUSTOMERS", 500)))
        parser.add_argument("--months", type=int, default=6)

    def handle(self, *args, tenant, customers, months, **opts):
        out = sys.stderr
        t0 = time.monotonic()
        # Seeding is one process writing many small transactions: WAL with synchronous=NORMAL
        # (durable at each checkpoint, not each commit) before this process opens the engine.
        lo = settings.LOYALTY
        lo["ENGINE_OPTIONS"] = {**lo.get("ENGINE_OPTIONS", {"pool_size": 4, "busy_timeout_ms": 10000}), "synchronous": "normal"}
        logins_path = pathlib.Path(settings.LOYALTY.get("DATA", getattr(settings, "DATA", "."))) / "demo-logins.json"
        t = Tenant.objects.filter(slug=tenant).first()
        if t is not None and t.seeded:
            self.stdout.write(f"tenant '{tenant}' already seeded: nothing to do")
            return
        if t is None:
            t = tenant_views.create_tenant("Demo Coffee Co.", tenant, "Europe/Amsterdam")
        s = engine.session(t.admin_key)
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        start = now - dt.timedelta(days=30 * months)

        # Program, tiers, policy
        if not t.program_id:
            progs = s.program.list()["items"]
            prog = progs[0] if progs else s.program.create(
                name="Demo Rewards", currency="EUR", pending_days=0,
                expiry={"policy": "days_after_earn", "days": 365})
            t.program_id = prog["id"]
            t.save(update_fields=["program_id"])
        pid = t.program_id
        tiers = {x["name"]: x for x in s.tier.list(program_id=pid)["items"]}
        for rank, (name, threshold, mult) in enumerate(
                [("Bronze", 0, 1), ("Silver", 1000, 1.25), ("Gold", 3000, 1.5), ("Platinum", 8000, 2)], start=1):
            if name not in tiers:
                tiers[name] = s.tier.create(program_id=pid, name=name, rank=rank, threshold=threshold,
                                            benefits={"earn_multiplier": mult})
        s.tier.policy_set(program_id=pid, metric="points", window={"kind": "rolling_months", "months": 12})

        # Locations: five radius fences, five polygons
        locs = engine.all_items(s.call, "location.list", {})
        if len(locs) < 10:
            have = {x["name"] for x in locs}
            for i in range(10):
                name = f"Store {i + 1}"
                if name in have:
                    continue
                lat, lon = CITY[0] + 0.01 * (i - 5), CITY[1] + 0.012 * ((i * 7) % 10 - 5)
                if i < 5:
                    fence = {"radius_m": 120 + 20 * i}
                else:
                    d = 0.0012
                    fence = {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d],
                                                                 [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}
                locs.append(s.location.create(name=name, lat=lat, lon=lon, geofence=fence, address=f"Demo street {i + 1}",
                                              checkin={"points": 10, "cooldown_s": 3600}))
        loc_ids = [x["id"] for x in locs]

        # Rules
        rules = engine.all_items(s.call, "rule.list", {"program_id": pid})
        if len(rules) < 15:
            have = {r["name"] for r in rules}
            for r in rule_set(loc_ids):
                if r["name"] not in have:
                    s.rule.create(dict(r, program_id=pid))

        # Rewards
        rewards = engine.all_items(s.call, "reward.list", {"program_id": pid})
        if len(rewards) < 20:
            have = {r["name"] for r in rewards}
            for i in range(20):
                name = f"{['Free', 'Half-price', 'Large', 'Bonus'][i % 4]} {['espresso', 'latte', 'croissant', 'sandwich', 'mug'][i % 5]} #{i + 1}"
                if name in have:
                    continue
                rewards.append(s.reward.create(program_id=pid, name=name, cost_points=100 + 50 * i,
                                               category=CATEGORIES[i % 5], stock=200 + 10 * i,
                                               description=f"Demo reward {i + 1}"))
        reward_list = sorted(rewards, key=lambda r: r["cost_points"])

        # Customers
        existing = {c["external_id"]: c for c in engine.all_items(s.call, "customer.list", {})}
        bar = Progress("customers", customers, out)
        cust = []
        for i in range(customers):
            ext = f"demo-{i:05d}"
            c = existing.get(ext)
            if c is None:
                c = s.customer.enroll(external_id=ext, program_ids=[pid], profile={
                    "name": f"Customer {i}", "email": f"{ext}@example.com",
                    "birthday": f"19{70 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}"})
            cust.append(c)
            bar.step()
        bar.close()

        # Purchases (6 months), check-ins, redemptions
        bar = Progress("purchases", len(cust), out)
        for i, c in enumerate(cust):
            r = random.Random(i)
            n = r.randint(2, 24)
            days = sorted(r.sample(range(30 * months), min(n, 30 * months)))
            for k, day in enumerate(days):
                when = start + dt.timedelta(days=day, hours=r.randint(7, 19), minutes=r.randint(0, 59))
                items = [{"sku": f"{cat}-{r.randint(1, 5)}", "category": cat, "quantity": r.randint(1, 3),
                          "unit_price": r.choice([250, 320, 450, 600, 1200])} for cat in r.sample(CATEGORIES, r.randint(1, 3))]
                s.purchase.submit(order_id=f"seed-{c['external_id']}-{k}", customer_id=c["id"], program_id=pid,
                                  items=items, occurred_at=ts(when), channel=r.choice(["store", "app", "web"]),
                                  location_id=r.choice(loc_ids))
            bar.step()
        bar.close()

        bar = Progress("check-ins", len(cust) // 2, out)
        for i, c in enumerate(cust[: len(cust) // 2]):
            loc = locs[i % len(locs)]
            when = now - dt.timedelta(days=i % 28, hours=i % 9)
            s.checkin.submit(customer_id=c["id"], location_id=loc["id"], lat=loc["lat"], lon=loc["lon"], accuracy_m=15,
                             occurred_at=ts(when), idempotency_key=f"seed-checkin-{c['external_id']}")
            bar.step()
        bar.close()

        bar = Progress("redemptions", len(cust) // 3, out)
        for i, c in enumerate(cust[: len(cust) // 3]):
            bal = s.ledger.balance(customer_id=c["id"], program_id=pid)["available"]
            affordable = [r for r in reward_list if r["cost_points"] <= bal]
            if affordable:
                rw = affordable[i % len(affordable)]
                try:
                    red = s.reward.redeem(reward_id=rw["id"], customer_id=c["id"], idempotency_key=f"seed-redeem-{c['external_id']}")
                    if i % 2 == 0 and red["redemption"]["status"] != "fulfilled":
                        s.redemption.fulfil(id=red["redemption"]["id"], idempotency_key=f"seed-fulfil-{c['external_id']}")
                except (loyalty.LimitError, loyalty.OutOfStockError, loyalty.InsufficientPointsError, loyalty.ConflictError):
                    pass
            bar.step()
        bar.close()

        if not Feedback.objects.filter(tenant=t).exists():
            Feedback.objects.bulk_create([Feedback(tenant=t, customer_id=cust[i % len(cust)]["id"], text=FEEDBACK[i % len(FEEDBACK)])
                                          for i in range(min(60, 4 * len(cust)))])

        # AI results by the offline provider
        s.ai.configure(provider="offline")
        bar = Progress("AI (offline)", 2 * len(cust), out)
        for op in ("churn", "recommendations"):
            cursor = None
            while True:
                res = s.ai.refresh({"operation": op, "limit": 500, **({"cursor": cursor} if cursor else {})})
                bar.step(res["computed"] + res["reused"])
                cursor = res.get("next_cursor")
                if not cursor:
                    break
        s.ai.segments(refresh=True, apply=True)
        s.ai.location_insights(refresh=True)
        bar.close()

        logins = ensure_users(t, cust[0]["id"], logins_path)
        t.seeded = True
        t.save(update_fields=["seeded"])
        self.stdout.write(f"seeded tenant '{tenant}' in {time.monotonic() - t0:.1f}s")
        self.stdout.write(f"demo logins: {', '.join(logins)} (see {logins_path})")


def rule_set(loc_ids):
    base = {"type": "per_currency", "rate": "1"}
    return [
        {"name": "Base: 1 point per euro", "actions": [base], "priority": 100},
        {"name": "Double points in the app", "priority": 50,
         "conditions": {"fact": "purchase.channel", "operator": "eq", "value": "app"}, "actions": [{"type": "multiply", "factor": "2"}]},
        {"name": "Big basket bonus", "conditions": {"fact": "purchase.amount", "operator": "gte", "value": 3000},
         "actions": [{"type": "fixed", "points": 50}]},
        {"name": "Beans triple", "actions": [{"type": "per_currency", "rate": "2", "items": {"fact": "item.category", "operator": "eq", "value": "beans"}}]},
        {"name": "Merch bonus", "actions": [{"type": "per_currency", "rate": "1", "max": 100,
                                             "items": {"fact": "item.category", "operator": "eq", "value": "merch"}}]},
        {"name": "Weekend treat", "conditions": {"fact": "time.weekday", "operator": "in", "value": ["saturday", "sunday"]},
         "actions": [{"type": "fixed", "points": 20}]},
        {"name": "Early bird", "conditions": {"fact": "time.hour", "operator": "lt", "value": 9},
         "actions": [{"type": "fixed", "points": 15}]},
        {"name": "Birthday month", "conditions": {"fact": "customer.is_birthday_month", "operator": "eq", "value": True},
         "actions": [{"type": "multiply", "factor": "1.5", "max": 500}]},
        {"name": "Welcome: first purchase", "conditions": {"fact": "customer.first_purchase", "operator": "eq", "value": True},
         "actions": [{"type": "fixed", "points": 100}]},
        {"name": "Come back after 30 days", "conditions": {"fact": "customer.days_since_last_purchase", "operator": "gte", "value": 30},
         "actions": [{"type": "fixed", "points": 40}]},
        {"name": "Flagship store", "location_based": True,
         "conditions": {"fact": "purchase.location_id", "operator": "eq", "value": loc_ids[0]}, "actions": [{"type": "fixed", "points": 25}]},
        {"name": "Three items or more", "conditions": {"fact": "purchase.item_count", "operator": "gte", "value": 3},
         "actions": [{"type": "fixed", "points": 10}]},
        {"name": "Tier multiplier", "priority": -10, "actions": [{"type": "tier_multiplier", "max": 1000}]},
        {"name": "At most 2000 per purchase", "priority": -1000, "actions": [{"type": "cap", "points": 2000}]},
        {"name": "Check-in: first visit", "trigger": "checkin",
         "conditions": {"fact": "checkin.first_visit", "operator": "eq", "value": True}, "actions": [{"type": "fixed", "points": 30}]},
    ]


def ensure_users(t, customer_id, path):
    """The demo logins of each role (made once, then read back from ``path``)."""
    if path.exists():
        logins = json.loads(path.read_text())
    else:
        logins = {}
    User = get_user_model()
    want = [("superadmin", "super_admin", None, ""), ("admin", "tenant_admin", t, ""), ("staff", "staff", t, ""),
            ("alice", "customer", t, customer_id)]
    for username, role, tenant, cid in want:
        if User.objects.filter(username=username).exists() and username in logins:
            continue
        password = tenant_views.random_password()
        if User.objects.filter(username=username).exists():
            user = User.objects.get(username=username)
            user.set_password(password)
            user.save()
            acct = Account.objects.get(user=user)
            secret = acct.totp_secret or None
        else:
            user, secret = tenant_views.make_user(username, f"{username}@example.com", password, role, tenant, customer_id=cid)
        logins[username] = {"role": role, "password": password, "totp_secret": secret, "tenant": tenant.slug if tenant else None}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(logins, f, indent=2)
    return logins
