// Conformance suite of the ledger's storage interface (src/storage/ledger_store.hpp): the
// contract every backend must meet, checked through the interface alone. Each case runs once per
// backend in kBackends; a new backend (PostgreSQL) joins by adding its factory there.
#include <functional>
#include <memory>

#include "ledger/ledger_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::AccountRecord;
using loyalty::storage::BucketRecord;
using loyalty::storage::EntryRecord;
using loyalty::storage::HoldRecord;
using loyalty::storage::LedgerStore;
using loyalty::storage::Slice;
using loyalty::storage::Tx;
using loyalty::storage::TxMode;

namespace {

/// The shared fixture (store_backends.hpp) with the two customers' account ids.
struct Fixture : StoreFixture {
  int64_t a = 0, b = 0;

  void prepare() {
    auto tx = begin(TxMode::read);
    a = tx->ledger().find_account(tenant, alice, program).value().id;
    b = tx->ledger().find_account(tenant, bob, program).value().id;
  }
};

void each_backend(const std::function<void(Fixture&)>& body) { loytest::each_backend<Fixture>(body); }

constexpr Timestamp T = kStart;
constexpr Timestamp kDay = 86'400'000;

EntryRecord entry(const std::string& id, const std::string& tenant, int64_t account, const std::string& type,
                  int64_t points, Timestamp at) {
  EntryRecord e;
  e.id = id;
  e.tenant_id = tenant;
  e.account_id = account;
  e.type = type;
  e.points = points;
  e.occurred_at = at;
  e.recorded_at = at;
  e.posted_at = at;
  return e;
}

BucketRecord bucket(int64_t account, const std::string& entry, int64_t points, std::optional<Timestamp> expires,
                    Timestamp created, const char* state = "available") {
  return {account, entry, points, points, state, expires, std::nullopt, created};
}

}  // namespace

TEST_CASE("ledger store: accounts are found by tenant, customer and program, and saved in full") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    auto a = s.find_account(f.tenant, f.alice, f.program);
    REQUIRE(a);
    CHECK(a->customer_id == f.alice);
    CHECK(a->program_id == f.program);
    CHECK(a->posted == 0);
    CHECK(!s.find_account(f.other_tenant, f.alice, f.program));
    CHECK(!s.find_account(f.tenant, "cus_unknown", f.program));
    CHECK(!s.account(-1));

    a->posted = 120;
    a->pending = 30;
    a->held = 20;
    a->debt = 5;
    a->lifetime_earned = 150;
    a->lifetime_redeemed = 10;
    a->last_activity_at = T + 7;
    s.save_account(*a);
    const AccountRecord back = s.account(a->id).value();
    CHECK(back.posted == 120);
    CHECK(back.pending == 30);
    CHECK(back.held == 20);
    CHECK(back.debt == 5);
    CHECK(back.available() == 100);
    CHECK(back.lifetime_earned == 150);
    CHECK(back.lifetime_redeemed == 10);
    CHECK(back.last_activity_at == T + 7);
    CHECK(back.opened_at == a->opened_at);
    CHECK(s.account(f.b)->posted == 0);  // only the saved account changed
  });
}

TEST_CASE("ledger store: a unit of work rolled back leaves nothing; a committed one is seen by the next") {
  each_backend([](Fixture& f) {
    {
      auto tx = f.begin();
      tx->ledger().append_entry(entry("ent_rolled", f.tenant, f.a, "earn", 10, T));
      tx->ledger().add_bucket(bucket(f.a, "ent_rolled", 10, std::nullopt, T));
      tx->ledger().put_idempotency(f.tenant, "k-rolled", {"ledger.earn", "{}", "{}"}, T);
    }  // destroyed without commit
    {
      auto tx = f.begin();
      CHECK(!tx->ledger().find_entry(f.tenant, "ent_rolled"));
      CHECK(tx->ledger().spendable(f.a, 1000, std::nullopt).empty());
      CHECK(!tx->ledger().idempotency(f.tenant, "k-rolled"));
      tx->ledger().append_entry(entry("ent_kept", f.tenant, f.a, "earn", 10, T));
      tx->commit();
    }
    auto tx = f.begin(TxMode::read);
    CHECK(tx->ledger().find_entry(f.tenant, "ent_kept"));
  });
}

