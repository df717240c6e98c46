#include "stress.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "fixture.hpp"

extern char** environ;

namespace loystress {

using loyalty::Error;
using loyalty::Status;

uint64_t base_seed(uint64_t fallback) {
  if (const char* s = std::getenv("LOY_STRESS_SEED"); s && *s) return std::strtoull(s, nullptr, 0);
  return fallback;
}

int64_t scaled(int64_t n, int64_t min) {
  double f = 1.0;
  if (const char* s = std::getenv("LOY_STRESS_SCALE"); s && *s) f = std::strtod(s, nullptr);
  return std::max(min, static_cast<int64_t>(static_cast<double>(n) * f));
}

loyalty::Engine open_engine(const std::string& db, loyalty::SyncMode sync, int32_t pool_size,
                            std::shared_ptr<loyalty::Clock> clock) {
  loyalty::EngineOptions o;
  o.storage.uri = db;
  o.storage.synchronous = sync;
  o.storage.busy_timeout_ms = kBusyTimeoutMs;
  o.storage.pool_size = pool_size;
  o.clock = std::move(clock);
  o.admin_key = loytest::kAdminKey;
  return loyalty::Engine::open(o);
}

Setup create_database(const std::string& db, loyalty::SyncMode sync, int customers) {
  auto engine = open_engine(db, sync, 2, std::make_shared<loyalty::ManualClock>(loytest::kStart));
  auto admin = engine.admin(loytest::kAdminKey);
  json tenant = admin.call("tenant.create", {{"name", "Stress"}});
  Setup s;
  s.db = db;
  s.api_key = tenant["api_key"]["key"].get<std::string>();
  auto session = engine.session(s.api_key);
  session.call("program.create",
               {{"name", "Main"}, {"currency", "EUR"}, {"return_policy", "within_balance"}, {"allow_negative", false}});
  for (int i = 0; i < customers; ++i)
    s.customers.push_back(session.call("customer.enroll", {{"external_id", "cust-" + std::to_string(i)}})["id"]);
  engine.close();
  return s;
}

// ---------------------------------------------------------------------------------------------
// WriterStats

void WriterStats::merge(const WriterStats& o) {
  ops += o.ops;
  busy += o.busy;
  replays += o.replays;
  key_conflicts += o.key_conflicts;
  for (const auto& [k, v] : o.ok) ok[k] += v;
  for (const auto& [k, v] : o.rejected) rejected[k] += v;
  for (const auto& [k, v] : o.effect) effect[k] += v;
  acked.insert(acked.end(), o.acked.begin(), o.acked.end());
  entries.insert(entries.end(), o.entries.begin(), o.entries.end());
  failures.insert(failures.end(), o.failures.begin(), o.failures.end());
}

json WriterStats::to_json() const {
  json a = json::array();
  for (const auto& x : acked) a.push_back({{"op", x.op}, {"request", x.request}, {"response", x.response}});
  return {{"ops", ops},           {"busy", busy},       {"ok", ok},
          {"rejected", rejected}, {"replays", replays}, {"key_conflicts", key_conflicts},
          {"effect", effect},     {"acked", a},         {"failures", failures},
          {"entries", entries}};
}

WriterStats WriterStats::from_json(const json& j) {
  WriterStats s;
  s.ops = j.at("ops");
  s.busy = j.at("busy");
  s.replays = j.at("replays");
  s.key_conflicts = j.at("key_conflicts");
  s.ok = j.at("ok").get<std::map<std::string, int64_t>>();
  s.rejected = j.at("rejected").get<std::map<std::string, int64_t>>();
  s.effect = j.at("effect").get<std::map<std::string, int64_t>>();
  s.failures = j.at("failures").get<std::vector<std::string>>();
  s.entries = j.at("entries").get<std::vector<std::string>>();
  for (const auto& x : j.at("acked")) s.acked.push_back({x.at("op"), x.at("request"), x.at("response")});
  return s;
}

std::string WriterStats::summary() const {
  std::ostringstream o;
  o << ops << " ops (" << replays << " replays, " << key_conflicts << " reused keys with another amount, " << busy
    << " busy, " << acked.size() << " keyed acks); ok:";
  for (const auto& [k, v] : ok) o << ' ' << k << '=' << v;
  o << "; rejected:";
  for (const auto& [k, v] : rejected) o << ' ' << k << '=' << v;
  return o.str();
}

// ---------------------------------------------------------------------------------------------
// The random operation mix

namespace {

enum class Kind {
  earn,
  adjust_credit,
  adjust_debit,
  reverse,
  hold_create,
  hold_commit,
  hold_void,
  replay,
  run_due,
  redeem,
  refund
};

struct Weighted {
  Kind kind;
  int weight;
};

constexpr Weighted kMix[] = {{Kind::earn, 28},     {Kind::adjust_credit, 5}, {Kind::adjust_debit, 10},
                             {Kind::reverse, 14},  {Kind::hold_create, 12},  {Kind::hold_commit, 9},
                             {Kind::hold_void, 6}, {Kind::replay, 14},       {Kind::run_due, 2},
                             {Kind::redeem, 6},    {Kind::refund, 4}};

Kind pick_kind(std::mt19937_64& rng) {
  int total = 0;
  for (const auto& w : kMix) total += w.weight;
  int r = std::uniform_int_distribution<int>(0, total - 1)(rng);
  for (const auto& w : kMix) {
    if (r < w.weight) return w.kind;
    r -= w.weight;
  }
  return Kind::earn;
}

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

bool chance(std::mt19937_64& rng, int percent) { return uniform(rng, 0, 99) < percent; }

/// Checks a balance object returned by any operation: nothing may be negative.
void check_balance(const json& b, const std::string& what, std::vector<std::string>& failures) {
  const int64_t balance = b.at("balance"), available = b.at("available"), held = b.at("held"),
                pending = b.at("pending");
  if (balance < 0 || available < 0 || held < 0 || held > balance || pending != 0)
    failures.push_back(what + ": impossible balance " + b.dump());
}

class Writer {
 public:
  Writer(const loyalty::Session& s, const WriterConfig& c, SharedPools& p, WriterStats& st)
      : session_(s), cfg_(c), pools_(p), stats_(st), rng_(c.seed) {}

