// Conformance suites of AuditStore and EventStore (src/storage/foundation_store.hpp): the
// hash-chained audit log and the event outbox, checked through the interfaces alone, once per
// backend.
#include "audit/audit_store.hpp"
#include "events/event_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::AuditQuery;
using loyalty::storage::AuditRecord;
using loyalty::storage::AuditStore;
using loyalty::storage::EventRecord;
using loyalty::storage::EventStore;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

AuditRecord row(const std::string& chain, const std::string& action, const std::string& target, Timestamp at,
                const std::string& prev, const std::string& hash) {
  return {0, chain, "tester", action, target, at, R"({"k":1})", prev, hash};
}

EventRecord event(const std::string& tenant, const std::string& id, const std::string& type, Timestamp at) {
  return {tenant, 0, id, type, "cus_1", R"({"points":5})", at};
}

std::vector<std::string> hashes(const std::vector<AuditRecord>& v) { return pluck(v, &AuditRecord::hash); }
std::vector<std::string> event_ids(const std::vector<EventRecord>& v) { return pluck(v, &EventRecord::id); }

}  // namespace

TEST_CASE("audit store: rows append to their chain with increasing sequences and list in order") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    AuditStore& s = tx->audit();
    CHECK(!s.last_hash("chain-new"));
    const int64_t s1 = s.append(row("chain-new", "a.create", "x1", T, "h0", "h1"));
    const int64_t s2 = s.append(row("chain-other", "a.create", "x1", T, "h0", "o1"));
    const int64_t s3 = s.append(row("chain-new", "a.update", "x1", T + 10, "h1", "h2"));
    const int64_t s4 = s.append(row("chain-new", "a.update", "x2", T + 20, "h2", "h3"));
    CHECK(s1 > 0);
    CHECK(s2 > s1);
    CHECK(s3 > s2);
    CHECK(s4 > s3);
    CHECK(s.last_hash("chain-new") == "h3");
    CHECK(s.last_hash("chain-other") == "o1");

    auto all = s.list({"chain-new", 0, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 100});
    CHECK(hashes(all) == std::vector<std::string>{"h1", "h2", "h3"});
    REQUIRE(all.size() == 3);
    CHECK(all[0].seq == s1);
    CHECK(all[0].chain == "chain-new");
    CHECK(all[0].actor == "tester");
    CHECK(all[0].action == "a.create");
    CHECK(all[0].target == "x1");
    CHECK(all[0].at == T);
    CHECK(all[0].detail == R"({"k":1})");
    CHECK(all[0].prev_hash == "h0");
    CHECK(all[1].prev_hash == "h1");
    // Pages of limit + 1 after a sequence; filters by action, target and [from, to).
    CHECK(hashes(s.list({"chain-new", 0, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 1})) ==
          std::vector<std::string>{"h1", "h2"});
    CHECK(hashes(s.list({"chain-new", s1, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 1})) ==
          std::vector<std::string>{"h2", "h3"});
    CHECK(hashes(s.list({"chain-new", 0, "a.update", std::nullopt, std::nullopt, std::nullopt, 100})) ==
          std::vector<std::string>{"h2", "h3"});
    CHECK(hashes(s.list({"chain-new", 0, std::nullopt, "x1", std::nullopt, std::nullopt, 100})) ==
          std::vector<std::string>{"h1", "h2"});
    CHECK(hashes(s.list({"chain-new", 0, std::nullopt, std::nullopt, T + 10, T + 20, 100})) ==
          std::vector<std::string>{"h2"});
    CHECK(hashes(s.list({"chain-other", 0, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 100})) ==
          std::vector<std::string>{"o1"});

    std::vector<std::string> seen;
    s.scan("chain-new", [&](const AuditRecord& r) {
      seen.push_back(r.hash);
      return true;
    });
    CHECK(seen == std::vector<std::string>{"h1", "h2", "h3"});
    seen.clear();
    s.scan("chain-new", [&](const AuditRecord& r) {
      seen.push_back(r.hash);
      return seen.size() < 2;  // stop after the second row
    });
    CHECK(seen == std::vector<std::string>{"h1", "h2"});
  });
}

