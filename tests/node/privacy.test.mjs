// The master key of personal data from Node (`masterKey`, docs/security.md): sealed profile
// fields read back with the key, looked up by e-mail, unavailable without it; another key is
// ForbiddenError; export and erase through the admin handle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loyalty } from './catalogue.mjs';

const { Engine, ForbiddenError, InvalidError } = loyalty;
const ADMIN_KEY = 'privacy-admin-key-0123456789';
const KEY = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);

test('masterKey: personal fields sealed, read back with the key, unavailable without it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loy-node-privacy-'));
  const uri = path.join(dir, 'p.db');
  try {
    let engine = Engine.open({ uri, adminKey: ADMIN_KEY, masterKey: KEY });
    const t = await engine.admin().tenant.create({ name: 'Shop' });
    let s = engine.session(t.api_key.key);
    await s.program.create({ name: 'Main', currency: 'EUR' });
    const c = await s.customer.enroll({ external_id: 'a', profile: { name: 'Zoë Émile', email: 'zoe@example.com' } });
    assert.equal(c.personal_data, 'available');
    engine.close();
    assert.ok(!fs.readFileSync(uri).includes('zoe@example.com'), 'the e-mail is not in the file in plain text');

    assert.throws(() => Engine.open({ uri, masterKey: OTHER }), ForbiddenError);
    assert.throws(() => Engine.open({ uri, masterKey: 'not a key' }), InvalidError);

    engine = Engine.open({ uri, masterKey: KEY });
    s = engine.session(t.api_key.key);
    const found = await s.customer.get({ email: 'zoe@example.com' });
    assert.equal(found.id, c.id);
    assert.equal(found.profile.name, 'Zoë Émile');
    await s.ledger.earn({ customer_id: c.id, points: 40 });
    const doc = await s.customer.export({ id: c.id });
    assert.equal(doc.format, 'loyalty.customer-export/1');
    assert.equal(doc.customer.profile.email, 'zoe@example.com');
    assert.equal(doc.accounts[0].balance.available, 40);
    engine.close();

    engine = Engine.open({ uri });
    s = engine.session(t.api_key.key);
    const blind = await s.customer.get({ id: c.id });
    assert.equal(blind.personal_data, 'unavailable');
    assert.equal(blind.profile.name, undefined);
    engine.close();

    engine = Engine.open({ uri, masterKey: KEY });
    s = engine.session(t.api_key.key);
    const erased = await s.customer.erase({ id: c.id });
    assert.equal(erased.already_erased, false);
    const after = await s.customer.get({ id: c.id });
    assert.equal(after.personal_data, 'erased');
    assert.equal((await s.ledger.balance({ customer_id: c.id })).available, 40);
    engine.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