TEST_CASE("ledger store: buckets are spent nearest expiry first, then oldest, never-expiring last") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    const int64_t never = s.add_bucket(bucket(f.a, "e1", 10, std::nullopt, T));
    const int64_t late = s.add_bucket(bucket(f.a, "e2", 10, T + 3 * kDay, T));
    const int64_t soon_new = s.add_bucket(bucket(f.a, "e3", 10, T + kDay, T + 5));
    const int64_t soon_old = s.add_bucket(bucket(f.a, "e4", 10, T + kDay, T + 1));
    const int64_t mid = s.add_bucket(bucket(f.a, "e5", 10, T + 2 * kDay, T));
    const int64_t pending = s.add_bucket(bucket(f.a, "e6", 10, T + kDay, T, "pending"));
    const int64_t bobs = s.add_bucket(bucket(f.b, "e7", 10, T, T));
    // Ids are new, positive and increasing.
    CHECK(never > 0);
    CHECK(late > never);
    CHECK(soon_new > late);
    CHECK(bobs > pending);

    auto ids = [](const std::vector<Slice>& v) {
      std::vector<int64_t> out;
      for (const auto& x : v) out.push_back(x.bucket);
      return out;
    };
    CHECK(ids(s.spendable(f.a, 1000, std::nullopt)) == std::vector<int64_t>{soon_old, soon_new, mid, late, never});
    // As many as cover the need.
    CHECK(ids(s.spendable(f.a, 15, std::nullopt)) == std::vector<int64_t>{soon_old, soon_new});
    CHECK(ids(s.spendable(f.a, 10, std::nullopt)) == std::vector<int64_t>{soon_old});
    CHECK(ids(s.spendable(f.a, 15, soon_old)) == std::vector<int64_t>{soon_new, mid});

    // Reserved and spent points are not spendable; a fully reserved bucket drops out.
    s.change_bucket(soon_old, 0, 10);
    s.change_bucket(soon_new, -4, 2);
    const auto now = s.spendable(f.a, 1000, std::nullopt);
    REQUIRE(now.size() == 4);
    CHECK(now[0].bucket == soon_new);
    CHECK(now[0].points == 4);
    const auto st = s.bucket(soon_new).value();
    CHECK(st.account_id == f.a);
    CHECK(st.state == "available");
    CHECK(st.remaining == 6);
    CHECK(st.held == 2);
    CHECK(st.free() == 4);
    CHECK(st.expires_at == T + kDay);
    CHECK(!s.bucket(-5));

    // Releasing a pending bucket makes it available (less the debt paid) and posts its entries.
    EntryRecord pe = entry("ent_pending", f.tenant, f.a, "earn", 10, T);
    pe.status = "pending";
    pe.posted_at.reset();
    pe.bucket_id = pending;
    s.append_entry(pe);
    s.release_pending(pending, 3, T + 9);
    CHECK(s.bucket(pending)->state == "available");
    CHECK(s.bucket(pending)->remaining == 7);
    const auto posted = s.find_entry(f.tenant, "ent_pending").value();
    CHECK(posted.status == "posted");
    CHECK(posted.posted_at == T + 9);
  });
}

