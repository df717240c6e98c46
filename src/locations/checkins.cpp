// Verified check-ins: server-side verification against the tenant's fence snapshot, cooldown and
// plausible travel speed; every submission is stored, verified or rejected with a reason code.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <unordered_map>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "engine/registry.hpp"
#include "events/events.hpp"
#include "ledger/idempotency.hpp"
#include "ledger/ledger.hpp"
#include "locations/location_store.hpp"
#include "locations/locations.hpp"
#include "programs/programs.hpp"
#include "rules/rules.hpp"
#include "storage/page.hpp"
#include "tiers/tiers.hpp"

namespace loyalty::detail {
namespace {

constexpr Timestamp kMaxFutureSkewMs = 5 * 60 * 1000;

template <typename T>
json opt_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

/// A check-in with the location rules that gave it points (`rules`: [{rule_id, version,
/// points}], by rule id), as checkin.submit, checkin.get and checkin.list return it.
json checkin_json(const storage::CheckinRecord& c, json rules) {
  return {{"id", c.id},
          {"customer_id", c.customer_id},
          {"location_id", opt_json(c.location_id)},
          {"lat", c.lat},
          {"lon", c.lon},
          {"accuracy_m", c.accuracy_m},
          {"device", parse_stored(c.device)},
          {"mock", c.mock},
          {"occurred_at", format_time(c.occurred_at)},
          {"status", c.status},
          {"reason", opt_json(c.reason)},
          {"flags", parse_stored(c.flags)},
          {"distance_m", opt_json(c.distance_m)},
          {"speed_kmh", opt_json(c.speed_kmh)},
          {"points", c.points},
          {"entry_id", opt_json(c.entry_id)},
          {"created_at", format_time(c.created_at)},
          {"rules", std::move(rules)}};
}

/// The rule rows of the check-ins, grouped by check-in id ([{rule_id, version, points}] each,
/// by rule id): one store call for a whole page.
std::unordered_map<std::string, json> rules_of(storage::UnitOfWork& tx, const std::string& tenant,
                                               const std::vector<std::string>& ids) {
  std::unordered_map<std::string, json> out;
  for (const auto& r : tx.locations().checkin_rules(tenant, ids)) {
    json& rules = out.try_emplace(r.checkin_id, json::array()).first->second;
    rules.push_back({{"rule_id", r.rule_id}, {"version", r.rule_version}, {"points", r.points}});
  }
  return out;
}

json load_checkin(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id) {
  const auto c = tx.locations().checkin(tenant, id);
  if (!c) throw Error(Status::not_found, fmt::format("no check-in '{}'", id), "id");
  auto rules = rules_of(tx, tenant, {id});
  return checkin_json(*c, rules.contains(id) ? std::move(rules[id]) : json::array());
}

struct Travel {
  double speed_kmh = 0;
  bool known = false;
};

// The fastest travel implied between this check-in and the customer's verified check-ins just
// before and just after it in time. The distance is reduced by both reported accuracies (the
// customer may have been anywhere within them); the same instant at two places is infinitely fast.
Travel travel_speed(storage::UnitOfWork& tx, const std::string& customer, geo::LatLon p, double acc, Timestamp t) {
  Travel out;
  storage::LocationStore& s = tx.locations();
  for (const auto& visit : {s.verified_before(customer, t), s.verified_after(customer, t)}) {
    if (!visit) continue;
    const double d = std::max(0.0, geo::distance_m({visit->lat, visit->lon}, p) - visit->accuracy_m - acc);
    const double dt_h = static_cast<double>(std::llabs(t - visit->occurred_at)) / 3'600'000.0;
    const double v = d == 0 ? 0 : (dt_h > 0 ? d / 1000.0 / dt_h : std::numeric_limits<double>::infinity());
    out.speed_kmh = out.known ? std::max(out.speed_kmh, v) : v;
    out.known = true;
  }
  return out;
}

json checkin_submit(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "location_id", "lat", "lon", "accuracy_m", "device", "mock", "occurred_at",
               "idempotency_key"});
  const auto idem = idem_key(in, "checkin.submit");
  const std::string customer = i.str("customer_id");
  const auto location_id = i.opt_str("location_id");
  const geo::LatLon p{read_number(i, "lat", -90, 90), read_number(i, "lon", -180, 180)};
  const double acc = read_number(i, "accuracy_m", 0, 1'000'000);
  const json device = opt_object_limited(i, "device", kMaxDeviceBytes).value_or(json::object());
  const bool mock = i.boolean("mock", false);
  const Timestamp now = ctx.engine.now();
  const Timestamp t = i.opt_event_time("occurred_at", now, kMaxFutureSkewMs).value_or(now);

  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    if (idem)
      if (auto replay = idem_lookup(tx, ctx.tenant(), *idem)) {
        (*replay)["replayed"] = true;
        return *replay;
      }
    require_customer(tx, ctx.tenant(), customer);
    const auto fences = tenant_fences(ctx, tx);

