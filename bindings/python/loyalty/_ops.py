"""The operation table: typed methods generated from one line per engine operation.

Every engine operation is reachable through the generic ``call(op, input, **fields)`` of
:class:`loyalty.Session` and :class:`loyalty.Admin`. This table adds a method per operation,
grouped by the part of the name before the dot (``session.ledger.earn(...)`` runs
``ledger.earn``), with a docstring and a type for checkers.

Adding an operation to the package is one line here: ``name = op("module.name", "doc")`` in the
namespace class of its module (a new module adds a namespace class here and one line
``module = namespace(ModuleOps)`` in ``Session`` or ``Admin``). An operation the engine has but this table lacks
still works as a method (``Namespace.__getattr__``) and through ``call``; the table only adds the
docstring and the type.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Generic, Mapping, Optional, Protocol, Type, TypeVar, overload

Result = Dict[str, Any]


class OpMethod(Protocol):
    """The type of a generated operation method: an input dict and/or keyword fields in, a dict out."""

    def __call__(self, input: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> Result:
        """Runs the operation; raises a :class:`loyalty.Error` subclass on failure."""
        ...


class op:  # noqa: N801 (a descriptor used like a declaration)
    """Declares an operation method on a namespace class: ``earn = op("ledger.earn", "...")``."""

    __slots__ = ("name", "doc", "attr")

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.doc = doc
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, ns: None, owner: type) -> "op": ...

    @overload
    def __get__(self, ns: "Namespace", owner: type) -> OpMethod: ...

    def __get__(self, ns: Optional["Namespace"], owner: type) -> Any:
        if ns is None:
            return self
        bound = _bind(ns, self.name, self.doc)
        ns.__dict__[self.attr] = bound  # cached: later lookups skip the descriptor
        return bound


def _bind(ns: "Namespace", name: str, doc: str) -> OpMethod:
    fn: Any = functools.partial(ns._call, name)
    fn.__doc__ = doc
    return fn  # type: ignore[no-any-return]


class Namespace:
    """The operations of one module on a session or admin handle (``session.ledger``)."""

    #: The module prefix of the operation names (``"ledger"``).
    PREFIX = ""

    def __init__(self, call: Callable[..., Result], known: Callable[[str], bool]) -> None:
        self._call = call
        self._known = known

    def __getattr__(self, attr: str) -> OpMethod:
        # An operation the engine has but the table does not list yet.
        name = f"{self.PREFIX}.{attr}"
        if attr.startswith("_") or not self._known(name):
            raise AttributeError(f"no operation '{name}'")
        bound = _bind(self, name, f"Runs the engine operation '{name}'.")
        self.__dict__[attr] = bound
        return bound

    def __repr__(self) -> str:
        return f"<loyalty operations {self.PREFIX}.*>"


# ------------------------------------------------------------------------------------------
# Session namespaces (tenant-scoped operations)


class SessionInfoOps(Namespace):
    """``session.*``: about the session itself."""

    PREFIX = "session"
    info = op("session.info", "The session's tenant, API key id, name and scopes.")


class ApiKeyOps(Namespace):
    """``apikey.*``: the tenant's API keys (scope ``admin``)."""

    PREFIX = "apikey"
    create = op("apikey.create", "Creates an API key (name, scopes); the secret `key` is returned once.")
    list = op("apikey.list", "Lists the tenant's API keys, never the secrets (include_revoked).")
    revoke = op("apikey.revoke", "Revokes an API key by id; its sessions lose access.")


class ProgramOps(Namespace):
    """``program.*``: loyalty programs and their settings."""

    PREFIX = "program"
    create = op("program.create", "Creates a program (name, currency, rounding, policies, expiry, ...).")
    get = op("program.get", "One program by id.")
    list = op("program.list", "Lists the tenant's programs (filter: active).")
    update = op("program.update", "Changes a program's settings.")
    activate = op("program.activate", "Activates a program.")
    deactivate = op("program.deactivate", "Deactivates a program (earning on it becomes unavailable).")


class CustomerOps(Namespace):
    """``customer.*``: customers and their loyalty accounts."""

    PREFIX = "customer"
    enroll = op("customer.enroll", "Enrols a customer (external_id, profile, preferences, segments, program_ids).")
    get = op("customer.get", "One customer by id or external_id.")
    update = op("customer.update", "Changes a customer's profile, preferences or segments.")
    list = op("customer.list", "Lists customers (optionally by segment), with a cursor.")


