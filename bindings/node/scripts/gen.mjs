#!/usr/bin/env node
// Generates the method table (lib/ops.generated.js) and the TypeScript declarations (index.d.ts)
// from the operation catalogue (capi/ops/*.json, docs/catalogue.md): every operation becomes a
// camelCase method on the namespace named by the part of its name before the first dot
// ("tier.policy.set" -> session.tier.policySet), on Admin for scope "engine-admin" and on Session
// otherwise, with input and result types converted from its JSON Schemas.
//
//   node scripts/gen.mjs            write the files (run by `npm run build`)
//   node scripts/gen.mjs --check    exit 1 when a committed file differs from what it would write
//                                   (or package.json's version differs from the VERSION file)
// Outside a libloyalty checkout (an installed tarball) there is no catalogue: the shipped files
// are kept and nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(pkgDir, '..', '..');
const opsDir = path.join(repo, 'capi', 'ops');
const check = process.argv.includes('--check');

if (!fs.existsSync(path.join(opsDir, 'types.schema.json'))) {
  console.log('gen: no operation catalogue (not in a libloyalty checkout); keeping the shipped files');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Loading and $ref resolution

const files = new Map();
function load(file) {
  if (!files.has(file)) files.set(file, JSON.parse(fs.readFileSync(file, 'utf8')));
  return files.get(file);
}
const typesFile = path.join(opsDir, 'types.schema.json');

function pointer(doc, ptr) {
  let cur = doc;
  for (const raw of ptr.split('/').filter((s) => s !== '')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === undefined || cur === null) break;
    cur = cur[seg];
  }
  if (cur === undefined) throw new Error(`gen: unresolved pointer ${ptr}`);
  return cur;
}

function resolveRef(ref, base) {
  const [rel, frag = ''] = ref.split('#');
  const file = rel ? path.resolve(path.dirname(base), rel) : base;
  return { file, ptr: frag, schema: pointer(load(file), frag) };
}

// ---------------------------------------------------------------------------------------------
// JSON Schema -> TypeScript

const pascal = (s) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
const camel = (s) => {
  const p = pascal(s);
  return p[0].toLowerCase() + p.slice(1);
};
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const propName = (k) => (IDENT.test(k) ? k : JSON.stringify(k));
const comment = (text, ind) => {
  if (!text) return '';
  const t = String(text).replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
  return `${ind}/** ${t} */\n`;
};

const needed = { in: new Set(), out: new Set() };
const defName = (name, mode) => pascal(name) + (mode === 'in' ? 'Input' : '');

function union(parts) {
  const uniq = [...new Set(parts)];
  if (uniq.includes('unknown')) return 'unknown';
  return uniq.length === 1 ? uniq[0] : uniq.map((p) => (p.includes('=>') ? `(${p})` : p)).join(' | ');
}

