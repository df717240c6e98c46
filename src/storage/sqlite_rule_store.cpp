// The SQLite backend of RuleStore: rules with their versions and the per-program generation,
// stateful limits, the history facts rules read, and purchases with their items, the rule
// versions they used and their returns.

#include "rules/rule_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_RULE_COLS "id, tenant_id, program_id, version, active, body, created_at, updated_at, seq"

RuleRecord rule_row(Query& q) {
  return {q.text(0), q.text(1), q.text(2), q.i64(3), q.i64(4) != 0, q.text(5), q.i64(6), q.i64(7), q.i64(8)};
}

#define LOY_PURCHASE_COLS                                                                               \
  "id, tenant_id, program_id, customer_id, order_id, occurred_at, amount, currency, points, entry_id, " \
  "items_total, has_items, request, result, created_at, reversed_points, returned_value, fully_returned"

PurchaseRecord purchase_row(Query& q) {
  return {q.text(0),  q.text(1),  q.text(2), q.text(3),     q.text(4), q.i64(5),
          q.i64(6),   q.text(7),  q.i64(8),  q.opt_text(9), q.i64(10), q.i64(11) != 0,
          q.text(12), q.text(13), q.i64(14), q.i64(15),     q.i64(16), q.i64(17) != 0};
}

int64_t count(Query&& q) {
  q.step();
  return q.i64(0);
}

class SqliteRuleStore final : public RuleStore {
 public:
  explicit SqliteRuleStore(Tx& tx) : tx_(tx) {}

