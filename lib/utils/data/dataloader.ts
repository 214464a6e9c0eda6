// DataLoader (torch/utils/data/dataloader.py and _utils/fetch.py): batches of samples from
// a dataset, in sampler order, merged by a collate function.
//
// Loading runs in the main thread (num_workers=0). Worker threads would not help here:
// a Tensor is a handle into this thread's libtorch objects and cannot be transferred, so
// each batch would have to be copied out of a worker and rebuilt, and libtorch already
// runs each op on several threads. What Node can overlap is I/O: a dataset whose
// `__getitem__` is `async` (reading files, say) is read with `for await`, and there the
// loader starts reading batch i+1 before handing batch i to the loop body.
//
// Memory: each batch is built inside torch.tidy, so everything a sample's transforms
// create is freed once the batch is collated; only the batch's own tensors live on. They
// belong to the caller, as in PyTorch. To free them deterministically, iterate with
// `for (using batch of loader)` (batches are disposable), or pass `disposeBatches: true`
// to free each batch when the loop moves on to the next.
import { NotImplementedError, TorchTypeError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { IterableDataset, datasetGetItem, datasetLength, warn, type MapStyleDataset } from './dataset.js';
import { BatchSampler, RandomSampler, Sampler, SequentialSampler, samplerLength } from './sampler.js';
import { default_collate, default_convert } from './_utils/collate.js';
import { Generator, drawInt64, toGenerator, type GeneratorLike } from './_utils/generator.js';
import { disposeTensors, forEachTensor, mapTensors } from './_utils/tree.js';

/** An iterable of indices (or of index batches) that knows its length, like a Sampler. */
export type IndexSampler<T> = Iterable<T> & ({ __len__(): number } | { readonly length: number } | object);

/** DataLoader options: PyTorch's keyword arguments, plus torch-node's `disposeBatches`. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1); null turns automatic batching off (each item is one sample, converted by default_convert). */
  batch_size?: number | null;
  /** Reshuffle every epoch (default false). Exclusive with `sampler`. */
  shuffle?: boolean | null;
  /** Draws the indices; any iterable of indices with a length. Exclusive with `shuffle`. */
  sampler?: IndexSampler<number> | null;
  /** Yields whole batches of indices. Exclusive with batch_size, shuffle, sampler and drop_last. */
  batch_sampler?: IndexSampler<number[]> | null;
  /** Only 0 (loading in the main thread) is supported. */
  num_workers?: number;
  /** Merges a list of samples into a batch (default: default_collate; default_convert without batching). */
  collate_fn?: ((batch: any) => B) | null;
  /** Copy batches to pinned (page-locked) memory when CUDA is available; a no-op without CUDA, as in PyTorch. */
  pin_memory?: boolean;
  /** Drop the last incomplete batch (default false). */
  drop_last?: boolean;
  /** Only 0: a timeout applies to worker processes. */
  timeout?: number;
  /** Accepted for compatibility; never called (there are no workers). */
  worker_init_fn?: ((worker_id: number) => void) | null;
  /** Accepted for compatibility; must be null without workers. */
  multiprocessing_context?: unknown;
  /** Seeds the shuffle: a Generator, a seed or `{ seed }`; default: the global generator, as in PyTorch. */
  generator?: GeneratorLike | null;
  /** Only 2 (the default) without workers, as in PyTorch. */
  prefetch_factor?: number;
  /** Must be false without workers, as in PyTorch. */
  persistent_workers?: boolean;
  /** Accepted for compatibility (the pinned-memory device). */
  pin_memory_device?: string;
  /** torch-node: dispose each batch's tensors when the iterator moves past it (or ends). Default false. */
  disposeBatches?: boolean;
  /** @internal Typing aid for the sample type. */
  _sample?: T;
}

/** Python's `get_worker_info()`: always null, as loading runs in the main thread. */
export function get_worker_info(): null {
  return null;
}

const END: unique symbol = Symbol('end of data');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && (Object.prototype.toString.call(fn) === '[object AsyncFunction]' || Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]');
}

/** Yields null forever: the sampler of an IterableDataset, whose order is its own. */
class _InfiniteConstantSampler extends Sampler<null> {
  *[Symbol.iterator](): Iterator<null> {
    for (;;) yield null;
  }
}

