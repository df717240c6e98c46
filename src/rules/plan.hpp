// The rules language's pure core (no database): parsing and validation of rule JSON, compilation
// of a program's rules into an immutable evaluation plan, and evaluation of a purchase against
// the plan with the explain trace and the stateful limits. docs/rules.md is the language's
// reference; docs/schema/rule.schema.json its JSON Schema.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decimal.hpp"
#include "loyalty/core/time.hpp"
#include "loyalty/core/timezone.hpp"

namespace loyalty::rules {

using nlohmann::json;

/// Symbol sets up to this size get their own small table (SymbolSet); larger ones are looked up
/// among all the plan's symbols.
inline constexpr size_t kLinearSymbols = 12;
/// Entries of a small set's open-addressed table (a power of two, over twice kLinearSymbols, so
/// every probe sequence meets an empty entry).
inline constexpr uint32_t kSetTable = 32;

/// 128-bit intermediates of points arithmetic (a GCC/Clang extension).
__extension__ typedef __int128 i128;

/// Decimals (rates, multipliers) are integers scaled by 10^6: "1.5" is 1'500'000; they are read
/// by the engine's one decimal parser (core/decimal.hpp).
inline constexpr int64_t kScale = detail::kDecimalScale;
using detail::parse_decimal;

enum class Rounding : uint8_t { floor, ceil, half_up, half_even };
/// "floor" | "ceil" | "half_up" | "half_even" (the program's rounding); invalid otherwise.
Rounding rounding_from(std::string_view name);
/// num / den rounded by `mode`; num >= 0, den > 0.
int64_t round_div(i128 num, i128 den, Rounding mode);

enum class Period : uint8_t { day, week, month, year, lifetime };
const char* period_name(Period p);
/// The key of the period holding local civil date `d` (day: days since 1970-01-01; week: the
/// days number of its Monday; month: year*12+month-1; year: the year; lifetime: 0).
int64_t period_key(Period p, const CivilDate& d);

/// What a rule reacts to (its `trigger` field): a purchase (`purchase.submit`, the default) or a
/// verified check-in (`checkin.submit`: location rules). Each program has one plan per trigger.
enum class Trigger : uint8_t { purchase, checkin };
const char* trigger_name(Trigger t);

/// One rule as stored: validated and normalised JSON plus its identity.
struct RuleSource {
  std::string id;
  int64_t version = 1;
  int64_t seq = 0;  // creation order: ties of priority run oldest first
  json body;        // the validated rule (see validate_rule)
};

/// Validates a rule body (create/update input without id/program_id). Throws
/// loyalty::Error(Status::invalid) naming the JSON path of the offending field under `path`
/// (e.g. "conditions.all[2].operator"). Returns the normalised body (defaults filled in).
json validate_rule(const json& body, const std::string& path = {});
/// Whether `key` is a field of a rule body.
bool is_rule_field(std::string_view key);

// ---------------------------------------------------------------------------------------------
// The compiled plan

enum class Type : uint8_t { integer, string, strings, boolean, date, time, decimal, any };

enum class Op : uint8_t {
  eq,
  ne,
  lt,
  lte,
  gt,
  gte,
  in,
  not_in,
  between,
  contains,
  contains_any,
  contains_all,
  starts_with,
  exists
};

enum class NodeKind : uint8_t { all, any, not_, leaf, any_item, all_items, item_leaf };

/// A leaf's comparison fused with the type of the value it reads, chosen when the plan compiles,
/// so evaluating a leaf is one dispatch. Leaves whose value's type is only known per event
/// (customer attributes), `exists` and the item sums take the general path (`general`).
enum class Test : uint8_t {
  general,
  int_eq,
  int_ne,
  int_lt,
  int_lte,
  int_gt,
  int_gte,
  int_in,
  int_not_in,
  int_between,
  time_between_wrap,  // a time-of-day range across midnight (22:00..02:00)
  sym_eq,
  sym_ne,
  sym_in,
  sym_not_in,
  bool_eq,
  bool_ne,
};

/// Fixed fact slots; parametric facts (visits/spend over N days, attributes) get slots after these.
enum Slot : int32_t {
  kAmount,
  kCurrency,
  kChannel,
  kLocationId,
  kItemCount,
  kTier,
  kSegments,
  kBirthday,
  kIsBirthday,
  kIsBirthdayMonth,
  kFirstPurchase,
  kDaysSinceLast,
  kTierMultiplier,
  kWeekday,
  kHour,
  kMinute,
  kDate,
  kMonth,
  kDay,
  kTime,
  kPlaceLocation,
  kPlaceInside,
  kDistance,
  kFirstVisit,  // checkin.first_visit
  kFixedSlots
};
/// Computed per item; never a frame slot.
enum ItemField : int32_t { kSku, kCategory, kQuantity, kUnitPrice, kLineAmount };
/// Slots computed from the items during evaluation (sum over matching items).
inline constexpr int32_t kItemsAmount = -2, kItemsQuantity = -3;

struct Node {
  NodeKind kind;
  Op op = Op::eq;
  Type type = Type::integer;  // of the compared values
  int32_t slot = 0;           // fact slot, item field, or kItemsAmount/kItemsQuantity
  int32_t where = -1;         // item-condition root for sums
  int32_t agg = -1;           // sums, any_item, all_items: index in Plan::item_aggs
  uint32_t first = 0;         // children (in Plan::kids) or values (in Plan::ints / syms)
  uint32_t count = 0;
  int64_t a = 0, b = 0;       // scalar operands (between: a..b)
  int32_t sym = -1;           // string operand
  uint32_t path = 0;          // index into Plan::paths
  Test test = Test::general;  // leaves and item leaves: the fused comparison (see Test)
};

enum class ActionKind : uint8_t { fixed, per_currency, multiply, tier_multiply, cap };

struct Action {
  ActionKind kind;
  int64_t points = 0;  // fixed points; cap maximum
  int64_t rate = 0;    // scaled by kScale: points per `unit`; multiply factor
  int64_t unit = 100;  // minor units per rate
  int32_t where = -1;  // item-condition root: per_currency over matching items only
  int32_t agg = -1;    // per_currency over matching items: index in Plan::item_aggs
  int64_t max = -1;    // per-action maximum (-1: none)
  /// per_currency and multiply: points are round(base * num / den), the action's rate as a
  /// reduced fraction (per_currency: rate / (unit * kScale); multiply: (factor - kScale) / kScale).
  int64_t num = 0, den = 1;
};

enum class GroupMode : uint8_t { all, first, highest };

struct PeriodLimit {
  Period period;
  int64_t points;
};

struct CompiledRule {
  std::string id;
  std::string name;
  int64_t version = 1;
  int64_t priority = 0;
  bool bonus = false;  // ledger type bonus (else earn)
  std::optional<Timestamp> start, end;
  bool location_based = false;
  int32_t group = -1;
  bool stop = false;
  int32_t root = -1;  // condition root; -1: always true
  uint32_t first_action = 0, action_count = 0;
  std::array<PeriodLimit, 5> periods{};
  uint32_t period_count = 0;
  int64_t budget = -1;       // total points the rule may issue; -1 none
  int64_t cooldown_ms = -1;  // between awards to the same customer; -1 none
  bool has_limits() const { return period_count > 0 || budget >= 0 || cooldown_ms >= 0; }
};

inline constexpr uint8_t kGateWindow = 1, kGateLocation = 2, kGateGroup = 4, kGateLimits = 8, kGateStop = 16;

struct Group {
  std::string name;
  GroupMode mode;
};

enum class Outcome : uint8_t {
  fired,
  not_matched,
  outside_window,
  no_location,
  group_taken,
  group_outbid,
  cooldown,
  stopped
};
const char* outcome_name(Outcome o);

struct RuleResult {
  int64_t computed = 0;     // points before limits and caps
  int64_t points = 0;       // awarded
  int64_t limit_clamp = 0;  // points removed by limits
  int64_t cap_clamp = 0;    // points removed by a per-transaction cap
  int32_t failed = -1;      // node of the first failing condition (not_matched)
  int32_t by = -1;          // rule that took the group / stopped evaluation / outbid this one
  Outcome outcome = Outcome::not_matched;
  int8_t clamped_by = -1;  // 0..4 period index, 5 budget
};

struct Plan {
  std::vector<CompiledRule> rules;  // in evaluation order (priority desc, then seq)
  /// What the evaluation loop reads of every rule, packed (CompiledRule is large, and only rules
  /// with a window, limits or several actions need it).
  struct HotRule {
    int32_t root = -1;
    uint32_t action = 0;  // the first action
    int32_t group = -1;
    uint8_t gates = 0;                // what to check besides condition and actions (kGate*): most rules nothing
    GroupMode mode = GroupMode::all;  // of the group
    bool single = false;              // one fixed, per_currency, multiply or tier_multiplier action without max
  };

