#include "programs/programs.hpp"

#include <fmt/format.h>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "crypto/crypto.hpp"
#include "engine/registry.hpp"
#include "programs/program_store.hpp"

namespace loyalty::detail {
namespace {

ReturnPolicy policy_from(const std::string& s) {
  if (s == "only_pending") return ReturnPolicy::only_pending;
  if (s == "unlimited") return ReturnPolicy::unlimited;
  return ReturnPolicy::within_balance;
}

const char* expiry_name(ExpiryKind k) {
  switch (k) {
    case ExpiryKind::never:
      return "never";
    case ExpiryKind::days_after_earn:
      return "days_after_earn";
    case ExpiryKind::end_of_month:
      return "end_of_month";
    case ExpiryKind::end_of_year:
      return "end_of_year";
    case ExpiryKind::inactivity:
      return "inactivity";
  }
  return "never";
}

ExpiryKind expiry_from(const std::string& s) {
  if (s == "days_after_earn") return ExpiryKind::days_after_earn;
  if (s == "end_of_month") return ExpiryKind::end_of_month;
  if (s == "end_of_year") return ExpiryKind::end_of_year;
  if (s == "inactivity") return ExpiryKind::inactivity;
  return ExpiryKind::never;
}

struct ExpirySpec {
  ExpiryKind kind;
  int64_t value;
};

ExpirySpec read_expiry(const Input& parent) {
  const json e = *parent.opt_object("expiry");
  Input i(e, {"policy", "days", "months"}, parent.field("expiry"));
  const auto policy = i.opt_enum("policy", {"never", "days_after_earn", "end_of_month", "end_of_year", "inactivity"});
  if (!policy) i.fail("policy", "is required");
  const ExpiryKind kind = expiry_from(*policy);
  switch (kind) {
    case ExpiryKind::never:
      if (i.has("days") || i.has("months")) i.fail(i.has("days") ? "days" : "months", "is not used by policy 'never'");
      return {kind, 0};
    case ExpiryKind::days_after_earn:
    case ExpiryKind::inactivity:
      if (i.has("months")) i.fail("months", fmt::format("is not used by policy '{}' (use days)", *policy));
      return {kind, i.i64("days", 1, 36'500)};
    case ExpiryKind::end_of_month:
    case ExpiryKind::end_of_year:
      if (i.has("days")) i.fail("days", fmt::format("is not used by policy '{}' (use months)", *policy));
      return {kind, i.i64("months", 0, 1'200)};
  }
  return {kind, 0};
}

json expiry_json(ExpiryKind k, int64_t v) {
  json e = {{"policy", expiry_name(k)}};
  if (k == ExpiryKind::days_after_earn || k == ExpiryKind::inactivity) e["days"] = v;
  if (k == ExpiryKind::end_of_month || k == ExpiryKind::end_of_year) e["months"] = v;
  return e;
}

json program_row(const storage::ProgramRecord& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"description", p.description},
          {"currency", p.currency},
          {"rounding", p.rounding},
          {"return_policy", p.return_policy},
          {"expiry", expiry_json(expiry_from(p.expiry_kind), p.expiry_value)},
          {"pending_days", p.pending_days},
          {"max_balance", p.max_balance ? json(*p.max_balance) : json(nullptr)},
          {"allow_negative", p.allow_negative},
          {"active", p.active},
          {"created_at", format_time(p.created_at)},
          {"updated_at", format_time(p.updated_at)}};
}

json load_json(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id) {
  const auto p = tx.programs().program(tenant, id);
  if (!p) throw Error(Status::not_found, fmt::format("no program '{}'", id), "id");
  return program_row(*p);
}

std::string read_currency(const Input& i) {
  const std::string c = i.str("currency", 3);
  if (c.size() != 3 || !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
    i.fail("currency", "must be an ISO 4217 code of three capital letters, such as EUR");
  return c;
}

const std::initializer_list<std::string_view> kRoundings = {"floor", "ceil", "half_up", "half_even"};
const std::initializer_list<std::string_view> kPolicies = {"only_pending", "within_balance", "unlimited"};

json program_create(Ctx& ctx, const json& in) {
  Input i(in, {"name", "description", "currency", "rounding", "return_policy", "expiry", "pending_days", "max_balance",
               "allow_negative", "active"});
  const std::string name = i.str("name", 200);
  const std::string description = i.opt_str("description", 2000).value_or("");
  const std::string currency = read_currency(i);
  const std::string rounding = i.opt_enum("rounding", kRoundings).value_or("floor");
  const std::string policy = i.opt_enum("return_policy", kPolicies).value_or("within_balance");
  const ExpirySpec expiry = i.has("expiry") ? read_expiry(i) : ExpirySpec{ExpiryKind::never, 0};
  const int64_t pending_days = i.opt_i64("pending_days", 0, 365).value_or(0);
  const auto max_balance = i.opt_i64("max_balance", 1, kMaxAmount);
  const bool allow_negative = i.boolean("allow_negative", false);
  const bool active = i.boolean("active", true);
  const Timestamp now = ctx.engine.now();
  const std::string id = crypto::new_id("prg");
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    if (tx.programs().name_taken(ctx.tenant(), name))
      throw Error(Status::conflict, fmt::format("a program named '{}' exists", name), "name");
    tx.programs().insert_program({id, ctx.tenant(), name, description, currency, rounding, policy,
                                  expiry_name(expiry.kind), expiry.value, pending_days, max_balance, allow_negative,
                                  active, now, now});
    json out = load_json(tx, ctx.tenant(), id);
    audit.record("program.create", id, {{"program", out}});
    return out;
  });
}

json program_get(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return load_json(tx, ctx.tenant(), id);
}

json program_list(Ctx& ctx, const json& in) {
  Input i(in, {"active"});
  const auto active = i.opt_bool("active");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  json items = json::array();
  for (const auto& p : tx.programs().programs(ctx.tenant(), active)) items.push_back(program_row(p));
  return {{"items", std::move(items)}};
}

json program_update(Ctx& ctx, const json& in) {
  Input i(in, {"id", "name", "description", "rounding", "return_policy", "expiry", "pending_days", "max_balance",
               "allow_negative"});
  const std::string id = i.str("id");
  const auto name = i.opt_str("name", 200);
  const auto description = i.opt_str("description", 2000);
  const auto rounding = i.opt_enum("rounding", kRoundings);
  const auto policy = i.opt_enum("return_policy", kPolicies);
  std::optional<ExpirySpec> expiry;
  if (i.has("expiry")) expiry = read_expiry(i);
  const auto pending_days = i.opt_i64("pending_days", 0, 365);
  const auto max_balance = i.opt_i64("max_balance", 1, kMaxAmount);
  const auto allow_negative = i.opt_bool("allow_negative");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const json before = load_json(tx, ctx.tenant(), id);
    if (name && *name != before["name"] && tx.programs().name_taken(ctx.tenant(), *name))
      throw Error(Status::conflict, fmt::format("a program named '{}' exists", *name), "name");
    // Switching off negative balances while an account is negative would make a legal history
    // break the ledger's invariant: refuse it until the balances are settled.
    const bool was_negative_ok = before["allow_negative"] == true || before["return_policy"] == "unlimited";
    const bool negative_ok = allow_negative.value_or(before["allow_negative"].get<bool>()) ||
                             policy.value_or(before["return_policy"].get<std::string>()) == "unlimited";
    if (was_negative_ok && !negative_ok) {
      const int64_t negative = tx.programs().negative_accounts(id);
      if (negative > 0)
        throw Error(
            Status::conflict,
            fmt::format("{} accounts have a negative balance; negative balances cannot be disallowed yet", negative),
            allow_negative && !*allow_negative ? "allow_negative" : "return_policy", {{"negative_accounts", negative}});
    }
    std::optional<std::string> kind;
    std::optional<int64_t> value;
    if (expiry) {
      kind = expiry_name(expiry->kind);
      value = expiry->value;
    }
    tx.programs().update_program({ctx.tenant(), id, name, description, rounding, policy, kind, value, pending_days,
                                  in.contains("max_balance"),  // present as null removes the limit (Input::has
                                                               // treats null as absent)
                                  max_balance, allow_negative, now});
    json after = load_json(tx, ctx.tenant(), id);
    audit.record("program.update", id, {{"changes", audit_changes(before, after)}});
    return after;
  });
}

json set_active(Ctx& ctx, const json& in, bool active) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  return write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    load_json(tx, ctx.tenant(), id);
    tx.programs().set_program_active(ctx.tenant(), id, active, now);
    audit.record(active ? "program.activate" : "program.deactivate", id);
    return load_json(tx, ctx.tenant(), id);
  });
}

