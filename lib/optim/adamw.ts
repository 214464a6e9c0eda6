// torch.optim.AdamW (torch/optim/adamw.py), PyTorch 1.13's single-tensor update.
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkBetas, _checkRange, _rejectUnsupported, _resolveOptions, _setdefault, _stepTensor,
  type Closure, type ParamsInput,
} from './optimizer.js';
import { _adamUpdate } from './adam.js';

/** Options of {@link AdamW}, with PyTorch's names and defaults. */
export interface AdamWOptions {
  /** learning rate (default: 1e-3) */
  lr?: number;
  /** coefficients of the running averages of the gradient and its square (default: [0.9, 0.999]) */
  betas?: [number, number];
  /** added to the denominator for numerical stability (default: 1e-8) */
  eps?: number;
  /** decoupled weight decay coefficient (default: 1e-2) */
  weight_decay?: number;
  /** use the AMSGrad variant (default: false) */
  amsgrad?: boolean;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** not supported (default: false) */
  capturable?: boolean;
}

const OPTIONS = ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach', 'capturable'] as const;

/**
 * AdamW (Python: `torch.optim.AdamW`): Adam with decoupled weight decay, from "Decoupled Weight
 * Decay Regularization". Each step first scales the parameters by `1 - lr * weight_decay`.
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link AdamWOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.AdamW(model.parameters(), { lr: 1e-3, weight_decay: 0.01 });
 */
export class AdamW extends Optimizer {
  constructor(params: ParamsInput, lr?: number | AdamWOptions, options?: AdamWOptions) {
    const o = _resolveOptions<AdamWOptions>('AdamW.__init__', lr, options, OPTIONS);
    const {
      lr: learningRate = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 1e-2, amsgrad = false,
      maximize = false, foreach = null, capturable = false,
    } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('epsilon value', eps);
    _checkBetas(betas);
    _checkRange('weight_decay value', weight_decay);
    _rejectUnsupported('AdamW', o, ['capturable']);
    super(params, { lr: learningRate, betas, eps, weight_decay, amsgrad, foreach, maximize, capturable });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      for (const [k, v] of [['amsgrad', false], ['maximize', false], ['foreach', null], ['capturable', false]] as const) _setdefault(group, k, v);
    }
    _stepTensor(this.state);
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const options = group as unknown as Required<AdamWOptions>;
        const { lr, weight_decay, maximize } = options;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const grad = maximize ? g.neg() : g;
          // Decoupled weight decay: scales the parameter, not the gradient.
          param.mul_(1 - lr * weight_decay);
          _adamUpdate(param, grad, this._stateOf(param), options);
        }
      }
    });
  }
}
