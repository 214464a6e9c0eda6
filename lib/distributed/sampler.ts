// DistributedSampler (torch/utils/data/distributed.py) for torch.distributed: each rank
// loads its own share of the dataset. The shuffle is torch.randperm under a generator
// seeded with seed + epoch, made natively from its own at::CPUGeneratorImpl, so the
// indices are PyTorch's for the same seed and epoch and the global generator is untouched.
import { ValueError, argumentError } from '../errors.js';
import { datasetLength } from '../utils/data/dataset.js';
import { Sampler, type Sized } from '../utils/data/sampler.js';
import { distributedNative } from './_native.js';
import { get_rank, get_world_size, is_available, is_initialized } from './distributed_c10d.js';

/** Options of DistributedSampler (Python's keyword arguments). */
export interface DistributedSamplerOptions {
  /** The number of processes sharing the data (default: the default group's world size). */
  num_replicas?: number;
  /** This process's rank among them (default: its rank in the default group). */
  rank?: number;
  /** Shuffle the indices, differently each epoch (default true). */
  shuffle?: boolean;
  /** The shuffle's seed; must be the same on every rank (default 0). */
  seed?: number;
  /** Drop the tail so every rank gets the same count, instead of repeating indices to pad (default false). */
  drop_last?: boolean;
}

/**
 * Restricts data loading to this rank's share of a dataset (Python: `DistributedSampler(dataset,
 * num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False)`). Call `set_epoch(epoch)`
 * at the start of every epoch, or every epoch shuffles the same way.
 *
 * Example:
 * ```ts
 * const sampler = new DistributedSampler(dataset);          // after init_process_group
 * const loader = new DataLoader(dataset, { batch_size: 32, sampler });
 * for (let epoch = 0; epoch < epochs; epoch++) { sampler.set_epoch(epoch); for (const batch of loader) { ... } }
 * ```
 */
export class DistributedSampler extends Sampler<number> {
  readonly dataset: Sized;
  readonly num_replicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly drop_last: boolean;
  readonly num_samples: number;
  readonly total_size: number;
  epoch = 0;

  constructor(dataset: Sized, options: DistributedSamplerOptions = {}) {
    super();
    const { shuffle = true, seed = 0, drop_last = false } = options;
    let { num_replicas, rank } = options;
    if (num_replicas === undefined || rank === undefined) {
      if (!is_available() || !is_initialized()) {
        throw new ValueError('DistributedSampler: requires the distributed package to be initialized (call init_process_group) or num_replicas and rank to be given');
      }
      num_replicas ??= get_world_size();
      rank ??= get_rank();
    }
    if (!Number.isInteger(num_replicas) || num_replicas <= 0) throw argumentError('DistributedSampler', 'num_replicas', 'a positive integer', num_replicas);
    if (!Number.isInteger(rank)) throw argumentError('DistributedSampler', 'rank', 'an integer', rank);
    if (!Number.isSafeInteger(seed)) throw argumentError('DistributedSampler', 'seed', 'an integer', seed);
    if (typeof shuffle !== 'boolean') throw argumentError('DistributedSampler', 'shuffle', 'a boolean', shuffle);
    if (typeof drop_last !== 'boolean') throw argumentError('DistributedSampler', 'drop_last', 'a boolean', drop_last);
    if (rank >= num_replicas || rank < 0) throw new ValueError(`Invalid rank ${rank}, rank should be in the interval [0, ${num_replicas - 1}]`);
    this.dataset = dataset;
    this.num_replicas = num_replicas;
    this.rank = rank;
    this.drop_last = drop_last;
    const n = datasetLength(dataset, 'DistributedSampler');
    // Python: with drop_last, the largest multiple of num_replicas not above n.
    this.num_samples = drop_last && n % num_replicas !== 0 ? Math.ceil((n - num_replicas) / num_replicas) : Math.ceil(n / num_replicas);
    this.total_size = this.num_samples * num_replicas;
    this.shuffle = shuffle;
    this.seed = seed;
  }

  /** This rank's indices for the current epoch, in order. */
  indices(): number[] {
    const n = datasetLength(this.dataset, 'DistributedSampler');
    let indices: number[];
    if (this.shuffle) {
      const perm = distributedNative().randpermWithSeed(n, this.seed + this.epoch);
      indices = Array.from(perm.toTypedArray() as BigInt64Array, Number);
      perm.dispose();
    } else {
      indices = Array.from({ length: n }, (_, i) => i);
    }
    if (!this.drop_last) {
      // Pad with indices from the start (repeated whole if needed) to a multiple of num_replicas.
      const padding = this.total_size - indices.length;
      if (padding <= indices.length) indices = indices.concat(indices.slice(0, padding));
      else indices = indices.concat(Array.from({ length: Math.ceil(padding / indices.length) }, () => indices).flat().slice(0, padding));
    } else {
      indices = indices.slice(0, this.total_size);
    }
    const mine: number[] = [];
    for (let i = this.rank; i < this.total_size; i += this.num_replicas) mine.push(indices[i]);
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }

  __len__(): number {
    return this.num_samples;
  }

  /** Sets the epoch, which seeds the next shuffle with seed + epoch; call it before each epoch. */
  set_epoch(epoch: number): void {
    if (!Number.isInteger(epoch)) throw argumentError('DistributedSampler.set_epoch', 'epoch', 'an integer', epoch);
    this.epoch = epoch;
  }
}
