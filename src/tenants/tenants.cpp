// Tenants (engine admin), API keys and session opening.
#include <fmt/format.h>

#include <chrono>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "engine/registry.hpp"
#include "loyalty/core/timezone.hpp"
#include "storage/page.hpp"
#include "tenants/keys.hpp"
#include "tenants/tenant_store.hpp"

namespace loyalty::detail {
namespace {

constexpr int64_t kLastUsedResolutionMs = 60'000;

bool valid_timezone(const std::string& tz) {
  try {
    TimeZone::locate(tz);
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool valid_slug(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

std::string slug_from_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out.push_back(static_cast<char>(std::tolower(u)));
    else if (!out.empty() && out.back() != '-')
      out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

/// Settings are four sections, each a free-form object of at most kMaxSettingsSectionBytes;
/// unknown sections are refused.
json read_settings(const Input& i, json base) {
  if (!i.has("settings")) return base;
  const json settings = *i.opt_object("settings");
  Input s(settings, {"branding", "loyalty", "security", "notifications"}, i.field("settings"));
  for (const char* section : {"branding", "loyalty", "security", "notifications"})
    if (auto obj = opt_object_limited(s, section, kMaxSettingsSectionBytes)) base[section] = *obj;
  return base;
}

json default_settings() {
  return {{"branding", json::object()},
          {"loyalty", json::object()},
          {"security", json::object()},
          {"notifications", json::object()}};
}

json tenant_row(const storage::TenantRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"slug", t.slug},
          {"timezone", t.timezone},
          {"active", t.active},
          {"settings", parse_stored(t.settings)},
          {"created_at", format_time(t.created_at)},
          {"updated_at", format_time(t.updated_at)}};
}

json load_tenant(storage::UnitOfWork& tx, const std::string& id, const std::string& field = "id") {
  const auto t = tx.tenants().tenant(id);
  if (!t) throw Error(Status::not_found, fmt::format("no tenant '{}'", id), field);
  return tenant_row(*t);
}

json tenant_create(Ctx& ctx, const json& in) {
  Input i(in, {"name", "slug", "timezone", "settings", "api_key_name"});
  const std::string name = i.str("name", 200);
  std::string slug = i.opt_str("slug", 63).value_or(slug_from_name(name));
  if (!i.has("slug") && slug.empty()) {
    const auto r = crypto::random_bytes(5);
    slug = "tenant-" + crypto::base32(r.data(), r.size());
  }
  if (!valid_slug(slug)) i.fail("slug", "must be 1-63 characters of a-z, 0-9 and '-'");
  const std::string tz = i.opt_str("timezone", 64).value_or("UTC");
  if (!valid_timezone(tz)) i.fail("timezone", fmt::format("'{}' is not a known IANA time zone", tz));
  const json settings = read_settings(i, default_settings());
  const std::string key_name = i.opt_str("api_key_name", 200).value_or("initial admin key");

  const Timestamp now = ctx.engine.now();
  const std::string id = crypto::new_id("ten");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (tx.tenants().slug_taken(slug)) throw Error(Status::conflict, fmt::format("slug '{}' is taken", slug), "slug");
    tx.tenants().insert_tenant({id, name, slug, tz, true, settings.dump(), now, now});
    const NewKey key = create_key(tx, id, key_name, kScopeAdmin, now);
    audit.record("tenant.create", id, {{"name", name}, {"slug", slug}});
    audit.record_on(id, "api_key.create", key.id, {{"prefix", key.prefix}, {"scopes", {"admin"}}});
    json out = {{"tenant", load_tenant(tx, id)}, {"api_key", key_json(key, key_name, kScopeAdmin, now)}};
    return out;
  });
}

json tenant_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return load_tenant(tx, id);
}

json tenant_list(Ctx& ctx, const json& in) {
  Input i(in, {"limit", "cursor", "active"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto active = i.opt_bool("active");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return storage::page_of(
      tx.tenants().tenants(after, active, limit), limit, [](const storage::TenantRecord& t) { return t.seq; },
      tenant_row);
}

json tenant_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "name", "timezone", "settings"});
  const std::string id = i.str("id");
  const auto name = i.opt_str("name", 200);
  const auto tz = i.opt_str("timezone", 64);
  if (tz && !valid_timezone(*tz)) i.fail("timezone", fmt::format("'{}' is not a known IANA time zone", *tz));
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    json current = load_tenant(tx, id);
    const json settings = read_settings(i, current["settings"]);
    tx.tenants().update_tenant({id, name, tz, settings.dump(), now});
    json changed = json::array();
    for (const char* f : {"name", "timezone", "settings"})
      if (i.has(f)) changed.push_back(f);
    audit.record("tenant.update", id, {{"fields", changed}});
    json out = load_tenant(tx, id);
    return out;
  });
}

