// torch.autocast (torch/amp/autocast_mode.py): regions where ops run in an op-specific lower
// precision chosen by libtorch's Autocast dispatch keys (matmul, linear and conv in
// bfloat16/float16; reductions, softmax and losses in float32). This file only switches
// libtorch's per-device autocast state on and off, nesting and cache clearing as PyTorch does.
import { native } from '../_C.js';
import { DType, bfloat16, dtypeFromCode, float16 } from '../dtype.js';
import { TorchError, argumentError } from '../errors.js';
import { is_bf16_supported } from '../cuda_memory.js';
import { ampNative, libtorchVersion } from './_native.js';

/** The device types autocast knows. */
export type AutocastDeviceType = 'cpu' | 'cuda';

/** Options of torch.autocast, with Python's keyword names. */
export interface AutocastOptions {
  /** The lower-precision dtype (default: torch.get_autocast_cpu_dtype() / get_autocast_gpu_dtype(): bfloat16 on CPU, float16 on CUDA). */
  dtype?: DType | null;
  /** Whether autocasting is on in the region (default true); false makes an autocast-free subregion. */
  enabled?: boolean;
  /** Whether casts of leaf tensors (weights) are cached inside the region (default: torch.is_autocast_cache_enabled()). */
  cache_enabled?: boolean | null;
}

function warn(message: string): void {
  process.emitWarning(message, { type: 'UserWarning' });
}

/** CPU autocast dtypes this libtorch supports: bfloat16, and float16 from libtorch 2.2 on. */
function cpuAutocastDtypes(): DType[] {
  const [major, minor] = libtorchVersion();
  return major > 2 || (major === 2 && minor >= 2) ? [bfloat16, float16] : [bfloat16];
}

/** PyTorch's binding refuses other CPU autocast dtypes even in a disabled region (1.13: bfloat16 only). */
function checkCpuDtype(dtype: DType): void {
  if (!cpuAutocastDtypes().includes(dtype)) {
    const [major] = libtorchVersion();
    throw new TorchError(major < 2 ? 'Currently, AutocastCPU only support Bfloat16 as the autocast_cpu_dtype' : `CPU autocast does not support ${dtype} in this libtorch`);
  }
}

/**
 * One autocast region (Python's `torch.autocast` instance). `torch.autocast(...)` makes one
 * and enters it; most code never sees this class. `exit()` (or disposal by `using`) leaves
 * it, restoring the enclosing region's state; regions must be left in reverse order.
 */
export class AutocastMode {
  readonly device: AutocastDeviceType;
  readonly fast_dtype: DType;
  readonly _enabled: boolean;
  readonly _cache_enabled: boolean;
  private prev?: { enabled: boolean; dtype: number; cacheEnabled: boolean };

  constructor(device_type: AutocastDeviceType, options: AutocastOptions = {}) {
    if (typeof options !== 'object' || options === null) throw argumentError('torch.autocast', 'options', 'an options object { dtype, enabled, cache_enabled }', options);
    const { dtype = null, cache_enabled = null } = options;
    let enabled = options.enabled ?? true;
    if (device_type !== 'cuda' && device_type !== 'cpu') {
      throw new TorchError(`User specified autocast device_type must be 'cuda' or 'cpu' (received ${String(device_type)})`);
    }
    if (typeof enabled !== 'boolean') throw argumentError('torch.autocast', 'enabled', 'a boolean', enabled);
    if (dtype !== null && !(dtype instanceof DType)) throw argumentError('torch.autocast', 'dtype', 'a torch dtype (torch.bfloat16 or torch.float16)', dtype);
    if (cache_enabled !== null && typeof cache_enabled !== 'boolean') throw argumentError('torch.autocast', 'cache_enabled', 'a boolean', cache_enabled);
    const amp = ampNative();
    this.device = device_type;
    let fastDtype = dtypeFromCode(amp.getAutocastDtype(device_type));
    if (enabled && device_type === 'cuda' && !native.cudaIsAvailable()) {
      warn("User provided device_type of 'cuda', but CUDA is not available. Disabling");
      enabled = false;
    }
    if (dtype !== null) fastDtype = dtype;
    if (device_type === 'cpu') {
      const supported = cpuAutocastDtypes();
      if (enabled && !supported.includes(fastDtype)) {
        warn(
          'In CPU autocast, but the target dtype is not supported. Disabling autocast.\n' +
            `CPU Autocast only supports dtype of ${supported.map(String).join(', ')} currently.`,
        );
        enabled = false;
      }
    }
    if (device_type === 'cuda' && enabled && fastDtype === bfloat16 && !is_bf16_supported()) {
      throw new TorchError('Current CUDA Device does not support bfloat16. Please switch dtype to float16.');
    }
    this.fast_dtype = fastDtype;
    this._enabled = enabled;
    this._cache_enabled = cache_enabled ?? amp.isCacheEnabled();
  }

