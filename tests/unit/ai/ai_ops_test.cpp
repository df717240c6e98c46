// The ai.* operations: stored results reused until stale (TTL with the pinned clock), bad input,
// provider settings (the API key never echoed), the callback provider, pseudonymous inputs,
// segment tags, the paged refresh, location insights, and tenant isolation.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "fixture.hpp"
#include "geo/geo.hpp"
#include "loyalty/ai/host_provider.hpp"
#include "raw_db.hpp"
#include "script_server.hpp"

using namespace loytest;

namespace {

constexpr int64_t kDayMs = 86'400'000;

json purchase(const std::string& order, const std::string& customer, int64_t price) {
  return {{"order_id", order},
          {"customer_id", customer},
          {"items", {{{"sku", "COF"}, {"category", "coffee"}, {"quantity", 1}, {"unit_price", price}}}}};
}

/// A host provider that records its inputs and answers with the offline provider's shape.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<std::string, json>> calls;
  std::shared_ptr<loyalty::HostAiProvider> provider(std::function<json(std::string_view, const json&)> answer) {
    auto p = std::make_shared<loyalty::HostAiProvider>();
    p->model = "host-model-1";
    p->run = [this, answer](std::string_view op, const json& in) {
      {
        std::lock_guard lock(mu);
        calls.emplace_back(std::string(op), in);
      }
      return answer(op, in);
    };
    return p;
  }
};

json feedback_answer(const json& in) {
  json items = json::array();
  for (const auto& i : in["items"])
    items.push_back({{"id", i["id"]}, {"sentiment", "positive"}, {"score", 0.9}, {"themes", json::array()}});
  return {{"items", items},
          {"summary",
           {{"count", items.size()},
            {"positive", items.size()},
            {"negative", 0},
            {"neutral", 0},
            {"mixed", 0},
            {"average_score", 0.9},
            {"top_themes", json::array()},
            {"text", "host"}}}};
}

}  // namespace

TEST_CASE("ai: churn results are stored, reused until their TTL passes, and recomputed on refresh") {
  World w;
  const std::string c = w.enroll("c1");
  w.call("purchase.submit", purchase("o1", c, 1000));
  json r = w.call("ai.churn", {{"customer_id", c}});
  CHECK(r["cached"] == false);
  CHECK(r["provider"] == "offline");
  CHECK(r["model"] == "offline-v1");
  CHECK(r["operation"] == "churn");
  CHECK(r["subject"] == c);
  CHECK(r["output"]["customers"][0]["id"] == c);  // stored under the real id, not the pseudonym
  CHECK(r["output"]["customers"][0]["band"] == "low");
  CHECK(r["expires_at"] == loyalty::format_time(kStart + 7 * kDayMs));
  w.clock->advance(kDayMs);
  json again = w.call("ai.churn", {{"customer_id", c}});
  CHECK(again["cached"] == true);
  CHECK(again["output"] == r["output"]);
  CHECK(again["created_at"] == r["created_at"]);
  // 100 days later the stored answer is stale: recomputed, and the customer is now at risk.
  w.clock->advance(99 * kDayMs);
  json later = w.call("ai.churn", {{"customer_id", c}});
  CHECK(later["cached"] == false);
  CHECK(later["output"]["customers"][0]["band"] == "high");
  CHECK(w.call("ai.churn", {{"customer_id", c}, {"refresh", true}})["cached"] == false);
  // A TTL per operation; 0 never reuses.
  w.call("ai.configure", {{"ttl_s", {{"churn", 60}}}});
  json s = w.call("ai.churn", {{"customer_id", c}, {"refresh", true}});
  CHECK(s["expires_at"] == loyalty::format_time(w.clock->now() + 60'000));
  w.clock->advance(59'000);
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == true);
  w.clock->advance(1'000);
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == false);
  w.call("ai.configure", {{"ttl_s", {{"churn", 0}}}});
  w.call("ai.churn", {{"customer_id", c}});
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == false);
}

TEST_CASE("ai: bad input is invalid naming the field, unknown ids are not_found") {
  World w;
  const std::string c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.call("ai.churn", json::object()), Status::invalid, "customer_id");
  LOY_REQUIRE_ERROR(w.call("ai.churn", {{"customer_id", c}, {"extra", 1}}), Status::invalid, "extra");
  LOY_REQUIRE_ERROR(w.call("ai.churn", {{"customer_id", "cus_nope"}}), Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(w.call("ai.recommendations", {{"customer_id", c}, {"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("ai.recommendations", {{"customer_id", c}, {"program_id", "prg_nope"}}), Status::not_found,
                    "program_id");
  LOY_REQUIRE_ERROR(w.call("ai.feedback", json::object()), Status::invalid, "text");
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "a"}, {"texts", {"b"}}}), Status::invalid, "text");
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"texts", json::array()}}), Status::invalid, "texts");
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"texts", {{{"id", "a"}, {"text", "x"}}, {{"id", "a"}, {"text", "y"}}}}}),
                    Status::invalid, "texts[1].id");
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"texts", {{{"text", 3}}}}}), Status::invalid, "texts[0].text");
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"texts", {"fine", 3}}}), Status::invalid, "texts[1]");
  json fb = w.call("ai.feedback", {{"texts", {"Great coffee", {{"id", "b"}, {"text", "Rude staff"}}}}});
  CHECK(fb["output"]["items"][0]["id"] == "0");
  CHECK(fb["output"]["items"][0]["sentiment"] == "positive");
  CHECK(fb["output"]["items"][1]["id"] == "b");
  CHECK(fb["output"]["items"][1]["sentiment"] == "negative");
  LOY_REQUIRE_ERROR(w.call("ai.location_insights", {{"location_id", "loc_nope"}}), Status::not_found, "location_id");
  LOY_REQUIRE_ERROR(w.call("ai.location_insights", {{"window_days", 0}}), Status::invalid, "window_days");
  LOY_REQUIRE_ERROR(w.call("ai.refresh", json::object()), Status::invalid, "operation");
  LOY_REQUIRE_ERROR(w.call("ai.refresh", {{"operation", "feedback"}}), Status::invalid, "operation");
  LOY_REQUIRE_ERROR(w.call("ai.refresh", {{"operation", "churn"}, {"cursor", "zzz"}}), Status::invalid, "cursor");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"provider", "gpt"}}), Status::invalid, "provider");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"ttl_s", {{"bogus", 5}}}}), Status::invalid, "ttl_s.bogus");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"ttl_s", {{"churn", -1}}}}), Status::invalid, "ttl_s.churn");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"provider", "openai"}}), Status::invalid, "openai");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"provider", "openai"}, {"openai", {{"model", "m"}}}}), Status::invalid,
                    "openai.base_url");
  LOY_REQUIRE_ERROR(
      w.call("ai.configure", {{"provider", "openai"}, {"openai", {{"base_url", "ftp://x"}, {"model", "m"}}}}),
      Status::invalid, "openai.base_url");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"openai", {{"base_url", "http://x"}, {"model", "m"}}}}), Status::invalid,
                    "openai");
  // Nothing changed.
  CHECK(w.call("ai.settings", json::object())["provider"] == "offline");
}

