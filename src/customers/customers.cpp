#include "customers/customers.hpp"

#include <fmt/format.h>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customer_store.hpp"
#include "engine/registry.hpp"
#include "programs/program_store.hpp"
#include "storage/page.hpp"

namespace loyalty::detail {
namespace {

json bounded_object(const Input& i, const char* key) {
  return opt_object_limited(i, key, kMaxDocumentBytes).value_or(json::object());
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

json customer_row(const storage::CustomerRecord& c) {
  return {{"id", c.id},
          {"external_id", c.external_id},
          {"profile", parse_stored(c.profile)},
          {"preferences", parse_stored(c.preferences)},
          {"segments", parse_stored(c.segments)},
          {"created_at", format_time(c.created_at)},
          {"updated_at", format_time(c.updated_at)}};
}

json load_customer(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                   const std::string& field = "id") {
  auto c = tx.customers().customer(tenant, id);
  if (!c) throw Error(Status::not_found, fmt::format("no customer '{}'", id), field);
  json out = customer_row(*c);
  out["program_ids"] = tx.customers().account_programs(id);
  return out;
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
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (auto existing = tx.customers().id_by_external(ctx.tenant(), external_id))
      throw Error(Status::conflict, fmt::format("a customer with external_id '{}' exists", external_id), "external_id",
                  {{"id", *existing}});
    tx.customers().insert_customer(
        {id, ctx.tenant(), external_id, profile.dump(), preferences.dump(), segments.dump(), now, now});
    if (program_ids) {
      for (size_t n = 0; n < program_ids->size(); ++n) {
        const Program p = load_program(tx, ctx.tenant(), (*program_ids)[n], fmt::format("program_ids[{}]", n));
        ensure_account(tx, ctx.tenant(), id, p, now);
      }
    } else {
      for (const auto& pid : tx.programs().active_ids(ctx.tenant()))
        ensure_account(tx, ctx.tenant(), id, load_program(tx, ctx.tenant(), pid), now);
    }
    audit.record("customer.enroll", id, {{"external_id", external_id}});
    json out = load_customer(tx, ctx.tenant(), id);
    return out;
  });
}

json customer_get(Ctx& ctx, const json& in) {
  Input i(in, {"id", "external_id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  if (i.has("id") == i.has("external_id")) i.fail("id", "give exactly one of id or external_id");
  if (i.has("id")) return load_customer(tx, ctx.tenant(), i.str("id"));
  const std::string ext = i.str("external_id", 200);
  const auto id = tx.customers().id_by_external(ctx.tenant(), ext);
  if (!id) throw Error(Status::not_found, fmt::format("no customer with external_id '{}'", ext), "external_id");
  return load_customer(tx, ctx.tenant(), *id);
}

json customer_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "profile", "preferences", "segments"});
  const std::string id = i.str("id");
  std::optional<std::string> profile, preferences, segments;
  if (i.has("profile")) profile = bounded_object(i, "profile").dump();
  if (i.has("preferences")) preferences = bounded_object(i, "preferences").dump();
  if (i.has("segments")) segments = segments_of(i).dump();
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    load_customer(tx, ctx.tenant(), id);
    tx.customers().update_customer({ctx.tenant(), id, profile, preferences, segments, now});
    json fields = json::array();
    for (const char* f : {"profile", "preferences", "segments"})
      if (i.has(f)) fields.push_back(f);
    // The audit row names the fields changed, never their (personal) values.
    audit.record("customer.update", id, {{"fields", fields}});
    json out = load_customer(tx, ctx.tenant(), id);
    return out;
  });
}

json customer_list(Ctx& ctx, const json& in) {
  Input i(in, {"limit", "cursor", "segment"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto segment = i.opt_str("segment");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return storage::page_of(
      tx.customers().customers({ctx.tenant(), after, segment, limit}), limit,
      [](const storage::CustomerRecord& c) { return c.seq; }, customer_row);
}

constexpr OpDef kOps[] = {
    {"customer.enroll", customer_enroll, kScopePos},
    {"customer.get", customer_get, kScopeRead},
    {"customer.update", customer_update, kScopePos},
    {"customer.list", customer_list, kScopeRead},
};

}  // namespace

void require_customer(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                      const std::string& field) {
  if (!tx.customers().exists(tenant_id, customer_id))
    throw Error(Status::not_found, fmt::format("no customer '{}'", customer_id), field);
}

json customer_facts(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                    const std::string& field) {
  const auto f = tx.customers().facts(tenant_id, customer_id);
  if (!f) throw Error(Status::not_found, fmt::format("no customer '{}'", customer_id), field);
  return {{"segments", parse_stored(f->segments)}, {"profile", parse_stored(f->profile)}};
}

int64_t ensure_account(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                       const Program& program, Timestamp now) {
  if (auto id = tx.customers().account_id(customer_id, program.id)) return *id;
  return tx.customers().open_account(tenant_id, customer_id, program.id, now);
}

std::span<const OpDef> customer_ops() { return kOps; }

}  // namespace loyalty::detail
