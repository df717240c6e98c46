// Shared helpers for the benchmarks: a scratch directory on the benchmark disk, a deterministic
// random source, and the side-by-side summary (ours vs. the peer, ratio, goal) printed after the
// Google Benchmark run.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace loybench {

/// A scratch directory for database files, created on first use under $LOY_BENCH_DIR (default:
/// the system temporary directory) and removed by teardown().
const std::filesystem::path& work_dir();
/// Registers a hook run by teardown() before the scratch directory is removed (close engines).
void at_teardown(std::function<void()> fn);
/// Registers a hook run by finish() after the measurements, before the summary (sanity counts).
void at_finish(std::function<void()> fn);
/// Runs the finish hooks in registration order.
void finish();
/// Runs the teardown hooks (last registered first) and removes the scratch directory.
void teardown();

/// Milliseconds since the Unix epoch (the engine's Timestamp).
int64_t now_ms();

/// Deterministic splitmix64 generator: ours and the peer draw the same account sequence.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n).
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t s_;
};

/// What a comparison is judged against in the summary.
struct Goal {
  enum class Kind { ratio_at_least, rate_at_least, none };  // none: a comparison without a goal
  Kind kind;
  double value;
  std::string text;  // e.g. "ours/raw >= 70%"
};

/// Declares that benchmark `ours` is compared with benchmark `peer` (function names as
/// registered) under `title` in the summary.
void add_comparison(std::string title, std::string ours, std::string peer, Goal goal);
/// A line printed under the summary (setup facts, sanity counts).
void add_note(std::string note);

/// The console reporter plus a record of every repetition's items_per_second, for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  explicit SummaryReporter(OutputOptions opts) : ConsoleReporter(opts) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  /// Prints, per comparison, the median events/s of ours and the peer over the repetitions,
  /// the ratio and whether the goal is met, and the CPU time per event, as Markdown tables.
  void print_summary(std::ostream& out) const;

 private:
  std::map<std::string, std::vector<double>> rates_;   // items per second (wall clock)
  std::map<std::string, std::vector<double>> cpu_us_;  // process CPU microseconds per item
};

}  // namespace loybench
