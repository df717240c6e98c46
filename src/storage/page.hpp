// Cursor pagination over a query that selects `limit + 1` rows ordered by a sequence column.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/input.hpp"
#include "storage/sqlite.hpp"

namespace loyalty::storage {

/// Steps `q`, mapping up to `limit` rows with `row`; a further row means more pages follow, and
/// the cursor is the sequence (column `seq_col`) of the last row returned.
/// Returns {"items": [...], "next_cursor": "c<seq>" | null}.
template <typename RowFn>
nlohmann::json page(Query& q, int64_t limit, int seq_col, RowFn&& row) {
  nlohmann::json items = nlohmann::json::array();
  int64_t last = 0;
  bool more = false;
  while (q.step()) {
    if (static_cast<int64_t>(items.size()) == limit) {
      more = true;
      break;
    }
    items.push_back(row(q));
    last = q.i64(seq_col);
  }
  return {{"items", std::move(items)},
          {"next_cursor", more ? nlohmann::json(detail::encode_cursor(last)) : nlohmann::json(nullptr)}};
}

}  // namespace loyalty::storage
