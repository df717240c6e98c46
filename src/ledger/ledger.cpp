// The points ledger: immutable entries, buckets with expiry and pending state, holds, reversals
// under the program's return policy, maintenance (run_due) and invariant verification.
#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <span>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "engine/registry.hpp"
#include "events/events.hpp"
#include "ledger/hooks.hpp"
#include "ledger/idempotency.hpp"
#include "ledger/ledger.hpp"
#include "ledger/ledger_store.hpp"
#include "programs/programs.hpp"
#include "storage/page.hpp"

namespace loyalty::detail {
namespace {

/// Installed by the engine (one set per module) before any operation runs; read-only afterwards.
constexpr size_t kMaxHookSets = 8;
LedgerHooks g_hooks[kMaxHookSets];
std::atomic<size_t> g_hook_count{0};
std::mutex g_hooks_mu;

/// The installed hook sets, in installation order.
std::span<const LedgerHooks> hooks() { return {g_hooks, g_hook_count.load(std::memory_order_acquire)}; }

bool same_hooks(const LedgerHooks& a, const LedgerHooks& b) {
  return a.on_points == b.on_points && a.decorate_balance == b.decorate_balance && a.run_due == b.run_due &&
         a.verify == b.verify;
}

}  // namespace

void set_ledger_hooks(const LedgerHooks& set) {
  std::lock_guard lock(g_hooks_mu);
  const size_t n = g_hook_count.load(std::memory_order_relaxed);
  for (size_t k = 0; k < n; ++k)
    if (same_hooks(g_hooks[k], set)) return;
  if (n == kMaxHookSets) throw Error(Status::error, "too many ledger hook sets");
  g_hooks[n] = set;
  g_hook_count.store(n + 1, std::memory_order_release);
}

namespace {

// ---------------------------------------------------------------------------------------------
// Accounts

using Account = storage::AccountRecord;
using storage::Slice;

Account load_account(storage::UnitOfWork& tx, int64_t id) {
  auto a = tx.ledger().account(id);
  if (!a) throw Error(Status::error, fmt::format("account {} vanished", id));
  return std::move(*a);
}

int64_t checked_add(int64_t a, int64_t b, const char* field) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r) || r > kMaxAmount * 1000 || r < -kMaxAmount * 1000)
    throw Error(Status::limit, "the balance would overflow", field);
  return r;
}

json balance_json(const Account& a) {
  return {{"customer_id", a.customer_id},
          {"program_id", a.program_id},
          {"balance", a.posted},
          {"available", a.available()},
          {"pending", a.pending},
          {"held", a.held},
          {"lifetime_earned", a.lifetime_earned},
          {"lifetime_redeemed", a.lifetime_redeemed}};
}

/// Programs read within one unit of work (a batch resolves each program once).
struct ProgramCache {
  std::vector<Program> programs;
  std::optional<Program> fallback;  // the tenant's default program
};

const Program& cached_program(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                              ProgramCache& cache, const std::string& field = "program_id") {
  for (const auto& p : cache.programs)
    if (p.id == id) return p;
  cache.programs.push_back(load_program(tx, tenant, id, field));
  return cache.programs.back();
}

const Program& program_for(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i, ProgramCache& cache) {
  if (!i.has("program_id")) {
    if (!cache.fallback) cache.fallback = default_program(tx, ctx.tenant());
    return *cache.fallback;
  }
  return cached_program(tx, ctx.tenant(), i.str("program_id"), cache, i.field("program_id"));
}

struct Target {
  Program program;
  Account account;
};

/// What settling found due and did.
struct Settled {
  int64_t holds_expired = 0;
  int64_t pending_released = 0;
  int64_t points_released = 0;
  int64_t buckets_expired = 0;
  int64_t points_expired = 0;
};

/// Settles what fell due on the account by `cutoff`, writing with the time `now`.
Settled settle(storage::UnitOfWork& tx, const std::string& tenant, const Program& p, Account& a, Timestamp cutoff,
               Timestamp now);
Settled settle(storage::UnitOfWork& tx, const std::string& tenant, const Program& p, Account& a, Timestamp now) {
  return settle(tx, tenant, p, a, now, now);
}

/// Resolves (customer_id, program_id?) of the session's tenant to its account, opening the
/// account on first use, and settles what fell due on it (expired holds and points, pending
/// points past their return window) so no write ever spends points that have expired.
/// The account of `customer` in `p` (see resolve); `customer_field()` names the customer in the
/// error when there is no such customer.
template <typename FieldFn>
Target open_target(const Ctx& ctx, storage::UnitOfWork& tx, const std::string& customer, const Program& p,
                   Timestamp now, FieldFn&& customer_field) {
  std::optional<Account> a = tx.ledger().find_account(ctx.tenant(), customer, p.id);
  if (!a) {
    require_customer(tx, ctx.tenant(), customer, customer_field());
    a = load_account(tx, ensure_account(tx, ctx.tenant(), customer, p, now));
  }
  settle(tx, ctx.tenant(), p, *a, now);
  return {p, std::move(*a)};
}

Target resolve(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i, Timestamp now, ProgramCache& cache) {
  const std::string customer = i.str("customer_id");
  const Program& p = program_for(ctx, tx, i, cache);
  return open_target(ctx, tx, customer, p, now, [&] { return i.field("customer_id"); });
}

std::string field_at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

/// The same for a typed request (customer and program already checked); errors under `path`.
Target resolve(const Ctx& ctx, storage::UnitOfWork& tx, const std::string& customer,
               const std::optional<std::string>& program, const std::string& path, Timestamp now, ProgramCache& cache) {
  const Program* p = nullptr;
  if (program) {
    p = &cached_program(tx, ctx.tenant(), *program, cache, field_at(path, "program_id"));
  } else {
    if (!cache.fallback) cache.fallback = default_program(tx, ctx.tenant());
    p = &*cache.fallback;
  }
  return open_target(ctx, tx, customer, *p, now, [&] { return field_at(path, "customer_id"); });
}

Target resolve(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i, Timestamp now) {
  ProgramCache cache;
  return resolve(ctx, tx, i, now, cache);
}

/// Finds the existing account (reads never create one).
std::optional<Account> resolve_existing(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i) {
  const std::string customer = i.str("customer_id");
  ProgramCache cache;
  const Program& p = program_for(ctx, tx, i, cache);
  auto a = tx.ledger().find_account(ctx.tenant(), customer, p.id);
  if (!a) require_customer(tx, ctx.tenant(), customer, i.field("customer_id"));
  return a;
}

// ---------------------------------------------------------------------------------------------
// Entries and buckets

/// An entry as the ledger writes and reports it: its stored row (insert_entry fills in the id,
/// tenant, account, times and the metadata's text), the metadata as a document, and its bucket's
/// expiry and pending window (credits only), reported with the entry but stored with the bucket.
struct NewEntry {
  storage::EntryRecord row;
  std::optional<json> metadata;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> pending_until;
};

/// A posted entry of `type` for `points`, dated `occurred`; callers set the rest of the row.
NewEntry new_entry(std::string type, int64_t points, Timestamp occurred, std::optional<std::string> reason = {},
                   std::optional<json> metadata = {}) {
  NewEntry e;
  e.row.type = std::move(type);
  e.row.points = points;
  e.row.reason = std::move(reason);
  e.row.occurred_at = occurred;
  e.metadata = std::move(metadata);
  return e;
}

std::string new_entry_id(Timestamp now) { return crypto::new_sortable_id("ent", now); }

