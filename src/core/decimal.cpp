#include "core/decimal.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace loyalty::detail {

namespace {

/// Digits, an optional fraction and, when `exponent` is allowed, an optional e[+-]N: the value
/// scaled by kDecimalScale, exactly, or nullopt when it has more than 6 fractional digits, is
/// negative or exceeds kMaxDecimal.
std::optional<int64_t> scaled(std::string_view s, bool exponent) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  std::string digits;  // significant digits, without the point
  int point = -1;      // digits before the point
  size_t pos = 0;
  for (; pos < s.size(); ++pos) {
    const char c = s[pos];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '.' && point < 0) {
      if (digits.empty()) return std::nullopt;
      point = static_cast<int>(digits.size());
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (point < 0) point = static_cast<int>(digits.size());
  if (point == static_cast<int>(digits.size()) && pos > 0 && s[pos - 1] == '.') return std::nullopt;  // "1."
  int exp10 = 0;
  if (pos < s.size()) {
    if (!exponent || (s[pos] != 'e' && s[pos] != 'E')) return std::nullopt;
    ++pos;
    bool negative = false;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) negative = s[pos++] == '-';
    if (pos == s.size()) return std::nullopt;
    for (; pos < s.size(); ++pos) {
      if (s[pos] < '0' || s[pos] > '9' || exp10 > 100) return std::nullopt;
      exp10 = exp10 * 10 + (s[pos] - '0');
    }
    if (negative) exp10 = -exp10;
  }
  // value = digits * 10^(point - digits.size() + exp10); scaled by 10^6.
  int shift = point - static_cast<int>(digits.size()) + exp10 + 6;
  // Trailing zeros never matter; strip them so that "1.5000000" is still 6 decimals at most.
  while (shift < 0 && digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++shift;
  }
  if (shift < 0) {
    if (digits.find_first_not_of('0') != std::string::npos) return std::nullopt;  // a 7th decimal
    return 0;
  }
  constexpr int64_t kMax = kMaxDecimal * kDecimalScale;
  int64_t v = 0;
  for (char c : digits) {
    v = v * 10 + (c - '0');
    if (v > kMax) return std::nullopt;
  }
  for (int k = 0; k < shift; ++k) {
    if (v > kMax / 10) return v == 0 ? std::optional<int64_t>(0) : std::nullopt;
    v *= 10;
  }
  if (v > kMax) return std::nullopt;
  return v;
}

}  // namespace

std::optional<int64_t> parse_decimal_text(std::string_view s) { return scaled(s, false); }

std::optional<int64_t> parse_decimal(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto x = v.get<uint64_t>();
    if (x > static_cast<uint64_t>(kMaxDecimal)) return std::nullopt;
    return static_cast<int64_t>(x) * kDecimalScale;
  }
  if (v.is_number_integer()) {
    const auto x = v.get<int64_t>();
    if (x < 0 || x > kMaxDecimal) return std::nullopt;
    return x * kDecimalScale;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 0) return std::nullopt;
    // fmt writes the shortest text that reads back as the same double: what the caller wrote.
    return scaled(fmt::format("{}", d), true);
  }
  if (v.is_string()) return scaled(v.get_ref<const std::string&>(), false);
  return std::nullopt;
}

}  // namespace loyalty::detail
