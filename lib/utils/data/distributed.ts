// torch.utils.data.distributed.DistributedSampler lives with torch.distributed
// (lib/distributed/sampler.ts), which gives it its rank and world size defaults.
export { DistributedSampler, type DistributedSamplerOptions } from '../../distributed/sampler.js';
