#!/usr/bin/env node
// Prints the node_modules folders (relative to the repo root) that the given packages need
// at run time: themselves, their dependencies, optional and peer dependencies present on
// disk, resolved the way Node does. scripts/pack-for-gpu.sh packs exactly these.
//   node scripts/gpu/node-modules-closure.cjs vitest tsx node-addon-api node-api-headers
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const seen = new Set();
const missing = [];

function resolveFrom(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

function visit(pkgDir) {
  if (seen.has(pkgDir)) return;
  seen.add(pkgDir);
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const required = Object.keys(manifest.dependencies || {});
  const optional = Object.keys({ ...(manifest.optionalDependencies || {}), ...(manifest.peerDependencies || {}) });
  for (const name of required) {
    const found = resolveFrom(name, pkgDir);
    if (found) visit(found);
    else missing.push(`${name} (needed by ${path.relative(root, pkgDir)})`);
  }
  // Optional and peer dependencies: only those installed here (the other platforms' binaries are not).
  for (const name of optional) {
    const found = resolveFrom(name, pkgDir);
    if (found) visit(found);
  }
}

const seeds = process.argv.slice(2);
if (seeds.length === 0) {
  console.error('usage: node-modules-closure.cjs PACKAGE...');
  process.exit(2);
}
for (const name of seeds) {
  const found = resolveFrom(name, root);
  if (!found) {
    console.error(`node-modules-closure: ${name} is not installed under ${root}/node_modules (run npm install)`);
    process.exit(1);
  }
  visit(found);
}
if (missing.length) {
  console.error(`node-modules-closure: missing dependencies:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
// Type declarations are not needed to run anything.
const dirs = [...seen].map((d) => path.relative(root, d)).filter((d) => !d.startsWith(path.join('node_modules', '@types')));
console.log(dirs.sort().join('\n'));
