// The rule set of rules_bench.cpp modelled in json-rules-engine and in @gorules/zen-engine, run
// over the same events, single-threaded, one evaluation at a time, in two variants per engine:
//
// - "precomputed facts" (events.json): the C++ side computes the local weekday and minutes, the
//   per-category totals and the dairy flag before the engine is called (favours the peers).
// - "raw event" (events-raw.json): each engine gets what libloyalty gets (UTC event time in ms,
//   amount, channel, location, tier, tier multiplier, segments, birthday, prior purchases, the
//   items with sku, category, quantity and unit price) and derives every fact in its own idiom:
//   json-rules-engine through dynamic facts (engine.addFact) computing category sums over the
//   items and the local time in Europe/Berlin with Intl.DateTimeFormat; zen-engine in its
//   expression language (filter/map/sum over the items, d(at).tz('Europe/Berlin') for local time).
//   Points: zen computes them inside its decision graph (groups, multipliers, cap included);
//   json-rules-engine decides which rules fire and each rule's event carries its action as params
//   (fixed points, a rate on the amount or on a category's sum, a multiplier, the tier
//   multiplier, a cap, its stacking group); a generic applier after engine.run applies the fired
//   events in priority order, reading the sums from the run's almanac (the engine has no actions).
//
// Each engine runs PASSES passes over the events; its best rate is reported (as the C++ side
// reports its best of 5).
// Writes {name: {points, eps, p50_us, p99_us}} to <work dir>/peers.json.
// usage: node peers.js <work dir> <node_modules dir>
'use strict';
const fs = require('fs');
const path = require('path');
const [dir, modules] = process.argv.slice(2);
const { Engine } = require(path.join(modules, 'json-rules-engine'));
const { ZenEngine } = require(path.join(modules, '@gorules/zen-engine'));
const events = JSON.parse(fs.readFileSync(path.join(dir, 'events.json')));
const rawEvents = JSON.parse(fs.readFileSync(path.join(dir, 'events-raw.json')));
const ZONE = 'Europe/Berlin';

// ---------------------------------------------------------------------------------------------
// json-rules-engine, precomputed facts: one rule per libloyalty rule; the engine reports which
// fired, and the points follow from the fired set in priority order (groups, multipliers, cap).
const c = (fact, operator, value) => ({ fact, operator, value });
const rule = (name, priority, all) => ({ name, priority, conditions: { all }, event: { type: name } });
const jreRules = [
  rule('happy hour', 85, [c('minutes', 'greaterThanInclusive', 17 * 60), c('minutes', 'lessThanInclusive', 18 * 60 + 59)]),
  rule('spend 50', 80, [c('amount', 'greaterThanInclusive', 5000)]),
  rule('spend 100', 80, [c('amount', 'greaterThanInclusive', 10000)]),
  rule('first purchase', 70, [c('first', 'equal', true)]),
  rule('birthday month', 70, [c('birthdayMonth', 'equal', true)]),
  rule('flagship', 60, [c('location', 'equal', 'loc_1')]),
  rule('mall till', 60, [c('location', 'in', ['loc_2', 'loc_3']), c('channel', 'equal', 'pos')]),
  rule('app', 60, [c('channel', 'equal', 'app')]),
  rule('web 30', 60, [c('channel', 'equal', 'web'), c('amount', 'greaterThanInclusive', 3000)]),
  rule('two dairy', 50, [c('dairy2', 'equal', true)]),
  rule('toys 40', 50, [c('toys', 'greaterThanInclusive', 4000)]),
  rule('vip', 50, [c('vip', 'equal', true)]),
  rule('promo store 4', 41, [c('location', 'equal', 'loc_4')]),
  rule('promo over 20', 40, [c('amount', 'greaterThanInclusive', 2000)]),
  rule('weekend', 10, [c('weekday', 'in', [6, 7])]),
  rule('tier', 5, [c('tier', 'in', ['gold', 'platinum'])]),
];
function jrePoints(f, fired) {
  let p = Math.floor(f.amount / 100) + Math.floor(f.elec * 2 / 100) + Math.floor(f.bev / 100) + Math.floor(f.produce / 200);
  if (fired.has('happy hour')) p += Math.floor(f.bev * 2 / 100);
  p += fired.has('spend 100') ? 100 : fired.has('spend 50') ? 50 : 0;
  for (const [n, v] of [['first purchase', 200], ['birthday month', 100], ['flagship', 25], ['mall till', 15], ['app', 10],
                        ['web 30', 20], ['two dairy', 30], ['toys 40', 40], ['vip', 30]])
    if (fired.has(n)) p += v;
  p += fired.has('promo store 4') ? 60 : fired.has('promo over 20') ? 40 : 0;
  if (fired.has('weekend')) p *= 2;
  if (fired.has('tier')) p += Math.floor(p * Math.round((f.tm - 1) * 100) / 100);
  return Math.min(p, 2000);
}

