// Geofence match throughput ("which fences contain this point"), single thread, side by side in
// one program on the same seeded data:
//   ours        geo::FenceIndex (uniform grid, inline fast test, exact geodesic fallback)
//   geos        raw GEOS: an STRtree of prepared polygons, GEOSPreparedContains_r per candidate
//   spatialite  SpatiaLite: R*Tree spatial index + ST_Contains, in an in-memory database
// and durable verified check-ins per second through the engine (synchronous=FULL).
// The same fences and points are written to $LOY_GEO_DATA (default build/bench/geo-data.txt)
// for benchmarks/geo/shapely_match.py.
//
// Fences: circles of 50-500 m radius at random in a 50 x 50 km box over Paris and its suburbs. Ours tests true
// geodesic circles; the peers test the 64-gon through 64 points of each circle (local metric
// frame), the polygon shapely's buffer() would also give. Points: uniform in the same box.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <geos_c.h>
#include <sqlite3.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "geo/fence_index.hpp"
#include "loyalty/core/engine.hpp"

namespace {

namespace geo = loyalty::geo;
constexpr double kLat0 = 48.65, kLat1 = 49.10, kLon0 = 2.00, kLon1 = 2.68;
constexpr int kVertices = 64;
constexpr size_t kPoints = 1 << 16;

struct SplitMix {
  uint64_t s;
  double uniform() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }
};

struct FenceSpec {
  double lat, lon, r, ky, kx;
};

struct Data {
  std::vector<FenceSpec> specs;
  std::vector<geo::LatLon> points;
};

const Data& data(size_t n) {
  static std::map<size_t, Data> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Data d;
  SplitMix rng{0x5eed0000 + n};
  constexpr double kRad = 3.14159265358979323846 / 180;
  for (size_t i = 0; i < n; ++i) {
    FenceSpec f{};
    f.lat = kLat0 + (kLat1 - kLat0) * rng.uniform();
    f.lon = kLon0 + (kLon1 - kLon0) * rng.uniform();
    f.r = 50 + 450 * rng.uniform();
    const double s = std::sin(f.lat * kRad), w = 1 - 6.69437999014e-3 * s * s;
    f.ky = 6378137.0 * (1 - 6.69437999014e-3) / (w * std::sqrt(w)) * kRad;
    f.kx = 6378137.0 / std::sqrt(w) * std::cos(f.lat * kRad) * kRad;
    d.specs.push_back(f);
  }
  for (size_t i = 0; i < kPoints; ++i)
    d.points.push_back({kLat0 + (kLat1 - kLat0) * rng.uniform(), kLon0 + (kLon1 - kLon0) * rng.uniform()});
  // The same data for the shapely script: one file per fence count.
  const char* env = std::getenv("LOY_GEO_DATA");
  const std::string base = env ? env : "build/bench/geo-data";
  std::ofstream out(fmt::format("{}-{}.txt", base, n));
  out.precision(17);
  out << n << ' ' << d.points.size() << ' ' << kVertices << '\n';
  for (const auto& f : d.specs) out << f.lon << ' ' << f.lat << ' ' << f.r << ' ' << f.kx << ' ' << f.ky << '\n';
  for (const auto& p : d.points) out << p.lon << ' ' << p.lat << '\n';
  return cache.emplace(n, std::move(d)).first->second;
}

// The 64-gon of a fence, [lon, lat] pairs, closed.
std::vector<std::array<double, 2>> polygon_of(const FenceSpec& f) {
  std::vector<std::array<double, 2>> ring;
  for (int i = 0; i <= kVertices; ++i) {
    const double a = 2 * 3.14159265358979323846 * (i % kVertices) / kVertices;
    ring.push_back({f.lon + f.r * std::sin(a) / f.kx, f.lat + f.r * std::cos(a) / f.ky});
  }
  return ring;
}

void report(benchmark::State& state, uint64_t hits) {
  state.SetItemsProcessed(state.iterations());
  state.counters["matches_per_point"] =
      benchmark::Counter(static_cast<double>(hits) / static_cast<double>(state.iterations()));
  state.counters["fences"] = static_cast<double>(state.range(0));
}

// ---- ours -------------------------------------------------------------------------------------

