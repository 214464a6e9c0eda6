// torch.cuda's device, memory, stream and event functions (torch/cuda/__init__.py,
// torch/cuda/memory.py, torch/cuda/streams.py), over native/cuda.cpp, plus torch-node's
// answer to "GPU memory is invisible to the garbage collector": a CUDA out-of-memory
// error runs a full GC, empties the caching allocator and retries once.
//
// Without CUDA these answer as PyTorch does: the memory figures are 0, empty_cache() does
// nothing, and whatever needs a GPU throws a TorchError.
import { inspect } from 'node:util';
import { native, type Handle } from './_C.js';
import { Device, type DeviceLike } from './device.js';
import { TorchError, argumentError } from './errors.js';
import { collectGarbage } from './memory.js';

export { collectGarbage };
import type { Tensor } from './tensor.js';

/** An opaque native stream or event handle (a tagged External). */
type StreamHandle = { readonly __cudaStream: unique symbol };
type EventHandle = { readonly __cudaEvent: unique symbol };

/** native/cuda.cpp; every function but hasCudaSupport throws when the addon was built without CUDA. */
export interface CudaNative {
  hasCudaSupport(): boolean;
  currentDevice(): number;
  setDevice(device: number): void;
  /** [name, major, minor, total_memory, multi_processor_count] */
  deviceProperties(device?: number): [string, number, number, number, number];
  /** [free, total] bytes */
  memGetInfo(device?: number): [number, number];
  /** [allocated current, allocated peak, reserved current, reserved peak] bytes */
  memoryStats(device?: number): [number, number, number, number];
  emptyCache(): void;
  resetPeakMemoryStats(device?: number): void;
  streamNew(device: number | undefined, priority: number): StreamHandle;
  streamCurrent(device?: number): StreamHandle;
  streamDefault(device?: number): StreamHandle;
  streamSetCurrent(stream: StreamHandle): void;
  streamSynchronize(stream: StreamHandle): void;
  streamQuery(stream: StreamHandle): boolean;
  /** [stream id, device index, priority, cudaStream_t] */
  streamInfo(stream: StreamHandle): [number, number, number, bigint];
  streamEquals(a: StreamHandle, b: StreamHandle): boolean;
  tensorRecordStream(tensor: Handle, stream: StreamHandle): void;
  eventNew(enableTiming: boolean, blocking: boolean, interprocess: boolean): EventHandle;
  eventRecord(event: EventHandle, stream?: StreamHandle): void;
  eventWait(event: EventHandle, stream?: StreamHandle): void;
  eventQuery(event: EventHandle): boolean;
  eventSynchronize(event: EventHandle): void;
  eventElapsedTime(start: EventHandle, end: EventHandle): number;
}

/** @internal The native CUDA functions; an addon built before they existed gets a clear error. */
export function cudaNative(): CudaNative {
  const cuda = (native as unknown as { cudaRuntime?: CudaNative }).cudaRuntime;
  if (!cuda) throw new TorchError('torch.cuda: the loaded native addon predates torch.cuda memory and stream support; rebuild it with npm run build:native');
  return cuda;
}

/** Whether this build of the addon was compiled against a CUDA libtorch (a GPU may still be absent). */
export function hasCudaSupport(): boolean {
  const cuda = (native as unknown as { cudaRuntime?: CudaNative }).cudaRuntime;
  return cuda?.hasCudaSupport() ?? false;
}

/** PyTorch's _lazy_init checks: the error to throw when `what` needs a GPU and there is none. */
function requireCuda(what: string): CudaNative {
  if (!hasCudaSupport()) {
    throw new TorchError(
      `${what}: Torch not compiled with CUDA enabled (this build of torch-node was built against libtorch ${native.libtorchVersion()} without CUDA; ` +
        'rebuild against a CUDA libtorch: LIBTORCH_USE_PYTORCH=1 PYTHON=/path/to/python-with-cuda-torch npm run build:native)',
    );
  }
  if (!native.cudaIsAvailable()) throw new TorchError(`${what}: CUDA is not available: no CUDA GPU was found (torch.cuda.is_available() is false)`);
  return cudaNative();
}

