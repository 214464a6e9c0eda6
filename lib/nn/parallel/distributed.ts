// DistributedDataParallel (torch/nn/parallel/distributed.py) on c10d's Reducer: the same
// bucketing gradient all-reducer Python's DDP drives. The Reducer registers autograd hooks
// on the parameters' gradient accumulators in C++, so during backward each bucket is
// all-reduced (and averaged) as soon as its gradients are ready, overlapping communication
// with the rest of backward, without a call back into JS.
import { is_grad_enabled } from '../../autograd/grad_mode.js';
import { TorchError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { distributedNative, type ReducerHandle } from '../../distributed/_native.js';
import { GroupMember, ProcessGroup, get_world_size } from '../../distributed/distributed_c10d.js';
import { Module } from '../modules/module.js';

/** Options of DistributedDataParallel (Python's keyword arguments). */
export interface DistributedDataParallelOptions {
  /** CUDA device of a single-device module; must be omitted (or empty) for CPU modules. */
  device_ids?: (number | string)[] | null;
  /** The output device; CUDA only, like device_ids. */
  output_device?: number | string | null;
  /** Broadcast rank 0's buffers (e.g. BatchNorm statistics) to every rank before each forward (default true). */
  broadcast_buffers?: boolean;
  /** The group to reduce over (default: the default group). */
  process_group?: ProcessGroup | null;
  /** Bucket size in MiB for gradient all-reduce after the first iteration (default 25). */
  bucket_cap_mb?: number;
  /** Walk the autograd graph from forward's outputs to find parameters that get no gradient (default false). */
  find_unused_parameters?: boolean;
  /** Make each param.grad a view into its all-reduce bucket, saving a copy (default false). */
  gradient_as_bucket_view?: boolean;
}

/** Every Tensor inside a forward output (arrays, plain objects, Maps), like Python's `_find_tensors`. */
function findTensors(value: unknown, out: Tensor[] = [], seen = new Set<unknown>()): Tensor[] {
  if (value instanceof Tensor) {
    out.push(value);
  } else if (typeof value === 'object' && value !== null && !seen.has(value)) {
    seen.add(value);
    if (Array.isArray(value)) for (const v of value) findTensors(v, out, seen);
    else if (value instanceof Map) for (const v of value.values()) findTensors(v, out, seen);
    else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) findTensors(v, out, seen);
  }
  return out;
}

/**
 * Data parallelism across processes (Python: `torch.nn.parallel.DistributedDataParallel`).
 * Wrap the model on every rank after init_process_group; use `ddp.forward(...)` for the
 * forward pass, then `loss.backward()`: when backward returns, every parameter's `.grad` is
 * the average over the ranks, so every rank's optimizer takes the same step.
 *
 * At construction the module's parameters and buffers are broadcast from rank 0 (after a
 * check that every rank has the same parameter shapes). The constructor, forward's buffer
 * broadcast and backward's all-reduce wait for the other ranks on the JS thread: backward
 * is synchronous in torch-node, and these waits are bounded by the group's timeout.
 *
 * state_dict() keys are prefixed `module.`, as in PyTorch; save `ddp.module.state_dict()` for
 * a checkpoint that loads into the bare model.
 *
 * Example:
 * ```ts
 * await dist.init_process_group({ backend: 'gloo' });
 * const model = new DistributedDataParallel(new Net());
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
 * const loss = F.cross_entropy(model.forward(x), y);
 * opt.zero_grad(); loss.backward(); opt.step();
 * ```
 */
export class DistributedDataParallel extends Module {
  declare module: Module;
  /** @internal */
  declare _reducer: ReducerHandle;
  declare process_group: ProcessGroup;
  declare broadcast_buffers: boolean;
  declare find_unused_parameters: boolean;
  declare gradient_as_bucket_view: boolean;
  declare bucket_bytes_cap: number;
  declare broadcast_bucket_size: number;
  /** Whether the next backward all-reduces gradients (false inside no_sync). */
  declare require_backward_grad_sync: boolean;
  declare require_forward_param_sync: boolean;
  declare device_ids: null;
  declare output_device: null;
  /** The number of forward passes with gradient sync so far. */
  declare num_iterations: number;

