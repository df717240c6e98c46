// The SQLite backend of TierStore: tier policies, tiers, qualifying activity per account and
// local day, account tier state and tier history.

#include <fmt/format.h>

#include "storage/sqlite.hpp"
#include "tiers/tier_store.hpp"

namespace loyalty::storage {
namespace {

#define LOY_POLICY_COLS \
  "program_id, tenant_id, metric, window_kind, window_months, downgrade, grace_days, notice_days, updated_at"

TierPolicyRecord policy_row(Query& q) {
  return {q.text(0), q.text(1), q.text(2), q.text(3), q.i64(4), q.text(5), q.i64(6), q.i64(7), q.i64(8)};
}

#define LOY_TIER_COLS \
  "id, tenant_id, program_id, name, rank, threshold, benefits, icon_url, invitation_only, created_at, updated_at"

TierRecord tier_row(Query& q) {
  return {q.text(0), q.text(1),     q.text(2),     q.text(3), q.i64(4), q.i64(5),
          q.text(6), q.opt_text(7), q.i64(8) != 0, q.i64(9),  q.i64(10)};
}

#define LOY_ACCOUNT_TIER_COLS                                                                                     \
  "account_id, tenant_id, program_id, customer_id, opened_at, tier_id, since, manual, manual_until, window_end, " \
  "grace_until, noticed_at"

AccountTierRecord account_tier_row(Query& q) {
  return {q.i64(0), q.text(1),     q.text(2),    q.text(3),    q.i64(4),      q.opt_text(5),
          q.i64(6), q.i64(7) != 0, q.opt_i64(8), q.opt_i64(9), q.opt_i64(10), q.opt_i64(11)};
}

// One statement per metric column (the texts stay compile-time constants).
#define LOY_ACTIVITY_SUM(col) \
  "SELECT COALESCE(SUM(" col "), 0) FROM tier_activity WHERE account_id = ?1 AND day >= ?2 AND day < ?3"
#define LOY_ACTIVITY_ADD(col)                          \
  "INSERT INTO tier_activity(account_id, day, " col    \
  ") VALUES(?1, ?2, ?3) ON CONFLICT(account_id, day) " \
  "DO UPDATE SET " col " = " col " + excluded." col

struct MetricStatements {
  const char* sum;
  const char* add;
};

MetricStatements metric_statements(const std::string& metric) {
  if (metric == "points") return {LOY_ACTIVITY_SUM("points"), LOY_ACTIVITY_ADD("points")};
  if (metric == "spend") return {LOY_ACTIVITY_SUM("spend"), LOY_ACTIVITY_ADD("spend")};
  if (metric == "visits") return {LOY_ACTIVITY_SUM("visits"), LOY_ACTIVITY_ADD("visits")};
  throw Error(Status::error, fmt::format("unknown tier metric '{}'", metric));
}

class SqliteTierStore final : public TierStore {
 public:
  explicit SqliteTierStore(Tx& tx) : tx_(tx) {}

  std::optional<TierPolicyRecord> policy(const std::string& tenant, const std::string& program) override {
    auto q = tx_.q("SELECT " LOY_POLICY_COLS " FROM tier_policies WHERE program_id = ?1 AND tenant_id = ?2", program,
                   tenant);
    if (!q.step()) return std::nullopt;
    return policy_row(q);
  }

  void put_policy(const TierPolicyRecord& p) override {
    tx_.q("INSERT INTO tier_policies(" LOY_POLICY_COLS
          ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(program_id) DO UPDATE SET "
          "metric = excluded.metric, window_kind = excluded.window_kind, window_months = excluded.window_months, "
          "downgrade = excluded.downgrade, grace_days = excluded.grace_days, notice_days = excluded.notice_days, "
          "updated_at = excluded.updated_at WHERE tier_policies.tenant_id = excluded.tenant_id",
          p.program_id, p.tenant_id, p.metric, p.window_kind, p.window_months, p.downgrade, p.grace_days, p.notice_days,
          p.updated_at)
        .run();
  }

  std::vector<std::string> policy_programs(const std::string& tenant,
                                           const std::optional<std::string>& metric) override {
    auto q = tx_.q(
        "SELECT program_id FROM tier_policies WHERE tenant_id = ?1 AND (?2 IS NULL OR metric = ?2) "
        "ORDER BY program_id",
        tenant, metric);
    return collect(q, [](Query& r) { return r.text(0); });
  }

  void insert_tier(const TierRecord& t) override {
    tx_.q("INSERT INTO tiers(" LOY_TIER_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", t.id,
          t.tenant_id, t.program_id, t.name, t.rank, t.threshold, t.benefits, t.icon_url, t.invitation_only,
          t.created_at, t.updated_at)
        .run();
  }

  std::optional<TierRecord> tier(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_TIER_COLS " FROM tiers WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return tier_row(q);
  }

  std::vector<TierRecord> tiers(const std::string& tenant, const std::string& program) override {
    auto q = tx_.q("SELECT " LOY_TIER_COLS " FROM tiers WHERE program_id = ?1 AND tenant_id = ?2 ORDER BY rank",
                   program, tenant);
    return collect(q, tier_row);
  }

