// npm install hook: check for libtorch first (one clear message), then build with cmake-js.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { findLibtorch } = require('./find-libtorch.cjs');

if (process.env.TORCH_NODE_SKIP_BUILD === '1') process.exit(0);
let libtorch;
try {
  libtorch = findLibtorch();
} catch (e) {
  console.error(`\n${e.message}\n`);
  process.exit(1);
}
console.log(`torch-node: building against libtorch from ${libtorch.source} (${libtorch.root})${libtorch.cuda ? ' with CUDA' : ''}`);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'build', '--out', 'build'];
if (existsSync('/usr/bin/ninja') || existsSync('/usr/local/bin/ninja')) args.push('-G', 'Ninja');
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
