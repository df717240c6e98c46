// Builds the pages' assets into django_loyalty/pages/static/pages/dist/ (not committed):
// Tailwind CSS (the CLI from node_modules, minified), the vendored libraries copied from
// node_modules (nothing from a CDN), and a .gz next to every file (the pages' static view serves
// it to browsers that accept gzip). Run by scripts/serve.sh and scripts/test-browser.sh after
// `npm ci` when the output is missing or older than its sources.
//   node build.mjs
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../django_loyalty/pages/static/pages/dist");
mkdirSync(out, { recursive: true });
const nm = (p) => join(here, "node_modules", p);

execFileSync(process.execPath, [nm("tailwindcss/lib/cli.js"), "-c", join(here, "tailwind.config.js"),
  "-i", join(here, "src/pages.css"), "-o", join(out, "pages.css"), "--minify"], { cwd: here, stdio: "inherit", env: { ...process.env, BROWSERSLIST_IGNORE_OLD_DATA: "1" } });

const vendor = {
  "alpine.js": "alpinejs/dist/cdn.min.js",
  "chart.js": "chart.js/dist/chart.umd.min.js",
  "leaflet.js": "leaflet/dist/leaflet.js",
  "leaflet.css": "leaflet/dist/leaflet.css",
  "qrcode.js": "qrcode-generator/dist/qrcode.js",
};
for (const [name, src] of Object.entries(vendor)) copyFileSync(nm(src), join(out, name));
// axe-core is injected by the browser tests only; it is not served.

for (const f of readdirSync(out)) {
  if (f.endsWith(".gz")) continue;
  writeFileSync(join(out, f + ".gz"), gzipSync(readFileSync(join(out, f)), { level: 9 }));
}
writeFileSync(join(out, "BUILT"), new Date().toISOString() + "\n");
console.log("pages assets built in", out);
