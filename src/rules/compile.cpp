// Rule JSON: validation (errors name the JSON path of the offending field) and compilation into
// the flattened evaluation plan. One walker does both: validate_rule runs it on a scratch plan.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "core/input.hpp"
#include "rules/plan.hpp"

namespace loyalty::rules {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw Error(Status::invalid, fmt::format("{} {}", path.empty() ? "rule" : path, message), path);
}

std::string join(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : fmt::format("{}.{}", base, key);
}
std::string index(const std::string& base, size_t n) { return fmt::format("{}[{}]", base, n); }

struct FactDef {
  std::string_view name;
  int32_t slot;
  Type type;
};

constexpr FactDef kFacts[] = {
    {"purchase.amount", kAmount, Type::integer},
    {"purchase.currency", kCurrency, Type::string},
    {"purchase.channel", kChannel, Type::string},
    {"purchase.location_id", kLocationId, Type::string},
    {"purchase.item_count", kItemCount, Type::integer},
    {"customer.tier", kTier, Type::string},
    {"customer.segments", kSegments, Type::strings},
    {"customer.birthday", kBirthday, Type::date},
    {"customer.is_birthday", kIsBirthday, Type::boolean},
    {"customer.is_birthday_month", kIsBirthdayMonth, Type::boolean},
    {"customer.first_purchase", kFirstPurchase, Type::boolean},
    {"customer.days_since_last_purchase", kDaysSinceLast, Type::integer},
    {"customer.tier_multiplier", kTierMultiplier, Type::decimal},
    {"time.weekday", kWeekday, Type::integer},
    {"time.hour", kHour, Type::integer},
    {"time.minute", kMinute, Type::integer},
    {"time.date", kDate, Type::date},
    {"time.month", kMonth, Type::integer},
    {"time.day", kDay, Type::integer},
    {"time.time", kTime, Type::time},
    {"place.location_id", kPlaceLocation, Type::string},
    {"place.inside", kPlaceInside, Type::strings},
    {"place.distance_m", kDistance, Type::integer},
    {"checkin.location_id", kLocationId, Type::string},
    {"checkin.first_visit", kFirstVisit, Type::boolean},
};

constexpr FactDef kItemFacts[] = {
    {"item.sku", kSku, Type::string},
    {"item.category", kCategory, Type::string},
    {"item.quantity", kQuantity, Type::integer},
    {"item.unit_price", kUnitPrice, Type::integer},
    {"item.amount", kLineAmount, Type::integer},
};

struct OpName {
  std::string_view name;
  Op op;
};
constexpr OpName kOps[] = {
    {"eq", Op::eq},
    {"ne", Op::ne},
    {"lt", Op::lt},
    {"lte", Op::lte},
    {"gt", Op::gt},
    {"gte", Op::gte},
    {"in", Op::in},
    {"not_in", Op::not_in},
    {"between", Op::between},
    {"contains", Op::contains},
    {"contains_any", Op::contains_any},
    {"contains_all", Op::contains_all},
    {"starts_with", Op::starts_with},
    {"exists", Op::exists},
};

bool allowed(Type t, Op op) {
  if (op == Op::exists) return true;
  switch (t) {
    case Type::integer:
    case Type::date:
    case Type::time:
    case Type::decimal:
      return op == Op::eq || op == Op::ne || op == Op::lt || op == Op::lte || op == Op::gt || op == Op::gte ||
             op == Op::in || op == Op::not_in || op == Op::between;
    case Type::string:
      return op == Op::eq || op == Op::ne || op == Op::in || op == Op::not_in || op == Op::starts_with ||
             op == Op::contains;
    case Type::strings:
      return op == Op::contains || op == Op::contains_any || op == Op::contains_all;
    case Type::boolean:
      return op == Op::eq || op == Op::ne;
    case Type::any:
      return true;
  }
  return false;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::integer:
      return "integer";
    case Type::string:
      return "string";
    case Type::strings:
      return "list of strings";
    case Type::boolean:
      return "boolean";
    case Type::date:
      return "date";
    case Type::time:
      return "time of day";
    case Type::decimal:
      return "decimal";
    case Type::any:
      return "attribute";
  }
  return "?";
}

struct Compiler {
  Plan& plan;
  Trigger trigger = Trigger::purchase;
  int32_t nodes_in_rule = 0;

  /// Purchase facts exist only for purchase rules, check-in facts only for check-in rules.
  void check_trigger(std::string_view fact, const std::string& path) const {
    const bool purchase_fact = fact.rfind("purchase.", 0) == 0 || fact.rfind("item.", 0) == 0;
    const bool checkin_fact = fact.rfind("checkin.", 0) == 0;
    if (trigger == Trigger::checkin && purchase_fact)
      fail(path, fmt::format("'{}' is a purchase fact; a check-in rule (trigger checkin) cannot use it", fact));
    if (trigger == Trigger::purchase && checkin_fact)
      fail(path, fmt::format("'{}' is a check-in fact; it needs \"trigger\": \"checkin\"", fact));
  }

  int32_t intern(const std::string& s) {
    auto [it, inserted] = plan.symbols.emplace(s, static_cast<int32_t>(plan.strings.size()));
    if (inserted) plan.strings.push_back(s);
    return it->second;
  }

  uint32_t add_path(const std::string& p) {
    plan.paths.push_back(p);
    return static_cast<uint32_t>(plan.paths.size() - 1);
  }

