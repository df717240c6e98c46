#include "geo/geo.hpp"

#include <fmt/format.h>
#include <geos_c.h>
#include <GeographicLib/Geodesic.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "loyalty/core/error.hpp"

namespace loyalty::geo {
namespace {

using nlohmann::json;
constexpr double kPi = 3.14159265358979323846;
constexpr double kRad = kPi / 180.0;
constexpr double kA = 6378137.0;              // WGS84 semi-major axis
constexpr double kE2 = 6.69437999014e-3;      // first eccentricity squared
constexpr double kMeridionalMin = 6335439.0;  // smallest meridional radius of curvature (equator)

[[noreturn]] void bad(const std::string& field, const std::string& msg) { throw Error(Status::invalid, msg, field); }

// A GEOS context per thread: the `_r` API is thread-safe as long as a handle is not shared.
struct GeosCtx {
  GEOSContextHandle_t h = GEOS_init_r();
  GeosCtx() { GEOSContext_setErrorMessageHandler_r(h, nullptr, nullptr); }
  ~GeosCtx() { GEOS_finish_r(h); }
  GeosCtx(const GeosCtx&) = delete;
  GeosCtx& operator=(const GeosCtx&) = delete;
};
GEOSContextHandle_t geos() {
  thread_local GeosCtx ctx;
  return ctx.h;
}
struct GeomDeleter {
  void operator()(GEOSGeometry* g) const noexcept { GEOSGeom_destroy_r(geos(), g); }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

GEOSGeometry* make_ring(const std::vector<std::array<double, 2>>& r) {
  GEOSContextHandle_t h = geos();
  GEOSCoordSequence* seq = GEOSCoordSeq_create_r(h, static_cast<unsigned>(r.size() + 1), 2);
  if (!seq) throw Error(Status::nomem, "GEOS: cannot allocate a coordinate sequence");
  for (size_t i = 0; i <= r.size(); ++i) {
    const auto& v = r[i % r.size()];
    GEOSCoordSeq_setXY_r(h, seq, static_cast<unsigned>(i), v[0], v[1]);
  }
  GEOSGeometry* ring = GEOSGeom_createLinearRing_r(h, seq);  // takes the sequence
  if (!ring) throw Error(Status::invalid, "GEOS: invalid ring");
  return ring;
}

GeomPtr make_polygon(const Polygon& p) {
  GEOSContextHandle_t h = geos();
  GeomPtr shell(make_ring(p.rings[0]));
  std::vector<GeomPtr> holes;
  for (size_t i = 1; i < p.rings.size(); ++i) holes.emplace_back(make_ring(p.rings[i]));
  std::vector<GEOSGeometry*> raw;
  for (auto& g : holes) raw.push_back(g.get());
  GEOSGeometry* poly = GEOSGeom_createPolygon_r(h, shell.get(), raw.data(), static_cast<unsigned>(raw.size()));
  if (!poly) throw Error(Status::invalid, "GEOS: invalid polygon");
  // The polygon now owns the rings.
  (void)shell.release();
  for (auto& g : holes) (void)g.release();
  return GeomPtr(poly);
}

std::string validity_reason(GEOSGeometry* g) {
  GEOSContextHandle_t h = geos();
  char valid = GEOSisValid_r(h, g);
  if (valid == 1) return {};
  char* reason = GEOSisValidReason_r(h, g);
  std::string out = reason ? reason : "invalid geometry";
  if (reason) GEOSFree_r(h, reason);
  return out;
}

double number(const json& v, const std::string& field) {
  if (!v.is_number()) bad(field, "must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) bad(field, "must be a finite number");
  return d;
}

// Reads one ring: positions [lon, lat] (an optional third value, the altitude, is ignored),
// closed, at least 4 positions. Returns the vertices without the closing repeat, unwrapped so
// that consecutive longitudes differ by at most 180 degrees (a ring crossing the antimeridian
// continues past +-180).
std::vector<std::array<double, 2>> read_ring(const json& ring, const std::string& field, size_t& budget,
                                             const FenceLimits& limits) {
  if (!ring.is_array()) bad(field, "must be an array of positions");
  if (ring.size() < 4) bad(field, "a linear ring needs at least 4 positions (the last repeating the first)");
  if (ring.size() - 1 > budget) bad(field, fmt::format("the fence has more than {} vertices", limits.max_vertices));
  budget -= ring.size() - 1;
  std::vector<std::array<double, 2>> out;
  out.reserve(ring.size());
  double shift = 0;
  double prev = 0;
  for (size_t i = 0; i < ring.size(); ++i) {
    const std::string pf = fmt::format("{}[{}]", field, i);
    const json& pos = ring[i];
    if (!pos.is_array() || pos.size() < 2 || pos.size() > 3) bad(pf, "a position is [longitude, latitude]");
    const double lon = number(pos[0], pf + "[0]");
    const double lat = number(pos[1], pf + "[1]");
    if (lon < -180 || lon > 180) bad(pf + "[0]", "longitude must be within [-180, 180]");
    if (lat < -90 || lat > 90) bad(pf + "[1]", "latitude must be within [-90, 90]");
    if (pos.size() == 3) number(pos[2], pf + "[2]");
    if (i > 0) {
      const double d = lon + shift - prev;
      if (d > 180)
        shift -= 360;
      else if (d < -180)
        shift += 360;
    }
    prev = lon + shift;
    out.push_back({lon + shift, lat});
  }
  const auto& first = out.front();
  const auto& last = out.back();
  if (last[1] != first[1] || std::fabs(last[0] - first[0]) > 1e-9) {
    if (last[1] == first[1] && std::fabs(std::fabs(last[0] - first[0]) - 360) < 1e-9)
      bad(field, "rings that encircle a pole are not supported; split the fence");
    bad(field, "a linear ring must be closed (its last position equal to its first)");
  }
  out.pop_back();
  return out;
}

void ring_bounds(const std::vector<std::array<double, 2>>& r, double& x0, double& x1, double& y0, double& y1) {
  x0 = y0 = std::numeric_limits<double>::infinity();
  x1 = y1 = -std::numeric_limits<double>::infinity();
  for (const auto& v : r) {
    x0 = std::min(x0, v[0]);
    x1 = std::max(x1, v[0]);
    y0 = std::min(y0, v[1]);
    y1 = std::max(y1, v[1]);
  }
}

void shift_ring(std::vector<std::array<double, 2>>& r, double dx) {
  for (auto& v : r) v[0] += dx;
}

Polygon read_polygon(const json& rings, const std::string& field, size_t& budget, const FenceLimits& limits) {
  if (!rings.is_array() || rings.empty()) bad(field, "a polygon is a non-empty array of linear rings");
  Polygon p;
  for (size_t i = 0; i < rings.size(); ++i)
    p.rings.push_back(read_ring(rings[i], fmt::format("{}[{}]", field, i), budget, limits));
  // Normalise: the outer ring starts within [-180, 180); holes are moved by whole turns next to it.
  double x0, x1, y0, y1;
  ring_bounds(p.rings[0], x0, x1, y0, y1);
  const double turn = std::floor((x0 + 180) / 360) * 360;
  shift_ring(p.rings[0], -turn);
  const double centre = (x0 + x1) / 2 - turn;
  for (size_t i = 1; i < p.rings.size(); ++i) {
    double a0, a1, b0, b1;
    ring_bounds(p.rings[i], a0, a1, b0, b1);
    shift_ring(p.rings[i], std::round((centre - (a0 + a1) / 2) / 360) * 360);
  }
  for (size_t i = 0; i < p.rings.size(); ++i) {
    GeomPtr g = make_polygon(Polygon{{p.rings[i]}});
    if (std::string why = validity_reason(g.get()); !why.empty())
      bad(fmt::format("{}[{}]", field, i), fmt::format("invalid ring: {}", why));
  }
  GeomPtr g = make_polygon(p);
  if (std::string why = validity_reason(g.get()); !why.empty()) bad(field, fmt::format("invalid polygon: {}", why));
  return p;
}

void polygon_bbox(Fence& f) {
  f.min_lat = f.min_lon = std::numeric_limits<double>::infinity();
  f.max_lat = f.max_lon = -std::numeric_limits<double>::infinity();
  for (const auto& p : f.polygons) {
    double x0, x1, y0, y1;
    ring_bounds(p.rings[0], x0, x1, y0, y1);
    f.min_lon = std::min(f.min_lon, x0);
    f.max_lon = std::max(f.max_lon, x1);
    f.min_lat = std::min(f.min_lat, y0);
    f.max_lat = std::max(f.max_lat, y1);
  }
}

// Even-odd crossing test of one polygon (outer ring and holes) at (x, y).
bool polygon_has(const Polygon& p, double x, double y) {
  bool in = false;
  for (const auto& r : p.rings) {
    const size_t n = r.size();
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
      const double xi = r[i][0], yi = r[i][1], xj = r[j][0], yj = r[j][1];
      // On the edge: collinear and within the segment's box (boundary points count as inside).
      const double cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi);
      if (cross == 0 && x >= std::min(xi, xj) && x <= std::max(xi, xj) && y >= std::min(yi, yj) &&
          y <= std::max(yi, yj))
        return true;
      if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
  }
  return in;
}

bool polygons_have(const Fence& f, LatLon p) {
  for (const auto& poly : f.polygons) {
    if (polygon_has(poly, p.lon, p.lat)) return true;
    if (f.max_lon > 180 && polygon_has(poly, p.lon + 360, p.lat)) return true;
  }
  return false;
}

double seg_dist(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax, dy = by - ay;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  const double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return std::sqrt(ex * ex + ey * ey);
}

}  // namespace

double wrap_lon(double lon) {
  double x = std::fmod(lon + 180.0, 360.0);
  if (x < 0) x += 360.0;
  return x - 180.0;
}

double distance_m(LatLon a, LatLon b) {
  double s12 = 0;
  GeographicLib::Geodesic::WGS84().Inverse(a.lat, a.lon, b.lat, b.lon, s12);
  return s12;
}

LatLon destination(LatLon from, double azimuth_deg, double dist_m) {
  LatLon out;
  GeographicLib::Geodesic::WGS84().Direct(from.lat, from.lon, azimuth_deg, dist_m, out.lat, out.lon);
  return out;
}

size_t Fence::vertex_count() const {
  size_t n = 0;
  for (const auto& p : polygons)
    for (const auto& r : p.rings) n += r.size();
  return n;
}

Fence circle_fence(LatLon c, double radius_m, const FenceLimits& limits, const std::string& field) {
  if (!std::isfinite(c.lat) || c.lat < -90 || c.lat > 90) bad(field + ".lat", "latitude must be within [-90, 90]");
  if (!std::isfinite(c.lon) || c.lon < -180 || c.lon > 180) bad(field + ".lon", "longitude must be within [-180, 180]");
  if (!std::isfinite(radius_m) || radius_m <= 0) bad(field + ".radius_m", "the radius must be more than 0 metres");
  if (radius_m > limits.max_radius_m)
    bad(field + ".radius_m", fmt::format("the radius must be at most {} metres", limits.max_radius_m));
  Fence f;
  f.kind = Fence::Kind::circle;
  f.center = {c.lat, wrap_lon(c.lon)};
  f.radius_m = radius_m;
  // Conservative bounding box: the meridional radius of curvature is never below
  // kMeridionalMin, and a parallel's radius never below a*cos(lat).
  const double dlat = radius_m / kMeridionalMin / kRad * 1.001 + 1e-9;
  f.min_lat = std::max(-90.0, c.lat - dlat);
  f.max_lat = std::min(90.0, c.lat + dlat);
  const double far = std::max(std::fabs(f.min_lat), std::fabs(f.max_lat));
  double dlon = 360;
  if (far < 89.9) dlon = radius_m / (kA * std::cos(far * kRad)) / kRad * 1.01 + 1e-9;
  if (dlon >= 180 || c.lat - dlat <= -90 || c.lat + dlat >= 90) {
    f.min_lon = -180;
    f.max_lon = 180;
  } else {
    f.min_lon = f.center.lon - dlon;
    f.max_lon = f.center.lon + dlon;
    if (f.min_lon < -180) {
      f.min_lon += 360;
      f.max_lon += 360;
    }
  }
  return f;
}

Fence polygon_fence(const json& g, LatLon center, const FenceLimits& limits, const std::string& field) {
  if (!g.is_object()) bad(field, "must be a GeoJSON Polygon or MultiPolygon object");
  for (const auto& [k, v] : g.items())
    if (k != "type" && k != "coordinates") bad(field + "." + k, "unknown field");
  if (!g.contains("type") || !g["type"].is_string()) bad(field + ".type", "must be \"Polygon\" or \"MultiPolygon\"");
  const std::string type = g["type"].get<std::string>();
  if (type != "Polygon" && type != "MultiPolygon") bad(field + ".type", "must be \"Polygon\" or \"MultiPolygon\"");
  if (!g.contains("coordinates")) bad(field + ".coordinates", "is required");
  const json& coords = g["coordinates"];
  const std::string cf = field + ".coordinates";
  Fence f;
  f.kind = Fence::Kind::polygon;
  f.center = center;
  size_t budget = limits.max_vertices;
  if (type == "Polygon") {
    f.polygons.push_back(read_polygon(coords, cf, budget, limits));
  } else {
    if (!coords.is_array() || coords.empty()) bad(cf, "a MultiPolygon is a non-empty array of polygons");
    if (coords.size() > limits.max_polygons)
      bad(cf, fmt::format("a MultiPolygon may have at most {} polygons", limits.max_polygons));
    for (size_t i = 0; i < coords.size(); ++i)
      f.polygons.push_back(read_polygon(coords[i], fmt::format("{}[{}]", cf, i), budget, limits));
    // The parts together must form a valid MultiPolygon (no overlaps).
    std::vector<GeomPtr> parts;
    for (const auto& p : f.polygons) parts.push_back(make_polygon(p));
    std::vector<GEOSGeometry*> raw;
    for (auto& p : parts) raw.push_back(p.get());
    GEOSGeometry* mp =
        GEOSGeom_createCollection_r(geos(), GEOS_MULTIPOLYGON, raw.data(), static_cast<unsigned>(raw.size()));
    if (!mp) bad(cf, "invalid MultiPolygon");
    for (auto& p : parts) (void)p.release();
    GeomPtr owner(mp);
    if (std::string why = validity_reason(mp); !why.empty()) bad(cf, fmt::format("invalid MultiPolygon: {}", why));
  }
  polygon_bbox(f);
  // Parts on both sides of the antimeridian: move the western ones by a turn when that makes
  // the whole fence more compact, so the bounding box stays small.
  if (f.max_lon - f.min_lon > 180) {
    for (auto& p : f.polygons) {
      double x0, x1, y0, y1;
      ring_bounds(p.rings[0], x0, x1, y0, y1);
      if (x1 < 0)
        for (auto& r : p.rings) shift_ring(r, 360);
    }
    polygon_bbox(f);
    if (f.max_lon - f.min_lon > 180) {  // genuinely wide: keep as given
      for (auto& p : f.polygons) {
        double x0, x1, y0, y1;
        ring_bounds(p.rings[0], x0, x1, y0, y1);
        if (x0 >= 180)
          for (auto& r : p.rings) shift_ring(r, -360);
      }
      polygon_bbox(f);
    }
  }
  return f;
}

bool contains(const Fence& f, LatLon p) {
  if (f.kind == Fence::Kind::circle) return distance_m(f.center, p) <= f.radius_m;
  return polygons_have(f, p);
}

double distance_to_fence_m(const Fence& f, LatLon p) {
  if (f.kind == Fence::Kind::circle) return std::max(0.0, distance_m(f.center, p) - f.radius_m);
  if (polygons_have(f, p)) return 0;
  // Local metric frame at p: metres per degree along the meridian and the parallel.
  const double s = std::sin(p.lat * kRad);
  const double w = 1 - kE2 * s * s;
  const double ky = kA * (1 - kE2) / (w * std::sqrt(w)) * kRad;
  const double kx = kA / std::sqrt(w) * std::cos(p.lat * kRad) * kRad;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& poly : f.polygons)
    for (const auto& r : poly.rings) {
      const size_t n = r.size();
      for (size_t i = 0, j = n - 1; i < n; j = i++) {
        const double ax = wrap_lon(r[j][0] - p.lon) * kx, ay = (r[j][1] - p.lat) * ky;
        double bx = ax + (r[i][0] - r[j][0]) * kx;  // keep the edge continuous across +-180
        const double by = (r[i][1] - p.lat) * ky;
        best = std::min(best, seg_dist(0, 0, ax, ay, bx, by));
      }
    }
  return best;
}

json to_geojson(const Fence& f, int circle_vertices) {
  json polys = json::array();
  if (f.kind == Fence::Kind::circle) {
    json ring = json::array();
    const bool polar = f.max_lon - f.min_lon >= 360;
    for (int i = 0; i <= circle_vertices; ++i) {
      LatLon v = destination(f.center, 360.0 * (i % circle_vertices) / circle_vertices, f.radius_m);
      double lon = v.lon;
      if (!polar) {  // continuous around the centre, in the same turn as the bounding box
        lon = f.center.lon + wrap_lon(v.lon - f.center.lon);
        if (f.min_lon > f.center.lon) lon += 360;
      }
      ring.push_back({lon, v.lat});
    }
    return {{"type", "Polygon"}, {"coordinates", json::array({ring})}};
  }
  for (const auto& p : f.polygons) {
    json rings = json::array();
    for (const auto& r : p.rings) {
      json ring = json::array();
      for (size_t i = 0; i <= r.size(); ++i) ring.push_back({r[i % r.size()][0], r[i % r.size()][1]});
      rings.push_back(ring);
    }
    polys.push_back(rings);
  }
  if (polys.size() == 1) return {{"type", "Polygon"}, {"coordinates", polys[0]}};
  return {{"type", "MultiPolygon"}, {"coordinates", polys}};
}

json describe(const Fence& f) {
  if (f.kind == Fence::Kind::circle) return {{"type", "circle"}, {"radius_m", f.radius_m}};
  json polys = json::array();
  for (const auto& p : f.polygons) {
    json rings = json::array();
    for (const auto& r : p.rings) {
      json ring = json::array();
      for (size_t i = 0; i <= r.size(); ++i) {
        double lon = r[i % r.size()][0];
        if (lon > 180) lon -= 360;
        ring.push_back({lon, r[i % r.size()][1]});
      }
      rings.push_back(ring);
    }
    polys.push_back(rings);
  }
  if (polys.size() == 1) return {{"type", "Polygon"}, {"coordinates", polys[0]}};
  return {{"type", "MultiPolygon"}, {"coordinates", polys}};
}

std::string geos_validity_reason(const Polygon& p) {
  GeomPtr g = make_polygon(p);
  return validity_reason(g.get());
}

}  // namespace loyalty::geo
