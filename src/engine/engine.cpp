#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <memory>

#include <string_view>
#include <unordered_map>

#include "audit/audit.hpp"
#include "crypto/crypto.hpp"
#include "crypto/keyring.hpp"
#include "customers/personal.hpp"
#include "engine/engine_state.hpp"
#include "engine/op_catalogue.hpp"
#include "engine/registry.hpp"
#include "rewards/rewards.hpp"
#include "tenants/keys.hpp"
#include "tenants/tenant_store.hpp"
#include "tiers/tiers.hpp"

namespace loyalty {
namespace detail {

void EngineState::check_open() const {
  if (closed.load(std::memory_order_acquire)) throw Error(Status::misuse, "the engine is closed");
}

void EngineState::emit(LogLevel level, std::string_view message) const {
  if (!log) return;
  try {
    log(level, message);
  } catch (...) {
    // A log sink must never break an operation.
  }
}

const std::string& Ctx::actor() const {
  static const std::string kAdmin = "admin";
  return session ? session->actor : kAdmin;
}

void ensure_session_valid(const Ctx& ctx, storage::UnitOfWork& tx) {
  if (!ctx.session) return;
  const auto state = tx.tenants().key_state(ctx.session->key_id);
  if (!state || state->revoked) throw Error(Status::forbidden, "the session's API key has been revoked");
  if (!state->tenant_active) throw Error(Status::forbidden, "the tenant is deactivated");
}

void revalidate(SessionState& s) {
  // Writes re-check the key inside their transaction; reads re-check here, at most once per
  // interval, so a revoked key or deactivated tenant loses read access within that interval.
  // Re-check once either the engine clock or real time has moved a full interval, so neither a
  // pinned clock nor a clock that jumps can keep a revoked session reading.
  const Timestamp clock_now = s.engine->now();
  const Timestamp real_now = steady_ms();
  const Timestamp clock_last = s.validated_clock.load(std::memory_order_relaxed);
  const Timestamp real_last = s.validated_real.load(std::memory_order_relaxed);
  if (clock_now >= clock_last && clock_now - clock_last < kRevalidateMs && real_now - real_last < kRevalidateMs) return;
  storage::Transaction tx(*s.engine->db, storage::TxMode::read);
  Ctx ctx{*s.engine, &s};
  ensure_session_valid(ctx, tx);
  s.validated_clock.store(clock_now, std::memory_order_relaxed);
  s.validated_real.store(real_now, std::memory_order_relaxed);
}

namespace {

struct Registry {
  std::unordered_map<std::string_view, const OpDef*> session;
  std::unordered_map<std::string_view, const OpDef*> admin;

