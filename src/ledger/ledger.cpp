// The points ledger: immutable entries, buckets with expiry and pending state, holds, reversals
// under the program's return policy, maintenance (run_due) and invariant verification.
#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <span>

#include "audit/audit.hpp"
#include "core/input.hpp"
#include "core/registry.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "events/events.hpp"
#include "ledger/hooks.hpp"
#include "ledger/idempotency.hpp"
#include "ledger/ledger.hpp"
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

struct Account {
  int64_t id = 0;
  std::string customer_id;
  std::string program_id;
  int64_t posted = 0;   // sum of posted entries: the balance
  int64_t pending = 0;  // sum of pending entries
  int64_t held = 0;     // reserved by active holds
  int64_t debt = 0;     // points owed beyond the buckets (only where a negative balance is allowed)
  int64_t lifetime_earned = 0;
  int64_t lifetime_redeemed = 0;
  std::optional<int64_t> last_activity_at;
  Timestamp opened_at = 0;
  int64_t available() const { return posted - held; }
};

constexpr const char* kAccountCols =
    "id, customer_id, program_id, posted, pending, held, debt, lifetime_earned, lifetime_redeemed, last_activity_at, "
    "created_at";

Account account_row(storage::Query& q) {
  Account a;
  a.id = q.i64(0);
  a.customer_id = q.text(1);
  a.program_id = q.text(2);
  a.posted = q.i64(3);
  a.pending = q.i64(4);
  a.held = q.i64(5);
  a.debt = q.i64(6);
  a.lifetime_earned = q.i64(7);
  a.lifetime_redeemed = q.i64(8);
  a.last_activity_at = q.opt_i64(9);
  a.opened_at = q.i64(10);
  return a;
}

Account load_account(storage::Tx& tx, int64_t id) {
  auto q = tx.q(fmt::format("SELECT {} FROM accounts WHERE id = ?1", kAccountCols), id);
  if (!q.step()) throw Error(Status::error, fmt::format("account {} vanished", id));
  return account_row(q);
}

std::optional<Account> find_account(storage::Tx& tx, const std::string& tenant, const std::string& customer,
                                    const std::string& program) {
  auto q = tx.q(fmt::format("SELECT {} FROM accounts WHERE customer_id = ?1 AND program_id = ?2 AND tenant_id = ?3",
                            kAccountCols),
                customer, program, tenant);
  if (!q.step()) return std::nullopt;
  return account_row(q);
}

