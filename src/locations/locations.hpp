// Locations with geofences (`location.*`) and verified check-ins (`checkin.*`). Internal API
// shared by the two halves of the module: the per-tenant in-memory fence snapshot.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/input.hpp"
#include "engine/engine_state.hpp"
#include "geo/fence_index.hpp"

namespace loyalty::detail {

/// A location's check-in policy (the `checkin` object of a location).
struct CheckinPolicy {
  int64_t cooldown_s = 3600;              ///< no second verified check-in at this location within this time
  double max_accuracy_m = 100;            ///< reported accuracy above this is rejected (low_accuracy)
  double max_speed_kmh = 900;             ///< faster travel from the previous verified check-in is implausible
  std::string speed_action = "reject";    ///< "reject" or "flag" (verified, with the flag too_fast)
  int64_t points = 0;                     ///< points earned by a verified check-in (0: none)
  std::optional<std::string> program_id;  ///< program of those points (default program if absent)
};
CheckinPolicy read_policy(const nlohmann::json& j, const std::string& field);
nlohmann::json policy_json(const CheckinPolicy& p);

struct LocationInfo {
  std::string id;
  std::string name;
  CheckinPolicy policy;
};

/// One tenant's active locations and their index, immutable once built (copy-on-write: a new
/// snapshot replaces the old one; readers keep the one they hold).
struct TenantFences {
  int64_t generation = 0;
  std::vector<LocationInfo> locations;  // parallel to the index's fences
  geo::FenceIndex index;
  std::unordered_map<std::string, uint32_t> by_id;
};

struct FenceCache {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const TenantFences>> tenants;
};

/// The tenant's current fence snapshot, checked against the generation stored in the database
/// (read inside `tx`) and rebuilt from storage when another writer, thread or process, changed
/// the locations since it was built.
std::shared_ptr<const TenantFences> tenant_fences(Ctx& ctx, storage::UnitOfWork& tx);

/// Reads a finite number in [min, max] (doubles; Input has integers only).
double read_number(const Input& i, std::string_view key, double min, double max);
std::optional<double> opt_number(const Input& i, std::string_view key, double min, double max);

/// Limits on fences (vertex count, radius).
const geo::FenceLimits& fence_limits();

}  // namespace loyalty::detail
