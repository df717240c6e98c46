// Analytics (docs/analytics.md): figures over the ledger from rollups per (tenant, program, local
// day), caught up from watermarks by the reading operation itself, so the writes of the other
// modules (the earn path above all) do no analytics work at all.
#include <fmt/format.h>

#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "analytics/analytics.hpp"
#include "analytics/analytics_store.hpp"
#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "engine/registry.hpp"
#include "loyalty/core/timezone.hpp"
#include "programs/programs.hpp"
#include "tenants/tenant_store.hpp"

namespace loyalty::detail {
namespace {

using storage::AnalyticsCounters;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t local_day(const TimeZone& z, Timestamp t) { return floor_div(z.to_local(t), kMillisPerDay); }
Timestamp day_start(const TimeZone& z, int64_t day) { return z.from_local(day * kMillisPerDay); }

std::string day_text(int64_t day) {
  const CivilDate c = civil_from_timestamp(day * kMillisPerDay);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

void add(AnalyticsCounters& to, const AnalyticsCounters& c) {
  to.issued += c.issued;
  to.issued_count += c.issued_count;
  to.redeemed += c.redeemed;
  to.redeemed_count += c.redeemed_count;
  to.refunded += c.refunded;
  to.reversed += c.reversed;
  to.expired += c.expired;
  to.adjusted_credit += c.adjusted_credit;
  to.adjusted_debit += c.adjusted_debit;
  to.net += c.net;
  to.enrolled += c.enrolled;
  to.entries += c.entries;
}

/// What one entry adds to its day's counters; true when it counts as the customer's activity.
bool count_entry(AnalyticsCounters& c, const std::string& type, int64_t p) {
  c.net += p;
  ++c.entries;
  if (type == "earn" || type == "bonus") {
    c.issued += p;
    ++c.issued_count;
    return true;
  }
  if (type == "redeem") {
    c.redeemed -= p;
    ++c.redeemed_count;
    return true;
  }
  if (type == "refund")
    c.refunded += p;
  else if (type == "reverse")
    c.reversed -= p;
  else if (type == "expire")
    c.expired -= p;
  else if (type == "adjust")
    (p > 0 ? c.adjusted_credit : c.adjusted_debit) += p > 0 ? p : -p;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Catch-up: folds what the sources hold past the watermarks into the rollups.

constexpr int64_t kChunk = 4096;

class Folder {
 public:
  explicit Folder(storage::UnitOfWork& tx) : tx_(tx), s_(tx.analytics()) {}

  /// The zone of the tenant's rollups: the tenant's current one, recorded on first use.
  const TimeZone& zone(const std::string& tenant) {
    auto it = zones_.find(tenant);
    if (it != zones_.end()) return *it->second;
    const auto t = tx_.tenants().tenant(tenant);
    const std::string name = t ? t->timezone : std::string("UTC");
    if (s_.rollup_zone(tenant) != name) s_.set_rollup_zone(tenant, name);
    return *zones_.emplace(tenant, TimeZone::locate(name)).first->second;
  }

  void entries(int64_t after, int64_t upto, const std::optional<std::string>& tenant) {
    for (;;) {
      const auto rows = s_.entries(after, upto, tenant, kChunk);
      for (const auto& e : rows) {
        const int64_t day = local_day(zone(e.tenant_id), e.occurred_at);
        for (const std::string* program : {&e.program_id, &kAll}) {
          const bool active = count_entry(days_[{e.tenant_id, *program, day}], e.type, e.points);
          if (active) activity_.insert({e.tenant_id, *program, day, e.customer_id});
        }
      }
      flush();
      if (static_cast<int64_t>(rows.size()) < kChunk) return;
      after = rows.back().seq;
    }
  }

  template <typename Fetch>
  void members(int64_t after, int64_t upto, const std::optional<std::string>& tenant, Fetch&& fetch) {
    for (;;) {
      const auto rows = fetch(after, upto, tenant, kChunk);
      for (const auto& m : rows)
        ++days_[{m.tenant_id, m.program_id, local_day(zone(m.tenant_id), m.created_at)}].enrolled;
      flush();
      if (static_cast<int64_t>(rows.size()) < kChunk) return;
      after = rows.back().seq;
    }
  }

  void all(const storage::AnalyticsMarks& from, const storage::AnalyticsMarks& to,
           const std::optional<std::string>& tenant) {
    entries(from.entries, to.entries, tenant);
    members(
        from.accounts, to.accounts, tenant,
        [&](int64_t a, int64_t u, const std::optional<std::string>& t, int64_t n) { return s_.accounts(a, u, t, n); });
    members(
        from.customers, to.customers, tenant,
        [&](int64_t a, int64_t u, const std::optional<std::string>& t, int64_t n) { return s_.customers(a, u, t, n); });
  }

 private:
  void flush() {
    for (const auto& [k, c] : days_) s_.add_day(std::get<0>(k), std::get<1>(k), std::get<2>(k), c);
    for (const auto& [t, p, d, cu] : activity_) s_.add_activity(t, p, d, cu);
    days_.clear();
    activity_.clear();
  }

  static inline const std::string kAll;
  storage::UnitOfWork& tx_;
  storage::AnalyticsStore& s_;
  std::unordered_map<std::string, std::shared_ptr<const TimeZone>> zones_;
  std::map<std::tuple<std::string, std::string, int64_t>, AnalyticsCounters> days_;
  std::set<std::tuple<std::string, std::string, int64_t, std::string>> activity_;
};

bool behind(storage::UnitOfWork& tx) {
  auto& s = tx.analytics();
  return !(s.marks() == s.heads()) || !s.stale_zones().empty();
}

}  // namespace

void analytics_catch_up(storage::UnitOfWork& tx) {
  auto& s = tx.analytics();
  const storage::AnalyticsMarks marks = s.marks();
  Folder folder(tx);
  // A tenant whose zone changed: its days are rebuilt in the new zone up to the watermarks (the
  // folder records the new zone on first use; the tail below continues from the watermarks).
  for (const auto& tenant : s.stale_zones()) {
    s.clear_tenant(tenant);
    Folder rebuild(tx);
    rebuild.zone(tenant);
    rebuild.all({}, marks, tenant);
  }
  const storage::AnalyticsMarks heads = s.heads();
  folder.all(marks, heads, std::nullopt);
  s.set_marks(heads);
}

namespace {

// ---------------------------------------------------------------------------------------------
// Reading

/// Runs `read(tx)` on rollups that are current: in a read unit when nothing is left to fold,
/// else in a write unit that first catches them up (so the figures include the last committed
/// write either way).
template <typename Read>
json with_current_rollups(Ctx& ctx, Read&& read) {
  {
    storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
    if (!behind(tx)) return read(tx.unit());
  }
  return write_op(ctx, ctx.engine.now(), [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    analytics_catch_up(tx);
    return read(tx);
  });
}

/// A local date `YYYY-MM-DD` as a day number.
int64_t read_date(const Input& i, std::string_view key) {
  const std::string text = i.str(key, 10);
  const auto t = text.size() == 10 ? parse_time(text) : std::nullopt;
  if (!t) i.fail(key, "must be a date YYYY-MM-DD");
  return floor_div(*t, kMillisPerDay);
}

constexpr int64_t kMaxRangeDays = 3660;

struct Range {
  int64_t from = 0;
  int64_t to = 0;
  std::string bucket;
};

Range read_range(const Input& i) {
  Range r;
  r.from = read_date(i, "from");
  r.to = read_date(i, "to");
  if (r.to < r.from) i.fail("to", "must not be before from");
  if (r.to - r.from >= kMaxRangeDays) i.fail("to", fmt::format("the range is limited to {} days", kMaxRangeDays));
  r.bucket = i.opt_enum("bucket", {"day", "week", "month"}).value_or("day");
  return r;
}

/// The first day after the bucket that holds `day`.
int64_t bucket_end(const std::string& bucket, int64_t day) {
  if (bucket == "day") return day + 1;
  if (bucket == "week") return day - (day + 3 - floor_div(day + 3, 7) * 7) + 7;  // weeks start on Monday
  CivilDate c = civil_from_timestamp(day * kMillisPerDay);
  c = add_months({c.year, c.month, 1}, 1);
  return timestamp_from_civil(c) / kMillisPerDay;
}

json ratio(int64_t num, int64_t den) {
  if (den <= 0) return nullptr;
  return static_cast<double>(num) / static_cast<double>(den);
}

json points_json(const AnalyticsCounters& c) {
  return {{"issued", c.issued},
          {"earn_count", c.issued_count},
          {"redeemed", c.redeemed},
          {"redemption_count", c.redeemed_count},
          {"refunded", c.refunded},
          {"expired", c.expired},
          {"reversed", c.reversed},
          {"adjusted", c.adjusted_credit - c.adjusted_debit},
          {"adjusted_credit", c.adjusted_credit},
          {"adjusted_debit", c.adjusted_debit},
          {"net", c.net}};
}

json overview(Ctx& ctx, const json& in) {
  Input i(in, {"program_id", "from", "to", "bucket"});
  const auto program_id = i.opt_str("program_id");
  const Range r = read_range(i);
  return with_current_rollups(ctx, [&](storage::UnitOfWork& tx) -> json {
    auto& s = tx.analytics();
    if (program_id) load_program(tx, ctx.tenant(), *program_id);
    const std::string key = program_id.value_or("");
    const auto tenant = tx.tenants().tenant(ctx.tenant());
    const auto zone = TimeZone::locate(tenant ? tenant->timezone : "UTC");

    const AnalyticsCounters before = s.before(ctx.tenant(), key, r.from);
    const auto days = s.days(ctx.tenant(), key, r.from, r.to);
    AnalyticsCounters total;
    int64_t members = before.enrolled;
    int64_t outstanding = before.net;
    json series = json::array();
    size_t next = 0;
    for (int64_t start = r.from; start <= r.to;) {
      const int64_t end = std::min(bucket_end(r.bucket, start), r.to + 1);  // exclusive
      AnalyticsCounters b;
      for (; next < days.size() && days[next].day < end; ++next) add(b, days[next].counters);
      add(total, b);
      members += b.enrolled;
      outstanding += b.net;
      json item = points_json(b);
      item["start"] = day_text(start);
      item["end"] = day_text(end - 1);
      item["starts_at"] = format_time(day_start(*zone, start));
      item["ends_at"] = format_time(day_start(*zone, end));
      item["enrolled"] = b.enrolled;
      item["members"] = members;
      item["active"] = s.active(ctx.tenant(), key, start, end - 1);
      item["outstanding"] = outstanding;
      series.push_back(std::move(item));
      start = end;
    }

    json tiers = nullptr;
    if (program_id) {
      tiers = json::array();
      int64_t tiered = 0;
      for (const auto& t : s.tier_counts(*program_id)) {
        tiered += t.members;
        tiers.push_back({{"tier_id", *t.tier_id}, {"name", t.name}, {"rank", t.rank}, {"members", t.members}});
      }
      // The program's accounts today (every enrolment folded so far) without a tier.
      const int64_t accounts = s.before(ctx.tenant(), key, std::numeric_limits<int64_t>::max()).enrolled;
      tiers.push_back({{"tier_id", nullptr}, {"name", nullptr}, {"rank", nullptr}, {"members", accounts - tiered}});
    }

    return {{"program_id", program_id ? json(*program_id) : json(nullptr)},
            {"timezone", zone->name()},
            {"from", day_text(r.from)},
            {"to", day_text(r.to)},
            {"bucket", r.bucket},
            {"members",
             {{"total", members},
              {"enrolled", total.enrolled},
              {"active", s.active(ctx.tenant(), key, r.from, r.to)},
              {"active_7d", s.active(ctx.tenant(), key, r.to - 6, r.to)},
              {"active_30d", s.active(ctx.tenant(), key, r.to - 29, r.to)},
              {"active_90d", s.active(ctx.tenant(), key, r.to - 89, r.to)}}},
            {"points", points_json(total)},
            {"outstanding", outstanding},
            {"outstanding_value", nullptr},
            {"redemption_rate", ratio(total.redeemed, total.issued)},
            {"breakage", ratio(total.expired, total.issued)},
            {"tiers", std::move(tiers)},
            {"series", std::move(series)}};
  });
}

constexpr OpDef kOps[] = {
    {"analytics.overview", overview, kScopeRead},
};

}  // namespace

std::span<const OpDef> analytics_ops() { return kOps; }

}  // namespace loyalty::detail
