// The SQLite backend of the ledger's storage interface: every statement the ledger runs, as
// cached prepared statements on the unit of work's connection.
#include <nlohmann/json.hpp>

#include "ledger/ledger_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

// Statement texts are literals, joined at compile time: the statement cache is keyed by the text,
// and no call formats or concatenates one.
#define LOY_ACCOUNT_COLS                                                                                             \
  "id, customer_id, program_id, posted, pending, held, debt, lifetime_earned, lifetime_redeemed, last_activity_at, " \
  "created_at"

AccountRecord account_row(Query& q, int c = 0) {
  AccountRecord a;
  a.id = q.i64(c + 0);
  a.customer_id = q.text(c + 1);
  a.program_id = q.text(c + 2);
  a.posted = q.i64(c + 3);
  a.pending = q.i64(c + 4);
  a.held = q.i64(c + 5);
  a.debt = q.i64(c + 6);
  a.lifetime_earned = q.i64(c + 7);
  a.lifetime_redeemed = q.i64(c + 8);
  a.last_activity_at = q.opt_i64(c + 9);
  a.opened_at = q.i64(c + 10);
  return a;
}

// An entry's own columns (entry_row), then its view's (entry_view_row).
#define LOY_ENTRY_COLS                                                                                               \
  "e.id, e.tenant_id, e.account_id, e.type, e.points, e.status, e.bucket_id, e.ref_entry, e.ref_points, e.hold_id, " \
  "e.reason, e.metadata, e.occurred_at, e.recorded_at, e.posted_at"
#define LOY_ENTRY_VIEW                                                                                     \
  "SELECT " LOY_ENTRY_COLS                                                                                 \
  ", a.customer_id, a.program_id, b.expires_at, b.pending_until, e.seq FROM entries e JOIN accounts a ON " \
  "a.id = e.account_id LEFT JOIN buckets b ON b.id = e.bucket_id AND e.type IN ('earn', 'bonus', 'adjust') "

EntryRecord entry_row(Query& q) {
  EntryRecord e;
  e.id = q.text(0);
  e.tenant_id = q.text(1);
  e.account_id = q.i64(2);
  e.type = q.text(3);
  e.points = q.i64(4);
  e.status = q.text(5);
  e.bucket_id = q.opt_i64(6);
  e.ref_entry = q.opt_text(7);
  e.ref_points = q.opt_i64(8);
  e.hold_id = q.opt_text(9);
  e.reason = q.opt_text(10);
  e.metadata = q.opt_text(11);
  e.occurred_at = q.i64(12);
  e.recorded_at = q.i64(13);
  e.posted_at = q.opt_i64(14);
  return e;
}

EntryView entry_view_row(Query& q) {
  EntryView v;
  v.entry = entry_row(q);
  v.customer_id = q.text(15);
  v.program_id = q.text(16);
  v.expires_at = q.opt_i64(17);
  v.pending_until = q.opt_i64(18);
  v.seq = q.i64(19);
  return v;
}

// A hold's own columns (hold_row), then its view's (hold_view_row).
#define LOY_HOLD_COLS                                                                                          \
  "h.id, h.tenant_id, h.account_id, h.points, h.status, h.reason, h.expires_at, h.created_at, h.resolved_at, " \
  "h.entry_id"

HoldRecord hold_row(Query& q) {
  HoldRecord h;
  h.id = q.text(0);
  h.tenant_id = q.text(1);
  h.account_id = q.i64(2);
  h.points = q.i64(3);
  h.status = q.text(4);
  h.reason = q.opt_text(5);
  h.expires_at = q.i64(6);
  h.created_at = q.i64(7);
  h.resolved_at = q.opt_i64(8);
  h.entry_id = q.opt_text(9);
  return h;
}

HoldView hold_view_row(Query& q) { return {hold_row(q), q.text(10), q.text(11)}; }

int64_t scalar(Query&& q) {
  q.step();
  return q.i64(0);
}

std::vector<int64_t> ids(Query&& q) {
  std::vector<int64_t> out;
  while (q.step()) out.push_back(q.i64(0));
  return out;
}

std::vector<Slice> slices(Query&& q) {
  std::vector<Slice> out;
  while (q.step()) out.push_back({q.i64(0), q.i64(1)});
  return out;
}

std::vector<RowViolation> violations(Query&& q) {
  std::vector<RowViolation> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.i64(2), q.i64(3)});
  return out;
}

class SqliteLedgerStore final : public LedgerStore {
 public:
  explicit SqliteLedgerStore(Tx& tx) : tx_(tx) {}