  constructor(module: Module, options: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw argumentError('DistributedDataParallel', 'module', 'an nn.Module', module);
    const {
      device_ids = null, output_device = null, broadcast_buffers = true, process_group = null,
      bucket_cap_mb = 25, find_unused_parameters = false, gradient_as_bucket_view = false,
    } = options;
    const params = [...module.parameters()];
    if (!params.some((p) => p.requires_grad)) {
      throw new TorchError("DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.");
    }
    if (device_ids !== null && device_ids.length > 1) throw new ValueError('device_ids can only be None or contain a single element.');
    const deviceTypes = new Set(params.map((p) => p.device.type));
    if (deviceTypes.size !== 1) {
      throw new ValueError(`DistributedDataParallel's input module must be on the same type of devices, but input module parameters locate in {${[...deviceTypes].join(', ')}}.`);
    }
    const deviceType = [...deviceTypes][0];
    if (deviceType !== 'cpu') throw new ValueError(`DistributedDataParallel: torch-node's Gloo backend reduces CPU tensors; the module's parameters are on ${deviceType}`);
    if ((device_ids !== null && device_ids.length > 0) || (output_device !== null && output_device !== undefined)) {
      throw new ValueError(
        'DistributedDataParallel device_ids and output_device arguments only work with single-device/multiple-device GPU modules or CPU modules, ' +
          `but got device_ids ${JSON.stringify(device_ids)}, output_device ${String(output_device)}, and module parameters {${deviceType}}.`,
      );
    }
    if (typeof bucket_cap_mb !== 'number' || !(bucket_cap_mb > 0)) throw argumentError('DistributedDataParallel', 'bucket_cap_mb', 'a positive number', bucket_cap_mb);
    for (const [name, v] of [['broadcast_buffers', broadcast_buffers], ['find_unused_parameters', find_unused_parameters], ['gradient_as_bucket_view', gradient_as_bucket_view]] as const) {
      if (typeof v !== 'boolean') throw argumentError('DistributedDataParallel', name, 'a boolean', v);
    }
    const group = process_group ?? GroupMember.WORLD;
    if (group === null) throw new TorchError('Default process group has not been initialized, please make sure to call init_process_group.');
    if (!(group instanceof ProcessGroup)) throw argumentError('DistributedDataParallel', 'process_group', 'a ProcessGroup', process_group);

    this.module = module;
    this.process_group = group;
    this.device_ids = null;
    this.output_device = null;
    this.broadcast_buffers = broadcast_buffers;
    this.find_unused_parameters = find_unused_parameters;
    this.gradient_as_bucket_view = gradient_as_bucket_view;
    this.require_backward_grad_sync = true;
    this.require_forward_param_sync = true;
    this.num_iterations = 0;
    this.broadcast_bucket_size = 250 * 1024 * 1024;
    this.bucket_bytes_cap = Math.trunc(bucket_cap_mb * 1024 * 1024);

    // Python's _build_params_for_reducer: module by module, each parameter once.
    const seen = new Set<Tensor>();
    const reducerParams: Tensor[] = [];
    const names: string[] = [];
    for (const [moduleName, m] of module.named_modules()) {
      for (const [paramName, p] of m.named_parameters({ recurse: false })) {
        if (!p.requires_grad || seen.has(p)) continue;
        seen.add(p);
        reducerParams.push(p);
        names.push(moduleName ? `${moduleName}.${paramName}` : paramName);
      }
    }
    const expectSparse = reducerParams.map(() => false);
    const d = distributedNative();
    const g = group._live();
    const handles = reducerParams.map((p) => p._h);
    d.verifyParamsAcrossProcesses(g, handles);
    // Python's _sync_module_states: every rank starts from rank 0's parameters and buffers.
    const states = [...module.parameters(), ...module.buffers()];
    if (states.length > 0) d.broadcastCoalesced(g, states.map((t) => t._h), this.broadcast_bucket_size, 0, false);
    this._reducer = d.reducerNew(
      g, handles, expectSparse, this.bucket_bytes_cap, find_unused_parameters, gradient_as_bucket_view, names, module.constructor.name, broadcast_buffers,
    );
  }

  /**
   * Runs the wrapped module's forward. With gradients enabled and outside no_sync, it arms
   * the Reducer so that the next backward all-reduces the gradients.
   */
  forward(...inputs: any[]): any {
    const d = distributedNative();
    const gradSync = is_grad_enabled() && this.require_backward_grad_sync;
    if (gradSync) {
      this.num_iterations += 1;
      d.reducerPrepareForForward(this._reducer);
    }
    // After the first iteration the Reducer regroups buckets in the order gradients arrived.
    if (is_grad_enabled()) d.reducerRebuildBuckets(this._reducer);
    if (this.require_forward_param_sync && this.broadcast_buffers) this._sync_buffers();
    const output = this.module.forward(...inputs);
    if (gradSync) {
      this.require_forward_param_sync = true;
      d.reducerPrepareForBackward(this._reducer, this.find_unused_parameters ? findTensors(output).map((t) => t._h) : []);
    } else {
      this.require_forward_param_sync = false;
    }
    return output;
  }

  /** Broadcasts rank 0's buffers to every rank (Python: `_sync_buffers`). */
  _sync_buffers(): void {
    const buffers = [...this.module.buffers()];
    if (buffers.length === 0) return;
    distributedNative().broadcastCoalesced(this.process_group._live(), buffers.map((b) => b._h), this.broadcast_bucket_size, 0, false);
  }

  /**
   * Gradient accumulation without communication (Python: `with ddp.no_sync():`). Backward
   * passes inside `fn` only accumulate local gradients; the first synced backward after it
   * all-reduces the accumulated sum. Without fn, returns a guard for `using _ = ddp.no_sync()`.
   * An async fn keeps the mode until its Promise settles.
   */
  no_sync<T>(fn: () => T): T;
  no_sync(): { [Symbol.dispose](): void };
  no_sync<T>(fn?: () => T): T | { [Symbol.dispose](): void } {
    const previous = this.require_backward_grad_sync;
    this.require_backward_grad_sync = false;
    const restore = () => {
      this.require_backward_grad_sync = previous;
    };
    if (fn === undefined) return { [Symbol.dispose]: restore };
    let result: T;
    try {
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  }

  /** The parameter indices of each gradient bucket, in the order buckets are all-reduced (Python: the DDP logger's bucket layout). */
  _get_buckets(): number[][] {
    return distributedNative().reducerBuckets(this._reducer);
  }

  /** The number of processes gradients are averaged over. */
  get world_size(): number {
    return get_world_size(this.process_group);
  }
}
