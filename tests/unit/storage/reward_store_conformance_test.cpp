// Conformance suite of RewardStore (src/storage/module_store.hpp): the rewards catalog with its
// stock, and redemptions, checked through the interface alone, once per backend.
#include <tuple>

#include "programs/program_store.hpp"
#include "rewards/reward_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::RedemptionQuery;
using loyalty::storage::RedemptionRecord;
using loyalty::storage::RewardQuery;
using loyalty::storage::RewardRecord;
using loyalty::storage::RewardStore;
using loyalty::storage::RewardUpdate;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

// The fixture plus a program of the other tenant.
struct RewardFixture : StoreFixture {
  std::string other_program = "prg_other";

  void prepare() {
    auto tx = begin();
    tx->programs().insert_program({other_program, other_tenant, "Other", "", "USD", "floor", "unlimited", "never", 0, 0,
                                   std::nullopt, false, true, T, T});
    tx->commit();
  }
};

RewardRecord reward(const std::string& id, const std::string& tenant, const std::string& program,
                    std::optional<int64_t> stock = std::nullopt) {
  RewardRecord r;
  r.id = id;
  r.tenant_id = tenant;
  r.program_id = program;
  r.name = "Reward " + id;
  r.description = "about " + id;
  r.image_url = "https://img/" + id;
  r.category = "drinks";
  r.cost_points = 100;
  r.stock = stock;
  r.min_tier_id = "tir_x";
  r.per_customer_limit = 2;
  r.limit_period = "month";
  r.reservation_ttl_s = 900;
  r.refundable = true;
  r.metadata = R"({"k":1})";
  r.created_at = T;
  r.updated_at = T + 1;  // ignored: a new reward's updated_at is its created_at
  return r;
}

RedemptionRecord redemption(const std::string& id, const std::string& tenant, const std::string& reward_id,
                            const std::string& customer, const std::string& status, Timestamp occurred_at) {
  RedemptionRecord r;
  r.id = id;
  r.tenant_id = tenant;
  r.program_id = "prg";
  r.reward_id = reward_id;
  r.customer_id = customer;
  r.account_id = 7;
  r.points = 100;
  r.status = status;
  r.coupon_code = "CODE-" + id;
  if (status == "reserved") {
    r.hold_id = "hld_" + id;
    r.expires_at = occurred_at + 1000;
  }
  if (status == "fulfilled") {
    r.entry_id = "ent_" + id;
    r.fulfilled_at = occurred_at;
  }
  r.occurred_at = occurred_at;
  r.created_at = occurred_at;
  return r;
}

auto columns(const RewardRecord& r) {
  return std::tie(r.id, r.tenant_id, r.program_id, r.name, r.description, r.image_url, r.category, r.cost_points,
                  r.stock, r.stock_supplied, r.starts_at, r.ends_at, r.min_tier_id, r.per_customer_limit,
                  r.limit_period, r.reservation_ttl_s, r.refundable, r.metadata, r.active, r.created_at, r.updated_at);
}

std::vector<std::string> visit_ids(RewardStore& s, const RewardQuery& q, size_t stop_after = 100) {
  std::vector<std::string> out;
  s.each_reward(q, [&](const RewardRecord& r) {
    out.push_back(r.id);
    return out.size() < stop_after;
  });
  return out;
}

std::vector<std::string> ids(const std::vector<RedemptionRecord>& v) { return pluck(v, &RedemptionRecord::id); }

}  // namespace

TEST_CASE("reward store: rewards keep their ids, get sequences, and are found only in their tenant") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    auto tx = f.begin();
    RewardStore& s = tx->rewards();
    s.insert_reward(reward("rwd_a", f.tenant, f.program, 10));
    s.insert_reward(reward("rwd_b", f.tenant, f.program));
    RewardRecord expect = reward("rwd_a", f.tenant, f.program, 10);
    expect.stock_supplied = 10;  // the supplied stock starts as the stock
    expect.updated_at = T;
    const RewardRecord a = s.reward(f.tenant, "rwd_a").value();
    CHECK(columns(a) == columns(expect));
    const RewardRecord b = s.reward(f.tenant, "rwd_b").value();
    CHECK(b.seq > a.seq);
    CHECK(!b.stock);
    CHECK(!b.stock_supplied);
    CHECK(!s.reward(f.other_tenant, "rwd_a"));
    LOY_REQUIRE_ERROR(s.insert_reward(reward("rwd_a", f.other_tenant, f.other_program)), Status::conflict, "");
  });
}