  Registry() {
    // Before any operation runs: the ledger calls into tiers and rewards through them.
    install_tier_hooks();
    install_reward_hooks();
    const std::span<const OpDef> session_tables[] = {tenant_session_ops(), program_ops(), customer_ops(), ledger_ops(),
                                                     audit_session_ops(),  event_ops(),   tier_ops(),     rule_ops(),
                                                     location_ops(),       checkin_ops(), reward_ops(),   ai_ops(),
                                                     analytics_ops()};
    const std::span<const OpDef> admin_tables[] = {tenant_admin_ops(), audit_admin_ops()};
    // Every operation has one handler and one description (capi/ops/*.json), with the same scope:
    // otherwise no engine opens, so a missing or duplicate operation is never a silent drop.
    const auto problems = compare_with_catalogue(session_tables, admin_tables, catalogue_rows());
    if (!problems.empty())
      throw Error(Status::error, fmt::format("the engine's operations disagree with the operation catalogue: {}",
                                             fmt::join(problems, "; ")));
    for (auto table : session_tables)
      for (const auto& op : table) session.emplace(op.name, &op);
    for (auto table : admin_tables)
      for (const auto& op : table) admin.emplace(op.name, &op);
  }
  static const Registry& get() {
    static const Registry r;
    return r;
  }
};

const OpDef& find_op(const std::unordered_map<std::string_view, const OpDef*>& table, std::string_view op) {
  auto it = table.find(op);
  if (it == table.end()) throw Error(Status::invalid, fmt::format("unknown operation '{}'", op), "operation");
  return *it->second;
}

}  // namespace

json call_session_op(Ctx& ctx, std::string_view op, const json& input) {
  return find_op(Registry::get().session, op).fn(ctx, input);
}

namespace {

const char* scope_name(uint32_t scope) {
  switch (scope) {
    case kScopeAdmin:
      return "admin";
    case kScopePos:
      return "pos";
    default:
      return "read";
  }
}

// The range of times an injected clock may report: 1970-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z, the times the engine can write as RFC 3339.
constexpr Timestamp kClockMin = 0;
constexpr Timestamp kClockMax = 253'402'300'799'999;

/// Wraps a host's clock (C plugin, Python callable, ManualClock): a reading outside
/// [kClockMin, kClockMax] fails the call with Status::invalid, field "clock", before anything
/// is written. Every engine read of the time goes through EngineState::now(), so through here.
class CheckedClock final : public Clock {
 public:
  explicit CheckedClock(std::shared_ptr<Clock> inner) : inner_(std::move(inner)) {}
  Timestamp now() override {
    const Timestamp t = inner_->now();
    if (t < kClockMin || t > kClockMax)
      throw Error(Status::invalid,
                  fmt::format("the clock reported {} ms, outside 1970-01-01T00:00:00.000Z..9999-12-31T23:59:59.999Z "
                              "({}..{} ms since the Unix epoch)",
                              t, kClockMin, kClockMax),
                  "clock", json{{"value", t}, {"min", kClockMin}, {"max", kClockMax}});
    return t;
  }

