// torch.utils.data memory: a DataLoader epoch leaves no tensor behind when batches are
// disposed (disposeBatches, `using`, or a break out of for await). In a file of its own:
// tensors left to the garbage collector by other tests would be collected mid-count.
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import { DataLoader, Dataset, TensorDataset } from '../lib/utils/data/index.js';

describe('memory', () => {
  class Transformed extends Dataset<[Tensor, number]> {
    constructor(private readonly base: Tensor) {
      super();
    }
    __getitem__(i: number): [Tensor, number] {
      // intermediates on purpose: they must not outlive the batch build
      return [this.base.index(i).mul(2).add(1).relu(), i % 3];
    }
    __len__(): number {
      return this.base.size(0);
    }
  }

  it('an epoch with tidy per batch keeps liveTensorCount flat (disposeBatches)', () => {
    const base = torch.randn(50, 4);
    const loader = new DataLoader(new Transformed(base), { batch_size: 8, shuffle: true, disposeBatches: true });
    const start = torch.liveTensorCount();
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const [x, y] of loader) {
        torch.tidy(() => {
          x.matmul(torch.ones(4, 1)).sum().add(y.sum());
        });
        expect(torch.liveTensorCount()).toBe(start + 2);
      }
      expect(torch.liveTensorCount()).toBe(start);
    }
    base.dispose();
  });
  it('batches are disposable: `using` frees each one', () => {
    const base = torch.randn(20, 3);
    const loader = new DataLoader(new Transformed(base), { batch_size: 6 });
    const start = torch.liveTensorCount();
    for (const batch of loader) {
      using b = batch;
      torch.tidy(() => {
        b[0].sum();
      });
    }
    expect(torch.liveTensorCount()).toBe(start);
    base.dispose();
  });
  it('a break out of for await disposes the batch prepared ahead', async () => {
    const base = torch.randn(40, 3);
    const loader = new DataLoader(new Transformed(base), { batch_size: 4, disposeBatches: true });
    const start = torch.liveTensorCount();
    let n = 0;
    for await (const [x] of loader) {
      torch.tidy(() => {
        x.sum();
      });
      await new Promise((r) => setImmediate(r)); // lets the next batch be built meanwhile
      if (++n === 3) break;
    }
    expect(torch.liveTensorCount()).toBe(start);
    for await (const [x] of loader) {
      torch.tidy(() => {
        x.sum();
      });
    }
    expect(torch.liveTensorCount()).toBe(start);
    base.dispose();
  });
  it('without disposeBatches the batches are the caller\'s, like in PyTorch', () => {
    const [x, y] = torch.tidy(() => [torch.arange(20, { dtype: torch.float32 }).reshape(10, 2), torch.arange(10).mul(10)]);
    const start = torch.liveTensorCount();
    const batches = [...new DataLoader(new TensorDataset(x, y), { batch_size: 5 })];
    expect(batches.length).toBe(2);
    expect(batches[0][1].tolist()).toEqual([0, 10, 20, 30, 40]);
    expect(torch.liveTensorCount()).toBe(start + 4);
    batches.forEach((b) => (b as unknown as Disposable)[Symbol.dispose]());
    expect(torch.liveTensorCount()).toBe(start);
    x.dispose();
    y.dispose();
  });
});
