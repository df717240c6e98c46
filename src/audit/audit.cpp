#include "audit/audit.hpp"
#include "audit/write_op.hpp"

#include <fmt/format.h>

#include "audit/audit_store.hpp"
#include "core/input.hpp"
#include "crypto/crypto.hpp"
#include "engine/registry.hpp"
#include "storage/page.hpp"

namespace loyalty::detail {
namespace {

constexpr const char* kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

std::string row_hash(const std::string& prev, const std::string& chain, const std::string& actor,
                     const std::string& action, const std::string& target, Timestamp at, const std::string& detail) {
  // Canonical form: a JSON array of the fields (nlohmann sorts object keys, so `detail` is canonical).
  const json canon = json::array({prev, chain, actor, action, target, at, detail});
  return crypto::sha256_hex(canon.dump());
}

json list_chain(Ctx& ctx, const std::string& chain, const json& in) {
  Input i(in, {"limit", "cursor", "action", "target", "from", "to"});
  const int64_t limit = i.opt_i64("limit", 1, 1000).value_or(100);
  const int64_t after = i.has("cursor") ? decode_cursor(i.str("cursor"), "cursor") : 0;
  const auto action = i.opt_str("action");
  const auto target = i.opt_str("target");
  const auto from = i.opt_time("from");
  const auto to = i.opt_time("to");
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  return storage::page_of(
      tx.audit().list({chain, after, action, target, from, to, limit}), limit,
      [](const storage::AuditRecord& r) { return r.seq; },
      [](const storage::AuditRecord& r) {
        return json{{"seq", r.seq},       {"actor", r.actor},        {"action", r.action},
                    {"target", r.target}, {"at", format_time(r.at)}, {"detail", parse_stored(r.detail)},
                    {"hash", r.hash}};
      });
}

json verify_chain(Ctx& ctx, const std::string& chain, const json& in) {
  Input i(in, {});
  storage::Transaction tx(*ctx.engine.db, storage::TxMode::read);
  std::string prev = kGenesis;
  int64_t checked = 0;
  json bad;
  tx.audit().scan(chain, [&](const storage::AuditRecord& r) {
    const std::string expect = row_hash(prev, chain, r.actor, r.action, r.target, r.at, r.detail);
    if (r.prev_hash != prev || r.hash != expect) {
      bad = {{"ok", false},
             {"rows_checked", checked},
             {"first_bad_seq", r.seq},
             {"reason", r.prev_hash != prev ? "the row does not link to its predecessor"
                                            : "the row's hash does not match its content"}};
      return false;
    }
    prev = r.hash;
    ++checked;
    return true;
  });
  if (!bad.is_null()) return bad;
  return {{"ok", true}, {"rows_checked", checked}, {"first_bad_seq", nullptr}};
}

json session_list(Ctx& ctx, const json& in) { return list_chain(ctx, ctx.tenant(), in); }
json session_verify(Ctx& ctx, const json& in) { return verify_chain(ctx, ctx.tenant(), in); }
json admin_list(Ctx& ctx, const json& in) { return list_chain(ctx, kEngineChain, in); }
json admin_verify(Ctx& ctx, const json& in) { return verify_chain(ctx, kEngineChain, in); }

constexpr OpDef kSessionOps[] = {
    {"audit.list", session_list, kScopeAdmin},
    {"audit.verify", session_verify, kScopeAdmin},
};
constexpr OpDef kAdminOps[] = {
    {"audit.list", admin_list, 0},
    {"audit.verify", admin_verify, 0},
};

}  // namespace

void audit_append(storage::UnitOfWork& tx, const std::string& chain, const std::string& actor,
                  const std::string& action, const std::string& target, Timestamp at, const json& detail) {
  storage::AuditStore& store = tx.audit();
  const std::string prev = store.last_hash(chain).value_or(kGenesis);
  const std::string detail_text = detail.dump();
  const std::string hash = row_hash(prev, chain, actor, action, target, at, detail_text);
  store.append({0, chain, actor, action, target, at, detail_text, prev, hash});
}

json audit_changes(const json& before, const json& after, std::initializer_list<std::string_view> ignore) {
  auto ignored = [&](const std::string& k) {
    for (std::string_view f : ignore)
      if (k == f) return true;
    return false;
  };
  json changes = json::object();
  for (const auto& [k, v] : after.items()) {
    if (ignored(k)) continue;
    const auto b = before.find(k);
    if (b == before.end())
      changes[k] = {{"from", nullptr}, {"to", v}};
    else if (*b != v)
      changes[k] = {{"from", *b}, {"to", v}};
  }
  for (const auto& [k, v] : before.items())
    if (!ignored(k) && !after.contains(k)) changes[k] = {{"from", v}, {"to", nullptr}};
  return changes;
}

std::span<const OpDef> audit_session_ops() { return kSessionOps; }
std::span<const OpDef> audit_admin_ops() { return kAdminOps; }

}  // namespace loyalty::detail
