// The events module's (the event outbox) storage interface, in domain terms, handed out by the unit of work
// (`tx.events()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_event_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (foundation stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/audit_event_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

struct EventRecord {
  std::string tenant_id;
  int64_t seq = 0;  // assigned by append: one more than the tenant's largest
  std::string id;
  std::string type;
  std::string subject;  // a customer id, "" for none
  std::string data;     // a JSON object's text
  Timestamp created_at = 0;
};

/// What after() selects: the tenant's events after `after_seq`, optionally of some types, in
/// sequence order, at most `limit`.
struct EventQuery {
  std::string tenant_id;
  int64_t after_seq = 0;
  std::optional<std::vector<std::string>> types;
  int64_t limit = 100;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  /// Appends an event with the tenant's next sequence. Events are never changed or removed.
  virtual void append(const EventRecord& e) = 0;
  virtual std::vector<EventRecord> after(const EventQuery& q) = 0;
};

}  // namespace loyalty::storage