    std::string status = "verified";
    std::optional<std::string> reason;
    json flags = json::array();
    std::optional<uint32_t> match;
    std::optional<double> distance;
    auto reject = [&](const char* why) {
      if (!reason) {
        status = "rejected";
        reason = why;
      }
    };

    if (location_id) {
      auto it = fences->by_id.find(*location_id);
      if (it == fences->by_id.end()) {
        if (!tx.locations().location_active(ctx.tenant(), *location_id))
          throw Error(Status::not_found, fmt::format("no location '{}'", *location_id), "location_id");
        reject("location_inactive");
      } else {
        match = it->second;
        distance = geo::distance_to_fence_m(fences->index.fence(*match), p);
      }
    }
    if (mock) reject("mock_location");
    // The fences within the accuracy of the point with their distances, looked up once when first
    // needed (finding the fence, and the place facts of location rules).
    std::optional<std::vector<std::pair<uint32_t, double>>> near_cache;
    auto near = [&]() -> const std::vector<std::pair<uint32_t, double>>& {
      if (!near_cache) {
        std::vector<uint32_t> hits;
        fences->index.match_within(p, acc, hits);
        near_cache.emplace();
        for (uint32_t h : hits) near_cache->emplace_back(h, geo::distance_to_fence_m(fences->index.fence(h), p));
      }
      return *near_cache;
    };
    if (!reason && !location_id) {
      // The engine finds the fence: every fence within the accuracy of the point; the nearest wins
      // (inside beats near; among those inside, the nearest centre).
      double best_d = std::numeric_limits<double>::infinity(), best_c = best_d;
      for (const auto& [h, d] : near()) {
        const double c = geo::distance_m(fences->index.fence(h).center, p);
        if (d < best_d || (d == best_d && c < best_c)) {
          best_d = d;
          best_c = c;
          match = h;
        }
      }
      if (match) distance = best_d;
    }
    const CheckinPolicy* policy = match ? &fences->locations[*match].policy : nullptr;
    const double max_acc = policy ? policy->max_accuracy_m : CheckinPolicy{}.max_accuracy_m;
    if (!reason && acc > max_acc) reject("low_accuracy");
    if (!reason && !match) reject("no_fence");
    // Inside when the accuracy circle reaches the fence: distance to the fence <= accuracy.
    if (!reason && distance && *distance > acc) reject("outside_fence");
    if (!reason && policy && policy->cooldown_s > 0 &&
        tx.locations().verified_between(customer, fences->locations[*match].id, t - policy->cooldown_s * 1000,
                                        t + policy->cooldown_s * 1000))
      reject("cooldown");
    std::optional<double> speed;
    if (!reason) {
      const Travel tr = travel_speed(tx, customer, p, acc, t);
      if (tr.known) speed = std::isfinite(tr.speed_kmh) ? tr.speed_kmh : 1e12;
      const double limit = policy ? policy->max_speed_kmh : CheckinPolicy{}.max_speed_kmh;
      if (tr.known && tr.speed_kmh > limit) {
        if (policy && policy->speed_action == "flag")
          flags.push_back("too_fast");
        else
          reject("too_fast");
      }
    }