json program_activate(Ctx& ctx, const json& in) { return set_active(ctx, in, true); }
json program_deactivate(Ctx& ctx, const json& in) { return set_active(ctx, in, false); }

constexpr OpDef kOps[] = {
    {"program.create", program_create, kScopeAdmin},     {"program.get", program_get, kScopeRead},
    {"program.list", program_list, kScopeRead},          {"program.update", program_update, kScopeAdmin},
    {"program.activate", program_activate, kScopeAdmin}, {"program.deactivate", program_deactivate, kScopeAdmin},
};

Program program_from(const storage::ProgramSettings& s) {
  Program p;
  p.id = s.id;
  p.currency = s.currency;
  p.rounding = s.rounding;
  p.return_policy = policy_from(s.return_policy);
  p.expiry = expiry_from(s.expiry_kind);
  p.expiry_value = s.expiry_value;
  p.pending_days = s.pending_days;
  p.max_balance = s.max_balance;
  p.allow_negative = s.allow_negative;
  p.active = s.active;
  p.zone = TimeZone::locate(s.timezone);
  return p;
}

}  // namespace

Program load_program(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& program_id,
                     const std::string& field) {
  const auto s = tx.programs().settings(tenant_id, program_id);
  if (!s) throw Error(Status::not_found, fmt::format("no program '{}'", program_id), field);
  return program_from(*s);
}

