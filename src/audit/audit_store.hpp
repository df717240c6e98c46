// The audit module's (the hash-chained audit log) storage interface, in domain terms, handed out by the unit of work
// (`tx.audit()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_audit_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (foundation stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/audit_event_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

struct AuditRecord {
  int64_t seq = 0;  // assigned by append
  std::string chain;
  std::string actor;
  std::string action;
  std::string target;
  Timestamp at = 0;
  std::string detail;  // a JSON object's text
  std::string prev_hash;
  std::string hash;
};

/// What list() selects: a chain's rows after `after_seq`, optionally of one action and target
/// and at in [from, to), in append order, up to `limit + 1`.
struct AuditQuery {
  std::string chain;
  int64_t after_seq = 0;
  std::optional<std::string> action;
  std::optional<std::string> target;
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
  int64_t limit = 100;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  /// The hash of the chain's latest row; nullopt for an empty chain.
  virtual std::optional<std::string> last_hash(const std::string& chain) = 0;
  /// Appends a row and returns its sequence. Rows are never changed or removed.
  virtual int64_t append(const AuditRecord& r) = 0;
  virtual std::vector<AuditRecord> list(const AuditQuery& q) = 0;
  /// Calls `visit` with every row of the chain in append order until it returns false.
  virtual void scan(const std::string& chain, const std::function<bool(const AuditRecord&)>& visit) = 0;
};

}  // namespace loyalty::storage
