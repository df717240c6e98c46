#include "core/input.hpp"

#include <fmt/format.h>

#include <limits>
#include <vector>

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

std::string utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t n = max_bytes;
  // s[n] is the first byte left out: while it continues a character, that character started
  // inside the prefix, so it is left out whole.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
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

namespace {

/// Builds the document from nlohmann's SAX events, refusing what a DOM parse would let through:
/// nesting deeper than kMaxJsonDepth, a key twice in one object, an integer outside int64 and a
/// number too large for a double. Errors name the JSON path of the value ("items[2].price").
class Builder {
 public:
  explicit Builder(json& root) : root_(root) {}

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(json::number_integer_t v) { return put(v); }
  bool number_unsigned(json::number_unsigned_t v) {
    // Every integer must fit int64: a larger one would wrap to a negative number wherever it is
    // converted, so no input carries one.
    if (v > static_cast<json::number_unsigned_t>(std::numeric_limits<int64_t>::max()))
      refuse(fmt::format("must be an integer from {} to {}", std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max()));
    return put(v);
  }
  bool number_float(json::number_float_t v, const json::string_t&) { return put(v); }
  bool string(json::string_t& v) { return put(std::move(v)); }
  bool binary(json::binary_t&) { return false; }  // never produced by the JSON text parser

  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& k) {
    Level& top = stack_.back();
    auto& object = top.value->get_ref<json::object_t&>();
    auto [it, inserted] = object.try_emplace(std::move(k));
    top.key = &it->first;
    if (!inserted) refuse("appears twice in one object");
    slot_ = &it->second;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const json::exception& e) {
    // 406 is a number nlohmann cannot hold (1e400): a value out of range, not malformed text.
    if (e.id == 406) refuse("is a number out of range");
    // nlohmann counts the bytes it read, including the offending one: the offset of that byte
    // (0-based; the text's length when the text ended too early).
    const std::size_t byte = position == 0 ? 0 : position - 1;
    throw Error(Status::invalid, fmt::format("malformed JSON at byte {}", byte), {}, json{{"byte", byte}});
  }

 private:
  struct Level {
    json* value;
    const std::string* key = nullptr;  // objects: the key whose value is being read (in the map)
  };

  /// The path of the value being read (its key or index in each enclosing container).
  std::string path() const {
    std::string p;
    for (const Level& l : stack_) {
      if (l.value->is_object()) {
        if (!p.empty()) p += '.';
        if (l.key) p += *l.key;
      } else {
        p += fmt::format("[{}]", l.value->size() - (l.value->empty() || filling_array(l) ? 0 : 1));
      }
    }
    return p;
  }
  /// Whether the array at this level is still waiting for the value being read (it is the
  /// innermost level: enclosing arrays already hold the container being filled).
  bool filling_array(const Level& l) const { return &l == &stack_.back(); }

  [[noreturn]] void refuse(const std::string& what) const {
    const std::string field = path();
    throw Error(Status::invalid, field.empty() ? fmt::format("the input {}", what) : fmt::format("{}: {}", field, what),
                field);
  }

  template <class V>
  json* place(V&& v) {
    if (stack_.empty()) {
      root_ = json(std::forward<V>(v));
      return &root_;
    }
    json& top = *stack_.back().value;
    if (top.is_array()) {
      auto& a = top.get_ref<json::array_t&>();
      a.emplace_back(std::forward<V>(v));
      return &a.back();
    }
    *slot_ = json(std::forward<V>(v));
    return slot_;
  }
  template <class V>
  bool put(V&& v) {
    place(std::forward<V>(v));
    return true;
  }

  bool open(json::value_t type) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxJsonDepth))
      throw Error(Status::invalid, fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth), {},
                  json{{"max_depth", kMaxJsonDepth}});
    stack_.push_back({place(json(type)), nullptr});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  std::vector<Level> stack_;
  json* slot_ = nullptr;
};

}  // namespace

namespace detail {
namespace {

/// scan_json's adapter from nlohmann's SAX interface to JsonEvents, with parse_json's bounds.
class Scanner {
 public:
  explicit Scanner(JsonEvents& e) : e_(e) {}
  bool null() { return e_.null(); }
  bool boolean(bool v) { return e_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return e_.integer(v); }
  bool number_unsigned(json::number_unsigned_t v) {
    return v <= static_cast<json::number_unsigned_t>(std::numeric_limits<int64_t>::max()) &&
           e_.integer(static_cast<int64_t>(v));
  }
  bool number_float(json::number_float_t v, const json::string_t& text) { return e_.number(v, text); }
  bool string(json::string_t& v) { return e_.string(v); }
  bool binary(json::binary_t&) { return false; }
  bool key(json::string_t& k) { return e_.key(k); }
  bool start_object(std::size_t) { return ++depth_ <= kMaxJsonDepth && e_.start_object(); }
  bool start_array(std::size_t) { return ++depth_ <= kMaxJsonDepth && e_.start_array(); }
  bool end_object() { return --depth_, e_.end_object(); }
  bool end_array() { return --depth_, e_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const json::exception&) { return false; }

 private:
  JsonEvents& e_;
  int depth_ = 0;
};

}  // namespace

bool scan_json(std::string_view text, JsonEvents& events) {
  Scanner scanner(events);
  try {
    return json::sax_parse(text.begin(), text.end(), &scanner);
  } catch (const std::exception&) {
    return false;  // what the events threw (an allocation): the caller's parse_json reports it
  }
}

}  // namespace detail

json parse_json(std::string_view text) {
  json root;
  Builder builder(root);
  // The SAX parser keeps its own stack (no recursion over the input), and the builder bounds the
  // nesting so that no document can exhaust the stack when it is later copied or serialised.
  json::sax_parse(text.begin(), text.end(), &builder);
  return root;
}

}  // namespace loyalty
