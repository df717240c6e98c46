// Handles: closed and collected in every order, never a crash; use after close is MisuseError;
// a handle of the wrong type is a TypeError. Run with --expose-gc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loyalty, REPO } from './catalogue.mjs';

const require = createRequire(import.meta.url);
const ADMIN_KEY = 'lifecycle-admin-key-0123456789';
const { Engine, Admin, Session, MisuseError, ForbiddenError } = loyalty;

async function gcCycles() {
  assert.equal(typeof global.gc, 'function', 'run with --expose-gc');
  for (let i = 0; i < 5; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
}

async function world() {
  const engine = Engine.open({ adminKey: ADMIN_KEY });
  const admin = engine.admin();
  const t = await admin.tenant.create({ name: 'Shop' });
  const session = engine.session(t.api_key.key);
  await session.program.create({ name: 'Main', currency: 'EUR' });
  const customer = await session.customer.enroll({ external_id: 'a' });
  return { engine, admin, session, key: t.api_key.key, customer: customer.id };
}

const ORDERS = [
  ['engine', 'admin', 'session'],
  ['engine', 'session', 'admin'],
  ['admin', 'engine', 'session'],
  ['admin', 'session', 'engine'],
  ['session', 'engine', 'admin'],
  ['session', 'admin', 'engine'],
];

for (const order of ORDERS) {
  test(`close in the order ${order.join(', ')}; every later call is MisuseError`, async () => {
    const w = await world();
    for (const name of order) {
      w[name].close();
      w[name].close(); // idempotent
    }
    await assert.rejects(w.session.ledger.balance({ customer_id: w.customer }), MisuseError);
    await assert.rejects(w.admin.tenant.list({}), MisuseError);
    assert.throws(() => w.engine.session(w.key), MisuseError);
    assert.throws(() => w.engine.admin(), MisuseError);
    assert.ok(w.session.closed && w.admin.closed && w.engine.closed);
  });
}

test('closing the engine alone: its sessions and admins get MisuseError', async () => {
  const w = await world();
  w.engine.close();
  await assert.rejects(w.session.ledger.balance({ customer_id: w.customer }), (e) => e instanceof MisuseError && e.code === -12);
  await assert.rejects(w.admin.tenant.list({}), MisuseError);
  assert.throws(() => w.session.ledger.balanceSync({ customer_id: w.customer }), MisuseError);
});

test('close while calls are in flight: they finish, later calls are refused', async () => {
  const w = await world();
  const calls = [];
  for (let i = 0; i < 20; i++) calls.push(w.session.ledger.earn({ customer_id: w.customer, points: 1 }));
  w.session.close();
  const results = await Promise.all(calls);
  assert.equal(results[19].balance.balance, 20);
  await assert.rejects(w.session.ledger.earn({ customer_id: w.customer, points: 1 }), MisuseError);
  const other = w.engine.session(w.key);
  assert.equal((await other.ledger.balance({ customer_id: w.customer })).balance, 20);
  w.engine.close();
});

for (const keep of ['engine', 'admin', 'session', 'nothing']) {
  test(`garbage collection of everything but the ${keep}`, async () => {
    let w = await world();
    const kept = keep === 'nothing' ? null : w[keep];
    const { customer, key } = w;
    w = null;
    await gcCycles();
    if (kept instanceof Session) assert.equal((await kept.ledger.balance({ customer_id: customer })).balance, 0);
    if (kept instanceof Admin) assert.ok((await kept.tenant.list({})).items.length === 1);
    if (kept instanceof Engine) await kept.session(key).customer.get({ id: customer });
    await gcCycles();
  });
}

test('garbage collection with calls in flight and handles dropped', async () => {
  const w = await world();
  const { customer, key, engine } = w;
  const calls = [];
  for (let i = 0; i < 10; i++) {
    calls.push(engine.session(key).ledger.earn({ customer_id: customer, points: 1 }));
  }
  await gcCycles();
  const results = await Promise.all(calls);
  assert.equal(results.length, 10);
  await gcCycles();
  assert.equal(engine.session(key).ledger.balanceSync({ customer_id: customer }).balance, 10);
});

test('a handle of the wrong type is a TypeError, never a crash', async () => {
  const w = await world();
  const native = require(path.join(REPO, 'bindings', 'node', 'lib', 'native.js'));
  assert.throws(() => Engine.prototype.session.call(w.session, w.key), TypeError);
  assert.throws(() => Engine.prototype.admin.call(w.admin), TypeError);
  assert.throws(() => Session.prototype.close.call(w.engine), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(Session.prototype, 'ledger').get.call(w.admin), TypeError);
  assert.throws(() => native.sessionOpen(w.session._h, w.key), TypeError);
  assert.throws(() => native.call(w.engine._h, 'ledger.balance', '{}'), TypeError);
  assert.throws(() => native.call({}, 'ledger.balance', '{}'), TypeError);
  assert.throws(() => native.engineClose(w.admin._h), TypeError);
  assert.throws(() => native.clockGet(w.engine._h), TypeError);
  assert.throws(() => new Session(w.admin._h), TypeError);
  assert.throws(() => new Engine({}), TypeError);
  // Still usable afterwards.
  assert.equal((await w.session.ledger.balance({ customer_id: w.customer })).balance, 0);
  w.engine.close();
});

test('errors carry code, status, field and detail', async () => {
  const w = await world();
  assert.throws(() => w.engine.admin('wrong-admin-key-0123456789'), (e) => e instanceof ForbiddenError && e.status === 'forbidden');
  const e = await w.session.ledger.redeem({ customer_id: w.customer, points: 5 }).catch((err) => err);
  assert.ok(e instanceof loyalty.InsufficientPointsError, String(e));
  assert.equal(e.code, -5);
  assert.equal(e.status, 'insufficient');
  assert.equal(typeof e.detail, 'object');
  assert.ok(e instanceof loyalty.LoyaltyError && e instanceof Error);
  const nf = await w.session.customer.get({ id: 'nope' }).catch((err) => err);
  assert.ok(nf instanceof loyalty.NotFoundError);
  assert.equal(nf.field, 'id');
  const op = await w.session.call('no.such', {}).catch((err) => err);
  assert.ok(op instanceof loyalty.InvalidError && op.field === 'operation');
  w.engine.close();
});

test('nothing leaks: closed or collected, every C handle is freed', async () => {
  const native = require(path.join(REPO, 'bindings', 'node', 'lib', 'native.js'));
  await gcCycles();
  const base = native.liveHandles();
  // Closed explicitly, with calls in flight.
  {
    const w = await world();
    const extra = Array.from({ length: 30 }, () => w.engine.session(w.key));
    const admins = Array.from({ length: 5 }, () => w.engine.admin());
    assert.equal(native.liveHandles(), base + 3 + 35);
    const calls = extra.map((s) => s.ledger.balance({ customer_id: w.customer }));
    for (const s of [...extra, ...admins, w.session, w.admin]) s.close();
    w.engine.close();
    // Each call finishes: with its result, or MisuseError when the engine closed before it ran.
    for (const r of await Promise.allSettled(calls)) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof MisuseError, String(r.reason));
    }
    assert.equal(native.liveHandles(), base);
  }
  // Dropped without closing, some with calls in flight: collected.
  {
    let w = await world();
    let extra = Array.from({ length: 30 }, () => w.engine.session(w.key));
    const calls = extra.map((s) => s.ledger.balance({ customer_id: w.customer }));
    Array.from({ length: 5 }, () => w.engine.admin());
    extra = null;
    w = null;
    await Promise.all(calls);
    await gcCycles();
    assert.equal(native.liveHandles(), base);
  }
});

test('the log sink receives the engine messages on the JavaScript thread; a throwing sink breaks nothing', async () => {
  const seen = [];
  const engine = Engine.open({ adminKey: ADMIN_KEY, log: (level, msg) => seen.push([level, msg]) });
  const t = await engine.admin().tenant.create({ name: 'Logged' });
  engine.close();
  for (let i = 0; i < 5 && !seen.some(([, m]) => m === 'engine closed'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(seen[0][0], 'info');
  assert.match(seen[0][1], /engine opened/);
  assert.deepEqual(seen.at(-1), ['info', 'engine closed']);
  assert.ok(t.tenant.id);

  const broken = Engine.open({ adminKey: ADMIN_KEY, log: () => { throw new Error('sink broke'); } });
  assert.equal((await broken.admin().tenant.create({ name: 'T' })).tenant.name, 'T');
  broken.close();
  await new Promise((r) => setTimeout(r, 20));
  assert.throws(() => Engine.open({ log: 'console' }), (e) => e instanceof loyalty.InvalidError && e.field === 'log');
});
