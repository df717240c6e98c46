// The storage interfaces of the modules above the foundation, in domain terms: one interface
// per module, each in its section below with what it holds. No SQL crosses them; the modules
// speak only these interfaces, and a backend implements them. Records hold raw column values:
// JSON documents (fences, policies, metadata, devices, flags, benefits, rule bodies, stored
// requests and answers) stay text, parsed and written by the modules. Every call runs inside the
// unit of work it was obtained from (`storage::Tx::locations()` ...), so a write is visible to
// later calls of the same unit and to nobody else until it commits; a unit rolled back leaves
// nothing behind.
//
// Contract every backend must meet (the conformance suites in tests/unit/storage/ check it):
// - ids: records keep the ids the caller gives them; a second record with the same id fails
//   with Status::conflict, and so does a second row where an interface names a uniqueness
//   (a tier's rank or name in its program, a coupon code, a tenant's order id, a rule version,
//   a check-in's or purchase's rule, a purchase line, a return id). Sequences come from the
//   store and increase with every insert.
// - order: lists return rows in the order each call names (creation order unless told
//   otherwise), and a page asked for `limit` rows returns up to `limit + 1` (a further row tells
//   the caller more pages follow).
// - tenancy: every lookup that takes a tenant finds only that tenant's rows, and every write
//   that takes a tenant changes only that tenant's rows. Calls keyed by an account, a customer,
//   a program, a rule or a purchase (ids unique across tenants) take no tenant.
// - partial updates: an absent (nullopt) field of an update keeps the stored value, unless the
//   update names a `set_*` flag or says the field is always written.
// - errors: a backend failure throws loyalty::Error with Status::storage (or Status::busy when
//   another writer holds the database past the deadline); a spatial call on a backend without
//   its spatial extension throws Status::unavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

// Locations and check-ins ----------------------------------------------------------------------
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
};

// Tiers ----------------------------------------------------------------------------------------
// `TierStore` (`tx.tiers()`, for src/tiers/): tier policies, definitions, qualifying activity per
// account and local day, account tier state (decision, grace, notice, next review) and history.

/// A program's tier qualification policy.
struct TierPolicyRecord {
  std::string program_id;
  std::string tenant_id;
  std::string metric;  // "points", "spend" or "visits"
  std::string window_kind;
  int64_t window_months = 0;
  std::string downgrade;
  int64_t grace_days = 0;
  int64_t notice_days = 0;
  Timestamp updated_at = 0;
};

struct TierRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string name;
  int64_t rank = 0;
  int64_t threshold = 0;
  std::string benefits;  // a JSON object's text
  std::optional<std::string> icon_url;
  bool invitation_only = false;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
};

/// A tier's editable fields, all written (the program, rank and creation time stay).
struct TierUpdate {
  std::string tenant_id;
  std::string id;
  std::string name;
  int64_t threshold = 0;
  std::string benefits;
  std::optional<std::string> icon_url;
  bool invitation_only = false;
  Timestamp updated_at = 0;
};

/// An account's tier state (one row per account once it had a tier decision).
struct AccountTierRecord {
  int64_t account_id = 0;
  std::string tenant_id;
  std::string program_id;
  std::string customer_id;
  Timestamp opened_at = 0;  // the account's
  std::optional<std::string> tier_id;
  Timestamp since = 0;  // when the tier (or the manual flag) last changed
  bool manual = false;
  std::optional<Timestamp> manual_until;
  std::optional<Timestamp> window_end;   // the next review
  std::optional<Timestamp> grace_until;  // read back only: set by set_grace
  std::optional<Timestamp> noticed_at;   // read back only: set by set_noticed
};

/// A row of an account's tier history.
struct TierChangeRecord {
  std::string tenant_id;
  int64_t account_id = 0;
  std::optional<std::string> from_tier;
  std::optional<std::string> to_tier;
  std::string reason;
  int64_t metric = 0;
  Timestamp at = 0;
  int64_t seq = 0;  // read back only: the history order
};

class TierStore {
 public:
  virtual ~TierStore() = default;

