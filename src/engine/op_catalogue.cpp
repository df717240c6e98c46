#include "engine/op_catalogue.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

namespace loyalty::detail {

namespace {

constexpr CatalogueRow kCatalogue[] = {
#include "catalogue/op_catalogue.inc"
};

const char* handle_name(CatalogueHandle h) { return h == CatalogueHandle::admin ? "admin" : "session"; }

}  // namespace

std::span<const CatalogueRow> catalogue_rows() { return kCatalogue; }

std::vector<std::string> compare_with_catalogue(std::span<const std::span<const OpDef>> session_tables,
                                                std::span<const std::span<const OpDef>> admin_tables,
                                                std::span<const CatalogueRow> catalogue) {
  std::vector<std::string> problems;
  using Key = std::pair<CatalogueHandle, std::string_view>;
  std::map<Key, uint32_t> engine;
  auto add = [&](CatalogueHandle h, std::span<const std::span<const OpDef>> tables) {
    for (const auto& table : tables)
      for (const auto& op : table)
        if (!engine.emplace(Key{h, op.name}, op.scope).second)
          problems.push_back(fmt::format("the {} operation '{}' has two handlers", handle_name(h), op.name));
  };
  add(CatalogueHandle::session, session_tables);
  add(CatalogueHandle::admin, admin_tables);
  std::map<Key, uint32_t> described;
  for (const auto& row : catalogue) {
    if (!described.emplace(Key{row.handle, row.name}, row.scope).second)
      problems.push_back(fmt::format("the {} operation '{}' is described twice in the catalogue",
                                     handle_name(row.handle), row.name));
  }
  for (const auto& [key, scope] : engine) {
    auto it = described.find(key);
    if (it == described.end())
      problems.push_back(fmt::format("the {} operation '{}' has a handler but no description in capi/ops",
                                     handle_name(key.first), key.second));
    else if (it->second != scope)
      problems.push_back(fmt::format("the {} operation '{}' has scope {} in its handler's table but {} in capi/ops",
                                     handle_name(key.first), key.second, scope, it->second));
  }
  for (const auto& [key, scope] : described)
    if (!engine.contains(key))
      problems.push_back(fmt::format("the {} operation '{}' is described in capi/ops but has no handler",
                                     handle_name(key.first), key.second));
  return problems;
}

}  // namespace loyalty::detail
