// The in-process write queue: the writers of one database file take turns in arrival order
// before they ask SQLite for its write lock, so no writer can be overtaken indefinitely.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>

namespace loyalty::storage {

/// A FIFO lock with a deadline (a queue lock: each waiter gets its own condition variable, and
/// the holder hands the turn directly to the oldest waiter, so no late arrival can barge in).
/// One per database file per process, shared by every engine and connection of the process that
/// opens that file. SQLite's own lock (BEGIN IMMEDIATE with its bounded retry) still orders this
/// process's writer against other processes.
class WriteQueue {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  /// The queue of the database file at `path` (files are identified by device and inode, so
  /// every path naming one file gets one queue); a new private queue when `path` is empty (an
  /// in-memory database). Kept alive by its holders only.
  static std::shared_ptr<WriteQueue> for_file(const std::string& path);

  /// Waits for the caller's turn, behind every earlier caller, until `deadline`. Returns false
  /// when the deadline came first: the caller has then left the queue, and those behind it move
  /// up. Not reentrant: a thread holding the turn must not ask again.
  bool acquire(Deadline deadline);
  /// Hands the turn to the oldest waiter, or frees it.
  void release();

  /// Callers waiting (not counting the holder); for tests and diagnostics.
  size_t waiting() const;
  /// Whether some caller holds the turn.
  bool held() const;

 private:
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };
  mutable std::mutex mu_;
  bool held_ = false;
  std::list<Waiter*> queue_;  // oldest first; each waiter lives on its caller's stack
};

/// A held turn of a WriteQueue; released on destruction (or earlier by release()).
class WriteTurn {
 public:
  WriteTurn() = default;
  /// Takes a turn, waiting until `deadline`; throws Status::busy naming `timeout_ms` when the
  /// deadline comes first.
  WriteTurn(WriteQueue& queue, WriteQueue::Deadline deadline, int32_t timeout_ms);
  WriteTurn(WriteTurn&& o) noexcept : queue_(o.queue_) { o.queue_ = nullptr; }
  WriteTurn& operator=(WriteTurn&&) = delete;
  WriteTurn(const WriteTurn&) = delete;
  ~WriteTurn() { release(); }
  void release() noexcept;

 private:
  WriteQueue* queue_ = nullptr;
};

}  // namespace loyalty::storage
