// torch.distributed's process groups and collectives (torch/distributed/distributed_c10d.py)
// on c10d's own ProcessGroupGloo.
//
// Blocking collectives return Promises: `await dist.all_reduce(t)`. With `{ async_op: true }`
// they return a Work at once, whose `wait()` is a Promise. Waiting happens off the JS thread,
// so timers, I/O and other ranks' messages keep flowing while a collective is in flight.
//
// Store keys, group names and the store-based barrier follow Python's exactly, so a
// torch-node process and a Python process can join one group.
import { ValueError, TorchError, NotImplementedError, argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import { distributedNative, type GroupHandle, type WorkHandle } from './_native.js';
import { rendezvous } from './rendezvous.js';
import { PrefixStore, Store } from './store.js';

/** Python's `default_pg_timeout` (30 minutes), in milliseconds. */
export const default_pg_timeout = 1_800_000;

const STORE_BASED_BARRIER_PREFIX = 'store_based_barrier_key';

/** Backend names (Python: `torch.distributed.Backend`). */
export const Backend = {
  UNDEFINED: 'undefined',
  GLOO: 'gloo',
  NCCL: 'nccl',
  UCC: 'ucc',
  MPI: 'mpi',
} as const;
export type BackendName = (typeof Backend)[keyof typeof Backend];

/**
 * A reduction (Python: `torch.distributed.ReduceOp`): SUM, PRODUCT, MIN, MAX, BAND, BOR,
 * BXOR, and AVG where the backend has it (Gloo does not in libtorch 1.13).
 */
export class ReduceOp {
  static readonly SUM = new ReduceOp('SUM', 0);
  static readonly AVG = new ReduceOp('AVG', 1);
  static readonly PRODUCT = new ReduceOp('PRODUCT', 2);
  static readonly MIN = new ReduceOp('MIN', 3);
  static readonly MAX = new ReduceOp('MAX', 4);
  static readonly BAND = new ReduceOp('BAND', 5);
  static readonly BOR = new ReduceOp('BOR', 6);
  static readonly BXOR = new ReduceOp('BXOR', 7);

  private constructor(
    readonly name: string,
    /** @internal c10d's RedOpType. */
    readonly value: number,
  ) {}

  toString(): string {
    return `ReduceOp.${this.name}`;
  }
}

/**
 * A group of processes that run collectives together (Python: `ProcessGroup`). Made by
 * init_process_group (the default group, `GroupMember.WORLD`) and new_group.
 */
export class ProcessGroup {
  /** @internal Null for GroupMember.NON_GROUP_MEMBER. */
  _g: GroupHandle | null;

  /** @internal */
  constructor(handle: GroupHandle | null) {
    this._g = handle;
  }

  /** This process's rank in the group. */
  rank(): number {
    return this._g === null ? -1 : distributedNative().groupRank(this._live());
  }

  /** The number of processes in the group. */
  size(): number {
    return this._g === null ? -1 : distributedNative().groupSize(this._live());
  }

  /** The backend's name ('gloo'). */
  name(): string {
    return distributedNative().groupBackendName(this._live());
  }

  /** @internal */
  _live(): GroupHandle {
    if (this._g === null) throw new TorchError('this process is not a member of the group');
    return this._g;
  }

  toString(): string {
    return this._g === null ? 'ProcessGroup(NON_GROUP_MEMBER)' : `ProcessGroup(backend=${this.name()}, rank=${this.rank()}, size=${this.size()})`;
  }
}

/**
 * The handle of an asynchronous collective (Python: `Work`), returned with `{ async_op: true }`.
 * `await work.wait()` finishes it (and rejects with the collective's error, e.g. a timeout).
 */
export class Work {
  /** @internal */
  readonly _handles: WorkHandle[];
  /** @internal Runs once, after the native work, for collectives composed in TS. */
  private _finish: (() => void) | null;

  /** @internal */
  constructor(handles: WorkHandle[], finish: (() => void) | null = null) {
    this._handles = handles;
    this._finish = finish;
  }

  /**
   * Waits for the collective to finish; resolves to true, or rejects with its error.
   * `timeout` (milliseconds) bounds this wait on top of the group's own timeout.
   */
  async wait(timeout?: number): Promise<boolean> {
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0)) throw argumentError('Work.wait', 'timeout', 'a non-negative integer number of milliseconds', timeout);
    const d = distributedNative();
    for (const h of this._handles) await d.workWait(h, timeout ?? null);
    this._runFinish();
    return true;
  }

  /** Whether the collective has finished (successfully or not), without waiting. */
  is_completed(): boolean {
    const d = distributedNative();
    const done = this._handles.every((h) => d.workIsCompleted(h));
    if (done && this.is_success()) this._runFinish();
    return done;
  }

  /** Whether it finished without error. */
  is_success(): boolean {
    const d = distributedNative();
    return this._handles.every((h) => d.workIsCompleted(h) && d.workIsSuccess(h));
  }

  /** The error it failed with, or null. */
  exception(): Error | null {
    const d = distributedNative();
    for (const h of this._handles) {
      const e = d.workException(h);
      if (e !== null) return e;
    }
    return null;
  }

  /** For a receive from any source: the sender's rank in the group. */
  source_rank(): number {
    return distributedNative().workSourceRank(this._handles[0]);
  }

  private _runFinish(): void {
    const finish = this._finish;
    this._finish = null;
    finish?.();
  }
}

