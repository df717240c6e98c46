// customer.export and customer.erase (docs/security.md).
#include <fmt/format.h>

#include "audit/write_op.hpp"
#include "core/input.hpp"
#include "customers/customer_store.hpp"
#include "customers/personal.hpp"
#include "engine/registry.hpp"
#include "tenants/tenant_store.hpp"

namespace loyalty::detail {
namespace {

/// Every page of a listing operation (`{items, next_cursor}`), in its order.
json all_pages(Ctx& ctx, std::string_view op, json input) {
  json items = json::array();
  input["limit"] = 1000;
  for (;;) {
    json page = call_session_op(ctx, op, input);
    for (auto& item : page["items"]) items.push_back(std::move(item));
    if (!page["next_cursor"].is_string()) return items;
    input["cursor"] = page["next_cursor"];
  }
}

bool tenant_allows_reuse(storage::UnitOfWork& tx, const std::string& tenant) {
  const auto t = tx.tenants().tenant(tenant);
  if (!t) return false;
  const json settings = parse_stored(t->settings);
  const auto sec = settings.find("security");
  if (sec == settings.end() || !sec->is_object()) return false;
  const auto v = sec->find("allow_external_id_reuse");
  return v != sec->end() && v->is_boolean() && v->get<bool>();
}

}  // namespace

json customer_export(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const json customer = call_session_op(ctx, "customer.get", {{"id", id}});
  json accounts = json::array();
  for (const auto& program : customer["program_ids"]) {
    const json q = {{"customer_id", id}, {"program_id", program}};
    json account = {{"program_id", program},
                    {"balance", call_session_op(ctx, "ledger.balance", q)},
                    {"entries", all_pages(ctx, "ledger.history", q)},
                    {"tier_history", all_pages(ctx, "tier.history", q)}};
    try {
      account["tier"] = call_session_op(ctx, "tier.status", q);
    } catch (const Error& e) {
      if (e.status() != Status::not_found) throw;
      account["tier"] = nullptr;
    }
    // Holds: every hold an entry of the account names (a hold's commit or void writes one).
    json holds = json::array();
    std::vector<std::string> seen;
    for (const auto& entry : account["entries"]) {
      const auto h = entry.find("hold_id");
      if (h == entry.end() || !h->is_string()) continue;
      const std::string hid = h->get<std::string>();
      if (std::find(seen.begin(), seen.end(), hid) != seen.end()) continue;
      seen.push_back(hid);
      holds.push_back(call_session_op(ctx, "hold.get", {{"id", hid}}));
    }
    account["holds"] = std::move(holds);
    accounts.push_back(std::move(account));
  }
  return {{"format", "loyalty.customer-export/1"},
          {"exported_at", format_time(ctx.engine.now())},
          {"customer", customer},
          {"accounts", std::move(accounts)},
          {"redemptions", all_pages(ctx, "redemption.list", {{"customer_id", id}})},
          {"checkins", all_pages(ctx, "checkin.list", {{"customer_id", id}})},
          {"audit", all_pages(ctx, "audit.list", {{"target", id}})}};
}

json customer_erase(Ctx& ctx, const json& in) {
  Input i(in, {"id"});
  const std::string id = i.str("id");
  const Timestamp now = ctx.engine.now();
  json out = write_op(ctx, now, [&](storage::UnitOfWork& tx, AuditLog& audit) -> json {
    const auto c = tx.customers().customer(ctx.tenant(), id);
    if (!c) throw Error(Status::not_found, fmt::format("no customer '{}'", id), "id");
    if (c->erased_at)
      return {{"id", id},
              {"erased_at", format_time(*c->erased_at)},
              {"external_id", c->external_id},
              {"already_erased", true}};
    const bool reuse = tenant_allows_reuse(tx, ctx.tenant());
    storage::CustomerErasure e;
    e.tenant_id = ctx.tenant();
    e.id = id;
    if (reuse) e.new_external_id = "erased:" + id;
    e.at = now;
    tx.customers().erase_customer(e);
    audit.record("customer.erase", id, {{"external_id_released", reuse}});
    return {{"id", id},
            {"erased_at", format_time(now)},
            {"external_id", reuse ? *e.new_external_id : c->external_id},
            {"already_erased", false}};
  });
  // The replaced bytes may still be in the write-ahead log: move it into the file and empty it.
  out["log_truncated"] = ctx.engine.db->truncate_log();
  return out;
}

}  // namespace loyalty::detail
