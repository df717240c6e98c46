// An honest evaluation of the offline churn model (docs/ai.md "Churn evaluation"): a generator of
// customer histories in which churners are decided by the generator (they stop buying at a
// random day, some after the evaluation date), never by the model's formula. The model sees only
// the history up to the evaluation date, computed like the engine's aggregates; the test reports
// ROC AUC and the precision of the top decile and asserts floors under them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "ai/offline.hpp"
#include "fixture.hpp"

using loyalty::json;

namespace {

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double uniform() { return (static_cast<double>(g() >> 11) + 0.5) / 9007199254740992.0; }
  double normal() { return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()); }
  int between(int lo, int hi) { return lo + static_cast<int>(uniform() * (hi - lo + 1)); }
};

struct Customer {
  bool churner = false;
  std::vector<std::pair<int, int64_t>> purchases;  // (day, amount)
  int joined = 0;
};

constexpr int kAsOf = 730;    // the evaluation day (two years of history)
constexpr int kHorizon = 45;  // churners stop buying at most this many days after it

/// The generator (docs/ai.md): rates, fades, holidays and churn days are drawn here only.
std::vector<Customer> generate(int n, uint64_t seed) {
  Rng r(seed);
  std::vector<Customer> out(n);
  for (auto& c : out) {
    c.joined = r.between(0, kAsOf - 90);
    const double weekly = 0.7 * std::exp(0.8 * r.normal());  // purchases per week
    const double basket = std::exp(8 + 0.5 * r.normal());    // minor units per purchase
    c.churner = r.uniform() < 0.35;
    int churn_day = 1 << 30, fade = 0, gap_start = -1, gap_len = 0;
    if (c.churner) {
      churn_day = std::max(c.joined + 14, r.between(kAsOf - 150, kAsOf + kHorizon));
      if (r.uniform() < 0.6) fade = 90;  // activity declines over the 90 days before churning
    } else if (r.uniform() < 0.15) {
      gap_start = r.between(c.joined, kAsOf);  // a holiday: no purchases for 40..90 days
      gap_len = r.between(40, 90);
    }
    double block = 1;
    for (int d = c.joined; d <= kAsOf; ++d) {
      if ((d - c.joined) % 30 == 0) block = std::exp(0.4 * r.normal());  // month-to-month noise
      if (d >= churn_day) break;
      if (d >= gap_start && d < gap_start + gap_len) continue;
      double rate = weekly / 7 * block;
      if (fade && d >= churn_day - fade) rate *= 1.0 - 0.8 * (d - (churn_day - fade)) / fade;
      if (r.uniform() < std::min(1.0, rate))
        c.purchases.emplace_back(d, static_cast<int64_t>(basket * std::exp(0.3 * r.normal())));
    }
  }
  return out;
}

/// The churn input of one customer as the engine builds it (ai.churn) on the evaluation day.
json features(const Customer& c) {
  int64_t n90 = 0, nprev = 0, m90 = 0;
  int last = -1;
  for (const auto& [d, amount] : c.purchases) {
    last = std::max(last, d);
    if (d > kAsOf - 90) {
      ++n90;
      m90 += amount;
    } else if (d > kAsOf - 180) {
      ++nprev;
    }
  }
  return {{"id", "x"},
          {"recency_days", last < 0 ? json(nullptr) : json(kAsOf - last)},
          {"tenure_days", kAsOf - c.joined},
          {"frequency_90d", n90},
          {"frequency_prev_90d", nprev},
          {"monetary_90d", m90},
          {"balance", 0}};
}

/// ROC AUC (Mann-Whitney, ties count one half).
double auc(const std::vector<std::pair<double, bool>>& scored) {
  std::vector<std::pair<double, bool>> s = scored;
  std::sort(s.begin(), s.end());
  double rank_sum = 0, pos = 0;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && s[j].first == s[i].first) ++j;
    const double avg_rank = (static_cast<double>(i + j) + 1) / 2;  // 1-based ranks i+1..j
    for (size_t k = i; k < j; ++k)
      if (s[k].second) {
        rank_sum += avg_rank;
        ++pos;
      }
    i = j;
  }
  const double neg = static_cast<double>(s.size()) - pos;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

}  // namespace

TEST_CASE("ai churn evaluation: ROC AUC and top-decile precision on generated histories with known churners") {
  const auto customers = generate(5000, 20261124);
  std::vector<int64_t> m90;
  std::vector<json> inputs;
  for (const auto& c : customers) {
    inputs.push_back(features(c));
    if (inputs.back()["frequency_90d"] > 0) m90.push_back(inputs.back()["monetary_90d"]);
  }
  std::nth_element(m90.begin(), m90.begin() + static_cast<std::ptrdiff_t>(m90.size() / 2), m90.end());
  const double median = static_cast<double>(m90[m90.size() / 2]);
  std::vector<std::pair<double, bool>> scored;
  int churners = 0;
  for (size_t i = 0; i < customers.size(); ++i) {
    scored.emplace_back(loyalty::detail::ai::churn_risk(inputs[i], median), customers[i].churner);
    churners += customers[i].churner;
  }
  const double a = auc(scored);
  std::vector<std::pair<double, bool>> ranked = scored;
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  const size_t decile = ranked.size() / 10;
  int hits = 0;
  for (size_t i = 0; i < decile; ++i) hits += ranked[i].second;
  const double precision = static_cast<double>(hits) / static_cast<double>(decile);
  const double base = static_cast<double>(churners) / static_cast<double>(customers.size());
  std::printf("churn evaluation: %zu customers, %.1f%% churners, ROC AUC %.3f, precision@top-decile %.3f\n",
              customers.size(), 100 * base, a, precision);
  CHECK(a > 0.75);
  CHECK(precision > 0.8);
  CHECK(precision > 2 * base);
  // Sanity of the metric itself: a perfect and an inverted ranking.
  std::vector<std::pair<double, bool>> perfect;
  for (const auto& [s, y] : scored) perfect.emplace_back(y ? 1.0 : 0.0, y);
  CHECK(auc(perfect) == doctest::Approx(1.0));
  for (auto& p : perfect) p.first = -p.first;
  CHECK(auc(perfect) == doctest::Approx(0.0));
}
