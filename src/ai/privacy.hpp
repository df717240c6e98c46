// The privacy scrub every provider's input goes through (docs/ai.md "Guarantees"), and the key
// and depth helpers the AI module's walks over JSON share. Every walk here is iterative: nothing
// recurses over a document, whatever its depth.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace loyalty::detail::ai {

/// Privacy rule applied to the input of every provider, once, by `run_validated` (the one way the
/// engine calls a provider): a copy of `input` without the keys that could carry personal data
/// (name, e-mail, phone, address, latitude/longitude, coordinates, ... matched per word of the
/// key, so "first_name" and "homeLat" go too) and with e-mail-like strings replaced by
/// "[redacted]". `removed` (when given) receives the JSON paths of what was removed, in document
/// order. Iterative: any depth.
nlohmann::json scrub_personal_data(const nlohmann::json& input, std::vector<std::string>* removed = nullptr);

/// The words of a key: split at non-alphanumerics and at camelCase humps, lowercased
/// ("homeLat" -> home, lat; "points_to_award" -> points, to, award).
std::vector<std::string> key_words(std::string_view key);

/// The key lowercased with separators dropped ("E-Mail" -> "email").
std::string squashed(std::string_view key);

/// "parent.key", or "key" at the top.
std::string child_path(const std::string& parent, const std::string& key);

/// The JSON path ("a.b[2].c") of the first key, in document order, for which `match` is true, or
/// nullopt. A key is matched before its value is entered. Iterative: any depth.
std::optional<std::string> first_key_path(const nlohmann::json& v, const std::function<bool(std::string_view)>& match);

/// The nesting depth of `v` (0 for a scalar, 1 for [] or {}, ...), counted without recursion and
/// without going deeper than `limit + 1`: any result above `limit` means "too deep".
size_t json_depth(const nlohmann::json& v, size_t limit);

}  // namespace loyalty::detail::ai
