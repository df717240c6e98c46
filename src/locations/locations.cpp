#include "locations/locations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "audit/audit.hpp"
#include "core/registry.hpp"
#include "crypto/crypto.hpp"
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

constexpr size_t kMaxDocBytes = 64 * 1024;

FenceCache& cache_of(EngineState& e) {
  std::call_once(e.fence_cache_once, [&] { e.fence_cache = std::make_shared<FenceCache>(); });
  return *e.fence_cache;
}

// The stored fence column: {"type": "circle", "radius_m"} or the GeoJSON as given.
geo::Fence stored_fence(const std::string& text, geo::LatLon point) {
  const json j = json::parse(text);
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

constexpr const char* kCols =
    "id, name, address, lat, lon, fence, checkin, metadata, active, created_at, updated_at, seq";

json location_row(storage::Query& q) {
  return {{"id", q.text(0)},
          {"name", q.text(1)},
          {"address", q.text(2)},
          {"lat", q.f64(3)},
          {"lon", q.f64(4)},
          {"geofence", json::parse(q.text(5))},
          {"checkin", json::parse(q.text(6))},
          {"metadata", json::parse(q.text(7))},
          {"active", q.i64(8) != 0},
          {"created_at", format_time(q.i64(9))},
          {"updated_at", format_time(q.i64(10))}};
}

json load_location(storage::Tx& tx, const std::string& tenant, const std::string& id, const std::string& field = "id") {
  auto q = tx.q(fmt::format("SELECT {} FROM locations WHERE id = ?1 AND tenant_id = ?2", kCols), id, tenant);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no location '{}'", id), field);
  return location_row(q);
}

void bump_generation(storage::Tx& tx, const std::string& tenant) {
  tx.q("INSERT INTO location_generations(tenant_id, generation) VALUES(?1, 1) "
       "ON CONFLICT(tenant_id) DO UPDATE SET generation = generation + 1",
       tenant)
      .run();
}

// Writes the SpatiaLite geometry and the R*Tree box (the fence's box, widened to the point).
void write_spatial(storage::Tx& tx, int64_t seq, const geo::Fence& f, geo::LatLon point) {
  tx.conn().load_spatialite();
  tx.q("UPDATE locations SET geom = SetSRID(GeomFromGeoJSON(?2), 4326) WHERE seq = ?1", seq, geo::to_geojson(f).dump())
      .run();
  double lon = point.lon;
  if (f.max_lon > 180 && lon < f.min_lon) lon += 360;
  tx.q("INSERT OR REPLACE INTO locations_rtree(seq, min_lon, max_lon, min_lat, max_lat) VALUES(?1, ?2, ?3, ?4, ?5)",
       seq, std::min(f.min_lon, lon), std::max(f.max_lon, lon), std::min(f.min_lat, point.lat),
       std::max(f.max_lat, point.lat))
      .run();
}

json bounded_object(const Input& i, const char* key) {
  auto obj = i.opt_object(key);
  if (!obj) return json::object();
  if (obj->dump().size() > kMaxDocBytes) i.fail(key, fmt::format("must be at most {} bytes of JSON", kMaxDocBytes));
  return *obj;
}

CheckinPolicy policy_of(const Input& i, storage::Tx& tx, const std::string& tenant) {
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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  const CheckinPolicy policy = policy_of(i, tx, ctx.tenant());
  tx.q("INSERT INTO locations(id, tenant_id, name, address, lat, lon, fence, checkin, metadata, active, created_at, "
       "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10)",
       id, ctx.tenant(), name, address, point.lat, point.lon, geo::describe(fence).dump(), policy_json(policy).dump(),
       metadata.dump(), now)
      .run();
  write_spatial(tx, sqlite3_last_insert_rowid(tx.conn().handle()), fence, point);
  bump_generation(tx, ctx.tenant());
  audit_append(tx, ctx.tenant(), ctx.actor(), "location.create", id, now,
               {{"name", name}, {"fence", fence.kind == geo::Fence::Kind::circle ? "circle" : "polygon"}});
  json out = load_location(tx, ctx.tenant(), id);
  tx.commit();
  return out;
}

json location_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  return load_location(tx, ctx.tenant(), i.str("id"));
}

