// The rule set of rules_bench.cpp modelled in json-rules-engine and in @gorules/zen-engine, run
// over the same events (events.json, facts precomputed by the C++ side for both peers alike),
// single-threaded, one evaluation at a time. Writes {name: {points, eps, p50_us, p99_us}}.
// usage: node peers.js <work dir> <node_modules dir>
'use strict';
const fs = require('fs');
const path = require('path');
const [dir, modules] = process.argv.slice(2);
const { Engine } = require(path.join(modules, 'json-rules-engine'));
const { ZenEngine } = require(path.join(modules, '@gorules/zen-engine'));
const events = JSON.parse(fs.readFileSync(path.join(dir, 'events.json')));

// json-rules-engine: one rule per libloyalty rule; the engine reports which fired, and the points
// follow from the fired set in priority order (groups, multipliers, cap) as in the rule set.
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

// zen: one decision graph; an expression node computes every rule's points, a second one applies
// the groups, multipliers and the cap.
const zenGraph = {
  contentType: 'application/vnd.gorules.decision',
  nodes: [
    { id: 'in', type: 'inputNode', name: 'request', content: {} },
    { id: 'rules', type: 'expressionNode', name: 'rules', content: { expressions: [
      { id: 'e1', key: 'add', value: [
        'floor(amount / 100) + floor(elec * 2 / 100) + floor(bev / 100) + floor(produce / 200)',
        '(minutes >= 1020 and minutes <= 1139 ? floor(bev * 2 / 100) : 0)',
        '(amount >= 10000 ? 100 : (amount >= 5000 ? 50 : 0))',
        '(first ? 200 : 0)', '(birthdayMonth ? 100 : 0)', "(location == 'loc_1' ? 25 : 0)",
        "(location in ['loc_2', 'loc_3'] and channel == 'pos' ? 15 : 0)", "(channel == 'app' ? 10 : 0)",
        "(channel == 'web' and amount >= 3000 ? 20 : 0)", '(dairy2 ? 30 : 0)', '(toys >= 4000 ? 40 : 0)', '(vip ? 30 : 0)',
        "(location == 'loc_4' ? 60 : (amount >= 2000 ? 40 : 0))"].join(' + ') },
      { id: 'e2', key: 'weekend', value: 'weekday in [6, 7]' },
      { id: 'e3', key: 'tm', value: "tier in ['gold', 'platinum'] ? tm : 1" },
    ] } },
    { id: 'total', type: 'expressionNode', name: 'total', content: { expressions: [
      { id: 't1', key: 'points', value: 'min([(weekend ? add * 2 : add) + floor((weekend ? add * 2 : add) * (tm - 1)), 2000])' },
    ] } },
    { id: 'out', type: 'outputNode', name: 'response', content: {} },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'rules', type: 'edge' },
    { id: 'b', sourceId: 'rules', targetId: 'total', type: 'edge' },
    { id: 'c', sourceId: 'total', targetId: 'out', type: 'edge' },
  ],
};

async function measure(name, evalOne) {
  const points = new Array(events.length);
  const lat = new Float64Array(events.length);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events.length; i++) {
    const s = process.hrtime.bigint();
    points[i] = await evalOne(events[i]);
    lat[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort();
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.error(`${name}: ${(events.length / secs).toFixed(0)} evaluations/s`);
  return { points, eps: events.length / secs, p50_us: q(0.5), p99_us: q(0.99) };
}

(async () => {
  const out = {};
  const engine = new Engine(jreRules, { allowUndefinedFacts: true });
  out['json-rules-engine'] = await measure('json-rules-engine', async (f) => {
    const r = await engine.run(f);
    return jrePoints(f, new Set(r.events.map((e) => e.type)));
  });
  const zen = new ZenEngine();
  const decision = zen.createDecision(zenGraph);
  out['zen-engine'] = await measure('zen-engine', async (f) => {
    const r = await decision.evaluate(f);
    return Number(r.result.points);
  });
  fs.writeFileSync(path.join(dir, 'peers.json'), JSON.stringify(out));
})();
