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
#include <utility>
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
  int64_t seq = 0;                        // read back only: the creation order
  std::optional<std::string> personal{};  // the sealed personal fields (crypto::seal_text), if any
  std::optional<Timestamp> erased_at{};   // read back only: set by erase_customer
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
  bool set_personal = false;  // when true, `personal` is written (nullopt: none)
  std::optional<std::string> personal{};
};

/// What erase_customer does to a customer: its documents emptied, its sealed personal fields,
/// key and blind-index rows deleted, its check-ins' coordinates and device zeroed, its stored AI
/// results deleted, all with the old bytes overwritten (secure delete), and its external id
/// replaced when given.
struct CustomerErasure {
  std::string tenant_id;
  std::string id;
  std::optional<std::string> new_external_id;
  Timestamp at = 0;
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

  // Personal data (docs/security.md). Keys are stored wrapped (text of crypto::seal_text).
  /// The tenant's wrapped data key.
  virtual std::optional<std::string> tenant_key(const std::string& tenant) = 0;
  virtual void insert_tenant_key(const std::string& tenant, const std::string& wrapped, Timestamp at) = 0;
  /// The customer's wrapped key.
  virtual std::optional<std::string> customer_key(const std::string& customer) = 0;
  virtual void insert_customer_key(const std::string& tenant, const std::string& customer,
                                   const std::string& wrapped) = 0;
  /// Replaces the customer's blind-index rows by `entries` (kind, hash).
  virtual void set_lookups(const std::string& tenant, const std::string& customer,
                           const std::vector<std::pair<std::string, std::string>>& entries) = 0;
  /// The tenant's customers with this blind-index entry, in creation order.
  virtual std::vector<std::string> ids_by_lookup(const std::string& tenant, const std::string& kind,
                                                 const std::string& hash) = 0;
  /// Customers of every tenant after `after_seq` in creation order, up to `limit` (for the
  /// one-time encryption of a plain-text file).
  virtual std::vector<CustomerRecord> all_customers(int64_t after_seq, int64_t limit) = 0;
  virtual void erase_customer(const CustomerErasure& e) = 0;
  /// While on, deleted and replaced bytes are overwritten with zeros (the one-time encryption
  /// of plain-text personal fields turns it on, then off).
  virtual void set_secure_delete(bool on) = 0;
  /// Engine-wide settings of personal data (meta table): "personal_encryption", "master_key_check".
  virtual std::optional<std::string> privacy_meta(const std::string& key) = 0;
  virtual void set_privacy_meta(const std::string& key, const std::string& value) = 0;
};

}  // namespace loyalty::storage