  void run() {
    for (int64_t n = 0; n < cfg_.ops; ++n) {
      if (cfg_.clock) cfg_.clock->advance(100);
      step(n);
      ++stats_.ops;
    }
  }

 private:
  const std::string& customer() {
    return cfg_.customers[static_cast<size_t>(uniform(rng_, 0, static_cast<int64_t>(cfg_.customers.size()) - 1))];
  }
  std::string key(int64_t n) const { return cfg_.key_prefix + "-" + std::to_string(n); }

  void step(int64_t n) {
    switch (pick_kind(rng_)) {
      case Kind::earn:
        return earn(n);
      case Kind::adjust_credit: {
        json in = {{"customer_id", customer()}, {"points", uniform(rng_, 1, 60)}, {"reason", "stress credit"}};
        if (chance(rng_, 70)) in["idempotency_key"] = key(n);
        (void)write("ledger.adjust", in, {}, in["points"]);
        return;
      }
      case Kind::adjust_debit: {
        json in = {{"customer_id", customer()}, {"points", -uniform(rng_, 1, 300)}, {"reason", "stress debit"}};
        if (chance(rng_, 70)) in["idempotency_key"] = key(n);
        (void)write("ledger.adjust", in, {Status::insufficient}, in["points"]);
        return;
      }
      case Kind::reverse:
        return reverse(n);
      case Kind::hold_create: {
        json in = {{"customer_id", customer()},
                   {"points", uniform(rng_, 1, 150)},
                   {"ttl_seconds", uniform(rng_, 1, 600)},
                   {"idempotency_key", key(n)}};
        json out = write("hold.create", in, {Status::insufficient}, nullptr);
        if (!out.is_null()) {
          std::lock_guard lock(pools_.mu);
          pools_.holds.emplace_back(out["hold"]["id"], out["hold"]["points"]);
          if (pools_.holds.size() > 300) pools_.holds.erase(pools_.holds.begin());
        }
        return;
      }
      case Kind::hold_commit:
      case Kind::hold_void:
        return resolve_hold(n);
      case Kind::replay:
        return replay();
      case Kind::run_due:
        (void)write("ledger.run_due", json::object(), {}, nullptr);
        return;
      case Kind::redeem: {
        json in = {{"customer_id", customer()}, {"points", uniform(rng_, 1, 120)}};
        if (chance(rng_, 70)) in["idempotency_key"] = key(n);
        remember_redeem(write("ledger.redeem", in, {Status::insufficient}, -in["points"].get<int64_t>()));
        return;
      }
      case Kind::refund:
        return refund(n);
    }
  }

