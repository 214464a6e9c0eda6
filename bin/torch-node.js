#!/usr/bin/env node
// The `torch-node` command. In a checkout (lib/ present, tsx installed) it runs the TypeScript
// source, lib/cli/index.ts, through tsx's ESM loader in this process, so it never runs a stale
// build; in the installed package (dist/ only) it runs the build, dist/cli/index.js.
import { existsSync } from 'node:fs';

const source = new URL('../lib/cli/index.ts', import.meta.url);
let cli;
try {
  if (!existsSync(source)) throw new Error('no source');
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} catch (e) {
  if (existsSync(source) && e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  cli = await import(new URL('../dist/cli/index.js', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