// ---------------------------------------------------------------------------------------------
// json-rules-engine, raw event: dynamic facts derive everything from the purchase; every rule's
// event carries its action. Rates are exact integer fractions: points = floor(base * times / per).
const fixed = (points) => ({ kind: 'fixed', points });
const rate = (times, per, category) => ({ kind: 'rate', times, per, category });
let seq = 0;
const rawRule = (name, priority, all, action, group) => ({
  name, priority, conditions: { all },
  event: { type: name, params: { ...action, priority, seq: seq++, group } },
});
const catAmount = (category, op, value) => ({ fact: 'categoryAmount', params: { category }, operator: op, value });
const local = (field, op, value) => ({ fact: 'local', path: `$.${field}`, operator: op, value });
const spend = { name: 'spend', mode: 'highest' };
const promo = { name: 'promo', mode: 'first' };
const jreRawRules = [
  rawRule('base rate', 100, [], rate(1, 100)),
  rawRule('electronics x3', 90, [], rate(2, 100, 'electronics')),
  rawRule('beverages x2', 90, [], rate(1, 100, 'beverages')),
  rawRule('produce x1.5', 90, [], rate(1, 200, 'produce')),
  rawRule('happy hour beverages', 85, [local('minutes', 'greaterThanInclusive', 17 * 60),
                                       local('minutes', 'lessThanInclusive', 18 * 60 + 59)], rate(2, 100, 'beverages')),
  rawRule('spend 50', 80, [c('amount', 'greaterThanInclusive', 5000)], fixed(50), spend),
  rawRule('spend 100', 80, [c('amount', 'greaterThanInclusive', 10000)], fixed(100), spend),
  rawRule('first purchase', 70, [c('prior_purchases', 'equal', 0)], fixed(200)),
  rawRule('birthday month', 70, [c('birthdayMonth', 'equal', true)], fixed(100)),
  rawRule('flagship store', 60, [c('location', 'equal', 'loc_1')], fixed(25)),
  rawRule('mall stores at the till', 60, [c('location', 'in', ['loc_2', 'loc_3']), c('channel', 'equal', 'pos')], fixed(15)),
  rawRule('app bonus', 60, [c('channel', 'equal', 'app')], fixed(10)),
  rawRule('web orders over 30', 60, [c('channel', 'equal', 'web'), c('amount', 'greaterThanInclusive', 3000)], fixed(20)),
  rawRule('two dairy', 50, [{ fact: 'anyItem', params: { category: 'dairy', minQuantity: 2 }, operator: 'equal', value: true }],
          fixed(30)),
  rawRule('toys over 40', 50, [catAmount('toys', 'greaterThanInclusive', 4000)], fixed(40)),
  rawRule('vip', 50, [c('segments', 'contains', 'vip')], fixed(30)),
  rawRule('promo store 4', 41, [c('location', 'equal', 'loc_4')], fixed(60), promo),
  rawRule('promo over 20', 40, [c('amount', 'greaterThanInclusive', 2000)], fixed(40), promo),
  rawRule('weekend double', 10, [local('weekday', 'in', [6, 7])], { kind: 'multiply', factor: 2 }),
  rawRule('tier multiplier', 5, [c('tier', 'in', ['gold', 'platinum'])], { kind: 'tier' }),
  rawRule('cap 2000', 0, [], { kind: 'cap', points: 2000 }),
];
const localFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE, weekday: 'short', month: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});
const WEEKDAYS = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
function addRawFacts(engine) {
  engine.addFact('local', async (params, almanac) => {
    const parts = {};
    for (const p of localFormat.formatToParts(new Date(await almanac.factValue('at')))) parts[p.type] = p.value;
    return { weekday: WEEKDAYS[parts.weekday], minutes: Number(parts.hour) * 60 + Number(parts.minute), month: Number(parts.month) };
  });
  engine.addFact('categoryAmount', async (params, almanac) => {
    let sum = 0;
    for (const it of await almanac.factValue('items')) if (it.category === params.category) sum += it.quantity * it.unit_price;
    return sum;
  });
  engine.addFact('anyItem', async (params, almanac) =>
    (await almanac.factValue('items')).some((it) => it.category === params.category && it.quantity >= params.minQuantity));
  engine.addFact('birthdayMonth', async (params, almanac) => {
    const birthday = await almanac.factValue('birthday');
    return Number(birthday.slice(5, 7)) === (await almanac.factValue('local')).month;
  });
}
/// Applies the fired rules' actions (event params) in priority order; stacking groups by mode.
async function applyEvents(fired, almanac, f) {
  fired.sort((a, b) => b.params.priority - a.params.priority || a.params.seq - b.params.seq);
  let total = 0, cap = Infinity;
  const holders = {};
  for (const { params: a } of fired) {
    let pts = 0;
    if (a.kind === 'fixed') pts = a.points;
    else if (a.kind === 'rate') {
      const base = a.category ? await almanac.factValue('categoryAmount', { category: a.category }) : f.amount;
      pts = Math.floor(base * a.times / a.per);
    } else if (a.kind === 'multiply') pts = total * (a.factor - 1);
    else if (a.kind === 'tier') pts = Math.floor(total * (Math.round(f.tm * 100) - 100) / 100);
    else if (a.kind === 'cap') cap = Math.min(cap, a.points);
    if (a.group) {
      const h = holders[a.group.name];
      if (h !== undefined && a.group.mode === 'first') continue;
      if (h !== undefined && a.group.mode === 'highest') {
        if (pts <= h) continue;
        total -= h;
      }
      holders[a.group.name] = pts;
    }
    total += pts;
  }
  return Math.min(total, cap);
}