TEST_CASE("reward store: each_reward visits in creation order, filtered, in its tenant, until told to stop") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    auto tx = f.begin();
    RewardStore& s = tx->rewards();
    s.insert_reward(reward("rwd_1", f.tenant, f.program, 5));
    RewardRecord two = reward("rwd_2", f.tenant, f.program, 0);  // out of stock
    two.category = "food";
    s.insert_reward(two);
    RewardRecord three = reward("rwd_3", f.tenant, f.program);
    three.starts_at = T + 100;  // a window
    three.ends_at = T + 200;
    s.insert_reward(three);
    RewardRecord four = reward("rwd_4", f.tenant, f.program);
    four.active = false;
    s.insert_reward(four);
    s.insert_reward(reward("rwd_x", f.other_tenant, f.other_program));
    const std::string t = f.tenant;
    const RewardQuery all{t, 0, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    CHECK(visit_ids(s, all) == std::vector<std::string>{"rwd_1", "rwd_2", "rwd_3", "rwd_4"});
    CHECK(visit_ids(s, all, 2) == std::vector<std::string>{"rwd_1", "rwd_2"});
    const int64_t after = s.reward(t, "rwd_2")->seq;
    CHECK(visit_ids(s, {t, after, std::nullopt, std::nullopt, std::nullopt, std::nullopt}) ==
          std::vector<std::string>{"rwd_3", "rwd_4"});
    CHECK(visit_ids(s, {t, 0, std::nullopt, "food", std::nullopt, std::nullopt}) == std::vector<std::string>{"rwd_2"});
    CHECK(visit_ids(s, {t, 0, std::nullopt, std::nullopt, false, std::nullopt}) == std::vector<std::string>{"rwd_4"});
    CHECK(visit_ids(s, {t, 0, f.other_program, std::nullopt, std::nullopt, std::nullopt}).empty());
    // Available: active, in stock, inside the window ([starts_at, ends_at)).
    CHECK(visit_ids(s, {t, 0, std::nullopt, std::nullopt, std::nullopt, T + 99}) == std::vector<std::string>{"rwd_1"});
    CHECK(visit_ids(s, {t, 0, std::nullopt, std::nullopt, std::nullopt, T + 100}) ==
          std::vector<std::string>{"rwd_1", "rwd_3"});
    CHECK(visit_ids(s, {t, 0, std::nullopt, std::nullopt, std::nullopt, T + 200}) == std::vector<std::string>{"rwd_1"});
    CHECK(visit_ids(s, {f.other_tenant, 0, std::nullopt, std::nullopt, std::nullopt, std::nullopt}) ==
          std::vector<std::string>{"rwd_x"});
  });
}