TEST_CASE("ai: provider settings store the OpenAI configuration without echoing secrets") {
  World w;
  const std::string c = w.enroll("c1");
  json s = w.call("ai.settings", json::object());
  CHECK(s["provider"] == "offline");
  CHECK(s["ttl_s"]["churn"] == 7 * 86400);
  CHECK(s["openai"].is_null());
  json in = {{"provider", "openai"},
             {"openai",
              {{"base_url", "https://api.example.test/v1"},
               {"model", "gpt-4o-mini"},
               {"api_key", "sk-secret-123"},
               {"headers", {{"api-key", "azure-secret"}}},
               {"total_timeout_ms", 20000}}}};
  json out = w.call("ai.configure", in);
  CHECK(out.dump().find("secret") == std::string::npos);
  CHECK(out["openai"]["api_key_set"] == true);
  CHECK(out["openai"]["header_names"] == json::array({"api-key"}));
  CHECK(out["openai"]["model"] == "gpt-4o-mini");
  CHECK(w.call("ai.settings", json::object()) == out);
  // Reconfiguring without the key keeps it.
  in["openai"].erase("api_key");
  CHECK(w.call("ai.configure", in)["openai"]["api_key_set"] == true);
  // The audit log records the change, not the secret.
  CHECK(w.call("audit.list", json::object()).dump().find("secret") == std::string::npos);
  CHECK(out["openai"]["total_timeout_ms"] == 20000);
  // A field the OpenAI-compatible provider does not know, or a bad value, is refused by name.
  LOY_REQUIRE_ERROR(
      w.call("ai.configure", {{"provider", "openai"}, {"openai", {{"base_url", "ftp://x"}, {"model", "m"}}}}),
      Status::invalid, "openai.base_url");
  LOY_REQUIRE_ERROR(w.call("ai.configure", {{"provider", "openai"},
                                            {"openai", {{"base_url", "https://x"}, {"model", "m"}, {"retries", 2}}}}),
                    Status::invalid, "openai.retries");
  w.call("ai.configure", {{"provider", "offline"}});
  CHECK(w.call("ai.churn", {{"customer_id", c}})["provider"] == "offline");
  CHECK(w.call("ai.settings", json::object())["openai"].is_null());
}

