// The package as users get it: the generated files are current, the types check (index.d.ts and
// the TypeScript example that uses every namespace), and `npm pack` gives a tarball that a fresh
// project in a temporary folder installs offline, with no compiler on PATH, and runs the
// examples with (the prebuilt addon in prebuilds/linux-x64 loads without a build step).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './catalogue.mjs';

const PKG = path.join(REPO, 'bindings', 'node');
const TSC = path.join(PKG, 'node_modules', '.bin', 'tsc');
let tmp;
let project;
let env;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-node-pack-'));
  // A PATH with node and npm only: no cc, c++, make or cmake.
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const npmCli = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  fs.symlinkSync(npmCli, path.join(bin, 'npm'));
  env = { ...process.env, PATH: bin, npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' };
  delete env.LOYALTY_NODE_ADDON;

  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: PKG, encoding: 'utf8' }));
  const tarball = path.join(tmp, packed[0].filename);
  project = path.join(tmp, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env, stdio: 'pipe' });
  for (const f of ['01_quickstart.mjs', '02_pos_server.mjs']) {
    fs.copyFileSync(path.join(REPO, 'examples', 'node', f), path.join(project, f));
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the generated method table and index.d.ts are current; the version is VERSION', () => {
  execFileSync(process.execPath, [path.join(PKG, 'scripts', 'gen.mjs'), '--check'], { stdio: 'pipe' });
  const version = /^LOY_VERSION=(.*)$/m.exec(fs.readFileSync(path.join(REPO, 'VERSION'), 'utf8'))[1].trim();
  assert.equal(JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8')).version, version);
});

test('tsc --noEmit: index.d.ts and the TypeScript example using every namespace', () => {
  execFileSync(TSC, ['--noEmit', '--strict', path.join(PKG, 'index.d.ts')], { stdio: 'pipe' });
  execFileSync(TSC, ['-p', path.join(REPO, 'examples', 'node', 'tsconfig.json')], { stdio: 'pipe' });
});

test('the tarball holds the prebuilt addon and the sources, and no install script', () => {
  const installed = path.join(project, 'node_modules', 'libloyalty');
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(pkg.scripts.install, undefined);
  assert.equal(pkg.scripts.postinstall, undefined);
  assert.deepEqual(pkg.dependencies ?? {}, {});
  const prebuilt = path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`);
  assert.ok(fs.existsSync(path.join(prebuilt, 'loyalty.napi.node')));
  assert.ok(fs.readdirSync(prebuilt).some((f) => /^libloyalty\.so\.\d+$/.test(f)));
  for (const f of ['src/addon.cpp', 'CMakeLists.txt', 'scripts/build.mjs', 'index.d.ts', 'index.mjs']) {
    assert.ok(fs.existsSync(path.join(installed, f)), f);
  }
  assert.throws(() => execFileSync('sh', ['-c', 'command -v cc || command -v c++ || command -v g++'], { env }));
});

test('the quickstart runs from the installed tarball', () => {
  const out = execFileSync('node', ['01_quickstart.mjs'], { cwd: project, env, encoding: 'utf8' });
  assert.match(out, /^earned: 300 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
  assert.match(out, /^conflict on field: points$/m);
  assert.match(out, /^coupon: [0-9A-Z-]+ balance: 200$/m);
  assert.match(out, /^cannot redeem 1000 points; available: 200$/m);
  assert.match(out, /^ledger verified$/m);
  // require() works too.
  const cjs = execFileSync('node', ['-e', "console.log(typeof require('libloyalty').Engine.open)"], { cwd: project, env, encoding: 'utf8' });
  assert.equal(cjs.trim(), 'function');
});

test('the POS server example: purchases earn exactly once per order id', async () => {
  const child = spawn('node', ['02_pos_server.mjs'], { cwd: project, env: { ...env, POS_EXIT_AFTER_MS: '60000' } });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const post = async (body) => {
      const r = await fetch(`${url}/purchases`, { method: 'POST', body: JSON.stringify(body) });
      return [r.status, await r.json()];
    };
    const order = { customer: 'alice', order_id: 'till-1-0042', amount: 1250, items: [{ sku: 'latte', quantity: 2, unit_price: 350 }] };
    const sent = await Promise.all([post(order), post(order), post(order)]);
    const created = sent.filter(([s]) => s === 201);
    assert.equal(created.length, 1, JSON.stringify(sent));
    assert.ok(sent.every(([s, b]) => (s === 201 || s === 200) && b.points === 12 && b.balance === 12), JSON.stringify(sent));
    assert.deepEqual(await post({ ...order, amount: 999 }), [409, { status: 'conflict', field: 'amount', message: "order 'till-1-0042' was submitted with another amount" }]);
    const [status, body] = await post({ customer: 'alice', order_id: 'o-2', amount: 'x' });
    assert.equal(status, 400);
    assert.equal(body.field, 'amount');
    const balance = await (await fetch(`${url}/customers/alice/balance`)).json();
    assert.equal(balance.balance, 12);
  } finally {
    child.kill();
  }
});
