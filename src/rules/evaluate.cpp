// Evaluation of a compiled plan: the fact frame is built once per event, then every rule runs
// over flat nodes (no JSON, no allocation per rule), then limits, groups, stop-processing and
// the per-transaction cap decide the points. Integer arithmetic only (i128 intermediates).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/input.hpp"
#include "core/json_text.hpp"
#include "rules/plan.hpp"

namespace loyalty::rules {

Rounding rounding_from(std::string_view name) {
  if (name == "floor") return Rounding::floor;
  if (name == "ceil") return Rounding::ceil;
  if (name == "half_up") return Rounding::half_up;
  if (name == "half_even") return Rounding::half_even;
  throw Error(Status::invalid, fmt::format("'{}' is not a rounding mode", name), "rounding");
}

namespace {

/// round_div on 64-bit operands (num >= 0, den > 0): no 128-bit division. `2 * r` is written
/// `r` against `den - r` so it cannot overflow.
[[gnu::always_inline]] inline int64_t round_div64(int64_t num, int64_t den, Rounding mode) {
  int64_t q = num / den;
  const int64_t r = num % den, rest = den - r;
  switch (mode) {
    case Rounding::floor:
      break;
    case Rounding::ceil:
      if (r) ++q;
      break;
    case Rounding::half_up:
      if (r >= rest) ++q;
      break;
    case Rounding::half_even:
      if (r > rest || (r == rest && (q & 1))) ++q;
      break;
  }
  return std::min(q, detail::kMaxAmount);
}

}  // namespace

int64_t round_div(i128 num, i128 den, Rounding mode) {
  if (num >= 0 && num <= INT64_MAX && den > 0 && den <= INT64_MAX)
    return round_div64(static_cast<int64_t>(num), static_cast<int64_t>(den), mode);
  i128 q = num / den, r = num % den;
  switch (mode) {
    case Rounding::floor:
      break;
    case Rounding::ceil:
      if (r) ++q;
      break;
    case Rounding::half_up:
      if (2 * r >= den) ++q;
      break;
    case Rounding::half_even:
      if (2 * r > den || (2 * r == den && (q & 1))) ++q;
      break;
  }
  if (q > detail::kMaxAmount) return detail::kMaxAmount;
  return static_cast<int64_t>(q);
}

const char* period_name(Period p) {
  switch (p) {
    case Period::day:
      return "day";
    case Period::week:
      return "week";
    case Period::month:
      return "month";
    case Period::year:
      return "year";
    case Period::lifetime:
      return "lifetime";
  }
  return "?";
}

int64_t period_key(Period p, const CivilDate& d) {
  const int64_t days = timestamp_from_civil(d) / kMillisPerDay;
  switch (p) {
    case Period::day:
      return days;
    case Period::week: {
      const uint32_t wd = weekday(d);  // 0 = Sunday
      return days - static_cast<int64_t>((wd + 6) % 7);
    }
    case Period::month:
      return static_cast<int64_t>(d.year) * 12 + d.month - 1;
    case Period::year:
      return d.year;
    case Period::lifetime:
      return 0;
  }
  return 0;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::fired:
      return "fired";
    case Outcome::not_matched:
      return "not_matched";
    case Outcome::outside_window:
      return "outside_window";
    case Outcome::no_location:
      return "no_location";
    case Outcome::group_taken:
      return "group_taken";
    case Outcome::group_outbid:
      return "group_outbid";
    case Outcome::cooldown:
      return "cooldown";
    case Outcome::stopped:
      return "stopped";
  }
  return "?";
}

