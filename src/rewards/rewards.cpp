// The rewards catalog: create, get, list (by category, affordable for a customer, available now),
// update, deactivate, and audited stock changes.
#include "rewards/rewards.hpp"

#include <fmt/format.h>

#include <map>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "engine/registry.hpp"
#include "ledger/ledger.hpp"
#include "programs/programs.hpp"
#include "rewards/reward_store.hpp"
#include "tiers/tiers.hpp"

namespace loyalty::detail {

namespace {

constexpr int64_t kMaxStock = 1'000'000'000;
constexpr int64_t kMaxLimit = 1'000'000;
constexpr int64_t kMaxTtlS = 30 * 86'400;
const std::initializer_list<std::string_view> kPeriods = {"day", "week", "month", "year", "lifetime"};

json row_json(const storage::RewardRecord& r) {
  json limit = nullptr;
  if (r.per_customer_limit) limit = {{"count", *r.per_customer_limit}, {"period", r.limit_period.value_or("")}};
  return {{"id", r.id},
          {"program_id", r.program_id},
          {"name", r.name},
          {"description", r.description},
          {"image_url", opt_json(r.image_url)},
          {"category", opt_json(r.category)},
          {"cost_points", r.cost_points},
          {"stock", opt_json(r.stock)},
          {"stock_supplied", opt_json(r.stock_supplied)},
          {"starts_at", opt_time_json(r.starts_at)},
          {"ends_at", opt_time_json(r.ends_at)},
          {"min_tier_id", opt_json(r.min_tier_id)},
          {"per_customer_limit", std::move(limit)},
          {"reservation_ttl_seconds", r.reservation_ttl_s},
          {"refundable", r.refundable},
          {"metadata", parse_stored(r.metadata)},
          {"active", r.active},
          {"created_at", format_time(r.created_at)},
          {"updated_at", format_time(r.updated_at)}};
}

Reward reward_from(const storage::RewardRecord& s) {
  Reward r;
  r.id = s.id;
  r.program_id = s.program_id;
  r.name = s.name;
  r.cost_points = s.cost_points;
  r.stock = s.stock;
  r.starts_at = s.starts_at;
  r.ends_at = s.ends_at;
  r.min_tier_id = s.min_tier_id;
  r.per_customer_limit = s.per_customer_limit;
  r.limit_period = s.limit_period.value_or("lifetime");
  r.reservation_ttl_s = s.reservation_ttl_s;
  r.refundable = s.refundable;
  r.active = s.active;
  return r;
}

/// True when the input names `key` with an explicit null (clears an optional field on update).
bool cleared(const json& in, const char* key) { return in.is_object() && in.contains(key) && in.at(key).is_null(); }

/// The catalog fields of reward.create / reward.update; every one optional here (create checks
/// the required ones). `set_*` tells an update which nullable fields it names (null clears).
struct Fields {
  std::optional<std::string> name, description, image_url, category, min_tier_id, metadata;
  std::optional<int64_t> cost_points, ttl_s, limit_count;
  std::optional<std::string> limit_period;
  std::optional<Timestamp> starts_at, ends_at;
  std::optional<bool> refundable, active;
  bool set_image_url = false, set_category = false, set_min_tier = false, set_limit = false, set_starts = false,
       set_ends = false;
};

Fields read_fields(const Input& i, const json& in) {
  Fields f;
  f.name = i.opt_str("name", 200);
  if (f.name && f.name->empty()) i.fail("name", "must not be empty");
  f.description = i.opt_str("description", 2000);
  f.image_url = i.opt_str("image_url", 2000);
  if (f.image_url && f.image_url->rfind("https://", 0) != 0 && f.image_url->rfind("http://", 0) != 0)
    i.fail("image_url", "must be an http:// or https:// URL");
  f.category = i.opt_str("category", 100);
  if (f.category && f.category->empty()) i.fail("category", "must not be empty");
  f.cost_points = i.opt_i64("cost_points", 1, kMaxAmount);
  f.starts_at = i.opt_time("starts_at");
  f.ends_at = i.opt_time("ends_at");
  f.min_tier_id = i.opt_str("min_tier_id");
  if (i.has("per_customer_limit")) {
    const json& l = i.raw("per_customer_limit");
    if (!l.is_object()) i.fail("per_customer_limit", "must be {count, period} or null");
    Input li(l, {"count", "period"}, i.field("per_customer_limit"));
    f.limit_count = li.i64("count", 1, kMaxLimit);
    f.limit_period = li.opt_enum("period", kPeriods);
    if (!f.limit_period) li.fail("period", "is required: day, week, month, year or lifetime");
  }
  f.ttl_s = i.opt_i64("reservation_ttl_seconds", 1, kMaxTtlS);
  f.refundable = i.opt_bool("refundable");
  f.active = i.opt_bool("active");
  if (auto m = opt_object_limited(i, "metadata", kMaxMetadataBytes)) f.metadata = m->dump();
  f.set_image_url = f.image_url || cleared(in, "image_url");
  f.set_category = f.category || cleared(in, "category");
  f.set_min_tier = f.min_tier_id || cleared(in, "min_tier_id");
  f.set_limit = f.limit_count || cleared(in, "per_customer_limit");
  f.set_starts = f.starts_at || cleared(in, "starts_at");
  f.set_ends = f.ends_at || cleared(in, "ends_at");
  return f;
}

void check_window(const Input& i, std::optional<Timestamp> starts, std::optional<Timestamp> ends) {
  if (starts && ends && *ends <= *starts) i.fail("ends_at", "must be later than starts_at");
}

void check_tier(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program, const std::string& tier,
                const std::string& field) {
  if (!find_tier(tx, tenant, program, tier))
    throw Error(Status::not_found, fmt::format("no tier '{}' in program '{}'", tier, program), field);
}

json reward_create(Ctx& ctx, const json& in) {
  Input i(in,
          {"program_id", "name", "description", "image_url", "category", "cost_points", "stock", "starts_at", "ends_at",
           "min_tier_id", "per_customer_limit", "reservation_ttl_seconds", "refundable", "metadata", "active"});
  const std::string name = i.str("name", 200);
  const int64_t cost = i.i64("cost_points", 1, kMaxAmount);
  const Fields f = read_fields(i, in);
  const auto stock = i.opt_i64("stock", 0, kMaxStock);
  check_window(i, f.starts_at, f.ends_at);
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const Program p =
        i.has("program_id") ? load_program(tx, ctx.tenant(), i.str("program_id")) : default_program(tx, ctx.tenant());
    if (f.min_tier_id) check_tier(tx, ctx.tenant(), p.id, *f.min_tier_id, "min_tier_id");
    const std::string id = crypto::new_id("rwd");
    storage::RewardRecord r;
    r.id = id;
    r.tenant_id = ctx.tenant();
    r.program_id = p.id;
    r.name = name;
    r.description = f.description.value_or("");
    r.image_url = f.image_url;
    r.category = f.category;
    r.cost_points = cost;
    r.stock = stock;
    r.starts_at = f.starts_at;
    r.ends_at = f.ends_at;
    r.min_tier_id = f.min_tier_id;
    r.per_customer_limit = f.limit_count;
    r.limit_period = f.limit_period;
    r.reservation_ttl_s = f.ttl_s.value_or(900);
    r.refundable = f.refundable.value_or(false);
    r.metadata = f.metadata.value_or("{}");
    r.active = f.active.value_or(true);
    r.created_at = now;
    tx.rewards().insert_reward(r);
    audit.record("reward.create", id,
                 {{"name", name}, {"cost_points", cost}, {"stock", stock ? json(*stock) : json(nullptr)}});
    json out = reward_json(tx, ctx.tenant(), id);
    return out;
  });
}