  int32_t add_node(Node n, const std::string& path) {
    if (++nodes_in_rule > 512) fail(path, "makes the rule too large (at most 512 condition nodes)");
    n.path = add_path(path);
    plan.nodes.push_back(n);
    return static_cast<int32_t>(plan.nodes.size() - 1);
  }

  int64_t int_value(const json& v, Type t, int32_t slot, const std::string& path) {
    switch (t) {
      case Type::integer:
      case Type::any: {
        if (slot == kWeekday && v.is_string()) {
          static constexpr std::string_view names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                                       "friday", "saturday", "sunday"};
          std::string s = v.get<std::string>();
          std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
          for (size_t n = 0; n < 7; ++n)
            if (s == names[n] || (s.size() == 3 && names[n].substr(0, 3) == s)) return static_cast<int64_t>(n + 1);
          fail(path, "must be a weekday (1 = Monday .. 7 = Sunday, or a name such as \"saturday\")");
        }
        if (!v.is_number_integer()) fail(path, "must be an integer");
        // An unsigned value above int64's range would wrap to a negative number (parse_json
        // refuses them; this keeps documents built by other means from getting through).
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(detail::kMaxAmount))
          fail(path, "is out of range");
        const int64_t x = v.get<int64_t>();
        if (x < -detail::kMaxAmount || x > detail::kMaxAmount) fail(path, "is out of range");
        if (slot == kWeekday && (x < 1 || x > 7)) fail(path, "must be a weekday from 1 (Monday) to 7 (Sunday)");
        return x;
      }
      case Type::decimal: {
        auto d = parse_decimal(v);
        if (!d) fail(path, "must be a non-negative decimal (a string such as \"1.5\", at most 6 decimals)");
        return *d;
      }
      case Type::date: {
        if (!v.is_string() || v.get_ref<const std::string&>().size() != 10) fail(path, "must be a date YYYY-MM-DD");
        auto ts = parse_time(v.get_ref<const std::string&>());
        if (!ts) fail(path, "must be a date YYYY-MM-DD");
        return *ts / kMillisPerDay;
      }
      case Type::time: {
        if (!v.is_string()) fail(path, "must be a time of day HH:MM");
        const std::string& s = v.get_ref<const std::string&>();
        if (s.size() != 5 || s[2] != ':' || !isdigit(s[0]) || !isdigit(s[1]) || !isdigit(s[3]) || !isdigit(s[4]))
          fail(path, "must be a time of day HH:MM");
        const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
        if (h > 23 || m > 59) fail(path, "must be a time of day HH:MM");
        return h * 60 + m;
      }
      default:
        fail(path, "has no numeric value");
    }
  }

  /// A string operand of at most 256 bytes, interned.
  int32_t one_string(const json& v, const std::string& path) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 256)
      fail(path, "must be a string of at most 256 bytes");
    return intern(v.get<std::string>());
  }

  /// A list operand of 1 to 1000 such strings, appended to the plan's symbols (n.first, n.count).
  void string_list(Node& n, const json& v, const std::string& path) {
    if (!v.is_array() || v.empty() || v.size() > 1000) fail(path, "must be an array of 1 to 1000 strings");
    n.first = static_cast<uint32_t>(plan.syms.size());
    for (size_t k = 0; k < v.size(); ++k) plan.syms.push_back(one_string(v[k], index(path, k)));
    n.count = static_cast<uint32_t>(v.size());
  }

  /// Fills the operand of a comparison node from `value`.
  void operand(Node& n, const json* value, int32_t slot, const std::string& path) {
    if (n.op == Op::exists) {
      if (value && !value->is_boolean()) fail(path, "must be true or false for operator exists");
      n.a = (!value || value->get<bool>()) ? 1 : 0;
      return;
    }
    if (!value) fail(path, "is required");
    const json& v = *value;
    Type t = n.type;
    if (t == Type::any) {  // attribute: the value's JSON type decides
      if (v.is_string() || (v.is_array() && !v.empty() && v[0].is_string()))
        t = Type::string;
      else if (v.is_boolean())
        t = Type::boolean;
      else
        t = Type::integer;
      n.type = t;
      if (!allowed(t, n.op)) fail(path, fmt::format("does not suit operator on a {} attribute", type_name(t)));
    }
    switch (t) {
      case Type::boolean:
        if (!v.is_boolean()) fail(path, "must be true or false");
        n.a = v.get<bool>() ? 1 : 0;
        return;
      case Type::string:
        if (n.op == Op::in || n.op == Op::not_in)
          string_list(n, v, path);
        else
          n.sym = one_string(v, path);
        return;
      case Type::strings:
        if (n.op == Op::contains)
          n.sym = one_string(v, path);
        else
          string_list(n, v, path);
        return;
      default:
        if (n.op == Op::in || n.op == Op::not_in) {
          if (!v.is_array() || v.empty() || v.size() > 1000) fail(path, "must be an array of 1 to 1000 values");
          n.first = static_cast<uint32_t>(plan.ints.size());
          for (size_t k = 0; k < v.size(); ++k) plan.ints.push_back(int_value(v[k], t, slot, index(path, k)));
          n.count = static_cast<uint32_t>(v.size());
          std::sort(plan.ints.begin() + n.first, plan.ints.end());
          return;
        }
        if (n.op == Op::between) {
          if (!v.is_array() || v.size() != 2) fail(path, "must be an array [low, high]");
          n.a = int_value(v[0], t, slot, index(path, 0));
          n.b = int_value(v[1], t, slot, index(path, 1));
          if (n.a > n.b && t != Type::time) fail(path, "must have low <= high");
          return;
        }
        n.a = int_value(v, t, slot, path);
        return;
    }
  }

  static Op op_of(const json& c, const std::string& path) {
    auto it = c.find("operator");
    if (it == c.end()) fail(join(path, "operator"), "is required");
    if (!it->is_string()) fail(join(path, "operator"), "must be a string");
    for (const auto& o : kOps)
      if (o.name == it->get_ref<const std::string&>()) return o.op;
    fail(join(path, "operator"), fmt::format("'{}' is not an operator", it->get<std::string>()));
  }

  static void only(const json& c, std::initializer_list<std::string_view> keys, const std::string& path) {
    for (const auto& [k, v] : c.items())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) fail(join(path, k), "is not a known field");
  }

  int32_t children(NodeKind kind, const json& list, const std::string& path, int depth, bool item) {
    if (!list.is_array() || list.empty() || list.size() > 64) fail(path, "must be an array of 1 to 64 conditions");
    std::vector<int32_t> kids;
    for (size_t k = 0; k < list.size(); ++k) kids.push_back(condition(list[k], index(path, k), depth + 1, item));
    Node n{kind};
    n.first = static_cast<uint32_t>(plan.kids.size());
    n.count = static_cast<uint32_t>(kids.size());
    for (int32_t c : kids) plan.kids.push_back(static_cast<uint32_t>(c));
    return add_node(n, path);
  }

  /// A condition (item = inside an item quantifier: facts are item.*).
  int32_t condition(const json& c, const std::string& path, int depth, bool item) {
    if (depth > 16) fail(path, "nests too deeply (at most 16 levels)");
    if (!c.is_object()) fail(path, "must be an object");
    if (c.contains("all")) {
      only(c, {"all"}, path);
      return children(NodeKind::all, c["all"], join(path, "all"), depth, item);
    }
    if (c.contains("any")) {
      only(c, {"any"}, path);
      return children(NodeKind::any, c["any"], join(path, "any"), depth, item);
    }
    if (c.contains("not")) {
      only(c, {"not"}, path);
      const int32_t child = condition(c["not"], join(path, "not"), depth + 1, item);
      Node n{NodeKind::not_};
      n.first = static_cast<uint32_t>(plan.kids.size());
      n.count = 1;
      plan.kids.push_back(static_cast<uint32_t>(child));
      return add_node(n, join(path, "not"));
    }
    for (const char* q : {"any_item", "all_items"}) {
      if (!c.contains(q)) continue;
      if (item) fail(join(path, q), "cannot nest inside another item condition");
      if (trigger == Trigger::checkin) fail(join(path, q), "needs items: a check-in rule (trigger checkin) has none");
      only(c, {q}, path);
      const int32_t child = condition(c[q], join(path, q), depth + 1, true);
      Node n{std::string_view(q) == "any_item" ? NodeKind::any_item : NodeKind::all_items};
      n.first = static_cast<uint32_t>(plan.kids.size());
      n.count = 1;
      plan.kids.push_back(static_cast<uint32_t>(child));
      return add_node(n, join(path, q));
    }
    if (!c.contains("fact")) fail(path, "must have one of all, any, not, any_item, all_items or fact");
    const json& f = c["fact"];
    if (!f.is_string()) fail(join(path, "fact"), "must be a string");
    const std::string& name = f.get_ref<const std::string&>();
    check_trigger(name, join(path, "fact"));
    Node n{item ? NodeKind::item_leaf : NodeKind::leaf};
    n.op = op_of(c, path);
    bool found = false;
    if (item) {
      only(c, {"fact", "operator", "value"}, path);
      for (const auto& d : kItemFacts)
        if (d.name == name) n.slot = d.slot, n.type = d.type, found = true;
      if (!found)
        fail(join(path, "fact"), fmt::format("'{}' is not an item fact (item.sku, item.category, "
                                             "item.quantity, item.unit_price, item.amount)",
                                             name));
    } else if (name == "customer.visits" || name == "customer.spend" || name == "customer.checkins" ||
               name == "checkin.location_visits") {
      only(c, {"fact", "operator", "value", "days"}, path);
      // checkin.location_visits counts every earlier visit without `days` (kept as 0 days).
      const bool ever_allowed = name == "checkin.location_visits";
      auto d = c.find("days");
      int64_t days = 0;
      if (d == c.end()) {
        if (!ever_allowed) fail(join(path, "days"), "is required for " + name);
      } else {
        if (!d->is_number_integer() || d->get<int64_t>() < 1 || d->get<int64_t>() > 3660)
          fail(join(path, "days"), "must be an integer from 1 to 3660");
        days = d->get<int64_t>();
      }
      const int32_t base = name == "customer.visits"     ? 1000
                           : name == "customer.spend"    ? 2000
                           : name == "customer.checkins" ? 4000
                                                         : 5000;
      auto& list = base == 1000   ? plan.visit_days
                   : base == 2000 ? plan.spend_days
                   : base == 4000 ? plan.checkin_days
                                  : plan.location_days;
      auto it = std::find(list.begin(), list.end(), days);
      const size_t k = static_cast<size_t>(it - list.begin());
      if (it == list.end()) list.push_back(days);
      // resolved to a frame slot in finish(), once the plan's lists are complete
      n.slot = -(base + static_cast<int32_t>(k));
      n.type = Type::integer;
      found = true;
    } else if (name == "purchase.items_amount" || name == "purchase.items_quantity") {
      only(c, {"fact", "operator", "value", "where"}, path);
      n.slot = name == "purchase.items_amount" ? kItemsAmount : kItemsQuantity;
      n.type = Type::integer;
      if (c.contains("where")) n.where = condition(c["where"], join(path, "where"), depth + 1, true);
      found = true;
    } else if (name.rfind("customer.attributes.", 0) == 0) {
      only(c, {"fact", "operator", "value"}, path);
      const std::string attr = name.substr(20);
      if (attr.empty() || attr.size() > 64) fail(join(path, "fact"), "needs an attribute name of 1 to 64 bytes");
      auto it = std::find(plan.attributes.begin(), plan.attributes.end(), attr);
      if (it == plan.attributes.end()) {
        plan.attributes.push_back(attr);
        it = plan.attributes.end() - 1;
      }
      n.slot = -(3000 + static_cast<int32_t>(it - plan.attributes.begin()));
      n.type = Type::any;
      found = true;
    } else {
      only(c, {"fact", "operator", "value"}, path);
      for (const auto& d : kFacts)
        if (d.name == name) n.slot = d.slot, n.type = d.type, found = true;
      if (!found) fail(join(path, "fact"), fmt::format("'{}' is not a known fact", name));
      if (n.slot == kFirstPurchase || n.slot == kDaysSinceLast) plan.uses_history = true;
    }
    if (!allowed(n.type, n.op))
      fail(join(path, "operator"),
           fmt::format("'{}' does not apply to {} ({})", c["operator"].get<std::string>(), name, type_name(n.type)));
    auto v = c.find("value");
    operand(n, v == c.end() ? nullptr : &*v, n.slot, join(path, "value"));
    return add_node(n, path);
  }
};

}  // namespace

