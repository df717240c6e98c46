// docs/rules.md and docs/schema/rule.schema.json follow the code: every example marked `rule`
// validates, and the schema names exactly the rule fields the validator accepts.
#include <fstream>
#include <sstream>

#include "support.hpp"

using namespace rulestest;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("rules docs: every rule example in docs/rules.md is valid") {
  const std::string md = read(std::string(LOY_SOURCE_DIR) + "/docs/rules.md");
  size_t pos = 0, examples = 0;
  const std::string open = "```json rule\n";
  while ((pos = md.find(open, pos)) != std::string::npos) {
    pos += open.size();
    const size_t end = md.find("```", pos);
    REQUIRE(end != std::string::npos);
    const std::string text = md.substr(pos, end - pos);
    CAPTURE(text);
    json rule = json::parse(text);
    CHECK_NOTHROW(lr::validate_rule(rule));
    ++examples;
    pos = end;
  }
  CHECK(examples >= 15);
}

TEST_CASE("rules docs: the JSON Schema names exactly the rule fields") {
  const json schema = json::parse(read(std::string(LOY_SOURCE_DIR) + "/docs/schema/rule.schema.json"));
  for (const auto& [k, v] : schema["properties"].items()) {
    CAPTURE(k);
    CHECK(lr::is_rule_field(k));
  }
  for (const char* k : {"name", "description", "type", "conditions", "actions", "priority", "active", "start", "end",
                        "location_based", "group", "group_mode", "stop_processing", "limits", "trigger"}) {
    CAPTURE(k);
    CHECK(schema["properties"].contains(k));
  }
}
