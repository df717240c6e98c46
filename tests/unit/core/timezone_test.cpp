#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "fixture.hpp"
#include "loyalty/core/timezone.hpp"

using loyalty::parse_time;
using loyalty::TimeZone;

namespace {
loyalty::Timestamp at(const char* text) { return *parse_time(text); }
}  // namespace

TEST_CASE("timezone: Berlin switches to summer time at 01:00 UTC on the last Sunday of March") {
  auto tz = TimeZone::locate("Europe/Berlin");
  CHECK(tz->offset_seconds(at("2026-03-29T00:59:59Z")) == 3600);
  CHECK(tz->offset_seconds(at("2026-03-29T01:00:00Z")) == 7200);
  CHECK(tz->offset_seconds(at("2026-10-25T00:59:59Z")) == 7200);
  CHECK(tz->offset_seconds(at("2026-10-25T01:00:00Z")) == 3600);
}

TEST_CASE("timezone: instants after the last listed transition follow the file's POSIX rule") {
  // 2050-03-13 is the second Sunday of March: New York moves to EDT at 02:00 local (07:00 UTC).
  auto ny = TimeZone::locate("America/New_York");
  CHECK(ny->offset_seconds(at("2050-03-13T06:59:59Z")) == -5 * 3600);
  CHECK(ny->offset_seconds(at("2050-03-13T07:00:00Z")) == -4 * 3600);
  // Southern hemisphere: Sydney is on daylight time in January, standard time in July.
  auto syd = TimeZone::locate("Australia/Sydney");
  CHECK(syd->offset_seconds(at("2060-01-15T00:00:00Z")) == 11 * 3600);
  CHECK(syd->offset_seconds(at("2060-07-15T00:00:00Z")) == 10 * 3600);
}

TEST_CASE("timezone: local times in a gap move forward, ambiguous ones take the earlier instant") {
  auto tz = TimeZone::locate("Europe/Berlin");
  // 2026-03-29 02:30 local does not exist (clocks jump 02:00 -> 03:00): 03:30 CEST = 01:30 UTC.
  CHECK(tz->from_local(at("2026-03-29T02:30:00Z")) == at("2026-03-29T01:30:00Z"));
  // 2026-10-25 02:30 local happens twice; the first is CEST (00:30 UTC).
  CHECK(tz->from_local(at("2026-10-25T02:30:00Z")) == at("2026-10-25T00:30:00Z"));
  CHECK(tz->from_local(at("2026-07-01T12:00:00Z")) == at("2026-07-01T10:00:00Z"));
}

TEST_CASE("timezone: unknown or malicious names are refused") {
  LOY_REQUIRE_ERROR(TimeZone::locate("Mars/Olympus_Mons"), loyalty::Status::invalid, "timezone");
  LOY_REQUIRE_ERROR(TimeZone::locate("../../etc/passwd"), loyalty::Status::invalid, "timezone");
  LOY_REQUIRE_ERROR(TimeZone::locate(""), loyalty::Status::invalid, "timezone");
  CHECK(TimeZone::locate("UTC")->offset_seconds(0) == 0);
}

TEST_CASE("timezone: weekday of civil dates, 0 = Sunday") {
  CHECK(loyalty::weekday({1970, 1, 1}) == 4);
  CHECK(loyalty::weekday({2026, 11, 24}) == 2);
  CHECK(loyalty::weekday({1969, 12, 28}) == 0);
  CHECK(loyalty::weekday({2028, 2, 29}) == 2);
}

TEST_CASE("ledger: end-of-month expiry is local midnight in the tenant's time zone") {
  loytest::World w(loyalty::json{{"expiry", {{"policy", "end_of_month"}, {"months", 0}}}});
  w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "Asia/Tokyo"}});
  auto c = w.enroll("tz-1");
  w.clock->set(at("2026-03-31T20:00:00Z"));
  // 2026-03-31T20:00Z is already 1 April 05:00 in Tokyo: the points last until the end of April.
  auto r = w.earn(c, 10, {{"occurred_at", "2026-03-31T20:00:00Z"}});
  CHECK(r["entry"]["expires_at"] == "2026-04-30T15:00:00.000Z");
  // 2026-03-31T10:00Z is 19:00 on 31 March in Tokyo: expires at local midnight into April.
  r = w.earn(c, 10, {{"occurred_at", "2026-03-31T10:00:00Z"}});
  CHECK(r["entry"]["expires_at"] == "2026-03-31T15:00:00.000Z");
}

TEST_CASE("time zones: offset_span gives an interval of constant offset holding the instant") {
  std::mt19937_64 rng(11);
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"}) {
    const auto z = loyalty::TimeZone::locate(name);
    for (int k = 0; k < 2000; ++k) {
      const int64_t t = std::uniform_int_distribution<int64_t>(-2'500'000'000'000LL, 4'000'000'000'000LL)(rng);
      const auto s = z->offset_span(t);
      INFO(name << " at " << t);
      CHECK(s.offset == z->offset_seconds(t));
      CHECK(s.from <= t);
      CHECK(t < s.until);
      if (s.from != INT64_MIN) CHECK(z->offset_seconds(s.from) == s.offset);
      if (s.until != INT64_MAX) CHECK(z->offset_seconds(s.until - 1) == s.offset);
      // the offset is constant inside: probe a few instants
      for (int p = 0; p < 4; ++p) {
        const int64_t lo = std::max<int64_t>(s.from, t - 400LL * 86'400'000),
                      hi = std::min<int64_t>(s.until - 1, t + 400LL * 86'400'000);
        CHECK(z->offset_seconds(std::uniform_int_distribution<int64_t>(lo, hi)(rng)) == s.offset);
      }
    }
  }
  // Berlin 2026: the span around a summer instant ends at the autumn transition (01:00Z)
  const auto berlin = loyalty::TimeZone::locate("Europe/Berlin");
  const auto summer = berlin->offset_span(*loyalty::parse_time("2026-07-01T12:00:00Z"));
  CHECK(summer.offset == 7200);
  CHECK(summer.from == *loyalty::parse_time("2026-03-29T01:00:00Z"));
  CHECK(summer.until == *loyalty::parse_time("2026-10-25T01:00:00Z"));
}