// Below: validation of the rule envelope, then compile().

namespace {

constexpr std::string_view kRuleFields[] = {
    "name", "description",    "type",  "conditions", "actions",         "priority", "active", "start",
    "end",  "location_based", "group", "group_mode", "stop_processing", "limits",   "trigger"};

json validate_action(const json& a, const std::string& path, Compiler& comp, Action& out) {
  if (!a.is_object()) fail(path, "must be an object");
  auto t = a.find("type");
  if (t == a.end() || !t->is_string())
    fail(join(path, "type"),
         "is required (fixed, per_currency, multiply, "
         "tier_multiplier or cap)");
  const std::string type = t->get<std::string>();
  auto only = [&](std::initializer_list<std::string_view> keys) { Compiler::only(a, keys, path); };
  auto int_field = [&](const char* k, int64_t lo, int64_t hi, std::optional<int64_t> dflt) -> int64_t {
    auto it = a.find(k);
    if (it == a.end()) {
      if (!dflt) fail(join(path, k), "is required");
      return *dflt;
    }
    if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi)
      fail(join(path, k), fmt::format("must be an integer from {} to {}", lo, hi));
    return it->get<int64_t>();
  };
  json norm = a;
  if (type == "fixed") {
    only({"type", "points"});
    out.kind = ActionKind::fixed;
    out.points = int_field("points", 0, detail::kMaxAmount, std::nullopt);
  } else if (type == "per_currency") {
    if (comp.trigger == Trigger::checkin)
      fail(join(path, "type"), "per_currency needs an amount: a check-in rule (trigger checkin) has none");
    only({"type", "rate", "unit", "items", "max"});
    out.kind = ActionKind::per_currency;
    auto r = a.find("rate");
    if (r == a.end()) fail(join(path, "rate"), "is required");
    auto d = parse_decimal(*r);
    if (!d || *d > 1'000'000 * kScale) fail(join(path, "rate"), "must be a decimal from 0 to 1000000 (\"1.5\")");
    out.rate = *d;
    out.unit = int_field("unit", 1, 1'000'000'000, 100);
    norm["unit"] = out.unit;
    if (a.contains("items")) out.where = comp.condition(a["items"], join(path, "items"), 1, true);
  } else if (type == "multiply" || type == "tier_multiplier") {
    if (type == "multiply") {
      only({"type", "factor", "max"});
      auto r = a.find("factor");
      if (r == a.end()) fail(join(path, "factor"), "is required");
      auto d = parse_decimal(*r);
      if (!d || *d < kScale || *d > 1000 * kScale) fail(join(path, "factor"), "must be a decimal from 1 to 1000");
      out.kind = ActionKind::multiply;
      out.rate = *d;
    } else {
      only({"type", "max"});
      out.kind = ActionKind::tier_multiply;
    }
  } else if (type == "cap") {
    only({"type", "points"});
    out.kind = ActionKind::cap;
    out.points = int_field("points", 0, detail::kMaxAmount, std::nullopt);
  } else {
    fail(join(path, "type"), fmt::format("'{}' is not an action type (fixed, per_currency, multiply, "
                                         "tier_multiplier, cap)",
                                         type));
  }
  if (a.contains("max")) out.max = int_field("max", 0, detail::kMaxAmount, std::nullopt);
  return norm;
}

Period period_from(const json& v, const std::string& path) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "day") return Period::day;
    if (s == "week") return Period::week;
    if (s == "month") return Period::month;
    if (s == "year") return Period::year;
    if (s == "lifetime") return Period::lifetime;
  }
  fail(path, "must be one of day, week, month, year, lifetime");
}