TEST_CASE("ai: the host's callback provider gets pseudonymous inputs; failures and bad output are refused") {
  World w;
  const std::string c = w.enroll("alice@example.com");
  w.call("customer.update", {{"id", c}, {"profile", {{"name", "Alice Example"}}}});
  w.call("purchase.submit", purchase("o1", c, 2500));
  w.call("ai.configure", {{"provider", "callback"}});
  LOY_REQUIRE_ERROR(w.call("ai.churn", {{"customer_id", c}}), Status::unavailable, "provider");

  Recorder rec;
  std::atomic<int> mode{0};  // 0 answer, 1 throw, 2 break the schema, 3 leave out a required field
  loyalty::set_ai_provider(w.engine, rec.provider([&](std::string_view op, const json& in) -> json {
    if (mode == 1) throw std::runtime_error("model server down");
    if (op == "feedback") {
      json out = feedback_answer(in);
      if (mode == 2) out["items"][0]["grant_points"] = 1000;
      if (mode == 3) out["items"][0].erase("themes");
      return out;
    }
    json out = json::array();
    for (const auto& cu : in["customers"])
      out.push_back({{"id", cu["id"]},
                     {"risk", 0.42},
                     {"band", "medium"},
                     {"factors", json::array()},
                     {"actions", json::array({"call them"})}});
    return {{"customers", out}};
  }));
  json r = w.call("ai.churn", {{"customer_id", c}});
  CHECK(r["provider"] == "callback");
  CHECK(r["model"] == "host-model-1");
  CHECK(r["output"]["customers"][0]["id"] == c);
  CHECK(r["output"]["customers"][0]["risk"] == 0.42);
  REQUIRE(rec.calls.size() == 1);
  const std::string sent = rec.calls[0].second.dump();
  CHECK(sent.find(c) == std::string::npos);
  CHECK(sent.find("alice") == std::string::npos);
  CHECK(sent.find("Alice") == std::string::npos);
  CHECK(rec.calls[0].second["customers"][0]["id"].get<std::string>().rfind("p_", 0) == 0);
  CHECK(rec.calls[0].second["customers"][0]["monetary_90d"] == 2500);

  mode = 1;
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "great"}}), Status::unavailable, "provider");
  mode = 2;
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "great"}}), Status::invalid, "output.items[0].grant_points");
  mode = 3;
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "great"}}), Status::invalid, "output.items[0].themes");
  mode = 0;
  json f = w.call("ai.feedback", {{"text", "great"}});
  CHECK(f["cached"] == false);  // nothing of the refused answers was stored
  CHECK(f["output"]["items"][0]["id"] == "text");
  loyalty::set_ai_provider(w.engine, nullptr);
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "other"}}), Status::unavailable, "provider");
  CHECK(w.call("ai.feedback", {{"text", "great"}})["cached"] == true);  // stored results stay usable
  w.require_verified();
}

TEST_CASE("ai: segments are computed over the tenant and written as rfm: tags when asked") {
  World w;
  std::vector<std::string> cs;
  for (int n = 0; n < 6; ++n) cs.push_back(w.enroll("c" + std::to_string(n)));
  w.call("customer.update", {{"id", cs[0]}, {"segments", {"vip", "rfm:old"}}});
  w.clock->advance(60 * kDayMs);  // nobody is new any more
  for (int n = 0; n < 4; ++n)
    for (int k = 0; k <= n; ++k)
      w.call("purchase.submit", purchase("o" + std::to_string(n) + "-" + std::to_string(k), cs[n], 1000 * (n + 1)));
  json r = w.call("ai.segments", json::object());
  CHECK(r["cached"] == false);
  int total = 0;
  for (const auto& s : r["output"]["segments"]) {
    total += s["size"].get<int>();
    for (const auto& m : s["members"]) CHECK(std::find(cs.begin(), cs.end(), m.get<std::string>()) != cs.end());
  }
  CHECK(total == 6);
  CHECK(!r.contains("applied"));
  // Reading segments needs the read scope; writing tags needs admin.
  const json key = w.call("apikey.create", {{"name", "reader"}, {"scopes", {"read"}}});
  auto reader = w.engine.session(key["key"].get<std::string>());
  CHECK(reader.call("ai.segments", json::object())["cached"] == true);
  LOY_REQUIRE_ERROR(reader.call("ai.segments", {{"apply", true}}), Status::forbidden, "apply");
  LOY_REQUIRE_ERROR(reader.call("ai.configure", {{"provider", "offline"}}), Status::forbidden, "scope");
  CHECK(w.call("customer.get", {{"id", cs[1]}})["segments"].empty());
  json a = w.call("ai.segments", {{"apply", true}});
  CHECK(a["cached"] == true);
  CHECK(a["applied"] == 6);
  json tags = w.call("customer.get", {{"id", cs[0]}})["segments"];
  CHECK(tags.size() == 2);
  CHECK(tags[0] == "vip");
  CHECK(tags[1].get<std::string>().rfind("rfm:", 0) == 0);
  CHECK(tags[1] != "rfm:old");
  CHECK(w.call("customer.get", {{"id", cs[5]}})["segments"] == json::array({"rfm:lost"}));
  // customer.list by the tag (what rules and campaigns use).
  CHECK(w.call("customer.list", {{"segment", "rfm:lost"}})["items"].size() == 2);
}

TEST_CASE("ai: refresh computes churn and recommendations page by page and reuses fresh results") {
  World w;
  for (int n = 0; n < 5; ++n) w.enroll("c" + std::to_string(n));
  json in = {{"operation", "churn"}, {"limit", 2}};
  int computed = 0, pages = 0;
  for (;;) {
    json r = w.call("ai.refresh", in);
    computed += r["computed"].get<int>();
    ++pages;
    if (r["next_cursor"].is_null()) break;
    in["cursor"] = r["next_cursor"];
  }
  CHECK(pages == 3);
  CHECK(computed == 5);
  json again = w.call("ai.refresh", {{"operation", "churn"}, {"limit", 10}});
  CHECK(again["computed"] == 0);
  CHECK(again["reused"] == 5);
  CHECK(w.call("ai.refresh", {{"operation", "churn"}, {"force", true}})["computed"] == 5);
  json rec = w.call("ai.refresh", {{"operation", "recommendations"}});
  CHECK(rec["computed"] == 5);
  CHECK(rec["next_cursor"].is_null());
}

