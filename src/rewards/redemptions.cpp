// Redemptions: one-step redeem, reserve then fulfil or cancel, expiry of reservations (through
// the ledger's run_due hook), refunds of cancelled fulfilled redemptions, coupon codes, lookups,
// and the stock invariants `ledger.verify` checks.
#include <fmt/format.h>

#include <cctype>

#include "core/registry.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "events/events.hpp"
#include "ledger/hooks.hpp"
#include "ledger/idempotency.hpp"
#include "ledger/ledger.hpp"
#include "programs/programs.hpp"
#include "rewards/rewards.hpp"
#include "storage/page.hpp"
#include "tiers/tiers.hpp"

namespace loyalty::detail {
namespace {

constexpr int64_t kMaxTtlS = 30 * 86'400;
/// Coupon codes: 17 random bytes (136 bits) in uppercase Crockford base32, 28 characters shown
/// in groups of four.
constexpr size_t kCodeBytes = 17;
constexpr size_t kCodeChars = 28;
/// How far ahead of the engine clock a redemption's occurred_at may be.
constexpr Timestamp kMaxFutureSkewMs = 5 * 60 * 1000;

constexpr const char* kCols =
    "r.redemption_id, r.reward_id, w.name, r.customer_id, r.program_id, r.points, r.status, r.coupon_code, "
    "r.hold_id, r.entry_id, r.refund_entry_id, r.expires_at, r.created_at, r.fulfilled_at, r.cancelled_at, "
    "r.expired_at, r.updated_at, r.seq, r.occurred_at";
constexpr int kSeqCol = 17;

json row_json(storage::Query& q) {
  return {{"id", q.text(0)},
          {"reward_id", q.text(1)},
          {"reward_name", q.text(2)},
          {"customer_id", q.text(3)},
          {"program_id", q.text(4)},
          {"points", q.i64(5)},
          {"status", q.text(6)},
          {"coupon_code", q.text(7)},
          {"hold_id", opt_text_json(q, 8)},
          {"entry_id", opt_text_json(q, 9)},
          {"refund_entry_id", opt_text_json(q, 10)},
          {"expires_at", opt_time_json(q, 11)},
          {"occurred_at", format_time(q.i64(18))},
          {"created_at", format_time(q.i64(12))},
          {"fulfilled_at", opt_time_json(q, 13)},
          {"cancelled_at", opt_time_json(q, 14)},
          {"expired_at", opt_time_json(q, 15)},
          {"updated_at", format_time(q.i64(16))}};
}

json redemption_json(storage::Tx& tx, const std::string& id) {
  auto q = tx.q(fmt::format("SELECT {} FROM redemptions r JOIN rewards w ON w.reward_id = r.reward_id "
                            "WHERE r.redemption_id = ?1",
                            kCols),
                id);
  if (!q.step()) throw Error(Status::error, fmt::format("redemption {} vanished", id));
  return row_json(q);
}

struct Redemption {
  std::string id;
  std::string reward_id;
  std::string customer_id;
  std::string program_id;
  int64_t points = 0;
  std::string status;
  std::optional<std::string> hold_id;
  std::optional<std::string> entry_id;
  std::optional<Timestamp> expires_at;
};

Redemption find_redemption(storage::Tx& tx, const std::string& tenant, const std::string& id,
                           const std::string& field) {
  auto q = tx.q(
      "SELECT reward_id, customer_id, program_id, points, status, hold_id, entry_id, expires_at FROM redemptions "
      "WHERE redemption_id = ?1 AND tenant_id = ?2",
      id, tenant);
  if (!q.step()) throw Error(Status::not_found, fmt::format("no redemption '{}'", id), field);
  return {id, q.text(0), q.text(1), q.text(2), q.i64(3), q.text(4), q.opt_text(5), q.opt_text(6), q.opt_i64(7)};
}

std::string new_coupon_code() {
  const auto bytes = crypto::random_bytes(kCodeBytes);
  const std::string raw = crypto::base32(bytes.data(), bytes.size());
  std::string out;
  for (size_t k = 0; k < raw.size(); ++k) {
    if (k && k % 4 == 0) out.push_back('-');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(raw[k]))));
  }
  return out;
}

