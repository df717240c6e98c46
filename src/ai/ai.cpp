// The ai.* operations (docs/ai.md): provider settings per tenant, the five operations over
// tenant-scoped aggregates with pseudonymous ids, stored results reused until stale, and the
// batch refresh. Inputs are read in a read transaction; the provider runs outside any
// transaction; its output is validated, then stored in a short write transaction of its own.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ai/ai_store.hpp"
#include "ai/offline.hpp"
#include "ai/openai.hpp"
#include "ai/providers.hpp"
#include "ai/schemas.hpp"
#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "crypto/crypto.hpp"
#include "customers/customer_store.hpp"
#include "customers/customers.hpp"
#include "engine/registry.hpp"
#include "geo/geo.hpp"
#include "locations/location_store.hpp"
#include "loyalty/core/timezone.hpp"
#include "programs/programs.hpp"
#include "rewards/reward_store.hpp"
#include "rules/rule_store.hpp"
#include "tenants/tenant_store.hpp"

namespace loyalty::detail {

namespace ai {

namespace {

constexpr Timestamp kDay = 86'400'000;
constexpr std::array<int64_t, kOperationCount> kDefaultTtl = {86'400, 7 * 86'400, 86'400, 30 * 86'400, 86'400};
/// Segmentation covers at most this many customers (the output schema's members bound).
constexpr int64_t kMaxSegmentCustomers = 10'000;

std::optional<Operation> operation_of(std::string_view name) {
  for (int n = 0; n < kOperationCount; ++n)
    if (operation_name(static_cast<Operation>(n)) == name) return static_cast<Operation>(n);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Settings

struct Settings {
  std::string provider = "offline";
  std::array<int64_t, kOperationCount> ttl = kDefaultTtl;
  json config = json::object();  // the openai configuration, api_key included (never echoed)
  std::string salt;
  std::optional<Timestamp> updated_at;
  /// The model the tenant's provider answers with now, when it is known without calling it (the
  /// offline model, the configured OpenAI model, the registered host provider's model).
  std::optional<std::string> model;
};

Settings load_settings(storage::UnitOfWork& tx, const std::string& tenant) {
  Settings s;
  const auto row = tx.ai().settings(tenant);
  if (!row) return s;
  s.provider = row->provider;
  const json ttl = parse_stored(row->ttl);
  for (int n = 0; n < kOperationCount; ++n) {
    const std::string name(operation_name(static_cast<Operation>(n)));
    if (ttl.contains(name)) s.ttl[n] = ttl[name].get<int64_t>();
  }
  s.config = parse_stored(row->config);
  s.salt = row->salt;
  s.updated_at = row->updated_at;
  return s;
}

json ttl_json(const Settings& s) {
  json out = json::object();
  for (int n = 0; n < kOperationCount; ++n) out[std::string(operation_name(static_cast<Operation>(n)))] = s.ttl[n];
  return out;
}

json settings_json(const Settings& s) {
  json openai = nullptr;
  if (!s.config.empty()) {
    // Everything as configured but the secrets: the API key and the header values.
    json headers = json::array();
    const json given = s.config.value("headers", json::object());
    for (const auto& [k, v] : given.items()) headers.push_back(k);
    openai = s.config;
    openai.erase("api_key");
    openai.erase("headers");
    openai["header_names"] = headers;
    openai["api_key_set"] = s.config.contains("api_key");
  }
  return {{"provider", s.provider},
          {"ttl_s", ttl_json(s)},
          {"openai", openai},
          {"updated_at", s.updated_at ? json(format_time(*s.updated_at)) : json(nullptr)}};
}

void write_settings(storage::UnitOfWork& tx, const std::string& tenant, const Settings& s, Timestamp now) {
  tx.ai().save_settings({tenant, s.provider, ttl_json(s).dump(), s.config.dump(), s.salt, now});
}

std::optional<std::string> current_model(EngineState& engine, const Settings& s) {
  if (s.provider == "offline") return offline_provider()->model();
  if (s.provider == "openai") {
    const auto m = s.config.find("model");
    if (m != s.config.end() && m->is_string()) return m->get<std::string>();
    return std::nullopt;
  }
  AiState& st = ai_state(engine);  // callback: the host's model, while one is registered
  std::lock_guard lock(st.mu);
  if (st.host && st.host->run) return st.host->model;
  return std::nullopt;
}

/// The tenant's settings, creating the row (with the salt of its pseudonymous ids) on first use.
Settings settings_of(Ctx& ctx) {
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    Settings s = load_settings(tx, ctx.tenant());
    if (!s.salt.empty()) {
      s.model = current_model(ctx.engine, s);
      return s;
    }
  }
  const Timestamp now = ctx.engine.now();
  Settings s = write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) {
    Settings created = load_settings(tx, ctx.tenant());
    if (created.salt.empty()) {
      created.salt = crypto::new_id("salt");
      write_settings(tx, ctx.tenant(), created, now);  // created.config is still the empty object
      created.updated_at = now;
    }
    return created;
  });
  s.model = current_model(ctx.engine, s);
  return s;
}

/// The `openai` object of ai.configure, checked by the OpenAI-compatible provider's own parser
/// (every field of docs/ai-openai.md; errors name `openai.<field>`). An omitted api_key keeps the
/// stored one.
json read_openai_config(const Input& i, const json& previous) {
  const auto obj = i.opt_object("openai");
  if (!obj) i.fail("openai", "is required for the openai provider");
  json c = *obj;
  if (!c.contains("api_key") && previous.contains("api_key")) c["api_key"] = previous["api_key"];
  (void)parse_openai_config(c);
  return c;
}

json ai_configure(Ctx& ctx, const json& in) {
  Input i(in, {"provider", "ttl_s", "openai"});
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    Settings s = load_settings(tx, ctx.tenant());
    if (s.salt.empty()) s.salt = crypto::new_id("salt");
    if (auto p = i.opt_enum("provider", {"offline", "openai", "callback"})) s.provider = *p;
    if (auto ttl = i.opt_object("ttl_s")) {
      for (const auto& [k, v] : ttl->items()) {
        const auto op = operation_of(k);
        const std::string field = i.field("ttl_s") + "." + k;
        if (!op) throw Error(Status::invalid, fmt::format("unknown AI operation '{}'", k), field);
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 366 * 86'400)
          throw Error(Status::invalid, "must be an integer number of seconds within [0, 31622400]", field);
        s.ttl[static_cast<int>(*op)] = v.get<int64_t>();
      }
    }
    if (s.provider == "openai")
      s.config = read_openai_config(i, s.config);
    else if (i.has("openai"))
      i.fail("openai", "is only allowed with the openai provider");
    else
      s.config = json::object();
    write_settings(tx, ctx.tenant(), s, now);
    audit.record("ai.configure", ctx.tenant(), {{"provider", s.provider}, {"ttl_s", ttl_json(s)}});
    s.updated_at = now;
    return settings_json(s);
  });
}

