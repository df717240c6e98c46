'use strict';
// Loads the addon: the file named by LOYALTY_NODE_ADDON when set, else the one for this platform
// in prebuilds/<platform>-<arch>/ (the prebuildify layout, with libloyalty.so.N beside it),
// shipped in the tarball or written there by `npm run build`. No install script, no download.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const candidates = [
  process.env.LOYALTY_NODE_ADDON,
  path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'loyalty.napi.node'),
].filter(Boolean);

const found = candidates.find((p) => fs.existsSync(p));
if (!found) {
  throw new Error(
    `libloyalty: no addon for ${process.platform}-${process.arch} (looked in ${candidates.join(', ')}); ` +
      'build one with `npm run build` (needs CMake, a C++20 compiler and libloyalty)',
  );
}
module.exports = require(found);