json reward_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  load_reward(tx, ctx.tenant(), i.str("id"), "id");
  return reward_json(tx, ctx.tenant(), i.str("id"));
}

// Lists rewards in creation order: {program_id?, category?, active?, available_now?,
// affordable_for?, limit?, cursor?}. `available_now`: active, inside the window, in stock;
// `affordable_for`: costs no more than that customer's available points in the reward's program.
json reward_list(Ctx& ctx, const json& in) {
  Input i(in, {"program_id", "category", "active", "available_now", "affordable_for", "limit", "cursor"});
  const auto program = i.opt_str("program_id");
  const auto category = i.opt_str("category", 100);
  const auto active = i.opt_bool("active");
  const bool available_now = i.boolean("available_now", false);
  const auto customer = i.opt_str("affordable_for");
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const Timestamp now = ctx.engine.now();
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  if (program) load_program(tx, ctx.tenant(), *program);
  if (customer) require_customer(tx, ctx.tenant(), *customer, "affordable_for");
  std::map<std::string, int64_t> available;  // program -> the customer's available points
  auto affordable = [&](const std::string& prog, int64_t cost) {
    auto it = available.find(prog);
    if (it == available.end()) {
      const auto ref = find_account_ref(
          ctx, tx, Input(json{{"customer_id", *customer}, {"program_id", prog}}, {"customer_id", "program_id"}));
      it = available.emplace(prog, ref ? available_points(tx, *ref) : 0).first;
    }
    return cost <= it->second;
  };
  // Affordability is decided per row, so the page is filled here rather than by a limit.
  json items = json::array();
  int64_t last = 0;
  bool more = false;
  tx.rewards().each_reward(
      {ctx.tenant(), after, program, category, active, available_now ? std::optional<Timestamp>(now) : std::nullopt},
      [&](const storage::RewardRecord& r) {
        if (customer && !affordable(r.program_id, r.cost_points)) return true;
        if (static_cast<int64_t>(items.size()) == limit) {
          more = true;
          return false;
        }
        items.push_back(row_json(r));
        last = r.seq;
        return true;
      });
  return {{"items", std::move(items)}, {"next_cursor", more ? json(encode_cursor(last)) : json(nullptr)}};
}