/// A code as a person may type it (any case, with or without dashes and spaces, O for 0, I or
/// L for 1) in its stored form; nullopt when it cannot be a coupon code.
std::optional<std::string> canonical_code(std::string_view text) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string raw;
  for (char ch : text) {
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c == '-' || c == ' ') continue;
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    raw.push_back(c);
  }
  if (raw.size() != kCodeChars) return std::nullopt;
  std::string out;
  for (size_t k = 0; k < raw.size(); ++k) {
    if (k && k % 4 == 0) out.push_back('-');
    out.push_back(raw[k]);
  }
  return out;
}

/// The limit period containing `at` in the tenant's time zone, as [start, end) (nullopt:
/// lifetime). Weeks start on Monday (ISO 8601).
std::optional<std::pair<Timestamp, Timestamp>> period_bounds(const std::string& period, const TimeZone& z,
                                                             Timestamp at) {
  if (period == "lifetime") return std::nullopt;
  CivilDate d = civil_from_timestamp(z.to_local(at));
  CivilDate next = d;
  if (period == "week") {
    const int64_t back = (weekday(d) + 6) % 7;
    d = civil_from_timestamp(timestamp_from_civil(d) - back * kMillisPerDay);
    next = civil_from_timestamp(timestamp_from_civil(d) + 7 * kMillisPerDay);
  } else if (period == "month") {
    d.day = 1;
    next = add_months(d, 1);
  } else if (period == "year") {
    d.month = 1;
    d.day = 1;
    next = add_months(d, 12);
  } else {
    next = civil_from_timestamp(timestamp_from_civil(d) + kMillisPerDay);
  }
  return std::pair{z.from_local(timestamp_from_civil(d)), z.from_local(timestamp_from_civil(next))};
}

void return_stock(storage::Tx& tx, const std::string& reward_id, Timestamp now) {
  tx.q("UPDATE rewards SET stock = stock + 1, updated_at = ?2 WHERE reward_id = ?1 AND stock IS NOT NULL", reward_id,
       now)
      .run();
}

void take_stock(storage::Tx& tx, const Reward& r, Timestamp now) {
  if (!r.stock) return;
  tx.q("UPDATE rewards SET stock = stock - 1, updated_at = ?2 WHERE reward_id = ?1 AND stock > 0", r.id, now).run();
  if (sqlite3_changes(tx.conn().handle()) != 1)
    throw Error(Status::out_of_stock, fmt::format("reward '{}' is out of stock", r.id), "reward_id");
}

json event_data(const std::string& id, const std::string& reward, const std::string& program, int64_t points) {
  return {{"redemption_id", id}, {"reward_id", reward}, {"program_id", program}, {"points", points}};
}
json event_data(const Redemption& r) { return event_data(r.id, r.reward_id, r.program_id, r.points); }

