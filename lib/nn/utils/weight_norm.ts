// Weight normalization, https://arxiv.org/abs/1602.07868 (torch/nn/utils/weight_norm.py):
// w = g * v / ||v||, with the magnitude g and direction v as parameters in place of w.
//
// PyTorch recomputes w in a forward pre-hook. torch-node modules are called through
// `forward` alone, so the hook is a wrapper installed as the module's own `forward`: it
// recomputes every normalized weight, then runs the module's forward.
import { ValueError, TorchError, argumentError } from '../../errors.js';
import { keep } from '../../memory.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { Module } from '../modules/module.js';
import { Parameter } from '../parameter.js';

const HOOKS = Symbol('torch-node.weight_norm.hooks');

/** What weight_norm keeps on a module: its hooks by parameter name and the forward they wrap. */
interface WeightNormState {
  hooks: Map<string, WeightNorm>;
  /** The module's own `forward` property before the wrapper, if it had one (else the class's method runs). */
  ownForward: PropertyDescriptor | undefined;
}

type Attributes = Record<string | symbol, unknown>;

function stateOf(module: Module): WeightNormState | undefined {
  return (module as unknown as Attributes)[HOOKS] as WeightNormState | undefined;
}

/**
 * The pre-forward hook of one normalized parameter (Python's `WeightNorm`): holds its name
 * and dimension, and recomputes `module[name]` from `module[name + '_g']` and `module[name + '_v']`.
 */
export class WeightNorm {
  name: string;
  dim: number;

  constructor(name: string, dim: number | null) {
    this.name = name;
    this.dim = dim ?? -1;
  }

  /** `_weight_norm(v, g, dim)`: the weight from its magnitude and direction. */
  compute_weight(module: Module): Tensor {
    const self = module as unknown as Record<string, Tensor>;
    return torch._weight_norm(self[this.name + '_v'], self[this.name + '_g'], this.dim);
  }

  /**
   * Replaces parameter `name` of `module` by `name_g` (the norm over every dimension but dim)
   * and `name_v` (the parameter's data), sets `module[name]` to the recomputed weight, and
   * installs the hook. Throws TorchError when `name` is already normalized.
   */
  static apply(module: Module, name: string, dim: number | null): WeightNorm {
    const state = stateOf(module);
    if (state?.hooks.has(name)) throw new TorchError(`Cannot register two weight_norm hooks on the same parameter ${name}`);
    const fn = new WeightNorm(name, dim);
    const weight = module._parameters.get(name);
    if (!(weight instanceof Parameter)) {
      throw new ValueError(`weight_norm: module ${module._get_name()} has no parameter named '${name}'`);
    }
    // Python's `del module._parameters[name]`: the name is free for a plain attribute.
    delete (module as unknown as Attributes)[name];
    const norm = torch.norm_except_dim(weight, 2, fn.dim);
    module.register_parameter(name + '_g', new Parameter(norm));
    norm.dispose();
    module.register_parameter(name + '_v', new Parameter(weight));
    setComputedWeight(module, name, fn.compute_weight(module));
    registerHook(module, fn);
    return fn;
  }

  /** Puts back a plain Parameter `name` holding the current weight and drops `name_g`, `name_v`. */
  remove(module: Module): void {
    const weight = torch.no_grad(() => this.compute_weight(module));
    const raw = module as unknown as Attributes;
    const previous = raw[this.name];
    delete raw[this.name];
    if (previous instanceof Tensor) previous.dispose();
    // Deleting a registered name through the module removes the parameter too.
    delete raw[this.name + '_g'];
    delete raw[this.name + '_v'];
    module.register_parameter(this.name, new Parameter(weight));
    weight.dispose();
  }

  /** The hook itself: recomputes `module[name]` before forward. */
  call(module: Module): void {
    setComputedWeight(module, this.name, this.compute_weight(module));
  }
}

/**
 * Sets the plain attribute `module[name]` to a freshly computed weight. The weight outlives
 * any `torch.tidy` around forward (the module owns it, as it owns a buffer); the weight it
 * replaces was made here too, so it is disposed (autograd keeps what earlier graphs need).
 */
function setComputedWeight(module: Module, name: string, weight: Tensor): void {
  const raw = module as unknown as Attributes;
  const previous = raw[name];
  keep(weight);
  raw[name] = weight;
  if (previous instanceof Tensor && previous !== weight && !(previous instanceof Parameter)) previous.dispose();
}

function registerHook(module: Module, fn: WeightNorm): void {
  const raw = module as unknown as Attributes;
  let state = stateOf(module);
  if (state === undefined) {
    state = { hooks: new Map(), ownForward: Object.getOwnPropertyDescriptor(raw, 'forward') };
    const hooks = state.hooks;
    const wrapped = raw.forward as (...inputs: unknown[]) => unknown;
    const forward = function (this: Module, ...inputs: unknown[]): unknown {
      for (const hook of hooks.values()) hook.call(module);
      return wrapped.apply(this, inputs);
    };
    Object.defineProperty(raw, HOOKS, { value: state, writable: true, enumerable: false, configurable: true });
    Object.defineProperty(raw, 'forward', { value: forward, writable: true, enumerable: false, configurable: true });
  }
  state.hooks.set(fn.name, fn);
}

/**
 * Applies weight normalization to parameter `name` of `module` (Python:
 * `weight_norm(module, name='weight', dim=0)`): the parameter is replaced by `name_g`
 * (its norm over every dimension but `dim`) and `name_v` (its direction), and
 * `module[name]` is recomputed as g * v / ||v|| before every `forward`.
 *
 * Args:
 *   module: the module holding the parameter.
 *   name: the parameter's name (default 'weight').
 *   dim: the dimension kept by the norm (default 0); null for the norm of the whole tensor.
 *
 * Returns: the module.
 *
 * Example:
 * ```ts
 * const m = nn.utils.weight_norm(new nn.Linear(20, 40), 'weight');
 * m.weight_g.shape  // [40, 1]
 * ```
 */
export function weight_norm<T extends Module>(module: T, name = 'weight', dim: number | null = 0): T {
  if (!(module instanceof Module)) throw argumentError('weight_norm', 'module', 'an nn.Module', module);
  if (typeof name !== 'string') throw argumentError('weight_norm', 'name', 'a string', name);
  if (dim !== null && (typeof dim !== 'number' || !Number.isInteger(dim))) throw argumentError('weight_norm', 'dim', 'an integer or null', dim);
  WeightNorm.apply(module, name, dim);
  return module;
}

/**
 * Removes the weight normalization of parameter `name` (Python:
 * `remove_weight_norm(module, name='weight')`): `module[name]` becomes a Parameter again,
 * holding the current normalized weight.
 *
 * Throws ValueError when `name` is not normalized.
 */
export function remove_weight_norm<T extends Module>(module: T, name = 'weight'): T {
  if (!(module instanceof Module)) throw argumentError('remove_weight_norm', 'module', 'an nn.Module', module);
  const state = stateOf(module);
  const hook = state?.hooks.get(name);
  if (state === undefined || hook === undefined) throw new ValueError(`weight_norm of '${name}' not found in ${module.toString()}`);
  hook.remove(module);
  state.hooks.delete(name);
  if (state.hooks.size === 0) {
    const raw = module as unknown as Attributes;
    delete raw[HOOKS];
    delete raw.forward;
    if (state.ownForward !== undefined) Object.defineProperty(raw, 'forward', state.ownForward);
  }
  return module;
}
