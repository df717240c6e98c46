// The geo leaf service: geodesic distances on the WGS84 ellipsoid (GeographicLib, Karney's
// algorithms), geofences (true geodesic circles and GeoJSON polygons with holes) with their
// validation (GEOS, thread-safe `_r` API), and exact point-in-fence and distance-to-fence tests.
// It owns no data and depends only on the core foundation (Error, JSON).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace loyalty::geo {

struct LatLon {
  double lat = 0;  ///< degrees, [-90, 90]
  double lon = 0;  ///< degrees, [-180, 180]
};

/// Geodesic distance in metres on the WGS84 ellipsoid (Karney 2013: accurate to about 15
/// nanometres for any pair of points, including nearly antipodal ones).
double distance_m(LatLon a, LatLon b);
/// The point `dist_m` metres from `from` along the geodesic starting at `azimuth_deg`.
LatLon destination(LatLon from, double azimuth_deg, double dist_m);
/// Longitude wrapped to [-180, 180).
double wrap_lon(double lon);

/// One polygon: ring 0 is the outer ring, the rest are holes. Vertices are {lon, lat}, closed
/// implicitly (the last vertex is not a repeat of the first). Longitudes of a polygon that crosses
/// the antimeridian are unwrapped (continuous, possibly above 180).
struct Polygon {
  std::vector<std::vector<std::array<double, 2>>> rings;
};

struct Fence {
  enum class Kind { circle, polygon };
  Kind kind = Kind::circle;
  LatLon center;        ///< circle centre (for polygons: the location's point)
  double radius_m = 0;  ///< circle radius
  std::vector<Polygon> polygons;
  // Bounding box in degrees; max_lon may exceed 180 for a fence crossing the antimeridian, and
  // a circle around a pole spans every longitude (min_lon = -180, max_lon = 180).
  double min_lat = 0, max_lat = 0, min_lon = 0, max_lon = 0;
  size_t vertex_count() const;
};

struct FenceLimits {
  double max_radius_m = 50'000;  ///< larger radii are refused as absurd for a geofence
  size_t max_vertices = 10'000;  ///< total vertices of a polygon fence (all rings)
  size_t max_polygons = 100;     ///< parts of a MultiPolygon
};

/// A circle of `radius_m` geodesic metres around `center`. Throws Error(invalid) naming
/// `field` + ".radius_m" (or ".lat"/".lon" for the centre).
Fence circle_fence(LatLon center, double radius_m, const FenceLimits& limits, const std::string& field);
/// A GeoJSON Polygon or MultiPolygon (WGS84, [lon, lat] positions). Validates ranges, closed
/// rings, vertex counts and topology (GEOS: self-intersections, holes outside their shell,
/// overlapping parts), naming the offending field (e.g. "geofence.coordinates[0][3]").
Fence polygon_fence(const nlohmann::json& geojson, LatLon center, const FenceLimits& limits, const std::string& field);

/// True when `p` lies inside the fence or on its boundary.
bool contains(const Fence& f, LatLon p);
/// 0 inside (or on the boundary), otherwise the distance in metres from `p` to the fence: exact
/// geodesic for circles; for polygons the distance to the nearest edge in a local metric frame
/// around `p` (error below 0.1% for distances under 10 km).
double distance_to_fence_m(const Fence& f, LatLon p);

/// The fence as GeoJSON (circles as a Polygon of `circle_vertices` geodesic points; longitudes of
/// antimeridian-crossing fences stay unwrapped so the polygon is continuous).
nlohmann::json to_geojson(const Fence& f, int circle_vertices = 64);
/// The fence as it was given: {"type": "circle", "radius_m"} or the GeoJSON with longitudes
/// wrapped back to [-180, 180].
nlohmann::json describe(const Fence& f);

/// GEOS diagnostics: the validity reason of a polygon ("" when valid), for tests.
std::string geos_validity_reason(const Polygon& p);

}  // namespace loyalty::geo
