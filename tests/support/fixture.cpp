#include "fixture.hpp"

#include <random>

namespace loytest {

TempDir::TempDir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() / ("loyalty-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

namespace {
loyalty::Engine open_engine(const std::shared_ptr<loyalty::ManualClock>& clock, const std::string& uri,
                            loyalty::SyncMode sync) {
  loyalty::EngineOptions o;
  o.storage.uri = uri;
  o.storage.synchronous = sync;
  o.clock = clock;
  o.admin_key = kAdminKey;
  return loyalty::Engine::open(o);
}
}  // namespace

World::World(json program, std::string uri, loyalty::SyncMode sync)
    : clock(std::make_shared<loyalty::ManualClock>(kStart)),
      engine(open_engine(clock, uri, sync)),
      admin(engine.admin(kAdminKey)),
      tenant(admin.call("tenant.create", {{"name", "Acme " + std::to_string(std::random_device{}())}})),
      session(engine.session(tenant["api_key"]["key"].get<std::string>())) {
  json p = {{"name", "Main"}, {"currency", "EUR"}};
  for (auto& [k, v] : program.items()) p[k] = v;
  program_id = session.call("program.create", p)["id"];
}

std::string World::enroll(const std::string& external_id) const {
  return session.call("customer.enroll", {{"external_id", external_id}})["id"];
}

json World::earn(const std::string& customer, int64_t points, json extra) const {
  json in = {{"customer_id", customer}, {"points", points}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return session.call("ledger.earn", in);
}

json World::balance(const std::string& customer) const {
  return session.call("ledger.balance", {{"customer_id", customer}});
}

std::pair<loyalty::Session, std::string> World::other_tenant(const std::string& name) const {
  json t = admin.call("tenant.create", {{"name", name}});
  loyalty::Session s = engine.session(t["api_key"]["key"].get<std::string>());
  std::string pid = s.call("program.create", {{"name", "Other"}, {"currency", "USD"}})["id"];
  return {s, pid};
}

void World::require_verified() const {
  json v = session.call("ledger.verify", json::object());
  INFO(v.dump(2));
  REQUIRE(v["ok"] == true);
}

}  // namespace loytest
