// The event outbox. Writers are serialised by the database's write lock (BEGIN IMMEDIATE), and
// each event's per-tenant sequence is one more than the tenant's largest, assigned inside the
// transaction: sequences follow commit order, so a reader that has seen sequence n has seen
// every event committed before it, and a cursor over `seq` never skips a committed event.
#include "events/events.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/input.hpp"
#include "crypto/crypto.hpp"
#include "engine/registry.hpp"
#include "events/event_store.hpp"

namespace loyalty::detail {

bool known_event_type(std::string_view type) {
  return std::find(kEventTypes.begin(), kEventTypes.end(), type) != kEventTypes.end();
}

std::string emit_event(storage::UnitOfWork& tx, const std::string& tenant, std::string_view type,
                       const std::string& subject, Timestamp at, nlohmann::json data) {
  // A type missing from kEventTypes could not be polled for by name: a bug, caught by every test.
  if (!known_event_type(type)) throw Error(Status::error, fmt::format("event type '{}' is not in kEventTypes", type));
  std::string id = crypto::new_sortable_id("evt", at);
  tx.events().append({tenant, 0, id, std::string(type), subject, data.dump(), at});
  return id;
}

namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

json poll(Ctx& ctx, const json& in) {
  Input i(in, {"after", "limit", "types"});
  const int64_t after = i.has("after") ? decode_cursor(i.str("after"), i.field("after")) : 0;
  const int64_t limit = i.opt_i64("limit", 1, kMaxLimit).value_or(kDefaultLimit);
  std::optional<std::vector<std::string>> types;
  if (i.has("types")) {
    const json& t = i.raw("types");
    if (!t.is_array() || t.empty() || t.size() > kEventTypes.size())
      i.fail("types", fmt::format("must be an array of 1 to {} event types", kEventTypes.size()));
    types.emplace();
    for (size_t n = 0; n < t.size(); ++n) {
      const std::string f = fmt::format("{}[{}]", i.field("types"), n);
      if (!t[n].is_string() || !known_event_type(t[n].get_ref<const std::string&>()))
        throw Error(Status::invalid, f + ": must be an event type name such as \"points.earned\" (see docs/events.md)",
                    f);
      types->push_back(t[n].get<std::string>());
    }
  }
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  json events = json::array();
  int64_t last = after;
  for (const auto& e : tx.events().after({ctx.tenant(), after, std::move(types), limit})) {
    last = e.seq;
    events.push_back({{"cursor", encode_cursor(last)},
                      {"id", e.id},
                      {"type", e.type},
                      {"customer_id", e.subject.empty() ? json(nullptr) : json(e.subject)},
                      {"at", format_time(e.created_at)},
                      {"data", parse_stored(e.data)}});
  }
  return {{"events", std::move(events)}, {"next", last > 0 ? json(encode_cursor(last)) : json(nullptr)}};
}

constexpr OpDef kOps[] = {
    {"events.poll", poll, kScopeRead},
};

}  // namespace

std::span<const OpDef> event_ops() { return kOps; }

}  // namespace loyalty::detail
