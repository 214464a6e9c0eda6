// Datasets (torch/utils/data/dataset.py). A map-style dataset answers `__getitem__(i)` and
// `__len__()` (PyTorch's own method names, so that ported subclasses read the same); an
// iterable-style dataset yields samples from `[Symbol.iterator]()` (or `__iter__()`), or,
// for `for await` loading, from `[Symbol.asyncIterator]()`.
import { IndexError, NotImplementedError, TorchTypeError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { Generator, toGenerator, type GeneratorLike } from './_utils/generator.js';

const shownWarnings = new Set<string>();

/** Python's `warnings.warn(message)`: a UserWarning, shown once per message. */
export function warn(message: string): void {
  if (shownWarnings.has(message)) return;
  shownWarnings.add(message);
  process.emitWarning(message, { type: 'UserWarning' });
}

/**
 * An abstract map-style dataset: a map from integer indices to samples.
 * Subclasses implement `__getitem__(index)` and usually `__len__()`; `length` reads `__len__()`.
 * A dataset is iterable (samples 0 .. length-1), and `a.__add__(b)` concatenates.
 * An async dataset (`async __getitem__`, a `Dataset<Promise<Sample>>`) is read with `for await`
 * over a DataLoader, which starts the reads of the next batch while the loop body runs.
 *
 * Example:
 * ```ts
 * class Squares extends Dataset<[number, number]> {
 *   __getitem__(i: number): [number, number] { return [i, i * i]; }
 *   __len__(): number { return 10; }
 * }
 * ```
 */
export abstract class Dataset<T = unknown> {
  /** The sample at `index` (Python: `dataset[index]`). */
  abstract __getitem__(index: number): T;

  /** The number of samples (Python: `len(dataset)`). Subclasses that know their size override it. */
  __len__(): number {
    throw new TorchTypeError(`object of type '${this.constructor.name}' has no len()`);
  }

  /** The number of samples: `__len__()`. */
  get length(): number {
    return this.__len__();
  }

  /** Python: `dataset + other`, a ConcatDataset. */
  __add__(other: Dataset<T>): ConcatDataset<T> {
    return new ConcatDataset<T>([this, other]);
  }

  /** Iterates samples 0 .. length-1 (Python iterates a Dataset through __getitem__ until IndexError). */
  *[Symbol.iterator](): Iterator<T> {
    const n = this.__len__();
    for (let i = 0; i < n; i++) yield this.__getitem__(i);
  }
}

/**
 * An iterable-style dataset: a stream of samples. Subclasses implement `[Symbol.iterator]()`
 * or Python's `__iter__()`, or `[Symbol.asyncIterator]()` for a stream read with `for await`.
 * `__len__()` is optional. `a.__add__(b)` chains.
 *
 * Example:
 * ```ts
 * class Range extends IterableDataset<number> {
 *   constructor(private start: number, private end: number) { super(); }
 *   *__iter__() { for (let i = this.start; i < this.end; i++) yield i; }
 * }
 * ```
 */
export abstract class IterableDataset<T = unknown> {
  /** Python's `__iter__`: the iterator of samples. Override this or `[Symbol.iterator]`. */
  __iter__(): Iterator<T> {
    throw new NotImplementedError(
      `${this.constructor.name} must implement __iter__() or [Symbol.iterator]()` +
        (typeof (this as unknown as AsyncIterable<T>)[Symbol.asyncIterator] === 'function' ? ' for synchronous iteration; it is async-only: iterate its DataLoader with `for await`' : ''),
    );
  }

  [Symbol.iterator](): Iterator<T> {
    return this.__iter__();
  }

  /** The number of samples, if the subclass knows it (Python: `len(dataset)`). */
  __len__(): number {
    throw new TorchTypeError(`object of type '${this.constructor.name}' has no len()`);
  }

  get length(): number {
    return this.__len__();
  }

  /** Python: `dataset + other`, a ChainDataset. */
  __add__(other: IterableDataset<T>): ChainDataset<T> {
    return new ChainDataset<T>([this, other]);
  }
}

/** Anything a DataLoader or Subset can index like a dataset: a Dataset, an array or any `{ __getitem__, __len__ }`. */
export type MapStyleDataset<T = unknown> = Dataset<T> | ArrayLike<T> | { __getitem__(index: number): T; __len__(): number };

/** @internal `len(dataset)` for a Dataset, an array or a duck-typed dataset. */
export function datasetLength(dataset: unknown, where = 'len'): number {
  const d = dataset as { __len__?: () => number; length?: number };
  if (d !== null && typeof d === 'object' && typeof d.__len__ === 'function') return d.__len__();
  if (d !== null && (typeof d === 'object' || typeof d === 'string') && typeof d.length === 'number') return d.length;
  throw new TorchTypeError(`${where}: object of type '${(dataset as object)?.constructor?.name ?? typeof dataset}' has no len()`);
}

/** @internal `dataset[index]` for a Dataset, an array or a duck-typed dataset. */
export function datasetGetItem<T>(dataset: MapStyleDataset<T>, index: number): T {
  const d = dataset as { __getitem__?: (i: number) => T };
  if (typeof d.__getitem__ === 'function') return d.__getitem__(index);
  const array = dataset as ArrayLike<T>;
  if (!Number.isInteger(index)) throw new TorchTypeError(`list indices must be integers, not ${typeof index} (${index})`);
  const n = array.length;
  const i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) throw new IndexError('list index out of range');
  return array[i];
}

