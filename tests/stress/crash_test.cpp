// Crash test: a child process (this binary with --child) earns in a loop on a file database with
// synchronous=FULL and writes each acknowledged idempotency key to a pipe; the parent kills it
// with SIGKILL at a random moment, reopens the database and checks that nothing acknowledged
// was lost, nothing was half applied (ledger.verify) and SQLite's integrity_check passes.
// Repeated for many cycles on the same file.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "fixture.hpp"
#include "stress.hpp"

using namespace loystress;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCustomers = 3;

std::string key_for(int cycle, int64_t n) { return "c" + std::to_string(cycle) + "-" + std::to_string(n); }

/// The n-th earn of a cycle; the parent rebuilds it to replay.
json earn_request(const std::vector<std::string>& customers, int cycle, int64_t n) {
  return {{"customer_id", customers[static_cast<size_t>(n) % customers.size()]},
          {"points", 1 + (cycle * 31 + n * 7) % 97},
          {"idempotency_key", key_for(cycle, n)}};
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t w = ::write(fd, s.data() + off, s.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

// --child <db> <api_key> <cycle> <customers,...>: earns until killed; one line per ack on stdout.
int child_main(int argc, char** argv) {
  if (argc != 6) return 2;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
  const std::string db = argv[2], api_key = argv[3];
  const int cycle = std::atoi(argv[4]);
  const std::vector<std::string> customers = split(argv[5], ',');
  try {
    loyalty::Engine engine = open_engine(db, loyalty::SyncMode::full, 1);
    const loyalty::Session s = engine.session(api_key);
    for (int64_t n = 0; n < 1'000'000; ++n) {
      const json r = s.call("ledger.earn", earn_request(customers, cycle, n));
      // Acknowledged: call() returned. Report it at once (write(2) is unbuffered).
      const std::string line = key_for(cycle, n) + " " + r["entry"]["id"].get<std::string>() + " " +
                               std::to_string(r["entry"]["points"].get<int64_t>()) + "\n";
      if (!write_all(STDOUT_FILENO, line)) return 4;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash child: %s\n", e.what());
    return 1;
  }
  return 0;
}

struct Ack {
  std::string key;
  std::string entry_id;
  int64_t points;
};

/// Runs one child and kills it `delay` after its first acknowledgment (`early`: after its start,
/// possibly while it opens the database); returns its acknowledgments.
std::vector<Ack> run_and_kill(const std::vector<std::string>& args, std::chrono::milliseconds delay, bool early,
                              std::string& status) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  const pid_t pid = spawn(args, fds[1]);
  close(fds[1]);
  std::string buf;
  std::vector<Ack> acks;
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  std::optional<Clock::time_point> kill_at;
  if (early) kill_at = Clock::now() + delay;
  bool killed = false, eof = false;
  while (!eof) {
    auto now = Clock::now();
    if (!killed && ((kill_at && now >= *kill_at) || now >= give_up)) {
      kill(pid, SIGKILL);
      killed = true;
    }
    int timeout_ms = 1000;
    if (!killed && kill_at)
      timeout_ms = static_cast<int>(
          std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - now).count()));
    pollfd p{fds[0], POLLIN, 0};
    const int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    char chunk[4096];
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    buf.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      const auto parts = split(buf.substr(0, nl), ' ');
      buf.erase(0, nl + 1);
      REQUIRE(parts.size() == 3);
      acks.push_back({parts[0], parts[1], std::stoll(parts[2])});
      if (!kill_at) kill_at = Clock::now() + delay;
    }
  }
  close(fds[0]);
  // A partial line (the child died mid-write) is not an acknowledgment we can rely on: the
  // earn is then checked as possibly-committed like any unreported one.
  status = wait_child(pid);
  if (!killed) status += " (died before being killed)";
  return acks;
}

