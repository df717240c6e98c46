// Customers and their loyalty accounts (one per customer and program).
#pragma once

#include <optional>
#include <string>

#include "engine/engine_state.hpp"
#include "programs/programs.hpp"

namespace loyalty::detail {

/// Verifies the customer belongs to the tenant (Status::not_found naming `field` otherwise).
void require_customer(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                      const std::string& field = "customer_id");
/// Returns the account id of (customer, program), creating the account if the customer has
/// none yet in that program (programs created after enrolment).
/// The customer's rule facts {segments: [...], profile: {...}} (Status::not_found naming `field`
/// for another tenant's or an unknown customer). Used by the rules engine.
nlohmann::json customer_facts(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                              const std::string& field = "customer_id");
/// The customer's birthday from its personal fields (opened with its key; nullopt when it has
/// none, or they are unavailable or erased). Only purchases whose rules read a birthday ask.
std::optional<std::string> customer_birthday(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant_id,
                                             const std::string& customer_id);
int64_t ensure_account(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& customer_id,
                       const Program& program, Timestamp now);

}  // namespace loyalty::detail