void BM_Match_Ours(benchmark::State& state) {
  const Data& d = data(static_cast<size_t>(state.range(0)));
  std::vector<geo::Fence> fences;
  const geo::FenceLimits limits{};
  for (const auto& f : d.specs) fences.push_back(geo::circle_fence({f.lat, f.lon}, f.r, limits, "f"));
  const geo::FenceIndex index(std::move(fences));
  std::vector<uint32_t> out;
  size_t i = 0;
  uint64_t hits = 0;
  for (auto _ : state) {
    out.clear();
    index.match(d.points[i++ & (kPoints - 1)], out);
    hits += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  report(state, hits);
}

// ---- raw GEOS ---------------------------------------------------------------------------------

struct Geos {
  GEOSContextHandle_t h = GEOS_init_r();
  std::vector<GEOSGeometry*> geoms;
  std::vector<const GEOSPreparedGeometry*> prepared;
  GEOSSTRtree* tree = nullptr;
  explicit Geos(const Data& d) {
    tree = GEOSSTRtree_create_r(h, 10);
    for (const auto& f : d.specs) {
      const auto ring = polygon_of(f);
      GEOSCoordSequence* seq = GEOSCoordSeq_create_r(h, static_cast<unsigned>(ring.size()), 2);
      for (unsigned k = 0; k < ring.size(); ++k) GEOSCoordSeq_setXY_r(h, seq, k, ring[k][0], ring[k][1]);
      GEOSGeometry* poly = GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, seq), nullptr, 0);
      geoms.push_back(poly);
      prepared.push_back(GEOSPrepare_r(h, poly));
    }
    for (size_t i = 0; i < geoms.size(); ++i) GEOSSTRtree_insert_r(h, tree, geoms[i], reinterpret_cast<void*>(i));
  }
  ~Geos() {
    GEOSSTRtree_destroy_r(h, tree);
    for (auto* p : prepared) GEOSPreparedGeom_destroy_r(h, p);
    for (auto* g : geoms) GEOSGeom_destroy_r(h, g);
    GEOS_finish_r(h);
  }
  Geos(const Geos&) = delete;
  Geos& operator=(const Geos&) = delete;
};

struct GeosQuery {
  std::vector<size_t> cands;
};

void geos_collect(void* item, void* user) {
  static_cast<GeosQuery*>(user)->cands.push_back(reinterpret_cast<size_t>(item));
}

void BM_Match_GEOS(benchmark::State& state) {
  const Data& d = data(static_cast<size_t>(state.range(0)));
  Geos g(d);
  GeosQuery q;
  std::vector<size_t> out;
  size_t i = 0;
  uint64_t hits = 0;
  for (auto _ : state) {
    const geo::LatLon p = d.points[i++ & (kPoints - 1)];
    GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(g.h, p.lon, p.lat);
    q.cands.clear();
    out.clear();
    GEOSSTRtree_query_r(g.h, g.tree, pt, geos_collect, &q);
    for (size_t c : q.cands)
      if (GEOSPreparedContains_r(g.h, g.prepared[c], pt) == 1) out.push_back(c);
    GEOSGeom_destroy_r(g.h, pt);
    hits += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  report(state, hits);
}

// ---- SpatiaLite -------------------------------------------------------------------------------

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(fmt::format("{}: {}", what, sqlite3_errmsg(db)));
}

