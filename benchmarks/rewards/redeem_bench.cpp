// Redemptions per second (issue 6), durable (synchronous=FULL, the engine's defaults otherwise).
//
//   rewards/redeem/uncontended
//       One thread: `reward.redeem` of an unlimited reward, each call with a new idempotency key,
//       cycling over 1,000 funded customers. Each call is one write transaction: the checks
//       (window, stock, limit, tier, balance), the ledger debit (redeem entry, allocations,
//       points.redeemed), the stock update, the redemption row with its coupon code, the
//       reward.redeemed event and the idempotency record.
//   rewards/redeem/one_reward/threads:8
//       Eight threads, each with its own session, redeeming the same limited reward (stock large
//       enough never to run out) for disjoint customers: every redemption contends for the
//       write lock and the reward's row. Items per second is the total over the threads.
//
// Setup (not timed): tenant, program and 1,000 customers through the API, funded with one
// batch earn; the rewards are created through the API.
#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "bench_support.hpp"
#include "loyalty/core/engine.hpp"
#include "population.hpp"

namespace {

using loyalty::json;
using loyalty::SyncMode;

constexpr int64_t kCustomers = 1000;
constexpr int kThreads = 8;

struct Env {
  loyalty::Engine engine;
  std::string api_key, unlimited, shared;
  std::vector<std::string> customers;
};

std::unique_ptr<Env> env;
std::mutex env_mu;
std::atomic<int64_t> next_key{0};

Env& setup() {
  std::lock_guard lock(env_mu);
  if (env) return *env;
  const std::string path = (loybench::work_dir() / "rewards-redeem.db").string();
  const loybench::Created c = loybench::create_tenant(path, kCustomers);
  std::string unlimited, shared;
  {
    loyalty::Engine e = loybench::open_engine(path, SyncMode::normal, false);
    loyalty::Session s = e.session(c.api_key);
    json events = json::array();
    for (const auto& id : c.customers) events.push_back({{"customer_id", id}, {"points", 1'000'000'000}});
    s.call("ledger.earn_batch", {{"events", events}});
    unlimited = s.call("reward.create", {{"name", "Coffee"}, {"cost_points", 10}})["id"];
    shared = s.call("reward.create", {{"name", "Flash sale"}, {"cost_points", 10}, {"stock", 1'000'000'000}})["id"];
  }
  loyalty::EngineOptions o;
  o.storage.uri = path;
  o.storage.synchronous = SyncMode::full;
  o.storage.pool_size = kThreads + 1;
  o.storage.busy_timeout_ms = 60'000;
  env = std::unique_ptr<Env>(new Env{loyalty::Engine::open(o), c.api_key, unlimited, shared, c.customers});
  loybench::at_teardown([] { env.reset(); });
  return *env;
}

void redeem(const loyalty::Session& s, const std::string& reward, const std::string& customer) {
  s.call("reward.redeem",
         {{"reward_id", reward}, {"customer_id", customer}, {"idempotency_key", fmt::format("b{}", next_key++)}});
}

void BM_uncontended(benchmark::State& state) {
  Env& e = setup();
  const loyalty::Session s = e.engine.session(e.api_key);
  size_t n = 0;
  for (auto _ : state) redeem(s, e.unlimited, e.customers[n++ % e.customers.size()]);
  state.SetItemsProcessed(state.iterations());
}

void BM_one_reward_threads(benchmark::State& state) {
  Env& e = setup();
  const loyalty::Session s = e.engine.session(e.api_key);
  // Thread t redeems for customers t, t + threads, ...: disjoint accounts, one shared reward.
  const auto stride = static_cast<size_t>(state.threads());
  size_t n = static_cast<size_t>(state.thread_index());
  for (auto _ : state) {
    redeem(s, e.shared, e.customers[n % e.customers.size()]);
    n += stride;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_uncontended)->Name("rewards/redeem/uncontended")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_one_reward_threads)
    ->Name("rewards/redeem/one_reward")
    ->Threads(kThreads)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
