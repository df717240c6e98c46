#include "ledger/idempotency.hpp"

#include <fmt/format.h>

#include <set>

#include "core/input.hpp"
#include "ledger/ledger_store.hpp"

namespace loyalty::detail {

using nlohmann::json;

namespace {
std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
}  // namespace

std::string first_difference(const json& a, const json& b, const std::string& path) {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const bool ha = a.contains(k), hb = b.contains(k);
      if (ha != hb) return join(path, k);
      auto d = first_difference(a[k], b[k], join(path, k));
      if (!d.empty()) return d;
    }
    return {};
  }
  if (a.is_array() && b.is_array()) {
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      const std::string p = fmt::format("{}[{}]", path, i);
      if (i >= a.size() || i >= b.size()) return p;
      auto d = first_difference(a[i], b[i], p);
      if (!d.empty()) return d;
    }
    return {};
  }
  return a == b ? std::string() : (path.empty() ? std::string("(payload)") : path);
}

std::optional<IdemKey> idem_key(const json& input, const std::string& operation, const std::string& path) {
  auto it = input.find("idempotency_key");
  if (it == input.end() || it->is_null()) return std::nullopt;
  const std::string field = join(path, "idempotency_key");
  if (!it->is_string() || it->get_ref<const std::string&>().empty() || it->get_ref<const std::string&>().size() > 200)
    throw Error(Status::invalid, field + ": must be a string of 1 to 200 bytes", field);
  // The request compared on replay: the input without the key, and without null fields (a
  // field given as null means the same as a field left out).
  IdemKey k{it->get<std::string>(), operation, json::object()};
  for (const auto& [name, value] : input.items())
    if (name != "idempotency_key" && !value.is_null()) k.request[name] = value;
  return k;
}

std::optional<json> idem_lookup(storage::UnitOfWork& tx, const std::string& tenant, const IdemKey& k,
                                const std::string& path) {
  const auto r = tx.ledger().idempotency(tenant, k.key);
  if (!r) return std::nullopt;
  const std::string field_key = join(path, "idempotency_key");
  if (r->operation != k.operation)
    throw Error(
        Status::conflict,
        fmt::format("idempotency key '{}' was used for operation '{}', not '{}'", k.key, r->operation, k.operation),
        field_key, {{"operation", r->operation}});
  const json stored = parse_stored(r->request);
  const std::string diff = first_difference(stored, k.request);
  if (!diff.empty()) {
    const std::string field = join(path, diff);
    throw Error(Status::conflict, fmt::format("idempotency key '{}' was used with a different '{}'", k.key, field),
                field, {{"idempotency_key", k.key}});
  }
  json response = parse_stored(r->response);
  response["replayed"] = true;
  return response;
}

void idem_store(storage::UnitOfWork& tx, const std::string& tenant, const IdemKey& k, const json& response,
                int64_t now) {
  tx.ledger().put_idempotency(tenant, k.key, {k.operation, k.request.dump(), response.dump()}, now);
}

}  // namespace loyalty::detail
