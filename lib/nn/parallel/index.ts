// torch.nn.parallel: DistributedDataParallel over torch.distributed's process groups.
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed.js';
