// torch.utils.data: datasets, samplers, collation and the DataLoader.
//   import * as data from './utils/data/index.js'  (torch.utils.data once the lead exports it)
export { Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset, Subset, random_split, type MapStyleDataset } from './dataset.js';
export { Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler, type Sized } from './sampler.js';
export { DistributedSampler } from './distributed.js';
export { DataLoader, get_worker_info, type DataLoaderOptions, type IndexSampler } from './dataloader.js';
export { default_collate, default_convert, collate, default_collate_fn_map, type CollateFn, type CollateKey } from './_utils/collate.js';
export { Generator, type GeneratorLike } from './_utils/generator.js';
