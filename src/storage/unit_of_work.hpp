// The storage seen by the modules: a database that opens units of work, and the unit of work
// with its store accessors. No backend type crosses this header (no SQL, no connection, no
// statement): the SQLite backend implements it in src/storage/sqlite*, and another backend
// (PostgreSQL) would implement the same two interfaces.
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

  /// The ledger's storage (ledger/ledger_store.hpp).
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
};

/// A database: opens units of work. One per engine.
class Database {
 public:
  virtual ~Database() = default;
  /// Begins a unit of work. A write waits for its turn (at most busy_timeout_ms, then
  /// Status::busy).
  virtual std::unique_ptr<UnitOfWork> begin(TxMode mode) = 0;
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

 private:
  std::unique_ptr<UnitOfWork> unit_;
};

}  // namespace loyalty::storage
