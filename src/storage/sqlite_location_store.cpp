// The SQLite backend of LocationStore: locations (with their SpatiaLite geometry and R*Tree box),
// the tenant's location generation, and check-ins with the rules they used.

#include <map>

#include <nlohmann/json.hpp>

#include "locations/location_store.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {
namespace {

#define LOY_LOCATION_COLS \
  "id, tenant_id, name, address, lat, lon, fence, checkin, metadata, active, created_at, updated_at, seq"

LocationRecord location_row(Query& q) {
  LocationRecord l;
  l.id = q.text(0);
  l.tenant_id = q.text(1);
  l.name = q.text(2);
  l.address = q.text(3);
  l.lat = q.f64(4);
  l.lon = q.f64(5);
  l.fence = q.text(6);
  l.checkin = q.text(7);
  l.metadata = q.text(8);
  l.active = q.i64(9) != 0;
  l.created_at = q.i64(10);
  l.updated_at = q.i64(11);
  l.seq = q.i64(12);
  return l;
}

#define LOY_CHECKIN_COLS                                                                                       \
  "id, tenant_id, customer_id, location_id, lat, lon, accuracy_m, device, mock, occurred_at, status, reason, " \
  "flags, distance_m, speed_kmh, points, entry_id, created_at, seq"

std::optional<double> opt_f64(Query& q, int col) {
  if (q.is_null(col)) return std::nullopt;
  return q.f64(col);
}

CheckinRecord checkin_row(Query& q) {
  CheckinRecord c;
  c.id = q.text(0);
  c.tenant_id = q.text(1);
  c.customer_id = q.text(2);
  c.location_id = q.opt_text(3);
  c.lat = q.f64(4);
  c.lon = q.f64(5);
  c.accuracy_m = q.f64(6);
  c.device = q.text(7);
  c.mock = q.i64(8) != 0;
  c.occurred_at = q.i64(9);
  c.status = q.text(10);
  c.reason = q.opt_text(11);
  c.flags = q.text(12);
  c.distance_m = opt_f64(q, 13);
  c.speed_kmh = opt_f64(q, 14);
  c.points = q.i64(15);
  c.entry_id = q.opt_text(16);
  c.created_at = q.i64(17);
  c.seq = q.i64(18);
  return c;
}

// The boxes meet when they overlap in one of the three turns (-360, 0, +360 degrees of shift).
constexpr double kTurns[] = {-360.0, 0.0, 360.0};

#define LOY_BOX_MEETS                                                                  \
  "FROM locations_rtree r JOIN locations l ON l.seq = r.seq "                          \
  "WHERE r.max_lon >= ?1 AND r.min_lon <= ?2 AND r.max_lat >= ?3 AND r.min_lat <= ?4 " \
  "AND l.tenant_id = ?5 AND l.active = 1"

class SqliteLocationStore final : public LocationStore {
 public:
  explicit SqliteLocationStore(Tx& tx) : tx_(tx) {}

  void insert_location(const LocationRecord& l, const LocationShape& shape) override {
    tx_.q("INSERT INTO locations(id, tenant_id, name, address, lat, lon, fence, checkin, metadata, active, "
          "created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
          l.id, l.tenant_id, l.name, l.address, l.lat, l.lon, l.fence, l.checkin, l.metadata, l.active, l.created_at)
        .run();
    write_shape(sqlite3_last_insert_rowid(tx_.conn().handle()), shape);
  }

  std::optional<LocationRecord> location(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_LOCATION_COLS " FROM locations WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return location_row(q);
  }

  std::optional<bool> location_active(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT active FROM locations WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return q.i64(0) != 0;
  }

  std::vector<LocationRecord> locations(const std::string& tenant, int64_t after_seq, std::optional<bool> active,
                                        int64_t limit) override {
    auto q = tx_.q("SELECT " LOY_LOCATION_COLS
                   " FROM locations WHERE tenant_id = ?1 AND seq > ?2 AND (?3 IS NULL OR active = ?3) "
                   "ORDER BY seq LIMIT ?4",
                   tenant, after_seq, active, limit + 1);
    return collect(q, location_row);
  }

  void update_location(const LocationUpdate& u) override {
    tx_.q("UPDATE locations SET name = COALESCE(?3, name), address = COALESCE(?4, address), lat = ?5, lon = ?6, "
          "fence = ?7, checkin = COALESCE(?8, checkin), metadata = COALESCE(?9, metadata), updated_at = ?10 "
          "WHERE id = ?1 AND tenant_id = ?2",
          u.id, u.tenant_id, u.name, u.address, u.lat, u.lon, u.fence, u.checkin, u.metadata, u.updated_at)
        .run();
    auto q = tx_.q("SELECT seq FROM locations WHERE id = ?1 AND tenant_id = ?2", u.id, u.tenant_id);
    if (q.step()) write_shape(q.i64(0), u.shape);
  }

  void deactivate_location(const std::string& tenant, const std::string& id, Timestamp at) override {
    tx_.q("UPDATE locations SET active = 0, updated_at = ?3 WHERE id = ?1 AND tenant_id = ?2", id, tenant, at).run();
  }