namespace {

/// What evaluation reads, with the plan's and the frame's arrays as plain pointers (the frame
/// must not be resized while a Ctx lives).
struct Ctx {
  Ctx(const Plan& p, const Event& e, Evaluation& o)
      : plan(p), ev(e), out(o), nodes(p.nodes.data()), kids(p.kids.data()), frame(o.frame.data()), stamp(o.stamp) {}
  const Plan& plan;
  const Event& ev;
  Evaluation& out;
  const Node* nodes;
  const uint32_t* kids;
  const FactValue* frame;
  uint32_t stamp;  // frame values carrying it are present
};

[[gnu::always_inline]] inline bool in_sorted(const Plan& p, const Node& n, int64_t x) {
  const auto* b = p.ints.data() + n.first;
  return std::binary_search(b, b + n.count, x);
}

[[gnu::always_inline]] inline bool sym_in(const Plan& p, const Node& n, int32_t s) {
  if (s < 0) return false;
  for (uint32_t k = 0; k < n.count; ++k)
    if (p.syms[n.first + k] == s) return true;
  return false;
}

[[gnu::always_inline]] inline bool compare_int(const Plan& p, const Node& n, int64_t x) {
  switch (n.op) {
    case Op::eq:
      return x == n.a;
    case Op::ne:
      return x != n.a;
    case Op::lt:
      return x < n.a;
    case Op::lte:
      return x <= n.a;
    case Op::gt:
      return x > n.a;
    case Op::gte:
      return x >= n.a;
    case Op::in:
      return in_sorted(p, n, x);
    case Op::not_in:
      return !in_sorted(p, n, x);
    case Op::between:
      // times of day may wrap midnight: 22:00..02:00
      if (n.type == Type::time && n.a > n.b) return x >= n.a || x <= n.b;
      return x >= n.a && x <= n.b;
    default:
      return false;
  }
}

/// `sym` is the value's symbol among those the node's slot is compared with (-1: none of them);
/// `s` its text, for starts_with and contains.
[[gnu::always_inline]] inline bool compare_str(const Plan& p, const Node& n, int32_t sym, std::string_view s) {
  switch (n.op) {
    case Op::eq:
      return sym >= 0 && sym == n.sym;
    case Op::ne:
      return sym != n.sym || sym < 0;
    case Op::in:
      return sym_in(p, n, sym);
    case Op::not_in:
      return !sym_in(p, n, sym);
    case Op::starts_with:
      return s.starts_with(p.strings[static_cast<size_t>(n.sym)]);
    case Op::contains:
      return s.find(p.strings[static_cast<size_t>(n.sym)]) != std::string_view::npos;
    default:
      return false;
  }
}

/// A fused leaf comparison (n.test is not Test::general): `x` is the value's integer (booleans
/// 0/1), `sym` its symbol among those the slot is compared with (-1: none of them).
[[gnu::always_inline]] inline bool fused(const Plan& p, const Node& n, int64_t x, int32_t sym) {
  switch (n.test) {
    case Test::int_eq:
    case Test::bool_eq:
      return x == n.a;
    case Test::int_ne:
    case Test::bool_ne:
      return x != n.a;
    case Test::int_lt:
      return x < n.a;
    case Test::int_lte:
      return x <= n.a;
    case Test::int_gt:
      return x > n.a;
    case Test::int_gte:
      return x >= n.a;
    case Test::int_in:
      return in_sorted(p, n, x);
    case Test::int_not_in:
      return !in_sorted(p, n, x);
    case Test::int_between:
      return x >= n.a && x <= n.b;
    case Test::time_between_wrap:
      return x >= n.a || x <= n.b;
    case Test::sym_eq:  // n.sym is a symbol (>= 0): -1 never equals it
      return sym == n.sym;
    case Test::sym_ne:
      return sym != n.sym;
    case Test::sym_in:
      return sym_in(p, n, sym);
    case Test::sym_not_in:
      return !sym_in(p, n, sym);
    case Test::general:
      break;
  }
  return false;
}

bool compare_list(const Ctx& c, const Node& n, const FactValue& v) {
  const int32_t* b = c.out.list_syms.data() + v.first;
  auto has = [&](int32_t s) {
    for (uint32_t k = 0; k < v.count; ++k)
      if (b[k] == s) return true;
    return false;
  };
  switch (n.op) {
    case Op::contains:
      return has(n.sym);
    case Op::contains_any:
      for (uint32_t k = 0; k < n.count; ++k)
        if (has(c.plan.syms[n.first + k])) return true;
      return false;
    case Op::contains_all:
      for (uint32_t k = 0; k < n.count; ++k)
        if (!has(c.plan.syms[n.first + k])) return false;
      return true;
    default:
      return false;
  }
}

struct ItemView {
  int32_t sku_sym, cat_sym;
};

bool item_cond(const Ctx& c, int32_t id, size_t item);

[[gnu::always_inline]] inline bool item_leaf(const Ctx& c, const Node& n, size_t idx) {
  const ItemIn& it = c.ev.items[idx];
  if (n.test != Test::general) {
    switch (n.slot) {
      case kSku:
        return fused(c.plan, n, 0, c.out.item_syms[2 * idx]);
      case kCategory:
        return fused(c.plan, n, 0, c.out.item_syms[2 * idx + 1]);
      case kQuantity:
        return fused(c.plan, n, it.quantity, -1);
      case kUnitPrice:
        return fused(c.plan, n, it.unit_price, -1);
      default:
        return fused(c.plan, n, it.quantity * it.unit_price, -1);
    }
  }
  if (n.op == Op::exists) return n.a == 1;  // item fields always exist
  switch (n.slot) {
    case kSku:
      return compare_str(c.plan, n, c.out.item_syms[2 * idx], it.sku);
    case kCategory:
      return compare_str(c.plan, n, c.out.item_syms[2 * idx + 1], it.category);
    case kQuantity:
      return compare_int(c.plan, n, it.quantity);
    case kUnitPrice:
      return compare_int(c.plan, n, it.unit_price);
    case kLineAmount:
      return compare_int(c.plan, n, it.quantity * it.unit_price);
    default:
      return false;
  }
}

bool item_cond(const Ctx& c, int32_t id, size_t item) {
  const Node& n = c.nodes[id];
  switch (n.kind) {
    case NodeKind::all:
      for (uint32_t k = 0; k < n.count; ++k)
        if (!item_cond(c, static_cast<int32_t>(c.kids[n.first + k]), item)) return false;
      return true;
    case NodeKind::any:
      for (uint32_t k = 0; k < n.count; ++k)
        if (item_cond(c, static_cast<int32_t>(c.kids[n.first + k]), item)) return true;
      return false;
    case NodeKind::not_:
      return !item_cond(c, static_cast<int32_t>(c.kids[n.first]), item);
    case NodeKind::item_leaf:
      return item_leaf(c, n, item);
    default:
      return false;
  }
}

/// One pass over the items computes every item aggregate of the plan (sums, any, all). Each
/// item's category is classified once: the category-only aggregates its class holds for take it
/// directly (Plan::class_aggs); the others run the part of their condition the category
/// prefilter leaves (Plan::residuals).
void item_pass(const Ctx& c) {
  const Plan& p = c.plan;
  Evaluation& e = c.out;
  const auto items = c.ev.items;
  const size_t n_aggs = p.item_aggs.size();
  e.aggs.resize(n_aggs + 1);  // the last one is scratch (Plan::class_single)
  ItemAggregate* const aggs = e.aggs.data();
  for (size_t a = 0; a <= n_aggs; ++a) aggs[a] = ItemAggregate{};
  const Plan::SymbolSet &skus = p.sku_set, &cats = p.category_set;
  const size_t classes = cats.count + 1;
  const bool linear = cats.count <= kLinearSymbols;
  const bool strings = p.residual_reads_strings;
  if (strings) e.item_syms.resize(2 * items.size());
  const uint32_t* const class_first = p.class_first.data();
  const int32_t* const class_aggs = p.class_aggs.data();
  const int32_t* const class_single = p.class_single.data();
  const size_t n_generic = p.generic_aggs.size();
  for (size_t k = 0; k < items.size(); ++k) {
    const ItemIn& it = items[k];
    int32_t cls = 0;
    const int32_t cat_sym = p.set_symbol(cats, it.category, cls);
    if (strings) {
      int32_t ignored = 0;
      e.item_syms[2 * k] = p.set_symbol(skus, it.sku, ignored);
      e.item_syms[2 * k + 1] = cat_sym;
    }
    const i128 line = static_cast<i128>(it.quantity) * it.unit_price;
    if (linear) {
      auto add = [&](ItemAggregate& g) {
        g.amount += line;
        g.quantity += it.quantity;
        ++g.matched;
      };
      if (const int32_t single = class_single[cls]; single >= 0)
        add(aggs[single]);
      else
        for (uint32_t j = class_first[cls], end = class_first[cls + 1]; j < end; ++j) add(aggs[class_aggs[j]]);
    }
    const uint8_t* pre = p.category_prefilter.data() + (linear ? static_cast<size_t>(cls) : 0);
    for (size_t g = 0; g < n_generic; ++g, pre += classes) {
      bool match = *pre != 0;
      const Plan::Residual& r = p.residuals[g];
      for (uint32_t j = 0; match && j < r.count; ++j) match = item_cond(c, p.residual_kids[r.first + j], k);
      if (match) {
        ItemAggregate& agg = aggs[p.generic_aggs[g]];
        agg.amount += line;
        agg.quantity += it.quantity;
        ++agg.matched;
      }
    }
  }
  e.aggs_ready = true;
}

const ItemAggregate& aggregate(const Ctx& c, int32_t agg) {
  if (!c.out.aggs_ready) item_pass(c);
  return c.out.aggs[static_cast<size_t>(agg)];
}

int64_t clamp_sum(i128 sum) { return sum > detail::kMaxAmount ? detail::kMaxAmount : static_cast<int64_t>(sum); }

[[gnu::always_inline]] inline bool leaf(const Ctx& c, const Node& n) {
  if (n.test != Test::general) {
    const FactValue& v = c.frame[n.slot];
    return v.stamp == c.stamp && fused(c.plan, n, v.i, v.sym);
  }
  if (n.slot == kItemsAmount || n.slot == kItemsQuantity) {
    if (n.op == Op::exists) return n.a == 1;
    const ItemAggregate& g = aggregate(c, n.agg);
    return compare_int(c.plan, n, clamp_sum(n.slot == kItemsAmount ? g.amount : g.quantity));
  }
  const FactValue& v = c.frame[n.slot];
  const bool present = v.stamp == c.stamp;
  if (n.op == Op::exists) return present == (n.a == 1);
  if (!present) return false;
  switch (n.type) {
    case Type::string:
      if (v.type != Type::string) return false;
      return compare_str(c.plan, n, v.sym, v.s);
    case Type::strings:
      return compare_list(c, n, v);
    case Type::boolean:
      if (v.type != Type::boolean) return false;
      return n.op == Op::eq ? v.i == n.a : v.i != n.a;
    default:
      if (v.type == Type::string || v.type == Type::boolean || v.type == Type::strings) return false;
      return compare_int(c.plan, n, v.i);
  }
}

bool cond(const Ctx& c, int32_t id, int32_t& failed);

/// An `all` node: leaf children (most) are decided inline, without a call.
[[gnu::always_inline]] inline bool all_of(const Ctx& c, const Node& n, int32_t& failed) {
  for (uint32_t k = 0; k < n.count; ++k) {
    const auto kid = static_cast<int32_t>(c.kids[n.first + k]);
    const Node& m = c.nodes[kid];
    if (m.kind == NodeKind::leaf) {
      if (leaf(c, m)) continue;
      failed = kid;
      return false;
    }
    if (!cond(c, kid, failed)) return false;
  }
  return true;
}

/// Evaluates condition `id`; on false, `failed` is the node that decided it.
bool cond(const Ctx& c, int32_t id, int32_t& failed) {
  const Node& n = c.nodes[id];
  switch (n.kind) {
    case NodeKind::all:
      return all_of(c, n, failed);
    case NodeKind::any: {
      int32_t ignored = -1;
      for (uint32_t k = 0; k < n.count; ++k) {
        const auto kid = static_cast<int32_t>(c.kids[n.first + k]);
        const Node& m = c.nodes[kid];
        if (m.kind == NodeKind::leaf ? leaf(c, m) : cond(c, kid, ignored)) return true;
      }
      failed = id;
      return false;
    }
    case NodeKind::not_: {
      int32_t ignored = -1;
      if (!cond(c, static_cast<int32_t>(c.kids[n.first]), ignored)) return true;
      failed = id;
      return false;
    }
    case NodeKind::any_item:
      if (aggregate(c, n.agg).matched > 0) return true;
      failed = id;
      return false;
    case NodeKind::all_items:
      // vacuously true for an empty cart
      if (aggregate(c, n.agg).matched == static_cast<int64_t>(c.ev.items.size())) return true;
      failed = id;
      return false;
    case NodeKind::leaf:
      if (leaf(c, n)) return true;
      failed = id;
      return false;
    case NodeKind::item_leaf:
      failed = id;
      return false;
  }
  return false;
}

/// Frame setters: `st` is the evaluation's stamp (the value becomes present).
void set_int(FactValue& v, uint32_t st, int64_t x, Type t = Type::integer) {
  v.stamp = st;
  v.type = t;
  v.i = x;
}
void set_bool(FactValue& v, uint32_t st, bool x) { set_int(v, st, x ? 1 : 0, Type::boolean); }
/// A string fact of frame slot `slot`, classified against the symbols its conditions use.
void set_str(const Plan& p, FactValue& v, uint32_t st, int32_t slot, std::string_view s) {
  v.stamp = st;
  v.type = Type::string;
  v.s = s;
  v.sym = p.slot_symbol(slot, s);
}
void set_list(const Plan& p, Evaluation& e, FactValue& v, int32_t slot, std::span<const std::string_view> list) {
  v.stamp = e.stamp;
  v.type = Type::strings;
  v.first = static_cast<uint32_t>(e.list_syms.size());
  for (auto s : list) e.list_syms.push_back(p.slot_symbol(slot, s));
  v.count = static_cast<uint32_t>(list.size());
}

/// The local day of instant `at` in the plan's zone, from the evaluation's cache when `at` falls
/// in the cached day (same zone, same offset, same local date).
const LocalDay& local_day(const Plan& p, Timestamp at, Evaluation& e) {
  LocalDay& d = e.day;
  const bool zoned = p.zone != nullptr;
  const bool same_zone = d.zoned == zoned && d.zone.get() == p.zone.get();
  if (same_zone && at >= d.from && at < d.until) return d;
  if (!same_zone) {
    d.zone = p.zone;
    d.zoned = zoned;
    d.spans.fill({0, INT64_MAX, INT64_MIN});
  }
  // the offset: from the two most recent spans of constant offset, else from the zone
  TimeZone::OffsetSpan span{0, INT64_MIN, INT64_MAX};
  if (zoned) {
    if (at >= d.spans[0].from && at < d.spans[0].until) {
      span = d.spans[0];
    } else if (at >= d.spans[1].from && at < d.spans[1].until) {
      span = d.spans[1];
      std::swap(d.spans[0], d.spans[1]);
    } else {
      span = p.zone->offset_span(at);
      d.spans[1] = d.spans[0];
      d.spans[0] = span;
    }
  }
  d.offset_ms = static_cast<Timestamp>(span.offset) * 1000;
  const Timestamp local = at + d.offset_ms;
  const int64_t days = local / kMillisPerDay - (local % kMillisPerDay < 0 ? 1 : 0);
  d.midnight = days * kMillisPerDay;
  d.date = civil_from_timestamp(d.midnight);
  d.weekday = static_cast<uint32_t>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  d.from = std::max(span.from, d.midnight - d.offset_ms);
  d.until = std::min(span.until, d.midnight + kMillisPerDay - d.offset_ms);
  return d;
}

void build_frame(const Plan& p, const Event& ev, Evaluation& e) {
  // Only the facts some condition reads are computed (Plan::used), and only their slots reset.
  const size_t slots = static_cast<size_t>(p.slot_count());
  // A new stamp makes every value of earlier evaluations absent; on wrap-around the stamps restart.
  if (++e.stamp == 0 || e.frame.size() != slots) {
    e.frame.assign(slots, FactValue{});
    e.stamp = 1;
  }
  const uint32_t st = e.stamp;
  e.list_syms.clear();
  auto& f = e.frame;
  const auto used = [&](int32_t slot) { return p.used[static_cast<size_t>(slot)] != 0; };
  set_int(f[kAmount], st, ev.amount);
  if (!ev.currency.empty() && used(kCurrency)) set_str(p, f[kCurrency], st, kCurrency, ev.currency);
  if (!ev.channel.empty() && used(kChannel)) set_str(p, f[kChannel], st, kChannel, ev.channel);
  if (!ev.location_id.empty()) {
    if (used(kLocationId)) set_str(p, f[kLocationId], st, kLocationId, ev.location_id);
    if (used(kPlaceLocation)) set_str(p, f[kPlaceLocation], st, kPlaceLocation, ev.location_id);
  }
  if (used(kItemCount)) {
    int64_t count = 0;
    for (const auto& it : ev.items) count += it.quantity;
    set_int(f[kItemCount], st, count);
  }
  if (ev.tier && used(kTier)) set_str(p, f[kTier], st, kTier, *ev.tier);
  if (used(kSegments)) set_list(p, e, f[kSegments], kSegments, ev.segments);
  if (used(kPlaceInside)) set_list(p, e, f[kPlaceInside], kPlaceInside, ev.inside);
  if (ev.tier_multiplier && used(kTierMultiplier)) set_int(f[kTierMultiplier], st, *ev.tier_multiplier, Type::decimal);
  if (ev.distance_m && used(kDistance)) set_int(f[kDistance], st, *ev.distance_m);
  if (used(kFirstPurchase)) set_bool(f[kFirstPurchase], st, ev.prior_purchases == 0);
  if (p.trigger == Trigger::checkin && used(kFirstVisit)) set_bool(f[kFirstVisit], st, ev.first_visit);
  if (p.uses_local_time) {
    const LocalDay& day = local_day(p, ev.at, e);
    const CivilDate& d = day.date;
    const int64_t ms_of_day = ev.at + day.offset_ms - day.midnight;
    const int64_t date = day.midnight / kMillisPerDay;
    if (used(kWeekday)) set_int(f[kWeekday], st, day.weekday == 0 ? 7 : day.weekday);
    if (used(kHour)) set_int(f[kHour], st, ms_of_day / 3'600'000);
    if (used(kMinute)) set_int(f[kMinute], st, (ms_of_day / 60'000) % 60);
    if (used(kDate)) set_int(f[kDate], st, date, Type::date);
    if (used(kMonth)) set_int(f[kMonth], st, d.month);
    if (used(kDay)) set_int(f[kDay], st, d.day);
    if (used(kTime)) set_int(f[kTime], st, ms_of_day / 60'000, Type::time);
    if (ev.birthday) {
      const CivilDate& b = *ev.birthday;
      if (b.year != 0 && used(kBirthday))
        set_int(f[kBirthday], st, timestamp_from_civil(b) / kMillisPerDay, Type::date);
      if (used(kIsBirthday)) {
        // 29 February is celebrated on 28 February in years without one.
        uint32_t bday = b.day;
        if (b.month == 2 && b.day == 29 && days_in_month(d.year, 2) == 28) bday = 28;
        set_bool(f[kIsBirthday], st, b.month == d.month && bday == d.day);
      }
      if (used(kIsBirthdayMonth)) set_bool(f[kIsBirthdayMonth], st, b.month == d.month);
    }
    if (ev.last_purchase_at && used(kDaysSinceLast)) {
      const Timestamp last_local = p.zone ? p.zone->to_local(*ev.last_purchase_at) : *ev.last_purchase_at;
      const int64_t days = date - timestamp_from_civil(civil_from_timestamp(last_local)) / kMillisPerDay;
      set_int(f[kDaysSinceLast], st, days);
    }
  }
  for (size_t k = 0; k < p.attributes.size(); ++k) {
    if (!ev.attributes || !ev.attributes->is_object()) break;
    auto it = ev.attributes->find(p.attributes[k]);
    if (it == ev.attributes->end()) continue;
    FactValue& v = f[kFixedSlots + k];
    if (it->is_string())
      set_str(p, v, st, static_cast<int32_t>(kFixedSlots + k), it->get_ref<const std::string&>());
    else if (it->is_boolean()) {
      v.stamp = st;
      v.type = Type::boolean;
      v.i = it->get<bool>() ? 1 : 0;
    } else if (it->is_number_integer() &&
               !(it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
      set_int(v, st, it->get<int64_t>());
  }
  for (size_t k = 0; k < p.visit_days.size() && k < ev.visits.size(); ++k)
    set_int(f[static_cast<size_t>(p.visit_slot(k))], st, ev.visits[k]);
  for (size_t k = 0; k < p.spend_days.size() && k < ev.spend.size(); ++k)
    set_int(f[static_cast<size_t>(p.spend_slot(k))], st, ev.spend[k]);
  for (size_t k = 0; k < p.checkin_days.size() && k < ev.checkins.size(); ++k)
    set_int(f[static_cast<size_t>(p.checkin_slot(k))], st, ev.checkins[k]);
  for (size_t k = 0; k < p.location_days.size() && k < ev.location_visits.size(); ++k)
    set_int(f[static_cast<size_t>(p.location_slot(k))], st, ev.location_visits[k]);
}

}  // namespace

bool item_matches(const Plan& plan, int32_t where, const ItemIn& item) {
  if (where < 0) return true;
  Event ev;
  ev.items = std::span<const ItemIn>(&item, 1);
  Evaluation e;
  int32_t pos = 0;
  e.item_syms = {plan.set_symbol(plan.sku_set, item.sku, pos), plan.set_symbol(plan.category_set, item.category, pos)};
  const Ctx c{plan, ev, e};
  return item_cond(c, where, 0);
}

namespace {

/// round(base * num / den) by the plan's rounding: 64-bit unless the product overflows.
[[gnu::always_inline]] inline int64_t scaled(int64_t base, int64_t num, int64_t den, Rounding mode) {
  int64_t product = 0;
  if (!__builtin_mul_overflow(base, num, &product))
    return den == 1 ? std::min(product, detail::kMaxAmount) : round_div64(product, den, mode);
  return round_div(static_cast<i128>(base) * num, den, mode);
}

/// The points of one fixed, per_currency, multiply or tier_multiplier action; multipliers apply
/// to `running`, the points awarded before it.
[[gnu::always_inline]] inline int64_t action_value(const Ctx& c, const Action& a, int64_t running) {
  const Plan& plan = c.plan;
  switch (a.kind) {
    case ActionKind::fixed:
      return a.points;
    case ActionKind::per_currency: {
      const int64_t base = a.agg < 0 ? c.ev.amount : clamp_sum(aggregate(c, a.agg).amount);
      return scaled(std::max<int64_t>(base, 0), a.num, a.den, plan.rounding);
    }
    case ActionKind::multiply:
      return scaled(std::min(running, detail::kMaxAmount), a.num, a.den, plan.rounding);
    case ActionKind::tier_multiply: {
      const int64_t factor = c.ev.tier_multiplier ? std::max<int64_t>(*c.ev.tier_multiplier, kScale) : kScale;
      return scaled(std::min(running, detail::kMaxAmount), factor - kScale, kScale, plan.rounding);
    }
    case ActionKind::cap:
      break;
  }
  return 0;
}

/// The points of rule `r`'s actions (before limits); a cap action records itself in `out`.
int64_t action_points(const Ctx& c, const CompiledRule& r, int32_t rule) {
  Evaluation& out = c.out;
  const Action* const actions = c.plan.actions.data();
  int64_t sub = 0;
  for (uint32_t k = 0; k < r.action_count; ++k) {
    const Action& a = actions[r.first_action + k];
    if (a.kind == ActionKind::cap) {
      if (out.cap < 0 || a.points < out.cap) {
        out.cap = a.points;
        out.cap_rule = rule;
      }
      continue;
    }
    int64_t pts = action_value(c, a, out.total + sub);
    if (a.max >= 0) pts = std::min(pts, a.max);
    sub = std::min(sub + pts, detail::kMaxAmount);
  }
  return sub;
}

}  // namespace

void evaluate(const Plan& plan, const Event& ev, std::span<const LimitState> limits, Evaluation& out) {
  const size_t n_rules = plan.rules.size();
  out.rules.resize(n_rules);  // every result is written below
  out.holders.assign(plan.groups.size(), -1);
  out.total = 0;
  out.cap = -1;
  out.cap_rule = -1;
  out.aggs_ready = false;
  // The items are read last (by the item pass) but are likely the event's coldest memory: their
  // loads start now and overlap with building the frame.
  if (!plan.item_aggs.empty()) {
    const char* first = reinterpret_cast<const char*>(ev.items.data());
    const char* last = first + ev.items.size_bytes();
    for (const char* p = first; p < last; p += 64) __builtin_prefetch(p);
  }
  build_frame(plan, ev, out);
  if (!plan.item_aggs.empty())  // the item pass classifies these strings
    for (const ItemIn& it : ev.items) {
      __builtin_prefetch(it.category.data());
      if (plan.residual_reads_strings) __builtin_prefetch(it.sku.data());
    }
  const Ctx c{plan, ev, out};
  const CompiledRule* const rules = plan.rules.data();
  RuleResult* const results = out.rules.data();
  const Plan::HotRule* const hot = plan.hot.data();
  for (size_t i = 0; i < n_rules; ++i) {
    const Plan::HotRule& h = hot[i];
    RuleResult& res = results[i];
    res = RuleResult{};
    const uint8_t gates = h.gates;
    int32_t* holder = nullptr;
    if (gates & (kGateWindow | kGateLocation | kGateGroup)) {
      const CompiledRule& r = rules[i];
      if ((gates & kGateWindow) && ((r.start && ev.at < *r.start) || (r.end && ev.at >= *r.end))) {
        res.outcome = Outcome::outside_window;
        continue;
      }
      if ((gates & kGateLocation) && ev.location_id.empty()) {
        res.outcome = Outcome::no_location;
        continue;
      }
      if (gates & kGateGroup) {
        holder = &out.holders[static_cast<size_t>(h.group)];
        if (h.mode == GroupMode::first && *holder >= 0) {
          res.outcome = Outcome::group_taken;
          res.by = *holder;
          continue;
        }
      }
    }
    if (h.root >= 0) {
      // a leaf root (most rules) is decided inline, without the tree walk
      const Node& root = c.nodes[h.root];
      if (root.kind == NodeKind::leaf) {
        if (!leaf(c, root)) {
          res.failed = h.root;
          continue;
        }
      } else if (!(root.kind == NodeKind::all ? all_of(c, root, res.failed) : cond(c, h.root, res.failed))) {
        continue;
      }
    }
    const LimitState* ls = (gates & kGateLimits) && i < limits.size() ? &limits[i] : nullptr;
    if (ls && rules[i].cooldown_ms >= 0 && ls->last_award_at && ev.at < *ls->last_award_at + rules[i].cooldown_ms) {
      res.outcome = Outcome::cooldown;
      continue;
    }
    int64_t sub = h.single ? action_value(c, plan.actions[h.action], out.total)
                           : action_points(c, rules[i], static_cast<int32_t>(i));
    res.computed = sub;
    // stateful limits: per customer per period, then the campaign budget
    if (ls) {
      const CompiledRule& r = rules[i];
      for (uint32_t k = 0; k < r.period_count; ++k) {
        const int64_t left = std::max<int64_t>(0, r.periods[k].points - ls->used[k]);
        if (sub > left) {
          res.limit_clamp += sub - left;
          sub = left;
          res.clamped_by = static_cast<int8_t>(k);
        }
      }
      if (r.budget >= 0) {
        const int64_t left = std::max<int64_t>(0, r.budget - ls->budget_used);
        if (sub > left) {
          res.limit_clamp += sub - left;
          sub = left;
          res.clamped_by = 5;
        }
      }
    }
    res.outcome = Outcome::fired;
    res.points = sub;
    if (holder) {
      if (h.mode == GroupMode::highest && *holder >= 0) {
        RuleResult& held = results[*holder];
        if (sub > held.points) {
          out.total -= held.points;
          held.points = 0;
          held.outcome = Outcome::group_outbid;
          held.by = static_cast<int32_t>(i);
          *holder = static_cast<int32_t>(i);
        } else {
          res.outcome = Outcome::group_outbid;
          res.by = *holder;
          res.points = 0;
        }
      } else if (*holder < 0) {
        *holder = static_cast<int32_t>(i);
      }
    }
    out.total += res.points;
    if (gates & kGateStop) {
      for (size_t j = i + 1; j < n_rules; ++j) {
        results[j] = RuleResult{};
        results[j].outcome = Outcome::stopped;
        results[j].by = static_cast<int32_t>(i);
      }
      break;
    }
  }
  // The per-transaction cap takes the excess back from the latest awards first.
  if (out.cap >= 0 && out.total > out.cap) {
    int64_t excess = out.total - out.cap;
    for (size_t i = n_rules; i-- > 0 && excess > 0;) {
      RuleResult& res = out.rules[i];
      const int64_t take = std::min(res.points, excess);
      res.points -= take;
      res.cap_clamp = take;
      excess -= take;
    }
    out.total = out.cap;
  }
}

std::optional<ExplainLevel> explain_level(std::string_view s) {
  if (s == "none") return ExplainLevel::none;
  if (s == "fired") return ExplainLevel::fired;
  if (s == "full") return ExplainLevel::full;
  return std::nullopt;
}

void explain_text(const Plan& plan, const Evaluation& e, ExplainLevel level, std::string& out) {
  using detail::append_json_int;
  using detail::append_json_key;
  using detail::append_json_string;
  if (level == ExplainLevel::none) {
    out.append("null", 4);
    return;
  }
  // Keys in sorted order, as a DOM's dump() writes them.
  auto str = [&](std::string_view key, std::string_view v) {
    append_json_key(out, key);
    append_json_string(out, v);
    out.push_back(',');
  };
  auto num = [&](std::string_view key, int64_t v) {
    append_json_key(out, key);
    append_json_int(out, v);
    out.push_back(',');
  };
  out.push_back('{');
  if (e.cap >= 0) {
    out.append("\"cap\":{\"points\":");
    append_json_int(out, e.cap);
    out.append(",\"rule_id\":");
    append_json_string(out, plan.rules[static_cast<size_t>(e.cap_rule)].id);
    out.append("},");
  }
  out.append("\"rules\":[");
  bool first = true;
  std::string reason;
  for (size_t i = 0; i < plan.rules.size() && i < e.rules.size(); ++i) {
    const CompiledRule& r = plan.rules[i];
    const RuleResult& res = e.rules[i];
    if (level == ExplainLevel::fired && res.points <= 0) continue;
    if (!first) out.push_back(',');
    first = false;
    out.push_back('{');
    const std::string* by = res.by >= 0 ? &plan.rules[static_cast<size_t>(res.by)].id : nullptr;
    const std::string* failed = nullptr;
    reason.clear();
    switch (res.outcome) {
      case Outcome::not_matched:
        if (res.failed >= 0) {
          failed = &plan.paths[plan.nodes[static_cast<size_t>(res.failed)].path];
          reason = fmt::format("condition {} is false", *failed);
        } else {
          reason = "conditions are false";
        }
        by = nullptr;
        break;
      case Outcome::outside_window:
        reason = "the event is outside the rule's start/end window";
        by = nullptr;
        break;
      case Outcome::no_location:
        reason = "the rule is location-based and the purchase has no location";
        by = nullptr;
        break;
      case Outcome::group_taken:
      case Outcome::group_outbid:
        reason = fmt::format("group '{}' ({}) went to rule {}", plan.groups[static_cast<size_t>(r.group)].name,
                             res.outcome == Outcome::group_taken ? "first" : "highest", *by);
        break;
      case Outcome::cooldown:
        reason = "the customer's cooldown for this rule has not elapsed";
        by = nullptr;
        break;
      case Outcome::stopped:
        reason = fmt::format("rule {} stopped processing", *by);
        break;
      case Outcome::fired:
        by = nullptr;
        break;
    }
    if (by) str("by", *by);
    if (res.limit_clamp > 0 || res.cap_clamp > 0) {
      out.append("\"clamps\":[");
      if (res.limit_clamp > 0) {
        out.append("{\"limit\":");
        append_json_string(out, res.clamped_by == 5
                                    ? std::string("budget")
                                    : fmt::format("per_customer.{}",
                                                  period_name(r.periods[static_cast<size_t>(res.clamped_by)].period)));
        out.append(",\"points\":");
        append_json_int(out, res.limit_clamp);
        out.push_back('}');
      }
      if (res.cap_clamp > 0) {
        if (res.limit_clamp > 0) out.push_back(',');
        out.append("{\"limit\":\"cap\",\"points\":");
        append_json_int(out, res.cap_clamp);
        out.append(",\"rule_id\":");
        append_json_string(out, plan.rules[static_cast<size_t>(e.cap_rule)].id);
        out.push_back('}');
      }
      out.append("],");
    }
    if (res.outcome == Outcome::fired || res.outcome == Outcome::group_outbid) num("computed", res.computed);
    if (failed) str("failed", *failed);
    out.append(res.outcome == Outcome::fired ? "\"fired\":true," : "\"fired\":false,");
    str("name", r.name);
    str("outcome", outcome_name(res.outcome));
    num("points", res.points);
    if (!reason.empty()) str("reason", reason);
    str("rule_id", r.id);
    append_json_key(out, "version");
    append_json_int(out, r.version);
    out.push_back('}');
  }
  out.append("],\"total\":");
  append_json_int(out, e.total);
  out.push_back('}');
}

json explain(const Plan& plan, const Evaluation& e, ExplainLevel level) {
  if (level == ExplainLevel::none) return nullptr;
  std::string text;
  explain_text(plan, e, level, text);
  return detail::parse_stored(text);
}

}  // namespace loyalty::rules