/// Validates and compiles one rule into `plan` (appending nodes, actions). Returns the
/// normalised body.
json compile_rule(const json& body, const std::string& path, Plan& plan, CompiledRule& r) {
  if (!body.is_object()) fail(path, "must be an object");
  for (const auto& [k, v] : body.items())
    if (std::find(std::begin(kRuleFields), std::end(kRuleFields), k) == std::end(kRuleFields))
      fail(join(path, k), "is not a known field");
  json norm = body;
  detail::Input in(body,
                   {"name", "description", "type", "conditions", "actions", "priority", "active", "start", "end",
                    "location_based", "group", "group_mode", "stop_processing", "limits", "trigger"},
                   path);
  r.name = in.str("name", 200);
  const Trigger trigger = in.opt_enum("trigger", {"purchase", "checkin"}).value_or("purchase") == "checkin"
                              ? Trigger::checkin
                              : Trigger::purchase;
  norm["trigger"] = trigger_name(trigger);
  if (auto d = in.opt_str("description", 2000)) norm["description"] = *d;
  const std::string type = in.opt_enum("type", {"earn", "bonus"}).value_or("earn");
  r.bonus = type == "bonus";
  norm["type"] = type;
  r.priority = in.opt_i64("priority", -1'000'000, 1'000'000).value_or(0);
  norm["priority"] = r.priority;
  norm["active"] = in.boolean("active", true);
  r.start = in.opt_time("start");
  r.end = in.opt_time("end");
  if (r.start && r.end && *r.end <= *r.start) fail(join(path, "end"), "must be after start");
  norm.erase("start");
  norm.erase("end");
  if (r.start) norm["start"] = format_time(*r.start);
  if (r.end) norm["end"] = format_time(*r.end);
  r.location_based = in.boolean("location_based", false);
  norm["location_based"] = r.location_based;
  r.stop = in.boolean("stop_processing", false);
  norm["stop_processing"] = r.stop;
  const auto group = in.opt_str("group", 100);
  const auto mode = in.opt_enum("group_mode", {"all", "first", "highest"});
  if (mode && !group) fail(join(path, "group_mode"), "needs a group");
  norm.erase("group");
  norm.erase("group_mode");
  if (group) {
    norm["group"] = *group;
    norm["group_mode"] = mode.value_or("all");
    const GroupMode gm = mode.value_or("all") == "first"     ? GroupMode::first
                         : mode.value_or("all") == "highest" ? GroupMode::highest
                                                             : GroupMode::all;
    auto it = std::find_if(plan.groups.begin(), plan.groups.end(), [&](const Group& g) { return g.name == *group; });
    if (it == plan.groups.end()) {
      plan.groups.push_back({*group, gm});
      it = plan.groups.end() - 1;
    } else if (it->mode != gm) {
      fail(join(path, "group_mode"),
           fmt::format("differs from the mode of other rules in group '{}' (every rule of a group has one mode)",
                       *group));
    }
    r.group = static_cast<int32_t>(it - plan.groups.begin());
  }
  Compiler comp{plan, trigger};
  if (body.contains("conditions") && !body["conditions"].is_null())
    r.root = comp.condition(body["conditions"], join(path, "conditions"), 0, false);
  const json& acts = in.raw("actions");
  if (!acts.is_array() || acts.empty() || acts.size() > 16)
    fail(join(path, "actions"), "must be an array of 1 to 16 actions");
  r.first_action = static_cast<uint32_t>(plan.actions.size());
  json nacts = json::array();
  for (size_t k = 0; k < acts.size(); ++k) {
    Action a{};
    nacts.push_back(validate_action(acts[k], index(join(path, "actions"), k), comp, a));
    plan.actions.push_back(a);
  }
  r.action_count = static_cast<uint32_t>(acts.size());
  norm["actions"] = nacts;
  if (body.contains("limits") && !body["limits"].is_null()) {
    const std::string lp = join(path, "limits");
    const json& l = body["limits"];
    if (!l.is_object()) fail(lp, "must be an object");
    detail::Input li(l, {"per_customer", "budget", "cooldown_seconds"}, lp);
    if (li.has("per_customer")) {
      const json& pc = l["per_customer"];
      const std::string pp = join(lp, "per_customer");
      if (!pc.is_array() || pc.empty() || pc.size() > 5) fail(pp, "must be an array of 1 to 5 period limits");
      for (size_t k = 0; k < pc.size(); ++k) {
        const std::string ep = index(pp, k);
        if (!pc[k].is_object()) fail(ep, "must be an object {period, points}");
        detail::Input e(pc[k], {"period", "points"}, ep);
        if (!e.has("period")) fail(join(ep, "period"), "is required");
        const Period p = period_from(pc[k]["period"], join(ep, "period"));
        for (uint32_t m = 0; m < r.period_count; ++m)
          if (r.periods[m].period == p) fail(join(ep, "period"), "appears twice");
        r.periods[r.period_count++] = {p, e.i64("points", 0, detail::kMaxAmount)};
      }
    }
    if (li.has("budget")) r.budget = li.i64("budget", 0, detail::kMaxAmount);
    if (li.has("cooldown_seconds")) r.cooldown_ms = li.i64("cooldown_seconds", 1, 10LL * 366 * 86400) * 1000;
  }
  return norm;
}