/// Expires the tenant's reservations due by `cutoff` (of one reward, or all): the hold is
/// released (points come back), the unit goes back into stock, `reward.expired` is emitted.
int64_t expire_reservations(Ctx& ctx, storage::Tx& tx, Timestamp cutoff, Timestamp now,
                            const std::optional<std::string>& reward) {
  std::vector<std::string> due;
  {
    auto q = tx.q(
        "SELECT redemption_id FROM redemptions WHERE tenant_id = ?1 AND status = 'reserved' AND expires_at <= ?2 "
        "AND (?3 IS NULL OR reward_id = ?3) ORDER BY expires_at, seq",
        ctx.tenant(), cutoff, reward);
    while (q.step()) due.push_back(q.text(0));
  }
  for (const auto& id : due) {
    const Redemption r = find_redemption(tx, ctx.tenant(), id, "id");
    std::string status = "expired";
    try {
      hold_void_in_tx(ctx, tx, {{"id", *r.hold_id}}, "hold", now);
    } catch (const Error& e) {
      // Committed directly through hold.commit: the points were spent, the unit is taken.
      if (e.status() != Status::conflict) throw;
      status = "fulfilled";
    }
    if (status == "expired") return_stock(tx, r.reward_id, now);
    tx.q("UPDATE redemptions SET status = ?2, expired_at = CASE WHEN ?2 = 'expired' THEN ?3 END, "
         "fulfilled_at = CASE WHEN ?2 = 'fulfilled' THEN ?3 END, updated_at = ?3 WHERE redemption_id = ?1",
         r.id, status, now)
        .run();
    if (status == "expired") {
      json data = event_data(r);
      data["hold_id"] = *r.hold_id;
      emit_event(tx, ctx.tenant(), "reward.expired", r.customer_id, now, std::move(data));
    }
  }
  return static_cast<int64_t>(due.size());
}

struct Checked {
  Reward reward;
  AccountRef account;
};

json event_data(const std::string& id, const Checked& c) {
  return event_data(id, c.reward.id, c.reward.program_id, c.reward.cost_points);
}

/// Everything a redemption checks, in order: the reward is active and inside its window, in
/// stock, within the customer's limit, the customer's tier is high enough and the points are
/// available. Due reservations of the reward expire first so their stock counts.
Checked check_redeemable(Ctx& ctx, storage::Tx& tx, const std::string& reward_id, const std::string& customer,
                         Timestamp at, Timestamp now) {
  load_reward(tx, ctx.tenant(), reward_id);
  expire_reservations(ctx, tx, now, now, reward_id);
  const Reward r = load_reward(tx, ctx.tenant(), reward_id);
  const AccountRef account = open_account_ref(
      ctx, tx, Input(json{{"customer_id", customer}, {"program_id", r.program_id}}, {"customer_id", "program_id"}),
      now);
  if (!r.active) throw Error(Status::forbidden, fmt::format("reward '{}' is not active", r.id), "reward_id");
  if (r.starts_at && at < *r.starts_at)
    throw Error(Status::forbidden, fmt::format("reward '{}' is available from {}", r.id, format_time(*r.starts_at)),
                "reward_id", {{"starts_at", format_time(*r.starts_at)}});
  if (r.ends_at && at >= *r.ends_at)
    throw Error(Status::forbidden, fmt::format("reward '{}' was available until {}", r.id, format_time(*r.ends_at)),
                "reward_id", {{"ends_at", format_time(*r.ends_at)}});
  if (r.stock && *r.stock <= 0)
    throw Error(Status::out_of_stock, fmt::format("reward '{}' is out of stock", r.id), "reward_id");
  if (r.per_customer_limit) {
    const Program p = load_program(tx, ctx.tenant(), r.program_id);
    // The period containing the redemption's time; redemptions count by the time they happened.
    const auto bounds = period_bounds(r.limit_period, p.zone ? *p.zone : *TimeZone::locate("UTC"), at);
    auto q = tx.q(
        "SELECT COUNT(*) FROM redemptions WHERE reward_id = ?1 AND customer_id = ?2 AND status IN ('reserved', "
        "'fulfilled') AND (?3 IS NULL OR (occurred_at >= ?3 AND occurred_at < ?4))",
        r.id, customer, bounds ? std::optional<Timestamp>(bounds->first) : std::nullopt,
        bounds ? std::optional<Timestamp>(bounds->second) : std::nullopt);
    q.step();
    if (q.i64(0) >= *r.per_customer_limit)
      throw Error(
          Status::limit,
          fmt::format("customer '{}' has redeemed reward '{}' {} time(s) {} (limit {})", customer, r.id, q.i64(0),
                      r.limit_period == "lifetime" ? "in total" : "this " + r.limit_period, *r.per_customer_limit),
          "customer_id", {{"limit", *r.per_customer_limit}, {"period", r.limit_period}});
  }
  if (r.min_tier_id) {
    const auto need = find_tier(tx, ctx.tenant(), r.program_id, *r.min_tier_id);
    const auto have = current_tier(tx, account);
    if (!need || !have || have->rank < need->rank)
      throw Error(Status::forbidden,
                  fmt::format("reward '{}' needs tier '{}' or higher; the customer's tier is {}", r.id,
                              need ? need->name : *r.min_tier_id, have ? "'" + have->name + "'" : "none"),
                  "customer_id", {{"min_tier_id", *r.min_tier_id}});
  }
  const int64_t available = available_points(tx, account);
  if (available < r.cost_points)
    throw Error(Status::insufficient,
                fmt::format("reward '{}' costs {} points: {} available", r.id, r.cost_points, available), "customer_id",
                {{"available", available}, {"cost_points", r.cost_points}});
  return {r, account};
}

