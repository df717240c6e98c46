// The one frame of every write: the write unit of work, the session re-check, the body (which
// handles its own input and idempotency key inside the unit), the audit rows the body recorded,
// the commit. No module opens a write transaction itself (tests/lint/check_write_tx.cmake); the
// engine's own bookkeeping (engine.cpp) is the only other place one is begun.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit.hpp"
#include "engine/engine_state.hpp"
#include "storage/unit_of_work.hpp"

namespace loyalty::detail {

/// The audit rows one write records; write_op appends them, in the order recorded, after the body
/// has run and before the commit, so a body that throws leaves no row behind (and neither does a
/// replay, which records nothing).
class AuditLog {
 public:
  /// A row on the write's own chain: the session's tenant, or the engine's for admin operations.
  void record(std::string action, std::string target, nlohmann::json detail = nlohmann::json::object()) {
    rows_.push_back({std::nullopt, std::move(action), std::move(target), std::move(detail)});
  }
  /// A row on another chain (tenant.create starts the new tenant's chain with its first key).
  void record_on(std::string chain, std::string action, std::string target,
                 nlohmann::json detail = nlohmann::json::object()) {
    rows_.push_back({std::move(chain), std::move(action), std::move(target), std::move(detail)});
  }

 private:
  struct Row {
    std::optional<std::string> chain;
    std::string action;
    std::string target;
    nlohmann::json detail;
  };
  std::vector<Row> rows_;

 public:
  /// Called by write_op only: appends the recorded rows inside `tx`.
  void append_to(storage::UnitOfWork& tx, const Ctx& ctx, Timestamp now) const {
    for (const auto& r : rows_)
      audit_append(tx,
                   r.chain       ? *r.chain
                   : ctx.session ? ctx.tenant()
                                 : std::string(kEngineChain),
                   ctx.actor(), r.action, r.target, now, r.detail);
  }
};

/// The audit detail of an update, one shape for every object: {field: {"from": before, "to":
/// after}} for each top-level field whose value differs (a field only on one side is compared
/// with null), leaving out the fields named in `ignore` (timestamps, versions).
nlohmann::json audit_changes(const nlohmann::json& before, const nlohmann::json& after,
                             std::initializer_list<std::string_view> ignore = {"updated_at"});

/// Runs `body(tx, audit)` in a write unit of work of the engine: begins it (taking this file's
/// turn in the write queue), re-checks the session's key and tenant (ensure_session_valid; admin
/// operations have no session), runs the body, appends the audit rows it recorded (stamped `now`,
/// by ctx's actor) and commits. Returns what the body returned. An exception from the body rolls
/// everything back. Idempotency stays with the body: a replay returns the stored answer and
/// records nothing, and its unit, having only read, commits nothing.
template <typename Body>
auto write_op(Ctx& ctx, Timestamp now, Body&& body) {
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  AuditLog audit;
  if constexpr (std::is_void_v<std::invoke_result_t<Body, storage::UnitOfWork&, AuditLog&>>) {
    std::forward<Body>(body)(tx.unit(), audit);
    audit.append_to(tx.unit(), ctx, now);
    tx.commit();
  } else {
    auto out = std::forward<Body>(body)(tx.unit(), audit);
    audit.append_to(tx.unit(), ctx, now);
    tx.commit();
    return out;
  }
}

}  // namespace loyalty::detail