/** Group membership sentinels (Python: `GroupMember`). WORLD is the default group once initialized. */
export const GroupMember = {
  get WORLD(): ProcessGroup | null {
    return state.world;
  },
  NON_GROUP_MEMBER: new ProcessGroup(null),
};

interface GroupInfo {
  backend: string;
  store: Store;
  name: string;
  /** global rank -> group rank */
  ranks: Map<number, number>;
}

const state = {
  world: null as ProcessGroup | null,
  groups: new Map<ProcessGroup, GroupInfo>(),
  groupCount: 0,
  initMethod: null as string | null,
  timeout: default_pg_timeout,
};

/** Options of init_process_group. Timeout in milliseconds (Python: a timedelta). */
export interface InitProcessGroupOptions {
  /** 'gloo' (CPU tensors). 'nccl' needs a CUDA build of libtorch with NCCL. Default 'gloo'. */
  backend?: string;
  /** 'env://' (default), 'tcp://host:port' or 'file:///path'. Mutually exclusive with store. */
  init_method?: string;
  /** Timeout of rendezvous and of every collective, in milliseconds (default 30 minutes). */
  timeout?: number;
  /** The number of processes (from the URL or WORLD_SIZE when omitted). */
  world_size?: number;
  /** This process's rank (from the URL or RANK when omitted). */
  rank?: number;
  /** A store all ranks share, instead of init_method. */
  store?: Store;
  /** The default group's name (Python's deprecated group_name). */
  group_name?: string;
}

function checkTimeout(where: string, timeout: unknown): asserts timeout is number {
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0) throw argumentError(where, 'timeout', 'a positive integer number of milliseconds', timeout);
}

