// Redemptions: one-step redeem, reserve then fulfil or cancel, expiry of reservations (through
// the ledger's run_due hook), refunds of cancelled fulfilled redemptions, coupon codes, lookups,
// and the stock invariants `ledger.verify` checks.
#include <fmt/format.h>

#include <cctype>

#include "audit/write_op.hpp"
#include "core/limits.hpp"
#include "crypto/crypto.hpp"
#include "customers/customers.hpp"
#include "engine/registry.hpp"
#include "events/events.hpp"
#include "ledger/hooks.hpp"
#include "ledger/idempotency.hpp"
#include "ledger/ledger.hpp"
#include "programs/programs.hpp"
#include "rewards/reward_store.hpp"
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

json row_json(const storage::RedemptionRecord& r) {
  return {{"id", r.id},
          {"reward_id", r.reward_id},
          {"reward_name", r.reward_name},
          {"customer_id", r.customer_id},
          {"program_id", r.program_id},
          {"points", r.points},
          {"status", r.status},
          {"coupon_code", r.coupon_code},
          {"hold_id", opt_json(r.hold_id)},
          {"entry_id", opt_json(r.entry_id)},
          {"refund_entry_id", opt_json(r.refund_entry_id)},
          {"expires_at", opt_time_json(r.expires_at)},
          {"occurred_at", format_time(r.occurred_at)},
          {"created_at", format_time(r.created_at)},
          {"fulfilled_at", opt_time_json(r.fulfilled_at)},
          {"cancelled_at", opt_time_json(r.cancelled_at)},
          {"expired_at", opt_time_json(r.expired_at)},
          {"updated_at", format_time(r.updated_at)}};
}

