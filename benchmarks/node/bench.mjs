// Node package overhead and throughput, side by side in one run (benchmarks/RESULTS.md):
// - a balance read: the C API alone (loy_session_call in a loop inside the addon), the package's
//   synchronous variant (balanceSync), and the asynchronous method awaited one at a time; next
//   to a bare libuv thread-pool round trip (an empty AsyncWorker) measured in the same process;
// - purchase.dry_run throughput with 1 and with 16 Promises in flight (16 sessions), on the
//   rules benchmark's 20-rule set and purchases (benchmarks/rules: loyalty_bench_rules writes
//   rules.json and events-raw.json to its work dir) when RULES_WORK_DIR is given, else on no
//   rules and one purchase; with --zen NODE_MODULES (holding @gorules/zen-engine), zen-engine's
//   evaluate on the same purchases (the raw-event graph of benchmarks/rules/zen_graph.js) with
//   the same concurrency (1 and 16 evaluations in flight).
//
//   node benchmarks/node/bench.mjs [RULES_WORK_DIR] [--seconds S] [--zen NODE_MODULES]
// benchmarks/node/run.sh prepares both and runs it.
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
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const seconds = Number(option('--seconds') ?? 2);
const zenModules = option('--zen');
const rulesDir = args[0];

// The purchases: the rules benchmark's raw events (as purchase.dry_run input), else one.
const raw = rulesDir
  ? JSON.parse(fs.readFileSync(path.join(rulesDir, 'events-raw.json'), 'utf8')).slice(0, 20000)
  : [
      {
        at: Date.now() - 3600_000,
        amount: 5200,
        channel: 'pos',
        location: 'loc_2',
        tier: 'gold',
        tm: 1.25,
        segments: [],
        birthday: '1990-05-17',
        prior_purchases: 3,
        items: [
          { sku: 'COF-1', category: 'beverages', quantity: 2, unit_price: 350 },
          { sku: 'TOY-9', category: 'toys', quantity: 1, unit_price: 4500 },
        ],
      },
    ];
// The engine's clock stands just after the latest purchase (the events span a year around the
// time the rules benchmark ran; occurred_at may be at most a day ahead of the engine's clock).
const clock = new loyalty.ManualClock(Math.max(...raw.map((e) => e.at)) + 60_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-node-bench-'));
const engine = loyalty.Engine.open({ uri: path.join(dir, 'bench.db'), adminKey: 'bench-admin-credential-0123456789', synchronous: 'normal', clock });
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

const inputs = raw.map((e, i) => ({
  order_id: `o${i}`,
  amount: e.amount,
  channel: e.channel,
  location_id: e.location || undefined,
  occurred_at: new Date(e.at).toISOString(),
  items: e.items,
  // An anonymous dry run: the host gives the customer's facts, first purchase included (as the
  // peers get them in the raw event).
  customer: {
    tier: e.tier,
    tier_multiplier: String(e.tm),
    segments: e.segments,
    birthday: e.birthday,
    first_purchase: e.prior_purchases === 0,
  },
}));
const purchase = (i) => inputs[i % inputs.length];
const inputsNone = inputs.map((p) => ({ ...p, explain: 'none' }));
const purchaseNone = (i) => inputsNone[i % inputsNone.length];
const sample = await s.purchase.dryRun(purchase(0));
{
  const n = 500;
  const text = JSON.stringify(purchase(0));
  native.benchCallLoop(s._h, 'purchase.dry_run', text, 50);
  row('purchase.dry_run: C API (loy_session_call, in the addon)', native.benchCallLoop(s._h, 'purchase.dry_run', text, n) / n);
}

async function loops(inFlight, evalOne) {
  let n = 0;
  let stop = false;
  const worker = async (w) => {
    for (let i = w; !stop; i += inFlight) {
      await evalOne(w, i);
      n++;
    }
  };
  const start = process.hrtime.bigint();
  const timer = setTimeout(() => (stop = true), seconds * 1000);
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  clearTimeout(timer);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function throughput(inFlight, input) {
  const sessions = Array.from({ length: inFlight }, () => engine.session(t.api_key.key));
  await Promise.all(sessions.map((ss) => ss.purchase.dryRun(input(0))));
  const eps = await loops(inFlight, (w, i) => sessions[w].purchase.dryRun(input(i)));
  sessions.forEach((x) => x.close());
  return eps;
}
// The default answer carries the full explain trace; `explain: 'none'` leaves it out.
const t1 = await throughput(1, purchase);
const t16 = await throughput(16, purchase);
const n1 = await throughput(1, purchaseNone);
const n16 = await throughput(16, purchaseNone);

let z1 = null;
let z16 = null;
let agree = null;
if (zenModules) {
  const { ZenEngine } = require(path.join(path.resolve(zenModules), '@gorules', 'zen-engine'));
  const { zenGraph } = require(path.join(repo, 'benchmarks', 'rules', 'zen_graph.js'));
  const decision = new ZenEngine().createDecision(zenGraph(true));
  // Same points on the first purchases (a check that both run the same rules).
  agree = 0;
  const checked = Math.min(raw.length, 500);
  for (let i = 0; i < checked; i++) {
    const [a, b] = await Promise.all([s.purchase.dryRun(purchase(i)), decision.evaluate(raw[i])]);
    if (a.points === Number(b.result.points)) agree++;
  }
  agree = `${agree}/${checked}`;
  for (let i = 0; i < 2000; i++) await decision.evaluate(raw[i % raw.length]);
  z1 = await loops(1, (w, i) => decision.evaluate(raw[i % raw.length]));
  z16 = await loops(16, (w, i) => decision.evaluate(raw[i % raw.length]));
}

console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
console.log(`rules: ${rules.length} (${rulesDir ? path.join(rulesDir, 'rules.json') : 'none'}); dry-run points for the sample purchase: ${sample.points}`);
console.log('| measurement | ns per call | note |');
console.log('|---|---:|---|');
for (const [name, ns, note] of rows) console.log(`| ${name} | ${ns.toFixed(0)} | ${note} |`);
console.log(`| async overhead / pool round trip (balance) | ${((asyncNs - cNs) / noopNs).toFixed(2)}x | goal <= 2x |`);
console.log('');
console.log(`purchases: ${inputs.length}${agree ? `; same points as zen-engine on ${agree}` : ''}`);
console.log('| evaluations per second | 1 in flight | 16 in flight |');
console.log('|---|---:|---:|');
console.log(`| libloyalty purchase.dry_run, full explain trace (16 sessions) | ${t1.toFixed(0)} | ${t16.toFixed(0)} |`);
console.log(`| libloyalty purchase.dry_run, explain none (16 sessions) | ${n1.toFixed(0)} | ${n16.toFixed(0)} |`);
if (z1 !== null) {
  console.log(`| zen-engine evaluate (raw event) | ${z1.toFixed(0)} | ${z16.toFixed(0)} |`);
  console.log(`| libloyalty full trace / zen-engine | ${(t1 / z1).toFixed(2)}x | ${(t16 / z16).toFixed(2)}x (goal >= 5x) |`);
  console.log(`| libloyalty explain none / zen-engine | ${(n1 / z1).toFixed(2)}x | ${(n16 / z16).toFixed(2)}x |`);
}
engine.close();
fs.rmSync(dir, { recursive: true, force: true });