/// Reads `idempotency_key` (required for the operations that take points).
IdemKey required_key(const Input& i, const json& in, const char* operation) {
  if (!i.has("idempotency_key")) i.fail("idempotency_key", "is required");
  return *idem_key(in, operation);
}

std::string insert_redemption(storage::Tx& tx, const std::string& tenant, const Checked& c, const char* status,
                              const std::optional<std::string>& hold, const std::optional<std::string>& entry,
                              std::optional<Timestamp> expires, Timestamp at, Timestamp now) {
  const std::string id = crypto::new_id("rdm");
  tx.q("INSERT INTO redemptions(redemption_id, seq, tenant_id, program_id, reward_id, customer_id, account_id, points, "
       "status, coupon_code, hold_id, entry_id, expires_at, occurred_at, created_at, fulfilled_at, updated_at) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15, ?14, "
       "CASE WHEN ?9 = 'fulfilled' THEN ?14 END, ?14)",
       id, next_seq(tx, "redemptions"), tenant, c.reward.program_id, c.reward.id, c.account.customer_id, c.account.id,
       c.reward.cost_points, status, new_coupon_code(), hold, entry, expires, now, at)
      .run();
  return id;
}

/// The answer of the writes: the redemption, the ledger's entry or hold, the balance.
json answer(storage::Tx& tx, const std::string& id, const char* name, json ledger_part, json balance) {
  return {{"redemption", redemption_json(tx, id)},
          {name, std::move(ledger_part)},
          {"balance", std::move(balance)},
          {"replayed", false}};
}

/// The frame shared by reward.redeem and reward.reserve: the write transaction, the replay of the
/// key, the checks and the unit of stock; `take(tx, checked, now)` posts the points, creates the
/// redemption and returns the answer, stored under the key in the same transaction.
template <typename Take>
json take_reward(Ctx& ctx, const Input& i, const json& in, const char* operation, Take&& take) {
  const std::string reward_id = i.str("reward_id");
  const std::string customer = i.str("customer_id");
  const IdemKey key = required_key(i, in, operation);
  const Timestamp now = ctx.engine.now();
  // The time the redemption happened (reward.redeem may give it, e.g. a till syncing later):
  // the window and the per-customer limit period are checked at it.
  const Timestamp at = i.opt_event_time("occurred_at", now, kMaxFutureSkewMs).value_or(now);
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  if (auto replay = idem_lookup(tx, ctx.tenant(), key)) return *replay;
  const Checked c = check_redeemable(ctx, tx, reward_id, customer, at, now);
  take_stock(tx, c.reward, now);
  json out = take(tx, c, at, now);
  idem_store(tx, ctx.tenant(), key, out, now);
  tx.commit();
  return out;
}

