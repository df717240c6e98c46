// The in-process write queue (storage/write_queue.hpp): writers are served in arrival order, a
// waiter whose deadline runs out leaves the queue with Status::busy without holding up those
// behind it, and every engine of the process on one file shares the queue.
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine_state.hpp"
#include "fixture.hpp"
#include "storage/sqlite.hpp"
#include "storage/write_queue.hpp"

using namespace loytest;
using loyalty::storage::WriteQueue;
using loyalty::storage::WriteTurn;

namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point in(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

/// Waits (bounded) until `q` has `n` waiters.
void wait_for_waiters(const WriteQueue& q, size_t n) {
  const auto until = in(30'000);
  while (q.waiting() != n && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(q.waiting() == n);
}

}  // namespace

TEST_CASE("write queue: waiters get the turn in the order they arrived") {
  WriteQueue q;
  REQUIRE(q.acquire(in(1000)));  // the test holds the turn while the waiters line up
  constexpr int kWaiters = 12;
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int k = 0; k < kWaiters; ++k) {
    threads.emplace_back([&, k] {
      REQUIRE(q.acquire(in(60'000)));
      {
        std::lock_guard lock(mu);
        order.push_back(k);
      }
      q.release();
    });
    wait_for_waiters(q, static_cast<size_t>(k) + 1);  // k is queued before k + 1 starts
  }
  q.release();
  for (auto& t : threads) t.join();
  std::vector<int> expected(kWaiters);
  for (int k = 0; k < kWaiters; ++k) expected[static_cast<size_t>(k)] = k;
  CHECK(order == expected);
  CHECK_FALSE(q.held());
  CHECK(q.waiting() == 0);
}

TEST_CASE("write queue: a late arrival does not overtake a waiter when the turn is released") {
  WriteQueue q;
  REQUIRE(q.acquire(in(1000)));
  std::atomic<bool> first_served{false};
  std::thread waiter([&] {
    REQUIRE(q.acquire(in(60'000)));
    first_served = true;
    q.release();
  });
  wait_for_waiters(q, 1);
  q.release();
  // The turn went to the waiter directly: a new caller finds it taken (or already released by
  // the waiter), never free while the waiter is still queued.
  REQUIRE(q.acquire(in(60'000)));
  CHECK(first_served.load());
  q.release();
  waiter.join();
}

TEST_CASE("write queue: a waiter whose deadline runs out gets busy and leaves the queue") {
  WriteQueue q;
  REQUIRE(q.acquire(in(1000)));
  std::vector<int> order;
  std::mutex mu;
  auto served = [&](int k) {
    std::lock_guard lock(mu);
    order.push_back(k);
  };
  // 0: a long deadline; 1: a short one, queued behind 0; 2: a long one, queued behind 1.
  std::thread t0([&] {
    REQUIRE(q.acquire(in(60'000)));
    served(0);
    q.release();
  });
  wait_for_waiters(q, 1);
  std::atomic<bool> gave_up{false};
  Clock::duration waited{};
  std::thread t1([&] {
    const auto start = Clock::now();
    try {
      WriteTurn turn(q, in(2000), 2000);  // long enough for 2 to queue behind it on a busy machine
      served(1);
    } catch (const loyalty::Error& e) {
      CHECK(e.status() == Status::busy);
      CHECK(std::string(e.what()).find("2000 ms") != std::string::npos);
      gave_up = true;
    }
    waited = Clock::now() - start;
  });
  wait_for_waiters(q, 2);
  std::thread t2([&] {
    REQUIRE(q.acquire(in(60'000)));
    served(2);
    q.release();
  });
  wait_for_waiters(q, 3);
  t1.join();  // times out while the test still holds the turn
  CHECK(gave_up.load());
  CHECK(waited >= std::chrono::milliseconds(2000));
  CHECK(q.waiting() == 2);  // it left the queue; 0 and 2 still wait
  q.release();
  t0.join();
  t2.join();
  CHECK((order == std::vector<int>{0, 2}));
  CHECK_FALSE(q.held());
}

TEST_CASE("write queue: with the turn free and nobody waiting, a zero deadline still gets it") {
  WriteQueue q;
  CHECK(q.acquire(Clock::now()));
  CHECK_FALSE(q.acquire(Clock::now()));  // taken: an expired deadline fails at once
  CHECK(q.waiting() == 0);
  q.release();
  CHECK_FALSE(q.held());
}

TEST_CASE("write queue: every engine of the process on one file shares one queue; in-memory engines have their own") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db());
  loyalty::EngineOptions o;
  o.storage.uri = dir.db();  // the same file by another spelling
  loyalty::Engine e2 = loyalty::Engine::open(o);
  auto q = WriteQueue::for_file(dir.db());
  CHECK(q.get() == &loyalty::storage::sqlite_pool(*w.engine.state()->db).write_queue());
  CHECK(q.get() == &loyalty::storage::sqlite_pool(*e2.state()->db).write_queue());
  World m1;
  World m2;
  CHECK(&loyalty::storage::sqlite_pool(*m1.engine.state()->db).write_queue() !=
        &loyalty::storage::sqlite_pool(*m2.engine.state()->db).write_queue());
}

TEST_CASE("write queue: engine writers on one file are served in arrival order") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db());
  constexpr int kWriters = 8;
  std::vector<std::string> customers;
  for (int k = 0; k < kWriters; ++k) customers.push_back(w.enroll("c" + std::to_string(k)));
  // A second engine on the same file: half the writers use it.
  loyalty::EngineOptions o;
  o.storage.uri = "sqlite://" + dir.db();
  o.storage.pool_size = kWriters;
  o.clock = w.clock;
  loyalty::Engine e2 = loyalty::Engine::open(o);
  const std::string key = w.tenant["api_key"]["key"];

  auto q = WriteQueue::for_file(dir.db());
  REQUIRE(q->acquire(in(1000)));  // stands for a long writer of this process
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int k = 0; k < kWriters; ++k) {
    threads.emplace_back([&, k] {
      try {
        const loyalty::Session s = (k % 2 ? e2 : w.engine).session(key);
        s.call("ledger.earn", {{"customer_id", customers[static_cast<size_t>(k)]}, {"points", k + 1}});
      } catch (const std::exception&) {
        ++failures;
      }
    });
    wait_for_waiters(*q, static_cast<size_t>(k) + 1);
  }
  q->release();
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  // The outbox records commits in order: the earns committed in the order the writers queued.
  json events = w.call("events.poll", {{"limit", 1000}, {"types", {"points.earned"}}})["events"];
  REQUIRE(events.size() == static_cast<size_t>(kWriters));
  for (int k = 0; k < kWriters; ++k)
    CHECK(events[static_cast<size_t>(k)]["customer_id"] == customers[static_cast<size_t>(k)]);
}

TEST_CASE(
    "write queue: an engine write that waits in the queue past busy_timeout_ms is busy, changes nothing, and "
    "does not hold up the writer behind it") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db());
  const std::string c = w.enroll("alice");
  loyalty::EngineOptions o;
  o.storage.uri = "sqlite://" + dir.db();
  o.storage.busy_timeout_ms = 2000;  // long enough for the second writer to queue behind it
  o.clock = w.clock;
  loyalty::Engine impatient = loyalty::Engine::open(o);
  const std::string key = w.tenant["api_key"]["key"];

  auto q = WriteQueue::for_file(dir.db());
  REQUIRE(q->acquire(in(1000)));
  std::atomic<int> short_status{0};
  std::thread t1([&] {
    try {
      impatient.session(key).call("ledger.earn", {{"customer_id", c}, {"points", 5}});
    } catch (const loyalty::Error& e) {
      short_status = static_cast<int>(e.status());
    }
  });
  wait_for_waiters(*q, 1);
  json patient_result;
  std::thread t2([&] { patient_result = w.call("ledger.earn", {{"customer_id", c}, {"points", 7}}); });
  wait_for_waiters(*q, 2);
  t1.join();
  CHECK(short_status.load() == static_cast<int>(Status::busy));
  CHECK(q->waiting() == 1);
  q->release();
  t2.join();
  CHECK(patient_result["balance"]["balance"] == 7);
  CHECK(w.balance(c)["balance"] == 7);
  CHECK_FALSE(q->held());
}
