// The SQLite backend of AnalyticsStore: the rollups of src/analytics/ (docs/analytics.md).

#include "analytics/analytics_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_COUNTER_COLS                                                                           \
  "issued, issued_count, redeemed, redeemed_count, refunded, reversed, expired, adjusted_credit, " \
  "adjusted_debit, net, enrolled, entries"

AnalyticsCounters counters_row(Query& q, int first) {
  AnalyticsCounters c;
  int64_t* fields[] = {&c.issued,         &c.issued_count, &c.redeemed, &c.redeemed_count,
                       &c.refunded,       &c.reversed,     &c.expired,  &c.adjusted_credit,
                       &c.adjusted_debit, &c.net,          &c.enrolled, &c.entries};
  for (int i = 0; i < 12; ++i) *fields[i] = q.is_null(first + i) ? 0 : q.i64(first + i);
  return c;
}

int64_t mark_of(Tx& tx, const char* source) {
  auto q = tx.q("SELECT seq FROM analytics_marks WHERE source = ?1", source);
  return q.step() ? q.i64(0) : 0;
}

void put_mark(Tx& tx, const char* source, int64_t seq) {
  tx.q("INSERT INTO analytics_marks(source, seq) VALUES(?1, ?2) ON CONFLICT(source) DO UPDATE SET seq = excluded.seq",
       source, seq)
      .run();
}

int64_t scalar(Tx& tx, const char* sql) {
  auto q = tx.q(sql);
  return q.step() && !q.is_null(0) ? q.i64(0) : 0;
}

class SqliteAnalyticsStore final : public AnalyticsStore {
 public:
  explicit SqliteAnalyticsStore(Tx& tx) : tx_(tx) {}

  AnalyticsMarks marks() override {
    return {mark_of(tx_, "entries"), mark_of(tx_, "accounts"), mark_of(tx_, "customers")};
  }

  AnalyticsMarks heads() override {
    return {scalar(tx_, "SELECT MAX(seq) FROM entries"), scalar(tx_, "SELECT MAX(id) FROM accounts"),
            scalar(tx_, "SELECT MAX(seq) FROM customers")};
  }

  void set_marks(const AnalyticsMarks& m) override {
    put_mark(tx_, "entries", m.entries);
    put_mark(tx_, "accounts", m.accounts);
    put_mark(tx_, "customers", m.customers);
  }

  std::vector<AnalyticsEntry> entries(int64_t after, int64_t upto, const std::optional<std::string>& tenant,
                                      int64_t limit) override {
    auto q = tx_.q(
        "SELECT e.seq, e.tenant_id, a.program_id, a.customer_id, e.type, e.points, e.occurred_at "
        "FROM entries e JOIN accounts a ON a.id = e.account_id "
        "WHERE e.seq > ?1 AND e.seq <= ?2 AND (?3 IS NULL OR e.tenant_id = ?3) ORDER BY e.seq LIMIT ?4",
        after, upto, tenant, limit);
    return collect(q, [](Query& r) {
      return AnalyticsEntry{r.i64(0), r.text(1), r.text(2), r.text(3), r.text(4), r.i64(5), r.i64(6)};
    });
  }

  std::vector<AnalyticsMember> accounts(int64_t after, int64_t upto, const std::optional<std::string>& tenant,
                                        int64_t limit) override {
    auto q = tx_.q(
        "SELECT id, tenant_id, program_id, created_at FROM accounts "
        "WHERE id > ?1 AND id <= ?2 AND (?3 IS NULL OR tenant_id = ?3) ORDER BY id LIMIT ?4",
        after, upto, tenant, limit);
    return collect(q, [](Query& r) { return AnalyticsMember{r.i64(0), r.text(1), r.text(2), r.i64(3)}; });
  }

  std::vector<AnalyticsMember> customers(int64_t after, int64_t upto, const std::optional<std::string>& tenant,
                                         int64_t limit) override {
    auto q = tx_.q(
        "SELECT seq, tenant_id, created_at FROM customers "
        "WHERE seq > ?1 AND seq <= ?2 AND (?3 IS NULL OR tenant_id = ?3) ORDER BY seq LIMIT ?4",
        after, upto, tenant, limit);
    return collect(q, [](Query& r) { return AnalyticsMember{r.i64(0), r.text(1), std::string(), r.i64(2)}; });
  }

