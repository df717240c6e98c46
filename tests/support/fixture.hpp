// Shared test fixture: an engine on a pinned clock with one tenant, one program and helpers.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "loyalty/core/engine.hpp"

namespace loytest {

using loyalty::json;
using loyalty::Status;

inline constexpr const char* kAdminKey = "test-admin-credential-0123456789";
/// 2026-03-01T12:00:00Z
inline constexpr loyalty::Timestamp kStart = 1772366400000;

/// Runs `expr`, requiring a loyalty::Error with `status` (and, when given, naming `field`).
#define LOY_REQUIRE_ERROR(expr, status_, field_)                                                  \
  do {                                                                                            \
    bool loy_thrown_ = false;                                                                     \
    try {                                                                                         \
      (void)(expr);                                                                               \
    } catch (const loyalty::Error& loy_e_) {                                                      \
      loy_thrown_ = true;                                                                         \
      INFO("message: " << std::string(loy_e_.what()));                                            \
      CHECK(loy_e_.status() == (status_));                                                        \
      if (std::string(field_).size()) CHECK(loy_e_.field() == std::string(field_));               \
    }                                                                                             \
    CHECK_MESSAGE(loy_thrown_, "expected an error from: " #expr);                                 \
  } while (0)

/// A temporary directory removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  std::string db(const std::string& name = "test.db") const { return (path / name).string(); }
};

struct World {
  std::shared_ptr<loyalty::ManualClock> clock;
  loyalty::Engine engine;
  loyalty::Admin admin;
  json tenant;     // {tenant, api_key}
  loyalty::Session session;
  std::string program_id;

  /// `program` is merged into a default program {name, currency: EUR}.
  explicit World(json program = json::object(), std::string uri = ":memory:",
                 loyalty::SyncMode sync = loyalty::SyncMode::full);

  json call(std::string_view op, const json& in) const { return session.call(op, in); }
  std::string enroll(const std::string& external_id) const;
  json earn(const std::string& customer, int64_t points, json extra = json::object()) const;
  json balance(const std::string& customer) const;
  /// A second tenant on the same engine, with its own program.
  std::pair<loyalty::Session, std::string> other_tenant(const std::string& name) const;
  void require_verified() const;
};

}  // namespace loytest
