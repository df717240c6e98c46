/*
 * Quickstart: a tenant, a program, a customer; earn, redeem by adjustment, reverse; print the
 * balance after each step and the history, from a fresh SQLite file.
 *
 *   01_earn_and_redeem [path/to/new.db]      (default: ./quickstart.db, replaced if present)
 */
#include <loyalty.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static loy_buf call(loy_session *s, const char *op, const char *json) {
  loy_buf out = LOY_BUF_INIT;
  int rc = loy_session_call(s, op, json, strlen(json), &out);
  if (rc != LOY_OK) {
    const loy_error *e = loy_error_last();
    fprintf(stderr, "%s failed: %s (%s) %s\n", op, loy_status_str(rc), e->message, e->detail_json);
    exit(1);
  }
  return out;
}

/* Copies the string value of "key" that follows `after` in a JSON text (enough for a demo). */
static void field(const char *json, const char *after, const char *key, char *dst, size_t cap) {
  const char *p = after ? strstr(json, after) : json;
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  p = p ? strstr(p, pat) : NULL;
  if (!p) {
    fprintf(stderr, "no %s in %s\n", key, json);
    exit(1);
  }
  p += strlen(pat);
  size_t n = strcspn(p, "\"");
  if (n >= cap) n = cap - 1;
  memcpy(dst, p, n);
  dst[n] = '\0';
}

static void print_balance(loy_session *s, const char *customer, const char *label) {
  char req[256];
  snprintf(req, sizeof req, "{\"customer_id\":\"%s\"}", customer);
  loy_buf b = call(s, "ledger.balance", req);
  printf("%-28s %s\n", label, b.data);
  loy_buf_dispose(&b);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "quickstart.db";
  char uri[1024], wal[1100], shm[1100];
  remove(path);
  snprintf(wal, sizeof wal, "%s-wal", path);
  snprintf(shm, sizeof shm, "%s-shm", path);
  remove(wal);
  remove(shm);
  snprintf(uri, sizeof uri, "sqlite://%s", path);

  printf("libloyalty %s quickstart on %s\n", loy_version_string(), uri);
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = uri;
  opts.admin_key = "quickstart-admin-credential";
  loy_engine *engine = NULL;
  if (loy_engine_open(&opts, &engine) != LOY_OK) {
    fprintf(stderr, "open: %s\n", loy_error_last()->message);
    return 1;
  }
  loy_admin *admin = NULL;
  if (loy_admin_open(engine, opts.admin_key, strlen(opts.admin_key), &admin) != LOY_OK) return 1;

  const char *tenant_req = "{\"name\":\"Blue Bottle Demo\",\"timezone\":\"Europe/Berlin\"}";
  loy_buf tenant = LOY_BUF_INIT;
  if (loy_tenant_create(admin, tenant_req, strlen(tenant_req), &tenant) != LOY_OK) {
    fprintf(stderr, "tenant: %s\n", loy_error_last()->message);
    return 1;
  }
  char key[128];
  field(tenant.data, "\"api_key\"", "key", key, sizeof key);
  printf("tenant created; admin API key %.12s... (shown once)\n", key);
  loy_buf_dispose(&tenant);

  loy_session *s = NULL;
  if (loy_session_open(engine, key, strlen(key), &s) != LOY_OK) return 1;

  loy_buf prog = call(s, "program.create",
                      "{\"name\":\"Coffee Club\",\"currency\":\"EUR\",\"return_policy\":\"within_balance\","
                      "\"expiry\":{\"policy\":\"days_after_earn\",\"days\":365}}");
  printf("program: %s\n", prog.data);
  loy_buf_dispose(&prog);

  loy_buf cust = call(s, "customer.enroll", "{\"external_id\":\"pos-0001\",\"segments\":[\"regulars\"]}");
  char customer[64];
  field(cust.data, NULL, "id", customer, sizeof customer);
  printf("customer: %s\n", customer);
  loy_buf_dispose(&cust);

  char req[512];
  snprintf(req, sizeof req,
           "{\"customer_id\":\"%s\",\"points\":120,\"idempotency_key\":\"order-1001\",\"reason\":\"order 1001\"}",
           customer);
  loy_buf earn = call(s, "ledger.earn", req);
  char entry[64];
  field(earn.data, "\"entry\"", "id", entry, sizeof entry);
  loy_buf_dispose(&earn);
  print_balance(s, customer, "after earning 120:");

  loy_buf again = call(s, "ledger.earn", req); /* the same order again: a replay, not a second earn */
  printf("replaying order-1001:        %s\n", strstr(again.data, "\"replayed\":true") ? "replayed, no new points" : "?");
  loy_buf_dispose(&again);

  snprintf(req, sizeof req,
           "{\"customer_id\":\"%s\",\"points\":-50,\"reason\":\"redeemed a free coffee\",\"idempotency_key\":\"r-1\"}",
           customer);
  loy_buf adj = call(s, "ledger.adjust", req);
  loy_buf_dispose(&adj);
  print_balance(s, customer, "after redeeming 50:");

  snprintf(req, sizeof req, "{\"entry_id\":\"%s\",\"points\":30,\"reason\":\"returned one item\"}", entry);
  loy_buf rev = call(s, "ledger.reverse", req);
  loy_buf_dispose(&rev);
  print_balance(s, customer, "after reversing 30:");

  snprintf(req, sizeof req, "{\"customer_id\":\"%s\"}", customer);
  loy_buf hist = call(s, "ledger.history", req);
  printf("history (newest first): %s\n", hist.data);
  loy_buf_dispose(&hist);

  loy_buf ver = call(s, "ledger.verify", "{}");
  printf("verify: %s\n", ver.data);
  int ok = strstr(ver.data, "\"ok\":true") != NULL;
  loy_buf_dispose(&ver);

  loy_session_free(s);
  loy_admin_free(admin);
  loy_engine_free(engine);
  return ok ? 0 : 1;
}
