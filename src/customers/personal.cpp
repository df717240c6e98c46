#include "customers/personal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/input.hpp"
#include "crypto/crypto.hpp"
#include "crypto/keyring.hpp"
#include "tenants/tenant_store.hpp"

namespace loyalty::detail {
namespace {

constexpr const char* kMetaEncryption = "personal_encryption";
constexpr const char* kMetaCheck = "master_key_check";

std::string tdk_aad(const std::string& tenant) { return "loy:tdk|" + tenant; }
std::string ck_aad(const std::string& tenant, const std::string& customer) {
  return "loy:ck|" + tenant + "|" + customer;
}
std::string pf_aad(const std::string& tenant, const std::string& customer) {
  return "loy:pf|" + tenant + "|" + customer + "|profile";
}

/// The tenant's data key: unwrapped from storage (or from the keyring's cache of that same wrapped
/// text), else (create) made and stored in this unit.
std::optional<std::string> tenant_key(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant, bool create,
                                      Timestamp now) {
  auto& ring = *e.keyring;
  if (!ring.available()) return std::nullopt;
  if (auto wrapped = tx.customers().tenant_key(tenant)) {
    if (auto k = ring.cached(tenant, *wrapped)) return k;
    auto k = ring.unwrap(*wrapped, tdk_aad(tenant));
    if (!k)
      throw Error(Status::forbidden, fmt::format("the master key does not open tenant '{}''s data key", tenant),
                  "master_key");
    ring.remember(tenant, *wrapped, *k);
    return k;
  }
  if (!create) return std::nullopt;
  const auto r = crypto::random_bytes(32);
  std::string k(r.begin(), r.end());
  tx.customers().insert_tenant_key(tenant, ring.wrap(k, tdk_aad(tenant)), now);
  return k;
}

std::optional<std::string> customer_key(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant,
                                        const std::string& customer, bool create, Timestamp now) {
  auto tk = tenant_key(e, tx, tenant, create, now);
  if (!tk) return std::nullopt;
  std::optional<std::string> out;
  if (auto wrapped = tx.customers().customer_key(customer)) {
    out = crypto::open_text(*tk, *wrapped, ck_aad(tenant, customer));
    if (!out) throw Error(Status::storage, fmt::format("customer '{}''s key does not open", customer));
  } else if (create) {
    const auto r = crypto::random_bytes(32);
    out = std::string(r.begin(), r.end());
    tx.customers().insert_customer_key(tenant, customer, crypto::seal_text(*tk, *out, ck_aad(tenant, customer)));
  }
  crypto::cleanse(*tk);
  return out;
}

std::string normalise(const std::string& kind, const std::string& value) {
  std::string out;
  if (kind == "phone") {
    for (char c : value)
      if (std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && out.empty())) out.push_back(c);
    return out;
  }
  size_t b = 0, e = value.size();
  while (b < e && std::isspace(static_cast<unsigned char>(value[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(value[e - 1]))) --e;
  for (size_t i = b; i < e; ++i) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(value[i]))));
  return out;
}

std::string blind_hash(const std::string& tdk, const std::string& kind, const std::string& value) {
  const std::string bik = crypto::hmac_sha256(tdk, "loy:blind");
  return crypto::hex(crypto::hmac_sha256(bik, kind + '\0' + normalise(kind, value)));
}

}  // namespace

PersonalMode personal_mode(EngineState& e, storage::UnitOfWork& tx) {
  if (e.keyring->available()) return PersonalMode::encrypted;
  return tx.customers().privacy_meta(kMetaEncryption) == "on" ? PersonalMode::unavailable : PersonalMode::plain;
}

std::vector<std::string> personal_fields(storage::UnitOfWork& tx, const std::string& tenant) {
  std::vector<std::string> out(std::begin(kPersonalFields), std::end(kPersonalFields));
  if (auto t = tx.tenants().tenant(tenant)) {
    const json settings = parse_stored(t->settings);
    const auto sec = settings.find("security");
    if (sec != settings.end() && sec->is_object()) {
      const auto pf = sec->find("personal_fields");
      if (pf != sec->end() && pf->is_array())
        for (const auto& f : *pf)
          if (f.is_string()) out.push_back(f.get<std::string>());
    }
  }
  return out;
}

json take_personal(json& profile, const std::vector<std::string>& fields) {
  json out = json::object();
  for (const auto& f : fields) {
    auto it = profile.find(f);
    if (it == profile.end()) continue;
    out[f] = std::move(*it);
    profile.erase(it);
  }
  return out;
}

