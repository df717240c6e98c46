// Browser tests of the pages, run by scripts/test-browser.sh against a server it started on
// 127.0.0.1 (seeded demo tenant). Drives Debian's /usr/bin/chromium headless with playwright-core
// (no browser is downloaded). Flows, each with assertions on what the page shows:
//   admin: TOTP login, creates a rule, dry-runs it and sees the rule in the explain trace, adjusts
//          the demo customer's points and sees the ledger.adjust row in the audit log, verifies it;
//   customer: login, the dashboard's balance equals the API's, redeems the cheapest reward and
//          sees its coupon code (and QR code), which /redemptions/ lists; checks in on a circle
//          fence from a faked geolocation;
//   staff: looks up that coupon at the cashier page, fulfils it, submits a purchase.
// Then every page: screenshots at phone and desktop widths (build/browser/screenshots), axe-core
// (no serious or critical violation, light and dark colour scheme), no request leaving
// 127.0.0.1, and each page's cold-cache transferred bytes and load time (build/browser/weights.*).
//
// env: LOY_BASE (http://127.0.0.1:PORT), LOY_LOGINS (demo-logins.json), LOY_OUT (artefacts),
//      LOY_CHROMIUM (/usr/bin/chromium), LOY_MAX_PAGE_BYTES (300000), LOY_MAX_LOAD_MS (1500, the
//      hard limit on this shared machine; the goal of 300 ms is reported per page).
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const BASE = process.env.LOY_BASE;
const logins = JSON.parse(readFileSync(process.env.LOY_LOGINS, "utf8"));
const OUT = process.env.LOY_OUT || "build/browser";
const MAX_BYTES = Number(process.env.LOY_MAX_PAGE_BYTES || 300000);
const MAX_MS = Number(process.env.LOY_MAX_LOAD_MS || 1500);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
mkdirSync(join(OUT, "screenshots"), { recursive: true });

const failures = [];
const t0 = Date.now();
function check(cond, msg) {
  if (!cond) { failures.push(msg); console.log("  FAIL " + msg); } else console.log("  ok   " + msg);
}

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret.
function totp(secret, step = Math.floor(Date.now() / 30000)) {
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alpha.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", key).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String(((h.readUInt32BE(o) & 0x7fffffff) % 1e6)).padStart(6, "0");
}

