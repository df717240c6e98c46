#include <string>

#include "fixture.hpp"
#include "loyalty/core/time.hpp"

using namespace loytest;
using loyalty::add_months;
using loyalty::CivilDate;
using loyalty::days_in_month;
using loyalty::format_time;
using loyalty::kMillisPerDay;
using loyalty::parse_time;
using loyalty::Timestamp;

namespace {

std::string str(const CivilDate& d) {
  return std::to_string(d.year) + "-" + std::to_string(d.month) + "-" + std::to_string(d.day);
}

Timestamp civil(int32_t y, uint32_t m, uint32_t d) { return loyalty::timestamp_from_civil(CivilDate{y, m, d}); }

}  // namespace

TEST_CASE("time: RFC 3339 UTC times parse to epoch milliseconds") {
  CHECK(parse_time("1970-01-01T00:00:00Z") == Timestamp{0});
  CHECK(parse_time("2026-03-01T12:00:00Z") == kStart);
  // Lowercase separators and a space instead of 'T' are accepted (RFC 3339 section 5.6 note).
  CHECK(parse_time("2026-03-01t12:00:00z") == kStart);
  CHECK(parse_time("2026-03-01 12:00:00Z") == kStart);
  CHECK(parse_time("1969-12-31T23:59:59Z") == Timestamp{-1000});
}

TEST_CASE("time: numeric offsets are subtracted to give UTC, across day boundaries") {
  CHECK(parse_time("2026-03-01T13:00:00+01:00") == kStart);
  CHECK(parse_time("2026-03-01T07:30:00-04:30") == kStart);
  CHECK(parse_time("2026-03-01T12:00:00+00:00") == kStart);
  CHECK(parse_time("2026-03-01T12:00:00-00:00") == kStart);
  CHECK(parse_time("2026-03-02T11:59:00+23:59") == kStart);
  CHECK(parse_time("2026-02-28T23:00:00-13:00") == kStart);
}

TEST_CASE("time: fractional seconds keep milliseconds and truncate finer digits") {
  CHECK(parse_time("2026-03-01T12:00:00.5Z") == kStart + 500);
  CHECK(parse_time("2026-03-01T12:00:00.05Z") == kStart + 50);
  CHECK(parse_time("2026-03-01T12:00:00.123Z") == kStart + 123);
  CHECK(parse_time("2026-03-01T12:00:00.123999Z") == kStart + 123);
  CHECK(parse_time("2026-03-01T13:00:00.1+01:00") == kStart + 100);
  CHECK_FALSE(parse_time("2026-03-01T12:00:00.Z").has_value());
  CHECK_FALSE(parse_time("2026-03-01T12:00:00,5Z").has_value());
}

TEST_CASE("time: a plain date is midnight UTC") {
  CHECK(parse_time("2026-03-01") == kStart - 12 * 3600 * 1000);
  CHECK(parse_time("1970-01-01") == Timestamp{0});
}

