// The operation catalogue (capi/ops) for the Node tests: every operation with its handle,
// namespace and method as the package places them, and the catalogue's example fixture, so a
// test can run any operation's example on a fresh engine (docs/catalogue.md, "Examples").
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const loyalty = require(process.env.LOYALTY_NODE_PACKAGE || path.join(REPO, 'bindings', 'node'));
const opsDir = path.join(REPO, 'capi', 'ops');

const load = (f) => JSON.parse(fs.readFileSync(path.join(opsDir, f), 'utf8'));
export const abi = load('abi.json');
const types = load('types.schema.json');

const camel = (s) => s.replace(/[._]([a-z0-9])/g, (_, c) => c.toUpperCase());

export const operations = fs
  .readdirSync(opsDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort()
  .flatMap((f) => load(f).operations || [])
  .map((op) => {
    const dot = op.name.indexOf('.');
    return {
      ...op,
      handle: op.scope === 'engine-admin' ? 'admin' : 'session',
      ns: op.name.slice(0, dot),
      method: camel(op.name.slice(dot + 1)),
    };
  });

const PLACEHOLDER = /\$\{([a-z_][a-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)\}/g;
export function substitute(value, results) {
  if (Array.isArray(value)) return value.map((v) => substitute(v, results));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, results)]));
  }
  if (typeof value !== 'string') return value;
  const lookup = (name, p) => p.split('.').slice(1).reduce((v, part) => v[part], results[name]);
  const whole = new RegExp(`^${PLACEHOLDER.source}$`).exec(value);
  if (whole) return lookup(whole[1], whole[2]);
  return value.replace(PLACEHOLDER, (_, name, p) => String(lookup(name, p)));
}

/** A fresh engine with the fixture and the operation's setup done: {engine, admin, session, handle, input}. */
export async function fixture(op) {
  const fx = abi.example_fixture;
  const engine = loyalty.Engine.open({ adminKey: fx.admin_key });
  const admin = engine.admin();
  const results = {};
  let session = null;
  const run = async (step) => {
    const h = step.handle === 'admin' ? admin : session;
    const r = await h.call(step.op, substitute(step.input, results));
    if (step.as) results[step.as] = r;
    if (step.op === 'tenant.create' && session === null) session = engine.session(r.api_key.key);
  };
  for (const step of fx.steps) await run(step);
  for (const step of op.example_setup || []) await run(step);
  const handle = op.handle === 'admin' ? admin : session;
  return { engine, admin, session, handle, input: substitute(op.example, results) };
}

function resolve(schema) {
  while (schema && schema.$ref) {
    const m = /^types\.schema\.json#\/\$defs\/(\w+)$/.exec(schema.$ref) || /^#\/\$defs\/(\w+)$/.exec(schema.$ref);
    if (!m) return null; // outside types.schema.json: not followed
    schema = types.$defs[m[1]];
  }
  return schema;
}

/** The JSON types a property's schema accepts (null when it cannot tell). */
export function acceptedTypes(schema) {
  schema = resolve(schema);
  if (!schema) return null;
  if (schema.anyOf || schema.oneOf) {
    const all = new Set();
    for (const s of schema.anyOf || schema.oneOf) {
      const t = acceptedTypes(s);
      if (t === null) return null;
      t.forEach((x) => all.add(x));
    }
    return all;
  }
  if (schema.type) {
    const t = new Set([].concat(schema.type));
    if (t.has('integer')) t.add('number');
    return t;
  }
  if (schema.enum) return new Set(schema.enum.map((v) => (v === null ? 'null' : typeof v)));
  if (schema.const !== undefined) return new Set([schema.const === null ? 'null' : typeof schema.const]);
  return null;
}
