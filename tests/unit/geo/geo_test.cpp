// The geo leaf service: geodesic distances, circle and polygon fences, validation, the grid index.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "fixture.hpp"
#include "geo/fence_index.hpp"
#include "geo/geo.hpp"

using loyalty::Status;
using loyalty::geo::LatLon;
namespace geo = loyalty::geo;
using nlohmann::json;

namespace {
const geo::FenceLimits kLimits{};
geo::Fence circle(double lat, double lon, double r) { return geo::circle_fence({lat, lon}, r, kLimits, "geofence"); }
geo::Fence poly(const json& g) { return geo::polygon_fence(g, {0, 0}, kLimits, "geofence"); }
json square(double x0, double y0, double x1, double y1) {
  return json::array({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}});
}
}  // namespace

TEST_CASE("geo: geodesic distances match the WGS84 reference values") {
  // One degree of longitude on the equator and of latitude from the equator (WGS84).
  CHECK(geo::distance_m({0, 0}, {0, 1}) == doctest::Approx(111319.4908).epsilon(1e-9));
  CHECK(geo::distance_m({0, 0}, {1, 0}) == doctest::Approx(110574.3886).epsilon(1e-9));
  // Across the antimeridian: 179.99 E to 179.99 W is 0.02 degrees, not 359.98.
  CHECK(geo::distance_m({0, 179.99}, {0, -179.99}) == doctest::Approx(2226.3898).epsilon(1e-6));
  // Nearly antipodal points (where Vincenty fails to converge): half the meridian, 20003.93 km.
  CHECK(geo::distance_m({90, 0}, {-90, 0}) == doctest::Approx(20003931.4586).epsilon(1e-9));
  CHECK(geo::distance_m({0, 0}, {0.5, 179.7}) > 19'900'000);
  CHECK(geo::distance_m({69.6, 18.9}, {69.6, 18.9}) == 0);
}

TEST_CASE("geo: a radius fence is a true circle on the ground at 69.6 N, for every bearing") {
  const LatLon c{69.6492, 18.9553};
  const auto f = circle(c.lat, c.lon, 100);
  CHECK(geo::contains(f, c));  // the exact centre
  for (int az = 0; az < 360; az += 15) {
    CHECK(geo::contains(f, geo::destination(c, az, 99.9)));
    CHECK_FALSE(geo::contains(f, geo::destination(c, az, 100.1)));
    CHECK(geo::distance_to_fence_m(f, geo::destination(c, az, 130)) == doctest::Approx(30).epsilon(1e-6));
  }
  // A degree-based circle would be 2.9 times too narrow east-west at this latitude.
  CHECK(geo::contains(f, {c.lat, c.lon + 0.0025}));  // about 97 m east
}

TEST_CASE("geo: circles across the antimeridian and around the poles") {
  const auto f = circle(0, 179.99, 2300);
  CHECK(geo::contains(f, {0, -179.99}));
  CHECK(geo::contains(f, {0, 180}));
  CHECK(geo::contains(f, {0, -180}));
  CHECK_FALSE(geo::contains(circle(0, 179.99, 2200), {0, -179.99}));
  CHECK(f.max_lon > 180);  // bounding box unwrapped past the antimeridian
  const auto west = circle(0, -179.99, 2300);
  CHECK(geo::contains(west, {0, 179.99}));
  // Near the North pole: 0.001 degree either side of the pole is about 223 m apart.
  const auto p = circle(89.999, 0, 250);
  CHECK(geo::contains(p, {89.999, 180}));
  CHECK(geo::contains(p, {90, 0}));
  CHECK_FALSE(geo::contains(circle(89.999, 0, 200), {89.999, 180}));
  const auto pole = circle(90, 0, 1000);
  CHECK(pole.max_lon - pole.min_lon == 360);
  CHECK(geo::contains(pole, {89.995, 123}));
  CHECK(geo::contains(circle(-89.9995, 45, 200), {-89.9995, -135}));
}