/** Runs `build` inside tidy and keeps every tensor of its result, whatever containers hold them. */
function buildBatch<B>(build: () => B): B {
  return torch.tidy(() => {
    const batch = build();
    forEachTensor(batch, (t) => torch.keep(t));
    return batch;
  });
}

/**
 * Combines a dataset and a sampler and iterates over batches (Python:
 * `DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
 * collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
 * multiprocessing_context=None, generator=None, *, prefetch_factor=2, persistent_workers=False,
 * pin_memory_device='')`).
 *
 * Iterate with `for (const [x, y] of loader)`, or `for await` (needed when the dataset's
 * `__getitem__` is async; the next batch is then prepared while the loop body runs).
 * `loader.length` is `len(loader)`: the number of batches.
 *
 * With `shuffle: true` and no generator, the order is PyTorch's for the same `torch.manual_seed`:
 * creating an iterator draws the workers' base seed from the global generator and the
 * RandomSampler draws its seed next, exactly as PyTorch's single-process iterator does.
 *
 * Memory: a batch's tensors belong to the caller, as in PyTorch (the garbage collector frees
 * them eventually). For deterministic freeing, pass `disposeBatches: true` (each batch is
 * disposed when the loop asks for the next one, or ends; do not keep batches then), or write
 * `for (using batch of loader)`: batches are Disposable.
 *
 * Example:
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batch_size: 64, shuffle: true, disposeBatches: true });
 * for (const [xb, yb] of loader) {
 *   torch.tidy(() => { const loss = lossFn(model.forward(xb), yb); loss.backward(); optimizer.step(); });
 * }
 * ```
 */