  void remember_redeem(const json& out) {
    if (out.is_null()) return;
    std::lock_guard lock(pools_.mu);
    pools_.redeems.push_back(out["entry"]["id"]);
    if (pools_.redeems.size() > 300) pools_.redeems.erase(pools_.redeems.begin());
  }

  void refund(int64_t n) {
    std::string target;
    {
      std::lock_guard lock(pools_.mu);
      if (!pools_.redeems.empty())
        target = pools_.redeems[static_cast<size_t>(uniform(rng_, 0, static_cast<int64_t>(pools_.redeems.size()) - 1))];
    }
    if (target.empty()) return earn(n);
    json in = {{"entry_id", target}};
    if (chance(rng_, 60)) in["idempotency_key"] = key(n);
    if (chance(rng_, 50)) in["points"] = uniform(rng_, 1, 40);
    json out = write("ledger.refund", in, {Status::conflict}, in.contains("points") ? in["points"] : json(nullptr));
    if (!out.is_null() && out["expired_on_refund"] != 0)
      stats_.failures.push_back("ledger.refund: points expired in a program without expiry: " + out.dump());
  }

  void earn(int64_t n) {
    json in = {{"customer_id", customer()}, {"points", uniform(rng_, 1, 100)}, {"idempotency_key", key(n)}};
    if (chance(rng_, 20)) in["metadata"] = {{"order", key(n)}, {"lines", uniform(rng_, 1, 9)}};
    json out = write("ledger.earn", in, {}, in["points"]);
    if (!out.is_null()) {
      std::lock_guard lock(pools_.mu);
      pools_.earns.push_back(out["entry"]["id"]);
    }
  }

  void reverse(int64_t n) {
    std::string target;
    if (chance(rng_, 30)) {
      // An earn from the database, possibly written by another thread or process.
      try {
        json h = session_.call("ledger.history", {{"customer_id", customer()}, {"types", {"earn"}}, {"limit", 20}});
        if (!h["items"].empty())
          target = h["items"][static_cast<size_t>(uniform(rng_, 0, static_cast<int64_t>(h["items"].size()) - 1))]["id"];
      } catch (const Error& e) {
        if (e.status() == Status::busy) {
          ++stats_.busy;
          return;
        }
        stats_.failures.push_back(std::string("ledger.history: ") + e.what());
        return;
      }
    }
    if (target.empty()) {
      std::lock_guard lock(pools_.mu);
      if (!pools_.earns.empty())
        target = pools_.earns[static_cast<size_t>(uniform(rng_, 0, static_cast<int64_t>(pools_.earns.size()) - 1))];
    }
    if (target.empty()) return earn(n);
    json in = {{"entry_id", target}, {"idempotency_key", key(n)}};
    if (chance(rng_, 50)) in["points"] = uniform(rng_, 1, 60);
    write("ledger.reverse", in, {Status::conflict, Status::insufficient}, nullptr);
  }

  void resolve_hold(int64_t n) {
    std::string id;
    int64_t points = 0;
    {
      std::lock_guard lock(pools_.mu);
      if (!pools_.holds.empty())
        std::tie(id, points) =
            pools_.holds[static_cast<size_t>(uniform(rng_, 0, static_cast<int64_t>(pools_.holds.size()) - 1))];
    }
    if (id.empty()) return earn(n);
    if (chance(rng_, 60)) {
      json in = {{"id", id}};
      if (chance(rng_, 60)) in["idempotency_key"] = key(n);
      if (chance(rng_, 40)) in["points"] = uniform(rng_, 1, points);  // a partial commit
      remember_redeem(write("hold.commit", in, {Status::conflict}, nullptr));
    } else {
      write("hold.void", {{"id", id}}, {Status::conflict}, nullptr);
    }
    // Mostly forget resolved holds; a few stay to be resolved again (conflict or no-op).
    if (chance(rng_, 85)) {
      std::lock_guard lock(pools_.mu);
      auto it = std::find_if(pools_.holds.begin(), pools_.holds.end(), [&](const auto& h) { return h.first == id; });
      if (it != pools_.holds.end()) pools_.holds.erase(it);
    }
  }

