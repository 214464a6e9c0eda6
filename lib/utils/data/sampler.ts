// Samplers (torch/utils/data/sampler.py): iterables of dataset indices, or of batches of them.
//
// Randomness follows PyTorch call for call. Without a generator, RandomSampler draws a
// seed from the global generator (`torch.empty((), dtype=torch.int64).random_()`) each
// epoch and shuffles with a generator seeded by it; SubsetRandomSampler and
// WeightedRandomSampler call torch.randperm / torch.multinomial on the global generator.
// With a generator they use the port of torch.Generator in _utils/generator.ts. Either
// way the same seeds give the indices PyTorch gives.
import { TorchError, TorchTypeError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { datasetLength } from './dataset.js';
import { Generator, seedFromGlobalGenerator, toGenerator, type GeneratorLike } from './_utils/generator.js';

/** Something with a size: a dataset, an array, or anything with `__len__()` or `length`. */
export type Sized = { __len__(): number } | { readonly length: number };

/**
 * Base class of samplers: an iterable of indices (or of index batches) with a length
 * (Python: `Sampler`). Subclasses implement `[Symbol.iterator]()` (or Python's `__iter__()`)
 * and `__len__()`.
 */
export abstract class Sampler<T = number> implements Iterable<T> {
  /** Python's `__iter__`. Override this or `[Symbol.iterator]`. */
  __iter__(): Iterator<T> {
    throw new TorchTypeError(`${this.constructor.name} must implement __iter__() or [Symbol.iterator]()`);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.__iter__();
  }

  /** The number of indices an iteration yields (Python: `len(sampler)`). */
  __len__(): number {
    throw new TorchTypeError(`object of type '${this.constructor.name}' has no len()`);
  }

  get length(): number {
    return this.__len__();
  }
}

/** @internal `len(x)` for samplers and plain iterables with a size. */
export function samplerLength(sampler: unknown): number {
  return datasetLength(sampler, 'len');
}

function checkBoolean(name: string, value: unknown, error: 'type' | 'value'): void {
  if (typeof value === 'boolean') return;
  const message = `${name} should be a boolean value, but got ${name}=${String(value)}`;
  throw error === 'type' ? new TorchTypeError(message) : new ValueError(message);
}

function checkPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`${name} should be a positive integer value, but got ${name}=${String(value)}`);
  }
}

/**
 * Yields 0 .. len(data_source)-1 in order (Python: `SequentialSampler(data_source)`).
 *
 * Example: `[...new SequentialSampler([10, 20, 30])]` is `[0, 1, 2]`.
 */
export class SequentialSampler extends Sampler<number> {
  readonly data_source: Sized;

  constructor(data_source: Sized) {
    super();
    this.data_source = data_source;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = samplerLength(this.data_source);
    for (let i = 0; i < n; i++) yield i;
  }

  __len__(): number {
    return samplerLength(this.data_source);
  }
}

/**
 * Yields the indices of `data_source` in random order (Python:
 * `RandomSampler(data_source, replacement=False, num_samples=None, generator=None)`).
 *
 * Args:
 *   replacement: draw `num_samples` indices independently (with repeats) instead of a permutation.
 *   num_samples: how many indices an epoch yields (default: the dataset's length); without
 *     replacement, more than the length chains several permutations.
 *   generator: a Generator, a seed or `{ seed }`; without one, each epoch's permutation is
 *     seeded from the global generator, as in PyTorch.
 *
 * Example: `torch.manual_seed(0); [...new RandomSampler(ds)]` gives PyTorch's order for seed 0.
 */
export class RandomSampler extends Sampler<number> {
  readonly data_source: Sized;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;
  private readonly _num_samples: number | undefined;

  constructor(data_source: Sized, options: { replacement?: boolean; num_samples?: number | null; generator?: GeneratorLike | null } = {}) {
    super();
    const { replacement = false, num_samples = undefined } = options;
    this.data_source = data_source;
    this.replacement = replacement;
    this._num_samples = num_samples ?? undefined;
    this.generator = toGenerator('RandomSampler', options.generator);
    checkBoolean('replacement', replacement, 'type');
    checkPositiveInteger('num_samples', this.num_samples);
  }

