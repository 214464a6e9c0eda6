// torch.distributed: process groups and collectives on PyTorch's c10d engine (Gloo on CPU),
// its key-value stores, DistributedSampler, and the `torch-node run` launcher.
//   import * as dist from './distributed/index.js'   (the lead wires it as torch.distributed)
export {
  Backend, type BackendName, ReduceOp, ProcessGroup, Work, GroupMember, default_pg_timeout,
  init_process_group, destroy_process_group, is_available, is_initialized, is_gloo_available, is_nccl_available, is_mpi_available,
  is_torchelastic_launched, get_rank, get_world_size, get_backend, get_group_rank, get_global_rank, get_process_group_ranks, new_group,
  all_reduce, broadcast, reduce, all_gather, gather, scatter, reduce_scatter, all_to_all, all_to_all_single, barrier,
  send, recv, isend, irecv,
  type InitProcessGroupOptions, type NewGroupOptions, type CollectiveOptions, type P2POptions,
} from './distributed_c10d.js';
export { Store, TCPStore, FileStore, HashStore, PrefixStore, default_store_timeout, type TCPStoreOptions } from './store.js';
export { rendezvous, type RendezvousResult } from './rendezvous.js';
export { DistributedSampler, type DistributedSamplerOptions } from './sampler.js';
export { run, parseRunArgs, type RunOptions } from './run.js';
