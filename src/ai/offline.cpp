#include "ai/offline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loyalty/core/error.hpp"

namespace loyalty::detail::ai {

using nlohmann::json;

namespace {

double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double num(const json& j, const char* key, double fallback = 0) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw Error(Status::invalid, fmt::format("input field '{}' must be a number", key), key);
  return it->get<double>();
}

bool known(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && !it->is_null();
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    throw Error(Status::invalid, fmt::format("input field '{}' must be a string", key), key);
  return it->get<std::string>();
}

const json& list(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array())
    throw Error(Status::invalid, fmt::format("input field '{}' must be an array", key), key);
  return *it;
}

// ---------------------------------------------------------------------------------------------
// Recommendations: score = 0.35 affordability + 0.25 category affinity + 0.15 popularity
//                          + 0.15 proximity + 0.10 tier perk

json recommendations(const json& in) {
  const json& cus = in.at("customer");
  const double balance = num(cus, "balance");
  const bool has_tier = known(cus, "tier_rank");
  const double tier_rank = num(cus, "tier_rank", -1);
  const std::string tier = known(cus, "tier") ? str(cus, "tier") : "";
  std::map<std::string, double> cats;
  double cat_total = 0;
  auto add = [&](const std::string& category, double spend) {
    const double s = std::max(0.0, spend);
    cats[category] += s;
    cat_total += s;
  };
  if (auto c = cus.find("categories"); c != cus.end()) {
    if (c->is_array())  // what the engine sends: [{category, spend}]
      for (const auto& e : *c) add(e.at("category").get<std::string>(), e.at("spend").get<double>());
    else if (c->is_object())  // {category: spend}, as hosts may write it
      for (const auto& [k, v] : c->items()) add(k, v.get<double>());
  }
  const bool active = num(cus, "purchases_90d") > 0;
  const json& cands = list(in, "candidates");
  auto eligible = [&](const json& c) {
    return !known(c, "min_tier_rank") || (has_tier && num(c, "min_tier_rank") <= tier_rank);
  };
  double max_pop = 0;  // popularity is relative to the most popular eligible candidate
  for (const auto& c : cands)
    if (eligible(c)) max_pop = std::max(max_pop, num(c, "popularity"));
  const auto limit = static_cast<size_t>(std::clamp(num(in, "limit", 5), 1.0, 50.0));

  struct Scored {
    double score;
    std::string id;
    json item;
  };
  std::vector<Scored> scored;
  for (const auto& c : cands) {
    if (!eligible(c)) continue;  // a tier the customer does not have
    const bool tier_only = known(c, "min_tier_rank");
    const double cost = num(c, "cost_points");
    const std::string category = known(c, "category") ? str(c, "category") : "";
    const double a = cost <= 0 ? 1.0 : clamp01(balance / cost);
    const double share = (cat_total > 0 && cats.count(category)) ? cats[category] / cat_total : 0.0;
    const double p = max_pop > 0 ? num(c, "popularity") / max_pop : 0.0;
    const bool has_dist = known(c, "distance_km");
    const double km = num(c, "distance_km");
    const double d = has_dist ? 1.0 / (1.0 + std::max(0.0, km) / 2.0) : 0.0;
    const double t = tier_only ? 1.0 : 0.0;
    const std::array<double, 5> parts = {0.35 * a, 0.25 * share, 0.15 * p, 0.15 * d, 0.10 * t};
    const double score = round_to(clamp01(parts[0] + parts[1] + parts[2] + parts[3] + parts[4]), 4);
    const double confidence =
        round_to(0.3 + (active ? 0.25 : 0) + (cat_total > 0 && !category.empty() ? 0.25 : 0) + (has_dist ? 0.2 : 0), 2);
    const auto top = static_cast<size_t>(std::max_element(parts.begin(), parts.end()) - parts.begin());
    std::string reason;
    switch (top) {
      case 0:
        reason = known(c, "kind") && str(c, "kind") == "offer"
                     ? fmt::format("a current offer: {}", known(c, "title") ? str(c, "title") : str(c, "id"))
                 : cost <= 0       ? std::string("free for you")
                 : balance >= cost ? fmt::format("affordable now: your {} points cover its {} points", balance, cost)
                                   : fmt::format("{}% of the way there: {} of {} points",
                                                 static_cast<int>(std::floor(a * 100)), balance, cost);
        break;
      case 1:
        reason = fmt::format("matches your favourite category '{}' ({}% of your spend)", category,
                             static_cast<int>(std::round(share * 100)));
        break;
      case 2:
        reason = fmt::format("popular: redeemed {} times recently", num(c, "popularity"));
        break;
      case 3:
        reason = fmt::format("close to where you visit ({:.1f} km)", km);
        break;
      default:
        reason = fmt::format("a perk of your tier '{}'", tier);
    }
    const std::string id = str(c, "id");
    const std::string kind = known(c, "kind") ? str(c, "kind") : "reward";
    scored.push_back(
        {score, id, {{"id", id}, {"kind", kind}, {"score", score}, {"confidence", confidence}, {"reason", reason}}});
  }
  std::sort(scored.begin(), scored.end(),
            [](const Scored& x, const Scored& y) { return x.score != y.score ? x.score > y.score : x.id < y.id; });
  json items = json::array();
  for (size_t n = 0; n < scored.size() && n < limit; ++n) items.push_back(std::move(scored[n].item));
  return {{"items", std::move(items)}};
}

