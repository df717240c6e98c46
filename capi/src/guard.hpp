// The one guard every C entry point goes through: no exception crosses the ABI.
#pragma once

#include <new>
#include <string>

#include "loyalty.h"
#include "loyalty/core/error.hpp"

namespace loyalty::capi {

void set_error(int code, const std::string& message, const std::string& detail_json);
void clear_error();

/// Runs `fn` (returning void), mapping every exception to a status and the thread's last error.
template <typename Fn>
int guard(Fn&& fn) noexcept {
  try {
    clear_error();
    fn();
    return LOY_OK;
  } catch (const Error& e) {
    try {
      set_error(static_cast<int>(e.status()), e.what(), e.detail().dump());
    } catch (...) {
    }
    return static_cast<int>(e.status());
  } catch (const std::bad_alloc&) {
    set_error(LOY_ENOMEM, "out of memory", "{}");
    return LOY_ENOMEM;
  } catch (const std::exception& e) {
    try {
      set_error(LOY_ERROR, std::string("internal error: ") + e.what(), "{}");
    } catch (...) {
    }
    return LOY_ERROR;
  } catch (...) {
    set_error(LOY_ERROR, "internal error: unknown exception", "{}");
    return LOY_ERROR;
  }
}

[[noreturn]] void misuse(const char* what);

}  // namespace loyalty::capi