json ai_settings(Ctx& ctx, const json& in) {
  Input i(in, {});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return settings_json(load_settings(tx, ctx.tenant()));
}

// ---------------------------------------------------------------------------------------------
// Stored results

std::string pseudonym(const Settings& s, const std::string& customer_id) {
  return "p_" + crypto::sha256_hex(s.salt + ":" + customer_id).substr(0, 24);
}

json envelope(Operation op, const std::string& subject, const std::string& provider, const std::string& model,
              Timestamp created, Timestamp expires, bool cached, json output) {
  return {{"operation", operation_name(op)},
          {"subject", subject},
          {"provider", provider},
          {"model", model},
          {"created_at", format_time(created)},
          {"expires_at", format_time(expires)},
          {"cached", cached},
          {"output", std::move(output)}};
}

/// The stored result of (op, subject) if it is still fresh at `now`: before its expiry, within the
/// operation's current TTL (lowering a TTL takes effect at once), and made by the tenant's current
/// provider and model (changing either recomputes; while the model is unknown, as with no host
/// provider registered, a result of the same provider kind is served).
std::optional<json> fresh_result(storage::UnitOfWork& tx, const std::string& tenant, const Settings& s, Operation op,
                                 const std::string& subject, Timestamp now) {
  const auto r =
      tx.ai().fresh_result(tenant, std::string(operation_name(op)), subject, now, s.ttl[static_cast<int>(op)] * 1000);
  if (!r) return std::nullopt;
  if (r->provider != s.provider || (s.model && r->model != *s.model)) return std::nullopt;
  return envelope(op, subject, r->provider, r->model, r->created_at, r->expires_at, true, parse_stored(r->output));
}

