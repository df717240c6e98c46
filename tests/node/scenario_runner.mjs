// The Node scenario driver: runs tests/scenarios/**/*.json through the `libloyalty` package.
//
// A port of the C++ driver (tests/scenarios/driver.cpp) and of tests/python/scenario_runner.py;
// the format and its rules are in tests/scenarios/README.md, and where this file and that page
// disagree, this file is wrong. Two modes run the same files:
// - "object": inputs as objects through Session.call / Admin.call (the package's encoding);
// - "json": JSON text through callJson (the raw path).
//
// Usage: node scenario_runner.mjs [-v] [--mode object|json] [PATH...]
// Exit: 0 all passed, 1 something failed, 77 everything skipped.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', 'scenarios');
const loyalty = require(process.env.LOYALTY_NODE_PACKAGE || path.resolve(here, '..', '..', 'bindings', 'node'));

const ADMIN_KEY = 'scenario-admin-credential-0123456789';
const OPERATORS = new Set(['$any', '$absent', '$len', '$contains', '$exact', '$ne']);
const VAR = /^[A-Za-z0-9_.]+$/;
const SCALE = { d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

class FileError extends Error {}
class StepFailure extends Error {
  constructor(step, report) {
    super(`step ${step}\n${report}`);
    this.step = step;
    this.report = report;
  }
}

const show = (j) => JSON.stringify(j === undefined ? null : j);

export function parseDuration(text) {
  if (typeof text !== 'string' || text === '') throw new FileError('empty duration');
  const re = /(\d+)(ms|d|h|m|s)/y;
  let total = 0;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) total += Number(m[1]) * SCALE[m[2]];
  if (m === null || re.lastIndex !== text.length) {
    throw new FileError(`malformed duration '${text}' (use e.g. 30d, 1h30m, 5s)`);
  }
  return total;
}

function parseTime(j, what) {
  if (typeof j !== 'string') throw new FileError(`${what} must be an RFC 3339 string`);
  const t = Date.parse(j);
  if (!RFC3339.test(j) || Number.isNaN(t)) throw new FileError(`${what}: malformed time ${show(j)}`);
  return t;
}

function resolvePath(root, p) {
  let cur = root;
  if (p === '') return [true, cur];
  for (const seg of p.split('.')) {
    if (Array.isArray(cur)) {
      if (!/^[0-9]+$/.test(seg)) return [false, undefined];
      const n = Number(seg);
      if (n >= cur.length) return [false, undefined];
      cur = cur[n];
    } else if (cur !== null && typeof cur === 'object') {
      if (!Object.hasOwn(cur, seg)) return [false, undefined];
      cur = cur[seg];
    } else {
      return [false, undefined];
    }
  }
  return [true, cur];
}

function requireKeys(obj, allowed, where) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FileError(`${where} must be an object`);
  for (const k of Object.keys(obj)) if (!allowed.has(k)) throw new FileError(`${where}: unknown key '${k}'`);
}