TEST_CASE("ledger store: entries keep their ids, belong to one tenant and read back in full") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    const int64_t bk = s.add_bucket({f.a, "ent_1", 50, 50, "pending", T + 30 * kDay, T + 14 * kDay, T});
    EntryRecord e = entry("ent_1", f.tenant, f.a, "earn", 50, T - 5);
    e.status = "pending";
    e.posted_at.reset();
    e.bucket_id = bk;
    e.reason = "welcome";
    e.metadata = R"({"order":"o-1"})";
    s.append_entry(e);

    const auto v = s.entry_view("ent_1").value();
    CHECK(v.entry.id == "ent_1");
    CHECK(v.entry.tenant_id == f.tenant);
    CHECK(v.entry.account_id == f.a);
    CHECK(v.entry.type == "earn");
    CHECK(v.entry.points == 50);
    CHECK(v.entry.status == "pending");
    CHECK(v.entry.bucket_id == bk);
    CHECK(v.entry.reason == "welcome");
    CHECK(v.entry.metadata == R"({"order":"o-1"})");
    CHECK(v.entry.occurred_at == T - 5);
    CHECK(v.entry.recorded_at == T - 5);
    CHECK(!v.entry.posted_at);
    CHECK(v.customer_id == f.alice);
    CHECK(v.program_id == f.program);
    CHECK(v.expires_at == T + 30 * kDay);
    CHECK(v.pending_until == T + 14 * kDay);

    CHECK(s.find_entry(f.tenant, "ent_1"));
    CHECK(!s.find_entry(f.other_tenant, "ent_1"));
    CHECK(!s.find_entry(f.tenant, "ent_none"));
    CHECK(!s.entry_view("ent_none"));
    LOY_REQUIRE_ERROR(s.append_entry(entry("ent_1", f.tenant, f.a, "earn", 1, T)), Status::conflict, "");
  });
}

TEST_CASE("ledger store: history is newest first, paged by sequence and filtered by type and time") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    const char* types[] = {"earn", "redeem", "earn", "adjust", "earn"};
    for (int n = 0; n < 5; ++n)
      s.append_entry(entry("ent_h" + std::to_string(n), f.tenant, f.a, types[n], n + 1, T + n * kDay));
    s.append_entry(entry("ent_bob", f.tenant, f.b, "earn", 9, T));

    auto all = s.history({f.a, INT64_MAX, {}, std::nullopt, std::nullopt, 100});
    REQUIRE(all.size() == 5);
    CHECK(all[0].entry.id == "ent_h4");
    CHECK(all[4].entry.id == "ent_h0");
    for (size_t n = 1; n < all.size(); ++n) CHECK(all[n].seq < all[n - 1].seq);

    // limit + 1 rows tell the caller more follow; the next page starts below the last seq.
    auto page = s.history({f.a, INT64_MAX, {}, std::nullopt, std::nullopt, 2});
    REQUIRE(page.size() == 3);
    auto next = s.history({f.a, page[1].seq, {}, std::nullopt, std::nullopt, 2});
    REQUIRE(next.size() == 3);
    CHECK(next[0].entry.id == "ent_h2");
    auto last = s.history({f.a, next[1].seq, {}, std::nullopt, std::nullopt, 2});
    REQUIRE(last.size() == 1);
    CHECK(last[0].entry.id == "ent_h0");

    auto earns = s.history({f.a, INT64_MAX, {"earn"}, std::nullopt, std::nullopt, 100});
    CHECK(earns.size() == 3);
    auto two = s.history({f.a, INT64_MAX, {"redeem", "adjust"}, std::nullopt, std::nullopt, 100});
    CHECK(two.size() == 2);
    // [from, to): occurred on days 1 and 2 only.
    auto window = s.history({f.a, INT64_MAX, {}, T + kDay, T + 3 * kDay, 100});
    REQUIRE(window.size() == 2);
    CHECK(window[0].entry.id == "ent_h2");
    CHECK(window[1].entry.id == "ent_h1");
  });
}