TEST_CASE("geo: polygons with holes, boundary points and distances to the edge") {
  const json g = {{"type", "Polygon"}, {"coordinates", {square(0, 0, 0.01, 0.01), square(0.004, 0.004, 0.006, 0.006)}}};
  const auto f = poly(g);
  CHECK(geo::contains(f, {0.002, 0.002}));
  CHECK_FALSE(geo::contains(f, {0.005, 0.005}));  // in the hole
  CHECK_FALSE(geo::contains(f, {0.02, 0.005}));
  CHECK(geo::contains(f, {0, 0}));          // a vertex
  CHECK(geo::contains(f, {0, 0.005}));      // on the outer edge
  CHECK(geo::contains(f, {0.004, 0.005}));  // on the hole's edge
  // From the hole's centre to its edge: 0.001 degree of latitude (110.6 m) or longitude (111.3 m).
  CHECK(geo::distance_to_fence_m(f, {0.005, 0.005}) == doctest::Approx(110.57).epsilon(2e-3));
  CHECK(geo::distance_to_fence_m(f, {0.002, 0.002}) == 0);
  // 0.001 degree east of the outer edge on the equator: 111.3 m.
  CHECK(geo::distance_to_fence_m(f, {0.005, 0.011}) == doctest::Approx(111.32).epsilon(2e-3));
  CHECK(geo::describe(f) == g);
}

TEST_CASE("geo: a polygon crossing the antimeridian is continuous") {
  const json g = {{"type", "Polygon"},
                  {"coordinates", {json::array({{179.9, -1}, {-179.9, -1}, {-179.9, 1}, {179.9, 1}, {179.9, -1}})}}};
  const auto f = poly(g);
  CHECK(geo::contains(f, {0, 180}));
  CHECK(geo::contains(f, {0, -180}));
  CHECK(geo::contains(f, {0.5, -179.95}));
  CHECK(geo::contains(f, {-0.5, 179.95}));
  CHECK_FALSE(geo::contains(f, {0, 0}));
  CHECK_FALSE(geo::contains(f, {0, 179.8}));
  CHECK_FALSE(geo::contains(f, {0, -179.8}));
  CHECK(geo::distance_to_fence_m(f, {0, -179.8}) == doctest::Approx(11132).epsilon(2e-3));
  CHECK(geo::describe(f) == g);
  // The same area split into a MultiPolygon at the antimeridian (RFC 7946 style).
  const json m = {{"type", "MultiPolygon"},
                  {"coordinates", {{square(179.9, -1, 180, 1)}, {square(-180, -1, -179.9, 1)}}}};
  const auto fm = poly(m);
  CHECK(geo::contains(fm, {0, 180}));
  CHECK(geo::contains(fm, {0.5, -179.95}));
  CHECK_FALSE(geo::contains(fm, {0, 0}));
  CHECK(fm.max_lon - fm.min_lon < 1);  // compact bounding box
}

TEST_CASE("geo: invalid fences are refused naming the offending field") {
  auto field_of = [](auto&& fn) {
    try {
      fn();
    } catch (const loyalty::Error& e) {
      CHECK(e.status() == Status::invalid);
      return e.field() + " | " + e.what();
    }
    return std::string("no error");
  };
  CHECK(field_of([] { circle(0, 0, 0); }).starts_with("geofence.radius_m"));
  CHECK(field_of([] { circle(0, 0, -5); }).starts_with("geofence.radius_m"));
  CHECK(field_of([] { circle(0, 0, 1e9); }).starts_with("geofence.radius_m"));
  CHECK(field_of([] { circle(0, 0, NAN); }).starts_with("geofence.radius_m"));
  CHECK(field_of([] { circle(91, 0, 10); }).starts_with("geofence.lat"));
  CHECK(field_of([] { circle(0, 181, 10); }).starts_with("geofence.lon"));
  const std::string bowtie = field_of([] {
    poly({{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}})}}});
  });
  CHECK(bowtie.starts_with("geofence.coordinates[0] |"));
  CHECK(bowtie.find("Self-intersection") != std::string::npos);
  CHECK(field_of([] {
          poly({{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 0}, {1, 1}, {0, 1}})}}});
        }).starts_with("geofence.coordinates[0] |"));  // not closed
  CHECK(field_of([] {
          poly({{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 0}, {1, 95}, {0, 0}})}}});
        }).starts_with("geofence.coordinates[0][2][1]"));
  CHECK(field_of([] {
          poly({{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 0}, {"x", 1}, {0, 0}})}}});
        }).starts_with("geofence.coordinates[0][2][0]"));
  // A hole outside its shell.
  CHECK(field_of([] {
          poly({{"type", "Polygon"}, {"coordinates", {square(0, 0, 1, 1), square(2, 2, 3, 3)}}});
        }).starts_with("geofence.coordinates |"));
  // Overlapping parts of a MultiPolygon.
  CHECK(field_of([] {
          poly({{"type", "MultiPolygon"}, {"coordinates", {{square(0, 0, 1, 1)}, {square(0.5, 0.5, 2, 2)}}}});
        }).starts_with("geofence.coordinates |"));
  CHECK(field_of([] { poly({{"type", "Point"}, {"coordinates", {0, 0}}}); }).starts_with("geofence.type"));
  CHECK(field_of([] {
          poly({{"type", "Polygon"}, {"coordinates", {square(0, 0, 1, 1)}}, {"x", 1}});
        }).starts_with("geofence.x"));
  // More vertices than configured.
  json ring = json::array();
  for (int i = 0; i < 40; ++i) {
    const double a = 2 * 3.14159265358979 * i / 40;
    ring.push_back({std::cos(a), std::sin(a)});
  }
  ring.push_back(ring[0]);
  geo::FenceLimits small;
  small.max_vertices = 30;
  CHECK(field_of([&] {
          geo::polygon_fence({{"type", "Polygon"}, {"coordinates", {ring}}}, {0, 0}, small, "g");
        }).starts_with("g.coordinates[0] |"));
  CHECK(geo::polygon_fence({{"type", "Polygon"}, {"coordinates", {ring}}}, {0, 0}, kLimits, "g").vertex_count() == 40);
}