  virtual std::optional<TierPolicyRecord> policy(const std::string& tenant, const std::string& program) = 0;
  /// Stores the program's policy, replacing the one it had.
  virtual void put_policy(const TierPolicyRecord& p) = 0;
  /// The programs of the tenant with a policy (only those counting `metric` when given), by id.
  virtual std::vector<std::string> policy_programs(const std::string& tenant,
                                                   const std::optional<std::string>& metric) = 0;

  /// Stores a new tier; a second tier of the program with the same rank or name fails with
  /// Status::conflict.
  virtual void insert_tier(const TierRecord& t) = 0;
  virtual std::optional<TierRecord> tier(const std::string& tenant, const std::string& id) = 0;
  /// The tenant's program's tiers, lowest rank first.
  virtual std::vector<TierRecord> tiers(const std::string& tenant, const std::string& program) = 0;
  virtual void update_tier(const TierUpdate& u) = 0;

  /// The sum of the account's `metric` ("points", "spend" or "visits") over local days in
  /// [from_day, to_day); nullopt bounds are open.
  virtual int64_t activity(int64_t account, const std::string& metric, std::optional<int64_t> from_day,
                           std::optional<int64_t> to_day) = 0;
  /// Adds `amount` of `metric` to the account's local `day`.
  virtual void add_activity(int64_t account, int64_t day, const std::string& metric, int64_t amount) = 0;

  virtual std::optional<AccountTierRecord> account_tier(int64_t account) = 0;
  /// The definition of the tier the account holds; nullopt when it holds none.
  virtual std::optional<TierRecord> held_tier(int64_t account) = 0;
  /// Records the account's tier decision: its tier, manual flag and next review from `since`;
  /// a running grace period and a sent notice end.
  virtual void set_account_tier(const AccountTierRecord& a) = 0;
  virtual void set_grace(int64_t account, std::optional<Timestamp> until) = 0;
  /// Moves the account's next review; a sent notice belongs to the old one and ends.
  virtual void set_window_end(int64_t account, std::optional<Timestamp> window_end) = 0;
  virtual void set_noticed(int64_t account, Timestamp at) = 0;
  /// The program's accounts with something due: a review at or before `review_by`, or a manual
  /// assignment or grace period ending at or before `cutoff`; by account id.
  virtual std::vector<AccountTierRecord> due(const std::string& program, Timestamp review_by, Timestamp cutoff) = 0;

  virtual void add_change(const TierChangeRecord& c) = 0;
  /// The account's history after `after_seq` in order: up to `limit + 1`.
  virtual std::vector<TierChangeRecord> changes(int64_t account, int64_t after_seq, int64_t limit) = 0;
};

// Rewards and redemptions ----------------------------------------------------------------------
// `RewardStore` (`tx.rewards()`, for src/rewards/): the catalog with its stock, redemptions, and
// the figures `ledger.verify` checks.

struct RewardRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string name;
  std::string description;
  std::optional<std::string> image_url;
  std::optional<std::string> category;
  int64_t cost_points = 0;
  std::optional<int64_t> stock;           // units left; nullopt: unlimited
  std::optional<int64_t> stock_supplied;  // read back only: the stock plus the active redemptions
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
  std::optional<std::string> min_tier_id;
  std::optional<int64_t> per_customer_limit;
  std::optional<std::string> limit_period;
  int64_t reservation_ttl_s = 0;
  bool refundable = false;
  std::string metadata;  // a JSON object's text
  bool active = true;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

/// A partial reward update: absent fields keep their values; the nullable fields are written
/// only when their `set_*` flag is on (nullopt then clears them); the window is always written.
struct RewardUpdate {
  std::string tenant_id;
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  bool set_image_url = false;
  std::optional<std::string> image_url;
  bool set_category = false;
  std::optional<std::string> category;
  std::optional<int64_t> cost_points;
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
  bool set_min_tier = false;
  std::optional<std::string> min_tier_id;
  bool set_limit = false;  // per_customer_limit and limit_period together
  std::optional<int64_t> per_customer_limit;
  std::optional<std::string> limit_period;
  std::optional<int64_t> reservation_ttl_s;
  std::optional<bool> refundable;
  std::optional<std::string> metadata;
  std::optional<bool> active;
  Timestamp updated_at = 0;
};