TEST_CASE("ledger store: reversal, refund and expiry sums; allocations add up; refunds go back latest first") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    s.append_entry(entry("ent_earn", f.tenant, f.a, "earn", 100, T));
    EntryRecord r1 = entry("ent_rev1", f.tenant, f.a, "reverse", -30, T);
    r1.ref_entry = "ent_earn";
    r1.ref_points = 30;
    EntryRecord r2 = entry("ent_rev2", f.tenant, f.a, "reverse", -5, T);  // 15 reversed, 10 of them waived
    r2.ref_entry = "ent_earn";
    r2.ref_points = 15;
    s.append_entry(r1);
    s.append_entry(r2);
    CHECK(s.reversed_points("ent_earn") == 45);
    CHECK(s.waived_points("ent_earn") == 10);
    CHECK(s.reversed_points("ent_none") == 0);

    const int64_t early = s.add_bucket(bucket(f.a, "ent_x", 40, T + kDay, T));
    const int64_t later = s.add_bucket(bucket(f.a, "ent_y", 40, T + 5 * kDay, T));
    const int64_t never = s.add_bucket(bucket(f.a, "ent_z", 40, std::nullopt, T));
    s.append_entry(entry("ent_redeem", f.tenant, f.a, "redeem", -70, T));
    s.allocate("ent_redeem", early, 20);
    s.allocate("ent_redeem", early, 20);  // adds up to 40
    s.allocate("ent_redeem", later, 25);
    s.allocate("ent_redeem", never, 5);
    auto back = s.refundable_slices("ent_redeem");
    REQUIRE(back.size() == 3);
    CHECK(back[0].bucket == never);  // reverse spending order: never-expiring, then latest expiry
    CHECK(back[0].points == 5);
    CHECK(back[1].bucket == later);
    CHECK(back[2].bucket == early);
    CHECK(back[2].points == 40);

    EntryRecord refund = entry("ent_refund", f.tenant, f.a, "refund", 12, T);
    refund.ref_entry = "ent_redeem";
    refund.ref_points = 12;
    s.append_entry(refund);
    s.allocate("ent_refund", never, 5);
    s.allocate("ent_refund", later, 7);
    CHECK(s.refunded_points("ent_redeem") == 12);
    back = s.refundable_slices("ent_redeem");
    REQUIRE(back.size() == 3);
    CHECK(back[0].points == 0);
    CHECK(back[1].points == 18);
    CHECK(back[2].points == 40);

    s.append_entry(entry("ent_expire", f.tenant, f.a, "expire", -8, T + kDay));
    s.allocate("ent_expire", early, 8);
    CHECK(s.expired_points(early) == 8);
    CHECK(s.expired_points(later) == 0);  // refund allocations are not expiries
  });
}

TEST_CASE("ledger store: holds reserve buckets in spending order and resolve once") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    const int64_t never = s.add_bucket(bucket(f.a, "e1", 10, std::nullopt, T));
    const int64_t soon = s.add_bucket(bucket(f.a, "e2", 10, T + kDay, T));
    HoldRecord h;
    h.id = "hld_1";
    h.tenant_id = f.tenant;
    h.account_id = f.a;
    h.points = 15;
    h.status = "active";
    h.reason = "basket";
    h.expires_at = T + 600'000;
    h.created_at = T;
    s.insert_hold(h);
    s.reserve("hld_1", never, 5);
    s.reserve("hld_1", soon, 10);
    const auto sl = s.hold_slices("hld_1");
    REQUIRE(sl.size() == 2);
    CHECK(sl[0].bucket == soon);
    CHECK(sl[1].bucket == never);
    CHECK(s.unbalanced_holds(f.tenant).empty());

    CHECK(!s.find_hold(f.other_tenant, "hld_1"));
    const auto found = s.find_hold(f.tenant, "hld_1").value();
    CHECK(found.points == 15);
    CHECK(found.status == "active");
    CHECK(found.reason == "basket");
    CHECK(found.expires_at == T + 600'000);
    LOY_REQUIRE_ERROR(s.insert_hold(h), Status::conflict, "");

    s.resolve_hold("hld_1", "committed", T + 60'000, std::string("ent_c"));
    const auto v = s.hold_view("hld_1").value();
    CHECK(v.hold.status == "committed");
    CHECK(v.hold.resolved_at == T + 60'000);
    CHECK(v.hold.entry_id == "ent_c");
    CHECK(v.customer_id == f.alice);
    CHECK(v.program_id == f.program);
    CHECK(!s.hold_view("hld_none"));

    // An active hold whose reservations differ from its points is reported by verification.
    h.id = "hld_2";
    h.points = 7;
    s.insert_hold(h);
    s.reserve("hld_2", soon, 3);
    const auto bad = s.unbalanced_holds(f.tenant);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].customer_id == f.alice);
    CHECK(bad[0].expected == 7);
    CHECK(bad[0].actual == 3);
    CHECK(s.unbalanced_holds(f.other_tenant).empty());
  });
}

