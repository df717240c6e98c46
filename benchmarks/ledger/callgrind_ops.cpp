// A fixed number of one operation through the public C ABI, for instruction counts under
// callgrind (benchmarks/RESULTS.md, "Instructions per operation"). Setup (engine on a fresh file,
// tenant, program, 3 rules, 100 customers, 100 warm-up calls) is the same for every count, so
// the difference between two runs with different counts, divided by the difference of the
// counts, is the cost of one operation without the setup.
//
//   loyalty_callgrind_ops <earn|dry_run|submit|enroll|get> <count> <dir>
//
// enroll and get (customer.enroll with a profile holding personal fields, customer.get by id)
// measure the cost of personal-data encryption (docs/security.md): with LOY_BENCH_MASTER_KEY set
// the engine gets that master key (options version 2); without it the options are version 1, so
// the binary also runs against a library from before the master key (personal fields in plain).
//
// The binary links the shared library, so the same binary measures another build of it:
// LD_LIBRARY_PATH=<dir of that libloyalty.so.1> loyalty_callgrind_ops ...
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "loyalty.h"
#include "support/capi_calls.hpp"

namespace {

using loybench::call;
using loybench::die;
using loybench::field;

std::string purchase(const std::string& order, const std::string& customer) {
  return R"({"order_id":")" + order + R"(","customer_id":")" + customer +
         R"(","items":[{"sku":"COF","category":"beverages","quantity":2,"unit_price":300},)"
         R"({"sku":"CAKE","category":"bakery","quantity":1,"unit_price":400}]})";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <earn|dry_run|submit|enroll|get> <count> <dir>\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const int n = std::atoi(argv[2]);
  if (mode != "earn" && mode != "dry_run" && mode != "submit" && mode != "enroll" && mode != "get")
    die("unknown mode " + mode);
  const std::filesystem::path dir = argv[3];
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / ("callgrind-" + mode + "-" + std::to_string(n) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  const std::string uri = "sqlite://" + path.string();
  const char* admin_key = "bench-admin-credential-0123456789";

  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = uri.c_str();
  opts.admin_key = admin_key;
  opts.synchronous = LOY_SYNC_NORMAL;
  if (const char* mk = std::getenv("LOY_BENCH_MASTER_KEY"))
    opts.master_key = mk;
  else
    opts.version = 1;
  loy_engine* engine = nullptr;
  if (loy_engine_open(&opts, &engine) != LOY_OK) die("loy_engine_open");
  loy_admin* admin = nullptr;
  if (loy_admin_open(engine, admin_key, std::strlen(admin_key), &admin) != LOY_OK) die("loy_admin_open");
  loy_buf tbuf = LOY_BUF_INIT;
  const std::string treq = R"({"name":"callgrind"})";
  if (loy_admin_call(admin, "tenant.create", treq.data(), treq.size(), &tbuf) != LOY_OK) die("tenant.create");
  const std::string key = field(std::string(tbuf.data, tbuf.len), "\"api_key\"", "key");
  loy_buf_dispose(&tbuf);
  loy_admin_free(admin);
  loy_session* s = nullptr;
  if (loy_session_open(engine, key.data(), key.size(), &s) != LOY_OK) die("loy_session_open");

  call(s, "program.create", R"({"name":"Points","currency":"EUR"})");
  call(s, "rule.create", R"({"name":"Base","priority":10,"actions":[{"type":"per_currency","rate":"1"}]})");
  call(s, "rule.create",
       R"({"name":"Bakery","priority":20,"actions":[{"type":"per_currency","rate":"2",)"
       R"("items":{"fact":"item.category","operator":"eq","value":"bakery"}}]})");
  call(s, "rule.create",
       R"({"name":"Big basket","priority":30,"conditions":{"fact":"purchase.amount","operator":"gte","value":5000},)"
       R"("actions":[{"type":"multiply","factor":"2"}]})");
  std::vector<std::string> customers;
  for (int c = 0; c < 100; ++c)
    customers.push_back(
        field(call(s, "customer.enroll",
                   R"({"external_id":"c)" + std::to_string(c) + R"(","profile":{"name":"Ada Lovelace","email":"ada)" +
                       std::to_string(c) + R"(@example.org","phone":"+44 20 7946 0958","tier_hint":"gold"}})"),
              "", "id"));

  auto one = [&](int k) {
    const std::string& customer = customers[static_cast<size_t>(k * 7919) % customers.size()];
    if (mode == "earn")
      call(s, "ledger.earn",
           R"({"customer_id":")" + customer + R"(","points":10,"idempotency_key":"k)" + std::to_string(k) + R"("})");
    else if (mode == "enroll")
      call(s, "customer.enroll",
           R"({"external_id":"e)" + std::to_string(k) + R"(","profile":{"name":"Ada Lovelace","email":"e)" +
               std::to_string(k) + R"(@example.org","phone":"+44 20 7946 0958","tier_hint":"gold"}})");
    else if (mode == "get")
      call(s, "customer.get", R"({"id":")" + customer + R"("})");
    else if (mode == "dry_run")
      call(s, "purchase.dry_run", purchase("d" + std::to_string(k), customer));
    else
      call(s, "purchase.submit", purchase("o" + std::to_string(k), customer));
  };
  for (int k = 0; k < 100; ++k) one(-1 - k);  // warm-up: caches, plans, first pages
  for (int k = 0; k < n; ++k) one(k);
  std::printf("%s x %d done\n", mode.c_str(), n);
  loy_session_free(s);
  loy_engine_free(engine);
  return 0;
}