/// What each_reward() visits: the tenant's rewards after `after_seq`, optionally of one program,
/// category and state, and with `available_at` only those redeemable then (active, in stock,
/// inside their window), in creation order.
struct RewardQuery {
  std::string tenant_id;
  int64_t after_seq = 0;
  std::optional<std::string> program_id;
  std::optional<std::string> category;
  std::optional<bool> active;
  std::optional<Timestamp> available_at;
};

struct RedemptionRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string reward_id;
  std::string customer_id;
  int64_t account_id = 0;
  int64_t points = 0;
  std::string status;  // reserved, fulfilled, cancelled, expired
  std::string coupon_code;
  std::optional<std::string> hold_id;
  std::optional<std::string> entry_id;
  std::optional<std::string> refund_entry_id;
  std::optional<Timestamp> expires_at;
  Timestamp occurred_at = 0;
  Timestamp created_at = 0;
  std::optional<Timestamp> fulfilled_at;
  std::optional<Timestamp> cancelled_at;  // read back only
  std::optional<Timestamp> expired_at;    // read back only
  Timestamp updated_at = 0;               // read back only: created_at until a change
  int64_t seq = 0;                        // read back only: the creation order
  std::string reward_name;                // read back only: the reward's current name
};

/// What redemptions() selects: the tenant's customer's redemptions after `after_seq`, optionally
/// of one reward and status, in creation order, up to `limit + 1`.
struct RedemptionQuery {
  std::string tenant_id;
  std::string customer_id;
  int64_t after_seq = 0;
  std::optional<std::string> reward_id;
  std::optional<std::string> status;
  int64_t limit = 100;
};

/// A reward's stock figures for `ledger.verify`.
struct RewardStock {
  std::string reward_id;
  std::string program_id;
  std::optional<int64_t> stock;
  std::optional<int64_t> stock_supplied;
  int64_t active_redemptions = 0;  // reserved or fulfilled
};

class RewardStore {
 public:
  virtual ~RewardStore() = default;

  /// Stores a new reward with the next sequence; its supplied stock is its stock, its
  /// updated_at its created_at.
  virtual void insert_reward(const RewardRecord& r) = 0;
  virtual std::optional<RewardRecord> reward(const std::string& tenant, const std::string& id) = 0;
  /// Calls `visit` with the rewards `q` selects, in creation order, until it returns false.
  virtual void each_reward(const RewardQuery& q, const std::function<bool(const RewardRecord&)>& visit) = 0;
  virtual void update_reward(const RewardUpdate& u) = 0;
  virtual void deactivate_reward(const std::string& tenant, const std::string& id, Timestamp at) = 0;
  /// Sets the units left (nullopt: unlimited); the supplied stock moves with it, so supplied -
  /// active redemptions = stock holds.
  virtual void set_stock(const std::string& tenant, const std::string& id, std::optional<int64_t> stock,
                         Timestamp at) = 0;
  /// Takes one unit of a limited stock; false when none is left (or the stock is unlimited).
  virtual bool take_unit(const std::string& tenant, const std::string& id, Timestamp at) = 0;
  /// Puts one unit back into a limited stock (an unlimited stock stays so).
  virtual void return_unit(const std::string& tenant, const std::string& id, Timestamp at) = 0;

  /// Stores a new redemption with the next sequence (its updated_at is its created_at); a
  /// second redemption with the same id or coupon code fails with Status::conflict.
  virtual void insert_redemption(const RedemptionRecord& r) = 0;
  virtual std::optional<RedemptionRecord> redemption(const std::string& tenant, const std::string& id) = 0;
  virtual std::optional<RedemptionRecord> by_code(const std::string& tenant, const std::string& coupon_code) = 0;
  virtual std::vector<RedemptionRecord> redemptions(const RedemptionQuery& q) = 0;
  /// The ids of the tenant's reservations expiring at or before `cutoff` (of one reward, or all),
  /// soonest first, then in creation order.
  virtual std::vector<std::string> due_reservations(const std::string& tenant, Timestamp cutoff,
                                                    const std::optional<std::string>& reward) = 0;
  /// The customer's active (reserved or fulfilled) redemptions of the reward, all or those that
  /// occurred in [from, to).
  virtual int64_t active_redemptions(const std::string& reward, const std::string& customer,
                                     std::optional<std::pair<Timestamp, Timestamp>> during) = 0;
  /// Status changes: fulfilled (with its redeem entry when given), cancelled (with its refund
  /// entry when given), expired; each at `at`.
  virtual void fulfil(const std::string& tenant, const std::string& id, const std::optional<std::string>& entry_id,
                      Timestamp at) = 0;
  virtual void cancel(const std::string& tenant, const std::string& id, const std::optional<std::string>& refund_entry,
                      Timestamp at) = 0;
  virtual void expire(const std::string& tenant, const std::string& id, Timestamp at) = 0;

