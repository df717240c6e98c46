// WAL pages per earn: runs N single-event earns (with idempotency keys, over 1,000 customers,
// synchronous=NORMAL, checkpoints off) and reports how many WAL frames (pages) each commit
// appended; then keeps a copy of the database and its WAL so that
// benchmarks/tools/wal_attribution.py can say which table or index each page belongs to.
//
//   build/bench/benchmarks/loyalty_wal_pages [N=2000] [DIR=/tmp/loyalty-wal-pages]
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "loyalty/core/engine.hpp"

int main(int argc, char** argv) {
  using loyalty::json;
  const int n = argc > 1 ? std::stoi(argv[1]) : 2000;
  const std::filesystem::path dir = argc > 2 ? argv[2] : "/tmp/loyalty-wal-pages";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "ledger.db").string();
  loyalty::EngineOptions o;
  o.storage.uri = path;
  o.storage.synchronous = loyalty::SyncMode::normal;
  o.storage.wal_autocheckpoint = 0;  // keep every frame in the WAL
  o.admin_key = "wal-pages-admin-credential-0123456789";
  loyalty::Engine e = loyalty::Engine::open(o);
  const json t = e.admin(o.admin_key).call("tenant.create", {{"name", "WAL pages"}});
  loyalty::Session s = e.session(t["api_key"]["key"].get<std::string>());
  s.call("program.create", {{"name", "Main"}, {"currency", "EUR"}});
  std::vector<std::string> customers;
  for (int c = 0; c < 1000; ++c)
    customers.push_back(s.call("customer.enroll", {{"external_id", "c" + std::to_string(c)}})["id"]);
  // Warm up (first touches of every page), then measure.
  for (int k = 0; k < 1000; ++k)
    s.call("ledger.earn", {{"customer_id", customers[static_cast<size_t>(k) % 1000]}, {"points", 1}});
  struct stat st {};
  stat((path + "-wal").c_str(), &st);
  const auto before = st.st_size;
  for (int k = 0; k < n; ++k)
    s.call("ledger.earn", {{"customer_id", customers[static_cast<size_t>(k * 7919) % 1000]},
                           {"points", 10},
                           {"idempotency_key", "k" + std::to_string(k)}});
  stat((path + "-wal").c_str(), &st);
  // A WAL frame is a 24-byte header and one 4096-byte page.
  std::printf("%d earns: %.2f WAL pages per earn\n", n, static_cast<double>(st.st_size - before) / 4120.0 / n);
  std::filesystem::copy_file(path, dir / "copy.db");
  std::filesystem::copy_file(path + "-wal", dir / "copy.db-wal");
  std::printf("copy: %s (run benchmarks/tools/wal_attribution.py %s %d)\n", (dir / "copy.db").c_str(),
              (dir / "copy.db").c_str(), n);
  return 0;
}
