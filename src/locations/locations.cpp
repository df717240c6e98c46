#include "locations/locations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "engine/registry.hpp"
#include "locations/location_store.hpp"
#include "programs/programs.hpp"
#include "storage/page.hpp"

namespace loyalty::detail {

double read_number(const Input& i, std::string_view key, double min, double max) {
  const json& v = i.raw(key);
  if (!v.is_number()) i.fail(key, "must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max) i.fail(key, fmt::format("must be a number within [{}, {}]", min, max));
  return d;
}

std::optional<double> opt_number(const Input& i, std::string_view key, double min, double max) {
  if (!i.has(key) || i.raw(key).is_null()) return std::nullopt;
  return read_number(i, key, min, max);
}

const geo::FenceLimits& fence_limits() {
  static const geo::FenceLimits limits{};
  return limits;
}

CheckinPolicy read_policy(const json& j, const std::string& field) {
  Input i(j, {"cooldown_s", "max_accuracy_m", "max_speed_kmh", "speed_action", "points", "program_id"}, field);
  CheckinPolicy p;
  p.cooldown_s = i.opt_i64("cooldown_s", 0, 366LL * 86400).value_or(p.cooldown_s);
  p.max_accuracy_m = opt_number(i, "max_accuracy_m", 1, 10'000).value_or(p.max_accuracy_m);
  p.max_speed_kmh = opt_number(i, "max_speed_kmh", 1, 100'000).value_or(p.max_speed_kmh);
  p.speed_action = i.opt_enum("speed_action", {"reject", "flag"}).value_or(p.speed_action);
  p.points = i.opt_i64("points", 0, 1'000'000'000).value_or(0);
  p.program_id = i.opt_str("program_id");
  return p;
}

json policy_json(const CheckinPolicy& p) {
  return {{"cooldown_s", p.cooldown_s},
          {"max_accuracy_m", p.max_accuracy_m},
          {"max_speed_kmh", p.max_speed_kmh},
          {"speed_action", p.speed_action},
          {"points", p.points},
          {"program_id", p.program_id ? json(*p.program_id) : json(nullptr)}};
}

namespace {

FenceCache& cache_of(EngineState& e) {
  std::call_once(e.fence_cache_once, [&] { e.fence_cache = std::make_shared<FenceCache>(); });
  return *e.fence_cache;
}

// The stored fence column: {"type": "circle", "radius_m"} or the GeoJSON as given.
geo::Fence stored_fence(const std::string& text, geo::LatLon point) {
  const json j = parse_stored(text);
  if (j.at("type") == "circle")
    return geo::circle_fence(point, j.at("radius_m").get<double>(), fence_limits(), "geofence");
  return geo::polygon_fence(j, point, fence_limits(), "geofence");
}

geo::Fence read_fence(const Input& i, geo::LatLon point) {
  const json& g = i.raw("geofence");
  if (!g.is_object()) i.fail("geofence", "must be {\"radius_m\": metres} or a GeoJSON Polygon or MultiPolygon");
  if (g.contains("radius_m")) {
    Input gi(g, {"radius_m"}, i.field("geofence"));
    const double r =
        read_number(gi, "radius_m", -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
    return geo::circle_fence(point, r, fence_limits(), i.field("geofence"));
  }
  return geo::polygon_fence(g, point, fence_limits(), i.field("geofence"));
}

json location_json(const storage::LocationRecord& l) {
  return {{"id", l.id},
          {"name", l.name},
          {"address", l.address},
          {"lat", l.lat},
          {"lon", l.lon},
          {"geofence", parse_stored(l.fence)},
          {"checkin", parse_stored(l.checkin)},
          {"metadata", parse_stored(l.metadata)},
          {"active", l.active},
          {"created_at", format_time(l.created_at)},
          {"updated_at", format_time(l.updated_at)}};
}

storage::LocationRecord find_location(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id) {
  auto l = tx.locations().location(tenant, id);
  if (!l) throw Error(Status::not_found, fmt::format("no location '{}'", id), "id");
  return std::move(*l);
}

json load_location(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id) {
  return location_json(find_location(tx, tenant, id));
}

// The stored geometry and the spatial box (the fence's box, widened to the point).
storage::LocationShape shape_of(const geo::Fence& f, geo::LatLon point) {
  double lon = point.lon;
  if (f.max_lon > 180 && lon < f.min_lon) lon += 360;
  return {geo::to_geojson(f).dump(),
          {std::min(f.min_lon, lon), std::max(f.max_lon, lon), std::min(f.min_lat, point.lat),
           std::max(f.max_lat, point.lat)}};
}

json bounded_object(const Input& i, const char* key) {
  return opt_object_limited(i, key, kMaxDocumentBytes).value_or(json::object());
}

CheckinPolicy policy_of(const Input& i, storage::UnitOfWork& tx, const std::string& tenant) {
  const auto obj = i.opt_object("checkin");
  CheckinPolicy p = read_policy(obj.value_or(json::object()), i.field("checkin"));
  if (p.program_id) load_program(tx, tenant, *p.program_id, i.field("checkin") + ".program_id");
  return p;
}

json location_create(Ctx& ctx, const json& in) {
  Input i(in, {"name", "address", "lat", "lon", "geofence", "checkin", "metadata"});
  const std::string name = i.str("name", 200);
  const std::string address = i.opt_str("address", 500).value_or("");
  const geo::LatLon point{read_number(i, "lat", -90, 90), read_number(i, "lon", -180, 180)};
  const geo::Fence fence = read_fence(i, point);
  const json metadata = bounded_object(i, "metadata");
  const Timestamp now = ctx.engine.now();
  const std::string id = crypto::new_id("loc");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const CheckinPolicy policy = policy_of(i, tx, ctx.tenant());
    storage::LocationStore& s = tx.locations();
    s.insert_location({id, ctx.tenant(), name, address, point.lat, point.lon, geo::describe(fence).dump(),
                       policy_json(policy).dump(), metadata.dump(), true, now, now, 0},
                      shape_of(fence, point));
    s.bump_generation(ctx.tenant());
    audit.record("location.create", id,
                 {{"name", name}, {"fence", fence.kind == geo::Fence::Kind::circle ? "circle" : "polygon"}});
    json out = load_location(tx, ctx.tenant(), id);
    return out;
  });
}

json location_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return load_location(tx, ctx.tenant(), i.str("id"));
}

json location_list(Ctx& ctx, const json& in) {
  Input i(in, {"limit", "cursor", "active"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto active = i.opt_bool("active");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return storage::page_of(
      tx.locations().locations(ctx.tenant(), after, active, limit), limit,
      [](const storage::LocationRecord& l) { return l.seq; }, location_json);
}

json location_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "name", "address", "lat", "lon", "geofence", "checkin", "metadata"});
  const std::string id = i.str("id");
  const auto name = i.opt_str("name", 200);
  const auto address = i.opt_str("address", 500);
  const auto lat = opt_number(i, "lat", -90, 90);
  const auto lon = opt_number(i, "lon", -180, 180);
  std::optional<std::string> metadata;
  if (i.has("metadata")) metadata = bounded_object(i, "metadata").dump();
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const storage::LocationRecord cur = find_location(tx, ctx.tenant(), id);
    const geo::LatLon point{lat.value_or(cur.lat), lon.value_or(cur.lon)};
    const geo::Fence fence = i.has("geofence") ? read_fence(i, point) : stored_fence(cur.fence, point);
    std::optional<std::string> policy;
    if (i.has("checkin")) policy = policy_json(policy_of(i, tx, ctx.tenant())).dump();
    storage::LocationStore& s = tx.locations();
    s.update_location({ctx.tenant(), id, name, address, point.lat, point.lon, geo::describe(fence).dump(), policy,
                       metadata, shape_of(fence, point), now});
    s.bump_generation(ctx.tenant());
    json fields = json::array();
    for (const char* f : {"name", "address", "lat", "lon", "geofence", "checkin", "metadata"})
      if (i.has(f)) fields.push_back(f);
    audit.record("location.update", id, {{"fields", fields}});
    json out = load_location(tx, ctx.tenant(), id);
    return out;
  });
}

json location_deactivate(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (find_location(tx, ctx.tenant(), id).active) {
      tx.locations().deactivate_location(ctx.tenant(), id, now);
      tx.locations().bump_generation(ctx.tenant());
      audit.record("location.deactivate", id);
    }
    json out = load_location(tx, ctx.tenant(), id);
    return out;
  });
}