  void replay() {
    Acked a;
    {
      std::lock_guard lock(pools_.mu);
      if (pools_.acked.empty()) return;
      a = pools_.acked[static_cast<size_t>(uniform(rng_, 0, static_cast<int64_t>(pools_.acked.size()) - 1))];
    }
    if (a.request.contains("points") && chance(rng_, 20)) {
      // The same key with another amount must be refused, naming the field, and change nothing.
      json changed = a.request;
      const int64_t p = changed["points"];
      changed["points"] = p > 0 ? p + 1 : p - 1;  // still valid input on its own
      ++stats_.key_conflicts;
      try {
        json r = session_.call(a.op, changed);
        stats_.failures.push_back("reused key with another amount " + a.op + " " + changed.dump() +
                                  " was accepted: " + r.dump());
      } catch (const Error& e) {
        if (e.status() == Status::busy) {
          ++stats_.busy;
        } else if (e.status() != Status::conflict || e.field() != "points") {
          stats_.failures.push_back("reused key with another amount " + a.op + " " + changed.dump() +
                                    " gave the wrong error: " + loyalty::error_json(e).dump());
        }
      }
      return;
    }
    ++stats_.replays;
    try {
      json r = session_.call(a.op, a.request);
      if (r.value("replayed", false) != true) {
        stats_.failures.push_back("replay of " + a.op + " " + a.request.dump() +
                                  " was not marked replayed: " + r.dump());
        return;
      }
      r["replayed"] = false;
      if (r != a.response)
        stats_.failures.push_back("replay of " + a.op + " " + a.request.dump() + " returned " + r.dump() +
                                  ", originally " + a.response.dump());
    } catch (const Error& e) {
      if (e.status() == Status::busy) {
        ++stats_.busy;
        return;
      }
      stats_.failures.push_back("replay of " + a.op + " " + a.request.dump() + " failed: " + e.what());
    }
  }

  /// Runs one write. Returns the response when acknowledged, null otherwise. `expect_points`,
  /// when a number, is the entry's expected signed points.
  json write(const std::string& op, const json& in, std::initializer_list<Status> allowed, const json& expect_points) {
    json out;
    try {
      out = session_.call(op, in);
    } catch (const Error& e) {
      if (e.status() == Status::busy) {
        // Not acknowledged: nothing to track (the transaction rolled back).
        ++stats_.busy;
        return nullptr;
      }
      if (std::find(allowed.begin(), allowed.end(), e.status()) != allowed.end()) {
        ++stats_.rejected[op];
        return nullptr;
      }
      stats_.failures.push_back(op + " " + in.dump() + " failed unexpectedly: " + loyalty::error_json(e).dump());
      return nullptr;
    } catch (const std::exception& e) {
      stats_.failures.push_back(op + " " + in.dump() + " threw: " + e.what());
      return nullptr;
    }
    ++stats_.ok[op];
    const std::string what = op + " " + in.dump();
    if (out.contains("replayed") && out["replayed"] != false)
      stats_.failures.push_back(what + ": a fresh write was not marked replayed=false: " + out.dump());
    if (out.contains("balance")) check_balance(out["balance"], what, stats_.failures);
    if (out.contains("entry")) {
      const json& e = out["entry"];
      if (e["status"] != "posted") stats_.failures.push_back(what + ": entry not posted: " + e.dump());
      const int64_t pts = e["points"];
      if (expect_points.is_number() && pts != expect_points.get<int64_t>())
        stats_.failures.push_back(what + ": entry points " + std::to_string(pts) + " != requested");
      if (op == "ledger.refund" && pts <= 0) stats_.failures.push_back(what + ": a refund of no points: " + e.dump());
      if (op == "ledger.reverse" || op == "hold.commit") {
        if (pts >= 0) stats_.failures.push_back(what + ": a debit with non-negative points: " + e.dump());
        if (in.contains("points") && pts != -in["points"].get<int64_t>())
          stats_.failures.push_back(what + ": debited " + std::to_string(-pts) + " points, asked for " +
                                    in["points"].dump());
      }
      stats_.effect[e["customer_id"].get<std::string>()] += pts;
      stats_.entries.push_back(e["id"].get<std::string>());
    }
    if (in.contains("idempotency_key")) {
      if (!out.contains("replayed"))
        stats_.failures.push_back(what + ": a keyed write without 'replayed': " + out.dump());
      Acked a{op, in, out};
      stats_.acked.push_back(a);
      std::lock_guard lock(pools_.mu);
      pools_.acked.push_back(std::move(a));
    }
    return out;
  }

