#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "core/input.hpp"
#include "fixture.hpp"

using namespace loytest;
using loyalty::detail::decode_cursor;
using loyalty::detail::encode_cursor;
using loyalty::detail::Input;
using loyalty::detail::kMaxAmount;

TEST_CASE("input: unknown fields are refused by name, prefixed by the path") {
  LOY_REQUIRE_ERROR(Input(json{{"points", 1}, {"bogus", 2}}, {"points"}), Status::invalid, "bogus");
  LOY_REQUIRE_ERROR(Input(json{{"bogus", 2}}, {"points"}, "events[2]"), Status::invalid, "events[2].bogus");
  CHECK_NOTHROW(Input(json{{"points", 1}}, {"points", "reason"}));
}

TEST_CASE("input: the payload must be an object") {
  LOY_REQUIRE_ERROR(Input(json::array(), {}), Status::invalid, "");
  LOY_REQUIRE_ERROR(Input(json(5), {}, "events[0]"), Status::invalid, "events[0]");
  LOY_REQUIRE_ERROR(Input(json(nullptr), {}, "expiry"), Status::invalid, "expiry");
}

TEST_CASE("input: strings are non-empty, bounded and of string type; null means absent") {
  const json j = {{"s", "abc"}, {"empty", ""}, {"num", 3}, {"null", nullptr}};
  Input i(j, {"s", "empty", "num", "null"});
  CHECK(i.str("s") == "abc");
  CHECK(i.opt_str("null") == std::nullopt);
  CHECK_FALSE(i.has("null"));
  CHECK_FALSE(i.has("missing"));
  LOY_REQUIRE_ERROR(i.str("s", 2), Status::invalid, "s");
  LOY_REQUIRE_ERROR(i.str("empty"), Status::invalid, "empty");
  LOY_REQUIRE_ERROR(i.str("num"), Status::invalid, "num");
  LOY_REQUIRE_ERROR(i.str("null"), Status::invalid, "null");
  LOY_REQUIRE_ERROR(i.str("missing"), Status::invalid, "missing");
}

TEST_CASE("input: integers refuse floats, strings, booleans and out-of-range values") {
  const json j = {{"f", 1.5},
                  {"whole_float", 2.0},
                  {"s", "5"},
                  {"b", true},
                  {"big", static_cast<uint64_t>(1) << 63},
                  {"max_u", std::numeric_limits<uint64_t>::max()},
                  {"neg", -1},
                  {"ok", kMaxAmount},
                  {"over", kMaxAmount + 1}};
  Input i(j, {"f", "whole_float", "s", "b", "big", "max_u", "neg", "ok", "over"});
  for (const char* k : {"f", "whole_float", "s", "b", "big", "max_u", "neg", "over"}) {
    CAPTURE(k);
    LOY_REQUIRE_ERROR(i.i64(k, 0, kMaxAmount), Status::invalid, k);
  }
  CHECK(i.i64("ok", 1, kMaxAmount) == kMaxAmount);
  CHECK(i.i64("neg", -5, 5) == -1);
  CHECK(i.opt_i64("missing", 0, 1) == std::nullopt);
  LOY_REQUIRE_ERROR(i.i64("missing", 0, 1), Status::invalid, "missing");
}

TEST_CASE("input: booleans, times and objects are type-checked") {
  const json j = {{"b", 1}, {"t", "2026-02-30T00:00:00Z"}, {"tn", 5}, {"o", json::array()}, {"good", "2026-03-01"}};
  Input i(j, {"b", "t", "tn", "o", "good"});
  LOY_REQUIRE_ERROR(i.opt_bool("b"), Status::invalid, "b");
  CHECK(i.boolean("missing", true) == true);
  LOY_REQUIRE_ERROR(i.opt_time("t"), Status::invalid, "t");
  LOY_REQUIRE_ERROR(i.opt_time("tn"), Status::invalid, "tn");
  LOY_REQUIRE_ERROR(i.opt_object("o"), Status::invalid, "o");
  CHECK(i.time("good") == kStart - 12 * 3600 * 1000);
}

TEST_CASE("input: string lists name the offending element") {
  const json j = {{"notlist", "a"},
                  {"mixed", json::array({"a", 2})},
                  {"empty_el", json::array({"a", ""})},
                  {"long_el", json::array({std::string(257, 'x')})},
                  {"many", json::array({"a", "b", "c"})}};
  Input i(j, {"notlist", "mixed", "empty_el", "long_el", "many"}, "p");
  LOY_REQUIRE_ERROR(i.opt_str_list("notlist"), Status::invalid, "p.notlist");
  LOY_REQUIRE_ERROR(i.opt_str_list("mixed"), Status::invalid, "p.mixed[1]");
  LOY_REQUIRE_ERROR(i.opt_str_list("empty_el"), Status::invalid, "p.empty_el[1]");
  LOY_REQUIRE_ERROR(i.opt_str_list("long_el"), Status::invalid, "p.long_el[0]");
  LOY_REQUIRE_ERROR(i.opt_str_list("many", 2), Status::invalid, "p.many");
  CHECK(i.opt_str_list("many", 3)->size() == 3);
}

