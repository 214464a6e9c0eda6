// torch.utils.data against PyTorch 1.13 (test/fixtures/data_loading.json, written by
// scripts/fixtures/make_data.py): collation, samplers (shuffled orders included, with and
// without a generator), DataLoader batches and lengths, random_split; then errors and leaks.
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import {
  BatchSampler, ConcatDataset, DataLoader, Dataset, DistributedSampler, Generator, IterableDataset, RandomSampler, SequentialSampler,
  Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, collate, default_collate, default_collate_fn_map, default_convert,
  random_split,
} from '../lib/utils/data/index.js';
import { expectTensor, isTensorFixture, loadFixture } from './_util.js';

const fixture = loadFixture('data_loading.json');

/** Compares a JS value (tensors, arrays, objects, primitives) with a fixture of the same structure. */
function expectTree(actual: unknown, expected: unknown, path = 'value'): void {
  if (isTensorFixture(expected)) {
    expect(actual, path).toBeInstanceOf(Tensor);
    expectTensor(actual as Tensor, expected);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectTree((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected)) expectTree((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
  } else {
    expect(actual, path).toBe(expected);
  }
}

const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i);

function tensorData(): TensorDataset {
  return new TensorDataset(torch.arange(20, { dtype: torch.float32 }).reshape(10, 2), torch.arange(10).mul(10));
}

describe('default_collate', () => {
  const c = fixture.collate;
  it('numbers, booleans and strings', () => {
    expectTree(default_collate([0, 1, 2, 3]), c.ints);
    expectTree(default_collate([0.5, 1.5, 2.25]), c.floats);
    expectTree(default_collate([true, false, true]), c.bools);
    expect(default_collate(['a', 'b', 'c'])).toEqual(c.strings);
  });
  it('stacks tensors', () => {
    const t = range(3).map((i) => torch.arange(6, { dtype: torch.float32 }).reshape(2, 3).add(i));
    expectTree(default_collate(t), c.tensors);
    expectTree(default_collate([torch.tensor([1, 2]), torch.tensor([3, 4])]), c.int64_tensor_rows);
  });
  it('recurses into objects, Maps and arrays like Python dicts, tuples and lists', () => {
    expectTree(default_collate([{ A: 0, B: 1.5 }, { A: 100, B: 100.5 }]), c.dicts);
    expectTree(default_collate([[0, 1], [2, 3]]), c.tuples);
    const t = range(2).map((i) => torch.arange(6, { dtype: torch.float32 }).reshape(2, 3).add(i));
    expectTree(default_collate([{ x: t[0], y: [1, [2.5, true]] }, { x: t[1], y: [3, [4.5, false]] }]), c.nested);
    const fromMap = default_collate([new Map([['A', 0], ['B', 1.5]]), new Map([['A', 100], ['B', 100.5]])]) as Map<string, Tensor>;
    expect(fromMap).toBeInstanceOf(Map);
    expectTree({ A: fromMap.get('A'), B: fromMap.get('B') }, c.dicts);
  });
  it('turns typed arrays into tensors, like numpy arrays', () => {
    const batch = default_collate([new Float32Array([1, 2]), new Float32Array([3, 4])]) as Tensor;
    expect(batch.shape).toEqual([2, 2]);
    expect(batch.dtype).toBe(torch.float32);
    expect(batch.tolist()).toEqual([[1, 2], [3, 4]]);
    expect((default_convert({ a: new Uint8Array([1, 2]), b: 'x' }) as { a: Tensor }).a.dtype).toBe(torch.uint8);
  });
  it('collate with a custom map, and extending default_collate_fn_map', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const sumPoints = (batch: Point[]) => batch.reduce((s, p) => s + p.x, 0);
    expect(collate([new Point(1), new Point(2)], { collate_fn_map: new Map([[Point, sumPoints]]) })).toBe(3);
    default_collate_fn_map.set(Point, sumPoints);
    try {
      expect(default_collate([{ p: new Point(4) }, { p: new Point(5) }])).toEqual({ p: 9 });
    } finally {
      default_collate_fn_map.delete(Point);
    }
  });
  it('errors: empty batch, ragged lists, unsupported elements', () => {
    expect(() => default_collate([])).toThrow(/batch is empty/);
    expect(() => default_collate([[1, 2], [3]])).toThrow(/each element in list of batch should be of equal size/);
    expect(() => default_collate([null, null])).toThrow(torch.TorchTypeError);
    expect(() => default_collate([null, null])).toThrow(/found null/);
    expect(() => default_collate([torch.zeros(2), torch.zeros(3)])).toThrow(torch.TorchError);
  });
});

