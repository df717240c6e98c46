// Tiers: definitions per program, the program's qualification policy (metric and window),
// qualifying activity per account and local day, upgrades inside the transaction that earns,
// manual and invitation-only assignment, history, status and progress.
#include "tiers/tiers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "audit/write_op.hpp"
#include "core/decimal.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "engine/registry.hpp"
#include "events/events.hpp"
#include "ledger/hooks.hpp"
#include "ledger/ledger.hpp"
#include "programs/programs.hpp"
#include "storage/page.hpp"
#include "tiers/tier_store.hpp"

namespace loyalty::detail {
namespace {

const std::initializer_list<std::string_view> kMetrics = {"points", "spend", "visits"};
const std::initializer_list<std::string_view> kWindows = {"lifetime", "calendar_year", "rolling_months", "anniversary"};
const std::initializer_list<std::string_view> kDowngrades = {"one_level", "reevaluate"};
constexpr int64_t kMaxRank = 100;

struct Policy {
  std::string program_id;
  std::string metric;
  std::string window;
  int64_t months = 0;
  std::string downgrade;
  int64_t grace_days = 0;
  int64_t notice_days = 0;
};

json policy_json(const Policy& p) {
  json w = {{"kind", p.window}};
  if (p.window == "rolling_months") w["months"] = p.months;
  return {{"program_id", p.program_id}, {"metric", p.metric},         {"window", w},
          {"downgrade", p.downgrade},   {"grace_days", p.grace_days}, {"notice_days", p.notice_days}};
}

std::optional<Policy> load_policy(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program) {
  const auto p = tx.tiers().policy(tenant, program);
  if (!p) return std::nullopt;
  return Policy{program, p->metric, p->window_kind, p->window_months, p->downgrade, p->grace_days, p->notice_days};
}

struct Tier {
  std::string id;
  std::string name;
  int64_t rank = 0;
  int64_t threshold = 0;
  json benefits;
  std::optional<std::string> icon_url;
  bool invitation_only = false;
};

Tier tier_of(const storage::TierRecord& t) {
  return {t.id, t.name, t.rank, t.threshold, parse_stored(t.benefits), t.icon_url, t.invitation_only};
}

json tier_json(const Tier& t, const std::string& program) {
  return {{"id", t.id},
          {"program_id", program},
          {"name", t.name},
          {"rank", t.rank},
          {"threshold", t.threshold},
          {"benefits", t.benefits},
          {"icon_url", t.icon_url ? json(*t.icon_url) : json(nullptr)},
          {"invitation_only", t.invitation_only}};
}

/// The tenant's program's tiers, lowest rank first.
std::vector<Tier> load_tiers(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program) {
  std::vector<Tier> out;
  for (const auto& t : tx.tiers().tiers(tenant, program)) out.push_back(tier_of(t));
  return out;
}

const Tier* find_tier(const std::vector<Tier>& tiers, const std::optional<std::string>& id) {
  if (!id) return nullptr;
  for (const auto& t : tiers)
    if (t.id == *id) return &t;
  return nullptr;
}

/// The highest tier qualification grants for `value` (invitation-only tiers are never granted).
const Tier* qualified(const std::vector<Tier>& tiers, int64_t value) {
  const Tier* best = nullptr;
  for (const auto& t : tiers)
    if (!t.invitation_only && t.threshold <= value) best = &t;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Windows, in local days of the tenant's time zone

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t local_day(const TimeZone& z, Timestamp t) { return floor_div(z.to_local(t), kMillisPerDay); }
Timestamp day_start(const TimeZone& z, int64_t day) { return z.from_local(day * kMillisPerDay); }
int64_t day_of(const CivilDate& d) { return timestamp_from_civil(d) / kMillisPerDay; }
CivilDate civil_of(int64_t day) { return civil_from_timestamp(day * kMillisPerDay); }

/// [start, end) in local days; nullopt bounds are open (lifetime).
struct Window {
  std::optional<int64_t> start;
  std::optional<int64_t> end;
};

Window window_at(const Policy& p, const TimeZone& z, Timestamp opened_at, Timestamp now) {
  const int64_t today = local_day(z, now);
  const CivilDate c = civil_of(today);
  if (p.window == "calendar_year") return {day_of({c.year, 1, 1}), day_of({c.year + 1, 1, 1})};
  if (p.window == "rolling_months") return {day_of(add_months(c, -static_cast<int32_t>(p.months))) + 1, today + 1};
  if (p.window == "anniversary") {
    // Anniversaries of the day the account was opened; 29 February falls on 28 February in
    // other years (add_months clamps).
    const CivilDate o = civil_of(local_day(z, opened_at));
    auto anniversary = [&](int32_t year) { return day_of(add_months(o, 12 * (year - o.year))); };
    int32_t y = c.year;
    if (anniversary(y) > today) --y;
    return {anniversary(y), anniversary(y + 1)};
  }
  return {};
}

int64_t metric_value(storage::UnitOfWork& tx, int64_t account, const Policy& p, const Window& w) {
  return tx.tiers().activity(account, p.metric, w.start, w.end);
}

// ---------------------------------------------------------------------------------------------
// Account state

struct State {
  std::optional<std::string> tier_id;
  Timestamp since = 0;
  bool manual = false;
  std::optional<Timestamp> manual_until;
};

State load_state(storage::UnitOfWork& tx, int64_t account) {
  State s;
  if (const auto a = tx.tiers().account_tier(account)) s = {a->tier_id, a->since, a->manual, a->manual_until};
  return s;
}

/// A manual assignment still in force keeps its tier as a floor.
bool manual_in_force(const State& s, Timestamp now) { return s.manual && (!s.manual_until || *s.manual_until > now); }

struct Change {
  const AccountRef& account;
  const Tier* from;
  const Tier* to;
  std::string reason;  // qualified, reevaluated, assigned
  int64_t metric = 0;
  bool manual = false;
  std::optional<Timestamp> manual_until;
};

/// When the window that contains `at` ends and the tier is reviewed (nullopt for lifetime);
/// rolling windows are reviewed at the end of every local month.
std::optional<Timestamp> review_at(const Policy& p, const TimeZone& z, Timestamp opened_at, Timestamp at) {
  if (p.window == "lifetime") return std::nullopt;
  if (p.window == "rolling_months") {
    const CivilDate c = civil_of(local_day(z, at));
    return day_start(z, day_of(add_months({c.year, c.month, 1}, 1)));
  }
  return day_start(z, *window_at(p, z, opened_at, at).end);
}

/// Records a tier change (or a change of the manual flag) with the account's next review time.
void apply(const Ctx& ctx, storage::UnitOfWork& tx, const Change& c, Timestamp now, std::optional<Timestamp> review) {
  const std::optional<std::string> to = c.to ? std::optional<std::string>(c.to->id) : std::nullopt;
  tx.tiers().set_account_tier({c.account.id, ctx.tenant(), c.account.program_id, c.account.customer_id,
                               c.account.opened_at, to, now, c.manual, c.manual_until, review, std::nullopt,
                               std::nullopt});
  if ((c.from ? c.from->id : "") == (c.to ? c.to->id : "")) return;  // only the manual flag changed
  const std::optional<std::string> from = c.from ? std::optional<std::string>(c.from->id) : std::nullopt;
  tx.tiers().add_change({ctx.tenant(), c.account.id, from, to, c.reason, c.metric, now, 0});
  auto brief = [](const Tier* t) { return t ? json{{"id", t->id}, {"name", t->name}, {"rank", t->rank}} : json(); };
  emit_event(tx, ctx.tenant(), "tier.changed", c.account.customer_id, now,
             {{"program_id", c.account.program_id},
              {"from", brief(c.from)},
              {"to", brief(c.to)},
              {"reason", c.reason},
              {"metric", c.metric}});
}

/// The same, for callers without the policy at hand.
void apply(const Ctx& ctx, storage::UnitOfWork& tx, const Change& c, Timestamp now) {
  std::optional<Timestamp> review;
  if (const auto p = load_policy(tx, ctx.tenant(), c.account.program_id)) {
    const Program program = load_program(tx, ctx.tenant(), c.account.program_id);
    review = review_at(*p, *program.zone, c.account.opened_at, now);
  }
  apply(ctx, tx, c, now, review);
}

/// Re-evaluates the account after its metric changed: upgrades at once; downgrades only when
/// `allow_downgrade` (a reversal under the `reevaluate` setting), never below a manual
/// assignment in force or away from an invitation-only tier.
void evaluate(Ctx& ctx, storage::UnitOfWork& tx, const Policy& p, const AccountRef& account, const TimeZone& zone,
              bool allow_downgrade, Timestamp now) {
  const std::vector<Tier> tiers = load_tiers(tx, ctx.tenant(), account.program_id);
  if (tiers.empty()) return;
  const int64_t value = metric_value(tx, account.id, p, window_at(p, zone, account.opened_at, now));
  const Tier* q = qualified(tiers, value);
  const State s = load_state(tx, account.id);
  const Tier* cur = find_tier(tiers, s.tier_id);
  if (q && (!cur || q->rank > cur->rank)) {
    // A manual assignment stays the floor under the higher tier until it ends.
    const bool keep = manual_in_force(s, now);
    apply(ctx, tx, {account, cur, q, "qualified", value, keep, keep ? s.manual_until : std::nullopt}, now,
          review_at(p, zone, account.opened_at, now));
  } else if (q && cur && q->rank == cur->rank) {
    // Qualified again for the current tier: a grace period running out is no longer needed.
    tx.tiers().set_grace(account.id, std::nullopt);
  } else if (allow_downgrade && cur && !cur->invitation_only && !manual_in_force(s, now) &&
             (!q || q->rank < cur->rank)) {
    apply(ctx, tx, {account, cur, q, "reevaluated", value, false, std::nullopt}, now,
          review_at(p, zone, account.opened_at, now));
  }
}

void record(Ctx& ctx, storage::UnitOfWork& tx, const AccountRef& account, const std::string& metric, int64_t amount,
            Timestamp occurred_at, Timestamp now) {
  if (amount == 0) return;
  const auto p = load_policy(tx, ctx.tenant(), account.program_id);
  if (!p || p->metric != metric) return;
  const Program program = load_program(tx, ctx.tenant(), account.program_id);
  tx.tiers().add_activity(account.id, local_day(*program.zone, occurred_at), metric, amount);
  evaluate(ctx, tx, *p, account, *program.zone, amount < 0 && p->downgrade == "reevaluate", now);
}

void on_points(Ctx& ctx, storage::UnitOfWork& tx, const PointsChange& c, Timestamp now) {
  record(ctx, tx, c.account, "points", c.points, c.occurred_at, now);
}

/// {tier, tier_progress} of an account (both null-valued for a customer without an account).
json status_json(storage::UnitOfWork& tx, const Policy& p, const std::vector<Tier>& tiers, const Program& program,
                 const std::optional<AccountRef>& account, Timestamp now) {
  State s;
  int64_t value = 0;
  Window w;
  if (account) {
    s = load_state(tx, account->id);
    w = window_at(p, *program.zone, account->opened_at, now);
    value = metric_value(tx, account->id, p, w);
  } else {
    w = window_at(p, *program.zone, now, now);
  }
  const Tier* cur = find_tier(tiers, s.tier_id);
  json tier = nullptr;
  if (cur) {
    tier = tier_json(*cur, program.id);
    tier["since"] = format_time(s.since);
    tier["manual"] = s.manual;
    tier["manual_until"] = s.manual_until ? json(format_time(*s.manual_until)) : json(nullptr);
  }
  json next = nullptr;
  for (const auto& t : tiers)
    if (!t.invitation_only && (!cur || t.rank > cur->rank) && t.threshold > value) {
      next = {{"id", t.id}, {"name", t.name}, {"threshold", t.threshold}, {"missing", t.threshold - value}};
      break;
    }
  auto bound = [&](const std::optional<int64_t>& d) {
    return d ? json(format_time(day_start(*program.zone, *d))) : json(nullptr);
  };
  return {{"tier", tier},
          {"tier_progress",
           {{"metric", p.metric},
            {"value", value},
            {"window_start", bound(w.start)},
            {"window_end", bound(w.end)},
            {"next", next}}}};
}

void decorate_balance(Ctx& ctx, storage::UnitOfWork& tx, const AccountRef* ref, const std::string& program_id,
                      json& balance, Timestamp now) {
  const auto p = load_policy(tx, ctx.tenant(), program_id);
  if (!p) return;
  const Program program = load_program(tx, ctx.tenant(), program_id);
  std::optional<AccountRef> account;
  if (ref) account = *ref;
  json st = status_json(tx, *p, load_tiers(tx, ctx.tenant(), program_id), program, account, now);
  balance["tier"] = std::move(st["tier"]);
  balance["tier_progress"] = std::move(st["tier_progress"]);
}

// ---------------------------------------------------------------------------------------------
// Operations

const Program& program_of(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i, std::optional<Program>& slot) {
  slot = i.has("program_id") ? load_program(tx, ctx.tenant(), i.str("program_id"), i.field("program_id"))
                             : default_program(tx, ctx.tenant());
  return *slot;
}

json policy_set(Ctx& ctx, const json& in) {
  Input i(in, {"program_id", "metric", "window", "downgrade", "grace_days", "notice_days"});
  Policy p;
  p.metric = i.opt_enum("metric", kMetrics).value_or("points");
  const auto window = i.opt_object("window");
  if (!window) i.fail("window", "is required: {kind, months?}");
  Input w(*window, {"kind", "months"}, i.field("window"));
  const auto kind = w.opt_enum("kind", kWindows);
  if (!kind) w.fail("kind", "is required");
  p.window = *kind;
  if (p.window == "rolling_months")
    p.months = w.i64("months", 1, 120);
  else if (w.has("months"))
    w.fail("months", fmt::format("is only used by kind 'rolling_months', not '{}'", p.window));
  p.downgrade = i.opt_enum("downgrade", kDowngrades).value_or("one_level");
  p.grace_days = i.opt_i64("grace_days", 0, 365).value_or(0);
  p.notice_days = i.opt_i64("notice_days", 0, 365).value_or(0);
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    std::optional<Program> slot;
    p.program_id = program_of(ctx, tx, i, slot).id;
    tx.tiers().put_policy(
        {p.program_id, ctx.tenant(), p.metric, p.window, p.months, p.downgrade, p.grace_days, p.notice_days, now});
    json out = policy_json(p);
    audit.record("tier.policy.set", p.program_id, {{"policy", out}});
    return out;
  });
}

json policy_get(Ctx& ctx, const json& in) {
  Input i(in, {"program_id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  std::optional<Program> slot;
  const Program& program = program_of(ctx, tx, i, slot);
  const auto p = load_policy(tx, ctx.tenant(), program.id);
  if (!p) throw Error(Status::not_found, "the program has no tier policy", "program_id");
  return policy_json(*p);
}

/// Benefits: a JSON object; `earn_multiplier`, when present, a number > 0 and <= 100 with at
/// most three decimals (rules multiply earned points by it).
json read_benefits(const Input& i) {
  const json b = opt_object_limited(i, "benefits", kMaxBenefitsBytes).value_or(json::object());
  if (b.contains("earn_multiplier")) {
    const json& m = b["earn_multiplier"];
    const std::string f = i.field("benefits") + ".earn_multiplier";
    if (!m.is_number()) throw Error(Status::invalid, f + ": must be a number", f);
    const auto v = parse_decimal(m);
    if (!v || *v <= 0 || *v > 100 * kDecimalScale || *v % (kDecimalScale / 1000) != 0)
      throw Error(Status::invalid, f + ": must be a number > 0 and <= 100 with at most three decimals", f);
  }
  return b;
}

/// Thresholds of tiers that qualification grants must rise with rank.
void check_ladder(const std::vector<Tier>& tiers, const std::string& field) {
  const Tier* prev = nullptr;
  for (const auto& t : tiers) {
    if (t.invitation_only) continue;
    if (prev && t.threshold <= prev->threshold)
      throw Error(Status::invalid,
                  fmt::format("thresholds must rise with rank: tier '{}' (rank {}) needs more than {} of tier '{}'",
                              t.name, t.rank, prev->threshold, prev->name),
                  field);
    prev = &t;
  }
}

Tier load_tier(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id, std::string& program) {
  const auto t = tx.tiers().tier(tenant, id);
  if (!t) throw Error(Status::not_found, fmt::format("no tier '{}'", id), "id");
  program = t->program_id;
  return tier_of(*t);
}

json tier_create(Ctx& ctx, const json& in) {
  Input i(in, {"program_id", "name", "rank", "threshold", "benefits", "icon_url", "invitation_only"});
  Tier t;
  t.name = i.str("name", 100);
  t.rank = i.i64("rank", 1, kMaxRank);
  t.threshold = i.i64("threshold", 0, kMaxAmount);
  t.benefits = read_benefits(i);
  t.icon_url = i.opt_str("icon_url", 2000);
  t.invitation_only = i.boolean("invitation_only", false);
  t.id = crypto::new_id("tir");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    std::optional<Program> slot;
    const std::string program = program_of(ctx, tx, i, slot).id;
    std::vector<Tier> tiers = load_tiers(tx, ctx.tenant(), program);
    for (const auto& o : tiers) {
      if (o.rank == t.rank) throw Error(Status::conflict, fmt::format("tier '{}' has rank {}", o.name, t.rank), "rank");
      if (o.name == t.name) throw Error(Status::conflict, fmt::format("a tier named '{}' exists", t.name), "name");
    }
    tiers.push_back(t);
    std::sort(tiers.begin(), tiers.end(), [](const Tier& a, const Tier& b) { return a.rank < b.rank; });
    check_ladder(tiers, "threshold");
    tx.tiers().insert_tier({t.id, ctx.tenant(), program, t.name, t.rank, t.threshold, t.benefits.dump(), t.icon_url,
                            t.invitation_only, now, now});
    json out = tier_json(t, program);
    audit.record("tier.create", t.id, {{"tier", out}});
    return out;
  });
}

json tier_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  std::string program;
  const Tier t = load_tier(tx, ctx.tenant(), i.str("id"), program);
  return tier_json(t, program);
}