json set_tenant_active(Ctx& ctx, const json& in, bool active) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    load_tenant(tx, id);
    tx.tenants().set_tenant_active(id, active, now);
    audit.record(active ? "tenant.activate" : "tenant.deactivate", id);
    json out = load_tenant(tx, id);
    return out;
  });
}

json tenant_deactivate(Ctx& ctx, const json& in) { return set_tenant_active(ctx, in, false); }
json tenant_activate(Ctx& ctx, const json& in) { return set_tenant_active(ctx, in, true); }

json key_row(const storage::ApiKeyRecord& k) {
  return {{"id", k.id},
          {"prefix", k.prefix},
          {"name", k.name},
          {"scopes", parse_stored(k.scopes)},
          {"created_at", format_time(k.created_at)},
          {"revoked_at", k.revoked_at ? json(format_time(*k.revoked_at)) : json(nullptr)},
          {"last_used_at", k.last_used_at ? json(format_time(*k.last_used_at)) : json(nullptr)}};
}

json new_key_for(storage::UnitOfWork& tx, AuditLog& audit, const std::string& tenant_id, const Input& i,
                 Timestamp now) {
  const std::string name = i.opt_str("name", 200).value_or("api key");
  const auto scope_list = i.opt_str_list("scopes", 8);
  if (!scope_list || scope_list->empty()) i.fail("scopes", "is required (one or more of admin, pos, read)");
  const uint32_t scopes = parse_scopes(*scope_list, i.field("scopes"));
  const NewKey key = create_key(tx, tenant_id, name, scopes, now);
  // On the tenant's chain, also when the engine administrator creates the key.
  audit.record_on(tenant_id, "api_key.create", key.id, {{"prefix", key.prefix}, {"scopes", scopes_json(scopes)}});
  return key_json(key, name, scopes, now);
}

json admin_key_create(Ctx& ctx, const json& in) {
  Input i(in, {"tenant_id", "name", "scopes"});
  const std::string tenant_id = i.str("tenant_id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    load_tenant(tx, tenant_id, "tenant_id");
    return new_key_for(tx, audit, tenant_id, i, now);
  });
}

json key_create(Ctx& ctx, const json& in) {
  Input i(in, {"name", "scopes"});
  const Timestamp now = ctx.engine.now();
  return write_op(
      ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) { return new_key_for(tx, audit, ctx.tenant(), i, now); });
}

json key_list(Ctx& ctx, const json& in) {
  Input i(in, {"include_revoked"});
  const bool include_revoked = i.boolean("include_revoked", false);
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  json items = json::array();
  for (const auto& k : tx.tenants().keys(ctx.tenant(), include_revoked)) items.push_back(key_row(k));
  return {{"items", std::move(items)}};
}

json key_revoke(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const auto key = tx.tenants().find_key(ctx.tenant(), id);
    if (!key) throw Error(Status::not_found, fmt::format("no API key '{}'", id), "id");
    if (!key->revoked_at) {
      tx.tenants().revoke_key(id, now);
      audit.record("api_key.revoke", id);
    }
    json out = key_row(tx.tenants().find_key(ctx.tenant(), id).value());
    return out;
  });
}

json session_info(Ctx& ctx, const json& in) {
  Input i(in, {});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  json t = load_tenant(tx, ctx.tenant());
  return {{"tenant", t}, {"key_id", ctx.session->key_id}, {"scopes", scopes_json(ctx.session->scopes)}};
}

constexpr OpDef kAdminOps[] = {
    {"tenant.create", tenant_create, 0},
    {"tenant.get", tenant_get, 0},
    {"tenant.list", tenant_list, 0},
    {"tenant.update", tenant_update, 0},
    {"tenant.deactivate", tenant_deactivate, 0},
    {"tenant.activate", tenant_activate, 0},
    {"apikey.create", admin_key_create, 0},
};

