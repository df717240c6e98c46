#include "loyalty/core/timezone.hpp"

#include <date/tz.h>
// date 3.0.1's ptz.h names hh_mm_ss under `using namespace date; using namespace std::chrono`,
// ambiguous in C++20 (std::chrono::hh_mm_ss): a declaration in namespace Posix is found first.
namespace Posix {
template <class Duration>
using hh_mm_ss = date::hh_mm_ss<Duration>;
}  // namespace Posix
#include <date/ptz.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "loyalty/core/error.hpp"

namespace loyalty {

/// The POSIX TZ rule of a TZif file's footer ("CET-1CEST,M3.5.0,M10.5.0/3"), for instants after
/// the file's last transition: date/tz 3.0.1 (USE_OS_TZDB) stops there and repeats the last offset.
struct TimeZone::Rule {
  Posix::time_zone zone;
};

namespace {

using Secs = date::sys_seconds;

constexpr const char* kZoneDir = "/usr/share/zoneinfo";  // where date/tz (USE_OS_TZDB) reads
// 10000-01-01T00:00:00Z: the POSIX rule is evaluated up to here (date's years are 16-bit); later
// instants keep the offset in force just before it.
constexpr int64_t kEndSecs = 253'402'300'800;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// Seconds to milliseconds, saturating.
Timestamp millis(int64_t secs) {
  if (secs <= INT64_MIN / 1000) return INT64_MIN;
  if (secs >= INT64_MAX / 1000) return INT64_MAX;
  return secs * 1000;
}

int64_t count(Secs s) { return s.time_since_epoch().count(); }

// date/tz marks "no earlier / no later transition" with the first and last days of its years.
const int64_t kDateMin = count(date::sys_days(date::year::min() / date::January / 1));
const int64_t kDateMax = count(date::sys_days(date::year::max() / date::December / date::last));
Timestamp lower(Secs s) { return count(s) <= kDateMin ? INT64_MIN : millis(count(s)); }
/// The end of a span; past kEndSecs the offset never changes (see kEndSecs).
Timestamp until_of(Secs s) { return count(s) >= std::min(kDateMax, kEndSecs) ? INT64_MAX : millis(count(s)); }

[[noreturn]] void bad(const std::string& name, const std::string& why) {
  throw Error(Status::invalid, fmt::format("time zone '{}': {}", name, why), "timezone");
}

/// The footer of a version 2+ TZif file: the text between its last two newlines (may be empty).
std::string footer_of(const std::string& name) {
  std::ifstream f(fmt::format("{}/{}", kZoneDir, name), std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.size() < 46 || data.compare(0, 4, "TZif") != 0 || data[4] < '2' || data.back() != '\n') return {};
  const size_t open = data.rfind('\n', data.size() - 2);
  return open == std::string::npos ? std::string() : data.substr(open + 1, data.size() - open - 2);
}

}  // namespace

uint32_t weekday(const CivilDate& d) {
  const int64_t z = timestamp_from_civil(d) / kMillisPerDay;
  return static_cast<uint32_t>(((z % 7) + 7 + 4) % 7);
}

std::shared_ptr<const TimeZone> TimeZone::locate(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  auto tz = load(std::string(name));
  cache.emplace(std::string(name), tz);
  return tz;
}

std::shared_ptr<const TimeZone> TimeZone::load(const std::string& name) {
  std::shared_ptr<TimeZone> tz(new TimeZone());
  tz->name_ = name;
  if (name == "UTC" || name == "Etc/UTC") return tz;
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string::npos)
    bad(name, "not an IANA time zone name");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+'))
      bad(name, "not an IANA time zone name");
  try {
    tz->zone_ = date::locate_zone(name);  // only names in the database: never a path of ours
    // The zone's file is read on its first lookup: here, so that a bad file fails now.
    const date::sys_info last = tz->zone_->get_info(Secs(std::chrono::seconds(kEndSecs - 1)));
    const std::string footer = footer_of(name);
    if (!footer.empty()) {
      try {
        tz->rule_ = std::make_shared<const Rule>(Rule{Posix::time_zone(footer)});
        tz->rule_from_ = count(last.begin) <= kDateMin ? INT64_MIN : count(last.begin);
      } catch (const std::exception&) {
        // A rule ptz.h cannot read (date 3.0.1 refuses negative rule times such as America/Nuuk's
        // "M3.5.0/-1"): the offset after the last transition stays, as date/tz alone gives it.
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {
    bad(name, "unknown (no tzdata entry)");
  }
  return tz;
}

TimeZone::OffsetSpan TimeZone::offset_span(Timestamp utc) const {
  if (!zone_) return {0, INT64_MIN, INT64_MAX};
  const int64_t secs = std::min(floor_div(utc, 1000), kEndSecs - 1);
  if (rule_ && secs >= rule_from_) {
    const date::sys_info i = rule_->zone.get_info(Secs(std::chrono::seconds(secs)));
    const Timestamp from = std::max(lower(i.begin), rule_from_ == INT64_MIN ? INT64_MIN : millis(rule_from_));
    return {static_cast<int32_t>(i.offset.count()), from, until_of(i.end)};
  }
  const date::sys_info i = zone_->get_info(Secs(std::chrono::seconds(secs)));
  Timestamp until = until_of(i.end);
  if (rule_ && secs < rule_from_) until = std::min(until, millis(rule_from_));
  return {static_cast<int32_t>(i.offset.count()), lower(i.begin), until};
}

int32_t TimeZone::offset_seconds(Timestamp utc) const { return zone_ ? offset_span(utc).offset : 0; }

Timestamp TimeZone::from_local(Timestamp local) const {
  const int32_t before = offset_seconds(local - kMillisPerDay);
  const int32_t after = offset_seconds(local + kMillisPerDay);
  Timestamp best = INT64_MAX;
  for (int32_t o : {before, after}) {
    const Timestamp cand = local - static_cast<Timestamp>(o) * 1000;
    if (offset_seconds(cand) == o) best = std::min(best, cand);
  }
  if (best != INT64_MAX) return best;
  return local - static_cast<Timestamp>(before) * 1000;  // in a gap: move forward
}

}  // namespace loyalty