json tier_list(Ctx& ctx, const json& in) {
  Input i(in, {"program_id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  std::optional<Program> slot;
  const std::string program = program_of(ctx, tx, i, slot).id;
  json items = json::array();
  for (const auto& t : load_tiers(tx, ctx.tenant(), program)) items.push_back(tier_json(t, program));
  return {{"items", std::move(items)}};
}

json tier_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "name", "threshold", "benefits", "icon_url", "invitation_only"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    std::string program;
    Tier t = load_tier(tx, ctx.tenant(), id, program);
    if (i.has("name")) t.name = i.str("name", 100);
    if (i.has("threshold")) t.threshold = i.i64("threshold", 0, kMaxAmount);
    if (i.has("benefits")) t.benefits = read_benefits(i);
    if (i.has("icon_url")) t.icon_url = i.opt_str("icon_url", 2000);
    if (i.has("invitation_only")) t.invitation_only = i.boolean("invitation_only", false);
    std::vector<Tier> tiers = load_tiers(tx, ctx.tenant(), program);
    for (auto& o : tiers) {
      if (o.id == id) {
        o = t;
      } else if (o.name == t.name) {
        throw Error(Status::conflict, fmt::format("a tier named '{}' exists", t.name), "name");
      }
    }
    check_ladder(tiers, i.has("threshold") ? "threshold" : "invitation_only");
    tx.tiers().update_tier(
        {ctx.tenant(), id, t.name, t.threshold, t.benefits.dump(), t.icon_url, t.invitation_only, now});
    json out = tier_json(t, program);
    audit.record("tier.update", id, {{"tier", out}});
    return out;
  });
}

