// Validation of JSON inputs: every entry point reads its payload through an Input, which refuses
// unknown fields and wrong types with LOY_EINVALID naming the field path.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "loyalty/core/error.hpp"
#include "loyalty/core/time.hpp"

namespace loyalty::detail {

using nlohmann::json;

/// Parses UTF-8 JSON text; malformed text is LOY_EINVALID with the byte offset.
json parse_json(std::string_view text);

/// The values of a JSON text as the one parser reads them, in order, for a reader that builds a
/// typed value straight from the text instead of a document (the purchase of `purchase.dry_run`).
/// Each returns false to decline: the text is then for parse_json, whose document the ordinary
/// validation reads, so a reader declines on anything it is not sure of and errors stay theirs.
class JsonEvents {
 public:
  virtual ~JsonEvents() = default;
  virtual bool null() = 0;
  virtual bool boolean(bool v) = 0;
  virtual bool integer(int64_t v) = 0;
  /// A number with a fraction or exponent: its value and its text as written.
  virtual bool number(double v, std::string_view text) = 0;
  /// A string value (movable: the reader may keep it).
  virtual bool string(std::string& v) = 0;
  virtual bool key(std::string& k) = 0;
  virtual bool start_object() = 0;
  virtual bool end_object() = 0;
  virtual bool start_array() = 0;
  virtual bool end_array() = 0;
};

/// Streams UTF-8 JSON text to `events` through the parser parse_json uses. False when the text is
/// not JSON, nests deeper than kMaxJsonDepth, holds an integer outside int64, or `events`
/// declined; never throws for the text (the caller then calls parse_json for the error).
bool scan_json(std::string_view text, JsonEvents& events);

/// Parses JSON text the engine itself wrote (a stored row, a compiled-in schema): text that went
/// through parse_json and validation on its way in. Never for text from outside the engine; a
/// test (tests/lint/check_json_parse.cmake) keeps direct nlohmann parses out of every other file.
json parse_stored(std::string_view text);

/// Points and money never exceed this magnitude, so sums of a few billion entries stay in int64.
constexpr int64_t kMaxAmount = 1'000'000'000'000'000;  // 1e15

class Input {
 public:
  /// `j` must be an object whose keys are all in `allowed`; `path` prefixes field names.
  Input(const json& j, std::initializer_list<std::string_view> allowed, std::string path = {});

  bool has(std::string_view key) const;
  std::string field(std::string_view key) const;

  std::string str(std::string_view key, size_t max_len = 256) const;
  std::optional<std::string> opt_str(std::string_view key, size_t max_len = 256) const;
  int64_t i64(std::string_view key, int64_t min, int64_t max) const;
  std::optional<int64_t> opt_i64(std::string_view key, int64_t min, int64_t max) const;
  bool boolean(std::string_view key, bool fallback) const;
  std::optional<bool> opt_bool(std::string_view key) const;
  Timestamp time(std::string_view key) const;
  std::optional<Timestamp> opt_time(std::string_view key) const;
  /// The time an event happened: an RFC 3339 time (or null/absent -> nullopt) on or after
  /// 1970-01-01 and at most `max_ahead` ms after `now` (clock skew between devices), so that no
  /// input can date an event far into the future. Anything else is LOY_EINVALID naming the field.
  std::optional<Timestamp> opt_event_time(std::string_view key, Timestamp now, Timestamp max_ahead) const;
  /// A JSON object (or null/absent -> nullopt).
  std::optional<json> opt_object(std::string_view key) const;
  std::optional<std::vector<std::string>> opt_str_list(std::string_view key, size_t max_items = 256) const;
  /// One of the given words.
  std::optional<std::string> opt_enum(std::string_view key, std::initializer_list<std::string_view> words) const;
  const json& raw(std::string_view key) const;

  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

 private:
  const json* get(std::string_view key) const;
  const json& j_;
  std::string path_;
};

/// The longest prefix of UTF-8 text `s` of at most `max_bytes` bytes that ends on a character
/// boundary: a cut never splits a multi-byte character (which would make the text invalid UTF-8).
std::string utf8_prefix(std::string_view s, size_t max_bytes);

/// Pagination cursors are opaque strings over a sequence number.
std::string encode_cursor(int64_t seq);
int64_t decode_cursor(const std::string& cursor, const std::string& field);

}  // namespace loyalty::detail
