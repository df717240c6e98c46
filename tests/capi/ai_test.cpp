// C ABI, loyalty.h "AI" and loyalty/sys/ai_provider.h: loy_ai_* and a host provider written as
// plain C callbacks (the output buffer allocated by the host, released by its free_output).
#include <cstdlib>
#include <cstring>
#include <string>

#include "capi_support.hpp"
#include "loyalty/sys/ai_provider.h"

using namespace capitest;

namespace {

/// The host's state: how its functions behave and what they saw.
struct HostState {
  int mode = 0;  // 0 answer, 1 fail (return -1), 2 not JSON, 3 break the schema, 4 nested 20,000 deep
  int calls = 0;
  int frees = 0;
  std::string last_input;
};

int give(HostState* h, const std::string& text, char** output, size_t* output_len) {
  char* p = static_cast<char*>(std::malloc(text.size()));
  std::memcpy(p, text.data(), text.size());
  *output = p;
  *output_len = text.size();
  (void)h;
  return 0;
}

extern "C" int host_churn(void* ctx, const char* input, size_t input_len, char** output, size_t* output_len) {
  auto* h = static_cast<HostState*>(ctx);
  ++h->calls;
  h->last_input.assign(input, input_len);
  if (h->mode == 1) return -1;
  if (h->mode == 2) return give(h, "{not json", output, output_len);
  if (h->mode == 4) {
    std::string deep;
    for (int i = 0; i < 20'000; ++i) deep += R"({"customers":)";
    deep += "[]" + std::string(20'000, '}');
    return give(h, deep, output, output_len);
  }
  const json in = json::parse(h->last_input);
  json customers = json::array();
  for (const auto& c : in["customers"])
    customers.push_back({{"id", c["id"]},
                         {"risk", h->mode == 3 ? 2.0 : 0.25},
                         {"band", "low"},
                         {"factors", json::array()},
                         {"actions", json::array()}});
  return give(h, json{{"customers", customers}}.dump(), output, output_len);
}

extern "C" int host_unused(void* ctx, const char*, size_t, char**, size_t*) {
  ++static_cast<HostState*>(ctx)->calls;
  return -1;
}

extern "C" void host_free(void* ctx, char* output) {
  ++static_cast<HostState*>(ctx)->frees;
  std::free(output);
}

loy_ai_provider provider_of(HostState& h) {
  loy_ai_provider p{};
  p.version = LOY_AI_PROVIDER_VERSION;
  p.ctx = &h;
  p.model = "c-host-1";
  p.recommendations = host_unused;
  p.churn = host_churn;
  p.segmentation = host_unused;
  p.feedback = host_unused;
  p.location_insights = host_unused;
  p.free_output = host_free;
  return p;
}

}  // namespace

TEST_CASE("ai: the AI functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& op : ops_with_prefix(kSessionOps, "ai.")) {
    check_null_arguments(op.fn, w.session, op.name, "{}");
    check_input_contract(op.fn, w.session, op.name);
  }
}

