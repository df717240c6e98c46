// Conformance suite of TenantStore (src/storage/foundation_store.hpp): tenants, API keys and the
// engine's admin credential, checked through the interface alone, once per backend.
#include "store_backends.hpp"
#include "tenants/tenant_store.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::ApiKeyRecord;
using loyalty::storage::TenantRecord;
using loyalty::storage::TenantStore;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

TenantRecord tenant(const std::string& id, const std::string& slug, bool active = true) {
  return {id, "Name " + id, slug, "Europe/Paris", active, R"({"branding":{}})", T, T, 0};
}

ApiKeyRecord key(const std::string& id, const std::string& tenant, const std::string& prefix) {
  return {id, tenant, prefix, "hash-" + id, "key " + id, R"(["read"])", T, std::nullopt, std::nullopt};
}

}  // namespace

TEST_CASE("tenant store: tenants keep their ids and slugs; duplicates conflict") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    TenantStore& s = tx->tenants();
    CHECK(!s.slug_taken("acme"));
    s.insert_tenant(tenant("ten_a", "acme"));
    CHECK(s.slug_taken("acme"));
    const TenantRecord t = s.tenant("ten_a").value();
    CHECK(t.name == "Name ten_a");
    CHECK(t.slug == "acme");
    CHECK(t.timezone == "Europe/Paris");
    CHECK(t.active);
    CHECK(t.settings == R"({"branding":{}})");
    CHECK(t.created_at == T);
    CHECK(t.updated_at == T);
    CHECK(t.seq > s.tenant(f.other_tenant).value().seq);
    CHECK(!s.tenant("ten_unknown"));
    LOY_REQUIRE_ERROR(s.insert_tenant(tenant("ten_b", "acme")), Status::conflict, "");
    LOY_REQUIRE_ERROR(s.insert_tenant(tenant("ten_a", "other-slug")), Status::conflict, "");
  });
}

TEST_CASE("tenant store: tenants list in creation order, by pages of limit + 1, filtered by state") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    TenantStore& s = tx->tenants();
    s.insert_tenant(tenant("ten_1", "one"));
    s.insert_tenant(tenant("ten_2", "two", false));
    s.insert_tenant(tenant("ten_3", "three"));
    auto ids = [](const std::vector<TenantRecord>& v) { return pluck(v, &TenantRecord::id); };
    // The fixture's two tenants come first.
    const auto all = s.tenants(0, std::nullopt, 100);
    CHECK(ids(all) == std::vector<std::string>{f.tenant, f.other_tenant, "ten_1", "ten_2", "ten_3"});
    const auto first = s.tenants(0, std::nullopt, 2);
    CHECK(first.size() == 3);  // limit + 1: more pages follow
    CHECK(ids(s.tenants(first[1].seq, std::nullopt, 2)) == std::vector<std::string>{"ten_1", "ten_2", "ten_3"});
    CHECK(ids(s.tenants(all[2].seq, std::nullopt, 2)) == std::vector<std::string>{"ten_2", "ten_3"});
    CHECK(ids(s.tenants(all[2].seq, true, 100)) == std::vector<std::string>{"ten_3"});
    CHECK(ids(s.tenants(0, false, 100)) == std::vector<std::string>{"ten_2"});
  });
}

TEST_CASE("tenant store: updates keep absent fields; activation changes only its tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    TenantStore& s = tx->tenants();
    s.insert_tenant(tenant("ten_u", "upd"));
    s.update_tenant({"ten_u", std::nullopt, "Asia/Tokyo", R"({"loyalty":{}})", T + 5});
    TenantRecord t = s.tenant("ten_u").value();
    CHECK(t.name == "Name ten_u");
    CHECK(t.timezone == "Asia/Tokyo");
    CHECK(t.settings == R"({"loyalty":{}})");
    CHECK(t.updated_at == T + 5);
    CHECK(t.created_at == T);
    s.update_tenant({"ten_u", "Renamed", std::nullopt, R"({})", T + 6});
    t = s.tenant("ten_u").value();
    CHECK(t.name == "Renamed");
    CHECK(t.timezone == "Asia/Tokyo");
    s.set_tenant_active("ten_u", false, T + 7);
    t = s.tenant("ten_u").value();
    CHECK(!t.active);
    CHECK(t.updated_at == T + 7);
    CHECK(s.tenant(f.tenant)->active);
    CHECK(s.tenant(f.tenant)->name != "Renamed");
  });
}

