// The programs module's storage interface, in domain terms, handed out by the unit of work
// (`tx.programs()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_program_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (foundation stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/program_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

/// A program's stored columns, as program.get shows them.
struct ProgramRecord {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string description;
  std::string currency;
  std::string rounding;
  std::string return_policy;
  std::string expiry_kind;
  int64_t expiry_value = 0;
  int64_t pending_days = 0;
  std::optional<int64_t> max_balance;
  bool allow_negative = false;
  bool active = true;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
};

/// The settings other modules compute with, and the tenant's time zone.
struct ProgramSettings {
  std::string id;
  std::string currency;
  std::string rounding;
  std::string return_policy;
  std::string expiry_kind;
  int64_t expiry_value = 0;
  int64_t pending_days = 0;
  std::optional<int64_t> max_balance;
  bool allow_negative = false;
  bool active = true;
  std::string timezone;
};

/// A partial program update: absent fields keep their values; `max_balance` is written only
/// when `set_max_balance` (nullopt then removes the limit).
struct ProgramUpdate {
  std::string tenant_id;
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> rounding;
  std::optional<std::string> return_policy;
  std::optional<std::string> expiry_kind;
  std::optional<int64_t> expiry_value;
  std::optional<int64_t> pending_days;
  bool set_max_balance = false;
  std::optional<int64_t> max_balance;
  std::optional<bool> allow_negative;
  Timestamp updated_at = 0;
};

class ProgramStore {
 public:
  virtual ~ProgramStore() = default;

  virtual bool name_taken(const std::string& tenant, const std::string& name) = 0;
  /// Stores a new program; its updated_at is its created_at.
  virtual void insert_program(const ProgramRecord& p) = 0;
  virtual std::optional<ProgramRecord> program(const std::string& tenant, const std::string& id) = 0;
  /// The tenant's programs in creation order, optionally only the active (or inactive) ones.
  virtual std::vector<ProgramRecord> programs(const std::string& tenant, std::optional<bool> active) = 0;
  virtual void update_program(const ProgramUpdate& u) = 0;
  virtual void set_program_active(const std::string& tenant, const std::string& id, bool active, Timestamp at) = 0;

  virtual std::optional<ProgramSettings> settings(const std::string& tenant, const std::string& id) = 0;
  /// The tenant's active programs' settings in creation order, at most `limit`.
  virtual std::vector<ProgramSettings> active_settings(const std::string& tenant, int64_t limit) = 0;
  /// The ids of the tenant's active programs in creation order.
  virtual std::vector<std::string> active_ids(const std::string& tenant) = 0;
  virtual int64_t count_active(const std::string& tenant) = 0;
  /// Accounts of the program with a negative available balance or a debt.
  virtual int64_t negative_accounts(const std::string& program) = 0;
};

}  // namespace loyalty::storage
