// The backends the storage conformance suites run against, and the fixture they share: a
// database with a tenant, a program and two enrolled customers made through the engine, plus a
// second tenant, and units of work on it through the backend under test. A new backend
// (PostgreSQL) joins every suite by adding its factory to kBackends.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fixture.hpp"
#include "storage/sqlite.hpp"

namespace loytest {

struct StoreFixture {
  TempDir dir;
  std::unique_ptr<World> world;
  std::unique_ptr<loyalty::storage::Pool> pool;
  std::string tenant, program, alice, bob, other_tenant;

  std::unique_ptr<loyalty::storage::Tx> begin(loyalty::storage::TxMode mode = loyalty::storage::TxMode::write) {
    return std::make_unique<loyalty::storage::Tx>(*pool, mode);
  }
};

struct Backend {
  const char* name;
  std::function<void(StoreFixture&)> open;  // fills world and pool
};

inline const Backend kBackends[] = {
    {"sqlite (file, WAL)",
     [](StoreFixture& f) {
       f.world = std::make_unique<World>(json::object(), "sqlite://" + f.dir.db());
       loyalty::StorageOptions o;
       o.uri = "sqlite://" + f.dir.db();
       f.pool = std::make_unique<loyalty::storage::Pool>(o);
     }},
};

/// Runs `body` on a fresh fixture of every backend. A fixture type derived from StoreFixture
/// may add a `void prepare()` that runs after the common setup.
template <typename F = StoreFixture>
void each_backend(const std::type_identity_t<std::function<void(F&)>>& body) {
  for (const Backend& backend : kBackends) {
    INFO("backend: " << backend.name);
    F f;
    backend.open(f);
    World& w = *f.world;
    f.tenant = w.tenant["tenant"]["id"];
    f.program = w.program_id;
    f.alice = w.enroll("alice");
    f.bob = w.enroll("bob");
    f.other_tenant = w.admin.call("tenant.create", {{"name", "Other"}})["tenant"]["id"];
    if constexpr (requires { f.prepare(); }) f.prepare();
    body(f);
  }
}

/// The `member` of every record, in order (ids, hashes ...), to compare lists in one CHECK.
template <typename Record, typename Member>
std::vector<Member> pluck(const std::vector<Record>& rows, Member Record::*member) {
  std::vector<Member> out;
  for (const auto& r : rows) out.push_back(r.*member);
  return out;
}

}  // namespace loytest
