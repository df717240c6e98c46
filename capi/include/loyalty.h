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
 * Ownership (see docs/ownership.md):
 *  - Every pointer passed in (handles aside) is borrowed for the call only; nothing is retained,
 *    except the ctx of loy_sys_clock and loy_engine_options.log_ctx, which must stay valid until
 *    the last handle of the engine (engine, admins and sessions) is freed.
 *  - Handles returned through an out-parameter belong to the caller (loy_<type>_free()); a
 *    loy_buf filled by a call belongs to the caller (loy_buf_dispose()). On failure the handle
 *    out-parameter is set to NULL and the loy_buf to {NULL, 0}.
 *  - const char * results (loy_version_string, loy_features, loy_status_str) are static;
 *    loy_error_last() is library-owned and thread-local. Never free them.
 *
 * Threading (see docs/threading.md):
 *  - loy_engine and loy_admin are thread-safe: any thread, concurrently.
 *  - loy_session is used by one thread at a time (sessions are cheap; open one per thread).
 *  - loy_error_last() is thread-local. Results (loy_buf) are owned by the caller and immutable.
 *  - A handle must not be freed while another thread is calling a function on that same handle.
 *
 * Errors (see docs/errors.md): a NULL required argument gives LOY_EMISUSE before anything runs,
 * as does any call on an engine (or its admins and sessions) after loy_engine_close(). Bad input
 * gives LOY_EINVALID with detail_json {"field": "..."} naming the offending field, and changes
 * nothing. Besides the codes listed per function, any int-returning function can return
 * LOY_ERROR (internal) and LOY_ENOMEM, and any function that reads or writes the database
 * LOY_EBUSY (lock or pooled connection not available within busy_timeout_ms) and LOY_ESTORAGE.
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
  LOY_EBUSY = -10,       /**< the database (or a pooled connection) stayed busy past busy_timeout_ms */
  LOY_ESTORAGE = -11,    /**< storage failure: I/O, corruption, disk full, newer schema */
  LOY_EMISUSE = -12,     /**< API misuse: NULL argument, closed engine, unknown struct version */
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
/* Library: none of these functions can fail.                                                */

/** Version as MAJOR*1000000 + MINOR*1000 + PATCH. Thread-safe. @since 0.1 */
LOY_API int loy_version_number(void);
/** Version string such as "0.1.0"; static storage, never freed. Thread-safe. @since 0.1 */
LOY_API const char *loy_version_string(void);
/** ABI major version (the shared library's SOVERSION). Thread-safe. @since 0.1 */
LOY_API int loy_abi_version(void);
/** JSON object of compiled-in features and operation names; static storage, never freed.
 *  Thread-safe. @since 0.1 */
LOY_API const char *loy_features(void);
/** Static text for a status code ("not found"; "unknown status" for unknown codes); never NULL,
 *  never freed. Thread-safe. @since 0.1 */
LOY_API const char *loy_status_str(int status);
/**
 * The last error raised on the calling thread, or NULL when the last call succeeded.
 * Library-owned (do not free); valid until this thread's next status-returning libloyalty call
 * or loy_error_clear(). Thread-safety: thread-local, so read it on the failing thread. @since 0.1
 */
LOY_API const loy_error *loy_error_last(void);
/** Clears this thread's last error. Thread-safety: affects the calling thread only. @since 0.1 */
LOY_API void loy_error_clear(void);
/** Frees a buffer filled by the library and resets it to LOY_BUF_INIT; NULL-safe, idempotent.
 *  Thread-safety: any thread, but not on the same buffer from two threads at once. @since 0.1 */
LOY_API void loy_buf_dispose(loy_buf *buf);

/* ------------------------------------------------------------------------------------------ */
/* Engine                                                                                     */

/** Log levels passed to loy_log_fn. */
typedef enum loy_log_level { LOY_LOG_DEBUG = 0, LOY_LOG_INFO = 1, LOY_LOG_WARN = 2, LOY_LOG_ERROR = 3 } loy_log_level;
/** Log sink; may be called from any thread, concurrently; must not call back into libloyalty.
 *  message is valid during the call only; ctx must outlive every handle of the engine. */
typedef void (*loy_log_fn)(void *ctx, int level, const char *message);

struct loy_sys_clock; /* capi/include/loyalty/sys/clock.h */
struct loy_ai_provider; /* capi/include/loyalty/sys/ai_provider.h */

/** PRAGMA synchronous for the SQLite backend. */
typedef enum loy_sync_mode { LOY_SYNC_FULL = 0, LOY_SYNC_NORMAL = 1 } loy_sync_mode;

/** Options for loy_engine_open. Initialise with LOY_ENGINE_OPTIONS_INIT; fields are only appended.
 *  Version 1 ends at wal_autocheckpoint, version 2 adds master_key; a caller built
 *  against version 1 passes version 1 and its shorter struct is read as such. Strings are copied
 *  by loy_engine_open. */
typedef struct loy_engine_options {
  int version;                       /**< LOY_ENGINE_OPTIONS_VERSION */
  const char *uri;                   /**< "sqlite:///path.db", a path, or ":memory:" (NULL = ":memory:") */
  const char *admin_key;             /**< engine admin credential, >= 16 bytes, or NULL; must match
                                          the one recorded in the database (else LOY_EFORBIDDEN) */
  int synchronous;                   /**< loy_sync_mode; default LOY_SYNC_FULL */
  int busy_timeout_ms;               /**< >= 0; wait for the write lock, and for a free pooled
                                          connection, before LOY_EBUSY; default 5000 */
  int pool_size;                     /**< connections kept open, 1..64; default 4 (1 for :memory:) */
  const struct loy_sys_clock *clock; /**< injected clock or NULL for the system clock; copied */
  loy_log_fn log;                    /**< log sink or NULL */
  void *log_ctx;                     /**< passed to log; must outlive every handle of the engine */
  int cache_mb;                      /**< page cache per connection in MiB, 1..65536; default 64 */
  int wal_autocheckpoint;            /**< WAL pages before a commit checkpoints, >= 0 (0 = never);
                                          default 10000 */
  /* version 2 */
  const char *master_key;            /**< master key of personal data (docs/security.md): 32 bytes
                                          as 64 hex digits or base64, or NULL; never stored in the
                                          database. Must be the key the file's personal data was
                                          encrypted with (else LOY_EFORBIDDEN, field master_key) */
} loy_engine_options;
#define LOY_ENGINE_OPTIONS_VERSION 2
#define LOY_ENGINE_OPTIONS_INIT \
  {LOY_ENGINE_OPTIONS_VERSION, NULL, NULL, LOY_SYNC_FULL, 5000, 4, NULL, NULL, NULL, 64, 10000, NULL}

