// The SQLite backend of AiStore: the ai_settings and ai_results tables, and the read-only
// aggregates over purchases, check-ins, entries, accounts and tiers.

#include "ai/ai_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

// The activity counts of one source, over a table aliased `t`: ?3 = since_90d, ?4 = since_180d,
// ?5 = since_365d.
#define LOY_ACTIVITY_COUNTS                                                                                           \
  "MAX(t.occurred_at), SUM(t.occurred_at >= ?3), SUM(t.occurred_at >= ?4 AND t.occurred_at < ?3), SUM(t.occurred_at " \
  ">= ?5)"

constexpr const char* kActivitySql[3] = {
    "SELECT t.customer_id, " LOY_ACTIVITY_COUNTS
    ", SUM(CASE WHEN t.occurred_at >= ?3 THEN t.amount - t.returned_value ELSE 0 END), SUM(CASE WHEN t.occurred_at >= "
    "?5 THEN t.amount - t.returned_value ELSE 0 END) FROM purchases t WHERE t.tenant_id = ?1 AND (?2 IS NULL OR "
    "t.customer_id = ?2) AND t.occurred_at <= ?6 GROUP BY t.customer_id",
    "SELECT t.customer_id, " LOY_ACTIVITY_COUNTS
    ", 0, 0 FROM checkins t WHERE t.tenant_id = ?1 AND (?2 IS NULL OR t.customer_id = ?2) AND t.status = 'verified' "
    "AND t.occurred_at <= ?6 GROUP BY t.customer_id",
    "SELECT a.customer_id, " LOY_ACTIVITY_COUNTS
    ", 0, 0 FROM entries t JOIN accounts a ON a.id = t.account_id WHERE a.tenant_id = ?1 AND (?2 IS NULL OR "
    "a.customer_id = ?2) AND t.type IN ('earn', 'bonus') AND t.occurred_at <= ?6 AND (t.metadata IS NULL OR "
    "(json_extract(t.metadata, '$.purchase_id') IS NULL AND json_extract(t.metadata, '$.checkin_id') IS NULL)) GROUP "
    "BY a.customer_id",
};
constexpr ActivitySource kActivitySources[3] = {ActivitySource::purchases, ActivitySource::checkins,
                                                ActivitySource::host_earns};

class SqliteAiStore final : public AiStore {
 public:
  explicit SqliteAiStore(Tx& tx) : tx_(tx) {}

  std::optional<AiSettingsRecord> settings(const std::string& tenant) override {
    auto q = tx_.q("SELECT provider, ttl, config, salt, updated_at FROM ai_settings WHERE tenant_id = ?1", tenant);
    if (!q.step()) return std::nullopt;
    return AiSettingsRecord{tenant, q.text(0), q.text(1), q.text(2), q.text(3), q.i64(4)};
  }

  void save_settings(const AiSettingsRecord& s) override {
    tx_.q("INSERT INTO ai_settings(tenant_id, provider, ttl, config, salt, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(tenant_id) DO UPDATE SET provider = ?2, ttl = ?3, config = ?4, updated_at = ?6",
          s.tenant_id, s.provider, s.ttl, s.config, s.salt, s.updated_at)
        .run();
  }

  std::optional<AiResultRecord> fresh_result(const std::string& tenant, const std::string& operation,
                                             const std::string& subject, Timestamp now, int64_t max_age_ms) override {
    auto q = tx_.q(
        "SELECT provider, model, created_at, expires_at, output FROM ai_results WHERE tenant_id = ?1 AND operation = "
        "?2 AND subject = ?3 AND expires_at > ?4 AND created_at + ?5 > ?4",
        tenant, operation, subject, now, max_age_ms);
    if (!q.step()) return std::nullopt;
    return AiResultRecord{tenant, operation, subject, q.text(0), q.text(1), q.i64(2), q.i64(3), q.text(4)};
  }

  void put_result(const AiResultRecord& r) override {
    tx_.q("INSERT OR REPLACE INTO ai_results(tenant_id, operation, subject, provider, model, created_at, expires_at, "
          "output) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          r.tenant_id, r.operation, r.subject, r.provider, r.model, r.created_at, r.expires_at, r.output)
        .run();
  }

  std::vector<ActivityCounts> activity(const ActivityQuery& a) override {
    std::vector<ActivityCounts> out;
    for (size_t n = 0; n < 3; ++n) {
      auto q = tx_.q(kActivitySql[n], a.tenant_id, a.customer_id, a.since_90d, a.since_180d, a.since_365d, a.until);
      while (q.step())
        out.push_back({kActivitySources[n], q.text(0), q.i64(1), q.i64(2), q.i64(3), q.i64(4), q.i64(5), q.i64(6)});
    }
    return out;
  }

  std::vector<int64_t> purchase_totals(const std::string& tenant, Timestamp from, Timestamp to) override {
    auto q = tx_.q(
        "SELECT SUM(amount - returned_value) FROM purchases WHERE tenant_id = ?1 AND occurred_at >= ?2 AND "
        "occurred_at <= ?3 GROUP BY customer_id",
        tenant, from, to);
    std::vector<int64_t> out;
    while (q.step()) out.push_back(q.i64(0));
    return out;
  }

  std::optional<AiCustomerSummary> customer_summary(const std::string& tenant, const std::string& customer) override {
    auto q = tx_.q(
        "SELECT c.created_at, (SELECT COALESCE(SUM(posted - held), 0) FROM accounts a WHERE a.customer_id = c.id) "
        "FROM customers c WHERE c.id = ?1 AND c.tenant_id = ?2",
        customer, tenant);
    if (!q.step()) return std::nullopt;
    return AiCustomerSummary{q.i64(0), q.i64(1)};
  }

  std::optional<AccountStanding> standing(const std::string& tenant, const std::string& customer,
                                          const std::string& program) override {
    auto q = tx_.q(
        "SELECT a.posted - a.held, t.name, t.rank FROM accounts a LEFT JOIN account_tiers x ON x.account_id = a.id "
        "LEFT JOIN tiers t ON t.id = x.tier_id WHERE a.customer_id = ?1 AND a.program_id = ?2 AND a.tenant_id = ?3",
        customer, program, tenant);
    if (!q.step()) return std::nullopt;
    return AccountStanding{q.i64(0), q.opt_text(1), q.opt_i64(2)};
  }

  std::vector<CategorySpend> category_spend(const std::string& tenant, const std::string& customer,
                                            const std::string& program, Timestamp from, Timestamp to) override {
    auto q = tx_.q(
        "SELECT json_extract(i.value, '$.category') AS cat, SUM(json_extract(i.value, '$.unit_price') * "
        "json_extract(i.value, '$.quantity')) FROM purchases p, json_each(p.request, '$.items') i WHERE p.tenant_id = "
        "?1 AND p.customer_id = ?2 AND p.program_id = ?3 AND p.occurred_at >= ?4 AND p.occurred_at <= ?5 AND cat IS "
        "NOT NULL GROUP BY cat ORDER BY cat LIMIT 100",
        tenant, customer, program, from, to);
    std::vector<CategorySpend> out;
    while (q.step()) out.push_back({q.text(0), q.i64(1)});
    return out;
  }

 private:
  Tx& tx_;
};

}  // namespace

AiStore& Tx::ai() {
  if (!ai_) ai_ = std::make_unique<SqliteAiStore>(*this);
  return *ai_;
}

#undef LOY_ACTIVITY_COUNTS

}  // namespace loyalty::storage