function kind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function deepEqual(a, b) {
  const ka = kind(a);
  if (ka !== kind(b)) return false;
  if (ka === 'array') return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (ka === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return a === b;
}

const isOperator = (e) =>
  e !== null && typeof e === 'object' && !Array.isArray(e) && Object.keys(e).length === 1 && OPERATORS.has(Object.keys(e)[0]);
const isAbsent = (e) => isOperator(e) && Object.keys(e)[0] === '$absent';
const at = (p) => (p ? p : '(result)');

export function match(expected, actual, p, out) {
  if (isOperator(expected)) {
    const [op, arg] = Object.entries(expected)[0];
    if (op === '$any') return;
    if (op === '$absent') out.push([at(p), '$absent only inside an object', show(actual)]);
    else if (op === '$len') {
      const ok = Array.isArray(actual) && Number.isInteger(arg) && actual.length === arg;
      if (!ok) out.push([at(p), 'an array of length ' + show(arg), Array.isArray(actual) ? `length ${actual.length}` : show(actual)]);
    } else if (op === '$contains') {
      if (!Array.isArray(actual) || !Array.isArray(arg)) {
        out.push([at(p), 'an array containing ' + show(arg), show(actual)]);
        return;
      }
      for (const m of arg) {
        const found = actual.some((el) => {
          const ignored = [];
          match(m, el, p, ignored);
          return ignored.length === 0;
        });
        if (!found) out.push([at(p), 'an element matching ' + show(m), show(actual)]);
      }
    } else if (op === '$exact') {
      if (!deepEqual(arg, actual)) out.push([at(p), 'exactly ' + show(arg), show(actual)]);
    } else if (op === '$ne') {
      if (deepEqual(arg, actual)) out.push([at(p), 'anything but ' + show(arg), show(actual)]);
    }
    return;
  }
  if (kind(expected) === 'object') {
    if (kind(actual) !== 'object') {
      out.push([at(p), 'an object', show(actual)]);
      return;
    }
    for (const [k, e] of Object.entries(expected)) {
      const q = p ? `${p}.${k}` : k;
      if (isAbsent(e)) {
        if (Object.hasOwn(actual, k)) out.push([q, 'absent', show(actual[k])]);
      } else if (!Object.hasOwn(actual, k)) out.push([q, show(e), '(missing)']);
      else match(e, actual[k], q, out);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push([at(p), 'an array', show(actual)]);
      return;
    }
    if (expected.length !== actual.length) {
      out.push([at(p), `an array of length ${expected.length}`, `length ${actual.length}`]);
      return;
    }
    expected.forEach((e, i) => match(e, actual[i], `${p}[${i}]`, out));
    return;
  }
  if (!deepEqual(expected, actual)) out.push([at(p), show(expected), show(actual)]);
}

const formatMismatches = (ms) => ms.map(([p, e, a]) => `    ${p}: expected ${e}, got ${a}\n`).join('');

function errorJson(e) {
  const out = { code: e.code, status: e.status, message: e.message };
  if (e.field) out.field = e.field;
  return out;
}

class Target {
  constructor(handle, mode) {
    this.handle = handle;
    this.mode = mode;
  }
  async call(op, input) {
    if (this.mode === 'json') return JSON.parse(await this.handle.callJson(op, JSON.stringify(input)));
    return this.handle.call(op, input);
  }
}

class Runner {
  constructor(scenario, mode, verbose) {
    this.s = scenario;
    this.mode = mode;
    this.verbose = verbose;
    this.sessions = new Map();
    this.tenantOrder = [];
    this.vars = new Map();
    this.handles = [];
  }

  async run() {
    requireKeys(this.s, new Set(['name', 'description', 'now', 'setup', 'steps', 'verify', 'skip']), 'scenario');
    this.clock = new loyalty.ManualClock(parseTime(this.s.now, 'now'));
    const steps = this.s.steps;
    if (!Array.isArray(steps) || steps.length === 0) throw new FileError('steps must be a non-empty array');
    try {
      await this.setup();
      for (let n = 0; n < steps.length; n++) await this.step(n, steps[n]);
      if (this.s.verify ?? true) await this.verify();
    } finally {
      for (const h of this.handles) h.close();
      if (this.engine) this.engine.close();
    }
  }

  bind(name, value, fromSetup) {
    if (typeof name !== 'string' || !VAR.test(name)) throw new FileError(`bad variable name '${name}'`);
    if (fromSetup && this.vars.has(name)) throw new FileError(`variable '${name}' is bound twice in setup`);
    this.vars.set(name, value);
  }

  addSession(name, s) {
    this.handles.push(s);
    if (name === 'admin' || this.sessions.has(name)) throw new FileError(`session name '${name}' is taken`);
    this.sessions.set(name, new Target(s, this.mode));
  }

  async setup() {
    this.engine = loyalty.Engine.open({ uri: ':memory:', clock: this.clock, adminKey: ADMIN_KEY });
    const admin = this.engine.admin(ADMIN_KEY);
    this.handles.push(admin);
    this.admin = new Target(admin, this.mode);
    const setup = this.s.setup ?? {};
    requireKeys(setup, new Set(['tenants']), 'setup');
    const tenants = setup.tenants ?? [{ name: 'main' }];
    if (!Array.isArray(tenants)) throw new FileError('setup.tenants must be an array');
    try {
      for (const t of tenants) await this.setupTenant(t);
    } catch (e) {
      if (e instanceof loyalty.LoyaltyError) throw new StepFailure('setup', `    ${show(errorJson(e))}\n`);
      throw e;
    }
  }

  async setupTenant(t) {
    if (kind(t) !== 'object' || typeof t.name !== 'string') throw new FileError('each setup tenant needs a string name');
    const { programs = [{}], customers = [], keys = [], ...create } = t;
    const created = await this.admin.call('tenant.create', create);
    this.addSession(t.name, this.engine.session(created.api_key.key));
    this.tenantOrder.push(t.name);
    this.bind(`${t.name}.tenant_id`, created.tenant.id, true);
    const session = this.sessions.get(t.name);
    for (const p of programs) {
      const { as, ...rest } = p;
      const program = await session.call('program.create', { name: 'Main', currency: 'EUR', ...rest });
      if (as !== undefined) this.bind(as, program.id, true);
    }
    for (const c of customers) {
      const customer = await session.call('customer.enroll', { external_id: c });
      this.bind(c, customer.id, true);
    }
    for (const k of keys) {
      requireKeys(k, new Set(['session', 'scopes']), 'setup key');
      const key = await session.call('apikey.create', { name: k.session, scopes: k.scopes });
      this.addSession(k.session, this.engine.session(key.key));
    }
  }

  substitute(j) {
    if (typeof j === 'string') {
      if (j.startsWith('$$')) return j.slice(1);
      if (j.startsWith('$')) {
        if (!this.vars.has(j.slice(1))) throw new FileError(`unbound variable ${j}`);
        return this.vars.get(j.slice(1));
      }
      return j;
    }
    if (Array.isArray(j)) return j.map((v) => this.substitute(v));
    if (kind(j) === 'object') return Object.fromEntries(Object.entries(j).map(([k, v]) => [k, this.substitute(v)]));
    return j;
  }

  async step(n, st) {
    let label = String(n);
    const obj = kind(st) === 'object';
    if (obj && 'op' in st) label += ` (${st.op}`;
    if (obj && 'note' in st) label += ('op' in st ? ': ' : ' (') + String(st.note);
    if (obj && ('op' in st || 'note' in st)) label += ')';
    try {
      await this.runStep(st, label);
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      if (e instanceof FileError || e instanceof TypeError || e instanceof loyalty.LoyaltyError) {
        throw new StepFailure(label, `    ${e.message}\n`);
      }
      throw e;
    }
  }

  async runStep(st, label) {
    requireKeys(st, new Set(['note', 'at', 'advance', 'op', 'session', 'input', 'expect', 'error', 'capture']), 'step');
    if ('at' in st) this.clock.set(parseTime(st.at, 'at'));
    if ('advance' in st) this.clock.advance(parseDuration(st.advance));
    if (!('op' in st)) {
      for (const k of ['session', 'input', 'expect', 'error', 'capture']) {
        if (k in st) throw new FileError(`'${k}' needs an 'op'`);
      }
      return;
    }
    if ('error' in st && ('expect' in st || 'capture' in st)) {
      throw new FileError("'error' cannot be combined with 'expect' or 'capture'");
    }
    const op = st.op;
    const session = st.session ?? (this.tenantOrder.length ? this.tenantOrder[0] : 'admin');
    const input = this.substitute(st.input ?? {});
    if (kind(input) !== 'object') throw new FileError('input must be an object');

    let result;
    let error = null;
    try {
      if (session === 'admin') result = await this.admin.call(op, input);
      else {
        if (!this.sessions.has(session)) throw new FileError(`unknown session '${session}'`);
        result = await this.sessions.get(session).call(op, input);
      }
    } catch (e) {
      if (!(e instanceof loyalty.LoyaltyError)) throw e;
      error = e;
    }
    if (this.verbose) {
      const now = new Date(this.clock.nowMs()).toISOString();
      const shown = error === null ? `result: ${show(result)}` : `error: ${show(errorJson(error))}`;
      console.log(`  step ${label} at ${now}\n    input: ${show(input)}\n    ${shown}`);
    }
    if ('error' in st) {
      const want = this.substitute(st.error);
      requireKeys(want, new Set(['status', 'field', 'detail']), 'error');
      if (!('status' in want)) throw new FileError('error needs a status');
      if (error === null) {
        throw new StepFailure(label, `    expected error ${show(want)}, but the call succeeded\n    result: ${show(result)}\n`);
      }
      const got = { status: error.status, field: error.field ? error.field : null, detail: error.detail };
      const ms = [];
      match(want, got, 'error', ms);
      if (ms.length) {
        throw new StepFailure(
          label,
          `    the error does not match:\n${formatMismatches(ms)}    actual error: ${show(errorJson(error))}\n`,
        );
      }
      return;
    }
    if (error !== null) throw new StepFailure(label, `    unexpected error: ${show(errorJson(error))}\n`);
    if ('expect' in st) {
      const ms = [];
      match(this.substitute(st.expect), result, '', ms);
      if (ms.length) {
        throw new StepFailure(
          label,
          `    the result does not match:\n${formatMismatches(ms)}    actual result: ` +
            JSON.stringify(result, null, 2).replace(/\n/g, '\n    ') +
            '\n',
        );
      }
    }
    if ('capture' in st) {
      if (kind(st.capture) !== 'object') throw new FileError('capture must be an object');
      for (const [v, p] of Object.entries(st.capture)) {
        const [ok, value] = resolvePath(result, p);
        if (!ok) throw new StepFailure(label, `    capture ${v}: no value at path '${p}'\n    actual result: ${show(result)}\n`);
        this.bind(v, value, false);
      }
    }
  }

  async verify() {
    for (const name of this.tenantOrder) {
      let r;
      try {
        r = await this.sessions.get(name).call('ledger.verify', {});
      } catch (e) {
        if (e instanceof loyalty.LoyaltyError) throw new StepFailure('verify', `    tenant ${name}: ${show(errorJson(e))}\n`);
        throw e;
      }
      if (r.ok !== true) throw new StepFailure('verify', `    tenant ${name}: ledger invariants violated:\n    ${show(r)}\n`);
    }
  }
}

/** Runs one file; resolves to [verdict, report] with verdict PASS, FAIL or SKIP. */
export async function runFile(file, mode = 'object', verbose = false) {
  const abs = path.resolve(file);
  const rel = abs.startsWith(ROOT + path.sep) ? path.relative(ROOT, abs).split(path.sep).join('/') : file;
  let scenario;
  try {
    scenario = JSON.parse(fs.readFileSync(abs, 'utf8'));
  } catch (e) {
    return ['FAIL', `FAIL ${rel}\n  ${e.message}\n`];
  }
  const isObj = kind(scenario) === 'object';
  const name = isObj ? (scenario.name ?? '(no name)') : '(not an object)';
  if (isObj && 'skip' in scenario) return ['SKIP', `SKIP ${rel}: ${name} (${scenario.skip})\n`];
  try {
    if (!isObj || !('name' in scenario) || !('description' in scenario)) {
      throw new FileError('a scenario needs a name and a description');
    }
    await new Runner(scenario, mode, verbose).run();
  } catch (e) {
    if (e instanceof StepFailure) return ['FAIL', `FAIL ${rel}: ${name}\n  step ${e.step}\n${e.report}`];
    if (e instanceof FileError || e instanceof TypeError || e instanceof loyalty.LoyaltyError) {
      return ['FAIL', `FAIL ${rel}: ${name}\n  ${e.message}\n`];
    }
    throw e;
  }
  return ['PASS', `PASS ${rel}: ${name}\n`];
}

export function scenarioFiles(inputs = [ROOT]) {
  const files = [];
  const walk = (p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else if (p.endsWith('.json') || inputs.includes(p)) files.push(p);
  };
  for (const p of inputs) walk(p);
  return files.sort();
}

async function main(argv) {
  let verbose = false;
  let mode = 'object';
  const inputs = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-v' || argv[i] === '--verbose') verbose = true;
    else if (argv[i] === '--mode') mode = argv[++i];
    else inputs.push(argv[i]);
  }
  const counts = { PASS: 0, FAIL: 0, SKIP: 0 };
  const files = scenarioFiles(inputs.length ? inputs : [ROOT]);
  for (const f of files) {
    const [verdict, report] = await runFile(f, mode, verbose);
    counts[verdict]++;
    process.stdout.write(report);
  }
  console.log(`${counts.PASS} passed, ${counts.FAIL} failed, ${counts.SKIP} skipped`);
  if (counts.FAIL || files.length === 0) return 1;
  return counts.PASS === 0 && counts.SKIP ? 77 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