  std::vector<LocationRecord> active_locations(const std::string& tenant) override {
    auto q =
        tx_.q("SELECT " LOY_LOCATION_COLS " FROM locations WHERE tenant_id = ?1 AND active = 1 ORDER BY seq", tenant);
    return collect(q, location_row);
  }

  std::vector<LocationRecord> active_in_box(const std::string& tenant, const GeoBox& b) override {
    std::map<int64_t, LocationRecord> found;  // by sequence: creation order, each once
    for (double shift : kTurns) {
      auto q = tx_.q(
          "SELECT l.id, l.tenant_id, l.name, l.address, l.lat, l.lon, l.fence, l.checkin, l.metadata, "
          "l.active, l.created_at, l.updated_at, l.seq " LOY_BOX_MEETS,
          b.min_lon + shift, b.max_lon + shift, b.min_lat, b.max_lat, tenant);
      while (q.step()) {
        LocationRecord l = location_row(q);
        found.emplace(l.seq, std::move(l));
      }
    }
    std::vector<LocationRecord> out;
    for (auto& [seq, l] : found) out.push_back(std::move(l));
    return out;
  }

  std::vector<std::string> intersecting(const std::string& tenant, const GeoBox& b, const std::string& area) override {
    tx_.conn().load_spatialite();
    std::map<int64_t, std::string> found;
    for (double shift : kTurns) {
      // SpatiaLite's planar predicate on the stored geometry (coordinates in degrees).
      auto q = tx_.q("SELECT l.seq, l.id " LOY_BOX_MEETS
                     " AND ST_Intersects(l.geom, SetSRID(GeomFromGeoJSON(?6), 4326)) = 1",
                     b.min_lon + shift, b.max_lon + shift, b.min_lat, b.max_lat, tenant, area);
      while (q.step()) found.emplace(q.i64(0), q.text(1));
    }
    std::vector<std::string> out;
    for (auto& [seq, id] : found) out.push_back(std::move(id));
    return out;
  }

  int64_t generation(const std::string& tenant) override {
    auto q = tx_.q("SELECT generation FROM location_generations WHERE tenant_id = ?1", tenant);
    return q.step() ? q.i64(0) : 0;
  }

  void bump_generation(const std::string& tenant) override {
    tx_.q("INSERT INTO location_generations(tenant_id, generation) VALUES(?1, 1) "
          "ON CONFLICT(tenant_id) DO UPDATE SET generation = generation + 1",
          tenant)
        .run();
  }

  void insert_checkin(const CheckinRecord& c) override {
    tx_.q("INSERT INTO checkins(id, tenant_id, customer_id, location_id, lat, lon, accuracy_m, device, mock, "
          "occurred_at, status, reason, flags, distance_m, speed_kmh, points, entry_id, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
          c.id, c.tenant_id, c.customer_id, c.location_id, c.lat, c.lon, c.accuracy_m, c.device, c.mock, c.occurred_at,
          c.status, c.reason, c.flags, c.distance_m, c.speed_kmh, c.points, c.entry_id, c.created_at)
        .run();
  }

  void set_checkin_earn(const std::string& tenant, const std::string& id, int64_t points,
                        const std::string& entry_id) override {
    tx_.q("UPDATE checkins SET points = ?3, entry_id = ?4 WHERE id = ?1 AND tenant_id = ?2", id, tenant, points,
          entry_id)
        .run();
  }

  std::optional<CheckinRecord> checkin(const std::string& tenant, const std::string& id) override {
    auto q = tx_.q("SELECT " LOY_CHECKIN_COLS " FROM checkins WHERE id = ?1 AND tenant_id = ?2", id, tenant);
    if (!q.step()) return std::nullopt;
    return checkin_row(q);
  }

  std::vector<CheckinRecord> checkins(const CheckinQuery& c) override {
    auto q = tx_.q("SELECT " LOY_CHECKIN_COLS
                   " FROM checkins WHERE tenant_id = ?1 AND seq > ?2 "
                   "AND (?3 IS NULL OR customer_id = ?3) AND (?4 IS NULL OR location_id = ?4) "
                   "AND (?5 IS NULL OR status = ?5) AND (?6 = 0 OR status = 'rejected' OR flags <> '[]') "
                   "ORDER BY seq LIMIT ?7",
                   c.tenant_id, c.after_seq, c.customer_id, c.location_id, c.status, c.signals, c.limit + 1);
    return collect(q, checkin_row);
  }

  void add_checkin_rule(const CheckinRuleRecord& r) override {
    tx_.q("INSERT INTO checkin_rules(checkin_id, rule_id, rule_version, points) VALUES(?1, ?2, ?3, ?4)", r.checkin_id,
          r.rule_id, r.rule_version, r.points)
        .run();
  }

