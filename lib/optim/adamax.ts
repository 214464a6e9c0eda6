// torch.optim.Adamax (torch/optim/adamax.py), PyTorch 1.13's single-tensor update.
import { torch } from '../torch.js';
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkBetas, _checkRange, _pow, _resolveOptions, _scalarState, _setdefault, _stepTensor,
  _zerosState, type Closure, type OptimizerState, type ParamsInput,
} from './optimizer.js';

/** Options of {@link Adamax}, with PyTorch's names and defaults. */
export interface AdamaxOptions {
  /** learning rate (default: 2e-3) */
  lr?: number;
  /** coefficients of the running average of the gradient and of the infinity norm (default: [0.9, 0.999]) */
  betas?: [number, number];
  /** added to the denominator for numerical stability (default: 1e-8) */
  eps?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
}

const OPTIONS = ['lr', 'betas', 'eps', 'weight_decay', 'foreach', 'maximize'] as const;

interface AdamaxState extends OptimizerState {
  step: Tensor;
  exp_avg: Tensor;
  exp_inf: Tensor;
}

/**
 * Adamax (Python: `torch.optim.Adamax`), the infinity-norm variant of Adam from "Adam: A Method
 * for Stochastic Optimization".
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link AdamaxOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.Adamax(model.parameters(), { lr: 2e-3 });
 */
export class Adamax extends Optimizer {
  constructor(params: ParamsInput, lr?: number | AdamaxOptions, options?: AdamaxOptions) {
    const o = _resolveOptions<AdamaxOptions>('Adamax.__init__', lr, options, OPTIONS);
    const { lr: learningRate = 2e-3, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0, foreach = null, maximize = false } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('epsilon value', eps);
    _checkBetas(betas);
    _checkRange('weight_decay value', weight_decay);
    super(params, { lr: learningRate, betas, eps, weight_decay, foreach, maximize });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      _setdefault(group, 'foreach', null);
      _setdefault(group, 'maximize', false);
    }
    _stepTensor(this.state);
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, betas, eps, weight_decay, maximize } = group as unknown as Required<AdamaxOptions>;
        const [beta1, beta2] = betas;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const state = this._stateOf(param) as AdamaxState;
          if (Object.keys(state).length === 0) {
            state.step = _scalarState(0);
            state.exp_avg = _zerosState(param);
            state.exp_inf = _zerosState(param);
          }
          let grad = maximize ? g.neg() : g;
          const { exp_avg, exp_inf, step: step_t } = state;
          step_t.add_(1);
          const step = step_t.item();
          if (weight_decay !== 0) grad = grad.add(param, { alpha: weight_decay });

          exp_avg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
          const norm_buf = torch.cat([exp_inf.mul_(beta2).unsqueeze(0), grad.abs().add_(eps).unsqueeze_(0)], 0);
          // PyTorch writes amax(..., out=exp_inf); torch-node has no out=, so the result is copied in.
          exp_inf.copy_(torch.amax(norm_buf, 0, false));
          const bias_correction = 1 - _pow(beta1, step);
          const clr = lr / bias_correction;
          param.addcdiv_(exp_avg, exp_inf, { value: -clr });
        }
      }
    });
  }
}
