#include "customers/customers.hpp"

#include <fmt/format.h>

#include "audit/audit.hpp"
#include "core/input.hpp"
#include "core/registry.hpp"
#include "crypto/crypto.hpp"
#include "storage/page.hpp"

namespace loyalty::detail {
namespace {

constexpr size_t kMaxDocBytes = 64 * 1024;

json bounded_object(const Input& i, const char* key) {
  auto obj = i.opt_object(key);
  if (!obj) return json::object();
  if (obj->dump().size() > kMaxDocBytes) i.fail(key, fmt::format("must be at most {} bytes of JSON", kMaxDocBytes));
  return *obj;
}

json segments_of(const Input& i) {
  auto list = i.opt_str_list("segments", 64);
  json out = json::array();
  if (list) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
    for (auto& s : *list) out.push_back(s);
  }
  return out;
}

constexpr const char* kCols = "id, external_id, profile, preferences, segments, created_at, updated_at, seq";

json customer_row(storage::Query& q) {
  return {{"id", q.text(0)},
          {"external_id", q.text(1)},
          {"profile", json::parse(q.text(2))},
          {"preferences", json::parse(q.text(3))},
          {"segments", json::parse(q.text(4))},
          {"created_at", format_time(q.i64(5))},
          {"updated_at", format_time(q.i64(6))}};
}

json accounts_of(storage::Tx& tx, const std::string& customer_id) {
  auto q = tx.q("SELECT program_id FROM accounts WHERE customer_id = ?1 ORDER BY id", customer_id);
  json out = json::array();
  while (q.step()) out.push_back(q.text(0));
  return out;
}

json load_customer(storage::Tx& tx, const std::string& tenant, const std::string& id, const std::string& field = "id") {
  auto q = tx.q(fmt::format("SELECT {} FROM customers WHERE id = ?1 AND tenant_id = ?2", kCols), id, tenant);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no customer '{}'", id), field);
  json c = customer_row(q);
  c["program_ids"] = accounts_of(tx, id);
  return c;
}

json customer_enroll(Ctx& ctx, const json& in) {
  Input i(in, {"external_id", "profile", "preferences", "segments", "program_ids"});
  const std::string external_id = i.str("external_id", 200);
  const json profile = bounded_object(i, "profile");
  const json preferences = bounded_object(i, "preferences");
  const json segments = segments_of(i);
  const auto program_ids = i.opt_str_list("program_ids", 64);
  const Timestamp now = ctx.engine.now();
  const std::string id = crypto::new_id("cus");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  {
    auto q = tx.q("SELECT id FROM customers WHERE tenant_id = ?1 AND external_id = ?2", ctx.tenant(), external_id);
    if (q.step())
      throw Error(Status::conflict, fmt::format("a customer with external_id '{}' exists", external_id), "external_id",
                  {{"id", q.text(0)}});
  }
  tx.q("INSERT INTO customers(id, tenant_id, external_id, profile, preferences, segments, created_at, updated_at) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
       id, ctx.tenant(), external_id, profile.dump(), preferences.dump(), segments.dump(), now)
      .run();
  if (program_ids) {
    for (size_t n = 0; n < program_ids->size(); ++n) {
      const Program p = load_program(tx, ctx.tenant(), (*program_ids)[n], fmt::format("program_ids[{}]", n));
      ensure_account(tx, ctx.tenant(), id, p, now);
    }
  } else {
    std::vector<std::string> active;
    {
      auto q = tx.q("SELECT id FROM programs WHERE tenant_id = ?1 AND active = 1 ORDER BY seq", ctx.tenant());
      while (q.step()) active.push_back(q.text(0));
    }
    for (const auto& pid : active) ensure_account(tx, ctx.tenant(), id, load_program(tx, ctx.tenant(), pid), now);
  }
  audit_append(tx, ctx.tenant(), ctx.actor(), "customer.enroll", id, now, {{"external_id", external_id}});
  json out = load_customer(tx, ctx.tenant(), id);
  tx.commit();
  return out;
}

json customer_get(Ctx& ctx, const json& in) {
  Input i(in, {"id", "external_id"});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  if (i.has("id") == i.has("external_id")) i.fail("id", "give exactly one of id or external_id");
  if (i.has("id")) return load_customer(tx, ctx.tenant(), i.str("id"));
  const std::string ext = i.str("external_id", 200);
  auto q = tx.q("SELECT id FROM customers WHERE tenant_id = ?1 AND external_id = ?2", ctx.tenant(), ext);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no customer with external_id '{}'", ext), "external_id");
  const std::string id = q.text(0);
  return load_customer(tx, ctx.tenant(), id);
}

json customer_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "profile", "preferences", "segments"});
  const std::string id = i.str("id");
  std::optional<std::string> profile, preferences, segments;
  if (i.has("profile")) profile = bounded_object(i, "profile").dump();
  if (i.has("preferences")) preferences = bounded_object(i, "preferences").dump();
  if (i.has("segments")) segments = segments_of(i).dump();
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  load_customer(tx, ctx.tenant(), id);
  tx.q("UPDATE customers SET profile = COALESCE(?3, profile), preferences = COALESCE(?4, preferences), "
       "segments = COALESCE(?5, segments), updated_at = ?6 WHERE id = ?1 AND tenant_id = ?2",
       id, ctx.tenant(), profile, preferences, segments, now)
      .run();
  json fields = json::array();
  for (const char* f : {"profile", "preferences", "segments"})
    if (i.has(f)) fields.push_back(f);
  // The audit row names the fields changed, never their (personal) values.
  audit_append(tx, ctx.tenant(), ctx.actor(), "customer.update", id, now, {{"fields", fields}});
  json out = load_customer(tx, ctx.tenant(), id);
  tx.commit();
  return out;
}

