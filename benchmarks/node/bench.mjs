// Node package overhead and throughput, side by side in one run (benchmarks/RESULTS.md):
// - a balance read: the C API alone (loy_session_call in a loop inside the addon), the package's
//   synchronous variant (balanceSync), and the asynchronous method awaited one at a time; next
//   to a bare libuv thread-pool round trip (an empty AsyncWorker) measured in the same process;
// - purchase.dry_run throughput with 1 and with 16 Promises in flight (16 sessions), on the
//   rules benchmark's rule set (benchmarks/rules: loyalty_bench_rules writes rules.json) when
//   its work dir is given, else on no rules.
//
//   node benchmarks/node/bench.mjs [RULES_WORK_DIR] [--seconds S]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const loyalty = require(path.join(repo, 'bindings', 'node'));
const native = require(path.join(repo, 'bindings', 'node', 'lib', 'native.js'));

const args = process.argv.slice(2);
const si = args.indexOf('--seconds');
const seconds = si >= 0 ? Number(args.splice(si, 2)[1]) : 2;
const rulesDir = args[0];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-node-bench-'));
const engine = loyalty.Engine.open({ uri: path.join(dir, 'bench.db'), adminKey: 'bench-admin-credential-0123456789', synchronous: 'normal' });
const t = await engine.admin().tenant.create({ name: 'Bench', timezone: 'Europe/Berlin' });
const s = engine.session(t.api_key.key);
await s.program.create({ name: 'Main', currency: 'EUR' });
let rules = [];
if (rulesDir) rules = JSON.parse(fs.readFileSync(path.join(rulesDir, 'rules.json'), 'utf8'));
for (const r of rules) await s.rule.create(r);
const customer = (await s.customer.enroll({ external_id: 'c0' })).id;
await s.ledger.earn({ customer_id: customer, points: 1000 });
const balanceIn = { customer_id: customer };

async function timed(fn) {
  // Warm up, then run for `seconds`; returns [calls, ns per call].
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
    now = process.hrtime.bigint();
  }
  return [n, Number(now - start) / n];
}

const rows = [];
const row = (name, ns, note = '') => rows.push([name, ns, note]);

{
  const n = 20000;
  native.benchCallLoop(s._h, 'ledger.balance', JSON.stringify(balanceIn), 1000);
  const ns = native.benchCallLoop(s._h, 'ledger.balance', JSON.stringify(balanceIn), n) / n;
  row('balance: C API (loy_session_call, in the addon)', ns);
}
const cNs = rows[0][1];
const [, syncNs] = await timed(() => s.ledger.balanceSync(balanceIn));
row('balance: balanceSync', syncNs, `overhead ${(syncNs - cNs).toFixed(0)} ns`);
const [, asyncNs] = await timed(() => s.ledger.balance(balanceIn));
row('balance: await balance()', asyncNs, `overhead ${(asyncNs - cNs).toFixed(0)} ns`);
const [, noopNs] = await timed(() => native.benchNoop());
row('libuv pool round trip (empty AsyncWorker)', noopNs);

const purchase = (i) => ({
  order_id: `o${i}`,
  customer_id: customer,
  channel: 'pos',
  location_id: 'loc_2',
  items: [
    { sku: 'COF-1', category: 'beverages', quantity: 2, unit_price: 350 },
    { sku: 'TOY-9', category: 'toys', quantity: 1, unit_price: 4500 },
  ],
  customer: { tier: 'gold', tier_multiplier: '1.25' },
});
const sample = await s.purchase.dryRun(purchase(0));

async function throughput(inFlight) {
  const sessions = Array.from({ length: inFlight }, () => engine.session(t.api_key.key));
  let n = 0;
  let stop = false;
  const worker = async (ss, w) => {
    for (let i = 0; !stop; i++) {
      await ss.purchase.dryRun(purchase(w * 1e7 + i));
      n++;
    }
  };
  await Promise.all(sessions.map((ss) => ss.purchase.dryRun(purchase(0))));
  const start = process.hrtime.bigint();
  const timer = setTimeout(() => (stop = true), seconds * 1000);
  await Promise.all(sessions.map(worker));
  clearTimeout(timer);
  const el = Number(process.hrtime.bigint() - start) / 1e9;
  sessions.forEach((x) => x.close());
  return n / el;
}
const t1 = await throughput(1);
const t16 = await throughput(16);

console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
console.log(`rules: ${rules.length} (${rulesDir ? path.join(rulesDir, 'rules.json') : 'none'}); dry-run points for the sample purchase: ${sample.points}`);
console.log('| measurement | ns per call | note |');
console.log('|---|---:|---|');
for (const [name, ns, note] of rows) console.log(`| ${name} | ${ns.toFixed(0)} | ${note} |`);
console.log(`| async overhead / pool round trip | ${((asyncNs - cNs) / noopNs).toFixed(2)}x | goal <= 2x |`);
console.log('');
console.log('| purchase.dry_run | per second |');
console.log('|---|---:|');
console.log(`| 1 in flight | ${t1.toFixed(0)} |`);
console.log(`| 16 in flight (16 sessions) | ${t16.toFixed(0)} |`);
engine.close();
fs.rmSync(dir, { recursive: true, force: true });
