// Rules storage and operations: rule.* (versioned, audited), the engine's per-program plan cache
// (invalidated by a generation counter read inside each transaction, so changes made by other
// engines and processes are seen too), and purchase.submit / dry_run / return over the ledger's internal API.
#include "rules/rules.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/json_text.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "engine/registry.hpp"
#include "ledger/idempotency.hpp"
#include "ledger/ledger.hpp"
#include "programs/programs.hpp"
#include "rules/rule_store.hpp"
#include "storage/page.hpp"
#include "tiers/tiers.hpp"

namespace loyalty::detail {
namespace {

using rules::Plan;

// ---------------------------------------------------------------------------------------------
// plan cache

struct CacheEntry {
  int64_t generation = -1;
  std::string rounding, zone;
  std::shared_ptr<const Plan> plan;
};

std::vector<rules::RuleSource> load_sources(storage::UnitOfWork& tx, const std::string& program_id) {
  std::vector<rules::RuleSource> out;
  for (const auto& r : tx.rules().program_rules(program_id)) {
    rules::RuleSource s{r.id, r.version, r.seq, parse_stored(r.body)};
    s.body["active"] = r.active;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

/// The compiled plans of one engine, by program and trigger: part of the engine's state and freed
/// with it, so engines never see each other's plans (two in-memory databases have no path to tell
/// them apart, and program ids only need to be unique within one database).
struct PlanCache {
  std::mutex mu;
  std::map<std::string, CacheEntry, std::less<>> entries;
};

namespace {

PlanCache& cache_of(EngineState& e) {
  std::call_once(e.plan_cache_once, [&] { e.plan_cache = std::make_shared<PlanCache>(); });
  return *e.plan_cache;
}

}  // namespace

std::shared_ptr<const Plan> plan_for(storage::UnitOfWork& tx, EngineState& engine, const Program& p,
                                     rules::Trigger trigger) {
  const int64_t gen = tx.rules().generation(p.id);
  const std::string zone = p.zone ? p.zone->name() : "UTC";
  std::string key = p.id;
  key.push_back('\0');
  key += rules::trigger_name(trigger);
  PlanCache& cache = cache_of(engine);
  {
    std::lock_guard lock(cache.mu);
    auto it = cache.entries.find(key);
    if (it != cache.entries.end() && it->second.generation == gen && it->second.rounding == p.rounding &&
        it->second.zone == zone)
      return it->second.plan;
  }
  auto plan = rules::compile(load_sources(tx, p.id), rules::rounding_from(p.rounding), p.zone, trigger);
  std::lock_guard lock(cache.mu);
  cache.entries[key] = CacheEntry{gen, p.rounding, zone, plan};
  return plan;
}

namespace {

// ---------------------------------------------------------------------------------------------
// rules

json rule_row(const storage::RuleRecord& r) {
  json body = parse_stored(r.body);
  json out = {{"id", r.id}, {"program_id", r.program_id}, {"version", r.version}};
  for (auto& [k, v] : body.items()) out[k] = v;
  out["active"] = r.active;
  out["created_at"] = format_time(r.created_at);
  out["updated_at"] = format_time(r.updated_at);
  return out;
}

json load_rule(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
               const std::string& field = "id") {
  const auto r = tx.rules().rule(tenant, id);
  if (!r) throw Error(Status::not_found, fmt::format("no rule '{}'", id), field);
  return rule_row(*r);
}

/// The rule body of an input or a stored rule: without `id` and `program_id`, and without the
/// fields given as null (a null field counts as absent, as in every handler).
json body_of(const json& in) {
  json body = json::object();
  for (const auto& [k, v] : in.items())
    if (k != "id" && k != "program_id" && !v.is_null()) body[k] = v;
  return body;
}

Program program_of(storage::UnitOfWork& tx, const Ctx& ctx, const Input& i) {
  if (i.has("program_id")) return load_program(tx, ctx.tenant(), i.str("program_id"), "program_id");
  return default_program(tx, ctx.tenant());
}

/// Cross-rule checks (one mode per stacking group): compiles the program's rules with `changed`
/// in place of (or added to) the stored one.
void check_program(storage::UnitOfWork& tx, const Program& p, const std::string& id, const json& body) {
  auto sources = load_sources(tx, p.id);
  bool found = false;
  for (auto& s : sources)
    if (s.id == id) s.body = body, found = true;
  if (!found) sources.push_back({id, 1, INT64_MAX, body});
  for (auto& s : sources) s.body["active"] = true;  // inactive rules must agree too
  for (auto t : {rules::Trigger::purchase, rules::Trigger::checkin})
    rules::compile(sources, rules::rounding_from(p.rounding), p.zone, t);
}

json rule_create(Ctx& ctx, const json& in) {
  if (!in.is_object()) throw Error(Status::invalid, "input must be a JSON object");
  json body = rules::validate_rule(body_of(in));
  const bool active = body["active"];
  const Timestamp now = ctx.engine.now();
  const std::string id = crypto::new_id("rul");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    json pj = json::object();
    if (in.contains("program_id")) pj["program_id"] = in["program_id"];
    Input i(pj, {"program_id"});
    const Program p = program_of(tx, ctx, i);
    check_program(tx, p, id, body);
    body.erase("active");
    tx.rules().insert_rule({id, ctx.tenant(), p.id, 1, active, body.dump(), now, now, 0});
    tx.rules().bump_generation(p.id);
    json out = load_rule(tx, ctx.tenant(), id);
    audit.record("rule.create", id, {{"rule", out}});
    return out;
  });
}

json rule_get(Ctx& ctx, const json& in) {
  Input i(in, {"id", "version"});
  const std::string id = i.str("id");
  const auto version = i.opt_i64("version", 1, INT64_MAX);
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  json out = load_rule(tx, ctx.tenant(), id);
  if (version && *version != out["version"]) {
    const auto stored = tx.rules().rule_version(id, *version);
    if (!stored) throw Error(Status::not_found, fmt::format("rule '{}' has no version {}", id, *version), "version");
    json body = parse_stored(stored->body);
    json old = {{"id", id}, {"program_id", out["program_id"]}, {"version", *version}};
    for (auto& [k, v] : body.items()) old[k] = v;
    old["active"] = out["active"];
    old["created_at"] = out["created_at"];
    old["updated_at"] = format_time(stored->created_at);
    return old;
  }
  return out;
}

json rule_list(Ctx& ctx, const json& in) {
  Input i(in, {"program_id", "active", "limit", "cursor"});
  const auto program = i.opt_str("program_id");
  const auto active = i.opt_bool("active");
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  // An unknown program (or another tenant's) is not found, as in tier.list and reward.list.
  if (program) load_program(tx, ctx.tenant(), *program, "program_id");
  return storage::page_of(
      tx.rules().rules({ctx.tenant(), program, active, after, limit}), limit,
      [](const storage::RuleRecord& r) { return r.seq; }, [](const storage::RuleRecord& r) { return rule_row(r); });
}

json rule_update(Ctx& ctx, const json& in) {
  if (!in.is_object()) throw Error(Status::invalid, "input must be a JSON object");
  for (const auto& [k, v] : in.items())
    if (k != "id" && k != "program_id" && k != "active" && !rules::is_rule_field(k))
      throw Error(Status::invalid, fmt::format("{} is not a known field", k), k);
  if (in.contains("program_id")) throw Error(Status::invalid, "program_id cannot change", "program_id");
  if (in.contains("active")) throw Error(Status::invalid, "use rule.activate or rule.deactivate", "active");
  json idj = json::object();
  if (in.contains("id")) idj["id"] = in["id"];
  Input idi(idj, {"id"});
  const std::string id = idi.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const json before = load_rule(tx, ctx.tenant(), id);
    json merged = body_of(before);
    for (const char* k : {"version", "created_at", "updated_at", "active"}) merged.erase(k);
    for (auto& [k, v] : in.items()) {
      if (k == "id") continue;
      if (v.is_null())
        merged.erase(k);  // null removes an optional field (start, end, group, limits, ...)
      else
        merged[k] = v;
    }
    json body = rules::validate_rule(merged);
    body.erase("active");
    const Program p = load_program(tx, ctx.tenant(), before["program_id"]);
    json check = body;
    check["active"] = true;
    check_program(tx, p, id, check);
    const int64_t version = before["version"].get<int64_t>() + 1;
    tx.rules().update_rule(ctx.tenant(), id, version, body.dump(), now);
    tx.rules().bump_generation(p.id);
    json after = load_rule(tx, ctx.tenant(), id);
    audit.record("rule.update", id,
                 {{"version", version}, {"changes", audit_changes(before, after, {"updated_at", "version"})}});
    return after;
  });
}

json set_active(Ctx& ctx, const json& in, bool active) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const json before = load_rule(tx, ctx.tenant(), id);
    tx.rules().set_rule_active(ctx.tenant(), id, active, now);
    tx.rules().bump_generation(before["program_id"].get<std::string>());
    audit.record(active ? "rule.activate" : "rule.deactivate", id);
    return load_rule(tx, ctx.tenant(), id);
  });
}