/// Runs the provider outside any transaction; run_validated scrubs its input (the one privacy scrub,
/// for every provider) and validates its output once.
json run_provider(Provider& p, Operation op, const json& input) { return run_validated(p, op, input); }

/// Stores results (subject -> output) in one short write transaction; returns their envelopes.
std::vector<json> store_results(Ctx& ctx, const Settings& s, const Provider& p, Operation op,
                                const std::vector<std::pair<std::string, json>>& results) {
  const Timestamp now = ctx.engine.now();
  const Timestamp expires = now + s.ttl[static_cast<int>(op)] * 1000;
  std::vector<json> out;
  const std::string kind = p.kind(), model = p.model();
  write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) {
    for (const auto& [subject, output] : results) {
      tx.ai().put_result(
          {ctx.tenant(), std::string(operation_name(op)), subject, kind, model, now, expires, output.dump()});
      out.push_back(envelope(op, subject, kind, model, now, expires, false, output));
    }
  });
  return out;
}

std::shared_ptr<Provider> provider_of(Ctx& ctx, const Settings& s) {
  return provider_for(ctx.engine, ctx.tenant(), s.provider, s.config);
}

// ---------------------------------------------------------------------------------------------
// Aggregates (read inside one read transaction)

struct Activity {
  std::optional<Timestamp> last;
  int64_t n90 = 0, nprev90 = 0, n365 = 0;                     // all activity
  int64_t purchases90 = 0, checkins90 = 0, host_earns90 = 0;  // n90 by source
  int64_t m90 = 0, m365 = 0;
};

// Purchases, verified check-ins and earns that came from neither (ledger.earn by the host) are
// the customer's activity; monetary value is the purchases' amount net of returns.
std::unordered_map<std::string, Activity> activity(storage::UnitOfWork& tx, const std::string& tenant,
                                                   const std::optional<std::string>& customer, Timestamp now) {
  std::unordered_map<std::string, Activity> out;
  for (const auto& r : tx.ai().activity({tenant, customer, now - 90 * kDay, now - 180 * kDay, now - 365 * kDay, now})) {
    Activity& a = out[r.customer_id];
    a.last = a.last ? std::max(*a.last, r.last) : r.last;
    a.n90 += r.n_90d;
    switch (r.source) {
      case storage::ActivitySource::purchases:
        a.purchases90 += r.n_90d;
        break;
      case storage::ActivitySource::checkins:
        a.checkins90 += r.n_90d;
        break;
      case storage::ActivitySource::host_earns:
        a.host_earns90 += r.n_90d;
        break;
    }
    a.nprev90 += r.n_prev_90d;
    a.n365 += r.n_365d;
    a.m90 += r.monetary_90d;
    a.m365 += r.monetary_365d;
  }
  return out;
}

double days(Timestamp ms) { return static_cast<double>(ms) / static_cast<double>(kDay); }
double days_rounded(Timestamp ms) { return std::round(days(ms) * 10) / 10; }

json churn_customer(const std::string& id, const Activity& a, Timestamp created_at, int64_t balance, Timestamp now) {
  return {{"id", id},
          {"recency_days", a.last ? json(days_rounded(now - *a.last)) : json(nullptr)},
          {"tenure_days", days_rounded(now - created_at)},
          {"frequency_90d", a.n90},
          {"frequency_prev_90d", a.nprev90},
          {"monetary_90d", a.m90},
          {"balance", balance}};
}