TEST_CASE("audit store: the fixture's tenant chain is the tenant's own") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin(TxMode::read);
    const auto rows = tx->audit().list({f.tenant, 0, "customer.enroll", std::nullopt, std::nullopt, std::nullopt, 100});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].target == f.alice);
    CHECK(rows[1].target == f.bob);
    CHECK(rows[1].prev_hash != rows[0].prev_hash);
    CHECK(tx->audit()
              .list({f.other_tenant, 0, "customer.enroll", std::nullopt, std::nullopt, std::nullopt, 100})
              .empty());
  });
}

TEST_CASE("event store: sequences increase by one per tenant; reads filter by type and stop at limit") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    EventStore& s = tx->events();
    const auto existing = s.after({f.tenant, 0, std::nullopt, 1000});
    const int64_t base = existing.empty() ? 0 : existing.back().seq;
    s.append(event(f.tenant, "evt_1", "points.earned", T));
    s.append(event(f.other_tenant, "evt_o", "points.earned", T));
    s.append(event(f.tenant, "evt_2", "points.redeemed", T + 1));
    s.append(event(f.tenant, "evt_3", "points.earned", T + 2));

    const auto mine = s.after({f.tenant, base, std::nullopt, 100});
    REQUIRE(mine.size() == 3);
    CHECK(event_ids(mine) == std::vector<std::string>{"evt_1", "evt_2", "evt_3"});
    CHECK(mine[0].seq == base + 1);
    CHECK(mine[1].seq == base + 2);
    CHECK(mine[2].seq == base + 3);
    CHECK(mine[0].tenant_id == f.tenant);
    CHECK(mine[0].type == "points.earned");
    CHECK(mine[0].subject == "cus_1");
    CHECK(mine[0].data == R"({"points":5})");
    CHECK(mine[0].created_at == T);

    const auto theirs = s.after({f.other_tenant, 0, std::nullopt, 100});
    REQUIRE(!theirs.empty());
    CHECK(theirs.back().id == "evt_o");
    CHECK(theirs.back().seq == static_cast<int64_t>(theirs.size()));  // 1, 2, 3 ... per tenant

    CHECK(event_ids(s.after({f.tenant, base, std::nullopt, 2})) == std::vector<std::string>{"evt_1", "evt_2"});
    CHECK(event_ids(s.after({f.tenant, base + 1, std::nullopt, 100})) == std::vector<std::string>{"evt_2", "evt_3"});
    CHECK(event_ids(s.after({f.tenant, base, std::vector<std::string>{"points.earned"}, 100})) ==
          std::vector<std::string>{"evt_1", "evt_3"});
    CHECK(event_ids(s.after({f.tenant, base, std::vector<std::string>{"points.redeemed", "x"}, 100})) ==
          std::vector<std::string>{"evt_2"});
  });
}

TEST_CASE("audit and event stores: a unit of work rolled back leaves nothing") {
  each_backend([](StoreFixture& f) {
    int64_t events_before = 0;
    {
      auto tx = f.begin(TxMode::read);
      events_before = static_cast<int64_t>(tx->events().after({f.tenant, 0, std::nullopt, 1000}).size());
    }
    {
      auto tx = f.begin();
      tx->audit().append(row("chain-rb", "a.create", "x", T, "h0", "h1"));
      tx->events().append(event(f.tenant, "evt_rb", "points.earned", T));
    }
    {
      auto tx = f.begin(TxMode::read);
      CHECK(!tx->audit().last_hash("chain-rb"));
      CHECK(static_cast<int64_t>(tx->events().after({f.tenant, 0, std::nullopt, 1000}).size()) == events_before);
    }
    // The next event takes the sequence the rolled-back one had.
    auto tx = f.begin();
    tx->events().append(event(f.tenant, "evt_next", "points.earned", T));
    tx->commit();
    auto rd = f.begin(TxMode::read);
    const auto all = rd->events().after({f.tenant, 0, std::nullopt, 1000});
    REQUIRE(!all.empty());
    CHECK(all.back().id == "evt_next");
    CHECK(all.back().seq == events_before + 1);
  });
}
