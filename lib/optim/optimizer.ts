// torch.optim.Optimizer (torch/optim/optimizer.py): parameter groups, per-parameter state,
// zero_grad, state_dict / load_state_dict. Subclasses implement step() with PyTorch 1.13's
// single-tensor ("for-loop") update rules, op for op, so results round like PyTorch's.
import { isPlainObject } from '../_args.js';
import { inspect } from 'node:util';
import { torch } from '../torch.js';
import { Tensor } from '../tensor.js';
import { float64, get_default_dtype } from '../dtype.js';
import { NotImplementedError, TorchTypeError, ValueError, argumentError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { enable_grad, no_grad } from '../autograd/grad_mode.js';

/** One parameter group: its parameters and every optimization option (the optimizer's defaults filled in). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: unknown;
}

/** A parameter group as given to an optimizer: `params` plus options that override the defaults. */
export interface ParamGroupInput {
  params: Tensor | Tensor[] | Iterable<Tensor>;
  [option: string]: unknown;
}

/** What optimizers accept as parameters: Tensors, or parameter groups. */
export type ParamsInput = Tensor[] | Iterable<Tensor> | Array<ParamGroupInput>;

/** A closure that re-evaluates the model and returns the loss (needed by LBFGS). */
export type Closure = () => Tensor | number;

/** Per-parameter optimizer state (step, exp_avg, momentum_buffer, ...). */
export type OptimizerState = Record<string, unknown>;

/**
 * The layout of `state_dict()`: state keyed by parameter index, and the groups with `params`
 * replaced by those indices. `state` is a Map with number keys, like Python's dict of ints, so
 * torch.save writes int keys that Python's `optimizer.load_state_dict` finds; load_state_dict
 * also accepts a plain object keyed by index strings.
 */
export interface OptimizerStateDict {
  state: Map<number, OptimizerState>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

class _RequiredParameter {
  toString(): string {
    return '<required parameter>';
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Marks an option every parameter group must give (SGD's lr), like PyTorch's `torch.optim.optimizer.required`. */
export const required: unknown = new _RequiredParameter();

/** Python's repr of a number: shortest round-trip digits, exponent form below 1e-4 and from 1e16 (`1e-08`). */
export function _pyNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, exp] = v.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return Number.isInteger(v) ? v.toFixed(0) : String(v);
}

/** Python's `str()` of an option value, for messages and repr. */
export function _pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return _pyNumber(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `(${v.map((x) => (typeof x === 'string' ? `'${x}'` : _pyStr(x))).join(', ')}${v.length === 1 ? ',' : ''})`;
  return String(v);
}

/**
 * Python's `base ** exponent` for floats, which calls C's pow(). V8's `**` rounds differently in
 * the last bit (0.9 ** 4), so the bias corrections are computed by libtorch's std::pow instead.
 */
export function _pow(base: number, exponent: number): number {
  return tidy(() => torch.pow(base, torch.tensor(exponent, { dtype: float64 })).item());
}

/** Splits `(params, lr)` / `(params, { lr, ... })` / `(params, lr, { ... })` into one options object, rejecting unknown option names like Python's keyword check. */
export function _resolveOptions<T extends object>(
  where: string,
  lrOrOptions: number | T | undefined,
  options: T | undefined,
  allowed: readonly string[],
): Partial<T> & { lr?: unknown } {
  let resolved: Record<string, unknown>;
  if (lrOrOptions === undefined || lrOrOptions === null) resolved = { ...(options ?? {}) };
  else if (typeof lrOrOptions === 'number') {
    if (options !== undefined && options !== null && 'lr' in options) throw new TorchTypeError(`${where}() got multiple values for argument 'lr'`);
    resolved = { ...(options ?? {}), lr: lrOrOptions };
  }
  else if (typeof lrOrOptions === 'object' && !Array.isArray(lrOrOptions)) {
    if (options !== undefined) throw argumentError(where, 'lr', 'a number when options follow', lrOrOptions);
    resolved = { ...(lrOrOptions as Record<string, unknown>) };
  } else throw argumentError(where, 'lr', 'a number or an options object', lrOrOptions);
  for (const key of Object.keys(resolved)) {
    if (!allowed.includes(key)) throw new TorchTypeError(`${where}() got an unexpected keyword argument '${key}'`);
    if (resolved[key] === undefined) delete resolved[key];
  }
  return resolved as Partial<T> & { lr?: unknown };
}

/** Throws `ValueError("Invalid <label>: <value>")` unless `0 <= value` (and `value < upper` / `<= upper` when given). */
export function _checkRange(label: string, value: unknown, upper?: { lt?: number; le?: number }): void {
  if (typeof value !== 'number') throw new TorchTypeError(`Invalid ${label}: expected a number but received ${_pyStr(value)}`);
  const ok = 0.0 <= value && (upper?.lt === undefined || value < upper.lt) && (upper?.le === undefined || value <= upper.le);
  if (!ok) throw new ValueError(`Invalid ${label}: ${_pyNumber(value)}`);
}

/** Validates Adam-style `betas`: a pair with 0 <= beta < 1. */
export function _checkBetas(betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) throw argumentError('optimizer', 'betas', 'an array of two numbers', betas);
  _checkRange('beta parameter at index 0', betas[0], { lt: 1.0 });
  _checkRange('beta parameter at index 1', betas[1], { lt: 1.0 });
  return betas as [number, number];
}

/** Rejects options torch-node's optimizers don't implement (CUDA graphs, fused kernels, differentiable steps). */
export function _rejectUnsupported(where: string, options: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    if (options[name] === true) throw new NotImplementedError(`${where}: ${name}=true is not supported by torch-node (only the single-tensor CPU/GPU implementation is)`);
  }
}

function typename(value: unknown): string {
  if (value instanceof Tensor) return value.type() as string;
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Every tensor reachable from a state value (tensors, arrays, plain objects). */
function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (isPlainObject(value)) for (const v of Object.values(value)) collectTensors(v, into);
}

/** A deep copy of a state_dict value: tensors are cloned, arrays and plain objects copied. */
function deepCopy(value: unknown): unknown {
  if (value instanceof Tensor) return value.detach().clone();
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepCopy(v)]));
  return value;
}

