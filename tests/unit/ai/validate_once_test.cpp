// Every provider output is validated exactly once against its operation's output schema, and each
// schema is parsed once: by the engine (run_validated) for providers that do not validate, by
// the OpenAI provider itself (with its detail) otherwise. Refused output names the field path.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/offline.hpp"
#include "ai/openai.hpp"
#include "ai/schemas.hpp"
#include "fixture.hpp"
#include "script_server.hpp"

using namespace loyalty::detail::ai;
using loytest::World;
using nlohmann::json;

namespace {

/// A provider that answers with a fixed output and validates nothing itself.
class FixedProvider final : public Provider {
 public:
  explicit FixedProvider(json out) : out_(std::move(out)) {}
  std::string kind() const override { return "fixed"; }
  std::string model() const override { return "fixed-1"; }
  json run(Operation, const json&) override { return out_; }

 private:
  json out_;
};

std::unique_ptr<Provider> openai_provider(const loytest::ScriptServer& server) {
  const json config = {{"base_url", server.url() + "/v1"}, {"model", "test-model"}, {"max_attempts", 1}};
  return make_openai_provider(parse_openai_config(config), &output_schema);
}

}  // namespace

TEST_CASE("ai validation: equal schemas share one parsed validator, and the engine's schemas are among them") {
  const json schema = json::parse(R"({"type": "object", "required": ["a"]})");
  const json same = json::parse(R"({"required": ["a"], "type": "object"})");
  CHECK(&shared_validator(schema) == &shared_validator(same));
  CHECK(&shared_validator(schema) != &shared_validator(json::parse(R"({"type": "object"})")));
  for (int n = 0; n < kOperationCount; ++n) {
    const auto op = static_cast<Operation>(n);
    CHECK(&output_validator(op) == &shared_validator(output_schema(op)));
  }
  LOY_REQUIRE_ERROR(shared_validator(json::array()), loyalty::Status::invalid, "");
  // Many threads asking at once get the one validator.
  const json fresh = json::parse(R"({"type": "object", "required": ["threads"]})");
  std::vector<const SchemaValidator*> seen(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t) threads.emplace_back([&, t] { seen[t] = &shared_validator(fresh); });
  for (auto& t : threads) t.join();
  for (const auto* v : seen) CHECK(v == seen[0]);
}

TEST_CASE("ai validation: a provider that does not validate has its output checked once by the engine") {
  const SchemaValidator& schema = output_validator(Operation::feedback);
  FixedProvider good(loytest::feedback_output(0.8));
  CHECK(good.output_checked_with(Operation::feedback) == nullptr);
  uint64_t before = schema.checks();
  CHECK(run_validated(good, Operation::feedback, json::object()) == loytest::feedback_output(0.8));
  CHECK(schema.checks() == before + 1);

  FixedProvider bad(loytest::feedback_output(7));  // score above 1
  before = schema.checks();
  LOY_REQUIRE_ERROR(run_validated(bad, Operation::feedback, json::object()), loyalty::Status::invalid,
                    "output.items[0].score");
  CHECK(schema.checks() == before + 1);
  json missing = loytest::feedback_output(0.8);
  missing["items"][0].erase("themes");
  FixedProvider incomplete(missing);
  LOY_REQUIRE_ERROR(run_validated(incomplete, Operation::feedback, json::object()), loyalty::Status::invalid,
                    "output.items[0].themes");

  // The offline provider goes the same way: validated once, by the engine.
  auto offline = offline_provider();
  CHECK(offline->output_checked_with(Operation::feedback) == nullptr);
  before = schema.checks();
  run_validated(*offline, Operation::feedback, {{"items", {{{"id", "1"}, {"text", "Lovely staff"}}}}});
  CHECK(schema.checks() == before + 1);
}

TEST_CASE("ai validation: the OpenAI provider's output is checked once, by the provider, with the field path") {
  loytest::ScriptServer server;
  auto p = openai_provider(server);
  const SchemaValidator& schema = output_validator(Operation::feedback);
  server.push(loytest::chat_completion(loytest::feedback_output(0.8).dump()));
  uint64_t before = schema.checks();
  CHECK(run_validated(*p, Operation::feedback, json::object()) == loytest::feedback_output(0.8));
  CHECK(schema.checks() == before + 1);  // not again by the engine
  CHECK(p->output_checked_with(Operation::feedback) == &schema);

  server.push(loytest::chat_completion(loytest::feedback_output(7).dump()));
  before = schema.checks();
  try {
    run_validated(*p, Operation::feedback, json::object());
    FAIL("expected the output to be refused");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == loyalty::Status::invalid);
    CHECK(e.field() == "output.items[0].score");
    CHECK(std::string(e.what()).find("breaks the schema at output.items[0].score") != std::string::npos);
    CHECK(e.detail()["provider"] == "openai");  // refused by the provider itself, with its detail
  }
  CHECK(schema.checks() == before + 1);
}

TEST_CASE("ai validation: an OpenAI provider with another schema is checked against both") {
  loytest::ScriptServer server;
  static const json kLoose = json::parse(R"({"type": "object"})");
  auto p = make_openai_provider(
      parse_openai_config({{"base_url", server.url() + "/v1"}, {"model", "m"}, {"max_attempts", 1}}),
      [](Operation) -> const json& { return kLoose; });
  server.push(loytest::chat_completion(loytest::feedback_output(7).dump()));
  // The provider's own schema lets it through; the engine's output schema does not.
  LOY_REQUIRE_ERROR(run_validated(*p, Operation::feedback, json::object()), loyalty::Status::invalid,
                    "output.items[0].score");
  CHECK(p->output_checked_with(Operation::feedback) == &shared_validator(kLoose));
}

TEST_CASE("ai validation: through the engine, refused output names the path and is validated once") {
  loytest::ScriptServer server;
  World w;
  const SchemaValidator& schema = output_validator(Operation::feedback);
  // The offline provider (the default).
  uint64_t before = schema.checks();
  w.call("ai.feedback", {{"text", "The staff were lovely"}});
  CHECK(schema.checks() == before + 1);
  // The OpenAI provider.
  w.call("ai.configure", {{"provider", "openai"},
                          {"openai", {{"base_url", server.url() + "/v1"}, {"model", "m"}, {"max_attempts", 1}}}});
  server.push(loytest::chat_completion(loytest::feedback_output(7).dump()));
  before = schema.checks();
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "Out of range"}}), loyalty::Status::invalid,
                    "output.items[0].score");
  CHECK(schema.checks() == before + 1);
  server.push(loytest::chat_completion(loytest::feedback_output(0.8).dump()));
  before = schema.checks();
  CHECK(w.call("ai.feedback", {{"text", "Fine"}})["output"] == loytest::feedback_output(0.8));
  CHECK(schema.checks() == before + 1);
}
