// Runs every collective once on each rank (the program of scripts/fixtures/make_distributed.py,
// input for input) and reports the results; plus checks that need a live group: async work
// handles, the event loop staying free during a wait, a subgroup, error cases and leaks.
import * as dist from '../../lib/distributed/index.js';
import { report, rank, worldSize as world, torch } from './_worker_util.js';
import type { Tensor } from '../../lib/tensor.js';
import { collectGarbage } from '../../lib/memory.js';

const D = torch.float64;
const T = (values: number[]) => torch.tensor(values, { dtype: D });

// file:// needs rank and world_size (as in Python); env:// reads them from the launcher's environment.
const explicit = process.env.TEST_INIT_METHOD?.startsWith('file://') ? { rank, world_size: world } : {};
await dist.init_process_group({ backend: 'gloo', init_method: process.env.TEST_INIT_METHOD, timeout: 30_000, ...explicit });

const out: Record<string, unknown> = {};
const startTensors = torch.liveTensorCount();
const base = [rank + 1, 2 * (rank + 1), 3 - rank];
for (const [name, op] of [['sum', dist.ReduceOp.SUM], ['product', dist.ReduceOp.PRODUCT], ['min', dist.ReduceOp.MIN], ['max', dist.ReduceOp.MAX]] as const) {
  const t = T(base);
  await dist.all_reduce(t, { op });
  out['all_reduce_' + name] = t;
}
let t: Tensor = torch.tensor([rank * 7 + 1, 5 - rank], { dtype: torch.int64 });
await dist.all_reduce(t, { op: dist.ReduceOp.MAX });
out.all_reduce_max_int64 = t;
t = torch.tensor([[rank + 0.5, 1.0], [2.0, -rank]], { dtype: torch.float32 });
await dist.all_reduce(t);
out.all_reduce_2d_float32 = t;

t = torch.full([3], rank, { dtype: D });
await dist.broadcast(t, world - 1);
out.broadcast = t;

t = T(base);
await dist.reduce(t, 0, { op: dist.ReduceOp.SUM });
if (rank === 0) out.reduce = t;

const gathered = Array.from({ length: world }, () => torch.zeros(2, { dtype: D }));
await dist.all_gather(gathered, T([rank, rank * 10]));
out.all_gather = gathered;

const dst = 1;
const gatherList = rank === dst ? Array.from({ length: world }, () => torch.zeros(2, { dtype: D })) : null;
await dist.gather(T([rank + 0.25, -rank]), { gather_list: gatherList, dst });
if (rank === dst) out.gather = gatherList;

t = torch.zeros(2, { dtype: D });
const scatterList = rank === 0 ? Array.from({ length: world }, (_, i) => T([i * 100, i * 100 + 1])) : null;
await dist.scatter(t, { scatter_list: scatterList, src: 0 });
out.scatter = t;

t = torch.zeros(2, { dtype: D });
await dist.reduce_scatter(t, Array.from({ length: world }, (_, i) => T([rank * 10 + i, i - rank])));
out.reduce_scatter = t;

const a2aOut = Array.from({ length: world }, () => torch.zeros(1, { dtype: D }));
await dist.all_to_all(a2aOut, Array.from({ length: world }, (_, i) => T([rank * 10 + i])));
out.all_to_all = a2aOut;

const single = torch.zeros(world * 2, { dtype: D });
await dist.all_to_all_single(single, torch.arange(world * 2, { dtype: D }).add(100 * rank));
out.all_to_all_single = single;

const recvBuf = torch.zeros(2, { dtype: D });
const sendWork = dist.isend(T([rank, rank + 0.5]), (rank + 1) % world)!;
const recvWork = dist.irecv(recvBuf, { src: (rank - 1 + world) % world })!;
await Promise.all([sendWork.wait(), recvWork.wait()]);
out.ring = recvBuf;
const extra: Record<string, unknown> = { ring_completed: sendWork.is_completed() && recvWork.is_completed() };

await dist.barrier();

const group = await dist.new_group([0, 1]);
t = T(base);
if (rank <= 1) {
  await dist.all_reduce(t, { group });
  out.subgroup_all_reduce = t;
}
out.subgroup_rank = dist.get_rank(group);
extra.subgroup_world_size = dist.get_world_size(group);
extra.is_non_member = group === dist.GroupMember.NON_GROUP_MEMBER;

// Receive from any source, with a tag: the last rank sends to rank 0.
if (rank === 0) {
  const buf = torch.zeros(1, { dtype: D });
  extra.any_source_sender = await dist.recv(buf, { tag: 7 });
  extra.any_source_value = buf.item();
} else if (rank === world - 1) {
  await dist.send(T([42]), 0, { tag: 7 });
}

// The event loop keeps running while a collective waits: rank 0 waits on a receive that
// rank 1 only sends after 300 ms, and counts timer ticks meanwhile.
if (rank === 0) {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const buf = torch.zeros(1, { dtype: D });
  const work = dist.irecv(buf, { src: 1, tag: 3 })!;
  extra.completed_before_wait = work.is_completed();
  await work.wait();
  clearInterval(timer);
  extra.ticks_while_waiting = ticks;
} else if (rank === 1) {
  await new Promise((r) => setTimeout(r, 300));
  await dist.send(T([1]), 0, { tag: 3 });
}

// Errors for bad input.
const errors: Record<string, string> = {};
const capture = async (name: string, fn: () => unknown) => {
  try {
    await fn();
    errors[name] = 'no error';
  } catch (e) {
    errors[name] = `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
};
await capture('avg', () => dist.all_reduce(T([1]), { op: dist.ReduceOp.AVG }));
await capture('non_contiguous', () => dist.all_reduce(torch.zeros(3, 2, { dtype: D }).t()));
await capture('gather_list_off_root', () => dist.gather(T([1]), { gather_list: [T([1])], dst: world - 1 === rank ? 0 : world - 1 }));
await capture('init_twice', () => dist.init_process_group({ backend: 'gloo', init_method: process.env.TEST_INIT_METHOD }));
await capture('bad_op', () => dist.all_reduce(T([1]), { op: 'sum' as never }));
await capture('not_tensor', () => dist.broadcast([1, 2] as never, 0));

// Collectives leave no tensor behind (composed ones dispose their temporaries). Garbage of the
// code above is collected first, so that the GC freeing it meanwhile cannot change the count.
collectGarbage();
const leakStart = torch.liveTensorCount();
{
  const x = T(base);
  const parts = Array.from({ length: world }, (_, i) => T([i, i]));
  const y = torch.zeros(2, { dtype: D });
  await dist.all_reduce(x);
  await dist.reduce_scatter(y, parts);
  const outs = Array.from({ length: world }, () => torch.zeros(1, { dtype: D }));
  const ins = Array.from({ length: world }, () => T([rank]));
  await dist.all_to_all(outs, ins);
  for (const z of [x, y, ...parts, ...outs, ...ins]) z.dispose();
}
extra.leaked = torch.liveTensorCount() - leakStart;
extra.started_with = startTensors >= 0;

extra.env = Object.fromEntries(['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'MASTER_ADDR', 'MASTER_PORT', 'OMP_NUM_THREADS'].map((k) => [k, process.env[k]]));
extra.torchelastic = dist.is_torchelastic_launched();
extra.world_size = dist.get_world_size();
extra.rank = dist.get_rank();
extra.backend = dist.get_backend();
report({ results: out, extra, errors });
await dist.barrier();
await dist.destroy_process_group();
extra.initialized_after_destroy = dist.is_initialized();