  std::optional<AccountRecord> account(int64_t id) override {
    auto q = tx_.q("SELECT " LOY_ACCOUNT_COLS " FROM accounts WHERE id = ?1", id);
    if (!q.step()) return std::nullopt;
    return account_row(q);
  }

  std::optional<AccountRecord> find_account(const std::string& tenant, const std::string& customer,
                                            const std::string& program) override {
    auto q =
        tx_.q("SELECT " LOY_ACCOUNT_COLS " FROM accounts WHERE customer_id = ?1 AND program_id = ?2 AND tenant_id = ?3",
              customer, program, tenant);
    if (!q.step()) return std::nullopt;
    return account_row(q);
  }

  void save_account(const AccountRecord& a) override {
    tx_.q("UPDATE accounts SET posted = ?2, pending = ?3, held = ?4, debt = ?5, lifetime_earned = ?6, "
          "lifetime_redeemed = ?7, last_activity_at = ?8 WHERE id = ?1",
          a.id, a.posted, a.pending, a.held, a.debt, a.lifetime_earned, a.lifetime_redeemed, a.last_activity_at)
        .run();
  }

  int64_t add_bucket(const BucketRecord& b) override {
    tx_.q("INSERT INTO buckets(account_id, entry_id, original, remaining, state, expires_at, pending_until, "
          "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          b.account_id, b.entry_id, b.original, b.remaining, b.state, b.expires_at, b.pending_until, b.created_at)
        .run();
    return sqlite3_last_insert_rowid(tx_.conn().handle());
  }

  std::optional<BucketState> bucket(int64_t id) override {
    auto q = tx_.q("SELECT account_id, state, remaining, held, expires_at FROM buckets WHERE id = ?1", id);
    if (!q.step()) return std::nullopt;
    return BucketState{q.i64(0), q.text(1), q.i64(2), q.i64(3), q.opt_i64(4)};
  }

  std::vector<Slice> spendable(int64_t account, int64_t need, std::optional<int64_t> skip) override {
    // Read in full before the caller updates any bucket: a statement cannot stay open across them.
    std::vector<Slice> out;
    auto q = tx_.q(
        "SELECT id, remaining - held FROM buckets WHERE account_id = ?1 AND state = 'available' "
        "AND remaining > held ORDER BY expires_at IS NULL, expires_at, created_at, id",
        account);
    int64_t sum = 0;
    while (sum < need && q.step()) {
      if (skip && q.i64(0) == *skip) continue;
      out.push_back({q.i64(0), q.i64(1)});
      sum += q.i64(1);
    }
    return out;
  }

  void change_bucket(int64_t bucket, int64_t remaining_delta, int64_t held_delta) override {
    tx_.q("UPDATE buckets SET remaining = remaining + ?2, held = held + ?3 WHERE id = ?1", bucket, remaining_delta,
          held_delta)
        .run();
  }

  void release_pending(int64_t bucket, int64_t pay, Timestamp now) override {
    tx_.q("UPDATE entries SET status = 'posted', posted_at = ?2 WHERE bucket_id = ?1 AND status = 'pending'", bucket,
          now)
        .run();
    tx_.q("UPDATE buckets SET state = 'available', remaining = remaining - ?2 WHERE id = ?1", bucket, pay).run();
  }

  void append_entry(const EntryRecord& e) override {
    tx_.q("INSERT INTO entries(id, tenant_id, account_id, type, points, status, bucket_id, ref_entry, ref_points, "
          "hold_id, reason, metadata, occurred_at, recorded_at, posted_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
          e.id, e.tenant_id, e.account_id, e.type, e.points, e.status, e.bucket_id, e.ref_entry, e.ref_points,
          e.hold_id, e.reason, e.metadata, e.occurred_at, e.recorded_at, e.posted_at)
        .run();
  }

  std::optional<EntryRecord> find_entry(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_ENTRY_COLS " FROM entries e WHERE e.id = ?1 AND e.tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return entry_row(q);
  }

  std::optional<EntryView> entry_view(const std::string& id) override {
    auto q = tx_.q(LOY_ENTRY_VIEW "WHERE e.id = ?1", id);
    if (!q.step()) return std::nullopt;
    return entry_view_row(q);
  }

  std::vector<EntryView> history(const HistoryQuery& h) override {
    std::optional<std::string> types;
    if (!h.types.empty()) types = nlohmann::json(h.types).dump();
    auto q = tx_.q(LOY_ENTRY_VIEW
                   "WHERE e.account_id = ?1 AND e.seq < ?2 AND (?3 IS NULL OR e.type IN (SELECT value FROM "
                   "json_each(?3))) AND (?4 IS NULL OR e.occurred_at >= ?4) AND (?5 IS NULL OR e.occurred_at < "
                   "?5) ORDER BY e.seq DESC LIMIT ?6",
                   h.account_id, h.before_seq, types, h.from, h.to, h.limit + 1);
    std::vector<EntryView> out;
    while (q.step()) out.push_back(entry_view_row(q));
    return out;
  }

  int64_t reversed_points(const std::string& entry) override {
    return scalar(
        tx_.q("SELECT COALESCE(SUM(ref_points), 0) FROM entries WHERE ref_entry = ?1 AND type = 'reverse'", entry));
  }

  int64_t waived_points(const std::string& entry) override {
    return scalar(tx_.q(
        "SELECT COALESCE(SUM(ref_points + points), 0) FROM entries WHERE ref_entry = ?1 AND type = 'reverse'", entry));
  }

  int64_t refunded_points(const std::string& entry) override {
    return scalar(
        tx_.q("SELECT COALESCE(SUM(points), 0) FROM entries WHERE ref_entry = ?1 AND type = 'refund'", entry));
  }

  int64_t expired_points(int64_t bucket) override {
    return scalar(
        tx_.q("SELECT COALESCE(SUM(al.points), 0) FROM allocations al JOIN entries x ON x.id = al.entry_id "
              "WHERE al.bucket_id = ?1 AND x.type = 'expire'",
              bucket));
  }

  void allocate(const std::string& entry, int64_t bucket, int64_t points) override {
    tx_.q("INSERT INTO allocations(entry_id, bucket_id, points) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(entry_id, bucket_id) DO UPDATE SET points = points + excluded.points",
          entry, bucket, points)
        .run();
  }

  std::vector<Slice> refundable_slices(const std::string& entry) override {
    return slices(
        tx_.q("SELECT al.bucket_id, al.points - COALESCE((SELECT SUM(r.points) FROM allocations r JOIN entries x ON "
              "x.id = r.entry_id WHERE x.ref_entry = ?1 AND x.type = 'refund' AND r.bucket_id = al.bucket_id), 0) "
              "FROM allocations al JOIN buckets b ON b.id = al.bucket_id WHERE al.entry_id = ?1 "
              "ORDER BY b.expires_at IS NULL DESC, b.expires_at DESC, b.created_at DESC, b.id DESC",
              entry));
  }

  void insert_hold(const HoldRecord& h) override {
    tx_.q("INSERT INTO holds(id, tenant_id, account_id, points, status, reason, expires_at, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          h.id, h.tenant_id, h.account_id, h.points, h.status, h.reason, h.expires_at, h.created_at)
        .run();
  }

  std::optional<HoldRecord> find_hold(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_HOLD_COLS " FROM holds h WHERE h.id = ?1 AND h.tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return hold_row(q);
  }

  std::optional<HoldView> hold_view(const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_HOLD_COLS
                   ", a.customer_id, a.program_id FROM holds h JOIN accounts a ON "
                   "a.id = h.account_id WHERE h.id = ?1",
                   id);
    if (!q.step()) return std::nullopt;
    return hold_view_row(q);
  }

  void reserve(const std::string& hold, int64_t bucket, int64_t points) override {
    tx_.q("INSERT INTO hold_allocations(hold_id, bucket_id, points) VALUES(?1, ?2, ?3)", hold, bucket, points).run();
  }

  std::vector<Slice> hold_slices(const std::string& hold) override {
    return slices(
        tx_.q("SELECT ha.bucket_id, ha.points FROM hold_allocations ha JOIN buckets b ON b.id = ha.bucket_id "
              "WHERE ha.hold_id = ?1 ORDER BY b.expires_at IS NULL, b.expires_at, b.created_at, b.id",
              hold));
  }

  void resolve_hold(const std::string& id, const std::string& status, Timestamp at,
                    const std::optional<std::string>& entry) override {
    tx_.q("UPDATE holds SET status = ?2, resolved_at = ?3, entry_id = COALESCE(?4, entry_id) WHERE id = ?1", id, status,
          at, entry)
        .run();
  }

  bool anything_due(int64_t account, Timestamp cutoff) override {
    return scalar(tx_.q("SELECT EXISTS(SELECT 1 FROM holds WHERE account_id = ?1 AND status = 'active' AND "
                        "expires_at <= ?2) OR EXISTS(SELECT 1 FROM buckets WHERE account_id = ?1 AND state = "
                        "'pending' AND pending_until <= ?2) OR EXISTS(SELECT 1 FROM buckets WHERE account_id = ?1 "
                        "AND state = 'available' AND expires_at <= ?2 AND remaining > held)",
                        account, cutoff)) != 0;
  }

  std::vector<std::string> due_holds(int64_t account, Timestamp cutoff) override {
    std::vector<std::string> out;
    auto q = tx_.q("SELECT id FROM holds WHERE account_id = ?1 AND status = 'active' AND expires_at <= ?2 ORDER BY seq",
                   account, cutoff);
    while (q.step()) out.push_back(q.text(0));
    return out;
  }

  std::vector<Slice> due_pending(int64_t account, Timestamp cutoff) override {
    return slices(
        tx_.q("SELECT id, remaining FROM buckets WHERE account_id = ?1 AND state = 'pending' AND pending_until <= ?2 "
              "ORDER BY id",
              account, cutoff));
  }

  std::vector<int64_t> due_expiries(int64_t account, Timestamp cutoff) override {
    return ids(
        tx_.q("SELECT id FROM buckets WHERE account_id = ?1 AND state = 'available' AND expires_at <= ?2 AND "
              "remaining > held ORDER BY expires_at, id",
              account, cutoff));
  }

  std::vector<int64_t> unreserved_buckets(int64_t account) override {
    return ids(
        tx_.q("SELECT id FROM buckets WHERE account_id = ?1 AND state = 'available' AND remaining > held ORDER BY id",
              account));
  }

  std::vector<int64_t> accounts_due(const std::string& tenant, Timestamp cutoff) override {
    return ids(tx_.q(
        "SELECT account_id FROM holds WHERE tenant_id = ?1 AND status = 'active' AND expires_at <= ?2 "
        "UNION SELECT b.account_id FROM buckets b JOIN accounts a ON a.id = b.account_id WHERE a.tenant_id = ?1 AND "
        "((b.state = 'pending' AND b.pending_until <= ?2) OR "
        "(b.state = 'available' AND b.expires_at <= ?2 AND b.remaining > b.held)) "
        "UNION SELECT a.id FROM accounts a JOIN programs p ON p.id = a.program_id WHERE a.tenant_id = ?1 AND "
        "p.expiry_kind = 'inactivity' AND a.last_activity_at <= ?2 - p.expiry_value * 86400000 AND EXISTS(SELECT 1 "
        "FROM buckets WHERE account_id = a.id AND state = 'available' AND remaining > held) ORDER BY 1",
        tenant, cutoff));
  }

  std::vector<ExpiringItem> expiring(const ExpiringQuery& e) override {
    auto q = tx_.q(
        "SELECT b.id, b.expires_at, b.remaining - b.held, b.entry_id, a.customer_id, a.program_id FROM buckets b "
        "JOIN accounts a ON a.id = b.account_id WHERE b.state = 'available' AND b.expires_at IS NOT NULL AND "
        "b.expires_at < ?1 AND (b.expires_at > ?2 OR (b.expires_at = ?2 AND b.id > ?3)) AND b.remaining > b.held AND "
        "a.tenant_id = ?4 AND (?5 IS NULL OR b.account_id = ?5) ORDER BY b.expires_at, b.id LIMIT ?6",
        e.before, e.after, e.after_bucket, e.tenant_id, e.account_id, e.limit + 1);
    std::vector<ExpiringItem> out;
    while (q.step()) out.push_back({q.i64(0), q.i64(1), q.i64(2), q.text(3), q.text(4), q.text(5)});
    return out;
  }

  std::vector<AccountTotals> account_totals(const std::string& tenant) override {
    auto q = tx_.q(
        "SELECT a.id, a.customer_id, a.program_id, a.posted, a.pending, a.held, a.debt, a.lifetime_earned, "
        "a.lifetime_redeemed, a.last_activity_at, a.created_at, p.allow_negative OR p.return_policy = 'unlimited', "
        "(SELECT COALESCE(SUM(points), 0) FROM entries WHERE account_id = a.id AND status = 'posted'), "
        "(SELECT COALESCE(SUM(points), 0) FROM entries WHERE account_id = a.id AND status = 'pending'), "
        "(SELECT COALESCE(SUM(remaining), 0) FROM buckets WHERE account_id = a.id AND state = 'available'), "
        "(SELECT COALESCE(SUM(remaining), 0) FROM buckets WHERE account_id = a.id AND state = 'pending'), "
        "(SELECT COALESCE(SUM(held), 0) FROM buckets WHERE account_id = a.id), "
        "(SELECT COALESCE(SUM(points), 0) FROM holds WHERE account_id = a.id AND status = 'active'), "
        "(SELECT COALESCE(SUM(CASE WHEN type = 'reverse' THEN -ref_points ELSE points END), 0) FROM entries "
        "WHERE account_id = a.id AND type IN ('earn', 'bonus', 'reverse')), "
        "(SELECT COALESCE(-SUM(points), 0) FROM entries WHERE account_id = a.id AND type IN ('redeem', 'refund')), "
        "(SELECT COUNT(*) FROM buckets WHERE account_id = a.id AND (remaining < 0 OR held < 0 OR held > remaining OR "
        "remaining > original)), "
        "(SELECT COUNT(*) FROM entries WHERE account_id = a.id AND type = 'reverse' AND (ref_points IS NULL OR "
        "ref_points <= 0 OR -points > ref_points OR points > 0)) "
        "FROM accounts a JOIN programs p ON p.id = a.program_id WHERE a.tenant_id = ?1 ORDER BY a.id",
        tenant);
    std::vector<AccountTotals> out;
    while (q.step()) {
      AccountTotals t;
      t.account = account_row(q);
      t.may_go_negative = q.i64(11) != 0;
      t.posted_entries = q.i64(12);
      t.pending_entries = q.i64(13);
      t.available_buckets = q.i64(14);
      t.pending_buckets = q.i64(15);
      t.bucket_reservations = q.i64(16);
      t.active_holds = q.i64(17);
      t.earned_net = q.i64(18);
      t.redeemed_net = q.i64(19);
      t.malformed_buckets = q.i64(20);
      t.malformed_reversals = q.i64(21);
      out.push_back(std::move(t));
    }
    return out;
  }

  std::vector<RowViolation> over_reversed(const std::string& tenant) override {
    return violations(
        tx_.q("SELECT a.customer_id, a.program_id, e.points, (SELECT COALESCE(SUM(ref_points), 0) FROM entries r WHERE "
              "r.ref_entry = e.id AND r.type = 'reverse') AS reversed FROM entries e JOIN accounts a ON a.id = "
              "e.account_id WHERE e.tenant_id = ?1 AND e.type IN ('earn', 'bonus') AND e.points < reversed",
              tenant));
  }

  std::vector<RowViolation> over_refunded(const std::string& tenant) override {
    return violations(
        tx_.q("SELECT a.customer_id, a.program_id, -e.points, (SELECT COALESCE(SUM(r.points), 0) FROM entries r WHERE "
              "r.ref_entry = e.id AND r.type = 'refund') AS refunded FROM entries e JOIN accounts a ON a.id = "
              "e.account_id WHERE e.tenant_id = ?1 AND e.type = 'redeem' AND -e.points < refunded",
              tenant));
  }

  std::vector<RowViolation> unbalanced_holds(const std::string& tenant) override {
    return violations(
        tx_.q("SELECT a.customer_id, a.program_id, h.points, (SELECT COALESCE(SUM(points), 0) FROM hold_allocations "
              "WHERE hold_id = h.id) AS alloc FROM holds h JOIN accounts a ON a.id = h.account_id WHERE "
              "h.tenant_id = ?1 AND h.status = 'active' AND h.points != alloc",
              tenant));
  }

  std::optional<IdempotencyRecord> idempotency(const std::string& tenant, const std::string& key) override {
    auto q =
        tx_.q("SELECT operation, request, response FROM idempotency WHERE tenant_id = ?1 AND key = ?2", tenant, key);
    if (!q.step()) return std::nullopt;
    return IdempotencyRecord{q.text(0), q.text(1), q.text(2)};
  }

  void put_idempotency(const std::string& tenant, const std::string& key, const IdempotencyRecord& r,
                       Timestamp now) override {
    tx_.q("INSERT INTO idempotency(tenant_id, key, operation, request, response, created_at) VALUES(?1, ?2, ?3, ?4, "
          "?5, ?6)",
          tenant, key, r.operation, r.request, r.response, now)
        .run();
  }

 private:
  Tx& tx_;
};

}  // namespace

LedgerStore& Tx::ledger() {
  if (!ledger_) ledger_ = std::make_unique<SqliteLedgerStore>(*this);
  return *ledger_;
}

#undef LOY_ACCOUNT_COLS
#undef LOY_ENTRY_COLS
#undef LOY_ENTRY_VIEW
#undef LOY_HOLD_COLS

}  // namespace loyalty::storage