function ts(schema, mode, base, ind, stack) {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (stack.length > 40) return 'unknown';
  if (schema.$ref) {
    const { file, ptr, schema: target } = resolveRef(schema.$ref, base);
    const m = /^\/\$defs\/([A-Za-z0-9_]+)$/.exec(ptr);
    if (file === typesFile && m) {
      needed[mode].add(m[1]);
      const named = defName(m[1], mode);
      const rest = { ...schema };
      delete rest.$ref;
      delete rest.$comment;
      delete rest.description;
      return Object.keys(rest).length ? `${named} & ${ts(rest, mode, base, ind, stack)}` : named;
    }
    const key = `${file}#${ptr}`;
    if (stack.includes(key)) return 'unknown';
    return ts(target, mode, file, ind, [...stack, key]);
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => JSON.stringify(v)));
  if (schema.anyOf || schema.oneOf) {
    return union((schema.anyOf || schema.oneOf).map((s) => ts(s, mode, base, ind, stack)));
  }
  if (schema.allOf) {
    const parts = schema.allOf.map((s) => ts(s, mode, base, ind, stack)).filter((p) => p !== 'unknown');
    const own = { ...schema };
    delete own.allOf;
    if (own.type || own.properties) parts.push(ts(own, mode, base, ind, stack));
    return parts.length ? parts.map((p) => (p.includes('|') ? `(${p})` : p)).join(' & ') : 'unknown';
  }
  let types = schema.type;
  if (types === undefined) {
    if (schema.properties || schema.additionalProperties !== undefined) types = 'object';
    else if (schema.items) types = 'array';
    else return 'unknown';
  }
  if (Array.isArray(types)) return union(types.map((t) => ts({ ...schema, type: t }, mode, base, ind, stack)));
  switch (types) {
    case 'string':
      return schema.format === 'date-time' && mode === 'in' ? 'string | Date' : 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = ts(schema.items, mode, base, ind, stack);
      return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object': {
      const props = schema.properties || {};
      const keys = Object.keys(props);
      const req = new Set(schema.required || []);
      const ap = schema.additionalProperties;
      if (keys.length === 0) {
        if (ap === false) return 'Record<string, never>';
        const v = ap && ap !== true ? ts(ap, mode, base, ind, stack) : 'unknown';
        return `Record<string, ${v}>`;
      }
      const inner = ind + '  ';
      let out = '{\n';
      for (const k of keys) {
        const p = props[k];
        out += comment(p && (p.description || p.$comment), inner);
        out += `${inner}${propName(k)}${req.has(k) ? '' : '?'}: ${ts(p, mode, base, inner, stack)};\n`;
      }
      if (ap !== false) out += `${inner}[key: string]: unknown;\n`;
      return out + ind + '}';
    }
    default:
      return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------
// The catalogue

const ops = [];
for (const f of fs.readdirSync(opsDir).sort()) {
  if (!f.endsWith('.json') || f.endsWith('.schema.json')) continue;
  const doc = load(path.join(opsDir, f));
  for (const op of doc.operations || []) ops.push({ ...op, file: path.join(opsDir, f) });
}
if (ops.length === 0) throw new Error('gen: the catalogue has no operations');

function placement(op) {
  const handle = op.scope === 'engine-admin' ? 'admin' : 'session';
  const dot = op.name.indexOf('.');
  return { handle, ns: op.name.slice(0, dot), method: camel(op.name.slice(dot + 1)) };
}

// Short reads also get a synchronous variant (`balanceSync`); AI reads do not (a host provider
// answers on the JavaScript thread, which a synchronous call would be blocking).
const hasSync = (op) => op.scope === 'read' && op.module !== 'ai';

const table = { admin: {}, session: {} };
for (const op of ops) {
  const { handle, ns, method } = placement(op);
  table[handle][ns] ??= [];
  if (table[handle][ns].some((m) => m[0] === method)) throw new Error(`gen: ${op.name} described twice`);
  table[handle][ns].push([method, op.name, hasSync(op)]);
}

// lib/ops.generated.js ---------------------------------------------------------------------------
let js = `// GENERATED by scripts/gen.mjs from capi/ops/*.json: do not edit (npm run gen).
// handle -> namespace -> [method, operation name, has a synchronous variant]
'use strict';

module.exports = ${JSON.stringify(table, null, 2)};
`;