  std::vector<CheckinRuleRecord> checkin_rules(const std::string& tenant,
                                               const std::vector<std::string>& checkin_ids) override {
    if (checkin_ids.empty()) return {};
    // The ids travel as one JSON array, so the statement text (and its cached plan) is the same
    // for every page size.
    auto q = tx_.q(
        "SELECT r.checkin_id, r.rule_id, r.rule_version, r.points FROM checkin_rules r "
        "JOIN checkins c ON c.id = r.checkin_id "
        "WHERE r.checkin_id IN (SELECT value FROM json_each(?2)) AND c.tenant_id = ?1 "
        "ORDER BY r.checkin_id, r.rule_id",
        tenant, nlohmann::json(checkin_ids).dump());
    return collect(q, [](Query& r) { return CheckinRuleRecord{r.text(0), r.text(1), r.i64(2), r.i64(3)}; });
  }

  std::optional<Visit> verified_before(const std::string& customer, Timestamp at) override {
    auto q = tx_.q(
        "SELECT lat, lon, accuracy_m, occurred_at FROM checkins WHERE customer_id = ?1 AND status = 'verified' "
        "AND occurred_at <= ?2 ORDER BY occurred_at DESC, seq DESC LIMIT 1",
        customer, at);
    return visit(q);
  }

  std::optional<Visit> verified_after(const std::string& customer, Timestamp at) override {
    auto q = tx_.q(
        "SELECT lat, lon, accuracy_m, occurred_at FROM checkins WHERE customer_id = ?1 AND status = 'verified' "
        "AND occurred_at > ?2 ORDER BY occurred_at, seq LIMIT 1",
        customer, at);
    return visit(q);
  }

  bool verified_between(const std::string& customer, const std::string& location, Timestamp from,
                        Timestamp to) override {
    return tx_
        .q("SELECT 1 FROM checkins WHERE customer_id = ?1 AND location_id = ?2 AND status = 'verified' "
           "AND occurred_at > ?3 AND occurred_at < ?4 LIMIT 1",
           customer, location, from, to)
        .step();
  }

  // Read by the AI module ------------------------------------------------------------------

  std::optional<LatLonRecord> last_seen(const std::string& tenant, const std::string& customer) override {
    auto q = tx_.q(
        "SELECT lat, lon FROM checkins WHERE customer_id = ?1 AND status = 'verified' AND tenant_id = ?2 ORDER BY "
        "occurred_at DESC, seq DESC LIMIT 1",
        customer, tenant);
    if (!q.step()) return std::nullopt;
    return LatLonRecord{q.f64(0), q.f64(1)};
  }

  std::optional<LatLonRecord> location_point(const std::string& tenant, const std::string& location) override {
    auto q = tx_.q("SELECT lat, lon FROM locations WHERE id = ?1 AND tenant_id = ?2", location, tenant);
    if (!q.step()) return std::nullopt;
    return LatLonRecord{q.f64(0), q.f64(1)};
  }

  std::vector<std::string> active_location_ids(const std::string& tenant, int64_t limit) override {
    auto q = tx_.q("SELECT id FROM locations WHERE tenant_id = ?1 AND active = 1 ORDER BY seq LIMIT ?2", tenant, limit);
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.text(0));
    return out;
  }

  std::vector<CheckinVisit> visits(const std::string& tenant, const std::optional<std::string>& location,
                                   Timestamp from, Timestamp to) override {
    // A check-in converts when the same customer buys within two hours after it.
    auto q = tx_.q(
        "SELECT c.location_id, c.customer_id, c.occurred_at, EXISTS(SELECT 1 FROM purchases p WHERE p.customer_id = "
        "c.customer_id AND p.tenant_id = c.tenant_id AND p.occurred_at >= c.occurred_at AND p.occurred_at <= "
        "c.occurred_at + 7200000) FROM checkins c WHERE c.tenant_id = ?1 AND c.status = 'verified' AND "
        "c.location_id IS NOT NULL AND (?2 IS NULL OR c.location_id = ?2) AND c.occurred_at >= ?3 AND c.occurred_at "
        "<= ?4",
        tenant, location, from, to);
    std::vector<CheckinVisit> out;
    while (q.step()) out.push_back({q.text(0), q.text(1), q.i64(2), q.i64(3) != 0});
    return out;
  }

 private:
  static std::optional<Visit> visit(Query& q) {
    if (!q.step()) return std::nullopt;
    return Visit{q.f64(0), q.f64(1), q.f64(2), q.i64(3)};
  }

  // Writes the SpatiaLite geometry and the R*Tree box of the location with this sequence.
  void write_shape(int64_t seq, const LocationShape& s) {
    tx_.conn().load_spatialite();
    tx_.q("UPDATE locations SET geom = SetSRID(GeomFromGeoJSON(?2), 4326) WHERE seq = ?1", seq, s.geojson).run();
    tx_.q("INSERT OR REPLACE INTO locations_rtree(seq, min_lon, max_lon, min_lat, max_lat) VALUES(?1, ?2, ?3, ?4, ?5)",
          seq, s.box.min_lon, s.box.max_lon, s.box.min_lat, s.box.max_lat)
        .run();
  }

  Tx& tx_;
};

}  // namespace

LocationStore& Tx::locations() {
  if (!locations_) locations_ = std::make_unique<SqliteLocationStore>(*this);
  return *locations_;
}

#undef LOY_LOCATION_COLS
#undef LOY_CHECKIN_COLS
#undef LOY_BOX_MEETS

}  // namespace loyalty::storage
