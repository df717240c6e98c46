#include "bench_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <random>
#include <sstream>

namespace loybench {
namespace {

struct Comparison {
  std::string title;
  std::string ours;
  std::string peer;
  Goal goal;
};

std::vector<Comparison>& comparisons() {
  static std::vector<Comparison> c;
  return c;
}
std::vector<std::string>& notes() {
  static std::vector<std::string> n;
  return n;
}
std::vector<std::function<void()>>& hooks() {
  static std::vector<std::function<void()>> h;
  return h;
}
std::vector<std::function<void()>>& finish_hooks() {
  static std::vector<std::function<void()>> h;
  return h;
}
std::filesystem::path& dir_storage() {
  static std::filesystem::path p;
  return p;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2.0;
}

std::string rate(double r) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(0) << r;
  const std::string digits = s.str();
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string spread(const std::vector<double>& v) {
  if (v.size() < 2) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return " (" + rate(*lo) + "–" + rate(*hi) + ")";
}

}  // namespace

const std::filesystem::path& work_dir() {
  auto& p = dir_storage();
  if (p.empty()) {
    const char* base = std::getenv("LOY_BENCH_DIR");
    std::filesystem::path root = base && *base ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
    std::random_device rd;
    p = root / ("loyalty-bench-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(p);
  }
  return p;
}

void at_teardown(std::function<void()> fn) { hooks().push_back(std::move(fn)); }

void at_finish(std::function<void()> fn) { finish_hooks().push_back(std::move(fn)); }

void finish() {
  for (auto& fn : finish_hooks()) fn();
  finish_hooks().clear();
}

void teardown() {
  auto& h = hooks();
  while (!h.empty()) {
    auto fn = std::move(h.back());
    h.pop_back();
    fn();
  }
  auto& p = dir_storage();
  if (!p.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
    p.clear();
  }
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void add_comparison(std::string title, std::string ours, std::string peer, Goal goal) {
  comparisons().push_back({std::move(title), std::move(ours), std::move(peer), std::move(goal)});
}

void add_note(std::string note) { notes().push_back(std::move(note)); }

void SummaryReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const auto& r : runs) {
    if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
    auto it = r.counters.find("items_per_second");
    if (it == r.counters.end() || it->second.value <= 0 || r.real_accumulated_time <= 0) continue;
    rates_[r.run_name.function_name].push_back(it->second.value);
    const double items = it->second.value * r.real_accumulated_time;
    cpu_us_[r.run_name.function_name].push_back(r.cpu_accumulated_time * 1e6 / items);
  }
  ConsoleReporter::ReportRuns(runs);
}

void SummaryReporter::print_summary(std::ostream& out) const {
  auto rates_of = [&](const std::string& name) {
    auto it = rates_.find(name);
    return it == rates_.end() ? std::vector<double>{} : it->second;
  };
  out << "\n## Summary (median events/s over the repetitions, min–max in brackets)\n\n"
      << "| Workload | ours | peer | ours/peer | Goal | Met? |\n"
      << "|---|---|---|---|---|---|\n";
  for (const auto& c : comparisons()) {
    const auto o = rates_of(c.ours), p = rates_of(c.peer);
    if (o.empty() && p.empty()) continue;  // filtered out of this run
    const double mo = median(o), mp = median(p);
    const bool have_ratio = !o.empty() && !p.empty() && mp > 0;
    const double ratio = have_ratio ? mo / mp : 0.0;
    std::string met = c.goal.kind == Goal::Kind::none ? "-" : "n/a";
    if (c.goal.kind == Goal::Kind::ratio_at_least && have_ratio) met = ratio >= c.goal.value ? "yes" : "**no**";
    if (c.goal.kind == Goal::Kind::rate_at_least && !o.empty()) met = mo >= c.goal.value ? "yes" : "**no**";
    std::ostringstream r;
    if (have_ratio) r << std::fixed << std::setprecision(1) << ratio * 100.0 << "%";
    out << "| " << c.title << " | " << (o.empty() ? "-" : rate(mo) + spread(o)) << " | "
        << (p.empty() ? "-" : rate(mp) + spread(p)) << " | " << (have_ratio ? r.str() : "-") << " | " << c.goal.text
        << " | " << met << " |\n";
  }
  out << "\n## CPU time per event (median, microseconds of process CPU, user + system)\n\n"
      << "| Workload | ours | peer | ours/peer |\n|---|---|---|---|\n";
  for (const auto& c : comparisons()) {
    auto co = cpu_us_.find(c.ours), cp = cpu_us_.find(c.peer);
    if (co == cpu_us_.end() && cp == cpu_us_.end()) continue;
    const double mo = co == cpu_us_.end() ? 0.0 : median(co->second);
    const double mp = cp == cpu_us_.end() ? 0.0 : median(cp->second);
    std::ostringstream row;
    row << std::fixed << std::setprecision(1) << "| " << c.title << " | " << mo << " | " << mp << " | ";
    if (mo > 0 && mp > 0)
      row << std::setprecision(1) << mo / mp << "x";
    else
      row << "-";
    out << row.str() << " |\n";
  }
  if (!notes().empty()) {
    out << "\n";
    for (const auto& n : notes()) out << "- " << n << "\n";
  }
  out << std::flush;
}

}  // namespace loybench
