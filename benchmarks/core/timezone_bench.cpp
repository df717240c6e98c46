// Time-zone lookups through the public interface of loyalty::TimeZone (whatever reads the zone
// data behind it): the cold cost of the first locate and the first lookups of a zone in a
// process, then warm per-call costs of offset_seconds (inside the zone's transition table and in
// the far future), offset_span and from_local, over fixed pseudo-random instants.
//
//   loyalty_bench_timezone [iterations=1000000]
//
// Under callgrind each measured loop is its own function (noinline, named measure_*), so
// `callgrind_annotate --inclusive=yes` gives its instruction count; divide by the iterations.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "loyalty/core/timezone.hpp"

using loyalty::Timestamp;
using loyalty::TimeZone;

namespace {

double now_ns() {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::vector<Timestamp> instants(size_t n, Timestamp from, Timestamp until, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Timestamp> out(n);
  for (auto& t : out) t = std::uniform_int_distribution<Timestamp>(from, until - 1)(rng);
  return out;
}

// The sums keep the compiler from dropping the loops.
[[gnu::noinline]] int64_t measure_offset_seconds_table(const TimeZone& z, const std::vector<Timestamp>& ts) {
  int64_t s = 0;
  for (const Timestamp t : ts) s += z.offset_seconds(t);
  return s;
}
[[gnu::noinline]] int64_t measure_offset_seconds_rule(const TimeZone& z, const std::vector<Timestamp>& ts) {
  int64_t s = 0;
  for (const Timestamp t : ts) s -= z.offset_seconds(t);  // not `+=`: identical bodies would be folded into one
  return s;
}
[[gnu::noinline]] int64_t measure_offset_span(const TimeZone& z, const std::vector<Timestamp>& ts) {
  int64_t s = 0;
  for (const Timestamp t : ts) {
    const auto span = z.offset_span(t);
    s += span.offset + (span.until - span.from) % 1000;
  }
  return s;
}
[[gnu::noinline]] int64_t measure_from_local(const TimeZone& z, const std::vector<Timestamp>& ts) {
  int64_t s = 0;
  for (const Timestamp t : ts) s += z.from_local(t) % 1000;
  return s;
}
[[gnu::noinline]] std::shared_ptr<const TimeZone> measure_cold_locate(const char* name) {
  return TimeZone::locate(name);
}
[[gnu::noinline]] int64_t measure_cold_first_lookup(const TimeZone& z, Timestamp t) {
  return z.offset_seconds(t) + z.from_local(t) % 1000;
}

template <class F>
void report(const char* what, size_t n, F&& f) {
  int64_t sink = 0;
  double best = 1e300;
  for (int pass = 0; pass < 5; ++pass) {
    const double t0 = now_ns();
    sink += f();
    best = std::min(best, now_ns() - t0);
  }
  std::printf("%-46s %9.1f ns/call  (best of 5 passes of %zu; sink %lld)\n", what, best / static_cast<double>(n), n,
              static_cast<long long>(sink % 10));
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1'000'000;
  const Timestamp y2026 = *loyalty::parse_time("2026-01-01T00:00:00Z");
  const Timestamp y2027 = *loyalty::parse_time("2027-01-01T00:00:00Z");
  const Timestamp y2040 = *loyalty::parse_time("2040-01-01T00:00:00Z");
  const Timestamp y2100 = *loyalty::parse_time("2100-01-01T00:00:00Z");

  // Cold: the first zone of the process, then a second zone (its own file, the database loaded).
  double t0 = now_ns();
  const auto berlin = measure_cold_locate("Europe/Berlin");
  double t1 = now_ns();
  int64_t sink = measure_cold_first_lookup(*berlin, y2026 + 1000);
  double t2 = now_ns();
  std::printf("cold: first locate (Europe/Berlin)                %9.1f us\n", (t1 - t0) / 1000);
  std::printf("cold: its first offset_seconds + from_local       %9.1f us\n", (t2 - t1) / 1000);
  t0 = now_ns();
  const auto ny = measure_cold_locate("America/New_York");
  t1 = now_ns();
  sink += measure_cold_first_lookup(*ny, y2026 + 1000);
  t2 = now_ns();
  std::printf("cold: second zone locate (America/New_York)       %9.1f us\n", (t1 - t0) / 1000);
  std::printf("cold: its first offset_seconds + from_local       %9.1f us\n", (t2 - t1) / 1000);
  t0 = now_ns();
  for (int k = 0; k < 1000; ++k) sink += TimeZone::locate("Europe/Berlin")->offset_seconds(y2026);
  std::printf("warm: locate of a cached zone                     %9.1f ns\n", (now_ns() - t0) / 1000);

  const auto in_table = instants(n, y2026, y2027, 1);
  const auto in_rule = instants(n, y2040, y2100, 2);
  report("warm: offset_seconds, Berlin 2026 (table)", n,
         [&] { return measure_offset_seconds_table(*berlin, in_table); });
  report("warm: offset_seconds, Berlin 2040-2099 (rule)", n,
         [&] { return measure_offset_seconds_rule(*berlin, in_rule); });
  report("warm: offset_span, Berlin 2026", n, [&] { return measure_offset_span(*berlin, in_table); });
  report("warm: from_local (local -> UTC), Berlin 2026", n, [&] { return measure_from_local(*berlin, in_table); });
  report("warm: from_local (local -> UTC), Berlin 2040-2099", n, [&] { return measure_from_local(*berlin, in_rule); });
  std::printf("(sink %lld)\n", static_cast<long long>(sink % 10));
  return 0;
}
