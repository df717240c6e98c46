// IANA time zones read from the system's compiled tzdata (TZif files under /usr/share/zoneinfo,
// or $TZDIR), including the POSIX rule in the file's footer for instants past the last
// transition. GCC 12's libstdc++ has no std::chrono::tzdb, hence this small reader. Debian 12's
// date/tz (3.0.1) was measured in its place and not taken: it repeats a file's last offset after its
// last transition (2037), and costs more per lookup (benchmarks/RESULTS.md, "Time zones").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/core/time.hpp"

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
  int32_t rule_offset(Timestamp utc) const;
  OffsetSpan rule_span(Timestamp utc) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds
  std::vector<int32_t> offsets_;      // offset after each transition
  int32_t initial_offset_ = 0;        // before the first transition
  std::shared_ptr<Rule> rule_;        // for instants after the last transition (may be null)
};

/// Weekday of a civil date, 0 = Sunday .. 6 = Saturday.
uint32_t weekday(const CivilDate& d);

}  // namespace loyalty
