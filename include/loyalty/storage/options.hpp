// Storage configuration shared by the engine options and the storage backends.
#pragma once

#include <cstdint>
#include <string>

namespace loyalty {

/// SQLite `PRAGMA synchronous`: FULL (the default) makes every acknowledged commit durable
/// across power loss; NORMAL in WAL mode may lose the last commits on power loss, never on a
/// process crash.
enum class SyncMode : int32_t { full = 0, normal = 1 };

struct StorageOptions {
  /// `sqlite:///absolute/path.db`, `sqlite://relative/path.db`, a plain path, or `:memory:`.
  std::string uri = ":memory:";
  SyncMode synchronous = SyncMode::full;
  /// How long a write waits for the database lock before failing with Status::busy.
  int32_t busy_timeout_ms = 5000;
  /// Connections kept open for concurrent readers and writers (1 for `:memory:`).
  int32_t pool_size = 4;
  /// Page cache per connection, in MiB (SQLite's own default is 2).
  int32_t cache_mb = 64;
  /// WAL pages written before a commit also checkpoints (SQLite's default is 1000). Larger
  /// values make checkpoints rarer and the WAL file larger; durability is unchanged.
  int32_t wal_autocheckpoint = 10000;
};

}  // namespace loyalty
