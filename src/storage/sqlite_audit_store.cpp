// The SQLite backend of AuditStore: the append-only audit_log table (its triggers refuse
// updates and deletes).
#include "audit/audit_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

AuditRecord audit_row(Query& q) {
  // columns: seq, chain, actor, action, target, at, detail, prev_hash, hash
  AuditRecord r;
  r.seq = q.i64(0);
  r.chain = q.text(1);
  r.actor = q.text(2);
  r.action = q.text(3);
  r.target = q.text(4);
  r.at = q.i64(5);
  r.detail = q.text(6);
  r.prev_hash = q.text(7);
  r.hash = q.text(8);
  return r;
}

class SqliteAuditStore final : public AuditStore {
 public:
  explicit SqliteAuditStore(Tx& tx) : tx_(tx) {}

  std::optional<std::string> last_hash(const std::string& chain) override {
    auto q = tx_.q("SELECT hash FROM audit_log WHERE chain = ?1 ORDER BY seq DESC LIMIT 1", chain);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  int64_t append(const AuditRecord& r) override {
    tx_.q("INSERT INTO audit_log(chain, actor, action, target, at, detail, prev_hash, hash) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          r.chain, r.actor, r.action, r.target, r.at, r.detail, r.prev_hash, r.hash)
        .run();
    return sqlite3_last_insert_rowid(tx_.conn().handle());
  }

  std::vector<AuditRecord> list(const AuditQuery& a) override {
    auto q = tx_.q(
        "SELECT seq, chain, actor, action, target, at, detail, prev_hash, hash FROM audit_log WHERE chain = ?1 AND "
        "seq > ?2 AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR target = ?4) AND (?5 IS NULL OR at >= ?5) "
        "AND (?6 IS NULL OR at < ?6) ORDER BY seq LIMIT ?7",
        a.chain, a.after_seq, a.action, a.target, a.from, a.to, a.limit + 1);
    std::vector<AuditRecord> out;
    while (q.step()) out.push_back(audit_row(q));
    return out;
  }

  void scan(const std::string& chain, const std::function<bool(const AuditRecord&)>& visit) override {
    auto q = tx_.q(
        "SELECT seq, chain, actor, action, target, at, detail, prev_hash, hash FROM audit_log WHERE chain = ?1 "
        "ORDER BY seq",
        chain);
    while (q.step())
      if (!visit(audit_row(q))) return;
  }

 private:
  Tx& tx_;
};

}  // namespace

AuditStore& Tx::audit() {
  if (!audit_) audit_ = std::make_unique<SqliteAuditStore>(*this);
  return *audit_;
}

}  // namespace loyalty::storage
