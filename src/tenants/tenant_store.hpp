// The tenants module's (tenants, API keys, the engine's admin credential) storage interface, in domain terms, handed
// out by the unit of work
// (`tx.tenants()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_tenant_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (foundation stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/tenant_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

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

}  // namespace loyalty::storage