TEST_CASE("time zones: year 9999 follows the POSIX rule, and later instants keep an offset") {
  const auto berlin = TimeZone::locate("Europe/Berlin");
  CHECK(berlin->offset_seconds(at("9999-01-15T12:00:00Z")) == 3600);
  CHECK(berlin->offset_seconds(at("9999-07-15T12:00:00Z")) == 7200);
  // 9999-03-28 is the last Sunday of March: summer time from 01:00 UTC
  CHECK(berlin->offset_seconds(at("9999-03-28T00:59:59Z")) == 3600);
  CHECK(berlin->offset_seconds(at("9999-03-28T01:00:00Z")) == 7200);
  CHECK(berlin->from_local(at("9999-12-31T23:59:59Z")) == at("9999-12-31T22:59:59Z"));
  const auto sydney = TimeZone::locate("Australia/Sydney");
  CHECK(sydney->offset_seconds(at("9999-12-31T12:00:00Z")) == 11 * 3600);
  CHECK(sydney->from_local(at("9999-06-30T10:00:00Z")) == at("9999-06-30T00:00:00Z"));
  // the span around the last instant of year 9999 holds it and agrees with offset_seconds
  const auto last = at("9999-12-31T23:59:59.999Z");
  for (const auto& z : {berlin, sydney}) {
    const auto s = z->offset_span(last);
    CHECK(s.from <= last);
    CHECK(last < s.until);
    CHECK(s.offset == z->offset_seconds(last));
  }
}

TEST_CASE("time zones: a zone without daylight time has one offset, unbounded into the future") {
  for (const auto& [name, offset] : {std::pair{"Asia/Kolkata", 19800}, std::pair{"Asia/Tokyo", 32400}}) {
    const auto z = TimeZone::locate(name);
    INFO(name);
    for (const char* t :
         {"2026-01-15T00:00:00Z", "2026-07-15T00:00:00Z", "2080-07-15T00:00:00Z", "9999-07-15T00:00:00Z"})
      CHECK(z->offset_seconds(at(t)) == offset);
    const auto s = z->offset_span(at("2026-07-15T00:00:00Z"));
    CHECK(s.offset == offset);
    CHECK(s.until == INT64_MAX);
    CHECK(z->from_local(at("2050-03-29T02:30:00Z")) == at("2050-03-29T02:30:00Z") - offset * 1000LL);
  }
}

TEST_CASE("time zones: zones whose rules changed follow the rule of each period") {
  // Moscow: summer time until 2010, permanent +04 from 2011-03-27, +03 from 2014-10-26 02:00 local.
  const auto moscow = TimeZone::locate("Europe/Moscow");
  CHECK(moscow->offset_seconds(at("2010-01-15T00:00:00Z")) == 3 * 3600);
  CHECK(moscow->offset_seconds(at("2010-07-15T00:00:00Z")) == 4 * 3600);
  CHECK(moscow->offset_seconds(at("2012-01-15T00:00:00Z")) == 4 * 3600);
  CHECK(moscow->offset_seconds(at("2014-10-25T21:59:59Z")) == 4 * 3600);
  CHECK(moscow->offset_seconds(at("2014-10-25T22:00:00Z")) == 3 * 3600);
  CHECK(moscow->offset_seconds(at("2026-07-15T00:00:00Z")) == 3 * 3600);
  // the United States moved the start of daylight time from April to March in 2007
  const auto ny = TimeZone::locate("America/New_York");
  CHECK(ny->offset_seconds(at("2006-03-20T12:00:00Z")) == -5 * 3600);
  CHECK(ny->offset_seconds(at("2007-03-20T12:00:00Z")) == -4 * 3600);
  // Samoa skipped 2011-12-30 (from -10 to +14): a local time on that day moves forward 24 hours
  const auto apia = TimeZone::locate("Pacific/Apia");
  CHECK(apia->offset_seconds(at("2011-12-30T09:59:59Z")) == -10 * 3600);
  CHECK(apia->offset_seconds(at("2011-12-30T10:00:00Z")) == 14 * 3600);
  CHECK(apia->from_local(at("2011-12-30T12:00:00Z")) == at("2011-12-30T22:00:00Z"));
  // Greenland: standard time -02 since 2023, daylight time -01 from 2024 by a rule whose change
  // times are negative hours ("M3.5.0/-1": the Saturday before the last Sunday, 23:00 local)
  const auto nuuk = TimeZone::locate("America/Nuuk");
  CHECK(nuuk->offset_seconds(at("2026-01-15T00:00:00Z")) == -2 * 3600);
  CHECK(nuuk->offset_seconds(at("2026-07-15T00:00:00Z")) == -1 * 3600);
  // 2050-03-27 is the last Sunday of March: daylight time from Saturday 23:00 local = 01:00 UTC
  CHECK(nuuk->offset_seconds(at("2050-03-27T00:59:59Z")) == -2 * 3600);
  CHECK(nuuk->offset_seconds(at("2050-03-27T01:00:00Z")) == -1 * 3600);
  CHECK(nuuk->offset_seconds(at("2050-07-15T00:00:00Z")) == -1 * 3600);
}