/** PyTorch's _get_device_index for CUDA: a number, 'cuda', 'cuda:1' or a torch.device; undefined/null is the current device. */
function deviceIndex(device: number | DeviceLike | null | undefined, where: string): number | undefined {
  if (device === undefined || device === null) return undefined;
  if (typeof device === 'number') {
    if (!Number.isInteger(device)) throw argumentError(where, 'device', 'an integer device index', device);
    return device < 0 ? undefined : device;
  }
  if (typeof device !== 'string' && !(device instanceof Device)) throw argumentError(where, 'device', "a device index, a CUDA device string like 'cuda:0' or a torch.device", device);
  const d = typeof device === 'string' ? new Device(device) : device;
  if (d.type !== 'cuda') throw new TorchError(`${where}: Expected a cuda device, but got: ${d}`);
  return d.index ?? undefined;
}

// ---- devices -------------------------------------------------------------------

/** Index of the currently selected CUDA device. */
export function current_device(): number {
  return requireCuda('torch.cuda.current_device').currentDevice();
}

/**
 * Selects the current CUDA device; a negative index does nothing (as in PyTorch).
 * Prefer `torch.cuda.device(d, fn)` or `CUDA_VISIBLE_DEVICES` in new code.
 */
export function set_device(device: number | DeviceLike): void {
  const index = deviceIndex(device, 'torch.cuda.set_device');
  if (index === undefined) return;
  requireCuda('torch.cuda.set_device').setDevice(index);
}

/** A scope that restores the previous device when disposed (`using _ = torch.cuda.device(1)`). */
export interface CudaDeviceGuard {
  [Symbol.dispose](): void;
}

/**
 * Python's `with torch.cuda.device(d):`: runs fn with `d` as the current device, or, without
 * fn, selects it and returns a guard for `using` that switches back.
 */
export function device<T>(device: number | DeviceLike | null, fn: () => T): T;
export function device(device: number | DeviceLike | null): CudaDeviceGuard;
export function device<T>(device: number | DeviceLike | null, fn?: () => T): T | CudaDeviceGuard {
  const index = deviceIndex(device, 'torch.cuda.device');
  let restore = (): void => {};
  if (index !== undefined) {
    const cuda = requireCuda('torch.cuda.device');
    const previous = cuda.currentDevice();
    if (previous !== index) cuda.setDevice(index);
    restore = () => {
      if (previous !== index) cuda.setDevice(previous);
    };
  }
  return runScoped(restore, fn);
}

/** Runs fn then `exit` (also when fn throws or its Promise settles); without fn returns a `using` guard. */
function runScoped<T>(exit: () => void, fn?: () => T): T | { [Symbol.dispose](): void } {
  if (fn === undefined) {
    let open = true;
    return {
      [Symbol.dispose]: () => {
        if (open) exit();
        open = false;
      },
    };
  }
  let result: T;
  try {
    result = fn();
  } catch (e) {
    exit();
    throw e;
  }
  if (result instanceof Promise) return result.finally(exit) as T;
  exit();
  return result;
}

/** The properties of a CUDA device, as torch.cuda.get_device_properties gives them. */
export interface CudaDeviceProperties {
  name: string;
  major: number;
  minor: number;
  total_memory: number;
  multi_processor_count: number;
}

/** Name, compute capability, memory and SM count of a CUDA device (default: the current one). */
export function get_device_properties(device?: number | DeviceLike | null): CudaDeviceProperties {
  return deviceProperties(device, 'torch.cuda.get_device_properties');
}

function deviceProperties(device: number | DeviceLike | null | undefined, where: string): CudaDeviceProperties {
  const cuda = requireCuda(where);
  const [name, major, minor, total_memory, multi_processor_count] = cuda.deviceProperties(deviceIndex(device, where));
  return { name, major, minor, total_memory, multi_processor_count };
}

/** The device's name, e.g. 'NVIDIA H200'. */
export function get_device_name(device?: number | DeviceLike | null): string {
  return deviceProperties(device, 'torch.cuda.get_device_name').name;
}

/** The device's compute capability as [major, minor]. */
export function get_device_capability(device?: number | DeviceLike | null): [number, number] {
  const p = deviceProperties(device, 'torch.cuda.get_device_capability');
  return [p.major, p.minor];
}

