#include "ai/privacy.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace loyalty::detail::ai {

using nlohmann::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::string> key_words(std::string_view key) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(lower(cur));
    cur.clear();
  };
  for (size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (!std::isalnum(c)) {
      flush();
      continue;
    }
    if (std::isupper(c) && !cur.empty() && std::islower(static_cast<unsigned char>(cur.back()))) flush();
    cur += static_cast<char>(c);
  }
  flush();
  return words;
}

std::string squashed(std::string_view key) {
  std::string out;
  for (char c : key)
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

namespace {

const std::set<std::string, std::less<>> kPersonalWords = {
    "name",        "names",    "surname",  "firstname", "lastname",  "fullname", "username",  "email",    "emails",
    "mail",        "phone",    "phones",   "mobile",    "telephone", "tel",      "msisdn",    "address",  "addresses",
    "street",      "postcode", "zip",      "zipcode",   "lat",       "lng",      "lon",       "latitude", "longitude",
    "coordinates", "coords",   "geometry", "geojson",   "ip",        "birthday", "birthdate", "dob"};
const std::set<std::string, std::less<>> kPersonalKeys = {"emailaddress", "phonenumber", "displayname",  "ipaddress",
                                                          "dateofbirth",  "postalcode",  "streetaddress"};

bool is_personal_key(std::string_view key) {
  if (kPersonalKeys.count(squashed(key))) return true;
  for (const auto& w : key_words(key))
    if (kPersonalWords.count(w)) return true;
  return false;
}

bool is_email_local(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._%+-").find(c) != std::string_view::npos;
}
bool is_email_domain(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }

/// `s` with every e-mail address (local@domain.tld) replaced by "[redacted]". A linear scan, no
/// regex: feedback texts can be long.
std::optional<std::string> redact_emails(const std::string& s) {
  std::string out;
  size_t copied = 0;
  bool changed = false;
  for (size_t at = s.find('@'); at != std::string::npos; at = s.find('@', at + 1)) {
    size_t begin = at;
    while (begin > copied && is_email_local(s[begin - 1])) --begin;
    size_t end = at + 1;
    while (end < s.size() && is_email_domain(s[end])) ++end;
    while (end > at + 1 && (s[end - 1] == '.' || s[end - 1] == '-')) --end;
    const std::string_view domain(s.data() + at + 1, end - at - 1);
    const size_t dot = domain.rfind('.');
    if (begin == at || dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    const auto tld = domain.substr(dot + 1);
    if (!std::all_of(tld.begin(), tld.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
      continue;
    out.append(s, copied, begin - copied);
    out += "[redacted]";
    copied = end;
    at = end - 1;
    changed = true;
  }
  if (!changed) return std::nullopt;
  out.append(s, copied, std::string::npos);
  return out;
}

/// Where a walk is inside a container: the element it is at (a key of an object, an index of an
/// array). Paths are built from the stack only when one is reported, so a deep document costs no
/// more than its own size.
struct Cursor {
  const json* node;
  json::const_iterator it;
  size_t index = 0;
  bool entered = false;  // `it` is the element being walked; advance before the next one
};

std::string path_of(const std::vector<Cursor>& stack) {
  std::string path;
  for (const auto& c : stack)
    path = c.node->is_object() ? child_path(path, c.it.key()) : fmt::format("{}[{}]", path, c.index);
  return path;
}

/// Moves the top cursor to its next element; false when it has none left (and it is popped).
bool next(std::vector<Cursor>& stack) {
  Cursor& c = stack.back();
  if (c.entered) {
    ++c.it;
    ++c.index;
  }
  c.entered = true;
  if (c.it != c.node->cend()) return true;
  stack.pop_back();
  return false;
}

}  // namespace

json scrub_personal_data(const json& input, std::vector<std::string>* removed) {
  auto scalar = [&](const json& v, const auto& path) -> json {
    if (v.is_string())
      if (auto redacted = redact_emails(v.get_ref<const std::string&>())) {
        if (removed) removed->push_back(path());
        return *redacted;
      }
    return v;
  };
  if (!input.is_structured()) return scalar(input, [] { return std::string(); });
  json out = input.is_object() ? json::object() : json::array();
  std::vector<Cursor> stack{{&input, input.cbegin()}};
  std::vector<json*> dst{&out};  // the copy being built at each level of `stack`
  while (!stack.empty()) {
    if (!next(stack)) {
      dst.pop_back();
      continue;
    }
    const Cursor& c = stack.back();
    const json& child = *c.it;
    json* slot;
    if (c.node->is_object()) {
      if (is_personal_key(c.it.key())) {
        if (removed) removed->push_back(path_of(stack));
        continue;
      }
      slot = &(*dst.back())[c.it.key()];  // a map node: stays put while its children are added
    } else {
      dst.back()->push_back(nullptr);
      slot = &dst.back()->back();  // this array grows again only after the child is done
    }
    if (child.is_structured()) {
      *slot = child.is_object() ? json::object() : json::array();
      stack.push_back({&child, child.cbegin()});
      dst.push_back(slot);
    } else {
      *slot = scalar(child, [&] { return path_of(stack); });
    }
  }
  return out;
}

std::optional<std::string> first_key_path(const json& v, const std::function<bool(std::string_view)>& match) {
  if (!v.is_structured()) return std::nullopt;
  std::vector<Cursor> stack{{&v, v.cbegin()}};
  while (!stack.empty()) {
    if (!next(stack)) continue;
    const Cursor& c = stack.back();
    if (c.node->is_object() && match(c.it.key())) return path_of(stack);  // the key before its value
    const json& child = *c.it;
    if (child.is_structured()) stack.push_back({&child, child.cbegin()});
  }
  return std::nullopt;
}

size_t json_depth(const json& v, size_t limit) {
  if (!v.is_structured()) return 0;
  std::vector<Cursor> stack{{&v, v.cbegin()}};
  size_t deepest = 1;
  while (!stack.empty()) {
    if (!next(stack)) continue;
    const json& child = *stack.back().it;
    if (!child.is_structured()) continue;
    stack.push_back({&child, child.cbegin()});
    deepest = std::max(deepest, stack.size());
    if (deepest > limit) break;
  }
  return deepest;
}

}  // namespace loyalty::detail::ai