/// The median of the customers' 90-day purchase amounts (those who bought), the churn model's
/// reference for monetary value.
int64_t monetary_median(storage::UnitOfWork& tx, const std::string& tenant, Timestamp now) {
  std::vector<int64_t> v = tx.ai().purchase_totals(tenant, now - 90 * kDay, now);
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

struct CustomerRow {
  std::string id;
  Timestamp created_at;
  int64_t balance;  // available points over the customer's accounts (posted - held)
};

CustomerRow customer_row(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id) {
  const auto c = tx.ai().customer_summary(tenant, id);
  if (!c) throw Error(Status::not_found, fmt::format("no customer '{}'", id), "customer_id");
  return {id, c->created_at, c->balance};
}

json churn_input(storage::UnitOfWork& tx, const std::string& tenant, const Settings& s,
                 const std::vector<CustomerRow>& rows, Timestamp now) {
  json customers = json::array();
  for (const auto& r : rows) {
    auto acts = activity(tx, tenant, r.id, now);
    customers.push_back(churn_customer(pseudonym(s, r.id), acts[r.id], r.created_at, r.balance, now));
  }
  return {{"customers", std::move(customers)},
          {"reference", {{"monetary_90d_median", monetary_median(tx, tenant, now)}}}};
}

/// Splits a churn output into per-customer outputs under the real customer ids.
std::vector<std::pair<std::string, json>> churn_results(const json& output, const std::vector<CustomerRow>& rows,
                                                        const Settings& s) {
  std::unordered_map<std::string, std::string> real;
  for (const auto& r : rows) real[pseudonym(s, r.id)] = r.id;
  std::vector<std::pair<std::string, json>> out;
  for (json item : output["customers"]) {
    auto it = real.find(item["id"].get<std::string>());
    if (it == real.end()) continue;  // an id the provider made up is never stored
    item["id"] = it->second;
    out.emplace_back(it->second, json{{"customers", json::array({item})}});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recommendations

/// One recommendation candidate as the providers read it (docs/ai.md, recommendations).
/// The reward's or rule's name goes as `title`: a key named "name" is personal data to the privacy
/// scrub, which every provider's input goes through.
json candidate(std::string id, const char* kind, const std::string& name, json category, int64_t cost, json tier_rank,
               int64_t popularity) {
  return {{"id", std::move(id)},
          {"kind", kind},
          {"title", utf8_prefix(name, 200)},
          {"category", std::move(category)},
          {"cost_points", cost},
          {"min_tier_rank", std::move(tier_rank)},
          {"popularity", popularity},
          {"distance_km", nullptr}};
}

/// Redeemable rewards of the program (active, inside their window, in stock) with their
/// popularity (redemptions in the last 90 days), read from the rewards module's tables.
std::vector<json> reward_candidates(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program_id,
                                    Timestamp now) {
  std::vector<json> out;
  for (const auto& r : tx.rewards().reward_candidates(tenant, program_id, now, now - 90 * kDay))
    out.push_back(candidate(r.id, "reward", r.name, r.category ? json(utf8_prefix(*r.category, 64)) : json(nullptr),
                            r.cost_points, r.min_tier_rank ? json(*r.min_tier_rank) : json(nullptr), r.popularity));
  return out;
}

/// The location a rule's conditions require, if they require one: a condition "<purchase,
/// checkin or place>.location_id eq <id>" or "place.inside contains <id>", alone or (first found)
/// inside an `all` (never inside `any` or `not`, which do not pin the rule to the place).
std::optional<std::string> required_location(const json& conditions) {
  std::vector<const json*> todo{&conditions};  // an explicit stack: stored conditions of any depth
  while (!todo.empty()) {
    const json& c = *todo.back();
    todo.pop_back();
    if (!c.is_object()) continue;
    if (auto all = c.find("all"); all != c.end() && all->is_array()) {
      for (auto it = all->rbegin(); it != all->rend(); ++it) todo.push_back(&*it);  // first child on top
      continue;
    }
    const auto fact = c.find("fact"), op = c.find("operator"), value = c.find("value");
    if (fact == c.end() || op == c.end() || value == c.end() || !value->is_string()) continue;
    const bool location_eq =
        (*fact == "purchase.location_id" || *fact == "checkin.location_id" || *fact == "place.location_id") &&
        *op == "eq";
    const bool inside = *fact == "place.inside" && *op == "contains";
    if (location_eq || inside) return value->get<std::string>();
  }
  return std::nullopt;
}

/// Where the customer was last seen: the coordinates of their most recent verified check-in.
std::optional<geo::LatLon> last_seen(storage::UnitOfWork& tx, const std::string& tenant, const std::string& customer) {
  const auto p = tx.locations().last_seen(tenant, customer);
  if (!p) return std::nullopt;
  return geo::LatLon{p->lat, p->lon};
}

/// The distance in km (to 0.1 km) from `from` to the tenant's location `id`, or null when either
/// is unknown.
json distance_km(storage::UnitOfWork& tx, const std::string& tenant, const std::optional<geo::LatLon>& from,
                 const std::optional<std::string>& id) {
  if (!from || !id) return nullptr;
  const auto p = tx.locations().location_point(tenant, *id);
  if (!p) return nullptr;
  return std::round(geo::distance_m(*from, geo::LatLon{p->lat, p->lon}) / 100.0) / 10.0;
}

/// Current offers: the program's active bonus rules (type "bonus", purchase or check-in trigger)
/// whose start/end window contains `now`, with their popularity (awards in the last 90 days) and,
/// for an offer at one location, its distance from where the customer was last seen.
std::vector<json> offer_candidates(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program_id,
                                   Timestamp now, const std::optional<geo::LatLon>& seen) {
  std::vector<json> out;
  for (const auto& r : tx.rules().bonus_rules(tenant, program_id, now - 90 * kDay)) {
    const auto start = r.start ? parse_time(*r.start) : std::nullopt;
    const auto end = r.end ? parse_time(*r.end) : std::nullopt;
    if ((start && now < *start) || (end && now >= *end)) continue;
    json c = candidate(r.id, "offer", r.name, nullptr, 0, nullptr, r.popularity);
    if (seen && r.conditions)
      c["distance_km"] = distance_km(tx, tenant, seen, required_location(parse_stored(*r.conditions)));
    out.push_back(std::move(c));
  }
  return out;
}

json recommendations_input(storage::UnitOfWork& tx, const std::string& tenant, const Settings& s,
                           const std::string& customer, const Program& program, int64_t limit, Timestamp now) {
  int64_t balance = 0;
  json tier = nullptr, tier_rank = nullptr;
  if (const auto a = tx.ai().standing(tenant, customer, program.id)) {
    balance = a->available;
    if (a->tier) {
      tier = *a->tier;
      tier_rank = a->tier_rank.value_or(0);
    }
  }
  // A list of {category, spend}, not an object keyed by category: the privacy scrub removes keys
  // with personal words, and a category may well be called "phones" or "street food".
  std::map<std::string, int64_t> spend;
  for (const auto& c : tx.ai().category_spend(tenant, customer, program.id, now - 365 * kDay, now))
    spend[utf8_prefix(c.category, 64)] += c.spend;
  json categories = json::array();
  for (const auto& [category, amount] : spend) categories.push_back({{"category", category}, {"spend", amount}});
  auto acts = activity(tx, tenant, customer, now);
  const Activity& a = acts[customer];
  return {{"customer",
           {{"id", pseudonym(s, customer)},
            {"balance", balance},
            {"tier", tier},
            {"tier_rank", tier_rank},
            {"recency_days", a.last ? json(days_rounded(now - *a.last)) : json(nullptr)},
            {"purchases_90d", a.purchases90},
            {"checkins_90d", a.checkins90},
            {"host_earns_90d", a.host_earns90},
            {"spend_90d", a.m90},
            {"categories", categories}}},
          {"candidates",
           [&] {
             auto c = reward_candidates(tx, tenant, program.id, now);
             for (auto& o : offer_candidates(tx, tenant, program.id, now, last_seen(tx, tenant, customer)))
               c.push_back(std::move(o));
             return c;
           }()},
          {"limit", limit}};
}

Program program_of(const Input& i, storage::UnitOfWork& tx, const std::string& tenant) {
  if (auto p = i.opt_str("program_id")) return load_program(tx, tenant, *p);
  return default_program(tx, tenant);
}

json ai_recommendations(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "limit", "refresh"});
  const std::string customer = i.str("customer_id");
  const int64_t limit = i.opt_i64("limit", 1, 50).value_or(5);
  const bool refresh = i.boolean("refresh", false);
  const Settings s = settings_of(ctx);
  json input;
  std::string subject;
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    require_customer(tx, ctx.tenant(), customer);
    const Program program = program_of(i, tx, ctx.tenant());
    subject = fmt::format("{}/{}/{}", customer, program.id, limit);
    if (!refresh)
      if (auto r = fresh_result(tx, ctx.tenant(), s, Operation::recommendations, subject, ctx.engine.now())) return *r;
    input = recommendations_input(tx, ctx.tenant(), s, customer, program, limit, ctx.engine.now());
  }
  auto p = provider_of(ctx, s);
  json output = run_provider(*p, Operation::recommendations, input);
  return store_results(ctx, s, *p, Operation::recommendations, {{subject, output}}).front();
}