/// How far ahead of the engine clock an event may be dated (clock skew between devices).
constexpr Timestamp kMaxFutureSkewMs = kMillisPerDay;

/// The event time of a write: `occurred_at` when given (not before 1970, not more than a day
/// ahead of the clock, so no input can push expiry or inactivity out of reach), else now.
Timestamp event_time(const Input& i, Timestamp now) {
  return i.opt_event_time("occurred_at", now, kMaxFutureSkewMs).value_or(now);
}

// Checks of the typed requests of the internal API: each field held to the range the public
// operation reads it with. A refusal is worded by that operation's own reader (Input) over the
// one offending field, so messages and field paths are the ones its JSON would get.

[[noreturn]] void fail_at(const std::string& path, std::string_view key, const std::string& message) {
  const std::string f = field_at(path, key);
  throw Error(Status::invalid, fmt::format("{}: {}", f, message), f);
}

template <typename Read>
[[noreturn]] void refuse(const std::string& path, std::string_view key, json value, Read&& read) {
  const json one = {{std::string(key), std::move(value)}};
  read(Input(one, {key}, path));
  throw Error(Status::error, "the ledger refused a request field its input reader accepts", field_at(path, key));
}

void check_i64(const std::string& path, std::string_view key, int64_t v, int64_t min, int64_t max) {
  if (v < min || v > max) refuse(path, key, v, [&](const Input& i) { (void)i.i64(key, min, max); });
}

void check_str(const std::string& path, std::string_view key, const std::string& v, size_t max_len = 256) {
  if (v.empty() || v.size() > max_len) refuse(path, key, v, [&](const Input& i) { (void)i.str(key, max_len); });
}

void check_opt_str(const std::string& path, std::string_view key, const std::optional<std::string>& v, size_t max_len) {
  if (v) check_str(path, key, *v, max_len);
}

void check_metadata(const std::string& path, const std::optional<json>& m) {
  if (m && (!m->is_object() || json_bytes(*m) > kMaxMetadataBytes))
    refuse(path, "metadata", *m, [&](const Input& i) { (void)opt_object_limited(i, "metadata", kMaxMetadataBytes); });
}

void check_event_time(const std::string& path, const std::optional<Timestamp>& t, Timestamp now) {
  if (t && (*t < 0 || *t - now > kMaxFutureSkewMs))
    refuse(path, "occurred_at", format_time(*t),
           [&](const Input& i) { (void)i.opt_event_time("occurred_at", now, kMaxFutureSkewMs); });
}

void check_account(const std::string& path, const std::string& customer, const std::optional<std::string>& program) {
  check_str(path, "customer_id", customer);
  check_opt_str(path, "program_id", program, 256);
}

json opt_time_json(const std::optional<int64_t>& t) { return t ? json(format_time(*t)) : json(nullptr); }
template <typename T>
json opt_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

bool is_credit(const std::string& type, int64_t points) {
  return type == "earn" || type == "bonus" || (type == "adjust" && points > 0);
}

/// The public form of an entry; the one shape both fresh writes and reads produce.
json entry_json(const NewEntry& e, const Account& a) {
  const storage::EntryRecord& r = e.row;
  json j = {{"id", r.id},
            {"type", r.type},
            {"points", r.points},
            {"status", r.status},
            {"customer_id", a.customer_id},
            {"program_id", a.program_id},
            {"occurred_at", format_time(r.occurred_at)},
            {"recorded_at", format_time(r.recorded_at)},
            {"posted_at", opt_time_json(r.posted_at)},
            {"reason", opt_json(r.reason)},
            {"ref_entry_id", opt_json(r.ref_entry)},
            {"hold_id", opt_json(r.hold_id)},
            {"metadata", e.metadata ? *e.metadata : json::object()}};
  if (is_credit(r.type, r.points)) {
    j["expires_at"] = opt_time_json(e.expires_at);
    j["pending_until"] = opt_time_json(e.pending_until);
  }
  if (r.type == "reverse") j["reversed_points"] = r.ref_points.value_or(-r.points);
  return j;
}

/// Stores `e` as entry `id` of the account, recorded (and, when posted, posted) at `now`.
void insert_entry(storage::UnitOfWork& tx, const std::string& tenant, int64_t account, const std::string& id,
                  NewEntry& e, Timestamp now) {
  storage::EntryRecord& r = e.row;
  r.id = id;
  r.tenant_id = tenant;
  r.account_id = account;
  r.metadata = e.metadata ? std::optional<std::string>(e.metadata->dump()) : std::nullopt;
  r.recorded_at = now;
  r.posted_at = r.status == "posted" ? std::optional<Timestamp>(now) : std::nullopt;
  tx.ledger().append_entry(r);
}

/// Writes an entry and returns its public form.
json write_entry(storage::UnitOfWork& tx, const std::string& tenant, const Account& a, const std::string& id,
                 NewEntry& e, Timestamp now) {
  insert_entry(tx, tenant, a.id, id, e, now);
  return entry_json(e, a);
}

/// Tells the installed hook (tiers) that the account's qualifying points changed.
void points_changed(Ctx& ctx, storage::UnitOfWork& tx, const Account& a, int64_t points, Timestamp occurred,
                    const char* cause, Timestamp now) {
  if (points == 0) return;
  for (const auto& h : hooks())
    if (h.on_points)
      h.on_points(ctx, tx, {{a.id, a.customer_id, a.program_id, a.opened_at}, points, occurred, cause}, now);
}

/// The outbox event of a ledger entry, with the balance after it (`a` already updated). Kept
/// small: the outbox appends one row per change, and small rows fill its pages before a split.
void entry_event(storage::UnitOfWork& tx, const std::string& tenant, std::string_view type, const Account& a,
                 const std::string& id, const NewEntry& e, Timestamp now) {
  emit_event(tx, tenant, type, a.customer_id, now,
             {{"entry_id", id},
              {"program_id", a.program_id},
              {"entry_type", e.row.type},
              {"points", e.row.points},
              {"status", e.row.status},
              {"balance", a.posted},
              {"available", a.available()}});
}

json entry_view_json(const storage::EntryView& v) {
  NewEntry e;
  e.row = v.entry;
  if (v.entry.metadata) e.metadata = parse_stored(*v.entry.metadata);
  e.expires_at = v.expires_at;
  e.pending_until = v.pending_until;
  Account owner;
  owner.customer_id = v.customer_id;
  owner.program_id = v.program_id;
  return entry_json(e, owner);
}

json load_entry(storage::UnitOfWork& tx, const std::string& id) {
  auto v = tx.ledger().entry_view(id);
  if (!v) throw Error(Status::error, fmt::format("entry {} vanished", id));
  return entry_view_json(*v);
}

/// Adds posted points: pays any debt first, the rest lands in a new available bucket.
int64_t credit_posted(storage::UnitOfWork& tx, Account& a, const std::string& entry, int64_t points,
                      std::optional<Timestamp> expires_at, Timestamp now) {
  const int64_t pay = std::min(a.debt, points);
  a.debt -= pay;
  const int64_t bucket =
      tx.ledger().add_bucket({a.id, entry, points, points - pay, "available", expires_at, std::nullopt, now});
  a.posted = checked_add(a.posted, points, "points");
  return bucket;
}