  std::vector<HotRule> hot;  // per rule
  std::vector<Node> nodes;
  std::vector<uint32_t> kids;
  std::vector<int64_t> ints;  // sorted operand lists of in / not_in on numbers
  std::vector<int32_t> syms;  // operand lists of in / not_in / contains_any / contains_all on strings
  std::vector<Action> actions;
  std::vector<Group> groups;
  std::vector<std::string> paths;    // JSON paths of condition nodes, for the explain trace
  std::vector<std::string> strings;  // interned strings by symbol
  std::vector<uint64_t> sym_keys;    // per symbol: sym_key() of its string
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> symbols;
  /// Item aggregates: the distinct item conditions (roots; -1: every item) that sums,
  /// quantifiers and per_currency actions on matching items use. One pass over the items per
  /// evaluation computes all of them (Evaluation::aggs), however many rules share them.
  std::vector<int32_t> item_aggs;
  /// Symbols that item.sku / item.category are compared with by eq, ne, in, not_in: each item's
  /// strings are classified once per evaluation (a symbol, or -1 for none of them).
  std::vector<int32_t> sku_syms, category_syms;
  /// The candidates one string fact is compared with (set_syms[first, first + count)); a small
  /// set (at most kLinearSymbols) has a table of kSetTable entries at set_table[table], keyed by
  /// sym_key and probed linearly.
  struct SymbolSet {
    uint32_t first = 0, count = 0, table = 0;
  };
  struct SetEntry {
    uint64_t key = 0;
    int32_t sym = -1;
    int32_t pos = -1;  // position in the set; -1: an empty entry
  };
  std::vector<int32_t> set_syms;
  std::vector<SetEntry> set_table;
  SymbolSet sku_set, category_set;
  /// Per item aggregate: whether its condition reads nothing but the item's category through
  /// eq, ne, in and not_in. Such a condition is decided per category class when the plan
  /// compiles (each symbol of category_syms, the last class being "none of them"): an item of
  /// class k adds to the aggregates class_aggs[class_first[k], class_first[k + 1]).
  std::vector<uint8_t> by_category;
  std::vector<uint32_t> class_first;
  std::vector<int32_t> class_aggs;
  /// Per class feeding at most one aggregate: that aggregate, or item_aggs.size() (a scratch
  /// aggregate nothing reads) when it feeds none, so the item adds without a branch; -1 when the
  /// class feeds several (then class_aggs is walked).
  std::vector<int32_t> class_single;
  std::vector<int32_t> generic_aggs;  // the other aggregates: their condition runs per item
  /// Per generic aggregate and category class: whether the category-only conjuncts of its
  /// condition (an `all` root's) hold; when not, the item does not match and the condition is
  /// not run.
  std::vector<uint8_t> category_prefilter;
  /// Per generic aggregate: the conjuncts the prefilter does not decide (residual_kids[first,
  /// first + count): an `all` root's other children, else the root itself; none for "every item").
  struct Residual {
    uint32_t first = 0, count = 0;
  };
  std::vector<Residual> residuals;
  std::vector<int32_t> residual_kids;
  bool residual_reads_strings = false;  // some residual reads item.sku or item.category
  /// Per frame slot holding a string or list of strings: the symbols conditions compare it with.
  /// A value is classified against them once per event.
  std::vector<SymbolSet> slot_sets;
  std::vector<std::string> attributes;  // customer.attributes.<name> -> slot kFixedSlots + index
  std::vector<int64_t> visit_days;      // customer.visits over N days -> slots after attributes
  std::vector<int64_t> spend_days;      // customer.spend over N days -> slots after visits
  std::vector<int64_t> checkin_days;    // customer.checkins over N days -> slots after spend
  std::vector<int64_t> location_days;   // checkin.location_visits over N days (0: ever) -> after those
  Rounding rounding = Rounding::floor;
  std::shared_ptr<const TimeZone> zone;
  Trigger trigger = Trigger::purchase;
  bool uses_history = false;     // first purchase / days since last purchase
  std::vector<uint8_t> used;     // per frame slot: some condition reads it (others are not computed)
  bool uses_local_time = false;  // time facts or birthdays

