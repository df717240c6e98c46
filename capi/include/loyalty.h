/*
 * libloyalty: the stable C ABI.
 *
 * Conventions (see docs/conventions.md):
 *  - Names are loy_<module>_<verb>. Handles are opaque. Subject first, inputs next, out-params last.
 *  - Every fallible function returns int: LOY_OK (0) or a negative loy_status. Details of the
 *    last failure on the calling thread are in loy_error_last().
 *  - Domain payloads are UTF-8 JSON: (const char *json, size_t len) in, borrowed for the call
 *    only; a loy_buf out, owned by the caller and released with loy_buf_dispose().
 *  - Handles are released with their NULL-safe loy_<type>_free(); children keep their parents
 *    alive, so handles may be freed in any order.
 *
 * Threading (see docs/threading.md):
 *  - loy_engine and loy_admin are thread-safe: any thread, concurrently.
 *  - loy_session is used by one thread at a time (sessions are cheap; open one per thread).
 *  - loy_error_last() is thread-local. Results (loy_buf) are owned by the caller and immutable.
 *
 * Errors: a NULL required argument gives LOY_EMISUSE before anything runs. Bad input gives
 * LOY_EINVALID with detail_json {"field": "..."} naming the offending field, and changes nothing.
 */
#ifndef LOYALTY_H
#define LOYALTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(LOY_BUILDING)
#    define LOY_API __declspec(dllexport)
#  else
#    define LOY_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define LOY_API __attribute__((visibility("default")))
#else
#  define LOY_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status codes: values are pinned forever; new ones are appended.                            */

typedef enum loy_status {
  LOY_OK = 0,
  LOY_ERROR = -1,        /**< unexpected internal error */
  LOY_EINVALID = -2,     /**< bad input: malformed JSON, unknown field, wrong type, out of range */
  LOY_ENOTFOUND = -3,    /**< no such object in this tenant (also: another tenant's object) */
  LOY_ECONFLICT = -4,    /**< idempotency key reused with another payload, duplicate, state conflict */
  LOY_EINSUFFICIENT = -5,/**< not enough available points */
  LOY_EOUTOFSTOCK = -6,  /**< reward stock exhausted */
  LOY_ELIMIT = -7,       /**< a configured limit would be exceeded */
  LOY_EFORBIDDEN = -8,   /**< wrong credential, missing scope, revoked key, or policy forbids it */
  LOY_EUNAVAILABLE = -9, /**< something needed is deactivated or unreachable */
  LOY_EBUSY = -10,       /**< the database stayed locked past the configured busy timeout */
  LOY_ESTORAGE = -11,    /**< storage failure: I/O, corruption, disk full, newer schema */
  LOY_EMISUSE = -12,     /**< API misuse: NULL argument, closed engine */
  LOY_ENOMEM = -13       /**< out of memory */
} loy_status;

/** Details of the last failure on this thread. */
typedef struct loy_error {
  int code;                /**< the loy_status returned */
  const char *message;     /**< human-readable, never NULL */
  const char *detail_json; /**< JSON object, never NULL; "field" names the offending input field */
} loy_error;

/** An owned byte buffer (UTF-8 JSON for every domain result). data is NUL-terminated. */
typedef struct loy_buf {
  char *data;
  size_t len;
} loy_buf;
#define LOY_BUF_INIT {NULL, 0}

/** Opaque handles. */
typedef struct loy_engine loy_engine;   /* thread-safe; loy_engine_open / loy_engine_free */
typedef struct loy_admin loy_admin;     /* thread-safe; loy_admin_open / loy_admin_free */
typedef struct loy_session loy_session; /* one thread at a time; loy_session_open / loy_session_free */

/* ------------------------------------------------------------------------------------------ */
/* Library                                                                                    */

/** Version as MAJOR*1000000 + MINOR*1000 + PATCH. Thread-safe. @since 0.1 */
LOY_API int loy_version_number(void);
/** Version string such as "0.1.0"; static storage. Thread-safe. @since 0.1 */
LOY_API const char *loy_version_string(void);
/** ABI major version (the shared library's SOVERSION). Thread-safe. @since 0.1 */
LOY_API int loy_abi_version(void);
/** JSON object of compiled-in features and operation names; static storage. @since 0.1 */
LOY_API const char *loy_features(void);
/** Static text for a status code ("not found"); never NULL. Thread-safe. @since 0.1 */
LOY_API const char *loy_status_str(int status);
/**
 * The last error raised on the calling thread, or NULL when the last call succeeded.
 * The pointer stays valid until the next libloyalty call on this thread. @since 0.1
 */