void BM_Match_SpatiaLite(benchmark::State& state) {
  const Data& d = data(static_cast<size_t>(state.range(0)));
  sqlite3* db = nullptr;
  check(db, sqlite3_open(":memory:", &db), "open");
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> owner(db, sqlite3_close);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  check(db, sqlite3_load_extension(db, "mod_spatialite", nullptr, nullptr), "load mod_spatialite");
  auto exec = [&](const std::string& sql) {
    check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
  };
  exec("SELECT InitSpatialMetadata(1, 'WGS84')");
  exec("CREATE TABLE fences(id INTEGER PRIMARY KEY)");
  exec("SELECT AddGeometryColumn('fences', 'geom', 4326, 'POLYGON', 'XY')");
  exec("SELECT CreateSpatialIndex('fences', 'geom')");
  exec("BEGIN");
  sqlite3_stmt* ins = nullptr;
  check(db,
        sqlite3_prepare_v2(db, "INSERT INTO fences(id, geom) VALUES(?1, GeomFromText(?2, 4326))", -1, &ins, nullptr),
        "prepare insert");
  for (size_t i = 0; i < d.specs.size(); ++i) {
    std::string wkt = "POLYGON((";
    const auto ring = polygon_of(d.specs[i]);
    for (size_t k = 0; k < ring.size(); ++k)
      wkt += fmt::format("{}{:.12f} {:.12f}", k ? "," : "", ring[k][0], ring[k][1]);
    wkt += "))";
    sqlite3_bind_int64(ins, 1, static_cast<int64_t>(i));
    sqlite3_bind_text(ins, 2, wkt.c_str(), -1, SQLITE_TRANSIENT);
    check(db, sqlite3_step(ins), "insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  exec("COMMIT");
  sqlite3_stmt* q = nullptr;
  check(db,
        sqlite3_prepare_v2(db,
                           "SELECT f.id FROM idx_fences_geom r JOIN fences f ON f.id = r.pkid "
                           "WHERE r.xmin <= ?1 AND r.xmax >= ?1 AND r.ymin <= ?2 AND r.ymax >= ?2 "
                           "AND ST_Contains(f.geom, MakePoint(?1, ?2, 4326)) = 1",
                           -1, &q, nullptr),
        "prepare query");
  size_t i = 0;
  uint64_t hits = 0;
  for (auto _ : state) {
    const geo::LatLon p = d.points[i++ & (kPoints - 1)];
    sqlite3_bind_double(q, 1, p.lon);
    sqlite3_bind_double(q, 2, p.lat);
    while (sqlite3_step(q) == SQLITE_ROW) ++hits;
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  report(state, hits);
}

// ---- durable verified check-ins ---------------------------------------------------------------

// One engine for every repetition (the setup writes 400 durable transactions).
struct CheckinWorld {
  std::filesystem::path dir;
  std::shared_ptr<loyalty::ManualClock> clock = std::make_shared<loyalty::ManualClock>(1772366400000);
  std::optional<loyalty::Engine> engine;
  std::optional<loyalty::Session> session;
  std::vector<std::string> customers;
  size_t n = 0;
  /// `rules`: the program also has three location rules (a first-visit bonus, a tenth-visit
  /// reward and a daily-limited regulars bonus), so every check-in evaluates them, reads their
  /// history facts and limit counters, and writes counters and the rule versions used.
  explicit CheckinWorld(bool rules)
      : dir(std::filesystem::temp_directory_path() / fmt::format("loy-geo-bench-{}-{}", ::getpid(), int(rules))) {
    using loyalty::json;
    std::filesystem::create_directories(dir);
    loyalty::EngineOptions o;
    o.storage.uri = "sqlite://" + (dir / "checkins.db").string();
    o.storage.synchronous = loyalty::SyncMode::full;
    o.clock = clock;
    o.admin_key = "bench-admin-credential-0123456789";
    engine.emplace(loyalty::Engine::open(o));
    const json t = engine->admin(o.admin_key).call("tenant.create", {{"name", "bench"}});
    session.emplace(engine->session(t["api_key"]["key"].get<std::string>()));
    session->call("program.create", {{"name", "Main"}, {"currency", "EUR"}});
    const Data& d = data(1000);
    for (int c = 0; c < 200; ++c)
      customers.push_back(session->call("customer.enroll", {{"external_id", fmt::format("c{}", c)}})["id"]);
    for (size_t k = 0; k < 200; ++k)
      session->call("location.create", {{"name", fmt::format("shop {}", k)},
                                        {"lat", d.specs[k].lat},
                                        {"lon", d.specs[k].lon},
                                        {"geofence", {{"radius_m", d.specs[k].r}}},
                                        {"checkin", {{"cooldown_s", 0}, {"points", 10}}}});
    if (!rules) return;
    const auto fixed = [](int points) { return json::array({{{"type", "fixed"}, {"points", points}}}); };
    session->call("rule.create",
                  {{"name", "first visit"},
                   {"trigger", "checkin"},
                   {"conditions", {{"fact", "checkin.first_visit"}, {"operator", "eq"}, {"value", true}}},
                   {"actions", fixed(50)}});
    session->call("rule.create",
                  {{"name", "tenth visit"},
                   {"trigger", "checkin"},
                   {"conditions", {{"fact", "checkin.location_visits"}, {"operator", "eq"}, {"value", 9}}},
                   {"actions", fixed(100)}});
    session->call("rule.create",
                  {{"name", "regulars"},
                   {"trigger", "checkin"},
                   {"conditions", {{"fact", "customer.checkins"}, {"days", 7}, {"operator", "gte"}, {"value", 3}}},
                   {"actions", fixed(5)},
                   {"limits", {{"per_customer", {{{"period", "day"}, {"points", 15}}}}}}});
  }
  ~CheckinWorld() {
    session.reset();
    engine.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  CheckinWorld(const CheckinWorld&) = delete;
  CheckinWorld& operator=(const CheckinWorld&) = delete;
};

// A verified check-in with points, end to end: verify + store + location rules (arg 1) + ledger
// earn + idempotency record, one durable transaction each (synchronous=FULL).
void BM_Checkin_Durable(benchmark::State& state) {
  using loyalty::json;
  static CheckinWorld plain(false), with_rules(true);
  CheckinWorld& w = state.range(0) ? with_rules : plain;
  const Data& d = data(1000);
  uint64_t verified = 0;
  for (auto _ : state) {
    const FenceSpec& f = d.specs[w.n % 200];
    w.clock->advance(3'600'000);  // an hour between check-ins: plausible travel
    json r = w.session->call("checkin.submit", {{"customer_id", w.customers[(w.n * 7) % 200]},
                                                {"lat", f.lat},
                                                {"lon", f.lon},
                                                {"accuracy_m", 10},
                                                {"idempotency_key", fmt::format("k{}", w.n)}});
    verified += r["checkin"]["status"] == "verified" && r["checkin"]["points"] >= 10;
    ++w.n;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["verified_with_points"] =
      benchmark::Counter(static_cast<double>(verified) / static_cast<double>(state.iterations()));
}

}  // namespace

BENCHMARK(BM_Match_Ours)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_Match_GEOS)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_Match_SpatiaLite)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_Checkin_Durable)->ArgName("rules")->Arg(0)->Arg(1)->UseRealTime();

BENCHMARK_MAIN();
