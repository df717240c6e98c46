// The engine's operation tables against the catalogue (capi/ops/*.json), as the registry checks them
// before the first engine opens.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/op_catalogue.hpp"
#include "engine/registry.hpp"

using namespace loyalty::detail;

namespace {

loyalty::json noop(Ctx&, const loyalty::json&) { return loyalty::json::object(); }

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p == text; });
}

}  // namespace

TEST_CASE("op catalogue: the engine's tables equal the generated catalogue") {
  const std::span<const OpDef> session_tables[] = {tenant_session_ops(), program_ops(), customer_ops(), ledger_ops(),
                                                   audit_session_ops(),  event_ops(),   tier_ops(),     rule_ops(),
                                                   location_ops(),       checkin_ops(), reward_ops(),   ai_ops(),
                                                   analytics_ops()};
  const std::span<const OpDef> admin_tables[] = {tenant_admin_ops(), audit_admin_ops()};
  const auto problems = compare_with_catalogue(session_tables, admin_tables, catalogue_rows());
  CHECK(problems.empty());
  for (const auto& p : problems) MESSAGE(p);
  CHECK(catalogue_rows().size() == 95);
}

TEST_CASE("op catalogue: a missing, extra, duplicate or re-scoped operation is named") {
  const OpDef session_ops[] = {{"ledger.earn", noop, kScopePos},
                               {"ledger.balance", noop, kScopeRead},
                               {"ledger.balance", noop, kScopeRead},
                               {"ledger.undocumented", noop, kScopePos}};
  const OpDef admin_ops[] = {{"tenant.create", noop, 0}};
  const CatalogueRow catalogue[] = {{CatalogueHandle::session, "ledger.earn", kScopeAdmin},
                                    {CatalogueHandle::session, "ledger.balance", kScopeRead},
                                    {CatalogueHandle::session, "ledger.unhandled", kScopeRead},
                                    {CatalogueHandle::admin, "tenant.create", 0},
                                    {CatalogueHandle::admin, "tenant.create", 0},
                                    {CatalogueHandle::admin, "tenant.get", 0}};
  const std::span<const OpDef> s[] = {session_ops};
  const std::span<const OpDef> a[] = {admin_ops};
  const auto problems = compare_with_catalogue(s, a, catalogue);
  CHECK(mentions(problems, "the session operation 'ledger.balance' has two handlers"));
  CHECK(mentions(problems, "the admin operation 'tenant.create' is described twice in the catalogue"));
  CHECK(mentions(problems, "the session operation 'ledger.earn' has scope 2 in its handler's table but 4 in capi/ops"));
  CHECK(mentions(problems, "the session operation 'ledger.undocumented' has a handler but no description in capi/ops"));
  CHECK(mentions(problems, "the session operation 'ledger.unhandled' is described in capi/ops but has no handler"));
  CHECK(mentions(problems, "the admin operation 'tenant.get' is described in capi/ops but has no handler"));
  CHECK(problems.size() == 6);

  // The same name on the other handle is another operation.
  const CatalogueRow wrong_handle[] = {{CatalogueHandle::admin, "ledger.earn", kScopePos}};
  const OpDef only_earn[] = {{"ledger.earn", noop, kScopePos}};
  const std::span<const OpDef> s2[] = {only_earn};
  const auto p2 = compare_with_catalogue(s2, {}, wrong_handle);
  CHECK(mentions(p2, "the session operation 'ledger.earn' has a handler but no description in capi/ops"));
  CHECK(mentions(p2, "the admin operation 'ledger.earn' is described in capi/ops but has no handler"));
}
