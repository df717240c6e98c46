// IANA time zones from the system's compiled tzdata (/usr/share/zoneinfo), read by Howard
// Hinnant's date/tz (Debian libhowardhinnant-date-dev, built with USE_OS_TZDB: it never downloads).
// GCC 12's libstdc++ has no std::chrono::tzdb. date/tz 3.0.1 stops at a file's last transition,
// so instants after it follow the file's POSIX footer rule through date/ptz.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "loyalty/core/time.hpp"

namespace date {
class time_zone;
}

namespace loyalty {

class TimeZone {
 public:
  /// The zone named `name` ("UTC", "Europe/Berlin"); cached process-wide, thread-safe.
  /// Status::invalid for an unknown or malformed name or an unreadable file.
  static std::shared_ptr<const TimeZone> locate(std::string_view name);

  const std::string& name() const noexcept { return name_; }
  /// Offset from UTC in seconds in force at the UTC instant `utc` (east positive).
  int32_t offset_seconds(Timestamp utc) const;
  /// Local wall-clock time (as if UTC) of the instant `utc`.
  Timestamp to_local(Timestamp utc) const { return utc + static_cast<Timestamp>(offset_seconds(utc)) * 1000; }
  /// The offset in force at `utc` and an interval [from, until) of UTC milliseconds holding
  /// `utc` over which that offset does not change (INT64_MIN / INT64_MAX when unbounded). The
  /// interval may be narrower than the offset's full period (it never crosses a year boundary
  /// for zones whose future follows a POSIX rule), so callers may cache a conversion in it.
  struct OffsetSpan {
    int32_t offset;
    Timestamp from, until;
  };
  OffsetSpan offset_span(Timestamp utc) const;
  /// The UTC instant of a local wall-clock time. Ambiguous times (a fall-back overlap) give the
  /// earlier instant; times in a spring-forward gap are moved forward by the gap's length.
  Timestamp from_local(Timestamp local) const;

  struct Rule;  // POSIX TZ footer rule (internal)

 private:
  TimeZone() = default;
  static std::shared_ptr<const TimeZone> load(const std::string& name);

  std::string name_;
  const date::time_zone* zone_ = nullptr;  // in date's process-wide database; null for UTC
  int64_t rule_from_ = INT64_MAX;          // UTC seconds of the last transition, where rule_ takes over
  std::shared_ptr<const Rule> rule_;       // the POSIX footer rule (may be null)
};

/// Weekday of a civil date, 0 = Sunday .. 6 = Saturday.
uint32_t weekday(const CivilDate& d);

}  // namespace loyalty