    const std::string id = crypto::new_id("chk");
    const std::optional<std::string> loc =
        match ? std::optional<std::string>(fences->locations[*match].id) : location_id;
    // Location rules: the check-in rules of the location's program (or the tenant's only active
    // program), evaluated before this check-in is stored so history facts count earlier ones.
    CheckinRuleOutcome rules;
    std::optional<Program> program;
    if (status == "verified") {
      if (policy->program_id)
        program = load_program(tx, ctx.tenant(), *policy->program_id, "location_id");
      else if (const auto only = only_active_program(tx, ctx.tenant()))
        program = *only;
    }
    if (program) {
      CheckinRuleInput ri{customer, *program, t, *loc, {}, std::nullopt};
      for (const auto& [h, d] : near())
        if (d <= acc) ri.inside.push_back(fences->locations[h].id);
      if (distance) ri.distance_m = std::llround(*distance);
      rules = apply_checkin_rules(ctx, tx, ri);
    }
    tx.locations().insert_checkin({id, ctx.tenant(), customer, loc, p.lat, p.lon, acc, device.dump(), mock, t, status,
                                   reason, flags.dump(), distance, speed, 0, std::nullopt, now, 0});
    json earn = nullptr;
    const int64_t points = status == "verified" ? policy->points + rules.points : 0;
    if (points > 0) {
      json meta = {{"checkin_id", id}, {"location_id", *loc}};
      if (!rules.used.empty()) meta["rules"] = rules.used;
      EarnRequest req;
      req.customer_id = customer;
      req.points = points;
      req.occurred_at = t;
      req.reason = "checkin";
      req.metadata = std::move(meta);
      if (program) req.program_id = program->id;  // always set when the location names a program
      earn = earn_in_tx(ctx, tx, req, "checkin", now);
      tx.locations().set_checkin_earn(ctx.tenant(), id, points, earn["entry"]["id"].get<std::string>());
    }
    for (const auto& u : rules.used)
      tx.locations().add_checkin_rule(
          {id, u["rule_id"].get<std::string>(), u["version"].get<int64_t>(), u["points"].get<int64_t>()});
    emit_event(tx, ctx.tenant(), status == "verified" ? "checkin.verified" : "checkin.rejected", customer, now,
               {{"checkin_id", id},
                {"location_id", loc ? json(*loc) : json(nullptr)},
                {"reason", reason ? json(*reason) : json(nullptr)},
                {"flags", flags},
                {"occurred_at", format_time(t)},
                {"points", points}});
    // A verified check-in is a visit for tiers measured by visits.
    if (status == "verified") record_tier_visit(ctx, tx, customer, t, now);
    json out = {{"checkin", load_checkin(tx, ctx.tenant(), id)},
                {"earn", earn},
                {"explain", rules.explain},
                {"replayed", false}};
    if (idem) idem_store(tx, ctx.tenant(), *idem, out, now);
    return out;
  });
}

json checkin_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return load_checkin(tx, ctx.tenant(), i.str("id"));
}

// Lists check-ins, newest last: {customer_id?, location_id?, status?, signals?, limit?, cursor?}.
// `signals: true` lists the fraud signals: rejected check-ins and verified ones carrying flags.
json checkin_list(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "location_id", "status", "signals", "limit", "cursor"});
  const auto customer = i.opt_str("customer_id");
  const auto location = i.opt_str("location_id");
  const auto status = i.opt_enum("status", {"verified", "rejected"});
  const bool signals = i.boolean("signals", false);
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  if (customer) require_customer(tx, ctx.tenant(), *customer);
  if (location && !tx.locations().location_active(ctx.tenant(), *location))
    throw Error(Status::not_found, fmt::format("no location '{}'", *location), "location_id");
  const auto rows = tx.locations().checkins({ctx.tenant(), after, customer, location, status, signals, limit});
  // The page's rule rows in one store call (not one per check-in).
  std::vector<std::string> ids;
  for (size_t n = 0; n < rows.size() && static_cast<int64_t>(n) < limit; ++n) ids.push_back(rows[n].id);
  auto rules = rules_of(tx, ctx.tenant(), ids);
  return storage::page_of(
      rows, limit, [](const storage::CheckinRecord& c) { return c.seq; },
      [&rules](const storage::CheckinRecord& c) {
        auto it = rules.find(c.id);
        return checkin_json(c, it != rules.end() ? std::move(it->second) : json::array());
      });
}

constexpr OpDef kOps[] = {
    {"checkin.submit", checkin_submit, kScopePos},
    {"checkin.get", checkin_get, kScopeRead},
    {"checkin.list", checkin_list, kScopeRead},
};

}  // namespace

std::span<const OpDef> checkin_ops() { return kOps; }

}  // namespace loyalty::detail