/** Whether the current device computes bfloat16 natively (compute capability 8.0 or newer); false without CUDA. */
export function is_bf16_supported(): boolean {
  if (!hasCudaSupport() || !native.cudaIsAvailable()) return false;
  return get_device_properties().major >= 8;
}

// ---- memory ----------------------------------------------------------------------

function stats(device: number | DeviceLike | null | undefined, where: string): [number, number, number, number] {
  const index = deviceIndex(device, where);
  // PyTorch's memory_stats() is empty until CUDA is initialised, so every figure reads 0.
  if (!hasCudaSupport() || !native.cudaIsAvailable()) return [0, 0, 0, 0];
  return cudaNative().memoryStats(index);
}

/** Bytes of device memory held by tensors now (the caching allocator's "allocated_bytes.all.current"); 0 without CUDA. */
export function memory_allocated(device?: number | DeviceLike | null): number {
  return stats(device, 'torch.cuda.memory_allocated')[0];
}

/** The peak of memory_allocated() since start-up or the last reset_peak_memory_stats(); 0 without CUDA. */
export function max_memory_allocated(device?: number | DeviceLike | null): number {
  return stats(device, 'torch.cuda.max_memory_allocated')[1];
}

/** Bytes the caching allocator holds from the driver, in use or cached; 0 without CUDA. */
export function memory_reserved(device?: number | DeviceLike | null): number {
  return stats(device, 'torch.cuda.memory_reserved')[2];
}

/** The peak of memory_reserved(); 0 without CUDA. */
export function max_memory_reserved(device?: number | DeviceLike | null): number {
  return stats(device, 'torch.cuda.max_memory_reserved')[3];
}

/** Returns the caching allocator's unused cached blocks to the driver (tensors in use are untouched); does nothing without CUDA. */
export function empty_cache(): void {
  if (!hasCudaSupport() || !native.cudaIsAvailable()) return;
  cudaNative().emptyCache();
}

/** Starts the peaks of max_memory_allocated()/max_memory_reserved() again from the current figures. */
export function reset_peak_memory_stats(device?: number | DeviceLike | null): void {
  const cuda = requireCuda('torch.cuda.reset_peak_memory_stats');
  cuda.resetPeakMemoryStats(deviceIndex(device, 'torch.cuda.reset_peak_memory_stats'));
}

/** [free, total] bytes of device memory, as the driver reports them (cudaMemGetInfo). */
export function mem_get_info(device?: number | DeviceLike | null): [number, number] {
  const cuda = requireCuda('torch.cuda.mem_get_info');
  return cuda.memGetInfo(deviceIndex(device, 'torch.cuda.mem_get_info'));
}

// ---- streams and events -------------------------------------------------------------

/**
 * A CUDA stream: an ordered queue of work on one device (torch.cuda.Stream). Ops run on the
 * current stream; make one current with `torch.cuda.stream(s, fn)`.
 *
 * Args:
 *   device: the stream's device (default: the current one).
 *   priority: 0 (default) or negative for a high-priority stream.
 *
 * Example:
 *   const s = new torch.cuda.Stream();
 *   const y = torch.cuda.stream(s, () => x.matmul(x));
 *   torch.cuda.current_stream().wait_stream(s);
 */
export class Stream {
  /** @internal */
  readonly _h: StreamHandle;

  constructor(device?: number | DeviceLike | null, priority?: number);
  /** @internal Wraps a stream handle from the native layer. */
  constructor(device: { handle: StreamHandle });
  constructor(device?: number | DeviceLike | null | { handle: StreamHandle }, priority = 0) {
    if (device !== null && typeof device === 'object' && 'handle' in device) {
      this._h = device.handle;
      return;
    }
    if (!Number.isInteger(priority)) throw argumentError('torch.cuda.Stream', 'priority', 'an integer', priority);
    const cuda = requireCuda('torch.cuda.Stream');
    this._h = cuda.streamNew(deviceIndex(device, 'torch.cuda.Stream'), priority);
  }

