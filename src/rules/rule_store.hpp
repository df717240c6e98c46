// The rules module's storage interface, in domain terms, handed out by the unit of work
// (`tx.rules()`, storage/unit_of_work.hpp) and implemented for SQLite in
// src/storage/sqlite_rule_store.cpp. No SQL crosses it. Records hold raw column values; JSON documents stay
// text, parsed and written by the module. The contract every backend meets (module stores:
// ids, order, tenancy, partial updates, errors) is written in storage/unit_of_work.hpp and
// checked by tests/unit/storage/rule_store_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

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

/// An active bonus rule of a program, with the fields of its body the offers read.
struct BonusRule {
  std::string id;
  std::string name;
  std::optional<std::string> start;       // RFC 3339 text as written in the rule
  std::optional<std::string> end;         // RFC 3339 text as written in the rule
  int64_t popularity = 0;                 // purchases and check-ins that used it since the cut-off
  std::optional<std::string> conditions;  // the conditions' JSON text
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

  // Read by the AI module (src/ai/ai.cpp) ----------------------------------------------------

  /// The program's active rules of type "bonus", popularity counted from `popular_since`
  /// (at most 200, in creation order).
  virtual std::vector<BonusRule> bonus_rules(const std::string& tenant, const std::string& program,
                                             Timestamp popular_since) = 0;
};

}  // namespace loyalty::storage
