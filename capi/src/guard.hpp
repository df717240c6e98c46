// The one guard every C entry point goes through: no exception crosses the ABI.
#pragma once

#include <new>
#include <string>

#include "loyalty.h"
#include "loyalty/core/error.hpp"

namespace loyalty::capi {

void set_error(int code, const std::string& message, const std::string& detail_json);
/// Sets the error to static text (the status string, detail "{}"); allocates nothing, so it is the
/// fallback when recording the full error fails.
void set_error_static(int code) noexcept;
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
      set_error_static(static_cast<int>(e.status()));
    }
    return static_cast<int>(e.status());
  } catch (const std::bad_alloc&) {
    set_error_static(LOY_ENOMEM);
    return LOY_ENOMEM;
  } catch (const std::exception& e) {
    try {
      set_error(LOY_ERROR, std::string("internal error: ") + e.what(), "{}");
    } catch (...) {
      set_error_static(LOY_ERROR);
    }
    return LOY_ERROR;
  } catch (...) {
    try {
      set_error(LOY_ERROR, "internal error: unknown exception", "{}");
    } catch (...) {
      set_error_static(LOY_ERROR);
    }
    return LOY_ERROR;
  }
}

[[noreturn]] void misuse(const char* what);

}  // namespace loyalty::capi