constexpr OpDef kSessionOps[] = {
    {"session.info", session_info, kScopeRead},
    {"apikey.create", key_create, kScopeAdmin},
    {"apikey.list", key_list, kScopeAdmin},
    {"apikey.revoke", key_revoke, kScopeAdmin},
};

}  // namespace

uint32_t parse_scopes(const std::vector<std::string>& scopes, const std::string& field) {
  uint32_t mask = 0;
  for (size_t n = 0; n < scopes.size(); ++n) {
    const auto& s = scopes[n];
    if (s == "admin")
      mask |= kScopeAdmin;
    else if (s == "pos")
      mask |= kScopePos;
    else if (s == "read")
      mask |= kScopeRead;
    else {
      const std::string f = fmt::format("{}[{}]", field, n);
      throw Error(Status::invalid, fmt::format("{}: unknown scope '{}' (admin, pos, read)", f, s), f);
    }
  }
  return mask;
}

json scopes_json(uint32_t mask) {
  json out = json::array();
  if (mask & kScopeAdmin) out.push_back("admin");
  if (mask & kScopePos) out.push_back("pos");
  if (mask & kScopeRead) out.push_back("read");
  return out;
}

NewKey create_key(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& name, uint32_t scopes,
                  Timestamp now) {
  NewKey k;
  const auto p = crypto::random_bytes(5);
  const auto s = crypto::random_bytes(32);
  k.prefix = crypto::base32(p.data(), p.size());
  k.secret = fmt::format("loy_{}_{}", k.prefix, crypto::base32(s.data(), s.size()));
  k.id = crypto::new_id("key");
  tx.tenants().insert_key(
      {k.id, tenant_id, k.prefix, crypto::sha256_hex(k.secret), name, scopes_json(scopes).dump(), now, {}, {}});
  return k;
}

json key_json(const NewKey& k, const std::string& name, uint32_t scopes, Timestamp now) {
  return {{"id", k.id},
          {"prefix", k.prefix},
          {"key", k.secret},
          {"name", name},
          {"scopes", scopes_json(scopes)},
          {"created_at", format_time(now)}};
}

std::shared_ptr<SessionState> open_session(const std::shared_ptr<EngineState>& engine, std::string_view api_key) {
  // loy_<8 prefix chars>_<52 secret chars>
  if (api_key.size() != 4 + 8 + 1 + 52 || api_key.substr(0, 4) != "loy_" || api_key[12] != '_')
    throw Error(Status::forbidden, "malformed API key");
  const std::string prefix(api_key.substr(4, 8));
  const Timestamp now = engine->now();
  auto s = std::make_shared<SessionState>();
  s->engine = engine;
  std::optional<int64_t> last_used;
  {
    storage::Transaction tx(*engine->db, storage::TxMode::read);
    const auto login = tx.tenants().key_by_prefix(prefix);
    if (!login || !crypto::equal_ct(login->key.hash, crypto::sha256_hex(api_key)))
      throw Error(Status::forbidden, "unknown API key");
    if (login->key.revoked_at) throw Error(Status::forbidden, "the API key has been revoked");
    if (!login->tenant_active) throw Error(Status::forbidden, "the tenant is deactivated");
    s->key_id = login->key.id;
    s->tenant_id = login->key.tenant_id;
    std::vector<std::string> scopes = parse_stored(login->key.scopes).get<std::vector<std::string>>();
    s->scopes = parse_scopes(scopes, "scopes");
    last_used = login->key.last_used_at;
  }
  s->actor = "key:" + prefix;
  s->validated_clock.store(now);
  s->validated_real.store(steady_ms());
  if (!last_used || now - *last_used >= kLastUsedResolutionMs) {
    // last_used_at is kept to a minute's resolution so opening sessions stays read-mostly.
    // Not an operation of the session (it is being opened): no key re-check, no audit row.
    Ctx opening{*engine, nullptr};
    write_op(opening, now, [&](storage::UnitOfWork& tx, AuditLog&) { tx.tenants().touch_key(s->key_id, now); });
  }
  return s;
}

std::span<const OpDef> tenant_admin_ops() { return kAdminOps; }
std::span<const OpDef> tenant_session_ops() { return kSessionOps; }

}  // namespace loyalty::detail