json rule_activate(Ctx& ctx, const json& in) { return set_active(ctx, in, true); }
json rule_deactivate(Ctx& ctx, const json& in) { return set_active(ctx, in, false); }

// ---------------------------------------------------------------------------------------------
// purchases

/// Customer facts a purchase input gives; each replaces the stored one.
struct CustomerOverrides {
  std::optional<std::string> tier;
  std::optional<int64_t> tier_multiplier;
  std::optional<json> attributes;
  std::optional<std::vector<std::string>> segments;
  std::optional<std::string> birthday;
  std::optional<bool> first_purchase;  // host-given, only for a purchase without customer_id
};

/// A purchase input, validated, owning the strings the evaluation's Event borrows.
struct Purchase {
  std::optional<std::string> order_id;
  std::optional<std::string> customer_id;
  std::optional<std::string> program_id;
  std::optional<int64_t> amount_in;
  std::optional<std::string> currency;
  std::string channel, location_id;
  std::vector<std::string> skus, categories;
  std::vector<rules::ItemIn> items;
  std::optional<Timestamp> occurred_at;
  std::vector<std::string> inside_s;
  std::vector<std::string_view> inside;
  std::optional<int64_t> distance_m;
  CustomerOverrides customer;
  std::optional<json> metadata;
  int64_t items_total = 0;
  rules::ExplainLevel explain = rules::ExplainLevel::full;
};