  /** Enters the region (Python's __enter__). */
  __enter__(): this {
    if (this.prev) throw new TorchError('torch.autocast: this region is already entered; make a new torch.autocast(...) for a nested region');
    if (this.device === 'cpu') checkCpuDtype(this.fast_dtype);
    const amp = ampNative();
    this.prev = {
      enabled: amp.isAutocastEnabled(this.device),
      dtype: amp.getAutocastDtype(this.device),
      cacheEnabled: amp.isCacheEnabled(),
    };
    amp.setAutocastEnabled(this.device, this._enabled);
    amp.setAutocastDtype(this.device, this.fast_dtype.code);
    amp.incrementNesting();
    amp.setCacheEnabled(this._cache_enabled);
    return this;
  }

  /** Leaves the region (Python's __exit__): the outermost exit clears the cast cache. Leaving twice does nothing. */
  __exit__(): void {
    const prev = this.prev;
    if (!prev) return;
    this.prev = undefined;
    const amp = ampNative();
    if (amp.decrementNesting() === 0) amp.clearCache();
    amp.setAutocastEnabled(this.device, prev.enabled);
    amp.setAutocastDtype(this.device, prev.dtype);
    amp.setCacheEnabled(prev.cacheEnabled);
  }

  /** Same as __exit__. */
  exit(): void {
    this.__exit__();
  }

  [Symbol.dispose](): void {
    this.__exit__();
  }

  /** Runs fn inside a fresh entry of this region (Python's use as a decorator): `const f = region.wrap(model.forward.bind(model))`. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      const region = new AutocastMode(this.device, { dtype: this.fast_dtype, enabled: this._enabled, cache_enabled: this._cache_enabled });
      return region.run(() => fn(...args));
    };
  }

  /** @internal Enters, runs fn, exits (also on throw, and when a returned Promise settles). */
  run<T>(fn: () => T): T {
    this.__enter__();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.__exit__();
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => this.__exit__()) as T;
    this.__exit__();
    return result;
  }
}

/**
 * Runs fn with autocasting on `device_type` (Python's `with torch.autocast(device_type, ...):`),
 * or, without fn, enters the region and returns it as a guard for `using`.
 * Wrap only the forward pass and the loss; backward runs in the dtypes the forward chose.
 *
 * Args:
 *   device_type: 'cuda' or 'cpu'.
 *   options: dtype (bfloat16 or float16), enabled (default true), cache_enabled.
 *
 * Example:
 *   const out = torch.autocast('cpu', { dtype: torch.bfloat16 }, () => model.forward(x)); // out.dtype: bfloat16
 *   { using _ = torch.autocast('cuda'); loss = criterion.forward(model.forward(x), y); }
 */
export function autocast<T>(device_type: AutocastDeviceType, options: AutocastOptions, fn: () => T): T;
export function autocast<T>(device_type: AutocastDeviceType, fn: () => T): T;
export function autocast(device_type: AutocastDeviceType, options?: AutocastOptions): AutocastMode;
export function autocast<T>(device_type: AutocastDeviceType, optionsOrFn?: AutocastOptions | (() => T), fn?: () => T): T | AutocastMode {
  if (typeof optionsOrFn === 'function') return new AutocastMode(device_type).run(optionsOrFn);
  const region = new AutocastMode(device_type, optionsOrFn ?? {});
  if (fn === undefined) return region.__enter__();
  if (typeof fn !== 'function') throw argumentError('torch.autocast', 'fn', 'a function', fn);
  return region.run(fn);
}

