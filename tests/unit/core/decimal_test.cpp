// The engine's one decimal parser (core/decimal.hpp), shared by rules and tier benefits.
#include "core/decimal.hpp"
#include "fixture.hpp"

using namespace loytest;
using loyalty::detail::parse_decimal;
using loyalty::detail::parse_decimal_text;

TEST_CASE("decimal: JSON numbers are read as the decimal the caller wrote, exactly") {
  CHECK(parse_decimal(json(1.001)) == 1'001'000);
  CHECK(parse_decimal(json(1.005)) == 1'005'000);
  CHECK(parse_decimal(json(2.002)) == 2'002'000);
  CHECK(parse_decimal(json(0.1)) == 100'000);
  CHECK(parse_decimal(json(0.000001)) == 1);  // written by fmt as 1e-06
  CHECK(parse_decimal(json(1e-5)) == 10);
  CHECK(parse_decimal(json(123456.789)) == 123'456'789'000);
  CHECK(parse_decimal(json(1e9)) == 1'000'000'000'000'000);
  CHECK(parse_decimal(json(0.0)) == 0);
  CHECK(parse_decimal(json(2)) == 2'000'000);
  CHECK(parse_decimal(json(uint64_t{7})) == 7'000'000);
  CHECK(parse_decimal(json(1'000'000'000)) == 1'000'000'000'000'000);
}

TEST_CASE("decimal: strings are digits with an optional fraction of 1 to 6 digits") {
  CHECK(parse_decimal(json("1.5")) == 1'500'000);
  CHECK(parse_decimal(json("0.000001")) == 1);
  CHECK(parse_decimal(json("1.5000000")) == 1'500'000);  // trailing zeros are not decimals
  CHECK(parse_decimal(json("007")) == 7'000'000);
  CHECK(parse_decimal_text("1000000000") == 1'000'000'000'000'000);
  for (const char* bad : {"", "1.", ".5", "-1", "+1", "1e3", "1.0000001", "1,5", " 1", "1 ", "0x10", "1000000001",
                          "nan", "inf", "99999999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_decimal(json(bad)).has_value());
  }
}

TEST_CASE("decimal: negative, too precise, too large and non-numeric values are refused") {
  for (const json& bad :
       {json(-1), json(-0.5), json(1.0000001), json(1e10), json(1e300), json(1'000'000'001),
        json(uint64_t{18'446'744'073'709'551'615ULL}), json(true), json(nullptr), json::array(), json::object()}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_decimal(bad).has_value());
  }
}
