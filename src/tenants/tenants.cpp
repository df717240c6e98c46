// Tenants (engine admin), API keys and session opening.
#include <fmt/format.h>

#include <chrono>


#include "audit/audit.hpp"
#include "core/input.hpp"
#include "core/registry.hpp"
#include "storage/page.hpp"
#include "crypto/crypto.hpp"
#include "loyalty/core/timezone.hpp"
#include "tenants/keys.hpp"

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
    if (std::isalnum(u)) out.push_back(static_cast<char>(std::tolower(u)));
    else if (!out.empty() && out.back() != '-') out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

/// Settings are four sections, each a free-form object; unknown sections are refused.
json read_settings(const Input& i, json base) {
  if (!i.has("settings")) return base;
  const json settings = *i.opt_object("settings");
  Input s(settings, {"branding", "loyalty", "security", "notifications"}, i.field("settings"));
  for (const char* section : {"branding", "loyalty", "security", "notifications"})
    if (auto obj = s.opt_object(section)) base[section] = *obj;
  return base;
}

json default_settings() {
  return {{"branding", json::object()},
          {"loyalty", json::object()},
          {"security", json::object()},
          {"notifications", json::object()}};
}

json tenant_row(storage::Query& q) {
  // columns: id, name, slug, timezone, active, settings, created_at, updated_at
  return {{"id", q.text(0)},
          {"name", q.text(1)},
          {"slug", q.text(2)},
          {"timezone", q.text(3)},
          {"active", q.i64(4) != 0},
          {"settings", json::parse(q.text(5))},
          {"created_at", format_time(q.i64(6))},
          {"updated_at", format_time(q.i64(7))}};
}

constexpr const char* kTenantCols = "id, name, slug, timezone, active, settings, created_at, updated_at";

json load_tenant(storage::Tx& tx, const std::string& id, const std::string& field = "id") {
  auto q = tx.q(fmt::format("SELECT {} FROM tenants WHERE id = ?1", kTenantCols), id);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no tenant '{}'", id), field);
  return tenant_row(q);
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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  {
    auto q = tx.q("SELECT 1 FROM tenants WHERE slug = ?1", slug);
    if (q.step()) throw Error(Status::conflict, fmt::format("slug '{}' is taken", slug), "slug");
  }
  tx.q("INSERT INTO tenants(id, name, slug, timezone, active, settings, created_at, updated_at) "
       "VALUES(?1, ?2, ?3, ?4, 1, ?5, ?6, ?6)",
       id, name, slug, tz, settings.dump(), now)
      .run();
  const NewKey key = create_key(tx, id, key_name, kScopeAdmin, now);
  audit_append(tx, kEngineChain, ctx.actor(), "tenant.create", id, now, {{"name", name}, {"slug", slug}});
  audit_append(tx, id, ctx.actor(), "api_key.create", key.id, now, {{"prefix", key.prefix}, {"scopes", {"admin"}}});
  json out = {{"tenant", load_tenant(tx, id)}, {"api_key", key_json(key, key_name, kScopeAdmin, now)}};
  tx.commit();
  return out;
}

json tenant_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  return load_tenant(tx, id);
}

json tenant_list(Ctx& ctx, const json& in) {
  Input i(in, {"limit", "cursor", "active"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto active = i.opt_bool("active");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q(fmt::format("SELECT {}, seq FROM tenants WHERE seq > ?1 AND (?2 IS NULL OR active = ?2) "
                            "ORDER BY seq LIMIT ?3",
                            kTenantCols),
                after, active, limit + 1);
  return storage::page(q, limit, 8, tenant_row);
}

json tenant_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "name", "timezone", "settings"});
  const std::string id = i.str("id");
  const auto name = i.opt_str("name", 200);
  const auto tz = i.opt_str("timezone", 64);
  if (tz && !valid_timezone(*tz)) i.fail("timezone", fmt::format("'{}' is not a known IANA time zone", *tz));
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  json current = load_tenant(tx, id);
  const json settings = read_settings(i, current["settings"]);
  tx.q("UPDATE tenants SET name = COALESCE(?2, name), timezone = COALESCE(?3, timezone), settings = ?4, "
       "updated_at = ?5 WHERE id = ?1",
       id, name, tz, settings.dump(), now)
      .run();
  json changed = json::array();
  for (const char* f : {"name", "timezone", "settings"})
    if (i.has(f)) changed.push_back(f);
  audit_append(tx, kEngineChain, ctx.actor(), "tenant.update", id, now, {{"fields", changed}});
  json out = load_tenant(tx, id);
  tx.commit();
  return out;
}