export class DataLoader<T = unknown, B = any> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: MapStyleDataset<T> | IterableDataset<T>;
  readonly batch_size: number | null;
  readonly drop_last: boolean;
  readonly sampler: IndexSampler<number> | IndexSampler<null>;
  readonly batch_sampler: IndexSampler<number[]> | IndexSampler<null[]> | null;
  readonly generator: Generator | undefined;
  readonly collate_fn: (batch: any) => B;
  readonly num_workers: number;
  readonly pin_memory: boolean;
  readonly pin_memory_device: string;
  readonly timeout: number;
  readonly worker_init_fn: ((worker_id: number) => void) | null;
  readonly prefetch_factor: number;
  readonly persistent_workers: boolean;
  readonly disposeBatches: boolean;
  /** @internal Map-style (0) or iterable-style (1), like PyTorch's _DatasetKind. */
  readonly _dataset_kind: 0 | 1;
  /** @internal The length reported by `length` for an IterableDataset, for the over-run warning. */
  _IterableDataset_len_called: number | null = null;

  constructor(dataset: MapStyleDataset<T> | IterableDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    if (dataset === null || (typeof dataset !== 'object' && typeof dataset !== 'string')) throw argumentError('DataLoader', 'dataset', 'a Dataset, an IterableDataset or an array', dataset);
    if (options === null || typeof options !== 'object') throw argumentError('DataLoader', 'options', 'an options object', options);
    const {
      num_workers = 0, timeout = 0, prefetch_factor = 2, persistent_workers = false, pin_memory = false, pin_memory_device = '',
      worker_init_fn = null, multiprocessing_context = null, drop_last = false, disposeBatches = false,
    } = options;
    let { batch_size = 1, shuffle = null, sampler = null, batch_sampler = null, collate_fn = null } = options;

    if (typeof num_workers !== 'number' || !Number.isInteger(num_workers)) throw argumentError('DataLoader', 'num_workers', 'an integer', num_workers);
    if (num_workers < 0) throw new ValueError('num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.');
    if (typeof timeout !== 'number' || timeout < 0) throw new ValueError('timeout option should be non-negative');
    if (num_workers === 0 && prefetch_factor !== 2) {
      throw new ValueError('prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable multiprocessing.');
    }
    if (persistent_workers && num_workers === 0) throw new ValueError('persistent_workers option needs num_workers > 0');
    if (num_workers > 0) {
      throw new NotImplementedError(
        `DataLoader: num_workers=${num_workers} is not supported; torch-node loads data in the main thread (num_workers=0). ` +
          'Tensors are handles to this thread\'s libtorch objects and cannot move between worker threads without copying every batch, ' +
          'and libtorch already parallelises each op. For I/O-bound datasets, make __getitem__ async and iterate with `for await`.',
      );
    }
    if (timeout > 0) throw new ValueError('timeout option needs num_workers > 0 (it bounds the wait for a worker)');
    if (multiprocessing_context !== null && multiprocessing_context !== undefined) {
      throw new ValueError(`multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got num_workers=${num_workers}`);
    }
    if (typeof drop_last !== 'boolean') throw argumentError('DataLoader', 'drop_last', 'a boolean', drop_last);
    if (collate_fn !== null && typeof collate_fn !== 'function') throw argumentError('DataLoader', 'collate_fn', 'a function', collate_fn);
    if (typeof disposeBatches !== 'boolean') throw argumentError('DataLoader', 'disposeBatches', 'a boolean', disposeBatches);

    this.dataset = dataset;
    this.num_workers = num_workers;
    this.prefetch_factor = prefetch_factor;
    this.pin_memory = pin_memory;
    this.pin_memory_device = pin_memory_device;
    this.timeout = timeout;
    this.worker_init_fn = worker_init_fn;
    this.persistent_workers = persistent_workers;
    this.disposeBatches = disposeBatches;

    if (dataset instanceof IterableDataset) {
      this._dataset_kind = 1;
      if (shuffle !== false && shuffle !== null && shuffle !== undefined) {
        throw new ValueError(`DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${String(shuffle)}`);
      }
      if (sampler !== null && sampler !== undefined) throw new ValueError('DataLoader with IterableDataset: expected unspecified sampler option, but got a sampler');
      if (batch_sampler !== null && batch_sampler !== undefined) throw new ValueError('DataLoader with IterableDataset: expected unspecified batch_sampler option, but got a batch_sampler');
    } else {
      this._dataset_kind = 0;
      shuffle = Boolean(shuffle);
    }

    if (sampler && shuffle) throw new ValueError('sampler option is mutually exclusive with shuffle');
    const customBatchSampler = batch_sampler !== null && batch_sampler !== undefined;
    if (customBatchSampler) {
      if (batch_size !== 1 || shuffle || sampler || drop_last) {
        throw new ValueError('batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last');
      }
      if (typeof (batch_sampler as Iterable<unknown>)[Symbol.iterator] !== 'function') throw argumentError('DataLoader', 'batch_sampler', 'an iterable of index batches', batch_sampler);
      batch_size = null;
    } else if (batch_size === null) {
      if (drop_last) throw new ValueError('batch_size=None option disables auto-batching and is mutually exclusive with drop_last');
    } else if (typeof batch_size !== 'number' || !Number.isInteger(batch_size) || batch_size <= 0) {
      throw new ValueError(`batch_size should be a positive integer value, but got batch_size=${String(batch_size)}`);
    }
    if (sampler && typeof (sampler as Iterable<unknown>)[Symbol.iterator] !== 'function') throw argumentError('DataLoader', 'sampler', 'an iterable of indices', sampler);

    this.generator = toGenerator('DataLoader', options.generator);
    let indexSampler: IndexSampler<number> | IndexSampler<null>;
    if (sampler) indexSampler = sampler;
    else if (this._dataset_kind === 1) indexSampler = new _InfiniteConstantSampler();
    else if (shuffle) indexSampler = new RandomSampler(dataset as MapStyleDataset<T>, { generator: this.generator });
    else indexSampler = new SequentialSampler(dataset as MapStyleDataset<T>);
    if (batch_size !== null && !batch_sampler) batch_sampler = new BatchSampler(indexSampler as Iterable<number>, batch_size, drop_last);

    this.batch_size = batch_size;
    this.drop_last = customBatchSampler ? false : drop_last;
    this.sampler = indexSampler;
    this.batch_sampler = batch_sampler;
    this.collate_fn = (collate_fn ?? (this._auto_collation ? default_collate : default_convert)) as (batch: any) => B;
  }

  /** @internal Whether samples are batched (a batch sampler is in use). */
  get _auto_collation(): boolean {
    return this.batch_sampler !== null;
  }

  /** @internal The sampler whose items are fetched: the batch sampler, or the sampler without batching. */
  get _index_sampler(): Iterable<unknown> {
    return (this.batch_sampler ?? this.sampler) as Iterable<unknown>;
  }

  /**
   * The number of batches (Python: `len(loader)`). For an IterableDataset it is computed from
   * the dataset's own `__len__()` and batch_size, as PyTorch estimates it.
   */
  __len__(): number {
    if (this._dataset_kind === 1) {
      let length = datasetLength(this.dataset, 'DataLoader');
      this._IterableDataset_len_called = length;
      if (this.batch_size !== null) length = this.drop_last ? Math.floor(length / this.batch_size) : Math.ceil(length / this.batch_size);
      return length;
    }
    return samplerLength(this._index_sampler);
  }

  /** The number of batches: `__len__()`. */
  get length(): number {
    return this.__len__();
  }

  /** A new single-process iterator over one epoch (Python: `iter(loader)`). */
  [Symbol.iterator](): _SingleProcessDataLoaderIter<B> {
    return new _SingleProcessDataLoaderIter<B>(this);
  }

  /** A new iterator over one epoch for `for await`, preparing the next batch while the loop body runs. */
  [Symbol.asyncIterator](): _AsyncDataLoaderIter<B> {
    return new _AsyncDataLoaderIter<B>(this);
  }
}