void save_account(storage::Tx& tx, const Account& a) {
  tx.q("UPDATE accounts SET posted = ?2, pending = ?3, held = ?4, debt = ?5, lifetime_earned = ?6, "
       "lifetime_redeemed = ?7, last_activity_at = ?8 WHERE id = ?1",
       a.id, a.posted, a.pending, a.held, a.debt, a.lifetime_earned, a.lifetime_redeemed, a.last_activity_at)
      .run();
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

const Program& cached_program(storage::Tx& tx, const std::string& tenant, const std::string& id, ProgramCache& cache,
                              const std::string& field = "program_id") {
  for (const auto& p : cache.programs)
    if (p.id == id) return p;
  cache.programs.push_back(load_program(tx, tenant, id, field));
  return cache.programs.back();
}

const Program& program_for(const Ctx& ctx, storage::Tx& tx, const Input& i, ProgramCache& cache) {
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
Settled settle(storage::Tx& tx, const std::string& tenant, const Program& p, Account& a, Timestamp cutoff,
               Timestamp now);
Settled settle(storage::Tx& tx, const std::string& tenant, const Program& p, Account& a, Timestamp now) {
  return settle(tx, tenant, p, a, now, now);
}

/// Resolves (customer_id, program_id?) of the session's tenant to its account, opening the
/// account on first use, and settles what fell due on it (expired holds and points, pending
/// points past their return window) so no write ever spends points that have expired.
Target resolve(const Ctx& ctx, storage::Tx& tx, const Input& i, Timestamp now, ProgramCache& cache) {
  const std::string customer = i.str("customer_id");
  const Program& p = program_for(ctx, tx, i, cache);
  std::optional<Account> a = find_account(tx, ctx.tenant(), customer, p.id);
  if (!a) {
    require_customer(tx, ctx.tenant(), customer, i.field("customer_id"));
    a = load_account(tx, ensure_account(tx, ctx.tenant(), customer, p, now));
  }
  settle(tx, ctx.tenant(), p, *a, now);
  return {p, std::move(*a)};
}

Target resolve(const Ctx& ctx, storage::Tx& tx, const Input& i, Timestamp now) {
  ProgramCache cache;
  return resolve(ctx, tx, i, now, cache);
}

/// Finds the existing account (reads never create one).
std::optional<Account> resolve_existing(const Ctx& ctx, storage::Tx& tx, const Input& i) {
  const std::string customer = i.str("customer_id");
  ProgramCache cache;
  const Program& p = program_for(ctx, tx, i, cache);
  auto a = find_account(tx, ctx.tenant(), customer, p.id);
  if (!a) require_customer(tx, ctx.tenant(), customer, i.field("customer_id"));
  return a;
}

// ---------------------------------------------------------------------------------------------
// Entries and buckets

struct NewEntry {
  std::string type;
  int64_t points = 0;
  std::string status = "posted";
  std::optional<int64_t> bucket_id;
  std::optional<std::string> ref_entry;
  std::optional<int64_t> ref_points;  // reversals: the points of the original reversed
  std::optional<std::string> hold_id;
  std::optional<std::string> reason;
  std::optional<json> metadata;
  Timestamp occurred_at = 0;
  // Of the entry's bucket, for credits (reported with the entry).
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> pending_until;
};

std::string new_entry_id(Timestamp now) { return crypto::new_sortable_id("ent", now); }

/// How far ahead of the engine clock an event may be dated (clock skew between devices).
constexpr Timestamp kMaxFutureSkewMs = kMillisPerDay;

/// The event time of a write: `occurred_at` when given (not before 1970, not more than a day
/// ahead of the clock, so no input can push expiry or inactivity out of reach), else now.
Timestamp event_time(const Input& i, Timestamp now) {
  return i.opt_event_time("occurred_at", now, kMaxFutureSkewMs).value_or(now);
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
json entry_json(const std::string& id, const NewEntry& e, const Account& a, Timestamp recorded,
                std::optional<Timestamp> posted_at) {
  json j = {{"id", id},
            {"type", e.type},
            {"points", e.points},
            {"status", e.status},
            {"customer_id", a.customer_id},
            {"program_id", a.program_id},
            {"occurred_at", format_time(e.occurred_at)},
            {"recorded_at", format_time(recorded)},
            {"posted_at", opt_time_json(posted_at)},
            {"reason", opt_json(e.reason)},
            {"ref_entry_id", opt_json(e.ref_entry)},
            {"hold_id", opt_json(e.hold_id)},
            {"metadata", e.metadata ? *e.metadata : json::object()}};
  if (is_credit(e.type, e.points)) {
    j["expires_at"] = opt_time_json(e.expires_at);
    j["pending_until"] = opt_time_json(e.pending_until);
  }
  if (e.type == "reverse") j["reversed_points"] = e.ref_points.value_or(-e.points);
  return j;
}

void insert_entry(storage::Tx& tx, const std::string& tenant, int64_t account, const std::string& id, const NewEntry& e,
                  Timestamp now) {
  std::optional<std::string> meta;
  if (e.metadata) meta = e.metadata->dump();
  tx.q("INSERT INTO entries(id, tenant_id, account_id, type, points, status, bucket_id, ref_entry, ref_points, "
       "hold_id, reason, metadata, occurred_at, recorded_at, posted_at) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
       id, tenant, account, e.type, e.points, e.status, e.bucket_id, e.ref_entry, e.ref_points, e.hold_id, e.reason,
       meta, e.occurred_at, now, e.status == "posted" ? std::optional<int64_t>(now) : std::nullopt)
      .run();
}

/// Writes an entry and returns its public form.
json write_entry(storage::Tx& tx, const std::string& tenant, const Account& a, const std::string& id, const NewEntry& e,
                 Timestamp now) {
  insert_entry(tx, tenant, a.id, id, e, now);
  return entry_json(id, e, a, now, e.status == "posted" ? std::optional<Timestamp>(now) : std::nullopt);
}

/// Tells the installed hook (tiers) that the account's qualifying points changed.
void points_changed(Ctx& ctx, storage::Tx& tx, const Account& a, int64_t points, Timestamp occurred, const char* cause,
                    Timestamp now) {
  if (points == 0) return;
  for (const auto& h : hooks())
    if (h.on_points)
      h.on_points(ctx, tx, {{a.id, a.customer_id, a.program_id, a.opened_at}, points, occurred, cause}, now);
}

/// The outbox event of a ledger entry, with the balance after it (`a` already updated). Kept
/// small: the outbox appends one row per change, and small rows fill its pages before a split.
void entry_event(storage::Tx& tx, const std::string& tenant, std::string_view type, const Account& a,
                 const std::string& id, const NewEntry& e, Timestamp now) {
  emit_event(tx, tenant, type, a.customer_id, now,
             {{"entry_id", id},
              {"program_id", a.program_id},
              {"entry_type", e.type},
              {"points", e.points},
              {"status", e.status},
              {"balance", a.posted},
              {"available", a.available()}});
}

constexpr const char* kEntryCols =
    "e.id, e.type, e.points, e.status, a.customer_id, a.program_id, e.occurred_at, e.recorded_at, e.posted_at, "
    "e.reason, e.ref_entry, e.hold_id, e.metadata, b.expires_at, b.pending_until, e.seq, e.ref_points";

json entry_row(storage::Query& q) {
  NewEntry e;
  e.type = q.text(1);
  e.points = q.i64(2);
  e.status = q.text(3);
  e.occurred_at = q.i64(6);
  e.reason = q.opt_text(9);
  e.ref_entry = q.opt_text(10);
  e.hold_id = q.opt_text(11);
  if (!q.is_null(12)) e.metadata = json::parse(q.text(12));
  e.expires_at = q.opt_i64(13);
  e.pending_until = q.opt_i64(14);
  e.ref_points = q.opt_i64(16);
  Account owner;
  owner.customer_id = q.text(4);
  owner.program_id = q.text(5);
  return entry_json(q.text(0), e, owner, q.i64(7), q.opt_i64(8));
}

json load_entry(storage::Tx& tx, const std::string& id) {
  auto q = tx.q(fmt::format("SELECT {} FROM entries e JOIN accounts a ON a.id = e.account_id LEFT JOIN buckets b ON "
                            "b.id = e.bucket_id AND e.type IN ('earn', 'bonus', 'adjust') WHERE e.id = ?1",
                            kEntryCols),
                id);
  if (!q.step()) throw Error(Status::error, fmt::format("entry {} vanished", id));
  return entry_row(q);
}

void allocate(storage::Tx& tx, const std::string& entry, int64_t bucket, int64_t points) {
  tx.q("INSERT INTO allocations(entry_id, bucket_id, points) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(entry_id, bucket_id) DO UPDATE SET points = points + excluded.points",
       entry, bucket, points)
      .run();
}

/// Adds posted points: pays any debt first, the rest lands in a new available bucket.
int64_t credit_posted(storage::Tx& tx, Account& a, const std::string& entry, int64_t points,
                      std::optional<Timestamp> expires_at, Timestamp now) {
  const int64_t pay = std::min(a.debt, points);
  a.debt -= pay;
  tx.q("INSERT INTO buckets(account_id, entry_id, original, remaining, state, expires_at, created_at) "
       "VALUES(?1, ?2, ?3, ?4, 'available', ?5, ?6)",
       a.id, entry, points, points - pay, expires_at, now)
      .run();
  a.posted = checked_add(a.posted, points, "points");
  return sqlite3_last_insert_rowid(tx.conn().handle());
}

struct Slice {
  int64_t bucket;
  int64_t points;
};

/// The account's unreserved available points in spending order (nearest expiry first, then
/// oldest; non-expiring last), as many buckets as cover `need`, leaving out `skip`. Read in full
/// before any update, since a statement cannot stay open across the updates.
std::vector<Slice> spendable(storage::Tx& tx, int64_t account, int64_t need, std::optional<int64_t> skip) {
  std::vector<Slice> out;
  auto q = tx.q(
      "SELECT id, remaining - held FROM buckets WHERE account_id = ?1 AND state = 'available' "
      "AND remaining > held ORDER BY expires_at IS NULL, expires_at, created_at, id",
      account);
  int64_t sum = 0;
  while (sum < need && q.step()) {
    if (skip && q.i64(0) == *skip) continue;
    out.push_back({q.i64(0), q.i64(1)});
    sum += q.i64(1);
  }
  return out;
}

/// Takes `amount` points from the account's unheld available buckets, nearest expiry first, then
/// oldest; non-expiring last. `first` is consumed before the others when given. Points beyond the
/// buckets become debt only when `allow_debt`.
std::vector<Slice> consume(storage::Tx& tx, Account& a, int64_t amount, bool allow_debt,
                           std::optional<int64_t> first = std::nullopt) {
  std::vector<Slice> taken;
  int64_t need = amount;
  auto take_from = [&](int64_t bucket, int64_t free) {
    const int64_t t = std::min(free, need);
    if (t <= 0) return;
    tx.q("UPDATE buckets SET remaining = remaining - ?2 WHERE id = ?1", bucket, t).run();
    taken.push_back({bucket, t});
    need -= t;
  };
  if (first) {
    std::optional<int64_t> free;
    {
      auto q = tx.q("SELECT remaining - held FROM buckets WHERE id = ?1 AND state = 'available'", *first);
      if (q.step()) free = q.i64(0);
    }
    if (free) take_from(*first, *free);
  }
  if (need > 0) {
    for (const auto& c : spendable(tx, a.id, need, first)) take_from(c.bucket, c.points);
  }
  if (need > 0) {
    if (!allow_debt) throw Error(Status::insufficient, "not enough available points", "points");
    a.debt = checked_add(a.debt, need, "points");
  }
  a.posted = checked_add(a.posted, -amount, "points");
  return taken;
}

void record_slices(storage::Tx& tx, const std::string& entry, const std::vector<Slice>& slices) {
  for (const auto& s : slices) allocate(tx, entry, s.bucket, s.points);
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

json earn_one(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now,
              ProgramCache& programs) {
  Input i(in,
          {"customer_id", "program_id", "points", "idempotency_key", "occurred_at", "reason", "metadata",
           "pending_days", "expires_at", "type"},
          path);
  const int64_t points = i.i64("points", 1, kMaxAmount);
  const Timestamp occurred = event_time(i, now);
  const auto reason = i.opt_str("reason", 500);
  const auto metadata = i.opt_object("metadata");
  const auto pending_days = i.opt_i64("pending_days", 0, 365);
  const auto expires_override = i.opt_time("expires_at");
  const std::string type = i.opt_enum("type", {"earn", "bonus"}).value_or("earn");
  if (metadata && metadata->dump().size() > 16 * 1024) i.fail("metadata", "must be at most 16384 bytes of JSON");
  const auto key = idem_key(in, "ledger.earn", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;

  Target t = resolve(ctx, tx, i, now, programs);
  if (!t.program.active) throw Error(Status::unavailable, "the program is not active", i.field("program_id"));
  Account& a = t.account;
  check_max_balance(t.program, a, points, i.field("points"));

  const int64_t pdays = pending_days.value_or(t.program.pending_days);
  const std::optional<Timestamp> expires = expires_override ? expires_override : expiry_for(t.program, occurred);
  if (expires && *expires <= occurred) i.fail("expires_at", "must be after occurred_at");
  const std::string entry = new_entry_id(now);
  int64_t bucket = 0;
  std::optional<Timestamp> until;
  if (pdays > 0) {
    until = occurred + pdays * kMillisPerDay;
    tx.q("INSERT INTO buckets(account_id, entry_id, original, remaining, state, expires_at, pending_until, created_at) "
         "VALUES(?1, ?2, ?3, ?3, 'pending', ?4, ?5, ?6)",
         a.id, entry, points, expires, until, now)
        .run();
    bucket = sqlite3_last_insert_rowid(tx.conn().handle());
    a.pending = checked_add(a.pending, points, "points");
  } else {
    bucket = credit_posted(tx, a, entry, points, expires, now);
  }
  NewEntry e{type,         points,       pdays > 0 ? "pending" : "posted",
             bucket,       std::nullopt, std::nullopt,
             std::nullopt, reason,       metadata,
             occurred,     expires,      until};
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  a.lifetime_earned = checked_add(a.lifetime_earned, points, "points");
  touch(a, occurred);
  save_account(tx, a);
  entry_event(tx, ctx.tenant(), "points.earned", a, entry, e, now);
  points_changed(ctx, tx, a, points, occurred, type == "bonus" ? "bonus" : "earn", now);
  json out = {{"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

}  // namespace

std::optional<AccountRef> find_account_ref(const Ctx& ctx, storage::Tx& tx, const Input& i) {
  auto a = resolve_existing(ctx, tx, i);
  if (!a) return std::nullopt;
  return AccountRef{a->id, a->customer_id, a->program_id, a->opened_at};
}

AccountRef open_account_ref(Ctx& ctx, storage::Tx& tx, const Input& i, Timestamp now) {
  const Target t = resolve(ctx, tx, i, now);
  return {t.account.id, t.account.customer_id, t.account.program_id, t.account.opened_at};
}

int64_t available_points(storage::Tx& tx, const AccountRef& account) {
  return load_account(tx, account.id).available();
}

json earn_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  ProgramCache programs;
  return earn_one(ctx, tx, in, path, now, programs);
}

namespace {

json earn_batch(Ctx& ctx, const json& in) {
  Input i(in, {"events"});
  const json& events = i.raw("events");
  if (!events.is_array() || events.empty() || events.size() > 10'000)
    i.fail("events", "must be an array of 1 to 10000 earn events");
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
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
  tx.commit();
  return {{"results", std::move(results)}, {"succeeded", ok}, {"failed", static_cast<int64_t>(events.size()) - ok}};
}

json adjust(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id", "points", "reason", "idempotency_key", "occurred_at", "metadata"});
  const int64_t points = i.i64("points", -kMaxAmount, kMaxAmount);
  if (points == 0) i.fail("points", "must not be zero");
  const std::string reason = i.str("reason", 500);
  const auto metadata = i.opt_object("metadata");
  const Timestamp now = ctx.engine.now();
  const Timestamp occurred = event_time(i, now);
  const auto key = idem_key(in, "ledger.adjust");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key)) return *replay;
  Target t = resolve(ctx, tx, i, now);
  Account& a = t.account;
  const std::string entry = new_entry_id(now);
  NewEntry e{"adjust",     points, "posted", std::nullopt, std::nullopt, std::nullopt,
             std::nullopt, reason, metadata, occurred,     std::nullopt, std::nullopt};
  std::vector<Slice> slices;
  if (points > 0) {
    check_max_balance(t.program, a, points, "points");
    e.expires_at = expiry_for(t.program, occurred);
    e.bucket_id = credit_posted(tx, a, entry, points, e.expires_at, now);
  } else {
    if (!t.program.allow_negative && a.available() < -points)
      throw Error(Status::insufficient, fmt::format("cannot debit {} points: {} available", -points, a.available()),
                  "points", {{"available", a.available()}});
    slices = consume(tx, a, -points, t.program.allow_negative);
  }
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  touch(a, occurred);
  save_account(tx, a);
  entry_event(tx, ctx.tenant(), "points.adjusted", a, entry, e, now);
  audit_append(tx, ctx.tenant(), ctx.actor(), "ledger.adjust", entry, now,
               {{"customer_id", a.customer_id}, {"program_id", a.program_id}, {"points", points}, {"reason", reason}});
  json out = {{"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  tx.commit();
  return out;
}

struct EntryRef {
  int64_t account_id;
  std::string type;
  int64_t points;
  std::string status;
  std::optional<int64_t> bucket_id;
};

EntryRef find_entry(storage::Tx& tx, const std::string& tenant, const std::string& id, const std::string& field) {
  auto q = tx.q("SELECT account_id, type, points, status, bucket_id FROM entries WHERE id = ?1 AND tenant_id = ?2", id,
                tenant);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no ledger entry '{}'", id), field);
  return {q.i64(0), q.text(1), q.i64(2), q.text(3), q.opt_i64(4)};
}

int64_t reversed_total(storage::Tx& tx, const std::string& entry) {
  auto q = tx.q("SELECT COALESCE(SUM(ref_points), 0) FROM entries WHERE ref_entry = ?1 AND type = 'reverse'", entry);
  q.step();
  return q.i64(0);
}

/// Points of an earn's bucket that expired and that earlier reversals have not yet waived: a
/// reversal never takes back points the customer already lost to expiry.
int64_t expired_unwaived(storage::Tx& tx, const std::string& entry, int64_t bucket) {
  int64_t expired = 0, waived = 0;
  {
    auto q = tx.q(
        "SELECT COALESCE(SUM(al.points), 0) FROM allocations al JOIN entries x ON x.id = al.entry_id "
        "WHERE al.bucket_id = ?1 AND x.type = 'expire'",
        bucket);
    q.step();
    expired = q.i64(0);
  }
  {
    auto q = tx.q(
        "SELECT COALESCE(SUM(ref_points + points), 0) FROM entries WHERE ref_entry = ?1 AND "
        "type = 'reverse'",
        entry);
    q.step();
    waived = q.i64(0);
  }
  return std::max<int64_t>(0, expired - waived);
}

/// The input of a correction of an earlier entry (reverse, refund), read through `i`, with the
/// stored result when its idempotency key replays.
struct Correction {
  std::string entry_id;
  std::optional<int64_t> points;
  std::optional<std::string> reason;
  std::optional<json> metadata;
  Timestamp occurred = 0;
  std::optional<IdemKey> key;
  EntryRef orig;
  std::optional<json> replay;
};

Correction read_correction(const Ctx& ctx, storage::Tx& tx, const Input& i, const json& in, const std::string& path,
                           const char* op, Timestamp now) {
  Correction c;
  c.entry_id = i.str("entry_id");
  c.points = i.opt_i64("points", 1, kMaxAmount);
  c.reason = i.opt_str("reason", 500);
  c.metadata = i.opt_object("metadata");
  c.occurred = event_time(i, now);
  c.key = idem_key(in, op, path);
  if (c.key) {
    c.replay = idem_lookup(tx, ctx.tenant(), *c.key, path);
    if (c.replay) return c;
  }
  c.orig = find_entry(tx, ctx.tenant(), c.entry_id, i.field("entry_id"));
  return c;
}

/// The points a correction takes: `points`, or all that is `left` by default. Status::conflict
/// (detail `<what>: left`) when nothing, or less than asked, is left.
int64_t correction_amount(const Input& i, std::optional<int64_t> points, int64_t left, const char* what,
                          const char* noun) {
  if (left == 0)
    throw Error(Status::conflict, fmt::format("{} are no longer {}", noun, what), i.field("entry_id"), {{what, 0}});
  const int64_t amount = points.value_or(left);
  if (amount > left)
    throw Error(Status::conflict, fmt::format("only {} of {} remain {}", left, noun, what), i.field("points"),
                {{what, left}});
  return amount;
}

}  // namespace

json reverse_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"entry_id", "points", "reason", "idempotency_key", "occurred_at", "metadata"}, path);
  Correction c = read_correction(ctx, tx, i, in, path, "ledger.reverse", now);
  if (c.replay) return *c.replay;
  const auto& [entry_id, points, reason, metadata, occurred, key, orig, replay] = c;
  if (orig.type != "earn" && orig.type != "bonus")
    throw Error(Status::invalid, fmt::format("only earn and bonus entries can be reversed, not '{}'", orig.type),
                i.field("entry_id"));
  const int64_t reversible = orig.points - reversed_total(tx, entry_id);
  const int64_t amount = correction_amount(i, points, reversible, "reversible", "the entry's points");
  Account a = load_account(tx, orig.account_id);
  const Program p = load_program(tx, ctx.tenant(), a.program_id);
  settle(tx, ctx.tenant(), p, a, now);
  std::string state;
  {
    auto q = tx.q("SELECT state FROM buckets WHERE id = ?1", orig.bucket_id.value_or(-1));
    if (q.step()) state = q.text(0);
  }
  const std::string entry = new_entry_id(now);
  NewEntry e{"reverse",    -amount, "posted", std::nullopt, entry_id,     amount,
             std::nullopt, reason,  metadata, occurred,     std::nullopt, std::nullopt};
  std::vector<Slice> slices;
  if (state == "pending") {
    // Still in its return window: the pending bucket shrinks; nothing posted changes.
    tx.q("UPDATE buckets SET remaining = remaining - ?2 WHERE id = ?1", *orig.bucket_id, amount).run();
    e.status = "pending";
    e.bucket_id = orig.bucket_id;
    a.pending -= amount;
  } else {
    const int64_t debit = amount - std::min(amount, expired_unwaived(tx, entry_id, orig.bucket_id.value_or(-1)));
    e.points = -debit;
    switch (p.return_policy) {
      case ReturnPolicy::only_pending:
        throw Error(Status::forbidden, "the program's return policy only_pending allows reversing pending points only",
                    i.field("entry_id"));
      case ReturnPolicy::within_balance:
        if (a.available() < debit)
          throw Error(Status::insufficient,
                      fmt::format("reversing {} points needs them available; {} are", debit, a.available()),
                      i.field("points"), {{"available", a.available()}});
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
  save_account(tx, a);
  entry_event(tx, ctx.tenant(), "points.reversed", a, entry, e, now);
  points_changed(ctx, tx, a, -amount, occurred, "reverse", now);
  json out = {{"entry", std::move(entry_out)},
              {"balance", balance_json(a)},
              {"reversible_remaining", reversible - amount},
              {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

namespace {}  // namespace

// ---------------------------------------------------------------------------------------------
// redeem and refund

json redeem_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"customer_id", "program_id", "points", "reason", "metadata", "idempotency_key", "occurred_at"}, path);
  const int64_t points = i.i64("points", 1, kMaxAmount);
  const auto reason = i.opt_str("reason", 500);
  const auto metadata = i.opt_object("metadata");
  const Timestamp occurred = event_time(i, now);
  const auto key = idem_key(in, "ledger.redeem", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  Target t = resolve(ctx, tx, i, now);
  Account& a = t.account;
  if (a.available() < points)
    throw Error(Status::insufficient, fmt::format("cannot redeem {} points: {} available", points, a.available()),
                i.field("points"), {{"available", a.available()}});
  const std::string entry = new_entry_id(now);
  NewEntry e{"redeem",     -points, "posted", std::nullopt, std::nullopt, std::nullopt,
             std::nullopt, reason,  metadata, occurred,     std::nullopt, std::nullopt};
  const std::vector<Slice> slices = consume(tx, a, points, false);
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  a.lifetime_redeemed = checked_add(a.lifetime_redeemed, points, "points");
  touch(a, occurred);
  save_account(tx, a);
  entry_event(tx, ctx.tenant(), "points.redeemed", a, entry, e, now);
  json out = {{"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json refund_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"entry_id", "points", "reason", "idempotency_key", "occurred_at", "metadata"}, path);
  Correction c = read_correction(ctx, tx, i, in, path, "ledger.refund", now);
  if (c.replay) return *c.replay;
  const auto& [entry_id, points, reason, metadata, occurred, key, orig, replay] = c;
  if (orig.type != "redeem")
    throw Error(Status::invalid, fmt::format("only redeem entries can be refunded, not '{}'", orig.type),
                i.field("entry_id"));
  int64_t refunded = 0;
  {
    auto q = tx.q("SELECT COALESCE(SUM(points), 0) FROM entries WHERE ref_entry = ?1 AND type = 'refund'", entry_id);
    q.step();
    refunded = q.i64(0);
  }
  const int64_t refundable = -orig.points - refunded;
  const int64_t amount = correction_amount(i, points, refundable, "refundable", "the redemption's points");
  Account a = load_account(tx, orig.account_id);
  const Program p = load_program(tx, ctx.tenant(), a.program_id);
  settle(tx, ctx.tenant(), p, a, now);
  // Back into the buckets the redemption took them from, with their original expiry: last in
  // spending order first (the latest expiry), less what earlier refunds already put back.
  std::vector<Slice> slices;
  {
    auto q = tx.q(
        "SELECT al.bucket_id, al.points - COALESCE((SELECT SUM(r.points) FROM allocations r JOIN entries x ON "
        "x.id = r.entry_id WHERE x.ref_entry = ?1 AND x.type = 'refund' AND r.bucket_id = al.bucket_id), 0) "
        "FROM allocations al JOIN buckets b ON b.id = al.bucket_id WHERE al.entry_id = ?1 "
        "ORDER BY b.expires_at IS NULL DESC, b.expires_at DESC, b.created_at DESC, b.id DESC",
        entry_id);
    int64_t need = amount;
    while (need > 0 && q.step()) {
      const int64_t take = std::min(need, q.i64(1));
      if (take <= 0) continue;
      slices.push_back({q.i64(0), take});
      need -= take;
    }
    // Redemptions never create debt, so their allocations cover every point.
    if (need > 0)
      throw Error(Status::error, fmt::format("redemption {} has no allocation for {} points", entry_id, need));
  }
  for (const auto& sl : slices)
    tx.q("UPDATE buckets SET remaining = remaining + ?2 WHERE id = ?1", sl.bucket, sl.points).run();
  const std::string entry = new_entry_id(now);
  NewEntry e{"refund",     amount, "posted", std::nullopt, entry_id,     amount,
             std::nullopt, reason, metadata, occurred,     std::nullopt, std::nullopt};
  a.posted = checked_add(a.posted, amount, "points");
  a.lifetime_redeemed -= amount;
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  touch(a, occurred);
  save_account(tx, a);
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

namespace {

/// Makes a pending bucket available: its pending entries become posted; debt is paid first.
void release_bucket(storage::Tx& tx, int64_t bucket, Timestamp now) {
  int64_t account = 0, remaining = 0;
  {
    auto q = tx.q("SELECT account_id, remaining FROM buckets WHERE id = ?1 AND state = 'pending'", bucket);
    if (!q.step()) return;
    account = q.i64(0);
    remaining = q.i64(1);
  }
  Account a = load_account(tx, account);
  tx.q("UPDATE entries SET status = 'posted', posted_at = ?2 WHERE bucket_id = ?1 AND status = 'pending'", bucket, now)
      .run();
  const int64_t pay = std::min(a.debt, remaining);
  a.debt -= pay;
  tx.q("UPDATE buckets SET state = 'available', remaining = remaining - ?2 WHERE id = ?1", bucket, pay).run();
  a.pending -= remaining;
  a.posted += remaining;
  save_account(tx, a);
}

json confirm(Ctx& ctx, const json& in) {
  Input i(in, {"entry_id", "idempotency_key"});
  const std::string entry_id = i.str("entry_id");
  const Timestamp now = ctx.engine.now();
  const auto key = idem_key(in, "ledger.confirm");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
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
  tx.commit();
  return out;
}

json balance(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "program_id"});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
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
  std::optional<std::string> types;
  if (auto list = i.opt_str_list("types", 16)) {
    for (size_t n = 0; n < list->size(); ++n)
      if (std::find(std::begin(kEntryTypes), std::end(kEntryTypes), (*list)[n]) == std::end(kEntryTypes)) {
        const std::string f = fmt::format("types[{}]", n);
        throw Error(Status::invalid, fmt::format("{}: unknown entry type '{}'", f, (*list)[n]), f);
      }
    types = json(*list).dump();
  }
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto t = resolve_existing(ctx, tx, i);
  if (!t) return {{"items", json::array()}, {"next_cursor", nullptr}};
  {
    auto q = tx.q(fmt::format("SELECT {} FROM entries e JOIN accounts a ON a.id = e.account_id LEFT JOIN buckets b ON "
                              "b.id = e.bucket_id AND e.type IN ('earn', 'bonus', 'adjust') WHERE e.account_id = ?1 "
                              "AND e.seq < ?2 AND (?3 IS NULL OR e.type IN (SELECT value FROM json_each(?3))) "
                              "AND (?4 IS NULL OR e.occurred_at >= ?4) AND (?5 IS NULL OR e.occurred_at < ?5) "
                              "ORDER BY e.seq DESC LIMIT ?6",
                              kEntryCols),
                  t->id, before, types, from, to, limit + 1);
    return storage::page(q, limit, 15, entry_row);
  }
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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  std::optional<int64_t> account;
  if (i.has("customer_id")) {
    auto a = resolve_existing(ctx, tx, i);
    if (!a) return {{"items", json::array()}, {"next_cursor", nullptr}};
    account = a->id;
  }
  auto q = tx.q(
      "SELECT b.id, b.expires_at, b.remaining - b.held, b.entry_id, a.customer_id, a.program_id FROM buckets b "
      "JOIN accounts a ON a.id = b.account_id WHERE b.state = 'available' AND b.expires_at IS NOT NULL AND "
      "b.expires_at < ?1 AND (b.expires_at > ?2 OR (b.expires_at = ?2 AND b.id > ?3)) AND b.remaining > b.held AND "
      "a.tenant_id = ?4 AND (?5 IS NULL OR b.account_id = ?5) ORDER BY b.expires_at, b.id LIMIT ?6",
      before, from_t, from_b, ctx.tenant(), account, limit + 1);
  json items = json::array();
  std::string next;
  int64_t last_bucket = 0;
  Timestamp last_expiry = 0;
  while (q.step()) {
    if (static_cast<int64_t>(items.size()) == limit) {
      next = expiring_cursor(last_expiry, last_bucket);
      break;
    }
    last_bucket = q.i64(0);
    last_expiry = q.i64(1);
    items.push_back({{"expires_at", format_time(last_expiry)},
                     {"points", q.i64(2)},
                     {"entry_id", q.text(3)},
                     {"customer_id", q.text(4)},
                     {"program_id", q.text(5)}});
  }
  return {{"items", std::move(items)}, {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
}

json entry_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  find_entry(tx, ctx.tenant(), id, "id");
  json e = load_entry(tx, id);
  if (e["type"] == "earn" || e["type"] == "bonus") e["reversed"] = reversed_total(tx, id);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Holds

struct Hold {
  std::string id;
  int64_t account_id;
  int64_t points;
  std::string status;
  Timestamp expires_at;
};

constexpr const char* kHoldCols =
    "h.id, a.customer_id, a.program_id, h.points, h.status, h.reason, h.expires_at, h.created_at, h.resolved_at, "
    "h.entry_id";

json hold_json(storage::Tx& tx, const std::string& id) {
  auto q =
      tx.q(fmt::format("SELECT {} FROM holds h JOIN accounts a ON a.id = h.account_id WHERE h.id = ?1", kHoldCols), id);
  if (!q.step()) throw Error(Status::error, fmt::format("hold {} vanished", id));
  return {{"id", q.text(0)},
          {"customer_id", q.text(1)},
          {"program_id", q.text(2)},
          {"points", q.i64(3)},
          {"status", q.text(4)},
          {"reason", q.is_null(5) ? json(nullptr) : json(q.text(5))},
          {"expires_at", format_time(q.i64(6))},
          {"created_at", format_time(q.i64(7))},
          {"resolved_at", q.is_null(8) ? json(nullptr) : json(format_time(q.i64(8)))},
          {"entry_id", q.is_null(9) ? json(nullptr) : json(q.text(9))}};
}

Hold find_hold(storage::Tx& tx, const std::string& tenant, const std::string& id, const std::string& field = "id") {
  auto q =
      tx.q("SELECT account_id, points, status, expires_at FROM holds WHERE id = ?1 AND tenant_id = ?2", id, tenant);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no hold '{}'", id), field);
  return {id, q.i64(0), q.i64(1), q.text(2), q.i64(3)};
}

/// Hold allocations in spending order.
std::vector<Slice> hold_slices(storage::Tx& tx, const std::string& hold) {
  std::vector<Slice> out;
  auto q = tx.q(
      "SELECT ha.bucket_id, ha.points FROM hold_allocations ha JOIN buckets b ON b.id = ha.bucket_id "
      "WHERE ha.hold_id = ?1 ORDER BY b.expires_at IS NULL, b.expires_at, b.created_at, b.id",
      hold);
  while (q.step()) out.push_back({q.i64(0), q.i64(1)});
  return out;
}

/// Releases an active hold's reservation and marks it voided or expired.
void release_hold(storage::Tx& tx, const Hold& h, const char* status, Timestamp now) {
  for (const auto& s : hold_slices(tx, h.id))
    tx.q("UPDATE buckets SET held = held - ?2 WHERE id = ?1", s.bucket, s.points).run();
  Account a = load_account(tx, h.account_id);
  a.held -= h.points;
  save_account(tx, a);
  tx.q("UPDATE holds SET status = ?2, resolved_at = ?3 WHERE id = ?1", h.id, status, now).run();
}

}  // namespace

json hold_create_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"customer_id", "program_id", "points", "expires_at", "ttl_seconds", "reason", "idempotency_key"}, path);
  const int64_t points = i.i64("points", 1, kMaxAmount);
  const auto reason = i.opt_str("reason", 500);
  if (i.has("expires_at") && i.has("ttl_seconds")) i.fail("ttl_seconds", "give expires_at or ttl_seconds, not both");
  const Timestamp expires =
      i.has("expires_at") ? i.time("expires_at") : now + i.opt_i64("ttl_seconds", 1, 30 * 86'400).value_or(900) * 1000;
  const auto key = idem_key(in, "hold.create", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  if (expires <= now) i.fail("expires_at", "must be in the future");
  Target t = resolve(ctx, tx, i, now);
  Account& a = t.account;
  if (a.available() < points)
    throw Error(Status::insufficient, fmt::format("cannot hold {} points: {} available", points, a.available()),
                i.field("points"), {{"available", a.available()}});
  const std::string id = crypto::new_id("hld");
  tx.q("INSERT INTO holds(id, tenant_id, account_id, points, status, reason, expires_at, created_at) "
       "VALUES(?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7)",
       id, ctx.tenant(), a.id, points, reason, expires, now)
      .run();
  int64_t need = points;
  for (const auto& c : spendable(tx, a.id, points, std::nullopt)) {
    const int64_t take = std::min(need, c.points);
    tx.q("UPDATE buckets SET held = held + ?2 WHERE id = ?1", c.bucket, take).run();
    tx.q("INSERT INTO hold_allocations(hold_id, bucket_id, points) VALUES(?1, ?2, ?3)", id, c.bucket, take).run();
    need -= take;
  }
  if (need > 0)
    throw Error(Status::insufficient, "not enough unreserved points in the account's buckets", i.field("points"));
  a.held += points;
  save_account(tx, a);
  json out = {{"hold", hold_json(tx, id)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json hold_commit_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"id", "points", "reason", "idempotency_key", "metadata"}, path);
  const std::string id = i.str("id");
  const auto points = i.opt_i64("points", 1, kMaxAmount);
  const auto reason = i.opt_str("reason", 500);
  const auto metadata = i.opt_object("metadata");
  const auto key = idem_key(in, "hold.commit", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  const Hold h = find_hold(tx, ctx.tenant(), id, i.field("id"));
  if (h.status != "active")
    throw Error(Status::conflict, fmt::format("the hold is already {}", h.status), i.field("id"),
                {{"status", h.status}});
  if (now >= h.expires_at)
    throw Error(Status::conflict, "the hold has expired", i.field("id"), {{"status", "expired"}});
  const int64_t amount = points.value_or(h.points);
  if (amount > h.points)
    throw Error(Status::invalid, fmt::format("cannot commit {} points of a {}-point hold", amount, h.points),
                i.field("points"));
  std::vector<Slice> slices;
  int64_t need = amount;
  for (const auto& s : hold_slices(tx, id)) {
    const int64_t take = std::min(need, s.points);
    tx.q("UPDATE buckets SET held = held - ?2, remaining = remaining - ?3 WHERE id = ?1", s.bucket, s.points, take)
        .run();
    if (take > 0) slices.push_back({s.bucket, take});
    need -= take;
  }
  Account a = load_account(tx, h.account_id);
  const std::string entry = new_entry_id(now);
  NewEntry e{"redeem", -amount, "posted", std::nullopt, std::nullopt, std::nullopt,
             id,       reason,  metadata, now,          std::nullopt, std::nullopt};
  json entry_out = write_entry(tx, ctx.tenant(), a, entry, e, now);
  record_slices(tx, entry, slices);
  a.posted -= amount;
  a.held -= h.points;
  a.lifetime_redeemed += amount;
  touch(a, now);
  save_account(tx, a);
  tx.q("UPDATE holds SET status = 'committed', resolved_at = ?2, entry_id = ?3 WHERE id = ?1", id, now, entry).run();
  entry_event(tx, ctx.tenant(), "points.redeemed", a, entry, e, now);
  json out = {
      {"hold", hold_json(tx, id)}, {"entry", std::move(entry_out)}, {"balance", balance_json(a)}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

json hold_void_in_tx(Ctx& ctx, storage::Tx& tx, const json& in, const std::string& path, Timestamp now) {
  Input i(in, {"id", "idempotency_key"}, path);
  const std::string id = i.str("id");
  const auto key = idem_key(in, "hold.void", path);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key, path)) return *replay;
  const Hold h = find_hold(tx, ctx.tenant(), id, i.field("id"));
  if (h.status == "committed")
    throw Error(Status::conflict, "the hold is already committed", i.field("id"), {{"status", h.status}});
  if (h.status == "active") release_hold(tx, h, now >= h.expires_at ? "expired" : "voided", now);
  json out = {
      {"hold", hold_json(tx, id)}, {"balance", balance_json(load_account(tx, h.account_id))}, {"replayed", false}};
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  return out;
}

namespace {

json hold_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  find_hold(tx, ctx.tenant(), id);
  return hold_json(tx, id);
}

// ---------------------------------------------------------------------------------------------
// Maintenance

/// Posts an expiry of a bucket's unreserved points, dated when they expired (`occurred`, or the
/// bucket's own expiry time).
int64_t expire_bucket(storage::Tx& tx, const std::string& tenant, int64_t bucket, Timestamp now,
                      std::optional<Timestamp> occurred = std::nullopt) {
  int64_t account = 0, amount = 0;
  std::optional<Timestamp> expires_at;
  {
    auto q = tx.q("SELECT account_id, remaining - held, expires_at FROM buckets WHERE id = ?1 AND state = 'available'",
                  bucket);
    if (!q.step()) return 0;
    account = q.i64(0);
    amount = q.i64(1);
    expires_at = q.opt_i64(2);
  }
  if (amount <= 0) return 0;
  Account a = load_account(tx, account);
  tx.q("UPDATE buckets SET remaining = remaining - ?2 WHERE id = ?1", bucket, amount).run();
  const std::string entry = new_entry_id(now);
  const Timestamp when = std::min(now, occurred.value_or(expires_at.value_or(now)));
  NewEntry e{"expire",     -amount,      "posted",     bucket, std::nullopt, std::nullopt,
             std::nullopt, std::nullopt, std::nullopt, when,   std::nullopt, std::nullopt};
  insert_entry(tx, tenant, a.id, entry, e, now);
  allocate(tx, entry, bucket, amount);
  a.posted -= amount;
  save_account(tx, a);
  entry_event(tx, tenant, "points.expired", a, entry, e, now);
  return amount;
}

std::vector<int64_t> ids(storage::Query&& q) {
  std::vector<int64_t> out;
  while (q.step()) out.push_back(q.i64(0));
  return out;
}

std::vector<std::string> text_ids(storage::Query&& q) {
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

Settled settle(storage::Tx& tx, const std::string& tenant, const Program& p, Account& a, Timestamp cutoff,
               Timestamp now) {
  Settled done;
  bool due = false;
  {
    auto q = tx.q(
        "SELECT EXISTS(SELECT 1 FROM holds WHERE account_id = ?1 AND status = 'active' AND expires_at <= ?2) "
        "OR EXISTS(SELECT 1 FROM buckets WHERE account_id = ?1 AND state = 'pending' AND "
        "pending_until <= ?2) OR EXISTS(SELECT 1 FROM buckets WHERE account_id = ?1 AND "
        "state = 'available' AND expires_at <= ?2 AND remaining > held)",
        a.id, cutoff);
    due = q.step() && q.i64(0) != 0;
  }
  const bool idle = p.expiry == ExpiryKind::inactivity && a.last_activity_at &&
                    *a.last_activity_at + p.expiry_value * kMillisPerDay <= cutoff;
  if (!due && !idle) return done;
  for (const auto& h : text_ids(tx.q("SELECT id FROM holds WHERE account_id = ?1 AND status = 'active' AND "
                                     "expires_at <= ?2 ORDER BY seq",
                                     a.id, cutoff))) {
    release_hold(tx, find_hold(tx, tenant, h), "expired", now);
    ++done.holds_expired;
  }
  {
    std::vector<Slice> pending;  // bucket, points it holds
    {
      auto q = tx.q(
          "SELECT id, remaining FROM buckets WHERE account_id = ?1 AND state = 'pending' AND "
          "pending_until <= ?2 ORDER BY id",
          a.id, cutoff);
      while (q.step()) pending.push_back({q.i64(0), q.i64(1)});
    }
    for (const auto& b : pending) {
      release_bucket(tx, b.bucket, now);
      ++done.pending_released;
      done.points_released += b.points;
    }
  }
  for (int64_t b : ids(tx.q("SELECT id FROM buckets WHERE account_id = ?1 AND state = 'available' AND "
                            "expires_at <= ?2 AND remaining > held ORDER BY expires_at, id",
                            a.id, cutoff))) {
    done.points_expired += expire_bucket(tx, tenant, b, now);
    ++done.buckets_expired;
  }
  if (idle) {
    // Inactivity: every unreserved point of an account idle for the program's number of days.
    const Timestamp when = *a.last_activity_at + p.expiry_value * kMillisPerDay;
    for (int64_t b :
         ids(tx.q("SELECT id FROM buckets WHERE account_id = ?1 AND state = 'available' AND remaining > held "
                  "ORDER BY id",
                  a.id))) {
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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  const std::string& tenant = ctx.tenant();

  // The tenant's accounts with anything due; each is settled exactly as a write would settle it.
  const auto accounts = ids(
      tx.q("SELECT account_id FROM holds WHERE tenant_id = ?1 AND status = 'active' AND expires_at <= ?2 "
           "UNION SELECT b.account_id FROM buckets b JOIN accounts a ON a.id = b.account_id WHERE a.tenant_id = ?1 AND "
           "((b.state = 'pending' AND b.pending_until <= ?2) OR "
           "(b.state = 'available' AND b.expires_at <= ?2 AND b.remaining > b.held)) "
           "UNION SELECT a.id FROM accounts a JOIN programs p ON p.id = a.program_id WHERE a.tenant_id = ?1 AND "
           "p.expiry_kind = 'inactivity' AND a.last_activity_at <= ?2 - p.expiry_value * 86400000 AND EXISTS(SELECT 1 "
           "FROM buckets WHERE account_id = a.id AND state = 'available' AND remaining > held) ORDER BY 1",
           tenant, cutoff));
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
  tx.commit();
  return out;
}

json verify(Ctx& ctx, const json& in) {
  Input i(in, {});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  json violations = json::array();
  auto violation = [&](const std::string& customer, const std::string& program, const char* invariant, int64_t expected,
                       int64_t actual) {
    violations.push_back({{"customer_id", customer},
                          {"program_id", program},
                          {"invariant", invariant},
                          {"expected", expected},
                          {"actual", actual}});
  };
  int64_t accounts = 0;
  {
    auto q = tx.q(
        "SELECT a.customer_id, a.program_id, a.posted, a.pending, a.held, a.debt, a.lifetime_earned, "
        "a.lifetime_redeemed, p.allow_negative OR p.return_policy = 'unlimited', "
        "(SELECT COALESCE(SUM(points), 0) FROM entries WHERE account_id = a.id AND status = 'posted'), "
        "(SELECT COALESCE(SUM(points), 0) FROM entries WHERE account_id = a.id AND status = 'pending'), "
        "(SELECT COALESCE(SUM(remaining), 0) FROM buckets WHERE account_id = a.id AND state = 'available'), "
        "(SELECT COALESCE(SUM(remaining), 0) FROM buckets WHERE account_id = a.id AND state = 'pending'), "
        "(SELECT COALESCE(SUM(held), 0) FROM buckets WHERE account_id = a.id), "
        "(SELECT COALESCE(SUM(points), 0) FROM holds WHERE account_id = a.id AND status = 'active'), "
        "(SELECT COALESCE(SUM(CASE WHEN type = 'reverse' THEN -ref_points ELSE points END), 0) FROM entries "
        "WHERE account_id = a.id AND type IN ('earn', 'bonus', 'reverse')), "
        "(SELECT COALESCE(-SUM(points), 0) FROM entries WHERE account_id = a.id AND type IN ('redeem', 'refund')), "
        "(SELECT COUNT(*) FROM buckets WHERE account_id = a.id AND (remaining < 0 OR held < 0 OR held > remaining OR "
        "remaining > original)), "
        "(SELECT COUNT(*) FROM entries WHERE account_id = a.id AND type = 'reverse' AND (ref_points IS NULL OR "
        "ref_points <= 0 OR -points > ref_points OR points > 0)) "
        "FROM accounts a JOIN programs p ON p.id = a.program_id WHERE a.tenant_id = ?1 ORDER BY a.id",
        ctx.tenant());
    while (q.step()) {
      ++accounts;
      const std::string c = q.text(0), p = q.text(1);
      const int64_t posted = q.i64(2), pending = q.i64(3), held = q.i64(4), debt = q.i64(5);
      if (q.i64(9) != posted) violation(c, p, "balance equals the sum of posted entries", q.i64(9), posted);
      if (q.i64(10) != pending) violation(c, p, "pending equals the sum of pending entries", q.i64(10), pending);
      if (q.i64(11) - debt != posted)
        violation(c, p, "available bucket remainders minus debt equal the balance", posted, q.i64(11) - debt);
      if (q.i64(12) != pending) violation(c, p, "pending bucket remainders equal pending", pending, q.i64(12));
      if (q.i64(13) != held) violation(c, p, "bucket reservations equal held", held, q.i64(13));
      if (q.i64(14) != held) violation(c, p, "active holds equal held", held, q.i64(14));
      if (q.i64(15) != q.i64(6))
        violation(c, p, "lifetime earned equals earns minus points reversed", q.i64(15), q.i64(6));
      if (q.i64(18) != 0) violation(c, p, "a reversal debits no more than it reverses", 0, q.i64(18));
      if (q.i64(16) != q.i64(7))
        violation(c, p, "lifetime redeemed equals redemptions minus refunds", q.i64(16), q.i64(7));
      if (q.i64(17) != 0) violation(c, p, "every bucket has 0 <= held <= remaining <= original", 0, q.i64(17));
      if (q.i64(8) == 0 && (posted - held < 0 || debt != 0))
        violation(c, p, "no negative balance unless the program allows it", 0, posted - held);
    }
  }
  // Per-row invariants: each query selects (customer, program, expected, actual) of its violations.
  auto check_rows = [&](const char* sql, const char* invariant) {
    auto q = tx.q(sql, ctx.tenant());
    while (q.step()) violation(q.text(0), q.text(1), invariant, q.i64(2), q.i64(3));
  };
  check_rows(
      "SELECT a.customer_id, a.program_id, e.points, (SELECT COALESCE(SUM(ref_points), 0) FROM entries r WHERE "
      "r.ref_entry = e.id AND r.type = 'reverse') AS reversed FROM entries e JOIN accounts a ON a.id = "
      "e.account_id WHERE e.tenant_id = ?1 AND e.type IN ('earn', 'bonus') AND e.points < reversed",
      "an entry is never reversed beyond its points");
  check_rows(
      "SELECT a.customer_id, a.program_id, -e.points, (SELECT COALESCE(SUM(r.points), 0) FROM entries r WHERE "
      "r.ref_entry = e.id AND r.type = 'refund') AS refunded FROM entries e JOIN accounts a ON a.id = "
      "e.account_id WHERE e.tenant_id = ?1 AND e.type = 'redeem' AND -e.points < refunded",
      "a redemption is never refunded beyond its points");
  check_rows(
      "SELECT a.customer_id, a.program_id, h.points, (SELECT COALESCE(SUM(points), 0) FROM hold_allocations "
      "WHERE hold_id = h.id) AS alloc FROM holds h JOIN accounts a ON a.id = h.account_id WHERE "
      "h.tenant_id = ?1 AND h.status = 'active' AND h.points != alloc",
      "a hold's reservations equal its points");
  for (const auto& h : hooks())
    if (h.verify) h.verify(ctx, tx, violations);
  return {{"ok", violations.empty()}, {"accounts_checked", accounts}, {"violations", std::move(violations)}};
}

/// An operation that is one ledger write in its own unit of work.
template <json (*InTx)(Ctx&, storage::Tx&, const json&, const std::string&, Timestamp)>
json write_op(Ctx& ctx, const json& in) {
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  json out = InTx(ctx, tx, in, {}, now);
  tx.commit();
  return out;
}

constexpr OpDef kOps[] = {
    {"ledger.earn", write_op<earn_in_tx>, kScopePos},
    {"ledger.earn_batch", earn_batch, kScopePos},
    {"ledger.adjust", adjust, kScopeAdmin},
    {"ledger.redeem", write_op<redeem_in_tx>, kScopePos},
    {"ledger.refund", write_op<refund_in_tx>, kScopePos},
    {"ledger.reverse", write_op<reverse_in_tx>, kScopePos},
    {"ledger.confirm", confirm, kScopePos},
    {"ledger.balance", balance, kScopeRead},
    {"ledger.history", history, kScopeRead},
    {"ledger.expiring", expiring, kScopeRead},
    {"ledger.entry", entry_get, kScopeRead},
    {"ledger.run_due", run_due, kScopeAdmin},
    {"ledger.verify", verify, kScopeRead},
    {"hold.create", write_op<hold_create_in_tx>, kScopePos},
    {"hold.commit", write_op<hold_commit_in_tx>, kScopePos},
    {"hold.void", write_op<hold_void_in_tx>, kScopePos},
    {"hold.get", hold_get, kScopeRead},
};

}  // namespace

std::span<const OpDef> ledger_ops() { return kOps; }

}  // namespace loyalty::detail