  int32_t slot_count() const {
    return kFixedSlots + static_cast<int32_t>(attributes.size() + visit_days.size() + spend_days.size() +
                                              checkin_days.size() + location_days.size());
  }
  int32_t visit_slot(size_t i) const { return kFixedSlots + static_cast<int32_t>(attributes.size() + i); }
  int32_t spend_slot(size_t i) const {
    return kFixedSlots + static_cast<int32_t>(attributes.size() + visit_days.size() + i);
  }
  int32_t checkin_slot(size_t i) const { return spend_slot(spend_days.size() + i); }
  int32_t location_slot(size_t i) const { return checkin_slot(checkin_days.size() + i); }
  /// The symbol of `s`, or -1 when no rule mentions it.
  int32_t symbol(std::string_view s) const;
  /// The symbol spelling `s` among `set`'s candidates, and its position there in `pos`; -1 and
  /// set.count when none. Sets of more than kLinearSymbols: symbol(s) (which may be any of the
  /// plan's symbols; -1 when none), and `pos` is set.count.
  inline int32_t set_symbol(const SymbolSet& set, std::string_view s, int32_t& pos) const;
  /// The symbol of `s` as the conditions on frame slot `slot` see it (see set_symbol).
  int32_t slot_symbol(int32_t slot, std::string_view s) const {
    int32_t pos = 0;
    return set_symbol(slot_sets[static_cast<size_t>(slot)], s, pos);
  }
};

/// The length and the first and last bytes of `s` in one integer: strings with different keys
/// differ, so set_symbol compares bytes only when keys match (loc_1 and loc_2 differ at the end).
inline uint64_t sym_key(std::string_view s) {
  if (s.empty()) return 0;
  return (static_cast<uint64_t>(s.size()) << 16) | (static_cast<uint64_t>(static_cast<unsigned char>(s.front())) << 8) |
         static_cast<unsigned char>(s.back());
}

/// Whether `n` bytes at `a` and `b` are equal; short strings (most symbols) by a few word loads.
inline bool same_bytes(const char* a, const char* b, size_t n) {
  auto load8 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load4 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8 && n <= 16) return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
  if (n >= 4 && n < 8) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  if (n < 4) {
    for (size_t k = 0; k < n; ++k)
      if (a[k] != b[k]) return false;
    return true;
  }
  return std::memcmp(a, b, n) == 0;
}