std::string integrity_check(const std::string& db) {
  sqlite3* h = nullptr;
  std::string out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    out = std::string("open failed: ") + sqlite3_errmsg(h);
  } else {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK) {
      out = std::string("prepare failed: ") + sqlite3_errmsg(h);
    } else {
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!out.empty()) out += "; ";
        out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      }
      if (rc != SQLITE_DONE) out += std::string(" step failed: ") + sqlite3_errmsg(h);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST_CASE("stress: a writer killed with SIGKILL loses nothing it acknowledged") {
  const uint64_t seed = base_seed(20260303);
  // Every fifth cycle kills the child soon after it starts (perhaps while it opens the database),
  // the others a few to tens of milliseconds after its first acknowledged earn.
  const int late_cycles = static_cast<int>(scaled(24, 20));
  const int cycles = late_cycles + late_cycles / 4;
  std::printf("stress_crash: seed %llu (LOY_STRESS_SEED), %d kill cycles (%d after the first ack)\n",
              static_cast<unsigned long long>(seed), cycles, late_cycles);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);

  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::full, kCustomers);
  const std::string exe = self_exe();
  const auto t0 = Clock::now();

  std::vector<std::pair<json, Ack>> durable;  // every earn known committed: its request and result
  int64_t expected_total = 0, acked = 0, unreported = 0, early_kills = 0, early_kills_before_ack = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const bool early = cycle % 5 == 4;
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(early ? 0 : 2, 45)(rng));
    std::string status;
    const std::vector<Ack> acks =
        run_and_kill({exe, "--child", setup.db, setup.api_key, std::to_string(cycle), join(setup.customers, ',')},
                     delay, early, status);
    INFO("cycle " << cycle << ": killed " << delay.count() << " ms after " << (early ? "its start" : "the first ack")
                  << "; " << acks.size() << " acks; child " << status);
    CHECK(status == "signal 9");
    if (!early) REQUIRE(!acks.empty());
    early_kills += early;
    early_kills_before_ack += early && acks.empty();
    const size_t cycle_start = durable.size();
    for (size_t n = 0; n < acks.size(); ++n) {
      REQUIRE(acks[n].key == key_for(cycle, static_cast<int64_t>(n)));
      durable.emplace_back(earn_request(setup.customers, cycle, static_cast<int64_t>(n)), acks[n]);
      expected_total += acks[n].points;
    }
    acked += static_cast<int64_t>(acks.size());

    // The file as the killed process left it.
    CHECK(integrity_check(setup.db) == "ok");
    loyalty::Engine engine = open_engine(setup.db, loyalty::SyncMode::full, 2);
    const loyalty::Session s = engine.session(setup.api_key);
    json v = s.call("ledger.verify", json::object());
    INFO(v.dump());
    REQUIRE(v["ok"] == true);

    // The balance holds every acknowledged earn, plus at most the one in flight at the kill.
    int64_t total = 0;
    for (const auto& [c, b] : balances(s, setup.customers)) total += b["balance"].get<int64_t>();
    const json next = earn_request(setup.customers, cycle, static_cast<int64_t>(acks.size()));
    if (total != expected_total) {
      REQUIRE_MESSAGE(total == expected_total + next["points"].get<int64_t>(),
                      "balance " << total << ", acknowledged " << expected_total);
      // Committed but killed before reporting: it must be there in full.
      const json r = s.call("ledger.earn", next);
      REQUIRE(r["replayed"] == true);
      durable.emplace_back(next, Ack{next["idempotency_key"], r["entry"]["id"], r["entry"]["points"]});
      expected_total = total;
      ++unreported;
    }
    // Every acknowledged key of this cycle replays with the entry first returned.
    for (size_t n = cycle_start; n < durable.size(); ++n) {
      const auto& [req, ack] = durable[n];
      const json r = s.call("ledger.earn", req);
      INFO("replay " << req.dump() << " -> " << r.dump());
      CHECK(r["replayed"] == true);
      CHECK(r["entry"]["id"] == ack.entry_id);
      CHECK(r["entry"]["points"] == ack.points);
    }
  }

  // Finally every key of every cycle is still there, and the ledger and the file are sound.
  loyalty::Engine engine = open_engine(setup.db, loyalty::SyncMode::full, 2);
  const loyalty::Session s = engine.session(setup.api_key);
  int64_t missing = 0;
  for (const auto& [req, ack] : durable) {
    const json r = s.call("ledger.earn", req);
    if (r["replayed"] != true || r["entry"]["id"] != ack.entry_id) ++missing;
  }
  CHECK(missing == 0);
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
  int64_t total = 0;
  for (const auto& [c, b] : balances(s, setup.customers)) total += b["balance"].get<int64_t>();
  CHECK(total == expected_total);
  engine.close();
  CHECK(integrity_check(setup.db) == "ok");
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "stress_crash: %d cycles (%lld early kills, %lld of them before any ack), %lld acknowledged earns, "
      "%lld committed but unreported at the kill, total %lld points; %.2f s\n",
      cycles, static_cast<long long>(early_kills), static_cast<long long>(early_kills_before_ack),
      static_cast<long long>(acked), static_cast<long long>(unreported), static_cast<long long>(expected_total), secs);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--child") return child_main(argc, argv);
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