TEST_CASE("reward store: updates keep absent fields, clear nullable ones only when asked, stay in their tenant") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    auto tx = f.begin();
    RewardStore& s = tx->rewards();
    s.insert_reward(reward("rwd_u", f.tenant, f.program, 3));
    RewardRecord expect = s.reward(f.tenant, "rwd_u").value();
    RewardUpdate u;
    u.tenant_id = f.tenant;
    u.id = "rwd_u";
    u.name = "Renamed";
    u.starts_at = T + 5;  // the window is always written
    u.updated_at = T + 9;
    s.update_reward(u);
    expect.name = "Renamed";
    expect.starts_at = T + 5;
    expect.updated_at = T + 9;
    CHECK(columns(s.reward(f.tenant, "rwd_u").value()) == columns(expect));

    u = {};
    u.tenant_id = f.tenant;
    u.id = "rwd_u";
    u.set_image_url = true;  // cleared
    u.set_category = true;
    u.category = "food";
    u.set_min_tier = true;  // cleared
    u.set_limit = true;     // cleared together
    u.cost_points = 50;
    u.description = "new";
    u.reservation_ttl_s = 60;
    u.refundable = false;
    u.metadata = "{}";
    u.active = false;
    u.updated_at = T + 10;
    s.update_reward(u);
    const RewardRecord r = s.reward(f.tenant, "rwd_u").value();
    CHECK(!r.image_url);
    CHECK(r.category == "food");
    CHECK(!r.min_tier_id);
    CHECK(!r.per_customer_limit);
    CHECK(!r.limit_period);
    CHECK(r.cost_points == 50);
    CHECK(r.description == "new");
    CHECK(r.reservation_ttl_s == 60);
    CHECK(!r.refundable);
    CHECK(r.metadata == "{}");
    CHECK(!r.active);
    CHECK(!r.starts_at);
    CHECK(r.name == "Renamed");
    CHECK(r.stock == 3);

    u = {};
    u.tenant_id = f.other_tenant;
    u.id = "rwd_u";
    u.name = "Stolen";
    u.updated_at = T + 11;
    s.update_reward(u);
    CHECK(s.reward(f.tenant, "rwd_u")->name == "Renamed");
    s.insert_reward(reward("rwd_d", f.tenant, f.program));
    s.deactivate_reward(f.other_tenant, "rwd_d", T + 12);
    CHECK(s.reward(f.tenant, "rwd_d")->active);
    s.deactivate_reward(f.tenant, "rwd_d", T + 13);
    CHECK(!s.reward(f.tenant, "rwd_d")->active);
    CHECK(s.reward(f.tenant, "rwd_d")->updated_at == T + 13);
  });
}

TEST_CASE("reward store: stock is taken and returned by unit; the supplied stock follows a set stock") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    auto tx = f.begin();
    RewardStore& s = tx->rewards();
    s.insert_reward(reward("rwd_s", f.tenant, f.program, 2));
    s.insert_reward(reward("rwd_n", f.tenant, f.program));
    CHECK(s.take_unit(f.tenant, "rwd_s", T + 1));
    CHECK(!s.take_unit(f.other_tenant, "rwd_s", T + 1));  // another tenant's reward is not found
    CHECK(s.take_unit(f.tenant, "rwd_s", T + 2));
    CHECK(!s.take_unit(f.tenant, "rwd_s", T + 3));  // none left
    CHECK(s.reward(f.tenant, "rwd_s")->stock == 0);
    CHECK(s.reward(f.tenant, "rwd_s")->updated_at == T + 2);
    CHECK(!s.take_unit(f.tenant, "rwd_n", T + 3));  // unlimited: nothing to take
    s.return_unit(f.tenant, "rwd_s", T + 4);
    s.return_unit(f.other_tenant, "rwd_s", T + 4);
    CHECK(s.reward(f.tenant, "rwd_s")->stock == 1);
    s.return_unit(f.tenant, "rwd_n", T + 4);
    CHECK(!s.reward(f.tenant, "rwd_n")->stock);

    // Two active redemptions and one cancelled: supplied = stock + 2.
    s.insert_redemption(redemption("rdm_1", f.tenant, "rwd_s", f.alice, "reserved", T));
    s.insert_redemption(redemption("rdm_2", f.tenant, "rwd_s", f.bob, "fulfilled", T));
    s.insert_redemption(redemption("rdm_3", f.tenant, "rwd_s", f.bob, "cancelled", T));
    s.set_stock(f.tenant, "rwd_s", 10, T + 5);
    CHECK(s.reward(f.tenant, "rwd_s")->stock == 10);
    CHECK(s.reward(f.tenant, "rwd_s")->stock_supplied == 12);
    s.set_stock(f.other_tenant, "rwd_s", 1, T + 6);
    CHECK(s.reward(f.tenant, "rwd_s")->stock == 10);
    s.set_stock(f.tenant, "rwd_s", std::nullopt, T + 7);
    CHECK(!s.reward(f.tenant, "rwd_s")->stock);
    CHECK(!s.reward(f.tenant, "rwd_s")->stock_supplied);
  });
}

