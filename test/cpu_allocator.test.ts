// The small-block cache that holds small CPU tensors' data (native/cpu_allocator.cpp).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import torch from '../lib/index.js';
import { collectGarbage } from '../lib/memory.js';
import { runInFreshProcess } from './_util.js';

const stats = () => {
  const s = torch.smallBlockStats();
  if (s === null) throw new Error('the small-block cache is off in this process');
  return s;
};
// The change in allocated bytes that `make` causes, with no garbage of earlier tests collected meanwhile.
const allocatedBy = <T>(make: () => T): [T, number] => {
  collectGarbage();
  const before = stats().allocated;
  const made = make();
  return [made, stats().allocated - before];
};

// It needs an address range reserved with mmap: every platform torch-node builds on but Windows.
describe.skipIf(process.platform === 'win32')('the small-block cache for CPU data', () => {
  it('gives data of up to 1 KiB a block of the next multiple of 64 bytes, and takes it back on dispose', () => {
    for (const [numel, blockBytes] of [[1, 64], [16, 64], [17, 128], [100, 448], [255, 1024], [256, 1024]]) {
      const [t, grown] = allocatedBy(() => torch.empty(numel));
      expect(grown, `${numel} float32`).toBe(blockBytes);
      expect(t.data_ptr() % 64n).toBe(0n);
      const [, freed] = allocatedBy(() => t.dispose());
      expect(freed).toBe(-blockBytes);
    }
  });

  it('leaves empty tensors and data over 1 KiB to libtorch, which holds their values as well', () => {
    const [[big, none], grown] = allocatedBy(() => [torch.full([257], 3), torch.empty(0)]);
    expect(grown).toBe(0);
    expect(big.tolist()).toEqual(new Array(257).fill(3));
    expect(none.numel()).toBe(0);
  });

  it('hands out blocks that do not overlap, and reuses freed ones without mixing up values', () => {
    const sizes = (i: number) => 1 + ((i * 37) % 256);
    const kept = Array.from({ length: 3000 }, (_, i) => torch.full([sizes(i)], i));
    for (let i = 0; i < kept.length; i += 2) kept[i].dispose();
    const reserved = stats().reserved;
    const more = Array.from({ length: 1500 }, (_, i) => torch.full([sizes(2 * i)], -i));
    expect(stats().reserved).toBe(reserved); // every one fits where a disposed tensor was
    for (let i = 1; i < kept.length; i += 2) expect(kept[i].eq(i).all().item(), `tensor ${i}`).toBe(true);
    for (let i = 0; i < more.length; i++) expect(more[i].eq(-i).all().item(), `new tensor ${i}`).toBe(true);
    for (const t of [...kept, ...more]) t.dispose();
  });

  it('gets back the blocks of tensors that the garbage collector frees, in batches or all at once', () => {
    const x = torch.randn(4, 3);
    const [, grown] = allocatedBy(() => {
      for (let i = 0; i < 20_000; i++) x.add(x).relu();
      collectGarbage();
    });
    expect(grown).toBe(0);
  });

  it('moves a tensor that grows past 1 KiB (resize_) to libtorch with its values, and frees its block', () => {
    const [t, grown] = allocatedBy(() => torch.arange(10, { dtype: torch.float32 }));
    expect(grown).toBe(64);
    const [, moved] = allocatedBy(() => t.resize_(1000));
    expect(moved).toBe(-64);
    expect(t.narrow(0, 0, 10).tolist()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('is shared by worker threads: each gets right results, and every block comes back when they end', async () => {
    const steps = 20_000;
    const sumInWorker = (value: number) =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(new URL('./workers/small_tensor_ops.mjs', import.meta.url), { workerData: { value, steps } });
        let sum = NaN;
        worker.once('message', (s: number) => (sum = s));
        worker.once('error', reject);
        worker.once('exit', () => resolve(sum)); // its instance of the addon has freed its tensors by then
      });
    collectGarbage();
    const before = stats().allocated;
    const sums = await Promise.all([1, 2, 3].map(sumInWorker));
    // x = [v, v, v, v, v]: (x + i).sum() is 5 (v + i), exact in float32 at these sizes.
    const expected = (v: number) => 5 * (v * steps + (steps * (steps - 1)) / 2);
    expect(sums).toEqual([1, 2, 3].map(expected));
    collectGarbage();
    expect(stats().allocated).toBe(before);
  });

  it('is off with TORCH_NODE_SMALL_BLOCK_CACHE=0, and results are the same either way', () => {
    const work = [
      "const torch = (await import('./lib/index.ts')).default;",
      'torch.manual_seed(0);',
      'const x = torch.randn(7, 5, { requires_grad: true });',
      'const y = x.matmul(x.t()).softmax(-1).mul(torch.arange(7)).sum();',
      'y.backward();',
      'console.log(JSON.stringify({ stats: torch.smallBlockStats(), y: y.item(), grad: x.grad.tolist() }));',
    ];
    const on = runInFreshProcess(work);
    const off = runInFreshProcess(work, { TORCH_NODE_SMALL_BLOCK_CACHE: '0' });
    expect(on.stats.reserved).toBeGreaterThan(0);
    expect(off.stats).toBeNull();
    expect(off.y).toBe(on.y);
    expect(off.grad).toEqual(on.grad);
  });
});
