// Cursor pagination over a store's `limit + 1` records ordered by a sequence (page_of).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/input.hpp"

namespace loyalty::storage {

/// Maps up to `limit` of a store's `rows` (a page of up to `limit + 1` records) with `row`; a
/// further row means more pages follow, and the cursor is `seq` of the last record returned.
/// Returns {"items": [...], "next_cursor": "c<seq>" | null}.
template <typename Record, typename SeqFn, typename RowFn>
nlohmann::json page_of(const std::vector<Record>& rows, int64_t limit, SeqFn&& seq, RowFn&& row) {
  nlohmann::json items = nlohmann::json::array();
  const bool more = static_cast<int64_t>(rows.size()) > limit;
  for (size_t n = 0; n < rows.size() && static_cast<int64_t>(n) < limit; ++n) items.push_back(row(rows[n]));
  return {{"items", std::move(items)},
          {"next_cursor", more ? nlohmann::json(detail::encode_cursor(seq(rows[static_cast<size_t>(limit) - 1])))
                               : nlohmann::json(nullptr)}};
}

}  // namespace loyalty::storage