  const loyalty::Session& session_;
  const WriterConfig& cfg_;
  SharedPools& pools_;
  WriterStats& stats_;
  std::mt19937_64 rng_;
};

}  // namespace

void run_writer(const loyalty::Session& session, const WriterConfig& cfg, SharedPools& pools, WriterStats& stats) {
  try {
    Writer(session, cfg, pools, stats).run();
  } catch (const std::exception& e) {
    stats.failures.push_back(std::string("writer aborted: ") + e.what());
  }
}

void run_reader(const loyalty::Session& session, const std::vector<std::string>& customers, uint64_t seed,
                const std::atomic<bool>& stop, ReaderStats& stats) {
  std::mt19937_64 rng(seed);
  try {
    for (int64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
      try {
        if (n % 50 == 49) {
          json v = session.call("ledger.verify", json::object());
          ++stats.verifies;
          if (v["ok"] != true) stats.failures.push_back("ledger.verify during the run: " + v.dump());
        } else {
          const auto& c = customers[static_cast<size_t>(uniform(rng, 0, static_cast<int64_t>(customers.size()) - 1))];
          json b = session.call("ledger.balance", {{"customer_id", c}});
          ++stats.balances;
          check_balance(b, "ledger.balance", stats.failures);
        }
      } catch (const Error& e) {
        if (e.status() != Status::busy) throw;
        ++stats.busy;
      }
      if (stats.failures.size() > 20) return;
      // Readers observe; they should not starve the writers of the CI machine's two cores.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  } catch (const std::exception& e) {
    stats.failures.push_back(std::string("reader aborted: ") + e.what());
  }
}

std::vector<std::string> replay_all(const loyalty::Session& session, const std::vector<Acked>& acked) {
  std::vector<std::string> failures;
  for (const auto& a : acked) {
    try {
      json r = session.call(a.op, a.request);
      if (r.value("replayed", false) != true) {
        failures.push_back("acknowledged " + a.op + " " + a.request.dump() +
                           " is missing (executed afresh: " + r.dump() + ")");
        continue;
      }
      r["replayed"] = false;
      if (r != a.response)
        failures.push_back("replay of " + a.op + " " + a.request.dump() + " returned " + r.dump() + ", originally " +
                           a.response.dump());
    } catch (const std::exception& e) {
      failures.push_back("replay of " + a.op + " " + a.request.dump() + " failed: " + e.what());
    }
  }
  return failures;
}

std::map<std::string, json> balances(const loyalty::Session& session, const std::vector<std::string>& customers) {
  std::map<std::string, json> out;
  for (const auto& c : customers) out[c] = session.call("ledger.balance", {{"customer_id", c}});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Processes

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot resolve /proc/self/exe: " + ec.message());
  return p.string();
}

pid_t spawn(const std::vector<std::string>& args, int stdout_fd) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&fa, stdout_fd, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn failed: " + std::string(std::strerror(rc)));
  return pid;
}

std::string wait_child(pid_t pid, int* exit_code, int* signal) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (signal) *signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::thread> start_writers(const loyalty::Engine& engine, const Setup& setup, uint64_t seed, int64_t ops,
                                       const std::string& prefix, loyalty::ManualClock* clock, SharedPools& pools,
                                       std::vector<WriterStats>& stats) {
  std::vector<std::thread> writers;
  for (size_t w = 0; w < stats.size(); ++w)
    writers.emplace_back([&engine, &setup, &pools, &stats, seed, ops, prefix, clock, w] {
      try {
        const loyalty::Session s = engine.session(setup.api_key);
        WriterConfig cfg{seed * 31 + w, ops, prefix + std::to_string(w), setup.customers, clock};
        run_writer(s, cfg, pools, stats[w]);
      } catch (const std::exception& e) {
        stats[w].failures.push_back(std::string("writer setup: ") + e.what());
      }
    });
  return writers;
}

}  // namespace loystress
