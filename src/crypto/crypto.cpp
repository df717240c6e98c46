#include "crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstring>

#include "loyalty/core/error.hpp"

namespace loyalty::crypto {
namespace {

// Random bytes for ids come from a per-thread buffer refilled 4 KiB at a time: one RAND_bytes
// call per 256 ids instead of one per id (ids are identifiers, not secrets; secrets such as API
// keys use random_bytes, which is not buffered). A forked child must not reuse its parent's
// buffered bytes: fork bumps a generation that makes every thread's buffer stale.
std::atomic<uint64_t> fork_generation{0};

void after_fork_in_child() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct IdRandom {
  uint8_t buf[4096];
  size_t pos = sizeof buf;
  uint64_t generation = 0;

  void take(uint8_t* out, size_t n) {
    static const int registered = pthread_atfork(nullptr, nullptr, after_fork_in_child);
    (void)registered;
    const uint64_t g = fork_generation.load(std::memory_order_relaxed);
    if (g != generation) pos = sizeof buf, generation = g;
    if (sizeof buf - pos < n) {
      if (RAND_bytes(buf, static_cast<int>(sizeof buf)) != 1)
        throw Error(Status::error, "the system random number generator failed");
      pos = 0;
    }
    std::memcpy(out, buf + pos, n);
    OPENSSL_cleanse(buf + pos, n);  // each byte is handed out once
    pos += n;
  }
};

void id_random(uint8_t* out, size_t n) {
  thread_local IdRandom r;
  r.take(out, n);
}

}  // namespace

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
  uint8_t bytes[16];
  id_random(bytes, sizeof bytes);
  return std::string(prefix) + "_" + base32(bytes, sizeof bytes);
}

std::string new_sortable_id(std::string_view prefix, int64_t now_ms) {
  uint8_t bytes[16];
  const auto t = static_cast<uint64_t>(now_ms < 0 ? 0 : now_ms);
  for (int k = 0; k < 6; ++k) bytes[k] = static_cast<uint8_t>(t >> (8 * (5 - k)));
  id_random(bytes + 6, 10);
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
