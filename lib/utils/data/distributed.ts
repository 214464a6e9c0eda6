// DistributedSampler (torch/utils/data/distributed.py). torch-node has no torch.distributed,
// so the number of replicas and this process's rank are given explicitly.
import { TorchError, ValueError, argumentError } from '../../errors.js';
import { datasetLength } from './dataset.js';
import { Sampler, type Sized } from './sampler.js';
import { Generator } from './_utils/generator.js';

/**
 * Restricts loading to the share of a dataset that belongs to one of `num_replicas` processes
 * (Python: `DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False)`).
 * Call `set_epoch(epoch)` before each epoch so that the shuffle differs between epochs; every
 * rank shuffles with `seed + epoch`, giving the indices PyTorch gives.
 *
 * Args:
 *   num_replicas, rank: required (there is no process group to ask).
 *   shuffle: permute the indices each epoch (default true).
 *   seed: the shuffle's seed, the same on every rank (default 0).
 *   drop_last: drop the tail so that all ranks get the same count; otherwise indices from the
 *     start are repeated to pad (default false).
 *
 * Example: `new DataLoader(ds, { sampler: new DistributedSampler(ds, { num_replicas: 4, rank: 1 }) })`
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

  constructor(dataset: Sized, options: { num_replicas?: number; rank?: number; shuffle?: boolean; seed?: number; drop_last?: boolean } = {}) {
    super();
    const { num_replicas, rank, shuffle = true, seed = 0, drop_last = false } = options;
    if (num_replicas === undefined || rank === undefined) {
      throw new TorchError('DistributedSampler: torch-node has no distributed package; pass num_replicas and rank explicitly');
    }
    if (!Number.isInteger(num_replicas) || num_replicas <= 0) throw argumentError('DistributedSampler', 'num_replicas', 'a positive integer', num_replicas);
    if (!Number.isInteger(rank)) throw argumentError('DistributedSampler', 'rank', 'an integer', rank);
    if (!Number.isInteger(seed)) throw argumentError('DistributedSampler', 'seed', 'an integer', seed);
    if (rank >= num_replicas || rank < 0) throw new ValueError(`Invalid rank ${rank}, rank should be in the interval [0, ${num_replicas - 1}]`);
    this.dataset = dataset;
    this.num_replicas = num_replicas;
    this.rank = rank;
    this.drop_last = drop_last;
    const n = datasetLength(dataset, 'DistributedSampler');
    this.num_samples = drop_last && n % num_replicas !== 0 ? Math.ceil((n - num_replicas) / num_replicas) : Math.ceil(n / num_replicas);
    this.total_size = this.num_samples * num_replicas;
    this.shuffle = shuffle;
    this.seed = seed;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = datasetLength(this.dataset, 'DistributedSampler');
    let indices = this.shuffle ? new Generator(this.seed + this.epoch).randperm(n) : Array.from({ length: n }, (_, i) => i);
    if (!this.drop_last) {
      const padding = this.total_size - indices.length;
      if (padding <= indices.length) indices = indices.concat(indices.slice(0, padding));
      else indices = indices.concat(Array.from({ length: Math.ceil(padding / indices.length) }, () => indices).flat().slice(0, padding));
    } else {
      indices = indices.slice(0, this.total_size);
    }
    for (let i = this.rank; i < this.total_size; i += this.num_replicas) yield indices[i];
  }

  __len__(): number {
    return this.num_samples;
  }

  /** Sets the epoch, which seeds the next shuffle with `seed + epoch`. */
  set_epoch(epoch: number): void {
    if (!Number.isInteger(epoch)) throw argumentError('DistributedSampler.set_epoch', 'epoch', 'an integer', epoch);
    this.epoch = epoch;
  }
}
