// The SQLite backend of CustomerStore: customers and the opening of their accounts.

#include "customers/customer_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_CUSTOMER_COLS \
  "id, tenant_id, external_id, profile, preferences, segments, created_at, updated_at, seq, personal, erased_at"

CustomerRecord customer_row(Query& q) {
  CustomerRecord c;
  c.id = q.text(0);
  c.tenant_id = q.text(1);
  c.external_id = q.text(2);
  c.profile = q.text(3);
  c.preferences = q.text(4);
  c.segments = q.text(5);
  c.created_at = q.i64(6);
  c.updated_at = q.i64(7);
  c.seq = q.i64(8);
  c.personal = q.opt_text(9);
  c.erased_at = q.opt_i64(10);
  return c;
}

class SqliteCustomerStore final : public CustomerStore {
 public:
  explicit SqliteCustomerStore(Tx& tx) : tx_(tx) {}

  std::optional<std::string> id_by_external(const std::string& tenant, const std::string& external_id) override {
    auto q = tx_.q("SELECT id FROM customers WHERE tenant_id = ?1 AND external_id = ?2", tenant, external_id);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  void insert_customer(const CustomerRecord& c) override {
    tx_.q("INSERT INTO customers(id, tenant_id, external_id, profile, preferences, segments, created_at, updated_at, "
          "personal) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
          c.id, c.tenant_id, c.external_id, c.profile, c.preferences, c.segments, c.created_at, c.personal)
        .run();
  }

  std::optional<CustomerRecord> customer(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_CUSTOMER_COLS " FROM customers WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return customer_row(q);
  }

  bool exists(const std::string& tenant, const std::string& id) override {
    return tx_.q("SELECT 1 FROM customers WHERE id = ?1 AND tenant_id = ?2", id, tenant).step();
  }

  std::optional<CustomerFacts> facts(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT segments, profile FROM customers WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return CustomerFacts{q.text(0), q.text(1)};
  }

  void update_customer(const CustomerUpdate& u) override {
    tx_.q("UPDATE customers SET profile = COALESCE(?3, profile), preferences = COALESCE(?4, preferences), "
          "segments = COALESCE(?5, segments), updated_at = ?6 WHERE id = ?1 AND tenant_id = ?2",
          u.id, u.tenant_id, u.profile, u.preferences, u.segments, u.updated_at)
        .run();
    if (u.set_personal)
      tx_.q("UPDATE customers SET personal = ?3 WHERE id = ?1 AND tenant_id = ?2", u.id, u.tenant_id, u.personal).run();
  }

  std::vector<CustomerRecord> customers(const CustomerQuery& c) override {
    auto q = tx_.q("SELECT " LOY_CUSTOMER_COLS
                   " FROM customers WHERE tenant_id = ?1 AND seq > ?2 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM "
                   "json_each(customers.segments) WHERE value = ?3)) ORDER BY seq LIMIT ?4",
                   c.tenant_id, c.after_seq, c.segment, c.limit + 1);
    std::vector<CustomerRecord> out;
    while (q.step()) out.push_back(customer_row(q));
    return out;
  }

  std::vector<std::string> account_programs(const std::string& customer) override {
    auto q = tx_.q("SELECT program_id FROM accounts WHERE customer_id = ?1 ORDER BY id", customer);
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.text(0));
    return out;
  }

  std::optional<int64_t> account_id(const std::string& customer, const std::string& program) override {
    auto q = tx_.q("SELECT id FROM accounts WHERE customer_id = ?1 AND program_id = ?2", customer, program);
    if (!q.step()) return std::nullopt;
    return q.i64(0);
  }

  int64_t open_account(const std::string& tenant, const std::string& customer, const std::string& program,
                       Timestamp at) override {
    tx_.q("INSERT INTO accounts(tenant_id, customer_id, program_id, created_at) VALUES(?1, ?2, ?3, ?4)", tenant,
          customer, program, at)
        .run();
    return sqlite3_last_insert_rowid(tx_.conn().handle());
  }

