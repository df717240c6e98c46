// Quickstart: a tenant, a program, a customer; earn (exactly once), redeem a reward, history,
// verify.
//
// Run:  node examples/node/01_quickstart.mjs [DATABASE_FILE]
// in a project where the package is installed (`npm install libloyalty-X.Y.Z.tgz`); without an
// argument the database is in memory.
import { Engine, ConflictError, InsufficientPointsError } from 'libloyalty';

const uri = process.argv[2] ?? ':memory:';
const engine = Engine.open({ uri, adminKey: 'quickstart-admin-credential-0123' });
try {
  // The engine administrator creates tenants; each comes with a first admin-scoped API key.
  const created = await engine.admin().tenant.create({ name: `Coffee ${Date.now()}` });
  const apiKey = created.api_key.key; // shown once: store it safely

  const shop = engine.session(apiKey);
  await shop.program.create({ name: 'Beans', currency: 'EUR', return_policy: 'within_balance' });
  const alice = await shop.customer.enroll({ external_id: 'alice@example.com' });

  // Earn with an idempotency key: retrying the same request is exactly-once.
  const order = {
    customer_id: alice.id,
    points: 300,
    idempotency_key: 'order-1001',
    occurred_at: new Date(Date.now() - 60_000), // a Date or an ISO string; results carry ISO strings
  };
  const earned = await shop.ledger.earn(order);
  const again = await shop.ledger.earn(order);
  if (!again.replayed || again.entry.id !== earned.entry.id) throw new Error('not replayed');
  console.log('earned:', earned.entry.points, 'at', earned.entry.occurred_at);

  // The same key with another payload is a conflict naming the field.
  try {
    await shop.ledger.earn({ ...order, points: 150 });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    console.log('conflict on field:', e.field);
  }

  // A reward, redeemed in one step: points, a unit of stock and a coupon code, atomically.
  const coffee = await shop.reward.create({ name: 'Free coffee', cost_points: 100, stock: 10 });
  const redeemed = await shop.reward.redeem({ reward_id: coffee.id, customer_id: alice.id, idempotency_key: 'till-1-0001' });
  console.log('coupon:', redeemed.redemption.coupon_code, 'balance:', redeemed.balance.balance);

  try {
    await shop.ledger.redeem({ customer_id: alice.id, points: 1000 });
  } catch (e) {
    if (!(e instanceof InsufficientPointsError)) throw e;
    console.log('cannot redeem 1000 points; available:', e.detail.available);
  }

  const history = await shop.ledger.history({ customer_id: alice.id });
  for (const entry of history.items) console.log(`  ${entry.type.padEnd(8)} ${String(entry.points).padStart(5)}`);

  const verified = await shop.ledger.verify({});
  if (!verified.ok) throw new Error('ledger invariants violated');
  console.log('ledger verified');
  shop.close();
} finally {
  engine.close();
}