describe('samplers: same indices as PyTorch', () => {
  const s = fixture.samplers;
  it('RandomSampler without a generator follows the global seed, epoch after epoch', () => {
    torch.manual_seed(0);
    const sampler = new RandomSampler(range(10));
    const epochs = [[...sampler], [...sampler]];
    expect(epochs).toEqual(s.random_global_seed0.slice(0, 2));
    // one int64 draw per epoch, as in PyTorch: the global stream continues where Python's does
    expect(torch.rand(1).item()).toBe(s.random_global_seed0[2]);
  });
  it('RandomSampler with a generator (a Generator, a seed or { seed })', () => {
    for (const generator of [new Generator().manual_seed(7), 7, { seed: 7 }]) {
      const sampler = new RandomSampler(range(10), { generator });
      expect([[...sampler], [...sampler]]).toEqual(s.random_gen7);
    }
  });
  it('RandomSampler with replacement and num_samples', () => {
    torch.manual_seed(1);
    expect([...new RandomSampler(range(7), { replacement: true, num_samples: 70 })]).toEqual(s.random_replacement_global_seed1);
    expect([...new RandomSampler(range(7), { replacement: true, num_samples: 70, generator: 3 })]).toEqual(s.random_replacement_gen3);
    torch.manual_seed(2);
    const more = new RandomSampler(range(10), { num_samples: 25 });
    expect(more.length).toBe(25);
    expect([...more]).toEqual(s.random_num_samples_25_global_seed2);
  });
  it('SubsetRandomSampler', () => {
    torch.manual_seed(3);
    expect([...new SubsetRandomSampler([10, 11, 12, 13, 14, 15])]).toEqual(s.subset_random_global_seed3);
    expect([...new SubsetRandomSampler([10, 11, 12, 13, 14, 15], { generator: 4 })]).toEqual(s.subset_random_gen4);
  });
  it('WeightedRandomSampler, with and without replacement, global or seeded', () => {
    const w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6];
    torch.manual_seed(5);
    expect([...new WeightedRandomSampler(w, 20)]).toEqual(s.weighted_replacement_global_seed5);
    torch.manual_seed(5);
    expect([...new WeightedRandomSampler(w, 5, { replacement: false })]).toEqual(s.weighted_no_replacement_global_seed5);
    expect([...new WeightedRandomSampler(w, 20, { generator: 6 })]).toEqual(s.weighted_replacement_gen6);
    expect([...new WeightedRandomSampler(w, 5, { replacement: false, generator: 6 })]).toEqual(s.weighted_no_replacement_gen6);
    expect([...new WeightedRandomSampler(torch.tensor(w), 1, { generator: 6 })]).toEqual(s.weighted_one_gen6);
  });
  it('BatchSampler and its length', () => {
    expect([...new BatchSampler(new SequentialSampler(range(10)), 3, false)]).toEqual(s.batch_keep);
    expect([...new BatchSampler(new SequentialSampler(range(10)), 3, true)]).toEqual(s.batch_drop);
    expect([new BatchSampler(range(10), 3, false).length, new BatchSampler(range(10), 3, true).length, new BatchSampler(range(9), 3, true).length]).toEqual(s.batch_len);
  });
  it('DistributedSampler per rank, padded or dropped, shuffled with seed + epoch', () => {
    for (const [key, perRank] of Object.entries(s.distributed as Record<string, number[][]>)) {
      const [, shuffle, drop] = /shuffle(\d)_drop(\d)/.exec(key)!.map(Number).map((v, i) => (i === 0 ? v : v === 1));
      perRank.forEach((want, rank) => {
        const sampler = new DistributedSampler(range(11), { num_replicas: 3, rank, shuffle: Boolean(shuffle), seed: 5, drop_last: Boolean(drop) });
        sampler.set_epoch(2);
        expect([...sampler], `${key} rank ${rank}`).toEqual(want);
        expect(sampler.length).toBe(want.length);
      });
    }
  });
  it('the Generator port matches torch.Generator', () => {
    const g = fixture.generator;
    const gen = new Generator(123);
    expect(String(gen.randomInt64())).toBe(g.seed123_int64);
    expect(gen.randperm(10)).toEqual(g.seed123_randperm10);
    expect(gen.randint(7, 5)).toEqual(g.seed123_randint7);
    expect(new Generator(2 ** 40 + 17).randperm(12)).toEqual(g.big_seed_randperm12);
    expect(new Generator(-5).randperm(8)).toEqual(g.negative_seed_randperm8);
    expect(new Generator().randperm(6)).toEqual(g.default_seed_randperm6);
  });
});

