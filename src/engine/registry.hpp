// The operation tables of every module, joined by the engine's dispatcher.
#pragma once

#include <span>
#include <string_view>

#include "engine/engine_state.hpp"

namespace loyalty::detail {

std::span<const OpDef> tenant_admin_ops();
std::span<const OpDef> tenant_session_ops();
std::span<const OpDef> program_ops();
std::span<const OpDef> customer_ops();
std::span<const OpDef> ledger_ops();
std::span<const OpDef> audit_session_ops();
std::span<const OpDef> audit_admin_ops();
std::span<const OpDef> event_ops();
std::span<const OpDef> tier_ops();
std::span<const OpDef> rule_ops();
std::span<const OpDef> location_ops();
std::span<const OpDef> checkin_ops();
std::span<const OpDef> reward_ops();
std::span<const OpDef> ai_ops();
std::span<const OpDef> analytics_ops();

/// Runs the session operation `op` with the caller's context (its tenant, session and scope
/// already checked): how one operation composes others (customer.export).
json call_session_op(Ctx& ctx, std::string_view op, const json& input);

}  // namespace loyalty::detail
