// Differential test: a plain reference interpreter walks the rule JSON and the event JSON
// directly (no compilation, no interning, no slots) and must agree with the compiled plan on
// every rule's points over 100,000 random rule sets and events (fixed seed).
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

#include "support.hpp"

using namespace rulestest;

namespace {

// ---------------------------------------------------------------------------------------------
// reference interpreter

struct Ref {
  const json& ev;
  std::shared_ptr<const loyalty::TimeZone> zone;
  std::string rounding;

  int64_t at() const { return *loyalty::parse_time(ev["at"].get<std::string>()); }

  static int64_t days_of(const std::string& date) { return *loyalty::parse_time(date) / loyalty::kMillisPerDay; }

  json items() const { return ev.value("items", json::array()); }

  int64_t items_total() const {
    int64_t t = 0;
    for (const auto& it : items()) t += it["quantity"].get<int64_t>() * it["unit_price"].get<int64_t>();
    return t;
  }

  /// The fact's value, or null when missing. Dates are day numbers, times minutes of the day.
  json fact(const json& c) const {
    const std::string f = c["fact"];
    const int64_t local = zone->to_local(at());
    const loyalty::CivilDate d = loyalty::civil_from_timestamp(local);
    const int64_t ms = local - loyalty::timestamp_from_civil(d);
    if (f == "purchase.amount") return ev.value("amount", items_total());
    if (f == "purchase.currency") return ev.value("currency", std::string("EUR"));
    if (f == "purchase.channel") return ev.value("channel", std::string()).empty() ? json(nullptr) : ev["channel"];
    if (f == "purchase.location_id" || f == "place.location_id")
      return ev.value("location_id", std::string()).empty() ? json(nullptr) : ev["location_id"];
    if (f == "purchase.item_count") {
      int64_t n = 0;
      for (const auto& it : items()) n += it["quantity"].get<int64_t>();
      return n;
    }
    if (f == "customer.tier") return ev.value("tier", json(nullptr));
    if (f == "customer.segments") return ev.value("segments", json::array());
    if (f == "place.inside") return ev.value("inside", json::array());
    if (f == "time.weekday") {
      const uint32_t w = loyalty::weekday(d);
      return w == 0 ? 7 : w;
    }
    if (f == "time.hour") return ms / 3'600'000;
    if (f == "time.minute") return (ms / 60'000) % 60;
    if (f == "time.time") return ms / 60'000;
    if (f == "time.date") return loyalty::timestamp_from_civil(d) / loyalty::kMillisPerDay;
    if (f == "time.month") return d.month;
    if (f == "time.day") return d.day;
    if (f == "customer.first_purchase") return ev.value("prior_purchases", 0) == 0;
    if (f == "customer.is_birthday" || f == "customer.is_birthday_month") {
      if (!ev.contains("birthday")) return nullptr;
      const std::string b = ev["birthday"];
      const int bm = std::stoi(b.substr(5, 2)), bd = std::stoi(b.substr(8, 2));
      if (f == "customer.is_birthday_month") return bm == static_cast<int>(d.month);
      const bool leap = loyalty::days_in_month(d.year, 2) == 29;
      const int celebrated = (bm == 2 && bd == 29 && !leap) ? 28 : bd;
      return bm == static_cast<int>(d.month) && celebrated == static_cast<int>(d.day);
    }
    if (f == "customer.visits" || f == "customer.checkins") {
      // the generator only uses days 7 (index 0) and 30 (index 1)
      const auto& v = ev[f == "customer.visits" ? "visits" : "checkins"];
      return c["days"] == 7 ? v[0] : v[1];
    }
    if (f == "customer.tier_multiplier")
      return ev.contains("tier_multiplier") ? json(*lr::parse_decimal(ev["tier_multiplier"])) : json(nullptr);
    if (f.rfind("customer.attributes.", 0) == 0) {
      const auto& a = ev.value("attributes", json::object());
      const std::string k = f.substr(20);
      return a.contains(k) ? a[k] : json(nullptr);
    }
    if (f == "purchase.items_amount" || f == "purchase.items_quantity") {
      int64_t s = 0;
      for (const auto& it : items())
        if (!c.contains("where") || item_cond(c["where"], it))
          s += f == "purchase.items_amount" ? it["quantity"].get<int64_t>() * it["unit_price"].get<int64_t>()
                                            : it["quantity"].get<int64_t>();
      return s;
    }
    FAIL("reference: unknown fact " << f);
    return nullptr;
  }

  /// A rule value in the fact's units.
  static json norm(const std::string& fact, const json& v) {
    if (v.is_array()) {
      json out = json::array();
      for (const auto& x : v) out.push_back(norm(fact, x));
      return out;
    }
    if (fact == "time.date" && v.is_string()) return days_of(v);
    if (fact == "time.time" && v.is_string()) {
      const std::string s = v;
      return std::stoi(s.substr(0, 2)) * 60 + std::stoi(s.substr(3, 2));
    }
    if (fact == "time.weekday" && v.is_string()) {
      const std::vector<std::string> names = {"monday", "tuesday",  "wednesday", "thursday",
                                              "friday", "saturday", "sunday"};
      for (size_t k = 0; k < names.size(); ++k)
        if (names[k] == v || names[k].substr(0, 3) == v) return static_cast<int64_t>(k + 1);
    }
    if (fact == "customer.tier_multiplier") return *lr::parse_decimal(v);
    return v;
  }

  static bool compare(const std::string& fact, const json& x, const std::string& op, const json& raw) {
    if (op == "exists") return x.is_null() != raw.value("value", true);
    if (x.is_null()) return false;
    const json v = norm(fact, raw["value"]);
    if (x.is_array()) {
      auto has = [&](const json& s) { return std::find(x.begin(), x.end(), s) != x.end(); };
      if (op == "contains") return has(v);
      if (op == "contains_any") return std::any_of(v.begin(), v.end(), has);
      if (op == "contains_all") return std::all_of(v.begin(), v.end(), has);
      return false;
    }
    if (x.is_string() != v.is_string() && !(op == "in" || op == "not_in")) return false;
    if (x.is_boolean() != v.is_boolean() && !(op == "in" || op == "not_in")) return false;
    if (op == "eq") return x == v;
    if (op == "ne") return x != v;
    if (op == "in" || op == "not_in") {
      bool typed = !v.empty() && x.is_string() == v[0].is_string() && x.is_boolean() == v[0].is_boolean();
      if (!typed) return false;
      const bool found = std::find(v.begin(), v.end(), x) != v.end();
      return op == "in" ? found : !found;
    }
    if (x.is_string()) {
      const std::string s = x, t = v;
      if (op == "starts_with") return s.rfind(t, 0) == 0;
      if (op == "contains") return s.find(t) != std::string::npos;
      return false;
    }
    const int64_t a = x.get<int64_t>();
    if (op == "between") {
      const int64_t lo = v[0], hi = v[1];
      if (fact == "time.time" && lo > hi) return a >= lo || a <= hi;
      return a >= lo && a <= hi;
    }
    const int64_t b = v.get<int64_t>();
    if (op == "lt") return a < b;
    if (op == "lte") return a <= b;
    if (op == "gt") return a > b;
    if (op == "gte") return a >= b;
    return false;
  }

  bool item_cond(const json& c, const json& it) const {
    if (c.contains("all"))
      return std::all_of(c["all"].begin(), c["all"].end(), [&](const json& k) { return item_cond(k, it); });
    if (c.contains("any"))
      return std::any_of(c["any"].begin(), c["any"].end(), [&](const json& k) { return item_cond(k, it); });
    if (c.contains("not")) return !item_cond(c["not"], it);
    const std::string f = c["fact"];
    json x;
    if (f == "item.sku")
      x = it["sku"];
    else if (f == "item.category")
      x = it.value("category", std::string());
    else if (f == "item.quantity")
      x = it["quantity"];
    else if (f == "item.unit_price")
      x = it["unit_price"];
    else
      x = it["quantity"].get<int64_t>() * it["unit_price"].get<int64_t>();
    return compare(f, x, c["operator"], c);
  }

  bool cond(const json& c) const {
    if (c.contains("all")) return std::all_of(c["all"].begin(), c["all"].end(), [&](const json& k) { return cond(k); });
    if (c.contains("any")) return std::any_of(c["any"].begin(), c["any"].end(), [&](const json& k) { return cond(k); });
    if (c.contains("not")) return !cond(c["not"]);
    if (c.contains("any_item")) {
      for (const auto& it : items())
        if (item_cond(c["any_item"], it)) return true;
      return false;
    }
    if (c.contains("all_items")) {
      for (const auto& it : items())
        if (!item_cond(c["all_items"], it)) return false;
      return true;
    }
    return compare(c["fact"], fact(c), c["operator"], c);
  }

  int64_t round(lr::i128 num, lr::i128 den) const {
    lr::i128 q = num / den, r = num % den;
    if (rounding == "ceil" && r) ++q;
    if (rounding == "half_up" && 2 * r >= den) ++q;
    if (rounding == "half_even" && (2 * r > den || (2 * r == den && (q % 2 == 1)))) ++q;
    return static_cast<int64_t>(q);
  }

  /// Points per rule (in the given rule order) and the total.
  std::vector<int64_t> run(const json& rules, int64_t& total) const {
    std::vector<size_t> order(rules.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rules[a].value("priority", 0) > rules[b].value("priority", 0); });
    std::vector<int64_t> pts(rules.size(), 0);
    std::map<std::string, long> holder;  // group -> rule index
    total = 0;
    int64_t cap = -1;
    std::vector<size_t> fired_order;
    for (size_t idx : order) {
      const json& r = rules[idx];
      if (r.contains("start") && at() < *loyalty::parse_time(r["start"].get<std::string>())) continue;
      if (r.contains("end") && at() >= *loyalty::parse_time(r["end"].get<std::string>())) continue;
      if (r.value("location_based", false) && ev.value("location_id", std::string()).empty()) continue;
      const std::string group = r.value("group", std::string());
      const std::string mode = r.value("group_mode", std::string("all"));
      if (!group.empty() && mode == "first" && holder.count(group)) continue;
      if (r.contains("conditions") && !cond(r["conditions"])) continue;
      int64_t sub = 0;
      for (const auto& a : r["actions"]) {
        const std::string t = a["type"];
        int64_t p = 0;
        if (t == "fixed") p = a["points"];
        if (t == "per_currency") {
          int64_t base = ev.value("amount", items_total());
          if (a.contains("items")) {
            base = 0;
            for (const auto& it : items())
              if (item_cond(a["items"], it)) base += it["quantity"].get<int64_t>() * it["unit_price"].get<int64_t>();
          }
          p = round(static_cast<lr::i128>(base) * *lr::parse_decimal(a["rate"]),
                    static_cast<lr::i128>(a.value("unit", 100)) * lr::kScale);
        }
        if (t == "multiply" || t == "tier_multiplier") {
          int64_t f = t == "multiply"
                          ? *lr::parse_decimal(a["factor"])
                          : (ev.contains("tier_multiplier") ? *lr::parse_decimal(ev["tier_multiplier"]) : lr::kScale);
          f = std::max(f, lr::kScale);
          p = round(static_cast<lr::i128>(total + sub) * (f - lr::kScale), lr::kScale);
        }
        if (t == "cap") {
          const int64_t c = a["points"];
          if (cap < 0 || c < cap) cap = c;
        }
        if (a.contains("max")) p = std::min<int64_t>(p, a["max"]);
        sub += p;
      }
      if (!group.empty() && mode == "highest" && holder.count(group)) {
        const size_t h = static_cast<size_t>(holder[group]);
        if (sub > pts[h]) {
          total -= pts[h];
          pts[h] = 0;
          holder[group] = static_cast<long>(idx);
          pts[idx] = sub;
          total += sub;
        }
      } else {
        if (!group.empty() && !holder.count(group)) holder[group] = static_cast<long>(idx);
        pts[idx] = sub;
        total += sub;
      }
      fired_order.push_back(idx);
      if (r.value("stop_processing", false)) break;
    }
    if (cap >= 0 && total > cap) {
      int64_t excess = total - cap;
      for (auto it = fired_order.rbegin(); it != fired_order.rend() && excess > 0; ++it) {
        const int64_t take = std::min(pts[*it], excess);
        pts[*it] -= take;
        excess -= take;
      }
      total = cap;
    }
    return pts;
  }
};

// ---------------------------------------------------------------------------------------------
// random rules and events

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  int64_t num(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }
  bool coin(int pct = 50) { return num(0, 99) < pct; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(num(0, static_cast<int64_t>(v.size()) - 1))];
  }

  const std::vector<std::string> cats = {"beverages", "bakery", "dairy", "toys"};
  const std::vector<std::string> skus = {"A1", "A2", "B1", "C9"};
  const std::vector<std::string> channels = {"pos", "web", "app"};
  const std::vector<std::string> tiers = {"silver", "gold", "platinum"};
  const std::vector<std::string> segs = {"vip", "staff", "new", "student"};

  json strs(const std::vector<std::string>& pool, int64_t n) {
    json a = json::array();
    for (int64_t k = 0; k < n; ++k) a.push_back(pick(pool));
    return a;
  }

  json num_op(const std::string& fact, int64_t lo, int64_t hi) {
    static const std::vector<std::string> ops = {"eq",  "ne", "lt",     "lte",     "gt",
                                                 "gte", "in", "not_in", "between", "exists"};
    const std::string op = pick(ops);
    json c = {{"fact", fact}, {"operator", op}};
    if (op == "exists") {
      if (coin()) c["value"] = coin();
    } else if (op == "in" || op == "not_in") {
      json v = json::array();
      for (int64_t k = num(1, 3); k > 0; --k) v.push_back(num(lo, hi));
      c["value"] = v;
    } else if (op == "between") {
      int64_t a = num(lo, hi), b = num(lo, hi);
      c["value"] = {std::min(a, b), std::max(a, b)};
    } else {
      c["value"] = num(lo, hi);
    }
    return c;
  }

  json str_op(const std::string& fact, const std::vector<std::string>& pool) {
    static const std::vector<std::string> ops = {"eq", "ne", "in", "not_in", "starts_with", "contains", "exists"};
    const std::string op = pick(ops);
    json c = {{"fact", fact}, {"operator", op}};
    if (op == "in" || op == "not_in")
      c["value"] = strs(pool, num(1, 3));
    else if (op == "starts_with" || op == "contains")
      c["value"] = pick(pool).substr(0, static_cast<size_t>(num(1, 3)));
    else if (op != "exists")
      c["value"] = pick(pool);
    return c;
  }

  json item_leaf() {
    switch (num(0, 3)) {
      case 0:
        return str_op("item.category", cats);
      case 1:
        return str_op("item.sku", skus);
      case 2:
        return num_op("item.quantity", 1, 4);
      default:
        return num_op(coin() ? "item.unit_price" : "item.amount", 0, 1500);
    }
  }

  json item_cond(int depth) {
    if (depth < 2 && coin(30)) {
      const char* k = coin() ? "all" : "any";
      json a = json::array();
      for (int64_t n = num(1, 3); n > 0; --n) a.push_back(item_cond(depth + 1));
      return {{k, a}};
    }
    if (depth < 2 && coin(10)) return {{"not", item_cond(depth + 1)}};
    return item_leaf();
  }

  json leaf() {
    switch (num(0, 17)) {
      case 0:
        return num_op("purchase.amount", 0, 5000);
      case 1:
        return str_op("purchase.channel", channels);
      case 2:
        return str_op("customer.tier", tiers);
      case 3: {
        static const std::vector<std::string> ops = {"contains", "contains_any", "contains_all", "exists"};
        const std::string op = pick(ops);
        json c = {{"fact", "customer.segments"}, {"operator", op}};
        if (op == "contains")
          c["value"] = pick(segs);
        else if (op != "exists")
          c["value"] = strs(segs, num(1, 2));
        return c;
      }
      case 4: {
        json c = num_op("time.weekday", 1, 7);
        if (c.contains("value") && c["value"].is_number() && coin(30)) {
          static const std::vector<std::string> names = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
          c["value"] = names[static_cast<size_t>(c["value"].get<int64_t>() - 1)];
        }
        return c;
      }
      case 5:
        return num_op("time.hour", 0, 23);
      case 6: {
        json c = {{"fact", "time.time"}, {"operator", coin() ? "between" : (coin() ? "gte" : "lt")}};
        auto hm = [&] {
          char b[6];
          std::snprintf(b, sizeof b, "%02d:%02d", static_cast<int>(num(0, 23)), static_cast<int>(num(0, 59)));
          return std::string(b);
        };
        if (c["operator"] == "between")
          c["value"] = {hm(), hm()};
        else
          c["value"] = hm();
        return c;
      }
      case 7: {
        json c = {{"fact", "time.date"}, {"operator", coin() ? "gte" : "lt"}};
        char b[11];
        std::snprintf(b, sizeof b, "2026-%02d-%02d", static_cast<int>(num(1, 12)), static_cast<int>(num(1, 28)));
        c["value"] = b;
        return c;
      }
      case 8:
        return num_op("purchase.item_count", 0, 6);
      case 9:
        return {{"any_item", item_cond(0)}};
      case 10:
        return {{"all_items", item_cond(0)}};
      case 11: {
        json c = num_op(coin() ? "purchase.items_amount" : "purchase.items_quantity", 0, 3000);
        if (coin()) c["where"] = item_cond(0);
        return c;
      }
      case 12:
        return {{"fact", coin() ? "customer.is_birthday" : "customer.is_birthday_month"},
                {"operator", coin() ? "eq" : "ne"},
                {"value", coin()}};
      case 13:
        return {{"fact", "customer.first_purchase"}, {"operator", "eq"}, {"value", coin()}};
      case 14: {
        json c = num_op(coin() ? "customer.visits" : "customer.checkins", 0, 5);
        c["days"] = coin() ? 7 : 30;
        return c;
      }
      case 15:
        return coin() ? str_op("customer.attributes.region", {"north", "south"})
                      : num_op("customer.attributes.age", 18, 80);
      case 16:
        return num_op("time.month", 1, 12);
      default: {
        json c = {{"fact", "customer.tier_multiplier"},
                  {"operator", coin() ? "gte" : "lt"},
                  {"value", coin() ? "1.5" : "1.25"}};
        return c;
      }
    }
  }

  json cond(int depth) {
    if (depth < 3 && coin(35)) {
      const char* k = coin() ? "all" : "any";
      json a = json::array();
      for (int64_t n = num(1, 3); n > 0; --n) a.push_back(cond(depth + 1));
      return {{k, a}};
    }
    if (depth < 3 && coin(10)) return {{"not", cond(depth + 1)}};
    return leaf();
  }

  json action() {
    json a;
    switch (num(0, 5)) {
      case 0:
        a = {{"type", "fixed"}, {"points", num(0, 200)}};
        break;
      case 1:
      case 2: {
        static const std::vector<std::string> rates = {"1", "1.5", "2", "0.25", "3.333333", "10"};
        a = {{"type", "per_currency"}, {"rate", pick(rates)}};
        if (coin(30)) a["unit"] = pick(std::vector<int64_t>{1, 10, 100, 1000});
        if (coin(40)) a["items"] = item_cond(0);
        break;
      }
      case 3:
        a = {{"type", "multiply"}, {"factor", pick(std::vector<std::string>{"1.5", "2", "1.25", "3"})}};
        break;
      case 4:
        a = {{"type", "tier_multiplier"}};
        break;
      default:
        a = {{"type", "cap"}, {"points", num(0, 300)}};
        break;
    }
    if (a["type"] != "cap" && a["type"] != "fixed" && coin(15)) a["max"] = num(0, 100);
    return a;
  }

  json rules() {
    json out = json::array();
    static const std::vector<std::string> groups = {"g1", "g2"};
    static const std::vector<std::string> modes = {"all", "first", "highest"};
    const std::string m1 = pick(modes), m2 = pick(modes);
    for (int64_t n = num(1, 6); n > 0; --n) {
      json r = {{"name", "r"}, {"priority", num(0, 3)}};
      if (coin(80)) r["conditions"] = cond(0);
      json acts = json::array();
      for (int64_t k = num(1, 3); k > 0; --k) acts.push_back(action());
      r["actions"] = acts;
      if (coin(35)) {
        r["group"] = pick(groups);
        r["group_mode"] = r["group"] == "g1" ? m1 : m2;
      }
      if (coin(10)) r["stop_processing"] = true;
      if (coin(10)) r["location_based"] = true;
      if (coin(10)) r["start"] = "2026-06-01T00:00:00Z";
      if (coin(10)) r["end"] = "2026-09-01T00:00:00Z";
      out.push_back(r);
    }
    return out;
  }

  json event() {
    json e = {{"at", loyalty::format_time(*loyalty::parse_time("2026-01-01T00:00:00Z") + num(0, 365LL * 86'400'000))}};
    json items = json::array();
    for (int64_t n = num(0, 4); n > 0; --n)
      items.push_back(
          {{"sku", pick(skus)}, {"category", pick(cats)}, {"quantity", num(1, 4)}, {"unit_price", num(0, 1500)}});
    e["items"] = items;
    if (coin(30)) e["amount"] = num(0, 6000);
    if (coin(70)) e["channel"] = pick(channels);
    if (coin(70)) e["tier"] = pick(tiers);
    e["segments"] = strs(segs, num(0, 2));
    if (coin(50)) e["location_id"] = "loc_1";
    if (coin(50)) {
      char b[11];
      std::snprintf(b, sizeof b, "1990-%02d-%02d", static_cast<int>(num(1, 12)), static_cast<int>(num(1, 28)));
      e["birthday"] = coin(20) ? std::string("2000-02-29") : std::string(b);
    }
    if (coin(50)) e["tier_multiplier"] = pick(std::vector<std::string>{"1", "1.25", "1.5", "2"});
    e["prior_purchases"] = num(0, 2);
    e["visits"] = {num(0, 5), num(0, 5)};
    e["checkins"] = {num(0, 5), num(0, 5)};
    if (coin(70)) {
      json a = json::object();
      if (coin(70)) a["region"] = coin() ? "north" : "south";
      if (coin(70)) a["age"] = num(18, 80);
      e["attributes"] = a;
    }
    return e;
  }
};

}  // namespace

