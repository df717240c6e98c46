#include "loyalty/core/error.hpp"

namespace loyalty {

const char* status_str(Status s) noexcept {
  switch (s) {
    case Status::ok: return "ok";
    case Status::error: return "internal error";
    case Status::invalid: return "invalid input";
    case Status::not_found: return "not found";
    case Status::conflict: return "conflict";
    case Status::insufficient: return "insufficient points";
    case Status::out_of_stock: return "out of stock";
    case Status::limit: return "limit exceeded";
    case Status::forbidden: return "forbidden";
    case Status::unavailable: return "unavailable";
    case Status::busy: return "database busy";
    case Status::storage: return "storage error";
    case Status::misuse: return "API misuse";
    case Status::nomem: return "out of memory";
  }
  return "unknown status";
}

const char* status_name(Status s) noexcept {
  switch (s) {
    case Status::ok: return "ok";
    case Status::error: return "error";
    case Status::invalid: return "invalid";
    case Status::not_found: return "not_found";
    case Status::conflict: return "conflict";
    case Status::insufficient: return "insufficient";
    case Status::out_of_stock: return "out_of_stock";
    case Status::limit: return "limit";
    case Status::forbidden: return "forbidden";
    case Status::unavailable: return "unavailable";
    case Status::busy: return "busy";
    case Status::storage: return "storage";
    case Status::misuse: return "misuse";
    case Status::nomem: return "nomem";
  }
  return "error";
}

nlohmann::json error_json(const Error& e) {
  nlohmann::json j = {{"code", static_cast<int>(e.status())}, {"status", status_name(e.status())}, {"message", e.what()}};
  j["field"] = e.field().empty() ? nlohmann::json(nullptr) : nlohmann::json(e.field());
  if (e.detail().size() > (e.field().empty() ? 0u : 1u)) j["detail"] = e.detail();
  return j;
}

Error::Error(Status status, const std::string& message, std::string field, nlohmann::json detail)
    : std::runtime_error(message), status_(status), field_(std::move(field)), detail_(std::move(detail)) {
  if (!detail_.is_object()) detail_ = nlohmann::json::object();
  if (!field_.empty()) detail_["field"] = field_;
}

}  // namespace loyalty