// index.d.ts -------------------------------------------------------------------------------------
const handleDoc = {
  admin: 'the engine administrator (`engine.admin(key)`)',
  session: "a tenant's session (`engine.session(apiKey)`)",
};
let nsDecls = '';
let opTypes = '';
const nsProps = { admin: '', session: '' };
for (const handle of ['admin', 'session']) {
  for (const [ns, methods] of Object.entries(table[handle])) {
    const iface = `${pascal(handle)}${pascal(ns)}Ops`;
    nsProps[handle] += `  /** The \`${ns}.*\` operations. */\n  readonly ${propName(ns)}: ${iface};\n`;
    nsDecls += `/** The \`${ns}.*\` operations of ${handleDoc[handle]}. */\nexport interface ${iface} {\n`;
    for (const [method, name] of methods) {
      const op = ops.find((o) => o.name === name && placement(o).handle === handle);
      const tn = (handle === 'admin' ? 'Admin' : '') + pascal(name);
      const inT = ts(op.input, 'in', op.file, '', []);
      const outT = ts(op.output, 'out', op.file, '', []);
      opTypes += `/** Input of \`${name}\`${handle === 'admin' ? ' (admin)' : ''}. */\nexport type ${tn}Input = ${inT};\n`;
      opTypes += `/** Result of \`${name}\`${handle === 'admin' ? ' (admin)' : ''}. */\nexport type ${tn}Result = ${outT};\n\n`;
      const optional = !(op.input.required && op.input.required.length);
      const sig = `(input${optional ? '?' : ''}: ${tn}Input)`;
      nsDecls += comment(`${op.doc} Operation \`${name}\`, scope ${op.scope}.`, '  ');
      nsDecls += `  ${propName(method)}${sig}: Promise<${tn}Result>;\n`;
      if (hasSync(op)) {
        nsDecls += comment(`\`${name}\` run synchronously on the calling thread (a short read; blocks the event loop while it runs).`, '  ');
        nsDecls += `  ${propName(method + 'Sync')}${sig}: ${tn}Result;\n`;
      }
    }
    nsDecls += '}\n\n';
  }
}

// Shared definitions, as often as referenced (definitions may reference others).
let defs = '';
const emitted = { in: new Set(), out: new Set() };
for (let progress = true; progress; ) {
  progress = false;
  for (const mode of ['in', 'out']) {
    for (const name of [...needed[mode]]) {
      if (emitted[mode].has(name)) continue;
      emitted[mode].add(name);
      progress = true;
      const s = load(typesFile).$defs[name];
      defs += comment(s.description || `\`types.schema.json#/$defs/${name}\`${mode === 'in' ? ' (as input)' : ''}.`, '');
      defs += `export type ${defName(name, mode)} = ${ts(s, mode, typesFile, '', [])};\n`;
    }
  }
}

const header = fs.readFileSync(path.join(pkgDir, 'scripts', 'index.d.ts.in'), 'utf8');
const dts =
  `// GENERATED by scripts/gen.mjs from scripts/index.d.ts.in and capi/ops/*.json: do not edit.\n` +
  header
    .replace('/*@ADMIN_NAMESPACES@*/\n', nsProps.admin)
    .replace('/*@SESSION_NAMESPACES@*/\n', nsProps.session) +
  '\n// Namespaces ----------------------------------------------------------------------------\n\n' +
  nsDecls +
  '// Inputs and results of the operations ----------------------------------------------------\n\n' +
  opTypes +
  '// Shared types (capi/ops/types.schema.json) -----------------------------------------------\n\n' +
  defs;

// ---------------------------------------------------------------------------------------------
// Write or check

const outputs = [
  [path.join(pkgDir, 'lib', 'ops.generated.js'), js],
  [path.join(pkgDir, 'index.d.ts'), dts],
];
const version = /^LOY_VERSION=(.*)$/m.exec(fs.readFileSync(path.join(repo, 'VERSION'), 'utf8'))[1].trim();
const pkgFile = path.join(pkgDir, 'package.json');
const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
let stale = 0;
if (pkg.version !== version) {
  if (check) {
    console.error(`gen: package.json version ${pkg.version} differs from VERSION ${version}`);
    stale++;
  } else {
    pkg.version = version;
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  }
}
for (const [file, text] of outputs) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (old === text) continue;
  if (check) {
    console.error(`gen: ${path.relative(repo, file)} is not current: run \`npm run gen\` in bindings/node`);
    stale++;
  } else {
    fs.writeFileSync(file, text);
    console.log(`gen: wrote ${path.relative(repo, file)}`);
  }
}
const count = ops.length;
if (check && stale) process.exit(1);
console.log(`gen: ${count} operations${check ? ', generated files current' : ''}`);
