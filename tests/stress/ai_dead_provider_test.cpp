// With the tenant's AI provider dead (a host provider that sleeps, then fails), 10,000 earns and
// redemptions succeed while another thread keeps calling the AI operations: AI work never runs
// inside a ledger transaction and nothing on the ledger's path calls a provider.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "fixture.hpp"
#include "loyalty/ai/host_provider.hpp"
#include "stress.hpp"

using namespace loytest;

TEST_CASE("stress: 10,000 earns and redemptions succeed while the AI provider is dead") {
  const int64_t earns = loystress::scaled(10'000, 100);
  TempDir dir;
  World w(json::object(), dir.db());
  const std::string c = w.enroll("c1");
  w.call("ai.configure", {{"provider", "callback"}});
  auto host = std::make_shared<loyalty::HostAiProvider>();
  host->run = [](std::string_view, const json&) -> json {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    throw std::runtime_error("connection refused");
  };
  loyalty::set_ai_provider(w.engine, host);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ai_calls{0}, ai_unavailable{0};
  std::thread ai([&] {
    auto s = w.engine.session(w.tenant["api_key"]["key"].get<std::string>());
    while (!stop) {
      ++ai_calls;
      try {
        s.call(ai_calls % 2 ? "ai.churn" : "ai.segments", ai_calls % 2 ? json{{"customer_id", c}} : json::object());
      } catch (const loyalty::Error& e) {
        if (e.status() == Status::unavailable) ++ai_unavailable;
      }
    }
  });
  int64_t redeemed = 0;
  for (int64_t n = 0; n < earns; ++n) {
    w.earn(c, 10);
    if (n % 2 == 1) {
      w.call("ledger.redeem", {{"customer_id", c}, {"points", 5}});
      redeemed += 5;
    }
  }
  stop = true;
  ai.join();
  std::printf("stress_ai_dead_provider: %lld earns, %lld AI calls (%lld unavailable)\n", static_cast<long long>(earns),
              static_cast<long long>(ai_calls.load()), static_cast<long long>(ai_unavailable.load()));
  CHECK(ai_unavailable == ai_calls);
  CHECK(w.balance(c)["available"] == earns * 10 - redeemed);
  w.require_verified();
}
