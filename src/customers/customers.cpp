#include "customers/customers.hpp"

#include <fmt/format.h>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customer_store.hpp"
#include "customers/personal.hpp"
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

/// The customer as operations return it: the profile with its personal fields opened (when the
/// engine holds the master key) and `personal_data` saying whether they are there.
json customer_row(EngineState& e, storage::UnitOfWork& tx, const storage::CustomerRecord& c) {
  json profile = parse_stored(c.profile);
  const OpenedPersonal p = open_personal(e, tx, c);
  for (auto& [k, v] : p.fields.items()) profile[k] = v;
  return {{"id", c.id},
          {"external_id", c.external_id},
          {"profile", std::move(profile)},
          {"preferences", parse_stored(c.preferences)},
          {"segments", parse_stored(c.segments)},
          {"personal_data", p.state},
          {"created_at", format_time(c.created_at)},
          {"updated_at", format_time(c.updated_at)}};
}

json load_customer(Ctx& ctx, storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                   const std::string& field = "id") {
  auto c = tx.customers().customer(tenant, id);
  if (!c) throw Error(Status::not_found, fmt::format("no customer '{}'", id), field);
  json out = customer_row(ctx.engine, tx, *c);
  out["program_ids"] = tx.customers().account_programs(id);
  return out;
}

/// Splits the profile given to enroll or update into what stays plain (returned in `profile`) and
/// the sealed personal fields (`sealed`), under the database's PersonalMode. Personal fields
/// without the master key of an encrypted database are refused (Status::unavailable, field
/// `profile`), before anything is written.
struct ProfileWrite {
  json profile;
  std::optional<std::string> sealed;
  bool keep_sealed = false;  // without the key: the sealed fields the caller cannot see stay as they are
};
ProfileWrite write_profile(Ctx& ctx, storage::UnitOfWork& tx, const std::string& customer, json profile,
                           Timestamp now) {
  const PersonalMode mode = personal_mode(ctx.engine, tx);
  if (mode == PersonalMode::plain) return {std::move(profile), std::nullopt};
  json personal = take_personal(profile, personal_fields(tx, ctx.tenant()));
  if (mode == PersonalMode::unavailable) {
    if (!personal.empty())
      throw Error(Status::unavailable,
                  "personal profile fields cannot be stored: the engine was opened without the master key", "profile",
                  {{"fields", [&] {
                      json names = json::array();
                      for (auto& [k, v] : personal.items()) names.push_back(k);
                      return names;
                    }()}});
    return {std::move(profile), std::nullopt, true};
  }
  auto sealed = seal_personal(ctx.engine, tx, ctx.tenant(), customer, personal, now);
  return {std::move(profile), std::move(sealed)};
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
    ProfileWrite pw = write_profile(ctx, tx, id, profile, now);
    storage::CustomerRecord rec;
    rec.id = id;
    rec.tenant_id = ctx.tenant();
    rec.external_id = external_id;
    rec.profile = pw.profile.dump();
    rec.preferences = preferences.dump();
    rec.segments = segments.dump();
    rec.created_at = rec.updated_at = now;
    rec.personal = std::move(pw.sealed);
    tx.customers().insert_customer(rec);
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
    json out = load_customer(ctx, tx, ctx.tenant(), id);
    return out;
  });
}

