// The engine (a database plus configuration; thread-safe), the engine administrator (creates
// tenants) and the session (one tenant, bound by an API key; one thread at a time).
//
// Domain operations take and return JSON objects. Every operation has a name ("ledger.earn");
// the C ABI, the bindings and the scenario driver all go through Session::call / Admin::call,
// so every surface validates and behaves the same.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "loyalty/core/error.hpp"
#include "loyalty/core/time.hpp"
#include "loyalty/storage/options.hpp"

namespace loyalty {

using nlohmann::json;

enum class LogLevel : int32_t { debug = 0, info = 1, warn = 2, error = 3 };
using LogFn = std::function<void(LogLevel, std::string_view)>;

struct EngineOptions {
  StorageOptions storage;
  /// Time source; the system clock when null.
  std::shared_ptr<Clock> clock;
  /// Receives diagnostics; may be called from any thread.
  LogFn log;
  /// The engine administrator's credential (at least 16 bytes). The first engine to open a
  /// database with one records its hash; later opens may omit it. Without a recorded
  /// credential no tenant can be created.
  std::string admin_key;
  /// The master key of personal data (docs/security.md): 32 bytes as 64 hex digits or as
  /// base64. Never stored in the database. Without it, a database whose personal fields are
  /// encrypted still opens and serves the ledger, and personal fields are reported
  /// unavailable; an in-memory database without it gets a random key of its own.
  std::string master_key;
};

namespace detail {
struct EngineState;
struct SessionState;
}  // namespace detail

class Admin;
class Session;

class Engine {
 public:
  /// Opens (creating and migrating if needed) the database named by options.storage.uri.
  static Engine open(EngineOptions options);

  /// Authenticates the engine administrator; Status::forbidden on a wrong credential.
  Admin admin(std::string_view admin_key) const;
  /// Opens a session for the tenant owning `api_key`; Status::forbidden for an unknown or
  /// revoked key or a deactivated tenant.
  Session session(std::string_view api_key) const;

  /// Closes the engine: every later call on it or on its sessions fails with Status::misuse.
  /// Idempotent. Memory is released when the last handle goes away.
  void close();
  bool closed() const;

  const std::shared_ptr<detail::EngineState>& state() const { return state_; }

 private:
  explicit Engine(std::shared_ptr<detail::EngineState> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::EngineState> state_;
};

class Admin {
 public:
  /// Runs an engine-level operation ("tenant.create", "tenant.list", ...).
  json call(std::string_view op, const json& input) const;
  /// True once the engine has been closed.
  bool closed() const;
  const std::shared_ptr<detail::EngineState>& engine() const { return engine_; }

 private:
  friend class Engine;
  explicit Admin(std::shared_ptr<detail::EngineState> e) : engine_(std::move(e)) {}
  std::shared_ptr<detail::EngineState> engine_;
};

class Session {
 public:
  /// Runs a tenant-scoped operation ("ledger.earn", "customer.enroll", ...).
  json call(std::string_view op, const json& input) const;
  /// The same as `call(op, input).dump()`, written directly as text by the operations that can
  /// (purchase.dry_run): what the C ABI returns.
  std::string call_text(std::string_view op, const json& input) const;
  /// call_text on JSON text (parsed as parse_json parses, or read without a document by the
  /// operations that can: `purchase.dry_run`); errors as if the text were parsed first.
  std::string call_raw(std::string_view op, std::string_view json_text) const;
  const std::string& tenant_id() const;
  /// True once the engine has been closed.
  bool closed() const;
  const std::shared_ptr<detail::SessionState>& state() const { return state_; }

 private:
  friend class Engine;
  explicit Session(std::shared_ptr<detail::SessionState> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::SessionState> state_;
};

/// Deepest nesting of arrays and objects accepted in a JSON input.
inline constexpr int kMaxJsonDepth = 64;
/// Parses UTF-8 JSON input: Status::invalid for malformed text (detail "byte") or nesting deeper
/// than kMaxJsonDepth. Every surface (C ABI, bindings) parses inputs with it.
json parse_json(std::string_view text);

/// Names of all session operations, and all admin operations (for docs and bindings).
std::vector<std::string> session_operations();
std::vector<std::string> admin_operations();

}  // namespace loyalty