/// A structural key of item condition `id`: equal keys evaluate alike on every item.
void item_key(const Plan& plan, int32_t id, std::string& out) {
  const Node& n = plan.nodes[static_cast<size_t>(id)];
  out += fmt::format("({} {} {} {} {} {} {}", static_cast<int>(n.kind), static_cast<int>(n.op),
                     static_cast<int>(n.type), n.slot, n.a, n.b, n.sym);
  if (n.kind == NodeKind::item_leaf) {
    const bool strings = n.type == Type::string && (n.op == Op::in || n.op == Op::not_in);
    const bool numbers = !strings && (n.op == Op::in || n.op == Op::not_in);
    for (uint32_t k = 0; k < n.count; ++k) {
      if (strings) out += fmt::format(" s{}", plan.syms[n.first + k]);
      if (numbers) out += fmt::format(" i{}", plan.ints[n.first + k]);
    }
  } else {
    for (uint32_t k = 0; k < n.count; ++k) item_key(plan, static_cast<int32_t>(plan.kids[n.first + k]), out);
  }
  out += ')';
}

/// Gives every sum, quantifier and per_currency action on matching items its item aggregate;
/// structurally equal item conditions share one.
void item_aggregates(Plan& plan) {
  std::map<std::string, int32_t> index;
  auto agg_of = [&](int32_t where) {
    std::string key = "*";
    if (where >= 0) item_key(plan, where, key);
    auto [it, inserted] = index.emplace(std::move(key), static_cast<int32_t>(plan.item_aggs.size()));
    if (inserted) plan.item_aggs.push_back(where);
    return it->second;
  };
  for (auto& n : plan.nodes) {
    if (n.kind == NodeKind::leaf && (n.slot == kItemsAmount || n.slot == kItemsQuantity))
      n.agg = agg_of(n.where);
    else if (n.kind == NodeKind::any_item || n.kind == NodeKind::all_items)
      n.agg = agg_of(static_cast<int32_t>(plan.kids[n.first]));
  }
  for (auto& a : plan.actions)
    if (a.kind == ActionKind::per_currency && a.where >= 0) a.agg = agg_of(a.where);
}