function checkIndex(where: string, index: number, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw argumentError(where, 'index', 'an integer', index);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new IndexError(`index ${index} is out of bounds for dimension 0 with size ${length}`);
  return i;
}

/**
 * A dataset wrapping tensors: sample `i` is `[t[i] for t in tensors]`, all tensors indexed along
 * their first dimension (Python: `TensorDataset(*tensors)`).
 *
 * Example: `const ds = new TensorDataset(x, y); const [xi, yi] = ds.__getitem__(0);`
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ValueError('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw argumentError('TensorDataset', `tensors[${i}]`, 'a Tensor', t);
      if (t.dim() === 0) throw new ValueError(`TensorDataset: tensors[${i}] is 0-dimensional; each tensor needs a first dimension to index`);
    });
    const n = tensors[0].size(0);
    if (!tensors.every((t) => t.size(0) === n)) throw new ValueError(`Size mismatch between tensors: first dimensions ${tensors.map((t) => t.size(0)).join(', ')}`);
    this.tensors = tensors;
  }

  __getitem__(index: number): Tensor[] {
    const i = checkIndex('TensorDataset.__getitem__', index, this.__len__());
    return this.tensors.map((t) => t.index(i));
  }

  __len__(): number {
    return this.tensors[0].size(0);
  }
}

/**
 * Concatenation of map-style datasets (Python: `ConcatDataset(datasets)`).
 *
 * Example: `new ConcatDataset([trainA, trainB]).length === trainA.length + trainB.length`
 */
export class ConcatDataset<T = unknown> extends Dataset<T> {
  readonly datasets: MapStyleDataset<T>[];
  /** Running totals of the datasets' lengths. */
  readonly cumulative_sizes: number[];

  /** Python's `ConcatDataset.cumsum(sequence)`. */
  static cumsum(sequence: unknown[]): number[] {
    const out: number[] = [];
    let total = 0;
    for (const d of sequence) {
      total += datasetLength(d, 'ConcatDataset');
      out.push(total);
    }
    return out;
  }

  constructor(datasets: Iterable<MapStyleDataset<T>>) {
    super();
    if (datasets === null || typeof (datasets as Iterable<unknown>)?.[Symbol.iterator] !== 'function') throw argumentError('ConcatDataset', 'datasets', 'an iterable of datasets', datasets);
    this.datasets = Array.from(datasets);
    if (this.datasets.length === 0) throw new ValueError('datasets should not be an empty iterable');
    for (const d of this.datasets) {
      if (d instanceof IterableDataset) throw new ValueError('ConcatDataset does not support IterableDataset');
    }
    this.cumulative_sizes = ConcatDataset.cumsum(this.datasets);
  }

  __len__(): number {
    return this.cumulative_sizes[this.cumulative_sizes.length - 1];
  }

