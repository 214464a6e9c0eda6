// torch.optim.Adam (torch/optim/adam.py), PyTorch 1.13's single-tensor update.
import { torch } from '../torch.js';
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkBetas, _checkRange, _pow, _rejectUnsupported, _resolveOptions, _scalarState, _setdefault, _stepTensor,
  _zerosState, type Closure, type OptimizerState, type ParamsInput,
} from './optimizer.js';

/** Options of {@link Adam}, with PyTorch's names and defaults. */
export interface AdamOptions {
  /** learning rate (default: 1e-3) */
  lr?: number;
  /** coefficients of the running averages of the gradient and its square (default: [0.9, 0.999]) */
  betas?: [number, number];
  /** added to the denominator for numerical stability (default: 1e-8) */
  eps?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** use the AMSGrad variant (default: false) */
  amsgrad?: boolean;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
  /** not supported (default: false) */
  capturable?: boolean;
  /** not supported (default: false) */
  differentiable?: boolean;
  /** not supported (default: false) */
  fused?: boolean;
}

const OPTIONS = ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'maximize', 'capturable', 'differentiable', 'fused'] as const;

/** The per-parameter state of Adam and AdamW. */
interface AdamState extends OptimizerState {
  step: Tensor;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
  max_exp_avg_sq?: Tensor;
}

/** The group options {@link _adamUpdate} reads. */
export type AdamUpdateOptions = Pick<Required<AdamOptions>, 'lr' | 'betas' | 'eps' | 'amsgrad'>;

/**
 * The update Adam and AdamW share (PyTorch 1.13's `_single_tensor_adam` / `_single_tensor_adamw`
 * after their weight decay): creates the state on first use (step, exp_avg, exp_avg_sq, and
 * max_exp_avg_sq with amsgrad), counts the step, updates both moments, and moves `param` by the
 * bias-corrected `exp_avg / (sqrt(v) + eps)`, v being exp_avg_sq or, with amsgrad, its running max.
 *
 * The caller has already negated `grad` for `maximize` and applied its weight decay. PyTorch makes
 * the state and counts the step before the weight decay; neither touches `param` or `grad`, and
 * the new buffers are zeros, so doing them here gives the same values bit for bit.
 *
 * Args:
 *   param: the parameter, updated in place.
 *   grad: its gradient, after `maximize` and weight decay.
 *   state: the parameter's state object (empty before the first step).
 *   options: the parameter group's lr, betas, eps and amsgrad.
 */
export function _adamUpdate(param: Tensor, grad: Tensor, state: OptimizerState, options: AdamUpdateOptions): void {
  const { lr, betas: [beta1, beta2], eps, amsgrad } = options;
  const s = state as AdamState;
  if (Object.keys(s).length === 0) {
    s.step = _scalarState(0);
    s.exp_avg = _zerosState(param);
    s.exp_avg_sq = _zerosState(param);
    if (amsgrad) s.max_exp_avg_sq = _zerosState(param);
  }
  const { exp_avg, exp_avg_sq, step: step_t } = s;
  step_t.add_(1);
  exp_avg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
  exp_avg_sq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });

  const step = step_t.item();
  const bias_correction1 = 1 - _pow(beta1, step);
  const bias_correction2 = 1 - _pow(beta2, step);
  const step_size = lr / bias_correction1;
  const bias_correction2_sqrt = Math.sqrt(bias_correction2);
  let denom: Tensor;
  if (amsgrad) {
    // Keeps the running maximum of the second moment, and normalizes by it.
    const max_exp_avg_sq = s.max_exp_avg_sq!;
    max_exp_avg_sq.copy_(torch.maximum(max_exp_avg_sq, exp_avg_sq));
    denom = max_exp_avg_sq.sqrt().div(bias_correction2_sqrt).add_(eps);
  } else {
    denom = exp_avg_sq.sqrt().div(bias_correction2_sqrt).add_(eps);
  }
  param.addcdiv_(exp_avg, denom, { value: -step_size });
}

/**
 * Adam (Python: `torch.optim.Adam`), from "Adam: A Method for Stochastic Optimization".
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link AdamOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends Optimizer {
  constructor(params: ParamsInput, lr?: number | AdamOptions, options?: AdamOptions) {
    const o = _resolveOptions<AdamOptions>('Adam.__init__', lr, options, OPTIONS);
    const {
      lr: learningRate = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0, amsgrad = false,
      foreach = null, maximize = false, capturable = false, differentiable = false, fused = false,
    } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('epsilon value', eps);
    _checkBetas(betas);
    _checkRange('weight_decay value', weight_decay);
    _rejectUnsupported('Adam', o, ['capturable', 'differentiable', 'fused']);
    super(params, { lr: learningRate, betas, eps, weight_decay, amsgrad, maximize, foreach, capturable, differentiable, fused });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      for (const [k, v] of [['amsgrad', false], ['maximize', false], ['foreach', null], ['capturable', false], ['differentiable', false], ['fused', false]] as const) {
        _setdefault(group, k, v);
      }
    }
    _stepTensor(this.state);
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const options = group as unknown as Required<AdamOptions>;
        const { weight_decay, maximize } = options;
        for (const [param, g] of Optimizer._withGrad(group)) {
          let grad = maximize ? g.neg() : g;
          // L2 penalty, added to the gradient.
          if (weight_decay !== 0) grad = grad.add(param, { alpha: weight_decay });
          _adamUpdate(param, grad, this._stateOf(param), options);
        }
      }
    });
  }
}