TEST_CASE("time: leap days exist only in leap years") {
  CHECK(parse_time("2028-02-29") == civil(2028, 2, 29));
  CHECK(parse_time("2028-02-29T23:59:59.999Z") == civil(2028, 3, 1) - 1);
  CHECK(parse_time("2000-02-29").has_value());
  CHECK_FALSE(parse_time("2026-02-29").has_value());
  CHECK_FALSE(parse_time("2026-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_time("1900-02-29").has_value());
  CHECK_FALSE(parse_time("2100-02-29").has_value());
}

TEST_CASE("time: impossible dates and times are refused") {
  for (const char* bad :
       {"2026-02-30", "2026-02-30T12:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01", "2026-00-10", "2026-01-00",
        "2026-01-32", "0000-01-01", "2026-03-01T24:00:00Z", "2026-03-01T12:60:00Z", "2026-03-01T12:00:61Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
}

TEST_CASE("time: a time without a zone is ambiguous and refused") {
  CHECK_FALSE(parse_time("2026-03-01T12:00:00").has_value());
  CHECK_FALSE(parse_time("2026-03-01T12:00:00.250").has_value());
}

TEST_CASE("time: malformed layouts and offsets are refused") {
  for (const char* bad : {"",
                          "2026",
                          "2026-03",
                          "2026-3-1",
                          "20260301",
                          "2026/03/01",
                          " 2026-03-01",
                          "2026-03-01 ",
                          "2026-03-01T",
                          "2026-03-01X12:00:00Z",
                          "2026-03-01T12:00Z",
                          "2026-03-01T12:00:00+0100",
                          "2026-03-01T12:00:00+01",
                          "2026-03-01T12:00:00+24:00",
                          "2026-03-01T12:00:00+01:60",
                          "2026-03-01T12:00:00Zjunk",
                          "2026-03-01T12:00:00+01:00Z",
                          "2026-03-01T1a:00:00Z",
                          "+2026-03-01",
                          "abcd-ef-gh",
                          "2026-03-01T12:00:00UTC"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
}

TEST_CASE("time: a leap second (:60) is refused, with any offset or fraction") {
  for (const char* bad : {"2016-12-31T23:59:60Z", "2026-12-31T23:59:60Z", "2016-12-31T23:59:60.500Z",
                          "2017-01-01T00:59:60+01:00", "2026-06-30T23:59:60.999-00:00", "2026-03-01T12:00:60Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
  CHECK(parse_time("2016-12-31T23:59:59.999Z") == parse_time("2017-01-01T00:00:00Z").value() - 1);
}

TEST_CASE("time: the accepted range is exactly 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z in UTC") {
  using loyalty::kMaxTimestamp;
  using loyalty::kMinTimestamp;
  CHECK(kMinTimestamp == civil(1, 1, 1));
  CHECK(kMaxTimestamp == civil(10000, 1, 1) - 1);
  CHECK(format_time(kMinTimestamp) == "0001-01-01T00:00:00.000Z");
  CHECK(format_time(kMaxTimestamp) == "9999-12-31T23:59:59.999Z");
  // The edges themselves, however written.
  CHECK(parse_time("0001-01-01") == kMinTimestamp);
  CHECK(parse_time("0001-01-01T00:00:00Z") == kMinTimestamp);
  CHECK(parse_time("0001-01-01T00:00:00-00:00") == kMinTimestamp);
  CHECK(parse_time("0001-01-01T23:59:00+23:59") == kMinTimestamp);
  CHECK(parse_time("9999-12-31") == civil(9999, 12, 31));
  CHECK(parse_time("9999-12-31T23:59:59.999Z") == kMaxTimestamp);
  CHECK(parse_time("9999-12-31T23:59:59.999999Z") == kMaxTimestamp);
  CHECK(parse_time("9999-12-31T00:00:59.999-23:59") == kMaxTimestamp);
  CHECK(parse_time("9999-12-31T23:59:59.999+23:59") == kMaxTimestamp - (23 * 60 + 59) * 60'000);
  // One millisecond (or one offset minute) beyond either edge.
  for (const char* bad : {"9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59-00:01", "9999-12-31T00:01:00-23:59",
                          "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00+00:01", "0001-01-01T23:58:59.999+23:59",
                          "0001-01-01T00:00:00.000+00:01"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
  CHECK(parse_time("9999-12-31T00:00:00-23:59") == kMaxTimestamp - 59'999);  // 23:59:00.000Z
}

TEST_CASE("time: format_time writes UTC with milliseconds, including before 1970") {
  CHECK(format_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time(kStart) == "2026-03-01T12:00:00.000Z");
  CHECK(format_time(kStart + 7) == "2026-03-01T12:00:00.007Z");
  CHECK(format_time(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_time(civil(2028, 2, 29) + 45296789) == "2028-02-29T12:34:56.789Z");
  CHECK(format_time(civil(10000, 1, 1) - 1) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("time: format_time and parse_time round-trip over a wide range") {
  const Timestamp lo = civil(1, 1, 1), hi = civil(9999, 12, 31);
  int checked = 0;
  for (Timestamp t = lo; t < hi; t += 7'777'777'777'777) {
    CAPTURE(t);
    REQUIRE(parse_time(format_time(t)) == t);
    ++checked;
  }
  CHECK(checked > 30);
  for (Timestamp t : {Timestamp{-1}, Timestamp{0}, Timestamp{1}, kStart, kStart - 1, hi + kMillisPerDay - 1}) {
    CAPTURE(t);
    CHECK(parse_time(format_time(t)) == t);
  }
}

TEST_CASE("time: civil dates and timestamps convert both ways") {
  CHECK(str(loyalty::civil_from_timestamp(kStart)) == "2026-3-1");
  CHECK(str(loyalty::civil_from_timestamp(-1)) == "1969-12-31");
  CHECK(str(loyalty::civil_from_timestamp(0)) == "1970-1-1");
  CHECK(civil(1970, 1, 1) == 0);
  for (Timestamp day = -800'000; day < 800'000; day += 997) {
    const Timestamp t = day * kMillisPerDay;
    REQUIRE(loyalty::timestamp_from_civil(loyalty::civil_from_timestamp(t)) == t);
    // Any instant within the day maps back to the day's midnight.
    REQUIRE(loyalty::timestamp_from_civil(loyalty::civil_from_timestamp(t + kMillisPerDay - 1)) == t);
  }
}

TEST_CASE("time: days_in_month follows the Gregorian leap rules") {
  CHECK(days_in_month(2026, 2) == 28);
  CHECK(days_in_month(2028, 2) == 29);
  CHECK(days_in_month(1900, 2) == 28);
  CHECK(days_in_month(2000, 2) == 29);
  CHECK(days_in_month(2026, 4) == 30);
  CHECK(days_in_month(2026, 12) == 31);
  CHECK(days_in_month(2026, 1) == 31);
}

TEST_CASE("time: add_months clamps the day to the target month's length") {
  CHECK(str(add_months({2026, 1, 31}, 1)) == "2026-2-28");
  CHECK(str(add_months({2028, 1, 31}, 1)) == "2028-2-29");
  CHECK(str(add_months({2026, 3, 31}, -1)) == "2026-2-28");
  CHECK(str(add_months({2026, 5, 31}, 1)) == "2026-6-30");
  CHECK(str(add_months({2028, 2, 29}, 12)) == "2029-2-28");
  CHECK(str(add_months({2028, 2, 29}, 48)) == "2032-2-29");
  CHECK(str(add_months({2026, 8, 31}, 1)) == "2026-9-30");
}

TEST_CASE("time: add_months crosses year boundaries in both directions") {
  CHECK(str(add_months({2026, 12, 15}, 1)) == "2027-1-15");
  CHECK(str(add_months({2026, 1, 15}, -1)) == "2025-12-15");
  CHECK(str(add_months({2026, 3, 10}, 0)) == "2026-3-10");
  CHECK(str(add_months({2026, 3, 10}, -27)) == "2023-12-10");
  CHECK(str(add_months({2026, 10, 31}, 120)) == "2036-10-31");
  CHECK(str(add_months({2026, 1, 1}, -12 * 2026)) == "0-1-1");
}