// ---------------------------------------------------------------------------------------------
// Churn: risk = 0.45 R + 0.20 F + 0.10 M + 0.25 T (docs/ai.md)

struct ChurnParts {
  double r, f, m, t, trend;
};

ChurnParts churn_parts(const json& c, double median) {
  ChurnParts p{};
  p.r = known(c, "recency_days") ? clamp01(num(c, "recency_days") / 90.0) : 1.0;
  const double cur = std::max(0.0, num(c, "frequency_90d"));
  const double prev = std::max(0.0, num(c, "frequency_prev_90d"));
  p.f = 1.0 - std::min(1.0, cur / 6.0);
  const double money = std::max(0.0, num(c, "monetary_90d"));
  p.m = median > 0 ? 1.0 - std::min(1.0, money / (2 * median)) : (money > 0 ? 0.0 : 1.0);
  p.trend = cur + prev > 0 ? (prev - cur) / std::max(prev, cur) : 0.0;
  p.t = cur + prev > 0 ? (p.trend + 1) / 2 : 0.5;
  return p;
}

double risk_of(const ChurnParts& p) { return round_to(clamp01(0.45 * p.r + 0.20 * p.f + 0.10 * p.m + 0.25 * p.t), 4); }

json churn(const json& in) {
  const double median = in.contains("reference") ? num(in.at("reference"), "monetary_90d_median") : 0.0;
  json out = json::array();
  for (const auto& c : list(in, "customers")) {
    const ChurnParts p = churn_parts(c, median);
    const double risk = risk_of(p);
    const std::string band = risk >= 0.6 ? "high" : risk >= 0.35 ? "medium" : "low";
    struct Factor {
      const char* name;
      double value, contribution;
    };
    std::array<Factor, 4> fs = {{
        {"recency", known(c, "recency_days") ? num(c, "recency_days") : -1.0, 0.45 * p.r},
        {"frequency", num(c, "frequency_90d"), 0.20 * p.f},
        {"monetary", num(c, "monetary_90d"), 0.10 * p.m},
        {"trend", p.trend, 0.25 * p.t},
    }};
    std::stable_sort(fs.begin(), fs.end(),
                     [](const Factor& x, const Factor& y) { return x.contribution > y.contribution; });
    json factors = json::array();
    for (const auto& f : fs)
      factors.push_back(
          {{"name", f.name}, {"value", round_to(f.value, 4)}, {"contribution", round_to(f.contribution, 4)}});
    const auto balance = static_cast<int64_t>(num(c, "balance"));
    json actions = json::array();
    if (band == "high") {
      actions.push_back("send a win-back offer: bonus points on the next purchase within 14 days");
    } else if (band == "medium") {
      actions.push_back("send a personalised recommendation");
    } else {
      actions.push_back("no action needed: keep the usual communication");
    }
    if (band != "low" && balance > 0)
      actions.push_back(fmt::format("remind them of their {} points balance and what it redeems", balance));
    if (band != "low" && p.trend > 0.2) actions.push_back("offer a visit bonus to reverse the declining activity");
    out.push_back({{"id", str(c, "id")},
                   {"risk", risk},
                   {"band", band},
                   {"factors", std::move(factors)},
                   {"actions", std::move(actions)}});
  }
  return {{"customers", std::move(out)}};
}

