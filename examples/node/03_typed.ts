// A TypeScript tour of every namespace, type-checked by `tsc --noEmit` (tests: tsconfig.json
// here; scripts/test-node.sh). Run it as JavaScript with any TypeScript runner; the types come
// from the package's index.d.ts, generated from the operation catalogue.
import {
  Engine,
  ManualClock,
  InsufficientPointsError,
  LoyaltyError,
  type LedgerEarnInput,
  type Entry,
  type Session,
} from 'libloyalty';

async function tour(session: Session): Promise<void> {
  const info = await session.session.info();
  console.log(info.tenant.id);
  const key = await session.apikey.create({ name: 'till', scopes: ['pos'] });
  await session.apikey.list({});
  await session.apikey.revoke({ id: key.id });

  const program = await session.program.create({ name: 'Main', currency: 'EUR' });
  await session.program.get({ id: program.id });
  const alice = await session.customer.enroll({ external_id: 'alice' });

  const earn: LedgerEarnInput = { customer_id: alice.id, points: 500, occurred_at: new Date() };
  const earned = await session.ledger.earn(earn);
  const entry: Entry = earned.entry;
  const points: number = earned.balance.available;
  console.log(entry.id, points);
  const balance = session.ledger.balanceSync({ customer_id: alice.id });
  console.log(balance.balance);
  await session.ledger.history({ customer_id: alice.id, limit: 10 });

  const hold = await session.hold.create({ customer_id: alice.id, points: 50, ttl_seconds: 600 });
  await session.hold.void({ id: hold.hold.id });
  await session.events.poll({ limit: 100 });

  await session.tier.create({ name: 'Gold', rank: 1, threshold: 1000 });
  await session.tier.list({});
  await session.rule.create({
    name: 'Double points on Sundays',
    conditions: { all: [{ fact: 'purchase.weekday', operator: 'eq', value: 7 }] },
    actions: [{ type: 'multiply', factor: '2' }],
  });
  await session.purchase.dryRun({
    customer_id: alice.id,
    order_id: 'o-1',
    amount: 4250,
    items: [{ sku: 'coffee', quantity: 2, unit_price: 350 }],
  });
  const shop = await session.location.create({ name: 'Main street', lat: 52.37, lon: 4.89, geofence: { radius_m: 150 } });
  await session.location.nearby({ lat: 52.37, lon: 4.89, radius_m: 1000 });
  await session.checkin.list({ location_id: shop.id });

  const reward = await session.reward.create({ name: 'Free coffee', cost_points: 100, stock: 10 });
  const redeemed = await session.reward.redeem({ reward_id: reward.id, customer_id: alice.id, idempotency_key: 'r-1' });
  await session.redemption.byCode({ code: redeemed.redemption.coupon_code ?? '' });

  await session.ai.configure({ provider: 'offline' });
  const churn = await session.ai.churn({ customer_id: alice.id });
  console.log(churn.cached);
  await session.audit.verify({});

  try {
    await session.ledger.redeem({ customer_id: alice.id, points: 1_000_000 });
  } catch (e) {
    if (e instanceof InsufficientPointsError) console.log(e.code, e.status, e.field, e.detail);
    else if (e instanceof LoyaltyError) throw e;
  }

  // @ts-expect-error points must be a number
  await session.ledger.earn({ customer_id: alice.id, points: '5' });
  // @ts-expect-error unknown operation on the namespace
  await session.ledger.earnEverything({});
  // @ts-expect-error customer_id is required
  await session.ledger.balance({});
}

async function main(): Promise<void> {
  const clock = new ManualClock('2026-03-01T12:00:00Z');
  const engine = Engine.open({ adminKey: 'typed-example-admin-key', clock });
  const admin = engine.admin();
  const created = await admin.tenant.create({ name: 'Bakery', timezone: 'Europe/Amsterdam' });
  await admin.tenant.list({ active: true });
  await admin.apikey.create({ tenant_id: created.tenant.id, scopes: ['read'] });
  await admin.audit.list({});
  const session = engine.session(created.api_key.key);
  await tour(session);
  session.close();
  admin.close();
  engine.close();
}

void main();