  void update_tier(const TierUpdate& u) override {
    tx_.q("UPDATE tiers SET name = ?3, threshold = ?4, benefits = ?5, icon_url = ?6, invitation_only = ?7, "
          "updated_at = ?8 WHERE id = ?1 AND tenant_id = ?2",
          u.id, u.tenant_id, u.name, u.threshold, u.benefits, u.icon_url, u.invitation_only, u.updated_at)
        .run();
  }

  int64_t activity(int64_t account, const std::string& metric, std::optional<int64_t> from_day,
                   std::optional<int64_t> to_day) override {
    auto q = tx_.q(metric_statements(metric).sum, account, from_day.value_or(INT64_MIN), to_day.value_or(INT64_MAX));
    q.step();
    return q.i64(0);
  }

  void add_activity(int64_t account, int64_t day, const std::string& metric, int64_t amount) override {
    tx_.q(metric_statements(metric).add, account, day, amount).run();
  }

  std::optional<AccountTierRecord> account_tier(int64_t account) override {
    auto q = tx_.q("SELECT " LOY_ACCOUNT_TIER_COLS " FROM account_tiers WHERE account_id = ?1", account);
    if (!q.step()) return std::nullopt;
    return account_tier_row(q);
  }

  std::optional<TierRecord> held_tier(int64_t account) override {
    auto q = tx_.q(
        "SELECT t.id, t.tenant_id, t.program_id, t.name, t.rank, t.threshold, t.benefits, t.icon_url, "
        "t.invitation_only, t.created_at, t.updated_at FROM account_tiers a JOIN tiers t ON t.id = a.tier_id "
        "WHERE a.account_id = ?1",
        account);
    if (!q.step()) return std::nullopt;
    return tier_row(q);
  }

  void set_account_tier(const AccountTierRecord& a) override {
    tx_.q("INSERT INTO account_tiers(account_id, tenant_id, program_id, customer_id, opened_at, tier_id, since, "
          "manual, manual_until, window_end, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?7) "
          "ON CONFLICT(account_id) DO UPDATE SET tier_id = excluded.tier_id, since = excluded.since, manual = "
          "excluded.manual, manual_until = excluded.manual_until, window_end = excluded.window_end, "
          "grace_until = NULL, noticed_at = NULL, updated_at = excluded.updated_at",
          a.account_id, a.tenant_id, a.program_id, a.customer_id, a.opened_at, a.tier_id, a.since, a.manual,
          a.manual_until, a.window_end)
        .run();
  }

  void set_grace(int64_t account, std::optional<Timestamp> until) override {
    tx_.q("UPDATE account_tiers SET grace_until = ?2 WHERE account_id = ?1", account, until).run();
  }

  void set_window_end(int64_t account, std::optional<Timestamp> window_end) override {
    tx_.q("UPDATE account_tiers SET window_end = ?2, noticed_at = NULL WHERE account_id = ?1", account, window_end)
        .run();
  }

  void set_noticed(int64_t account, Timestamp at) override {
    tx_.q("UPDATE account_tiers SET noticed_at = ?2 WHERE account_id = ?1", account, at).run();
  }

  std::vector<AccountTierRecord> due(const std::string& program, Timestamp review_by, Timestamp cutoff) override {
    auto q = tx_.q("SELECT " LOY_ACCOUNT_TIER_COLS
                   " FROM account_tiers WHERE program_id = ?1 AND (window_end <= ?2 OR manual_until <= ?3 OR "
                   "grace_until <= ?3) ORDER BY account_id",
                   program, review_by, cutoff);
    return collect(q, account_tier_row);
  }

  void add_change(const TierChangeRecord& c) override {
    tx_.q("INSERT INTO tier_history(tenant_id, account_id, from_tier, to_tier, reason, metric, at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
          c.tenant_id, c.account_id, c.from_tier, c.to_tier, c.reason, c.metric, c.at)
        .run();
  }

  std::vector<TierChangeRecord> changes(int64_t account, int64_t after_seq, int64_t limit) override {
    auto q = tx_.q(
        "SELECT tenant_id, account_id, from_tier, to_tier, reason, metric, at, seq FROM tier_history "
        "WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        account, after_seq, limit + 1);
    return collect(q, [](Query& r) {
      return TierChangeRecord{r.text(0), r.i64(1), r.opt_text(2), r.opt_text(3),
                              r.text(4), r.i64(5), r.i64(6),      r.i64(7)};
    });
  }

 private:
  Tx& tx_;
};

}  // namespace

TierStore& Tx::tiers() {
  if (!tiers_) tiers_ = std::make_unique<SqliteTierStore>(*this);
  return *tiers_;
}

#undef LOY_POLICY_COLS
#undef LOY_TIER_COLS
#undef LOY_ACCOUNT_TIER_COLS
#undef LOY_ACTIVITY_SUM
#undef LOY_ACTIVITY_ADD

}  // namespace loyalty::storage
