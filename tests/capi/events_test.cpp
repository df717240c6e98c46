// C ABI, loyalty.h "Events": loy_events_poll.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

namespace {

/// Calls loy_events_poll; REQUIREs LOY_OK and returns the parsed result.
json poll(loy_session* s, const char* after, size_t limit) {
  Buf out;
  const int rc = loy_events_poll(s, after, limit, out.out());
  INFO(last_error().message);
  REQUIRE(rc == LOY_OK);
  return out.parse();
}

}  // namespace

TEST_CASE("events: loy_events_poll reads the outbox with a cursor") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 10);
  w.earn(c, 20);
  w.earn(c, 30);

  json all = poll(w.session, nullptr, 0);
  REQUIRE(all["events"].size() == 3);
  CHECK(all["events"][0]["type"] == "points.earned");
  CHECK(all["events"][0]["customer_id"] == c);
  CHECK(all["events"][2]["data"]["points"] == 30);

  json first = poll(w.session, nullptr, 2);
  REQUIRE(first["events"].size() == 2);
  const std::string next = first["next"];
  json rest = poll(w.session, next.c_str(), 0);
  REQUIRE(rest["events"].size() == 1);
  CHECK(rest["events"][0]["id"] == all["events"][2]["id"]);
  json none = poll(w.session, rest["next"].get<std::string>().c_str(), 10);
  CHECK(none["events"].empty());
  CHECK(none["next"] == rest["next"]);
}

TEST_CASE("events: loy_events_poll refuses NULL arguments, bad cursors and limits") {
  World w;
  Buf out;
  CHECK(loy_events_poll(nullptr, nullptr, 0, out.out()) == LOY_EMISUSE);
  CHECK(out.empty());
  CHECK(loy_events_poll(w.session, nullptr, 0, nullptr) == LOY_EMISUSE);
  CHECK(loy_events_poll(w.session, "not-a-cursor", 0, out.out()) == LOY_EINVALID);
  CHECK(last_error().field() == "after");
  CHECK(out.empty());
  CHECK(loy_events_poll(w.session, nullptr, 1001, out.out()) == LOY_EINVALID);
  CHECK(last_error().field() == "limit");
  // The generic call reaches the same operation.
  Buf g;
  const std::string in = R"({"limit": 5})";
  CHECK(loy_session_call(w.session, "events.poll", in.data(), in.size(), g.out()) == LOY_OK);
  CHECK(g.parse()["events"].is_array());
}