TEST_CASE("reward store: redemptions are found by id and code in their tenant, and page by customer") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    auto tx = f.begin();
    RewardStore& s = tx->rewards();
    s.insert_reward(reward("rwd_a", f.tenant, f.program));
    s.insert_reward(reward("rwd_b", f.tenant, f.program));
    s.insert_redemption(redemption("rdm_1", f.tenant, "rwd_a", f.alice, "reserved", T));
    s.insert_redemption(redemption("rdm_2", f.tenant, "rwd_b", f.alice, "fulfilled", T + 1));
    s.insert_redemption(redemption("rdm_3", f.tenant, "rwd_a", f.bob, "fulfilled", T + 2));
    s.insert_redemption(redemption("rdm_4", f.tenant, "rwd_a", f.alice, "fulfilled", T + 3));
    LOY_REQUIRE_ERROR(s.insert_redemption(redemption("rdm_1", f.tenant, "rwd_a", f.bob, "fulfilled", T)),
                      Status::conflict, "");
    RedemptionRecord same_code = redemption("rdm_9", f.tenant, "rwd_a", f.bob, "fulfilled", T);
    same_code.coupon_code = "CODE-rdm_1";
    LOY_REQUIRE_ERROR(s.insert_redemption(same_code), Status::conflict, "");

    const RedemptionRecord r = s.redemption(f.tenant, "rdm_1").value();
    CHECK(r.reward_name == "Reward rwd_a");
    CHECK(r.customer_id == f.alice);
    CHECK(r.account_id == 7);
    CHECK(r.points == 100);
    CHECK(r.status == "reserved");
    CHECK(r.hold_id == "hld_rdm_1");
    CHECK(!r.entry_id);
    CHECK(r.expires_at == T + 1000);
    CHECK(r.occurred_at == T);
    CHECK(r.updated_at == T);  // its created_at
    CHECK(!r.fulfilled_at);
    CHECK(s.redemption(f.tenant, "rdm_2")->fulfilled_at == T + 1);
    CHECK(!s.redemption(f.other_tenant, "rdm_1"));
    CHECK(s.by_code(f.tenant, "CODE-rdm_3")->id == "rdm_3");
    CHECK(!s.by_code(f.other_tenant, "CODE-rdm_3"));
    CHECK(!s.by_code(f.tenant, "CODE-none"));

    RedemptionQuery q{f.tenant, f.alice, 0, std::nullopt, std::nullopt, 10};
    CHECK(ids(s.redemptions(q)) == std::vector<std::string>{"rdm_1", "rdm_2", "rdm_4"});
    q.limit = 1;
    const auto page = s.redemptions(q);
    CHECK(ids(page) == std::vector<std::string>{"rdm_1", "rdm_2"});  // limit + 1
    q.after_seq = page[0].seq;
    CHECK(ids(s.redemptions(q)) == std::vector<std::string>{"rdm_2", "rdm_4"});
    CHECK(ids(s.redemptions({f.tenant, f.alice, 0, "rwd_a", std::nullopt, 10})) ==
          std::vector<std::string>{"rdm_1", "rdm_4"});
    CHECK(ids(s.redemptions({f.tenant, f.alice, 0, std::nullopt, "fulfilled", 10})) ==
          std::vector<std::string>{"rdm_2", "rdm_4"});
    CHECK(s.redemptions({f.other_tenant, f.alice, 0, std::nullopt, std::nullopt, 10}).empty());
  });
}