json reward_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "name", "description", "image_url", "category", "cost_points", "starts_at", "ends_at",
               "min_tier_id", "per_customer_limit", "reservation_ttl_seconds", "refundable", "metadata", "active"});
  const std::string id = i.str("id");
  const Fields f = read_fields(i, in);
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const Reward cur = load_reward(tx, ctx.tenant(), id, "id");
    const auto starts = f.set_starts ? f.starts_at : cur.starts_at;
    const auto ends = f.set_ends ? f.ends_at : cur.ends_at;
    check_window(i, starts, ends);
    if (f.min_tier_id) check_tier(tx, ctx.tenant(), cur.program_id, *f.min_tier_id, "min_tier_id");
    tx.rewards().update_reward({ctx.tenant(),
                                id,
                                f.name,
                                f.description,
                                f.set_image_url,
                                f.image_url,
                                f.set_category,
                                f.category,
                                f.cost_points,
                                starts,
                                ends,
                                f.set_min_tier,
                                f.min_tier_id,
                                f.set_limit,
                                f.limit_count,
                                f.limit_period,
                                f.ttl_s,
                                f.refundable,
                                f.metadata,
                                f.active,
                                now});
    json fields = json::array();
    for (const char* k :
         {"name", "description", "image_url", "category", "cost_points", "starts_at", "ends_at", "min_tier_id",
          "per_customer_limit", "reservation_ttl_seconds", "refundable", "metadata", "active"})
      if (in.contains(k)) fields.push_back(k);
    audit.record("reward.update", id, {{"fields", fields}});
    json out = reward_json(tx, ctx.tenant(), id);
    return out;
  });
}

json reward_deactivate(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (load_reward(tx, ctx.tenant(), id, "id").active) {
      tx.rewards().deactivate_reward(ctx.tenant(), id, now);
      audit.record("reward.deactivate", id);
    }
    json out = reward_json(tx, ctx.tenant(), id);
    return out;
  });
}

// Changes the stock: {id, delta} tops up (> 0) or reduces (< 0, never below zero), {id, stock}
// sets what is left (null: unlimited); `reason` is recorded in the audit log.
json reward_stock(Ctx& ctx, const json& in) {
  Input i(in, {"id", "delta", "stock", "reason"});
  const std::string id = i.str("id");
  const auto delta = i.opt_i64("delta", -kMaxStock, kMaxStock);
  const bool set = in.is_object() && in.contains("stock");
  const auto stock = i.opt_i64("stock", 0, kMaxStock);
  const std::string reason = i.str("reason", 500);
  if (delta && set) i.fail("stock", "give delta or stock, not both");
  if (!delta && !set) i.fail("delta", "is required (or stock)");
  if (delta && *delta == 0) i.fail("delta", "must not be 0");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const Reward cur = load_reward(tx, ctx.tenant(), id, "id");
    std::optional<int64_t> left = stock;
    if (delta) {
      if (!cur.stock) i.fail("delta", "the reward's stock is unlimited; set a stock first");
      left = *cur.stock + *delta;
      if (*left < 0)
        throw Error(Status::invalid, fmt::format("cannot reduce the stock by {}: {} left", -*delta, *cur.stock),
                    "delta", {{"stock", *cur.stock}});
      if (*left > kMaxStock) i.fail("delta", fmt::format("the stock would exceed {}", kMaxStock));
    }
    // stock_supplied moves with the stock, so supplied - active redemptions = stock still holds.
    tx.rewards().set_stock(ctx.tenant(), id, left, now);
    audit.record("reward.stock", id,
                 {{"from", cur.stock ? json(*cur.stock) : json(nullptr)},
                  {"to", left ? json(*left) : json(nullptr)},
                  {"reason", reason}});
    json out = reward_json(tx, ctx.tenant(), id);
    return out;
  });
}

}  // namespace

Reward load_reward(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                   const std::string& field) {
  const auto r = tx.rewards().reward(tenant, id);
  if (!r) throw Error(Status::not_found, fmt::format("no reward '{}'", id), field);
  return reward_from(*r);
}

json reward_json(storage::UnitOfWork& tx, const std::string& tenant, const std::string& reward_id) {
  const auto r = tx.rewards().reward(tenant, reward_id);
  if (!r) throw Error(Status::error, fmt::format("reward {} vanished", reward_id));
  return row_json(*r);
}

json opt_time_json(const std::optional<Timestamp>& t) { return t ? json(format_time(*t)) : json(nullptr); }

namespace {

constexpr OpDef kOps[] = {
    {"reward.create", reward_create, kScopeAdmin},
    {"reward.get", reward_get, kScopeRead},
    {"reward.list", reward_list, kScopeRead},
    {"reward.update", reward_update, kScopeAdmin},
    {"reward.deactivate", reward_deactivate, kScopeAdmin},
    {"reward.stock", reward_stock, kScopeAdmin},
    {"reward.redeem", reward_redeem, kScopePos},
    {"reward.reserve", reward_reserve, kScopePos},
    {"redemption.fulfil", redemption_fulfil, kScopePos},
    {"redemption.cancel", redemption_cancel, kScopePos},
    {"redemption.get", redemption_get, kScopeRead},
    {"redemption.by_code", redemption_by_code, kScopeRead},
    {"redemption.list", redemption_list, kScopeRead},
};

}  // namespace

std::span<const OpDef> reward_ops() { return kOps; }

}  // namespace loyalty::detail
