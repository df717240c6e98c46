// The rule set of rules_bench.cpp as one @gorules/zen-engine decision graph (used by peers.js and
// by benchmarks/node/bench.mjs, which runs it next to the Node package's purchase.dry_run).
'use strict';
const ZONE = 'Europe/Berlin';

// zen: one decision graph; an expression node computes every rule's points, a second one applies
// the groups, multipliers and the cap. The raw variant puts a facts node in front that derives
// the facts from the purchase in zen's expression language.
const rulesNode = {
  id: 'rules', type: 'expressionNode', name: 'rules', content: { expressions: [
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
  ] },
};
const totalNode = {
  id: 'total', type: 'expressionNode', name: 'total', content: { expressions: [
    { id: 't1', key: 'points', value: 'min([(weekend ? add * 2 : add) + floor((weekend ? add * 2 : add) * (tm - 1)), 2000])' },
  ] },
};
const catSum = (cat) => `sum(map(filter(items, #.category == '${cat}'), #.quantity * #.unit_price))`;
const factsNode = {
  id: 'facts', type: 'expressionNode', name: 'facts', content: { expressions: [
    { id: 'f0', key: 'local', value: `d(at).tz('${ZONE}')` },
    { id: 'f1', key: 'weekday', value: '$.local.weekday()' },
    { id: 'f2', key: 'minutes', value: '$.local.hour() * 60 + $.local.minute()' },
    { id: 'f3', key: 'birthdayMonth', value: 'd(birthday).month() == $.local.month()' },
    { id: 'f4', key: 'bev', value: catSum('beverages') },
    { id: 'f5', key: 'elec', value: catSum('electronics') },
    { id: 'f6', key: 'produce', value: catSum('produce') },
    { id: 'f7', key: 'toys', value: catSum('toys') },
    { id: 'f8', key: 'dairy2', value: "some(items, #.category == 'dairy' and #.quantity >= 2)" },
    { id: 'f9', key: 'vip', value: "'vip' in segments" },
    { id: 'fa', key: 'first', value: 'prior_purchases == 0' },
    { id: 'fb', key: 'amount', value: 'amount' },
    { id: 'fc', key: 'channel', value: 'channel' },
    { id: 'fd', key: 'location', value: 'location' },
    { id: 'fe', key: 'tier', value: 'tier' },
    { id: 'ff', key: 'tm', value: 'tm' },
  ] },
};
const edge = (id, sourceId, targetId) => ({ id, sourceId, targetId, type: 'edge' });
const zenGraph = (withFacts) => ({
  contentType: 'application/vnd.gorules.decision',
  nodes: [
    { id: 'in', type: 'inputNode', name: 'request', content: {} },
    ...(withFacts ? [factsNode] : []),
    rulesNode,
    totalNode,
    { id: 'out', type: 'outputNode', name: 'response', content: {} },
  ],
  edges: withFacts
    ? [edge('a', 'in', 'facts'), edge('f', 'facts', 'rules'), edge('b', 'rules', 'total'), edge('c', 'total', 'out')]
    : [edge('a', 'in', 'rules'), edge('b', 'rules', 'total'), edge('c', 'total', 'out')],
});


module.exports = { zenGraph, ZONE };
