#include <doctest/doctest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/schema_validate.hpp"
#include "loyalty/core/error.hpp"

using loyalty::detail::ai::SchemaValidator;
using loyalty::detail::ai::validate_against_schema;
using nlohmann::json;

namespace {
const json kSchema = json::parse(R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["items"],
  "properties": {
    "items": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "confidence"],
        "properties": {
          "id": {"type": "string", "minLength": 1},
          "confidence": {"type": "number", "minimum": 0, "maximum": 1},
          "tags": {"type": "object", "additionalProperties": {"type": "string"}}
        }
      }
    }
  }
})");
}  // namespace

TEST_CASE("schema_validate: a valid document passes") {
  const SchemaValidator v(kSchema);
  CHECK_FALSE(v.check(json::parse(R"({"items": []})")));
  CHECK_FALSE(v.check(json::parse(R"({"items": [{"id": "r1", "confidence": 0.5, "tags": {"0": "x"}}]})")));
}

TEST_CASE("schema_validate: the first violation names the innermost JSON path") {
  const SchemaValidator v(kSchema);
  auto e = v.check(json::parse(R"({"items": [{"id": "a", "confidence": 0.2}, {"id": "b", "confidence": 1.5}]})"));
  REQUIRE(e);
  CHECK(e->path == "items[1].confidence");
  CHECK(e->message.find("less than or equal") != std::string::npos);

  e = v.check(json::parse(R"({"items": [{"id": "a", "confidence": "high"}]})"));
  REQUIRE(e);
  CHECK(e->path == "items[0].confidence");

  // An object key that looks like an index stays a key.
  e = v.check(json::parse(R"({"items": [{"id": "a", "confidence": 0.1, "tags": {"0": 7}}]})"));
  REQUIRE(e);
  CHECK(e->path == "items[0].tags.0");

  // A missing required property is named in the path.
  e = v.check(json::parse(R"({"items": [{"confidence": 0.1}]})"));
  REQUIRE(e);
  CHECK(e->path == "items[0].id");
  CHECK(e->message.find("id") != std::string::npos);
  e = v.check(json::object());
  REQUIRE(e);
  CHECK(e->path == "items");
}

TEST_CASE("schema_validate: a property the schema does not allow is named in the path") {
  const SchemaValidator v(kSchema);
  auto e = v.check(json::parse(R"({"items": [], "grant_points": 500})"));
  REQUIRE(e);
  CHECK(e->path == "grant_points");
  e = v.check(json::parse(R"({"items": [{"id": "a", "confidence": 0.1, "points_to_award": 5}]})"));
  REQUIRE(e);
  CHECK(e->path == "items[0].points_to_award");
}

TEST_CASE("schema_validate: the root's own violations have an empty path") {
  auto e = validate_against_schema(kSchema, json::array());
  REQUIRE(e);
  CHECK(e->path.empty());
  e = validate_against_schema(kSchema, json(3));
  REQUIRE(e);
  CHECK(e->path.empty());
}

TEST_CASE("schema_validate: as in draft 7, a number with a zero fraction is an integer") {
  const json schema = json::parse(R"({"type": "object", "properties": {
    "n": {"type": "integer", "minimum": 0, "maximum": 10},
    "list": {"type": "array", "items": {"type": "integer"}}}})");
  const SchemaValidator v(schema);
  CHECK_FALSE(v.check(json{{"n", 3.0}}));
  CHECK_FALSE(v.check(json{{"list", {1, 2.0, -7.0}}}));
  auto e = v.check(json{{"n", 3.5}});
  REQUIRE(e);
  CHECK(e->path == "n");
  e = v.check(json{{"list", {1, 2.5}}});
  REQUIRE(e);
  CHECK(e->path == "list[1]");
  e = v.check(json{{"n", 11.0}});  // still bounded
  REQUIRE(e);
  CHECK(e->path == "n");
  e = v.check(json{{"n", "3"}});  // strong types: no string is a number
  REQUIRE(e);
  CHECK(e->path == "n");
  const json document = {{"n", 3.0}};
  CHECK_FALSE(v.check(document));
  CHECK(document["n"].is_number_float());  // the document itself is left as it is
}

TEST_CASE("schema_validate: non-finite numbers are refused by path, whatever the schema") {
  const SchemaValidator v(json::parse(R"({"type": "object"})"));
  auto e = v.check(json{{"a", {{"b", {1.0, std::numeric_limits<double>::infinity()}}}}});
  REQUIRE(e);
  CHECK(e->path == "a.b[1]");
  e = v.check(json{{"x", std::numeric_limits<double>::quiet_NaN()}});
  REQUIRE(e);
  CHECK(e->path == "x");
  CHECK(e->message == "must be a finite number");
}

TEST_CASE("schema_validate: a schema valijson cannot use is invalid") {
  CHECK_THROWS_AS(SchemaValidator(json("not a schema")), loyalty::Error);
  CHECK_THROWS_AS(SchemaValidator(json::parse(R"({"type": 7})")), loyalty::Error);
  try {
    SchemaValidator bad(json::parse(R"({"type": 7})"));
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == loyalty::Status::invalid);
  }
}

TEST_CASE("schema_validate: a validator is shared safely by threads") {
  const SchemaValidator v(kSchema);
  const json good = json::parse(R"({"items": [{"id": "a", "confidence": 0.5}]})");
  const json bad = json::parse(R"({"items": [{"id": "", "confidence": 0.5}]})");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (v.check(good)) ++wrong;
        auto e = v.check(bad);
        if (!e || e->path != "items[0].id") ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}
