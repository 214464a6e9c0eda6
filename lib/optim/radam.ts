// torch.optim.RAdam (torch/optim/radam.py), PyTorch 1.13's single-tensor update.
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkBetas, _checkRange, _pow, _resolveOptions, _scalarState, _setdefault, _stepTensor,
  _zerosState, type Closure, type OptimizerState, type ParamsInput,
} from './optimizer.js';

/** Options of {@link RAdam}, with PyTorch's names and defaults. */
export interface RAdamOptions {
  /** learning rate (default: 1e-3) */
  lr?: number;
  /** coefficients of the running averages of the gradient and its square (default: [0.9, 0.999]) */
  betas?: [number, number];
  /** added to the denominator for numerical stability (default: 1e-8) */
  eps?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
}

const OPTIONS = ['lr', 'betas', 'eps', 'weight_decay', 'foreach'] as const;

interface RAdamState extends OptimizerState {
  step: Tensor;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

/**
 * RAdam (Python: `torch.optim.RAdam`), from "On the Variance of the Adaptive Learning Rate and
 * Beyond": Adam whose adaptive term is switched on (rectified) once its variance is tractable.
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link RAdamOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.RAdam(model.parameters(), { lr: 1e-3 });
 */
export class RAdam extends Optimizer {
  constructor(params: ParamsInput, lr?: number | RAdamOptions, options?: RAdamOptions) {
    const o = _resolveOptions<RAdamOptions>('RAdam.__init__', lr, options, OPTIONS);
    const { lr: learningRate = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0, foreach = null } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('epsilon value', eps);
    _checkBetas(betas);
    _checkRange('weight_decay value', weight_decay);
    super(params, { lr: learningRate, betas, eps, weight_decay, foreach });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) _setdefault(group, 'foreach', null);
    _stepTensor(this.state);
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, betas, eps, weight_decay } = group as unknown as Required<RAdamOptions>;
        const [beta1, beta2] = betas;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const state = this._stateOf(param) as RAdamState;
          if (Object.keys(state).length === 0) {
            state.step = _scalarState(0);
            state.exp_avg = _zerosState(param);
            state.exp_avg_sq = _zerosState(param);
          }
          const { exp_avg, exp_avg_sq, step: step_t } = state;
          step_t.add_(1);
          const step = step_t.item();
          const beta2_pow = _pow(beta2, step);
          const bias_correction1 = 1 - _pow(beta1, step);
          const bias_correction2 = 1 - beta2_pow;
          const grad = weight_decay !== 0 ? g.add(param, { alpha: weight_decay }) : g;

          exp_avg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
          exp_avg_sq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
          const bias_corrected_exp_avg = exp_avg.div(bias_correction1);

          // Maximum length of the approximated SMA, and its value at this step.
          const rho_inf = 2 / (1 - beta2) - 1;
          const rho_t = rho_inf - (2 * step * beta2_pow) / bias_correction2;
          if (rho_t > 5) {
            const rect = Math.sqrt(((rho_t - 4) * (rho_t - 2) * rho_inf) / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
            // Python's `float / tensor` is tensor.reciprocal() * float.
            const adaptive_lr = exp_avg_sq.sqrt().add_(eps).reciprocal().mul(Math.sqrt(bias_correction2));
            param.add_(bias_corrected_exp_avg.mul(lr).mul(adaptive_lr).mul(rect), { alpha: -1 });
          } else {
            param.add_(bias_corrected_exp_avg.mul(lr), { alpha: -1 });
          }
        }
      }
    });
  }
}