LOY_API const loy_error *loy_error_last(void);
/** Clears this thread's last error. @since 0.1 */
LOY_API void loy_error_clear(void);
/** Releases a buffer's memory and resets it to LOY_BUF_INIT; NULL-safe, idempotent. @since 0.1 */
LOY_API void loy_buf_dispose(loy_buf *buf);

/* ------------------------------------------------------------------------------------------ */
/* Engine                                                                                     */

/** Log levels passed to loy_log_fn. */
typedef enum loy_log_level { LOY_LOG_DEBUG = 0, LOY_LOG_INFO = 1, LOY_LOG_WARN = 2, LOY_LOG_ERROR = 3 } loy_log_level;
/** Log sink; may be called from any thread; must not call back into libloyalty. */
typedef void (*loy_log_fn)(void *ctx, int level, const char *message);

struct loy_sys_clock; /* capi/include/loyalty/sys/clock.h */

/** PRAGMA synchronous for the SQLite backend. */
typedef enum loy_sync_mode { LOY_SYNC_FULL = 0, LOY_SYNC_NORMAL = 1 } loy_sync_mode;

/** Options for loy_engine_open. Initialise with LOY_ENGINE_OPTIONS_INIT; fields are only appended. */
typedef struct loy_engine_options {
  int version;                       /**< LOY_ENGINE_OPTIONS_VERSION */
  const char *uri;                   /**< "sqlite:///path.db", a path, or ":memory:" (NULL = ":memory:") */
  const char *admin_key;             /**< engine admin credential, >= 16 bytes, or NULL */
  int synchronous;                   /**< loy_sync_mode; default LOY_SYNC_FULL */
  int busy_timeout_ms;               /**< wait for the write lock before LOY_EBUSY; default 5000 */
  int pool_size;                     /**< connections kept open; default 4 (1 for :memory:) */
  const struct loy_sys_clock *clock; /**< injected clock or NULL for the system clock; copied */
  loy_log_fn log;                    /**< log sink or NULL */
  void *log_ctx;                     /**< passed to log */
  int cache_mb;                      /**< page cache per connection in MiB; default 64 */
  int wal_autocheckpoint;            /**< WAL pages before a commit checkpoints; default 10000 */
} loy_engine_options;
#define LOY_ENGINE_OPTIONS_VERSION 1
#define LOY_ENGINE_OPTIONS_INIT \
  {LOY_ENGINE_OPTIONS_VERSION, NULL, NULL, LOY_SYNC_FULL, 5000, 4, NULL, NULL, NULL, 64, 10000}

/**
 * Opens an engine on the database named by opts->uri, creating and migrating it as needed.
 * @param opts options (NULL = all defaults: in-memory database); borrowed for the call.
 * @param[out] out receives the engine; release with loy_engine_free().
 * @return LOY_OK; LOY_EINVALID (bad option, field named); LOY_ESTORAGE (cannot open, newer
 *         schema); LOY_EBUSY; LOY_EMISUSE (out NULL or unknown options version).
 * Thread-safety: any thread. @since 0.1
 */
LOY_API int loy_engine_open(const loy_engine_options *opts, loy_engine **out);
/**
 * Closes the engine: later calls on it and on its admins and sessions fail with LOY_EMISUSE.
 * Memory is released when the last handle is freed. Idempotent. @since 0.1
 */
LOY_API int loy_engine_close(loy_engine *engine);
/** Releases the caller's reference; NULL-safe. Sessions opened from it stay usable. @since 0.1 */
LOY_API void loy_engine_free(loy_engine *engine);

/* ------------------------------------------------------------------------------------------ */
/* Engine administrator: tenants                                                              */

/**
 * Authenticates the engine administrator.
 * @param key the admin credential (borrowed); @param key_len its length in bytes.
 * @param[out] out receives the admin handle; release with loy_admin_free().
 * @return LOY_OK; LOY_EFORBIDDEN (wrong or unconfigured credential); LOY_EMISUSE. @since 0.1
 */
LOY_API int loy_admin_open(loy_engine *engine, const char *key, size_t key_len, loy_admin **out);
/** Releases an admin handle; NULL-safe. @since 0.1 */
LOY_API void loy_admin_free(loy_admin *admin);