  /** The number of indices per epoch: `num_samples`, or the dataset's current length. */
  get num_samples(): number {
    return this._num_samples ?? samplerLength(this.data_source);
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = samplerLength(this.data_source);
    const generator = this.generator ?? new Generator(seedFromGlobalGenerator());
    const count = this.num_samples;
    if (this.replacement) {
      for (let i = 0; i < Math.floor(count / 32); i++) yield* generator.randint(n, 32);
      yield* generator.randint(n, count % 32);
    } else {
      for (let i = 0; i < Math.floor(count / n); i++) yield* generator.randperm(n);
      yield* generator.randperm(n).slice(0, count % n);
    }
  }

  __len__(): number {
    return this.num_samples;
  }
}

/**
 * Yields the given indices in random order, without replacement (Python:
 * `SubsetRandomSampler(indices, generator=None)`).
 *
 * Example: `new SubsetRandomSampler([10, 11, 12, 13])` yields a permutation of those four.
 */
export class SubsetRandomSampler extends Sampler<number> {
  readonly indices: readonly number[];
  readonly generator: Generator | undefined;

  constructor(indices: readonly number[], options: { generator?: GeneratorLike | null } = {}) {
    super();
    if (!Array.isArray(indices) && !ArrayBuffer.isView(indices)) throw argumentError('SubsetRandomSampler', 'indices', 'an array of indices', indices);
    this.indices = indices;
    this.generator = toGenerator('SubsetRandomSampler', options.generator);
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.indices.length;
    const order = this.generator ? this.generator.randperm(n) : torch.tidy(() => torch.randperm(n).tolist() as number[]);
    for (const i of order) yield this.indices[i];
  }

  __len__(): number {
    return this.indices.length;
  }
}

/**
 * Yields `num_samples` indices in [0, weights.length) drawn with probabilities proportional to
 * `weights` (Python: `WeightedRandomSampler(weights, num_samples, replacement=True, generator=None)`).
 *
 * Args:
 *   weights: non-negative weights, not necessarily summing to 1 (an array or a 1-D tensor).
 *   num_samples: how many indices to draw.
 *   replacement: if false, an index is drawn at most once (then num_samples <= the number of
 *     non-zero weights).
 *   generator: a Generator, a seed or `{ seed }`; without one, `torch.multinomial` draws
 *     from the global generator.
 *
 * Example: `new WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5)`
 */
export class WeightedRandomSampler extends Sampler<number> {
  /** The weights as a float64 tensor, like PyTorch's `self.weights`. */
  readonly weights: Tensor;
  readonly num_samples: number;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;