std::optional<CivilDate> parse_birthday(const std::string& s) {
  auto digits = [&](size_t at, size_t n, int& out) {
    out = 0;
    for (size_t k = at; k < at + n; ++k) {
      if (k >= s.size() || s[k] < '0' || s[k] > '9') return false;
      out = out * 10 + (s[k] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && digits(0, 4, y) && digits(5, 2, m) && digits(8, 2, d)) {
    if (m < 1 || m > 12 || d < 1 || d > static_cast<int>(days_in_month(y, static_cast<uint32_t>(m)))) return {};
    return CivilDate{y, static_cast<uint32_t>(m), static_cast<uint32_t>(d)};
  }
  if (s.size() == 5 && s[2] == '-' && digits(0, 2, m) && digits(3, 2, d)) {
    if (m < 1 || m > 12 || d < 1 || d > static_cast<int>(days_in_month(2000, static_cast<uint32_t>(m)))) return {};
    return CivilDate{0, static_cast<uint32_t>(m), static_cast<uint32_t>(d)};
  }
  return {};
}

Purchase read_purchase(const json& in, bool dry_run) {
  Input i(in, {"order_id", "customer_id", "program_id", "amount", "currency", "channel", "location_id", "items",
               "occurred_at", "place", "customer", "metadata", "explain"});
  Purchase p;
  // What the answer explains: a dry run is asked for its reasons (default every rule), a
  // submission for its points (default the rules that gave them; the stored purchase keeps those).
  p.explain = dry_run ? rules::ExplainLevel::full : rules::ExplainLevel::fired;
  if (const auto e = i.opt_str("explain", 10)) {
    const auto level = rules::explain_level(*e);
    if (!level) i.fail("explain", "must be \"none\", \"fired\" or \"full\"");
    p.explain = *level;
  }
  if (dry_run) {
    p.order_id = i.opt_str("order_id", 200);
    p.customer_id = i.opt_str("customer_id");
  } else {
    p.order_id = i.str("order_id", 200);
    p.customer_id = i.str("customer_id");
  }
  p.program_id = i.opt_str("program_id");
  p.amount_in = i.opt_i64("amount", 0, kMaxAmount);
  if (i.has("currency")) {
    const std::string c = i.str("currency", 3);
    if (c.size() != 3 || !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
      i.fail("currency", "must be an ISO 4217 code of three capital letters");
    p.currency = c;
  }
  p.channel = i.opt_str("channel", 100).value_or("");
  p.location_id = i.opt_str("location_id", 200).value_or("");
  p.occurred_at = i.opt_time("occurred_at");
  p.metadata = opt_object_limited(i, "metadata", kMaxMetadataBytes);
  if (i.has("items")) {
    const json& items = i.raw("items");
    if (!items.is_array() || items.size() > 1000) i.fail("items", "must be an array of at most 1000 items");
    p.skus.reserve(items.size());
    p.categories.reserve(items.size());
    for (size_t k = 0; k < items.size(); ++k) {
      const std::string path = fmt::format("items[{}]", k);
      if (!items[k].is_object()) throw Error(Status::invalid, path + " must be an object", path);
      Input it(items[k], {"sku", "category", "quantity", "unit_price"}, path);
      p.skus.push_back(it.str("sku", 200));
      p.categories.push_back(it.opt_str("category", 200).value_or(""));
      const int64_t qty = it.i64("quantity", 1, 1'000'000);
      const int64_t price = it.i64("unit_price", 0, 1'000'000'000'000);
      p.items.push_back({{}, {}, qty, price});
      p.items_total += qty * price;
      if (p.items_total > kMaxAmount) it.fail("unit_price", "makes the purchase total too large");
    }
    for (size_t k = 0; k < p.items.size(); ++k) p.items[k].sku = p.skus[k], p.items[k].category = p.categories[k];
  }
  if (!p.amount_in && !i.has("items")) i.fail("amount", "is required when there are no items");
  if (auto pl = i.opt_object("place")) {
    Input pi(*pl, {"inside", "distance_m"}, "place");
    if (auto list = pi.opt_str_list("inside", 256)) p.inside_s = *list;
    p.distance_m = pi.opt_i64("distance_m", 0, 40'075'000);
  }
  for (const auto& s : p.inside_s) p.inside.push_back(s);
  if (auto cu = i.opt_object("customer")) {
    Input ci(*cu, {"tier", "tier_multiplier", "attributes", "segments", "birthday", "first_purchase"}, "customer");
    CustomerOverrides& o = p.customer;
    o.tier = ci.opt_str("tier", 100);
    if (ci.has("tier_multiplier")) {
      auto d = rules::parse_decimal(ci.raw("tier_multiplier"));
      if (!d || *d > 1000 * rules::kScale) ci.fail("tier_multiplier", "must be a decimal from 0 to 1000 (\"1.5\")");
      o.tier_multiplier = d;
    }
    o.attributes = opt_object_limited(ci, "attributes", kMaxAttributesBytes);
    o.segments = ci.opt_str_list("segments", 64);
    o.birthday = ci.opt_str("birthday", 10);
    if (o.birthday && !parse_birthday(*o.birthday)) ci.fail("birthday", "must be a date YYYY-MM-DD or MM-DD");
    // A known customer's purchase history is the ledger's to tell; the host tells it for a guest.
    if (ci.has("first_purchase") && !ci.raw("first_purchase").is_null()) {
      if (p.customer_id)
        ci.fail("first_purchase", "is decided by the ledger for a known customer: give it only without customer_id");
      o.first_purchase = ci.opt_bool("first_purchase");
    }
  }
  return p;
}

/// A purchase read straight from its JSON text by the one parser's events (scan_json), without a
/// document, for inputs of the usual shape. It accepts only what read_purchase accepts and makes
/// the same Purchase of it (the operations test runs both on generated inputs and compares the
/// answers); it declines anything else (an unknown or repeated key, a value of another type or
/// out of range, a free-form object: `metadata`, `customer.attributes`), and read_purchase then
/// reads the document and reports the error.
class PurchaseReader final : public JsonEvents {
 public:
  PurchaseReader(Purchase& p, bool dry_run) : p_(p), dry_run_(dry_run) {
    p_.explain = dry_run ? rules::ExplainLevel::full : rules::ExplainLevel::fired;
  }

  /// read_purchase's checks of the whole input, once the text is read.
  bool finish() {
    if (at_ != At::done) return false;
    if (!dry_run_ && (!p_.order_id || !p_.customer_id)) return false;
    if (!p_.amount_in && !has_items_) return false;
    if (p_.customer.first_purchase && p_.customer_id) return false;
    for (size_t k = 0; k < p_.items.size(); ++k) p_.items[k].sku = p_.skus[k], p_.items[k].category = p_.categories[k];
    for (const auto& s : p_.inside_s) p_.inside.push_back(s);
    return true;
  }

  bool null() override { return at_ == At::root || at_ == At::item || at_ == At::customer || at_ == At::place; }

  bool boolean(bool v) override {
    if (at_ != At::customer || key_ != F::first_purchase) return false;
    p_.customer.first_purchase = v;
    return true;
  }

  bool integer(int64_t v) override {
    switch (at_) {
      case At::root:
        if (key_ != F::amount || v < 0 || v > kMaxAmount) return false;
        p_.amount_in = v;
        return true;
      case At::item:
        if (key_ == F::quantity && v >= 1 && v <= 1'000'000) return qty_ = v, true;
        if (key_ == F::unit_price && v >= 0 && v <= 1'000'000'000'000) return price_ = v, true;
        return false;
      case At::place:
        if (key_ != F::distance_m || v < 0 || v > 40'075'000) return false;
        p_.distance_m = v;
        return true;
      case At::customer:
        return key_ == F::tier_multiplier && multiplier(json(v));
      default:
        return false;
    }
  }

  bool number(double v, std::string_view) override {
    return at_ == At::customer && key_ == F::tier_multiplier && multiplier(json(v));
  }

  bool string(std::string& v) override {
    switch (at_) {
      case At::root:
        switch (key_) {
          case F::order_id:
            return text(v, 200) && (p_.order_id = std::move(v), true);
          case F::customer_id:
            return text(v, 256) && (p_.customer_id = std::move(v), true);
          case F::program_id:
            return text(v, 256) && (p_.program_id = std::move(v), true);
          case F::currency:
            if (v.size() != 3 || !std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
              return false;
            p_.currency = std::move(v);
            return true;
          case F::channel:
            return text(v, 100) && (p_.channel = std::move(v), true);
          case F::location_id:
            return text(v, 200) && (p_.location_id = std::move(v), true);
          case F::occurred_at:
            p_.occurred_at = parse_time(v);
            return p_.occurred_at.has_value();
          case F::explain: {
            const auto level = text(v, 10) ? rules::explain_level(v) : std::nullopt;
            if (!level) return false;
            p_.explain = *level;
            return true;
          }
          default:
            return false;
        }
      case At::item:
        if (key_ == F::sku) return text(v, 200) && (sku_ = std::move(v), true);
        if (key_ == F::category) return text(v, 200) && (category_ = std::move(v), true);
        return false;
      case At::customer:
        switch (key_) {
          case F::tier:
            return text(v, 100) && (p_.customer.tier = std::move(v), true);
          case F::birthday:
            if (!text(v, 10) || !parse_birthday(v)) return false;
            p_.customer.birthday = std::move(v);
            return true;
          case F::tier_multiplier:
            return multiplier(json(std::move(v)));
          default:
            return false;
        }
      case At::segments:
        if (!text(v, 256) || p_.customer.segments->size() >= 64) return false;
        p_.customer.segments->push_back(std::move(v));
        return true;
      case At::inside:
        if (!text(v, 256) || p_.inside_s.size() >= 256) return false;
        p_.inside_s.push_back(std::move(v));
        return true;
      default:
        return false;
    }
  }

  bool key(std::string& k) override {
    static constexpr std::pair<std::string_view, F> kRoot[] = {
        {"order_id", F::order_id},       {"customer_id", F::customer_id},
        {"program_id", F::program_id},   {"amount", F::amount},
        {"currency", F::currency},       {"channel", F::channel},
        {"location_id", F::location_id}, {"items", F::items},
        {"occurred_at", F::occurred_at}, {"place", F::place},
        {"customer", F::customer},       {"metadata", F::metadata},
        {"explain", F::explain}};
    static constexpr std::pair<std::string_view, F> kItem[] = {
        {"sku", F::sku}, {"category", F::category}, {"quantity", F::quantity}, {"unit_price", F::unit_price}};
    static constexpr std::pair<std::string_view, F> kCustomer[] = {{"tier", F::tier},
                                                                   {"tier_multiplier", F::tier_multiplier},
                                                                   {"attributes", F::attributes},
                                                                   {"segments", F::segments},
                                                                   {"birthday", F::birthday},
                                                                   {"first_purchase", F::first_purchase}};
    static constexpr std::pair<std::string_view, F> kPlace[] = {{"inside", F::inside}, {"distance_m", F::distance_m}};
    std::span<const std::pair<std::string_view, F>> names;
    switch (at_) {
      case At::root:
        names = kRoot;
        break;
      case At::item:
        names = kItem;
        break;
      case At::customer:
        names = kCustomer;
        break;
      case At::place:
        names = kPlace;
        break;
      default:
        return false;
    }
    for (const auto& [name, f] : names) {
      if (name != k) continue;
      const uint32_t bit = 1u << static_cast<uint32_t>(f);
      if (seen_[static_cast<size_t>(at_)] & bit) return false;  // twice in one object
      seen_[static_cast<size_t>(at_)] |= bit;
      key_ = f;
      return true;
    }
    return false;
  }

  bool start_object() override {
    if (at_ == At::start) return at_ = At::root, true;
    if (at_ == At::root && key_ == F::customer) return at_ = At::customer, true;
    if (at_ == At::root && key_ == F::place) return at_ = At::place, true;
    if (at_ != At::items || p_.items.size() >= 1000) return false;
    seen_[static_cast<size_t>(At::item)] = 0;
    sku_.clear(), category_.clear(), qty_ = 0, price_ = -1;
    at_ = At::item;
    return true;
  }

  bool end_object() override {
    switch (at_) {
      case At::root:
        return at_ = At::done, true;
      case At::customer:
      case At::place:
        return at_ = At::root, true;
      case At::item:
        if (sku_.empty() || qty_ == 0 || price_ < 0) return false;  // a required field is missing
        p_.skus.push_back(std::move(sku_));
        p_.categories.push_back(std::move(category_));
        p_.items.push_back({{}, {}, qty_, price_});
        p_.items_total += qty_ * price_;
        at_ = At::items;
        return p_.items_total <= kMaxAmount;
      default:
        return false;
    }
  }

  bool start_array() override {
    if (at_ == At::root && key_ == F::items) return has_items_ = true, at_ = At::items, true;
    if (at_ == At::customer && key_ == F::segments) return p_.customer.segments.emplace(), at_ = At::segments, true;
    if (at_ == At::place && key_ == F::inside) return at_ = At::inside, true;
    return false;
  }

  bool end_array() override {
    if (at_ == At::items) return at_ = At::root, true;
    if (at_ == At::segments) return at_ = At::customer, true;
    if (at_ == At::inside) return at_ = At::place, true;
    return false;
  }

 private:
  enum class At { start, root, item, customer, place, items, segments, inside, done };
  enum class F : uint32_t {
    none,
    order_id,
    customer_id,
    program_id,
    amount,
    currency,
    channel,
    location_id,
    items,
    occurred_at,
    place,
    customer,
    metadata,
    explain,
    sku,
    category,
    quantity,
    unit_price,
    tier,
    tier_multiplier,
    attributes,
    segments,
    birthday,
    first_purchase,
    inside,
    distance_m
  };

  /// A string Input::opt_str accepts: not empty, at most `max` bytes.
  static bool text(const std::string& v, size_t max) { return !v.empty() && v.size() <= max; }

  bool multiplier(const json& v) {
    const auto d = rules::parse_decimal(v);
    if (!d || *d > 1000 * rules::kScale) return false;
    p_.customer.tier_multiplier = d;
    return true;
  }

  Purchase& p_;
  bool dry_run_;
  At at_ = At::start;
  F key_ = F::none;
  uint32_t seen_[5] = {};  // the keys read in the current object, per object level (start..place)
  bool has_items_ = false;
  std::string sku_, category_;
  int64_t qty_ = 0, price_ = -1;
};

/// The purchase of `in`: read from its text without a document when PurchaseReader can, from the
/// document (read_purchase, whose errors are the ones reported) otherwise.
bool read_purchase_text(std::string_view text, bool dry_run, Purchase& p) {
  PurchaseReader reader(p, dry_run);
  return scan_json(text, reader) && reader.finish();
}

Purchase read_purchase(const OpInput& in, bool dry_run) {
  if (const auto text = in.text()) {
    Purchase p;
    if (read_purchase_text(*text, dry_run, p)) return p;
  }
  return read_purchase(in.dom(), dry_run);
}

/// The facts, plan and limit state of one purchase, loaded inside `tx`.
struct Loaded {
  Program program;
  std::shared_ptr<const Plan> plan;
  Timestamp at = 0;
  json customer;  // customer_facts
  std::vector<std::string> segments_s;
  std::vector<std::string_view> segments;
  json attributes;
  std::vector<int64_t> visits, spend, checkins, location_visits;
  std::vector<rules::LimitState> limits;
  std::vector<std::array<int64_t, 5>> period_keys;
  std::optional<AccountRef> account;  // the customer's account in the program, when it exists yet
  std::string tier_name;              // the account's current tier (tiers module), when the input gives none
  rules::Event ev;
  rules::Evaluation eval;
};

/// The account of (customer, program), if the customer has one yet.
std::optional<AccountRef> account_of(const Ctx& ctx, storage::UnitOfWork& tx, const std::string& customer,
                                     const std::string& program) {
  const json q = {{"customer_id", customer}, {"program_id", program}};
  return find_account_ref(ctx, tx, Input(q, {"customer_id", "program_id"}));
}

/// The customer's facts (current tier unless the input names one, profile birthday and
/// attributes, segments), overlaid by the input's overrides.
void load_customer(Ctx& ctx, storage::UnitOfWork& tx, const std::optional<std::string>& customer,
                   const CustomerOverrides& o, Loaded& l) {
  rules::Event& ev = l.ev;
  if (o.tier) ev.tier = *o.tier;
  ev.tier_multiplier = o.tier_multiplier;
  if (customer) l.account = account_of(ctx, tx, *customer, l.program.id);
  if (!o.tier && !o.tier_multiplier && l.account)
    if (const auto t = current_tier(tx, *l.account)) {
      l.tier_name = t->name;
      ev.tier = l.tier_name;
      ev.tier_multiplier = t->earn_multiplier_milli * (rules::kScale / 1000);
    }
  std::optional<std::string> birthday = o.birthday;
  if (customer) {
    l.customer = customer_facts(tx, ctx.tenant(), *customer, "customer_id");
    const json& prof = l.customer["profile"];
    if (!birthday && prof.contains("birthday") && prof["birthday"].is_string())
      birthday = prof["birthday"].get<std::string>();  // a plain-text file (docs/security.md)
    // A birthday is a personal field, sealed with the customer's key: opened only when a rule
    // of the plan reads it.
    if (!birthday && l.plan) {
      const auto& used = l.plan->used;
      auto reads = [&](int slot) { return static_cast<size_t>(slot) < used.size() && used[static_cast<size_t>(slot)]; };
      if (reads(rules::kBirthday) || reads(rules::kIsBirthday) || reads(rules::kIsBirthdayMonth))
        birthday = customer_birthday(ctx.engine, tx, ctx.tenant(), *customer);
    }
    if (prof.contains("attributes") && prof["attributes"].is_object()) l.attributes = prof["attributes"];
    for (const auto& s : l.customer["segments"]) l.segments_s.push_back(s.get<std::string>());
  }
  if (o.attributes) {
    if (!l.attributes.is_object()) l.attributes = json::object();
    for (auto& [k, v] : o.attributes->items()) l.attributes[k] = v;
  }
  if (o.segments) l.segments_s = *o.segments;
  for (const auto& s : l.segments_s) l.segments.push_back(s);
  ev.segments = l.segments;
  ev.attributes = l.attributes.is_object() ? &l.attributes : nullptr;
  if (birthday) ev.birthday = parse_birthday(*birthday);
}

/// History facts before `l.at`: purchases in the program, verified check-ins anywhere and, for a
/// check-in, verified check-ins at `location` (none of them the event itself, which is not stored
/// yet).
void load_history(storage::UnitOfWork& tx, const std::string& customer, std::string_view location, Loaded& l) {
  const Plan& plan = *l.plan;
  rules::Event& ev = l.ev;
  const std::string& program = l.program.id;
  storage::RuleStore& s = tx.rules();
  if (plan.uses_history || !plan.visit_days.empty() || !plan.spend_days.empty()) {
    const storage::PurchaseStats st = s.purchase_stats(customer, program, l.at);
    ev.prior_purchases = st.count;
    ev.last_purchase_at = st.last_at;
    for (int64_t days : plan.visit_days)
      l.visits.push_back(s.purchases_between(customer, program, l.at - days * kMillisPerDay, l.at));
    for (int64_t days : plan.spend_days)
      l.spend.push_back(s.spend_between(customer, program, l.at - days * kMillisPerDay, l.at));
  }
  for (int64_t days : plan.checkin_days)
    l.checkins.push_back(s.checkins_between(customer, l.at - days * kMillisPerDay, l.at));
  // A check-in's verified check-ins at its location, in one query: any at all (even dated after
  // this one, synced late) makes checkin.first_visit false; those up to the event time are the
  // lifetime checkin.location_visits (days 0).
  std::optional<int64_t> lifetime_visits;
  const std::string location_id(location);
  if (plan.trigger == rules::Trigger::checkin) {
    const storage::LocationVisits v = s.location_visits(customer, location_id, l.at);
    ev.first_visit = v.all == 0;
    lifetime_visits = v.up_to;
  }
  for (int64_t days : plan.location_days)
    l.location_visits.push_back(days == 0 && lifetime_visits
                                    ? *lifetime_visits
                                    : s.location_visits_between(customer, location_id,
                                                                days == 0 ? INT64_MIN : l.at - days * kMillisPerDay,
                                                                l.at));
  ev.visits = l.visits;
  ev.spend = l.spend;
  ev.checkins = l.checkins;
  ev.location_visits = l.location_visits;
}

/// The stateful limits of the rules that have them, for `customer` (or none, in a dry run
/// without a customer), then the evaluation.
void load_limits_and_evaluate(storage::UnitOfWork& tx, const std::optional<std::string>& customer, Loaded& l) {
  const Plan& plan = *l.plan;
  l.limits.assign(plan.rules.size(), rules::LimitState{});
  l.period_keys.assign(plan.rules.size(), {});
  const CivilDate local = civil_from_timestamp(l.program.zone ? l.program.zone->to_local(l.at) : l.at);
  for (size_t k = 0; k < plan.rules.size(); ++k) {
    const auto& r = plan.rules[k];
    if (!r.has_limits()) continue;
    auto& st = l.limits[k];
    if (customer) {
      for (uint32_t m = 0; m < r.period_count; ++m) {
        const int64_t key = rules::period_key(r.periods[m].period, local);
        l.period_keys[k][m] = key;
        if (const auto used = tx.rules().counter(r.id, *customer, rules::period_name(r.periods[m].period), key))
          st.used[m] = *used;
      }
      if (r.cooldown_ms >= 0)
        if (const auto last = tx.rules().last_award(r.id, *customer)) st.last_award_at = *last;
    }
    if (r.budget >= 0)
      if (const auto issued = tx.rules().budget_issued(r.id)) st.budget_used = *issued;
  }
  rules::evaluate(plan, l.ev, l.limits, l.eval);
}

/// Counters, budgets and cooldowns of the rules that awarded points (inside the write).
void record_limits(storage::UnitOfWork& tx, const std::string& customer, const Loaded& l) {
  const Plan& plan = *l.plan;
  for (size_t k = 0; k < plan.rules.size(); ++k) {
    const auto& r = plan.rules[k];
    const int64_t pts = l.eval.rules[k].points;
    if (!r.has_limits() || pts <= 0) continue;
    for (uint32_t m = 0; m < r.period_count; ++m)
      tx.rules().add_counter(r.id, customer, rules::period_name(r.periods[m].period), l.period_keys[k][m], pts);
    if (r.budget >= 0) tx.rules().add_budget(r.id, pts);
    if (r.cooldown_ms >= 0) tx.rules().record_award(r.id, customer, l.at);
  }
}

void load_and_evaluate(Ctx& ctx, storage::UnitOfWork& tx, Purchase& p, Loaded& l, Timestamp now) {
  l.program =
      p.program_id ? load_program(tx, ctx.tenant(), *p.program_id, "program_id") : default_program(tx, ctx.tenant());
  l.plan = plan_for(tx, ctx.engine, l.program, rules::Trigger::purchase);
  l.at = p.occurred_at.value_or(now);
  if (l.at < 0 || l.at > now + kMillisPerDay)
    throw Error(Status::invalid, "occurred_at must be after 1970 and at most a day ahead of the engine clock",
                "occurred_at");
  rules::Event& ev = l.ev;
  ev.at = l.at;
  ev.amount = p.amount_in.value_or(p.items_total);
  ev.currency = p.currency ? std::string_view(*p.currency) : std::string_view(l.program.currency);
  ev.channel = p.channel;
  ev.location_id = p.location_id;
  ev.items = p.items;
  ev.inside = p.inside;
  ev.distance_m = p.distance_m;
  load_customer(ctx, tx, p.customer_id, p.customer, l);
  if (p.customer_id)
    load_history(tx, *p.customer_id, {}, l);
  else if (p.customer.first_purchase)
    ev.prior_purchases = *p.customer.first_purchase ? 0 : 1;
  load_limits_and_evaluate(tx, p.customer_id, l);
}

json purchase_json(const json& id, const Purchase& p, const Loaded& l) {
  return {{"id", id},
          {"order_id", p.order_id ? json(*p.order_id) : json(nullptr)},
          {"customer_id", p.customer_id ? json(*p.customer_id) : json(nullptr)},
          {"program_id", l.program.id},
          {"occurred_at", format_time(l.at)},
          {"amount", l.ev.amount},
          {"currency", std::string(l.ev.currency)},
          {"points", l.eval.total}};
}

json rules_used(const Loaded& l) {
  json out = json::array();
  for (size_t k = 0; k < l.plan->rules.size(); ++k)
    if (l.eval.rules[k].points > 0)
      out.push_back({{"rule_id", l.plan->rules[k].id},
                     {"version", l.plan->rules[k].version},
                     {"points", l.eval.rules[k].points}});
  return out;
}

/// purchase.submit inside the write unit of work of write_op.
json submit_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, Purchase& p, Timestamp now) {
  // How much to explain is not part of the order: a replay may ask for more or less of it.
  json request = in;
  request.erase("explain");
  if (const auto stored = tx.rules().order_reply(ctx.tenant(), *p.order_id)) {
    const std::string diff = first_difference(parse_stored(stored->request), request);
    if (!diff.empty())
      throw Error(Status::conflict, fmt::format("order '{}' was submitted with another {}", *p.order_id, diff), diff);
    json out = parse_stored(stored->result);
    out["replayed"] = true;
    if (p.explain == rules::ExplainLevel::none) out["explain"] = nullptr;
    return out;
  }
  auto l = std::make_unique<Loaded>();
  load_and_evaluate(ctx, tx, p, *l, now);
  if (!l->program.active) throw Error(Status::unavailable, "the program is not active", "program_id");
  const std::string id = crypto::new_id("pur");
  const json used = rules_used(*l);  // the earn's metadata and the purchase's rule rows
  json entry = nullptr, balance = nullptr;
  if (l->eval.total > 0) {
    EarnRequest earn;
    earn.customer_id = *p.customer_id;
    earn.program_id = l->program.id;
    earn.points = l->eval.total;
    earn.occurred_at = l->at;
    earn.reason = fmt::format("purchase {}", *p.order_id);
    earn.metadata = json{{"purchase_id", id}, {"order_id", *p.order_id}, {"rules", used}};
    json r = earn_in_tx(ctx, tx, earn, {}, now);
    entry = r["entry"];
    balance = r["balance"];
  } else {
    ensure_account(tx, ctx.tenant(), *p.customer_id, l->program, now);
  }
  // The purchase amount qualifies for tiers measured by spend (the account was opened above when
  // this is the customer's first purchase in the program).
  if (!l->account) l->account = account_of(ctx, tx, *p.customer_id, l->program.id);
  if (l->account) record_tier_activity(ctx, tx, *l->account, "spend", l->ev.amount, l->at, now);
  record_limits(tx, *p.customer_id, *l);
  const Plan& plan = *l->plan;
  for (size_t k = 0; k < p.items.size(); ++k)
    tx.rules().add_purchase_item(
        {id, static_cast<int64_t>(k), p.skus[k], p.items[k].quantity, p.items[k].unit_price, 0});
  for (const auto& u : used)
    tx.rules().add_purchase_rule(
        {id, u["rule_id"].get<std::string>(), u["version"].get<int64_t>(), u["points"].get<int64_t>()});
  json purchase = purchase_json(json(id), p, *l);
  purchase["rules"] = used;
  // The stored answer (what a replay returns) keeps the rules that gave points.
  json out = {{"purchase", purchase},
              {"points", l->eval.total},
              {"entry", entry},
              {"balance", balance},
              {"explain", rules::explain(plan, l->eval, rules::ExplainLevel::fired)},
              {"replayed", false}};
  tx.rules().insert_purchase(
      {id, ctx.tenant(), l->program.id, *p.customer_id, *p.order_id, l->at, l->ev.amount, std::string(l->ev.currency),
       l->eval.total, entry.is_null() ? std::optional<std::string>() : std::optional(entry["id"].get<std::string>()),
       p.items_total, !p.items.empty(), request.dump(), out.dump(), now, 0, 0, false});
  if (p.explain != rules::ExplainLevel::fired) out["explain"] = rules::explain(plan, l->eval, p.explain);
  return out;
}

json purchase_submit(Ctx& ctx, const json& in) {
  Purchase p = read_purchase(in, false);
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) { return submit_in_tx(ctx, tx, in, p, now); });
}

/// `s` as a JSON string, or null.
void append_opt_string(std::string& out, const std::optional<std::string>& s) {
  if (s)
    append_json_string(out, *s);
  else
    out.append("null", 4);
}

/// The dry run's answer, written as text (the keys sorted as a DOM's dump() writes them; the
/// operation tests compare it with purchase_json/rules_used through the DOM path):
/// {dry_run, explain, points, purchase {amount, currency, customer_id, id, occurred_at, order_id,
/// points, program_id, rules [{points, rule_id, version}]}}.
std::string purchase_dry_run_text(Ctx& ctx, const OpInput& in) {
  Purchase p = read_purchase(in, true);
  const Timestamp now = ctx.engine.now();
  auto l = std::make_unique<Loaded>();
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    load_and_evaluate(ctx, tx, p, *l, now);
  }
  const Plan& plan = *l->plan;
  std::string out;
  out.reserve(p.explain == rules::ExplainLevel::full ? 512 + 200 * plan.rules.size() : 512);
  out.append("{\"dry_run\":true,\"explain\":");
  rules::explain_text(plan, l->eval, p.explain, out);
  out.append(",\"points\":");
  append_json_int(out, l->eval.total);
  out.append(",\"purchase\":{\"amount\":");
  append_json_int(out, l->ev.amount);
  out.append(",\"currency\":");
  append_json_string(out, l->ev.currency);
  out.append(",\"customer_id\":");
  append_opt_string(out, p.customer_id);
  out.append(",\"id\":null,\"occurred_at\":");
  append_json_string(out, format_time(l->at));
  out.append(",\"order_id\":");
  append_opt_string(out, p.order_id);
  out.append(",\"points\":");
  append_json_int(out, l->eval.total);
  out.append(",\"program_id\":");
  append_json_string(out, l->program.id);
  out.append(",\"rules\":[");
  bool first = true;
  for (size_t k = 0; k < plan.rules.size(); ++k) {
    if (l->eval.rules[k].points <= 0) continue;
    out.append(first ? "{\"points\":" : ",{\"points\":");
    first = false;
    append_json_int(out, l->eval.rules[k].points);
    out.append(",\"rule_id\":");
    append_json_string(out, plan.rules[k].id);
    out.append(",\"version\":");
    append_json_int(out, plan.rules[k].version);
    out.push_back('}');
  }
  out.append("]}}");
  return out;
}