TEST_CASE("ai: recommendations and location insights from the tenant's data") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 700);
  json r = w.call("ai.recommendations", {{"customer_id", c}});
  CHECK(r["output"]["items"].empty());  // the program has no rewards
  CHECK(r["subject"].get<std::string>().rfind(c + "/", 0) == 0);
  const json loc = w.call("location.create", {{"name", "Shop"},
                                              {"lat", 59.9},
                                              {"lon", 10.7},
                                              {"geofence", {{"radius_m", 100}}},
                                              {"checkin", {{"cooldown_s", 0}}}});
  for (int n = 0; n < 4; ++n) {
    w.call("checkin.submit", {{"customer_id", c}, {"lat", 59.9}, {"lon", 10.7}, {"accuracy_m", 10}});
    if (n % 2 == 0) w.call("purchase.submit", purchase("p" + std::to_string(n), c, 500));
    w.clock->advance(kDayMs);
  }
  json li = w.call("ai.location_insights", {{"location_id", loc["id"]}});
  const json& l = li["output"]["locations"][0];
  CHECK(l["id"] == loc["id"]);
  CHECK(l["checkins"] == 4);
  CHECK(l["conversion_rate"] == 0.5);
  CHECK(l["peak_hours"] == json::array({12}));  // the pinned clock is at 12:00 UTC (the tenant's zone)
  json all = w.call("ai.location_insights", json::object());
  CHECK(all["output"]["locations"].size() == 1);
}

