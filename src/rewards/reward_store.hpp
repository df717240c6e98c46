// The rewards module's storage interface, in domain terms, handed out by the unit of work
// (`tx.rewards()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_reward_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (module stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/reward_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

// `RewardStore` (`tx.rewards()`, for src/rewards/): the catalog with its stock, redemptions, and
// the figures `ledger.verify` checks.

struct RewardRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string name;
  std::string description;
  std::optional<std::string> image_url;
  std::optional<std::string> category;
  int64_t cost_points = 0;
  std::optional<int64_t> stock;           // units left; nullopt: unlimited
  std::optional<int64_t> stock_supplied;  // read back only: the stock plus the active redemptions
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
  std::optional<std::string> min_tier_id;
  std::optional<int64_t> per_customer_limit;
  std::optional<std::string> limit_period;
  int64_t reservation_ttl_s = 0;
  bool refundable = false;
  std::string metadata;  // a JSON object's text
  bool active = true;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

/// A partial reward update: absent fields keep their values; the nullable fields are written
/// only when their `set_*` flag is on (nullopt then clears them); the window is always written.
struct RewardUpdate {
  std::string tenant_id;
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  bool set_image_url = false;
  std::optional<std::string> image_url;
  bool set_category = false;
  std::optional<std::string> category;
  std::optional<int64_t> cost_points;
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
  bool set_min_tier = false;
  std::optional<std::string> min_tier_id;
  bool set_limit = false;  // per_customer_limit and limit_period together
  std::optional<int64_t> per_customer_limit;
  std::optional<std::string> limit_period;
  std::optional<int64_t> reservation_ttl_s;
  std::optional<bool> refundable;
  std::optional<std::string> metadata;
  std::optional<bool> active;
  Timestamp updated_at = 0;
};

/// What each_reward() visits: the tenant's rewards after `after_seq`, optionally of one program,
/// category and state, and with `available_at` only those redeemable then (active, in stock,
/// inside their window), in creation order.
struct RewardQuery {
  std::string tenant_id;
  int64_t after_seq = 0;
  std::optional<std::string> program_id;
  std::optional<std::string> category;
  std::optional<bool> active;
  std::optional<Timestamp> available_at;
};

struct RedemptionRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string reward_id;
  std::string customer_id;
  int64_t account_id = 0;
  int64_t points = 0;
  std::string status;  // reserved, fulfilled, cancelled, expired
  std::string coupon_code;
  std::optional<std::string> hold_id;
  std::optional<std::string> entry_id;
  std::optional<std::string> refund_entry_id;
  std::optional<Timestamp> expires_at;
  Timestamp occurred_at = 0;
  Timestamp created_at = 0;
  std::optional<Timestamp> fulfilled_at;
  std::optional<Timestamp> cancelled_at;  // read back only
  std::optional<Timestamp> expired_at;    // read back only
  Timestamp updated_at = 0;               // read back only: created_at until a change
  int64_t seq = 0;                        // read back only: the creation order
  std::string reward_name;                // read back only: the reward's current name
};

/// What redemptions() selects: the tenant's customer's redemptions after `after_seq`, optionally
/// of one reward and status, in creation order, up to `limit + 1`.
struct RedemptionQuery {
  std::string tenant_id;
  std::string customer_id;
  int64_t after_seq = 0;
  std::optional<std::string> reward_id;
  std::optional<std::string> status;
  int64_t limit = 100;
};

/// A reward's stock figures for `ledger.verify`.
struct RewardStock {
  std::string reward_id;
  std::string program_id;
  std::optional<int64_t> stock;
  std::optional<int64_t> stock_supplied;
  int64_t active_redemptions = 0;  // reserved or fulfilled
};

/// A redeemable reward: active, inside its window and in stock.
struct RewardCandidate {
  std::string id;
  std::string name;
  std::optional<std::string> category;
  int64_t cost_points = 0;
  std::optional<int64_t> min_tier_rank;
  int64_t popularity = 0;  // redemptions (not cancelled) since the popularity cut-off
};

