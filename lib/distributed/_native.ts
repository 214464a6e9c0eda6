// The native half of torch.distributed (native/distributed.cpp): c10d stores, process
// groups, work handles and the Reducer, as typed functions over opaque handles.
import { native, type Handle } from '../_C.js';
import type { Tensor } from '../tensor.js';
import { TorchError } from '../errors.js';

/** @internal An opaque c10d::Store handle. */
export type StoreHandle = { readonly __store: unique symbol };
/** @internal An opaque c10d::ProcessGroup handle. */
export type GroupHandle = { readonly __group: unique symbol };
/** @internal An opaque c10d::Work handle. */
export type WorkHandle = { readonly __work: unique symbol };
/** @internal An opaque c10d::Reducer handle. */
export type ReducerHandle = { readonly __reducer: unique symbol };

/** @internal */
export interface DistributedNative {
  tcpStore(host: string, port: number, worldSize: number | null, isServer: boolean, timeoutMs: number, waitWorkers: boolean, multiTenant: boolean, async: false): StoreHandle;
  tcpStore(host: string, port: number, worldSize: number | null, isServer: boolean, timeoutMs: number, waitWorkers: boolean, multiTenant: boolean, async: true): Promise<StoreHandle>;
  tcpStorePort(s: StoreHandle): number;
  fileStore(path: string, worldSize: number): StoreHandle;
  hashStore(): StoreHandle;
  prefixStore(prefix: string, s: StoreHandle): StoreHandle;
  storeSet(s: StoreHandle, key: string, value: string | Uint8Array): Promise<void>;
  storeGet(s: StoreHandle, key: string): Promise<Buffer>;
  storeAdd(s: StoreHandle, key: string, amount: number): Promise<number>;
  storeCompareSet(s: StoreHandle, key: string, expected: string | Uint8Array, desired: string | Uint8Array): Promise<Buffer>;
  storeWait(s: StoreHandle, keys: string[], timeoutMs: number | null): Promise<void>;
  storeCheck(s: StoreHandle, keys: string[]): Promise<boolean>;
  storeDeleteKey(s: StoreHandle, key: string): Promise<boolean>;
  storeNumKeys(s: StoreHandle): Promise<number>;
  storeSetTimeout(s: StoreHandle, timeoutMs: number): void;
  storeTimeout(s: StoreHandle): number;
  storeClose(s: StoreHandle): void;

  glooAvailable(): boolean;
  newGlooGroup(s: StoreHandle, rank: number, size: number, timeoutMs: number): Promise<GroupHandle>;
  groupRank(g: GroupHandle): number;
  groupSize(g: GroupHandle): number;
  groupBackendName(g: GroupHandle): string;
  groupSetSequenceNumber(g: GroupHandle): Promise<void>;
  groupSequenceNumber(g: GroupHandle): number;
  groupDestroy(g: GroupHandle): Promise<void>;

  allreduce(g: GroupHandle, tensors: Handle[], op: number): WorkHandle;
  broadcast(g: GroupHandle, tensors: Handle[], src: number): WorkHandle;
  reduce(g: GroupHandle, tensors: Handle[], dst: number, op: number): WorkHandle;
  allgather(g: GroupHandle, outputs: Handle[][], inputs: Handle[]): WorkHandle;
  gather(g: GroupHandle, outputs: Handle[][], inputs: Handle[], dst: number): WorkHandle;
  scatter(g: GroupHandle, outputs: Handle[], inputs: Handle[][], src: number): WorkHandle;
  reduceScatter(g: GroupHandle, outputs: Handle[], inputs: Handle[][], op: number): WorkHandle;
  alltoallBase(g: GroupHandle, output: Handle, input: Handle, outputSplits: number[], inputSplits: number[]): WorkHandle;
  alltoall(g: GroupHandle, outputs: Handle[], inputs: Handle[]): WorkHandle;
  barrier(g: GroupHandle): WorkHandle;
  send(g: GroupHandle, tensors: Handle[], dst: number, tag: number): WorkHandle;
  recv(g: GroupHandle, tensors: Handle[], src: number | null, tag: number): WorkHandle;

  workWait(w: WorkHandle, timeoutMs: number | null): Promise<boolean>;
  workIsCompleted(w: WorkHandle): boolean;
  workIsSuccess(w: WorkHandle): boolean;
  workSourceRank(w: WorkHandle): number;
  workException(w: WorkHandle): Error | null;

  verifyParamsAcrossProcesses(g: GroupHandle, params: Handle[]): void;
  broadcastCoalesced(g: GroupHandle, tensors: Handle[], bufferSize: number, src: number, async: false): undefined;
  broadcastCoalesced(g: GroupHandle, tensors: Handle[], bufferSize: number, src: number, async: true): Promise<void>;
  reducerNew(
    g: GroupHandle, params: Handle[], expectSparse: boolean[], bucketBytesCap: number, findUnused: boolean,
    gradientAsBucketView: boolean, paramNames: string[], moduleName: string, broadcastBuffers: boolean,
  ): ReducerHandle;
  reducerPrepareForForward(r: ReducerHandle): void;
  reducerRebuildBuckets(r: ReducerHandle): boolean;
  reducerPrepareForBackward(r: ReducerHandle, outputs: Handle[]): void;
  reducerBuckets(r: ReducerHandle): number[][];
  reducerRelease(r: ReducerHandle): void;

  randpermWithSeed(n: number, seed: number | bigint): Tensor;
}

/** @internal The distributed functions of the addon, or a clear error when this build has none. */
export function distributedNative(): DistributedNative {
  const d = (native as unknown as { distributed?: DistributedNative }).distributed;
  if (d === undefined) {
    throw new TorchError('torch.distributed: this build of the native addon has no distributed support; rebuild it with npm run build:native');
  }
  return d;
}

/** @internal Whether the addon has the distributed functions at all. */
export function hasDistributedNative(): boolean {
  return (native as unknown as { distributed?: DistributedNative }).distributed !== undefined;
}