describe('DataLoader', () => {
  const f = fixture.loader;
  it('batches in order without shuffling', () => {
    const batches = [...new DataLoader(tensorData(), { batch_size: 3 })];
    expectTree(batches, f.sequential_b3);
  });
  it('len(loader) and batch sizes with and without drop_last', () => {
    const ds = tensorData();
    for (const [key, want] of Object.entries(f.lengths as Record<string, number>)) {
      const [, b, d] = /b(\d+)_drop(\d)/.exec(key)!.map(Number);
      const loader = new DataLoader(ds, { batch_size: b, drop_last: d === 1 });
      expect(loader.length, key).toBe(want);
      expect(loader.__len__()).toBe(want);
    }
    for (const [key, sizes] of Object.entries(f.lengths_drop_batches as Record<string, number[]>)) {
      const [, b, d] = /b(\d+)_drop(\d)/.exec(key)!.map(Number);
      expect([...new DataLoader(ds, { batch_size: b, drop_last: d === 1 })].map(([, y]) => y.size(0)), key).toEqual(sizes);
    }
  });
  it('shuffle: PyTorch\'s order for the same torch.manual_seed, three epochs', () => {
    torch.manual_seed(0);
    const loader = new DataLoader(tensorData(), { batch_size: 4, shuffle: true });
    const epochs = range(3).map(() => [...loader].map(([, y]) => y.div(10, { rounding_mode: 'floor' }).mul(10).tolist()));
    expect(epochs).toEqual(f.shuffle_seed0);
  });
  it('shuffle with a generator: PyTorch\'s order for torch.Generator().manual_seed(7)', () => {
    const loader = new DataLoader(tensorData(), { batch_size: 4, shuffle: true, generator: { seed: 7 } });
    expect(range(2).map(() => [...loader].map(([, y]) => y.tolist()))).toEqual(f.shuffle_gen7);
  });
  it('random draws in __getitem__ interleave with the sampler\'s like PyTorch\'s', () => {
    class RandomNoise extends Dataset<[number, number]> {
      __getitem__(i: number): [number, number] {
        return [i, torch.rand(1).item()];
      }
      __len__(): number {
        return 6;
      }
    }
    torch.manual_seed(11);
    expectTree([...new DataLoader(new RandomNoise(), { batch_size: 4, shuffle: true })], f.noise_seed11);
  });
  it('batch_size null: samples one by one, converted by default_convert', () => {
    const items = [...new DataLoader(tensorData(), { batch_size: null })];
    expect(items.length).toBe(10);
    expectTree(items.slice(0, 3), f.no_batching);
  });
  it('a custom sampler, batch_sampler and collate_fn', () => {
    const ds = range(10, 100);
    expect([...new DataLoader(ds, { sampler: [9, 0, 5], batch_size: 2, collate_fn: (b) => b })]).toEqual([[109, 100], [105]]);
    expect([...new DataLoader(ds, { batch_sampler: [[1, 2], [3]], collate_fn: (b) => b })]).toEqual([[101, 102], [103]]);
    const loader = new DataLoader(ds, { batch_sampler: new BatchSampler(new SequentialSampler(ds), 4, true) });
    expect(loader.length).toBe(2);
    expect([...loader].map((b) => (b as Tensor).tolist())).toEqual([[100, 101, 102, 103], [104, 105, 106, 107]]);
  });
  it('IterableDataset: batches from the stream, length from the dataset', () => {
    class Stream extends IterableDataset<number> {
      *__iter__(): Iterator<number> {
        for (let i = 0; i < 7; i++) yield i * i;
      }
      __len__(): number {
        return 7;
      }
    }
    const loader = new DataLoader(new Stream(), { batch_size: 3 });
    expect(loader.length).toBe(3);
    expect([...loader].map((b) => (b as Tensor).tolist())).toEqual([[0, 1, 4], [9, 16, 25], [36]]);
    expect([...new DataLoader(new Stream(), { batch_size: 3, drop_last: true })].length).toBe(2);
    expect([...new DataLoader(new Stream(), { batch_size: null })]).toEqual([0, 1, 4, 9, 16, 25, 36]);
    expect([...new Stream().__add__(new Stream())].length).toBe(14);
  });
  it('map-style datasets are iterable and concatenate', () => {
    const ds = tensorData();
    expect([...ds].length).toBe(10);
    const both = ds.__add__(ds);
    expect(both).toBeInstanceOf(ConcatDataset);
    expect(both.length).toBe(20);
    expect(both.__getitem__(13)[1].item()).toBe(30);
  });
  it('for await gives the same batches, in the same random order', async () => {
    torch.manual_seed(0);
    const loader = new DataLoader(tensorData(), { batch_size: 4, shuffle: true });
    const epochs: number[][][] = [];
    for (let e = 0; e < 3; e++) {
      const batches: number[][] = [];
      for await (const [, y] of loader) batches.push(y.tolist() as number[]);
      epochs.push(batches);
    }
    expect(epochs).toEqual(f.shuffle_seed0);
  });
  it('for await over an async __getitem__ and an async iterable dataset', async () => {
    class Slow extends Dataset<Promise<[Tensor, number]>> {
      async __getitem__(i: number): Promise<[Tensor, number]> {
        await new Promise((r) => setTimeout(r, 1));
        return [torch.full([2], i), i];
      }
      __len__(): number {
        return 5;
      }
    }
    const seen: number[][] = [];
    for await (const [x, y] of new DataLoader(new Slow(), { batch_size: 2 })) {
      expect(x.shape[1]).toBe(2);
      seen.push(y.tolist() as number[]);
    }
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
    class Ticker extends IterableDataset<number> {
      async *[Symbol.asyncIterator](): AsyncIterator<number> {
        for (let i = 0; i < 5; i++) yield i;
      }
    }
    const ticks: number[][] = [];
    for await (const b of new DataLoader(new Ticker(), { batch_size: 2, drop_last: true })) ticks.push((b as Tensor).tolist() as number[]);
    expect(ticks).toEqual([[0, 1], [2, 3]]);
    expect(() => [...new DataLoader(new Slow(), { batch_size: 2 })]).toThrow(/for await/);
    expect(() => [...new DataLoader(new Ticker(), { batch_size: 2 })]).toThrow(/for await/);
  });
  it('an error in __getitem__ surfaces at that batch, in both loops', async () => {
    class Faulty extends Dataset<number> {
      __getitem__(i: number): number {
        if (i === 5) throw new RangeError('bad sample 5');
        return i;
      }
      __len__(): number {
        return 8;
      }
    }
    const got: number[] = [];
    expect(() => {
      for (const b of new DataLoader(new Faulty(), { batch_size: 2 })) got.push(...((b as Tensor).tolist() as number[]));
    }).toThrow('bad sample 5');
    expect(got).toEqual([0, 1, 2, 3]);
    const gotAsync: number[] = [];
    await expect(
      (async () => {
        for await (const b of new DataLoader(new Faulty(), { batch_size: 2 })) gotAsync.push(...((b as Tensor).tolist() as number[]));
      })(),
    ).rejects.toThrow('bad sample 5');
    expect(gotAsync).toEqual([0, 1, 2, 3]);
  });
});

