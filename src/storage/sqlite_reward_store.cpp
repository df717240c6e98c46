// The SQLite backend of RewardStore: the rewards catalog with its stock, and redemptions.

#include "rewards/reward_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_REWARD_COLS                                                                                            \
  "reward_id, tenant_id, program_id, name, description, image_url, category, cost_points, stock, stock_supplied, " \
  "starts_at, ends_at, min_tier_id, per_customer_limit, limit_period, reservation_ttl_s, refundable, metadata, "   \
  "active, created_at, updated_at, seq"

RewardRecord reward_row(Query& q) {
  RewardRecord r;
  r.id = q.text(0);
  r.tenant_id = q.text(1);
  r.program_id = q.text(2);
  r.name = q.text(3);
  r.description = q.text(4);
  r.image_url = q.opt_text(5);
  r.category = q.opt_text(6);
  r.cost_points = q.i64(7);
  r.stock = q.opt_i64(8);
  r.stock_supplied = q.opt_i64(9);
  r.starts_at = q.opt_i64(10);
  r.ends_at = q.opt_i64(11);
  r.min_tier_id = q.opt_text(12);
  r.per_customer_limit = q.opt_i64(13);
  r.limit_period = q.opt_text(14);
  r.reservation_ttl_s = q.i64(15);
  r.refundable = q.i64(16) != 0;
  r.metadata = q.text(17);
  r.active = q.i64(18) != 0;
  r.created_at = q.i64(19);
  r.updated_at = q.i64(20);
  r.seq = q.i64(21);
  return r;
}

// A redemption with its reward's name.
#define LOY_REDEMPTION_FROM                                                                                        \
  "SELECT r.redemption_id, r.tenant_id, r.program_id, r.reward_id, r.customer_id, r.account_id, r.points, "        \
  "r.status, r.coupon_code, r.hold_id, r.entry_id, r.refund_entry_id, r.expires_at, r.occurred_at, r.created_at, " \
  "r.fulfilled_at, r.cancelled_at, r.expired_at, r.updated_at, r.seq, w.name "                                     \
  "FROM redemptions r JOIN rewards w ON w.reward_id = r.reward_id "

RedemptionRecord redemption_row(Query& q) {
  RedemptionRecord r;
  r.id = q.text(0);
  r.tenant_id = q.text(1);
  r.program_id = q.text(2);
  r.reward_id = q.text(3);
  r.customer_id = q.text(4);
  r.account_id = q.i64(5);
  r.points = q.i64(6);
  r.status = q.text(7);
  r.coupon_code = q.text(8);
  r.hold_id = q.opt_text(9);
  r.entry_id = q.opt_text(10);
  r.refund_entry_id = q.opt_text(11);
  r.expires_at = q.opt_i64(12);
  r.occurred_at = q.i64(13);
  r.created_at = q.i64(14);
  r.fulfilled_at = q.opt_i64(15);
  r.cancelled_at = q.opt_i64(16);
  r.expired_at = q.opt_i64(17);
  r.updated_at = q.i64(18);
  r.seq = q.i64(19);
  r.reward_name = q.text(20);
  return r;
}

#define LOY_ACTIVE "status IN ('reserved', 'fulfilled')"

class SqliteRewardStore final : public RewardStore {
 public:
  explicit SqliteRewardStore(Tx& tx) : tx_(tx) {}

  void insert_reward(const RewardRecord& r) override {
    tx_.q("INSERT INTO rewards(reward_id, seq, tenant_id, program_id, name, description, image_url, category, "
          "cost_points, stock, stock_supplied, starts_at, ends_at, min_tier_id, per_customer_limit, limit_period, "
          "reservation_ttl_s, refundable, metadata, active, created_at, updated_at) "
          "VALUES(?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM rewards), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, "
          "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19)",
          r.id, r.tenant_id, r.program_id, r.name, r.description, r.image_url, r.category, r.cost_points, r.stock,
          r.starts_at, r.ends_at, r.min_tier_id, r.per_customer_limit, r.limit_period, r.reservation_ttl_s,
          r.refundable, r.metadata, r.active, r.created_at)
        .run();
  }

  std::optional<RewardRecord> reward(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_REWARD_COLS " FROM rewards WHERE reward_id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return reward_row(q);
  }

  void each_reward(const RewardQuery& c, const std::function<bool(const RewardRecord&)>& visit) override {
    auto q = tx_.q("SELECT " LOY_REWARD_COLS
                   " FROM rewards WHERE tenant_id = ?1 AND seq > ?2 "
                   "AND (?3 IS NULL OR program_id = ?3) AND (?4 IS NULL OR category = ?4) "
                   "AND (?5 IS NULL OR active = ?5) AND (?6 IS NULL OR (active = 1 AND (stock IS NULL OR "
                   "stock > 0) AND (starts_at IS NULL OR starts_at <= ?6) AND (ends_at IS NULL OR "
                   "ends_at > ?6))) ORDER BY seq",
                   c.tenant_id, c.after_seq, c.program_id, c.category, c.active, c.available_at);
    while (q.step())
      if (!visit(reward_row(q))) break;
  }