std::optional<Program> only_active_program(storage::UnitOfWork& tx, const std::string& tenant_id) {
  const auto active = tx.programs().active_settings(tenant_id, 2);
  if (active.size() != 1) return std::nullopt;
  return program_from(active.front());
}

Program default_program(storage::UnitOfWork& tx, const std::string& tenant_id) {
  if (auto p = only_active_program(tx, tenant_id)) return *p;
  if (tx.programs().count_active(tenant_id) == 0)
    throw Error(Status::not_found, "the tenant has no active program", "program_id");
  throw Error(Status::invalid, "program_id is required when the tenant has several active programs", "program_id");
}

std::optional<Timestamp> expiry_for(const Program& p, Timestamp earned_at) {
  switch (p.expiry) {
    case ExpiryKind::never:
    case ExpiryKind::inactivity:
      return std::nullopt;
    case ExpiryKind::days_after_earn:
      return earned_at + p.expiry_value * kMillisPerDay;
    case ExpiryKind::end_of_month: {
      // Expires at the first local instant after the end of the month `months` after the earn.
      const TimeZone& tz = p.zone ? *p.zone : *TimeZone::locate("UTC");
      CivilDate d = add_months(civil_from_timestamp(tz.to_local(earned_at)), static_cast<int32_t>(p.expiry_value));
      d.day = 1;
      return tz.from_local(timestamp_from_civil(add_months(d, 1)));
    }
    case ExpiryKind::end_of_year: {
      const TimeZone& tz = p.zone ? *p.zone : *TimeZone::locate("UTC");
      const CivilDate d =
          add_months(civil_from_timestamp(tz.to_local(earned_at)), static_cast<int32_t>(p.expiry_value));
      return tz.from_local(timestamp_from_civil(CivilDate{d.year + 1, 1, 1}));
    }
  }
  return std::nullopt;
}

std::span<const OpDef> program_ops() { return kOps; }

}  // namespace loyalty::detail
