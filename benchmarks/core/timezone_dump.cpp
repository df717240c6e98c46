// Differential check of two time-zone readers (benchmarks/RESULTS.md, "Time zones"): for every zone
// name read from stdin, prints hashes of offset_seconds, from_local and offset_span over the same
// 20,000 pseudo-random instants between 1800 and 2200 (a quarter of them whole hours); with -v,
// every sample. Build it against each reader and diff the outputs:
//
//   cd /usr/share/zoneinfo && find . \( -type f -o -type l \) -not -path "./posix/*" -not -path "./right/*"
//   (the names without their leading "./", sorted) piped into build/dev/benchmarks/loyalty_timezone_dump
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>

#include "loyalty/core/error.hpp"
#include "loyalty/core/timezone.hpp"

using loyalty::Timestamp;

int main(int argc, char** argv) {
  const bool verbose = argc > 1 && std::string(argv[1]) == "-v";
  const Timestamp lo = *loyalty::parse_time("1800-01-01T00:00:00Z"), hi = *loyalty::parse_time("2200-01-01T00:00:00Z");
  std::string name;
  while (std::getline(std::cin, name)) {
    std::shared_ptr<const loyalty::TimeZone> z;
    try {
      z = loyalty::TimeZone::locate(name);
    } catch (const loyalty::Error& e) {
      std::printf("%s ERROR %s\n", name.c_str(), e.what());
      continue;
    }
    std::mt19937_64 rng(7);
    uint64_t h_off = 1469598103934665603ULL, h_loc = h_off, h_span = h_off;
    auto mix = [](uint64_t& h, int64_t v) { h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL; };
    for (int k = 0; k < 20000; ++k) {
      Timestamp t = std::uniform_int_distribution<Timestamp>(lo, hi)(rng);
      if (k % 4 == 0) t = t / 3'600'000 * 3'600'000;  // whole hours: transition instants
      const int32_t o = z->offset_seconds(t);
      const Timestamp u = z->from_local(t);
      const auto s = z->offset_span(t);
      mix(h_off, o);
      mix(h_loc, u);
      mix(h_span, s.from);
      mix(h_span, s.until);
      if (verbose)
        std::printf("%lld %d %lld %lld %lld %d\n", static_cast<long long>(t), o, static_cast<long long>(u),
                    static_cast<long long>(s.from), static_cast<long long>(s.until), s.offset);
    }
    std::printf("%s off=%016llx local=%016llx span=%016llx\n", name.c_str(), static_cast<unsigned long long>(h_off),
                static_cast<unsigned long long>(h_loc), static_cast<unsigned long long>(h_span));
  }
  return 0;
}
