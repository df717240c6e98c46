// The SQLite backend of ProgramStore.

#include "programs/program_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_PROGRAM_COLS                                                                                           \
  "id, tenant_id, name, description, currency, rounding, return_policy, expiry_kind, expiry_value, pending_days, " \
  "max_balance, allow_negative, active, created_at, updated_at"

ProgramRecord program_row(Query& q) {
  ProgramRecord p;
  p.id = q.text(0);
  p.tenant_id = q.text(1);
  p.name = q.text(2);
  p.description = q.text(3);
  p.currency = q.text(4);
  p.rounding = q.text(5);
  p.return_policy = q.text(6);
  p.expiry_kind = q.text(7);
  p.expiry_value = q.i64(8);
  p.pending_days = q.i64(9);
  p.max_balance = q.opt_i64(10);
  p.allow_negative = q.i64(11) != 0;
  p.active = q.i64(12) != 0;
  p.created_at = q.i64(13);
  p.updated_at = q.i64(14);
  return p;
}

#define LOY_SETTINGS_COLS                                                                                         \
  "id, currency, rounding, return_policy, expiry_kind, expiry_value, pending_days, max_balance, allow_negative, " \
  "active, (SELECT timezone FROM tenants WHERE tenants.id = programs.tenant_id)"

ProgramSettings settings_row(Query& q) {
  ProgramSettings p;
  p.id = q.text(0);
  p.currency = q.text(1);
  p.rounding = q.text(2);
  p.return_policy = q.text(3);
  p.expiry_kind = q.text(4);
  p.expiry_value = q.i64(5);
  p.pending_days = q.i64(6);
  p.max_balance = q.opt_i64(7);
  p.allow_negative = q.i64(8) != 0;
  p.active = q.i64(9) != 0;
  p.timezone = q.text(10);
  return p;
}

class SqliteProgramStore final : public ProgramStore {
 public:
  explicit SqliteProgramStore(Tx& tx) : tx_(tx) {}

  bool name_taken(const std::string& tenant, const std::string& name) override {
    return tx_.q("SELECT 1 FROM programs WHERE tenant_id = ?1 AND name = ?2", tenant, name).step();
  }

  void insert_program(const ProgramRecord& p) override {
    tx_.q("INSERT INTO programs(id, tenant_id, name, description, currency, rounding, return_policy, expiry_kind, "
          "expiry_value, pending_days, max_balance, allow_negative, active, created_at, updated_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
          p.id, p.tenant_id, p.name, p.description, p.currency, p.rounding, p.return_policy, p.expiry_kind,
          p.expiry_value, p.pending_days, p.max_balance, p.allow_negative, p.active, p.created_at)
        .run();
  }

  std::optional<ProgramRecord> program(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_PROGRAM_COLS " FROM programs WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return program_row(q);
  }

  std::vector<ProgramRecord> programs(const std::string& tenant, std::optional<bool> active) override {
    auto q = tx_.q("SELECT " LOY_PROGRAM_COLS
                   " FROM programs WHERE tenant_id = ?1 AND (?2 IS NULL OR active = ?2) ORDER BY seq",
                   tenant, active);
    std::vector<ProgramRecord> out;
    while (q.step()) out.push_back(program_row(q));
    return out;
  }

  void update_program(const ProgramUpdate& u) override {
    tx_.q("UPDATE programs SET name = COALESCE(?3, name), description = COALESCE(?4, description), "
          "rounding = COALESCE(?5, rounding), return_policy = COALESCE(?6, return_policy), "
          "expiry_kind = COALESCE(?7, expiry_kind), expiry_value = COALESCE(?8, expiry_value), "
          "pending_days = COALESCE(?9, pending_days), max_balance = CASE WHEN ?10 THEN ?11 ELSE max_balance END, "
          "allow_negative = COALESCE(?12, allow_negative), updated_at = ?13 WHERE id = ?1 AND tenant_id = ?2",
          u.id, u.tenant_id, u.name, u.description, u.rounding, u.return_policy, u.expiry_kind, u.expiry_value,
          u.pending_days, u.set_max_balance, u.max_balance, u.allow_negative, u.updated_at)
        .run();
  }

  void set_program_active(const std::string& tenant, const std::string& id, bool active, Timestamp at) override {
    tx_.q("UPDATE programs SET active = ?3, updated_at = ?4 WHERE id = ?1 AND tenant_id = ?2", id, tenant, active, at)
        .run();
  }

  std::optional<ProgramSettings> settings(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_SETTINGS_COLS " FROM programs WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return settings_row(q);
  }

  std::vector<ProgramSettings> active_settings(const std::string& tenant, int64_t limit) override {
    auto q =
        tx_.q("SELECT " LOY_SETTINGS_COLS " FROM programs WHERE tenant_id = ?1 AND active = 1 ORDER BY seq LIMIT ?2",
              tenant, limit);
    std::vector<ProgramSettings> out;
    while (q.step()) out.push_back(settings_row(q));
    return out;
  }

  std::vector<std::string> active_ids(const std::string& tenant) override {
    auto q = tx_.q("SELECT id FROM programs WHERE tenant_id = ?1 AND active = 1 ORDER BY seq", tenant);
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.text(0));
    return out;
  }

  int64_t count_active(const std::string& tenant) override {
    auto q = tx_.q("SELECT COUNT(*) FROM programs WHERE tenant_id = ?1 AND active = 1", tenant);
    q.step();
    return q.i64(0);
  }

  int64_t negative_accounts(const std::string& program) override {
    auto q = tx_.q("SELECT COUNT(*) FROM accounts WHERE program_id = ?1 AND (posted - held < 0 OR debt > 0)", program);
    q.step();
    return q.i64(0);
  }

 private:
  Tx& tx_;
};

}  // namespace

ProgramStore& Tx::programs() {
  if (!programs_) programs_ = std::make_unique<SqliteProgramStore>(*this);
  return *programs_;
}

#undef LOY_PROGRAM_COLS
#undef LOY_SETTINGS_COLS

}  // namespace loyalty::storage
