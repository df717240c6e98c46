// The customers module's (customers and the opening of accounts) storage interface, in domain terms, handed out by the
// unit of work
// (`tx.customers()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_customer_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (foundation stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/customer_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

struct CustomerRecord {
  std::string id;
  std::string tenant_id;
  std::string external_id;
  std::string profile;      // a JSON object's text
  std::string preferences;  // a JSON object's text
  std::string segments;     // a JSON array's text (sorted, unique)
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

/// What the rules engine reads of a customer (JSON text).
struct CustomerFacts {
  std::string segments;
  std::string profile;
};

/// A partial customer update: absent documents keep their values.
struct CustomerUpdate {
  std::string tenant_id;
  std::string id;
  std::optional<std::string> profile;
  std::optional<std::string> preferences;
  std::optional<std::string> segments;
  Timestamp updated_at = 0;
};

/// What customers() selects: the tenant's customers after `after_seq`, optionally only those
/// tagged with `segment`, in creation order, up to `limit + 1`.
struct CustomerQuery {
  std::string tenant_id;
  int64_t after_seq = 0;
  std::optional<std::string> segment;
  int64_t limit = 100;
};

class CustomerStore {
 public:
  virtual ~CustomerStore() = default;

  /// The id of the tenant's customer with this external id.
  virtual std::optional<std::string> id_by_external(const std::string& tenant, const std::string& external_id) = 0;
  /// Stores a new customer; its updated_at is its created_at.
  virtual void insert_customer(const CustomerRecord& c) = 0;
  virtual std::optional<CustomerRecord> customer(const std::string& tenant, const std::string& id) = 0;
  virtual bool exists(const std::string& tenant, const std::string& id) = 0;
  virtual std::optional<CustomerFacts> facts(const std::string& tenant, const std::string& id) = 0;
  virtual void update_customer(const CustomerUpdate& u) = 0;
  virtual std::vector<CustomerRecord> customers(const CustomerQuery& q) = 0;

  /// The programs the customer has accounts in, in the accounts' creation order.
  virtual std::vector<std::string> account_programs(const std::string& customer) = 0;
  virtual std::optional<int64_t> account_id(const std::string& customer, const std::string& program) = 0;
  /// Opens an empty account and returns its new id (larger than every earlier account id).
  virtual int64_t open_account(const std::string& tenant, const std::string& customer, const std::string& program,
                               Timestamp at) = 0;
};

}  // namespace loyalty::storage