  std::optional<std::string> rollup_zone(const std::string& tenant) override {
    auto q = tx_.q("SELECT timezone FROM analytics_zones WHERE tenant_id = ?1", tenant);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  void set_rollup_zone(const std::string& tenant, const std::string& zone) override {
    tx_.q("INSERT INTO analytics_zones(tenant_id, timezone) VALUES(?1, ?2) "
          "ON CONFLICT(tenant_id) DO UPDATE SET timezone = excluded.timezone",
          tenant, zone)
        .run();
  }

  std::vector<std::string> stale_zones() override {
    auto q = tx_.q(
        "SELECT z.tenant_id FROM analytics_zones z JOIN tenants t ON t.id = z.tenant_id "
        "WHERE t.timezone <> z.timezone ORDER BY z.tenant_id");
    return collect(q, [](Query& r) { return r.text(0); });
  }

  void clear_tenant(const std::string& tenant) override {
    tx_.q("DELETE FROM analytics_days WHERE tenant_id = ?1", tenant).run();
    tx_.q("DELETE FROM analytics_activity WHERE tenant_id = ?1", tenant).run();
  }

  void add_day(const std::string& tenant, const std::string& program, int64_t day,
               const AnalyticsCounters& c) override {
    tx_.q("INSERT INTO analytics_days(tenant_id, program_id, day, " LOY_COUNTER_COLS
          ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
          "ON CONFLICT(tenant_id, program_id, day) DO UPDATE SET "
          "issued = issued + excluded.issued, issued_count = issued_count + excluded.issued_count, "
          "redeemed = redeemed + excluded.redeemed, redeemed_count = redeemed_count + excluded.redeemed_count, "
          "refunded = refunded + excluded.refunded, reversed = reversed + excluded.reversed, "
          "expired = expired + excluded.expired, adjusted_credit = adjusted_credit + excluded.adjusted_credit, "
          "adjusted_debit = adjusted_debit + excluded.adjusted_debit, net = net + excluded.net, "
          "enrolled = enrolled + excluded.enrolled, entries = entries + excluded.entries",
          tenant, program, day, c.issued, c.issued_count, c.redeemed, c.redeemed_count, c.refunded, c.reversed,
          c.expired, c.adjusted_credit, c.adjusted_debit, c.net, c.enrolled, c.entries)
        .run();
  }

  void add_activity(const std::string& tenant, const std::string& program, int64_t day,
                    const std::string& customer) override {
    tx_.q("INSERT OR IGNORE INTO analytics_activity(tenant_id, program_id, day, customer_id) VALUES(?1, ?2, ?3, ?4)",
          tenant, program, day, customer)
        .run();
  }

  std::vector<AnalyticsDay> days(const std::string& tenant, const std::string& program, int64_t from,
                                 int64_t to) override {
    auto q = tx_.q("SELECT day, " LOY_COUNTER_COLS
                   " FROM analytics_days WHERE tenant_id = ?1 AND program_id = ?2 AND day >= ?3 AND day <= ?4 "
                   "ORDER BY day",
                   tenant, program, from, to);
    return collect(q, [](Query& r) { return AnalyticsDay{r.i64(0), counters_row(r, 1)}; });
  }

  AnalyticsCounters before(const std::string& tenant, const std::string& program, int64_t day) override {
    auto q = tx_.q(
        "SELECT SUM(issued), SUM(issued_count), SUM(redeemed), SUM(redeemed_count), SUM(refunded), SUM(reversed), "
        "SUM(expired), SUM(adjusted_credit), SUM(adjusted_debit), SUM(net), SUM(enrolled), SUM(entries) "
        "FROM analytics_days WHERE tenant_id = ?1 AND program_id = ?2 AND day < ?3",
        tenant, program, day);
    return q.step() ? counters_row(q, 0) : AnalyticsCounters{};
  }

  int64_t active(const std::string& tenant, const std::string& program, int64_t from, int64_t to) override {
    auto q = tx_.q(
        "SELECT COUNT(DISTINCT customer_id) FROM analytics_activity "
        "WHERE tenant_id = ?1 AND program_id = ?2 AND day >= ?3 AND day <= ?4",
        tenant, program, from, to);
    return q.step() ? q.i64(0) : 0;
  }

  std::vector<AnalyticsTierCount> tier_counts(const std::string& program) override {
    auto q = tx_.q(
        "SELECT t.id, t.name, t.rank, (SELECT COUNT(*) FROM account_tiers a WHERE a.program_id = t.program_id "
        "AND a.tier_id = t.id) FROM tiers t WHERE t.program_id = ?1 ORDER BY t.rank",
        program);
    return collect(q, [](Query& r) { return AnalyticsTierCount{r.text(0), r.text(1), r.i64(2), r.i64(3)}; });
  }

 private:
  Tx& tx_;
};

}  // namespace

AnalyticsStore& Tx::analytics() {
  if (!analytics_) analytics_ = std::make_unique<SqliteAnalyticsStore>(*this);
  return *analytics_;
}

#undef LOY_COUNTER_COLS

}  // namespace loyalty::storage