TEST_CASE("ai: tenants are isolated") {
  World w;
  const std::string c = w.enroll("c1");
  w.call("purchase.submit", purchase("o1", c, 1000));
  auto [other, other_program] = w.other_tenant("other");
  (void)other_program;
  const std::string oc = other.call("customer.enroll", {{"external_id", "x1"}})["id"];
  const json loc =
      w.call("location.create", {{"name", "Shop"}, {"lat", 1}, {"lon", 1}, {"geofence", {{"radius_m", 50}}}});
  w.call("ai.churn", {{"customer_id", c}});
  LOY_REQUIRE_ERROR(other.call("ai.churn", {{"customer_id", c}}), Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(other.call("ai.recommendations", {{"customer_id", c}}), Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(other.call("ai.location_insights", {{"location_id", loc["id"]}}), Status::not_found, "location_id");
  LOY_REQUIRE_ERROR(w.call("ai.churn", {{"customer_id", oc}}), Status::not_found, "customer_id");
  // The other tenant's segmentation covers only its own customer; its settings are its own.
  w.call("ai.configure", {{"provider", "callback"}});
  json seg = other.call("ai.segments", json::object());
  int total = 0;
  for (const auto& s : seg["output"]["segments"]) {
    total += s["size"].get<int>();
    for (const auto& m : s["members"]) CHECK(m == oc);
  }
  CHECK(total == 1);
  CHECK(other.call("ai.settings", json::object())["provider"] == "offline");
  // Same feedback text in both tenants: each stores its own result.
  w.call("ai.configure", {{"provider", "offline"}});
  CHECK(w.call("ai.feedback", {{"text", "nice"}})["cached"] == false);
  CHECK(other.call("ai.feedback", {{"text", "nice"}})["cached"] == false);
}

TEST_CASE("ai: a failing or slow host provider never fails or blocks earns and redemptions") {
  World w;
  const std::string c = w.enroll("c1");
  w.call("ai.configure", {{"provider", "callback"}});
  std::atomic<bool> stop{false};
  auto host = std::make_shared<loyalty::HostAiProvider>();
  host->run = [&](std::string_view, const json&) -> json {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    throw std::runtime_error("dead");
  };
  loyalty::set_ai_provider(w.engine, host);
  std::atomic<int> ai_failures{0};
  std::atomic<bool> calling{false};
  std::thread ai_caller([&] {
    auto s = w.engine.session(w.tenant["api_key"]["key"].get<std::string>());
    calling = true;
    while (!stop) {
      try {
        s.call("ai.churn", {{"customer_id", c}});
      } catch (const loyalty::Error& e) {
        if (e.status() == Status::unavailable) ++ai_failures;
      }
    }
  });
  // The earns run while the provider fails (on a loaded machine the thread may start late, or the
  // earns end before its first call does: wait for both, bounded).
  while (!calling) std::this_thread::yield();
  for (int n = 0; n < 300; ++n) {
    w.earn(c, 10);
    if (n % 3 == 0) w.call("ledger.redeem", {{"customer_id", c}, {"points", 5}});
  }
  for (int waited = 0; ai_failures == 0 && waited < 3000; ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  ai_caller.join();
  CHECK(ai_failures > 0);
  CHECK(w.balance(c)["available"] == 300 * 10 - 100 * 5);
  w.require_verified();
}

TEST_CASE("ai: recommendations rank the program's redeemable rewards") {
  World w;
  const std::string c = w.enroll("c1"), fan = w.enroll("fan");
  w.call("purchase.submit", purchase("o1", c, 3000));
  w.earn(c, 1000);
  auto reward = [&](const std::string& name, const std::string& cat, int cost, json extra = json::object()) {
    json in = {{"name", name}, {"category", cat}, {"cost_points", cost}};
    in.update(extra);
    return w.call("reward.create", in)["id"].get<std::string>();
  };
  const std::string coffee = reward("Coffee", "coffee", 500);
  const std::string mug = reward("Mug", "merch", 5000);
  reward("Gone", "coffee", 10, {{"stock", 0}});                            // out of stock
  reward("Later", "coffee", 10, {{"starts_at", "2286-01-01T00:00:00Z"}});  // not started
  auto [other, other_program] = w.other_tenant("Other");
  other.call("reward.create", {{"name", "Theirs"}, {"category", "coffee"}, {"cost_points", 1}});
  // The mug is popular: another customer redeemed it.
  w.earn(fan, 5000);
  w.call("reward.redeem", {{"reward_id", mug}, {"customer_id", fan}, {"idempotency_key", "fan-mug"}});
  json r = w.call("ai.recommendations", {{"customer_id", c}});
  const json& items = r["output"]["items"];
  REQUIRE(items.size() == 2);
  CHECK(items[0]["id"] == coffee);
  CHECK(items[0]["reason"] == "affordable now: your 1000 points cover its 500 points");
  CHECK(items[1]["id"] == mug);
  (void)other_program;
  // Offers: the program's current bonus rules; earn rules and bonus rules outside their window are not offers.
  const json bonus =
      w.call("rule.create",
             {{"name", "Double on Sundays"}, {"type", "bonus"}, {"actions", {{{"type", "fixed"}, {"points", 50}}}}});
  w.call("rule.create", {{"name", "Base"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}});
  w.call("rule.create", {{"name", "Gone"},
                         {"type", "bonus"},
                         {"end", "2020-01-01T00:00:00Z"},
                         {"actions", {{{"type", "fixed"}, {"points", 9}}}}});
  json o = w.call("ai.recommendations", {{"customer_id", c}, {"limit", 10}, {"refresh", true}});
  int offers = 0;
  for (const auto& it : o["output"]["items"])
    if (it["kind"] == "offer") {
      ++offers;
      CHECK(it["id"] == bonus["id"]);
      CHECK(it["reason"] == "a current offer: Double on Sundays");
    }
  CHECK(offers == 1);
}

TEST_CASE("ai: an offer at one location is as far as the customer's last verified check-in; else null") {
  World w;
  const std::string c = w.enroll("c1"), stranger = w.enroll("never checked in");
  namespace geo = loyalty::geo;
  const geo::LatLon a_at{48.8566, 2.3522}, b_at = geo::destination(a_at, 90, 5000);
  auto location = [&](const std::string& name, geo::LatLon at) {
    return w
        .call("location.create", {{"name", name},
                                  {"lat", at.lat},
                                  {"lon", at.lon},
                                  {"geofence", {{"radius_m", 100}}},
                                  {"checkin", {{"cooldown_s", 0}}}})["id"]
        .get<std::string>();
  };
  const std::string a = location("A", a_at), b = location("B", b_at);
  auto offer = [&](const std::string& name, json extra) {
    json in = {{"name", name}, {"type", "bonus"}, {"actions", {{{"type", "fixed"}, {"points", 5}}}}};
    in.update(extra);
    return w.call("rule.create", in)["id"].get<std::string>();
  };
  auto eq = [](const char* fact, const std::string& v) {
    return json{{"fact", fact}, {"operator", "eq"}, {"value", v}};
  };
  const std::string at_a = offer("At A", {{"trigger", "checkin"}, {"conditions", eq("checkin.location_id", a)}});
  const std::string at_b = offer(
      "At B",
      {{"conditions",
        {{"all",
          {{{"fact", "purchase.amount"}, {"operator", "gte"}, {"value", 100}}, eq("purchase.location_id", b)}}}}});
  const std::string inside_a =
      offer("Inside A", {{"conditions", {{"fact", "place.inside"}, {"operator", "contains"}, {"value", a}}}});
  const std::string either =
      offer("A or B", {{"conditions", {{"any", {eq("purchase.location_id", a), eq("purchase.location_id", b)}}}}});
  const std::string anywhere = offer("Anywhere", json::object());
  const std::string unknown = offer("Elsewhere", {{"conditions", eq("purchase.location_id", "loc_none")}});
  const std::string reward =
      w.call("reward.create", {{"name", "Coffee"}, {"cost_points", 10}})["id"].get<std::string>();

  w.call("ai.configure", {{"provider", "callback"}});
  Recorder rec;
  loyalty::set_ai_provider(w.engine, rec.provider([](std::string_view, const json&) -> json {
    return {{"items", json::array()}};
  }));
  // The distances the provider was sent, by candidate id.
  auto distances = [&](const std::string& customer) {
    w.call("ai.recommendations", {{"customer_id", customer}, {"refresh", true}});
    std::lock_guard lock(rec.mu);
    std::map<std::string, json> out;
    for (const auto& cand : rec.calls.back().second["candidates"]) out[cand["id"]] = cand["distance_km"];
    CHECK(out.size() == 7);
    return out;
  };
  auto check_in = [&](geo::LatLon p, json extra = json::object()) {
    json in = {{"customer_id", c}, {"lat", p.lat}, {"lon", p.lon}, {"accuracy_m", 5}};
    in.update(extra);
    return w.call("checkin.submit", in)["checkin"];
  };
  // Never checked in: no distance at all.
  for (const auto& [id, d] : distances(c)) CHECK_MESSAGE(d.is_null(), id);
  // Last seen at A.
  REQUIRE(check_in(a_at)["status"] == "verified");
  auto d = distances(c);
  CHECK(d[at_a] == 0.0);
  CHECK(d[inside_a] == 0.0);
  CHECK(d[at_b] == 5.0);
  for (const auto& id : {either, anywhere, unknown, reward}) CHECK_MESSAGE(d[id].is_null(), id);
  // A check-in outside every fence is rejected: it does not move the customer.
  w.clock->advance(3'600'000);
  REQUIRE(check_in(geo::destination(b_at, 270, 1240))["status"] == "rejected");
  CHECK(distances(c)[at_b] == 5.0);
  // Last seen 40 m west of B: 0.04 km from B, 4.96 km from A, rounded to 0.1 km.
  w.clock->advance(3'600'000);
  REQUIRE(check_in(geo::destination(b_at, 270, 40))["status"] == "verified");
  d = distances(c);
  CHECK(d[at_b] == 0.0);
  CHECK(d[at_a] == 5.0);
  // A rejected check-in (a mock location at A) and one dated before the last do not move the customer.
  w.clock->advance(3'600'000);
  REQUIRE(check_in(a_at, {{"mock", true}})["status"] == "rejected");
  REQUIRE(check_in(a_at, {{"occurred_at", loyalty::format_time(w.clock->now() - 5 * 3'600'000)}})["status"] ==
          "verified");
  d = distances(c);
  CHECK(d[at_b] == 0.0);
  CHECK(d[at_a] == 5.0);
  // Someone else's check-ins are not the customer's.
  for (const auto& [id, dist] : distances(stranger)) CHECK_MESSAGE(dist.is_null(), id);
  loyalty::set_ai_provider(w.engine, nullptr);
}

TEST_CASE("ai: the OpenAI-compatible provider end to end: retried, validated, stored; never a ledger change") {
  loytest::ScriptServer server;
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 100);
  const json config = {{"base_url", server.url() + "/v1"},
                       {"model", "test-model"},
                       {"api_key", "sk-test"},
                       {"max_attempts", 2},
                       {"backoff_base_ms", 1},
                       {"backoff_max_ms", 5}};
  w.call("ai.configure", {{"provider", "openai"}, {"openai", config}});
  const json good = loytest::feedback_output(0.8);
  // A 503, then the answer: retried once, validated, stored with the provider and model.
  server.push({503, {}, "busy"});
  server.push(loytest::chat_completion(good.dump()));
  json r = w.call("ai.feedback", {{"text", "The staff were lovely"}});
  CHECK(r["provider"] == "openai");
  CHECK(r["model"] == "test-model");
  CHECK(r["output"] == good);
  CHECK(server.request_count() == 2);
  const auto req = server.requests().back();
  CHECK(req.target == "/v1/chat/completions");
  CHECK(req.headers.at("authorization") == "Bearer sk-test");
  // Reused while fresh: no new request.
  CHECK(w.call("ai.feedback", {{"text", "The staff were lovely"}})["cached"] == true);
  CHECK(server.request_count() == 2);
  // An answer that asks for points is refused and never applied; so is one that breaks the schema.
  json greedy = good;
  greedy["items"][0]["grant_points"] = 500;
  server.push(loytest::chat_completion(greedy.dump()));
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "Give me points"}}), Status::invalid, "");
  json broken = good;
  broken["items"][0]["score"] = 7;
  server.push(loytest::chat_completion(broken.dump()));
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "Out of range"}}), Status::invalid, "");
  // A 401 is not retried.
  server.push({401, {}, R"({"error": {"message": "bad key"}})"});
  const size_t before = server.request_count();
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "Unauthorised"}}), Status::forbidden, "");
  CHECK(server.request_count() == before + 1);
  // None of it touched the ledger; earning works whatever the provider does.
  CHECK(w.balance(c)["balance"] == 100);
  w.earn(c, 5);
  CHECK(w.balance(c)["balance"] == 105);
  w.require_verified();
}