// ---------------------------------------------------------------------------------------------
// Segmentation: RFM scores 1..5 by rank within the population, then named segments.

struct Segment {
  const char* name;
  const char* definition;
};
constexpr std::array<Segment, 8> kSegments = {{
    {"new", "joined within the last 30 days"},
    {"champions", "R>=4, F>=4 and M>=3: bought recently, often and for a lot"},
    {"loyal", "R>=3 and F>=3: regular customers"},
    {"potential_loyalists", "R>=4 and F<=2: recent customers who do not buy often yet"},
    {"at_risk", "R<=2 and F>=3: used to buy often, not recently"},
    {"needs_attention", "R=3 and F<=2: average recency, low frequency"},
    {"hibernating", "R<=2 and F<=2: low recency and low frequency"},
    {"lost", "no purchase or visit in the last 365 days"},
}};

// 1 + floor(5 * (number of values strictly below v) / n), so ties share a score.
std::vector<int> quintile_scores(const std::vector<double>& values) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> out;
  const double n = static_cast<double>(values.size());
  for (double v : values) {
    const auto below = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
    out.push_back(std::min(5, 1 + static_cast<int>(std::floor(5 * below / n))));
  }
  return out;
}

json segmentation(const json& in) {
  const json& cs = list(in, "customers");
  std::vector<double> recency, freq, money;
  for (const auto& c : cs) {
    // Smaller recency is better: score its negation (no activity at all is the worst).
    recency.push_back(known(c, "recency_days") ? -num(c, "recency_days") : -1e12);
    freq.push_back(num(c, "frequency_365d"));
    money.push_back(num(c, "monetary_365d"));
  }
  const auto r = quintile_scores(recency), f = quintile_scores(freq), m = quintile_scores(money);
  std::array<std::vector<std::string>, kSegments.size()> members;
  for (size_t n = 0; n < cs.size(); ++n) {
    const json& c = cs[n];
    size_t s;
    if (known(c, "tenure_days") && num(c, "tenure_days") <= 30)
      s = 0;
    else if (num(c, "frequency_365d") <= 0)
      s = 7;
    else if (r[n] >= 4 && f[n] >= 4 && m[n] >= 3)
      s = 1;
    else if (r[n] >= 3 && f[n] >= 3)
      s = 2;
    else if (r[n] >= 4)
      s = 3;
    else if (f[n] >= 3)
      s = 4;
    else if (r[n] == 3)
      s = 5;
    else
      s = 6;
    members[s].push_back(str(c, "id"));
  }
  json segs = json::array();
  for (size_t s = 0; s < kSegments.size(); ++s) {
    std::sort(members[s].begin(), members[s].end());
    segs.push_back({{"name", kSegments[s].name},
                    {"definition", kSegments[s].definition},
                    {"size", members[s].size()},
                    {"members", members[s]}});
  }
  return {{"segments", std::move(segs)}};
}