class RewardStore {
 public:
  virtual ~RewardStore() = default;

  /// Stores a new reward with the next sequence; its supplied stock is its stock, its
  /// updated_at its created_at.
  virtual void insert_reward(const RewardRecord& r) = 0;
  virtual std::optional<RewardRecord> reward(const std::string& tenant, const std::string& id) = 0;
  /// Calls `visit` with the rewards `q` selects, in creation order, until it returns false.
  virtual void each_reward(const RewardQuery& q, const std::function<bool(const RewardRecord&)>& visit) = 0;
  virtual void update_reward(const RewardUpdate& u) = 0;
  virtual void deactivate_reward(const std::string& tenant, const std::string& id, Timestamp at) = 0;
  /// Sets the units left (nullopt: unlimited); the supplied stock moves with it, so supplied -
  /// active redemptions = stock holds.
  virtual void set_stock(const std::string& tenant, const std::string& id, std::optional<int64_t> stock,
                         Timestamp at) = 0;
  /// Takes one unit of a limited stock; false when none is left (or the stock is unlimited).
  virtual bool take_unit(const std::string& tenant, const std::string& id, Timestamp at) = 0;
  /// Puts one unit back into a limited stock (an unlimited stock stays so).
  virtual void return_unit(const std::string& tenant, const std::string& id, Timestamp at) = 0;

  /// Stores a new redemption with the next sequence (its updated_at is its created_at); a
  /// second redemption with the same id or coupon code fails with Status::conflict.
  virtual void insert_redemption(const RedemptionRecord& r) = 0;
  virtual std::optional<RedemptionRecord> redemption(const std::string& tenant, const std::string& id) = 0;
  virtual std::optional<RedemptionRecord> by_code(const std::string& tenant, const std::string& coupon_code) = 0;
  virtual std::vector<RedemptionRecord> redemptions(const RedemptionQuery& q) = 0;
  /// The ids of the tenant's reservations expiring at or before `cutoff` (of one reward, or all),
  /// soonest first, then in creation order.
  virtual std::vector<std::string> due_reservations(const std::string& tenant, Timestamp cutoff,
                                                    const std::optional<std::string>& reward) = 0;
  /// The customer's active (reserved or fulfilled) redemptions of the reward, all or those that
  /// occurred in [from, to).
  virtual int64_t active_redemptions(const std::string& reward, const std::string& customer,
                                     std::optional<std::pair<Timestamp, Timestamp>> during) = 0;
  /// Status changes: fulfilled (with its redeem entry when given), cancelled (with its refund
  /// entry when given), expired; each at `at`.
  virtual void fulfil(const std::string& tenant, const std::string& id, const std::optional<std::string>& entry_id,
                      Timestamp at) = 0;
  virtual void cancel(const std::string& tenant, const std::string& id, const std::optional<std::string>& refund_entry,
                      Timestamp at) = 0;
  virtual void expire(const std::string& tenant, const std::string& id, Timestamp at) = 0;

  /// The tenant's rewards' stock figures in creation order.
  virtual std::vector<RewardStock> stock_figures(const std::string& tenant) = 0;
  /// The tenant's redemptions not backed by the ledger: reserved without a hold, or cancelled
  /// after fulfilment without a refund entry.
  virtual std::vector<RedemptionRecord> unbacked(const std::string& tenant) = 0;

  // Read by the AI module (src/ai/ai.cpp) ----------------------------------------------------

  /// The program's redeemable rewards at `now` (active, inside their window, in stock; at most
  /// 500, by reward id), popularity counted from `popular_since`.
  virtual std::vector<RewardCandidate> reward_candidates(const std::string& tenant, const std::string& program,
                                                         Timestamp now, Timestamp popular_since) = 0;
};

}  // namespace loyalty::storage
