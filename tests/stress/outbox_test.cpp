// The event outbox under concurrency: eight writer threads run the seeded random ledger mix
// (earns, adjustments, reversals, holds, refusals, replays) while a host thread polls the outbox
// with its cursor. The host must see every committed change exactly once, in commit order, and
// nothing of a write that was refused or rolled back.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <set>
#include <thread>

#include "fixture.hpp"
#include "stress.hpp"

using namespace loystress;

namespace {

constexpr int kWriters = 8;
constexpr int kCustomers = 5;

/// Polls once from `cursor`; appends what it read and advances the cursor.
void poll_once(const loyalty::Session& s, json& cursor, std::vector<json>& seen, int64_t limit) {
  json in = {{"limit", limit}};
  if (!cursor.is_null()) in["after"] = cursor;
  json page = s.call("events.poll", in);
  for (auto& e : page["events"]) seen.push_back(std::move(e));
  cursor = page["next"];
}

}  // namespace

TEST_CASE("stress: a host polling the outbox during 8 concurrent writers sees every committed change once") {
  const uint64_t seed = base_seed(20261124);
  const int64_t ops_per_writer = scaled(400, 20);
  std::printf("stress_outbox: seed %llu (LOY_STRESS_SEED), %d writers x %lld ops, 1 poller\n",
              static_cast<unsigned long long>(seed), kWriters, static_cast<long long>(ops_per_writer));
  std::fflush(stdout);

  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, kCustomers);
  auto clock = std::make_shared<loyalty::ManualClock>(loytest::kStart);
  loyalty::Engine engine = open_engine(setup.db, loyalty::SyncMode::normal, kWriters + 2, clock);

  SharedPools pools;
  std::vector<WriterStats> stats(kWriters);
  std::atomic<bool> stop{false};
  std::vector<json> polled;
  std::vector<std::string> poller_failures;
  int64_t polls = 0;
  std::thread poller([&] {
    try {
      const loyalty::Session s = engine.session(setup.api_key);
      json cursor = nullptr;
      // Small pages while the writers run, so many polls interleave with commits.
      while (!stop.load()) {
        poll_once(s, cursor, polled, 7);
        ++polls;
      }
      for (size_t before = 0; before != polled.size() || polls == 0;) {
        before = polled.size();
        poll_once(s, cursor, polled, 1000);
        ++polls;
      }
    } catch (const std::exception& e) {
      poller_failures.push_back(std::string("poller: ") + e.what());
    }
  });
  std::vector<std::thread> writers = start_writers(engine, setup, seed, ops_per_writer, "o", clock.get(), pools, stats);
  for (auto& t : writers) t.join();
  stop = true;
  poller.join();
  require_no_failures(poller_failures, "poller");

  WriterStats all;
  for (int w = 0; w < kWriters; ++w) {
    require_no_failures(stats[w].failures, "writer " + std::to_string(w));
    all.merge(stats[w]);
  }
  std::printf("stress_outbox: %s; %zu events polled in %lld polls\n", all.summary().c_str(), polled.size(),
              static_cast<long long>(polls));

  // The whole outbox read afterwards in one pass is exactly what the poller saw, in order.
  const loyalty::Session s = engine.session(setup.api_key);
  std::vector<json> full;
  json cursor = nullptr;
  for (size_t before = 1; before != full.size();) {
    before = full.size();
    poll_once(s, cursor, full, 1000);
  }
  REQUIRE(polled.size() == full.size());
  for (size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    REQUIRE(polled[n]["id"] == full[n]["id"]);
  }
  // Exactly one event per acknowledged entry; none for refusals, replays or rolled-back writes.
  std::multiset<std::string> from_events;
  for (const auto& e : full)
    if (e["data"].contains("entry_id")) from_events.insert(e["data"]["entry_id"].get<std::string>());
  const std::multiset<std::string> acked(all.entries.begin(), all.entries.end());
  CHECK(from_events.size() == acked.size());
  CHECK(from_events == acked);
  CHECK(acked.size() > static_cast<size_t>(kWriters * ops_per_writer / 4));
  // The balance carried by each customer's last event is the customer's final balance.
  std::map<std::string, json> last;
  for (const auto& e : full) last[e["customer_id"].get<std::string>()] = e["data"]["balance"];
  for (const auto& [customer, b] : balances(s, setup.customers)) {
    CAPTURE(customer);
    if (last.count(customer)) CHECK(last[customer] == b["balance"]);
  }
}

int main(int argc, char** argv) {
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
