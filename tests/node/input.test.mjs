// Bad input for every operation, through its generated method: wrong types, missing and unknown
// fields, NaN, huge numbers, undefined vs null, values that are not JSON. Each is a typed
// InvalidError naming the field, and changes nothing (the tenant's events and audit log, and the
// engine's tenants, are the same before and after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedTypes, fixture, loyalty, operations } from './catalogue.mjs';

const { InvalidError, LoyaltyError } = loyalty;

async function snapshot(f) {
  const tenants = await f.admin.tenant.list({ limit: 500 });
  const engineAudit = await f.admin.audit.list({ limit: 500 });
  const events = await f.session.events.poll({ limit: 1000 });
  const audit = await f.session.audit.list({ limit: 500 });
  return JSON.stringify({ tenants, engineAudit, events, audit });
}

async function refused(promise, field, what) {
  const e = await promise.then(
    (r) => assert.fail(`${what}: accepted (${JSON.stringify(r).slice(0, 200)})`),
    (err) => err,
  );
  assert.ok(e instanceof InvalidError, `${what}: ${e && e.name}: ${e && e.message}`);
  assert.ok(e instanceof LoyaltyError);
  assert.equal(e.code, -2, what);
  assert.equal(e.status, 'invalid', what);
  assert.equal(e.field, field, `${what}: field ${e.field} (${e.message})`);
  assert.equal(e.detail.field, field, what);
}

test('the catalogue and the package have the same operations', () => {
  const session = operations.filter((o) => o.handle === 'session').map((o) => o.name).sort();
  const admin = operations.filter((o) => o.handle === 'admin').map((o) => o.name).sort();
  assert.deepEqual([...loyalty.Session.operations], session);
  assert.deepEqual([...loyalty.Admin.operations], admin);
  assert.ok(operations.length >= 90);
});

for (const op of operations) {
  test(`bad input is refused, naming the field, and changes nothing: ${op.handle} ${op.name}`, async () => {
    const f = await fixture(op);
    try {
      const method = f.handle[op.ns][op.method];
      assert.equal(typeof method, 'function', `${op.ns}.${op.method}`);
      const run = (input) => method.call(f.handle[op.ns], input);
      const before = await snapshot(f);
      const props = Object.keys(op.input.properties || {});
      const required = op.input.required || [];
      const example = f.input;

      await refused(run({ ...example, no_such_field: 1 }), 'no_such_field', 'unknown field');
      for (const r of required) {
        const { [r]: _, ...without } = example;
        await refused(run(without), r, `missing ${r}`);
        await refused(run({ ...example, [r]: undefined }), r, `${r}: undefined (absent)`);
        const t = acceptedTypes(op.input.properties[r]);
        if (t && !t.has('null')) await refused(run({ ...example, [r]: null }), r, `${r}: null`);
      }
      // Fields that exclude each other ("not": {"required": [a, b]}): probing one drops the other.
      const exclusive = (op.input.not && op.input.not.required) || [];
      for (const p of props) {
        const example = { ...f.input };
        if (exclusive.includes(p)) for (const q of exclusive) if (q !== p) delete example[q];
        // Refused by the package before the engine is called.
        await refused(run({ ...example, [p]: NaN }), p, `${p}: NaN`);
        await refused(run({ ...example, [p]: Infinity }), p, `${p}: Infinity`);
        await refused(run({ ...example, [p]: 2 ** 60 }), p, `${p}: 2^60`);
        await refused(run({ ...example, [p]: () => 1 }), p, `${p}: a function`);
        await refused(run({ ...example, [p]: new Map() }), p, `${p}: a Map`);
        await refused(run({ ...example, [p]: new Date(NaN) }), p, `${p}: an invalid Date`);
        await refused(run({ ...example, [p]: '\ud800' }), p, `${p}: a lone surrogate`);
        await refused(run({ ...example, [p]: [undefined] }), `${p}[0]`, `${p}: undefined in an array`);
        // Refused by the engine: a JSON type the field's schema does not accept.
        const types = acceptedTypes(op.input.properties[p]);
        if (types && !types.has('boolean')) await refused(run({ ...example, [p]: true }), p, `${p}: true`);
        else if (types && !types.has('array')) await refused(run({ ...example, [p]: [] }), p, `${p}: []`);
      }
      // Not an object at all.
      for (const bad of [[], 'x', 1, new Date()]) {
        const e = await run(bad).then(() => null, (err) => err);
        assert.ok(e instanceof InvalidError, `${JSON.stringify(bad)}: ${e}`);
      }
      assert.equal(await snapshot(f), before, 'the refused calls changed something');
    } finally {
      f.engine.close();
    }
  });
}