json customer_get(Ctx& ctx, const json& in) {
  Input i(in, {"id", "external_id", "email", "phone"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  // Each given key is checked for its type first, so a wrong one is named before the count.
  const auto id = i.opt_str("id");
  const auto ext = i.opt_str("external_id", 200);
  const auto email = i.opt_str("email", 320);
  const auto phone = i.opt_str("phone", 320);
  if (int(id.has_value()) + int(ext.has_value()) + int(email.has_value()) + int(phone.has_value()) != 1)
    i.fail("id", "give exactly one of id, external_id, email or phone");
  if (id) return load_customer(ctx, tx, ctx.tenant(), *id);
  if (ext) {
    const auto found = tx.customers().id_by_external(ctx.tenant(), *ext);
    if (!found) throw Error(Status::not_found, fmt::format("no customer with external_id '{}'", *ext), "external_id");
    return load_customer(ctx, tx, ctx.tenant(), *found);
  }
  // By e-mail or phone: through the blind index (an HMAC under the tenant's key), never by
  // reading personal fields. The earliest enrolled customer with that value is returned.
  const char* kind = email ? "email" : "phone";
  const std::string value = email ? *email : *phone;
  const PersonalMode mode = personal_mode(ctx.engine, tx);
  if (mode == PersonalMode::unavailable)
    throw Error(Status::unavailable, fmt::format("lookup by {} needs the master key", kind), kind);
  std::optional<std::string> found;
  if (mode == PersonalMode::plain) {
    for (const auto& c : tx.customers().customers({ctx.tenant(), 0, std::nullopt, 1000000})) {
      const json p = parse_stored(c.profile);
      const auto it = p.find(kind);
      if (it != p.end() && it->is_string() && it->get<std::string>() == value) {
        found = c.id;
        break;
      }
    }
  } else if (auto h = blind_lookup(ctx.engine, tx, ctx.tenant(), kind, value)) {
    const auto ids = tx.customers().ids_by_lookup(ctx.tenant(), kind, *h);
    if (!ids.empty()) found = ids.front();
  }
  if (!found) throw Error(Status::not_found, fmt::format("no customer with this {}", kind), kind);
  return load_customer(ctx, tx, ctx.tenant(), *found);
}

json customer_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "profile", "preferences", "segments"});
  const std::string id = i.str("id");
  std::optional<std::string> preferences, segments;
  std::optional<json> profile;
  if (i.has("profile")) profile = bounded_object(i, "profile");
  if (i.has("preferences")) preferences = bounded_object(i, "preferences").dump();
  if (i.has("segments")) segments = segments_of(i).dump();
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (const auto c = tx.customers().customer(ctx.tenant(), id); !c)
      throw Error(Status::not_found, fmt::format("no customer '{}'", id), "id");
    else if (c->erased_at && profile)
      throw Error(Status::conflict, fmt::format("customer '{}' was erased: its profile cannot be written", id), "id");
    storage::CustomerUpdate u;
    u.tenant_id = ctx.tenant();
    u.id = id;
    u.preferences = preferences;
    u.segments = segments;
    u.updated_at = now;
    if (profile) {
      ProfileWrite pw = write_profile(ctx, tx, id, std::move(*profile), now);
      u.profile = pw.profile.dump();
      u.set_personal = !pw.keep_sealed;
      u.personal = std::move(pw.sealed);
    }
    tx.customers().update_customer(u);
    json fields = json::array();
    for (const char* f : {"profile", "preferences", "segments"})
      if (i.has(f)) fields.push_back(f);
    // The audit row names the fields changed, never their (personal) values.
    audit.record("customer.update", id, {{"fields", fields}});
    json out = load_customer(ctx, tx, ctx.tenant(), id);
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
      [](const storage::CustomerRecord& c) { return c.seq; },
      [&](const storage::CustomerRecord& c) { return customer_row(ctx.engine, tx, c); });
}

constexpr OpDef kOps[] = {
    {"customer.enroll", customer_enroll, kScopePos},   {"customer.get", customer_get, kScopeRead},
    {"customer.update", customer_update, kScopePos},   {"customer.list", customer_list, kScopeRead},
    {"customer.export", customer_export, kScopeAdmin}, {"customer.erase", customer_erase, kScopeAdmin},
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

std::optional<std::string> customer_birthday(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant_id,
                                             const std::string& customer_id) {
  const auto c = tx.customers().customer(tenant_id, customer_id);
  if (!c) return std::nullopt;
  json fields = open_personal(e, tx, *c).fields;
  if (!c->personal) fields = parse_stored(c->profile);  // a plain-text file
  const auto it = fields.find("birthday");
  if (it == fields.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

int64_t ensure_account(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                       const Program& program, Timestamp now) {
  if (auto id = tx.customers().account_id(customer_id, program.id)) return *id;
  return tx.customers().open_account(tenant_id, customer_id, program.id, now);
}

std::span<const OpDef> customer_ops() { return kOps; }

}  // namespace loyalty::detail
