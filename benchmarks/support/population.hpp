// Populating benchmark databases: a tenant and a program created through the API, and large
// customer populations bulk-inserted with raw SQL (enrolling a million customers through the
// API would take far longer than any measurement).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/core/engine.hpp"

namespace loybench {

inline constexpr const char* kAdminKey = "benchmark-admin-credential-0123456789";

/// Opens an engine on `path` (a plain file path) with the engine's defaults and `sync`.
loyalty::Engine open_engine(const std::string& path, loyalty::SyncMode sync, bool with_admin_key);

/// A tenant with one program created through the API, and `enroll` customers enrolled through it.
struct Created {
  std::string api_key, tenant_id, program_id;
  std::vector<std::string> customers;
};
Created create_tenant(const std::string& path, int64_t enroll);

/// The same-length customer ids of the bulk-inserted customers ("cus_" + 26 characters).
std::string bulk_customer_id(int64_t n);

/// Bulk-inserts `count` customers with one account each in the program (raw SQL matching
/// src/storage/schema.cpp, one transaction; accounts get the ids 1..count when the table was
/// empty). Every row's created_at is `now`.
void bulk_populate(const std::string& path, const std::string& tenant_id, const std::string& program_id, int64_t count,
                   int64_t now);

}  // namespace loybench