/*
 * The admin and session operations below share one shape:
 *   int f(subject, const char *json, size_t len, loy_buf *out)
 * json is an object (borrowed for the call; len bytes, need not be NUL-terminated); out receives
 * the result JSON and must be released with loy_buf_dispose(). On failure out is left empty and
 * nothing has changed. Payload fields are documented in docs/ (tenancy.md, ledger.md).
 */

/** Creates a tenant {name, slug?, timezone?, settings?}; the result holds the tenant and its first
 *  admin API key (shown once). LOY_ECONFLICT for a taken slug. @since 0.1 */
LOY_API int loy_tenant_create(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Gets a tenant {id}. LOY_ENOTFOUND. @since 0.1 */
LOY_API int loy_tenant_get(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Lists tenants {limit?, cursor?, active?} -> {items, next_cursor}. @since 0.1 */
LOY_API int loy_tenant_list(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Updates {id, name?, timezone?, settings?{branding, loyalty, security, notifications}}. @since 0.1 */
LOY_API int loy_tenant_update(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Deactivates a tenant {id}: no session can open; open sessions fail their next write. @since 0.1 */
LOY_API int loy_tenant_deactivate(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Reactivates a tenant {id}. @since 0.1 */
LOY_API int loy_tenant_activate(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Creates an API key for a tenant {tenant_id, name?, scopes[]}; the secret is shown once. @since 0.1 */
LOY_API int loy_tenant_apikey_create(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** The engine-level audit chain {limit?, cursor?, action?, target?, from?, to?}. @since 0.1 */
LOY_API int loy_admin_audit_list(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Verifies the engine-level audit chain {} -> {ok, rows_checked, first_bad_seq}. @since 0.1 */
LOY_API int loy_admin_audit_verify(loy_admin *admin, const char *json, size_t len, loy_buf *out);

/* ------------------------------------------------------------------------------------------ */
/* Sessions                                                                                   */

/**
 * Opens a session bound to the tenant owning api_key.
 * @return LOY_OK; LOY_EFORBIDDEN (unknown, malformed or revoked key; deactivated tenant);
 *         LOY_EMISUSE (NULL argument, closed engine). @since 0.1
 */
LOY_API int loy_session_open(loy_engine *engine, const char *api_key, size_t key_len, loy_session **out);
/** Releases a session; NULL-safe. @since 0.1 */
LOY_API void loy_session_free(loy_session *session);
/** {} -> {tenant, key_id, scopes}. Scope: read. @since 0.1 */
LOY_API int loy_session_info(loy_session *session, const char *json, size_t len, loy_buf *out);

/** Creates an API key {name?, scopes[]} for the session's tenant. Scope: admin. @since 0.1 */
LOY_API int loy_apikey_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists keys {include_revoked?} (never secrets). Scope: admin. @since 0.1 */
LOY_API int loy_apikey_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Revokes a key {id}; idempotent. Scope: admin. @since 0.1 */
LOY_API int loy_apikey_revoke(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Programs ----------------------------------------------------------------------------------- */

/** Creates {name, currency, description?, rounding?, return_policy?, expiry?, pending_days?,
 *  max_balance?, allow_negative?, active?}. Scope: admin. @since 0.1 */
LOY_API int loy_program_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}. Scope: read. @since 0.1 */
LOY_API int loy_program_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {active?} -> {items}. Scope: read. @since 0.1 */
LOY_API int loy_program_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, ...fields of create except currency and active}. Scope: admin. @since 0.1 */
LOY_API int loy_program_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Activates {id}. Scope: admin. @since 0.1 */
LOY_API int loy_program_activate(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Deactivates {id}: earning stops; balances, holds and history stay. Scope: admin. @since 0.1 */
LOY_API int loy_program_deactivate(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Customers ---------------------------------------------------------------------------------- */

/** Enrols {external_id, profile?, preferences?, segments?, program_ids?}; opens an account in each
 *  given (default: every active) program. LOY_ECONFLICT for a known external_id. Scope: pos. @since 0.1 */
LOY_API int loy_customer_enroll(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id} or {external_id}. Scope: read. @since 0.1 */
LOY_API int loy_customer_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, profile?, preferences?, segments?} (each replaced whole). Scope: pos. @since 0.1 */
LOY_API int loy_customer_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {limit?, cursor?, segment?} -> {items, next_cursor}. Scope: read. @since 0.1 */
LOY_API int loy_customer_list(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Ledger ------------------------------------------------------------------------------------- */

/** Earns {customer_id, points, program_id?, idempotency_key?, occurred_at?, reason?, metadata?,
 *  pending_days?, expires_at?, type?("earn"|"bonus")} -> {entry, balance, replayed}.
 *  LOY_ECONFLICT for a reused key with another payload (field named); LOY_ELIMIT above
 *  max_balance; LOY_EUNAVAILABLE for an inactive program. Scope: pos. @since 0.1 */
LOY_API int loy_ledger_earn(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Earns many {events: [earn...]} in one transaction -> {results: [{ok, ...} | {ok:false, error}],
 *  succeeded, failed}; a failed event changes nothing and does not stop the others. Scope: pos. @since 0.1 */
LOY_API int loy_ledger_earn_batch(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Adjusts {customer_id, points (+/-), reason, program_id?, idempotency_key?, occurred_at?,
 *  metadata?}; audited. LOY_EINSUFFICIENT unless the program allows negative balances.
 *  Scope: admin. @since 0.1 */
LOY_API int loy_ledger_adjust(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Reverses an earn {entry_id, points?, reason?, idempotency_key?, occurred_at?} under the
 *  program's return policy. LOY_ECONFLICT beyond what remains reversible; LOY_EFORBIDDEN
 *  (only_pending, already posted); LOY_EINSUFFICIENT (within_balance). Scope: pos. @since 0.1 */
LOY_API int loy_ledger_reverse(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Confirms a pending earn now {entry_id}; no-op when already posted. Scope: pos. @since 0.1 */
LOY_API int loy_ledger_confirm(loy_session *session, const char *json, size_t len, loy_buf *out);
/** {customer_id, program_id?} -> {balance, available, pending, held, lifetime_earned,
 *  lifetime_redeemed}. Scope: read. @since 0.1 */
LOY_API int loy_ledger_balance(loy_session *session, const char *json, size_t len, loy_buf *out);
/** {customer_id, program_id?, types?, from?, to?, limit?, cursor?} -> {items (newest first),
 *  next_cursor}. Scope: read. @since 0.1 */
LOY_API int loy_ledger_history(loy_session *session, const char *json, size_t len, loy_buf *out);
/** One entry {id}. Scope: read. @since 0.1 */
LOY_API int loy_ledger_entry(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Maintenance {now?}: expires holds, releases pending points, posts expiries (also inactivity).
 *  Scope: admin. @since 0.1 */
LOY_API int loy_ledger_run_due(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Checks every ledger invariant of the tenant {} -> {ok, accounts_checked, violations}.
 *  Scope: read. @since 0.1 */
LOY_API int loy_ledger_verify(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Holds -------------------------------------------------------------------------------------- */

/** Reserves points {customer_id, points, program_id?, expires_at? | ttl_seconds? (default 900),
 *  reason?, idempotency_key?}. LOY_EINSUFFICIENT. Scope: pos. @since 0.1 */
LOY_API int loy_hold_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Commits {id, points? (<= held; rest released), reason?, idempotency_key?} into a redeem entry.
 *  LOY_ECONFLICT when not active or expired. Scope: pos. @since 0.1 */
LOY_API int loy_hold_commit(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Voids {id}; no-op when already voided or expired; LOY_ECONFLICT when committed. Scope: pos. @since 0.1 */
LOY_API int loy_hold_void(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}. Scope: read. @since 0.1 */
LOY_API int loy_hold_get(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Audit -------------------------------------------------------------------------------------- */

/** The tenant's audit chain {limit?, cursor?, action?, target?, from?, to?}. Scope: admin. @since 0.1 */
LOY_API int loy_audit_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Verifies the tenant's hash chain {} -> {ok, rows_checked, first_bad_seq, reason?}. Scope: admin. @since 0.1 */
LOY_API int loy_audit_verify(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Generic dispatch --------------------------------------------------------------------------- */

/** Runs any session operation by name ("ledger.earn"), for bindings and drivers. @since 0.1 */
LOY_API int loy_session_call(loy_session *session, const char *op, const char *json, size_t len, loy_buf *out);
/** Runs any admin operation by name ("tenant.create"). @since 0.1 */
LOY_API int loy_admin_call(loy_admin *admin, const char *op, const char *json, size_t len, loy_buf *out);

#ifdef __cplusplus
}
#endif

#endif /* LOYALTY_H */
