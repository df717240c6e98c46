// The offline provider on fixed data: the documented answers of docs/ai.md ("Worked examples"),
// every output valid against its schema, and the schema validator itself.
#include <doctest/doctest.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "ai/offline.hpp"
#include "ai/schemas.hpp"
#include "fixture.hpp"

using namespace loytest;
namespace ai = loyalty::detail::ai;
using ai::Operation;

namespace {

json run(Operation op, const json& in) {
  ai::OfflineProvider p;
  json out = p.run(op, in);
  ai::validate_output(op, out);  // every offline output satisfies its schema
  return out;
}

std::vector<std::string> ids(const json& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i["id"]);
  return out;
}

}  // namespace

TEST_CASE("ai schemas: the embedded schemas are the files under docs/schema/ai") {
  for (int n = 0; n < ai::kOperationCount; ++n) {
    const auto op = static_cast<Operation>(n);
    std::ifstream f(std::string(LOY_SOURCE_DIR) + "/docs/schema/ai/" + std::string(ai::operation_name(op)) +
                    ".output.schema.json");
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    CHECK(ss.str() == ai::output_schema_text(op));
    CHECK(ai::output_schema(op)["type"] == "object");
  }
}

TEST_CASE("ai schemas: violations are invalid and name the path") {
  const json ok = {{"items", {{{"id", "r1"}, {"kind", "reward"}, {"score", 0.5}, {"confidence", 1}, {"reason", "x"}}}}};
  ai::validate_output(Operation::recommendations, ok);
  auto broken = [&](auto edit, const char* path) {
    json j = ok;
    edit(j);
    LOY_REQUIRE_ERROR(ai::validate_output(Operation::recommendations, j), Status::invalid, path);
  };
  broken([](json& j) { j["items"][0]["score"] = 1.5; }, "output.items[0].score");
  broken([](json& j) { j["items"][0]["kind"] = "points"; }, "output.items[0].kind");
  broken([](json& j) { j["items"][0].erase("reason"); }, "output.items[0].reason");
  broken([](json& j) { j["items"][0]["grant_points"] = 100; }, "output.items[0].grant_points");
  broken([](json& j) { j["items"][0]["reason"] = std::string(501, 'x'); }, "output.items[0].reason");
  broken([](json& j) { j["items"] = "none"; }, "output.items");
  broken(
      [&ok](json& j) {
        for (int n = 0; n < 50; ++n) j["items"].push_back(ok["items"][0]);
      },
      "output.items");
  LOY_REQUIRE_ERROR(ai::validate_output(Operation::churn, json::array()), Status::invalid, "output");
  LOY_REQUIRE_ERROR(ai::validate_output(Operation::churn, json::object()), Status::invalid, "output.customers");
  try {
    ai::validate_output(Operation::recommendations, json{{"items", {{{"id", "r1"}}}}});
    FAIL("expected an error");
  } catch (const loyalty::Error& e) {
    CHECK(std::string(e.what()).rfind("the provider's output breaks the schema at output.items[0].", 0) == 0);
  }
  broken([](json& j) { j["items"][0]["score"] = std::numeric_limits<double>::quiet_NaN(); }, "output.items[0].score");
  // Integers: 3.0 is an integer, 3.5 is not.
  json seg = {{"segments", {{{"name", "a"}, {"definition", "d"}, {"size", 3.0}, {"members", json::array()}}}}};
  ai::validate_output(Operation::segmentation, seg);
  seg["segments"][0]["size"] = 3.5;
  LOY_REQUIRE_ERROR(ai::validate_output(Operation::segmentation, seg), Status::invalid, "output.segments[0].size");
}