TEST_CASE("ai: a tenant's endpoint answering JSON nested 20,000 levels deep is refused; the process and earns go on") {
  loytest::ScriptServer server;
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 100);
  w.call("ai.configure", {{"provider", "openai"},
                          {"openai", {{"base_url", server.url() + "/v1"}, {"model", "m"}, {"max_attempts", 2}}}});
  std::string deep;
  for (int i = 0; i < 20'000; ++i) deep += R"({"a":)";
  deep += "1" + std::string(20'000, '}');
  // As the whole body and as the chat completion's content: a malformed answer, never retried.
  server.push({200, {}, deep});
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "one"}}), Status::invalid, "provider");
  server.push(loytest::chat_completion(deep));
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "two"}}), Status::invalid, "provider");
  CHECK(server.request_count() == 2);
  // The process is alive: earns work, and the next good answer is served and stored.
  CHECK(w.earn(c, 5)["entry"]["points"] == 5);
  CHECK(w.balance(c)["balance"] == 105);
  server.push(loytest::chat_completion(loytest::feedback_output(0.8).dump()));
  json r = w.call("ai.feedback", {{"text", "one"}});
  CHECK(r["cached"] == false);
  CHECK(r["output"] == loytest::feedback_output(0.8));
  w.require_verified();
}

TEST_CASE("ai: a stored result is served only by the provider and model that made it; changing either recomputes") {
  loytest::ScriptServer server;
  World w;
  const std::string c = w.enroll("c1");
  w.call("purchase.submit", purchase("o1", c, 1000));
  // Offline: computed, then reused.
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == false);
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == true);
  // Switched to the host's provider: its own fresh result, not a replay of the offline one.
  Recorder rec;
  auto churn_answer = [](double risk) {
    return [risk](std::string_view, const json& in) -> json {
      json out = json::array();
      for (const auto& cu : in["customers"])
        out.push_back({{"id", cu["id"]},
                       {"risk", risk},
                       {"band", "medium"},
                       {"factors", json::array()},
                       {"actions", json::array()}});
      return {{"customers", out}};
    };
  };
  loyalty::set_ai_provider(w.engine, rec.provider(churn_answer(0.42)));
  w.call("ai.configure", {{"provider", "callback"}});
  json r = w.call("ai.churn", {{"customer_id", c}});
  CHECK(r["cached"] == false);
  CHECK(r["provider"] == "callback");
  CHECK(r["model"] == "host-model-1");
  CHECK(r["output"]["customers"][0]["risk"] == 0.42);
  CHECK(rec.calls.size() == 1);
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == true);
  // The host registers another model: recomputed by it.
  auto other = rec.provider(churn_answer(0.7));
  other->model = "host-model-2";
  loyalty::set_ai_provider(w.engine, other);
  r = w.call("ai.churn", {{"customer_id", c}});
  CHECK(r["cached"] == false);
  CHECK(r["model"] == "host-model-2");
  CHECK(r["output"]["customers"][0]["risk"] == 0.7);
  // With no host registered the stored callback result stays readable.
  loyalty::set_ai_provider(w.engine, nullptr);
  CHECK(w.call("ai.churn", {{"customer_id", c}})["cached"] == true);
  // The OpenAI-compatible provider, then another model of it: each computes its own.
  const json feedback_in = {{"text", "lovely"}};
  json config = {{"base_url", server.url() + "/v1"}, {"model", "model-a"}, {"max_attempts", 1}};
  w.call("ai.configure", {{"provider", "openai"}, {"openai", config}});
  // Not the callback's stored churn result: the endpoint is asked (and, scripted with nothing, fails).
  LOY_REQUIRE_ERROR(w.call("ai.churn", {{"customer_id", c}}), Status::unavailable, "provider");
  CHECK(server.request_count() == 1);
  server.push(loytest::chat_completion(loytest::feedback_output(0.5).dump()));
  r = w.call("ai.feedback", feedback_in);
  CHECK(r["model"] == "model-a");
  CHECK(w.call("ai.feedback", feedback_in)["cached"] == true);
  config["model"] = "model-b";
  w.call("ai.configure", {{"provider", "openai"}, {"openai", config}});
  server.push(loytest::chat_completion(loytest::feedback_output(0.6).dump()));
  const size_t before = server.request_count();
  r = w.call("ai.feedback", feedback_in);
  CHECK(r["cached"] == false);
  CHECK(r["model"] == "model-b");
  CHECK(r["output"] == loytest::feedback_output(0.6));
  CHECK(server.request_count() == before + 1);
  // Back to offline: recomputed offline.
  w.call("ai.configure", {{"provider", "offline"}});
  r = w.call("ai.feedback", feedback_in);
  CHECK(r["cached"] == false);
  CHECK(r["provider"] == "offline");
  // ai.refresh reuses only the current provider's results.
  CHECK(w.call("ai.refresh", {{"operation", "churn"}})["computed"] == 1);
  CHECK(w.call("ai.refresh", {{"operation", "churn"}})["reused"] == 1);
}

