// The SQLite backend of CustomerStore: customers and the opening of their accounts.

#include "customers/customer_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_CUSTOMER_COLS "id, tenant_id, external_id, profile, preferences, segments, created_at, updated_at, seq"

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
    tx_.q("INSERT INTO customers(id, tenant_id, external_id, profile, preferences, segments, created_at, updated_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
          c.id, c.tenant_id, c.external_id, c.profile, c.preferences, c.segments, c.created_at)
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
