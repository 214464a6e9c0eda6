#!/usr/bin/env node
// The one place that decides which libtorch the addon builds against.
// Order: $LIBTORCH (an unpacked libtorch distribution), LIBTORCH_USE_PYTORCH=1
// (the libtorch inside the `torch` package of $PYTHON or the python3 on PATH),
// then the system libtorch (Debian's libtorch-dev). Nothing is downloaded.
//
//   node scripts/find-libtorch.cjs            -> JSON description
//   node scripts/find-libtorch.cjs --cmake-dir -> directory holding TorchConfig.cmake
//   node scripts/find-libtorch.cjs --include   -> include dirs (node-gyp)
//   node scripts/find-libtorch.cjs --libdir    -> library dir (node-gyp)
//   node scripts/find-libtorch.cjs --libs      -> libraries to link (node-gyp)
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const HOW_TO_GET = [
  'torch-node could not find libtorch. Get one of these, then run `npm install` (or `npm run build:native`) again:',
  '  - Debian/Ubuntu: sudo apt-get install -y libtorch-dev   (or run scripts/setup-debian.sh)',
  '  - an unpacked libtorch distribution from pytorch.org: export LIBTORCH=/path/to/libtorch',
  '  - the libtorch inside a Python torch install: export LIBTORCH_USE_PYTORCH=1 (and PYTHON=/path/to/python if not python3)',
].join('\n');

function cmakeDirUnder(root) {
  const candidates = [
    path.join(root, 'share', 'cmake', 'Torch'),
    path.join(root, 'lib', 'cmake', 'Torch'),
    path.join(root, 'lib', 'x86_64-linux-gnu', 'cmake', 'Torch'),
    path.join(root, 'lib', 'aarch64-linux-gnu', 'cmake', 'Torch'),
  ];
  return candidates.find((d) => fs.existsSync(path.join(d, 'TorchConfig.cmake')));
}

function describe(source, root, cmakeDir, libDir) {
  const includeDirs = [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')];
  const cuda = ['libtorch_cuda.so', 'libtorch_cuda.dylib', 'torch_cuda.dll'].some((f) => fs.existsSync(path.join(libDir, f)));
  return { source, root, cmakeDir, libDir, includeDirs, cuda };
}

function fromEnvLibtorch() {
  const root = process.env.LIBTORCH;
  if (!root) return null;
  const cmakeDir = cmakeDirUnder(root);
  if (!cmakeDir) throw new Error(`LIBTORCH=${root} does not look like a libtorch distribution (no share/cmake/Torch/TorchConfig.cmake).\n${HOW_TO_GET}`);
  return describe('LIBTORCH', root, cmakeDir, path.join(root, 'lib'));
}

function fromPython() {
  if (process.env.LIBTORCH_USE_PYTORCH !== '1') return null;
  const python = process.env.PYTHON || 'python3';
  let root;
  try {
    root = execFileSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' }).trim();
  } catch (e) {
    throw new Error(`LIBTORCH_USE_PYTORCH=1 but \`${python} -c "import torch"\` failed.\n${HOW_TO_GET}`);
  }
  const cmakeDir = cmakeDirUnder(root);
  if (!cmakeDir) throw new Error(`The torch package at ${root} has no share/cmake/Torch (is it a full torch install?).\n${HOW_TO_GET}`);
  return describe(`python (${python})`, root, cmakeDir, path.join(root, 'lib'));
}

function fromSystem() {
  for (const root of ['/usr', '/usr/local']) {
    const cmakeDir = cmakeDirUnder(root);
    if (!cmakeDir) continue;
    const multiarch = path.basename(path.dirname(path.dirname(cmakeDir)));
    const libDir = multiarch.endsWith('-linux-gnu') ? path.join(root, 'lib', multiarch) : path.join(root, 'lib');
    return describe('system', root, cmakeDir, libDir);
  }
  return null;
}

function findLibtorch() {
  const found = fromEnvLibtorch() || fromPython() || fromSystem();
  if (!found) throw new Error(HOW_TO_GET);
  return found;
}

module.exports = { findLibtorch, HOW_TO_GET };

if (require.main === module) {
  try {
    const lt = findLibtorch();
    const flag = process.argv[2];
    if (flag === '--cmake-dir') console.log(lt.cmakeDir);
    else if (flag === '--include') console.log(lt.includeDirs.join(' '));
    else if (flag === '--libdir') console.log(lt.libDir);
    else if (flag === '--cuda') console.log(lt.cuda ? '1' : '0');
    else if (flag === '--libs') console.log(['-ltorch', '-ltorch_cpu', '-lc10', ...(lt.cuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])].join(' '));
    else console.log(JSON.stringify(lt, null, 2));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
