// torch.distributed on c10d/Gloo: every collective on 2 ranks (env:// rendezvous through a
// TCPStore) and 3 ranks (file://), compared with PyTorch's results for the same program
// (scripts/fixtures/make_distributed.py); stores; DistributedSampler; argument errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import torch from '../lib/index.js';
import * as dist from '../lib/distributed/index.js';
import { TorchError, TorchTypeError, ValueError, NotImplementedError } from '../lib/errors.js';
import { loadFixture } from './_util.js';
import { launch, worker, type Launched } from './distributed/_launch.js';

interface Fx { shape: number[]; dtype: string; data: (number | string)[] }

function expectSameTensor(actual: Fx, expected: Fx, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  expect(actual.dtype, what).toBe(expected.dtype);
  expect(actual.data, what).toEqual(expected.data.map(Number));
}

function expectSameResult(actual: unknown, expected: unknown, what: string): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), what).toBe(true);
    expect((actual as unknown[]).length, what).toBe(expected.length);
    expected.forEach((e, i) => expectSameResult((actual as unknown[])[i], e, `${what}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    expectSameTensor(actual as Fx, expected as Fx, what);
  } else {
    expect(actual, what).toBe(expected);
  }
}

const collectivesFixture = loadFixture<Record<string, Record<string, unknown>[]>>('distributed_collectives.json');

describe.each([
  { world: 2, rendezvous: 'env' as const },
  { world: 3, rendezvous: 'file' as const },
])('collectives on $world Gloo ranks ($rendezvous://)', ({ world, rendezvous }) => {
  let launched: Launched;
  beforeAll(async () => {
    launched = await launch(worker('worker_collectives.ts'), world, { rendezvous });
  });

  it('every rank finishes and reports', () => {
    expect(launched.code, launched.stderr).toBe(0);
    expect([...launched.results.keys()].sort()).toEqual(Array.from({ length: world }, (_, i) => i));
  });

  it("every collective's result equals PyTorch's", () => {
    for (let rank = 0; rank < world; rank++) {
      const expected = collectivesFixture[String(world)][rank];
      const actual = launched.results.get(rank).results;
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      for (const name of Object.keys(expected)) expectSameResult(actual[name], expected[name], `rank ${rank} ${name}`);
    }
  });

  it('async work, any-source receive, subgroups and the free event loop', () => {
    for (let rank = 0; rank < world; rank++) {
      const { extra } = launched.results.get(rank);
      expect(extra.rank).toBe(rank);
      expect(extra.world_size).toBe(world);
      expect(extra.backend).toBe('gloo');
      expect(extra.ring_completed).toBe(true);
      expect(extra.is_non_member).toBe(rank > 1);
      expect(extra.subgroup_world_size).toBe(rank > 1 ? -1 : 2);
      expect(extra.leaked).toBe(0);
      expect(extra.torchelastic).toBe(true);
      expect(extra.env).toMatchObject({ RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world), LOCAL_WORLD_SIZE: String(world), GROUP_RANK: '0', OMP_NUM_THREADS: '1' });
    }
    const root = launched.results.get(0).extra;
    expect(root.any_source_sender).toBe(world - 1);
    expect(root.any_source_value).toBe(42);
    expect(root.completed_before_wait).toBe(false);
    // Timers fired while the receive waited ~300 ms for rank 1.
    expect(root.ticks_while_waiting).toBeGreaterThan(3);
  });

  it('bad arguments fail with clear errors', () => {
    const { errors } = launched.results.get(0);
    expect(errors.avg).toMatch(/^ValueError: Cannot use ReduceOp.AVG with Gloo/);
    expect(errors.non_contiguous).toMatch(/^ValueError: all_reduce: Tensors must be contiguous/);
    expect(errors.gather_list_off_root).toMatch(/^ValueError: Argument ``gather_list`` must NOT be specified on non-destination ranks/);
    expect(errors.init_twice).toMatch(/^TorchError: trying to initialize the default process group twice!/);
    expect(errors.bad_op).toMatch(/^TorchTypeError: all_reduce: expected a ReduceOp for 'op'/);
    expect(errors.not_tensor).toMatch(/^TorchError: Invalid function argument. Expected parameter `tensor` to be of type torch.Tensor/);
  });
});

describe('stores', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'torch-node-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('FileStore: set, get, add, check, compare_set, delete_key, num_keys, wait', async () => {
    const store = new dist.FileStore(join(dir, 'store'), 1);
    await store.set('text', 'hello');
    await store.set('bytes', new Uint8Array([1, 2, 255]));
    expect(String(await store.get('text'))).toBe('hello');
    expect([...(await store.get('bytes'))]).toEqual([1, 2, 255]);
    expect(await store.add('counter', 5)).toBe(5);
    expect(await store.add('counter', -2)).toBe(3);
    expect(await store.check(['text', 'counter'])).toBe(true);
    expect(await store.check(['text', 'missing'])).toBe(false);
    expect(String(await store.compare_set('text', 'hello', 'world'))).toBe('world');
    expect(String(await store.compare_set('text', 'nope', 'again'))).toBe('world');
    await store.wait(['text', 'bytes']);
    expect(await store.delete_key('bytes')).toBe(true);
    expect(await store.check(['bytes'])).toBe(false);
    // Keys written through a PrefixStore land under 'prefix/key' in the underlying store.
    const prefixed = new dist.PrefixStore('job', store);
    await prefixed.set('k', 'v');
    expect(String(await store.get('job/k'))).toBe('v');
    expect(await store.num_keys()).toBeGreaterThanOrEqual(3);
    store.close();
  });

  it('a wait for a missing key times out with an error, without blocking the event loop', async () => {
    const store = new dist.HashStore();
    store.set_timeout(5000);
    expect(store.timeout).toBe(5000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const start = Date.now();
    await expect(store.wait(['never'], 200)).rejects.toThrow(TorchError);
    clearInterval(timer);
    expect(Date.now() - start).toBeLessThan(2000);
    expect(ticks).toBeGreaterThan(5);
    await expect(store.wait(['never'], 100)).rejects.toThrow(/[Tt]imeout/);
  });

  // libtorch 1.13's TCPStore server listens on the wildcard address (it has no bind-address
  // option); the clients here connect over 127.0.0.1 and the store lives for this test only.
  it('TCPStore: a server and a client on 127.0.0.1 share keys; wait resolves when another sets', async () => {
    const server = await dist.TCPStore.create('127.0.0.1', 0, { world_size: 2, is_master: true, wait_for_workers: false, timeout: 10_000 });
    const client = await dist.TCPStore.create('127.0.0.1', server.port, { world_size: 2, timeout: 10_000 });
    expect(server.port).toBeGreaterThan(0);
    const waiting = client.wait(['late']);
    await new Promise((r) => setTimeout(r, 50));
    await server.set('late', 'now');
    await waiting;
    expect(String(await client.get('late'))).toBe('now');
    expect(await client.add('n', 2)).toBe(2);
    expect(await server.add('n', 3)).toBe(5);
    client.close();
    server.close();
  });

  it('store arguments are checked', async () => {
    const store = new dist.HashStore();
    expect(() => store.set(1 as never, 'x')).toThrow(TorchTypeError);
    expect(() => store.set('k', 1 as never)).toThrow(/expected a string or Uint8Array for 'value'/);
    expect(() => store.add('k', 1.5)).toThrow(/expected an integer for 'amount'/);
    expect(() => store.wait('k' as never)).toThrow(/expected an array of strings for 'keys'/);
    expect(() => new dist.TCPStore('127.0.0.1', 70000)).toThrow(/from 0 to 65535/);
    expect(() => new dist.FileStore('')).toThrow(TorchTypeError);
    expect(() => new dist.PrefixStore('p', {} as never)).toThrow(/expected a Store for 'store'/);
  });
});

describe('DistributedSampler', () => {
  const cases = loadFixture<{ n: number; num_replicas: number; shuffle: boolean; drop_last: boolean; seed: number; epoch: number; indices: number[][]; len: number }[]>('distributed_sampler.json');

  it("gives PyTorch's indices for every seed, epoch, shuffle and drop_last", () => {
    for (const c of cases) {
      for (let rank = 0; rank < c.num_replicas; rank++) {
        const sampler = new dist.DistributedSampler(Array.from({ length: c.n }), { num_replicas: c.num_replicas, rank, shuffle: c.shuffle, seed: c.seed, drop_last: c.drop_last });
        sampler.set_epoch(c.epoch);
        expect([...sampler], JSON.stringify({ ...c, indices: undefined, rank })).toEqual(c.indices[rank]);
        expect(sampler.length).toBe(c.len);
      }
    }
  });

  it('leaves the global generator alone and leaks nothing', () => {
    torch.manual_seed(7);
    const expected = torch.rand(3).tolist();
    torch.manual_seed(7);
    const before = torch.liveTensorCount();
    [...new dist.DistributedSampler(Array.from({ length: 50 }), { num_replicas: 2, rank: 0, seed: 1 })];
    expect(torch.liveTensorCount()).toBe(before);
    expect(torch.rand(3).tolist()).toEqual(expected);
  });

  it('checks its arguments', () => {
    const ds = Array.from({ length: 4 });
    expect(() => new dist.DistributedSampler(ds, { num_replicas: 2, rank: 2 })).toThrow(/Invalid rank 2, rank should be in the interval \[0, 1\]/);
    expect(() => new dist.DistributedSampler(ds, { num_replicas: 0, rank: 0 })).toThrow(TorchTypeError);
    expect(() => new dist.DistributedSampler(ds)).toThrow(ValueError);
    expect(() => new dist.DistributedSampler(ds, { num_replicas: 2, rank: 0 }).set_epoch(0.5)).toThrow(/expected an integer for 'epoch'/);
  });
});

describe('without a process group', () => {
  it('collectives and queries say the group is not initialized', () => {
    expect(dist.is_available()).toBe(true);
    expect(dist.is_gloo_available()).toBe(true);
    expect(dist.is_nccl_available()).toBe(false);
    expect(dist.is_initialized()).toBe(false);
    expect(() => dist.get_rank()).toThrow(/Default process group has not been initialized/);
    expect(() => dist.all_reduce(torch.ones(2))).toThrow(TorchError);
    expect(dist.get_rank(dist.GroupMember.NON_GROUP_MEMBER)).toBe(-1);
  });

  it('init_process_group rejects bad backends, URLs and missing environment', async () => {
    const saved = { ...process.env };
    try {
      for (const k of ['MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE']) delete process.env[k];
      await expect(dist.init_process_group({ backend: 'nccl' })).rejects.toThrow(NotImplementedError);
      await expect(dist.init_process_group({ backend: 'carrier-pigeon' })).rejects.toThrow(/Invalid backend: 'carrier-pigeon'/);
      await expect(dist.init_process_group({ timeout: 1.5 })).rejects.toThrow(/positive integer number of milliseconds/);
      await expect(dist.init_process_group({ rank: 0, world_size: 1 })).rejects.toThrow(/env:\/\/ rendezvous: environment variable MASTER_ADDR expected, but not set/);
      await expect(dist.init_process_group({ init_method: 'tcp://127.0.0.1', rank: 0, world_size: 1 })).rejects.toThrow(/tcp:\/\/ rendezvous: port number missing/);
      await expect(dist.init_process_group({ init_method: 'file:///tmp/x' })).rejects.toThrow(/file:\/\/ rendezvous: rank parameter missing/);
      await expect(dist.init_process_group({ init_method: 'udp://x:1' })).rejects.toThrow(/No rendezvous handler for udp:\/\//);
      await expect(dist.init_process_group({ init_method: 'file:///tmp/x?rank=0', rank: 0 })).rejects.toThrow(/has node-specific arguments/);
      await expect(dist.init_process_group({ store: new dist.HashStore(), rank: 0 })).rejects.toThrow(/world_size must be positive if using store/);
      expect(dist.is_initialized()).toBe(false);
    } finally {
      Object.assign(process.env, saved);
    }
  });

  it('a one-rank group over a HashStore works in process, and can be re-created after destroy', async () => {
    process.env.GLOO_SOCKET_IFNAME = 'lo';
    for (let round = 0; round < 2; round++) {
      await dist.init_process_group({ backend: 'gloo', store: new dist.HashStore(), rank: 0, world_size: 1, timeout: 10_000 });
      const t = torch.tensor([1, 2, 3]);
      const work = dist.all_reduce(t, { async_op: true })!;
      expect(await work.wait()).toBe(true);
      expect(work.is_completed()).toBe(true);
      expect(work.is_success()).toBe(true);
      expect(work.exception()).toBe(null);
      expect(t.tolist()).toEqual([1, 2, 3]);
      expect(String(dist.GroupMember.WORLD)).toBe('ProcessGroup(backend=gloo, rank=0, size=1)');
      await dist.destroy_process_group();
      expect(dist.is_initialized()).toBe(false);
    }
  });
});