TEST_CASE("input: enums accept only the listed words") {
  const json j = {{"e", "ceil"}, {"bad", "round"}};
  Input i(j, {"e", "bad"});
  CHECK(i.opt_enum("e", {"floor", "ceil"}) == "ceil");
  try {
    i.opt_enum("bad", {"floor", "ceil"});
    FAIL("expected an error");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(e.field() == "bad");
    CHECK(std::string(e.what()).find("floor, ceil") != std::string::npos);
  }
}

TEST_CASE("input: malformed JSON text is invalid with the byte offset") {
  CHECK(loyalty::detail::parse_json(R"({"a": 1})") == json{{"a", 1}});
  try {
    loyalty::detail::parse_json(R"({"a": })");
    FAIL("expected an error");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(e.detail().contains("byte"));
  }
}

TEST_CASE("input: cursors round-trip and malformed ones are invalid naming the field") {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{42}, int64_t{999'999'999'999'999'999}})
    CHECK(decode_cursor(encode_cursor(v), "cursor") == v);
  for (const char* bad : {"", "c", "x12", "c12a", "c-1", "c1234567890123456789", " c1"}) {
    CAPTURE(bad);
    LOY_REQUIRE_ERROR(decode_cursor(bad, "cursor"), Status::invalid, "cursor");
  }
}

TEST_CASE("core: JSON nested deeper than 64 levels is refused as invalid") {
  std::string deep(65, '[');
  deep += std::string(65, ']');
  LOY_REQUIRE_ERROR(loyalty::parse_json(deep), loyalty::Status::invalid, "");
  std::string ok(64, '[');
  ok += std::string(64, ']');
  CHECK_NOTHROW(loyalty::parse_json(ok));
  LOY_REQUIRE_ERROR(loyalty::parse_json(std::string(100000, '{')), loyalty::Status::invalid, "");
}

namespace {

/// The message of the error `f` throws (and that it is invalid naming `field`).
template <typename F>
std::string invalid_message(F&& f, const std::string& field) {
  try {
    f();
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(e.field() == field);
    return e.what();
  }
  FAIL("expected an error naming " << field);
  return {};
}

}  // namespace

TEST_CASE("input: event times may be at most max_ahead after now, not before 1970, and absent is nullopt") {
  constexpr loyalty::Timestamp kFive = 5 * 60 * 1000;
  const json j = {{"at_bound", loyalty::format_time(kStart + kFive)},
                  {"past_bound", loyalty::format_time(kStart + kFive + 1000)},
                  {"past", loyalty::format_time(kStart - loyalty::kMillisPerDay)},
                  {"epoch", "1970-01-01T00:00:00Z"},
                  {"before_epoch", "1969-12-31T23:59:59Z"},
                  {"number", 5},
                  {"not_time", "yesterday"},
                  {"null", nullptr}};
  Input i(j, {"at_bound", "past_bound", "past", "epoch", "before_epoch", "number", "not_time", "null"}, "p");
  CHECK(i.opt_event_time("at_bound", kStart, kFive) == kStart + kFive);
  CHECK(i.opt_event_time("past", kStart, kFive) == kStart - loyalty::kMillisPerDay);
  CHECK(i.opt_event_time("epoch", kStart, kFive) == 0);
  CHECK(i.opt_event_time("null", kStart, kFive) == std::nullopt);
  CHECK(i.opt_event_time("missing", kStart, kFive) == std::nullopt);
  // One second past the bound is refused, with the bound in words.
  CHECK(invalid_message([&] { i.opt_event_time("past_bound", kStart, kFive); }, "p.past_bound") ==
        "p.past_bound: must not be more than 5 minutes ahead of the engine clock");
  CHECK(i.opt_event_time("past_bound", kStart, kFive + 1000) == kStart + kFive + 1000);
  CHECK(invalid_message([&] { i.opt_event_time("at_bound", kStart - 1000, kFive); }, "p.at_bound") ==
        "p.at_bound: must not be more than 5 minutes ahead of the engine clock");
  CHECK(i.opt_event_time("at_bound", kStart - 1000, loyalty::kMillisPerDay) == kStart + kFive);
  LOY_REQUIRE_ERROR(i.opt_event_time("before_epoch", kStart, kFive), Status::invalid, "p.before_epoch");
  LOY_REQUIRE_ERROR(i.opt_event_time("number", kStart, kFive), Status::invalid, "p.number");
  LOY_REQUIRE_ERROR(i.opt_event_time("not_time", kStart, kFive), Status::invalid, "p.not_time");
}

TEST_CASE("input: the event-time bound is worded in its largest whole unit") {
  const loyalty::Timestamp at = kStart + 10 * loyalty::kMillisPerDay;
  const json j = {{"t", loyalty::format_time(at)}};
  Input i(j, {"t"});
  const auto message = [&](loyalty::Timestamp ahead) {
    return invalid_message([&] { i.opt_event_time("t", kStart, ahead); }, "t");
  };
  CHECK(message(loyalty::kMillisPerDay) == "t: must not be more than a day ahead of the engine clock");
  CHECK(message(2 * loyalty::kMillisPerDay) == "t: must not be more than 2 days ahead of the engine clock");
  CHECK(message(3'600'000) == "t: must not be more than an hour ahead of the engine clock");
  CHECK(message(90'000) == "t: must not be more than 90 seconds ahead of the engine clock");
  CHECK(message(1'500) == "t: must not be more than 1500 ms ahead of the engine clock");
}

TEST_CASE("input: the byte offset of malformed JSON counts from 0, and is the length when the text ends early") {
  auto byte_of = [](std::string_view text) {
    try {
      (void)loyalty::parse_json(text);
    } catch (const loyalty::Error& e) {
      CHECK(e.status() == Status::invalid);
      return e.detail().at("byte").get<int64_t>();
    }
    FAIL("expected an error");
    return int64_t{-1};
  };
  CHECK(byte_of(R"({"a": })") == 6);  // the '}'
  CHECK(byte_of("x") == 0);
  CHECK(byte_of(R"({"a": 1)") == 7);  // ended early: the text's length
  CHECK(byte_of("[1,]") == 3);
}

TEST_CASE("input: a key twice in one object is refused, naming its path") {
  LOY_REQUIRE_ERROR(loyalty::parse_json(R"({"points": 5, "points": 7})"), Status::invalid, "points");
  LOY_REQUIRE_ERROR(loyalty::parse_json(R"({"a": [1, {"b": 1, "c": 2, "b": 3}]})"), Status::invalid, "a[1].b");
  // The same key in sibling objects is fine.
  CHECK(loyalty::parse_json(R"([{"a": 1}, {"a": 2}])") == json::array({{{"a", 1}}, {{"a", 2}}}));
}

TEST_CASE("input: numbers a double cannot hold are invalid naming the field, not an internal error") {
  LOY_REQUIRE_ERROR(loyalty::parse_json(R"({"amount": 1e400})"), Status::invalid, "amount");
  LOY_REQUIRE_ERROR(loyalty::parse_json(R"({"items": [{"price": 1}, {"price": -1e400}]})"), Status::invalid,
                    "items[1].price");
  LOY_REQUIRE_ERROR(loyalty::parse_json(R"({"a": [[1], [2, 3e999]]})"), Status::invalid, "a[1][1]");
  LOY_REQUIRE_ERROR(loyalty::parse_json("1e400"), Status::invalid, "");
}

TEST_CASE("input: integers outside int64 are refused at the parser, naming the field") {
  // 2^63 .. 2^64-1 would wrap to negative numbers wherever they are converted.
  for (const char* big : {"9223372036854775808", "18446744073709551615"}) {
    CAPTURE(big);
    LOY_REQUIRE_ERROR(loyalty::parse_json(fmt::format(R"({{"value": {}}})", big)), Status::invalid, "value");
    LOY_REQUIRE_ERROR(loyalty::parse_json(fmt::format(R"({{"m": {{"x": [0, {}]}}}})", big)), Status::invalid, "m.x[1]");
  }
  const json edges = loyalty::parse_json(R"({"max": 9223372036854775807, "min": -9223372036854775808})");
  CHECK(edges["max"].get<int64_t>() == std::numeric_limits<int64_t>::max());
  CHECK(edges["min"].get<int64_t>() == std::numeric_limits<int64_t>::min());
  // Beyond uint64 the text is a (finite) double, which integer fields refuse by type.
  CHECK(loyalty::parse_json(R"({"v": 18446744073709551616})")["v"].is_number_float());
  LOY_REQUIRE_ERROR(Input(loyalty::parse_json(R"({"v": 18446744073709551616})"), {"v"}).i64("v", 0, kMaxAmount),
                    Status::invalid, "v");
}

TEST_CASE("input: the parser builds the same document as nlohmann's for valid input") {
  const char* text =
      R"({"a": [1, -2, 3.5, "x", true, false, null, {}, []], "b": {"c": {"d": "é\u00e9"}}, "e": 9223372036854775807})";
  CHECK(loyalty::parse_json(text) == json::parse(text));
  CHECK(loyalty::parse_json("[]") == json::array());
  CHECK(loyalty::parse_json("\"s\"") == json("s"));
}

TEST_CASE("input: utf8_prefix cuts on a character boundary, never inside one") {
  using loyalty::detail::utf8_prefix;
  CHECK(utf8_prefix("abc", 5) == "abc");
  CHECK(utf8_prefix("abcdef", 3) == "abc");
  CHECK(utf8_prefix("a\xc3\xa9", 2) == "a");  // 'é' would be split
  CHECK(utf8_prefix("a\xc3\xa9", 3) == "a\xc3\xa9");
  CHECK(utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 4) == "\xe2\x82\xac");  // two euro signs, 3 bytes each
  CHECK(utf8_prefix("\xf0\x9f\x98\x80x", 3).empty());                   // an emoji (4 bytes) left out whole
  CHECK(utf8_prefix("\xf0\x9f\x98\x80x", 4) == "\xf0\x9f\x98\x80");
  CHECK(utf8_prefix("", 0).empty());
  CHECK(utf8_prefix("abc", 0).empty());
}
