// Helpers shared by the rewards tests.
#pragma once

#include "fixture.hpp"

namespace loytest {

/// Creates a reward {name: "Coffee", cost_points: 100} overlaid by `extra`.
inline json reward(const World& w, json extra = json::object()) {
  json in = {{"name", "Coffee"}, {"cost_points", 100}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("reward.create", in);
}

/// The reward's stock as reward.get reports it (null: unlimited).
inline json stock_of(const World& w, const json& r) { return w.call("reward.get", {{"id", r["id"]}})["stock"]; }

}  // namespace loytest