// ---------------------------------------------------------------------------------------------
// Feedback: an English lexicon with negation and intensifiers; themes by keyword.

const std::unordered_map<std::string_view, double>& lexicon() {
  static const std::unordered_map<std::string_view, double> words = [] {
    std::unordered_map<std::string_view, double> w;
    for (auto s : {"good",      "great",   "excellent",   "amazing",   "awesome",    "love",     "loved",     "lovely",
                   "friendly",  "helpful", "fast",        "quick",     "clean",      "fresh",    "delicious", "tasty",
                   "nice",      "perfect", "fantastic",   "wonderful", "happy",      "pleased",  "easy",      "best",
                   "recommend", "polite",  "welcoming",   "cheap",     "affordable", "fair",     "generous",  "enjoy",
                   "enjoyed",   "smooth",  "comfortable", "beautiful", "convenient", "reliable", "satisfied", "thanks",
                   "thank",     "like",    "liked",       "worth"})
      w[s] = 1;
    for (auto s :
         {"bad",     "terrible", "awful",        "horrible",      "hate",       "hated",      "rude",     "slow",
          "dirty",   "cold",     "stale",        "disgusting",    "expensive",  "overpriced", "broken",   "wrong",
          "poor",    "worst",    "disappointed", "disappointing", "unfriendly", "unhelpful",  "annoying", "waited",
          "waiting", "wait",     "late",         "confusing",     "difficult",  "crowded",    "noisy",    "never",
          "problem", "issue",    "complaint",    "bland",         "mistake",    "lost",       "missing",  "useless",
          "unhappy", "angry",    "crash",        "crashes",       "bug"})
      w[s] = -1;
    w["never"] = 0;  // a negator, not a sentiment word
    return w;
  }();
  return words;
}

bool is_negator(std::string_view w) {
  return w == "not" || w == "no" || w == "never" || w == "dont" || w == "don't" || w == "isn't" || w == "isnt" ||
         w == "wasn't" || w == "wasnt" || w == "didn't" || w == "didnt" || w == "without" || w == "hardly";
}
bool is_intensifier(std::string_view w) {
  return w == "very" || w == "really" || w == "extremely" || w == "so" || w == "super" || w == "incredibly";
}