/** Python 1.13's torch.cuda.amp.autocast: float16 by default. */
export function cuda_autocast<T>(options: Omit<AutocastOptions, 'dtype'> & { dtype?: DType }, fn: () => T): T;
export function cuda_autocast(options?: Omit<AutocastOptions, 'dtype'> & { dtype?: DType }): AutocastMode;
export function cuda_autocast<T>(options: Omit<AutocastOptions, 'dtype'> & { dtype?: DType } = {}, fn?: () => T): T | AutocastMode {
  const full = { enabled: true, dtype: float16, cache_enabled: true, ...options };
  return fn === undefined ? autocast('cuda', full) : autocast('cuda', full, fn);
}

/** Python 1.13's torch.cpu.amp.autocast: bfloat16 by default. */
export function cpu_autocast<T>(options: Omit<AutocastOptions, 'dtype'> & { dtype?: DType }, fn: () => T): T;
export function cpu_autocast(options?: Omit<AutocastOptions, 'dtype'> & { dtype?: DType }): AutocastMode;
export function cpu_autocast<T>(options: Omit<AutocastOptions, 'dtype'> & { dtype?: DType } = {}, fn?: () => T): T | AutocastMode {
  const full = { enabled: true, dtype: bfloat16, cache_enabled: true, ...options };
  return fn === undefined ? autocast('cpu', full) : autocast('cpu', full, fn);
}

// ---- the state functions torch exposes (torch.is_autocast_enabled, ...) -------------------

/** Whether autocast is on for `device_type` (default 'cuda', as Python's torch.is_autocast_enabled()). */
export function is_autocast_enabled(device_type: AutocastDeviceType = 'cuda'): boolean {
  return ampNative().isAutocastEnabled(device_type);
}
/** Turns CUDA autocast on or off outside any region (prefer torch.autocast). */
export function set_autocast_enabled(enabled: boolean): void {
  ampNative().setAutocastEnabled('cuda', enabled);
}
/** Whether CPU autocast is on. */
export function is_autocast_cpu_enabled(): boolean {
  return ampNative().isAutocastEnabled('cpu');
}
/** Turns CPU autocast on or off outside any region (prefer torch.autocast). */
export function set_autocast_cpu_enabled(enabled: boolean): void {
  ampNative().setAutocastEnabled('cpu', enabled);
}
/** The dtype autocast uses on `device_type`. */
export function get_autocast_dtype(device_type: AutocastDeviceType): DType {
  return dtypeFromCode(ampNative().getAutocastDtype(device_type));
}
/** The dtype CUDA autocast uses (float16 unless changed). */
export function get_autocast_gpu_dtype(): DType {
  return get_autocast_dtype('cuda');
}
/** The dtype CPU autocast uses (bfloat16 unless changed). */
export function get_autocast_cpu_dtype(): DType {
  return get_autocast_dtype('cpu');
}
/** Sets the dtype CUDA autocast uses. */
export function set_autocast_gpu_dtype(dtype: DType): void {
  if (!(dtype instanceof DType)) throw argumentError('torch.set_autocast_gpu_dtype', 'dtype', 'a torch dtype', dtype);
  ampNative().setAutocastDtype('cuda', dtype.code);
}
/** Sets the dtype CPU autocast uses. */
export function set_autocast_cpu_dtype(dtype: DType): void {
  if (!(dtype instanceof DType)) throw argumentError('torch.set_autocast_cpu_dtype', 'dtype', 'a torch dtype', dtype);
  checkCpuDtype(dtype);
  ampNative().setAutocastDtype('cpu', dtype.code);
}
/** Whether autocast caches the casts of leaf tensors (weights) within a region. */
export function is_autocast_cache_enabled(): boolean {
  return ampNative().isCacheEnabled();
}
/** Turns autocast's weight-cast cache on or off. */
export function set_autocast_cache_enabled(enabled: boolean): void {
  ampNative().setCacheEnabled(enabled);
}
/** Drops autocast's cached casts (the outermost region does this on exit). */
export function clear_autocast_cache(): void {
  ampNative().clearCache();
}