json set_tenant_active(Ctx& ctx, const json& in, bool active) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  load_tenant(tx, id);
  tx.q("UPDATE tenants SET active = ?2, updated_at = ?3 WHERE id = ?1", id, active, now).run();
  audit_append(tx, kEngineChain, ctx.actor(), active ? "tenant.activate" : "tenant.deactivate", id, now,
               json::object());
  json out = load_tenant(tx, id);
  tx.commit();
  return out;
}

json tenant_deactivate(Ctx& ctx, const json& in) { return set_tenant_active(ctx, in, false); }
json tenant_activate(Ctx& ctx, const json& in) { return set_tenant_active(ctx, in, true); }

json key_row(storage::Query& q) {
  // columns: id, prefix, name, scopes, created_at, revoked_at, last_used_at
  return {{"id", q.text(0)},
          {"prefix", q.text(1)},
          {"name", q.text(2)},
          {"scopes", json::parse(q.text(3))},
          {"created_at", format_time(q.i64(4))},
          {"revoked_at", q.is_null(5) ? json(nullptr) : json(format_time(q.i64(5)))},
          {"last_used_at", q.is_null(6) ? json(nullptr) : json(format_time(q.i64(6)))}};
}

json new_key_for(Ctx& ctx, storage::Tx& tx, const std::string& tenant_id, const Input& i) {
  const std::string name = i.opt_str("name", 200).value_or("api key");
  const auto scope_list = i.opt_str_list("scopes", 8);
  if (!scope_list || scope_list->empty()) i.fail("scopes", "is required (one or more of admin, pos, read)");
  const uint32_t scopes = parse_scopes(*scope_list, i.field("scopes"));
  const Timestamp now = ctx.engine.now();
  const NewKey key = create_key(tx, tenant_id, name, scopes, now);
  audit_append(tx, tenant_id, ctx.actor(), "api_key.create", key.id, now,
               {{"prefix", key.prefix}, {"scopes", scopes_json(scopes)}});
  return key_json(key, name, scopes, now);
}

json admin_key_create(Ctx& ctx, const json& in) {
  Input i(in, {"tenant_id", "name", "scopes"});
  const std::string tenant_id = i.str("tenant_id");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  load_tenant(tx, tenant_id, "tenant_id");
  json out = new_key_for(ctx, tx, tenant_id, i);
  tx.commit();
  return out;
}

json key_create(Ctx& ctx, const json& in) {
  Input i(in, {"name", "scopes"});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  json out = new_key_for(ctx, tx, ctx.tenant(), i);
  tx.commit();
  return out;
}

json key_list(Ctx& ctx, const json& in) {
  Input i(in, {"include_revoked"});
  const bool include_revoked = i.boolean("include_revoked", false);
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q("SELECT id, prefix, name, scopes, created_at, revoked_at, last_used_at FROM api_keys "
                "WHERE tenant_id = ?1 AND (?2 OR revoked_at IS NULL) ORDER BY seq",
                ctx.tenant(), include_revoked);
  json items = json::array();
  while (q.step()) items.push_back(key_row(q));
  return {{"items", std::move(items)}};
}