class LedgerOps(Namespace):
    """``ledger.*``: the points ledger."""

    PREFIX = "ledger"
    earn = op(
        "ledger.earn",
        "Earns points for a customer (points, type earn or bonus, idempotency_key, occurred_at, pending_days, "
        "expires_at, reason, metadata).",
    )
    earn_batch = op("ledger.earn_batch", "Earns for many events in one transaction; per-event results.")
    adjust = op("ledger.adjust", "Adds or removes points manually (scope admin).")
    reverse = op("ledger.reverse", "Reverses (part of) an earn entry under the program's return policy.")
    confirm = op("ledger.confirm", "Confirms pending points of an earn entry now.")
    balance = op("ledger.balance", "A customer's balance, available, pending and held points, lifetime earned and redeemed.")
    history = op("ledger.history", "A customer's ledger entries, newest first (types, from, to; cursor).")
    entry = op("ledger.entry", "One ledger entry by id.")
    redeem = op("ledger.redeem", "Spends points (nearest expiry first) into a redeem entry; never below zero.")
    refund = op("ledger.refund", "Refunds (part of) a redeem entry into its buckets with their original expiry.")
    expiring = op(
        "ledger.expiring", "Unreserved points expiring between after and before (tenant-wide or one customer; cursor)."
    )
    run_due = op("ledger.run_due", "Expires holds and buckets, releases pending points, reviews tiers.")
    verify = op(
        "ledger.verify", "Checks the ledger invariants of the tenant: ok, accounts_checked and the violations."
    )


class HoldOps(Namespace):
    """``hold.*``: reservations of points."""

    PREFIX = "hold"
    create = op("hold.create", "Reserves points (expires_at or ttl_seconds); counts against available.")
    commit = op("hold.commit", "Commits a hold (all or part of it) into a redeem entry.")
    void = op("hold.void", "Voids a hold: its points become available again.")
    get = op("hold.get", "One hold by id.")


class EventOps(Namespace):
    """``events.*``: the outbox of domain events, read with a cursor."""

    PREFIX = "events"
    poll = op("events.poll", "Events after a cursor (after, limit, types) in commit order; `next` is the new cursor.")


class TierOps(Namespace):
    """``tier.*``: tiers, the qualification policy, status and history."""

    PREFIX = "tier"
    policy_set = op("tier.policy.set", "Sets the program's qualification policy (metric, window, downgrade, grace).")
    policy_get = op("tier.policy.get", "The program's qualification policy.")
    create = op("tier.create", "Creates a tier (name, rank, threshold, benefits, invitation_only).")
    get = op("tier.get", "One tier by id.")
    list = op("tier.list", "The program's tiers by rank.")
    update = op("tier.update", "Changes a tier (name, threshold, benefits, icon_url, invitation_only).")
    assign = op("tier.assign", "Assigns a tier by hand until a date (tier_id null ends the assignment).")
    status = op("tier.status", "A customer's tier and progress to the next one.")
    history = op("tier.history", "A customer's tier changes, oldest first, with a cursor.")


class RuleOps(Namespace):
    """``rule.*``: earning rules (see docs/rules.md)."""

    PREFIX = "rule"
    create = op("rule.create", "Creates a rule (conditions, actions, priority, group, limits); validated.")
    get = op("rule.get", "One rule by id (or an earlier version).")
    list = op("rule.list", "Lists the program's rules, with a cursor.")
    update = op("rule.update", "Changes a rule; the version goes up.")
    activate = op("rule.activate", "Activates a rule.")
    deactivate = op("rule.deactivate", "Deactivates a rule.")


class PurchaseOps(Namespace):
    """``purchase.*``: purchases earn points by the rules, with an explain trace."""

    PREFIX = "purchase"
    submit = op("purchase.submit", "Submits a purchase (order_id is the idempotency key); points and explain.")
    dry_run = op("purchase.dry_run", "The same evaluation as submit, without writing.")
    return_ = op("purchase.return", "Returns a whole order or some items; reverses their points once.")


class LocationOps(Namespace):
    """``location.*``: locations with geofences."""

    PREFIX = "location"
    create = op("location.create", "Creates a location (point, radius or GeoJSON polygon fence, check-in policy).")
    get = op("location.get", "One location by id.")
    list = op("location.list", "Lists locations, with a cursor.")
    update = op("location.update", "Changes a location or its fence.")
    deactivate = op("location.deactivate", "Deactivates a location.")
    nearby = op("location.nearby", "Locations nearest to a point within N metres (geodesic).")
    within = op("location.within", "Locations inside a GeoJSON area (mode point or intersects).")


class CheckinOps(Namespace):
    """``checkin.*``: server-verified check-ins."""

    PREFIX = "checkin"
    submit = op("checkin.submit", "Submits a check-in; verified or rejected with a reason code.")
    get = op("checkin.get", "One check-in by id.")
    list = op("checkin.list", "Lists check-ins (by customer, location, status, fraud signals).")