/// A set of candidate symbols, with its table when small (see Plan::SymbolSet).
Plan::SymbolSet symbol_set(Plan& plan, const std::vector<int32_t>& syms) {
  Plan::SymbolSet set{static_cast<uint32_t>(plan.set_syms.size()), static_cast<uint32_t>(syms.size()), 0};
  plan.set_syms.insert(plan.set_syms.end(), syms.begin(), syms.end());
  if (plan.set_table.empty()) plan.set_table.resize(kSetTable);  // table 0: empty sets share it
  if (syms.empty() || syms.size() > kLinearSymbols) return set;
  set.table = static_cast<uint32_t>(plan.set_table.size());
  plan.set_table.resize(plan.set_table.size() + kSetTable);
  Plan::SetEntry* t = plan.set_table.data() + set.table;
  for (size_t k = 0; k < syms.size(); ++k) {
    const uint64_t key = plan.sym_keys[static_cast<size_t>(syms[k])];
    uint32_t h = set_hash(key);
    while (t[h].pos >= 0) h = (h + 1) & (kSetTable - 1);
    t[h] = {key, syms[k], static_cast<int32_t>(k)};
  }
  return set;
}

/// The symbols each string slot and each item string field is compared with by equality.
void symbol_sets(Plan& plan) {
  std::vector<std::vector<int32_t>> per_slot(static_cast<size_t>(plan.slot_count()));
  auto add = [](std::vector<int32_t>& set, int32_t sym) {
    if (sym >= 0 && std::find(set.begin(), set.end(), sym) == set.end()) set.push_back(sym);
  };
  auto add_node = [&](std::vector<int32_t>& set, const Node& n) {
    if (n.op == Op::in || n.op == Op::not_in || n.op == Op::contains_any || n.op == Op::contains_all) {
      for (uint32_t k = 0; k < n.count; ++k) add(set, plan.syms[n.first + k]);
    } else if (n.op == Op::eq || n.op == Op::ne || (n.type == Type::strings && n.op == Op::contains)) {
      add(set, n.sym);
    }
  };
  for (const auto& n : plan.nodes) {
    if (n.type != Type::string && n.type != Type::strings) continue;
    if (n.kind == NodeKind::leaf && n.slot >= 0) add_node(per_slot[static_cast<size_t>(n.slot)], n);
    if (n.kind == NodeKind::item_leaf && n.slot == kSku) add_node(plan.sku_syms, n);
    if (n.kind == NodeKind::item_leaf && n.slot == kCategory) add_node(plan.category_syms, n);
  }
  plan.slot_sets.reserve(per_slot.size());
  for (const auto& set : per_slot) plan.slot_sets.push_back(symbol_set(plan, set));
  plan.sku_set = symbol_set(plan, plan.sku_syms);
  plan.category_set = symbol_set(plan, plan.category_syms);
}