TEST_CASE("reward store: due reservations, active counts in a period, status changes, verify figures") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    auto tx = f.begin();
    RewardStore& s = tx->rewards();
    s.insert_reward(reward("rwd_a", f.tenant, f.program, 5));
    s.insert_reward(reward("rwd_b", f.tenant, f.program));
    s.insert_redemption(redemption("rdm_late", f.tenant, "rwd_a", f.alice, "reserved", T + 50));  // expires T + 1050
    s.insert_redemption(redemption("rdm_soon", f.tenant, "rwd_a", f.alice, "reserved", T));       // expires T + 1000
    s.insert_redemption(redemption("rdm_b", f.tenant, "rwd_b", f.bob, "reserved", T));            // expires T + 1000
    s.insert_redemption(redemption("rdm_f", f.tenant, "rwd_a", f.alice, "fulfilled", T + 10));
    CHECK(s.due_reservations(f.tenant, T + 999, std::nullopt).empty());
    CHECK(s.due_reservations(f.tenant, T + 1000, std::nullopt) == std::vector<std::string>{"rdm_soon", "rdm_b"});
    CHECK(s.due_reservations(f.tenant, T + 2000, std::nullopt) ==
          std::vector<std::string>{"rdm_soon", "rdm_b", "rdm_late"});  // soonest first, then creation
    CHECK(s.due_reservations(f.tenant, T + 2000, "rwd_b") == std::vector<std::string>{"rdm_b"});
    CHECK(s.due_reservations(f.other_tenant, T + 2000, std::nullopt).empty());

    CHECK(s.active_redemptions("rwd_a", f.alice, std::nullopt) == 3);
    CHECK(s.active_redemptions("rwd_a", f.alice, std::pair{T, T + 50}) == 2);  // [T, T + 50)
    CHECK(s.active_redemptions("rwd_a", f.alice, std::pair{T + 11, T + 51}) == 1);
    CHECK(s.active_redemptions("rwd_a", f.bob, std::nullopt) == 0);

    s.expire(f.other_tenant, "rdm_soon", T + 1000);  // another tenant's: no change
    CHECK(s.redemption(f.tenant, "rdm_soon")->status == "reserved");
    s.expire(f.tenant, "rdm_soon", T + 1000);
    s.fulfil(f.tenant, "rdm_late", "ent_late", T + 1001);
    s.fulfil(f.tenant, "rdm_b", std::nullopt, T + 1002);  // committed elsewhere: no entry
    s.cancel(f.tenant, "rdm_f", "ent_refund", T + 1003);
    const auto soon = s.redemption(f.tenant, "rdm_soon").value();
    CHECK(soon.status == "expired");
    CHECK(soon.expired_at == T + 1000);
    CHECK(soon.updated_at == T + 1000);
    const auto late = s.redemption(f.tenant, "rdm_late").value();
    CHECK(late.status == "fulfilled");
    CHECK(late.entry_id == "ent_late");
    CHECK(late.fulfilled_at == T + 1001);
    CHECK(!s.redemption(f.tenant, "rdm_b")->entry_id);
    const auto cancelled = s.redemption(f.tenant, "rdm_f").value();
    CHECK(cancelled.status == "cancelled");
    CHECK(cancelled.cancelled_at == T + 1003);
    CHECK(cancelled.refund_entry_id == "ent_refund");
    CHECK(s.active_redemptions("rwd_a", f.alice, std::nullopt) == 1);
    CHECK(s.due_reservations(f.tenant, T + 5000, std::nullopt).empty());

    const auto figures = s.stock_figures(f.tenant);
    REQUIRE(figures.size() == 2);
    CHECK(figures[0].reward_id == "rwd_a");
    CHECK(figures[0].program_id == f.program);
    CHECK(figures[0].stock == 5);
    CHECK(figures[0].stock_supplied == 5);
    CHECK(figures[0].active_redemptions == 1);
    CHECK(!figures[1].stock);
    CHECK(figures[1].active_redemptions == 1);
    CHECK(s.stock_figures(f.other_tenant).empty());

    CHECK(s.unbacked(f.tenant).empty());
    RedemptionRecord no_hold = redemption("rdm_nh", f.tenant, "rwd_b", f.bob, "reserved", T);
    no_hold.hold_id = std::nullopt;
    s.insert_redemption(no_hold);
    s.insert_redemption(redemption("rdm_nr", f.tenant, "rwd_b", f.bob, "fulfilled", T));
    s.cancel(f.tenant, "rdm_nr", std::nullopt, T + 1);  // cancelled after fulfilment without a refund
    CHECK(ids(s.unbacked(f.tenant)) == std::vector<std::string>{"rdm_nh", "rdm_nr"});
    CHECK(s.unbacked(f.other_tenant).empty());
  });
}

TEST_CASE("reward store: a unit of work rolled back leaves nothing") {
  each_backend<RewardFixture>([](RewardFixture& f) {
    {
      auto tx = f.begin();
      tx->rewards().insert_reward(reward("rwd_rb", f.tenant, f.program, 1));
      tx->rewards().insert_redemption(redemption("rdm_rb", f.tenant, "rwd_rb", f.alice, "reserved", T));
    }
    auto tx = f.begin(TxMode::read);
    CHECK(!tx->rewards().reward(f.tenant, "rwd_rb"));
    CHECK(!tx->rewards().redemption(f.tenant, "rdm_rb"));
    CHECK(tx->rewards().stock_figures(f.tenant).empty());
  });
}
