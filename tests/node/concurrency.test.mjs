// Many Promises in flight: 1,000 calls on one engine across many sessions, then ledger.verify
// passes and every balance is exact. Calls on one session run one at a time, in call order (the
// addon's per-session queue: a loy_session is never used by two pool threads at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loyalty } from './catalogue.mjs';

const ADMIN_KEY = 'concurrency-admin-key-0123456789';

async function tenant(engine, name) {
  const admin = engine.admin(ADMIN_KEY);
  const t = await admin.tenant.create({ name });
  admin.close();
  const s = engine.session(t.api_key.key);
  await s.program.create({ name: 'Main', currency: 'EUR' });
  return { key: t.api_key.key, session: s };
}

test('1,000 Promises in flight across 20 sessions; verify passes; balances exact', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-node-conc-'));
  const engine = loyalty.Engine.open({ uri: path.join(dir, 'c.db'), adminKey: ADMIN_KEY, poolSize: 4, synchronous: 'normal' });
  try {
    const { key, session } = await tenant(engine, 'Shop');
    const customers = [];
    for (let i = 0; i < 10; i++) customers.push((await session.customer.enroll({ external_id: `c${i}` })).id);
    const sessions = Array.from({ length: 20 }, () => engine.session(key));
    const calls = [];
    for (let i = 0; i < 1000; i++) {
      const s = sessions[i % sessions.length];
      const c = customers[i % customers.length];
      if (i % 10 === 9) calls.push(s.ledger.balance({ customer_id: c }));
      else calls.push(s.ledger.earn({ customer_id: c, points: 1 + (i % 7), idempotency_key: `k-${i}` }));
    }
    assert.ok(sessions.some((s) => s.pending > 1), 'calls were queued on the sessions');
    const results = await Promise.all(calls);
    assert.equal(results.length, 1000);
    const want = new Map(customers.map((c) => [c, 0]));
    for (let i = 0; i < 1000; i++) if (i % 10 !== 9) want.set(customers[i % 10], want.get(customers[i % 10]) + 1 + (i % 7));
    for (const c of customers) {
      const b = await session.ledger.balance({ customer_id: c });
      assert.equal(b.balance, want.get(c));
    }
    const v = await session.ledger.verify({});
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.ok(sessions.every((s) => s.pending === 0));
    for (const s of sessions) s.close();
    session.close();
  } finally {
    engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('calls on one session complete in call order; a sync call while some are in flight is refused', async () => {
  const engine = loyalty.Engine.open({ adminKey: ADMIN_KEY });
  try {
    const { session } = await tenant(engine, 'Order');
    const c = (await session.customer.enroll({ external_id: 'a' })).id;
    const order = [];
    const calls = [];
    for (let i = 0; i < 50; i++) {
      calls.push(session.ledger.earn({ customer_id: c, points: 1 }).then((r) => order.push(r.balance.balance)));
    }
    assert.throws(() => session.ledger.balanceSync({ customer_id: c }), loyalty.MisuseError);
    await Promise.all(calls);
    assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(session.ledger.balanceSync({ customer_id: c }).balance, 50);
  } finally {
    engine.close();
  }
});
