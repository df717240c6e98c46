/*
 * Header test: loyalty.h and loyalty/sys/clock.h compile as strict C99 (-std=c99 -pedantic-errors
 * -Wall -Wextra -Werror), in either include order, and the program links and runs against the
 * shared library.
 */
#include <loyalty.h>
#include <loyalty.h> /* include guards */
#include <loyalty/sys/ai_provider.h>
#include <loyalty/sys/clock.h>
#include <loyalty/version.h>

#include <stdio.h>
#include <string.h>

static int64_t fixed_now(void *ctx) {
  (void)ctx;
  return INT64_C(1772366400000); /* 2026-03-01T12:00:00Z */
}

int main(void) {
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  loy_sys_clock clock;
  loy_engine *engine = NULL;
  loy_admin *admin = NULL;
  loy_buf out = LOY_BUF_INIT;
  const loy_error *err = NULL;
  const char *key = "header-test-admin-credential";
  const char *req = "{\"name\":\"C99\"}";
  int failures = 0;

  clock.version = LOY_SYS_CLOCK_VERSION;
  clock.ctx = NULL;
  clock.now_ms = fixed_now;
  opts.clock = &clock;
  opts.admin_key = key;
  opts.synchronous = LOY_SYNC_NORMAL;

  if (strcmp(loy_version_string(), LOY_VERSION_STRING) != 0 || loy_version_number() != LOY_VERSION_NUMBER ||
      loy_abi_version() != LOY_ABI_VERSION) {
    fprintf(stderr, "version mismatch: %s\n", loy_version_string());
    ++failures;
  }
  if (strcmp(loy_status_str(LOY_ENOTFOUND), "not found") != 0) ++failures;
  if (loy_engine_open(&opts, NULL) != LOY_EMISUSE) ++failures;
  err = loy_error_last();
  if (err == NULL || err->code != LOY_EMISUSE) ++failures;
  loy_error_clear();

  if (loy_engine_open(&opts, &engine) != LOY_OK) {
    fprintf(stderr, "open failed: %s\n", loy_error_last()->message);
    return 1;
  }
  if (loy_admin_open(engine, key, strlen(key), &admin) != LOY_OK) ++failures;
  if (loy_tenant_create(admin, req, strlen(req), &out) != LOY_OK || out.data == NULL ||
      strstr(out.data, "\"created_at\":\"2026-03-01T12:00:00.000Z\"") == NULL) {
    ++failures;
  }
  loy_buf_dispose(&out);
  loy_buf_dispose(&out);
  loy_admin_free(admin);
  loy_engine_close(engine);
  loy_engine_free(engine);
  printf("libloyalty %s (ABI %d): header test %s\n", loy_version_string(), loy_abi_version(),
         failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