storage::GeoBox box_of(const geo::Fence& f) { return {f.min_lon, f.max_lon, f.min_lat, f.max_lat}; }

json location_nearby(Ctx& ctx, const json& in) {
  Input i(in, {"lat", "lon", "radius_m", "limit"});
  const geo::LatLon p{read_number(i, "lat", -90, 90), read_number(i, "lon", -180, 180)};
  const double radius = read_number(i, "radius_m", 0, 1'000'000);
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  geo::FenceLimits wide;
  wide.max_radius_m = 1'000'000;
  const geo::Fence box = geo::circle_fence(p, std::max(radius, 0.001), wide, "radius_m");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  std::vector<std::pair<double, json>> found;
  for (const storage::LocationRecord& l : tx.locations().active_in_box(ctx.tenant(), box_of(box))) {
    const geo::LatLon at{l.lat, l.lon};
    const double d = geo::distance_m(p, at);
    if (d > radius) continue;
    const geo::Fence f = stored_fence(l.fence, at);
    json loc = location_json(l);
    loc["distance_m"] = d;
    loc["fence_distance_m"] = geo::distance_to_fence_m(f, p);
    found.emplace_back(d, std::move(loc));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json items = json::array();
  for (auto& [d, loc] : found) {
    if (static_cast<int64_t>(items.size()) == limit) break;
    items.push_back(std::move(loc));
  }
  return {{"items", std::move(items)}};
}

json location_within(Ctx& ctx, const json& in) {
  Input i(in, {"area", "mode", "limit"});
  const std::string mode = i.opt_enum("mode", {"point", "intersects"}).value_or("point");
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const geo::Fence area = geo::polygon_fence(i.raw("area"), {0, 0}, fence_limits(), i.field("area"));
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  storage::LocationStore& s = tx.locations();
  // "intersects": the store's planar predicate on the stored geometry (coordinates in degrees).
  std::set<std::string> intersecting;
  if (mode == "intersects") {
    const auto ids = s.intersecting(ctx.tenant(), box_of(area), geo::to_geojson(area).dump());
    intersecting.insert(ids.begin(), ids.end());
  }
  json items = json::array();
  for (const storage::LocationRecord& l : s.active_in_box(ctx.tenant(), box_of(area))) {
    if (static_cast<int64_t>(items.size()) == limit) break;
    const bool hit = mode == "point" ? geo::contains(area, {l.lat, l.lon}) : intersecting.contains(l.id);
    if (hit) items.push_back(location_json(l));
  }
  return {{"items", std::move(items)}};
}

constexpr OpDef kOps[] = {
    {"location.create", location_create, kScopeAdmin},
    {"location.get", location_get, kScopeRead},
    {"location.list", location_list, kScopeRead},
    {"location.update", location_update, kScopeAdmin},
    {"location.deactivate", location_deactivate, kScopeAdmin},
    {"location.nearby", location_nearby, kScopeRead},
    {"location.within", location_within, kScopeRead},
};

}  // namespace

