// DistributedDataParallel on each rank, checked against single-process runs on the combined
// batches (computed here, on every rank) and against Python's DDP (fixture).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dist from '../../lib/distributed/index.js';
import { DistributedSampler } from '../../lib/distributed/sampler.js';
import { DistributedDataParallel } from '../../lib/nn/parallel/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import type { Tensor } from '../../lib/tensor.js';
import { report, rank, worldSize as world, torch } from './_worker_util.js';

await dist.init_process_group({ backend: 'gloo', init_method: process.env.TEST_INIT_METHOD, rank, world_size: world, timeout: 30_000 });

interface Fx { shape: number[]; dtype: string; data: number[] }
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'distributed_ddp.json'), 'utf8'));
const fromFx = (f: Fx) => torch.tensor(f.data, { dtype: torch.float64 }).reshape(f.shape);
const X = fromFx(fixture.x);
const Y = fromFx(fixture.y);

class Tanh extends nn.Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** Python's Sequential(Linear(4, 8), Tanh(), Linear(8, 3)).double() with the fixture's weights. */
function makeModel(extraUnused = false): nn.Module {
  const model = new nn.Sequential(new nn.Linear(4, 8), new Tanh(), new nn.Linear(8, 3)).double();
  model.load_state_dict(new Map(Object.entries(fixture.initial as Record<string, Fx>).map(([k, v]) => [k, fromFx(v)])));
  if (extraUnused) model.add_module('unused', new nn.Linear(3, 3).double());
  return model;
}

const mse = (pred: Tensor, target: Tensor) => torch._nn.mse_loss(pred, target, 1);
const rowsOf = (t: Tensor, idx: number[]) => t.index_select(0, torch.tensor(idx, { dtype: torch.int64 }));
const grads = (m: nn.Module) => new Map([...m.named_parameters()].map(([n, p]) => [n, p.grad]));
const maxDiff = (a: Map<string, Tensor | null>, b: Map<string, Tensor | null>) => {
  let worst = 0;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (v === null || w === null || w === undefined) return Infinity;
    worst = Math.max(worst, v.sub(w).abs().max().item() as number);
  }
  return worst;
};
const out: Record<string, unknown> = {};

// 1. One step: DDP's averaged gradients equal the full batch's gradients in one process.
const rowsPerRank = 12 / world;
const myRows = Array.from({ length: rowsPerRank }, (_, i) => rank * rowsPerRank + i);
const allRows = Array.from({ length: 12 }, (_, i) => i);
for (const gradient_as_bucket_view of [false, true]) {
  const reference = makeModel();
  mse(reference.forward(rowsOf(X, allRows)), rowsOf(Y, allRows)).backward();
  const ddp = new DistributedDataParallel(makeModel(), { gradient_as_bucket_view });
  mse(ddp.forward(rowsOf(X, myRows)), rowsOf(Y, myRows)).backward();
  out[`grad_max_diff_bucket_view_${gradient_as_bucket_view}`] = maxDiff(grads(ddp.module), grads(reference));
}

// 2. Five SGD steps on DistributedSampler batches: the same weights on every rank, and the
//    weights of one process stepping on the union of the ranks' batches.
const N = 16;
const batch = 4;
const samplers = Array.from({ length: world }, (_, r) => new DistributedSampler(Array.from({ length: N }), { num_replicas: world, rank: r, seed: 3 }));
const ddp = new DistributedDataParallel(makeModel());
const reference = makeModel();
const opt = new optim.SGD(ddp.parameters(), { lr: 0.1 });
const refOpt = new optim.SGD(reference.parameters(), { lr: 0.1 });
const mySampler = new DistributedSampler(Array.from({ length: N }), { seed: 3 }); // rank and world from the group
let step = 0;
let firstGrads: Map<string, Tensor | null> | null = null;
for (let epoch = 0; step < 5; epoch++) {
  mySampler.set_epoch(epoch);
  samplers.forEach((s) => s.set_epoch(epoch));
  const mine = mySampler.indices();
  const everyone = samplers.map((s) => s.indices());
  for (let b = 0; b < mine.length && step < 5; b += batch, step++) {
    const idx = mine.slice(b, b + batch);
    opt.zero_grad();
    mse(ddp.forward(rowsOf(X, idx)), rowsOf(Y, idx)).backward();
    if (firstGrads === null) firstGrads = new Map([...grads(ddp.module)].map(([k, g]) => [k, g!.clone()]));
    opt.step();
    // The single process: the mean over ranks of each rank's batch mean.
    refOpt.zero_grad();
    const losses = everyone.map((ix) => mse(reference.forward(rowsOf(X, ix.slice(b, b + batch))), rowsOf(Y, ix.slice(b, b + batch))));
    losses.reduce((a, l) => a.add(l)).div(world).backward();
    refOpt.step();
  }
}
out.sampler_indices_match = JSON.stringify(mySampler.indices()) === JSON.stringify(samplers[rank].indices());
const finalWeights = new Map([...ddp.module.named_parameters()].map(([k, p]) => [k, p.detach()]));
out.train_max_diff_vs_single_process = maxDiff(finalWeights, new Map([...reference.named_parameters()].map(([k, p]) => [k, p.detach()])));
const flat = torch.cat([...ddp.module.parameters()].map((p) => p.detach().reshape(-1)));
const everyRank = Array.from({ length: world }, () => torch.zeros_like(flat));
await dist.all_gather(everyRank, flat);
out.train_max_diff_across_ranks = Math.max(...everyRank.map((w) => w.sub(flat).abs().max().item() as number));
if (world === 2) {
  // Python's DDP on the same weights, data and sampler (scripts/fixtures/make_distributed.py).
  const py = fixture.ranks[rank] as { grads_first: Record<string, Fx>; final: Record<string, Fx> };
  const pyMap = (o: Record<string, Fx>) => new Map(Object.entries(o).map(([k, v]) => [k, fromFx(v) as Tensor | null]));
  out.first_grads_max_diff_vs_python = maxDiff(firstGrads!, pyMap(py.grads_first));
  out.final_max_diff_vs_python = maxDiff(finalWeights, pyMap(py.final));
}
out.state_dict_keys = [...ddp.state_dict().keys()];

