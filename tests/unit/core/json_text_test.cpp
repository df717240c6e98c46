// JSON written as text (src/core/json_text.hpp) is byte for byte what nlohmann's dump() writes:
// every single byte below 0x80, UTF-8 of every length, and integers at the ends of their range.
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "core/json_text.hpp"
#include "fixture.hpp"

using namespace loytest;
namespace d = loyalty::detail;

TEST_CASE("json text: strings are escaped exactly as dump() escapes them") {
  for (int c = 0; c < 0x80; ++c) {
    const std::string s = std::string("a") + static_cast<char>(c) + "b";
    std::string out;
    d::append_json_string(out, s);
    CAPTURE(c);
    CHECK(out == json(s).dump());
  }
  for (const std::string& s :
       std::initializer_list<std::string>{"", "plain", "\u00e9t\u00e9", "\u4e2d\u6587", "\U0001F600 emoji", "\"\\\"\\",
                                          std::string("nul\0in", 6), "\x7f del", "tab\tnl\ncr\r"}) {
    std::string out = "x";
    d::append_json_string(out, s);
    CHECK(out == "x" + json(s).dump());
  }
}

TEST_CASE("json text: integers and keys") {
  for (const int64_t v : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()}) {
    std::string out;
    d::append_json_int(out, v);
    CHECK(out == json(v).dump());
  }
  std::string out = "{";
  d::append_json_key(out, "points");
  d::append_json_int(out, 5);
  out += "}";
  CHECK(out == json({{"points", 5}}).dump());
}