describe('datasets and random_split', () => {
  const s = fixture.split;
  it('random_split on the global generator: PyTorch\'s split, and the stream continues like PyTorch\'s', () => {
    torch.manual_seed(0);
    expect(random_split(range(10), [3, 7]).map((sub) => sub.indices)).toEqual(s.global_seed0_3_7);
    expect(torch.rand(1).item()).toBe(s.global_seed0_after);
  });
  it('random_split with a generator, lengths or fractions', () => {
    expect(random_split(range(10), [3, 7], { generator: { seed: 42 } }).map((sub) => sub.indices)).toEqual(s.gen42_3_7);
    const parts = random_split(range(30), [0.3, 0.3, 0.4], { generator: 42 });
    expect(parts.map((sub) => sub.indices)).toEqual(s.gen42_fractions_30);
    expect(random_split(range(11), [0.5, 0.25, 0.25], { generator: new Generator(1) }).map((sub) => sub.indices)).toEqual(s.gen1_fractions_11);
    expect(parts[0].__getitem__(0)).toBe(s.gen42_fractions_30[0][0]);
  });
  it('ConcatDataset and Subset index like PyTorch', () => {
    expect(new ConcatDataset([range(3), range(5)]).length).toBe(s.concat_len);
    const cat = new ConcatDataset([range(3), range(5, 10)]);
    expect([0, 2, 3, 7, -1, -8].map((i) => cat.__getitem__(i))).toEqual(s.concat_items);
    const sub = new Subset(range(10, 10), [9, 0, 4]);
    expect(range(3).map((i) => sub.__getitem__(i))).toEqual(s.subset_items);
  });
  it('TensorDataset samples are rows of each tensor', () => {
    const ds = tensorData();
    const [x, y] = ds.__getitem__(-1);
    expect(x.tolist()).toEqual([18, 19]);
    expect(y.item()).toBe(90);
  });
});

