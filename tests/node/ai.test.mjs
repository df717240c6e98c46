// A JavaScript object as the host's AI provider (loyalty/sys/ai_provider.h through a thread-safe
// function): its answers are used; a provider that throws, rejects, hangs, answers garbage, or
// was dropped and collected gives UnavailableError (or InvalidError for output that breaks the
// schema) for the AI call only, and never blocks or fails an earn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loyalty } from './catalogue.mjs';

const { Engine, UnavailableError, InvalidError } = loyalty;

function host(mode = 'ok') {
  const calls = [];
  const answer = (name, out) => {
    calls.push(name);
    if (mode === 'throw') throw new Error('model offline');
    if (mode === 'reject') return Promise.reject(new Error('model offline'));
    if (mode === 'hang') return new Promise(() => {});
    if (mode === 'garbage') return { nonsense: true };
    return mode === 'sync' ? out : Promise.resolve(out);
  };
  return {
    calls,
    model: 'js-host-1',
    recommendations: () => answer('recommendations', { items: [] }),
    churn: (input) =>
      answer('churn', {
        customers: input.customers.map((c) => ({ id: c.id, risk: 0.9, band: 'high', factors: [], actions: ['call'] })),
      }),
    segmentation: (input) =>
      answer('segmentation', {
        segments: [{ name: 'all', definition: 'everyone', size: input.customers.length, members: input.customers.map((c) => c.id) }],
      }),
    feedback: (input) =>
      answer('feedback', {
        items: input.items.map((i) => ({ id: i.id, sentiment: 'positive', score: 0.8, themes: [] })),
        summary: {
          count: input.items.length,
          positive: input.items.length,
          negative: 0,
          neutral: 0,
          mixed: 0,
          average_score: 0.8,
          top_themes: [],
          text: 'happy customers',
        },
      }),
    locationInsights: () => answer('location_insights', { locations: [] }),
  };
}

async function world() {
  const engine = Engine.open({ adminKey: 'ai-test-admin-key-0123456789' });
  const t = await engine.admin().tenant.create({ name: 'Shop' });
  const session = engine.session(t.api_key.key);
  await session.program.create({ name: 'Main', currency: 'EUR' });
  const customer = (await session.customer.enroll({ external_id: 'a' })).id;
  await session.ai.configure({ provider: 'callback' });
  return { engine, session, customer };
}

test('offline is the default; callback without a provider is unavailable', async () => {
  const engine = Engine.open({ adminKey: 'ai-test-admin-key-0123456789' });
  const t = await engine.admin().tenant.create({ name: 'Shop' });
  const s = engine.session(t.api_key.key);
  await s.program.create({ name: 'Main', currency: 'EUR' });
  const c = (await s.customer.enroll({ external_id: 'a' })).id;
  const r = await s.ai.churn({ customer_id: c });
  assert.equal(r.provider, 'offline');
  assert.equal(r.output.customers[0].id, c);
  await s.ai.configure({ provider: 'callback' });
  await assert.rejects(s.ai.churn({ customer_id: c, refresh: true }), UnavailableError);
  engine.close();
});

for (const mode of ['ok', 'sync']) {
  test(`a JavaScript provider answers (${mode})`, async () => {
    const w = await world();
    const h = host(mode);
    w.engine.setAiProvider(h);
    const r = await w.session.ai.churn({ customer_id: w.customer });
    assert.equal(r.provider, 'callback');
    assert.equal(r.model, 'js-host-1');
    assert.equal(r.output.customers[0].id, w.customer); // mapped back from the pseudonym
    assert.equal(r.output.customers[0].risk, 0.9);
    const f = await w.session.ai.feedback({ texts: ['Great coffee'] });
    assert.equal(f.output.items[0].sentiment, 'positive');
    await w.session.ai.locationInsights({});
    assert.deepEqual(h.calls, ['churn', 'feedback', 'location_insights']);
    w.engine.close();
  });
}

for (const mode of ['throw', 'reject', 'hang', 'garbage']) {
  test(`a provider that ${mode}s fails the AI call only; earns go on`, async () => {
    const w = await world();
    w.engine.setAiProvider(host(mode), { timeoutMs: 300 });
    const started = Date.now();
    const ai = w.session.ai.churn({ customer_id: w.customer });
    const earns = [];
    for (let i = 0; i < 20; i++) earns.push(w.session.ledger.earn({ customer_id: w.customer, points: 1 }));
    await assert.rejects(ai, mode === 'garbage' ? InvalidError : UnavailableError);
    const results = await Promise.all(earns);
    assert.equal(results[19].balance.balance, 20);
    assert.ok(Date.now() - started < 5000);
    w.engine.close();
  });
}

test('a provider dropped by the program and collected keeps working until replaced; null unregisters', async () => {
  const w = await world();
  w.engine.setAiProvider(host());
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const r = await w.session.ai.churn({ customer_id: w.customer });
  assert.equal(r.model, 'js-host-1');
  w.engine.setAiProvider(null);
  await assert.rejects(w.session.ai.churn({ customer_id: w.customer, refresh: true }), UnavailableError);
  assert.equal((await w.session.ledger.earn({ customer_id: w.customer, points: 5 })).balance.balance, 5);
  w.engine.close();
});

test('a synchronous AI read is not offered (it would block the thread the provider answers on)', async () => {
  const w = await world();
  assert.equal(w.session.ai.churnSync, undefined);
  w.engine.setAiProvider(host());
  // Through the generic path it fails fast instead of waiting for itself.
  assert.throws(() => w.session.callSync('ai.churn', { customer_id: w.customer }), UnavailableError);
  w.engine.close();
});

test('the provider argument is checked', async () => {
  const w = await world();
  assert.throws(() => w.engine.setAiProvider(5), TypeError);
  assert.throws(() => w.engine.setAiProvider(host(), { timeoutMs: 0 }), InvalidError);
  w.engine.close();
});