json redemption_json(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id) {
  const auto r = tx.rewards().redemption(tenant, id);
  if (!r) throw Error(Status::error, fmt::format("redemption {} vanished", id));
  return row_json(*r);
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

Redemption find_redemption(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                           const std::string& field) {
  const auto r = tx.rewards().redemption(tenant, id);
  if (!r) throw Error(Status::not_found, fmt::format("no redemption '{}'", id), field);
  return {id,        r->reward_id, r->customer_id, r->program_id, r->points,
          r->status, r->hold_id,   r->entry_id,    r->expires_at};
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

void take_stock(storage::UnitOfWork& tx, const std::string& tenant, const Reward& r, Timestamp now) {
  if (!r.stock) return;
  if (!tx.rewards().take_unit(tenant, r.id, now))
    throw Error(Status::out_of_stock, fmt::format("reward '{}' is out of stock", r.id), "reward_id");
}

json event_data(const std::string& id, const std::string& reward, const std::string& program, int64_t points) {
  return {{"redemption_id", id}, {"reward_id", reward}, {"program_id", program}, {"points", points}};
}
json event_data(const Redemption& r) { return event_data(r.id, r.reward_id, r.program_id, r.points); }

/// Expires the tenant's reservations due by `cutoff` (of one reward, or all): the hold is
/// released (points come back), the unit goes back into stock, `reward.expired` is emitted.
int64_t expire_reservations(Ctx& ctx, storage::UnitOfWork& tx, Timestamp cutoff, Timestamp now,
                            const std::optional<std::string>& reward) {
  const std::vector<std::string> due = tx.rewards().due_reservations(ctx.tenant(), cutoff, reward);
  for (const auto& id : due) {
    const Redemption r = find_redemption(tx, ctx.tenant(), id, "id");
    bool expired = true;
    try {
      hold_void_in_tx(ctx, tx, HoldVoidRequest{*r.hold_id}, "hold", now);
    } catch (const Error& e) {
      // Committed directly through hold.commit: the points were spent, the unit is taken.
      if (e.status() != Status::conflict) throw;
      expired = false;
    }
    if (expired) {
      tx.rewards().return_unit(ctx.tenant(), r.reward_id, now);
      tx.rewards().expire(ctx.tenant(), r.id, now);
    } else {
      tx.rewards().fulfil(ctx.tenant(), r.id, std::nullopt, now);
    }
    if (expired) {
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
Checked check_redeemable(Ctx& ctx, storage::UnitOfWork& tx, const std::string& reward_id, const std::string& customer,
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
    const int64_t used = tx.rewards().active_redemptions(r.id, customer, bounds);
    if (used >= *r.per_customer_limit)
      throw Error(
          Status::limit,
          fmt::format("customer '{}' has redeemed reward '{}' {} time(s) {} (limit {})", customer, r.id, used,
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
                fmt::format("reward '{}' costs {} points: {} available", r.id, r.cost_points, available), "points",
                {{"available", available}, {"cost_points", r.cost_points}});
  return {r, account};
}

/// Reads `idempotency_key` (required for the operations that take points).
IdemKey required_key(const Input& i, const json& in, const char* operation) {
  if (!i.has("idempotency_key")) i.fail("idempotency_key", "is required");
  return *idem_key(in, operation);
}

std::string insert_redemption(storage::UnitOfWork& tx, const std::string& tenant, const Checked& c, const char* status,
                              const std::optional<std::string>& hold, const std::optional<std::string>& entry,
                              std::optional<Timestamp> expires, Timestamp at, Timestamp now) {
  storage::RedemptionRecord r;
  r.id = crypto::new_id("rdm");
  r.tenant_id = tenant;
  r.program_id = c.reward.program_id;
  r.reward_id = c.reward.id;
  r.customer_id = c.account.customer_id;
  r.account_id = c.account.id;
  r.points = c.reward.cost_points;
  r.status = status;
  r.coupon_code = new_coupon_code();
  r.hold_id = hold;
  r.entry_id = entry;
  r.expires_at = expires;
  r.occurred_at = at;
  r.created_at = now;
  if (r.status == "fulfilled") r.fulfilled_at = now;
  tx.rewards().insert_redemption(r);
  return r.id;
}

/// The answer of the writes: the redemption, the ledger's entry or hold, the balance.
json answer(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id, const char* name,
            json ledger_part, json balance) {
  return {{"redemption", redemption_json(tx, tenant, id)},
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
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    if (auto replay = idem_lookup(tx, ctx.tenant(), key)) return *replay;
    const Checked c = check_redeemable(ctx, tx, reward_id, customer, at, now);
    take_stock(tx, ctx.tenant(), c.reward, now);
    json out = take(tx, c, at, now);
    idem_store(tx, ctx.tenant(), key, out, now);
    return out;
  });
}

/// The frame shared by redemption.fulfil and redemption.cancel: the write transaction, the
/// replay of the optional key, the redemption; `change(tx, redemption, now)` returns the answer.
template <typename Change>
json change_redemption(Ctx& ctx, const Input& i, const json& in, const char* operation, Change&& change) {
  const std::string id = i.str("id");
  const auto key = idem_key(in, operation);
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog&) -> json {
    if (key)
      if (auto replay = idem_lookup(tx, ctx.tenant(), *key)) return *replay;
    json out = change(tx, find_redemption(tx, ctx.tenant(), id, "id"), now);
    if (key) idem_store(tx, ctx.tenant(), *key, out, now);
    return out;
  });
}

}  // namespace

json reward_redeem(Ctx& ctx, const json& in) {
  Input i(in, {"reward_id", "customer_id", "metadata", "idempotency_key", "occurred_at"});
  const auto metadata = opt_object_limited(i, "metadata", kMaxRedeemRequestMetadataBytes);
  return take_reward(
      ctx, i, in, "reward.redeem", [&](storage::UnitOfWork& tx, const Checked& c, Timestamp at, Timestamp now) {
        RedeemRequest debit_in;
        debit_in.customer_id = c.account.customer_id;
        debit_in.program_id = c.reward.program_id;
        debit_in.points = c.reward.cost_points;
        debit_in.reason = "reward";
        debit_in.occurred_at = at;
        debit_in.metadata = json{{"reward_id", c.reward.id}};
        if (metadata) (*debit_in.metadata)["request"] = *metadata;
        json debit = redeem_in_tx(ctx, tx, debit_in, "reward", now);
        const std::string entry = debit["entry"]["id"].get<std::string>();
        const std::string id =
            insert_redemption(tx, ctx.tenant(), c, "fulfilled", std::nullopt, entry, std::nullopt, at, now);
        json data = event_data(id, c);
        data["entry_id"] = entry;
        data["two_step"] = false;
        emit_event(tx, ctx.tenant(), "reward.redeemed", c.account.customer_id, now, std::move(data));
        return answer(tx, ctx.tenant(), id, "entry", std::move(debit["entry"]), std::move(debit["balance"]));
      });
}

json reward_reserve(Ctx& ctx, const json& in) {
  Input i(in, {"reward_id", "customer_id", "ttl_seconds", "idempotency_key"});
  const auto ttl = i.opt_i64("ttl_seconds", 1, kMaxTtlS);
  // A reservation holds points from now: it happens at the engine's clock.
  return take_reward(ctx, i, in, "reward.reserve",
                     [&](storage::UnitOfWork& tx, const Checked& c, Timestamp, Timestamp now) {
                       const int64_t ttl_s = ttl.value_or(c.reward.reservation_ttl_s);
                       HoldCreateRequest hold_in;
                       hold_in.customer_id = c.account.customer_id;
                       hold_in.program_id = c.reward.program_id;
                       hold_in.points = c.reward.cost_points;
                       hold_in.ttl_seconds = ttl_s;
                       hold_in.reason = fmt::format("reward {}", c.reward.id);
                       json hold = hold_create_in_tx(ctx, tx, hold_in, "reward", now);
                       const std::string hold_id = hold["hold"]["id"].get<std::string>();
                       const Timestamp expires = now + ttl_s * 1000;
                       const std::string id =
                           insert_redemption(tx, ctx.tenant(), c, "reserved", hold_id, std::nullopt, expires, now, now);
                       json data = event_data(id, c);
                       data["hold_id"] = hold_id;
                       data["expires_at"] = format_time(expires);
                       emit_event(tx, ctx.tenant(), "reward.reserved", c.account.customer_id, now, std::move(data));
                       return answer(tx, ctx.tenant(), id, "hold", std::move(hold["hold"]), std::move(hold["balance"]));
                     });
}

json redemption_fulfil(Ctx& ctx, const json& in) {
  Input i(in, {"id", "idempotency_key"});
  return change_redemption(
      ctx, i, in, "redemption.fulfil", [&](storage::UnitOfWork& tx, const Redemption& r, Timestamp now) {
        if (r.status != "reserved")
          throw Error(Status::conflict, fmt::format("the redemption is {}, not reserved", r.status), "id",
                      {{"status", r.status}});
        if (now >= *r.expires_at)
          throw Error(Status::conflict, "the reservation has expired", "id", {{"status", "expired"}});
        HoldCommitRequest commit_in;
        commit_in.id = *r.hold_id;
        commit_in.reason = "reward";
        commit_in.metadata = json{{"reward_id", r.reward_id}, {"redemption_id", r.id}};
        json commit = hold_commit_in_tx(ctx, tx, commit_in, "hold", now);
        const std::string entry = commit["entry"]["id"].get<std::string>();
        tx.rewards().fulfil(ctx.tenant(), r.id, entry, now);
        json data = event_data(r);
        data["entry_id"] = entry;
        data["two_step"] = true;
        emit_event(tx, ctx.tenant(), "reward.redeemed", r.customer_id, now, std::move(data));
        return answer(tx, ctx.tenant(), r.id, "entry", std::move(commit["entry"]), std::move(commit["balance"]));
      });
}

json redemption_cancel(Ctx& ctx, const json& in) {
  Input i(in, {"id", "reason", "idempotency_key"});
  const auto reason = i.opt_str("reason", 500);
  return change_redemption(
      ctx, i, in, "redemption.cancel", [&](storage::UnitOfWork& tx, const Redemption& r, Timestamp now) {
        json balance, refund = nullptr;
        if (r.status == "reserved") {
          json released = hold_void_in_tx(ctx, tx, HoldVoidRequest{*r.hold_id}, "hold", now);
          balance = std::move(released["balance"]);
        } else if (r.status == "fulfilled") {
          if (!load_reward(tx, ctx.tenant(), r.reward_id).refundable)
            throw Error(Status::forbidden,
                        fmt::format("redemptions of reward '{}' cannot be cancelled once fulfilled", r.reward_id), "id",
                        {{"status", r.status}});
          if (!r.entry_id) throw Error(Status::conflict, "the redemption has no redeem entry to refund", "id");
          RefundRequest refund_in;
          refund_in.entry_id = *r.entry_id;
          refund_in.points = r.points;
          refund_in.reason = reason;
          json refunded = refund_in_tx(ctx, tx, refund_in, "refund", now);
          balance = std::move(refunded["balance"]);
          refund = std::move(refunded["entry"]);
        } else {
          throw Error(Status::conflict, fmt::format("the redemption is already {}", r.status), "id",
                      {{"status", r.status}});
        }
        tx.rewards().return_unit(ctx.tenant(), r.reward_id, now);
        const std::optional<std::string> refund_id =
            refund.is_null() ? std::nullopt : std::optional<std::string>(refund["id"].get<std::string>());
        tx.rewards().cancel(ctx.tenant(), r.id, refund_id, now);
        json data = event_data(r);
        data["from"] = r.status;
        data["refund_entry_id"] = refund_id ? json(*refund_id) : json(nullptr);
        data["reason"] = reason ? json(*reason) : json(nullptr);
        emit_event(tx, ctx.tenant(), "reward.cancelled", r.customer_id, now, std::move(data));
        return answer(tx, ctx.tenant(), r.id, "refund", std::move(refund), std::move(balance));
      });
}

json redemption_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  find_redemption(tx, ctx.tenant(), id, "id");
  return redemption_json(tx, ctx.tenant(), id);
}

json redemption_by_code(Ctx& ctx, const json& in) {
  Input i(in, {"code"});
  const std::string text = i.str("code", 100);
  const auto code = canonical_code(text);
  if (!code)
    i.fail("code", fmt::format("must be a coupon code of {} characters (0-9, A-Z without I, L, O, U)", kCodeChars));
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  const auto r = tx.rewards().by_code(ctx.tenant(), *code);
  if (!r) throw Error(Status::not_found, "no redemption with this coupon code", "code");
  return row_json(*r);
}

// A customer's redemptions, oldest first: {customer_id, reward_id?, status?, limit?, cursor?}.
json redemption_list(Ctx& ctx, const json& in) {
  Input i(in, {"customer_id", "reward_id", "status", "limit", "cursor"});
  const std::string customer = i.str("customer_id");
  const auto reward = i.opt_str("reward_id");
  const auto status = i.opt_enum("status", {"reserved", "fulfilled", "cancelled", "expired"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  require_customer(tx, ctx.tenant(), customer, "customer_id");
  if (reward) load_reward(tx, ctx.tenant(), *reward);
  return storage::page_of(
      tx.rewards().redemptions({ctx.tenant(), customer, after, reward, status, limit}), limit,
      [](const storage::RedemptionRecord& r) { return r.seq; },
      [](const storage::RedemptionRecord& r) { return row_json(r); });
}

namespace {

void run_due_hook(Ctx& ctx, storage::UnitOfWork& tx, Timestamp cutoff, Timestamp now, json& out) {
  out["reservations_expired"] = expire_reservations(ctx, tx, cutoff, now, std::nullopt);
}

void verify_hook(Ctx& ctx, storage::UnitOfWork& tx, json& violations) {
  auto violation = [&](const std::string& reward, const std::string& program, const char* invariant,
                       const json& expected, const json& actual) {
    violations.push_back({{"customer_id", ""},
                          {"program_id", program},
                          {"reward_id", reward},
                          {"invariant", invariant},
                          {"expected", expected},
                          {"actual", actual}});
  };
  for (const storage::RewardStock& w : tx.rewards().stock_figures(ctx.tenant())) {
    const auto& stock = w.stock;
    const auto& supplied = w.stock_supplied;
    if (stock && *stock < 0) violation(w.reward_id, w.program_id, "reward stock is never negative", 0, *stock);
    if (stock.has_value() != supplied.has_value())
      violation(w.reward_id, w.program_id, "stock and supplied stock are both limited or both unlimited", nullptr,
                nullptr);
    else if (stock && *supplied - w.active_redemptions != *stock)
      violation(w.reward_id, w.program_id, "reward stock equals the supplied stock minus active redemptions",
                *supplied - w.active_redemptions, *stock);
  }
  // Redemptions and the ledger agree: a fulfilled redemption has its redeem entry, a reserved
  // one its hold, a cancelled fulfilled one its refund.
  for (const storage::RedemptionRecord& r : tx.rewards().unbacked(ctx.tenant()))
    violations.push_back({{"customer_id", r.customer_id},
                          {"program_id", r.program_id},
                          {"redemption_id", r.id},
                          {"invariant", "a redemption is backed by its hold or refund"},
                          {"expected", nullptr},
                          {"actual", r.status}});
}

}  // namespace

void install_reward_hooks() {
  LedgerHooks h;
  h.run_due = run_due_hook;
  h.verify = verify_hook;
  set_ledger_hooks(h);
}

}  // namespace loyalty::detail