json tier_assign(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "tier_id", "until", "reason"});
  const std::string reason = i.str("reason", 500);
  const auto until = i.opt_time("until");
  const Timestamp now = ctx.engine.now();
  if (until && *until <= now) i.fail("until", "must be in the future");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (!in.contains("tier_id")) i.fail("tier_id", "is required (null ends a manual assignment)");
    const AccountRef account = open_account_ref(ctx, tx, i, now);
    const std::vector<Tier> tiers = load_tiers(tx, ctx.tenant(), account.program_id);
    const auto p = load_policy(tx, ctx.tenant(), account.program_id);
    int64_t value = 0;
    if (p) {
      const Program program = load_program(tx, ctx.tenant(), account.program_id);
      value = metric_value(tx, account.id, *p, window_at(*p, *program.zone, account.opened_at, now));
    }
    const State s = load_state(tx, account.id);
    if (in["tier_id"].is_null()) {
      // The assignment ends: qualification decides again, from the current window.
      if (until) i.fail("until", "is only used with a tier_id");
      apply(ctx, tx,
            {account, find_tier(tiers, s.tier_id), p ? qualified(tiers, value) : nullptr, "assignment ended", value,
             false, std::nullopt},
            now);
    } else {
      const Tier* to = find_tier(tiers, i.str("tier_id"));
      if (!to) throw Error(Status::not_found, fmt::format("no tier '{}' in the program", i.str("tier_id")), "tier_id");
      apply(ctx, tx, {account, find_tier(tiers, s.tier_id), to, "assigned", value, true, until}, now);
    }
    const State after = load_state(tx, account.id);
    audit.record("tier.assign", account.customer_id,
                 {{"program_id", account.program_id},
                  {"tier_id", after.tier_id ? json(*after.tier_id) : json(nullptr)},
                  {"until", until ? json(format_time(*until)) : json(nullptr)},
                  {"reason", reason}});
    const Tier* now_tier = find_tier(tiers, after.tier_id);
    json out = p ? status_json(tx, *p, tiers, load_program(tx, ctx.tenant(), account.program_id), account, now)
                 : json{{"tier", now_tier ? tier_json(*now_tier, account.program_id) : json(nullptr)}};
    return out;
  });
}