TEST_CASE("geo: the fast circle test never disagrees with the geodesic one outside its band") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  int decided = 0, band = 0;
  for (int n = 0; n < 20000; ++n) {
    const double lat = -80 + 160 * u(rng);
    const double lon = -180 + 360 * u(rng);
    const double r = n % 2 ? 50 + 450 * u(rng) : 10 + 49990 * u(rng);
    const auto f = circle(lat, lon, r);
    // Points close to the edge, the worst case for the approximation.
    const LatLon p = geo::destination(f.center, 360 * u(rng), r * (0.99 + 0.02 * u(rng)));
    const int fast = geo::FenceIndex::fast_circle_decision(f, p);
    if (fast < 0) {
      ++band;
      continue;
    }
    ++decided;
    REQUIRE(fast == static_cast<int>(geo::contains(f, p)));
  }
  CHECK(decided > 1000);  // the fast path does decide most of them
  CHECK(band > 0);
}

TEST_CASE("geo: the grid index returns exactly what a scan of every fence returns") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<geo::Fence> fences;
  // A city at 69.6 N, a cluster across the antimeridian, polygons, and polar fences.
  for (int i = 0; i < 400; ++i) fences.push_back(circle(69.6 + 0.05 * u(rng), 18.9 + 0.1 * u(rng), 50 + 450 * u(rng)));
  for (int i = 0; i < 200; ++i)
    fences.push_back(circle(-0.02 + 0.04 * u(rng), geo::wrap_lon(179.98 + 0.04 * u(rng)), 100 + 900 * u(rng)));
  fences.push_back(
      poly({{"type", "Polygon"},
            {"coordinates",
             {json::array({{179.99, -0.01}, {-179.99, -0.01}, {-179.99, 0.01}, {179.99, 0.01}, {179.99, -0.01}}),
              square(179.995, -0.005, 180, 0.005)}}}));
  fences.push_back(poly(
      {{"type", "Polygon"}, {"coordinates", {square(18.9, 69.6, 19.0, 69.65), square(18.95, 69.61, 18.96, 69.62)}}}));
  fences.push_back(circle(90, 0, 2000));
  fences.push_back(circle(89.99, 10, 1500));
  const geo::FenceIndex idx(fences);
  CHECK(idx.oversized() >= 1);
  std::vector<uint32_t> got;
  int hits = 0;
  for (int n = 0; n < 3000; ++n) {
    LatLon p;
    switch (n % 3) {
      case 0:
        p = {69.6 + 0.05 * u(rng), 18.9 + 0.1 * u(rng)};
        break;
      case 1:
        p = {-0.02 + 0.04 * u(rng), geo::wrap_lon(179.98 + 0.04 * u(rng))};
        break;
      default:
        p = {89.97 + 0.03 * u(rng), -180 + 360 * u(rng)};
        break;
    }
    if (n % 7 == 0) {  // right at an edge
      const auto& f = fences[n % 600];
      p = geo::destination(f.center, 360 * u(rng), f.radius_m * (0.9999 + 0.0002 * u(rng)));
    }
    got.clear();
    idx.match(p, got);
    std::sort(got.begin(), got.end());
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i < fences.size(); ++i)
      if (geo::contains(fences[i], p)) want.push_back(i);
    REQUIRE(got == want);
    hits += static_cast<int>(want.size());
    // Within a tolerance: every fence at most 40 m away.
    got.clear();
    idx.match_within(p, 40, got);
    std::sort(got.begin(), got.end());
    want.clear();
    for (uint32_t i = 0; i < fences.size(); ++i)
      if (geo::distance_to_fence_m(fences[i], p) <= 40) want.push_back(i);
    REQUIRE(got == want);
  }
  CHECK(hits > 800);
}
