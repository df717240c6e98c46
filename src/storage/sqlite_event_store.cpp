// The SQLite backend of EventStore: the events table, clustered by (tenant, sequence). Writers
// are serialised by BEGIN IMMEDIATE, so the sequence assigned inside the transaction follows
// commit order.
#include <nlohmann/json.hpp>

#include "events/event_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

class SqliteEventStore final : public EventStore {
 public:
  explicit SqliteEventStore(Tx& tx) : tx_(tx) {}

  void append(const EventRecord& e) override {
    tx_.q("INSERT INTO events(tenant_id, seq, id, type, subject, data, created_at) VALUES(?2, (SELECT "
          "COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant_id = ?2), ?1, ?3, ?4, ?5, ?6)",
          e.id, e.tenant_id, e.type, e.subject, e.data, e.created_at)
        .run();
  }

  std::vector<EventRecord> after(const EventQuery& e) override {
    // The type filter travels as a JSON array for json_each.
    std::optional<std::string> types;
    if (e.types) types = nlohmann::json(*e.types).dump();
    auto q = tx_.q(
        "SELECT seq, id, type, subject, data, created_at FROM events WHERE tenant_id = ?1 AND seq > ?2 AND "
        "(?3 IS NULL OR type IN (SELECT value FROM json_each(?3))) ORDER BY seq LIMIT ?4",
        e.tenant_id, e.after_seq, types, e.limit);
    std::vector<EventRecord> out;
    while (q.step()) out.push_back({e.tenant_id, q.i64(0), q.text(1), q.text(2), q.text(3), q.text(4), q.i64(5)});
    return out;
  }

 private:
  Tx& tx_;
};

}  // namespace

EventStore& Tx::events() {
  if (!events_) events_ = std::make_unique<SqliteEventStore>(*this);
  return *events_;
}

}  // namespace loyalty::storage