// ---------------------------------------------------------------------------------------------
// Churn

json ai_churn(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "refresh"});
  const std::string customer = i.str("customer_id");
  const bool refresh = i.boolean("refresh", false);
  const Settings s = settings_of(ctx);
  std::vector<CustomerRow> rows;
  json input;
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    rows.push_back(customer_row(tx, ctx.tenant(), customer));
    if (!refresh)
      if (auto r = fresh_result(tx, ctx.tenant(), s, Operation::churn, customer, ctx.engine.now())) return *r;
    input = churn_input(tx, ctx.tenant(), s, rows, ctx.engine.now());
  }
  auto p = provider_of(ctx, s);
  const json output = run_provider(*p, Operation::churn, input);
  auto results = churn_results(output, rows, s);
  if (results.empty()) throw Error(Status::invalid, "the provider's churn output does not cover the customer");
  return store_results(ctx, s, *p, Operation::churn, results).front();
}

// ---------------------------------------------------------------------------------------------
// Segmentation

constexpr const char* kSegmentTagPrefix = "rfm:";

/// Writes each member's segment tag "rfm:<segment>", replacing its previous "rfm:" tags.
int64_t apply_segments(Ctx& ctx, const json& output) {
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) {
    int64_t updated = 0;
    for (const auto& seg : output["segments"]) {
      const std::string tag = kSegmentTagPrefix + seg["name"].get<std::string>();
      for (const auto& m : seg["members"]) {
        const std::string id = m.get<std::string>();
        const auto facts = tx.customers().facts(ctx.tenant(), id);
        if (!facts) continue;  // erased since
        json tags = json::array();
        for (const auto& t : parse_stored(facts->segments))
          if (t.get<std::string>().rfind(kSegmentTagPrefix, 0) != 0) tags.push_back(t);
        tags.push_back(tag);
        storage::CustomerUpdate u;
        u.tenant_id = ctx.tenant();
        u.id = id;
        u.segments = tags.dump();
        u.updated_at = now;
        tx.customers().update_customer(u);
        ++updated;
      }
    }
    audit.record("ai.segments.apply", ctx.tenant(), {{"customers", updated}});
    return updated;
  });
}