  void update_reward(const RewardUpdate& u) override {
    tx_.q("UPDATE rewards SET name = COALESCE(?3, name), description = COALESCE(?4, description), "
          "image_url = CASE WHEN ?5 THEN ?6 ELSE image_url END, category = CASE WHEN ?7 THEN ?8 ELSE category END, "
          "cost_points = COALESCE(?9, cost_points), starts_at = ?10, ends_at = ?11, "
          "min_tier_id = CASE WHEN ?12 THEN ?13 ELSE min_tier_id END, "
          "per_customer_limit = CASE WHEN ?14 THEN ?15 ELSE per_customer_limit END, "
          "limit_period = CASE WHEN ?14 THEN ?16 ELSE limit_period END, "
          "reservation_ttl_s = COALESCE(?17, reservation_ttl_s), refundable = COALESCE(?18, refundable), "
          "metadata = COALESCE(?19, metadata), active = COALESCE(?20, active), updated_at = ?21 "
          "WHERE reward_id = ?1 AND tenant_id = ?2",
          u.id, u.tenant_id, u.name, u.description, u.set_image_url, u.image_url, u.set_category, u.category,
          u.cost_points, u.starts_at, u.ends_at, u.set_min_tier, u.min_tier_id, u.set_limit, u.per_customer_limit,
          u.limit_period, u.reservation_ttl_s, u.refundable, u.metadata, u.active, u.updated_at)
        .run();
  }

  void deactivate_reward(const std::string& tenant, const std::string& id, Timestamp at) override {
    tx_.q("UPDATE rewards SET active = 0, updated_at = ?3 WHERE reward_id = ?1 AND tenant_id = ?2", id, tenant, at)
        .run();
  }

  void set_stock(const std::string& tenant, const std::string& id, std::optional<int64_t> stock,
                 Timestamp at) override {
    tx_.q("UPDATE rewards SET stock_supplied = CASE WHEN ?3 IS NULL THEN NULL ELSE ?3 + (SELECT COUNT(*) FROM "
          "redemptions WHERE reward_id = ?1 AND " LOY_ACTIVE
          ") END, stock = ?3, updated_at = ?4 WHERE reward_id = ?1 AND tenant_id = ?2",
          id, tenant, stock, at)
        .run();
  }

  bool take_unit(const std::string& tenant, const std::string& id, Timestamp at) override {
    tx_.q("UPDATE rewards SET stock = stock - 1, updated_at = ?3 WHERE reward_id = ?1 AND tenant_id = ?2 AND stock > 0",
          id, tenant, at)
        .run();
    return sqlite3_changes(tx_.conn().handle()) == 1;
  }

  void return_unit(const std::string& tenant, const std::string& id, Timestamp at) override {
    tx_.q("UPDATE rewards SET stock = stock + 1, updated_at = ?3 WHERE reward_id = ?1 AND tenant_id = ?2 "
          "AND stock IS NOT NULL",
          id, tenant, at)
        .run();
  }

  void insert_redemption(const RedemptionRecord& r) override {
    tx_.q("INSERT INTO redemptions(redemption_id, seq, tenant_id, program_id, reward_id, customer_id, account_id, "
          "points, status, coupon_code, hold_id, entry_id, expires_at, occurred_at, created_at, fulfilled_at, "
          "updated_at) VALUES(?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM redemptions), ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
          "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?14)",
          r.id, r.tenant_id, r.program_id, r.reward_id, r.customer_id, r.account_id, r.points, r.status, r.coupon_code,
          r.hold_id, r.entry_id, r.expires_at, r.occurred_at, r.created_at, r.fulfilled_at)
        .run();
  }

