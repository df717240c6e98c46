// The one privacy scrub every provider's input goes through (run_validated), and the walks over
// JSON the AI module shares (ai/privacy.hpp): all iterative, so no document of any depth can
// exhaust the stack.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/privacy.hpp"
#include "ai/schemas.hpp"
#include "fixture.hpp"
#include "script_server.hpp"

using namespace loyalty::detail::ai;
using nlohmann::json;

namespace {

constexpr int kDeep = 20'000;

/// A provider that records the input it was given and answers with `out`.
class RecordingProvider final : public Provider {
 public:
  explicit RecordingProvider(json out) : out_(std::move(out)) {}
  std::string kind() const override { return "recording"; }
  std::string model() const override { return "recording-1"; }
  json run(Operation, const json& input) override {
    seen = input;
    return out_;
  }
  json seen;

 private:
  json out_;
};

/// `levels` objects nested under "a", with `leaf` at the bottom (built without parsing).
json nested(int levels, json leaf) {
  for (int i = 0; i < levels; ++i) {
    json o = json::object();
    o["a"] = std::move(leaf);
    leaf = std::move(o);
  }
  return leaf;
}

}  // namespace

TEST_CASE("privacy: the privacy scrub removes personal keys by word and reports what it removed") {
  std::vector<std::string> removed;
  const json out =
      scrub_personal_data(json{{"segment_name_id", 1},
                               {"customers", json::array({{{"id", "p1"}, {"e-mail", "x@y.io"}, {"GPS", 1}}})},
                               {"display_name", "x"},
                               {"coordinates", json::array({1, 2})},
                               {"monetary", 12.5}},
                          &removed);
  CHECK(out == json{{"customers", json::array({{{"id", "p1"}, {"GPS", 1}}})}, {"monetary", 12.5}});
  CHECK(removed == std::vector<std::string>{"coordinates", "customers[0].e-mail", "display_name", "segment_name_id"});
}

TEST_CASE("privacy: e-mail addresses inside texts are redacted, other @ signs are kept") {
  auto text = [](const std::string& s) { return scrub_personal_data(json{{"t", s}})["t"].get<std::string>(); };
  CHECK(text("mail a.b+c@shop.example.co.uk, or x@y.io.") == "mail [redacted], or [redacted].");
  CHECK(text("great coffee @ the corner, 10@20") == "great coffee @ the corner, 10@20");
  CHECK(text("@handle and me@host and me@host.c1") == "@handle and me@host and me@host.c1");
  CHECK(text("a@b.cd@e.fg") == "[redacted]@e.fg");
  const std::string long_text = std::string(200000, 'a') + "@" + std::string(200000, 'b') + ".com";
  CHECK(text(long_text) == "[redacted]");
}

TEST_CASE("privacy: the scrub is iterative: 20,000 levels deep, same result as at any depth") {
  std::vector<std::string> removed;
  const json out =
      scrub_personal_data(nested(kDeep, json{{"email", "x@y.io"}, {"note", "to a@b.cd"}, {"n", 1}}), &removed);
  const json* at = &out;
  for (int i = 0; i < kDeep; ++i) {
    REQUIRE(at->is_object());
    REQUIRE(at->size() == 1);
    at = &(*at)["a"];
  }
  CHECK(*at == json{{"note", "to [redacted]"}, {"n", 1}});
  REQUIRE(removed.size() == 2);
  CHECK(removed[0].size() == kDeep * 2 + std::string("email").size());
  CHECK(removed[0].substr(removed[0].size() - 9) == "a.a.email");
  CHECK(removed[1].substr(removed[1].size() - 6) == "a.note");
  // Arrays: the copy keeps every element in order; paths carry indexes.
  removed.clear();
  const json arr = scrub_personal_data(json::parse(R"([1, [{"lat": 1, "k": [2, "me@x.org"]}], "c@d.ef"])"), &removed);
  CHECK(arr == json::parse(R"([1, [{"k": [2, "[redacted]"]}], "[redacted]"])"));
  CHECK(removed == std::vector<std::string>{"[1][0].k[1]", "[1][0].lat", "[2]"});
  CHECK(scrub_personal_data(json("z@y.xx")) == "[redacted]");
  CHECK(scrub_personal_data(json(5)) == 5);
  CHECK(scrub_personal_data(json::object()) == json::object());
}

TEST_CASE("privacy: json_depth counts levels without recursion and stops past the limit") {
  CHECK(json_depth(json(1), 64) == 0);
  CHECK(json_depth(json::array(), 64) == 1);
  CHECK(json_depth(json::parse(R"({"a": [1, {"b": []}], "c": {}})"), 64) == 4);
  CHECK(json_depth(nested(63, 1), 64) == 63);
  CHECK(json_depth(nested(64, 1), 64) == 64);
  CHECK(json_depth(nested(kDeep, 1), 64) == 65);  // stopped as soon as it was too deep
  CHECK(first_key_path(nested(kDeep, json{{"x", 1}}), [](std::string_view k) { return k == "x"; })->size() ==
        kDeep * 2 + 1);
}

TEST_CASE("privacy: every provider gets its input through the one scrub (run_validated)") {
  RecordingProvider p(loytest::feedback_output(0.8));
  const json input = {{"items", {{{"id", "1"}, {"text", "Write to ada@example.com, she was lovely"}}}},
                      {"email", "ada@example.com"},
                      {"customer", {{"first_name", "Ada"}, {"homeLat", 51.5}, {"tier", "gold"}}}};
  CHECK(run_validated(p, Operation::feedback, input) == loytest::feedback_output(0.8));
  CHECK(p.seen == json{{"items", {{{"id", "1"}, {"text", "Write to [redacted], she was lovely"}}}},
                       {"customer", {{"tier", "gold"}}}});
  CHECK(p.seen.dump().find("ada@") == std::string::npos);
}

TEST_CASE("privacy: provider output nested deeper than 64 levels is refused naming provider, before it is walked") {
  // 1,000 levels, not kDeep: the test provider hands back a copy of its document, and copying a
  // json recurses (20,000 levels overflow the stack of an ASan build). Past 64 is what matters.
  RecordingProvider deep(nested(1'000, 1));
  LOY_REQUIRE_ERROR(run_validated(deep, Operation::feedback, json::object()), loyalty::Status::invalid, "provider");
  // At the limit it is an ordinary answer (here: one that breaks the schema).
  RecordingProvider at_limit(nested(63, 1));
  try {
    run_validated(at_limit, Operation::feedback, json::object());
    FAIL("expected a schema violation");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == loyalty::Status::invalid);
    CHECK(std::string(e.field()).rfind("output", 0) == 0);
  }
}

TEST_CASE("privacy: no file of the AI module or of the C ABI parses JSON but through parse_json or parse_stored") {
  // What a provider, a host or a server sends is untrusted: json::parse has no depth limit.
  namespace fs = std::filesystem;
  int files = 0;
  for (const char* dir : {"/src/ai", "/capi/src"})
    for (const auto& e : fs::recursive_directory_iterator(std::string(LOY_SOURCE_DIR) + dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream f(e.path());
      std::stringstream text;
      text << f.rdbuf();
      ++files;
      CHECK_MESSAGE(text.str().find(std::string("json::") + "parse(") == std::string::npos, e.path().string());
    }
  CHECK(files > 10);
}