json tier_status(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id"});
  const Timestamp now = ctx.engine.now();
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  const auto account = find_account_ref(ctx, tx, i);
  std::optional<Program> slot;
  const Program& program = program_of(ctx, tx, i, slot);
  const auto p = load_policy(tx, ctx.tenant(), program.id);
  if (!p) throw Error(Status::not_found, "the program has no tier policy", "program_id");
  return status_json(tx, *p, load_tiers(tx, ctx.tenant(), program.id), program, account, now);
}

json tier_history(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "limit", "cursor"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  const auto account = find_account_ref(ctx, tx, i);
  if (!account) return {{"items", json::array()}, {"next_cursor", nullptr}};
  return storage::page_of(
      tx.tiers().changes(account->id, after, limit), limit, [](const storage::TierChangeRecord& c) { return c.seq; },
      [](const storage::TierChangeRecord& c) {
        return json{{"from_tier_id", c.from_tier ? json(*c.from_tier) : json(nullptr)},
                    {"to_tier_id", c.to_tier ? json(*c.to_tier) : json(nullptr)},
                    {"reason", c.reason},
                    {"metric", c.metric},
                    {"at", format_time(c.at)}};
      });
}

// ---------------------------------------------------------------------------------------------
// Maintenance (inside ledger.run_due)

