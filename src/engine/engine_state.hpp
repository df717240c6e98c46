// Internal state shared by the engine, its admin and its sessions.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/input.hpp"
#include "loyalty/core/engine.hpp"
#include "storage/unit_of_work.hpp"

namespace loyalty::crypto {
class Keyring;  // the master key and the unwrapped tenant data keys (crypto/keyring.hpp)
}

namespace loyalty::detail {

struct FenceCache;  // locations module: the per-tenant in-memory geofence indexes
struct PlanCache;   // rules module: the compiled rule plans of this engine's programs
namespace ai {
struct AiState;  // ai module: the host provider and the per-tenant provider cache
}

struct EngineState {
  std::unique_ptr<storage::Database> db;  // the backend (storage/unit_of_work.hpp)
  std::shared_ptr<Clock> clock;
  LogFn log;
  std::atomic<bool> closed{false};
  std::once_flag fence_cache_once;
  std::shared_ptr<FenceCache> fence_cache;  // created on first use (locations_cache())
  std::once_flag plan_cache_once;
  std::shared_ptr<PlanCache> plan_cache;  // created on first use (rules' plan_for())
  std::once_flag ai_once;
  std::shared_ptr<ai::AiState> ai;           // created on first use (ai::ai_state())
  std::shared_ptr<crypto::Keyring> keyring;  // personal data keys (customers/personal.hpp)

  Timestamp now() const { return clock->now(); }
  void check_open() const;
  void emit(LogLevel level, std::string_view message) const;
};

enum Scope : uint32_t { kScopeRead = 1, kScopePos = 2, kScopeAdmin = 4 };

struct SessionState {
  std::shared_ptr<EngineState> engine;
  std::string tenant_id;
  std::string key_id;
  std::string actor;  // "key:<prefix>"
  uint32_t scopes = 0;
  std::atomic<Timestamp> validated_clock{0};  // engine time of the last successful key check
  std::atomic<Timestamp> validated_real{0};   // steady-clock ms of the same check
};

/// Milliseconds of std::chrono::steady_clock (real elapsed time, never injected).
inline Timestamp steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// How long a session's read access may outlive a revocation or deactivation.
inline constexpr Timestamp kRevalidateMs = 1000;
/// Re-checks the session's key and tenant when the last check is older than kRevalidateMs.
void revalidate(SessionState& s);

/// What an operation handler sees.
struct Ctx {
  EngineState& engine;
  const SessionState* session;  // null for admin operations
  const std::string& tenant() const { return session->tenant_id; }
  const std::string& actor() const;
};

/// Verifies inside a write unit of work that the session's key is still valid and its tenant
/// active, so revocation takes effect for open sessions at their next write.
void ensure_session_valid(const Ctx& ctx, storage::UnitOfWork& tx);

using Handler = json (*)(Ctx&, const json&);
/// The input of a text operation: the caller's document, or its JSON text, which the handler may
/// read without a document (scan_json) and otherwise parses once through dom().
class OpInput {
 public:
  explicit OpInput(const json& dom) : dom_(&dom) {}
  explicit OpInput(std::string_view text) : text_(text), is_text_(true) {}
  /// The text, when the caller gave text.
  [[nodiscard]] std::optional<std::string_view> text() const { return is_text_ ? std::optional(text_) : std::nullopt; }
  /// The document: the caller's, or the text parsed by parse_json (once).
  const json& dom() const {
    if (!dom_) dom_ = &parsed_.emplace(parse_json(text_));
    return *dom_;
  }

 private:
  mutable const json* dom_ = nullptr;
  mutable std::optional<json> parsed_;
  std::string_view text_;
  bool is_text_ = false;
};

/// An operation that writes its result as JSON text itself (no DOM on its hot path).
using TextHandler = std::string (*)(Ctx&, const OpInput&);
struct OpDef {
  const char* name;
  Handler fn;
  uint32_t scope;              // required session scope (ignored for admin operations)
  TextHandler text = nullptr;  // when set, what Session::call_text runs (fn must give the same result)
};

}  // namespace loyalty::detail
