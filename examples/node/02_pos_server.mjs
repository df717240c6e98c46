// A point-of-sale endpoint over plain `node:http`: tills POST purchases, the engine applies the
// program's rules and earns the points exactly once per order (the order id is the idempotency
// key, so a till that retries after a timeout never earns twice).
//
//   node examples/node/02_pos_server.mjs [DATABASE_FILE]
//   POST /purchases  {"customer": "alice@example.com", "order_id": "till-1-0042", "amount": 1250,
//                     "items": [{"sku": "latte", "quantity": 2, "unit_price": 350}]}
//        -> 201 {points, balance, replayed}   (200 with replayed: true on a retry)
//   GET  /customers/<external id>/balance
// Errors come back as {status, field, message} with 400 (invalid), 404, 409 (conflict), 422.
// PORT (default 0: any free port) and HOST (default 127.0.0.1) choose the address; the server
// prints `listening on http://HOST:PORT` when ready. POS_EXIT_AFTER_MS stops it after that long.
import http from 'node:http';
import { Engine, LoyaltyError } from 'libloyalty';

const engine = Engine.open({ uri: process.argv[2] ?? ':memory:', adminKey: 'pos-example-admin-credential-01' });
const created = await engine.admin().tenant.create({ name: 'Corner cafe' });
const setup = engine.session(created.api_key.key);
await setup.program.create({ name: 'Beans', currency: 'EUR', return_policy: 'within_balance' });
// One point per euro (amount in cents).
await setup.rule.create({ name: 'A point per euro', actions: [{ type: 'per_currency', rate: 1, unit: 100 }] });
// A till key may only submit purchases and read (scope "pos").
const till = await setup.apikey.create({ name: 'till', scopes: ['pos'] });
setup.close();

// Sessions are cheap and the package queues the calls made on one, so a small pool spreads
// the requests over the engine's threads.
const sessions = Array.from({ length: 4 }, () => engine.session(till.key));
let next = 0;
const session = () => sessions[next++ % sessions.length];

const HTTP_STATUS = { invalid: 400, not_found: 404, conflict: 409, insufficient: 422, forbidden: 403, busy: 503 };

async function customerId(s, externalId) {
  try {
    return (await s.customer.get({ external_id: externalId })).id;
  } catch (e) {
    if (!(e instanceof LoyaltyError) || e.status !== 'not_found') throw e;
    try {
      return (await s.customer.enroll({ external_id: externalId })).id;
    } catch (e2) {
      if (e2 instanceof LoyaltyError && e2.status === 'conflict') return (await s.customer.get({ external_id: externalId })).id;
      throw e2;
    }
  }
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 1 << 20) throw Object.assign(new Error('body too large'), { http: 413 });
  }
  try {
    return JSON.parse(body);
  } catch {
    throw Object.assign(new Error('malformed JSON'), { http: 400 });
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const s = session();
  if (req.method === 'POST' && url.pathname === '/purchases') {
    const { customer, ...purchase } = await readJson(req);
    if (typeof customer !== 'string') throw Object.assign(new Error('customer: an external id is required'), { http: 400 });
    const customer_id = await customerId(s, customer);
    const r = await s.purchase.submit({ ...purchase, customer_id });
    return [r.replayed ? 200 : 201, { points: r.points, balance: r.balance.balance, replayed: r.replayed }];
  }
  const m = /^\/customers\/([^/]+)\/balance$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    const c = await s.customer.get({ external_id: decodeURIComponent(m[1]) });
    return [200, await s.ledger.balance({ customer_id: c.id })];
  }
  return [404, { status: 'not_found', message: `no route ${req.method} ${url.pathname}` }];
}

const server = http.createServer((req, res) => {
  handle(req, res)
    .catch((e) => {
      if (e instanceof LoyaltyError) return [HTTP_STATUS[e.status] ?? 500, { status: e.status, field: e.field, message: e.message }];
      if (e.http) return [e.http, { status: 'invalid', message: e.message }];
      console.error(e);
      return [500, { status: 'error', message: 'internal error' }];
    })
    .then(([code, body]) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
});

function shutdown() {
  server.close();
  for (const s of sessions) s.close();
  engine.close();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
if (process.env.POS_EXIT_AFTER_MS) setTimeout(shutdown, Number(process.env.POS_EXIT_AFTER_MS)).unref();

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port}`);
});