TEST_CASE("tenant store: API keys are found within their tenant, listed in order, revoked and touched") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    TenantStore& s = tx->tenants();
    const size_t before = s.keys(f.tenant, true).size();  // the fixture's admin key
    s.insert_key(key("key_1", f.tenant, "AAAAAAA1"));
    s.insert_key(key("key_2", f.tenant, "AAAAAAA2"));
    s.insert_key(key("key_3", f.other_tenant, "AAAAAAA3"));
    const ApiKeyRecord k = s.find_key(f.tenant, "key_1").value();
    CHECK(k.prefix == "AAAAAAA1");
    CHECK(k.hash == "hash-key_1");
    CHECK(k.scopes == R"(["read"])");
    CHECK(k.created_at == T);
    CHECK(!k.revoked_at);
    CHECK(!k.last_used_at);
    CHECK(!s.find_key(f.other_tenant, "key_1"));
    CHECK(!s.find_key(f.tenant, "key_3"));
    LOY_REQUIRE_ERROR(s.insert_key(key("key_4", f.tenant, "AAAAAAA1")), Status::conflict, "");
    LOY_REQUIRE_ERROR(s.insert_key(key("key_1", f.tenant, "AAAAAAA9")), Status::conflict, "");

    s.revoke_key("key_1", T + 10);
    CHECK(s.find_key(f.tenant, "key_1")->revoked_at == T + 10);
    auto live = s.keys(f.tenant, false);
    REQUIRE(live.size() == before + 1);
    CHECK(live.back().id == "key_2");
    auto all = s.keys(f.tenant, true);
    REQUIRE(all.size() == before + 2);
    CHECK(all[before].id == "key_1");
    CHECK(all[before + 1].id == "key_2");
    CHECK(s.keys(f.other_tenant, true).back().id == "key_3");

    auto login = s.key_by_prefix("AAAAAAA2").value();
    CHECK(login.key.id == "key_2");
    CHECK(login.key.tenant_id == f.tenant);
    CHECK(login.tenant_active);
    CHECK(!s.key_by_prefix("ZZZZZZZZ"));
    s.touch_key("key_2", T + 20);
    CHECK(s.key_by_prefix("AAAAAAA2")->key.last_used_at == T + 20);
    CHECK(!s.find_key(f.tenant, "key_1")->last_used_at);

    CHECK(s.key_state("key_1")->revoked);
    CHECK(!s.key_state("key_2")->revoked);
    CHECK(s.key_state("key_2")->tenant_active);
    s.set_tenant_active(f.tenant, false, T + 30);
    CHECK(!s.key_state("key_2")->tenant_active);
    CHECK(!s.key_by_prefix("AAAAAAA2")->tenant_active);
    CHECK(s.key_state("key_3")->tenant_active);
    CHECK(!s.key_state("key_unknown"));
  });
}

TEST_CASE("tenant store: the first admin credential recorded stays") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    TenantStore& s = tx->tenants();
    const auto first = s.admin_key_hash();  // the fixture's engine recorded one
    REQUIRE(first);
    s.record_admin_key_hash("another");
    CHECK(s.admin_key_hash() == first);
  });
}

TEST_CASE("tenant store: a unit of work rolled back leaves nothing") {
  each_backend([](StoreFixture& f) {
    {
      auto tx = f.begin();
      tx->tenants().insert_tenant(tenant("ten_rb", "rolled"));
      tx->tenants().insert_key(key("key_rb", "ten_rb", "RRRRRRRR"));
      tx->tenants().revoke_key(f.world->session.call("session.info", json::object())["key_id"], T);
    }
    auto tx = f.begin(TxMode::read);
    CHECK(!tx->tenants().tenant("ten_rb"));
    CHECK(!tx->tenants().slug_taken("rolled"));
    CHECK(!tx->tenants().key_by_prefix("RRRRRRRR"));
    CHECK(!tx->tenants().keys(f.tenant, false).empty());
  });
}