const browser = await chromium.launch({
  executablePath: process.env.LOY_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

const outside = [];
async function newContext(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  ctx.on("request", (req) => {
    const u = new URL(req.url());
    if (["data:", "blob:", "about:"].includes(u.protocol)) return;
    if (u.hostname !== "127.0.0.1") outside.push(req.url());
  });
  return ctx;
}
const pageErrors = [];
function watch(page, who) {
  page.on("pageerror", (e) => pageErrors.push(`${who} ${page.url()}: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") console.log(`  [${who} console] ${m.text()}`); });
}
async function apiFrom(page, path, opts) {
  return page.evaluate(([p, o]) => window.Loy.api(p, o), [path, opts]);
}
async function login(page, url, user, otp) {
  await page.goto(BASE + url);
  await page.fill("#username", user);
  await page.fill("#password", logins[user].password);
  if (otp) await page.fill("#otp", otp);
  await Promise.all([page.waitForURL((u) => !u.pathname.includes("login")), page.click("button[type=submit]")]);
}
const auth = (page) => page.evaluate(() => sessionStorage.getItem("loyalty.auth"));

const num = (s) => Number(String(s).replace(/[^0-9-]/g, ""));

const open = [];
const onFail = async (e) => {
  console.log("ERROR " + (e && e.stack || e));
  for (const [who, p] of open) {
    try {
      const alerts = await p.locator("[role=alert]:visible, [role=status]:visible").allInnerTexts();
      console.log(`  ${who} at ${p.url()}: ${alerts.join(" | ") || "(no message)"}`);
      await p.screenshot({ path: join(OUT, `failure-${who}.png`), fullPage: true });
    } catch (x) { /* closed */ }
  }
  await browser.close().catch(() => {});
  process.exit(2);
};
process.on("unhandledRejection", onFail);
process.on("uncaughtException", onFail);

// ---------------------------------------------------------------- customer, first look
console.log("== customer: login, balance");
const custCtx = await newContext({ geolocation: { latitude: 0, longitude: 0 }, permissions: ["geolocation"] });
const cust = await custCtx.newPage();
watch(cust, "customer");
open.push(["customer", cust]);
await cust.goto(BASE + "/");
check(new URL(cust.url()).pathname === "/login/", "a signed-out visitor of the dashboard is sent to the login page");
await cust.fill("#username", "alice");
await cust.fill("#password", "wrong password!");
await cust.click("button[type=submit]");
await cust.locator("[role=alert]:visible").first().waitFor();
check(/invalid credentials/.test(await cust.locator("[role=alert]:visible").first().innerText()), "a wrong password is refused with a message");
// keyboard only: the skip link comes first, then the form's fields; Enter submits
await cust.goto(BASE + "/login/");
await cust.keyboard.press("Tab");
check(await cust.evaluate(() => document.activeElement.textContent.trim()) === "Skip to content", "the first Tab reaches the skip link");
await cust.focus("#username");
await cust.keyboard.type("alice");
await cust.keyboard.press("Tab");
check(await cust.evaluate(() => document.activeElement.id) === "password", "Tab moves from the username to the password");
await cust.keyboard.type(logins.alice.password);
await Promise.all([cust.waitForURL((u) => u.pathname === "/"), cust.keyboard.press("Enter")]);
check(new URL(cust.url()).pathname === "/", "the customer signs in with the keyboard alone");
const aliceId = JSON.parse(await auth(cust)).user.customer_id;
await cust.locator("[data-testid=available]").filter({ hasNotText: "–" }).waitFor();
const bal0 = await apiFrom(cust, "points/balance/");
check(num(await cust.locator("[data-testid=available]").innerText()) === bal0.available,
  `the dashboard shows the available points of the API (${bal0.available})`);
check(num(await cust.locator("[data-testid=pending]").innerText()) === bal0.pending, "the dashboard shows the pending points");
check((await cust.locator("[data-testid=tier]").innerText()) === (bal0.tier ? bal0.tier.name : "No tier yet"), "the dashboard shows the tier");

// ---------------------------------------------------------------- admin
console.log("== admin: TOTP login, rule, dry run, adjust points, audit");
const adminCtx = await newContext();
const admin = await adminCtx.newPage();
watch(admin, "admin");
open.push(["admin", admin]);
await admin.goto(BASE + "/staff/login/");
await admin.fill("#username", "admin");
await admin.fill("#password", logins.admin.password);
await admin.click("button[type=submit]");
await admin.locator("#otp-error").waitFor({ state: "visible" });
check(/TOTP/.test(await admin.locator("#otp-error").innerText()), "admin without a code: the TOTP field says one is required");
await admin.fill("#otp", totp(logins.admin.totp_secret));
await Promise.all([admin.waitForURL("**/manage/rules/"), admin.click("button[type=submit]")]);
check(admin.url().endsWith("/manage/rules/"), "the admin signs in with TOTP and lands on the rules editor");

const ruleName = "Browser rule " + Date.now();
await admin.locator("[data-testid=rule-list] li").first().waitFor();
await admin.click("text=New rule");
await admin.fill("#rule-json", JSON.stringify({ name: ruleName, actions: [{ type: "fixed", points: "many" }] }, null, 2));
await admin.click("text=Create rule");
await admin.locator("[data-testid=field-error]").waitFor({ state: "visible" });
const ferr = await admin.locator("[data-testid=field-error]").innerText();
check(/Field actions/.test(ferr), `an invalid rule's error is shown at its field: "${ferr.slice(0, 90)}"`);
await admin.fill("#rule-json", "{ not json");
await admin.click("text=Create rule");
check(/Not valid JSON/.test(await admin.locator("[data-testid=field-error]").innerText()), "malformed JSON is refused in the page");
await admin.fill("#rule-json", JSON.stringify({ name: ruleName, priority: 999,
  conditions: { fact: "purchase.channel", operator: "eq", value: "browser" }, actions: [{ type: "fixed", points: 77 }] }, null, 2));
await admin.click("text=Create rule");
await admin.locator("text=Saved rule").waitFor();
await admin.locator("[data-testid=rule-list]").getByText(ruleName).waitFor();
check(await admin.locator("[data-testid=rule-list]").getByText(ruleName).count() === 1, "the created rule is in the list");
await admin.fill("#d-amount", "2500");
await admin.fill("#d-ch", "browser");
await admin.getByRole("button", { name: "Dry run" }).click();
await admin.locator("[data-testid=trace]").waitFor();
const traceRow = admin.locator(`[data-testid=trace] tr[data-rule="${ruleName}"]`);
await traceRow.waitFor();
const traceText = await traceRow.innerText();
check(/fired/.test(traceText) && /77/.test(traceText), `the dry run's trace shows the rule fired with 77 points (${traceText.replace(/\s+/g, " ")})`);
check(num(await admin.locator("[data-testid=dry-total]").innerText()) >= 77, "the dry run's total includes the rule's points");
await admin.fill("#d-ch", "till");
await admin.getByRole("button", { name: "Dry run" }).click();
await admin.locator(`[data-testid=trace] tr[data-rule="${ruleName}"]`).getByText("not_matched").waitFor();
check(true, "on another channel the trace says not_matched");

const reason = "browser test goodwill " + Date.now();
await admin.goto(BASE + "/manage/customers/?id=" + encodeURIComponent(aliceId));
await admin.locator("[data-testid=customer-id]").getByText(aliceId).waitFor();
const before = num(await admin.locator("[data-testid=c-available]").innerText());
check(before === bal0.available, "the customer page shows the customer's available points");
await admin.fill("#points", "5000");
await admin.fill("#reason", reason);
await admin.getByRole("button", { name: "Adjust", exact: true }).click();
await admin.locator("text=Adjusted by 5000 points").waitFor();
check(num(await admin.locator("[data-testid=c-available]").innerText()) === before + 5000, "the balance went up by 5000 points");
await admin.locator("[data-testid=ledger]").getByText(reason).waitFor();
check(await admin.locator("[data-testid=ledger]").getByText(reason).count() === 1, "the adjustment is in the ledger history with its reason");
const tiers = (await apiFrom(admin, "admin/tiers/")).results.sort((a, b) => b.rank - a.rank);
await admin.selectOption("#t-tier", tiers[0].id);
await admin.fill("#t-reason", "browser test tier");
await admin.getByRole("button", { name: "Assign", exact: true }).click();
await admin.getByText(`Tier assigned: ${tiers[0].name}.`).waitFor();
check((await admin.locator("[data-testid=c-tier]").innerText()) === tiers[0].name, `the customer was assigned the top tier (${tiers[0].name})`);
await admin.goto(BASE + "/manage/audit/?action=ledger.adjust");
await admin.locator("[data-testid=audit] tbody tr").first().waitFor();
const auditRow = admin.locator("[data-testid=audit] tbody tr").filter({ hasText: reason });
check(await auditRow.count() === 1, "the audit log has the adjustment's row with its reason");
check(/admin/.test(await auditRow.first().innerText()), "the audit row names the admin user");
await admin.click("text=Verify the chain");
await admin.locator("text=The audit chain is intact").waitFor();
check(true, "the audit chain verifies");

// ---------------------------------------------------------------- customer: redeem, check in
console.log("== customer: redeem, coupon, check-in");
await cust.goto(BASE + "/");
await cust.locator("[data-testid=available]").filter({ hasText: /\d/ }).waitFor();
check(num(await cust.locator("[data-testid=available]").innerText()) === bal0.available + 5000, "the customer sees the 5000 points");
await cust.goto(BASE + "/rewards/");
await cust.locator("[data-testid=rewards] li").first().waitFor();
const rewards = (await apiFrom(cust, "rewards/?page_size=200&active=true")).results
  .filter((r) => r.stock === null || r.stock > 0).sort((a, b) => a.cost_points - b.cost_points);
const reward = rewards[0];
await cust.getByRole("button", { name: `Redeem ${reward.name}`, exact: true }).first().click();
await cust.locator("[data-testid=coupon-code]").waitFor();
const code = (await cust.locator("[data-testid=coupon-code]").innerText()).trim();
check(code.length >= 6, `the coupon code is shown (${code})`);
check(await cust.locator("[data-testid=coupon-qr] svg").count() === 1, "its QR code is shown");
check(num(await cust.locator("[data-testid=available]").first().innerText()) === bal0.available + 5000 - reward.cost_points,
  "the available points dropped by the reward's cost");
await cust.keyboard.press("Escape");
check(await cust.locator("#coupon-dialog").waitFor({ state: "hidden", timeout: 5000 }).then(() => true, () => false), "Escape closes the coupon dialog");
await cust.goto(BASE + "/redemptions/");
await cust.locator("[data-testid=redemptions]").getByText(code).waitFor();
check(true, "the coupon is listed under My coupons");

await cust.goto(BASE + "/history/");
await cust.locator("[data-testid=history] tbody tr").first().waitFor();
const all = await apiFrom(cust, "points/history/?page_size=1");
check((await cust.getByText(/Page 1 of/).innerText()).includes(`(${all.count} entries)`), `the history counts every entry (${all.count})`);
check(all.count > 10, "the customer has more than one page of history (10 a page)");
await cust.getByRole("button", { name: "Next" }).click();
await cust.getByText(/Page 2 of/).waitFor();
await cust.waitForFunction((n) => document.querySelectorAll("[data-testid=history] tbody tr").length === n, Math.min(10, all.count - 10), { timeout: 10000 }).catch(() => {});
check(await cust.locator("[data-testid=history] tbody tr").count() === Math.min(10, all.count - 10), "Next shows the second page's entries");
await cust.selectOption("#f-type", "adjust");
await cust.getByRole("button", { name: "Apply" }).click();
await cust.waitForFunction(() => { const r = [...document.querySelectorAll("[data-testid=history] tbody tr td:nth-child(2)")];
  return r.length > 0 && r.every((td) => td.textContent === "adjust"); }, null, { timeout: 10000 }).catch(() => {});
await cust.locator("[data-testid=history]").getByText(reason).waitFor();
const types = await cust.locator("[data-testid=history] tbody tr td:nth-child(2)").allInnerTexts();
check(types.length >= 1 && types.every((t) => t === "adjust"), `the type filter shows only adjustments (${types.length}), the admin's among them`);

const locs = (await apiFrom(cust, "locations/?page_size=200")).results.filter((l) => l.active);
// a circle fence the customer has not checked in at within its cooldown (the seed checks in too),
// the nearest to the last check-in; waits until the trip from there is slower than the fence's
// max_speed_kmh (the engine refuses faster ones as too_fast)
const mine = (await apiFrom(admin, `admin/checkins/?customer_id=${aliceId}&page_size=200`)).results
  .filter((c) => c.status === "verified").sort((a, b) => Date.parse(b.occurred_at) - Date.parse(a.occurred_at));
const km = (a, b) => { const r = Math.PI / 180, dl = (b.lat - a.lat) * r, dn = (b.lon - a.lon) * r;
  const h = Math.sin(dl / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dn / 2) ** 2; return 12742 * Math.asin(Math.sqrt(h)); };
const last = mine[0];
const free = locs.filter((l) => l.geofence.type === "circle" && !mine.some((c) => c.location_id === l.id
  && Date.now() - Date.parse(c.occurred_at) < 1000 * ((l.checkin && l.checkin.cooldown_s) || 0) + 60000));
free.sort((a, b) => (last ? km(last, a) - km(last, b) : 0));
const fence = free[0];
if (fence && last) {
  const need = 1.2 * 3600 * 1000 * km(last, fence) / ((fence.checkin && fence.checkin.max_speed_kmh) || 900);
  const wait = Date.parse(last.occurred_at) + need - Date.now();
  if (wait > 0) { console.log(`  (waiting ${Math.ceil(wait / 1000)} s: ${km(last, fence).toFixed(1)} km from the last check-in)`); await cust.waitForTimeout(Math.min(wait, 90000)); }
}
check(!!fence, "a circle fence is free for a check-in");
await custCtx.setGeolocation({ latitude: fence.lat, longitude: fence.lon, accuracy: 5 });
await cust.goto(BASE + "/map/");
await cust.locator("[data-testid=locations] li").first().waitFor();
await cust.locator(".leaflet-interactive").first().waitFor();
check(await cust.locator(".leaflet-interactive").count() >= locs.length, "the map draws the fences");
await cust.click("text=Check in here");
const outcome = cust.locator("[role=status]:visible, [role=alert]:visible").first();
await outcome.waitFor();
const outText = await outcome.innerText();
check(outText.includes(`Checked in at ${fence.name}`), `check-in from the faked position at ${fence.name}: "${outText}"`);
const checkins = await apiFrom(admin, `admin/checkins/?customer_id=${aliceId}&location_id=${fence.id}&page_size=200`);
check(checkins.results.some((c) => c.status === "verified" && Date.now() - Date.parse(c.occurred_at) < 120000), "the engine recorded the verified check-in at that location");

// ---------------------------------------------------------------- staff
console.log("== staff: coupon, purchase");
const staffCtx = await newContext();
const staff = await staffCtx.newPage();
watch(staff, "staff");
open.push(["staff", staff]);
await login(staff, "/staff/login/", "staff");
check(staff.url().endsWith("/staff/cashier/"), "staff land on the cashier page");
await staff.fill("#coupon-code", "0000000000000000000000000000");
await staff.click("text=Look up");
await staff.getByText("No coupon with this code.").waitFor();
check(true, "an unknown coupon code is refused");
await staff.fill("#coupon-code", code);
await staff.click("text=Look up");
await staff.locator("[data-testid=coupon-status]").waitFor();
check((await staff.locator("[data-testid=coupon-status]").innerText()) === "reserved", "the coupon is found, reserved");
await staff.click("text=Fulfil coupon");
await staff.getByText(`Coupon ${code} fulfilled.`).waitFor();
check((await staff.locator("[data-testid=coupon-status]").innerText()) === "fulfilled", "the staff member fulfilled it");
const red = (await apiFrom(cust, "redemptions/?page_size=200")).results.find((r) => r.coupon_code === code);
check(red && red.status === "fulfilled", "the customer's redemption is fulfilled in the API");
const balBefore = (await apiFrom(cust, "points/balance/"));
await staff.fill("#customer_id", aliceId);
await staff.fill("#amount", "12.34");
await staff.click("text=Submit purchase");
const pmsg = staff.getByText(/points earned/);
await pmsg.waitFor();
const earned = num((await pmsg.innerText()).match(/: (-?\d+) points earned/)[1]);
const balAfter = await apiFrom(cust, "points/balance/");
check(earned > 0 && balAfter.available + balAfter.pending === balBefore.available + balBefore.pending + earned,
  `the purchase earned ${earned} points for the customer`);

await admin.goto(BASE + "/manage/insights/");
await admin.locator("[data-testid=churn] li").first().waitFor();
const churnCount = (await apiFrom(admin, "admin/insights/churn/?page_size=200")).count;
const bandsLabel = await admin.locator("[data-testid=churn-chart]").getAttribute("aria-label");
const inLabel = [...bandsLabel.matchAll(/(\w+) (\d+)/g)].reduce((a, m) => a + Number(m[2]), 0);
check(churnCount > 0 && inLabel === Math.min(churnCount, 50) && await admin.evaluate(() => !!Chart.getChart("churn-chart")),
  `the insights page charts the churn bands (${bandsLabel})`);

// ---------------------------------------------------------------- every page
console.log("== every page: screenshots, axe-core, requests, weight");
const pages = [
  ["login", "/login/", null], ["staff-login", "/staff/login/", null],
  ["dashboard", "/", cust], ["history", "/history/", cust], ["rewards", "/rewards/", cust], ["redemptions", "/redemptions/", cust],
  ["map", "/map/", cust], ["recommendations", "/recommendations/", cust], ["profile", "/profile/", cust],
  ["cashier", "/staff/cashier/", staff],
  ["admin-rules", "/manage/rules/", admin], ["admin-customers", `/manage/customers/?id=${aliceId}`, admin], ["admin-audit", "/manage/audit/", admin],
  ["admin-programs", "/manage/programs/", admin], ["admin-rewards", "/manage/rewards/", admin],
  ["admin-locations", "/manage/locations/", admin], ["admin-insights", "/manage/insights/", admin],
];
const settle = async (page) => { await page.waitForLoadState("networkidle"); await page.waitForTimeout(50); };
const weights = [];
for (const [name, path, owner] of pages) {
  const state = owner ? await auth(owner) : null;
  for (const scheme of ["light", "dark"]) {
    const ctx = await newContext({ colorScheme: scheme, ...(scheme === "dark" ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {}) });
    if (state) await ctx.addInitScript((s) => sessionStorage.setItem("loyalty.auth", s), state);
    const page = await ctx.newPage();
    watch(page, name);
    const resp = await page.goto(BASE + path, { waitUntil: "load" });
    await settle(page);
    check(resp.status() === 200 && new URL(page.url()).pathname === path.split("?")[0], `${name} (${scheme}) loads (HTTP ${resp.status()})`);
    if (scheme === "light") {
      const m = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const res = performance.getEntriesByType("resource");
        return { bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0), requests: 1 + res.length,
          ttfb_ms: Math.round(nav.responseStart - nav.startTime),
          load_ms: Math.round(nav.loadEventEnd - nav.startTime),
          // the page with its data: the last response (API calls included) or the load event
          done_ms: Math.round(Math.max(nav.loadEventEnd, ...res.map((r) => r.responseEnd)) - nav.startTime) };
      });
      weights.push({ page: name, path, ...m });
      check(m.bytes < MAX_BYTES, `${name}: ${m.bytes} bytes transferred (< ${MAX_BYTES})`);
      check(m.load_ms < MAX_MS, `${name}: load event after ${m.load_ms} ms (< ${MAX_MS}; goal 300)`);
    }
    if (scheme === "dark") {
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(over <= 0, `${name}: nothing wider than a 390 px phone screen (${over > 0 ? over + " px too wide" : "fits"})`);
    }
    await page.addScriptTag({ content: AXE });
    const axe = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.filter((v) => ["serious", "critical"].includes(v.impact))
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
    });
    check(axe.length === 0, `${name} (${scheme}): no serious or critical axe-core violation${axe.length ? ": " + axe.join("; ") : ""}`);
    for (const [w, h, tag] of [[390, 844, "phone"], [1280, 900, "desktop"]]) {
      if ((scheme === "dark") !== (tag === "phone")) continue;
      await page.screenshot({ path: join(OUT, "screenshots", `${name}-${tag}-${scheme}.png`), fullPage: true });
    }
    // the other width in the same colour scheme too: every page at both widths
    const other = scheme === "light" ? [390, 844, "phone"] : [1280, 900, "desktop"];
    await page.setViewportSize({ width: other[0], height: other[1] });
    await page.waitForTimeout(50);
    await page.screenshot({ path: join(OUT, "screenshots", `${name}-${other[2]}-${scheme}.png`), fullPage: true });
    await ctx.close();
  }
}
check(outside.length === 0, `no request left 127.0.0.1${outside.length ? ": " + [...new Set(outside)].slice(0, 5).join(", ") : ""}`);
check(pageErrors.length === 0, `no script error on any page${pageErrors.length ? ": " + pageErrors.slice(0, 5).join("; ") : ""}`);

writeFileSync(join(OUT, "weights.json"), JSON.stringify(weights, null, 2));
const table = ["| page | path | requests | transferred (bytes) | first byte (ms) | load event (ms) | with its data (ms) |", "|---|---|---:|---:|---:|---:|---:|",
  ...weights.map((w) => `| ${w.page} | \`${w.path.split("?")[0]}\` | ${w.requests} | ${w.bytes} | ${w.ttfb_ms} | ${w.load_ms} | ${w.done_ms} |`)];
writeFileSync(join(OUT, "weights.md"), table.join("\n") + "\n");
console.log(table.join("\n"));
await browser.close();
console.log(`== browser suite: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${failures.length} failure(s)`);
if (failures.length) { console.log(failures.map((f) => "FAIL " + f).join("\n")); process.exit(1); }