  constructor(weights: readonly number[] | Tensor, num_samples: number, options: { replacement?: boolean; generator?: GeneratorLike | null } = {}) {
    super();
    const { replacement = true } = options;
    checkPositiveInteger('num_samples', num_samples);
    checkBoolean('replacement', replacement, 'value');
    const tensor = weights instanceof Tensor ? weights.detach().to(torch.float64) : torch.tensor(weights as number[], { dtype: torch.float64 });
    if (tensor.dim() !== 1) {
      const shape = tensor.shape;
      tensor.dispose();
      throw new ValueError(`weights should be a 1d sequence but given weights have shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    }
    // The sampler owns its weights: keep them alive even if it is built inside torch.tidy.
    this.weights = torch.keep(tensor);
    this.num_samples = num_samples;
    this.replacement = replacement;
    this.generator = toGenerator('WeightedRandomSampler', options.generator);
  }

  *[Symbol.iterator](): Iterator<number> {
    const drawn = this.generator
      ? multinomial(Array.from(this.weights.toTypedArray() as Float64Array), this.num_samples, this.replacement, this.generator)
      : torch.tidy(() => torch.multinomial(this.weights, this.num_samples, this.replacement).tolist() as number[]);
    yield* drawn;
  }

  __len__(): number {
    return this.num_samples;
  }
}

/** `uniform_real_distribution<double>(0, 1)` of ATen: 53 random bits of one 64-bit draw. */
function uniformDouble(generator: Generator): number {
  const bits = generator.random64() & ((1n << 53n) - 1n);
  return Number(bits) * 2 ** -53;
}

/**
 * torch.multinomial(weights, n, replacement, generator=g) for a float64 vector: ATen's CPU
 * algorithm. With replacement (and n > 1): a binary search of the normalised cumulative
 * distribution for each uniform draw. Otherwise: the exponential race
 * `topk(weights / Exp(1))`, largest first.
 */
function multinomial(weights: number[], n: number, replacement: boolean, generator: Generator): number[] {
  const k = weights.length;
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new TorchError('probability tensor contains either `inf`, `nan` or element < 0');
  let sum = 0;
  for (const w of weights) sum += w;
  if (!(sum > 0)) throw new TorchError('invalid multinomial distribution (sum of probabilities <= 0)');
  if (!replacement) {
    if (n > k) throw new TorchError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
    if (n > weights.filter((w) => w > 0).length) throw new TorchError('invalid multinomial distribution (with replacement=False, not enough non-negative category to sample)');
  }
  if (!replacement || n === 1) {
    const keys = weights.map((w) => w / (-1 * Math.log(1 - uniformDouble(generator))));
    const order = keys.map((_, i) => i).sort((a, b) => keys[b] - keys[a] || a - b);
    return order.slice(0, n);
  }
  const cumulative = new Float64Array(k);
  let running = 0;
  for (let j = 0; j < k; j++) {
    running += weights[j];
    cumulative[j] = running;
  }
  for (let j = 0; j < k; j++) cumulative[j] /= running;
  cumulative[k - 1] = 1;
  const out = new Array<number>(n);
  for (let s = 0; s < n; s++) {
    const u = uniformDouble(generator);
    let left = 0;
    let right = k;
    while (right - left > 0) {
      const mid = left + Math.floor((right - left) / 2);
      if (cumulative[mid] < u) left = mid + 1;
      else right = mid;
    }
    out[s] = left;
  }
  return out;
}

/**
 * Groups the indices of another sampler into lists of `batch_size` (Python:
 * `BatchSampler(sampler, batch_size, drop_last)`).
 *
 * Example:
 * ```ts
 * [...new BatchSampler(new SequentialSampler(range10), 3, false)]  // [[0,1,2],[3,4,5],[6,7,8],[9]]
 * [...new BatchSampler(new SequentialSampler(range10), 3, true)]   // [[0,1,2],[3,4,5],[6,7,8]]
 * ```
 */
export class BatchSampler<T = number> extends Sampler<T[]> {
  readonly sampler: Iterable<T>;
  readonly batch_size: number;
  readonly drop_last: boolean;

  constructor(sampler: Iterable<T>, batch_size: number, drop_last: boolean) {
    super();
    checkPositiveInteger('batch_size', batch_size);
    checkBoolean('drop_last', drop_last, 'value');
    if (sampler === null || typeof (sampler as Iterable<T>)?.[Symbol.iterator] !== 'function') throw argumentError('BatchSampler', 'sampler', 'an iterable of indices', sampler);
    this.sampler = sampler;
    this.batch_size = batch_size;
    this.drop_last = drop_last;
  }

  *[Symbol.iterator](): Iterator<T[]> {
    let batch: T[] = [];
    for (const idx of this.sampler) {
      batch.push(idx);
      if (batch.length === this.batch_size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.drop_last) yield batch;
  }

  __len__(): number {
    const n = samplerLength(this.sampler);
    return this.drop_last ? Math.floor(n / this.batch_size) : Math.ceil(n / this.batch_size);
  }
}
