// The Node rank of the mixed Node + Python group: the program of interop_rank.py.
import { readFileSync } from 'node:fs';
import * as dist from '../../lib/distributed/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import { DistributedDataParallel } from '../../lib/nn/parallel/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { rank, worldSize as world, torch } from './_worker_util.js';

await dist.init_process_group({ backend: 'gloo', init_method: process.env.TEST_INIT_METHOD, rank, world_size: world, timeout: 30_000 });
const D = torch.float64;
const out: Record<string, unknown> = {};

let t = torch.tensor([rank + 1, 10 * rank], { dtype: D });
await dist.all_reduce(t);
out.all_reduce = t.tolist();
t = torch.full([2], rank, { dtype: D });
await dist.broadcast(t, 1);
out.broadcast = t.tolist();
const gathered = Array.from({ length: world }, () => torch.zeros(1, { dtype: D }));
await dist.all_gather(gathered, torch.tensor([rank * 3], { dtype: D }));
out.all_gather = gathered.map((g) => g.item());

interface Fx { shape: number[]; data: (number | string)[] }
const fixture = JSON.parse(readFileSync(process.env.DDP_FIXTURE!, 'utf8'));
const tensor = (f: Fx) => torch.tensor(f.data.map(Number), { dtype: D }).reshape(f.shape);
class Tanh extends nn.Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
const model = new nn.Sequential(new nn.Linear(4, 8), new Tanh(), new nn.Linear(8, 3)).double();
model.load_state_dict(new Map(Object.entries(fixture.initial as Record<string, Fx>).map(([k, v]) => [k, tensor(v)])));
const [x, y] = [tensor(fixture.x), tensor(fixture.y)];
const ddp = new DistributedDataParallel(model);
const opt = new optim.SGD(ddp.parameters(), { lr: 0.1 });
const indices = new dist.DistributedSampler(Array.from({ length: 16 }), { seed: 3 }).indices();
const flat = () => Object.fromEntries([...model.named_parameters()].map(([n, p]) => [n, Array.from(p.detach().reshape(-1).toTypedArray() as Float64Array)]));
for (let step = 0; step < 2; step++) {
  const idx = torch.tensor(indices.slice(step * 4, step * 4 + 4), { dtype: torch.int64 });
  opt.zero_grad();
  torch._nn.mse_loss(ddp.forward(x.index_select(0, idx)), y.index_select(0, idx), 1).backward();
  if (step === 0) out.grads_first = Object.fromEntries([...model.named_parameters()].map(([n, p]) => [n, Array.from(p.grad!.reshape(-1).toTypedArray() as Float64Array)]));
  opt.step();
}
out.final = flat();
process.stdout.write('RESULT:' + JSON.stringify(out) + '\n');
await dist.barrier();
await dist.destroy_process_group();