/**
 * Opens an engine on the database named by opts->uri, creating and migrating it as needed.
 * @param opts options (NULL = all defaults: in-memory database); borrowed for the call (clock
 *        ctx and log_ctx are kept: they must outlive every handle of the engine).
 * @param[out] out receives the engine (NULL on failure); the caller releases it with
 *        loy_engine_free().
 * @return LOY_OK; LOY_EINVALID (bad option: uri, synchronous, busy_timeout_ms, pool_size,
 *         cache_mb, wal_autocheckpoint, admin_key shorter than 16 bytes; field named; checked
 *         before the file is touched); LOY_EFORBIDDEN (admin_key differs from the recorded one,
 *         field "admin_key"); LOY_ESTORAGE (cannot open, newer schema); LOY_EBUSY; LOY_EMISUSE
 *         (out NULL, unknown options version, clock with unknown version or NULL now_ms).
 * Thread-safety: any thread. @since 0.1
 */
LOY_API int loy_engine_open(const loy_engine_options *opts, loy_engine **out);
/**
 * Closes the engine: later calls on it and on its admins and sessions fail with LOY_EMISUSE;
 * calls in progress finish. Frees nothing: memory and connections are released when the last
 * handle is freed. Idempotent.
 * @return LOY_OK; LOY_EMISUSE (engine NULL).
 * Thread-safety: any thread, also while other threads use the engine. @since 0.1
 */
LOY_API int loy_engine_close(loy_engine *engine);
/** Releases the caller's reference; NULL-safe; not twice. Admins and sessions opened from it stay
 *  usable. Thread-safety: not while another thread is calling a function on this handle.
 *  @since 0.1 */
LOY_API void loy_engine_free(loy_engine *engine);
/** Registers the engine's host AI provider (loyalty/sys/ai_provider.h), used by the tenants whose
 *  provider is "callback"; the struct is copied, its ctx kept (see the header). NULL unregisters
 *  it: those tenants then get LOY_EUNAVAILABLE. Calls already running finish with the provider
 *  they started with. Thread-safe. Errors: LOY_EMISUSE (engine NULL, unknown version, a NULL
 *  function). @since 0.1 */
LOY_API int loy_engine_set_ai_provider(loy_engine *engine, const struct loy_ai_provider *provider);

/* ------------------------------------------------------------------------------------------ */
/* Engine administrator: tenants                                                              */

/**
 * Authenticates the engine administrator.
 * @param key the admin credential (borrowed); @param key_len its length in bytes.
 * @param[out] out receives the admin handle (NULL on failure); the caller releases it with
 *        loy_admin_free(), in any order relative to the engine.
 * @return LOY_OK; LOY_EFORBIDDEN (wrong credential, or none recorded in the database);
 *         LOY_EMISUSE (engine, key or out NULL; closed engine); LOY_EBUSY; LOY_ESTORAGE.
 * Thread-safety: any thread (the engine is thread-safe). @since 0.1
 */
LOY_API int loy_admin_open(loy_engine *engine, const char *key, size_t key_len, loy_admin **out);
/** Releases an admin handle; NULL-safe; not twice. Thread-safety: not while another thread is
 *  calling a function on this handle. @since 0.1 */
LOY_API void loy_admin_free(loy_admin *admin);

/*
 * The admin and session operations below share one shape:
 *   int f(subject, const char *json, size_t len, loy_buf *out)
 * json is an object (borrowed for the call; len bytes, need not be NUL-terminated); on LOY_OK
 * out receives the result JSON, owned by the caller and released with loy_buf_dispose(). On
 * failure out is left empty ({NULL, 0}) and nothing has changed. Payload fields are documented
 * in docs/ (tenancy.md, ledger.md, audit.md).
 *
 * Common errors of every admin operation, besides those listed per function: LOY_EINVALID
 * (malformed JSON, nesting deeper than 64 levels, not an object, unknown field, wrong type, out
 * of range; field named); LOY_EMISUSE (admin, json or out NULL; closed engine); LOY_EBUSY;
 * LOY_ESTORAGE; LOY_ENOMEM; LOY_ERROR. Thread-safety: any thread, concurrently on one admin.
 *
 * Common errors of every session operation, besides those listed per function: the same, with
 * session for admin, plus LOY_EFORBIDDEN when the key lacks the operation's scope (field
 * "scope"), or when the session's key has been revoked or its tenant deactivated (writes see it
 * at once, reads within about a second). Thread-safety: one thread at a time per session.
 */

/* @generated begin: admin operations (scripts/catalogue_gen.py from capi/ops; do not edit) */
/** Creates a tenant {name, slug?, timezone?, settings?, api_key_name?} -> {tenant, api_key}; the
 *  result holds its first admin API key (secret shown once). A name without ASCII letters or
 *  digits gets a generated slug "tenant-xxxxxxxx". Errors: LOY_ECONFLICT (slug taken);
 *  LOY_EINVALID (slug, timezone, settings section). The common admin errors. @since 0.1 */