/** pin_memory for every tensor of a batch, when CUDA is present (Python: _utils.pin_memory.pin_memory). */
function pinMemory(batch: unknown): unknown {
  return mapTensors(batch, (t) => {
    const pinned = t.pin_memory();
    t.dispose();
    return pinned;
  });
}

/** Lets `using batch = ...` / `for (using batch of loader)` dispose a batch's tensors. */
function makeDisposable(batch: unknown): void {
  if (batch === null || typeof batch !== 'object' || batch instanceof Tensor || !Object.isExtensible(batch)) return;
  if (Object.prototype.hasOwnProperty.call(batch, Symbol.dispose)) return;
  Object.defineProperty(batch, Symbol.dispose, { value: () => disposeTensors(batch), enumerable: false, configurable: true });
}

const PROMISE_IN_SYNC_LOOP = 'DataLoader: the dataset\'s __getitem__ returned a Promise; iterate this loader with `for await (const batch of loader)`';
const PROMISE_FROM_SYNC_GETITEM =
  'DataLoader: the dataset\'s __getitem__ returned a Promise but is not declared `async`; declare it `async __getitem__(index)` so that the loader can start the reads ahead';

/** Fetches and collates one batch (or one sample without batching): Python's _DatasetFetcher. */
class _DatasetFetcher {
  private readonly loader: DataLoader<unknown, unknown>;
  private readonly autoCollation: boolean;
  private datasetIter: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  private exhausted = false;
  /** Whether the dataset is async: an `async __getitem__`, or an IterableDataset with [Symbol.asyncIterator]. */
  readonly isAsync: boolean;

  constructor(loader: DataLoader<unknown, unknown>) {
    this.loader = loader;
    this.autoCollation = loader._auto_collation;
    const dataset = loader.dataset as { __getitem__?: unknown; [Symbol.asyncIterator]?: unknown };
    this.isAsync = loader._dataset_kind === 0 ? isAsyncFunction(dataset.__getitem__) : typeof dataset[Symbol.asyncIterator] === 'function';
  }

  private get mapDataset(): MapStyleDataset<unknown> & { __getitems__?: (indices: number[]) => unknown } {
    return this.loader.dataset as MapStyleDataset<unknown>;
  }

  /** A synchronous fetch, inside tidy: what the sample transforms create is freed, the batch kept. */
  fetchSync(index: unknown, promiseMessage: string): unknown {
    if (this.loader._dataset_kind === 1) return this.fetchIterableSync(index);
    const dataset = this.mapDataset;
    const getitem = (i: number): unknown => {
      const sample = datasetGetItem(dataset, i);
      if (isThenable(sample)) throw new TorchTypeError(promiseMessage);
      return sample;
    };
    return buildBatch(() => {
      if (!this.autoCollation) return this.loader.collate_fn(getitem(index as number));
      const indices = index as number[];
      const data = typeof dataset.__getitems__ === 'function' ? dataset.__getitems__(indices) : indices.map(getitem);
      if (isThenable(data)) throw new TorchTypeError(promiseMessage);
      return this.loader.collate_fn(data);
    });
  }