json ai_segments(Ctx& ctx, const json& in) {
  Input i(in, {"refresh", "apply"});
  const bool refresh = i.boolean("refresh", false);
  const bool apply = i.boolean("apply", false);
  if (apply && (ctx.session->scopes & kScopeAdmin) == 0)
    throw Error(Status::forbidden, "applying segment tags needs the 'admin' scope", "apply");
  const Settings s = settings_of(ctx);
  const std::string subject = "tenant";
  json result;
  std::unordered_map<std::string, std::string> real;
  json input;
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    const Timestamp now = ctx.engine.now();
    std::optional<json> cached;
    if (!refresh) cached = fresh_result(tx, ctx.tenant(), s, Operation::segmentation, subject, now);
    if (cached) {
      result = std::move(*cached);
    } else {
      auto acts = activity(tx, ctx.tenant(), std::nullopt, now);
      json customers = json::array();
      auto rows = tx.customers().customers({ctx.tenant(), 0, std::nullopt, kMaxSegmentCustomers});
      if (static_cast<int64_t>(rows.size()) > kMaxSegmentCustomers) rows.pop_back();  // a page holds one more
      for (const auto& row : rows) {
        const std::string& id = row.id;
        const std::string pid = pseudonym(s, id);
        real[pid] = id;
        const Activity& a = acts[id];
        customers.push_back({{"id", pid},
                             {"recency_days", a.last ? json(days_rounded(now - *a.last)) : json(nullptr)},
                             {"frequency_365d", a.n365},
                             {"monetary_365d", a.m365},
                             {"tenure_days", days_rounded(now - row.created_at)}});
      }
      input = {{"customers", std::move(customers)}};
    }
  }
  if (result.is_null()) {
    auto p = provider_of(ctx, s);
    json output = run_provider(*p, Operation::segmentation, input);
    for (auto& seg : output["segments"]) {
      json members = json::array();
      for (const auto& m : seg["members"])
        if (auto it = real.find(m.get<std::string>()); it != real.end()) members.push_back(it->second);
      seg["size"] = members.size();
      seg["members"] = std::move(members);
    }
    result = store_results(ctx, s, *p, Operation::segmentation, {{subject, output}}).front();
  }
  if (apply) result["applied"] = apply_segments(ctx, result["output"]);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Feedback