TEST_CASE("ai: a host provider of C callbacks serves a tenant configured for it") {
  World w;
  const std::string cus = ok(loy_customer_enroll, w.session, json{{"external_id", "c1"}})["id"];
  HostState h;
  loy_ai_provider p = provider_of(h);
  CHECK(loy_engine_set_ai_provider(nullptr, &p) == LOY_EMISUSE);
  loy_ai_provider bad = p;
  bad.version = 99;
  CHECK(loy_engine_set_ai_provider(w.engine, &bad) == LOY_EMISUSE);
  bad = p;
  bad.free_output = nullptr;
  CHECK(loy_engine_set_ai_provider(w.engine, &bad) == LOY_EMISUSE);

  // The offline provider is the default.
  CHECK(ok(loy_ai_churn, w.session, json{{"customer_id", cus}})["provider"] == "offline");
  CHECK(ok(loy_ai_configure, w.session, json{{"provider", "callback"}})["provider"] == "callback");
  Failure f = fail(loy_ai_churn, w.session, json{{"customer_id", cus}, {"refresh", true}});
  CHECK(f.rc == LOY_EUNAVAILABLE);  // nothing registered yet

  REQUIRE(loy_engine_set_ai_provider(w.engine, &p) == LOY_OK);
  json r = ok(loy_ai_churn, w.session, json{{"customer_id", cus}, {"refresh", true}});
  CHECK(r["provider"] == "callback");
  CHECK(r["model"] == "c-host-1");
  CHECK(r["output"]["customers"][0]["id"] == cus);
  CHECK(r["output"]["customers"][0]["risk"] == 0.25);
  CHECK(h.last_input.find(cus) == std::string::npos);  // pseudonymous
  CHECK(h.frees == 1);

  h.mode = 1;
  f = fail(loy_ai_churn, w.session, json{{"customer_id", cus}, {"refresh", true}});
  CHECK(f.rc == LOY_EUNAVAILABLE);
  CHECK(f.field() == "provider");
  h.mode = 2;
  f = fail(loy_ai_churn, w.session, json{{"customer_id", cus}, {"refresh", true}});
  CHECK(f.rc == LOY_EINVALID);
  h.mode = 3;
  f = fail(loy_ai_churn, w.session, json{{"customer_id", cus}, {"refresh", true}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "output.customers[0].risk");
  CHECK(h.frees == 3);  // every output given was released once
  // The stored result is still the last valid one.
  h.mode = 0;
  CHECK(ok(loy_ai_churn, w.session, json{{"customer_id", cus}})["cached"] == true);
  f = fail(loy_ai_feedback, w.session, json{{"text", "nice"}});
  CHECK(f.rc == LOY_EUNAVAILABLE);

  REQUIRE(loy_engine_set_ai_provider(w.engine, nullptr) == LOY_OK);
  f = fail(loy_ai_churn, w.session, json{{"customer_id", cus}, {"refresh", true}});
  CHECK(f.rc == LOY_EUNAVAILABLE);
  // Earning never involves the provider.
  CHECK(ok(loy_ledger_earn, w.session, json{{"customer_id", cus}, {"points", 5}})["entry"]["points"] == 5);
}

TEST_CASE("ai: settings through the C ABI never echo the API key") {
  World w;
  json s =
      ok(loy_ai_configure, w.session,
         json{{"provider", "openai"},
              {"openai",
               {{"base_url", "http://127.0.0.1:1/v1"}, {"model", "m"}, {"api_key", "sk-xyz"}, {"max_attempts", 1}}}});
  CHECK(s.dump().find("sk-xyz") == std::string::npos);
  CHECK(ok(loy_ai_settings, w.session, json::object()) == s);
  // Nothing listens on port 1: the provider is unreachable.
  CHECK(fail(loy_ai_feedback, w.session, json{{"text", "fine"}}).rc == LOY_EUNAVAILABLE);
}

TEST_CASE("ai: a host provider answering JSON nested 20,000 levels deep is invalid naming provider") {
  World w;
  const std::string cus = ok(loy_customer_enroll, w.session, json{{"external_id", "c1"}})["id"];
  HostState h;
  loy_ai_provider p = provider_of(h);
  REQUIRE(loy_engine_set_ai_provider(w.engine, &p) == LOY_OK);
  ok(loy_ai_configure, w.session, json{{"provider", "callback"}});
  h.mode = 4;
  Failure f = fail(loy_ai_churn, w.session, json{{"customer_id", cus}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "provider");
  CHECK(std::string(f.error.message).find("not JSON") != std::string::npos);
  CHECK(h.frees == 1);  // released all the same
  // The process goes on: earns work and the next answer is served.
  CHECK(ok(loy_ledger_earn, w.session, json{{"customer_id", cus}, {"points", 5}})["entry"]["points"] == 5);
  h.mode = 0;
  CHECK(ok(loy_ai_churn, w.session, json{{"customer_id", cus}})["output"]["customers"][0]["id"] == cus);
  REQUIRE(loy_engine_set_ai_provider(w.engine, nullptr) == LOY_OK);
}
