// Gradient scaling for mixed-precision training (torch/cuda/amp/grad_scaler.py, and
// torch.amp.GradScaler of PyTorch 2.3+, which also runs on the CPU). The loss is multiplied
// by a large factor so that float16 gradients do not underflow; step() divides it back out,
// skips the optimizer step when a gradient is inf/NaN, and update() adapts the factor.
//
// The two kernels are ATen's: _amp_foreach_non_finite_check_and_unscale_ and
// _amp_update_scale_. libtorch 1.13 has them for CUDA only; on the CPU of such a libtorch
// the same arithmetic is done here with ordinary ops (see cpuFallback).
import { native } from '../_C.js';
import { no_grad } from '../autograd/grad_mode.js';
import { float16, float32, int32 } from '../dtype.js';
import { TorchError, ValueError, argumentError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';

/** Where an optimizer is in the current iteration (Python's OptState enum). */
export const OptState = { READY: 0, UNSCALED: 1, STEPPED: 2 } as const;
type Stage = (typeof OptState)[keyof typeof OptState];

/** What GradScaler needs of an optimizer: its parameter groups and step(). */
export interface ScalableOptimizer {
  param_groups: Array<{ params: Tensor[] }>;
  step(...args: never[]): unknown;
}

/** GradScaler's options, with Python's keyword names and defaults. */
export interface GradScalerOptions {
  /** Initial scale factor (default 2**16). */
  init_scale?: number;
  /** Factor the scale grows by after growth_interval steps without inf/NaN (default 2.0). */
  growth_factor?: number;
  /** Factor the scale shrinks by after a step with inf/NaN gradients (default 0.5). */
  backoff_factor?: number;
  /** Consecutive clean steps before the scale grows (default 2000). */
  growth_interval?: number;
  /** false makes every method a no-op and step() a plain optimizer.step() (default true). */
  enabled?: boolean;
}

/** The scaler's state as state_dict() returns it (empty when disabled). */
export interface GradScalerStateDict {
  scale?: number;
  growth_factor?: number;
  backoff_factor?: number;
  growth_interval?: number;
  _growth_tracker?: number;
}

interface PerOptimizerState {
  stage: Stage;
  found_inf_per_device: Map<string, Tensor>;
}

const refreshPerOptimizerState = (): PerOptimizerState => ({ stage: OptState.READY, found_inf_per_device: new Map() });

/** Serves copies of one tensor to the devices that ask, one copy per device (Python's _MultiDeviceReplicator). */
class MultiDeviceReplicator {
  readonly perDevice = new Map<string, Tensor>();
  constructor(readonly master: Tensor) {}
  get(device: string): Tensor {
    let copy = this.perDevice.get(device);
    if (!copy) {
      copy = keep(this.master.to({ device, non_blocking: true, copy: true }));
      this.perDevice.set(device, copy);
    }
    return copy;
  }
}

// ---- the two ATen kernels, with the CPU fallback for libtorch builds that lack them ----------

let cpuKernelsPresent: boolean | undefined;

/** Whether this libtorch has CPU kernels for the _amp_* ops (2.3+); probed once. */
function hasCpuAmpKernels(): boolean {
  if (cpuKernelsPresent === undefined) {
    cpuKernelsPresent = tidy(() => {
      try {
        torch._amp_update_scale_(torch.ones(1), torch.zeros(1, { dtype: int32 }), torch.zeros(1), 2.0, 0.5, 2000);
        return true;
      } catch {
        return false;
      }
    });
  }
  return cpuKernelsPresent;
}

const useFallback = (t: Tensor) => t.device.type === 'cpu' && !hasCpuAmpKernels();

/**
 * The CPU fallback, doing what ATen's kernels do (aten/src/ATen/native/cuda/AmpKernels.cu):
 * every gradient is multiplied by inv_scale (unless it is 1) and found_inf becomes 1 if any
 * value is inf/NaN; the scale backs off on found_inf, else grows once growth_interval clean
 * steps accumulate, the product computed in double and stored as float, as the kernel does.
 */
const cpuFallback = {
  nonFiniteCheckAndUnscale(grads: Tensor[], foundInf: Tensor, invScale: Tensor): void {
    tidy(() => {
      const unity = invScale.item() === 1;
      for (const grad of grads) {
        if (grad.isfinite().logical_not().any().item()) foundInf.fill_(1.0);
        if (!unity) grad.mul_(invScale);
      }
    });
  },
  updateScale(scale: Tensor, growthTracker: Tensor, foundInf: Tensor, growthFactor: number, backoffFactor: number, growthInterval: number): void {
    const current = scale.item() as number;
    if ((foundInf.item() as number) !== 0) {
      scale.fill_(Math.fround(current * backoffFactor));
      growthTracker.fill_(0);
      return;
    }
    const successful = (growthTracker.item() as number) + 1;
    if (successful === growthInterval) {
      const grown = Math.fround(current * growthFactor);
      if (Number.isFinite(grown)) scale.fill_(grown);
      growthTracker.fill_(0);
    } else {
      growthTracker.fill_(successful);
    }
  },
};

function foreachNonFiniteCheckAndUnscale(grads: Tensor[], foundInf: Tensor, invScale: Tensor): void {
  if (useFallback(foundInf)) cpuFallback.nonFiniteCheckAndUnscale(grads, foundInf, invScale);
  else torch._amp_foreach_non_finite_check_and_unscale_(grads, foundInf, invScale);
}

function updateScale(scale: Tensor, growthTracker: Tensor, foundInf: Tensor, growthFactor: number, backoffFactor: number, growthInterval: number): void {
  if (useFallback(scale)) cpuFallback.updateScale(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval);
  else torch._amp_update_scale_(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval);
}

/**
 * Scales the loss so float16 gradients keep their small values, then unscales before the
 * optimizer step (torch.amp.GradScaler; torch.cuda.amp.GradScaler is the same for 'cuda').
 *
 *   scaler.scale(loss).backward();   // gradients are multiplied by the scale
 *   scaler.step(optimizer);          // unscales them; skips the step if any is inf/NaN
 *   scaler.update();                 // backs off after inf/NaN, grows after growth_interval clean steps
 *
 * Args:
 *   device: 'cuda' (default) or 'cpu'. A 'cuda' scaler without CUDA disables itself with a warning.
 *   options: init_scale, growth_factor, backoff_factor, growth_interval, enabled.
 *
 * Example:
 *   const scaler = new torch.cuda.amp.GradScaler();
 *   for (const [x, y] of batches) {
 *     optimizer.zero_grad();
 *     const loss = torch.autocast('cuda', () => criterion.forward(model.forward(x), y));
 *     scaler.scale(loss).backward();
 *     scaler.step(optimizer);
 *     scaler.update();
 *   }
 */
export class GradScaler {
  readonly _device: string;
  _enabled: boolean;
  _init_scale = 2.0 ** 16;
  _scale: Tensor | null = null;
  _growth_factor = 2.0;
  _backoff_factor = 0.5;
  _growth_interval = 2000;
  _init_growth_tracker = 0;
  _growth_tracker: Tensor | null = null;
  _per_optimizer_states = new Map<ScalableOptimizer, PerOptimizerState>();

  constructor(device?: 'cuda' | 'cpu' | GradScalerOptions, options?: GradScalerOptions) {
    if (typeof device === 'object' && device !== null) {
      options = device;
      device = undefined;
    }
    const deviceType = device ?? 'cuda';
    if (deviceType !== 'cuda' && deviceType !== 'cpu') throw argumentError('GradScaler', 'device', "'cuda' or 'cpu'", deviceType);
    const { init_scale = 2.0 ** 16, growth_factor = 2.0, backoff_factor = 0.5, growth_interval = 2000, enabled = true } = options ?? {};
    for (const [name, value] of Object.entries({ init_scale, growth_factor, backoff_factor })) {
      if (typeof value !== 'number') throw argumentError('GradScaler', name, 'a number', value);
    }
    if (!Number.isInteger(growth_interval)) throw argumentError('GradScaler', 'growth_interval', 'an integer', growth_interval);
    if (typeof enabled !== 'boolean') throw argumentError('GradScaler', 'enabled', 'a boolean', enabled);
    this._device = deviceType;
    this._enabled = enabled;
    if (enabled && deviceType === 'cuda' && !native.cudaIsAvailable()) {
      process.emitWarning('torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.', { type: 'UserWarning' });
      this._enabled = false;
    }
    if (this._enabled) {
      if (!(growth_factor > 1.0)) throw new ValueError('The growth factor must be > 1.0.');
      if (!(backoff_factor < 1.0)) throw new ValueError('The backoff factor must be < 1.0.');
      this._init_scale = init_scale;
      this._growth_factor = growth_factor;
      this._backoff_factor = backoff_factor;
      this._growth_interval = growth_interval;
    }
  }

  private _check_scale_growth_tracker(funcname: string): [Tensor, Tensor] {
    const fix = 'This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.';
    if (this._scale === null) throw new TorchError(`Attempted ${funcname} but _scale is None.  ${fix}`);
    if (this._growth_tracker === null) throw new TorchError(`Attempted ${funcname} but _growth_tracker is None.  ${fix}`);
    return [this._scale, this._growth_tracker];
  }

  private _lazy_init_scale_growth_tracker(device: string): void {
    this._scale = keep(torch.full([1], this._init_scale, { dtype: float32, device }));
    this._growth_tracker = keep(torch.full([1], this._init_growth_tracker, { dtype: int32, device }));
  }

  private stateOf(optimizer: ScalableOptimizer): PerOptimizerState {
    let state = this._per_optimizer_states.get(optimizer);
    if (!state) {
      state = refreshPerOptimizerState();
      this._per_optimizer_states.set(optimizer, state);
    }
    return state;
  }

  /**
   * Multiplies a tensor, or arrays of tensors (nested), by the scale factor. Returns them
   * unchanged when the scaler is disabled.
   */
  scale<T extends Tensor | unknown[]>(outputs: T): T {
    if (!this._enabled) return outputs;
    if (outputs instanceof Tensor) {
      this.checkDevice(outputs);
      if (this._scale === null) this._lazy_init_scale_growth_tracker(outputs.device.toString());
      const scale = this._scale!;
      return tidy(() => outputs.mul(scale.to({ device: outputs.device, non_blocking: true }))) as T;
    }
    let replicator: MultiDeviceReplicator | undefined;
    const applyScale = (value: unknown): unknown => {
      if (value instanceof Tensor) {
        this.checkDevice(value);
        if (!replicator) {
          if (this._scale === null) this._lazy_init_scale_growth_tracker(value.device.toString());
          replicator = new MultiDeviceReplicator(this._scale!);
        }
        return value.mul(replicator.get(value.device.toString()));
      }
      if (Array.isArray(value)) return value.map(applyScale);
      throw new ValueError('outputs must be a Tensor or an iterable of Tensors');
    };
    try {
      return applyScale(outputs) as T;
    } finally {
      // The per-device copies of the scale were only needed for the products.
      if (replicator) for (const copy of replicator.perDevice.values()) copy.dispose();
    }
  }

  private checkDevice(t: Tensor): void {
    if (t.device.type !== this._device) {
      throw new TorchError(`GradScaler for device '${this._device}' was given a tensor on ${t.device}`);
    }
  }

  /** Unscales every gradient of `optimizer` in place; returns found_inf per device. */
  private _unscale_grads_(optimizer: ScalableOptimizer, invScale: Tensor, foundInf: Tensor, allowFp16: boolean): Map<string, Tensor> {
    const perDeviceInvScale = new MultiDeviceReplicator(invScale);
    const perDeviceFoundInf = new MultiDeviceReplicator(foundInf);
    no_grad(() =>
      tidy(() => {
        // device -> dtype -> gradients: the kernel takes a list of one device and dtype.
        const grouped = new Map<string, Map<string, Tensor[]>>();
        for (const group of optimizer.param_groups) {
          for (const param of group.params) {
            const grad = param.grad;
            if (grad === null) continue;
            if (!allowFp16 && grad.dtype === float16) throw new ValueError('Attempting to unscale FP16 gradients.');
            const device = grad.device.toString();
            const byDtype = grouped.get(device) ?? new Map<string, Tensor[]>();
            grouped.set(device, byDtype);
            const list = byDtype.get(grad.dtype.name) ?? [];
            byDtype.set(grad.dtype.name, list);
            list.push(grad);
          }
        }
        for (const [device, byDtype] of grouped) {
          for (const grads of byDtype.values()) foreachNonFiniteCheckAndUnscale(grads, perDeviceFoundInf.get(device), perDeviceInvScale.get(device));
        }
      }),
    );
    for (const copy of perDeviceInvScale.perDevice.values()) copy.dispose();
    return perDeviceFoundInf.perDevice;
  }

  /**
   * Divides ("unscales") the optimizer's gradients by the scale, e.g. before clipping them.
   * Optional: step() does it when it was not done. At most once per optimizer per step().
   */
  unscale_(optimizer: ScalableOptimizer): void {
    if (!this._enabled) return;
    this._check_scale_growth_tracker('unscale_');
    const state = this.stateOf(optimizer);
    if (state.stage === OptState.UNSCALED) throw new TorchError('unscale_() has already been called on this optimizer since the last update().');
    if (state.stage === OptState.STEPPED) throw new TorchError('unscale_() is being called after step().');
    const scale = this._scale!;
    const [invScale, foundInf] = tidy(() => [scale.double().reciprocal().float(), torch.full([1], 0.0, { dtype: float32, device: scale.device })]);
    try {
      state.found_inf_per_device = this._unscale_grads_(optimizer, invScale, foundInf, false);
    } finally {
      invScale.dispose();
      foundInf.dispose();
    }
    state.stage = OptState.UNSCALED;
  }

  private _maybe_opt_step(optimizer: ScalableOptimizer, state: PerOptimizerState, args: never[]): unknown {
    let found = 0;
    for (const v of state.found_inf_per_device.values()) found += v.item() as number;
    return found ? undefined : optimizer.step(...args);
  }

  /**
   * Unscales the gradients (unless unscale_ already did) and runs optimizer.step(...args)
   * only if none is inf/NaN. Returns what optimizer.step returned, or undefined when skipped.
   * A closure is not supported while the scaler is enabled.
   */
  step<O extends ScalableOptimizer>(optimizer: O, ...args: Parameters<O['step']>): unknown {
    if (!this._enabled) return optimizer.step(...(args as never[]));
    if (args.some((a) => typeof a === 'function')) throw new TorchError('Closure use is not currently supported if GradScaler is enabled.');
    this._check_scale_growth_tracker('step');
    const state = this.stateOf(optimizer);
    if (state.stage === OptState.STEPPED) throw new TorchError('step() has already been called since the last update().');
    if (state.stage === OptState.READY) this.unscale_(optimizer);
    if (state.found_inf_per_device.size === 0) throw new TorchError('No inf checks were recorded for this optimizer.');
    const result = this._maybe_opt_step(optimizer, state, args as never[]);
    state.stage = OptState.STEPPED;
    return result;
  }

  /**
   * Updates the scale: times backoff_factor if any step this iteration saw inf/NaN, times
   * growth_factor after growth_interval clean steps in a row. `new_scale` (a number or a
   * one-element float32 tensor) sets it instead. Call once per iteration, after every step().
   */
  update(new_scale?: number | Tensor): void {
    if (!this._enabled) return;
    const [scale, growthTracker] = this._check_scale_growth_tracker('update');
    if (new_scale !== undefined) {
      if (typeof new_scale === 'number') {
        scale.fill_(new_scale);
      } else {
        const reason = 'new_scale should be a float or a 1-element torch.cuda.FloatTensor with requires_grad=False.';
        if (!(new_scale instanceof Tensor) || new_scale.dtype !== float32 || new_scale.numel() !== 1 || new_scale.requires_grad) throw new ValueError(reason);
        no_grad(() => scale.copy_(new_scale));
      }
    } else {
      const foundInfs = [...this._per_optimizer_states.values()].flatMap((s) => [...s.found_inf_per_device.values()]);
      if (foundInfs.length === 0) throw new TorchError('No inf checks were recorded prior to update.');
      tidy(() => {
        const combined = foundInfs[0].to({ device: scale.device, non_blocking: true });
        for (let i = 1; i < foundInfs.length; i++) combined.add_(foundInfs[i].to({ device: scale.device, non_blocking: true }));
        updateScale(scale, growthTracker, combined, this._growth_factor, this._backoff_factor, this._growth_interval);
      });
    }
    this.disposeFoundInfs();
    this._per_optimizer_states = new Map();
  }

  private disposeFoundInfs(): void {
    for (const state of this._per_optimizer_states.values()) for (const t of state.found_inf_per_device.values()) t.dispose();
  }

  /** The current scale as a number (the initial one before the first scale(); 1.0 when disabled). */
  get_scale(): number {
    if (!this._enabled) return 1.0;
    return this._scale === null ? this._init_scale : (this._scale.item() as number);
  }
  /** The factor the scale grows by after growth_interval clean steps. */
  get_growth_factor(): number {
    return this._growth_factor;
  }
  /** Sets the growth factor. */
  set_growth_factor(new_factor: number): void {
    this._growth_factor = new_factor;
  }
  /** The factor the scale shrinks by after a step with inf/NaN gradients. */
  get_backoff_factor(): number {
    return this._backoff_factor;
  }
  /** Sets the backoff factor. */
  set_backoff_factor(new_factor: number): void {
    this._backoff_factor = new_factor;
  }
  /** Consecutive clean steps before the scale grows. */
  get_growth_interval(): number {
    return this._growth_interval;
  }
  /** Sets the growth interval. */
  set_growth_interval(new_interval: number): void {
    this._growth_interval = new_interval;
  }
  /** Clean steps since the scale last changed (0 when disabled). */
  _get_growth_tracker(): number {
    if (!this._enabled) return 0;
    return this._growth_tracker === null ? this._init_growth_tracker : (this._growth_tracker.item() as number);
  }
  /** Whether the scaler is on (false when asked to be, or when CUDA is missing for a 'cuda' scaler). */
  is_enabled(): boolean {
    return this._enabled;
  }

  /** { scale, growth_factor, backoff_factor, growth_interval, _growth_tracker }, or {} when disabled. Take it after update(). */
  state_dict(): GradScalerStateDict {
    if (!this._enabled) return {};
    return {
      scale: this.get_scale(),
      growth_factor: this._growth_factor,
      backoff_factor: this._backoff_factor,
      growth_interval: this._growth_interval,
      _growth_tracker: this._get_growth_tracker(),
    };
  }

  /** Restores a state_dict(); does nothing when disabled. */
  load_state_dict(state_dict: GradScalerStateDict): void {
    if (!this._enabled) return;
    if (Object.keys(state_dict).length === 0) {
      throw new TorchError('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');
    }
    this._init_scale = state_dict.scale!;
    if (this._scale !== null) this._scale.fill_(state_dict.scale!);
    this._growth_factor = state_dict.growth_factor!;
    this._backoff_factor = state_dict.backoff_factor!;
    this._growth_interval = state_dict.growth_interval!;
    this._init_growth_tracker = state_dict._growth_tracker!;
    if (this._growth_tracker !== null) this._growth_tracker.fill_(state_dict._growth_tracker!);
  }

  /** Checks the gradients for inf/NaN without unscaling them (for custom optimizers); returns found_inf per device. */
  _check_inf_per_device(optimizer: ScalableOptimizer): Map<string, Tensor> {
    const [scale] = this._check_scale_growth_tracker('_check_inf_per_device');
    const [dummyInvScale, foundInf] = tidy(() => [torch.full([1], 1.0, { dtype: float32, device: scale.device }), torch.full([1], 0.0, { dtype: float32, device: scale.device })]);
    try {
      const state = this.stateOf(optimizer);
      state.found_inf_per_device = this._unscale_grads_(optimizer, dummyInvScale, foundInf, true);
      return state.found_inf_per_device;
    } finally {
      dummyInvScale.dispose();
      foundInf.dispose();
    }
  }

  /** found_inf per device recorded for `optimizer` in this iteration. */
  _found_inf_per_device(optimizer: ScalableOptimizer): Map<string, Tensor> {
    return this.stateOf(optimizer).found_inf_per_device;
  }
}

/** torch.cuda.amp.GradScaler: a GradScaler for 'cuda' (PyTorch 1.13's class, same options). */
export class CudaGradScaler extends GradScaler {
  constructor(options: GradScalerOptions = {}) {
    super('cuda', options);
  }
}
