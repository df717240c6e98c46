// The foundation modules' storage interfaces, in domain terms: tenants and API keys (with the
// engine's admin credential), programs, customers and their accounts, the hash-chained audit
// log, and the event outbox. No SQL crosses them; the modules (src/tenants/, src/programs/,
// src/customers/, src/audit/, src/events/ and the engine in src/core/) speak only these
// interfaces, and a backend implements them. Records hold raw column values: JSON documents
// (settings, scopes, profiles, details, payloads) stay text, parsed and written by the modules.
// Every call runs inside the unit of work it was obtained from (`storage::Tx::tenants()`,
// `programs()`, `customers()`, `audit()`, `events()`), so a write is visible to later calls of
// the same unit and to nobody else until it commits; a unit rolled back leaves nothing behind.
//
// Contract every backend must meet (the conformance suites in tests/unit/storage/ check it):
// - ids: records keep the ids the caller gives them; a second tenant with the same id or slug,
//   API key with the same id or prefix, program with the same id or the same name in its tenant,
//   customer with the same id or the same external id in its tenant, or account for the same
//   customer and program fails with Status::conflict. Accounts, audit rows and events get
//   sequences from the store: account ids and audit sequences increase with every insert, and
//   event sequences are 1, 2, 3 ... per tenant.
// - order: lists return rows in creation order (their sequence), and a page asked for `limit`
//   rows returns up to `limit + 1` (a further row tells the caller more pages follow), except
//   EventStore::after, which returns at most `limit`.
// - tenancy: every lookup that takes a tenant finds only that tenant's rows.
// - partial updates: an absent (nullopt) field of an update keeps the stored value.
// - errors: a backend failure throws loyalty::Error with Status::storage (or Status::busy when
//   another writer holds the database past the deadline).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

// Tenants and access ---------------------------------------------------------------------------

struct TenantRecord {
  std::string id;
  std::string name;
  std::string slug;
  std::string timezone;  // an IANA name
  bool active = true;
  std::string settings;  // a JSON object's text
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

struct ApiKeyRecord {
  std::string id;
  std::string tenant_id;
  std::string prefix;
  std::string hash;  // SHA-256 hex of the whole key
  std::string name;
  std::string scopes;  // a JSON array's text
  Timestamp created_at = 0;
  std::optional<Timestamp> revoked_at;    // read back only
  std::optional<Timestamp> last_used_at;  // read back only
};

/// A key found by its prefix when a session opens, with its tenant's state.
struct KeyLogin {
  ApiKeyRecord key;
  bool tenant_active = false;
};

/// What a write re-checks about its session's key.
struct KeyState {
  bool revoked = false;
  bool tenant_active = false;
};

/// A partial tenant update: absent fields keep their values.
struct TenantUpdate {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> timezone;
  std::string settings;
  Timestamp updated_at = 0;
};

class TenantStore {
 public:
  virtual ~TenantStore() = default;

  virtual bool slug_taken(const std::string& slug) = 0;
  virtual void insert_tenant(const TenantRecord& t) = 0;
  virtual std::optional<TenantRecord> tenant(const std::string& id) = 0;
  /// Tenants created after `after_seq`, optionally only the active (or inactive) ones, in
  /// creation order: up to `limit + 1`.
  virtual std::vector<TenantRecord> tenants(int64_t after_seq, std::optional<bool> active, int64_t limit) = 0;
  virtual void update_tenant(const TenantUpdate& u) = 0;
  virtual void set_tenant_active(const std::string& id, bool active, Timestamp at) = 0;

  /// Stores a new key (not revoked, never used).
  virtual void insert_key(const ApiKeyRecord& k) = 0;
  virtual std::optional<ApiKeyRecord> find_key(const std::string& tenant, const std::string& id) = 0;
  /// The tenant's keys in creation order, the revoked ones only when asked.
  virtual std::vector<ApiKeyRecord> keys(const std::string& tenant, bool include_revoked) = 0;
  virtual void revoke_key(const std::string& id, Timestamp at) = 0;
  /// The key with this prefix (of a tenant that exists), with its tenant's state.
  virtual std::optional<KeyLogin> key_by_prefix(const std::string& prefix) = 0;
  virtual void touch_key(const std::string& id, Timestamp at) = 0;
  /// The key's revocation and its tenant's state; nullopt when either is gone.
  virtual std::optional<KeyState> key_state(const std::string& id) = 0;

  /// The engine's admin credential (SHA-256 hex): the first one recorded stays.
  virtual void record_admin_key_hash(const std::string& hash) = 0;
  virtual std::optional<std::string> admin_key_hash() = 0;
};

// Programs -------------------------------------------------------------------------------------

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

// Customers ------------------------------------------------------------------------------------

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

// Audit log ------------------------------------------------------------------------------------

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

// Events ---------------------------------------------------------------------------------------

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
