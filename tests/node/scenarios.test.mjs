// The shared scenarios (tests/scenarios) through the Node package: the same verdicts as the C++
// driver (LOY_CXX_SCENARIO_DRIVER names the loyalty_scenarios executable; that comparison is
// skipped without it), in both modes (objects through call, JSON text through callJson).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runFile, scenarioFiles } from './scenario_runner.mjs';

const FILES = scenarioFiles();
const MODES = ['object', 'json'];

test('there are scenarios', () => {
  assert.ok(FILES.length >= 17, `${FILES.length} files`);
});

for (const file of FILES) {
  for (const mode of MODES) {
    test(`scenario ${path.relative(ROOT, file)} (${mode})`, async () => {
      const [verdict, report] = await runFile(file, mode);
      assert.ok(verdict === 'PASS' || verdict === 'SKIP', report);
    });
  }
}

function earnScenario(overrides = {}) {
  return {
    name: 'probe',
    description: 'a probe of the driver',
    now: '2026-03-01T12:00:00Z',
    setup: { tenants: [{ name: 'main', customers: ['alice'] }] },
    steps: [{ op: 'ledger.earn', input: { customer_id: '$alice', points: 100 }, ...overrides }],
  };
}

// Files that must fail (or pass, or be skipped) the same way in every driver (as in tests/python).
const PROBES = {
  pass_expect: ['PASS', earnScenario({ expect: { balance: { balance: 100 }, replayed: false } })],
  fail_wrong_number: ['FAIL', earnScenario({ expect: { balance: { balance: 101 } } })],
  fail_bool_is_not_number: ['FAIL', earnScenario({ expect: { balance: { balance: true } } })],
  fail_absent: ['FAIL', earnScenario({ expect: { entry: { $absent: true } } })],
  pass_absent: ['PASS', earnScenario({ expect: { nothing_here: { $absent: true } } })],
  pass_times_exact: ['PASS', earnScenario({ expect: { entry: { posted_at: '2026-03-01T12:00:00.000Z' } } })],
  fail_time_form: ['FAIL', earnScenario({ expect: { entry: { posted_at: '2026-03-01T12:00:00Z' } } })],
  fail_exact_extra_keys: ['FAIL', earnScenario({ expect: { balance: { $exact: { balance: 100 } } } })],
  pass_exact_empty: ['PASS', earnScenario({ expect: { entry: { metadata: { $exact: {} } } } })],
  fail_len: ['FAIL', earnScenario({ expect: { balance: { $len: 1 } } })],
  pass_error: ['PASS', earnScenario({ input: { customer_id: '$alice', points: 'x' }, error: { status: 'invalid', field: 'points' } })],
  fail_error_field: ['FAIL', earnScenario({ input: { customer_id: '$alice', points: 'x' }, error: { status: 'invalid', field: null } })],
  fail_error_but_ok: ['FAIL', earnScenario({ error: { status: 'invalid' } })],
  fail_unexpected_error: ['FAIL', earnScenario({ input: { customer_id: 'nope', points: 1 } })],
  fail_unknown_key: ['FAIL', earnScenario({ expectt: {} })],
  fail_unbound: ['FAIL', earnScenario({ input: { customer_id: '$bob', points: 1 } })],
  fail_capture_path: ['FAIL', earnScenario({ capture: { x: 'entry.nope' } })],
  fail_bad_duration: ['FAIL', earnScenario({ advance: '1x' })],
  skip: ['SKIP', { ...earnScenario(), skip: 'not yet' }],
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-node-probes-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const probeFile = (name) => {
  const p = path.join(tmp, `${name}.json`);
  fs.writeFileSync(p, JSON.stringify(PROBES[name][1]));
  return p;
};

for (const name of Object.keys(PROBES).sort()) {
  for (const mode of MODES) {
    test(`driver verdict ${name} (${mode})`, async () => {
      const [verdict, report] = await runFile(probeFile(name), mode);
      assert.equal(verdict, PROBES[name][0], report);
    });
  }
}

const driver = process.env.LOY_CXX_SCENARIO_DRIVER;
test('the same verdicts as the C++ driver', { skip: driver ? false : 'set LOY_CXX_SCENARIO_DRIVER' }, async () => {
  const paths = [...FILES, ...Object.keys(PROBES).map(probeFile)];
  for (const p of paths) {
    const r = spawnSync(driver, [p], { encoding: 'utf8', timeout: 120000 });
    const cxx = { 0: 'PASS', 1: 'FAIL', 77: 'SKIP' }[r.status];
    for (const mode of MODES) {
      const [node, report] = await runFile(p, mode);
      assert.equal(node, cxx, `${path.basename(p)} (${mode}): node ${node}, C++ ${cxx}\n${report}\n${r.stdout}`);
    }
  }
});