  /// The tenant's rewards' stock figures in creation order.
  virtual std::vector<RewardStock> stock_figures(const std::string& tenant) = 0;
  /// The tenant's redemptions not backed by the ledger: reserved without a hold, or cancelled
  /// after fulfilment without a refund entry.
  virtual std::vector<RedemptionRecord> unbacked(const std::string& tenant) = 0;
};

// Rules and purchases --------------------------------------------------------------------------
// `RuleStore` (`tx.rules()`, for src/rules/rules.cpp): rules with their versions and the
// per-program generation, limit state, the history facts rules read, and purchases with their
// items, the rule versions they used and their returns.

struct RuleRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  int64_t version = 1;
  bool active = true;
  std::string body;  // a JSON object's text: the rule's definition (without id, program, state)
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  int64_t seq = 0;  // read back only: the creation order
};

/// A stored version of a rule's body and when it was written.
struct RuleVersionRecord {
  std::string body;
  Timestamp created_at = 0;
};

/// What rules() selects: the tenant's rules after `after_seq`, optionally of one program and
/// state, in creation order, up to `limit + 1`.
struct RuleQuery {
  std::string tenant_id;
  std::optional<std::string> program_id;
  std::optional<bool> active;
  int64_t after_seq = 0;
  int64_t limit = 100;
};

/// A customer's purchases in a program up to a time: how many, and the latest one's time.
struct PurchaseStats {
  int64_t count = 0;
  std::optional<Timestamp> last_at;
};

/// A customer's verified check-ins at a location: all of them (any time), and those up to a time.
struct LocationVisits {
  int64_t all = 0;
  int64_t up_to = 0;
};

struct PurchaseRecord {
  std::string id;
  std::string tenant_id;
  std::string program_id;
  std::string customer_id;
  std::string order_id;
  Timestamp occurred_at = 0;
  int64_t amount = 0;
  std::string currency;
  int64_t points = 0;
  std::optional<std::string> entry_id;
  int64_t items_total = 0;
  bool has_items = false;
  std::string request;  // the submitted input's JSON text
  std::string result;   // the answer's JSON text
  Timestamp created_at = 0;
  int64_t reversed_points = 0;  // read back only: changed by record_return
  int64_t returned_value = 0;   // read back only
  bool fully_returned = false;  // read back only
};

struct PurchaseItemRecord {
  std::string purchase_id;
  int64_t line = 0;
  std::string sku;
  int64_t quantity = 0;
  int64_t unit_price = 0;
  int64_t returned = 0;  // read back only: changed by return_items
};

/// A rule version a purchase used and the points it gave.
struct PurchaseRuleRecord {
  std::string purchase_id;
  std::string rule_id;
  int64_t rule_version = 0;
  int64_t points = 0;
};

/// A stored request and its answer, replayed when the same request comes again.
struct StoredReply {
  std::string request;
  std::string result;
};

class RuleStore {
 public:
  virtual ~RuleStore() = default;

