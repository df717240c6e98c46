// JSON written as text without building a DOM, for the results on hot paths (purchase.dry_run).
// Strings are escaped exactly as nlohmann's dump() escapes them (ensure_ascii off), so a result
// written here and the same result dumped from a DOM are byte for byte the same (tested in
// tests/unit/core/json_text_test.cpp); keys are written by the caller, in the sorted order a
// DOM's dump() gives.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace loyalty::detail {

/// Appends `s` as a JSON string (quoted, escaped). `s` is valid UTF-8 (it came through the
/// engine's parser or the engine wrote it).
void append_json_string(std::string& out, std::string_view s);

/// Appends an integer.
inline void append_json_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Appends `"key":` (the key is a literal the engine chose: no escaping).
inline void append_json_key(std::string& out, std::string_view key) {
  out.push_back('"');
  out.append(key);
  out.append("\":", 2);
}

}  // namespace loyalty::detail
