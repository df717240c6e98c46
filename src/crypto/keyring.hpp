// The engine's key material for personal data (docs/security.md): the master key the host gives
// (never stored in the database) and a cache of the tenants' data keys it unwraps. The wrapped
// keys themselves live in the database (customers module, CustomerStore); this class only holds
// keys in memory and seals or opens with them.
//
// Hierarchy: master key (host) -> tenant data key (random, wrapped by the master key, AAD
// "loy:tdk|<tenant>") -> customer key (random, wrapped by the tenant key, AAD
// "loy:ck|<tenant>|<customer>") -> the customer's personal fields (AAD
// "loy:pf|<tenant>|<customer>|<field>"). The blind index key is HMAC(tenant key, "loy:blind").
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace loyalty::crypto {

class Keyring {
 public:
  /// `master` is 32 bytes or absent; `ephemeral` says it was made up for an in-memory database.
  Keyring(std::optional<std::string> master, bool ephemeral);
  ~Keyring();
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  bool available() const { return master_.has_value(); }
  bool ephemeral() const { return ephemeral_; }
  /// Hex HMAC of a constant under the master key: recorded in the database so that a later
  /// open with another master key is refused instead of failing row by row.
  std::string check_value() const;

  /// Seals `key` under the master key (text "v1:" + base64), bound to `aad`.
  std::string wrap(std::string_view key, std::string_view aad) const;
  /// The key wrap() sealed; nullopt when it does not open under this master key.
  std::optional<std::string> unwrap(std::string_view wrapped, std::string_view aad) const;

  /// The tenant's data key unwrapped from `wrapped` by an earlier call, if it remembered that
  /// same wrapped text (the caller reads the wrapped key in its own unit of work every time, so
  /// a key whose write was rolled back is never used).
  std::optional<std::string> cached(const std::string& tenant, const std::string& wrapped) const;
  void remember(const std::string& tenant, const std::string& wrapped, const std::string& key);

 private:
  std::optional<std::string> master_;
  bool ephemeral_ = false;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> tenants_;  // tenant -> (wrapped, key)
};

/// Seals `plain` under a 32-byte `key` as text ("v1:" + base64 of nonce | ciphertext | tag).
std::string seal_text(std::string_view key, std::string_view plain, std::string_view aad);
/// Opens what seal_text made; nullopt when malformed or when it does not authenticate.
std::optional<std::string> open_text(std::string_view key, std::string_view sealed, std::string_view aad);
/// Parses a host-given master key: 64 hex digits, or base64 of 32 bytes; nullopt otherwise.
std::optional<std::string> parse_master_key(std::string_view text);

}  // namespace loyalty::crypto
