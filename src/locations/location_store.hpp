// The locations module's storage interface, in domain terms, handed out by the unit of work
// (`tx.locations()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_location_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (module stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/location_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

// `LocationStore` (`tx.locations()`, for src/locations/): locations with their shapes and the
// spatial searches, the tenant's location generation, check-ins, and the rule rows of check-ins.

struct LocationRecord {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string address;
  double lat = 0;
  double lon = 0;
  std::string fence;     // a JSON object's text: {"type": "circle", "radius_m"} or the GeoJSON
  std::string checkin;   // a JSON object's text: the check-in policy
  std::string metadata;  // a JSON object's text
  bool active = true;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

/// A longitude/latitude box in degrees; longitudes may run past +-180 (a box across the
/// antimeridian), and boxes are compared in the turns either side too.
struct GeoBox {
  double min_lon = 0;
  double max_lon = 0;
  double min_lat = 0;
  double max_lat = 0;
};

/// Where a location is for the spatial questions: its fence as a GeoJSON geometry's text (what
/// intersecting() tests) and the box the nearby and within searches find it by.
struct LocationShape {
  std::string geojson;
  GeoBox box;
};

/// A location update: the point, fence and shape are always written; absent fields keep their
/// values.
struct LocationUpdate {
  std::string tenant_id;
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> address;
  double lat = 0;
  double lon = 0;
  std::string fence;
  std::optional<std::string> checkin;
  std::optional<std::string> metadata;
  LocationShape shape;
  Timestamp updated_at = 0;
};

struct CheckinRecord {
  std::string id;
  std::string tenant_id;
  std::string customer_id;
  std::optional<std::string> location_id;
  double lat = 0;
  double lon = 0;
  double accuracy_m = 0;
  std::string device;  // a JSON object's text
  bool mock = false;
  Timestamp occurred_at = 0;
  std::string status;  // "verified" or "rejected"
  std::optional<std::string> reason;
  std::string flags;  // a JSON array's text
  std::optional<double> distance_m;
  std::optional<double> speed_kmh;
  int64_t points = 0;
  std::optional<std::string> entry_id;
  Timestamp created_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

/// A location rule version a check-in used and the points it gave.
struct CheckinRuleRecord {
  std::string checkin_id;
  std::string rule_id;
  int64_t rule_version = 0;
  int64_t points = 0;
};

/// Where and when a customer's verified check-in was (the travel-speed check's neighbours).
struct Visit {
  double lat = 0;
  double lon = 0;
  double accuracy_m = 0;
  Timestamp occurred_at = 0;
};

/// What checkins() selects: the tenant's check-ins after `after_seq`, optionally of one
/// customer, location and status, and with `signals` only the rejected ones and the verified
/// ones carrying flags, in creation order, up to `limit + 1`.
struct CheckinQuery {
  std::string tenant_id;
  int64_t after_seq = 0;
  std::optional<std::string> customer_id;
  std::optional<std::string> location_id;
  std::optional<std::string> status;
  bool signals = false;
  int64_t limit = 100;
};

struct LatLonRecord {
  double lat = 0;
  double lon = 0;
};

/// A verified check-in at a location, and whether the customer bought within two hours after.
struct CheckinVisit {
  std::string location_id;
  std::string customer_id;
  Timestamp occurred_at = 0;
  bool converted = false;
};

class LocationStore {
 public:
  virtual ~LocationStore() = default;

  /// Stores a new location (its updated_at is its created_at) with its shape.
  virtual void insert_location(const LocationRecord& l, const LocationShape& shape) = 0;
  virtual std::optional<LocationRecord> location(const std::string& tenant, const std::string& id) = 0;
  /// Whether the tenant's location is active; nullopt when the tenant has no such location.
  virtual std::optional<bool> location_active(const std::string& tenant, const std::string& id) = 0;
  /// The tenant's locations after `after_seq`, optionally only the active (or inactive) ones, in
  /// creation order: up to `limit + 1`.
  virtual std::vector<LocationRecord> locations(const std::string& tenant, int64_t after_seq,
                                                std::optional<bool> active, int64_t limit) = 0;
  virtual void update_location(const LocationUpdate& u) = 0;
  virtual void deactivate_location(const std::string& tenant, const std::string& id, Timestamp at) = 0;

  /// The tenant's active locations in creation order (the fence snapshot's source).
  virtual std::vector<LocationRecord> active_locations(const std::string& tenant) = 0;
  /// The tenant's active locations whose box meets `box`, in creation order.
  virtual std::vector<LocationRecord> active_in_box(const std::string& tenant, const GeoBox& box) = 0;
  /// The ids of the tenant's active locations whose box meets `box` and whose fence intersects
  /// the GeoJSON geometry `area` (planar, in degrees), in creation order.
  virtual std::vector<std::string> intersecting(const std::string& tenant, const GeoBox& box,
                                                const std::string& area) = 0;

  /// The generation of the tenant's location set: 0 before the first bump, then one more with
  /// every bump (every change of a location).
  virtual int64_t generation(const std::string& tenant) = 0;
  virtual void bump_generation(const std::string& tenant) = 0;

  virtual void insert_checkin(const CheckinRecord& c) = 0;
  /// Records the points a check-in earned and their ledger entry.
  virtual void set_checkin_earn(const std::string& tenant, const std::string& id, int64_t points,
                                const std::string& entry_id) = 0;
  virtual std::optional<CheckinRecord> checkin(const std::string& tenant, const std::string& id) = 0;
  virtual std::vector<CheckinRecord> checkins(const CheckinQuery& q) = 0;
  virtual void add_checkin_rule(const CheckinRuleRecord& r) = 0;
  /// The rule rows of the tenant's check-ins among `checkin_ids` (one call for a whole page), by
  /// check-in id, then rule id.
  virtual std::vector<CheckinRuleRecord> checkin_rules(const std::string& tenant,
                                                       const std::vector<std::string>& checkin_ids) = 0;
  /// The customer's latest verified check-in at or before `at` (the latest created among equal
  /// times), and the earliest one after `at` (the first created among equal times).
  virtual std::optional<Visit> verified_before(const std::string& customer, Timestamp at) = 0;
  virtual std::optional<Visit> verified_after(const std::string& customer, Timestamp at) = 0;
  /// Whether the customer has a verified check-in at the location strictly between `from` and `to`.
  virtual bool verified_between(const std::string& customer, const std::string& location, Timestamp from,
                                Timestamp to) = 0;

  // Read by the AI module (src/ai/ai.cpp) ----------------------------------------------------

  /// Where the customer's most recent verified check-in was.
  virtual std::optional<LatLonRecord> last_seen(const std::string& tenant, const std::string& customer) = 0;
  /// The point of the tenant's location.
  virtual std::optional<LatLonRecord> location_point(const std::string& tenant, const std::string& location) = 0;
  /// The ids of the tenant's active locations in creation order, at most `limit`.
  virtual std::vector<std::string> active_location_ids(const std::string& tenant, int64_t limit) = 0;
  /// The tenant's verified check-ins at a location (only `location` when given) in [from, to].
  virtual std::vector<CheckinVisit> visits(const std::string& tenant, const std::optional<std::string>& location,
                                           Timestamp from, Timestamp to) = 0;
};

}  // namespace loyalty::storage
