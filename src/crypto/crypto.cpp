#include "crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "loyalty/core/error.hpp"

namespace loyalty::crypto {

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1)
    throw Error(Status::error, "the system random number generator failed");
  return out;
}

std::string base32(const uint8_t* data, size_t n) {
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string new_id(std::string_view prefix) {
  const auto bytes = random_bytes(16);
  return std::string(prefix) + "_" + base32(bytes.data(), bytes.size());
}

std::string new_sortable_id(std::string_view prefix, int64_t now_ms) {
  uint8_t bytes[16];
  const auto t = static_cast<uint64_t>(now_ms < 0 ? 0 : now_ms);
  for (int k = 0; k < 6; ++k) bytes[k] = static_cast<uint8_t>(t >> (8 * (5 - k)));
  if (RAND_bytes(bytes + 6, 10) != 1) throw Error(Status::error, "the system random number generator failed");
  return std::string(prefix) + "_" + base32(bytes, sizeof bytes);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw Error(Status::error, "SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace loyalty::crypto
