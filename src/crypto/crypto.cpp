#include "crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cctype>
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

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), md, &len))
    throw Error(Status::error, "HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

namespace {
constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

struct CipherCtx {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  CipherCtx() {
    if (!c) throw Error(Status::nomem, "EVP_CIPHER_CTX_new failed");
  }
  ~CipherCtx() { EVP_CIPHER_CTX_free(c); }
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;
};

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void check_key(std::string_view key) {
  if (key.size() != 32) throw Error(Status::error, "AES-256-GCM needs a 32-byte key");
}
}  // namespace

std::string aead_seal(std::string_view key, std::string_view plaintext, std::string_view aad) {
  check_key(key);
  if (plaintext.size() > (1u << 30)) throw Error(Status::error, "plaintext too large to seal");
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(o, static_cast<int>(kNonce)) != 1)
    throw Error(Status::error, "the system random number generator failed");
  CipherCtx ctx;
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonce), nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.c, nullptr, nullptr, u8(key), o) == 1 &&
            (aad.empty() || EVP_EncryptUpdate(ctx.c, nullptr, &len, u8(aad), static_cast<int>(aad.size())) == 1);
  if (ok && !plaintext.empty())
    ok = EVP_EncryptUpdate(ctx.c, o + kNonce, &len, u8(plaintext), static_cast<int>(plaintext.size())) == 1;
  ok = ok && EVP_EncryptFinal_ex(ctx.c, o + kNonce + plaintext.size(), &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag), o + kNonce + plaintext.size()) == 1;
  if (!ok) throw Error(Status::error, "AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> aead_open(std::string_view key, std::string_view sealed, std::string_view aad) {
  check_key(key);
  if (sealed.size() < kNonce + kTag) return std::nullopt;
  const size_t n = sealed.size() - kNonce - kTag;
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx;
  int len = 0;
  std::string tag(sealed.substr(kNonce + n));
  bool ok = EVP_DecryptInit_ex(ctx.c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonce), nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.c, nullptr, nullptr, u8(key), u8(sealed)) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(ctx.c, nullptr, &len, u8(aad), static_cast<int>(aad.size())) == 1);
  if (ok && n > 0) ok = EVP_DecryptUpdate(ctx.c, o, &len, u8(sealed.substr(kNonce)), static_cast<int>(n)) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag.data()) == 1 &&
       EVP_DecryptFinal_ex(ctx.c, o + n, &len) == 1;
  if (!ok) {
    cleanse(out);
    return std::nullopt;
  }
  return out;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), u8(data), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > (1u << 30)) return std::nullopt;
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return std::nullopt;
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), u8(text), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

void cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace loyalty::crypto
