// The AI module's storage interface, in domain terms: the per-tenant provider settings, the stored
// results of the ai.* operations, and the read-only aggregates the operations build their inputs
// from (activity counts, purchase sums, balances and tiers). No SQL crosses it; src/ai/ai.cpp
// speaks this interface, and asks the other modules' stores for their data (CustomerStore,
// TenantStore; RewardStore::reward_candidates, RuleStore::bonus_rules, and LocationStore's
// last_seen, location_point, active_location_ids and visits), and a backend implements it. Records hold raw
// column values: JSON documents (TTLs, provider configuration, outputs, rule conditions) stay
// text, parsed and written by the module. Every call runs inside the unit of work it was
// obtained from (`UnitOfWork::ai()`), so a write is visible to later calls of the same unit and
// to nobody else until it commits.
//
// Contract every backend must meet (tests/unit/storage/ai_store_conformance_test.cpp checks it):
// - settings: one row per tenant; save_settings inserts it or replaces every column but the
//   salt, which stays the first one stored (the pseudonymous ids must not change).
// - results: one per (tenant, operation, subject); put_result replaces the previous one.
//   fresh_result finds it only while `now < expires_at` and `now < created_at + max_age_ms`.
// - tenancy: every lookup that takes a tenant finds only that tenant's rows, and the aggregates
//   count only that tenant's purchases, check-ins and entries.
// - order and bounds: activity rows come grouped per source in the order purchases, check-ins,
//   host earns; category spend by category (at most 100).
// - errors: a backend failure throws loyalty::Error with Status::storage (or Status::busy).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

/// A tenant's AI settings as stored.
struct AiSettingsRecord {
  std::string tenant_id;
  std::string provider;
  std::string ttl;     // a JSON object's text: operation name -> seconds
  std::string config;  // a JSON object's text: the provider's configuration, secrets included
  std::string salt;    // of the tenant's pseudonymous customer ids
  Timestamp updated_at = 0;
};

/// A stored result of one operation for one subject.
struct AiResultRecord {
  std::string tenant_id;
  std::string operation;
  std::string subject;
  std::string provider;
  std::string model;
  Timestamp created_at = 0;
  Timestamp expires_at = 0;
  std::string output;  // a JSON document's text
};

/// The windows activity() counts in: [since_90d, until], [since_180d, since_90d) and
/// [since_365d, until].
struct ActivityQuery {
  std::string tenant_id;
  std::optional<std::string> customer_id;  // nullopt: every customer of the tenant
  Timestamp since_90d = 0;
  Timestamp since_180d = 0;
  Timestamp since_365d = 0;
  Timestamp until = 0;
};

/// Where a customer's activity came from.
enum class ActivitySource { purchases, checkins, host_earns };

/// One customer's activity from one source. Monetary sums (purchase amounts net of returns) are
/// zero for check-ins and host earns.
struct ActivityCounts {
  ActivitySource source = ActivitySource::purchases;
  std::string customer_id;
  Timestamp last = 0;
  int64_t n_90d = 0, n_prev_90d = 0, n_365d = 0;
  int64_t monetary_90d = 0, monetary_365d = 0;
};

/// A customer's creation time and available points over all their accounts (posted - held).
struct AiCustomerSummary {
  Timestamp created_at = 0;
  int64_t balance = 0;
};

/// A customer's account in one program: available points and current tier, if any.
struct AccountStanding {
  int64_t available = 0;
  std::optional<std::string> tier;
  std::optional<int64_t> tier_rank;
};

struct CategorySpend {
  std::string category;
  int64_t spend = 0;  // sum of unit_price * quantity of the purchase items
};

class AiStore {
 public:
  virtual ~AiStore() = default;

  // Settings and results ---------------------------------------------------------------------

  virtual std::optional<AiSettingsRecord> settings(const std::string& tenant) = 0;
  /// Inserts the tenant's settings, or replaces every column but the salt.
  virtual void save_settings(const AiSettingsRecord& s) = 0;
  /// The stored result of (operation, subject) if `now` is before its expiry and before
  /// `created_at + max_age_ms`.
  virtual std::optional<AiResultRecord> fresh_result(const std::string& tenant, const std::string& operation,
                                                     const std::string& subject, Timestamp now, int64_t max_age_ms) = 0;
  /// Stores a result, replacing the previous one of the same (tenant, operation, subject).
  virtual void put_result(const AiResultRecord& r) = 0;

  // Aggregates -------------------------------------------------------------------------------

  /// Per source and customer: purchases (with monetary sums), verified check-ins, and earn or
  /// bonus entries that came from neither (no purchase_id or checkin_id in their metadata),
  /// occurred at or before `until`.
  virtual std::vector<ActivityCounts> activity(const ActivityQuery& q) = 0;
  /// Per customer who bought in [from, to], their purchase amounts net of returns (any order).
  virtual std::vector<int64_t> purchase_totals(const std::string& tenant, Timestamp from, Timestamp to) = 0;
  virtual std::optional<AiCustomerSummary> customer_summary(const std::string& tenant, const std::string& customer) = 0;
  virtual std::optional<AccountStanding> standing(const std::string& tenant, const std::string& customer,
                                                  const std::string& program) = 0;
  /// The customer's spend per item category in the program's purchases in [from, to].
  virtual std::vector<CategorySpend> category_spend(const std::string& tenant, const std::string& customer,
                                                    const std::string& program, Timestamp from, Timestamp to) = 0;
};

}  // namespace loyalty::storage