json customer_list(Ctx& ctx, const json& in) {
  Input i(in, {"limit", "cursor", "segment"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto segment = i.opt_str("segment");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q(fmt::format("SELECT {} FROM customers WHERE tenant_id = ?1 AND seq > ?2 AND (?3 IS NULL OR EXISTS "
                            "(SELECT 1 FROM json_each(customers.segments) WHERE value = ?3)) ORDER BY seq LIMIT ?4",
                            kCols),
                ctx.tenant(), after, segment, limit + 1);
  return storage::page(q, limit, 7, customer_row);
}

constexpr OpDef kOps[] = {
    {"customer.enroll", customer_enroll, kScopePos},
    {"customer.get", customer_get, kScopeRead},
    {"customer.update", customer_update, kScopePos},
    {"customer.list", customer_list, kScopeRead},
};

}  // namespace

void require_customer(storage::Tx& tx, const std::string& tenant_id, const std::string& customer_id,
                      const std::string& field) {
  auto q = tx.q("SELECT 1 FROM customers WHERE id = ?1 AND tenant_id = ?2", customer_id, tenant_id);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no customer '{}'", customer_id), field);
}

json customer_facts(storage::Tx& tx, const std::string& tenant_id, const std::string& customer_id,
                    const std::string& field) {
  auto q = tx.q("SELECT segments, profile FROM customers WHERE id = ?1 AND tenant_id = ?2", customer_id, tenant_id);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no customer '{}'", customer_id), field);
  return {{"segments", json::parse(q.text(0))}, {"profile", json::parse(q.text(1))}};
}

int64_t ensure_account(storage::Tx& tx, const std::string& tenant_id, const std::string& customer_id,
                       const Program& program, Timestamp now) {
  {
    auto q = tx.q("SELECT id FROM accounts WHERE customer_id = ?1 AND program_id = ?2", customer_id, program.id);
    if (q.step()) return q.i64(0);
  }
  tx.q("INSERT INTO accounts(tenant_id, customer_id, program_id, created_at) VALUES(?1, ?2, ?3, ?4)", tenant_id,
       customer_id, program.id, now)
      .run();
  return sqlite3_last_insert_rowid(tx.conn().handle());
}

std::span<const OpDef> customer_ops() { return kOps; }

}  // namespace loyalty::detail
