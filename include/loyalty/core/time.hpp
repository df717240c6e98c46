// Time: UTC milliseconds since the Unix epoch, an injectable clock, and RFC 3339 codecs.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loyalty {

/// Milliseconds since 1970-01-01T00:00:00Z.
using Timestamp = int64_t;

constexpr Timestamp kMillisPerDay = 86'400'000;

/// The range of times the engine accepts and stores: 0001-01-01T00:00:00.000Z ..
/// 9999-12-31T23:59:59.999Z, the instants RFC 3339 (four-digit years) can write.
constexpr Timestamp kMinTimestamp = -62'135'596'800'000;
constexpr Timestamp kMaxTimestamp = 253'402'300'799'999;

/// Source of the current time. Engines read time only through a Clock so tests can pin it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() = 0;
};

/// The wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  Timestamp now() override;
};

/// A clock that only moves when told to; thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start) {}
  Timestamp now() override { return now_.load(); }
  void set(Timestamp t) { now_.store(t); }
  void advance(Timestamp ms) { now_.fetch_add(ms); }

 private:
  std::atomic<Timestamp> now_;
};

/// Formats as RFC 3339 UTC with milliseconds: `2026-11-24T15:39:16.123Z`.
std::string format_time(Timestamp t);

/// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]`) or a plain date `YYYY-MM-DD`
/// (midnight UTC). Returns nullopt on any malformed or out-of-range input: a field out of its
/// range, a leap second (`:60`), or a time whose UTC instant falls outside
/// [kMinTimestamp, kMaxTimestamp] (e.g. `9999-12-31T23:59:59-00:01`).
std::optional<Timestamp> parse_time(std::string_view text);

/// Civil date helpers (proleptic Gregorian, UTC).
struct CivilDate {
  int32_t year;
  uint32_t month;  // 1..12
  uint32_t day;    // 1..31
};
CivilDate civil_from_timestamp(Timestamp t);
Timestamp timestamp_from_civil(const CivilDate& d);
/// Adds whole months, clamping the day to the target month's length.
CivilDate add_months(CivilDate d, int32_t months);
uint32_t days_in_month(int32_t year, uint32_t month);

}  // namespace loyalty