struct Theme {
  const char* name;
  std::initializer_list<std::string_view> words;
};
const std::array<Theme, 9>& themes() {
  static const std::array<Theme, 9> t = {{
      {"service",
       {"staff", "service", "friendly", "rude", "helpful", "unhelpful", "polite", "cashier", "waiter", "barista",
        "employee", "manager", "welcoming"}},
      {"price", {"price", "prices", "expensive", "cheap", "overpriced", "affordable", "value", "cost", "worth"}},
      {"quality", {"quality", "fresh", "stale", "broken", "delicious", "tasty", "bland", "product", "products"}},
      {"speed", {"fast", "slow", "quick", "wait", "waited", "waiting", "queue", "line", "late", "delay"}},
      {"cleanliness", {"clean", "dirty", "messy", "tidy", "hygiene", "smell"}},
      {"app", {"app", "website", "online", "login", "crash", "crashes", "bug", "update"}},
      {"rewards", {"points", "reward", "rewards", "loyalty", "coupon", "discount", "offer", "bonus", "voucher"}},
      {"location", {"parking", "location", "crowded", "noisy", "store", "shop", "branch"}},
      {"food", {"food", "coffee", "meal", "drink", "taste", "menu", "breakfast", "lunch", "dinner"}},
  }};
  return t;
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalpha(c) || ch == '\'') {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

json feedback(const json& in) {
  json items = json::array();
  std::map<std::string, int64_t> theme_counts;
  std::map<std::string, int64_t> by_sentiment = {{"positive", 0}, {"negative", 0}, {"neutral", 0}, {"mixed", 0}};
  double total = 0;
  for (const auto& it : list(in, "items")) {
    const auto words = words_of(str(it, "text"));
    double pos = 0, neg = 0;
    int negate = 0;
    double boost = 1;
    std::set<std::string> found;
    for (const auto& w : words) {
      for (const auto& t : themes())
        if (std::find(t.words.begin(), t.words.end(), w) != t.words.end()) found.insert(t.name);
      if (is_negator(w)) {
        negate = 3;
        continue;
      }
      if (is_intensifier(w)) {
        boost = 1.5;
        continue;
      }
      auto l = lexicon().find(w);
      if (l != lexicon().end() && l->second != 0) {
        double v = l->second * boost;
        if (negate > 0) v = -v * 0.8;
        (v > 0 ? pos : neg) += std::abs(v);
        negate = 0;
        boost = 1;
      } else {
        if (negate > 0) --negate;
        boost = 1;
      }
    }
    const double score = pos + neg > 0 ? round_to((pos - neg) / (pos + neg + 1), 4) : 0.0;
    std::string sentiment = "neutral";
    if (pos > 0 && neg > 0 && std::abs(score) < 0.25)
      sentiment = "mixed";
    else if (score >= 0.2)
      sentiment = "positive";
    else if (score <= -0.2)
      sentiment = "negative";
    ++by_sentiment[sentiment];
    total += score;
    for (const auto& t : found) ++theme_counts[t];
    items.push_back({{"id", str(it, "id")},
                     {"sentiment", sentiment},
                     {"score", score},
                     {"themes", std::vector(found.begin(), found.end())}});
  }
  std::vector<std::pair<std::string, int64_t>> top(theme_counts.begin(), theme_counts.end());
  std::stable_sort(top.begin(), top.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  json top_json = json::array();
  for (size_t n = 0; n < top.size() && n < 5; ++n)
    top_json.push_back({{"theme", top[n].first}, {"count", top[n].second}});
  const auto count = static_cast<int64_t>(items.size());
  const double avg = count ? round_to(total / static_cast<double>(count), 4) : 0.0;
  std::string text =
      count == 0 ? "no feedback"
                 : fmt::format("{} text{}: {} positive, {} negative, {} neutral, {} mixed (average score {:.2f})",
                               count, count == 1 ? "" : "s", by_sentiment["positive"], by_sentiment["negative"],
                               by_sentiment["neutral"], by_sentiment["mixed"], avg);
  if (!top.empty()) {
    text += "; most mentioned:";
    for (size_t n = 0; n < top.size() && n < 3; ++n) text += fmt::format("{} {}", n ? "," : "", top[n].first);
  }
  return {{"items", std::move(items)},
          {"summary",
           {{"count", count},
            {"positive", by_sentiment["positive"]},
            {"negative", by_sentiment["negative"]},
            {"neutral", by_sentiment["neutral"]},
            {"mixed", by_sentiment["mixed"]},
            {"average_score", avg},
            {"top_themes", std::move(top_json)},
            {"text", text}}}};
}

// ---------------------------------------------------------------------------------------------
// Location insights: peaks, conversion and promotion windows.

constexpr std::array<const char*, 7> kWeekdays = {"sunday",   "monday", "tuesday", "wednesday",
                                                  "thursday", "friday", "saturday"};

std::vector<double> counts(const json& loc, const char* key, size_t n) {
  const json& a = list(loc, key);
  if (a.size() != n) throw Error(Status::invalid, fmt::format("input field '{}' must have {} counts", key, n), key);
  std::vector<double> out;
  for (const auto& v : a) out.push_back(std::max(0.0, v.get<double>()));
  return out;
}

std::vector<size_t> peaks(const std::vector<double>& v) {
  const double mx = *std::max_element(v.begin(), v.end());
  std::vector<size_t> out;
  if (mx <= 0) return out;
  for (size_t n = 0; n < v.size(); ++n)
    if (v[n] >= 0.8 * mx) out.push_back(n);
  return out;
}

json location_insights(const json& in) {
  json out = json::array();
  for (const auto& loc : list(in, "locations")) {
    const auto hours = counts(loc, "by_hour", 24);
    const auto days = counts(loc, "by_weekday", 7);
    const auto checkins = static_cast<int64_t>(num(loc, "checkins"));
    const double converted = num(loc, "converted");
    const double rate = checkins > 0 ? round_to(clamp01(converted / static_cast<double>(checkins)), 4) : 0.0;
    json peak_hours = json::array(), peak_days = json::array(), windows = json::array();
    for (size_t h : peaks(hours)) peak_hours.push_back(h);
    for (size_t d : peaks(days)) peak_days.push_back(kWeekdays[d]);
    std::string summary = "no check-ins in the window";
    if (checkins > 0) {
      // The busiest two-hour block of the day.
      size_t best = 0;
      for (size_t h = 1; h < 23; ++h)
        if (hours[h] + hours[h + 1] > hours[best] + hours[best + 1]) best = h;
      // The two quietest days that still see visits, if they are quieter than the busiest.
      const double max_day = *std::max_element(days.begin(), days.end());
      std::vector<size_t> quiet;
      for (size_t d = 0; d < 7; ++d)
        if (days[d] > 0 && days[d] < max_day) quiet.push_back(d);
      std::stable_sort(quiet.begin(), quiet.end(), [&](size_t x, size_t y) { return days[x] < days[y]; });
      for (size_t n = 0; n < quiet.size() && n < 2; ++n)
        windows.push_back({{"weekday", kWeekdays[quiet[n]]},
                           {"start_hour", best},
                           {"end_hour", best + 2},
                           {"reason", fmt::format("{} is a quiet day ({} check-ins against {} on the busiest): a "
                                                  "promotion at the usual busiest hours shifts visits to it",
                                                  kWeekdays[quiet[n]], days[quiet[n]], max_day)}});
      if (rate < 0.3 && checkins >= 10 && !peak_days.empty())
        windows.push_back({{"weekday", peak_days[0]},
                           {"start_hour", best},
                           {"end_hour", best + 2},
                           {"reason", fmt::format("only {}% of check-ins lead to a purchase: a purchase offer at the "
                                                  "peak converts more visits",
                                                  static_cast<int>(std::round(rate * 100)))}});
      summary = fmt::format("{} check-ins, busiest {}:00-{}:00, {}% followed by a purchase", checkins, best, best + 2,
                            static_cast<int>(std::round(rate * 100)));
    }
    out.push_back({{"id", str(loc, "id")},
                   {"checkins", checkins},
                   {"peak_hours", std::move(peak_hours)},
                   {"peak_weekdays", std::move(peak_days)},
                   {"conversion_rate", rate},
                   {"promotion_windows", std::move(windows)},
                   {"summary", summary}});
  }
  return {{"locations", std::move(out)}};
}

}  // namespace

double churn_risk(const json& customer, double monetary_median) {
  return risk_of(churn_parts(customer, monetary_median));
}

json OfflineProvider::run(Operation op, const json& input) {
  if (!input.is_object()) throw Error(Status::invalid, "the provider input must be a JSON object");
  try {
    switch (op) {
      case Operation::recommendations:
        return recommendations(input);
      case Operation::churn:
        return churn(input);
      case Operation::segmentation:
        return segmentation(input);
      case Operation::feedback:
        return feedback(input);
      case Operation::location_insights:
        return location_insights(input);
    }
  } catch (const json::exception& e) {
    throw Error(Status::invalid, fmt::format("malformed {} input: {}", operation_name(op), e.what()));
  }
  throw Error(Status::invalid, "unknown AI operation");
}

std::shared_ptr<Provider> offline_provider() {
  static const auto p = std::make_shared<OfflineProvider>();
  return p;
}

}  // namespace loyalty::detail::ai
