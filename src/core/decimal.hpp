// The engine's one decimal parser: rates, multipliers and factors in rules and tier benefits are
// exact decimals, never binary floating point.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace loyalty::detail {

/// Decimals are integers scaled by 10^6: "1.5" is 1'500'000.
inline constexpr int64_t kDecimalScale = 1'000'000;
/// The largest decimal accepted anywhere (before scaling).
inline constexpr int64_t kMaxDecimal = 1'000'000'000;

/// A non-negative decimal with at most 6 fractional digits and at most kMaxDecimal, scaled by
/// kDecimalScale: a JSON integer (`2`), a JSON number (`1.005`: read as the shortest decimal that
/// round-trips to the same double, which is the text the caller wrote for any number of at most
/// 15 significant digits) or a string (`"1.005"`, digits with an optional fraction, no sign or
/// exponent). Anything else, including a negative value or a 7th fractional digit, is nullopt.
std::optional<int64_t> parse_decimal(const nlohmann::json& v);

/// The string form alone (digits, optional '.' and 1 to 6 fractional digits).
std::optional<int64_t> parse_decimal_text(std::string_view s);

}  // namespace loyalty::detail
