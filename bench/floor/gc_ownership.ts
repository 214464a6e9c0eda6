// The cost of letting V8's collector own a libtorch tensor (build/floor/gc_ownership.node, from
// bench/floor/gc_ownership.cpp), measured as three loops that differ in that alone:
//   node --expose-gc --import tsx bench/floor/gc_ownership.ts <addon> <seconds> [every]
// prints { callOnly, tensorFreedAtOnce, tensorOwnedByGc }: each a list of µs per iteration, one per
// round of three (bench/run.ts takes their medians). Every iteration makes a fresh object, as an op
// makes the Tensor it returns, and every `every` iterations run a young collection: 4,096 by
// default, as lib/memory.ts does for every 4,096 new tensors; 0 leaves collections to V8.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

type Probe = (owner: object) => void;
type Addon = Record<'callOnly' | 'tensorFreedAtOnce' | 'tensorOwnedByGc', Probe> & { ownedTensors(): number };
const addon = createRequire(import.meta.url)(resolve(process.argv[2])) as Addon;
const seconds = Number(process.argv[3] ?? 1);
const gc = (globalThis as { gc?: (options?: { type: 'minor' }) => void }).gc;
if (gc === undefined) throw new Error('gc_ownership.ts: run node with --expose-gc');

class Owner {
  _h = 0;
}
const every = Number(process.argv[4] ?? 4096);
const batch = every > 0 ? every : 4096; // iterations between clock reads

function usPerIteration(probe: Probe, budget: number): number {
  let iterations = 0;
  const start = performance.now();
  const end = start + budget * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) probe(new Owner());
    if (every > 0) gc!({ type: 'minor' });
    iterations += batch;
  }
  return ((performance.now() - start) * 1000) / iterations;
}

const names = ['callOnly', 'tensorFreedAtOnce', 'tensorOwnedByGc'] as const;
const samples = new Map<string, number[]>(names.map((n) => [n, []]));
for (const name of names) usPerIteration(addon[name], 0.1); // warm-up
for (let round = 0; round < 3; round++) {
  for (const name of names) samples.get(name)!.push(usPerIteration(addon[name], seconds / 9));
}
// The loop measured ownership only if the collector did free what it owned.
gc();
if (addon.ownedTensors() > batch) throw new Error(`gc_ownership: ${addon.ownedTensors()} tensors were never finalized`);
console.log(JSON.stringify(Object.fromEntries(samples)));