json ai_feedback(Ctx& ctx, const json& in) {
  Input i(in, {"text", "texts", "refresh"});
  const bool refresh = i.boolean("refresh", false);
  json items = json::array();
  if (i.has("text") == i.has("texts")) i.fail("text", "give exactly one of text and texts");
  if (i.has("text")) {
    items.push_back({{"id", "text"}, {"text", i.str("text", 5000)}});
  } else {
    const json& list = i.raw("texts");
    if (!list.is_array() || list.empty() || list.size() > 1000)
      i.fail("texts", "must be an array of 1 to 1000 texts or {id, text} objects");
    std::set<std::string> ids;
    for (size_t n = 0; n < list.size(); ++n) {
      const std::string field = fmt::format("{}[{}]", i.field("texts"), n);
      json item;
      if (list[n].is_string()) {
        const json wrapped = {{"text", list[n]}};  // Input keeps a reference: a named object
        Input w(wrapped, {"text"}, field);
        item = {{"id", std::to_string(n)}, {"text", w.str("text", 5000)}};
      } else {
        Input w(list[n], {"id", "text"}, field);
        item = {{"id", w.opt_str("id", 128).value_or(std::to_string(n))}, {"text", w.str("text", 5000)}};
      }
      if (!ids.insert(item["id"].get<std::string>()).second)
        throw Error(Status::invalid, "duplicate feedback id", field + ".id");
      items.push_back(std::move(item));
    }
  }
  const json input = {{"items", items}};
  const std::string subject = "sha256:" + crypto::sha256_hex(input.dump());
  const Settings s = settings_of(ctx);
  if (!refresh) {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    if (auto r = fresh_result(tx, ctx.tenant(), s, Operation::feedback, subject, ctx.engine.now())) return *r;
  }
  auto p = provider_of(ctx, s);
  json output = run_provider(*p, Operation::feedback, input);
  return store_results(ctx, s, *p, Operation::feedback, {{subject, output}}).front();
}

// ---------------------------------------------------------------------------------------------
// Location insights

json ai_location_insights(Ctx& ctx, const json& in) {
  Input i(in, {"location_id", "window_days", "refresh"});
  const auto location = i.opt_str("location_id");
  const int64_t window = i.opt_i64("window_days", 1, 366).value_or(90);
  const bool refresh = i.boolean("refresh", false);
  const Settings s = settings_of(ctx);
  const std::string subject = fmt::format("{}/{}", location.value_or("all"), window);
  json input;
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    const Timestamp now = ctx.engine.now();
    if (location && !tx.locations().location_point(ctx.tenant(), *location))
      throw Error(Status::not_found, fmt::format("no location '{}'", *location), "location_id");
    if (!refresh)
      if (auto r = fresh_result(tx, ctx.tenant(), s, Operation::location_insights, subject, now)) return *r;
    std::string zone_name = "UTC";
    if (const auto t = tx.tenants().tenant(ctx.tenant())) zone_name = t->timezone;
    const auto zone = TimeZone::locate(zone_name);
    struct Stats {
      int64_t checkins = 0, converted = 0;
      std::array<int64_t, 24> hours{};
      std::array<int64_t, 7> days{};
      std::set<std::string> customers;
    };
    std::map<std::string, Stats> stats;
    if (location)
      stats[*location];
    else
      for (auto& id : tx.locations().active_location_ids(ctx.tenant(), 1000)) stats[std::move(id)];
    // A check-in converts when the same customer buys within two hours after it.
    for (const auto& v : tx.locations().visits(ctx.tenant(), location, now - window * kDay, now)) {
      auto it = stats.find(v.location_id);
      if (it == stats.end()) continue;
      Stats& st = it->second;
      const Timestamp local = zone->to_local(v.occurred_at);
      ++st.checkins;
      st.converted += v.converted ? 1 : 0;
      ++st.hours[static_cast<size_t>(((local / 3'600'000) % 24 + 24) % 24)];
      ++st.days[weekday(civil_from_timestamp(local))];
      st.customers.insert(v.customer_id);
    }
    json locs = json::array();
    for (const auto& [id, st] : stats)
      locs.push_back({{"id", id},
                      {"checkins", st.checkins},
                      {"unique_customers", st.customers.size()},
                      {"converted", st.converted},
                      {"by_hour", st.hours},
                      {"by_weekday", st.days}});
    input = {{"window_days", window}, {"timezone", zone_name}, {"locations", std::move(locs)}};
  }
  auto p = provider_of(ctx, s);
  json output = run_provider(*p, Operation::location_insights, input);
  return store_results(ctx, s, *p, Operation::location_insights, {{subject, output}}).front();
}