/// The table entry a sym_key starts probing at.
inline uint32_t set_hash(uint64_t key) { return static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ULL) >> 59); }
static_assert(kSetTable == 32 && kSetTable > 2 * kLinearSymbols, "set_hash yields 5 bits");

inline int32_t Plan::set_symbol(const SymbolSet& set, std::string_view s, int32_t& pos) const {
  pos = static_cast<int32_t>(set.count);
  if (set.count > kLinearSymbols) return symbol(s);
  const uint64_t key = sym_key(s);
  const SetEntry* t = set_table.data() + set.table;
  for (uint32_t h = set_hash(key);; h = (h + 1) & (kSetTable - 1)) {
    const SetEntry& e = t[h];
    if (e.pos < 0) return -1;
    // keys hold the length and the first and last bytes: strings of up to 2 bytes are decided
    if (e.key == key && (s.size() <= 2 || same_bytes(strings[static_cast<size_t>(e.sym)].data(), s.data(), s.size()))) {
      pos = e.pos;
      return e.sym;
    }
  }
}

/// Compiles the validated rules of `trigger` (inactive ones and the other trigger's are left
/// out) into a plan. Throws Status::invalid when two rules give one stacking group different
/// modes (field "group_mode").
std::shared_ptr<const Plan> compile(const std::vector<RuleSource>& rules, Rounding rounding,
                                    std::shared_ptr<const TimeZone> zone, Trigger trigger = Trigger::purchase);
/// The trigger of a validated rule body.
Trigger trigger_of(const json& body);

// ---------------------------------------------------------------------------------------------
// The event: facts of one purchase, as the caller knows them (strings borrowed)

struct ItemIn {
  std::string_view sku, category;
  int64_t quantity = 0, unit_price = 0;
};

struct Event {
  Timestamp at = 0;
  int64_t amount = 0;
  std::string_view currency, channel, location_id;
  std::span<const ItemIn> items;
  std::optional<std::string_view> tier;
  std::span<const std::string_view> segments;
  std::optional<CivilDate> birthday;       // year 0 when unknown
  std::optional<int64_t> tier_multiplier;  // scaled by kScale
  const json* attributes = nullptr;        // the customer's attributes object (may be null)
  std::span<const std::string_view> inside;
  std::optional<int64_t> distance_m;
  // history (before this purchase), filled by the caller when the plan needs it
  int64_t prior_purchases = 0;
  std::optional<Timestamp> last_purchase_at;
  std::span<const int64_t> visits;           // per Plan::visit_days
  std::span<const int64_t> spend;            // per Plan::spend_days
  std::span<const int64_t> checkins;         // per Plan::checkin_days: verified check-ins anywhere
  std::span<const int64_t> location_visits;  // per Plan::location_days: verified check-ins here
  bool first_visit = false;                  // check-ins: no earlier verified check-in at this location
};