json purchase_dry_run(Ctx& ctx, const json& in) { return parse_stored(purchase_dry_run_text(ctx, OpInput(in))); }

json purchase_return(Ctx& ctx, const json& in) {
  Input i(in, {"order_id", "items", "return_id", "reason", "occurred_at"});
  const std::string order = i.str("order_id", 200);
  const auto return_id = i.opt_str("return_id", 200);
  const auto reason = i.opt_str("reason", 500);
  const auto occurred = i.opt_time("occurred_at");
  struct Ret {
    std::string sku;
    int64_t quantity;
  };
  std::vector<Ret> wanted;
  if (i.has("items")) {
    const json& items = i.raw("items");
    if (!items.is_array() || items.empty() || items.size() > 1000)
      i.fail("items", "must be an array of 1 to 1000 items");
    for (size_t k = 0; k < items.size(); ++k) {
      const std::string path = fmt::format("items[{}]", k);
      if (!items[k].is_object()) throw Error(Status::invalid, path + " must be an object", path);
      Input it(items[k], {"sku", "quantity"}, path);
      wanted.push_back({it.str("sku", 200), it.i64("quantity", 1, 1'000'000)});
    }
  }
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    std::string pid, entry_id;
    int64_t points = 0, reversed = 0, items_total = 0, returned_value = 0;
    bool has_items = false, whole = false;
    std::string customer_id, program_id;
    int64_t amount_paid = 0;
    {
      const auto pu = tx.rules().purchase_by_order(ctx.tenant(), order);
      if (!pu) throw Error(Status::not_found, fmt::format("no purchase with order_id '{}'", order), "order_id");
      pid = pu->id;
      points = pu->points;
      reversed = pu->reversed_points;
      entry_id = pu->entry_id.value_or("");
      items_total = pu->items_total;
      returned_value = pu->returned_value;
      has_items = pu->has_items;
      whole = pu->fully_returned;
      customer_id = pu->customer_id;
      program_id = pu->program_id;
      amount_paid = pu->amount;
    }
    json request = in;
    if (return_id)
      if (const auto stored = tx.rules().return_reply(pid, *return_id)) {
        const std::string diff = first_difference(parse_stored(stored->request), request);
        if (!diff.empty())
          throw Error(Status::conflict, fmt::format("return '{}' was made with another {}", *return_id, diff), diff);
        json out = parse_stored(stored->result);
        out["replayed"] = true;
        return out;
      }
    if (whole) throw Error(Status::conflict, "the order has already been returned in full", "order_id");
    json lines = json::array();
    int64_t value = 0;
    if (!wanted.empty()) {
      if (!has_items) i.fail("items", "cannot name items: the purchase had none (return the whole order)");
      for (size_t k = 0; k < wanted.size(); ++k) {
        int64_t need = wanted[k].quantity;
        std::vector<std::tuple<int64_t, int64_t, int64_t>> take;  // line, qty, price
        for (const auto& item : tx.rules().returnable_items(pid, wanted[k].sku)) {
          if (need <= 0) break;
          const int64_t t = std::min(need, item.quantity - item.returned);
          take.emplace_back(item.line, t, item.unit_price);
          need -= t;
        }
        if (need > 0)
          throw Error(Status::conflict,
                      fmt::format("only {} of '{}' remain returnable", wanted[k].quantity - need, wanted[k].sku),
                      fmt::format("items[{}].quantity", k));
        for (auto [line, qty, price] : take) {
          tx.rules().return_items(pid, line, qty);
          value += qty * price;
          lines.push_back({{"sku", wanted[k].sku}, {"quantity", qty}, {"unit_price", price}});
        }
      }
    } else {
      tx.rules().return_all_items(pid);
      value = items_total - returned_value;
    }
    const int64_t new_returned = returned_value + value;
    bool all_back = wanted.empty() || new_returned >= items_total;
    if (!all_back) all_back = tx.rules().lines_outstanding(pid) == 0;
    // Cumulative proportion: the points due back after this return, so rounding never drifts and a
    // full return reverses everything.
    const int64_t target =
        all_back
            ? points
            : static_cast<int64_t>(static_cast<rules::i128>(points) * new_returned / std::max<int64_t>(items_total, 1));
    const int64_t amount = std::max<int64_t>(0, target - reversed);
    json reversal = nullptr, balance = nullptr;
    if (amount > 0 && !entry_id.empty()) {
      ReverseRequest rev;
      rev.entry_id = entry_id;
      rev.points = amount;
      rev.reason = reason.value_or(fmt::format("return of order {}", order));
      rev.metadata = json{{"purchase_id", pid}, {"order_id", order}};
      rev.occurred_at = occurred;
      json r = reverse_in_tx(ctx, tx, rev, {}, now);
      reversal = r["entry"];
      balance = r["balance"];
    }
    // The share of the amount paid that came back no longer qualifies for tiers measured by spend
    // (cumulative, like the points, so partial returns add up to the whole amount).
    auto spend_share = [&](int64_t returned) {
      return static_cast<int64_t>(static_cast<rules::i128>(amount_paid) * returned / std::max<int64_t>(items_total, 1));
    };
    const int64_t spend_back =
        (all_back ? amount_paid : spend_share(new_returned)) - (has_items ? spend_share(returned_value) : 0);
    if (const auto acc = account_of(ctx, tx, customer_id, program_id))
      record_tier_activity(ctx, tx, *acc, "spend", -spend_back, occurred.value_or(now), now);
    tx.rules().record_return(ctx.tenant(), pid, amount, new_returned, all_back);
    json out = {{"purchase_id", pid},         {"order_id", order},         {"returned_items", lines},
                {"returned_value", value},    {"points_reversed", amount}, {"points_reversed_total", reversed + amount},
                {"fully_returned", all_back}, {"entry", reversal},         {"balance", balance},
                {"replayed", false}};
    if (return_id) tx.rules().insert_return(pid, *return_id, {request.dump(), out.dump()}, now);
    return out;
  });
}