/**
 * Base class for all optimizers (Python: `torch.optim.Optimizer`).
 *
 * Parameters are updated in place under no_grad. Temporaries made by `step()` are freed when it
 * returns; state tensors (exp_avg, momentum_buffer, ...) live until the optimizer drops them, even
 * when `step()` runs inside a user's `torch.tidy()`.
 *
 * Args:
 *   params: an iterable of Tensors, or of parameter groups `{ params, ...options }`.
 *   defaults: default values of the optimization options, used where a group doesn't give one.
 */
export abstract class Optimizer {
  /** Default option values, used where a parameter group doesn't set an option. */
  defaults: Record<string, unknown>;
  /** The parameter groups, each with every default filled in. */
  param_groups: ParamGroup[] = [];
  /** Per-parameter state, keyed by the parameter tensor. */
  state: Map<Tensor, OptimizerState> = new Map();
  /** Tensors handed out by state_dict(): the caller may hold them, so they are never disposed here. */
  private _sharedTensors = new WeakSet<Tensor>();

  constructor(params: ParamsInput | Tensor, defaults: Record<string, unknown>) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TorchTypeError(`params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typename(params)}`);
    }
    if (params === null || params === undefined || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw argumentError(this.constructor.name, 'params', 'an iterable of Tensors or parameter groups', params);
    }
    let groups = Array.from(params as Iterable<unknown>);
    if (groups.length === 0) throw new ValueError('optimizer got an empty parameter list');
    if (!isPlainObject(groups[0])) groups = [{ params: groups }];
    for (const group of groups) this.add_param_group(group as ParamGroupInput);
  }

  /**
   * Sets the gradients of all optimized tensors to zero (Python: `zero_grad(set_to_none=False)`,
   * PyTorch 1.13's default).
   *
   * Args:
   *   set_to_none: instead of zeroing, set each `.grad` to null (the next step then skips that parameter).
   */
  zero_grad(options: { set_to_none?: boolean } = {}): void {
    const setToNone = options.set_to_none ?? false;
    if (typeof setToNone !== 'boolean') throw argumentError('Optimizer.zero_grad', 'set_to_none', 'a boolean', setToNone);
    tidy(() => {
      for (const group of this.param_groups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (grad === null) continue;
          if (setToNone) {
            p.grad = null;
          } else {
            if (grad.grad_fn !== null) grad.detach_();
            else grad.requires_grad_(false);
            grad.zero_();
          }
        }
      }
    });
  }

  /**
   * Performs a single optimization step (parameter update).
   *
   * Args:
   *   closure: re-evaluates the model and returns the loss; optional for most optimizers.
   * Returns the closure's loss, or undefined without a closure.
   */
  abstract step(closure?: Closure): Tensor | number | undefined;

  /**
   * Adds a parameter group, e.g. to train layers unfrozen part-way through.
   *
   * Args:
   *   param_group: `{ params, ...options }`; options not given take the optimizer's defaults.
   */
  add_param_group(param_group: ParamGroupInput): void {
    if (!isPlainObject(param_group)) throw new TorchTypeError('param group must be a dict');
    const given = param_group.params;
    let params: unknown[];
    if (given instanceof Tensor) params = [given];
    else if (given instanceof Set) {
      throw new TorchTypeError('optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.');
    } else if (given !== null && given !== undefined && typeof (given as Iterable<unknown>)[Symbol.iterator] === 'function') {
      params = Array.from(given as Iterable<unknown>);
    } else throw argumentError('Optimizer.add_param_group', 'params', 'a Tensor or an iterable of Tensors', given);

    for (const param of params) {
      if (!(param instanceof Tensor)) throw new TorchTypeError(`optimizer can only optimize Tensors, but one of the params is ${typename(param)}`);
      if (!this.defaults.differentiable && !(param.is_leaf || param.retains_grad())) throw new ValueError("can't optimize a non-leaf Tensor");
    }

    const group: Record<string, unknown> = { ...param_group, params };
    for (const [name, value] of Object.entries(this.defaults)) {
      if (value === required && !(name in group)) {
        throw new ValueError(`parameter group didn't specify a value of required optimization parameter ${name}`);
      }
      if (!(name in group)) group[name] = value;
    }

    const tensors = params as Tensor[];
    if (new Set(tensors).size !== tensors.length) {
      process.emitWarning(
        'optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information',
        'UserWarning',
      );
    }
    const existing = new Set<Tensor>();
    for (const g of this.param_groups) for (const p of g.params) existing.add(p);
    if (tensors.some((p) => existing.has(p))) throw new ValueError('some parameters appear in more than one parameter group');

    this.param_groups.push(group as ParamGroup);
  }

  /**
   * Returns the optimizer's state: `{ state, param_groups }` as in PyTorch, with parameters
   * replaced by their index in group order. State entries are the live state objects (not copies).
   */
  state_dict(): OptimizerStateDict {
    const paramIds = new Map<Tensor, number>();
    let startIndex = 0;
    const param_groups = this.param_groups.map((group) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) if (k !== 'params') packed[k] = v;
      group.params.forEach((p, i) => {
        if (!paramIds.has(p)) paramIds.set(p, startIndex + i);
      });
      packed.params = group.params.map((p) => paramIds.get(p)!);
      startIndex += group.params.length;
      return packed as Record<string, unknown> & { params: number[] };
    });
    const state = new Map<number, OptimizerState>();
    const shared = new Set<Tensor>();
    for (const [p, s] of this.state) {
      const id = paramIds.get(p);
      if (id === undefined) continue;
      state.set(id, s);
      collectTensors(s, shared);
    }
    for (const t of shared) this._sharedTensors.add(t);
    return { state, param_groups };
  }

  /**
   * Loads optimizer state from `state_dict()` output (this optimizer's, another's, or one read
   * from PyTorch). Tensors are copied; floating-point state is cast to its parameter's dtype and
   * device, except `step`.
   */
  load_state_dict(state_dict: OptimizerStateDict): void {
    if (!isPlainObject(state_dict) || !Array.isArray(state_dict.param_groups) || typeof state_dict.state !== 'object' || state_dict.state === null) {
      throw argumentError(`${this.constructor.name}.load_state_dict`, 'state_dict', "an object with 'state' and 'param_groups'", state_dict);
    }
    const groups = this.param_groups;
    const savedGroups = state_dict.param_groups;
    if (groups.length !== savedGroups.length) throw new ValueError('loaded state dict has a different number of parameter groups');
    if (groups.some((g, i) => g.params.length !== savedGroups[i].params.length)) {
      throw new ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
    }

    const idMap = new Map<number, Tensor>();
    savedGroups.forEach((g, i) => g.params.forEach((id, j) => idMap.set(Number(id), groups[i].params[j])));

    const cast = (param: Tensor, value: unknown, key?: string): unknown => {
      if (value instanceof Tensor) {
        // Floating-point state follows its parameter's dtype; step counts keep theirs (pytorch#74424).
        if (key === 'step') return value.detach().clone();
        const dtype = param.is_floating_point() ? param.dtype : value.dtype;
        return value.detach().to({ dtype, device: param.device, copy: true });
      }
      if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cast(param, v, k)]));
      if (Array.isArray(value)) return value.map((v) => cast(param, v));
      return value;
    };

    const previous = new Set<Tensor>();
    for (const s of this.state.values()) collectTensors(s, previous);

    const state = new Map<Tensor, OptimizerState>();
    const kept = new Set<Tensor>();
    tidy(() => {
      const entries = state_dict.state instanceof Map ? [...state_dict.state] : Object.entries(state_dict.state as Record<string, OptimizerState>);
      for (const [k, v] of entries) {
        const param = idMap.get(Number(k));
        // PyTorch keeps state of unknown ids under their raw key; a Map keyed by tensors has no place for it.
        if (param === undefined) continue;
        const s = cast(param, v) as OptimizerState;
        state.set(param, s);
        collectTensors(s, kept);
      }
      for (const t of kept) keep(t);
    });

    const param_groups = groups.map((group, i) => {
      const saved = deepCopy(savedGroups[i]) as Record<string, unknown>;
      saved.params = group.params;
      return saved as ParamGroup;
    });
    this.state = state;
    this.param_groups = param_groups;
    for (const t of previous) this._release(t);
    this.__setstate__();
  }

  /** Fills options and state a state_dict from an older PyTorch may lack (Python's `__setstate__`). */
  protected __setstate__(): void {
    _setdefault(this.defaults, 'differentiable', false);
  }

  /** Frees the state tensors, except those handed out by state_dict(), and clears the state. torch-node's own. */
  dispose(): void {
    const tensors = new Set<Tensor>();
    for (const s of this.state.values()) collectTensors(s, tensors);
    this.state = new Map();
    for (const t of tensors) this._release(t);
  }

  /** PyTorch's repr: the class name and each group's options in sorted order. */
  toString(): string {
    let s = `${this.constructor.name} (`;
    this.param_groups.forEach((group, i) => {
      s += `\nParameter Group ${i}\n`;
      for (const key of Object.keys(group).sort()) if (key !== 'params') s += `    ${key}: ${_pyStr(group[key])}\n`;
    });
    return `${s})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  // ---- helpers for subclasses ---------------------------------------------------

  /** The state of `p`, created empty on first use (Python's `defaultdict(dict)`). */
  protected _stateOf(p: Tensor): OptimizerState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** Disposes a tensor the state no longer holds, unless state_dict() handed it out. */
  protected _release(t: Tensor): void {
    if (!this._sharedTensors.has(t) && !t.isDisposed) t.dispose();
  }

  /** Runs the closure (with grad enabled) in the caller's scope, then `update` under no_grad inside tidy(). */
  protected _stepWith(closure: Closure | undefined, update: () => void): Tensor | number | undefined {
    if (closure !== undefined && typeof closure !== 'function') throw argumentError(`${this.constructor.name}.step`, 'closure', 'a function', closure);
    let loss: Tensor | number | undefined;
    if (closure !== undefined) loss = enable_grad(closure);
    tidy(() => no_grad(update));
    return loss;
  }

  /** Each group's parameters that have a gradient, with that gradient. */
  protected static _withGrad(group: ParamGroup): Array<[Tensor, Tensor]> {
    const out: Array<[Tensor, Tensor]> = [];
    for (const p of group.params) {
      const grad = p.grad;
      if (grad === null) continue;
      out.push([p, grad]);
    }
    return out;
  }
}

/** Python's `dict.setdefault`: sets `key` only when the object lacks it. */
export function _setdefault(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (!(key in obj)) obj[key] = value;
}

/**
 * Python's `__setstate__` upgrade of state from PyTorch < 1.12, where `step` was a number: makes
 * every `key` entry a tensor of the default dtype, unless the first state already holds a tensor.
 */
export function _stepTensor(state: Map<Tensor, OptimizerState>, key = 'step'): void {
  const values = [...state.values()];
  if (values.length === 0 || values[0][key] instanceof Tensor) return;
  for (const s of values) s[key] = _scalarState(Number(s[key]));
}

/**
 * A new 0-dim state tensor of the default dtype holding `value` (a `step` count, NAdam's
 * `mu_product`), kept past step()'s tidy() like every state tensor.
 */
export function _scalarState(value: number): Tensor {
  return keep(torch.tensor(value, { dtype: get_default_dtype() }));
}

/**
 * A new state buffer of zeros shaped like `param` (Python's
 * `torch.zeros_like(p, memory_format=torch.preserve_format)`), kept past step()'s tidy().
 */
export function _zerosState(param: Tensor): Tensor {
  return keep(torch.zeros_like(param, { memory_format: torch.preserve_format }));
}