class RewardOps(Namespace):
    """``reward.*``: the rewards catalog and redemption (one step or reserved)."""

    PREFIX = "reward"
    create = op("reward.create", "Creates a reward (cost, stock or unlimited, window, per-customer limit, tier).")
    get = op("reward.get", "One reward by id.")
    list = op("reward.list", "Lists rewards (category, available_now, affordable_for a customer; cursor).")
    update = op("reward.update", "Changes a reward's fields (null clears an optional one).")
    deactivate = op("reward.deactivate", "Deactivates a reward: no further redemptions.")
    stock = op("reward.stock", "Tops up or reduces the stock (delta), or sets it (stock); audited.")
    redeem = op("reward.redeem", "Redeems in one step: points, a unit and a coupon code, atomically.")
    reserve = op("reward.reserve", "Reserves a reward: a hold on the points and a unit, until it expires.")


class RedemptionOps(Namespace):
    """``redemption.*``: fulfilling, cancelling and finding redemptions."""

    PREFIX = "redemption"
    fulfil = op("redemption.fulfil", "Fulfils a reservation: its hold becomes a redeem entry.")
    cancel = op("redemption.cancel", "Cancels a reservation or a refundable fulfilled redemption; refunds once.")
    get = op("redemption.get", "One redemption by id.")
    by_code = op("redemption.by_code", "The redemption with a coupon code (for the cashier).")
    list = op("redemption.list", "A customer's redemptions, oldest first (reward, status; cursor).")


class AiOps(Namespace):
    """``ai.*``: AI providers, stored results reused until stale (docs/ai.md)."""

    PREFIX = "ai"
    configure = op("ai.configure", "Sets the tenant's AI provider (offline, openai, callback) and TTLs.")
    settings = op("ai.settings", "The tenant's AI settings (never the API key).")
    recommendations = op("ai.recommendations", "Ranked rewards and offers for a customer, with reasons.")
    churn = op("ai.churn", "A customer's churn risk, factors and suggested actions.")
    segments = op("ai.segments", "RFM segments of the tenant's customers; apply=True writes rfm: tags.")
    feedback = op("ai.feedback", "Sentiment, themes and a summary of one text or a batch.")
    location_insights = op("ai.location_insights", "Visit patterns, conversion and promotion windows per location.")
    refresh = op("ai.refresh", "Batch job: computes churn or recommendations for one page of customers.")


class AuditOps(Namespace):
    """``audit.*``: the hash-chained audit log (the tenant's, or the engine's on an admin handle)."""

    PREFIX = "audit"
    list = op("audit.list", "Audit records, oldest first (filters action, target, from, to; cursor).")
    verify = op("audit.verify", "Re-computes the hash chain; reports the first broken link.")


# ------------------------------------------------------------------------------------------
# Admin namespaces (engine-level operations)


class TenantOps(Namespace):
    """``tenant.*``: tenants (engine administrator only)."""

    PREFIX = "tenant"
    create = op(
        "tenant.create", "Creates a tenant (name, slug, timezone, settings) and its first admin API key (returned once)."
    )
    get = op("tenant.get", "One tenant by id.")
    list = op("tenant.list", "Lists tenants (filter: active), with a cursor.")
    update = op("tenant.update", "Changes a tenant's name, time zone or settings.")
    deactivate = op("tenant.deactivate", "Deactivates a tenant: its sessions lose access.")
    activate = op("tenant.activate", "Reactivates a tenant.")


class AdminApiKeyOps(Namespace):
    """``apikey.*`` on the admin handle: keys for any tenant."""

    PREFIX = "apikey"
    create = op("apikey.create", "Creates an API key for a tenant (tenant_id, name, scopes).")


T = TypeVar("T", bound=Namespace)


class namespace(Generic[T]):  # noqa: N801 (a descriptor used like a declaration)
    """Declares a namespace attribute on a handle class: ``ledger = namespace(LedgerOps)``."""

    __slots__ = ("cls", "attr")

    def __init__(self, cls: Type[T]) -> None:
        self.cls = cls
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, obj: None, owner: type) -> "namespace[T]": ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: Optional[object], owner: type) -> Any:
        if obj is None:
            return self
        # The native handle's call: a generated method is a functools.partial over it, with no
        # Python frame between the caller and the native module.
        ns = self.cls(obj._h.call, obj._known_op)  # type: ignore[attr-defined]
        obj.__dict__[self.attr] = ns  # cached per handle
        return ns


def declared_operations(handle_class: type) -> Dict[str, str]:
    """Operation name -> docstring for every ``op`` line reachable from a handle class's namespaces."""
    out: Dict[str, str] = {}
    for attr in vars(handle_class).values():
        if not isinstance(attr, namespace):
            continue
        for value in vars(attr.cls).values():
            if isinstance(value, op):
                out[value.name] = value.doc
    return out