/// Whether item condition `id` reads nothing but the category, by eq, ne, in or not_in.
bool category_only(const Plan& plan, int32_t id) {
  const Node& n = plan.nodes[static_cast<size_t>(id)];
  if (n.kind == NodeKind::item_leaf)
    return n.slot == kCategory && (n.op == Op::eq || n.op == Op::ne || n.op == Op::in || n.op == Op::not_in);
  for (uint32_t k = 0; k < n.count; ++k)
    if (!category_only(plan, static_cast<int32_t>(plan.kids[n.first + k]))) return false;
  return true;
}

/// Whether item condition `id` reads item.sku or item.category.
bool reads_strings(const Plan& plan, int32_t id) {
  const Node& n = plan.nodes[static_cast<size_t>(id)];
  if (n.kind == NodeKind::item_leaf) return n.slot == kSku || n.slot == kCategory;
  for (uint32_t k = 0; k < n.count; ++k)
    if (reads_strings(plan, static_cast<int32_t>(plan.kids[n.first + k]))) return true;
  return false;
}

/// Tabulates the category-only item aggregates over the category classes (each symbol of
/// category_syms, then "none of them", spelt by a string no rule mentions).
void category_tables(Plan& plan) {
  const size_t aggs = plan.item_aggs.size(), classes = plan.category_syms.size() + 1;
  plan.by_category.assign(aggs, 0);
  std::vector<std::vector<int32_t>> per_class(classes);
  std::string none = "\x01";
  while (plan.symbols.count(none)) none += '\x01';
  for (size_t a = 0; a < aggs; ++a) {
    const int32_t where = plan.item_aggs[a];
    auto item_of = [&](size_t c) {
      ItemIn item;
      item.category = c + 1 < classes ? std::string_view(plan.strings[static_cast<size_t>(plan.category_syms[c])])
                                      : std::string_view(none);
      return item;
    };
    const bool linear = plan.category_syms.size() <= kLinearSymbols;
    if (where < 0 || !linear || !category_only(plan, where)) {
      plan.generic_aggs.push_back(static_cast<int32_t>(a));
      const size_t at = plan.category_prefilter.size();
      plan.category_prefilter.resize(at + classes, 1);
      Plan::Residual res{static_cast<uint32_t>(plan.residual_kids.size()), 0};
      auto keep = [&](int32_t kid) {
        plan.residual_kids.push_back(kid);
        ++res.count;
        if (reads_strings(plan, kid)) plan.residual_reads_strings = true;
      };
      const Node* n = where >= 0 ? &plan.nodes[static_cast<size_t>(where)] : nullptr;
      if (n && (!linear || n->kind != NodeKind::all)) keep(where);
      if (n && linear && n->kind == NodeKind::all) {
        for (uint32_t k = 0; k < n->count; ++k) {
          const int32_t kid = static_cast<int32_t>(plan.kids[n->first + k]);
          if (!category_only(plan, kid)) {
            keep(kid);
            continue;
          }
          for (size_t c = 0; c < classes; ++c)
            if (!item_matches(plan, kid, item_of(c))) plan.category_prefilter[at + c] = 0;
        }
      }
      plan.residuals.push_back(res);
      continue;
    }
    plan.by_category[a] = 1;
    for (size_t c = 0; c < classes; ++c)
      if (item_matches(plan, where, item_of(c))) per_class[c].push_back(static_cast<int32_t>(a));
  }
  for (const auto& list : per_class) {
    plan.class_first.push_back(static_cast<uint32_t>(plan.class_aggs.size()));
    plan.class_aggs.insert(plan.class_aggs.end(), list.begin(), list.end());
    plan.class_single.push_back(list.empty() ? static_cast<int32_t>(aggs) : list.size() == 1 ? list[0] : -1);
  }
  plan.class_first.push_back(static_cast<uint32_t>(plan.class_aggs.size()));
}

/// The fused comparison of a leaf whose value always has the node's type (`typed`: every fact
/// but customer attributes), else Test::general.
Test fused_test(const Node& n, bool typed) {
  if (!typed || n.op == Op::exists) return Test::general;
  switch (n.type) {
    case Type::integer:
    case Type::date:
    case Type::time:
    case Type::decimal:
      switch (n.op) {
        case Op::eq:
          return Test::int_eq;
        case Op::ne:
          return Test::int_ne;
        case Op::lt:
          return Test::int_lt;
        case Op::lte:
          return Test::int_lte;
        case Op::gt:
          return Test::int_gt;
        case Op::gte:
          return Test::int_gte;
        case Op::in:
          return Test::int_in;
        case Op::not_in:
          return Test::int_not_in;
        case Op::between:
          return n.type == Type::time && n.a > n.b ? Test::time_between_wrap : Test::int_between;
        default:
          return Test::general;
      }
    case Type::string:
      switch (n.op) {
        case Op::eq:
          return Test::sym_eq;
        case Op::ne:
          return Test::sym_ne;
        case Op::in:
          return Test::sym_in;
        case Op::not_in:
          return Test::sym_not_in;
        default:
          return Test::general;
      }
    case Type::boolean:
      return n.op == Op::eq ? Test::bool_eq : n.op == Op::ne ? Test::bool_ne : Test::general;
    default:
      return Test::general;
  }
}

