// Small helpers for benchmarks that drive the engine through the public C ABI only
// (loyalty_bench_write_wait, loyalty_callgrind_ops): fail loudly, read an id out of a result, call
// an operation by name.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "loyalty.h"

namespace loybench {

/// Prints `what` with the calling thread's last libloyalty error, then exits 1.
[[noreturn]] inline void die(const std::string& what) {
  const loy_error* e = loy_error_last();
  if (e != nullptr)
    std::fprintf(stderr, "%s: %s (%s) %s\n", what.c_str(), loy_status_str(e->code), e->message, e->detail_json);
  else
    std::fprintf(stderr, "%s\n", what.c_str());
  std::exit(1);
}

/// The string value of `"key":"..."` after the first occurrence of `after` in a JSON text the
/// engine wrote (compact, so no spaces; enough for ids and keys, which are never escaped).
inline std::string field(const std::string& text, const std::string& after, const std::string& key) {
  const size_t from = after.empty() ? 0 : text.find(after);
  const std::string pat = "\"" + key + "\":\"";
  const size_t p = from == std::string::npos ? from : text.find(pat, from);
  if (p == std::string::npos) {
    std::fprintf(stderr, "no %s in %s\n", key.c_str(), text.c_str());
    std::exit(1);
  }
  const size_t b = p + pat.size();
  return text.substr(b, text.find('"', b) - b);
}

/// Runs operation `op` on `in` through `fn` (loy_session_call or loy_admin_call); its result
/// text, or die().
template <typename Handle>
inline std::string call_with(int (*fn)(Handle*, const char*, const char*, size_t, loy_buf*), Handle* h, const char* op,
                             const std::string& in) {
  loy_buf out = LOY_BUF_INIT;
  if (fn(h, op, in.data(), in.size(), &out) != LOY_OK) die(op);
  std::string r(out.data, out.len);
  loy_buf_dispose(&out);
  return r;
}

/// Runs session operation `op` on `in`; its result text, or die().
inline std::string call(loy_session* s, const char* op, const std::string& in) {
  return call_with(loy_session_call, s, op, in);
}

/// Runs administrator operation `op` on `in`; its result text, or die().
inline std::string call_admin(loy_admin* a, const char* op, const std::string& in) {
  return call_with(loy_admin_call, a, op, in);
}

}  // namespace loybench
