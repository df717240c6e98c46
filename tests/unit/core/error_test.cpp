#include <set>
#include <string>

#include "fixture.hpp"
#include "loyalty/core/error.hpp"

using namespace loytest;
using loyalty::Error;

namespace {
constexpr Status kAll[] = {Status::ok,        Status::error,        Status::invalid,      Status::not_found,
                           Status::conflict,  Status::insufficient, Status::out_of_stock, Status::limit,
                           Status::forbidden, Status::unavailable,  Status::busy,         Status::storage,
                           Status::misuse,    Status::nomem};
}  // namespace

TEST_CASE("error: status values are pinned") {
  CHECK(static_cast<int>(Status::ok) == 0);
  CHECK(static_cast<int>(Status::error) == -1);
  CHECK(static_cast<int>(Status::invalid) == -2);
  CHECK(static_cast<int>(Status::not_found) == -3);
  CHECK(static_cast<int>(Status::conflict) == -4);
  CHECK(static_cast<int>(Status::insufficient) == -5);
  CHECK(static_cast<int>(Status::out_of_stock) == -6);
  CHECK(static_cast<int>(Status::limit) == -7);
  CHECK(static_cast<int>(Status::forbidden) == -8);
  CHECK(static_cast<int>(Status::unavailable) == -9);
  CHECK(static_cast<int>(Status::busy) == -10);
  CHECK(static_cast<int>(Status::storage) == -11);
  CHECK(static_cast<int>(Status::misuse) == -12);
  CHECK(static_cast<int>(Status::nomem) == -13);
}

TEST_CASE("error: status_name gives a distinct identifier for every status") {
  CHECK(std::string(loyalty::status_name(Status::ok)) == "ok");
  CHECK(std::string(loyalty::status_name(Status::invalid)) == "invalid");
  CHECK(std::string(loyalty::status_name(Status::not_found)) == "not_found");
  CHECK(std::string(loyalty::status_name(Status::conflict)) == "conflict");
  CHECK(std::string(loyalty::status_name(Status::insufficient)) == "insufficient");
  CHECK(std::string(loyalty::status_name(Status::out_of_stock)) == "out_of_stock");
  CHECK(std::string(loyalty::status_name(Status::limit)) == "limit");
  CHECK(std::string(loyalty::status_name(Status::forbidden)) == "forbidden");
  CHECK(std::string(loyalty::status_name(Status::unavailable)) == "unavailable");
  CHECK(std::string(loyalty::status_name(Status::busy)) == "busy");
  CHECK(std::string(loyalty::status_name(Status::storage)) == "storage");
  CHECK(std::string(loyalty::status_name(Status::misuse)) == "misuse");
  CHECK(std::string(loyalty::status_name(Status::nomem)) == "nomem");
  CHECK(std::string(loyalty::status_name(Status::error)) == "error");
  std::set<std::string> names, texts;
  for (Status s : kAll) {
    names.insert(loyalty::status_name(s));
    texts.insert(loyalty::status_str(s));
  }
  CHECK(names.size() == std::size(kAll));
  CHECK(texts.size() == std::size(kAll));
}

TEST_CASE("error: unknown status values still give static text") {
  const auto unknown = static_cast<Status>(-999);
  CHECK(std::string(loyalty::status_name(unknown)) == "error");
  CHECK(std::string(loyalty::status_str(unknown)) == "unknown status");
  CHECK(std::string(loyalty::status_str(Status::insufficient)) == "insufficient points");
}

TEST_CASE("error: the detail object always carries the field when there is one") {
  Error e(Status::invalid, "points: must be an integer", "events[3].points", json{{"hint", 1}});
  CHECK(e.status() == Status::invalid);
  CHECK(e.field() == "events[3].points");
  CHECK(std::string(e.what()) == "points: must be an integer");
  CHECK(e.detail() == json{{"hint", 1}, {"field", "events[3].points"}});

  Error not_object(Status::conflict, "x", "", json::array({1, 2}));
  CHECK(not_object.detail() == json::object());
}

TEST_CASE("error: error_json has code, status, message and field, and detail only when it adds something") {
  json j = loyalty::error_json(Error(Status::invalid, "bad", "points"));
  CHECK(j == json{{"code", -2}, {"status", "invalid"}, {"message", "bad"}, {"field", "points"}});

  j = loyalty::error_json(Error(Status::not_found, "gone"));
  CHECK(j["field"].is_null());
  CHECK_FALSE(j.contains("detail"));
  CHECK(j["code"] == -3);
  CHECK(j["status"] == "not_found");

  j = loyalty::error_json(Error(Status::insufficient, "short", "points", json{{"available", 5}}));
  CHECK(j["detail"] == json{{"available", 5}, {"field", "points"}});

  j = loyalty::error_json(Error(Status::conflict, "dup", "", json{{"id", "x"}}));
  CHECK(j["field"].is_null());
  CHECK(j["detail"] == json{{"id", "x"}});
}
