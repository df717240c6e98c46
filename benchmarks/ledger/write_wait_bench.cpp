// Write-lock fairness (issue 15): the latency distribution of durable single earns when many
// threads write at once, through the public C API only (loyalty.h, libloyalty.so).
//
//   loyalty_bench_write_wait [--threads 16,64] [--seconds 10] [--warmup 1] [--pool N]
//                            [--busy-ms 5000] [--dir DIR]
//
// For each thread count: a fresh database file in DIR (default: $LOY_BENCH_DIR or /tmp) with
// synchronous=FULL (every acknowledged earn is durable), one engine with pool_size = the thread
// count (at most 64; --pool overrides), one tenant and program, one customer per thread. Each
// thread opens its own session and calls loy_ledger_earn (1 point, its own customer) in a loop;
// calls during the warm-up are not recorded, then each call's wall time is recorded for
// --seconds. An earn is one write transaction, so its latency is the wait for the write lock plus
// the transaction itself (about one fsync): the tail of the distribution is the wait.
//
// Prints one line per thread count: earns/s, median, p90, p99, p99.9 and max latency in ms, the
// number of LOY_EBUSY answers and other failures, and the fewest and most earns of one thread
// (a starved thread shows as a small minimum).
#include <loyalty.h>

#include "support/capi_calls.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using loybench::call;
using loybench::die;
using loybench::field;

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<int> threads{16, 64};
  double seconds = 10;
  double warmup = 1;
  int pool = 0;  // 0: the thread count, at most 64
  int busy_ms = 5000;
  std::string dir;
};

struct ThreadResult {
  std::vector<double> ms;  // latency of each recorded successful earn
  int64_t busy = 0, failed = 0;
  double busy_max_ms = 0;  // the longest wait that ended in LOY_EBUSY
};

double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto k = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(k, sorted.size() - 1)];
}

void run(const Options& o, int threads) {
  std::random_device rd;
  const std::filesystem::path path =
      std::filesystem::path(o.dir) / ("loyalty-write-wait-" + std::to_string(rd()) + ".db");
  const std::string uri = "sqlite://" + path.string();
  const char* admin_key = "bench-admin-credential-0123456789";

  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = uri.c_str();
  opts.admin_key = admin_key;
  opts.synchronous = LOY_SYNC_FULL;
  opts.busy_timeout_ms = o.busy_ms;
  opts.pool_size = o.pool > 0 ? o.pool : std::min(threads, 64);
  loy_engine* engine = nullptr;
  if (loy_engine_open(&opts, &engine) != LOY_OK) die("loy_engine_open");
  loy_admin* admin = nullptr;
  if (loy_admin_open(engine, admin_key, std::strlen(admin_key), &admin) != LOY_OK) die("loy_admin_open");
  const std::string treq = R"({"name":"bench"})";
  loy_buf tbuf = LOY_BUF_INIT;
  if (loy_tenant_create(admin, treq.data(), treq.size(), &tbuf) != LOY_OK) die("loy_tenant_create");
  const std::string key = field(std::string(tbuf.data, tbuf.len), "\"api_key\"", "key");
  loy_buf_dispose(&tbuf);
  loy_admin_free(admin);

  std::vector<std::string> customers;
  {
    loy_session* s = nullptr;
    if (loy_session_open(engine, key.data(), key.size(), &s) != LOY_OK) die("loy_session_open");
    call(s, "program.create", R"({"name":"Points","currency":"EUR"})");
    for (int t = 0; t < threads; ++t)
      customers.push_back(
          field(call(s, "customer.enroll", R"({"external_id":"c)" + std::to_string(t) + R"("})"), "", "id"));
    loy_session_free(s);
  }

  std::vector<ThreadResult> results(static_cast<size_t>(threads));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point record_from, stop_at;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      loy_session* s = nullptr;
      if (loy_session_open(engine, key.data(), key.size(), &s) != LOY_OK) die("loy_session_open");
      const std::string req = R"({"customer_id":")" + customers[static_cast<size_t>(t)] + R"(","points":1})";
      ThreadResult& r = results[static_cast<size_t>(t)];
      r.ms.reserve(1 << 16);
      ++ready;
      while (!go.load()) std::this_thread::yield();
      for (;;) {
        const auto t0 = Clock::now();
        if (t0 >= stop_at) break;
        loy_buf out = LOY_BUF_INIT;
        const int rc = loy_ledger_earn(s, req.data(), req.size(), &out);
        const auto t1 = Clock::now();
        loy_buf_dispose(&out);
        const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        if (t0 < record_from) continue;
        if (rc == LOY_OK)
          r.ms.push_back(ms);
        else if (rc == LOY_EBUSY) {
          ++r.busy;
          r.busy_max_ms = std::max(r.busy_max_ms, ms);
        } else {
          ++r.failed;
        }
      }
      loy_session_free(s);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const auto start = Clock::now();
  record_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  stop_at = record_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  go.store(true);
  for (auto& th : pool) th.join();

  std::vector<double> all;
  int64_t busy = 0, failed = 0;
  size_t fewest = SIZE_MAX, most = 0;
  double busy_max = 0;
  for (const auto& r : results) {
    all.insert(all.end(), r.ms.begin(), r.ms.end());
    busy += r.busy;
    failed += r.failed;
    busy_max = std::max(busy_max, r.busy_max_ms);
    fewest = std::min(fewest, r.ms.size());
    most = std::max(most, r.ms.size());
  }
  std::sort(all.begin(), all.end());
  std::printf("%7d %5d %9.0f %8.2f %8.2f %8.2f %8.2f %9.2f %6lld %6lld %7zu %7zu\n", threads, opts.pool_size,
              static_cast<double>(all.size()) / o.seconds, pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 99.9),
              all.empty() ? 0.0 : all.back(), static_cast<long long>(busy), static_cast<long long>(failed), fewest,
              most);
  if (busy > 0) std::printf("        (the longest wait that ended in LOY_EBUSY: %.0f ms)\n", busy_max);
  std::fflush(stdout);

  loy_engine_free(engine);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  std::string item;
  for (const char* p = s;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!item.empty()) out.push_back(std::atoi(item.c_str()));
      item.clear();
      if (*p == '\0') break;
    } else {
      item.push_back(*p);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const char* env_dir = std::getenv("LOY_BENCH_DIR");
  o.dir = env_dir && *env_dir ? env_dir : std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads")
      o.threads = parse_list(argv[i + 1]);
    else if (a == "--seconds")
      o.seconds = std::atof(argv[i + 1]);
    else if (a == "--warmup")
      o.warmup = std::atof(argv[i + 1]);
    else if (a == "--pool")
      o.pool = std::atoi(argv[i + 1]);
    else if (a == "--busy-ms")
      o.busy_ms = std::atoi(argv[i + 1]);
    else if (a == "--dir")
      o.dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::printf(
      "libloyalty %s; durable single earns (synchronous=FULL), busy_timeout_ms %d, %.1f s recorded after "
      "%.1f s warm-up; latency in ms; database in %s\n",
      loy_version_string(), o.busy_ms, o.seconds, o.warmup, o.dir.c_str());
  std::printf("threads  pool  earns/s   median      p90      p99    p99.9       max   busy  other  fewest    most\n");
  for (int t : o.threads) run(o, t);
  return 0;
}
