// The operation catalogue as the engine sees it: the {handle, name, scope} of every operation of
// capi/ops/*.json, generated at build time (scripts/catalogue_gen.py), and the comparison the
// registry makes at startup, so a handler row without a description, a description without a
// handler, a duplicate or a scope that differs is an error before any operation runs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_state.hpp"

namespace loyalty::detail {

enum class CatalogueHandle { session, admin };

struct CatalogueRow {
  CatalogueHandle handle;
  std::string_view name;
  uint32_t scope;  // kScope* (0 for admin operations)
};

/// Every operation of the catalogue, in catalogue order.
std::span<const CatalogueRow> catalogue_rows();

/// The engine's operation tables per handle against `catalogue`: empty when they are equal,
/// otherwise one sentence per difference (an operation missing from either side, listed twice,
/// or with another scope).
std::vector<std::string> compare_with_catalogue(std::span<const std::span<const OpDef>> session_tables,
                                                std::span<const std::span<const OpDef>> admin_tables,
                                                std::span<const CatalogueRow> catalogue);

}  // namespace loyalty::detail