/// The frame shared by redemption.fulfil and redemption.cancel: the write transaction, the
/// replay of the optional key, the redemption; `change(tx, redemption, now)` returns the answer.
template <typename Change>
json change_redemption(Ctx& ctx, const Input& i, const json& in, const char* operation, Change&& change) {
  const std::string id = i.str("id");
  const auto key = idem_key(in, operation);
  const Timestamp now = ctx.engine.now();
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::write);
  ensure_session_valid(ctx, tx);
  if (key)
    if (auto replay = idem_lookup(tx, ctx.tenant(), *key)) return *replay;
  json out = change(tx, find_redemption(tx, ctx.tenant(), id, "id"), now);
  if (key) idem_store(tx, ctx.tenant(), *key, out, now);
  tx.commit();
  return out;
}

}  // namespace

json reward_redeem(Ctx& ctx, const json& in) {
  Input i(in, {"reward_id", "customer_id", "metadata", "idempotency_key", "occurred_at"});
  const auto metadata = i.opt_object("metadata");
  return take_reward(ctx, i, in, "reward.redeem", [&](storage::Tx& tx, const Checked& c, Timestamp at, Timestamp now) {
    json debit_in = {{"customer_id", c.account.customer_id}, {"program_id", c.reward.program_id},
                     {"points", c.reward.cost_points},       {"reason", "reward"},
                     {"occurred_at", format_time(at)},       {"metadata", {{"reward_id", c.reward.id}}}};
    if (metadata) debit_in["metadata"]["request"] = *metadata;
    json debit = redeem_in_tx(ctx, tx, debit_in, "reward", now);
    const std::string entry = debit["entry"]["id"].get<std::string>();
    const std::string id =
        insert_redemption(tx, ctx.tenant(), c, "fulfilled", std::nullopt, entry, std::nullopt, at, now);
    json data = event_data(id, c);
    data["entry_id"] = entry;
    data["two_step"] = false;
    emit_event(tx, ctx.tenant(), "reward.redeemed", c.account.customer_id, now, std::move(data));
    return answer(tx, id, "entry", std::move(debit["entry"]), std::move(debit["balance"]));
  });
}

json reward_reserve(Ctx& ctx, const json& in) {
  Input i(in, {"reward_id", "customer_id", "ttl_seconds", "idempotency_key"});
  const auto ttl = i.opt_i64("ttl_seconds", 1, kMaxTtlS);
  // A reservation holds points from now: it happens at the engine's clock.
  return take_reward(ctx, i, in, "reward.reserve", [&](storage::Tx& tx, const Checked& c, Timestamp, Timestamp now) {
    const int64_t ttl_s = ttl.value_or(c.reward.reservation_ttl_s);
    json hold = hold_create_in_tx(ctx, tx,
                                  {{"customer_id", c.account.customer_id},
                                   {"program_id", c.reward.program_id},
                                   {"points", c.reward.cost_points},
                                   {"ttl_seconds", ttl_s},
                                   {"reason", fmt::format("reward {}", c.reward.id)}},
                                  "reward", now);
    const std::string hold_id = hold["hold"]["id"].get<std::string>();
    const Timestamp expires = now + ttl_s * 1000;
    const std::string id = insert_redemption(tx, ctx.tenant(), c, "reserved", hold_id, std::nullopt, expires, now, now);
    json data = event_data(id, c);
    data["hold_id"] = hold_id;
    data["expires_at"] = format_time(expires);
    emit_event(tx, ctx.tenant(), "reward.reserved", c.account.customer_id, now, std::move(data));
    return answer(tx, id, "hold", std::move(hold["hold"]), std::move(hold["balance"]));
  });
}