constexpr OpDef kOps[] = {
    {"rule.create", rule_create, kScopeAdmin},
    {"rule.get", rule_get, kScopeRead},
    {"rule.list", rule_list, kScopeRead},
    {"rule.update", rule_update, kScopeAdmin},
    {"rule.activate", rule_activate, kScopeAdmin},
    {"rule.deactivate", rule_deactivate, kScopeAdmin},
    {"purchase.submit", purchase_submit, kScopePos},
    {"purchase.dry_run", purchase_dry_run, kScopeRead, purchase_dry_run_text},
    {"purchase.return", purchase_return, kScopePos},
};

}  // namespace

std::span<const OpDef> rule_ops() { return kOps; }

bool purchase_text_read_directly(std::string_view text, bool dry_run) {
  Purchase p;
  return read_purchase_text(text, dry_run, p);
}

CheckinRuleOutcome apply_checkin_rules(Ctx& ctx, storage::UnitOfWork& tx, const CheckinRuleInput& in) {
  auto l = std::make_unique<Loaded>();
  l->program = in.program;
  l->plan = plan_for(tx, ctx.engine, l->program, rules::Trigger::checkin);
  CheckinRuleOutcome out;
  if (l->plan->rules.empty()) return out;
  l->at = in.at;
  std::vector<std::string_view> inside(in.inside.begin(), in.inside.end());
  rules::Event& ev = l->ev;
  ev.at = in.at;
  ev.currency = l->program.currency;
  ev.location_id = in.location_id;
  ev.inside = inside;
  ev.distance_m = in.distance_m;
  const std::optional<std::string> customer = in.customer_id;
  load_customer(ctx, tx, customer, CustomerOverrides{}, *l);
  load_history(tx, in.customer_id, in.location_id, *l);
  load_limits_and_evaluate(tx, customer, *l);
  record_limits(tx, in.customer_id, *l);
  out.points = l->eval.total;
  out.used = rules_used(*l);
  out.explain = rules::explain(*l->plan, l->eval);
  return out;
}

}  // namespace loyalty::detail