/// `num / den` in lowest terms (den > 0; num >= 0).
void reduce(int64_t& num, int64_t& den) {
  const int64_t g = std::gcd(num, den);
  if (g > 1) num /= g, den /= g;
}

/// Fuses each leaf's comparison with its value's type and reduces each action's rate.
void specialise(Plan& plan) {
  const auto attributes_end = kFixedSlots + static_cast<int32_t>(plan.attributes.size());
  for (auto& n : plan.nodes) {
    if (n.kind == NodeKind::leaf)
      n.test = fused_test(n, n.slot >= 0 && (n.slot < kFixedSlots || n.slot >= attributes_end));
    else if (n.kind == NodeKind::item_leaf)
      n.test = fused_test(n, true);
  }
  for (auto& a : plan.actions) {
    if (a.kind == ActionKind::per_currency) {
      a.num = a.rate;
      a.den = a.unit * kScale;
    } else if (a.kind == ActionKind::multiply) {
      a.num = a.rate - kScale;
      a.den = kScale;
    }
    if (a.num == 0)
      a.den = 1;
    else
      reduce(a.num, a.den);
  }
  for (const auto& r : plan.rules) {
    Plan::HotRule h;
    h.root = r.root;
    h.action = r.first_action;
    h.group = r.group;
    h.gates = static_cast<uint8_t>(((r.start || r.end) ? kGateWindow : 0) | (r.location_based ? kGateLocation : 0) |
                                   (r.group >= 0 ? kGateGroup : 0) | (r.has_limits() ? kGateLimits : 0) |
                                   (r.stop ? kGateStop : 0));
    if (r.group >= 0) h.mode = plan.groups[static_cast<size_t>(r.group)].mode;
    const Action* a = r.action_count == 1 ? &plan.actions[r.first_action] : nullptr;
    h.single = a && a->kind != ActionKind::cap && a->max < 0;
    plan.hot.push_back(h);
  }
}

/// Parametric slots were recorded as -(1000 + i) (visits), -(2000 + i) (spend), -(3000 + i)
/// (attributes), -(4000 + i) (check-ins), -(5000 + i) (visits at the location); now that the
/// lists are complete they become real slots.
void finish(Plan& plan) {
  plan.used.assign(static_cast<size_t>(plan.slot_count()), 0);
  for (auto& n : plan.nodes) {
    if (n.kind != NodeKind::leaf || n.slot > -1000) continue;
    const int32_t s = -n.slot;
    if (s >= 5000)
      n.slot = plan.location_slot(static_cast<size_t>(s - 5000));
    else if (s >= 4000)
      n.slot = plan.checkin_slot(static_cast<size_t>(s - 4000));
    else if (s >= 3000)
      n.slot = kFixedSlots + (s - 3000);
    else if (s >= 2000)
      n.slot = plan.spend_slot(static_cast<size_t>(s - 2000));
    else
      n.slot = plan.visit_slot(static_cast<size_t>(s - 1000));
  }
  for (const auto& n : plan.nodes) {
    if (n.kind != NodeKind::leaf || n.slot < 0) continue;
    plan.used[static_cast<size_t>(n.slot)] = 1;
    if ((n.slot >= kWeekday && n.slot <= kTime) || (n.slot >= kBirthday && n.slot <= kIsBirthdayMonth) ||
        n.slot == kDaysSinceLast)
      plan.uses_local_time = true;
  }
  for (const auto& str : plan.strings) plan.sym_keys.push_back(sym_key(str));
  item_aggregates(plan);
  symbol_sets(plan);
  category_tables(plan);
  specialise(plan);
}

}  // namespace

json validate_rule(const json& body, const std::string& path) {
  Plan scratch;
  CompiledRule r;
  return compile_rule(body, path, scratch, r);
}

bool is_rule_field(std::string_view key) {
  return std::find(std::begin(kRuleFields), std::end(kRuleFields), key) != std::end(kRuleFields);
}

int32_t Plan::symbol(std::string_view s) const {
  auto it = symbols.find(s);
  return it == symbols.end() ? -1 : it->second;
}

const char* trigger_name(Trigger t) { return t == Trigger::checkin ? "checkin" : "purchase"; }

Trigger trigger_of(const json& body) {
  auto it = body.find("trigger");
  return it != body.end() && it->is_string() && *it == "checkin" ? Trigger::checkin : Trigger::purchase;
}

std::shared_ptr<const Plan> compile(const std::vector<RuleSource>& rules, Rounding rounding,
                                    std::shared_ptr<const TimeZone> zone, Trigger trigger) {
  auto plan = std::make_shared<Plan>();
  plan->rounding = rounding;
  plan->zone = std::move(zone);
  plan->trigger = trigger;
  std::vector<const RuleSource*> order;
  for (const auto& r : rules)
    if (r.body.value("active", true) && trigger_of(r.body) == trigger) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const RuleSource* a, const RuleSource* b) {
    const int64_t pa = a->body.value("priority", 0), pb = b->body.value("priority", 0);
    return pa != pb ? pa > pb : a->seq < b->seq;
  });
  for (const RuleSource* src : order) {
    CompiledRule r;
    compile_rule(src->body, {}, *plan, r);
    r.id = src->id;
    r.version = src->version;
    plan->rules.push_back(std::move(r));
  }
  finish(*plan);
  return plan;
}

}  // namespace loyalty::rules