function backendName(where: string, backend: unknown): string {
  if (typeof backend !== 'string') throw argumentError(where, 'backend', "a backend name such as 'gloo'", backend);
  const name = backend.toLowerCase();
  if (name === Backend.GLOO) {
    if (!distributedNative().glooAvailable()) {
      throw new TorchError("Distributed package doesn't have Gloo built in: torch-node was built without Gloo's headers (Debian/Ubuntu: apt-get install libgloo-dev, then npm run build:native)");
    }
    return name;
  }
  if (name === Backend.NCCL) throw new NotImplementedError("Distributed package doesn't have NCCL built in: torch-node supports the 'gloo' backend (CPU tensors)");
  if (name === Backend.MPI || name === Backend.UCC) throw new NotImplementedError(`Distributed package doesn't have ${name.toUpperCase()} built in: torch-node supports the 'gloo' backend`);
  throw new ValueError(`Invalid backend: '${backend}'`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Python's `_store_based_barrier`: every rank adds itself to a counter and waits until all have. */
async function storeBasedBarrier(rank: number, store: Store, timeout: number): Promise<void> {
  const key = `${STORE_BASED_BARRIER_PREFIX}:${state.groupCount}`;
  await store.add(key, 1);
  const world_size = get_world_size();
  let workerCount = await store.add(key, 0);
  const start = Date.now();
  while (workerCount !== world_size) {
    await sleep(10);
    workerCount = await store.add(key, 0);
    if (Date.now() - start > timeout) {
      throw new TorchError(
        `Timed out initializing process group in store based barrier on rank: ${rank}, for key: ${key} ` +
          `(world_size=${world_size}, worker_count=${workerCount}, timeout=${timeout}ms)`,
      );
    }
  }
}

/** Python's `_new_process_group_helper`: the group's own prefixed view of the store, and its backend. */
async function newProcessGroupHelper(
  groupSize: number, groupRank: number, globalRanks: number[], backend: string, store: Store, timeout: number, groupName?: string,
): Promise<ProcessGroup> {
  let name = groupName;
  if (!name) {
    name = String(state.groupCount);
    state.groupCount += 1;
  }
  if ([...state.groups.values()].some((g) => g.name === name)) throw new TorchError('The specified group name has already been created, please use a different group name');
  const isDefault = globalRanks.length === 0;
  if (!isDefault && !globalRanks.includes(state.world!.rank())) return GroupMember.NON_GROUP_MEMBER;
  const prefixStore = new PrefixStore(name, store);
  let handle: GroupHandle;
  try {
    handle = await distributedNative().newGlooGroup(prefixStore._s, groupRank, groupSize, timeout);
  } catch (e) {
    const message = (e as Error).message;
    if (/time(d)? ?out/i.test(message)) {
      throw new TorchError(`Timed out after ${timeout} ms creating process group '${name}' on rank ${groupRank}: not all ${groupSize} ranks joined (${message})`);
    }
    throw e;
  }
  const pg = new ProcessGroup(handle);
  const ranks = new Map<number, number>();
  if (isDefault) for (let r = 0; r < groupSize; r++) ranks.set(r, r);
  else globalRanks.forEach((g, i) => ranks.set(g, i));
  state.groups.set(pg, { backend, store, name, ranks });
  return pg;
}

/**
 * Initializes the default process group and with it the distributed package (Python:
 * `torch.distributed.init_process_group`). Every rank calls it; it resolves once all have.
 *
 * Args (one options object):
 *   backend: 'gloo' (default).
 *   init_method: 'env://' (default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE as set by
 *     `torch-node run`), 'tcp://host:port' or 'file:///shared/path'.
 *   rank, world_size: override the URL's or the environment's.
 *   store: a Store shared by all ranks instead of init_method (then rank and world_size are required).
 *   timeout: milliseconds for rendezvous and each collective (default 30 minutes).
 *
 * Gloo binds to the address this host's name resolves to, or to the interfaces listed in
 * GLOO_SOCKET_IFNAME (e.g. 'lo' for loopback only), like PyTorch.
 *
 * Example: `await dist.init_process_group({ backend: 'gloo' })` in a script started by
 * `npx torch-node run --nproc-per-node 2 train.ts`.
 */
export async function init_process_group(options: InitProcessGroupOptions = {}): Promise<void> {
  if (typeof options !== 'object' || options === null) throw argumentError('init_process_group', 'options', 'an options object', options);
  const { backend: backendArg = Backend.GLOO, timeout = default_pg_timeout, group_name } = options;
  let { init_method, world_size = -1, rank = -1, store } = options;
  checkTimeout('init_process_group', timeout);
  if (state.world !== null) throw new TorchError('trying to initialize the default process group twice!');
  if (store !== undefined && init_method !== undefined) throw new ValueError('Cannot specify both init_method and store.');
  if (store !== undefined) {
    if (!(store instanceof Store)) throw argumentError('init_process_group', 'store', 'a Store', store);
    if (!(Number.isInteger(world_size) && world_size > 0)) throw new ValueError('world_size must be positive if using store');
    if (!(Number.isInteger(rank) && rank >= 0)) throw new ValueError('rank must be non-negative if using store');
  } else {
    init_method ??= 'env://';
  }
  if (!Number.isInteger(world_size)) throw argumentError('init_process_group', 'world_size', 'an integer', world_size);
  if (!Number.isInteger(rank)) throw argumentError('init_process_group', 'rank', 'an integer', rank);
  const backend = backendName('init_process_group', backendArg);

  if (store === undefined) {
    const result = await rendezvous(init_method!, rank, world_size, timeout);
    ({ rank, world_size } = result);
    if (!(rank >= 0 && rank < world_size)) throw new ValueError(`Invalid rank ${rank}, rank should be in the interval [0, ${world_size - 1}]`);
    result.store.set_timeout(timeout);
    // A prefix keeps these keys apart from other users of a multi-tenant store.
    store = new PrefixStore('default_pg', result.store);
  }
  const pg = await newProcessGroupHelper(world_size, rank, [], backend, store, timeout, group_name);
  state.world = pg;
  state.initMethod = init_method ?? null;
  state.timeout = timeout;
  try {
    await storeBasedBarrier(rank, store, timeout);
    await distributedNative().groupSetSequenceNumber(pg._live());
  } catch (e) {
    await destroy_process_group().catch(() => undefined);
    throw e;
  }
}

/** Whether the distributed package can be used in this build (Python: `dist.is_available()`). */
export function is_available(): boolean {
  try {
    distributedNative();
    return true;
  } catch {
    return false;
  }
}

/** Whether the default process group has been initialized. */
export function is_initialized(): boolean {
  return state.world !== null;
}

/** Whether the Gloo backend is built in. */
export function is_gloo_available(): boolean {
  return is_available() && distributedNative().glooAvailable();
}

/** Whether the NCCL backend is built in (never, in torch-node for now). */
export function is_nccl_available(): boolean {
  return false;
}

/** Whether the MPI backend is built in (never, in torch-node). */
export function is_mpi_available(): boolean {
  return false;
}

/** Whether this process was started by a torchelastic-style launcher (`torch-node run`, torchrun). */
export function is_torchelastic_launched(): boolean {
  return process.env.TORCHELASTIC_RUN_ID !== undefined;
}

function defaultGroup(): ProcessGroup {
  if (state.world === null) throw new TorchError('Default process group has not been initialized, please make sure to call init_process_group.');
  return state.world;
}

function resolveGroup(where: string, group: ProcessGroup | null | undefined): ProcessGroup {
  if (group === undefined || group === null) return defaultGroup();
  if (!(group instanceof ProcessGroup)) throw argumentError(where, 'group', 'a ProcessGroup', group);
  return group;
}

function notInGroup(group: ProcessGroup | null | undefined): boolean {
  return group === GroupMember.NON_GROUP_MEMBER;
}

/** The group rank of `global_rank` in `group` (Python: `get_group_rank`). */
export function get_group_rank(group: ProcessGroup, global_rank: number): number {
  if (group === state.world) return global_rank;
  const info = state.groups.get(group);
  if (info === undefined) throw new TorchError(`Group ${group} is not registered, please create group with torch.distributed.new_group API`);
  const r = info.ranks.get(global_rank);
  if (r === undefined) throw new TorchError(`Global rank ${global_rank} is not part of group ${group}`);
  return r;
}

/** The global rank of `group_rank` in `group` (Python: `get_global_rank`). */
export function get_global_rank(group: ProcessGroup, group_rank: number): number {
  if (group === state.world) return group_rank;
  const info = state.groups.get(group);
  if (info === undefined) throw new TorchError(`Group ${group} is not registered, please create group with torch.distributed.new_group API`);
  for (const [global, local] of info.ranks) if (local === group_rank) return global;
  throw new TorchError(`Group rank ${group_rank} is not part of group ${group}`);
}

/** The global ranks of `group`'s members, in group-rank order (Python: `get_process_group_ranks`). */
export function get_process_group_ranks(group: ProcessGroup): number[] {
  const info = state.groups.get(resolveGroup('get_process_group_ranks', group));
  if (info === undefined) throw new TorchError('Invalid process group specified');
  return [...info.ranks.entries()].sort((a, b) => a[1] - b[1]).map(([g]) => g);
}

/** This process's rank in `group` (default: the default group), or -1 if not a member. */
export function get_rank(group?: ProcessGroup | null): number {
  if (notInGroup(group)) return -1;
  return resolveGroup('get_rank', group).rank();
}

/** The number of processes in `group` (default: the default group), or -1 if not a member. */
export function get_world_size(group?: ProcessGroup | null): number {
  if (notInGroup(group)) return -1;
  return resolveGroup('get_world_size', group).size();
}

/** The backend of `group` ('gloo'). */
export function get_backend(group?: ProcessGroup | null): string {
  const pg = resolveGroup('get_backend', group);
  if (notInGroup(pg)) throw new TorchError('Invalid process group specified');
  const info = state.groups.get(pg);
  if (info === undefined) throw new TorchError('Invalid process group specified');
  return info.backend;
}

/**
 * Destroys `group`, or with no argument every group and the default one, after which
 * init_process_group may be called again. Resolves once the backend has shut down.
 */
export async function destroy_process_group(group?: ProcessGroup | null): Promise<void> {
  const d = distributedNative();
  if (group === undefined || group === null || group === state.world) {
    if (state.world === null) throw new TorchError('Invalid process group specified');
    const all = [...state.groups.keys()];
    state.world = null;
    state.initMethod = null;
    state.groups.clear();
    state.groupCount = 0;
    await Promise.all(all.filter((pg) => pg._g !== null).map((pg) => d.groupDestroy(pg._g!).finally(() => (pg._g = null))));
    return;
  }
  if (group === GroupMember.NON_GROUP_MEMBER) return;
  if (!state.groups.has(group)) throw new TorchError('Invalid process group specified');
  state.groups.delete(group);
  const handle = group._g;
  if (handle !== null) {
    group._g = null;
    await d.groupDestroy(handle);
  }
}

/** Options of new_group. */
export interface NewGroupOptions {
  /** Timeout of the group's collectives, in milliseconds (default: the default group's). */
  timeout?: number;
  /** The backend (default: the default group's). */
  backend?: string;
}

/**
 * Creates a group of a subset of the ranks (Python: `new_group(ranks=None, timeout, backend)`).
 * Every rank of the default group must call it, members or not; non-members get
 * `GroupMember.NON_GROUP_MEMBER`, on which collectives do nothing.
 */
export async function new_group(ranks?: number[] | null, options: NewGroupOptions = {}): Promise<ProcessGroup> {
  const world = defaultGroup();
  const { timeout = state.timeout, backend: backendArg } = options;
  checkTimeout('new_group', timeout);
  const worldInfo = state.groups.get(world)!;
  const backend = backendArg === undefined ? worldInfo.backend : backendName('new_group', backendArg);
  const globalRank = world.rank();
  const globalSize = world.size();
  let groupRanks: number[];
  let groupRank: number;
  if (ranks !== undefined && ranks !== null) {
    if (!Array.isArray(ranks) || !ranks.every((r) => Number.isInteger(r))) throw argumentError('new_group', 'ranks', 'an array of integers', ranks);
    groupRanks = [...ranks].sort((a, b) => a - b);
    if (groupRanks.length > globalSize) throw new TorchError("the new group's world size should be less or equal to the world size set by init_process_group");
    for (const r of groupRanks) {
      if (r < 0 || r >= globalSize) throw new TorchError("The new group's rank should be within the the world_size set by init_process_group");
    }
    groupRank = groupRanks.indexOf(globalRank);
  } else {
    groupRanks = Array.from({ length: globalSize }, (_, i) => i);
    groupRank = globalRank;
  }
  const pg = await newProcessGroupHelper(groupRanks.length, groupRank, groupRanks, backend, worldInfo.store, timeout);
  await storeBasedBarrier(globalRank, worldInfo.store, timeout);
  if (pg !== GroupMember.NON_GROUP_MEMBER) await distributedNative().groupSetSequenceNumber(pg._live());
  return pg;
}

// ---- collectives ------------------------------------------------------------------------

/** Options every collective takes. */
export interface CollectiveOptions {
  /** The group to work on (default: the default group). */
  group?: ProcessGroup | null;
  /** Return a Work at once instead of a Promise that settles when done. */
  async_op?: boolean;
}
export type AsyncOp = { async_op: true };
export type SyncOp = { async_op?: false };

function checkTensor(where: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TorchError(`Invalid function argument. Expected parameter \`${name}\` to be of type torch.Tensor.`);
  // Gloo reads and writes the tensor's memory as one block.
  if (!t.is_contiguous()) throw new ValueError(`${where}: Tensors must be contiguous (\`${name}\` is not; call .contiguous() first)`);
}

function checkTensorList(where: string, name: string, list: unknown): asserts list is Tensor[] {
  if (!Array.isArray(list) || !list.every((t) => t instanceof Tensor)) {
    throw new TorchError(`Invalid function argument. Expected parameter \`${name}\` to be of type List[torch.Tensor].`);
  }
  for (const t of list) checkTensor(where, name, t);
}

function checkOp(where: string, op: unknown): asserts op is ReduceOp {
  if (!(op instanceof ReduceOp)) throw argumentError(where, 'op', 'a ReduceOp', op);
}

function checkRank(where: string, name: string, rank: unknown): asserts rank is number {
  if (!Number.isInteger(rank)) throw argumentError(where, name, 'an integer rank', rank);
}

function finish(work: Work | null, async_op: boolean | undefined): Work | null | Promise<void> {
  if (async_op) return work;
  return work === null ? Promise.resolve() : work.wait().then(() => undefined);
}

function reduceOpChecked(group: ProcessGroup, op: ReduceOp): number {
  if (op === ReduceOp.AVG && get_backend(group) === Backend.GLOO) {
    throw new ValueError('Cannot use ReduceOp.AVG with Gloo (libtorch 1.13): reduce with ReduceOp.SUM and divide by the world size');
  }
  return op.value;
}

/**
 * Reduces `tensor` across all ranks in place, so every rank ends with the result
 * (Python: `all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False)`).
 *
 * Example: `await dist.all_reduce(t)`; `const w = dist.all_reduce(t, { op: dist.ReduceOp.MAX, async_op: true }); await w.wait()`
 */
export function all_reduce(tensor: Tensor, options: CollectiveOptions & { op?: ReduceOp } & AsyncOp): Work | null;
export function all_reduce(tensor: Tensor, options?: CollectiveOptions & { op?: ReduceOp } & SyncOp): Promise<void>;
export function all_reduce(tensor: Tensor, options: CollectiveOptions & { op?: ReduceOp } = {}): Work | null | Promise<void> {
  const { op = ReduceOp.SUM, group, async_op } = options;
  checkTensor('all_reduce', 'tensor', tensor);
  checkOp('all_reduce', op);
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('all_reduce', group);
  const work = distributedNative().allreduce(pg._live(), [tensor._h], reduceOpChecked(pg, op));
  return finish(new Work([work]), async_op);
}

/**
 * Sends rank `src`'s `tensor` to every rank of the group, in place (Python: `broadcast(tensor, src, group, async_op)`).
 * `src` is a global rank.
 */
export function broadcast(tensor: Tensor, src: number, options: CollectiveOptions & AsyncOp): Work | null;
export function broadcast(tensor: Tensor, src: number, options?: CollectiveOptions & SyncOp): Promise<void>;
export function broadcast(tensor: Tensor, src: number, options: CollectiveOptions = {}): Work | null | Promise<void> {
  const { group, async_op } = options;
  checkTensor('broadcast', 'tensor', tensor);
  checkRank('broadcast', 'src', src);
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('broadcast', group);
  const work = distributedNative().broadcast(pg._live(), [tensor._h], get_group_rank(pg, src));
  return finish(new Work([work]), async_op);
}

/**
 * Reduces `tensor` across all ranks; only rank `dst` (a global rank) gets the result
 * (Python: `reduce(tensor, dst, op, group, async_op)`).
 */
export function reduce(tensor: Tensor, dst: number, options: CollectiveOptions & { op?: ReduceOp } & AsyncOp): Work | null;
export function reduce(tensor: Tensor, dst: number, options?: CollectiveOptions & { op?: ReduceOp } & SyncOp): Promise<void>;
export function reduce(tensor: Tensor, dst: number, options: CollectiveOptions & { op?: ReduceOp } = {}): Work | null | Promise<void> {
  const { op = ReduceOp.SUM, group, async_op } = options;
  checkTensor('reduce', 'tensor', tensor);
  checkRank('reduce', 'dst', dst);
  checkOp('reduce', op);
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('reduce', group);
  const work = distributedNative().reduce(pg._live(), [tensor._h], get_group_rank(pg, dst), reduceOpChecked(pg, op));
  return finish(new Work([work]), async_op);
}

/**
 * Gathers every rank's `tensor` into `tensor_list` on every rank (`tensor_list[i]` gets rank i's)
 * (Python: `all_gather(tensor_list, tensor, group, async_op)`).
 */
export function all_gather(tensor_list: Tensor[], tensor: Tensor, options: CollectiveOptions & AsyncOp): Work | null;
export function all_gather(tensor_list: Tensor[], tensor: Tensor, options?: CollectiveOptions & SyncOp): Promise<void>;
export function all_gather(tensor_list: Tensor[], tensor: Tensor, options: CollectiveOptions = {}): Work | null | Promise<void> {
  const { group, async_op } = options;
  checkTensorList('all_gather', 'tensor_list', tensor_list);
  checkTensor('all_gather', 'tensor', tensor);
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('all_gather', group);
  const work = distributedNative().allgather(pg._live(), [tensor_list.map((t) => t._h)], [tensor._h]);
  return finish(new Work([work]), async_op);
}

/**
 * Gathers every rank's `tensor` into `gather_list` on rank `dst` (a global rank; default 0).
 * `gather_list` is given on `dst` only (Python: `gather(tensor, gather_list=None, dst=0, group, async_op)`).
 */
export function gather(tensor: Tensor, options: CollectiveOptions & { gather_list?: Tensor[] | null; dst?: number } & AsyncOp): Work | null;
export function gather(tensor: Tensor, options?: CollectiveOptions & { gather_list?: Tensor[] | null; dst?: number } & SyncOp): Promise<void>;
export function gather(tensor: Tensor, options: CollectiveOptions & { gather_list?: Tensor[] | null; dst?: number } = {}): Work | null | Promise<void> {
  const { gather_list = null, dst = 0, group, async_op } = options;
  checkTensor('gather', 'tensor', tensor);
  checkRank('gather', 'dst', dst);
  if (gather_list !== null) checkTensorList('gather', 'gather_list', gather_list);
  const myRank = get_rank();
  if (dst === myRank && (gather_list === null || gather_list.length === 0)) throw new ValueError('Argument ``gather_list`` must be specified on destination rank.');
  if (dst !== myRank && gather_list !== null && gather_list.length > 0) throw new ValueError('Argument ``gather_list`` must NOT be specified on non-destination ranks.');
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('gather', group);
  const outputs = dst === myRank ? [gather_list!.map((t) => t._h)] : [];
  const work = distributedNative().gather(pg._live(), outputs, [tensor._h], get_group_rank(pg, dst));
  return finish(new Work([work]), async_op);
}

/**
 * Scatters `scatter_list` from rank `src` (a global rank; default 0): rank i receives
 * `scatter_list[i]` into `tensor` (Python: `scatter(tensor, scatter_list=None, src=0, group, async_op)`).
 */
export function scatter(tensor: Tensor, options: CollectiveOptions & { scatter_list?: Tensor[] | null; src?: number } & AsyncOp): Work | null;
export function scatter(tensor: Tensor, options?: CollectiveOptions & { scatter_list?: Tensor[] | null; src?: number } & SyncOp): Promise<void>;
export function scatter(tensor: Tensor, options: CollectiveOptions & { scatter_list?: Tensor[] | null; src?: number } = {}): Work | null | Promise<void> {
  const { scatter_list = null, src = 0, group, async_op } = options;
  checkTensor('scatter', 'tensor', tensor);
  checkRank('scatter', 'src', src);
  if (scatter_list !== null) checkTensorList('scatter', 'scatter_list', scatter_list);
  const myRank = get_rank();
  if (src === myRank && (scatter_list === null || scatter_list.length === 0)) throw new ValueError('Argument ``scatter_list`` must be specified on source rank.');
  if (src !== myRank && scatter_list !== null && scatter_list.length > 0) throw new ValueError('Argument ``scatter_list`` must NOT be specified on non-source ranks.');
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('scatter', group);
  const inputs = src === myRank ? [scatter_list!.map((t) => t._h)] : [];
  const work = distributedNative().scatter(pg._live(), [tensor._h], inputs, get_group_rank(pg, src));
  return finish(new Work([work]), async_op);
}

function ensureSameDtype(where: string, tensors: Tensor[]): void {
  const dtype = tensors[0]?.dtype;
  if (tensors.some((t) => t.dtype !== dtype)) throw new ValueError(`${where}: all tensors must have the same dtype`);
}

/**
 * Reduces `input_list[i]` across ranks into rank i's `output`
 * (Python: `reduce_scatter(output, input_list, op, group, async_op)`).
 *
 * Gloo (libtorch 1.13) has no reduce_scatter: torch-node all-reduces the concatenated inputs
 * and keeps this rank's part, which moves world_size times more data than a native one.
 */
export function reduce_scatter(output: Tensor, input_list: Tensor[], options: CollectiveOptions & { op?: ReduceOp } & AsyncOp): Work | null;
export function reduce_scatter(output: Tensor, input_list: Tensor[], options?: CollectiveOptions & { op?: ReduceOp } & SyncOp): Promise<void>;
export function reduce_scatter(output: Tensor, input_list: Tensor[], options: CollectiveOptions & { op?: ReduceOp } = {}): Work | null | Promise<void> {
  const { op = ReduceOp.SUM, group, async_op } = options;
  checkTensor('reduce_scatter', 'output', output);
  checkTensorList('reduce_scatter', 'input_list', input_list);
  checkOp('reduce_scatter', op);
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('reduce_scatter', group);
  const d = distributedNative();
  if (get_backend(pg) !== Backend.GLOO) {
    const work = d.reduceScatter(pg._live(), [output._h], [input_list.map((t) => t._h)], reduceOpChecked(pg, op));
    return finish(new Work([work]), async_op);
  }
  const size = pg.size();
  if (input_list.length !== size) throw new ValueError(`reduce_scatter: input_list must have one tensor per rank (${size}), got ${input_list.length}`);
  ensureSameDtype('reduce_scatter', [output, ...input_list]);
  const me = pg.rank();
  if (input_list[me].numel() !== output.numel()) throw new ValueError(`reduce_scatter: output has ${output.numel()} elements but input_list[${me}] has ${input_list[me].numel()}`);
  const flat = torch.no_grad(() => torch.tidy(() => torch.cat(input_list.map((t) => t.reshape(-1)))));
  const offset = input_list.slice(0, me).reduce((n, t) => n + t.numel(), 0);
  const work = d.allreduce(pg._live(), [flat._h], reduceOpChecked(pg, op));
  return finish(
    new Work([work], () => {
      torch.no_grad(() => torch.tidy(() => output.copy_(flat.narrow(0, offset, output.numel()).view(output.shape))));
      flat.dispose();
    }),
    async_op,
  );
}

/**
 * Sends `input_tensor_list[i]` to rank i and receives rank i's into `output_tensor_list[i]`
 * (Python: `all_to_all(output_tensor_list, input_tensor_list, group, async_op)`). On Gloo it
 * runs as one all_to_all_single over the concatenated tensors.
 */
export function all_to_all(output_tensor_list: Tensor[], input_tensor_list: Tensor[], options: CollectiveOptions & AsyncOp): Work | null;
export function all_to_all(output_tensor_list: Tensor[], input_tensor_list: Tensor[], options?: CollectiveOptions & SyncOp): Promise<void>;
export function all_to_all(output_tensor_list: Tensor[], input_tensor_list: Tensor[], options: CollectiveOptions = {}): Work | null | Promise<void> {
  const { group, async_op } = options;
  checkTensorList('all_to_all', 'output_tensor_list', output_tensor_list);
  checkTensorList('all_to_all', 'input_tensor_list', input_tensor_list);
  ensureSameDtype('all_to_all', [...output_tensor_list, ...input_tensor_list]);
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('all_to_all', group);
  const size = pg.size();
  if (output_tensor_list.length !== size || input_tensor_list.length !== size) {
    throw new ValueError(`all_to_all: output_tensor_list and input_tensor_list must have one tensor per rank (${size})`);
  }
  const d = distributedNative();
  if (get_backend(pg) !== Backend.GLOO) {
    const work = d.alltoall(pg._live(), output_tensor_list.map((t) => t._h), input_tensor_list.map((t) => t._h));
    return finish(new Work([work]), async_op);
  }
  const inFlat = torch.no_grad(() => torch.tidy(() => torch.cat(input_tensor_list.map((t) => t.reshape(-1)))));
  const outSplits = output_tensor_list.map((t) => t.numel());
  const outFlat = torch.empty(outSplits.reduce((a, b) => a + b, 0), { dtype: output_tensor_list[0].dtype });
  const work = d.alltoallBase(pg._live(), outFlat._h, inFlat._h, outSplits, input_tensor_list.map((t) => t.numel()));
  return finish(
    new Work([work], () => {
      torch.no_grad(() =>
        torch.tidy(() => {
          let offset = 0;
          for (const t of output_tensor_list) {
            t.copy_(outFlat.narrow(0, offset, t.numel()).view(t.shape));
            offset += t.numel();
          }
        }),
      );
      inFlat.dispose();
      outFlat.dispose();
    }),
    async_op,
  );
}

/**
 * Splits `input` along dim 0 by `input_split_sizes` (equal parts by default), sends part i to
 * rank i and concatenates what arrives into `output` by `output_split_sizes`
 * (Python: `all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group, async_op)`).
 */
export function all_to_all_single(output: Tensor, input: Tensor, options: CollectiveOptions & { output_split_sizes?: number[] | null; input_split_sizes?: number[] | null } & AsyncOp): Work | null;
export function all_to_all_single(output: Tensor, input: Tensor, options?: CollectiveOptions & { output_split_sizes?: number[] | null; input_split_sizes?: number[] | null } & SyncOp): Promise<void>;
export function all_to_all_single(
  output: Tensor, input: Tensor, options: CollectiveOptions & { output_split_sizes?: number[] | null; input_split_sizes?: number[] | null } = {},
): Work | null | Promise<void> {
  const { output_split_sizes = null, input_split_sizes = null, group, async_op } = options;
  checkTensor('all_to_all_single', 'output', output);
  checkTensor('all_to_all_single', 'input', input);
  ensureSameDtype('all_to_all_single', [output, input]);
  for (const [name, splits] of [['output_split_sizes', output_split_sizes], ['input_split_sizes', input_split_sizes]] as const) {
    if (splits !== null && (!Array.isArray(splits) || !splits.every((s) => Number.isInteger(s) && s >= 0))) throw argumentError('all_to_all_single', name, 'an array of non-negative integers', splits);
  }
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('all_to_all_single', group);
  const work = distributedNative().alltoallBase(pg._live(), output._h, input._h, output_split_sizes ?? [], input_split_sizes ?? []);
  return finish(new Work([work]), async_op);
}

/** Waits until every rank of the group has reached it (Python: `barrier(group, async_op)`). */
export function barrier(options: CollectiveOptions & AsyncOp): Work | null;
export function barrier(options?: CollectiveOptions & SyncOp): Promise<void>;
export function barrier(options: CollectiveOptions = {}): Work | null | Promise<void> {
  const { group, async_op } = options;
  if (notInGroup(group)) return finish(null, async_op);
  const pg = resolveGroup('barrier', group);
  return finish(new Work([distributedNative().barrier(pg._live())]), async_op);
}

/** Options of point-to-point operations. */
export interface P2POptions {
  group?: ProcessGroup | null;
  /** Matches a send with the recv of the same tag (default 0). */
  tag?: number;
}

function p2pArgs(where: string, tensor: Tensor, options: P2POptions) {
  const { group, tag = 0 } = options;
  checkTensor(where, 'tensor', tensor);
  if (!Number.isInteger(tag)) throw argumentError(where, 'tag', 'an integer', tag);
  return { group, tag };
}

/** Sends `tensor` to rank `dst` (a global rank) and returns its Work at once (Python: `isend`). */
export function isend(tensor: Tensor, dst: number, options: P2POptions = {}): Work | null {
  const { group, tag } = p2pArgs('isend', tensor, options);
  checkRank('isend', 'dst', dst);
  if (notInGroup(group)) return null;
  const pg = resolveGroup('isend', group);
  return new Work([distributedNative().send(pg._live(), [tensor._h], get_group_rank(pg, dst), tag)]);
}

/**
 * Receives into `tensor` from rank `src` (a global rank; any rank when omitted) and returns
 * its Work at once (Python: `irecv`).
 */
export function irecv(tensor: Tensor, options: P2POptions & { src?: number | null } = {}): Work | null {
  const { group, tag } = p2pArgs('irecv', tensor, options);
  const { src = null } = options;
  if (src !== null) checkRank('irecv', 'src', src);
  if (notInGroup(group)) return null;
  const pg = resolveGroup('irecv', group);
  return new Work([distributedNative().recv(pg._live(), [tensor._h], src === null ? null : get_group_rank(pg, src), tag)]);
}

/** Sends `tensor` to rank `dst` (a global rank); resolves once it is sent (Python: `send`). */
export async function send(tensor: Tensor, dst: number, options: P2POptions = {}): Promise<void> {
  const work = isend(tensor, dst, options);
  if (work !== null) await work.wait();
}

/**
 * Receives into `tensor` from rank `src` (any rank when omitted); resolves to the sender's
 * global rank, or -1 when this process is not in the group (Python: `recv`).
 */
export async function recv(tensor: Tensor, options: P2POptions & { src?: number | null } = {}): Promise<number> {
  const work = irecv(tensor, options);
  if (work === null) return -1;
  await work.wait();
  const pg = resolveGroup('recv', options.group);
  const { src = null } = options;
  return src !== null ? src : get_global_rank(pg, work.source_rank());
}