TEST_CASE("ai offline: churn risk follows the documented model") {
  const json in = {{"reference", {{"monetary_90d_median", 10000}}},
                   {"customers",
                    {
                        {{"id", "active"},
                         {"recency_days", 9},
                         {"tenure_days", 400},
                         {"frequency_90d", 6},
                         {"frequency_prev_90d", 3},
                         {"monetary_90d", 20000},
                         {"balance", 0}},
                        {{"id", "average"},
                         {"recency_days", 45},
                         {"tenure_days", 400},
                         {"frequency_90d", 3},
                         {"frequency_prev_90d", 3},
                         {"monetary_90d", 10000},
                         {"balance", 0}},
                        {{"id", "gone"},
                         {"recency_days", 120},
                         {"tenure_days", 400},
                         {"frequency_90d", 0},
                         {"frequency_prev_90d", 4},
                         {"monetary_90d", 0},
                         {"balance", 1500}},
                        {{"id", "never"},
                         {"recency_days", nullptr},
                         {"tenure_days", 40},
                         {"frequency_90d", 0},
                         {"frequency_prev_90d", 0},
                         {"monetary_90d", 0},
                         {"balance", 0}},
                    }}};
  const json out = run(Operation::churn, in)["customers"];
  REQUIRE(out.size() == 4);
  CHECK(ids(out) == std::vector<std::string>{"active", "average", "gone", "never"});
  // active: R 0.1, F 0, M 0, trend (3-6)/6 = -0.5 -> T 0.25: 0.45*0.1 + 0.25*0.25 = 0.1075.
  CHECK(out[0]["risk"].get<double>() == doctest::Approx(0.1075));
  CHECK(out[0]["band"] == "low");
  CHECK(out[0]["actions"] == json::array({"no action needed: keep the usual communication"}));
  CHECK(out[0]["factors"][0]["name"] == "trend");
  // average: every component 0.5.
  CHECK(out[1]["risk"].get<double>() == doctest::Approx(0.5));
  CHECK(out[1]["band"] == "medium");
  CHECK(out[1]["actions"] == json::array({"send a personalised recommendation"}));
  // gone: every component 1.
  CHECK(out[2]["risk"].get<double>() == doctest::Approx(1.0));
  CHECK(out[2]["band"] == "high");
  CHECK(out[2]["actions"] == json::array({"send a win-back offer: bonus points on the next purchase within 14 days",
                                          "remind them of their 1500 points balance and what it redeems",
                                          "offer a visit bonus to reverse the declining activity"}));
  CHECK(out[2]["factors"][0] == json{{"name", "recency"}, {"value", 120}, {"contribution", 0.45}});
  // never: R 1, F 1, M 1, no trend (0.5): 0.875.
  CHECK(out[3]["risk"].get<double>() == doctest::Approx(0.875));
  CHECK(out[3]["factors"][0]["value"] == -1);
  // Deterministic: the same input gives the same output.
  CHECK(run(Operation::churn, in) == run(Operation::churn, in));
}

TEST_CASE("ai offline: recommendations rank by affordability, affinity, popularity, distance and tier") {
  const json in = {
      {"customer",
       {{"id", "p_1"},
        {"balance", 1000},
        {"tier", "Gold"},
        {"tier_rank", 2},
        {"recency_days", 3},
        {"purchases_90d", 4},
        {"spend_90d", 8000},
        {"categories", {{{"category", "coffee"}, {"spend", 6000}}, {{"category", "bakery"}, {"spend", 2000}}}}}},
      {"candidates",
       {
           {{"id", "r1"}, {"kind", "reward"}, {"category", "coffee"}, {"cost_points", 500}, {"popularity", 10}},
           {{"id", "r2"},
            {"kind", "reward"},
            {"category", "bakery"},
            {"cost_points", 2000},
            {"popularity", 5},
            {"distance_km", 2}},
           {{"id", "r3"}, {"kind", "reward"}, {"cost_points", 10}, {"popularity", 50}, {"min_tier_rank", 3}},
           {{"id", "r4"}, {"kind", "offer"}, {"cost_points", 0}, {"popularity", 0}, {"min_tier_rank", 1}},
           {{"id", "r5"}, {"kind", "reward"}, {"category", "coffee"}, {"cost_points", 100000}, {"popularity", 0}},
       }},
      {"limit", 4}};
  const json items = run(Operation::recommendations, in)["items"];
  // r3 needs tier rank 3: never recommended to a rank-2 customer.
  REQUIRE(ids(items) == std::vector<std::string>{"r1", "r4", "r2", "r5"});
  CHECK(items[0]["score"].get<double>() == doctest::Approx(0.6875));
  CHECK(items[0]["confidence"].get<double>() == doctest::Approx(0.8));
  CHECK(items[0]["reason"] == "affordable now: your 1000 points cover its 500 points");
  CHECK(items[1]["score"].get<double>() == doctest::Approx(0.45));
  CHECK(items[1]["kind"] == "offer");
  CHECK(items[1]["reason"] == "a current offer: r4");  // an offer without a name: its id
  CHECK(items[2]["score"].get<double>() == doctest::Approx(0.3875));
  CHECK(items[2]["confidence"].get<double>() == doctest::Approx(1.0));
  CHECK(items[2]["reason"] == "50% of the way there: 1000 of 2000 points");
  CHECK(items[3]["score"].get<double>() == doctest::Approx(0.191));
  CHECK(items[3]["reason"] == "matches your favourite category 'coffee' (75% of your spend)");
  json fewer = in;
  fewer["limit"] = 2;
  CHECK(ids(run(Operation::recommendations, fewer)["items"]) == std::vector<std::string>{"r1", "r4"});
}

TEST_CASE("ai offline: RFM segmentation") {
  auto c = [](const char* id, json recency, int f, int m, int tenure) {
    return json{
        {"id", id}, {"recency_days", recency}, {"frequency_365d", f}, {"monetary_365d", m}, {"tenure_days", tenure}};
  };
  const json in = {{"customers",
                    {c("s1", 2, 20, 50000, 400), c("s2", 10, 12, 30000, 400), c("s3", 200, 15, 40000, 400),
                     c("s4", 5, 1, 500, 100), c("s5", nullptr, 0, 0, 500), c("s6", 3, 1, 100, 10)}}};
  const json segs = run(Operation::segmentation, in)["segments"];
  std::map<std::string, json> by;
  for (const auto& s : segs) by[s["name"]] = s["members"];
  CHECK(segs.size() == 8);
  CHECK(by["champions"] == json::array({"s1"}));
  CHECK(by["at_risk"] == json::array({"s2", "s3"}));
  CHECK(by["needs_attention"] == json::array({"s4"}));
  CHECK(by["lost"] == json::array({"s5"}));
  CHECK(by["new"] == json::array({"s6"}));
  CHECK(by["loyal"].empty());
  for (const auto& s : segs) CHECK(s["size"] == s["members"].size());
  CHECK(run(Operation::segmentation, {{"customers", json::array()}})["segments"][0]["size"] == 0);
}

