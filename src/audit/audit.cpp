#include "audit/audit.hpp"

#include <fmt/format.h>

#include "core/input.hpp"
#include "core/registry.hpp"
#include "storage/page.hpp"
#include "crypto/crypto.hpp"

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
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q(
      "SELECT seq, actor, action, target, at, detail, hash FROM audit_log WHERE chain = ?1 AND seq > ?2 "
      "AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR target = ?4) AND (?5 IS NULL OR at >= ?5) "
      "AND (?6 IS NULL OR at < ?6) ORDER BY seq LIMIT ?7",
      chain, after, action, target, from, to, limit + 1);
  return storage::page(q, limit, 0, [](storage::Query& r) {
    return json{{"seq", r.i64(0)},
                {"actor", r.text(1)},
                {"action", r.text(2)},
                {"target", r.text(3)},
                {"at", format_time(r.i64(4))},
                {"detail", json::parse(r.text(5))},
                {"hash", r.text(6)}};
  });
}

json verify_chain(Ctx& ctx, const std::string& chain, const json& in) {
  Input i(in, {});
  storage::Tx tx(*ctx.engine.pool, storage::TxMode::read);
  auto q = tx.q("SELECT seq, actor, action, target, at, detail, prev_hash, hash FROM audit_log WHERE chain = ?1 "
                "ORDER BY seq",
                chain);
  std::string prev = kGenesis;
  int64_t checked = 0;
  while (q.step()) {
    const int64_t seq = q.i64(0);
    const std::string expect = row_hash(prev, chain, q.text(1), q.text(2), q.text(3), q.i64(4), q.text(5));
    if (q.text(6) != prev || q.text(7) != expect) {
      return {{"ok", false},
              {"rows_checked", checked},
              {"first_bad_seq", seq},
              {"reason", q.text(6) != prev ? "the row does not link to its predecessor" : "the row's hash does not match its content"}};
    }
    prev = q.text(7);
    ++checked;
  }
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

void audit_append(storage::Tx& tx, const std::string& chain, const std::string& actor, const std::string& action,
                  const std::string& target, Timestamp at, const json& detail) {
  std::string prev = kGenesis;
  {
    auto q = tx.q("SELECT hash FROM audit_log WHERE chain = ?1 ORDER BY seq DESC LIMIT 1", chain);
    if (q.step()) prev = q.text(0);
  }
  const std::string detail_text = detail.dump();
  const std::string hash = row_hash(prev, chain, actor, action, target, at, detail_text);
  tx.q("INSERT INTO audit_log(chain, actor, action, target, at, detail, prev_hash, hash) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
       chain, actor, action, target, at, detail_text, prev, hash)
      .run();
}

std::span<const OpDef> audit_session_ops() { return kSessionOps; }
std::span<const OpDef> audit_admin_ops() { return kAdminOps; }

}  // namespace loyalty::detail
