// The event outbox. Writers are serialised by the database's write lock (BEGIN IMMEDIATE), and
// each event's per-tenant sequence is one more than the tenant's largest, assigned inside the
// transaction: sequences follow commit order, so a reader that has seen sequence n has seen
// every event committed before it, and a cursor over `seq` never skips a committed event.
#include "events/events.hpp"

#include <fmt/format.h>

#include "core/input.hpp"
#include "core/registry.hpp"
#include "crypto/crypto.hpp"

namespace loyalty::detail {

std::string emit_event(storage::Tx& tx, const std::string& tenant, std::string_view type, const std::string& subject,
                       Timestamp at, nlohmann::json data) {
  std::string id = crypto::new_sortable_id("evt", at);
  tx.q("INSERT INTO events(tenant_id, seq, id, type, subject, data, created_at) VALUES(?2, (SELECT "
       "COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant_id = ?2), ?1, ?3, ?4, ?5, ?6)",
       id, tenant, std::string(type), subject, data.dump(), at)
      .run();
  return id;
}

namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

json poll(Ctx& ctx, const json& in) {
  Input i(in, {"after", "limit", "types"});
  const int64_t after = i.has("after") ? decode_cursor(i.str("after"), i.field("after")) : 0;
  const int64_t limit = i.opt_i64("limit", 1, kMaxLimit).value_or(kDefaultLimit);
  std::optional<json> types;
  if (i.has("types")) {
    const json& t = i.raw("types");
    if (!t.is_array() || t.empty() || t.size() > 32) i.fail("types", "must be an array of 1 to 32 event types");
    for (const auto& v : t)
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) i.fail("types", "must contain event type names");
    types = t;
  }
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q(
      "SELECT seq, id, type, subject, data, created_at FROM events WHERE tenant_id = ?1 AND seq > ?2 AND "
      "(?3 IS NULL OR type IN (SELECT value FROM json_each(?3))) ORDER BY seq LIMIT ?4",
      ctx.tenant(), after, types ? std::optional<std::string>(types->dump()) : std::nullopt, limit);
  json events = json::array();
  int64_t last = after;
  while (q.step()) {
    last = q.i64(0);
    const std::string subject = q.text(3);
    events.push_back({{"cursor", encode_cursor(last)},
                      {"id", q.text(1)},
                      {"type", q.text(2)},
                      {"customer_id", subject.empty() ? json(nullptr) : json(subject)},
                      {"at", format_time(q.i64(5))},
                      {"data", json::parse(q.text(4))}});
  }
  return {{"events", std::move(events)}, {"next", last > 0 ? json(encode_cursor(last)) : json(nullptr)}};
}

constexpr OpDef kOps[] = {
    {"events.poll", poll, kScopeRead},
};

}  // namespace

std::span<const OpDef> event_ops() { return kOps; }

}  // namespace loyalty::detail