  __getitem__(index: number): T {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw argumentError('ConcatDataset.__getitem__', 'index', 'an integer', index);
    let idx = index;
    const n = this.__len__();
    if (idx < 0) {
      if (-idx > n) throw new ValueError('absolute value of index should not exceed dataset length');
      idx += n;
    }
    if (idx >= n) throw new IndexError(`index ${index} is out of range for a ConcatDataset of length ${n}`);
    // bisect_right: the first dataset whose running total exceeds idx
    let lo = 0;
    let hi = this.cumulative_sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (idx < this.cumulative_sizes[mid]) hi = mid;
      else lo = mid + 1;
    }
    const sampleIdx = lo === 0 ? idx : idx - this.cumulative_sizes[lo - 1];
    return datasetGetItem(this.datasets[lo], sampleIdx);
  }
}

/** Chains iterable-style datasets one after another (Python: `ChainDataset(datasets)`). */
export class ChainDataset<T = unknown> extends IterableDataset<T> {
  readonly datasets: Iterable<IterableDataset<T>>;

  constructor(datasets: Iterable<IterableDataset<T>>) {
    super();
    this.datasets = datasets;
  }

  *__iter__(): Iterator<T> {
    for (const d of this.datasets) {
      if (!(d instanceof IterableDataset)) throw new TorchTypeError('ChainDataset only supports IterableDataset');
      yield* d as Iterable<T>;
    }
  }

  __len__(): number {
    let total = 0;
    for (const d of this.datasets) {
      if (!(d instanceof IterableDataset)) throw new TorchTypeError('ChainDataset only supports IterableDataset');
      total += d.__len__();
    }
    return total;
  }
}

/**
 * The samples of `dataset` at `indices`, in that order (Python: `Subset(dataset, indices)`).
 *
 * Example: `new Subset(ds, [0, 2, 4]).__getitem__(1)` is `ds.__getitem__(2)`.
 */
export class Subset<T = unknown> extends Dataset<T> {
  readonly dataset: MapStyleDataset<T>;
  readonly indices: readonly number[];

  constructor(dataset: MapStyleDataset<T>, indices: readonly number[]) {
    super();
    if (!Array.isArray(indices) && !ArrayBuffer.isView(indices)) throw argumentError('Subset', 'indices', 'an array of integers', indices);
    this.dataset = dataset;
    this.indices = indices;
  }

  __getitem__(index: number): T {
    const i = checkIndex('Subset.__getitem__', index, this.indices.length);
    return datasetGetItem(this.dataset, this.indices[i]);
  }

  __len__(): number {
    return this.indices.length;
  }
}

/** Python's math.isclose(a, b) with its default rel_tol=1e-9. */
function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Randomly splits a dataset into non-overlapping Subsets of the given lengths
 * (Python: `random_split(dataset, lengths, generator=default_generator)`).
 *
 * Args:
 *   lengths: sizes of the splits, or fractions summing to 1 (each split gets floor(frac * len),
 *     and the remainder is handed out one by one, round-robin from the first split).
 *   generator: without one, the permutation comes from `torch.randperm` on the global
 *     generator, as in PyTorch (so it advances the global generator, and the same
 *     `torch.manual_seed` gives PyTorch's split). A Generator, a seed or `{ seed }` gives
 *     the split `generator=torch.Generator().manual_seed(seed)` gives in PyTorch, without
 *     touching the global generator.
 *
 * Example: `const [train, val] = random_split(ds, [0.8, 0.2], { generator: { seed: 42 } });`
 */
export function random_split<T>(dataset: MapStyleDataset<T>, lengths: readonly number[], options: { generator?: GeneratorLike | null } = {}): Subset<T>[] {
  if (!Array.isArray(lengths) || !lengths.every((l) => typeof l === 'number' && Number.isFinite(l))) throw argumentError('random_split', 'lengths', 'an array of numbers', lengths);
  const generator: Generator | undefined = toGenerator('random_split', options.generator);
  const n = datasetLength(dataset, 'random_split');
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (isClose(total, 1) && total <= 1) {
    sizes = lengths.map((frac, i) => {
      if (frac < 0 || frac > 1) throw new ValueError(`Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
    sizes.forEach((size, i) => {
      if (size === 0) warn(`Length of split at index ${i} is 0. This might result in an empty dataset.`);
    });
  }
  if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) throw new ValueError(`random_split: lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(', ')}]`);
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) throw new ValueError('Sum of input lengths does not equal the length of the input dataset!');
  const indices = generator ? generator.randperm(sum) : torch.tidy(() => torch.randperm(sum).tolist() as number[]);
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(new Subset(dataset, indices.slice(offset, offset + size)));
    offset += size;
  }
  return out;
}

