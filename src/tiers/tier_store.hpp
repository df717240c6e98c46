// The tiers module's storage interface, in domain terms, handed out by the unit of work
// (`tx.tiers()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_tier_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (module stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/tier_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

// `TierStore` (`tx.tiers()`, for src/tiers/): tier policies, definitions, qualifying activity per
// account and local day, account tier state (decision, grace, notice, next review) and history.

/// A program's tier qualification policy.
struct TierPolicyRecord {
  std::string program_id;
  std::string tenant_id;
  std::string metric;  // "points", "spend" or "visits"
  std::string window_kind;
  int64_t window_months = 0;
  std::string downgrade;
  int64_t grace_days = 0;
  int64_t notice_days = 0;
  Timestamp updated_at = 0;
};

struct TierRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string name;
  int64_t rank = 0;
  int64_t threshold = 0;
  std::string benefits;  // a JSON object's text
  std::optional<std::string> icon_url;
  bool invitation_only = false;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
};

/// A tier's editable fields, all written (the program, rank and creation time stay).
struct TierUpdate {
  std::string tenant_id;
  std::string id;
  std::string name;
  int64_t threshold = 0;
  std::string benefits;
  std::optional<std::string> icon_url;
  bool invitation_only = false;
  Timestamp updated_at = 0;
};

/// An account's tier state (one row per account once it had a tier decision).
struct AccountTierRecord {
  int64_t account_id = 0;
  std::string tenant_id;
  std::string program_id;
  std::string customer_id;
  Timestamp opened_at = 0;  // the account's
  std::optional<std::string> tier_id;
  Timestamp since = 0;  // when the tier (or the manual flag) last changed
  bool manual = false;
  std::optional<Timestamp> manual_until;
  std::optional<Timestamp> window_end;   // the next review
  std::optional<Timestamp> grace_until;  // read back only: set by set_grace
  std::optional<Timestamp> noticed_at;   // read back only: set by set_noticed
};

/// A row of an account's tier history.
struct TierChangeRecord {
  std::string tenant_id;
  int64_t account_id = 0;
  std::optional<std::string> from_tier;
  std::optional<std::string> to_tier;
  std::string reason;
  int64_t metric = 0;
  Timestamp at = 0;
  int64_t seq = 0;  // read back only: the history order
};

class TierStore {
 public:
  virtual ~TierStore() = default;

  virtual std::optional<TierPolicyRecord> policy(const std::string& tenant, const std::string& program) = 0;
  /// Stores the program's policy, replacing the one it had.
  virtual void put_policy(const TierPolicyRecord& p) = 0;
  /// The programs of the tenant with a policy (only those counting `metric` when given), by id.
  virtual std::vector<std::string> policy_programs(const std::string& tenant,
                                                   const std::optional<std::string>& metric) = 0;

  /// Stores a new tier; a second tier of the program with the same rank or name fails with
  /// Status::conflict.
  virtual void insert_tier(const TierRecord& t) = 0;
  virtual std::optional<TierRecord> tier(const std::string& tenant, const std::string& id) = 0;
  /// The tenant's program's tiers, lowest rank first.
  virtual std::vector<TierRecord> tiers(const std::string& tenant, const std::string& program) = 0;
  virtual void update_tier(const TierUpdate& u) = 0;

  /// The sum of the account's `metric` ("points", "spend" or "visits") over local days in
  /// [from_day, to_day); nullopt bounds are open.
  virtual int64_t activity(int64_t account, const std::string& metric, std::optional<int64_t> from_day,
                           std::optional<int64_t> to_day) = 0;
  /// Adds `amount` of `metric` to the account's local `day`.
  virtual void add_activity(int64_t account, int64_t day, const std::string& metric, int64_t amount) = 0;

  virtual std::optional<AccountTierRecord> account_tier(int64_t account) = 0;
  /// The definition of the tier the account holds; nullopt when it holds none.
  virtual std::optional<TierRecord> held_tier(int64_t account) = 0;
  /// Records the account's tier decision: its tier, manual flag and next review from `since`;
  /// a running grace period and a sent notice end.
  virtual void set_account_tier(const AccountTierRecord& a) = 0;
  virtual void set_grace(int64_t account, std::optional<Timestamp> until) = 0;
  /// Moves the account's next review; a sent notice belongs to the old one and ends.
  virtual void set_window_end(int64_t account, std::optional<Timestamp> window_end) = 0;
  virtual void set_noticed(int64_t account, Timestamp at) = 0;
  /// The program's accounts with something due: a review at or before `review_by`, or a manual
  /// assignment or grace period ending at or before `cutoff`; by account id.
  virtual std::vector<AccountTierRecord> due(const std::string& program, Timestamp review_by, Timestamp cutoff) = 0;

  virtual void add_change(const TierChangeRecord& c) = 0;
  /// The account's history after `after_seq` in order: up to `limit + 1`.
  virtual std::vector<TierChangeRecord> changes(int64_t account, int64_t after_seq, int64_t limit) = 0;
};

}  // namespace loyalty::storage
