// Per-op overhead on a small tensor, op by op, next to Python's PyTorch on the same libtorch:
//   npx tsx bench/ops.ts [--rounds N] [--calls N] [op ...]
// Each round times every op here, then in bench/ops.py (a fresh Python process); the table has
// each side's median µs per call over the rounds and their ratio (below 1: torch-node is faster).
// The ops run on a 4×3 float32 tensor, where the call itself, not the kernel, is most of the time.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import torch, { F } from '../lib/index.js';

torch.set_num_threads(1);
torch.manual_seed(0);
const x = torch.randn(4, 3);
const w = torch.randn(5, 3);
const b = torch.randn(5);
const f64 = torch.float64;

// Each op's Python twin has the same name in bench/ops.py.
const OPS: Record<string, () => unknown> = {
  'x.add(x)': () => x.add(x),
  'x.mul(2)': () => x.mul(2),
  'x.relu()': () => x.relu(),
  'x.sum()': () => x.sum(),
  'x.sum(0)': () => x.sum(0),
  'x.mean(1, keepdim)': () => x.mean(1, { keepdim: true }),
  'x.max(0)': () => x.max(0),
  'x.softmax(-1)': () => x.softmax(-1),
  'x.view(-1)': () => x.view(-1),
  'x.reshape(3, 4)': () => x.reshape(3, 4),
  'x.transpose(0, 1)': () => x.transpose(0, 1),
  'x.permute(1, 0)': () => x.permute(1, 0),
  'x.unsqueeze(0)': () => x.unsqueeze(0),
  'x.chunk(2)': () => x.chunk(2),
  'torch.cat([x, x])': () => torch.cat([x, x]),
  'F.linear(x, w, b)': () => F.linear(x, w, b),
  'x.to(float64)': () => x.to(f64),
  'x.clone()': () => x.clone(),
  'torch.zeros(4, 3)': () => torch.zeros(4, 3),
  'x.shape': () => x.shape,
};

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const rounds = option('--rounds', 5);
const calls = option('--calls', 100_000);
const named = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
const ops = named.length > 0 ? named : Object.keys(OPS);
for (const op of ops) if (!OPS[op]) throw new Error(`unknown op '${op}'; the ops are: ${Object.keys(OPS).join(', ')}`);

/** µs per call of each op: the best of three batches (the machine is shared). */
function timeOps(): Record<string, number> {
  const times: Record<string, number> = {};
  for (const op of ops) {
    const run = OPS[op];
    for (let i = 0; i < calls / 10; i++) run();
    let best = Infinity;
    for (let batch = 0; batch < 3; batch++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) run();
      best = Math.min(best, ((performance.now() - start) * 1000) / calls);
    }
    times[op] = best;
  }
  return times;
}

const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), 'ops.py');
const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
const ours: Record<string, number[]> = {};
const theirs: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const [op, t] of Object.entries(timeOps())) (ours[op] ??= []).push(t);
  const out = execFileSync(python, [script, '--calls', String(calls), ...ops], { encoding: 'utf8' });
  for (const [op, t] of Object.entries(JSON.parse(out) as Record<string, number>)) (theirs[op] ??= []).push(t);
}
console.log('| op (4×3 float32) | torch-node µs | PyTorch µs | ratio |');
console.log('|---|---:|---:|---:|');
for (const op of ops) {
  const [a, p] = [median(ours[op]), median(theirs[op])];
  console.log(`| \`${op}\` | ${a.toFixed(2)} | ${p.toFixed(2)} | ${(a / p).toFixed(2)} |`);
}
