/* Consumer of the installed package: opens an in-memory engine and prints the library version. */
#include <loyalty.h>
#include <loyalty/sys/clock.h>
#include <loyalty/version.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  loy_engine *engine = NULL;
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = ":memory:";
  if (loy_engine_open(&opts, &engine) != LOY_OK) {
    const loy_error *e = loy_error_last();
    fprintf(stderr, "loy_engine_open failed: %s\n", e ? e->message : "?");
    return 1;
  }
  if (strcmp(loy_version_string(), LOY_VERSION_STRING) != 0 || loy_abi_version() != LOY_ABI_VERSION) {
    fprintf(stderr, "header %s (ABI %d) does not match library %s (ABI %d)\n", LOY_VERSION_STRING, LOY_ABI_VERSION,
            loy_version_string(), loy_abi_version());
    loy_engine_free(engine);
    return 1;
  }
  printf("libloyalty %s\n", loy_version_string());
  loy_engine_close(engine);
  loy_engine_free(engine);
  return 0;
}