json redemption_fulfil(Ctx& ctx, const json& in) {
  Input i(in, {"id", "idempotency_key"});
  return change_redemption(ctx, i, in, "redemption.fulfil", [&](storage::Tx& tx, const Redemption& r, Timestamp now) {
    if (r.status != "reserved")
      throw Error(Status::conflict, fmt::format("the redemption is {}, not reserved", r.status), "id",
                  {{"status", r.status}});
    if (now >= *r.expires_at)
      throw Error(Status::conflict, "the reservation has expired", "id", {{"status", "expired"}});
    json commit = hold_commit_in_tx(
        ctx, tx,
        {{"id", *r.hold_id}, {"reason", "reward"}, {"metadata", {{"reward_id", r.reward_id}, {"redemption_id", r.id}}}},
        "hold", now);
    const std::string entry = commit["entry"]["id"].get<std::string>();
    tx.q("UPDATE redemptions SET status = 'fulfilled', entry_id = ?2, fulfilled_at = ?3, updated_at = ?3 "
         "WHERE redemption_id = ?1",
         r.id, entry, now)
        .run();
    json data = event_data(r);
    data["entry_id"] = entry;
    data["two_step"] = true;
    emit_event(tx, ctx.tenant(), "reward.redeemed", r.customer_id, now, std::move(data));
    return answer(tx, r.id, "entry", std::move(commit["entry"]), std::move(commit["balance"]));
  });
}

json redemption_cancel(Ctx& ctx, const json& in) {
  Input i(in, {"id", "reason", "idempotency_key"});
  const auto reason = i.opt_str("reason", 500);
  return change_redemption(ctx, i, in, "redemption.cancel", [&](storage::Tx& tx, const Redemption& r, Timestamp now) {
    json balance, refund = nullptr;
    if (r.status == "reserved") {
      json released = hold_void_in_tx(ctx, tx, {{"id", *r.hold_id}}, "hold", now);
      balance = std::move(released["balance"]);
    } else if (r.status == "fulfilled") {
      if (!load_reward(tx, ctx.tenant(), r.reward_id).refundable)
        throw Error(Status::forbidden,
                    fmt::format("redemptions of reward '{}' cannot be cancelled once fulfilled", r.reward_id), "id",
                    {{"status", r.status}});
      if (!r.entry_id) throw Error(Status::conflict, "the redemption has no redeem entry to refund", "id");
      json refund_in = {{"entry_id", *r.entry_id}, {"points", r.points}};
      if (reason) refund_in["reason"] = *reason;
      json refunded = refund_in_tx(ctx, tx, refund_in, "refund", now);
      balance = std::move(refunded["balance"]);
      refund = std::move(refunded["entry"]);
    } else {
      throw Error(Status::conflict, fmt::format("the redemption is already {}", r.status), "id",
                  {{"status", r.status}});
    }
    return_stock(tx, r.reward_id, now);
    const std::optional<std::string> refund_id =
        refund.is_null() ? std::nullopt : std::optional<std::string>(refund["id"].get<std::string>());
    tx.q("UPDATE redemptions SET status = 'cancelled', cancelled_at = ?2, refund_entry_id = ?3, updated_at = ?2 "
         "WHERE redemption_id = ?1",
         r.id, now, refund_id)
        .run();
    json data = event_data(r);
    data["from"] = r.status;
    data["refund_entry_id"] = refund_id ? json(*refund_id) : json(nullptr);
    data["reason"] = reason ? json(*reason) : json(nullptr);
    emit_event(tx, ctx.tenant(), "reward.cancelled", r.customer_id, now, std::move(data));
    return answer(tx, r.id, "refund", std::move(refund), std::move(balance));
  });
}

json redemption_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  find_redemption(tx, ctx.tenant(), id, "id");
  return redemption_json(tx, id);
}

json redemption_by_code(Ctx& ctx, const json& in) {
  Input i(in, {"code"});
  const std::string text = i.str("code", 100);
  const auto code = canonical_code(text);
  if (!code)
    i.fail("code", fmt::format("must be a coupon code of {} characters (0-9, A-Z without I, L, O, U)", kCodeChars));
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q(fmt::format("SELECT {} FROM redemptions r JOIN rewards w ON w.reward_id = r.reward_id "
                            "WHERE r.coupon_code = ?1 AND r.tenant_id = ?2",
                            kCols),
                *code, ctx.tenant());
  if (!q.step()) throw Error(Status::not_found, "no redemption with this coupon code", "code");
  return row_json(q);
}