test('undefined properties are left out; null is sent as null', () => {
  assert.equal(loyalty.encodeInput({ a: undefined, b: null, c: 1 }), '{"b":null,"c":1}');
  assert.equal(loyalty.encodeInput(undefined), '{}');
  assert.equal(loyalty.encodeInput({ t: new Date(Date.UTC(2026, 2, 1, 12)) }), '{"t":"2026-03-01T12:00:00.000Z"}');
  assert.equal(loyalty.encodeInput({ n: 2n ** 62n }), `{"n":${2n ** 62n}}`);
  assert.equal(loyalty.encodeInput({ n: Number.MAX_SAFE_INTEGER }), `{"n":${Number.MAX_SAFE_INTEGER}}`);
  assert.throws(() => loyalty.encodeInput({ n: Number.MAX_SAFE_INTEGER + 1 }), InvalidError);
  assert.throws(() => loyalty.encodeInput({ a: { b: [{ c: NaN }] } }), (e) => e.field === 'a.b[0].c');
  let deep = {};
  const root = deep;
  for (let i = 0; i < 100; i++) deep = deep.x = {};
  assert.throws(() => loyalty.encodeInput(root), InvalidError);
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => loyalty.encodeInput(cyclic), InvalidError);
});

test('dates in as Date or ISO text, out as ISO text', async () => {
  const op = operations.find((o) => o.name === 'ledger.earn');
  const f = await fixture(op);
  try {
    const when = new Date(Date.now() - 3600_000);
    const a = await f.session.ledger.earn({ ...f.input, occurred_at: when, idempotency_key: 'd-1' });
    const b = await f.session.ledger.earn({ ...f.input, occurred_at: when.toISOString(), idempotency_key: 'd-2' });
    assert.equal(typeof a.entry.occurred_at, 'string');
    assert.equal(a.entry.occurred_at, when.toISOString());
    assert.equal(b.entry.occurred_at, when.toISOString());
  } finally {
    f.engine.close();
  }
});

test('engine options are checked, naming the option', () => {
  const bad = [
    [{ poolSize: 1.5 }, 'poolSize'],
    [{ poolSize: 2 ** 40 }, 'poolSize'],
    [{ uri: 5 }, 'uri'],
    [{ synchronous: 'sometimes' }, 'synchronous'],
    [{ clock: Date.now() }, 'clock'],
    [{ nope: 1 }, 'nope'],
    [{ poolSize: 0 }, 'pool_size'],
    [{ adminKey: 'short' }, 'admin_key'],
  ];
  for (const [opts, field] of bad) {
    assert.throws(() => loyalty.Engine.open(opts), (e) => e instanceof InvalidError && e.field === field, JSON.stringify(opts));
  }
});

test('a result integer beyond 2^53 - 1 is an InternalError naming it; look-alike text parses as it is', async () => {
  const op = operations.find((o) => o.name === 'ledger.earn');
  const f = await fixture(op);
  try {
    // metadata is echoed in the result: the engine keeps any int64, JavaScript numbers cannot
    for (const [n, key] of [
      [2n ** 53n + 1n, 'big'],
      [-(2n ** 60n), 'big'],
    ]) {
      const e = await f.session.ledger.earn({ ...f.input, metadata: { [key]: n }, idempotency_key: `u-${n}` }).then(
        () => assert.fail('accepted'),
        (err) => err,
      );
      assert.ok(e instanceof loyalty.InternalError, `${e && e.name}: ${e && e.message}`);
      assert.equal(e.detail.field, key);
    }
    // a float beyond 2^53 (JavaScript refuses to send one, another client may store it) comes
    // back written with an exponent
    const input = { ...f.input, metadata: { huge: 1 }, idempotency_key: 'u-float' };
    const text = JSON.stringify(input).replace('"huge":1', '"huge":1e300');
    const stored = await f.session.callJson('ledger.earn', text);
    assert.match(stored, /"huge":1e\+300/);
    const e = await f.session.ledger
      .history({ customer_id: f.input.customer_id })
      .then(() => assert.fail('accepted'), (err) => err);
    assert.ok(e instanceof loyalty.InternalError, `${e && e.name}: ${e && e.message}`);
    assert.equal(e.detail.field, 'huge');
    // digits and exponents inside strings, and safe numbers, come back unchanged
    const meta = { sku: 'A1e5', code: '12345678901234567890', n: Number.MAX_SAFE_INTEGER, x: 1.5 };
    const r = await f.session.ledger.earn({ ...f.input, metadata: meta, idempotency_key: 'u-ok' });
    assert.deepEqual(r.entry.metadata, meta);
  } finally {
    f.engine.close();
  }
});