json key_revoke(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  bool already = false;
  {
    auto q = tx.q("SELECT revoked_at FROM api_keys WHERE id = ?1 AND tenant_id = ?2", id, ctx.tenant());
    if (!q.step()) throw Error(Status::not_found, fmt::format("no API key '{}'", id), "id");
    already = !q.is_null(0);
  }
  if (!already) {
    tx.q("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1", id, now).run();
    audit_append(tx, ctx.tenant(), ctx.actor(), "api_key.revoke", id, now, json::object());
  }
  auto q = tx.q("SELECT id, prefix, name, scopes, created_at, revoked_at, last_used_at FROM api_keys WHERE id = ?1", id);
  q.step();
  json out = key_row(q);
  tx.commit();
  return out;
}

json session_info(Ctx& ctx, const json& in) {
  Input i(in, {});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  json t = load_tenant(tx, ctx.tenant());
  return {{"tenant", t}, {"key_id", ctx.session->key_id}, {"scopes", scopes_json(ctx.session->scopes)}};
}

constexpr OpDef kAdminOps[] = {
    {"tenant.create", tenant_create, 0},     {"tenant.get", tenant_get, 0},
    {"tenant.list", tenant_list, 0},         {"tenant.update", tenant_update, 0},
    {"tenant.deactivate", tenant_deactivate, 0}, {"tenant.activate", tenant_activate, 0},
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
    if (s == "admin") mask |= kScopeAdmin;
    else if (s == "pos") mask |= kScopePos;
    else if (s == "read") mask |= kScopeRead;
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

NewKey create_key(storage::Tx& tx, const std::string& tenant_id, const std::string& name, uint32_t scopes,
                  Timestamp now) {
  NewKey k;
  const auto p = crypto::random_bytes(5);
  const auto s = crypto::random_bytes(32);
  k.prefix = crypto::base32(p.data(), p.size());
  k.secret = fmt::format("loy_{}_{}", k.prefix, crypto::base32(s.data(), s.size()));
  k.id = crypto::new_id("key");
  tx.q("INSERT INTO api_keys(id, tenant_id, prefix, hash, name, scopes, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
       k.id, tenant_id, k.prefix, crypto::sha256_hex(k.secret), name, scopes_json(scopes).dump(), now)
      .run();
  return k;
}

json key_json(const NewKey& k, const std::string& name, uint32_t scopes, Timestamp now) {
  return {{"id", k.id},     {"prefix", k.prefix}, {"key", k.secret},
          {"name", name},   {"scopes", scopes_json(scopes)}, {"created_at", format_time(now)}};
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
    storage::Tx tx(*engine->pool, storage::TxMode::read);
    auto q = tx.q("SELECT k.id, k.tenant_id, k.hash, k.scopes, k.revoked_at, t.active, k.last_used_at "
                  "FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = ?1",
                  prefix);
    if (!q.step() || !crypto::equal_ct(q.text(2), crypto::sha256_hex(api_key)))
      throw Error(Status::forbidden, "unknown API key");
    if (!q.is_null(4)) throw Error(Status::forbidden, "the API key has been revoked");
    if (q.i64(5) == 0) throw Error(Status::forbidden, "the tenant is deactivated");
    s->key_id = q.text(0);
    s->tenant_id = q.text(1);
    std::vector<std::string> scopes = json::parse(q.text(3)).get<std::vector<std::string>>();
    s->scopes = parse_scopes(scopes, "scopes");
    last_used = q.opt_i64(6);
  }
  s->actor = "key:" + prefix;
  s->validated_clock.store(now);
  s->validated_real.store(steady_ms());
  if (!last_used || now - *last_used >= kLastUsedResolutionMs) {
    // last_used_at is kept to a minute's resolution so opening sessions stays read-mostly.
    storage::Tx tx(*engine->pool, storage::TxMode::write);
    tx.q("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", s->key_id, now).run();
    tx.commit();
  }
  return s;
}

std::span<const OpDef> tenant_admin_ops() { return kAdminOps; }
std::span<const OpDef> tenant_session_ops() { return kSessionOps; }

}  // namespace loyalty::detail
