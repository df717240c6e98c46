// Helpers for the rules core tests: compile JSON rules, evaluate an event given as JSON.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "loyalty/core/error.hpp"
#include "rules/plan.hpp"

namespace rulestest {

using nlohmann::json;
namespace lr = loyalty::rules;

inline std::shared_ptr<const lr::Plan> plan_of(const json& rules, const std::string& rounding = "floor",
                                               const std::string& zone = "UTC") {
  std::vector<lr::RuleSource> src;
  int64_t n = 0;
  for (const auto& r : rules) {
    ++n;
    src.push_back({"r" + std::to_string(n), 1, n, lr::validate_rule(r)});
  }
  return lr::compile(src, lr::rounding_from(rounding), loyalty::TimeZone::locate(zone));
}

/// An event described as JSON (the purchase.submit shape, plus history fields).
struct EventBox {
  std::vector<std::string> strings;  // stable storage (reserved)
  std::vector<lr::ItemIn> items;
  std::vector<std::string_view> segments, inside;
  std::vector<int64_t> visits, spend;
  json attributes;
  lr::Event ev;

  explicit EventBox(const json& e) {
    strings.reserve(4096);
    auto keep = [&](const std::string& s) -> std::string_view {
      strings.push_back(s);
      return strings.back();
    };
    ev.at = loyalty::parse_time(e.value("at", std::string("2026-03-02T12:00:00Z"))).value();
    ev.currency = keep(e.value("currency", std::string("EUR")));
    ev.channel = keep(e.value("channel", std::string()));
    ev.location_id = keep(e.value("location_id", std::string()));
    int64_t total = 0;
    for (const auto& it : e.value("items", json::array())) {
      items.push_back({keep(it.value("sku", std::string("sku"))), keep(it.value("category", std::string())),
                       it.value("quantity", int64_t{1}), it.value("unit_price", int64_t{0})});
      total += items.back().quantity * items.back().unit_price;
    }
    ev.items = items;
    ev.amount = e.value("amount", total);
    if (e.contains("tier")) ev.tier = keep(e["tier"].get<std::string>());
    for (const auto& s : e.value("segments", json::array())) segments.push_back(keep(s.get<std::string>()));
    ev.segments = segments;
    for (const auto& s : e.value("inside", json::array())) inside.push_back(keep(s.get<std::string>()));
    ev.inside = inside;
    if (e.contains("distance_m")) ev.distance_m = e["distance_m"].get<int64_t>();
    if (e.contains("tier_multiplier")) ev.tier_multiplier = lr::parse_decimal(e["tier_multiplier"]);
    if (e.contains("birthday")) {
      const std::string b = e["birthday"];
      if (b.size() == 10)
        ev.birthday = loyalty::CivilDate{std::stoi(b.substr(0, 4)), static_cast<uint32_t>(std::stoi(b.substr(5, 2))),
                                         static_cast<uint32_t>(std::stoi(b.substr(8, 2)))};
      else
        ev.birthday = loyalty::CivilDate{0, static_cast<uint32_t>(std::stoi(b.substr(0, 2))),
                                         static_cast<uint32_t>(std::stoi(b.substr(3, 2)))};
    }
    if (e.contains("attributes")) attributes = e["attributes"];
    ev.attributes = attributes.is_object() ? &attributes : nullptr;
    ev.prior_purchases = e.value("prior_purchases", int64_t{0});
    if (e.contains("last_purchase_at"))
      ev.last_purchase_at = loyalty::parse_time(e["last_purchase_at"].get<std::string>());
    for (const auto& v : e.value("visits", json::array())) visits.push_back(v.get<int64_t>());
    for (const auto& v : e.value("spend", json::array())) spend.push_back(v.get<int64_t>());
    ev.visits = visits;
    ev.spend = spend;
  }
};

/// Total points of `rules` for `event` (no limit state).
inline int64_t points(const json& rules, const json& event, const std::string& rounding = "floor",
                      const std::string& zone = "UTC") {
  auto plan = plan_of(rules, rounding, zone);
  EventBox box(event);
  lr::Evaluation e;
  lr::evaluate(*plan, box.ev, {}, e);
  return e.total;
}

/// Whether a rule with `cond` and one fixed point fires.
inline bool holds(const json& cond, const json& event, const std::string& zone = "UTC") {
  json rule = {{"name", "t"}, {"conditions", cond}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}};
  return points(json::array({rule}), event, "floor", zone) == 1;
}

inline json leaf(const std::string& fact, const std::string& op, const json& value) {
  return {{"fact", fact}, {"operator", op}, {"value", value}};
}

/// The path named by an invalid rule's error ("" when valid).
inline std::string invalid_path(const json& rule) {
  try {
    lr::validate_rule(rule);
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == loyalty::Status::invalid);
    return e.field();
  }
  return "";
}

inline json rule(const json& cond, const json& actions) {
  json r = {{"name", "t"}, {"actions", actions}};
  if (!cond.is_null()) r["conditions"] = cond;
  return r;
}

}  // namespace rulestest