TEST_CASE("ai: purchases_90d counts purchases only; check-ins and host earns have their own counts") {
  World w;
  const std::string c = w.enroll("c1");
  const json loc = w.call("location.create", {{"name", "Shop"},
                                              {"lat", 59.9},
                                              {"lon", 10.7},
                                              {"geofence", {{"radius_m", 100}}},
                                              {"checkin", {{"cooldown_s", 0}}}});
  for (int n = 0; n < 3; ++n) {
    REQUIRE(w.call("checkin.submit",
                   {{"customer_id", c}, {"lat", 59.9}, {"lon", 10.7}, {"accuracy_m", 10}})["checkin"]["status"] ==
            "verified");
    w.clock->advance(3'600'000);
  }
  w.call("purchase.submit", {{"order_id", "o1"},
                             {"customer_id", c},
                             {"items",
                              {{{"sku", "COF"}, {"category", "coffee"}, {"quantity", 1}, {"unit_price", 200}},
                               {{"sku", "PH"}, {"category", "Mobile phones"}, {"quantity", 1}, {"unit_price", 300}}}}});
  w.earn(c, 10);
  w.earn(c, 10);
  w.call("ai.configure", {{"provider", "callback"}});
  Recorder rec;
  loyalty::set_ai_provider(w.engine, rec.provider([](std::string_view, const json&) -> json {
    return {{"items", json::array()}};
  }));
  w.call("ai.recommendations", {{"customer_id", c}});
  REQUIRE(rec.calls.size() == 1);
  const json& cu = rec.calls[0].second["customer"];
  CHECK(cu["purchases_90d"] == 1);
  CHECK(cu["checkins_90d"] == 3);
  CHECK(cu["host_earns_90d"] == 2);
  CHECK(cu["spend_90d"] == 500);
  // Categories are values, not keys: the privacy scrub keeps one whose name has a personal word.
  CHECK(cu["categories"] == json::parse(R"([{"category": "Mobile phones", "spend": 300},
                                             {"category": "coffee", "spend": 200}])"));
  (void)loc;
  loyalty::set_ai_provider(w.engine, nullptr);
}

