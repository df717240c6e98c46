// Customers' personal data at rest (docs/security.md): which profile fields are personal, their
// sealing under per-customer keys (wrapped by the tenant's data key, itself wrapped by the
// host's master key), the blind index of e-mails and phones, and the one-time encryption of a
// file written in plain text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "customers/customer_store.hpp"
#include "engine/engine_state.hpp"

namespace loyalty::detail {

/// Profile keys that are personal for every tenant; a tenant adds its own in
/// settings.security.personal_fields.
inline constexpr const char* kPersonalFields[] = {"name",  "first_name", "last_name", "email",
                                                  "phone", "birthday",   "address"};

/// How a customer's personal fields are stored in this database.
enum class PersonalMode {
  plain,        // no master key was ever given to this file: personal fields stay in `profile`
  encrypted,    // sealed, and this engine holds the master key
  unavailable,  // sealed, and this engine was opened without the master key
};
PersonalMode personal_mode(EngineState& e, storage::UnitOfWork& tx);

/// The tenant's personal profile keys (kPersonalFields and settings.security.personal_fields).
std::vector<std::string> personal_fields(storage::UnitOfWork& tx, const std::string& tenant);

/// Splits `profile` into its personal fields (returned) and the rest (left in `profile`).
nlohmann::json take_personal(nlohmann::json& profile, const std::vector<std::string>& fields);

/// Seals `personal` (a JSON object; empty means none) for the customer and replaces its blind
/// index rows (e-mail, phone). Returns what goes in CustomerRecord::personal (nullopt: none).
/// Needs PersonalMode::encrypted; creates the tenant and customer keys on first use.
std::optional<std::string> seal_personal(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant,
                                         const std::string& customer, const nlohmann::json& personal, Timestamp now);

/// What a stored customer's personal fields are: "available" (opened, or plain), "unavailable"
/// (sealed and no master key, or its key cannot open them), "erased", "none".
struct OpenedPersonal {
  nlohmann::json fields = nlohmann::json::object();
  const char* state = "none";
};
OpenedPersonal open_personal(EngineState& e, storage::UnitOfWork& tx, const storage::CustomerRecord& c);

/// The blind index hash of an e-mail or phone ("email", "phone") for the tenant, when its data
/// key exists and the engine holds the master key.
std::optional<std::string> blind_lookup(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant,
                                        const std::string& kind, const std::string& value);

/// customer.export: everything the engine holds about a customer, as one document.
nlohmann::json customer_export(Ctx& ctx, const nlohmann::json& in);
/// customer.erase: destroys the customer's personal data and key material; the ledger stays.
nlohmann::json customer_erase(Ctx& ctx, const nlohmann::json& in);

/// At engine open: refuses a master key other than the one the file was encrypted with
/// (Status::forbidden, field master_key); false when a key is given and the file still needs
/// seal_plain_personal_data (its first open with a master key).
bool personal_data_ready(EngineState& e);
/// Seals the personal fields of every customer of a file written in plain text, with secure
/// delete on, and records the master key's check value; in the engine's write at open.
void seal_plain_personal_data(EngineState& e, storage::UnitOfWork& tx);

}  // namespace loyalty::detail