/// Takes `amount` points from the account's unheld available buckets, nearest expiry first, then
/// oldest; non-expiring last. `first` is consumed before the others when given. Points beyond the
/// buckets become debt only when `allow_debt`.
std::vector<Slice> consume(storage::UnitOfWork& tx, Account& a, int64_t amount, bool allow_debt,
                           std::optional<int64_t> first = std::nullopt) {
  std::vector<Slice> taken;
  int64_t need = amount;
  auto take_from = [&](int64_t bucket, int64_t free) {
    const int64_t t = std::min(free, need);
    if (t <= 0) return;
    tx.ledger().change_bucket(bucket, -t, 0);
    taken.push_back({bucket, t});
    need -= t;
  };
  if (first) {
    const auto b = tx.ledger().bucket(*first);
    if (b && b->state == "available") take_from(*first, b->free());
  }
  if (need > 0) {
    for (const auto& c : tx.ledger().spendable(a.id, need, first)) take_from(c.bucket, c.points);
  }
  if (need > 0) {
    if (!allow_debt) throw Error(Status::insufficient, "not enough available points", "points");
    a.debt = checked_add(a.debt, need, "points");
  }
  a.posted = checked_add(a.posted, -amount, "points");
  return taken;
}

void record_slices(storage::UnitOfWork& tx, const std::string& entry, const std::vector<Slice>& slices) {
  for (const auto& s : slices) tx.ledger().allocate(entry, s.bucket, s.points);
}

void touch(Account& a, Timestamp at) { a.last_activity_at = std::max(a.last_activity_at.value_or(at), at); }

void check_max_balance(const Program& p, const Account& a, int64_t points, const std::string& field) {
  if (p.max_balance && a.posted + a.pending + points > *p.max_balance)
    throw Error(Status::limit,
                fmt::format("the program's maximum balance of {} points would be exceeded", *p.max_balance), field,
                {{"max_balance", *p.max_balance}, {"balance", a.posted + a.pending}});
}

// ---------------------------------------------------------------------------------------------
// earn

/// The fields of `ledger.earn` but its account (read after the key's replay check).
EarnRequest read_earn(const Input& i, Timestamp now) {
  EarnRequest r;
  r.points = i.i64("points", 1, kMaxAmount);
  r.occurred_at = i.opt_event_time("occurred_at", now, kMaxFutureSkewMs);
  r.reason = i.opt_str("reason", 500);
  r.metadata = opt_object_limited(i, "metadata", kMaxMetadataBytes);
  r.pending_days = i.opt_i64("pending_days", 0, 365);
  r.expires_at = i.opt_time("expires_at");  // checked before anything is looked up
  r.type = i.opt_enum("type", {"earn", "bonus"}).value_or("earn");
  return r;
}

void read_account(const Input& i, std::string& customer, std::optional<std::string>& program) {
  customer = i.str("customer_id");
  if (i.has("program_id")) program = i.str("program_id");
}

void check_earn(const EarnRequest& r, const std::string& path, Timestamp now) {
  check_i64(path, "points", r.points, 1, kMaxAmount);
  check_event_time(path, r.occurred_at, now);
  check_opt_str(path, "reason", r.reason, 500);
  check_metadata(path, r.metadata);
  if (r.pending_days) check_i64(path, "pending_days", *r.pending_days, 0, 365);
  if (r.type != "earn" && r.type != "bonus")
    refuse(path, "type", r.type, [](const Input& i) { (void)i.opt_enum("type", {"earn", "bonus"}); });
  check_account(path, r.customer_id, r.program_id);
}

/// Posts a checked earn; stores the answer under `key` when given.
json earn_core(Ctx& ctx, storage::UnitOfWork& tx, const EarnRequest& r, const std::string& path, Timestamp now,
               ProgramCache& programs, const std::optional<IdemKey>& key) {
  const int64_t points = r.points;
  const Timestamp occurred = r.occurred_at.value_or(now);
  Target t = resolve(ctx, tx, r.customer_id, r.program_id, path, now, programs);
  if (!t.program.active) throw Error(Status::unavailable, "the program is not active", field_at(path, "program_id"));
  Account& a = t.account;
  check_max_balance(t.program, a, points, field_at(path, "points"));

  const int64_t pdays = r.pending_days.value_or(t.program.pending_days);
  // The program's expiry (always after the earn), or the one given, which must be. The given time
  // is compared as read, never through an optional: the compiler may test an empty optional's
  // uninitialised value before its emptiness, a conditional jump on uninitialised memory.
  std::optional<Timestamp> expires;
  if (r.expires_at.has_value()) {
    const Timestamp given = *r.expires_at;
    if (given <= occurred) fail_at(path, "expires_at", "must be after occurred_at");
    expires = given;
  } else {
    expires = expiry_for(t.program, occurred);
  }
  const std::string entry = new_entry_id(now);
  int64_t bucket = 0;
  std::optional<Timestamp> until;
  if (pdays > 0) {
    until = occurred + pdays * kMillisPerDay;
    bucket = tx.ledger().add_bucket({a.id, entry, points, points, "pending", expires, until, now});
    a.pending = checked_add(a.pending, points, "points");
  } else {
    bucket = credit_posted(tx, a, entry, points, expires, now);
  }
  NewEntry e = new_entry(r.type, points, occurred, r.reason, r.metadata);
  if (pdays > 0) e.row.status = "pending";
  e.row.bucket_id = bucket;
  e.expires_at = expires;
  e.pending_until = until;
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  a.lifetime_earned = checked_add(a.lifetime_earned, points, "points");
  touch(a, occurred);
  tx.ledger().save_account(a);
  entry_event(tx, ctx.tenant(), "points.earned", a, entry, e, now);
  points_changed(ctx, tx, a, points, occurred, r.type == "bonus" ? "bonus" : "earn", now);
  json out = {{"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

/// `ledger.earn` (and each event of `ledger.earn_batch`) from its JSON.
json earn_one(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now,
              ProgramCache& programs) {
  Input i(in,
          {"customer_id", "program_id", "points", "idempotency_key", "occurred_at", "reason", "metadata",
           "pending_days", "expires_at", "type"},
          path);
  EarnRequest r = read_earn(i, now);
  const auto key = idem_key(in, "ledger.earn", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  read_account(i, r.customer_id, r.program_id);
  return earn_core(ctx, tx, r, path, now, programs, key);
}

json earn_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  ProgramCache programs;
  return earn_one(ctx, tx, in, path, now, programs);
}

}  // namespace

std::optional<AccountRef> find_account_ref(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i) {
  auto a = resolve_existing(ctx, tx, i);
  if (!a) return std::nullopt;
  return AccountRef{a->id, a->customer_id, a->program_id, a->opened_at};
}

AccountRef open_account_ref(Ctx& ctx, storage::UnitOfWork& tx, const Input& i, Timestamp now) {
  const Target t = resolve(ctx, tx, i, now);
  return {t.account.id, t.account.customer_id, t.account.program_id, t.account.opened_at};
}

int64_t available_points(storage::UnitOfWork& tx, const AccountRef& account) {
  return load_account(tx, account.id).available();
}

json earn_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const EarnRequest& r, const std::string& path, Timestamp now) {
  check_earn(r, path, now);
  ProgramCache programs;
  return earn_core(ctx, tx, r, path, now, programs, std::nullopt);
}

namespace {

json earn_batch(Ctx& ctx, const json& in) {
  Input i(in, {"events"});
  const json& events = i.raw("events");
  if (!events.is_array() || events.empty() || events.size() > 10'000)
    i.fail("events", "must be an array of 1 to 10000 earn events");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    json results = json::array();
    int64_t ok = 0;
    ProgramCache programs;
    std::string path;
    for (size_t n = 0; n < events.size(); ++n) {
      tx.savepoint();
      try {
        path.assign("events[").append(std::to_string(n)).append("]");
        json r = earn_one(ctx, tx, events[n], path, now, programs);
        tx.release();
        r["ok"] = true;
        results.push_back(std::move(r));
        ++ok;
      } catch (const Error& e) {
        if (e.status() == Status::busy || e.status() == Status::storage || e.status() == Status::nomem) throw;
        tx.rollback_to();
        results.push_back({{"ok", false}, {"error", error_json(e)}});
      }
    }
    return {{"results", std::move(results)}, {"succeeded", ok}, {"failed", static_cast<int64_t>(events.size()) - ok}};
  });
}

json adjust(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "points", "reason", "idempotency_key", "occurred_at", "metadata"});
  const int64_t points = i.i64("points", -kMaxAmount, kMaxAmount);
  if (points == 0) i.fail("points", "must not be zero");
  const std::string reason = i.str("reason", 500);
  const auto metadata = opt_object_limited(i, "metadata", kMaxMetadataBytes);
  const Timestamp now = ctx.engine.now();
  const Timestamp occurred = event_time(i, now);
  const auto key = idem_key(in, "ledger.adjust");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (key)
      if (auto replay = idem_lookup(tx, ctx.tenant(), *key)) return *replay;
    Target t = resolve(ctx, tx, i, now);
    Account& a = t.account;
    const std::string entry = new_entry_id(now);
    NewEntry e = new_entry("adjust", points, occurred, reason, metadata);
    std::vector<Slice> slices;
    if (points > 0) {
      check_max_balance(t.program, a, points, "points");
      e.expires_at = expiry_for(t.program, occurred);
      e.row.bucket_id = credit_posted(tx, a, entry, points, e.expires_at, now);
    } else {
      if (!t.program.allow_negative && a.available() < -points)
        throw Error(Status::insufficient, fmt::format("cannot debit {} points: {} available", -points, a.available()),
                    "points", {{"available", a.available()}});
      slices = consume(tx, a, -points, t.program.allow_negative);
    }
    json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
    record_slices(tx, entry, slices);
    touch(a, occurred);
    tx.ledger().save_account(a);
    entry_event(tx, ctx.tenant(), "points.adjusted", a, entry, e, now);
    audit.record(
        "ledger.adjust", entry,
        {{"customer_id", a.customer_id}, {"program_id", a.program_id}, {"points", points}, {"reason", reason}});
    json out = {{"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
    if (key) idem_store(tx, ctx.tenant(), *key, out, now);
    return out;
  });
}