TEST_CASE("ai: every provider gets feedback texts without e-mail addresses (one scrub for all)") {
  loytest::ScriptServer server;
  World w;
  const json in = {
      {"texts", {"Mail me at ada.l@example.com please", {{"id", "b"}, {"text", "bob@shop.co.uk was rude"}}}}};
  // The host's provider.
  w.call("ai.configure", {{"provider", "callback"}});
  Recorder rec;
  loyalty::set_ai_provider(w.engine, rec.provider([](std::string_view, const json& i) { return feedback_answer(i); }));
  json r = w.call("ai.feedback", in);
  CHECK(r["provider"] == "callback");
  REQUIRE(rec.calls.size() == 1);
  const json& items = rec.calls[0].second["items"];
  CHECK(items[0]["text"] == "Mail me at [redacted] please");
  CHECK(items[1]["text"] == "[redacted] was rude");
  CHECK(rec.calls[0].second.dump().find('@') == std::string::npos);
  // The OpenAI-compatible provider gets the same scrubbed prompt.
  w.call("ai.configure", {{"provider", "openai"},
                          {"openai", {{"base_url", server.url() + "/v1"}, {"model", "m"}, {"max_attempts", 1}}}});
  json two = loytest::feedback_output(0.8);
  two["items"].push_back(two["items"][0]);
  two["items"][0]["id"] = "0";
  two["items"][1]["id"] = "b";
  server.push(loytest::chat_completion(two.dump()));
  w.call("ai.feedback", in);
  REQUIRE(server.request_count() == 1);
  const json body = json::parse(server.requests()[0].body);
  const std::string prompt = body["messages"][1]["content"];
  CHECK(json::parse(prompt) == rec.calls[0].second);
  // And the offline provider reads the same input: its answer is the same as before the scrub.
  w.call("ai.configure", {{"provider", "offline"}});
  CHECK(w.call("ai.feedback", in)["output"]["items"].size() == 2);
  loyalty::set_ai_provider(w.engine, nullptr);
}

TEST_CASE("ai: an unreachable OpenAI-compatible provider is unavailable naming provider") {
  World w;
  w.call("ai.configure", {{"provider", "openai"},
                          {"openai", {{"base_url", "http://127.0.0.1:1/v1"}, {"model", "m"}, {"max_attempts", 1}}}});
  LOY_REQUIRE_ERROR(w.call("ai.feedback", {{"text", "fine"}}), Status::unavailable, "provider");
}

TEST_CASE("ai: names and categories cut to their AI length never split a UTF-8 character") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 1000);
  // 'a' then 2-byte characters: the 64-byte cut of the category falls inside the 32nd 'é'.
  std::string category = "a";
  for (int n = 0; n < 40; ++n) category += "\xc3\xa9";
  const std::string coffee =
      w.call("reward.create", {{"name", "Coffee"}, {"category", category}, {"cost_points", 500}})["id"];
  w.call("purchase.submit",
         {{"order_id", "o1"},
          {"customer_id", c},
          {"amount", 3000},
          {"items", {{{"sku", "s1"}, {"category", category}, {"quantity", 1}, {"unit_price", 3000}}}}});
  json r = w.call("ai.recommendations", {{"customer_id", c}});
  REQUIRE(r["output"]["items"].size() == 1);
  CHECK(r["output"]["items"][0]["id"] == coffee);
  // What a host provider receives is valid UTF-8 (a strict dump throws on a split character).
  w.call("ai.configure", {{"provider", "callback"}});
  Recorder rec;
  loyalty::set_ai_provider(w.engine, rec.provider([](std::string_view, const json&) -> json {
    throw std::runtime_error("recording only");
  }));
  LOY_REQUIRE_ERROR(w.call("ai.recommendations", {{"customer_id", c}}), Status::unavailable, "provider");
  REQUIRE(rec.calls.size() == 1);
  std::string cut = "a";
  for (int n = 0; n < 31; ++n) cut += "\xc3\xa9";  // 63 bytes: the 32nd character would pass 64
  for (const auto& [op, in] : rec.calls) {
    CAPTURE(op);
    std::string text;
    CHECK_NOTHROW(text = in.dump());
    CHECK(text.find(cut + "\"") != std::string::npos);
  }
}