TEST_CASE("ledger store: maintenance finds exactly what fell due by the cutoff") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    CHECK(!s.anything_due(f.a, T + 100 * kDay));
    CHECK(s.accounts_due(f.tenant, T + 100 * kDay).empty());

    // Bob: only a hold expiring at T + 1 day.
    HoldRecord h;
    h.id = "hld_due";
    h.tenant_id = f.tenant;
    h.account_id = f.b;
    h.points = 1;
    h.status = "active";
    h.expires_at = T + kDay;
    h.created_at = T;
    s.insert_hold(h);
    CHECK(!s.anything_due(f.b, T + kDay - 1));
    CHECK(s.anything_due(f.b, T + kDay));
    CHECK(s.due_holds(f.b, T + kDay) == std::vector<std::string>{"hld_due"});

    // Alice: a pending bucket ending at T + 2 days, an expiring one at T + 3 days, a reserved one.
    const int64_t pend = s.add_bucket({f.a, "e1", 20, 20, "pending", std::nullopt, T + 2 * kDay, T});
    const int64_t exp = s.add_bucket(bucket(f.a, "e2", 10, T + 3 * kDay, T));
    const int64_t held = s.add_bucket(bucket(f.a, "e3", 10, T + 3 * kDay, T));
    s.change_bucket(held, 0, 10);  // fully reserved: nothing of it can expire
    const int64_t keep = s.add_bucket(bucket(f.a, "e4", 10, std::nullopt, T));
    CHECK(!s.anything_due(f.a, T + 2 * kDay - 1));
    CHECK(s.anything_due(f.a, T + 2 * kDay));
    const auto p = s.due_pending(f.a, T + 2 * kDay);
    REQUIRE(p.size() == 1);
    CHECK(p[0].bucket == pend);
    CHECK(p[0].points == 20);
    CHECK(s.due_expiries(f.a, T + 3 * kDay - 1).empty());
    CHECK(s.due_expiries(f.a, T + 3 * kDay) == std::vector<int64_t>{exp});
    CHECK(s.unreserved_buckets(f.a) == std::vector<int64_t>{exp, keep});

    CHECK(s.accounts_due(f.tenant, T + kDay) == std::vector<int64_t>{f.b});
    const auto both = s.accounts_due(f.tenant, T + 3 * kDay);
    CHECK(both == (f.a < f.b ? std::vector<int64_t>{f.a, f.b} : std::vector<int64_t>{f.b, f.a}));
    CHECK(s.accounts_due(f.other_tenant, T + 3 * kDay).empty());
  });
}

