// Per-op overhead: µs per `a.add(b)` on 1-element CPU tensors, without and with
// requires_grad. Prints JSON lines; bench/op_overhead.py is the Python twin.
import torch from '../lib/index.js';

torch.set_num_threads(1);
const iterations = Number(process.argv[2] ?? 200_000);

function timeAdd(requiresGrad: boolean): number {
  const a = torch.ones(1, { requires_grad: requiresGrad });
  const b = torch.ones(1);
  for (let i = 0; i < 10_000; i++) a.add(b);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) a.add(b);
  const end = process.hrtime.bigint();
  return Number(end - start) / 1000 / iterations;
}

console.log(JSON.stringify({ side: 'torch-node', add_us: timeAdd(false), add_grad_us: timeAdd(true), iterations }));