  /// Stores a new rule and its first version (its body at its creation time).
  virtual void insert_rule(const RuleRecord& r) = 0;
  virtual std::optional<RuleRecord> rule(const std::string& tenant, const std::string& id) = 0;
  virtual std::vector<RuleRecord> rules(const RuleQuery& q) = 0;
  /// The program's rules (active or not) in creation order: what its plans compile.
  virtual std::vector<RuleRecord> program_rules(const std::string& program) = 0;
  /// Writes a new version of the tenant's rule: its body and version, kept as a version too.
  virtual void update_rule(const std::string& tenant, const std::string& id, int64_t version, const std::string& body,
                           Timestamp at) = 0;
  virtual void set_rule_active(const std::string& tenant, const std::string& id, bool active, Timestamp at) = 0;
  virtual std::optional<RuleVersionRecord> rule_version(const std::string& rule, int64_t version) = 0;
  /// The program's rules generation: 0 before the first bump, then one more with every bump.
  virtual int64_t generation(const std::string& program) = 0;
  virtual void bump_generation(const std::string& program) = 0;

  /// Limit state: the points a rule gave the customer in a period (by its key), the rule's
  /// issued budget, and its latest award to the customer; nullopt when nothing was recorded.
  virtual std::optional<int64_t> counter(const std::string& rule, const std::string& customer,
                                         const std::string& period, int64_t period_key) = 0;
  virtual std::optional<int64_t> budget_issued(const std::string& rule) = 0;
  virtual std::optional<Timestamp> last_award(const std::string& rule, const std::string& customer) = 0;
  virtual void add_counter(const std::string& rule, const std::string& customer, const std::string& period,
                           int64_t period_key, int64_t points) = 0;
  virtual void add_budget(const std::string& rule, int64_t points) = 0;
  /// Records an award at `at`; the latest award time is kept.
  virtual void record_award(const std::string& rule, const std::string& customer, Timestamp at) = 0;

  /// History facts: purchases in the program up to `at`; purchases (their number, their amounts)
  /// and verified check-ins anywhere in (from, to]; verified check-ins at the location.
  virtual PurchaseStats purchase_stats(const std::string& customer, const std::string& program, Timestamp at) = 0;
  virtual int64_t purchases_between(const std::string& customer, const std::string& program, Timestamp from,
                                    Timestamp to) = 0;
  virtual int64_t spend_between(const std::string& customer, const std::string& program, Timestamp from,
                                Timestamp to) = 0;
  virtual int64_t checkins_between(const std::string& customer, Timestamp from, Timestamp to) = 0;
  virtual LocationVisits location_visits(const std::string& customer, const std::string& location, Timestamp at) = 0;
  virtual int64_t location_visits_between(const std::string& customer, const std::string& location, Timestamp from,
                                          Timestamp to) = 0;

  /// Stores a purchase (nothing returned yet); a second purchase with the same id, or the same
  /// order id in its tenant, fails with Status::conflict.
  virtual void insert_purchase(const PurchaseRecord& p) = 0;
  /// The request and answer of the tenant's order, for a replay.
  virtual std::optional<StoredReply> order_reply(const std::string& tenant, const std::string& order_id) = 0;
  virtual std::optional<PurchaseRecord> purchase_by_order(const std::string& tenant, const std::string& order_id) = 0;
  virtual void add_purchase_item(const PurchaseItemRecord& i) = 0;
  virtual void add_purchase_rule(const PurchaseRuleRecord& r) = 0;
  /// The purchase's lines of `sku` with units left to return, by line.
  virtual std::vector<PurchaseItemRecord> returnable_items(const std::string& purchase, const std::string& sku) = 0;
  /// Marks `quantity` more units of the line returned; return_all_items marks every unit.
  virtual void return_items(const std::string& purchase, int64_t line, int64_t quantity) = 0;
  virtual void return_all_items(const std::string& purchase) = 0;
  /// The purchase's lines with units left to return.
  virtual int64_t lines_outstanding(const std::string& purchase) = 0;
  /// Records a return: `points` more reversed, the returned value so far, whether all came back.
  virtual void record_return(const std::string& tenant, const std::string& purchase, int64_t points,
                             int64_t returned_value, bool fully_returned) = 0;
  /// A return's stored request and answer; storing one twice fails with Status::conflict.
  virtual std::optional<StoredReply> return_reply(const std::string& purchase, const std::string& return_id) = 0;
  virtual void insert_return(const std::string& purchase, const std::string& return_id, const StoredReply& reply,
                             Timestamp at) = 0;
};

}  // namespace loyalty::storage