  std::optional<std::string> tenant_key(const std::string& tenant) override {
    auto q = tx_.q("SELECT wrapped FROM tenant_keys WHERE tenant_id = ?1", tenant);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  void insert_tenant_key(const std::string& tenant, const std::string& wrapped, Timestamp at) override {
    tx_.q("INSERT INTO tenant_keys(tenant_id, wrapped, created_at) VALUES(?1, ?2, ?3)", tenant, wrapped, at).run();
  }

  std::optional<std::string> customer_key(const std::string& customer) override {
    auto q = tx_.q("SELECT wrapped FROM customer_keys WHERE customer_id = ?1", customer);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  void insert_customer_key(const std::string& tenant, const std::string& customer,
                           const std::string& wrapped) override {
    tx_.q("INSERT INTO customer_keys(customer_id, tenant_id, wrapped) VALUES(?1, ?2, ?3)", customer, tenant, wrapped)
        .run();
  }

  void set_lookups(const std::string& tenant, const std::string& customer,
                   const std::vector<std::pair<std::string, std::string>>& entries) override {
    tx_.q("DELETE FROM customer_lookup WHERE customer_id = ?1", customer).run();
    for (const auto& [kind, hash] : entries)
      tx_.q("INSERT OR IGNORE INTO customer_lookup(tenant_id, kind, hash, customer_id) VALUES(?1, ?2, ?3, ?4)", tenant,
            kind, hash, customer)
          .run();
  }

  std::vector<std::string> ids_by_lookup(const std::string& tenant, const std::string& kind,
                                         const std::string& hash) override {
    auto q = tx_.q(
        "SELECT l.customer_id FROM customer_lookup l JOIN customers c ON c.id = l.customer_id "
        "WHERE l.tenant_id = ?1 AND l.kind = ?2 AND l.hash = ?3 ORDER BY c.seq",
        tenant, kind, hash);
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.text(0));
    return out;
  }

  std::vector<CustomerRecord> all_customers(int64_t after_seq, int64_t limit) override {
    auto q =
        tx_.q("SELECT " LOY_CUSTOMER_COLS " FROM customers WHERE seq > ?1 ORDER BY seq LIMIT ?2", after_seq, limit);
    std::vector<CustomerRecord> out;
    while (q.step()) out.push_back(customer_row(q));
    return out;
  }

  void erase_customer(const CustomerErasure& e) override {
    // secure_delete overwrites the deleted and replaced bytes (cells and freed pages) with
    // zeros in the database file; the WAL is truncated by the caller after commit.
    tx_.conn().exec("PRAGMA secure_delete=ON");
    try {
      tx_.q("DELETE FROM customer_keys WHERE customer_id = ?1 AND tenant_id = ?2", e.id, e.tenant_id).run();
      tx_.q("DELETE FROM customer_lookup WHERE customer_id = ?1 AND tenant_id = ?2", e.id, e.tenant_id).run();
      tx_.q("UPDATE customers SET profile = '{}', preferences = '{}', personal = NULL, erased_at = ?3, "
            "updated_at = ?3, external_id = COALESCE(?4, external_id) WHERE id = ?1 AND tenant_id = ?2",
            e.id, e.tenant_id, e.at, e.new_external_id)
          .run();
      // Check-ins keep their place in history (status, points, location) without the precise
      // coordinates and the device; the customer's stored AI results go.
      tx_.q("UPDATE checkins SET lat = 0, lon = 0, accuracy_m = 0, device = '{}' WHERE customer_id = ?1 AND "
            "tenant_id = ?2",
            e.id, e.tenant_id)
          .run();
      tx_.q("DELETE FROM ai_results WHERE tenant_id = ?1 AND (subject = ?2 OR subject LIKE ?2 || '/%')", e.tenant_id,
            e.id)
          .run();
    } catch (...) {
      tx_.conn().exec("PRAGMA secure_delete=OFF");
      throw;
    }
    tx_.conn().exec("PRAGMA secure_delete=OFF");
  }

  void set_secure_delete(bool on) override {
    tx_.conn().exec(on ? "PRAGMA secure_delete=ON" : "PRAGMA secure_delete=OFF");
  }

  std::optional<std::string> privacy_meta(const std::string& key) override {
    auto q = tx_.q("SELECT value FROM meta WHERE key = ?1", key);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  void set_privacy_meta(const std::string& key, const std::string& value) override {
    tx_.q("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key,
          value)
        .run();
  }

 private:
  Tx& tx_;
};

}  // namespace

CustomerStore& Tx::customers() {
  if (!customers_) customers_ = std::make_unique<SqliteCustomerStore>(*this);
  return *customers_;
}

#undef LOY_CUSTOMER_COLS

}  // namespace loyalty::storage
