#!/usr/bin/env node
// Builds the addon and puts it where lib/native.js loads it: prebuilds/<platform>-<arch>/
// loyalty.napi.node, with the C library beside it as libloyalty.so.<ABI> (the addon's RPATH is
// $ORIGIN), so the package (and its `npm pack` tarball) needs no compiler to run.
//
//   node scripts/build.mjs [--lib /path/to/libloyalty.so] [--build-dir DIR]
// --lib (or LOY_NODE_LIBRARY) links an existing build of the C library (its headers from
// LOY_NODE_INCLUDE_DIR, default the checkout's capi/include); without it the library is built
// from the checkout (CMake, -j from CMAKE_BUILD_PARALLEL_LEVEL, default 2).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(pkgDir, '..', '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const lib = opt('--lib') || process.env.LOY_NODE_LIBRARY || '';
const buildDir = path.resolve(opt('--build-dir') || path.join(pkgDir, 'build'));
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL || '2';

const run = (cmd, argv) => execFileSync(cmd, argv, { stdio: 'inherit' });
const has = (cmd) => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const configure = ['-S', pkgDir, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'];
if (has('ninja')) configure.push('-G', 'Ninja');
if (lib) configure.push(`-DLOY_NODE_LIBRARY=${path.resolve(lib)}`);
if (process.env.LOY_NODE_INCLUDE_DIR) configure.push(`-DLOY_NODE_INCLUDE_DIR=${path.resolve(process.env.LOY_NODE_INCLUDE_DIR)}`);
if (has('ccache')) configure.push('-DCMAKE_CXX_COMPILER_LAUNCHER=ccache', '-DCMAKE_C_COMPILER_LAUNCHER=ccache');
run('cmake', configure);
run('cmake', ['--build', buildDir, '-j', jobs, '--target', 'loyalty_node']);

const versionFile = path.join(repo, 'VERSION');
const abi = fs.existsSync(versionFile)
  ? (/^LOY_ABI_VERSION=(\d+)/m.exec(fs.readFileSync(versionFile, 'utf8'))?.[1] ?? '1')
  : '1';
const builtLib = lib ? path.resolve(lib) : path.join(buildDir, 'libloyalty', 'capi', 'libloyalty.so');
const out = path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
fs.copyFileSync(path.join(buildDir, 'loyalty.node'), path.join(out, 'loyalty.napi.node'));
const libOut = path.join(out, `libloyalty.so.${abi}`);
fs.copyFileSync(fs.realpathSync(builtLib), libOut);
// Debug sections make the library ten times larger than its code; the package ships without.
try {
  execFileSync('strip', ['--strip-debug', libOut], { stdio: 'inherit' });
} catch {
  console.warn('build: strip not available; shipping the library with its debug sections');
}
console.log(`build: ${path.relative(pkgDir, out)}/{loyalty.napi.node,libloyalty.so.${abi}}`);