  private fetchIterableSync(index: unknown): unknown {
    if (this.exhausted) return END;
    if (!this.datasetIter) this.datasetIter = (this.loader.dataset as IterableDataset<unknown>)[Symbol.iterator]();
    const it = this.datasetIter as Iterator<unknown>;
    return buildBatch(() => {
      if (!this.autoCollation) {
        const step = it.next();
        if (step.done) {
          this.exhausted = true;
          return END;
        }
        return this.loader.collate_fn(step.value);
      }
      const wanted = (index as unknown[]).length;
      const data: unknown[] = [];
      while (data.length < wanted) {
        const step = it.next();
        if (step.done) {
          this.exhausted = true;
          break;
        }
        data.push(step.value);
      }
      if (data.length === 0 || (this.loader.drop_last && data.length < wanted)) return END;
      return this.loader.collate_fn(data);
    });
  }

  /**
   * A fetch from an async dataset: every read of the batch starts now. Tensors that an async
   * __getitem__ creates after an await escape tidy (no scope spans an await), so they are left
   * to the garbage collector; the collation itself runs inside tidy.
   */
  async fetchAsync(index: unknown): Promise<unknown> {
    if (this.loader._dataset_kind === 1) return this.fetchIterableAsync(index);
    const dataset = this.mapDataset;
    const data = this.autoCollation
      ? await (typeof dataset.__getitems__ === 'function' ? dataset.__getitems__(index as number[]) : Promise.all((index as number[]).map((i) => datasetGetItem(dataset, i))))
      : await datasetGetItem(dataset, index as number);
    return buildBatch(() => this.loader.collate_fn(data));
  }

  private async fetchIterableAsync(index: unknown): Promise<unknown> {
    if (this.exhausted) return END;
    if (!this.datasetIter) this.datasetIter = (this.loader.dataset as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const it = this.datasetIter as AsyncIterator<unknown>;
    const wanted = this.autoCollation ? (index as unknown[]).length : 1;
    const data: unknown[] = [];
    while (data.length < wanted) {
      const step = await it.next();
      if (step.done) {
        this.exhausted = true;
        break;
      }
      data.push(step.value);
    }
    if (data.length === 0 || (this.autoCollation && this.loader.drop_last && data.length < wanted)) return END;
    return buildBatch(() => this.loader.collate_fn(this.autoCollation ? data : data[0]));
  }
}

/** What both iterators share: the sampler iterator, the fetcher and batch bookkeeping. */
abstract class _BaseDataLoaderIter<B> {
  protected readonly loader: DataLoader<unknown, B>;
  protected readonly samplerIter: Iterator<unknown>;
  protected readonly fetcher: _DatasetFetcher;
  protected readonly pinMemory: boolean;
  /** The base seed PyTorch draws for its workers; drawn here too so that the random stream matches PyTorch's. */
  readonly _base_seed: bigint;
  protected numYielded = 0;
  protected delivered: unknown = undefined;
  protected ended = false;

  constructor(loader: DataLoader<unknown, B>) {
    this.loader = loader;
    this.pinMemory = loader.pin_memory && torch.cuda.is_available();
    if (loader.pin_memory_device && !loader.pin_memory) {
      warn("pin memory device is set and pin_memory flag is not used then device pinned memory won't be used please set pin_memory to true, if you need to use the device pin memory");
    }
    this.fetcher = new _DatasetFetcher(loader as DataLoader<unknown, unknown>);
    this.samplerIter = loader._index_sampler[Symbol.iterator]();
    this._base_seed = drawInt64(loader.generator);
  }

  /** The number of batches in the epoch (Python: `len(iterator)`). */
  get length(): number {
    return samplerLength(this.loader._index_sampler);
  }

  protected releaseDelivered(): void {
    if (this.loader.disposeBatches && this.delivered !== undefined) disposeTensors(this.delivered);
    this.delivered = undefined;
  }