  void insert_rule(const RuleRecord& r) override {
    tx_.q("INSERT INTO rules(id, tenant_id, program_id, version, active, body, created_at, updated_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          r.id, r.tenant_id, r.program_id, r.version, r.active, r.body, r.created_at, r.updated_at)
        .run();
    tx_.q("INSERT INTO rule_versions(rule_id, version, body, created_at) VALUES(?1, ?2, ?3, ?4)", r.id, r.version,
          r.body, r.created_at)
        .run();
  }

  std::optional<RuleRecord> rule(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_RULE_COLS " FROM rules WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return rule_row(q);
  }

  std::vector<RuleRecord> rules(const RuleQuery& c) override {
    auto q = tx_.q("SELECT " LOY_RULE_COLS
                   " FROM rules WHERE tenant_id = ?1 AND (?2 IS NULL OR program_id = ?2) AND "
                   "(?3 IS NULL OR active = ?3) AND seq > ?4 ORDER BY seq LIMIT ?5",
                   c.tenant_id, c.program_id, c.active, c.after_seq, c.limit + 1);
    return collect(q, rule_row);
  }

  std::vector<RuleRecord> program_rules(const std::string& program) override {
    auto q = tx_.q("SELECT " LOY_RULE_COLS " FROM rules WHERE program_id = ?1 ORDER BY seq", program);
    return collect(q, rule_row);
  }

  void update_rule(const std::string& tenant, const std::string& id, int64_t version, const std::string& body,
                   Timestamp at) override {
    tx_.q("UPDATE rules SET version = ?3, body = ?4, updated_at = ?5 WHERE id = ?1 AND tenant_id = ?2", id, tenant,
          version, body, at)
        .run();
    if (sqlite3_changes(tx_.conn().handle()) == 0) return;  // not the tenant's rule: no version either
    tx_.q("INSERT INTO rule_versions(rule_id, version, body, created_at) VALUES(?1, ?2, ?3, ?4)", id, version, body, at)
        .run();
  }

  void set_rule_active(const std::string& tenant, const std::string& id, bool active, Timestamp at) override {
    tx_.q("UPDATE rules SET active = ?3, updated_at = ?4 WHERE id = ?1 AND tenant_id = ?2", id, tenant, active, at)
        .run();
  }

  std::optional<RuleVersionRecord> rule_version(const std::string& rule, int64_t version) override {
    auto q = tx_.q("SELECT body, created_at FROM rule_versions WHERE rule_id = ?1 AND version = ?2", rule, version);
    if (!q.step()) return std::nullopt;
    return RuleVersionRecord{q.text(0), q.i64(1)};
  }

  int64_t generation(const std::string& program) override {
    auto q = tx_.q("SELECT generation FROM rule_generations WHERE program_id = ?1", program);
    return q.step() ? q.i64(0) : 0;
  }

  void bump_generation(const std::string& program) override {
    tx_.q("INSERT INTO rule_generations(program_id, generation) VALUES(?1, 1) "
          "ON CONFLICT(program_id) DO UPDATE SET generation = generation + 1",
          program)
        .run();
  }

  std::optional<int64_t> counter(const std::string& rule, const std::string& customer, const std::string& period,
                                 int64_t period_key) override {
    auto q = tx_.q(
        "SELECT points FROM rule_counters WHERE rule_id = ?1 AND customer_id = ?2 AND period = ?3 AND "
        "period_key = ?4",
        rule, customer, period, period_key);
    if (!q.step()) return std::nullopt;
    return q.i64(0);
  }

  std::optional<int64_t> budget_issued(const std::string& rule) override {
    auto q = tx_.q("SELECT issued FROM rule_budgets WHERE rule_id = ?1", rule);
    if (!q.step()) return std::nullopt;
    return q.i64(0);
  }

  std::optional<Timestamp> last_award(const std::string& rule, const std::string& customer) override {
    auto q = tx_.q("SELECT last_award_at FROM rule_awards WHERE rule_id = ?1 AND customer_id = ?2", rule, customer);
    if (!q.step()) return std::nullopt;
    return q.i64(0);
  }

  void add_counter(const std::string& rule, const std::string& customer, const std::string& period, int64_t period_key,
                   int64_t points) override {
    tx_.q("INSERT INTO rule_counters(rule_id, customer_id, period, period_key, points) VALUES(?1, ?2, ?3, ?4, ?5) "
          "ON CONFLICT(rule_id, customer_id, period, period_key) DO UPDATE SET points = points + excluded.points",
          rule, customer, period, period_key, points)
        .run();
  }

  void add_budget(const std::string& rule, int64_t points) override {
    tx_.q("INSERT INTO rule_budgets(rule_id, issued) VALUES(?1, ?2) "
          "ON CONFLICT(rule_id) DO UPDATE SET issued = issued + excluded.issued",
          rule, points)
        .run();
  }

  void record_award(const std::string& rule, const std::string& customer, Timestamp at) override {
    tx_.q("INSERT INTO rule_awards(rule_id, customer_id, last_award_at) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(rule_id, customer_id) DO UPDATE SET last_award_at = MAX(last_award_at, excluded.last_award_at)",
          rule, customer, at)
        .run();
  }

  PurchaseStats purchase_stats(const std::string& customer, const std::string& program, Timestamp at) override {
    auto q = tx_.q(
        "SELECT COUNT(*), MAX(occurred_at) FROM purchases WHERE customer_id = ?1 AND program_id = ?2 AND "
        "occurred_at <= ?3",
        customer, program, at);
    q.step();
    return {q.i64(0), q.opt_i64(1)};
  }

  int64_t purchases_between(const std::string& customer, const std::string& program, Timestamp from,
                            Timestamp to) override {
    return count(
        tx_.q("SELECT COUNT(*) FROM purchases WHERE customer_id = ?1 AND program_id = ?2 AND "
              "occurred_at > ?3 AND occurred_at <= ?4",
              customer, program, from, to));
  }

  int64_t spend_between(const std::string& customer, const std::string& program, Timestamp from,
                        Timestamp to) override {
    return count(
        tx_.q("SELECT COALESCE(SUM(amount), 0) FROM purchases WHERE customer_id = ?1 AND "
              "program_id = ?2 AND occurred_at > ?3 AND occurred_at <= ?4",
              customer, program, from, to));
  }

  int64_t checkins_between(const std::string& customer, Timestamp from, Timestamp to) override {
    return count(
        tx_.q("SELECT COUNT(*) FROM checkins WHERE customer_id = ?1 AND status = 'verified' "
              "AND occurred_at > ?2 AND occurred_at <= ?3",
              customer, from, to));
  }

  LocationVisits location_visits(const std::string& customer, const std::string& location, Timestamp at) override {
    auto q = tx_.q(
        "SELECT COUNT(*), COALESCE(SUM(occurred_at <= ?3), 0) FROM checkins WHERE customer_id = ?1 AND "
        "location_id = ?2 AND status = 'verified'",
        customer, location, at);
    q.step();
    return {q.i64(0), q.i64(1)};
  }

  int64_t location_visits_between(const std::string& customer, const std::string& location, Timestamp from,
                                  Timestamp to) override {
    return count(
        tx_.q("SELECT COUNT(*) FROM checkins WHERE customer_id = ?1 AND location_id = ?2 AND "
              "status = 'verified' AND occurred_at > ?3 AND occurred_at <= ?4",
              customer, location, from, to));
  }

  void insert_purchase(const PurchaseRecord& p) override {
    tx_.q("INSERT INTO purchases(id, tenant_id, program_id, customer_id, order_id, occurred_at, amount, currency, "
          "points, entry_id, items_total, has_items, request, result, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
          p.id, p.tenant_id, p.program_id, p.customer_id, p.order_id, p.occurred_at, p.amount, p.currency, p.points,
          p.entry_id, p.items_total, p.has_items, p.request, p.result, p.created_at)
        .run();
  }

  std::optional<StoredReply> order_reply(const std::string& tenant, const std::string& order_id) override {
    auto q = tx_.q("SELECT request, result FROM purchases WHERE tenant_id = ?1 AND order_id = ?2", tenant, order_id);
    if (!q.step()) return std::nullopt;
    return StoredReply{q.text(0), q.text(1)};
  }

  std::optional<PurchaseRecord> purchase_by_order(const std::string& tenant, const std::string& order_id) override {
    auto q =
        tx_.q("SELECT " LOY_PURCHASE_COLS " FROM purchases WHERE tenant_id = ?1 AND order_id = ?2", tenant, order_id);
    if (!q.step()) return std::nullopt;
    return purchase_row(q);
  }

  void add_purchase_item(const PurchaseItemRecord& i) override {
    tx_.q("INSERT INTO purchase_items(purchase_id, line, sku, quantity, unit_price) VALUES(?1, ?2, ?3, ?4, ?5)",
          i.purchase_id, i.line, i.sku, i.quantity, i.unit_price)
        .run();
  }

  void add_purchase_rule(const PurchaseRuleRecord& r) override {
    tx_.q("INSERT INTO purchase_rules(purchase_id, rule_id, rule_version, points) VALUES(?1, ?2, ?3, ?4)",
          r.purchase_id, r.rule_id, r.rule_version, r.points)
        .run();
  }

  std::vector<PurchaseItemRecord> returnable_items(const std::string& purchase, const std::string& sku) override {
    auto q = tx_.q(
        "SELECT purchase_id, line, sku, quantity, unit_price, returned FROM purchase_items WHERE purchase_id = ?1 "
        "AND sku = ?2 AND quantity > returned ORDER BY line",
        purchase, sku);
    return collect(
        q, [](Query& r) { return PurchaseItemRecord{r.text(0), r.i64(1), r.text(2), r.i64(3), r.i64(4), r.i64(5)}; });
  }

  void return_items(const std::string& purchase, int64_t line, int64_t quantity) override {
    tx_.q("UPDATE purchase_items SET returned = returned + ?3 WHERE purchase_id = ?1 AND line = ?2", purchase, line,
          quantity)
        .run();
  }

  void return_all_items(const std::string& purchase) override {
    tx_.q("UPDATE purchase_items SET returned = quantity WHERE purchase_id = ?1", purchase).run();
  }

  int64_t lines_outstanding(const std::string& purchase) override {
    return count(tx_.q("SELECT COUNT(*) FROM purchase_items WHERE purchase_id = ?1 AND returned < quantity", purchase));
  }

  void record_return(const std::string& tenant, const std::string& purchase, int64_t points, int64_t returned_value,
                     bool fully_returned) override {
    tx_.q("UPDATE purchases SET reversed_points = reversed_points + ?3, returned_value = ?4, fully_returned = ?5 "
          "WHERE id = ?1 AND tenant_id = ?2",
          purchase, tenant, points, returned_value, fully_returned)
        .run();
  }

  std::optional<StoredReply> return_reply(const std::string& purchase, const std::string& return_id) override {
    auto q = tx_.q("SELECT request, result FROM purchase_returns WHERE purchase_id = ?1 AND return_id = ?2", purchase,
                   return_id);
    if (!q.step()) return std::nullopt;
    return StoredReply{q.text(0), q.text(1)};
  }

  void insert_return(const std::string& purchase, const std::string& return_id, const StoredReply& reply,
                     Timestamp at) override {
    tx_.q("INSERT INTO purchase_returns(purchase_id, return_id, request, result, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5)",
          purchase, return_id, reply.request, reply.result, at)
        .run();
  }

  // Read by the AI module ------------------------------------------------------------------

  std::vector<BonusRule> bonus_rules(const std::string& tenant, const std::string& program,
                                     Timestamp popular_since) override {
    auto q = tx_.q(
        "SELECT r.id, json_extract(r.body, '$.name'), json_extract(r.body, '$.start'), json_extract(r.body, '$.end'), "
        "(SELECT COUNT(*) FROM purchase_rules u JOIN purchases p ON p.id = u.purchase_id WHERE u.rule_id = r.id AND "
        "p.occurred_at >= ?3) + (SELECT COUNT(*) FROM checkin_rules u JOIN checkins c ON c.id = u.checkin_id WHERE "
        "u.rule_id = r.id AND c.occurred_at >= ?3), json_extract(r.body, '$.conditions') FROM rules r WHERE "
        "r.tenant_id = ?1 AND r.program_id = ?2 AND r.active = 1 AND json_extract(r.body, '$.type') = 'bonus' ORDER "
        "BY r.seq LIMIT 200",
        tenant, program, popular_since);
    std::vector<BonusRule> out;
    while (q.step()) out.push_back({q.text(0), q.text(1), q.opt_text(2), q.opt_text(3), q.i64(4), q.opt_text(5)});
    return out;
  }

 private:
  Tx& tx_;
};

}  // namespace

RuleStore& Tx::rules() {
  if (!rules_) rules_ = std::make_unique<SqliteRuleStore>(*this);
  return *rules_;
}

#undef LOY_RULE_COLS
#undef LOY_PURCHASE_COLS

}  // namespace loyalty::storage