// A customer's redemptions, oldest first: {customer_id, reward_id?, status?, limit?, cursor?}.
json redemption_list(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "reward_id", "status", "limit", "cursor"});
  const std::string customer = i.str("customer_id");
  const auto reward = i.opt_str("reward_id");
  const auto status = i.opt_enum("status", {"reserved", "fulfilled", "cancelled", "expired"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  require_customer(tx, ctx.tenant(), customer, "customer_id");
  if (reward) load_reward(tx, ctx.tenant(), *reward);
  auto q = tx.q(fmt::format("SELECT {} FROM redemptions r JOIN rewards w ON w.reward_id = r.reward_id "
                            "WHERE r.tenant_id = ?1 AND r.customer_id = ?2 AND r.seq > ?3 "
                            "AND (?4 IS NULL OR r.reward_id = ?4) AND (?5 IS NULL OR r.status = ?5) "
                            "ORDER BY r.seq LIMIT ?6",
                            kCols),
                ctx.tenant(), customer, after, reward, status, limit + 1);
  return storage::page(q, limit, kSeqCol, row_json);
}

namespace {

void run_due_hook(Ctx& ctx, storage::Tx& tx, Timestamp cutoff, Timestamp now, json& out) {
  out["reservations_expired"] = expire_reservations(ctx, tx, cutoff, now, std::nullopt);
}

void verify_hook(Ctx& ctx, storage::Tx& tx, json& violations) {
  auto violation = [&](const std::string& reward, const std::string& program, const char* invariant,
                       const json& expected, const json& actual) {
    violations.push_back({{"customer_id", ""},
                          {"program_id", program},
                          {"reward_id", reward},
                          {"invariant", invariant},
                          {"expected", expected},
                          {"actual", actual}});
  };
  auto q = tx.q(
      "SELECT w.reward_id, w.program_id, w.stock, w.stock_supplied, (SELECT COUNT(*) FROM redemptions r WHERE "
      "r.reward_id = w.reward_id AND r.status IN ('reserved', 'fulfilled')) FROM rewards w WHERE w.tenant_id = ?1 "
      "ORDER BY w.seq",
      ctx.tenant());
  while (q.step()) {
    const std::string reward = q.text(0), program = q.text(1);
    const auto stock = q.opt_i64(2), supplied = q.opt_i64(3);
    if (stock && *stock < 0) violation(reward, program, "reward stock is never negative", 0, *stock);
    if (stock.has_value() != supplied.has_value())
      violation(reward, program, "stock and supplied stock are both limited or both unlimited", nullptr, nullptr);
    else if (stock && *supplied - q.i64(4) != *stock)
      violation(reward, program, "reward stock equals the supplied stock minus active redemptions",
                *supplied - q.i64(4), *stock);
  }
  // Redemptions and the ledger agree: a fulfilled redemption has its redeem entry, a reserved
  // one its hold, a cancelled fulfilled one its refund.
  auto r = tx.q(
      "SELECT customer_id, program_id, redemption_id, status FROM redemptions WHERE tenant_id = ?1 AND "
      "((status = 'reserved' AND hold_id IS NULL) OR (status = 'cancelled' AND entry_id IS NOT NULL AND "
      "refund_entry_id IS NULL))",
      ctx.tenant());
  while (r.step())
    violations.push_back({{"customer_id", r.text(0)},
                          {"program_id", r.text(1)},
                          {"redemption_id", r.text(2)},
                          {"invariant", "a redemption is backed by its hold or refund"},
                          {"expected", nullptr},
                          {"actual", r.text(3)}});
}

}  // namespace

void install_reward_hooks() {
  LedgerHooks h;
  h.run_due = run_due_hook;
  h.verify = verify_hook;
  set_ledger_hooks(h);
}

}  // namespace loyalty::detail