// zen: the decision graph of zen_graph.js (shared with benchmarks/node/bench.mjs).
const { zenGraph } = require('./zen_graph.js');

// ---------------------------------------------------------------------------------------------

// Like the C++ side (best of 5 passes), each engine gets several passes over the events and its
// best rate counts, so the JIT has warmed up; the points and latencies are from the last pass.
const PASSES = 3;

async function measure(name, list, evalOne) {
  let best = 0;
  let points = null;
  let lat = null;
  for (let pass = 0; pass < PASSES; pass++) {
    points = new Array(list.length);
    lat = new Float64Array(list.length);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < list.length; i++) {
      const s = process.hrtime.bigint();
      points[i] = await evalOne(list[i]);
      lat[i] = Number(process.hrtime.bigint() - s) / 1000;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, list.length / secs);
    console.error(`${name}: pass ${pass + 1}: ${(list.length / secs).toFixed(0)} evaluations/s`);
  }
  lat.sort();
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { points, eps: best, p50_us: q(0.5), p99_us: q(0.99) };
}

(async () => {
  const out = {};
  const engine = new Engine(jreRules, { allowUndefinedFacts: true });
  out['json-rules-engine (precomputed facts)'] = await measure('json-rules-engine (precomputed facts)', events, async (f) => {
    const r = await engine.run(f);
    return jrePoints(f, new Set(r.events.map((e) => e.type)));
  });
  const rawEngine = new Engine(jreRawRules, { allowUndefinedFacts: true });
  addRawFacts(rawEngine);
  out['json-rules-engine (raw event)'] = await measure('json-rules-engine (raw event)', rawEvents, async (f) => {
    const r = await rawEngine.run(f);
    return applyEvents(r.events, r.almanac, f);
  });
  const zen = new ZenEngine();
  const decision = zen.createDecision(zenGraph(false));
  out['zen-engine (precomputed facts)'] = await measure('zen-engine (precomputed facts)', events, async (f) => {
    const r = await decision.evaluate(f);
    return Number(r.result.points);
  });
  const rawDecision = zen.createDecision(zenGraph(true));
  out['zen-engine (raw event)'] = await measure('zen-engine (raw event)', rawEvents, async (f) => {
    const r = await rawDecision.evaluate(f);
    return Number(r.result.points);
  });
  fs.writeFileSync(path.join(dir, 'peers.json'), JSON.stringify(out));
})();