 private:
  std::shared_ptr<Clock> inner_;
};

}  // namespace
}  // namespace detail

Engine Engine::open(EngineOptions options) {
  detail::Registry::get();  // the operation tables against the catalogue: a mismatch fails every open
  auto state = std::make_shared<detail::EngineState>();
  state->clock = options.clock ? std::make_shared<detail::CheckedClock>(std::move(options.clock))
                               : std::shared_ptr<Clock>(std::make_shared<SystemClock>());
  state->log = std::move(options.log);
  if (!options.admin_key.empty() && options.admin_key.size() < 16)
    throw Error(Status::invalid, "admin_key must be at least 16 bytes", "admin_key");
  std::optional<std::string> master;
  if (!options.master_key.empty()) {
    master = crypto::parse_master_key(options.master_key);
    crypto::cleanse(options.master_key);
    if (!master) throw Error(Status::invalid, "master_key must be 32 bytes as 64 hex digits or base64", "master_key");
  }
  const std::string& uri = options.storage.uri;
  const bool memory = uri == ":memory:" || uri == "sqlite://:memory:" || uri == "sqlite:///:memory:";
  // An in-memory database dies with the engine: a random key of its own keeps its personal
  // fields encrypted too (one code path), and nobody needs to give it one.
  const bool ephemeral = !master && memory;
  if (ephemeral) {
    const auto r = crypto::random_bytes(32);
    master = std::string(r.begin(), r.end());
  }
  state->keyring = std::make_shared<crypto::Keyring>(std::move(master), ephemeral);
  state->db = storage::open_database(options.storage);
  if (!detail::personal_data_ready(*state)) {
    // First open with a master key: seal the personal fields a plain-text file holds, in one
    // write (docs/security.md).
    storage::Transaction tx(*state->db, storage::TxMode::write);
    detail::seal_plain_personal_data(*state, tx);
    tx.commit();
  }
  if (!options.admin_key.empty()) {
    // The first credential is recorded; a later open with a different one is refused rather
    // than silently ignored.
    const std::string hash = crypto::sha256_hex(options.admin_key);
    storage::Transaction tx(*state->db, storage::TxMode::write);
    tx.tenants().record_admin_key_hash(hash);
    const auto recorded = tx.tenants().admin_key_hash();
    if (!recorded || !crypto::equal_ct(*recorded, hash))
      throw Error(Status::forbidden, "admin_key does not match the credential recorded in this database", "admin_key");
    tx.commit();
  }
  state->emit(LogLevel::info, fmt::format("engine opened on {}", options.storage.uri));
  return Engine(std::move(state));
}

Admin Engine::admin(std::string_view admin_key) const {
  state_->check_open();
  storage::Transaction tx(*state_->db, storage::TxMode::read);
  const auto recorded = tx.tenants().admin_key_hash();
  if (!recorded) throw Error(Status::forbidden, "no engine admin credential is configured for this database");
  if (!crypto::equal_ct(*recorded, crypto::sha256_hex(admin_key)))
    throw Error(Status::forbidden, "wrong engine admin credential");
  return Admin(state_);
}

Session Engine::session(std::string_view api_key) const {
  state_->check_open();
  auto s = detail::open_session(state_, api_key);
  return Session(std::move(s));
}

void Engine::close() {
  if (!state_->closed.exchange(true)) state_->emit(LogLevel::info, "engine closed");
}
bool Engine::closed() const { return state_->closed.load(); }

json Admin::call(std::string_view op, const json& input) const {
  engine_->check_open();
  const auto& def = detail::find_op(detail::Registry::get().admin, op);
  detail::Ctx ctx{*engine_, nullptr};
  return def.fn(ctx, input);
}

namespace {

/// The operation `op` after the checks every session call makes (engine open, scope, session
/// still valid).
const detail::OpDef& checked_op(const detail::SessionState& s, std::string_view op) {
  s.engine->check_open();
  const auto& def = detail::find_op(detail::Registry::get().session, op);
  if ((s.scopes & def.scope) == 0 && (s.scopes & detail::kScopeAdmin) == 0) {
    const bool pos_covers = def.scope == detail::kScopeRead && (s.scopes & detail::kScopePos);
    if (!pos_covers)
      throw Error(Status::forbidden,
                  fmt::format("operation '{}' needs the '{}' scope", op, detail::scope_name(def.scope)), "scope");
  }
  return def;
}

}  // namespace

json Session::call(std::string_view op, const json& input) const {
  const auto& def = checked_op(*state_, op);
  detail::revalidate(*state_);
  detail::Ctx ctx{*state_->engine, state_.get()};
  return def.fn(ctx, input);
}

std::string Session::call_text(std::string_view op, const json& input) const {
  const auto& def = checked_op(*state_, op);
  detail::revalidate(*state_);
  detail::Ctx ctx{*state_->engine, state_.get()};
  return def.text ? def.text(ctx, detail::OpInput(input)) : def.fn(ctx, input).dump();
}

std::string Session::call_raw(std::string_view op, std::string_view json_text) const {
  const detail::OpDef* def = nullptr;
  try {
    def = &checked_op(*state_, op);
    detail::revalidate(*state_);
  } catch (...) {
    // Malformed text is reported before anything else, as when the caller parses first.
    (void)parse_json(json_text);
    throw;
  }
  detail::Ctx ctx{*state_->engine, state_.get()};
  if (!def->text) return def->fn(ctx, parse_json(json_text)).dump();
  return def->text(ctx, detail::OpInput(json_text));
}

const std::string& Session::tenant_id() const { return state_->tenant_id; }
bool Session::closed() const { return state_->engine->closed.load(); }
bool Admin::closed() const { return engine_->closed.load(); }

std::vector<std::string> session_operations() {
  std::vector<std::string> out;
  for (const auto& [name, def] : detail::Registry::get().session) out.emplace_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> admin_operations() {
  std::vector<std::string> out;
  for (const auto& [name, def] : detail::Registry::get().admin) out.emplace_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace loyalty
