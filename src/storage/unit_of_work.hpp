// The storage seen by the modules: a database that opens units of work, and the unit of work
// with its store accessors. No backend type crosses this header (no SQL, no connection, no
// statement): the SQLite backend implements it in src/storage/sqlite*, and another backend
// (PostgreSQL) would implement the same two interfaces.
//
// Each store interface lives beside its module (ledger/ledger_store.hpp, tenants/tenant_store.hpp,
// programs/program_store.hpp, customers/customer_store.hpp, audit/audit_store.hpp,
// events/event_store.hpp, locations/location_store.hpp, tiers/tier_store.hpp,
// rewards/reward_store.hpp, rules/rule_store.hpp, ai/ai_store.hpp, analytics/analytics_store.hpp); the ledger's and the
// AI module's headers carry their own contract.
//
// Contract of the foundation stores (TenantStore, ProgramStore, CustomerStore, AuditStore,
// EventStore), which every backend must meet (the conformance suites in tests/unit/storage/
// check it):
// - ids: records keep the ids the caller gives them; a second tenant with the same id or slug,
//   API key with the same id or prefix, program with the same id or the same name in its tenant,
//   customer with the same id or the same external id in its tenant, or account for the same
//   customer and program fails with Status::conflict. Accounts, audit rows and events get
//   sequences from the store: account ids and audit sequences increase with every insert, and
//   event sequences are 1, 2, 3 ... per tenant.
// - order: lists return rows in creation order (their sequence), and a page asked for `limit`
//   rows returns up to `limit + 1` (a further row tells the caller more pages follow), except
//   EventStore::after, which returns at most `limit`.
// - tenancy: every lookup that takes a tenant finds only that tenant's rows.
// - partial updates: an absent (nullopt) field of an update keeps the stored value.
// - errors: a backend failure throws loyalty::Error with Status::storage (or Status::busy when
//   another writer holds the database past the deadline).
//
// Contract of the module stores (LocationStore, TierStore, RewardStore, RuleStore), which
// every backend must meet (the conformance suites in tests/unit/storage/ check it):
// - ids: records keep the ids the caller gives them; a second record with the same id fails
//   with Status::conflict, and so does a second row where an interface names a uniqueness
//   (a tier's rank or name in its program, a coupon code, a tenant's order id, a rule version,
//   a check-in's or purchase's rule, a purchase line, a return id). Sequences come from the
//   store and increase with every insert.
// - order: lists return rows in the order each call names (creation order unless told
//   otherwise), and a page asked for `limit` rows returns up to `limit + 1` (a further row tells
//   the caller more pages follow).
// - tenancy: every lookup that takes a tenant finds only that tenant's rows, and every write
//   that takes a tenant changes only that tenant's rows. Calls keyed by an account, a customer,
//   a program, a rule or a purchase (ids unique across tenants) take no tenant.
// - partial updates: an absent (nullopt) field of an update keeps the stored value, unless the
//   update names a `set_*` flag or says the field is always written.
// - errors: a backend failure throws loyalty::Error with Status::storage (or Status::busy when
//   another writer holds the database past the deadline); a spatial call on a backend without
//   its spatial extension throws Status::unavailable.
#pragma once

#include <memory>
#include <utility>

#include "loyalty/storage/options.hpp"

namespace loyalty::storage {

class LedgerStore;
class TenantStore;
class ProgramStore;
class CustomerStore;
class AuditStore;
class EventStore;
class LocationStore;
class TierStore;
class RewardStore;
class RuleStore;
class AiStore;
class AnalyticsStore;

enum class TxMode { read, write };

/// A unit of work: a read snapshot, or a write transaction. Everything a store obtained from it
/// writes is part of the unit, seen by later calls in it and by nobody else until commit(), and
/// gone if the unit is destroyed without commit(). Each accessor hands out the store bound to
/// this unit (made on first use).
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;

  virtual void commit() = 0;
  /// A savepoint for per-item isolation inside one unit (batch earn); not nestable.
  virtual void savepoint() = 0;
  /// Keeps what was done since savepoint().
  virtual void release() = 0;
  /// Undoes what was done since savepoint(), and ends the savepoint.
  virtual void rollback_to() = 0;

  virtual LedgerStore& ledger() = 0;
  /// The foundation modules' storage.
  virtual TenantStore& tenants() = 0;
  virtual ProgramStore& programs() = 0;
  virtual CustomerStore& customers() = 0;
  virtual AuditStore& audit() = 0;
  virtual EventStore& events() = 0;
  /// The storage of the modules above the ledger.
  virtual LocationStore& locations() = 0;
  virtual TierStore& tiers() = 0;
  virtual RewardStore& rewards() = 0;
  virtual RuleStore& rules() = 0;
  virtual AiStore& ai() = 0;
  /// The analytics rollups (derived data, analytics/analytics_store.hpp).
  virtual AnalyticsStore& analytics() = 0;
};

/// A database: opens units of work. One per engine.
class Database {
 public:
  virtual ~Database() = default;
  /// Begins a unit of work. A write waits for its turn (at most busy_timeout_ms, then
  /// Status::busy).
  virtual std::unique_ptr<UnitOfWork> begin(TxMode mode) = 0;
  /// Moves what the write-ahead log holds into the database and empties the log, so that bytes
  /// overwritten by a secure delete leave no older copy there (customer.erase). False when
  /// readers kept it from completing (it is retried by the next erase or checkpoint).
  virtual bool truncate_log() { return true; }
};

/// Opens the database `options.uri` names (only SQLite in 0.1) and applies the schema
/// migrations. Throws Status::invalid naming the option for bad options.
std::unique_ptr<Database> open_database(const StorageOptions& options);

/// A unit of work owned by the code that began it: rolls back on destruction without commit().
/// Converts to UnitOfWork& for the functions that run inside a caller's unit.
class Transaction {
 public:
  Transaction(Database& db, TxMode mode) : unit_(db.begin(mode)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  operator UnitOfWork&() noexcept { return *unit_; }  // NOLINT(google-explicit-constructor)
  UnitOfWork& unit() noexcept { return *unit_; }

  void commit() { unit_->commit(); }
  void savepoint() { unit_->savepoint(); }
  void release() { unit_->release(); }
  void rollback_to() { unit_->rollback_to(); }

  LedgerStore& ledger() { return unit_->ledger(); }
  TenantStore& tenants() { return unit_->tenants(); }
  ProgramStore& programs() { return unit_->programs(); }
  CustomerStore& customers() { return unit_->customers(); }
  AuditStore& audit() { return unit_->audit(); }
  EventStore& events() { return unit_->events(); }
  LocationStore& locations() { return unit_->locations(); }
  TierStore& tiers() { return unit_->tiers(); }
  RewardStore& rewards() { return unit_->rewards(); }
  RuleStore& rules() { return unit_->rules(); }
  AiStore& ai() { return unit_->ai(); }
  AnalyticsStore& analytics() { return unit_->analytics(); }

 private:
  std::unique_ptr<UnitOfWork> unit_;
};

}  // namespace loyalty::storage
