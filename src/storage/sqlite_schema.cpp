// Versioned schema migrations for the SQLite backend. Each entry upgrades user_version by one;
// never edit a shipped migration, append a new one. Tables are append-mostly and rows are
// never deleted, so plain INTEGER PRIMARY KEY rowids are monotonic (no AUTOINCREMENT, which
// would rewrite sqlite_sequence on every insert).
#include <fmt/format.h>

#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

constexpr const char* kMigrations[] = {
    // 1: foundation (tenants, keys, programs, customers, accounts, ledger, holds, idempotency, audit)
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE tenants(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  timezone TEXT NOT NULL,
  active INTEGER NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);

CREATE TABLE api_keys(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, seq);

CREATE TABLE programs(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  currency TEXT NOT NULL,
  rounding TEXT NOT NULL,
  return_policy TEXT NOT NULL,
  expiry_kind TEXT NOT NULL,
  expiry_value INTEGER NOT NULL,
  pending_days INTEGER NOT NULL,
  max_balance INTEGER,
  allow_negative INTEGER NOT NULL,
  active INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE(tenant_id, name));
CREATE INDEX programs_tenant ON programs(tenant_id, seq);

CREATE TABLE customers(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  external_id TEXT NOT NULL,
  profile TEXT NOT NULL,
  preferences TEXT NOT NULL,
  segments TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE(tenant_id, external_id));
CREATE INDEX customers_tenant ON customers(tenant_id, seq);

CREATE TABLE accounts(
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  program_id TEXT NOT NULL REFERENCES programs(id),
  posted INTEGER NOT NULL DEFAULT 0,
  pending INTEGER NOT NULL DEFAULT 0,
  held INTEGER NOT NULL DEFAULT 0,
  debt INTEGER NOT NULL DEFAULT 0,
  lifetime_earned INTEGER NOT NULL DEFAULT 0,
  lifetime_redeemed INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE(customer_id, program_id));
CREATE INDEX accounts_program ON accounts(program_id, last_activity_at);

CREATE TABLE entries(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  type TEXT NOT NULL,
  points INTEGER NOT NULL,
  status TEXT NOT NULL,
  bucket_id INTEGER,
  ref_entry TEXT,
  ref_points INTEGER,
  hold_id TEXT,
  reason TEXT,
  metadata TEXT,
  occurred_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  posted_at INTEGER);
CREATE INDEX entries_account ON entries(account_id, seq);
CREATE INDEX entries_ref ON entries(ref_entry) WHERE ref_entry IS NOT NULL;
CREATE INDEX entries_pending ON entries(bucket_id) WHERE status = 'pending';
CREATE TRIGGER entries_immutable BEFORE UPDATE OF seq, id, tenant_id, account_id, type, points, bucket_id, ref_entry,
  ref_points, hold_id, reason, metadata, occurred_at, recorded_at ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
CREATE TRIGGER entries_status BEFORE UPDATE OF status, posted_at ON entries
  WHEN NOT (OLD.status = 'pending' AND NEW.status = 'posted')
BEGIN SELECT RAISE(ABORT, 'only a pending entry can become posted'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;

CREATE TABLE buckets(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  entry_id TEXT NOT NULL,
  original INTEGER NOT NULL,
  remaining INTEGER NOT NULL CHECK(remaining >= 0),
  held INTEGER NOT NULL DEFAULT 0 CHECK(held >= 0 AND held <= remaining),
  state TEXT NOT NULL,
  expires_at INTEGER,
  pending_until INTEGER,
  created_at INTEGER NOT NULL);
CREATE INDEX buckets_spend ON buckets(account_id, state, expires_at);
CREATE INDEX buckets_expiry ON buckets(expires_at) WHERE state = 'available' AND expires_at IS NOT NULL;
CREATE INDEX buckets_pending ON buckets(pending_until) WHERE state = 'pending';

CREATE TABLE allocations(
  entry_id TEXT NOT NULL,
  bucket_id INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY(entry_id, bucket_id)) WITHOUT ROWID;
CREATE INDEX allocations_bucket ON allocations(bucket_id);

CREATE TABLE holds(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  points INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  entry_id TEXT);
CREATE INDEX holds_due ON holds(expires_at) WHERE status = 'active';
CREATE INDEX holds_account ON holds(account_id, status);

CREATE TABLE hold_allocations(
  hold_id TEXT NOT NULL,
  bucket_id INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY(hold_id, bucket_id)) WITHOUT ROWID;

CREATE TABLE idempotency(
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  operation TEXT NOT NULL,
  request TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(tenant_id, key)) WITHOUT ROWID;

CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY,
  chain TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  at INTEGER NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE INDEX audit_chain ON audit_log(chain, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql",
    // 2: ledger write path, fewer pages per commit. The idempotency record becomes a rowid table
    // (appended in time order) with a small unique index, instead of a WITHOUT ROWID b-tree whose
    // large rows, inserted at random keys, split and overflowed several pages per write; and the
    // accounts index no longer includes last_activity_at, which every write changed.
    R"sql(
CREATE TABLE idempotency_v2(
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  operation TEXT NOT NULL,
  request TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL);
INSERT INTO idempotency_v2(tenant_id, key, operation, request, response, created_at)
  SELECT tenant_id, key, operation, request, response, created_at FROM idempotency ORDER BY created_at;
DROP TABLE idempotency;
ALTER TABLE idempotency_v2 RENAME TO idempotency;
CREATE UNIQUE INDEX idempotency_key ON idempotency(tenant_id, key);

DROP INDEX accounts_program;
CREATE INDEX accounts_program ON accounts(program_id);
)sql",
    // 3: events (the outbox). One b-tree clustered by (tenant, sequence): an event appends to its
    // tenant's range, one page per commit. Sequences are per tenant and follow commit order
    // because writers are serialised. Event ids are random and looked up by nobody: no index.
    R"sql(
CREATE TABLE events(
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(tenant_id, seq)) WITHOUT ROWID;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
)sql",
    // 4: tiers (definitions, the program's qualification policy, qualifying activity per account
    // and local day, each account's current tier, tier history)
    R"sql(
CREATE TABLE tier_policies(
  program_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  window_kind TEXT NOT NULL,
  window_months INTEGER NOT NULL,
  downgrade TEXT NOT NULL,
  grace_days INTEGER NOT NULL,
  notice_days INTEGER NOT NULL,
  updated_at INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE tiers(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL REFERENCES programs(id),
  name TEXT NOT NULL,
  rank INTEGER NOT NULL,
  threshold INTEGER NOT NULL,
  benefits TEXT NOT NULL,
  icon_url TEXT,
  invitation_only INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE(program_id, rank),
  UNIQUE(program_id, name));

CREATE TABLE tier_activity(
  account_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  points INTEGER NOT NULL DEFAULT 0,
  spend INTEGER NOT NULL DEFAULT 0,
  visits INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(account_id, day)) WITHOUT ROWID;

CREATE TABLE account_tiers(
  account_id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  tier_id TEXT,
  since INTEGER NOT NULL,
  manual INTEGER NOT NULL DEFAULT 0,
  manual_until INTEGER,
  window_end INTEGER,
  grace_until INTEGER,
  noticed_at INTEGER,
  updated_at INTEGER NOT NULL);
CREATE INDEX account_tiers_due ON account_tiers(program_id, window_end);

CREATE TABLE tier_history(
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  account_id INTEGER NOT NULL,
  from_tier TEXT,
  to_tier TEXT,
  reason TEXT NOT NULL,
  metric INTEGER NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX tier_history_account ON tier_history(account_id, seq);
)sql",
    // 5: rules (src/rules/): rules with their versions, the per-program rules generation that
    // invalidates compiled plans, stateful limit counters, and purchases with their items,
    // the rule versions they used and their returns.
    R"sql(
CREATE TABLE rules(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  active INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX rules_program ON rules(program_id, seq);
CREATE INDEX rules_tenant ON rules(tenant_id, seq);
CREATE TABLE rule_versions(
  rule_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(rule_id, version)) WITHOUT ROWID;
CREATE TABLE rule_generations(
  program_id TEXT PRIMARY KEY,
  generation INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE rule_counters(
  rule_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  period TEXT NOT NULL,
  period_key INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY(rule_id, customer_id, period, period_key)) WITHOUT ROWID;
CREATE TABLE rule_awards(
  rule_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  last_award_at INTEGER NOT NULL,
  PRIMARY KEY(rule_id, customer_id)) WITHOUT ROWID;
CREATE TABLE rule_budgets(
  rule_id TEXT PRIMARY KEY,
  issued INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE purchases(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  points INTEGER NOT NULL,
  entry_id TEXT,
  items_total INTEGER NOT NULL,
  has_items INTEGER NOT NULL,
  reversed_points INTEGER NOT NULL DEFAULT 0,
  returned_value INTEGER NOT NULL DEFAULT 0,
  fully_returned INTEGER NOT NULL DEFAULT 0,
  request TEXT NOT NULL,
  result TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE(tenant_id, order_id));
CREATE INDEX purchases_customer ON purchases(customer_id, program_id, occurred_at);
CREATE TABLE purchase_items(
  purchase_id TEXT NOT NULL,
  line INTEGER NOT NULL,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price INTEGER NOT NULL,
  returned INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(purchase_id, line)) WITHOUT ROWID;
CREATE TABLE purchase_rules(
  purchase_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  rule_version INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY(purchase_id, rule_id)) WITHOUT ROWID;
CREATE TABLE purchase_returns(
  purchase_id TEXT NOT NULL,
  return_id TEXT NOT NULL,
  request TEXT NOT NULL,
  result TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(purchase_id, return_id)) WITHOUT ROWID;
)sql",
    // 6: locations (module locations): locations with their geofences, the spatial index, the
    // per-tenant generation of the location set (checked by every check-in so an in-memory
    // index built by another process or connection is never stale), and check-ins.
    R"sql(
CREATE TABLE locations(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  fence TEXT NOT NULL,
  geom BLOB,
  checkin TEXT NOT NULL,
  metadata TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX locations_tenant ON locations(tenant_id, seq);
CREATE VIRTUAL TABLE locations_rtree USING rtree(seq, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE location_generations(
  tenant_id TEXT PRIMARY KEY,
  generation INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE checkins(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  location_id TEXT,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  accuracy_m REAL NOT NULL,
  device TEXT NOT NULL,
  mock INTEGER NOT NULL,
  occurred_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  flags TEXT NOT NULL,
  distance_m REAL,
  speed_kmh REAL,
  points INTEGER NOT NULL,
  entry_id TEXT,
  created_at INTEGER NOT NULL);
CREATE INDEX checkins_customer ON checkins(tenant_id, customer_id, seq);
CREATE INDEX checkins_tenant ON checkins(tenant_id, seq);
CREATE INDEX checkins_travel ON checkins(customer_id, occurred_at) WHERE status = 'verified';
CREATE INDEX checkins_cooldown ON checkins(customer_id, location_id, occurred_at) WHERE status = 'verified';
)sql",
    // 7: location rules: the rule versions a verified check-in used and the points each gave
    // (like purchase_rules for purchases).
    R"sql(
CREATE TABLE checkin_rules(
  checkin_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  rule_version INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY(checkin_id, rule_id)) WITHOUT ROWID;
)sql",
    // 8: rewards (src/rewards/): the catalog and its redemptions. `stock` is what is left (NULL:
    // unlimited); `stock_supplied` is the initial stock plus top-ups minus reductions, so
    // stock_supplied - active redemptions (reserved, fulfilled) = stock.
    R"sql(
CREATE TABLE rewards(
  reward_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL REFERENCES programs(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  image_url TEXT,
  category TEXT,
  cost_points INTEGER NOT NULL CHECK(cost_points > 0),
  stock INTEGER CHECK(stock IS NULL OR stock >= 0),
  stock_supplied INTEGER,
  starts_at INTEGER,
  ends_at INTEGER,
  min_tier_id TEXT,
  per_customer_limit INTEGER,
  limit_period TEXT,
  reservation_ttl_s INTEGER NOT NULL,
  refundable INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX rewards_tenant ON rewards(tenant_id, seq);

CREATE TABLE redemptions(
  redemption_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL,
  reward_id TEXT NOT NULL REFERENCES rewards(reward_id),
  customer_id TEXT NOT NULL,
  account_id INTEGER NOT NULL,
  points INTEGER NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('reserved', 'fulfilled', 'cancelled', 'expired')),
  coupon_code TEXT NOT NULL UNIQUE,
  hold_id TEXT,
  entry_id TEXT,
  refund_entry_id TEXT,
  expires_at INTEGER,
  occurred_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  fulfilled_at INTEGER,
  cancelled_at INTEGER,
  expired_at INTEGER,
  updated_at INTEGER NOT NULL);
CREATE INDEX redemptions_customer ON redemptions(tenant_id, customer_id, seq);
CREATE INDEX redemptions_limit ON redemptions(reward_id, customer_id, occurred_at);
CREATE INDEX redemptions_reward ON redemptions(reward_id, status);
CREATE INDEX redemptions_due ON redemptions(tenant_id, expires_at) WHERE status = 'reserved';
)sql",
    // 9: AI (src/ai/): per-tenant provider settings (kind, TTLs, provider configuration, the salt
    // of the pseudonymous ids) and the stored results, reused until expires_at.
    R"sql(
CREATE TABLE ai_settings(
  tenant_id TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  ttl TEXT NOT NULL,
  config TEXT NOT NULL,
  salt TEXT NOT NULL,
  updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE ai_results(
  tenant_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  subject TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  output TEXT NOT NULL,
  PRIMARY KEY(tenant_id, operation, subject)) WITHOUT ROWID;
)sql",
    // 10: analytics rollups (src/analytics/, docs/analytics.md): counters per (tenant, program,
    // local day), activity per (tenant, program, local day, customer), the watermarks up to which
    // entries, accounts and customers were folded, and the zone each tenant's days are in. Derived
    // data, caught up by the analytics operations (never by the ledger's writes); program_id ''
    // holds the tenant-wide rows.
    R"sql(
CREATE TABLE analytics_marks(
  source TEXT PRIMARY KEY,
  seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE analytics_zones(
  tenant_id TEXT PRIMARY KEY,
  timezone TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE analytics_days(
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  issued INTEGER NOT NULL DEFAULT 0,
  issued_count INTEGER NOT NULL DEFAULT 0,
  redeemed INTEGER NOT NULL DEFAULT 0,
  redeemed_count INTEGER NOT NULL DEFAULT 0,
  refunded INTEGER NOT NULL DEFAULT 0,
  reversed INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  adjusted_credit INTEGER NOT NULL DEFAULT 0,
  adjusted_debit INTEGER NOT NULL DEFAULT 0,
  net INTEGER NOT NULL DEFAULT 0,
  enrolled INTEGER NOT NULL DEFAULT 0,
  entries INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(tenant_id, program_id, day)) WITHOUT ROWID;
CREATE TABLE analytics_activity(
  tenant_id TEXT NOT NULL,
  program_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  PRIMARY KEY(tenant_id, program_id, day, customer_id)) WITHOUT ROWID;
)sql",
    // 11: personal data (docs/security.md): a customer's personal profile fields sealed under
    // the customer's key (`personal`), the erasure time, the wrapped tenant data keys and
    // customer keys (the master key never is in the file), and the blind index of e-mails and
    // phones (HMAC under a key derived from the tenant key).
    R"sql(
ALTER TABLE customers ADD COLUMN personal TEXT;
ALTER TABLE customers ADD COLUMN erased_at INTEGER;
CREATE TABLE tenant_keys(
  tenant_id TEXT PRIMARY KEY,
  wrapped TEXT NOT NULL,
  created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE customer_keys(
  customer_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  wrapped TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE customer_lookup(
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  hash TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  PRIMARY KEY(tenant_id, kind, hash, customer_id)) WITHOUT ROWID;
CREATE INDEX customer_lookup_customer ON customer_lookup(customer_id);
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

int user_version(Connection& c) {
  Query q(c, "PRAGMA user_version");
  return q.step() ? static_cast<int>(q.i64(0)) : 0;
}

}  // namespace

int schema_version() { return kSchemaVersion; }

void migrate(Pool& pool, int target) {
  if (target < 0 || target > kSchemaVersion) target = kSchemaVersion;
  for (;;) {
    Tx tx(pool, TxMode::write);
    const int v = user_version(tx.conn());
    if (v > kSchemaVersion)
      throw Error(Status::storage, fmt::format("database schema version {} is newer than this library supports ({})", v,
                                               kSchemaVersion));
    if (v >= target) return;
    tx.conn().exec(kMigrations[v]);
    tx.conn().exec(fmt::format("PRAGMA user_version={}", v + 1).c_str());
    tx.commit();
  }
}

}  // namespace loyalty::storage