TEST_CASE("ai offline: feedback sentiment, negation and themes") {
  const json in = {{"items",
                    {{{"id", "a"}, {"text", "The staff were very friendly and the coffee was great!"}},
                     {{"id", "b"}, {"text", "Not good, we waited 20 minutes and the prices are too expensive."}},
                     {{"id", "c"}, {"text", "It was ok."}}}}};
  const json out = run(Operation::feedback, in);
  const json& items = out["items"];
  CHECK(items[0]["sentiment"] == "positive");
  CHECK(items[0]["score"].get<double>() == doctest::Approx(0.7143));
  CHECK(items[0]["themes"] == json::array({"food", "service"}));
  CHECK(items[1]["sentiment"] == "negative");
  CHECK(items[1]["score"].get<double>() == doctest::Approx(-0.7368));
  CHECK(items[1]["themes"] == json::array({"price", "speed"}));
  CHECK(items[2]["sentiment"] == "neutral");
  CHECK(items[2]["score"] == 0.0);
  const json& s = out["summary"];
  CHECK(s["count"] == 3);
  CHECK(s["positive"] == 1);
  CHECK(s["negative"] == 1);
  CHECK(s["neutral"] == 1);
  CHECK(s["average_score"].get<double>() == doctest::Approx(-0.0075));
  CHECK(s["top_themes"].size() == 4);
  // "not" flips the next sentiment word within three words.
  const json neg = run(Operation::feedback, {{"items", {{{"id", "x"}, {"text", "the coffee was not really great"}}}}});
  CHECK(neg["items"][0]["sentiment"] == "negative");
  const json mixed = run(Operation::feedback, {{"items", {{{"id", "x"}, {"text", "great coffee but rude staff"}}}}});
  CHECK(mixed["items"][0]["sentiment"] == "mixed");
}

TEST_CASE("ai offline: location insights find peaks, conversion and promotion windows") {
  std::vector<int> hours(24, 0);
  hours[9] = 4;
  hours[12] = 10;
  hours[13] = 8;
  hours[18] = 6;
  const json in = {{"locations",
                    {{{"id", "loc_1"},
                      {"checkins", 28},
                      {"unique_customers", 12},
                      {"converted", 7},
                      {"by_hour", hours},
                      {"by_weekday", {0, 4, 2, 6, 6, 7, 3}}},
                     {{"id", "loc_2"},
                      {"checkins", 0},
                      {"unique_customers", 0},
                      {"converted", 0},
                      {"by_hour", std::vector<int>(24, 0)},
                      {"by_weekday", std::vector<int>(7, 0)}}}}};
  const json out = run(Operation::location_insights, in)["locations"];
  const json& l = out[0];
  CHECK(l["peak_hours"] == json::array({12, 13}));
  CHECK(l["peak_weekdays"] == json::array({"wednesday", "thursday", "friday"}));
  CHECK(l["conversion_rate"].get<double>() == doctest::Approx(0.25));
  REQUIRE(l["promotion_windows"].size() == 3);
  CHECK(l["promotion_windows"][0]["weekday"] == "tuesday");
  CHECK(l["promotion_windows"][0]["start_hour"] == 12);
  CHECK(l["promotion_windows"][0]["end_hour"] == 14);
  CHECK(l["promotion_windows"][1]["weekday"] == "saturday");
  CHECK(l["promotion_windows"][2]["weekday"] == "wednesday");
  CHECK(l["summary"] == "28 check-ins, busiest 12:00-14:00, 25% followed by a purchase");
  CHECK(out[1]["promotion_windows"].empty());
  CHECK(out[1]["summary"] == "no check-ins in the window");
}

TEST_CASE("ai offline: malformed input is invalid") {
  ai::OfflineProvider p;
  LOY_REQUIRE_ERROR(p.run(Operation::churn, json::array()), Status::invalid, "");
  LOY_REQUIRE_ERROR(p.run(Operation::churn, {{"customers", 3}}), Status::invalid, "customers");
  LOY_REQUIRE_ERROR(p.run(Operation::churn, {{"customers", {{{"id", "x"}, {"recency_days", "old"}}}}}), Status::invalid,
                    "recency_days");
  LOY_REQUIRE_ERROR(
      p.run(Operation::location_insights,
            {{"locations", {{{"id", "l"}, {"by_hour", {1, 2}}, {"by_weekday", std::vector<int>(7, 0)}}}}}),
      Status::invalid, "by_hour");
  LOY_REQUIRE_ERROR(p.run(Operation::feedback, {{"items", {{{"id", "x"}}}}}), Status::invalid, "text");
}
