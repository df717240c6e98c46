// The SQLite backend of TenantStore: tenants, API keys and the engine's admin credential.

#include "storage/sqlite.hpp"
#include "tenants/tenant_store.hpp"

namespace loyalty::storage {
namespace {

#define LOY_TENANT_COLS "id, name, slug, timezone, active, settings, created_at, updated_at, seq"
#define LOY_KEY_COLS "id, tenant_id, prefix, hash, name, scopes, created_at, revoked_at, last_used_at"

TenantRecord tenant_row(Query& q) {
  TenantRecord t;
  t.id = q.text(0);
  t.name = q.text(1);
  t.slug = q.text(2);
  t.timezone = q.text(3);
  t.active = q.i64(4) != 0;
  t.settings = q.text(5);
  t.created_at = q.i64(6);
  t.updated_at = q.i64(7);
  t.seq = q.i64(8);
  return t;
}

ApiKeyRecord key_row(Query& q) {
  ApiKeyRecord k;
  k.id = q.text(0);
  k.tenant_id = q.text(1);
  k.prefix = q.text(2);
  k.hash = q.text(3);
  k.name = q.text(4);
  k.scopes = q.text(5);
  k.created_at = q.i64(6);
  k.revoked_at = q.opt_i64(7);
  k.last_used_at = q.opt_i64(8);
  return k;
}

class SqliteTenantStore final : public TenantStore {
 public:
  explicit SqliteTenantStore(Tx& tx) : tx_(tx) {}

  bool slug_taken(const std::string& slug) override {
    return tx_.q("SELECT 1 FROM tenants WHERE slug = ?1", slug).step();
  }

  void insert_tenant(const TenantRecord& t) override {
    tx_.q("INSERT INTO tenants(id, name, slug, timezone, active, settings, created_at, updated_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          t.id, t.name, t.slug, t.timezone, t.active, t.settings, t.created_at, t.updated_at)
        .run();
  }

  std::optional<TenantRecord> tenant(const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_TENANT_COLS " FROM tenants WHERE id = ?1", id);
    if (!q.step()) return std::nullopt;
    return tenant_row(q);
  }

  std::vector<TenantRecord> tenants(int64_t after_seq, std::optional<bool> active, int64_t limit) override {
    auto q = tx_.q("SELECT " LOY_TENANT_COLS
                   " FROM tenants WHERE seq > ?1 AND (?2 IS NULL OR active = ?2) ORDER BY seq LIMIT ?3",
                   after_seq, active, limit + 1);
    std::vector<TenantRecord> out;
    while (q.step()) out.push_back(tenant_row(q));
    return out;
  }

  void update_tenant(const TenantUpdate& u) override {
    tx_.q("UPDATE tenants SET name = COALESCE(?2, name), timezone = COALESCE(?3, timezone), settings = ?4, "
          "updated_at = ?5 WHERE id = ?1",
          u.id, u.name, u.timezone, u.settings, u.updated_at)
        .run();
  }

  void set_tenant_active(const std::string& id, bool active, Timestamp at) override {
    tx_.q("UPDATE tenants SET active = ?2, updated_at = ?3 WHERE id = ?1", id, active, at).run();
  }

  void insert_key(const ApiKeyRecord& k) override {
    tx_.q("INSERT INTO api_keys(id, tenant_id, prefix, hash, name, scopes, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
          k.id, k.tenant_id, k.prefix, k.hash, k.name, k.scopes, k.created_at)
        .run();
  }

  std::optional<ApiKeyRecord> find_key(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_KEY_COLS " FROM api_keys WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return key_row(q);
  }

  std::vector<ApiKeyRecord> keys(const std::string& tenant, bool include_revoked) override {
    auto q =
        tx_.q("SELECT " LOY_KEY_COLS " FROM api_keys WHERE tenant_id = ?1 AND (?2 OR revoked_at IS NULL) ORDER BY seq",
              tenant, include_revoked);
    std::vector<ApiKeyRecord> out;
    while (q.step()) out.push_back(key_row(q));
    return out;
  }

  void revoke_key(const std::string& id, Timestamp at) override {
    tx_.q("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1", id, at).run();
  }

  std::optional<KeyLogin> key_by_prefix(const std::string& prefix) override {
    auto q = tx_.q(
        "SELECT k.id, k.tenant_id, k.prefix, k.hash, k.name, k.scopes, k.created_at, k.revoked_at, "
        "k.last_used_at, t.active FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = ?1",
        prefix);
    if (!q.step()) return std::nullopt;
    return KeyLogin{key_row(q), q.i64(9) != 0};
  }

  void touch_key(const std::string& id, Timestamp at) override {
    tx_.q("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", id, at).run();
  }

  std::optional<KeyState> key_state(const std::string& id) override {
    auto q = tx_.q(
        "SELECT k.revoked_at IS NULL, t.active FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
        "WHERE k.id = ?1",
        id);
    if (!q.step()) return std::nullopt;
    return KeyState{q.i64(0) == 0, q.i64(1) != 0};
  }

  void record_admin_key_hash(const std::string& hash) override {
    tx_.q("INSERT OR IGNORE INTO meta(key, value) VALUES('admin_key_hash', ?1)", hash).run();
  }

  std::optional<std::string> admin_key_hash() override {
    auto q = tx_.q("SELECT value FROM meta WHERE key = 'admin_key_hash'");
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

 private:
  Tx& tx_;
};

}  // namespace

TenantStore& Tx::tenants() {
  if (!tenants_) tenants_ = std::make_unique<SqliteTenantStore>(*this);
  return *tenants_;
}

#undef LOY_TENANT_COLS
#undef LOY_KEY_COLS

}  // namespace loyalty::storage