/// Where a downgrade lands: one level below `cur` among the tiers qualification grants, or the
/// tier the metric supports (`reevaluate`).
const Tier* downgrade_target(const Policy& p, const std::vector<Tier>& tiers, const Tier& cur, const Tier* q) {
  if (p.downgrade == "reevaluate") return q;
  const Tier* below = nullptr;
  for (const auto& t : tiers)
    if (!t.invitation_only && t.rank < cur.rank) below = &t;
  return below;
}

struct DueRow {
  AccountRef account;
  State state;
  std::optional<Timestamp> window_end, grace_until, noticed_at;
};

struct DueCounts {
  int64_t downgraded = 0, grace_started = 0, notices = 0, assignments_expired = 0;
};

void review_account(Ctx& ctx, storage::UnitOfWork& tx, const Policy& p, const TimeZone& zone,
                    const std::vector<Tier>& tiers, DueRow r, Timestamp cutoff, Timestamp now, DueCounts& n) {
  const AccountRef& a = r.account;
  auto current_value = [&] { return metric_value(tx, a.id, p, window_at(p, zone, a.opened_at, cutoff)); };
  // A manual assignment that ran out: qualification decides from the current window.
  if (r.state.manual && r.state.manual_until && *r.state.manual_until <= cutoff) {
    const int64_t v = current_value();
    apply(ctx, tx,
          {a, find_tier(tiers, r.state.tier_id), qualified(tiers, v), "assignment expired", v, false, std::nullopt},
          now, review_at(p, zone, a.opened_at, now));
    ++n.assignments_expired;
    return;  // apply set a fresh review time
  }
  const Tier* cur = find_tier(tiers, r.state.tier_id);
  const bool locked = !cur || cur->invitation_only || manual_in_force(r.state, cutoff);
  // The grace period ended without requalifying.
  if (r.grace_until && *r.grace_until <= cutoff) {
    const int64_t v = current_value();
    const Tier* q = qualified(tiers, v);
    if (!locked && (!q || q->rank < cur->rank)) {
      apply(ctx, tx, {a, cur, downgrade_target(p, tiers, *cur, q), "downgraded", v, false, std::nullopt}, now,
            review_at(p, zone, a.opened_at, now));
      ++n.downgraded;
      return;
    }
    tx.tiers().set_grace(a.id, std::nullopt);
  }
  // Windows that ended: each is judged on its own metric (a host that ran run_due late catches up).
  for (int guard = 0; r.window_end && *r.window_end <= cutoff && guard < 1000; ++guard) {
    const Timestamp ended = *r.window_end;
    const int64_t v = metric_value(tx, a.id, p, window_at(p, zone, a.opened_at, ended - 1));
    const Tier* q = qualified(tiers, v);
    r.window_end = review_at(p, zone, a.opened_at, ended);
    tx.tiers().set_window_end(a.id, r.window_end);
    if (locked || (q && q->rank >= cur->rank)) continue;
    if (p.grace_days > 0) {
      tx.tiers().set_grace(a.id, ended + p.grace_days * kMillisPerDay);
      ++n.grace_started;
      return;
    }
    apply(ctx, tx, {a, cur, downgrade_target(p, tiers, *cur, q), "downgraded", v, false, std::nullopt}, now,
          review_at(p, zone, a.opened_at, now));
    ++n.downgraded;
    return;
  }
  // The notice ahead of a window end that would downgrade.
  if (!locked && p.notice_days > 0 && !r.noticed_at && r.window_end &&
      *r.window_end - p.notice_days * kMillisPerDay <= cutoff) {
    const int64_t v = current_value();
    const Tier* q = qualified(tiers, v);
    if (!q || q->rank < cur->rank) {
      emit_event(tx, ctx.tenant(), "tier.downgrade_warning", a.customer_id, now,
                 {{"program_id", a.program_id},
                  {"tier", {{"id", cur->id}, {"name", cur->name}, {"rank", cur->rank}}},
                  {"window_end", format_time(*r.window_end)},
                  {"metric", v},
                  {"threshold", cur->threshold},
                  {"missing", cur->threshold - v}});
      tx.tiers().set_noticed(a.id, now);
      ++n.notices;
    }
  }
}

