// Errors of the C++ API. Expected business outcomes carry a Status; the C ABI maps each Status
// one-to-one onto a pinned `loy_status` value (see capi/include/loyalty.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace loyalty {

/// Status codes. Values are pinned and mirror `loy_status`; never renumber, only append.
enum class Status : int32_t {
  ok = 0,
  error = -1,         ///< unexpected internal error
  invalid = -2,       ///< bad input: malformed JSON, unknown field, wrong type, out of range
  not_found = -3,     ///< no such object in this tenant
  conflict = -4,      ///< idempotency key reused with another payload, or a uniqueness clash
  insufficient = -5,  ///< not enough available points
  out_of_stock = -6,  ///< reward stock exhausted
  limit = -7,         ///< a configured limit would be exceeded
  forbidden = -8,     ///< credential lacks the scope, or policy forbids the operation
  unavailable = -9,   ///< a dependency (provider, tenant) is unavailable or deactivated
  busy = -10,         ///< the database stayed locked past the configured deadline
  storage = -11,      ///< the storage layer failed (I/O, corruption, full disk)
  misuse = -12,       ///< API misuse: NULL argument, closed engine, wrong handle
  nomem = -13,        ///< out of memory
};

/// Short static text for a status ("invalid input", "not found", ...).
const char* status_str(Status s) noexcept;
/// The status as an identifier: "invalid", "not_found", ... (used in JSON error objects).
const char* status_name(Status s) noexcept;

/// The exception every module throws for an expected failure. `field` names the offending
/// input field (a JSON path such as `events[3].points`) when there is one.
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message, std::string field = {},
        nlohmann::json detail = nlohmann::json::object());

  Status status() const noexcept { return status_; }
  const std::string& field() const noexcept { return field_; }
  /// Machine-readable detail: always an object; includes "field" when set.
  const nlohmann::json& detail() const noexcept { return detail_; }

 private:
  Status status_;
  std::string field_;
  nlohmann::json detail_;
};

/// `{"code": -2, "status": "invalid", "message": ..., "field": ...}` for an error.
nlohmann::json error_json(const Error& e);

}  // namespace loyalty
