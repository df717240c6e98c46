// The ledger's internal API (src/ledger/ledger.hpp) takes typed requests: each field is held to
// the range the public operation reads from JSON, refused with the same message, the field named
// under the caller's path (as check-ins, purchases and rewards report it), and a valid request
// posts what the JSON operation posts.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "audit/write_op.hpp"
#include "core/limits.hpp"
#include "fixture.hpp"
#include "ledger/ledger.hpp"
#include "storage/unit_of_work.hpp"

using namespace loytest;
namespace d = loyalty::detail;

namespace {

/// A unit of work of the World's tenant on its database file, through the internal API.
struct Internal {
  std::shared_ptr<d::EngineState> engine = std::make_shared<d::EngineState>();
  d::SessionState session;

  Internal(const World& w, const std::string& file) {
    loyalty::StorageOptions o;
    o.uri = file;
    engine->db = loyalty::storage::open_database(o);
    engine->clock = w.clock;
    const json info = w.call("session.info", json::object());
    session.engine = engine;
    session.tenant_id = info["tenant"]["id"];
    session.key_id = info["key_id"];
    session.actor = "key:test";
    session.scopes = d::kScopeAdmin | d::kScopePos | d::kScopeRead;
  }

  /// Runs `f(ctx, tx)` in a write unit of work, as a handler's write_op body does.
  template <typename F>
  json run(F&& f) {
    d::Ctx ctx{*engine, &session};
    return d::write_op(ctx, engine->now(),
                       [&](loyalty::storage::UnitOfWork& tx, d::AuditLog&) -> json { return f(ctx, tx); });
  }
};

/// The status, field and message of what `f` throws.
template <typename F>
std::tuple<Status, std::string, std::string> error_of(F&& f) {
  try {
    f();
  } catch (const loyalty::Error& e) {
    return {e.status(), e.field(), e.what()};
  }
  FAIL("no error");
  return {};
}

}  // namespace

TEST_CASE("ledger typed requests: refusals name the field under the caller's path, worded as the JSON operation's") {
  TempDir dir;
  World w(json::object(), dir.db());
  const std::string c = w.enroll("c1");
  Internal in(w, dir.db());
  const loyalty::Timestamp now = w.clock->now();

  auto earn = [&](d::EarnRequest r) {
    return [&in, r] {
      in.run([&](d::Ctx& ctx, loyalty::storage::UnitOfWork& tx) {
        return d::earn_in_tx(ctx, tx, r, "checkin", ctx.engine.now());
      });
    };
  };
  auto json_earn = [&](json j) { return [&w, j] { w.call("ledger.earn", j); }; };
  d::EarnRequest ok;
  ok.customer_id = c;
  ok.points = 5;
  const json ok_json = {{"customer_id", c}, {"points", 5}};

  // Each bad field: the typed request and the same field in JSON give the same message, the typed
  // one under "checkin.".
  struct Case {
    const char* field;
    d::EarnRequest r;
    json j;
  };
  std::vector<Case> cases;
  {
    Case k{"points", ok, ok_json};
    k.r.points = 0;
    k.j["points"] = 0;
    cases.push_back(k);
  }
  {
    Case k{"points", ok, ok_json};
    k.r.points = loyalty::detail::kMaxAmount + 1;
    k.j["points"] = loyalty::detail::kMaxAmount + 1;
    cases.push_back(k);
  }
  {
    Case k{"reason", ok, ok_json};
    k.r.reason = std::string(501, 'r');
    k.j["reason"] = std::string(501, 'r');
    cases.push_back(k);
  }
  {
    Case k{"reason", ok, ok_json};
    k.r.reason = "";
    k.j["reason"] = "";
    cases.push_back(k);
  }
  {
    Case k{"metadata", ok, ok_json};
    k.r.metadata = json{{"blob", std::string(d::kMaxMetadataBytes, 'm')}};
    k.j["metadata"] = *k.r.metadata;
    cases.push_back(k);
  }
  {
    Case k{"occurred_at", ok, ok_json};
    k.r.occurred_at = now + 2 * 86'400'000;
    k.j["occurred_at"] = loyalty::format_time(now + 2 * 86'400'000);
    cases.push_back(k);
  }
  {
    Case k{"pending_days", ok, ok_json};
    k.r.pending_days = 366;
    k.j["pending_days"] = 366;
    cases.push_back(k);
  }
  {
    Case k{"type", ok, ok_json};
    k.r.type = "gift";
    k.j["type"] = "gift";
    cases.push_back(k);
  }
  {
    Case k{"customer_id", ok, ok_json};
    k.r.customer_id = "";
    k.j["customer_id"] = "";
    cases.push_back(k);
  }
  for (const auto& k : cases) {
    INFO("field " << k.field);
    const auto [ts, tf, tm] = error_of(earn(k.r));
    const auto [js, jf, jm] = error_of(json_earn(k.j));
    CHECK(ts == Status::invalid);
    CHECK(js == Status::invalid);
    CHECK(jf == k.field);
    CHECK(tf == std::string("checkin.") + k.field);
    CHECK(tm == "checkin." + jm);
  }

  // Refusals past the checks name fields under the path too.
  d::EarnRequest unknown = ok;
  unknown.program_id = "prg_missing";
  CHECK(std::get<1>(error_of(earn(unknown))) == "checkin.program_id");
  d::EarnRequest stranger = ok;
  stranger.customer_id = "cus_missing";
  CHECK(std::get<1>(error_of(earn(stranger))) == "checkin.customer_id");
  d::EarnRequest early = ok;
  early.occurred_at = now;
  early.expires_at = now;
  CHECK(std::get<1>(error_of(earn(early))) == "checkin.expires_at");

  d::HoldCreateRequest both;
  both.customer_id = c;
  both.points = 1;
  both.expires_at = now + 60'000;
  both.ttl_seconds = 60;
  const auto [hs, hf, hm] = error_of([&] {
    in.run([&](d::Ctx& ctx, loyalty::storage::UnitOfWork& tx) {
      return d::hold_create_in_tx(ctx, tx, both, "reward", now);
    });
  });
  CHECK(hs == Status::invalid);
  CHECK(hf == "reward.ttl_seconds");
  CHECK(hm == "reward.ttl_seconds: give expires_at or ttl_seconds, not both");

  // Nothing was posted by the refusals; a valid typed earn posts like ledger.earn.
  CHECK(w.balance(c)["balance"] == 0);
  d::EarnRequest good = ok;
  good.reason = "checkin";
  good.metadata = json{{"checkin_id", "chk_1"}};
  const json posted = in.run(
      [&](d::Ctx& ctx, loyalty::storage::UnitOfWork& tx) { return d::earn_in_tx(ctx, tx, good, "checkin", now); });
  CHECK(posted["replayed"] == false);
  CHECK(posted["entry"]["points"] == 5);
  CHECK(posted["entry"]["reason"] == "checkin");
  CHECK(posted["entry"]["metadata"] == json{{"checkin_id", "chk_1"}});
  CHECK(posted["entry"]["occurred_at"] == loyalty::format_time(now));
  CHECK(w.balance(c)["balance"] == 5);
  w.require_verified();
}