// ---------------------------------------------------------------------------------------------
// Batch refresh

json ai_refresh(Ctx& ctx, const json& in) {
  Input i(in, {"operation", "program_id", "cursor", "limit", "force"});
  const auto opname_in = i.opt_enum("operation", {"churn", "recommendations"});
  if (!opname_in) i.fail("operation", "is required: churn or recommendations");
  const std::string opname = *opname_in;
  const Operation op = opname == "churn" ? Operation::churn : Operation::recommendations;
  const int64_t limit = i.opt_i64("limit", 1, 500).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const bool force = i.boolean("force", false);
  const Settings s = settings_of(ctx);
  std::vector<CustomerRow> due;
  std::optional<Program> program;
  int64_t reused = 0;
  json next = nullptr;
  json churn_in;
  std::vector<std::pair<std::string, json>> rec_inputs;
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    const Timestamp now = ctx.engine.now();
    if (op == Operation::recommendations)
      program = program_of(i, tx, ctx.tenant());
    else if (i.has("program_id"))
      i.fail("program_id", "is only used by the recommendations refresh");
    std::vector<std::pair<std::string, int64_t>> page;
    for (const auto& c : tx.customers().customers({ctx.tenant(), after, std::nullopt, limit}))
      page.emplace_back(c.id, c.seq);
    if (static_cast<int64_t>(page.size()) > limit) {
      page.pop_back();
      next = encode_cursor(page.back().second);
    }
    for (const auto& [id, seq] : page) {
      const std::string subject = op == Operation::churn ? id : fmt::format("{}/{}/{}", id, program->id, 5);
      if (!force && fresh_result(tx, ctx.tenant(), s, op, subject, now)) {
        ++reused;
        continue;
      }
      if (op == Operation::churn)
        due.push_back(customer_row(tx, ctx.tenant(), id));
      else
        rec_inputs.emplace_back(subject, recommendations_input(tx, ctx.tenant(), s, id, *program, 5, now));
    }
    if (op == Operation::churn && !due.empty()) churn_in = churn_input(tx, ctx.tenant(), s, due, now);
  }
  std::vector<std::pair<std::string, json>> results;
  auto p = (due.empty() && rec_inputs.empty()) ? nullptr : provider_of(ctx, s);
  if (op == Operation::churn && !due.empty()) {
    results = churn_results(run_provider(*p, op, churn_in), due, s);
  } else {
    for (const auto& [subject, input] : rec_inputs) results.emplace_back(subject, run_provider(*p, op, input));
  }
  if (!results.empty()) store_results(ctx, s, *p, op, results);
  return {{"operation", opname}, {"computed", results.size()}, {"reused", reused}, {"next_cursor", next}};
}

constexpr OpDef kOps[] = {
    {"ai.configure", ai_configure, kScopeAdmin},
    {"ai.settings", ai_settings, kScopeAdmin},
    {"ai.recommendations", ai_recommendations, kScopeRead},
    {"ai.churn", ai_churn, kScopeRead},
    {"ai.segments", ai_segments, kScopeRead},
    {"ai.feedback", ai_feedback, kScopeRead},
    {"ai.location_insights", ai_location_insights, kScopeRead},
    {"ai.refresh", ai_refresh, kScopeAdmin},
};

}  // namespace
}  // namespace ai

std::span<const OpDef> ai_ops() { return ai::kOps; }

}  // namespace loyalty::detail