struct EntryRef {
  int64_t account_id = 0;  // initialised: a replayed correction returns an EntryRef never read
  std::string type;
  int64_t points = 0;
  std::string status;
  std::optional<int64_t> bucket_id;
};

EntryRef find_entry(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                    const std::string& field) {
  auto e = tx.ledger().find_entry(tenant, id);
  if (!e) throw Error(Status::not_found, fmt::format("no ledger entry '{}'", id), field);
  return {e->account_id, std::move(e->type), e->points, std::move(e->status), e->bucket_id};
}

/// Points of an earn's bucket that expired and that earlier reversals have not yet waived: a
/// reversal never takes back points the customer already lost to expiry.
int64_t expired_unwaived(storage::UnitOfWork& tx, const std::string& entry, int64_t bucket) {
  return std::max<int64_t>(0, tx.ledger().expired_points(bucket) - tx.ledger().waived_points(entry));
}

/// The fields of `ledger.reverse` and `ledger.refund` but the key.
CorrectionRequest read_correction(const Input& i, Timestamp now) {
  CorrectionRequest r;
  r.entry_id = i.str("entry_id");
  r.points = i.opt_i64("points", 1, kMaxAmount);
  r.reason = i.opt_str("reason", 500);
  r.metadata = opt_object_limited(i, "metadata", kMaxMetadataBytes);
  r.occurred_at = i.opt_event_time("occurred_at", now, kMaxFutureSkewMs);
  return r;
}

void check_correction(const CorrectionRequest& r, const std::string& path, Timestamp now) {
  check_str(path, "entry_id", r.entry_id);
  if (r.points) check_i64(path, "points", *r.points, 1, kMaxAmount);
  check_opt_str(path, "reason", r.reason, 500);
  check_metadata(path, r.metadata);
  check_event_time(path, r.occurred_at, now);
}

/// The points a correction takes: `points`, or all that is `left` by default. Status::conflict
/// (detail `<what>: left`) when nothing, or less than asked, is left.
int64_t correction_amount(const std::string& path, std::optional<int64_t> points, int64_t left, const char* what,
                          const char* noun) {
  if (left == 0)
    throw Error(Status::conflict, fmt::format("{} are no longer {}", noun, what), field_at(path, "entry_id"),
                {{what, 0}});
  const int64_t amount = points.value_or(left);
  if (amount > left)
    throw Error(Status::conflict, fmt::format("only {} of {} remain {}", left, noun, what), field_at(path, "points"),
                {{what, left}});
  return amount;
}

}  // namespace

