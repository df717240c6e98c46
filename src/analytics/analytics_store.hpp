// The analytics module's storage interface, in domain terms, handed out by the unit of work
// (`tx.analytics()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_analytics_store.cpp. No SQL crosses it.
//
// The rollups (docs/analytics.md) are derived data: per (tenant, program, local day) counters,
// per (tenant, program, local day, customer) activity rows, and the watermarks up to which the
// ledger entries, accounts and customers have been folded into them. They are caught up from the
// watermarks by the analytics operations themselves, never by the writes of other modules (so the
// earn path does not pay for them). `program` is "" for the tenant-wide rows (every program; the
// members of the tenant-wide rows are customers, those of a program's rows its accounts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

/// How far the rollups have folded each source (its sequence: entries.seq, the accounts' ids,
/// the customers' sequence); also the heads of those sources.
struct AnalyticsMarks {
  int64_t entries = 0;
  int64_t accounts = 0;
  int64_t customers = 0;
  bool operator==(const AnalyticsMarks&) const = default;
};

/// A ledger entry as the rollups see it.
struct AnalyticsEntry {
  int64_t seq = 0;
  std::string tenant_id;
  std::string program_id;
  std::string customer_id;
  std::string type;
  int64_t points = 0;
  Timestamp occurred_at = 0;
};

/// An account (program_id set) or a customer (program_id empty) that became a member.
struct AnalyticsMember {
  int64_t seq = 0;
  std::string tenant_id;
  std::string program_id;
  Timestamp created_at = 0;
};

/// The counters of one local day (or the sum of several).
struct AnalyticsCounters {
  int64_t issued = 0;           // earn and bonus points
  int64_t issued_count = 0;     // earn and bonus entries
  int64_t redeemed = 0;         // redeem points, as a positive number
  int64_t redeemed_count = 0;   // redeem entries
  int64_t refunded = 0;         // refund points (redemptions given back)
  int64_t reversed = 0;         // reverse points, positive
  int64_t expired = 0;          // expire points, positive
  int64_t adjusted_credit = 0;  // positive adjustments
  int64_t adjusted_debit = 0;   // negative adjustments, as a positive number
  int64_t net = 0;              // the signed sum of every entry's points
  int64_t enrolled = 0;         // members that joined (accounts, or customers tenant-wide)
  int64_t entries = 0;          // entries of every type
};

struct AnalyticsDay {
  int64_t day = 0;  // local days since 1970-01-01 in the tenant's zone
  AnalyticsCounters counters;
};

struct AnalyticsTierCount {
  std::optional<std::string> tier_id;  // nullopt: accounts with tier state but no tier
  std::string name;
  int64_t rank = 0;
  int64_t members = 0;
};

class AnalyticsStore {
 public:
  virtual ~AnalyticsStore() = default;

  // ---- catch-up (write units only) ----
  virtual AnalyticsMarks marks() = 0;
  /// The newest sequence of each source.
  virtual AnalyticsMarks heads() = 0;
  virtual void set_marks(const AnalyticsMarks& m) = 0;
  /// Entries with after < seq <= upto, in sequence order, at most `limit`; only the tenant's
  /// when given.
  virtual std::vector<AnalyticsEntry> entries(int64_t after, int64_t upto, const std::optional<std::string>& tenant,
                                              int64_t limit) = 0;
  /// Accounts with after < id <= upto (program_id set), in order, at most `limit`.
  virtual std::vector<AnalyticsMember> accounts(int64_t after, int64_t upto, const std::optional<std::string>& tenant,
                                                int64_t limit) = 0;
  /// Customers with after < seq <= upto (program_id empty), in order, at most `limit`.
  virtual std::vector<AnalyticsMember> customers(int64_t after, int64_t upto, const std::optional<std::string>& tenant,
                                                 int64_t limit) = 0;
  /// The zone the tenant's rollups are bucketed in (nullopt: none yet).
  virtual std::optional<std::string> rollup_zone(const std::string& tenant) = 0;
  virtual void set_rollup_zone(const std::string& tenant, const std::string& zone) = 0;
  /// Tenants whose rollups were bucketed in another zone than the tenant's current one.
  virtual std::vector<std::string> stale_zones() = 0;
  /// Drops the tenant's rollups (days and activity), before a rebuild.
  virtual void clear_tenant(const std::string& tenant) = 0;
  /// Adds `c` to the day's counters.
  virtual void add_day(const std::string& tenant, const std::string& program, int64_t day,
                       const AnalyticsCounters& c) = 0;
  /// Records that the customer was active on the day (idempotent).
  virtual void add_activity(const std::string& tenant, const std::string& program, int64_t day,
                            const std::string& customer) = 0;

  // ---- reads ----
  /// The days in [from, to] that have counters, in day order.
  virtual std::vector<AnalyticsDay> days(const std::string& tenant, const std::string& program, int64_t from,
                                         int64_t to) = 0;
  /// The sum of the counters of every day before `day`.
  virtual AnalyticsCounters before(const std::string& tenant, const std::string& program, int64_t day) = 0;
  /// Distinct customers active on some day of [from, to].
  virtual int64_t active(const std::string& tenant, const std::string& program, int64_t from, int64_t to) = 0;
  /// The program's accounts per current tier (tier state rows only), by rank.
  virtual std::vector<AnalyticsTierCount> tier_counts(const std::string& program) = 0;
};

}  // namespace loyalty::storage
