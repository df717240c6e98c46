/*
 * AI provider plugin: the host's own model behind the engine's AI operations (the "callback"
 * provider kind; docs/ai.md). Register it with loy_engine_set_ai_provider; a tenant uses it after
 * `ai.configure {"provider": "callback"}`.
 */
#ifndef LOYALTY_SYS_AI_PROVIDER_H
#define LOYALTY_SYS_AI_PROVIDER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One AI operation of a host provider. `input` is the operation's documented JSON input (UTF-8,
 * `input_len` bytes, not NUL-terminated; borrowed for the call). On success the function returns
 * 0 and sets `*output` to the documented JSON output, `output_len` bytes, allocated by the host;
 * the engine copies it and then calls the provider's free_output(ctx, *output) exactly once. Any
 * other return value means the provider failed (the engine reports LOY_EUNAVAILABLE and stores
 * nothing); `*output` is then ignored, but freed with free_output when not NULL.
 * Output that is not JSON or breaks the operation's schema is LOY_EINVALID and never stored.
 * Thread-safety: may be called from several threads at once, never inside a database
 * transaction; it must not call back into the engine that invoked it.
 */
typedef int (*loy_ai_provider_fn)(void *ctx, const char *input, size_t input_len, char **output,
                                  size_t *output_len);

/**
 * A host AI provider. loy_engine_set_ai_provider copies the struct (it may be freed afterwards),
 * but ctx is kept: it must stay valid until the provider is unregistered (or replaced) and every
 * call already running has returned, or until every handle of the engine has been freed.
 */
typedef struct loy_ai_provider {
  int version;                              /**< LOY_AI_PROVIDER_VERSION */
  void *ctx;                                /**< passed to every function; borrowed */
  const char *model;                        /**< model name recorded with results (copied); NULL: "host" */
  loy_ai_provider_fn recommendations;       /**< input {customer, candidates, limit} */
  loy_ai_provider_fn churn;                 /**< input {customers, reference} */
  loy_ai_provider_fn segmentation;          /**< input {customers} */
  loy_ai_provider_fn feedback;              /**< input {items} */
  loy_ai_provider_fn location_insights;     /**< input {window_days, timezone, locations} */
  void (*free_output)(void *ctx, char *output); /**< releases an output of the functions above */
} loy_ai_provider;
#define LOY_AI_PROVIDER_VERSION 1

#ifdef __cplusplus
}
#endif

#endif /* LOYALTY_SYS_AI_PROVIDER_H */