namespace {

json reverse_core(Ctx& ctx, storage::UnitOfWork& tx, const ReverseRequest& r, const std::string& path, Timestamp now,
                  const std::optional<IdemKey>& key) {
  const std::string& entry_id = r.entry_id;
  const Timestamp occurred = r.occurred_at.value_or(now);
  const EntryRef orig = find_entry(tx, ctx.tenant(), entry_id, field_at(path, "entry_id"));
  if (orig.type != "earn" && orig.type != "bonus")
    throw Error(Status::invalid, fmt::format("only earn and bonus entries can be reversed, not '{}'", orig.type),
                field_at(path, "entry_id"));
  const int64_t reversible = orig.points - tx.ledger().reversed_points(entry_id);
  const int64_t amount = correction_amount(path, r.points, reversible, "reversible", "the entry's points");
  Account a = load_account(tx, orig.account_id);
  const Program p = load_program(tx, ctx.tenant(), a.program_id);
  settle(tx, ctx.tenant(), p, a, now);
  std::string state;
  if (orig.bucket_id)
    if (auto b = tx.ledger().bucket(*orig.bucket_id)) state = std::move(b->state);
  const std::string entry = new_entry_id(now);
  NewEntry e = new_entry("reverse", -amount, occurred, r.reason, r.metadata);
  e.row.ref_entry = entry_id;
  e.row.ref_points = amount;
  std::vector<Slice> slices;
  if (state == "pending") {
    // Still in its return window: the pending bucket shrinks; nothing posted changes.
    tx.ledger().change_bucket(*orig.bucket_id, -amount, 0);
    e.row.status = "pending";
    e.row.bucket_id = orig.bucket_id;
    a.pending -= amount;
  } else {
    const int64_t debit = amount - std::min(amount, expired_unwaived(tx, entry_id, orig.bucket_id.value_or(-1)));
    e.row.points = -debit;
    switch (p.return_policy) {
      case ReturnPolicy::only_pending:
        throw Error(Status::forbidden, "the program's return policy only_pending allows reversing pending points only",
                    field_at(path, "entry_id"));
      case ReturnPolicy::within_balance:
        if (a.available() < debit)
          throw Error(Status::insufficient,
                      fmt::format("reversing {} points needs them available; {} are", debit, a.available()),
                      field_at(path, "points"), {{"available", a.available()}});
        if (debit > 0) slices = consume(tx, a, debit, false, orig.bucket_id);
        break;
      case ReturnPolicy::unlimited:
        if (debit > 0) slices = consume(tx, a, debit, true, orig.bucket_id);
        break;
    }
  }
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  a.lifetime_earned -= amount;
  tx.ledger().save_account(a);
  entry_event(tx, ctx.tenant(), "points.reversed", a, entry, e, now);
  points_changed(ctx, tx, a, -amount, occurred, "reverse", now);
  json out = {{"entry", std::move(entry_out)},
              {"balance", balance_json(a)},
              {"reversible_remaining", reversible - amount},
              {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json reverse_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"entry_id", "points", "reason", "idempotency_key", "occurred_at", "metadata"}, path);
  const ReverseRequest r = read_correction(i, now);
  const auto key = idem_key(in, "ledger.reverse", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  return reverse_core(ctx, tx, r, path, now, key);
}

}  // namespace

json reverse_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const ReverseRequest& r, const std::string& path, Timestamp now) {
  check_correction(r, path, now);
  return reverse_core(ctx, tx, r, path, now, std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// redeem and refund

namespace {

json redeem_core(Ctx& ctx, storage::UnitOfWork& tx, const RedeemRequest& r, const std::string& path, Timestamp now,
                 const std::optional<IdemKey>& key) {
  const int64_t points = r.points;
  const Timestamp occurred = r.occurred_at.value_or(now);
  ProgramCache programs;
  Target t = resolve(ctx, tx, r.customer_id, r.program_id, path, now, programs);
  Account& a = t.account;
  if (a.available() < points)
    throw Error(Status::insufficient, fmt::format("cannot redeem {} points: {} available", points, a.available()),
                field_at(path, "points"), {{"available", a.available()}});
  const std::string entry = new_entry_id(now);
  NewEntry e = new_entry("redeem", -points, occurred, r.reason, r.metadata);
  const std::vector<Slice> slices = consume(tx, a, points, false);
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  a.lifetime_redeemed = checked_add(a.lifetime_redeemed, points, "points");
  touch(a, occurred);
  tx.ledger().save_account(a);
  entry_event(tx, ctx.tenant(), "points.redeemed", a, entry, e, now);
  json out = {{"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json redeem_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"customer_id", "program_id", "points", "reason", "metadata", "idempotency_key", "occurred_at"}, path);
  RedeemRequest r;
  r.points = i.i64("points", 1, kMaxAmount);
  r.reason = i.opt_str("reason", 500);
  r.metadata = opt_object_limited(i, "metadata", kMaxMetadataBytes);
  r.occurred_at = i.opt_event_time("occurred_at", now, kMaxFutureSkewMs);
  const auto key = idem_key(in, "ledger.redeem", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  read_account(i, r.customer_id, r.program_id);
  return redeem_core(ctx, tx, r, path, now, key);
}

json refund_core(Ctx& ctx, storage::UnitOfWork& tx, const RefundRequest& r, const std::string& path, Timestamp now,
                 const std::optional<IdemKey>& key) {
  const std::string& entry_id = r.entry_id;
  const Timestamp occurred = r.occurred_at.value_or(now);
  const EntryRef orig = find_entry(tx, ctx.tenant(), entry_id, field_at(path, "entry_id"));
  if (orig.type != "redeem")
    throw Error(Status::invalid, fmt::format("only redeem entries can be refunded, not '{}'", orig.type),
                field_at(path, "entry_id"));
  const int64_t refundable = -orig.points - tx.ledger().refunded_points(entry_id);
  const int64_t amount = correction_amount(path, r.points, refundable, "refundable", "the redemption's points");
  Account a = load_account(tx, orig.account_id);
  const Program p = load_program(tx, ctx.tenant(), a.program_id);
  settle(tx, ctx.tenant(), p, a, now);
  // Back into the buckets the redemption took them from, with their original expiry: last in
  // spending order first (the latest expiry), less what earlier refunds already put back.
  std::vector<Slice> slices;
  {
    int64_t need = amount;
    for (const auto& left : tx.ledger().refundable_slices(entry_id)) {
      if (need == 0) break;
      const int64_t take = std::min(need, left.points);
      if (take <= 0) continue;
      slices.push_back({left.bucket, take});
      need -= take;
    }
    // Redemptions never create debt, so their allocations cover every point.
    if (need > 0)
      throw Error(Status::error, fmt::format("redemption {} has no allocation for {} points", entry_id, need));
  }
  for (const auto& sl : slices) tx.ledger().change_bucket(sl.bucket, sl.points, 0);
  const std::string entry = new_entry_id(now);
  NewEntry e = new_entry("refund", amount, occurred, r.reason, r.metadata);
  e.row.ref_entry = entry_id;
  e.row.ref_points = amount;
  a.posted = checked_add(a.posted, amount, "points");
  a.lifetime_redeemed -= amount;
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  touch(a, occurred);
  tx.ledger().save_account(a);
  entry_event(tx, ctx.tenant(), "points.refunded", a, entry, e, now);
  // Points put back into buckets that have expired since expire now, as they would have.
  const Settled late = settle(tx, ctx.tenant(), p, a, now);
  json out = {{"entry", std::move(entry_out)},
              {"balance", balance_json(a)},
              {"refundable_remaining", refundable - amount},
              {"expired_on_refund", late.points_expired},
              {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json refund_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"entry_id", "points", "reason", "idempotency_key", "occurred_at", "metadata"}, path);
  const RefundRequest r = read_correction(i, now);
  const auto key = idem_key(in, "ledger.refund", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  return refund_core(ctx, tx, r, path, now, key);
}

}  // namespace

json redeem_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const RedeemRequest& r, const std::string& path, Timestamp now) {
  check_i64(path, "points", r.points, 1, kMaxAmount);
  check_opt_str(path, "reason", r.reason, 500);
  check_metadata(path, r.metadata);
  check_event_time(path, r.occurred_at, now);
  check_account(path, r.customer_id, r.program_id);
  return redeem_core(ctx, tx, r, path, now, std::nullopt);
}

json refund_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const RefundRequest& r, const std::string& path, Timestamp now) {
  check_correction(r, path, now);
  return refund_core(ctx, tx, r, path, now, std::nullopt);
}

namespace {

/// Makes a pending bucket available: its pending entries become posted; debt is paid first.
void release_bucket(storage::UnitOfWork& tx, int64_t bucket, Timestamp now) {
  const auto b = tx.ledger().bucket(bucket);
  if (!b || b->state != "pending") return;
  const int64_t remaining = b->remaining;
  Account a = load_account(tx, b->account_id);
  const int64_t pay = std::min(a.debt, remaining);
  a.debt -= pay;
  tx.ledger().release_pending(bucket, pay, now);
  a.pending -= remaining;
  a.posted += remaining;
  tx.ledger().save_account(a);
}

json confirm(Ctx& ctx, const json& in) {
  Input i(in, {"entry_id", "idempotency_key"});
  const std::string entry_id = i.str("entry_id");
  const Timestamp now = ctx.engine.now();
  const auto key = idem_key(in, "ledger.confirm");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    if (key)
      if (auto replay = idem_lookup(tx, ctx.tenant(), *key)) return *replay;
    const EntryRef e = find_entry(tx, ctx.tenant(), entry_id, "entry_id");
    if (e.type != "earn" && e.type != "bonus")
      throw Error(Status::invalid, "only earn and bonus entries can be confirmed", "entry_id");
    if (e.bucket_id) release_bucket(tx, *e.bucket_id, now);
    json out = {{"entry", load_entry(tx, entry_id)},
                {"balance", balance_json(load_account(tx, e.account_id))},
                {"replayed", false}};
    if (key) idem_store(tx, ctx.tenant(), *key, out, now);
    return out;
  });
}

json balance(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id"});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  auto t = resolve_existing(ctx, tx, i);
  Account a;
  if (t) {
    a = std::move(*t);
  } else {
    a.customer_id = i.str("customer_id");
    a.program_id = i.has("program_id") ? i.str("program_id") : default_program(tx, ctx.tenant()).id;
  }
  json out = balance_json(a);
  const AccountRef ref{a.id, a.customer_id, a.program_id, a.opened_at};
  for (const auto& h : hooks())
    if (h.decorate_balance) h.decorate_balance(ctx, tx, a.id ? &ref : nullptr, a.program_id, out, ctx.engine.now());
  return out;
}

constexpr std::string_view kEntryTypes[] = {"earn",    "bonus",  "adjust", "redeem",
                                            "reverse", "refund", "expire", "transfer"};

json history(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "types", "from", "to", "limit", "cursor"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t before = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : INT64_MAX;
  const auto from = i.opt_time("from");
  const auto to = i.opt_time("to");
  std::vector<std::string> types;
  if (auto list = i.opt_str_list("types", 16)) {
    // An empty filter would match nothing: refused rather than read as "every type" or "none".
    if (list->empty()) i.fail("types", "must list 1 to 16 entry types (omit it for every type)");
    for (size_t n = 0; n < list->size(); ++n)
      if (std::find(std::begin(kEntryTypes), std::end(kEntryTypes), (*list)[n]) == std::end(kEntryTypes)) {
        const std::string f = fmt::format("types[{}]", n);
        throw Error(Status::invalid, fmt::format("{}: unknown entry type '{}'", f, (*list)[n]), f);
      }
    types = std::move(*list);
  }
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  auto t = resolve_existing(ctx, tx, i);
  if (!t) return {{"items", json::array()}, {"next_cursor", nullptr}};
  return storage::page_of(
      tx.ledger().history({t->id, before, std::move(types), from, to, limit}), limit,
      [](const storage::EntryView& v) { return v.seq; }, entry_view_json);
}

/// The cursor of `ledger.expiring`: the (expires_at, bucket) of the last item, "x<ms>.<id>".
std::string expiring_cursor(Timestamp expires_at, int64_t bucket) { return fmt::format("x{}.{}", expires_at, bucket); }

std::pair<Timestamp, int64_t> parse_expiring_cursor(const Input& i) {
  const std::string c = i.str("cursor", 64);
  Timestamp t = 0;
  int64_t b = 0;
  const auto dot = c.find('.');
  auto digits = [](std::string_view v, int64_t& out) {
    if (v.empty() || v.size() > 18) return false;
    out = 0;
    for (char ch : v) {
      if (ch < '0' || ch > '9') return false;
      out = out * 10 + (ch - '0');
    }
    return true;
  };
  if (c.size() < 4 || c[0] != 'x' || dot == std::string::npos || !digits(std::string_view(c).substr(1, dot - 1), t) ||
      !digits(std::string_view(c).substr(dot + 1), b))
    i.fail("cursor", "malformed cursor");
  return {t, b};
}

/// Points that will expire in (after, before): for reminders ("120 points expire on 31 March").
/// One item per bucket, nearest expiry first; tenant-wide, or one customer's.
json expiring(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "before", "after", "limit", "cursor"});
  const Timestamp before = i.time("before");
  const Timestamp after = i.opt_time("after").value_or(ctx.engine.now());
  if (before <= after) i.fail("before", "must be later than 'after' (default: the engine clock's now)");
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  Timestamp from_t = after;
  int64_t from_b = INT64_MAX;  // first page: every bucket with expires_at > after
  if (i.has("cursor")) std::tie(from_t, from_b) = parse_expiring_cursor(i);
  if (i.has("program_id") && !i.has("customer_id")) i.fail("program_id", "needs customer_id");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  std::optional<int64_t> account;
  if (i.has("customer_id")) {
    auto a = resolve_existing(ctx, tx, i);
    if (!a) return {{"items", json::array()}, {"next_cursor", nullptr}};
    account = a->id;
  }
  const auto rows = tx.ledger().expiring({ctx.tenant(), account, before, from_t, from_b, limit});
  json items = json::array();
  std::string next;
  for (const auto& r : rows) {
    if (static_cast<int64_t>(items.size()) == limit) {
      const auto& last = rows[static_cast<size_t>(limit) - 1];
      next = expiring_cursor(last.expires_at, last.bucket);
      break;
    }
    items.push_back({{"expires_at", format_time(r.expires_at)},
                     {"points", r.points},
                     {"entry_id", r.entry_id},
                     {"customer_id", r.customer_id},
                     {"program_id", r.program_id}});
  }
  return {{"items", std::move(items)}, {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
}

json entry_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  find_entry(tx, ctx.tenant(), id, "id");
  json e = load_entry(tx, id);
  if (e["type"] == "earn" || e["type"] == "bonus") e["reversed"] = tx.ledger().reversed_points(id);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Holds

using Hold = storage::HoldRecord;

json hold_json(storage::UnitOfWork& tx, const std::string& id) {
  const auto v = tx.ledger().hold_view(id);
  if (!v) throw Error(Status::error, fmt::format("hold {} vanished", id));
  const Hold& h = v->hold;
  return {{"id", h.id},
          {"customer_id", v->customer_id},
          {"program_id", v->program_id},
          {"points", h.points},
          {"status", h.status},
          {"reason", opt_json(h.reason)},
          {"expires_at", format_time(h.expires_at)},
          {"created_at", format_time(h.created_at)},
          {"resolved_at", opt_time_json(h.resolved_at)},
          {"entry_id", opt_json(h.entry_id)}};
}

Hold find_hold(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
               const std::string& field = "id") {
  auto h = tx.ledger().find_hold(tenant, id);
  if (!h) throw Error(Status::not_found, fmt::format("no hold '{}'", id), field);
  return std::move(*h);
}

/// Releases an active hold's reservation and marks it voided or expired.
void release_hold(storage::UnitOfWork& tx, const Hold& h, const char* status, Timestamp now) {
  for (const auto& s : tx.ledger().hold_slices(h.id)) tx.ledger().change_bucket(s.bucket, 0, -s.points);
  Account a = load_account(tx, h.account_id);
  a.held -= h.points;
  tx.ledger().save_account(a);
  tx.ledger().resolve_hold(h.id, status, now, std::nullopt);
}

}  // namespace

namespace {

constexpr int64_t kMaxHoldTtlS = 30 * 86'400;

json hold_create_core(Ctx& ctx, storage::UnitOfWork& tx, const HoldCreateRequest& r, const std::string& path,
                      Timestamp now, const std::optional<IdemKey>& key) {
  const int64_t points = r.points;
  const std::optional<std::string>& reason = r.reason;
  const Timestamp expires = r.expires_at ? *r.expires_at : now + r.ttl_seconds.value_or(900) * 1000;
  if (expires <= now) fail_at(path, "expires_at", "must be in the future");
  ProgramCache programs;
  Target t = resolve(ctx, tx, r.customer_id, r.program_id, path, now, programs);
  Account& a = t.account;
  if (a.available() < points)
    throw Error(Status::insufficient, fmt::format("cannot hold {} points: {} available", points, a.available()),
                field_at(path, "points"), {{"available", a.available()}});
  const std::string id = crypto::new_id("hld");
  Hold h;
  h.id = id;
  h.tenant_id = ctx.tenant();
  h.account_id = a.id;
  h.points = points;
  h.status = "active";
  h.reason = reason;
  h.expires_at = expires;
  h.created_at = now;
  tx.ledger().insert_hold(h);
  int64_t need = points;
  for (const auto& c : tx.ledger().spendable(a.id, points, std::nullopt)) {
    const int64_t take = std::min(need, c.points);
    tx.ledger().change_bucket(c.bucket, 0, take);
    tx.ledger().reserve(id, c.bucket, take);
    need -= take;
  }
  if (need > 0)
    throw Error(Status::insufficient, "not enough unreserved points in the account's buckets",
                field_at(path, "points"));
  a.held += points;
  tx.ledger().save_account(a);
  json out = {{"hold", hold_json(tx, id)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json hold_create_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"customer_id", "program_id", "points", "expires_at", "ttl_seconds", "reason", "idempotency_key"}, path);
  HoldCreateRequest r;
  r.points = i.i64("points", 1, kMaxAmount);
  r.reason = i.opt_str("reason", 500);
  if (i.has("expires_at") && i.has("ttl_seconds")) i.fail("ttl_seconds", "give expires_at or ttl_seconds, not both");
  if (i.has("expires_at"))
    r.expires_at = i.time("expires_at");
  else
    r.ttl_seconds = i.opt_i64("ttl_seconds", 1, kMaxHoldTtlS);
  const auto key = idem_key(in, "hold.create", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  read_account(i, r.customer_id, r.program_id);
  return hold_create_core(ctx, tx, r, path, now, key);
}

json hold_commit_core(Ctx& ctx, storage::UnitOfWork& tx, const HoldCommitRequest& r, const std::string& path,
                      Timestamp now, const std::optional<IdemKey>& key) {
  const std::string& id = r.id;
  const Hold h = find_hold(tx, ctx.tenant(), id, field_at(path, "id"));
  if (h.status != "active")
    throw Error(Status::conflict, fmt::format("the hold is already {}", h.status), field_at(path, "id"),
                {{"status", h.status}});
  if (now >= h.expires_at)
    throw Error(Status::conflict, "the hold has expired", field_at(path, "id"), {{"status", "expired"}});
  const int64_t amount = r.points.value_or(h.points);
  if (amount > h.points)
    throw Error(Status::invalid, fmt::format("cannot commit {} points of a {}-point hold", amount, h.points),
                field_at(path, "points"));
  std::vector<Slice> slices;
  int64_t need = amount;
  for (const auto& s : tx.ledger().hold_slices(id)) {
    const int64_t take = std::min(need, s.points);
    tx.ledger().change_bucket(s.bucket, -take, -s.points);
    if (take > 0) slices.push_back({s.bucket, take});
    need -= take;
  }
  Account a = load_account(tx, h.account_id);
  const std::string entry = new_entry_id(now);
  NewEntry e = new_entry("redeem", -amount, now, r.reason, r.metadata);
  e.row.hold_id = id;
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  a.posted -= amount;
  a.held -= h.points;
  a.lifetime_redeemed += amount;
  touch(a, now);
  tx.ledger().save_account(a);
  tx.ledger().resolve_hold(id, "committed", now, entry);
  entry_event(tx, ctx.tenant(), "points.redeemed", a, entry, e, now);
  json out = {
      {"hold", hold_json(tx, id)}, {"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json hold_commit_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"id", "points", "reason", "idempotency_key", "metadata"}, path);
  HoldCommitRequest r;
  r.id = i.str("id");
  r.points = i.opt_i64("points", 1, kMaxAmount);
  r.reason = i.opt_str("reason", 500);
  r.metadata = opt_object_limited(i, "metadata", kMaxMetadataBytes);
  const auto key = idem_key(in, "hold.commit", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  return hold_commit_core(ctx, tx, r, path, now, key);
}

json hold_void_core(Ctx& ctx, storage::UnitOfWork& tx, const HoldVoidRequest& r, const std::string& path, Timestamp now,
                    const std::optional<IdemKey>& key) {
  const std::string& id = r.id;
  const Hold h = find_hold(tx, ctx.tenant(), id, field_at(path, "id"));
  if (h.status == "committed")
    throw Error(Status::conflict, "the hold is already committed", field_at(path, "id"), {{"status", h.status}});
  if (h.status == "active") release_hold(tx, h, now >= h.expires_at ? "expired" : "voided", now);
  json out = {
      {"hold", hold_json(tx, id)}, {"balance", balance_json(load_account(tx, h.account_id))}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json hold_void_json(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"id", "idempotency_key"}, path);
  HoldVoidRequest r;
  r.id = i.str("id");
  const auto key = idem_key(in, "hold.void", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  return hold_void_core(ctx, tx, r, path, now, key);
}

}  // namespace

json hold_create_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const HoldCreateRequest& r, const std::string& path,
                       Timestamp now) {
  check_i64(path, "points", r.points, 1, kMaxAmount);
  check_opt_str(path, "reason", r.reason, 500);
  if (r.expires_at && r.ttl_seconds) fail_at(path, "ttl_seconds", "give expires_at or ttl_seconds, not both");
  if (r.ttl_seconds) check_i64(path, "ttl_seconds", *r.ttl_seconds, 1, kMaxHoldTtlS);
  check_account(path, r.customer_id, r.program_id);
  return hold_create_core(ctx, tx, r, path, now, std::nullopt);
}

json hold_commit_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const HoldCommitRequest& r, const std::string& path,
                       Timestamp now) {
  check_str(path, "id", r.id);
  if (r.points) check_i64(path, "points", *r.points, 1, kMaxAmount);
  check_opt_str(path, "reason", r.reason, 500);
  check_metadata(path, r.metadata);
  return hold_commit_core(ctx, tx, r, path, now, std::nullopt);
}

json hold_void_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const HoldVoidRequest& r, const std::string& path,
                     Timestamp now) {
  check_str(path, "id", r.id);
  return hold_void_core(ctx, tx, r, path, now, std::nullopt);
}

namespace {

json hold_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  find_hold(tx, ctx.tenant(), id);
  return hold_json(tx, id);
}

// ---------------------------------------------------------------------------------------------
// Maintenance

/// Posts an expiry of a bucket's unreserved points, dated when they expired (`occurred`, or the
/// bucket's own expiry time).
int64_t expire_bucket(storage::UnitOfWork& tx, const std::string& tenant, int64_t bucket, Timestamp now,
                      std::optional<Timestamp> occurred = std::nullopt) {
  const auto b = tx.ledger().bucket(bucket);
  if (!b || b->state != "available") return 0;
  const int64_t amount = b->free();
  const std::optional<Timestamp> expires_at = b->expires_at;
  if (amount <= 0) return 0;
  Account a = load_account(tx, b->account_id);
  tx.ledger().change_bucket(bucket, -amount, 0);
  const std::string entry = new_entry_id(now);
  const Timestamp when = std::min(now, occurred.value_or(expires_at.value_or(now)));
  NewEntry e = new_entry("expire", -amount, when);
  e.row.bucket_id = bucket;
  insert_entry(tx, tenant, a.id, entry, e, now);
  tx.ledger().allocate(entry, bucket, amount);
  a.posted -= amount;
  tx.ledger().save_account(a);
  entry_event(tx, tenant, "points.expired", a, entry, e, now);
  return amount;
}

Settled settle(storage::UnitOfWork& tx, const std::string& tenant, const Program& p, Account& a, Timestamp cutoff,
               Timestamp now) {
  Settled done;
  storage::LedgerStore& store = tx.ledger();
  const bool due = store.anything_due(a.id, cutoff);
  const bool idle = p.expiry == ExpiryKind::inactivity && a.last_activity_at &&
                    *a.last_activity_at + p.expiry_value * kMillisPerDay <= cutoff;
  if (!due && !idle) return done;
  for (const auto& h : store.due_holds(a.id, cutoff)) {
    release_hold(tx, find_hold(tx, tenant, h), "expired", now);
    ++done.holds_expired;
  }
  for (const auto& b : store.due_pending(a.id, cutoff)) {  // bucket, points it holds
    release_bucket(tx, b.bucket, now);
    ++done.pending_released;
    done.points_released += b.points;
  }
  for (int64_t b : store.due_expiries(a.id, cutoff)) {
    done.points_expired += expire_bucket(tx, tenant, b, now);
    ++done.buckets_expired;
  }
  if (idle) {
    // Inactivity: every unreserved point of an account idle for the program's number of days.
    const Timestamp when = *a.last_activity_at + p.expiry_value * kMillisPerDay;
    for (int64_t b : store.unreserved_buckets(a.id)) {
      done.points_expired += expire_bucket(tx, tenant, b, now, when);
      ++done.buckets_expired;
    }
  }
  a = load_account(tx, a.id);
  return done;
}

json run_due(Ctx& ctx, const json& in) {
  Input i(in, {"now"});
  const Timestamp clock_now = ctx.engine.now();
  // `cutoff` selects what is due: catching up to a past instant is allowed, settling the future
  // early is not. Everything written is stamped with the clock's time.
  const Timestamp cutoff = i.opt_time("now").value_or(clock_now);
  if (cutoff > clock_now) i.fail("now", "must not be later than the engine clock's current time");
  return write_op(ctx, clock_now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    const std::string& tenant = ctx.tenant();

    // The tenant's accounts with anything due; each is settled exactly as a write would settle it.
    const auto accounts = tx.ledger().accounts_due(tenant, cutoff);
    Settled total;
    ProgramCache programs;
    for (int64_t id : accounts) {
      Account a = load_account(tx, id);
      const Settled s = settle(tx, tenant, cached_program(tx, tenant, a.program_id, programs), a, cutoff, clock_now);
      total.holds_expired += s.holds_expired;
      total.pending_released += s.pending_released;
      total.points_released += s.points_released;
      total.buckets_expired += s.buckets_expired;
      total.points_expired += s.points_expired;
    }
    json out = {{"now", format_time(cutoff)},
                {"holds_expired", total.holds_expired},
                {"pending_released", total.pending_released},
                {"points_released", total.points_released},
                {"buckets_expired", total.buckets_expired},
                {"points_expired", total.points_expired}};
    for (const auto& h : hooks())
      if (h.run_due) h.run_due(ctx, tx, cutoff, clock_now, out);
    return out;
  });
}

json verify(Ctx& ctx, const json& in) {
  Input i(in, {});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  json violations = json::array();
  auto violation = [&](const std::string& customer, const std::string& program, const char* invariant, int64_t expected,
                       int64_t actual) {
    violations.push_back({{"customer_id", customer},
                          {"program_id", program},
                          {"invariant", invariant},
                          {"expected", expected},
                          {"actual", actual}});
  };
  storage::LedgerStore& store = tx.ledger();
  const auto totals = store.account_totals(ctx.tenant());
  for (const auto& t : totals) {
    const std::string &c = t.account.customer_id, &p = t.account.program_id;
    const int64_t posted = t.account.posted, pending = t.account.pending, held = t.account.held, debt = t.account.debt;
    if (t.posted_entries != posted)
      violation(c, p, "balance equals the sum of posted entries", t.posted_entries, posted);
    if (t.pending_entries != pending)
      violation(c, p, "pending equals the sum of pending entries", t.pending_entries, pending);
    if (t.available_buckets - debt != posted)
      violation(c, p, "available bucket remainders minus debt equal the balance", posted, t.available_buckets - debt);
    if (t.pending_buckets != pending)
      violation(c, p, "pending bucket remainders equal pending", pending, t.pending_buckets);
    if (t.bucket_reservations != held) violation(c, p, "bucket reservations equal held", held, t.bucket_reservations);
    if (t.active_holds != held) violation(c, p, "active holds equal held", held, t.active_holds);
    if (t.earned_net != t.account.lifetime_earned)
      violation(c, p, "lifetime earned equals earns minus points reversed", t.earned_net, t.account.lifetime_earned);
    if (t.malformed_reversals != 0)
      violation(c, p, "a reversal debits no more than it reverses", 0, t.malformed_reversals);
    if (t.redeemed_net != t.account.lifetime_redeemed)
      violation(c, p, "lifetime redeemed equals redemptions minus refunds", t.redeemed_net,
                t.account.lifetime_redeemed);
    if (t.malformed_buckets != 0)
      violation(c, p, "every bucket has 0 <= held <= remaining <= original", 0, t.malformed_buckets);
    if (!t.may_go_negative && (posted - held < 0 || debt != 0))
      violation(c, p, "no negative balance unless the program allows it", 0, posted - held);
  }
  const int64_t accounts = static_cast<int64_t>(totals.size());
  // Per-row invariants: each check lists (customer, program, expected, actual) of its violations.
  auto check_rows = [&](const std::vector<storage::RowViolation>& rows, const char* invariant) {
    for (const auto& r : rows) violation(r.customer_id, r.program_id, invariant, r.expected, r.actual);
  };
  check_rows(store.over_reversed(ctx.tenant()), "an entry is never reversed beyond its points");
  check_rows(store.over_refunded(ctx.tenant()), "a redemption is never refunded beyond its points");
  check_rows(store.unbalanced_holds(ctx.tenant()), "a hold's reservations equal its points");
  for (const auto& h : hooks())
    if (h.verify) h.verify(ctx, tx, violations);
  return {{"ok", violations.empty()}, {"accounts_checked", accounts}, {"violations", std::move(violations)}};
}

/// An operation that is one ledger write in its own unit of work.
template <json (*InTx)(Ctx&, storage::UnitOfWork&, const json&, const std::string&, Timestamp)>
json ledger_op(Ctx& ctx, const json& in) {
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) { return InTx(ctx, tx, in, {}, now); });
}

constexpr OpDef kOps[] = {
    {"ledger.earn", ledger_op<earn_json>, kScopePos},
    {"ledger.earn_batch", earn_batch, kScopePos},
    {"ledger.adjust", adjust, kScopeAdmin},
    {"ledger.redeem", ledger_op<redeem_json>, kScopePos},
    {"ledger.refund", ledger_op<refund_json>, kScopePos},
    {"ledger.reverse", ledger_op<reverse_json>, kScopePos},
    {"ledger.confirm", confirm, kScopePos},
    {"ledger.balance", balance, kScopeRead},
    {"ledger.history", history, kScopeRead},
    {"ledger.expiring", expiring, kScopeRead},
    {"ledger.entry", entry_get, kScopeRead},
    {"ledger.run_due", run_due, kScopeAdmin},
    {"ledger.verify", verify, kScopeRead},
    {"hold.create", ledger_op<hold_create_json>, kScopePos},
    {"hold.commit", ledger_op<hold_commit_json>, kScopePos},
    {"hold.void", ledger_op<hold_void_json>, kScopePos},
    {"hold.get", hold_get, kScopeRead},
};

}  // namespace

std::span<const OpDef> ledger_ops() { return kOps; }

}  // namespace loyalty::detail