/// The stateful limits of one rule for the event's customer, loaded by the caller inside the
/// write transaction: points already issued in each of the rule's periods (in Plan order),
/// by the rule in total (budget), and the time of the customer's last award by the rule.
struct LimitState {
  std::array<int64_t, 5> used{};
  int64_t budget_used = 0;
  std::optional<Timestamp> last_award_at;
};

/// One fact's value for one event.
struct FactValue {
  uint32_t stamp = 0;         // present in the evaluation whose Evaluation::stamp this is
  Type type = Type::integer;  // integer-like, string, strings or boolean (attributes vary)
  int64_t i = 0;
  int32_t sym = -1;
  std::string_view s;
  uint32_t first = 0, count = 0;  // strings: symbols in Evaluation::list_syms
};

/// Whether `item` satisfies item condition `where` (-1: every item), exactly as evaluate() decides
/// it. The compiler uses it to tabulate category-only conditions.
bool item_matches(const Plan& plan, int32_t where, const ItemIn& item);

/// Sums and quantifier results over the items matching one of Plan::item_aggs.
struct ItemAggregate {
  i128 amount = 0, quantity = 0;
  int64_t matched = 0;  // items that match (any_item: some; all_items: every one)
};

/// The local calendar day of the last evaluated event, valid for UTC instants [from, until):
/// within it the zone's offset and the local date do not change, so the local time of another
/// event in it is one addition.
struct LocalDay {
  std::shared_ptr<const TimeZone> zone;  // held so the identity check below cannot be fooled
  bool zoned = false;
  std::array<TimeZone::OffsetSpan, 2> spans{{{0, INT64_MAX, INT64_MIN}, {0, INT64_MAX, INT64_MIN}}};  // of `zone`
  Timestamp from = INT64_MAX, until = INT64_MIN;
  Timestamp offset_ms = 0;
  Timestamp midnight = 0;  // local wall-clock milliseconds of the day's start
  CivilDate date{1970, 1, 1};
  uint32_t weekday = 4;  // 0 = Sunday
};

/// The evaluation of one event; reusable across evaluations (no allocation once sized).
struct Evaluation {
  std::vector<RuleResult> rules;  // by plan rule index
  std::vector<FactValue> frame;
  std::vector<int32_t> list_syms;
  std::vector<int32_t> holders;     // per group: the rule holding it
  std::vector<ItemAggregate> aggs;  // per Plan::item_aggs (and a scratch one), computed on first use
  bool aggs_ready = false;
  std::vector<int32_t> item_syms;  // per item: sku symbol, category symbol (see Plan::sku_syms)
  LocalDay day;                    // cache of the local-time decomposition
  uint32_t stamp = 0;              // this evaluation's number: frame values carrying it are present
  int64_t total = 0;
  int64_t cap = -1;  // the per-transaction cap applied (-1: none)
  int32_t cap_rule = -1;
};

/// Evaluates the plan; `limits` is indexed by plan rule index (may be empty when no rule has
/// limits, or for a dry run that ignores them... callers pass the loaded state). No JSON is
/// parsed; nothing is allocated per rule (the Evaluation's vectors are sized once).
void evaluate(const Plan& plan, const Event& ev, std::span<const LimitState> limits, Evaluation& out);

/// How much of the explain trace an operation returns: nothing, the rules that gave points (with
/// their points, computed points and clamps), or every rule with its outcome and reason.
enum class ExplainLevel { none, fired, full };

/// The level named by `s` ("none", "fired", "full"); nullopt for any other text.
std::optional<ExplainLevel> explain_level(std::string_view s);

/// The explain trace of an evaluation as JSON: {rules, total, cap?}, `rules` holding every rule
/// (`full`) or only those that gave points (`fired`); null for `none`.
json explain(const Plan& plan, const Evaluation& e, ExplainLevel level = ExplainLevel::full);

/// The same trace appended to `out` as JSON text (`null` for `none`), byte for byte what
/// `explain(...).dump()` gives, without building a DOM (the dry run's hot path).
void explain_text(const Plan& plan, const Evaluation& e, ExplainLevel level, std::string& out);

}  // namespace loyalty::rules