LOY_API int loy_tenant_create(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Gets a tenant {id}. Errors: LOY_ENOTFOUND (id); LOY_EINVALID. The common admin errors. @since
 *  0.1 */
LOY_API int loy_tenant_get(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Lists tenants {limit?, cursor?, active?} -> {items, next_cursor}. Errors: LOY_EINVALID
 *  (limit, cursor). The common admin errors. @since 0.1 */
LOY_API int loy_tenant_list(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Updates {id, name?, timezone?, settings?{branding, loyalty, security, notifications}}.
 *  Errors: LOY_ENOTFOUND (id); LOY_EINVALID (timezone, settings section). The common admin
 *  errors. @since 0.1 */
LOY_API int loy_tenant_update(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Deactivates a tenant {id}: no session can open; open sessions fail their next write (reads
 *  within about a second). Errors: LOY_ENOTFOUND (id); LOY_EINVALID. The common admin errors.
 *  @since 0.1 */
LOY_API int loy_tenant_deactivate(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Reactivates a tenant {id}. Errors: LOY_ENOTFOUND (id); LOY_EINVALID. The common admin errors.
 *  @since 0.1 */
LOY_API int loy_tenant_activate(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Creates an API key for a tenant {tenant_id, name?, scopes[]}; the secret is shown once.
 *  Errors: LOY_ENOTFOUND (tenant_id); LOY_EINVALID (scopes, scopes[n]). The common admin errors.
 *  @since 0.1 */
LOY_API int loy_tenant_apikey_create(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** The engine-level audit chain {limit?, cursor?, action?, target?, from?, to?} -> {items,
 *  next_cursor}. Errors: LOY_EINVALID (limit, cursor, from, to). The common admin errors. @since
 *  0.1 */
LOY_API int loy_admin_audit_list(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/** Verifies the engine-level audit chain {} -> {ok, rows_checked, first_bad_seq, reason?}.
 *  Errors: the common admin errors. @since 0.1 */
LOY_API int loy_admin_audit_verify(loy_admin *admin, const char *json, size_t len, loy_buf *out);
/* @generated end */

/* ------------------------------------------------------------------------------------------ */
/* Sessions                                                                                   */

/**
 * Opens a session bound to the tenant owning api_key (borrowed; key_len bytes).
 * @param[out] out receives the session (NULL on failure); the caller releases it with
 *        loy_session_free(), in any order relative to the engine.
 * @return LOY_OK; LOY_EFORBIDDEN (malformed, unknown or revoked key; deactivated tenant);
 *         LOY_EMISUSE (engine, api_key or out NULL; closed engine); LOY_EBUSY (also while
 *         recording last_used_at); LOY_ESTORAGE.
 * Thread-safety: any thread (the engine is thread-safe); the new session is then used by one
 * thread at a time. @since 0.1
 */
LOY_API int loy_session_open(loy_engine *engine, const char *api_key, size_t key_len, loy_session **out);
/** Releases a session; NULL-safe; not twice. Thread-safety: not while another thread is calling
 *  a function on this session. @since 0.1 */
LOY_API void loy_session_free(loy_session *session);
/* @generated begin: session operations (scripts/catalogue_gen.py from capi/ops; do not edit) */
/** {} -> {tenant, key_id, scopes}. Scope: read. Errors: the common session errors. @since 0.1 */
LOY_API int loy_session_info(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Creates an API key {name?, scopes[]} for the session's tenant. Scope: admin. Errors:
 *  LOY_EINVALID (scopes, scopes[n]); the common session errors. @since 0.1 */
LOY_API int loy_apikey_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists keys {include_revoked?} -> {items} (never secrets). Scope: admin. Errors: the common
 *  session errors. @since 0.1 */
LOY_API int loy_apikey_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Revokes a key {id}; idempotent (revoking again writes no audit row). Scope: admin. Errors:
 *  LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_apikey_revoke(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Audit log (docs/audit.md) -------------------------------------------------------------------- */

/** The tenant's audit chain {limit?, cursor?, action?, target?, from?, to?} -> {items,
 *  next_cursor}. Scope: admin. Errors: LOY_EINVALID (limit, cursor, from, to); the common
 *  session errors. @since 0.1 */
LOY_API int loy_audit_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Verifies the tenant's hash chain {} -> {ok, rows_checked, first_bad_seq, reason?}. Scope:
 *  admin. Errors: the common session errors. @since 0.1 */
LOY_API int loy_audit_verify(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Programs (docs/tenancy.md, docs/ledger.md) --------------------------------------------------- */

/** Creates {name, currency, description?, rounding?, return_policy?, expiry?, pending_days?,
 *  max_balance?, allow_negative?, active?}. Scope: admin. Errors: LOY_ECONFLICT (name taken);
 *  LOY_EINVALID (currency, expiry.*); the common session errors. @since 0.1 */
LOY_API int loy_program_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_program_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {active?} -> {items}. Scope: read. Errors: the common session errors. @since 0.1 */
LOY_API int loy_program_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, ...fields of create except currency and active} ("max_balance": null removes the
 *  limit). Scope: admin. Errors: LOY_ENOTFOUND (id); LOY_ECONFLICT (name taken; or
 *  allow_negative / return_policy would switch off negative balances while an account is
 *  negative, detail negative_accounts); the common session errors. @since 0.1 */
LOY_API int loy_program_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Activates {id}. Scope: admin. Errors: LOY_ENOTFOUND (id); the common session errors. @since
 *  0.1 */
LOY_API int loy_program_activate(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Deactivates {id}: earning stops; balances, holds and history stay. Scope: admin. Errors:
 *  LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_program_deactivate(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Customers (docs/ledger.md) ------------------------------------------------------------------- */

/** Enrols {external_id, profile?, preferences?, segments?, program_ids?}; opens an account in
 *  each given (default: every active) program. Scope: pos. Errors: LOY_ECONFLICT (external_id
 *  known, detail id); LOY_ENOTFOUND (program_ids[n]); LOY_EUNAVAILABLE (profile: personal fields
 *  given to an engine opened without the master key of an encrypted database); the common
 *  session errors. The profile's personal fields (name, first_name, last_name, email, phone,
 *  birthday, address and the tenant's settings.security.personal_fields) are stored sealed under
 *  the customer's key (docs/security.md). @since 0.1 */
LOY_API int loy_customer_enroll(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}, {external_id}, {email} or {phone}. An e-mail or phone is found through the blind
 *  index (an HMAC under the tenant's key, docs/security.md), never by reading personal fields;
 *  e-mails compare trimmed and case-insensitively, phones by their digits and a leading +; when
 *  several customers share one, the earliest enrolled is returned. Scope: read. Errors:
 *  LOY_ENOTFOUND (id, external_id, email, phone); LOY_EINVALID (none or more than one given);
 *  LOY_EUNAVAILABLE (email, phone: the engine was opened without the master key); the common
 *  session errors. @since 0.1 */
LOY_API int loy_customer_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, profile?, preferences?, segments?} (each replaced whole; without the master key,
 *  the sealed personal fields stay as they are). Scope: pos. Errors: LOY_ENOTFOUND (id);
 *  LOY_ECONFLICT (id: a profile for an erased customer); LOY_EUNAVAILABLE (profile: personal
 *  fields without the master key); the common session errors. @since 0.1 */
LOY_API int loy_customer_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {limit?, cursor?, segment?} -> {items, next_cursor}. Scope: read. Errors: LOY_EINVALID
 *  (limit, cursor); the common session errors. @since 0.1 */
LOY_API int loy_customer_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Exports {id} -> everything the engine holds about the customer as one document {format,
 *  exported_at, customer, accounts: [{program_id, balance, entries, holds, tier, tier_history}],
 *  redemptions, checkins, audit} (docs/security.md). Personal fields are opened when the engine
 *  holds the master key (customer.personal_data says). Scope: admin. Errors: LOY_ENOTFOUND (id);
 *  the common session errors. @since 0.1 */
LOY_API int loy_customer_export(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Erases {id} -> {id, erased_at, external_id, already_erased, log_truncated}: destroys the
 *  customer's personal data and key material (its key, its sealed personal fields, its
 *  blind-index rows, its profile and preferences, its check-ins' coordinates and device, its
 *  stored AI results; overwritten in the file by a secure delete, then the write-ahead log is
 *  emptied when no reader holds it, log_truncated) while its accounts, ledger entries, balances
 *  and the audit chain stay. The external id is released (replaced by erased:<id>) only when the
 *  tenant's settings.security.allow_external_id_reuse is true. Audited (customer.erase). Erasing
 *  an erased customer changes nothing (already_erased). Scope: admin. Errors: LOY_ENOTFOUND
 *  (id); the common session errors. @since 0.1 */
LOY_API int loy_customer_erase(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Ledger and holds (docs/ledger.md) ------------------------------------------------------------ */
/* Ledger writes first settle what fell due on the account (expired holds and points, pending
 *  points past their window); reads show the ledger as of the last settlement or run_due. */

/** Earns {customer_id, points, program_id?, idempotency_key?, occurred_at?, reason?, metadata?,
 *  pending_days?, expires_at?, type?("earn"|"bonus")} -> {entry, balance, replayed}. Scope: pos.
 *  Errors: LOY_ENOTFOUND (customer_id, program_id; no active program); LOY_EINVALID (several
 *  active programs and no program_id; occurred_at before 1970 or over a day ahead of the engine
 *  clock; expires_at not after occurred_at); LOY_EUNAVAILABLE (program inactive); LOY_ELIMIT
 *  (max_balance); LOY_ECONFLICT (key reused with another payload, field named); the common
 *  session errors. @since 0.1 */
LOY_API int loy_ledger_earn(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Earns many {events: [earn...]} (1..10000) in one transaction -> {results: [{ok, ...} |
 *  {ok:false, error}], succeeded, failed}. LOY_OK even when events failed: each event's own
 *  error (any of loy_ledger_earn's) is reported in results and rolls back that event only.
 *  LOY_EBUSY, LOY_ESTORAGE, LOY_ENOMEM and unexpected internal errors (LOY_ERROR) abort the
 *  whole batch: nothing is committed and the call returns that code. Scope: pos. Errors also:
 *  LOY_EINVALID (events); the common session errors. @since 0.1 */
LOY_API int loy_ledger_earn_batch(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Adjusts {customer_id, points (+/-), reason, program_id?, idempotency_key?, occurred_at?,
 *  metadata?}; audited. Scope: admin. Errors: LOY_EINSUFFICIENT (debit beyond available unless
 *  the program allows negative balances; detail available); LOY_ELIMIT (max_balance, account
 *  totals); LOY_ENOTFOUND (customer_id, program_id); LOY_EINVALID (points 0, occurred_at);
 *  LOY_ECONFLICT (idempotency); the common session errors. @since 0.1 */
LOY_API int loy_ledger_adjust(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Reverses an earn {entry_id, points?, reason?, metadata?, idempotency_key?, occurred_at?}
 *  under the program's return policy; points already lost to expiry are not debited again (the
 *  entry's reversed_points is the nominal amount, points the debit). Scope: pos. Errors:
 *  LOY_ENOTFOUND (entry_id); LOY_EINVALID (not an earn/bonus entry; occurred_at); LOY_ECONFLICT
 *  (already fully reversed, or beyond what remains reversible, detail reversible; idempotency);
 *  LOY_EFORBIDDEN (only_pending, already posted); LOY_EINSUFFICIENT (within_balance); the common
 *  session errors. @since 0.1 */
LOY_API int loy_ledger_reverse(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Spends points {customer_id, points, program_id?, reason?, metadata?, occurred_at?,
 *  idempotency_key?} into a redeem entry, taking the bucket nearest to expiry first -> {entry,
 *  balance, replayed}. Never makes a balance negative. Scope: pos. Errors: LOY_EINSUFFICIENT
 *  (detail available); LOY_ENOTFOUND (customer_id, program_id); LOY_EINVALID (points);
 *  LOY_ECONFLICT (idempotency); the common session errors. @since 0.1 */
LOY_API int loy_ledger_redeem(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Refunds a redeem entry {entry_id, points? (default: all that remains), reason?, metadata?,
 *  occurred_at?, idempotency_key?} -> {entry, balance, refundable_remaining, expired_on_refund,
 *  replayed}: the points go back into the buckets they came from with their original expiry
 *  (latest expiry first); points of buckets that expired meanwhile expire at once
 *  (expired_on_refund). Works for redeem entries of ledger.redeem and of hold.commit. Scope:
 *  pos. Errors: LOY_ENOTFOUND (entry_id); LOY_EINVALID (not a redeem entry); LOY_ECONFLICT
 *  (nothing or less left to refund, detail refundable; idempotency); the common session errors.
 *  @since 0.1 */
LOY_API int loy_ledger_refund(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Confirms a pending earn now {entry_id, idempotency_key?} -> {entry, balance, replayed}; no-op
 *  when already posted. Scope: pos. Errors: LOY_ENOTFOUND (entry_id); LOY_EINVALID (not an
 *  earn/bonus entry); LOY_ECONFLICT (idempotency); the common session errors. @since 0.1 */
LOY_API int loy_ledger_confirm(loy_session *session, const char *json, size_t len, loy_buf *out);
/** {customer_id, program_id?} -> {balance, available, pending, held, lifetime_earned,
 *  lifetime_redeemed} as of the last settlement. Scope: read. Errors: LOY_ENOTFOUND
 *  (customer_id, program_id; no active program); LOY_EINVALID (several active programs and no
 *  program_id); the common session errors. @since 0.1 */
LOY_API int loy_ledger_balance(loy_session *session, const char *json, size_t len, loy_buf *out);
/** {customer_id, program_id?, types?, from?, to?, limit?, cursor?} -> {items (newest first),
 *  next_cursor}. Scope: read. Errors: LOY_ENOTFOUND (customer_id, program_id); LOY_EINVALID
 *  (types[n], cursor, program_id ambiguous); the common session errors. @since 0.1 */
LOY_API int loy_ledger_history(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Points that will expire in (after, before), for reminders: {before, after? (default now),
 *  customer_id?, program_id? (with customer_id), limit? (1..1000, default 100), cursor?} ->
 *  {items: [{customer_id, program_id, entry_id, points, expires_at}], next_cursor}. One item per
 *  bucket with unreserved points, nearest expiry first; the whole tenant when customer_id is
 *  omitted. Scope: read. Errors: LOY_EINVALID (before not after `after`, cursor, limit,
 *  program_id without customer_id); LOY_ENOTFOUND (customer_id, program_id); the common session
 *  errors. @since 0.1 */
LOY_API int loy_ledger_expiring(loy_session *session, const char *json, size_t len, loy_buf *out);
/** One entry {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors. @since
 *  0.1 */
LOY_API int loy_ledger_entry(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Maintenance {now?}: expires holds, releases pending points, posts expiries (also inactivity)
 *  for every account of the tenant, up to now (default: the engine clock), then reviews tiers
 *  (window-end downgrades, grace periods, downgrade notices, ended manual assignments; see
 *  docs/tiers.md) in the same transaction -> {now, holds_expired, pending_released,
 *  points_released, buckets_expired, points_expired, tiers_downgraded, tier_grace_started,
 *  tier_notices, tier_assignments_expired}. Scope: admin. Errors: LOY_EINVALID (now later than
 *  the engine clock, field "now"); the common session errors. The result also counts
 *  reservations_expired (reward reservations expired by the same run). @since 0.1 */
LOY_API int loy_ledger_run_due(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Checks every ledger invariant of the tenant {} -> {ok, accounts_checked, violations}. Scope:
 *  read. Errors: the common session errors. @since 0.1 */
LOY_API int loy_ledger_verify(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Reserves points {customer_id, points, program_id?, expires_at? | ttl_seconds? (default 900),
 *  reason?, idempotency_key?} -> {hold, balance, replayed}; replays even after expires_at.
 *  Scope: pos. Errors: LOY_EINSUFFICIENT (detail available); LOY_ENOTFOUND (customer_id,
 *  program_id); LOY_EINVALID (both expires_at and ttl_seconds; expires_at not in the future);
 *  LOY_ECONFLICT (idempotency); the common session errors. @since 0.1 */
LOY_API int loy_hold_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Commits {id, points? (<= held; rest released), reason?, metadata?, idempotency_key?} into a
 *  redeem entry -> {hold, entry, balance, replayed}. Scope: pos. Errors: LOY_ENOTFOUND (id);
 *  LOY_ECONFLICT (hold not active or at/past expires_at, detail status; idempotency);
 *  LOY_EINVALID (points above the hold); the common session errors. @since 0.1 */
LOY_API int loy_hold_commit(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Voids {id, idempotency_key?} -> {hold, balance, replayed}; an overdue active hold is recorded
 *  as expired; no-op when already voided or expired. Scope: pos. Errors: LOY_ENOTFOUND (id);
 *  LOY_ECONFLICT (committed, detail status; idempotency); the common session errors. @since 0.1 */
LOY_API int loy_hold_void(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_hold_get(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Events (docs/events.md) ---------------------------------------------------------------------- */

/** Reads the tenant's event outbox after a cursor -> {events: [{cursor, id, type, customer_id,
 *  at, data}], next}. `after` is NULL (from the first event) or a NUL-terminated `cursor` of an
 *  event (or the `next` of an earlier poll) the host has processed; `limit` is 1..1000, 0 for
 *  the default (100). Events appear in commit order, each once per position, only when the
 *  change that caused them committed; delivery is at least once (the host keeps its cursor after
 *  processing, and de-duplicates by `id`). `next` is the cursor of the last event returned, or
 *  `after` itself (null at the start) when there are none yet. The same operation is
 *  `events.poll` {after?, limit?, types?} through loy_session_call. Types: points.earned,
 *  points.adjusted, points.reversed, points.expired, points.redeemed, points.refunded,
 *  tier.changed, tier.downgrade_warning, checkin.verified, checkin.rejected, reward.redeemed,
 *  reward.reserved, reward.cancelled, reward.expired (see docs/events.md); `types` takes 1..14
 *  of these names (any other is LOY_EINVALID naming `types[i]`). Scope: read. Errors:
 *  LOY_EINVALID (after is not a cursor, limit above 1000); the common session errors.
 *  Thread-safety: as every session call. @since 0.1 */
LOY_API int loy_events_poll(loy_session *session, const char *after, size_t limit, loy_buf *out);

/* Tiers (docs/tiers.md) ------------------------------------------------------------------------ */

/** Sets the program's tier qualification policy {program_id?, metric? ("points" | "spend" |
 *  "visits", default points), window: {kind: "lifetime" | "calendar_year" | "rolling_months" |
 *  "anniversary", months? (rolling_months, 1..120)}, downgrade? ("one_level" | "reevaluate"),
 *  grace_days? (0..365), notice_days? (0..365)} -> policy. Windows use the tenant's time zone.
 *  Audited. Scope: admin. Errors: LOY_EINVALID (field named); LOY_ENOTFOUND (program_id); the
 *  common session errors. @since 0.1 */
LOY_API int loy_tier_policy_set(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets the policy {program_id?}. Scope: read. Errors: LOY_ENOTFOUND (program_id, also when the
 *  program has no policy); the common session errors. @since 0.1 */
LOY_API int loy_tier_policy_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Creates a tier {program_id?, name, rank (1..100, unique), threshold (>= 0; rising with rank
 *  among tiers that qualification grants), benefits? (object; earn_multiplier a number > 0 and
 *  <= 100, three decimals at most), icon_url?, invitation_only?} -> tier. Audited. Scope: admin.
 *  Errors: LOY_EINVALID (field named, e.g. threshold out of order); LOY_ECONFLICT (rank, name);
 *  LOY_ENOTFOUND (program_id); the common session errors. @since 0.1 */
LOY_API int loy_tier_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets a tier {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors. @since
 *  0.1 */
LOY_API int loy_tier_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists a program's tiers by rank {program_id?} -> {items}. Scope: read. Errors: LOY_ENOTFOUND
 *  (program_id); the common session errors. @since 0.1 */
LOY_API int loy_tier_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates a tier {id, name?, threshold?, benefits?, icon_url?, invitation_only?} (rank is
 *  fixed) -> tier. Audited. Scope: admin. Errors: as loy_tier_create; LOY_ENOTFOUND (id). @since
 *  0.1 */
LOY_API int loy_tier_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Assigns a tier by hand {customer_id, program_id?, tier_id (null ends a manual assignment and
 *  lets qualification decide), until? (future), reason} -> status. A manual tier is a floor
 *  until `until`; invitation-only tiers are only ever assigned this way. Audited. Scope: admin.
 *  Errors: LOY_ENOTFOUND (customer_id, program_id, tier_id); LOY_EINVALID (reason, until); the
 *  common session errors. @since 0.1 */
LOY_API int loy_tier_assign(loy_session *session, const char *json, size_t len, loy_buf *out);
/** The customer's tier and progress {customer_id, program_id?} -> {tier (with since, manual,
 *  manual_until) | null, tier_progress: {metric, value, window_start, window_end, next: {id,
 *  name, threshold, missing} | null}}; ledger.balance carries the same two fields for programs
 *  with a policy. Scope: read. Errors: LOY_ENOTFOUND (customer_id, program_id, no policy); the
 *  common session errors. @since 0.1 */
LOY_API int loy_tier_status(loy_session *session, const char *json, size_t len, loy_buf *out);
/** The customer's tier changes, oldest first {customer_id, program_id?, limit?, cursor?} ->
 *  {items: [{from_tier_id, to_tier_id, reason, metric, at}], next_cursor}. Scope: read. Errors:
 *  LOY_ENOTFOUND (customer_id, program_id); LOY_EINVALID (limit, cursor); the common session
 *  errors. @since 0.1 */
LOY_API int loy_tier_history(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Rules and purchases (docs/rules.md) ---------------------------------------------------------- */
/* The rules language (conditions, actions, stacking, limits) is documented in docs/rules.md with
 *  its JSON Schema docs/schema/rule.schema.json. */

/** Creates a rule {program_id?, name, description?, type?, conditions?, actions, priority?,
 *  active?, start?, end?, location_based?, group?, group_mode?, stop_processing?, limits?} ->
 *  the rule with id and version 1; audited. Scope: admin. Errors: LOY_EINVALID naming the JSON
 *  path of the offending field (e.g. "conditions.all[2].operator"; "group_mode" when another
 *  rule gives the group another mode); LOY_ENOTFOUND (program_id); the common session errors.
 *  @since 0.1 */
LOY_API int loy_rule_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id, version?} (an earlier version's body when version is given). Scope: read. Errors:
 *  LOY_ENOTFOUND (id, version); the common session errors. @since 0.1 */
LOY_API int loy_rule_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {program_id?, active?, limit?, cursor?} -> {items (creation order), next_cursor}.
 *  Scope: read. Errors: LOY_EINVALID (limit, cursor); the common session errors. @since 0.1 */
LOY_API int loy_rule_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, any rule field; null removes an optional one} -> the rule with version + 1 (the
 *  earlier version stays readable); audited. Scope: admin. Errors: LOY_ENOTFOUND (id);
 *  LOY_EINVALID (as loy_rule_create; program_id and active cannot change here); the common
 *  session errors. @since 0.1 */
LOY_API int loy_rule_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Activates {id} -> the rule; audited. Scope: admin. Errors: LOY_ENOTFOUND (id); the common
 *  session errors. @since 0.1 */
LOY_API int loy_rule_activate(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Deactivates {id} -> the rule; audited. Scope: admin. Errors: LOY_ENOTFOUND (id); the common
 *  session errors. @since 0.1 */
LOY_API int loy_rule_deactivate(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Submits a purchase {order_id (the idempotency key), customer_id, program_id?, amount? (minor
 *  units; default the items' total), currency?, channel?, location_id?, items? [{sku, category?,
 *  quantity, unit_price}], occurred_at?, place? {inside?, distance_m?}, customer? {tier?,
 *  tier_multiplier?, attributes?, segments?, birthday?}, metadata?, explain?
 *  "none"|"fired"|"full"} -> {purchase, points, entry, balance, explain, replayed}: the rules'
 *  points are earned in one transaction with the limit counters. explain (default "fired": the
 *  rules that gave points) chooses the trace in the answer (null for "none"); it is not part of
 *  the order, and a replay returns the trace stored with the purchase ("fired") or null. Scope:
 *  pos. Errors: LOY_EINVALID (field named); LOY_ENOTFOUND (customer_id, program_id);
 *  LOY_ECONFLICT (order_id reused with another payload, the differing field named);
 *  LOY_EUNAVAILABLE (program inactive); LOY_ELIMIT (max_balance); the common session errors.
 *  @since 0.1 */
LOY_API int loy_purchase_submit(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Evaluates a purchase (as loy_purchase_submit; order_id and customer_id optional; without
 *  customer_id, customer.first_purchase may say whether it is the guest's first) without writing
 *  -> {purchase, points, explain, dry_run: true}; explain defaults to "full" (every rule with
 *  its outcome and reason; "fired": the rules that gave points; "none": null, the fastest).
 *  Scope: read. Errors: as loy_purchase_submit but never LOY_ECONFLICT, never LOY_EUNAVAILABLE
 *  and never LOY_ELIMIT (it neither checks that the program is active nor earns). @since 0.1 */
LOY_API int loy_purchase_dry_run(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Returns {order_id, items? [{sku, quantity}] (default: everything left), return_id?
 *  (idempotency key), reason?, occurred_at?} -> {points_reversed, points_reversed_total,
 *  fully_returned, entry, balance, replayed}: reverses the order's points in proportion to the
 *  value returned, once. Scope: pos. Errors: LOY_ENOTFOUND (order_id); LOY_ECONFLICT (more than
 *  remains returnable, items[n].quantity; order already fully returned; return_id reused with
 *  another payload); LOY_EINSUFFICIENT / LOY_EFORBIDDEN (the program's return policy); the
 *  common session errors. @since 0.1 */
LOY_API int loy_purchase_return(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Locations and check-ins (docs/geofencing.md) ------------------------------------------------- */

/** Creates a location {name, address?, lat, lon, geofence, checkin?, metadata?}. `geofence` is
 *  {radius_m} (a geodesic circle around lat/lon, 0 < radius_m <= 50000) or a GeoJSON Polygon or
 *  MultiPolygon (WGS84, holes allowed, at most 10000 vertices); `checkin` is the check-in policy
 *  {cooldown_s?, max_accuracy_m?, max_speed_kmh?, speed_action? "reject"|"flag", points?,
 *  program_id?}. Audited. Scope: admin. Errors: LOY_EINVALID naming the field (lat, lon,
 *  geofence.radius_m, geofence.coordinates[i][j][k], ...); LOY_ENOTFOUND (checkin.program_id);
 *  LOY_EUNAVAILABLE (mod_spatialite missing); the common session errors. @since 0.1 */
LOY_API int loy_location_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_location_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {limit?, cursor?, active?} -> {items, next_cursor}. Scope: read. Errors: LOY_EINVALID
 *  (limit, cursor); the common session errors. @since 0.1 */
LOY_API int loy_location_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, name?, address?, lat?, lon?, geofence?, checkin?, metadata?}; a circle follows a
 *  moved point. Audited. Scope: admin. Errors: as loy_location_create; LOY_ENOTFOUND (id).
 *  @since 0.1 */
LOY_API int loy_location_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Deactivates {id}: no further check-ins match it (idempotent). Audited. Scope: admin. Errors:
 *  LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_location_deactivate(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Active locations whose point is within {lat, lon, radius_m (<= 1000000), limit?} geodesic
 *  metres, nearest first -> {items: [location + distance_m, fence_distance_m]}. Scope: read.
 *  Errors: LOY_EINVALID (lat, lon, radius_m, limit); the common session errors. @since 0.1 */
LOY_API int loy_location_nearby(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Active locations inside {area: GeoJSON Polygon|MultiPolygon, mode?: "point" (the location's
 *  point is inside, default) | "intersects" (its fence meets the area; SpatiaLite), limit?} ->
 *  {items}. Scope: read. Errors: LOY_EINVALID (area..., mode, limit); LOY_EUNAVAILABLE
 *  (mod_spatialite missing); the common session errors. @since 0.1 */
LOY_API int loy_location_within(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Submits a check-in {customer_id, location_id?, lat, lon, accuracy_m, device?, mock?,
 *  occurred_at?, idempotency_key?} -> {checkin, earn, explain, replayed}. Verified or rejected
 *  (both stored) with a reason: mock_location, low_accuracy, no_fence, location_inactive,
 *  outside_fence, cooldown, too_fast; a verified one earns the location's checkin.points plus
 *  what the program's location rules (trigger "checkin", docs/rules.md) give, in one ledger
 *  entry in the same transaction; explain is the rules' trace. Scope: pos. Errors: LOY_ENOTFOUND
 *  (customer_id, location_id); LOY_EINVALID naming the field; LOY_ECONFLICT (idempotency key
 *  with another payload); the common session errors. @since 0.1 */
LOY_API int loy_checkin_submit(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_checkin_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists {customer_id?, location_id?, status? "verified"|"rejected", signals? (rejected or
 *  flagged: the fraud signals), limit?, cursor?} -> {items, next_cursor}, oldest first. Scope:
 *  read. Errors: LOY_ENOTFOUND (customer_id, location_id); LOY_EINVALID (status, limit, cursor);
 *  the common session errors. @since 0.1 */
LOY_API int loy_checkin_list(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Rewards and redemptions (docs/redemption.md) ------------------------------------------------- */

/** Creates a reward {program_id?, name, cost_points (>= 1), description?, image_url? (http(s)),
 *  category?, stock? (>= 0; absent or null: unlimited), starts_at?, ends_at? (RFC 3339; ends_at
 *  after starts_at), min_tier_id?, per_customer_limit? {count, period: "day" | "week" | "month"
 *  | "year" | "lifetime"} (periods in the tenant's time zone), reservation_ttl_seconds? (default
 *  900), refundable? (fulfilled redemptions may be cancelled), metadata?, active?} -> reward.
 *  Audited. Scope: admin. Errors: LOY_EINVALID naming the field (e.g.
 *  per_customer_limit.period); LOY_ENOTFOUND (program_id, min_tier_id); the common session
 *  errors. @since 0.1 */
LOY_API int loy_reward_create(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets a reward {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors.
 *  @since 0.1 */
LOY_API int loy_reward_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists rewards in creation order {program_id?, category?, active?, available_now? (active,
 *  inside the window, in stock), affordable_for? (a customer id: cost within that customer's
 *  available points), limit?, cursor?} -> {items, next_cursor}. Scope: read. Errors:
 *  LOY_ENOTFOUND (program_id, affordable_for); LOY_EINVALID (limit, cursor); the common session
 *  errors. @since 0.1 */
LOY_API int loy_reward_list(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Updates {id, and any field of loy_reward_create but program_id and stock} (null clears an
 *  optional field) -> reward. Audited. Scope: admin. Errors: as loy_reward_create; LOY_ENOTFOUND
 *  (id). @since 0.1 */
LOY_API int loy_reward_update(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Deactivates {id}: no further redemptions (idempotent). Audited. Scope: admin. Errors:
 *  LOY_ENOTFOUND (id); the common session errors. @since 0.1 */
LOY_API int loy_reward_deactivate(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Changes the stock {id, delta (top-up > 0, reduction < 0) | stock (units left; null:
 *  unlimited), reason} -> reward. Audited. Scope: admin. Errors: LOY_EINVALID (delta taking the
 *  stock below zero or on an unlimited reward, reason); LOY_ENOTFOUND (id); the common session
 *  errors. @since 0.1 */
LOY_API int loy_reward_stock(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Redeems a reward in one step {reward_id, customer_id, metadata?, occurred_at? (when it
 *  happened: at most 5 minutes ahead; default now), idempotency_key (required)} -> {redemption
 *  (status "fulfilled", coupon_code), entry, balance, replayed}. Checks the window and the
 *  per-customer limit period at occurred_at, the stock, minimum tier and available points, then
 *  debits the points (nearest expiry first), takes one unit and creates the redemption with a
 *  random coupon code, all in one transaction; on any refusal nothing changes. Scope: pos.
 *  Errors: LOY_EFORBIDDEN (inactive, outside the window, tier too low); LOY_EOUTOFSTOCK;
 *  LOY_ELIMIT (per-customer limit); LOY_EINSUFFICIENT (points); LOY_ENOTFOUND (reward_id,
 *  customer_id); LOY_ECONFLICT (idempotency key with another payload); LOY_EINVALID naming the
 *  field; the common session errors. @since 0.1 */
LOY_API int loy_reward_redeem(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Reserves a reward {reward_id, customer_id, ttl_seconds? (default: the reward's
 *  reservation_ttl_seconds), idempotency_key (required)} -> {redemption (status "reserved",
 *  expires_at, hold_id), hold, balance, replayed}: the same checks as loy_reward_redeem, a
 *  ledger hold on the points and one unit of stock taken. Unfulfilled, it expires through
 *  loy_ledger_run_due (points and stock come back). Scope: pos. Errors: as loy_reward_redeem.
 *  @since 0.1 */
LOY_API int loy_reward_reserve(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Fulfils a reservation {id, idempotency_key?} -> {redemption, entry, balance, replayed}: the
 *  hold becomes a redeem entry. Scope: pos. Errors: LOY_ENOTFOUND (id); LOY_ECONFLICT (not
 *  reserved, or expired); the common session errors. @since 0.1 */
LOY_API int loy_redemption_fulfil(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Cancels a redemption {id, reason?, idempotency_key?} -> {redemption, refund (entry | null),
 *  balance, replayed}: a reservation's hold is released; a fulfilled redemption (of a refundable
 *  reward) is refunded into the buckets its points came from, with their original expiry. Stock
 *  comes back either way, once. Scope: pos. Errors: LOY_ENOTFOUND (id); LOY_EFORBIDDEN
 *  (fulfilled and the reward is not refundable); LOY_ECONFLICT (already cancelled or expired);
 *  the common session errors. @since 0.1 */
LOY_API int loy_redemption_cancel(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Gets a redemption {id}. Scope: read. Errors: LOY_ENOTFOUND (id); the common session errors.
 *  @since 0.1 */
LOY_API int loy_redemption_get(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Finds a redemption by coupon code {code} (any case; dashes and spaces ignored; O read as 0, I
 *  and L as 1), for the cashier. Scope: read. Errors: LOY_EINVALID (code not shaped like a
 *  coupon code); LOY_ENOTFOUND (code); the common session errors. @since 0.1 */
LOY_API int loy_redemption_by_code(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Lists a customer's redemptions, oldest first {customer_id, reward_id?, status? ("reserved" |
 *  "fulfilled" | "cancelled" | "expired"), limit?, cursor?} -> {items, next_cursor}. Scope:
 *  read. Errors: LOY_ENOTFOUND (customer_id, reward_id); LOY_EINVALID (status, limit, cursor);
 *  the common session errors. @since 0.1 */
LOY_API int loy_redemption_list(loy_session *session, const char *json, size_t len, loy_buf *out);

/* AI (docs/ai.md, docs/ai-openai.md) ----------------------------------------------------------- */
/* Results are stored with their time, provider and model and reused until stale: every AI
 *  operation returns {operation, subject, provider, model, created_at, expires_at, cached,
 *  output} where output follows docs/schema/ai/<operation>.output.schema.json; refresh: true
 *  recomputes. Providers see pseudonymous ids and aggregates only, and run outside every
 *  transaction: a dead provider gives LOY_EUNAVAILABLE here and never affects earns, redemptions
 *  or check-ins. */

/** Sets the tenant's AI provider {provider? "offline"|"openai"|"callback", ttl_s? {operation:
 *  seconds, 0 = never reuse}, openai? {base_url, model, api_key?, headers?, and the deadline,
 *  retry, breaker and size settings of docs/ai-openai.md} (required with "openai"; api_key kept
 *  when omitted later)} -> the settings as ai.settings returns them (never the API key or header
 *  values). Audited. Scope: admin. Errors: LOY_EINVALID (provider, ttl_s.<operation>, openai,
 *  openai.base_url, ...); the common session errors. @since 0.1 */
LOY_API int loy_ai_configure(loy_session *session, const char *json, size_t len, loy_buf *out);
/** The tenant's AI settings {} -> {provider, ttl_s, openai: {base_url, model, header_names, the
 *  other configured fields, api_key_set} | null, updated_at}. Scope: admin. Errors: the common
 *  session errors. @since 0.1 */
LOY_API int loy_ai_settings(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Ranked rewards and offers for {customer_id, program_id?, limit? 1..50 (5), refresh?} -> a
 *  result whose output is {items: [{id, kind, score, confidence, reason}]}. Scope: read. Errors:
 *  LOY_ENOTFOUND (customer_id, program_id); LOY_EINVALID (limit; or the provider's output breaks
 *  the schema); LOY_EUNAVAILABLE (provider); LOY_EFORBIDDEN (provider credential); the common
 *  session errors. @since 0.1 */
LOY_API int loy_ai_recommendations(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Churn risk of {customer_id, refresh?} -> output {customers: [{id, risk 0..1, band, factors,
 *  actions}]}. Scope: read. Errors: as loy_ai_recommendations. @since 0.1 */
LOY_API int loy_ai_churn(loy_session *session, const char *json, size_t len, loy_buf *out);
/** RFM segments of the tenant's customers (the first 10000) {refresh?, apply?} -> output
 *  {segments: [{name, definition, size, members}]}; apply: true (scope admin) also writes each
 *  member's "rfm:<segment>" tag, replacing its previous rfm: tags, and adds "applied". Scope:
 *  read. Errors: LOY_EFORBIDDEN (apply without admin); as loy_ai_recommendations. @since 0.1 */
LOY_API int loy_ai_segments(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Sentiment and themes of {text} or {texts: [text | {id?, text}] (1..1000)} (at most 5000
 *  characters each), refresh?} -> output {items: [{id, sentiment, score, themes}], summary}.
 *  Scope: read. Errors: LOY_EINVALID (text, texts[i].text, texts[i].id); as
 *  loy_ai_recommendations. @since 0.1 */
LOY_API int loy_ai_feedback(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Visit patterns of {location_id? (all active locations), window_days? 1..366 (90), refresh?}
 *  -> output {locations: [{id, checkins, peak_hours, peak_weekdays, conversion_rate,
 *  promotion_windows, summary}]} (hours and weekdays in the tenant's time zone). Scope: read.
 *  Errors: LOY_ENOTFOUND (location_id); LOY_EINVALID (window_days); as loy_ai_recommendations.
 *  @since 0.1 */
LOY_API int loy_ai_location_insights(loy_session *session, const char *json, size_t len, loy_buf *out);
/** Batch job: computes {operation: "churn"|"recommendations", program_id?, cursor?, limit?
 *  1..500 (100), force?} for one page of customers whose stored result is missing or stale ->
 *  {operation, computed, reused, next_cursor}; call again with next_cursor until it is null.
 *  Scope: admin. Errors: LOY_EINVALID (operation, cursor, limit); as loy_ai_recommendations.
 *  @since 0.1 */
LOY_API int loy_ai_refresh(loy_session *session, const char *json, size_t len, loy_buf *out);

/* Analytics (docs/analytics.md) ---------------------------------------------------------------- */

/** Figures of the ledger over a period {program_id?, from, to, bucket?} -> {program_id,
 *  timezone, from, to, bucket, members, points, outstanding, outstanding_value, redemption_rate,
 *  breakage, tiers, series}. from and to are local dates (inclusive) in the tenant's time zone;
 *  bucket is day (default), week (Monday to Sunday) or month, each bucket clipped to the range,
 *  and the series adds up exactly to the totals. Without program_id the figures cover every
 *  program of the tenant (members are then customers). members.total and outstanding are as of
 *  the end of to; active counts distinct customers with an earn, bonus or redeem entry. Rollups
 *  are caught up from watermarks by this call (docs/analytics.md). Scope: read. Errors:
 *  LOY_ENOTFOUND (program_id); LOY_EINVALID (from, to, bucket); the common session errors.
 *  @since 0.1 */
LOY_API int loy_analytics_overview(loy_session *session, const char *json, size_t len, loy_buf *out);
/* @generated end */

/* Generic dispatch --------------------------------------------------------------------------- */

/** Runs any session operation by name ("ledger.earn"; op borrowed), for bindings and drivers.
 *  Errors: LOY_EMISUSE (op NULL); LOY_EINVALID (unknown operation, field "operation"); otherwise
 *  those of the named operation. Ownership and thread-safety: as the session operations.
 *  @since 0.1 */
LOY_API int loy_session_call(loy_session *session, const char *op, const char *json, size_t len, loy_buf *out);
/** Runs any admin operation by name ("tenant.create"; op borrowed). Errors: LOY_EMISUSE (op NULL);
 *  LOY_EINVALID (unknown operation, field "operation"); otherwise those of the named operation.
 *  Ownership and thread-safety: as the admin operations. @since 0.1 */
LOY_API int loy_admin_call(loy_admin *admin, const char *op, const char *json, size_t len, loy_buf *out);

#ifdef __cplusplus
}
#endif

#endif /* LOYALTY_H */