json location_list(Ctx& ctx, const json& in) {
  Input i(in, {"limit", "cursor", "active"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto active = i.opt_bool("active");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q =
      tx.q(fmt::format("SELECT {} FROM locations WHERE tenant_id = ?1 AND seq > ?2 AND (?3 IS NULL OR active = ?3) "
                       "ORDER BY seq LIMIT ?4",
                       kCols),
           ctx.tenant(), after, active, limit + 1);
  return storage::page(q, limit, 11, location_row);
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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  const json cur = load_location(tx, ctx.tenant(), id);
  const geo::LatLon point{lat.value_or(cur["lat"].get<double>()), lon.value_or(cur["lon"].get<double>())};
  const geo::Fence fence = i.has("geofence") ? read_fence(i, point) : stored_fence(cur["geofence"].dump(), point);
  std::optional<std::string> policy;
  if (i.has("checkin")) policy = policy_json(policy_of(i, tx, ctx.tenant())).dump();
  tx.q("UPDATE locations SET name = COALESCE(?3, name), address = COALESCE(?4, address), lat = ?5, lon = ?6, "
       "fence = ?7, checkin = COALESCE(?8, checkin), metadata = COALESCE(?9, metadata), updated_at = ?10 "
       "WHERE id = ?1 AND tenant_id = ?2",
       id, ctx.tenant(), name, address, point.lat, point.lon, geo::describe(fence).dump(), policy, metadata, now)
      .run();
  int64_t seq = 0;
  {
    auto q = tx.q("SELECT seq FROM locations WHERE id = ?1", id);
    q.step();
    seq = q.i64(0);
  }
  write_spatial(tx, seq, fence, point);
  bump_generation(tx, ctx.tenant());
  json fields = json::array();
  for (const char* f : {"name", "address", "lat", "lon", "geofence", "checkin", "metadata"})
    if (i.has(f)) fields.push_back(f);
  audit_append(tx, ctx.tenant(), ctx.actor(), "location.update", id, now, {{"fields", fields}});
  json out = load_location(tx, ctx.tenant(), id);
  tx.commit();
  return out;
}

json location_deactivate(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  const json cur = load_location(tx, ctx.tenant(), id);
  if (cur["active"].get<bool>()) {
    tx.q("UPDATE locations SET active = 0, updated_at = ?3 WHERE id = ?1 AND tenant_id = ?2", id, ctx.tenant(), now)
        .run();
    bump_generation(tx, ctx.tenant());
    audit_append(tx, ctx.tenant(), ctx.actor(), "location.deactivate", id, now, json::object());
  }
  json out = load_location(tx, ctx.tenant(), id);
  tx.commit();
  return out;
}

// Sequence numbers of the tenant's active locations whose R*Tree box meets [lon0, lon1] x
// [lat0, lat1] (the box may run past +-180; boxes are compared in the turns either side too).
std::vector<int64_t> rtree_candidates(storage::Tx& tx, const std::string& tenant, double lon0, double lon1, double lat0,
                                      double lat1) {
  std::set<int64_t> seqs;
  for (double shift : {-360.0, 0.0, 360.0}) {
    auto q = tx.q(
        "SELECT l.seq FROM locations_rtree r JOIN locations l ON l.seq = r.seq "
        "WHERE r.max_lon >= ?1 AND r.min_lon <= ?2 AND r.max_lat >= ?3 AND r.min_lat <= ?4 "
        "AND l.tenant_id = ?5 AND l.active = 1",
        lon0 + shift, lon1 + shift, lat0, lat1, tenant);
    while (q.step()) seqs.insert(q.i64(0));
  }
  return {seqs.begin(), seqs.end()};
}

json location_nearby(Ctx& ctx, const json& in) {
  Input i(in, {"lat", "lon", "radius_m", "limit"});
  const geo::LatLon p{read_number(i, "lat", -90, 90), read_number(i, "lon", -180, 180)};
  const double radius = read_number(i, "radius_m", 0, 1'000'000);
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  geo::FenceLimits wide;
  wide.max_radius_m = 1'000'000;
  const geo::Fence box = geo::circle_fence(p, std::max(radius, 0.001), wide, "radius_m");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  std::vector<std::pair<double, json>> found;
  for (int64_t seq : rtree_candidates(tx, ctx.tenant(), box.min_lon, box.max_lon, box.min_lat, box.max_lat)) {
    auto q = tx.q(fmt::format("SELECT {} FROM locations WHERE seq = ?1", kCols), seq);
    if (!q.step()) continue;
    json loc = location_row(q);
    const geo::LatLon at{loc["lat"].get<double>(), loc["lon"].get<double>()};
    const double d = geo::distance_m(p, at);
    if (d > radius) continue;
    const geo::Fence f = stored_fence(loc["geofence"].dump(), at);
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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  if (mode == "intersects") tx.conn().load_spatialite();
  const std::string area_json = geo::to_geojson(area).dump();
  json items = json::array();
  for (int64_t seq : rtree_candidates(tx, ctx.tenant(), area.min_lon, area.max_lon, area.min_lat, area.max_lat)) {
    if (static_cast<int64_t>(items.size()) == limit) break;
    auto q = tx.q(fmt::format("SELECT {} FROM locations WHERE seq = ?1", kCols), seq);
    if (!q.step()) continue;
    json loc = location_row(q);
    bool hit = false;
    if (mode == "point") {
      hit = geo::contains(area, {loc["lat"].get<double>(), loc["lon"].get<double>()});
    } else {
      // SpatiaLite's planar predicate on the stored geometry (coordinates in degrees).
      auto s = tx.q("SELECT ST_Intersects(geom, SetSRID(GeomFromGeoJSON(?2), 4326)) FROM locations WHERE seq = ?1", seq,
                    area_json);
      hit = s.step() && !s.is_null(0) && s.i64(0) == 1;
    }
    if (hit) items.push_back(std::move(loc));
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

std::shared_ptr<const TenantFences> tenant_fences(Ctx& ctx, storage::Tx& tx) {
  int64_t generation = 0;
  {
    auto q = tx.q("SELECT generation FROM location_generations WHERE tenant_id = ?1", ctx.tenant());
    if (q.step()) generation = q.i64(0);
  }
  FenceCache& cache = cache_of(ctx.engine);
  {
    std::lock_guard lock(cache.mu);
    auto it = cache.tenants.find(ctx.tenant());
    if (it != cache.tenants.end() && it->second->generation == generation) return it->second;
  }
  // Build outside the lock (other tenants keep matching meanwhile), then swap in.
  std::vector<geo::Fence> fences;
  std::vector<LocationInfo> infos;
  {
    auto q = tx.q(
        "SELECT id, name, lat, lon, fence, checkin FROM locations WHERE tenant_id = ?1 AND active = 1 "
        "ORDER BY seq",
        ctx.tenant());
    while (q.step()) {
      fences.push_back(stored_fence(q.text(4), {q.f64(2), q.f64(3)}));
      infos.push_back({q.text(0), q.text(1), read_policy(json::parse(q.text(5)), "checkin")});
    }
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
