#include "crypto/keyring.hpp"

#include "crypto/crypto.hpp"

namespace loyalty::crypto {

Keyring::Keyring(std::optional<std::string> master, bool ephemeral)
    : master_(std::move(master)), ephemeral_(ephemeral) {}

Keyring::~Keyring() {
  if (master_) cleanse(*master_);
  for (auto& [t, k] : tenants_) cleanse(k.second);
}

std::string Keyring::check_value() const { return hex(hmac_sha256(*master_, "loy:master-check")); }

std::string Keyring::wrap(std::string_view key, std::string_view aad) const { return seal_text(*master_, key, aad); }

std::optional<std::string> Keyring::unwrap(std::string_view wrapped, std::string_view aad) const {
  if (!master_) return std::nullopt;
  return open_text(*master_, wrapped, aad);
}

std::optional<std::string> Keyring::cached(const std::string& tenant, const std::string& wrapped) const {
  std::lock_guard lock(mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end() || it->second.first != wrapped) return std::nullopt;
  return it->second.second;
}

void Keyring::remember(const std::string& tenant, const std::string& wrapped, const std::string& key) {
  std::lock_guard lock(mu_);
  auto& slot = tenants_[tenant];
  cleanse(slot.second);
  slot = {wrapped, key};
}

std::string seal_text(std::string_view key, std::string_view plain, std::string_view aad) {
  return "v1:" + base64(aead_seal(key, plain, aad));
}

std::optional<std::string> open_text(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (sealed.substr(0, 3) != "v1:") return std::nullopt;
  auto raw = unbase64(sealed.substr(3));
  if (!raw) return std::nullopt;
  return aead_open(key, *raw, aad);
}

std::optional<std::string> parse_master_key(std::string_view text) {
  if (text.size() == 64)
    if (auto k = unhex(text)) return k;
  if (text.size() == 44)
    if (auto k = unbase64(text); k && k->size() == 32) return k;
  return std::nullopt;
}

}  // namespace loyalty::crypto