describe('errors', () => {
  it('bad DataLoader options, with PyTorch\'s messages', () => {
    const ds = tensorData();
    expect(() => new DataLoader(ds, { batch_size: 0 })).toThrow(torch.ValueError);
    expect(() => new DataLoader(ds, { batch_size: 0 })).toThrow(/batch_size should be a positive integer value, but got batch_size=0/);
    expect(() => new DataLoader(ds, { batch_size: 2.5 })).toThrow(/batch_size should be a positive integer/);
    expect(() => new DataLoader(ds, { shuffle: true, sampler: [0, 1] })).toThrow(/sampler option is mutually exclusive with shuffle/);
    expect(() => new DataLoader(ds, { batch_sampler: [[0]], batch_size: 2 })).toThrow(/batch_sampler option is mutually exclusive/);
    expect(() => new DataLoader(ds, { batch_size: null, drop_last: true })).toThrow(/mutually exclusive with drop_last/);
    expect(() => new DataLoader(ds, { num_workers: -1 })).toThrow(/num_workers option should be non-negative/);
    expect(() => new DataLoader(ds, { num_workers: 2 })).toThrow(torch.NotImplementedError);
    expect(() => new DataLoader(ds, { num_workers: 2 })).toThrow(/main thread/);
    expect(() => new DataLoader(ds, { timeout: -1 })).toThrow(/timeout option should be non-negative/);
    expect(() => new DataLoader(ds, { prefetch_factor: 4 })).toThrow(/prefetch_factor option could only be specified in multiprocessing/);
    expect(() => new DataLoader(ds, { persistent_workers: true })).toThrow(/persistent_workers option needs num_workers > 0/);
    expect(() => new DataLoader(ds, { generator: 'seed' as never })).toThrow(torch.TorchTypeError);
    class Stream extends IterableDataset<number> {
      *__iter__(): Iterator<number> {
        yield 1;
      }
    }
    expect(() => new DataLoader(new Stream(), { shuffle: true })).toThrow(/expected unspecified shuffle option/);
    expect(() => new DataLoader(new Stream(), { sampler: [0] })).toThrow(/expected unspecified sampler option/);
    expect(() => new DataLoader(new Stream()).length).toThrow(/has no len\(\)/);
  });
  it('indices out of range', () => {
    const ds = tensorData();
    expect(() => ds.__getitem__(10)).toThrow(torch.IndexError);
    expect(() => ds.__getitem__(10)).toThrow(/index 10 is out of bounds for dimension 0 with size 10/);
    expect(() => ds.__getitem__(1.5)).toThrow(torch.TorchTypeError);
    expect(() => new Subset(ds, [0, 1]).__getitem__(2)).toThrow(torch.IndexError);
    expect(() => new ConcatDataset([range(3)]).__getitem__(-4)).toThrow(/absolute value of index should not exceed dataset length/);
    expect(() => new ConcatDataset([range(3)]).__getitem__(3)).toThrow(torch.IndexError);
    expect(() => [...new DataLoader(range(3), { sampler: [0, 7] })]).toThrow(/list index out of range/);
  });
  it('bad sampler and split arguments', () => {
    expect(() => new RandomSampler(range(3), { replacement: 1 as never })).toThrow(/replacement should be a boolean value, but got replacement=1/);
    expect(() => new RandomSampler(range(3), { num_samples: 0 })).toThrow(/num_samples should be a positive integer value, but got num_samples=0/);
    expect(() => new RandomSampler([])).toThrow(/num_samples should be a positive integer value/);
    expect(() => new BatchSampler(range(3), -1, false)).toThrow(/batch_size should be a positive integer value/);
    expect(() => new BatchSampler(range(3), 2, 'no' as never)).toThrow(/drop_last should be a boolean value/);
    expect(() => new WeightedRandomSampler([[1, 2]] as never, 2)).toThrow(/weights should be a 1d sequence but given weights have shape \(1, 2\)/);
    expect(() => [...new WeightedRandomSampler([1, 0, 0], 2, { replacement: false, generator: 1 })]).toThrow(/not enough non-negative category/);
    expect(() => new DistributedSampler(range(4), { num_replicas: 2, rank: 2 })).toThrow(/Invalid rank 2, rank should be in the interval \[0, 1\]/);
    expect(() => new DistributedSampler(range(4))).toThrow(/init_process_group\) or num_replicas and rank/);
    expect(() => random_split(range(10), [3, 3])).toThrow(/Sum of input lengths does not equal the length of the input dataset!/);
    expect(() => random_split(range(10), [1.5, -0.5])).toThrow(/Fraction at index 0 is not between 0 and 1/);
    expect(() => new TensorDataset(torch.zeros(3), torch.zeros(4))).toThrow(/Size mismatch between tensors/);
    expect(() => new ConcatDataset([])).toThrow(/datasets should not be an empty iterable/);
  });
});