TEST_CASE("rules: the compiled plan agrees with a reference interpreter on 100,000 random rule sets and events") {
  Gen g(20261124);
  const std::vector<std::string> zones = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"};
  const std::vector<std::string> roundings = {"floor", "ceil", "half_up", "half_even"};
  int64_t fired = 0, disagreements = 0;
  constexpr int kSets = 20'000, kEventsPerSet = 5;
  for (int s = 0; s < kSets; ++s) {
    const json rules = g.rules();
    const std::string zone = g.pick(zones), rounding = g.pick(roundings);
    auto plan = plan_of(rules, rounding, zone);
    // visits and check-ins over 7 and 30 days: slots in the plan's order of first use
    for (int k = 0; k < kEventsPerSet; ++k) {
      json ev = g.event();
      EventBox box(ev);
      std::vector<int64_t> visits;
      for (int64_t d : plan->visit_days)
        visits.push_back(d == 7 ? ev["visits"][0].get<int64_t>() : ev["visits"][1].get<int64_t>());
      box.ev.visits = visits;
      std::vector<int64_t> checkins;
      for (int64_t d : plan->checkin_days)
        checkins.push_back(d == 7 ? ev["checkins"][0].get<int64_t>() : ev["checkins"][1].get<int64_t>());
      box.ev.checkins = checkins;
      lr::Evaluation e;
      lr::evaluate(*plan, box.ev, {}, e);
      Ref ref{ev, loyalty::TimeZone::locate(zone), rounding};
      int64_t total = 0;
      const std::vector<int64_t> want = ref.run(rules, total);
      // plan rule ids are "r<n>" with n the 1-based position in `rules`
      bool same = total == e.total;
      for (size_t i = 0; i < plan->rules.size(); ++i) {
        const size_t idx = std::stoul(plan->rules[i].id.substr(1)) - 1;
        if (want[idx] != e.rules[i].points) same = false;
      }
      if (!same && disagreements++ < 3) {
        INFO("rules: " << rules.dump());
        INFO("event: " << ev.dump() << " zone " << zone << " rounding " << rounding);
        INFO("plan explain: " << lr::explain(*plan, e).dump());
        CHECK(total == e.total);
      }
      if (e.total > 0) ++fired;
    }
  }
  CHECK(disagreements == 0);
  // the generator must exercise both outcomes
  CHECK(fired > kSets * kEventsPerSet / 10);
  CHECK(fired < kSets * kEventsPerSet * 9 / 10);
}
