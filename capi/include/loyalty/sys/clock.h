/*
 * Clock plugin: inject the engine's time source (tests pin it; hosts may supply their own).
 * Set loy_engine_options.clock to a loy_sys_clock; loy_engine_open copies the struct, and a
 * version other than LOY_SYS_CLOCK_VERSION or a NULL now_ms is LOY_EMISUSE.
 */
#ifndef LOYALTY_SYS_CLOCK_H
#define LOYALTY_SYS_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A clock. The struct is copied at loy_engine_open (it may be freed afterwards), but ctx is kept:
 * it must stay valid until every handle of the engine (the engine, its admins and its sessions)
 * has been freed, not only the engine handle.
 * Thread-safety: now_ms may be called from any thread, concurrently, also inside database
 * transactions; it must be cheap and must not call into libloyalty.
 * Range: now_ms must return 0..253402300799999 (1970-01-01T00:00:00.000Z to
 * 9999-12-31T23:59:59.999Z); a reading outside fails the operation that read it with
 * LOY_EINVALID, field "clock" (detail value, min, max), before anything is written.
 */
typedef struct loy_sys_clock {
  int version;                     /**< LOY_SYS_CLOCK_VERSION */
  void *ctx;                       /**< passed to now_ms; borrowed for the life of the engine's handles */
  int64_t (*now_ms)(void *ctx);    /**< UTC milliseconds since the Unix epoch; any thread */
} loy_sys_clock;
#define LOY_SYS_CLOCK_VERSION 1

#ifdef __cplusplus
}
#endif

#endif /* LOYALTY_SYS_CLOCK_H */
