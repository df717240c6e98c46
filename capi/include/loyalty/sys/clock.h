/*
 * Clock plugin: inject the engine's time source (tests pin it; hosts may supply their own).
 */
#ifndef LOYALTY_SYS_CLOCK_H
#define LOYALTY_SYS_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A clock. The struct is copied at loy_engine_open; ctx must outlive the engine. */
typedef struct loy_sys_clock {
  int version;                     /**< LOY_SYS_CLOCK_VERSION */
  void *ctx;                       /**< passed to now_ms */
  int64_t (*now_ms)(void *ctx);    /**< UTC milliseconds since the Unix epoch; any thread */
} loy_sys_clock;
#define LOY_SYS_CLOCK_VERSION 1

#ifdef __cplusplus
}
#endif

#endif /* LOYALTY_SYS_CLOCK_H */