  protected deliver(batch: unknown): IteratorResult<B> {
    let out = batch;
    if (this.pinMemory) out = pinMemory(out);
    makeDisposable(out);
    this.numYielded++;
    const lenCalled = this.loader._IterableDataset_len_called;
    if (this.loader._dataset_kind === 1 && lenCalled !== null && this.numYielded > lenCalled) {
      warn(`Length of IterableDataset ${this.loader.dataset.constructor.name} was reported to be ${lenCalled} (when accessing len(dataloader)), but ${this.numYielded} samples have been fetched. `);
    }
    this.delivered = out;
    return { value: out as B, done: false };
  }

  protected finish(): IteratorResult<B> {
    this.releaseDelivered();
    this.ended = true;
    return { value: undefined as B, done: true };
  }

  protected nextIndex(): unknown {
    const step = this.samplerIter.next();
    return step.done ? END : step.value;
  }
}

/** The iterator of one epoch for `for...of` (Python's _SingleProcessDataLoaderIter). */
export class _SingleProcessDataLoaderIter<B> extends _BaseDataLoaderIter<B> implements IterableIterator<B> {
  constructor(loader: DataLoader<unknown, B>) {
    super(loader);
    if (this.fetcher.isAsync && loader._dataset_kind === 1) {
      // An async-only IterableDataset: say so before its sync __iter__ complains.
      const dataset = loader.dataset as IterableDataset<unknown>;
      if (dataset.__iter__ === IterableDataset.prototype.__iter__ && dataset[Symbol.iterator] === IterableDataset.prototype[Symbol.iterator]) {
        throw new TorchTypeError(`DataLoader: ${dataset.constructor.name} is an async iterable dataset; iterate this loader with \`for await (const batch of loader)\``);
      }
    }
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<B> {
    this.releaseDelivered();
    if (this.ended) return { value: undefined as B, done: true };
    const index = this.nextIndex();
    if (index === END) return this.finish();
    const batch = this.fetcher.fetchSync(index, PROMISE_IN_SYNC_LOOP);
    if (batch === END) return this.finish();
    return this.deliver(batch);
  }

  /** Ends the epoch early (a `break` out of for...of calls this). */
  return(): IteratorResult<B> {
    return this.finish();
  }
}

/**
 * The iterator of one epoch for `for await`. While the loop body works on batch i, batch
 * i+1 is prepared: for an async dataset its reads start before batch i is handed over, so
 * I/O overlaps the body; a synchronous dataset's next batch is built in a setImmediate
 * callback, that is whenever the body awaits something (if it never does, batches are built
 * in the same order relative to the body as in a for...of loop, random draws included).
 */
export class _AsyncDataLoaderIter<B> extends _BaseDataLoaderIter<B> implements AsyncIterableIterator<B> {
  private pending: Promise<unknown> | undefined;

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<B>> {
    this.releaseDelivered();
    if (this.ended) return { value: undefined as B, done: true };
    const current = this.pending ?? this.fetchNext();
    this.pending = undefined;
    let batch: unknown;
    try {
      batch = await current;
    } catch (error) {
      this.finish();
      throw error;
    }
    if (batch === END) return this.finish();
    this.pending = this.fetcher.isAsync ? this.fetchNext() : new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.fetchNext());
    // An error while preparing the next batch surfaces when that batch is asked for.
    this.pending.catch(() => undefined);
    return this.deliver(batch);
  }

  /** Ends the epoch early (a `break` out of for await calls this); a batch prepared ahead is disposed. */
  async return(): Promise<IteratorResult<B>> {
    const pending = this.pending;
    this.pending = undefined;
    this.ended = true;
    if (pending) {
      try {
        const batch = await pending;
        if (batch !== END) disposeTensors(batch);
      } catch {
        // nobody will read that batch: its error is dropped with it
      }
    }
    return this.finish();
  }

  private async fetchNext(): Promise<unknown> {
    if (this.ended) return END;
    const index = this.nextIndex();
    if (index === END) return END;
    return this.fetcher.isAsync ? this.fetcher.fetchAsync(index) : this.fetcher.fetchSync(index, PROMISE_FROM_SYNC_GETITEM);
  }
}