  std::optional<RedemptionRecord> redemption(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q(LOY_REDEMPTION_FROM "WHERE r.redemption_id = ?1 AND r.tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return redemption_row(q);
  }

  std::optional<RedemptionRecord> by_code(const std::string& tenant, const std::string& coupon_code) override {
    auto q = tx_.q(LOY_REDEMPTION_FROM "WHERE r.coupon_code = ?1 AND r.tenant_id = ?2", coupon_code, tenant);
    if (!q.step()) return std::nullopt;
    return redemption_row(q);
  }

  std::vector<RedemptionRecord> redemptions(const RedemptionQuery& c) override {
    auto q = tx_.q(LOY_REDEMPTION_FROM
                   "WHERE r.tenant_id = ?1 AND r.customer_id = ?2 AND r.seq > ?3 "
                   "AND (?4 IS NULL OR r.reward_id = ?4) AND (?5 IS NULL OR r.status = ?5) ORDER BY r.seq LIMIT ?6",
                   c.tenant_id, c.customer_id, c.after_seq, c.reward_id, c.status, c.limit + 1);
    return collect(q, redemption_row);
  }

  std::vector<std::string> due_reservations(const std::string& tenant, Timestamp cutoff,
                                            const std::optional<std::string>& reward) override {
    auto q = tx_.q(
        "SELECT redemption_id FROM redemptions WHERE tenant_id = ?1 AND status = 'reserved' AND expires_at <= ?2 "
        "AND (?3 IS NULL OR reward_id = ?3) ORDER BY expires_at, seq",
        tenant, cutoff, reward);
    return collect(q, [](Query& r) { return r.text(0); });
  }

  int64_t active_redemptions(const std::string& reward, const std::string& customer,
                             std::optional<std::pair<Timestamp, Timestamp>> during) override {
    auto q = tx_.q("SELECT COUNT(*) FROM redemptions WHERE reward_id = ?1 AND customer_id = ?2 AND " LOY_ACTIVE
                   " AND (?3 IS NULL OR (occurred_at >= ?3 AND occurred_at < ?4))",
                   reward, customer, during ? std::optional<Timestamp>(during->first) : std::nullopt,
                   during ? std::optional<Timestamp>(during->second) : std::nullopt);
    q.step();
    return q.i64(0);
  }

  void fulfil(const std::string& tenant, const std::string& id, const std::optional<std::string>& entry_id,
              Timestamp at) override {
    tx_.q("UPDATE redemptions SET status = 'fulfilled', entry_id = COALESCE(?3, entry_id), fulfilled_at = ?4, "
          "updated_at = ?4 WHERE redemption_id = ?1 AND tenant_id = ?2",
          id, tenant, entry_id, at)
        .run();
  }

  void cancel(const std::string& tenant, const std::string& id, const std::optional<std::string>& refund_entry,
              Timestamp at) override {
    tx_.q("UPDATE redemptions SET status = 'cancelled', cancelled_at = ?3, refund_entry_id = ?4, updated_at = ?3 "
          "WHERE redemption_id = ?1 AND tenant_id = ?2",
          id, tenant, at, refund_entry)
        .run();
  }

  void expire(const std::string& tenant, const std::string& id, Timestamp at) override {
    tx_.q("UPDATE redemptions SET status = 'expired', expired_at = ?3, updated_at = ?3 "
          "WHERE redemption_id = ?1 AND tenant_id = ?2",
          id, tenant, at)
        .run();
  }

  std::vector<RewardStock> stock_figures(const std::string& tenant) override {
    auto q = tx_.q(
        "SELECT w.reward_id, w.program_id, w.stock, w.stock_supplied, (SELECT COUNT(*) FROM redemptions r WHERE "
        "r.reward_id = w.reward_id AND r." LOY_ACTIVE ") FROM rewards w WHERE w.tenant_id = ?1 ORDER BY w.seq",
        tenant);
    return collect(q, [](Query& r) { return RewardStock{r.text(0), r.text(1), r.opt_i64(2), r.opt_i64(3), r.i64(4)}; });
  }

  std::vector<RedemptionRecord> unbacked(const std::string& tenant) override {
    auto q = tx_.q(LOY_REDEMPTION_FROM
                   "WHERE r.tenant_id = ?1 AND ((r.status = 'reserved' AND r.hold_id IS NULL) OR "
                   "(r.status = 'cancelled' AND r.entry_id IS NOT NULL AND r.refund_entry_id IS NULL)) ORDER BY r.seq",
                   tenant);
    return collect(q, redemption_row);
  }

  // Read by the AI module ------------------------------------------------------------------

  std::vector<RewardCandidate> reward_candidates(const std::string& tenant, const std::string& program, Timestamp now,
                                                 Timestamp popular_since) override {
    auto q = tx_.q(
        "SELECT r.reward_id, r.name, r.category, r.cost_points, t.rank, (SELECT COUNT(*) FROM redemptions d WHERE "
        "d.tenant_id = r.tenant_id AND d.reward_id = r.reward_id AND d.created_at >= ?4 AND d.status != "
        "'cancelled') FROM rewards r LEFT JOIN tiers t ON t.id = r.min_tier_id WHERE r.tenant_id = ?1 AND "
        "r.program_id = ?2 AND r.active = 1 AND (r.starts_at IS NULL OR r.starts_at <= ?3) AND (r.ends_at IS NULL OR "
        "r.ends_at > ?3) AND (r.stock IS NULL OR r.stock > 0) ORDER BY r.reward_id LIMIT 500",
        tenant, program, now, popular_since);
    std::vector<RewardCandidate> out;
    while (q.step()) out.push_back({q.text(0), q.text(1), q.opt_text(2), q.i64(3), q.opt_i64(4), q.i64(5)});
    return out;
  }

 private:
  Tx& tx_;
};

}  // namespace

RewardStore& Tx::rewards() {
  if (!rewards_) rewards_ = std::make_unique<SqliteRewardStore>(*this);
  return *rewards_;
}

#undef LOY_REWARD_COLS
#undef LOY_REDEMPTION_FROM
#undef LOY_ACTIVE

}  // namespace loyalty::storage