std::shared_ptr<const TenantFences> tenant_fences(Ctx& ctx, storage::UnitOfWork& tx) {
  const int64_t generation = tx.locations().generation(ctx.tenant());
  FenceCache& cache = cache_of(ctx.engine);
  {
    std::lock_guard lock(cache.mu);
    auto it = cache.tenants.find(ctx.tenant());
    if (it != cache.tenants.end() && it->second->generation == generation) return it->second;
  }
  // Build outside the lock (other tenants keep matching meanwhile), then swap in.
  std::vector<geo::Fence> fences;
  std::vector<LocationInfo> infos;
  for (const storage::LocationRecord& l : tx.locations().active_locations(ctx.tenant())) {
    fences.push_back(stored_fence(l.fence, {l.lat, l.lon}));
    infos.push_back({l.id, l.name, read_policy(parse_stored(l.checkin), "checkin")});
  }
  std::unordered_map<std::string, uint32_t> by_id;
  for (uint32_t n = 0; n < infos.size(); ++n) by_id.emplace(infos[n].id, n);
  auto snap = std::make_shared<const TenantFences>(
      TenantFences{generation, std::move(infos), geo::FenceIndex(std::move(fences)), std::move(by_id)});
  std::lock_guard lock(cache.mu);
  auto& slot = cache.tenants[ctx.tenant()];
  if (!slot || slot->generation <= generation) slot = snap;
  return snap;
}

std::span<const OpDef> location_ops() { return kOps; }

}  // namespace loyalty::detail
