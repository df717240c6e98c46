// Leaf crypto service over OpenSSL: randomness, hashing, encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loyalty::crypto {

/// Cryptographically secure random bytes (OpenSSL RAND_bytes); throws Status::error on failure.
std::vector<uint8_t> random_bytes(size_t n);
/// Lowercase Crockford base32 (no padding), readable and URL-safe.
std::string base32(const uint8_t* data, size_t n);
/// A random identifier `<prefix>_<26 base32 chars>` carrying 128 bits of randomness.
std::string new_id(std::string_view prefix);
/// A time-ordered identifier `<prefix>_<26 base32 chars>`: 48 bits of milliseconds then 80
/// random bits, so new rows append to an index instead of landing on random pages.
std::string new_sortable_id(std::string_view prefix, int64_t now_ms);
/// Lowercase hex SHA-256.
std::string sha256_hex(std::string_view data);
/// Constant-time equality of two strings of the same length.
bool equal_ct(std::string_view a, std::string_view b);

/// Raw HMAC-SHA256 (32 bytes) of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);
/// AES-256-GCM with a random 96-bit nonce: returns nonce (12) | ciphertext | tag (16). `key` is
/// 32 bytes; `aad` is authenticated, not stored (the caller binds the ciphertext to its place).
std::string aead_seal(std::string_view key, std::string_view plaintext, std::string_view aad);
/// Opens what aead_seal made under the same key and aad; nullopt when it does not authenticate.
std::optional<std::string> aead_open(std::string_view key, std::string_view sealed, std::string_view aad);
/// Standard base64 with padding, and its inverse (nullopt for malformed text).
std::string base64(std::string_view data);
std::optional<std::string> unbase64(std::string_view text);
/// Hex (either case, even length) to bytes; nullopt for malformed text.
std::optional<std::string> unhex(std::string_view text);
/// Lowercase hex of raw bytes.
std::string hex(std::string_view data);
/// Overwrites `s` with zeros (OPENSSL_cleanse), for key material about to be released.
void cleanse(std::string& s);

}  // namespace loyalty::crypto