TEST_CASE("ledger store: expiring points are listed nearest first and paged by (expiry, bucket)") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    const int64_t b1 = s.add_bucket(bucket(f.a, "e1", 10, T + kDay, T));
    const int64_t b2 = s.add_bucket(bucket(f.b, "e2", 20, T + kDay, T));
    const int64_t b3 = s.add_bucket(bucket(f.a, "e3", 30, T + 2 * kDay, T));
    s.add_bucket(bucket(f.a, "e4", 40, T + 9 * kDay, T));  // after `before`
    s.add_bucket(bucket(f.a, "e5", 50, std::nullopt, T));  // never expires
    s.change_bucket(b3, 0, 5);

    auto all = s.expiring({f.tenant, std::nullopt, T + 5 * kDay, T, INT64_MAX, 10});
    REQUIRE(all.size() == 3);
    CHECK(all[0].bucket == b1);
    CHECK(all[0].customer_id == f.alice);
    CHECK(all[0].entry_id == "e1");
    CHECK(all[1].bucket == b2);
    CHECK(all[2].points == 25);  // unreserved only

    auto first = s.expiring({f.tenant, std::nullopt, T + 5 * kDay, T, INT64_MAX, 1});
    REQUIRE(first.size() == 2);
    auto rest = s.expiring({f.tenant, std::nullopt, T + 5 * kDay, first[0].expires_at, first[0].bucket, 1});
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].bucket == b2);
    auto alices = s.expiring({f.tenant, f.a, T + 5 * kDay, T, INT64_MAX, 10});
    CHECK(alices.size() == 2);
    CHECK(s.expiring({f.other_tenant, std::nullopt, T + 5 * kDay, T, INT64_MAX, 10}).empty());
  });
}

TEST_CASE("ledger store: verification totals recompute balances from entries, buckets and holds") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    s.append_entry(entry("ent_e", f.tenant, f.a, "earn", 100, T));
    s.add_bucket(bucket(f.a, "ent_e", 100, std::nullopt, T));
    EntryRecord rev = entry("ent_r", f.tenant, f.a, "reverse", -40, T);
    rev.ref_entry = "ent_e";
    rev.ref_points = 40;
    s.append_entry(rev);
    s.append_entry(entry("ent_d", f.tenant, f.a, "redeem", -25, T));
    EntryRecord bad = entry("ent_bad", f.tenant, f.a, "reverse", -50, T);  // debits more than it reverses
    bad.ref_entry = "ent_e";
    bad.ref_points = 70;
    s.append_entry(bad);

    const auto totals = s.account_totals(f.tenant);
    REQUIRE(totals.size() == 2);
    const auto& t = totals[0].account.id == f.a ? totals[0] : totals[1];
    CHECK(t.account.customer_id == f.alice);
    CHECK(t.posted_entries == 100 - 40 - 25 - 50);
    CHECK(t.available_buckets == 100);
    CHECK(t.earned_net == 100 - 40 - 70);
    CHECK(t.redeemed_net == 25);
    CHECK(t.malformed_reversals == 0);  // -50 <= 70: within what it reverses
    CHECK(!t.may_go_negative);
    const auto over = s.over_reversed(f.tenant);
    REQUIRE(over.size() == 1);
    CHECK(over[0].expected == 100);
    CHECK(over[0].actual == 110);
    CHECK(s.over_refunded(f.tenant).empty());
    CHECK(s.account_totals(f.other_tenant).empty());
  });
}

TEST_CASE("ledger store: idempotency records are per tenant and written once") {
  each_backend([](Fixture& f) {
    auto tx = f.begin();
    LedgerStore& s = tx->ledger();
    CHECK(!s.idempotency(f.tenant, "k1"));
    s.put_idempotency(f.tenant, "k1", {"ledger.earn", R"({"points":5})", R"({"ok":true})"}, T);
    const auto r = s.idempotency(f.tenant, "k1").value();
    CHECK(r.operation == "ledger.earn");
    CHECK(r.request == R"({"points":5})");
    CHECK(r.response == R"({"ok":true})");
    CHECK(!s.idempotency(f.other_tenant, "k1"));
    s.put_idempotency(f.other_tenant, "k1", {"ledger.redeem", "{}", "{}"}, T);  // another tenant's key space
    CHECK(s.idempotency(f.other_tenant, "k1")->operation == "ledger.redeem");
    LOY_REQUIRE_ERROR(s.put_idempotency(f.tenant, "k1", {"ledger.earn", "{}", "{}"}, T), Status::conflict, "");
    CHECK(s.idempotency(f.tenant, "k1")->request == R"({"points":5})");
  });
}