// A training step leaves no tensor behind.
{
  const idx = [0, 1, 2, 3];
  const before = torch.liveTensorCount();
  torch.tidy(() => {
    opt.zero_grad();
    mse(ddp.forward(rowsOf(X, idx)), rowsOf(Y, idx)).backward();
    opt.step();
  });
  out.step_leaked = torch.liveTensorCount() - before;
}

// 3. no_sync: local accumulation, then one synced backward reduces the sum.
{
  const A = [rank * 2, rank * 2 + 1];
  const B = [8 + rank * 2, 9 + rank * 2];
  const model = new DistributedDataParallel(makeModel());
  model.no_sync(() => mse(model.forward(rowsOf(X, A)), rowsOf(Y, A)).backward());
  const local = makeModel();
  mse(local.forward(rowsOf(X, A)), rowsOf(Y, A)).backward();
  out.no_sync_grad_is_local = maxDiff(new Map([...grads(model.module)].map(([k, g]) => [k, g!.clone()])), grads(local));
  mse(model.forward(rowsOf(X, B)), rowsOf(Y, B)).backward();
  const ref = makeModel();
  for (let r = 0; r < world; r++) {
    const a = [r * 2, r * 2 + 1];
    const b = [8 + r * 2, 9 + r * 2];
    mse(ref.forward(rowsOf(X, a)), rowsOf(Y, a)).div(world).backward();
    mse(ref.forward(rowsOf(X, b)), rowsOf(Y, b)).div(world).backward();
  }
  out.no_sync_then_sync_max_diff = maxDiff(grads(model.module), grads(ref));
  {
    using _ = model.no_sync();
    out.no_sync_guard_flag = model.require_backward_grad_sync;
  }
  out.no_sync_guard_restored = model.require_backward_grad_sync;
}

// 4. find_unused_parameters: a parameter outside the graph gets no gradient, and the next
//    iteration still works.
{
  class WithUnused extends nn.Module {
    net = makeModel();
    unused = new nn.Linear(3, 3).double();
    forward(x: Tensor): Tensor {
      return this.net.forward(x);
    }
  }
  const inner = new WithUnused();
  const model = new DistributedDataParallel(inner, { find_unused_parameters: true });
  const reference = makeModel();
  mse(reference.forward(rowsOf(X, allRows)), rowsOf(Y, allRows)).backward();
  for (let i = 0; i < 2; i++) {
    for (const p of model.parameters()) p.grad = null;
    mse(model.forward(rowsOf(X, myRows)), rowsOf(Y, myRows)).backward();
  }
  out.unused_grad_is_null = inner.unused.weight.grad === null;
  out.unused_used_grads_max_diff = maxDiff(grads(inner.net), grads(reference));
}

// 5. Buckets: one at first, then regrouped by the Reducer in gradient-ready order with
//    bucket_cap_mb, as Python's DDP does (fixture: the layouts Python's Reducer had).
if (world === 2) {
  torch.manual_seed(0);
  const big = new nn.Sequential(new nn.Linear(256, 256), new nn.Linear(256, 256), new nn.Linear(256, 256)).double();
  const layouts: Record<string, number[][][]> = {};
  for (const cap of [25, 0.0001]) {
    const model = new DistributedDataParallel(big, { bucket_cap_mb: cap });
    const perIteration: number[][][] = [];
    for (let i = 0; i < 3; i++) {
      perIteration.push(model._get_buckets());
      torch.tidy(() => model.forward(torch.randn(2, 256, { dtype: torch.float64 })).sum().backward());
    }
    layouts[String(cap)] = perIteration;
  }
  out.bucket_layouts = layouts;
}

// 6. Models that differ across ranks are refused at construction.
try {
  new DistributedDataParallel(rank === 0 ? makeModel() : new nn.Linear(4, 3).double());
  out.mismatch_error = 'no error';
} catch (e) {
  out.mismatch_error = `${(e as Error).constructor.name}: ${(e as Error).message.split('\n')[0]}`;
}
report(out);
await dist.destroy_process_group();