  private info(): [number, number, number, bigint] {
    return cudaNative().streamInfo(this._h);
  }
  /** The stream's device. */
  get device(): Device {
    return new Device('cuda', this.info()[1]);
  }
  /** The stream's device index. */
  get device_index(): number {
    return this.info()[1];
  }
  /** The stream's priority (lower is higher priority). */
  get priority(): number {
    return this.info()[2];
  }
  /** The raw cudaStream_t, for interop. */
  get cuda_stream(): bigint {
    return this.info()[3];
  }
  /** libtorch's stream id. */
  get stream_id(): number {
    return this.info()[0];
  }
  /** Makes later work on this stream wait for `event` (the host does not wait). */
  wait_event(event: Event): void {
    event.wait(this);
  }
  /** Makes later work on this stream wait for everything queued on `stream` so far. */
  wait_stream(stream: Stream): void {
    this.wait_event(stream.record_event());
  }
  /** Records an event (a new one by default) on this stream and returns it. */
  record_event(event?: Event): Event {
    const e = event ?? new Event();
    e.record(this);
    return e;
  }
  /** Whether all work queued on this stream has finished. */
  query(): boolean {
    return cudaNative().streamQuery(this._h);
  }
  /** Blocks the host until all work queued on this stream has finished. */
  synchronize(): void {
    cudaNative().streamSynchronize(this._h);
  }
  /** Python's `==` on streams: the same device and stream. */
  equals(other: unknown): boolean {
    return other instanceof Stream && cudaNative().streamEquals(this._h, other._h);
  }
  toString(): string {
    return `<torch.cuda.Stream device=${this.device} cuda_stream=0x${this.cuda_stream.toString(16)}>`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * A CUDA event: a marker in a stream, to wait on or to time work with (torch.cuda.Event).
 *
 * Example:
 *   const start = new torch.cuda.Event({ enable_timing: true }), end = new torch.cuda.Event({ enable_timing: true });
 *   start.record(); model.forward(x); end.record(); end.synchronize();
 *   start.elapsed_time(end); // milliseconds
 */
export class Event {
  /** @internal */
  readonly _h: EventHandle;
  readonly enable_timing: boolean;

  constructor(options: { enable_timing?: boolean; blocking?: boolean; interprocess?: boolean } = {}) {
    const { enable_timing = false, blocking = false, interprocess = false } = options;
    for (const [name, value] of Object.entries({ enable_timing, blocking, interprocess })) {
      if (typeof value !== 'boolean') throw argumentError('torch.cuda.Event', name, 'a boolean', value);
    }
    this._h = requireCuda('torch.cuda.Event').eventNew(enable_timing, blocking, interprocess);
    this.enable_timing = enable_timing;
  }
  /** Records the event on `stream` (default: the current stream). */
  record(stream?: Stream): void {
    cudaNative().eventRecord(this._h, stream?._h);
  }
  /** Makes later work on `stream` (default: the current stream) wait for this event. */
  wait(stream?: Stream): void {
    cudaNative().eventWait(this._h, stream?._h);
  }
  /** Whether the work before the event has finished. */
  query(): boolean {
    return cudaNative().eventQuery(this._h);
  }
  /** Milliseconds between this event and `end_event` (both recorded, both made with enable_timing). */
  elapsed_time(end_event: Event): number {
    if (!(end_event instanceof Event)) throw argumentError('torch.cuda.Event.elapsed_time', 'end_event', 'a torch.cuda.Event', end_event);
    return cudaNative().eventElapsedTime(this._h, end_event._h);
  }
  /** Blocks the host until the work before the event has finished. */
  synchronize(): void {
    cudaNative().eventSynchronize(this._h);
  }
  toString(): string {
    return '<torch.cuda.Event>';
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** The stream ops are queued on now, for a device (default: the current one). */
export function current_stream(device?: number | DeviceLike | null): Stream {
  const cuda = requireCuda('torch.cuda.current_stream');
  return new Stream({ handle: cuda.streamCurrent(deviceIndex(device, 'torch.cuda.current_stream')) });
}

/** The device's default (legacy NULL) stream. */
export function default_stream(device?: number | DeviceLike | null): Stream {
  const cuda = requireCuda('torch.cuda.default_stream');
  return new Stream({ handle: cuda.streamDefault(deviceIndex(device, 'torch.cuda.default_stream')) });
}

/** Makes `stream` current for its device (prefer the scoped `torch.cuda.stream(s, fn)`). */
export function set_stream(stream: Stream): void {
  if (!(stream instanceof Stream)) throw argumentError('torch.cuda.set_stream', 'stream', 'a torch.cuda.Stream', stream);
  cudaNative().streamSetCurrent(stream._h);
}

/**
 * Python's `with torch.cuda.stream(s):`: ops inside fn are queued on `s`; without fn, makes
 * `s` current and returns a guard for `using` that restores the previous stream (and
 * device). A null stream does nothing.
 */
export function stream<T>(s: Stream | null, fn: () => T): T;
export function stream(s: Stream | null): { [Symbol.dispose](): void };
export function stream<T>(s: Stream | null, fn?: () => T): T | { [Symbol.dispose](): void } {
  if (s === null) return runScoped(() => {}, fn);
  if (!(s instanceof Stream)) throw argumentError('torch.cuda.stream', 'stream', 'a torch.cuda.Stream or null', s);
  const cuda = cudaNative();
  const previousDevice = cuda.currentDevice();
  const target = s.device_index;
  // As in PyTorch's StreamContext: remember the current stream of both devices involved.
  const previousOnTarget = cuda.streamCurrent(target);
  const previousOnCurrent = cuda.streamCurrent(previousDevice);
  if (target !== previousDevice) cuda.setDevice(target);
  cuda.streamSetCurrent(s._h);
  return runScoped(() => {
    cuda.streamSetCurrent(previousOnTarget);
    if (target !== previousDevice) {
      cuda.setDevice(previousDevice);
      cuda.streamSetCurrent(previousOnCurrent);
    }
  }, fn);
}

/** Tensor.record_stream: tells the caching allocator that `tensor` is used on `stream`, so its memory is not reused before that work ends. */
export function record_stream(tensor: Tensor, s: Stream): void {
  if (!(s instanceof Stream)) throw argumentError('Tensor.record_stream', 'stream', 'a torch.cuda.Stream', s);
  cudaNative().tensorRecordStream(tensor._h, s._h);
}

// ---- out of memory: collect, empty the cache, retry once -------------------------------

/** Whether `error` is libtorch's CUDA out-of-memory error (c10::OutOfMemoryError or an allocation failure in cuBLAS/cuDNN). */
export function isCudaOutOfMemory(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /CUDA out of memory|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation/.test(error.message);
}

const GiB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(2)} GiB`;

/** The memory figures of the current device, for error messages. */
function memoryFigures(): string {
  try {
    const [free, total] = cudaNative().memGetInfo();
    return `allocated ${gib(memory_allocated())} by tensors, reserved ${gib(memory_reserved())} by the caching allocator, ${gib(free)} free of ${gib(total)} on cuda:${cudaNative().currentDevice()}`;
  } catch {
    return 'memory figures unavailable';
  }
}

/**
 * Handles a CUDA out-of-memory `error` from an operation: runs a full garbage collection
 * (tensors only JS still referenced are freed by their finalizers during it), returns the
 * caching allocator's cached blocks to the driver, then runs `retry` once. A second
 * out-of-memory error becomes a TorchError with the device's memory figures. Any other
 * error passes through unchanged.
 *
 * The op dispatcher calls this from its catch path, so a training loop that leaves tensors
 * to the GC behaves like one in Python:
 *   try { return native.callOp(id, ...slots); }
 *   catch (e) { if (!isCudaOutOfMemory(e)) throw e; return retryAfterCudaOom(() => native.callOp(id, ...slots), e); }
 */
export function retryAfterCudaOom<T>(retry: () => T, error: unknown): T {
  if (!isCudaOutOfMemory(error)) throw error;
  collectGarbage();
  empty_cache();
  try {
    return retry();
  } catch (second) {
    if (!isCudaOutOfMemory(second)) throw second;
    const first = (error as Error).message.split('\n')[0];
    throw new TorchError(
      `CUDA out of memory, even after a full garbage collection and torch.cuda.empty_cache(): ${first}\n` +
        `  now: ${memoryFigures()}\n` +
        '  free tensors sooner (dispose(), `using`, torch.tidy()), or lower the batch size',
    );
  }
}

/** Runs fn; on a CUDA out-of-memory error, collects garbage, empties the cache and runs it once more (see retryAfterCudaOom). */
export function withCudaOomRetry<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    return retryAfterCudaOom(fn, e);
  }
}
