#include "core/input.hpp"

#include <fmt/format.h>

#include "loyalty/core/engine.hpp"

namespace loyalty::detail {

json parse_json(std::string_view text) { return loyalty::parse_json(text); }

json parse_stored(std::string_view text) { return json::parse(text.begin(), text.end()); }

Input::Input(const json& j, std::initializer_list<std::string_view> allowed, std::string path)
    : j_(j), path_(std::move(path)) {
  if (!j_.is_object()) {
    throw Error(Status::invalid, path_.empty() ? "expected a JSON object" : fmt::format("{} must be an object", path_),
                path_);
  }
  for (const auto& [key, value] : j_.items()) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (!ok) throw Error(Status::invalid, fmt::format("unknown field '{}'", field(key)), field(key));
  }
}

std::string Input::field(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void Input::fail(std::string_view key, const std::string& message) const {
  throw Error(Status::invalid, fmt::format("{}: {}", field(key), message), field(key));
}

const json* Input::get(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Input::has(std::string_view key) const { return get(key) != nullptr; }

const json& Input::raw(std::string_view key) const {
  const json* v = get(key);
  if (!v) fail(key, "is required");
  return *v;
}

std::optional<std::string> Input::opt_str(std::string_view key, size_t max_len) const {
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(key, "must be a string");
  const auto& s = v->get_ref<const std::string&>();
  if (s.empty()) fail(key, "must not be empty");
  if (s.size() > max_len) fail(key, fmt::format("must be at most {} bytes", max_len));
  return s;
}

std::string Input::str(std::string_view key, size_t max_len) const {
  auto s = opt_str(key, max_len);
  if (!s) fail(key, "is required");
  return *s;
}

std::optional<int64_t> Input::opt_i64(std::string_view key, int64_t min, int64_t max) const {
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) fail(key, "must be an integer");
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail(key, fmt::format("must be between {} and {}", min, max));
  const auto n = v->get<int64_t>();
  if (n < min || n > max) fail(key, fmt::format("must be between {} and {}", min, max));
  return n;
}

int64_t Input::i64(std::string_view key, int64_t min, int64_t max) const {
  auto n = opt_i64(key, min, max);
  if (!n) fail(key, "is required");
  return *n;
}

std::optional<bool> Input::opt_bool(std::string_view key) const {
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail(key, "must be true or false");
  return v->get<bool>();
}

bool Input::boolean(std::string_view key, bool fallback) const { return opt_bool(key).value_or(fallback); }

std::optional<Timestamp> Input::opt_time(std::string_view key) const {
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(key, "must be an RFC 3339 time string");
  auto t = parse_time(v->get_ref<const std::string&>());
  if (!t) fail(key, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z");
  return t;
}

namespace {

/// "a day", "5 minutes", "an hour", "90 seconds", "1500 ms": a span in the largest whole unit.
std::string describe_span(Timestamp ms) {
  struct Unit {
    Timestamp ms;
    const char* one;
    const char* many;
  };
  static constexpr Unit kUnits[] = {{kMillisPerDay, "a day", "days"},
                                    {3'600'000, "an hour", "hours"},
                                    {60'000, "a minute", "minutes"},
                                    {1'000, "a second", "seconds"}};
  for (const auto& u : kUnits) {
    if (ms <= 0 || ms % u.ms != 0) continue;
    return ms == u.ms ? std::string(u.one) : fmt::format("{} {}", ms / u.ms, u.many);
  }
  return fmt::format("{} ms", ms);
}

}  // namespace

std::optional<Timestamp> Input::opt_event_time(std::string_view key, Timestamp now, Timestamp max_ahead) const {
  const auto t = opt_time(key);
  if (!t) return std::nullopt;
  if (*t < 0) fail(key, "must not be before 1970-01-01");
  if (*t - now > max_ahead)
    fail(key, fmt::format("must not be more than {} ahead of the engine clock", describe_span(max_ahead)));
  return t;
}

Timestamp Input::time(std::string_view key) const {
  auto t = opt_time(key);
  if (!t) fail(key, "is required");
  return *t;
}

std::optional<json> Input::opt_object(std::string_view key) const {
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail(key, "must be an object");
  return *v;
}

std::optional<std::vector<std::string>> Input::opt_str_list(std::string_view key, size_t max_items) const {
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) fail(key, "must be an array of strings");
  if (v->size() > max_items) fail(key, fmt::format("must have at most {} items", max_items));
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    if (!e.is_string() || e.get_ref<const std::string&>().empty() || e.get_ref<const std::string&>().size() > 256) {
      const std::string f = fmt::format("{}[{}]", field(key), i);
      throw Error(Status::invalid, f + ": must be a non-empty string of at most 256 bytes", f);
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<std::string> Input::opt_enum(std::string_view key, std::initializer_list<std::string_view> words) const {
  auto s = opt_str(key);
  if (!s) return std::nullopt;
  for (auto w : words)
    if (w == *s) return s;
  std::string list;
  for (auto w : words) list += (list.empty() ? "" : ", ") + std::string(w);
  fail(key, fmt::format("must be one of: {}", list));
}

std::string encode_cursor(int64_t seq) { return fmt::format("c{}", seq); }

int64_t decode_cursor(const std::string& cursor, const std::string& field) {
  if (cursor.size() < 2 || cursor[0] != 'c') throw Error(Status::invalid, field + ": malformed cursor", field);
  int64_t v = 0;
  for (size_t i = 1; i < cursor.size(); ++i) {
    if (cursor[i] < '0' || cursor[i] > '9' || i > 18) throw Error(Status::invalid, field + ": malformed cursor", field);
    v = v * 10 + (cursor[i] - '0');
  }
  return v;
}

}  // namespace loyalty::detail

namespace loyalty {

using nlohmann::json;

json parse_json(std::string_view text) {
  // Nesting is bounded so that no input can exhaust the stack when it is copied or serialised.
  const json::parser_callback_t depth_guard = [](int depth, json::parse_event_t, json&) {
    if (depth >= kMaxJsonDepth)
      throw Error(Status::invalid, fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth), {},
                  json{{"max_depth", kMaxJsonDepth}});
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), depth_guard);
  } catch (const json::parse_error& e) {
    throw Error(Status::invalid, fmt::format("malformed JSON at byte {}", e.byte), {}, json{{"byte", e.byte}});
  }
}

}  // namespace loyalty
