#include "population.hpp"

#include <fmt/format.h>

#include "raw_sqlite.hpp"

namespace loybench {

using loyalty::json;
using loyalty::SyncMode;

loyalty::Engine open_engine(const std::string& path, SyncMode sync, bool with_admin_key) {
  loyalty::EngineOptions o;
  o.storage.uri = path;
  o.storage.synchronous = sync;
  if (with_admin_key) o.admin_key = kAdminKey;
  return loyalty::Engine::open(o);
}

Created create_tenant(const std::string& path, int64_t enroll) {
  // Setup runs with synchronous=NORMAL (quick); the measured engine is reopened on the same file.
  loyalty::Engine e = open_engine(path, SyncMode::normal, true);
  const json t = e.admin(kAdminKey).call("tenant.create", {{"name", "Benchmark"}});
  Created c;
  c.api_key = t["api_key"]["key"].get<std::string>();
  c.tenant_id = t["tenant"]["id"].get<std::string>();
  loyalty::Session s = e.session(c.api_key);
  c.program_id = s.call("program.create", {{"name", "Main"}, {"currency", "EUR"}})["id"].get<std::string>();
  for (int64_t n = 0; n < enroll; ++n)
    c.customers.push_back(s.call("customer.enroll", {{"external_id", fmt::format("c{}", n)}})["id"].get<std::string>());
  e.close();
  return c;
}

std::string bulk_customer_id(int64_t n) { return fmt::format("cus_benchmark{:017d}", n); }

void bulk_populate(const std::string& path, const std::string& tenant_id, const std::string& program_id, int64_t count,
                   int64_t now) {
  RawDb db(path, SyncMode::normal);
  db.exec("PRAGMA foreign_keys=ON");
  db.exec("PRAGMA cache_size=-524288");  // 512 MiB for the index builds of this connection only
  db.exec("BEGIN IMMEDIATE");
  {
    RawStmt cus(db.handle(),
                "INSERT INTO customers(id, tenant_id, external_id, profile, preferences, segments, created_at, "
                "updated_at) VALUES(?1, ?2, ?3, '{}', '{}', '[]', ?4, ?4)");
    RawStmt acc(db.handle(),
                "INSERT INTO accounts(tenant_id, customer_id, program_id, created_at) VALUES(?1, ?2, ?3, ?4)");
    for (int64_t n = 0; n < count; ++n) {
      const std::string id = bulk_customer_id(n);
      cus.bind(1, id).bind(2, tenant_id).bind(3, fmt::format("ext{:09d}", n)).bind(4, now).run();
      acc.bind(1, tenant_id).bind(2, id).bind(3, program_id).bind(4, now).run();
    }
  }
  db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace loybench
