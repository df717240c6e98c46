// Header test: loyalty.h and loyalty/sys/clock.h compile as C++20 (-pedantic-errors -Werror),
// declare everything in extern "C" and work with C++ idioms (constexpr initialisers, templates).
#include <loyalty.h>
#include <loyalty/sys/clock.h>
#include <loyalty/sys/ai_provider.h>

#include <loyalty.h>  // include guards
#include <loyalty/sys/clock.h>

#include <type_traits>

namespace {

static_assert(std::is_same_v<decltype(&loy_ledger_earn), int (*)(loy_session*, const char*, size_t, loy_buf*)>);
static_assert(std::is_same_v<decltype(&loy_error_last), const loy_error* (*)()>);
static_assert(std::is_trivially_copyable_v<loy_engine_options>);
static_assert(std::is_trivially_copyable_v<loy_sys_clock>);
static_assert(LOY_ENGINE_OPTIONS_VERSION == 2);
static_assert(LOY_SYS_CLOCK_VERSION == 1);

[[maybe_unused]] loy_engine_options options() {
  loy_engine_options o = LOY_ENGINE_OPTIONS_INIT;
  return o;
}

[[maybe_unused]] loy_buf buffer() {
  loy_buf b = LOY_BUF_INIT;
  return b;
}

template <typename Handle>
[[maybe_unused]] int call(int (*fn)(Handle*, const char*, size_t, loy_buf*), Handle* h) {
  loy_buf out = LOY_BUF_INIT;
  const int rc = fn(h, "{}", 2, &out);
  loy_buf_dispose(&out);
  return rc;
}

[[maybe_unused]] int use(loy_session* s, loy_admin* a) { return call(loy_session_info, s) + call(loy_tenant_list, a); }

}  // namespace