void run_due(Ctx& ctx, storage::UnitOfWork& tx, Timestamp cutoff, Timestamp now, json& out) {
  std::vector<Policy> policies;
  for (const auto& id : tx.tiers().policy_programs(ctx.tenant(), std::nullopt))
    policies.push_back(*load_policy(tx, ctx.tenant(), id));
  DueCounts n;
  for (const Policy& p : policies) {
    const Program program = load_program(tx, ctx.tenant(), p.program_id);
    const std::vector<Tier> tiers = load_tiers(tx, ctx.tenant(), p.program_id);
    for (const auto& a : tx.tiers().due(p.program_id, cutoff + p.notice_days * kMillisPerDay, cutoff))
      review_account(ctx, tx, p, *program.zone, tiers,
                     {{a.account_id, a.customer_id, p.program_id, a.opened_at},
                      {a.tier_id, a.since, a.manual, a.manual_until},
                      a.window_end,
                      a.grace_until,
                      a.noticed_at},
                     cutoff, now, n);
  }
  out["tiers_downgraded"] = n.downgraded;
  out["tier_grace_started"] = n.grace_started;
  out["tier_notices"] = n.notices;
  out["tier_assignments_expired"] = n.assignments_expired;
}

constexpr OpDef kOps[] = {
    {"tier.policy.set", policy_set, kScopeAdmin}, {"tier.policy.get", policy_get, kScopeRead},
    {"tier.create", tier_create, kScopeAdmin},    {"tier.get", tier_get, kScopeRead},
    {"tier.list", tier_list, kScopeRead},         {"tier.update", tier_update, kScopeAdmin},
    {"tier.assign", tier_assign, kScopeAdmin},    {"tier.status", tier_status, kScopeRead},
    {"tier.history", tier_history, kScopeRead},
};

}  // namespace

