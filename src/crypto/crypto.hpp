// Leaf crypto service over OpenSSL: randomness, hashing, encodings.
#pragma once

#include <cstddef>
#include <cstdint>
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

}  // namespace loyalty::crypto