std::optional<std::string> seal_personal(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant,
                                         const std::string& customer, const json& personal, Timestamp now) {
  std::vector<std::pair<std::string, std::string>> lookups;
  std::optional<std::string> sealed;
  if (!personal.empty()) {
    auto ck = customer_key(e, tx, tenant, customer, true, now);
    std::string text = personal.dump();
    sealed = crypto::seal_text(*ck, text, pf_aad(tenant, customer));
    crypto::cleanse(text);
    crypto::cleanse(*ck);
    auto tk = tenant_key(e, tx, tenant, true, now);
    for (const char* kind : {"email", "phone"}) {
      const auto it = personal.find(kind);
      if (it != personal.end() && it->is_string() && !it->get<std::string>().empty())
        lookups.emplace_back(kind, blind_hash(*tk, kind, it->get<std::string>()));
    }
    crypto::cleanse(*tk);
  }
  tx.customers().set_lookups(tenant, customer, lookups);
  return sealed;
}

OpenedPersonal open_personal(EngineState& e, storage::UnitOfWork& tx, const storage::CustomerRecord& c) {
  OpenedPersonal out;
  if (c.erased_at) {
    out.state = "erased";
    return out;
  }
  if (!c.personal) {
    out.state = "available";
    return out;
  }
  if (!e.keyring->available()) {
    out.state = "unavailable";
    return out;
  }
  auto ck = customer_key(e, tx, c.tenant_id, c.id, false, 0);
  if (!ck) {
    out.state = "unavailable";
    return out;
  }
  auto text = crypto::open_text(*ck, *c.personal, pf_aad(c.tenant_id, c.id));
  crypto::cleanse(*ck);
  if (!text) throw Error(Status::storage, fmt::format("customer '{}''s personal fields do not open", c.id));
  out.fields = parse_stored(*text);
  crypto::cleanse(*text);
  out.state = "available";
  return out;
}

std::optional<std::string> blind_lookup(EngineState& e, storage::UnitOfWork& tx, const std::string& tenant,
                                        const std::string& kind, const std::string& value) {
  auto tk = tenant_key(e, tx, tenant, false, 0);
  if (!tk) return std::nullopt;
  auto h = blind_hash(*tk, kind, value);
  crypto::cleanse(*tk);
  return h;
}

bool personal_data_ready(EngineState& e) {
  auto& ring = *e.keyring;
  storage::Transaction tx(*e.db, storage::TxMode::read);
  const auto check = tx.customers().privacy_meta(kMetaCheck);
  if (!ring.available()) {
    if (tx.customers().privacy_meta(kMetaEncryption) == "on")
      e.emit(LogLevel::warn, "opened without the master key: personal fields are unavailable");
    return true;
  }
  if (check) {
    if (!crypto::equal_ct(*check, ring.check_value()))
      throw Error(Status::forbidden, "master_key is not the key this database's personal data is encrypted with",
                  "master_key");
    if (tx.customers().privacy_meta(kMetaEncryption) == "on") return true;
  }
  return false;
}

void seal_plain_personal_data(EngineState& e, storage::UnitOfWork& tx) {
  auto& ring = *e.keyring;
  auto& cs = tx.customers();
  if (const auto check = cs.privacy_meta(kMetaCheck); check && cs.privacy_meta(kMetaEncryption) == "on") return;
  const Timestamp now = e.now();
  cs.set_secure_delete(true);
  int64_t after = 0, sealed = 0;
  std::string fields_tenant;
  std::vector<std::string> fields;
  for (;;) {
    const auto batch = cs.all_customers(after, 500);
    if (batch.empty()) break;
    for (const auto& c : batch) {
      after = c.seq;
      if (c.personal || c.erased_at) continue;
      if (c.tenant_id != fields_tenant) fields = personal_fields(tx, c.tenant_id), fields_tenant = c.tenant_id;
      json profile = parse_stored(c.profile);
      json personal = take_personal(profile, fields);
      if (personal.empty()) continue;
      storage::CustomerUpdate u;
      u.tenant_id = c.tenant_id;
      u.id = c.id;
      u.profile = profile.dump();
      u.updated_at = c.updated_at;
      u.set_personal = true;
      u.personal = seal_personal(e, tx, c.tenant_id, c.id, personal, now);
      cs.update_customer(u);
      ++sealed;
    }
  }
  cs.set_secure_delete(false);
  cs.set_privacy_meta(kMetaEncryption, "on");
  cs.set_privacy_meta(kMetaCheck, ring.check_value());
  if (sealed > 0) e.emit(LogLevel::info, fmt::format("sealed the personal fields of {} customers", sealed));
}

}  // namespace loyalty::detail