std::span<const OpDef> tier_ops() { return kOps; }

void record_tier_activity(Ctx& ctx, storage::UnitOfWork& tx, const AccountRef& account, const char* metric,
                          int64_t amount, Timestamp occurred_at, Timestamp now) {
  const std::string m = metric;
  if (m != "spend" && m != "visits") throw Error(Status::error, fmt::format("unknown tier metric '{}'", m));
  record(ctx, tx, account, m, amount, occurred_at, now);
}

void record_tier_visit(Ctx& ctx, storage::UnitOfWork& tx, const std::string& customer_id, Timestamp occurred_at,
                       Timestamp now) {
  for (const auto& program : tx.tiers().policy_programs(ctx.tenant(), "visits")) {
    const json in = {{"customer_id", customer_id}, {"program_id", program}};
    const AccountRef acc = open_account_ref(ctx, tx, Input(in, {"customer_id", "program_id"}), now);
    record(ctx, tx, acc, "visits", 1, occurred_at, now);
  }
}

std::optional<TierFacts> current_tier(storage::UnitOfWork& tx, const AccountRef& account) {
  const auto held = tx.tiers().held_tier(account.id);
  if (!held) return std::nullopt;
  const Tier t = tier_of(*held);
  TierFacts f{t.id, t.name, t.rank, 1000};
  if (t.benefits.contains("earn_multiplier"))
    f.earn_multiplier_milli = parse_decimal(t.benefits["earn_multiplier"]).value_or(kDecimalScale) / 1000;
  return f;
}

std::optional<TierFacts> find_tier(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program_id,
                                   const std::string& tier_id) {
  const auto t = tx.tiers().tier(tenant, tier_id);
  if (!t || t->program_id != program_id) return std::nullopt;
  return TierFacts{tier_id, t->name, t->rank, 1000};
}

void install_tier_hooks() { set_ledger_hooks({on_points, decorate_balance, run_due}); }

}  // namespace loyalty::detail
