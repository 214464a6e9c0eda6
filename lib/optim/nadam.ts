// torch.optim.NAdam (torch/optim/nadam.py), PyTorch 1.13's single-tensor update.
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkBetas, _checkRange, _pow, _resolveOptions, _scalarState, _setdefault, _stepTensor,
  _zerosState, type Closure, type OptimizerState, type ParamsInput,
} from './optimizer.js';

/** Options of {@link NAdam}, with PyTorch's names and defaults. */
export interface NAdamOptions {
  /** learning rate (default: 2e-3) */
  lr?: number;
  /** coefficients of the running averages of the gradient and its square (default: [0.9, 0.999]) */
  betas?: [number, number];
  /** added to the denominator for numerical stability (default: 1e-8) */
  eps?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** momentum decay psi (default: 4e-3) */
  momentum_decay?: number;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
}

const OPTIONS = ['lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', 'foreach'] as const;

interface NAdamState extends OptimizerState {
  step: Tensor;
  mu_product: Tensor;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

/**
 * NAdam (Python: `torch.optim.NAdam`): Adam with Nesterov momentum, from "Incorporating Nesterov
 * Momentum into Adam".
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link NAdamOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.NAdam(model.parameters(), { lr: 2e-3 });
 */
export class NAdam extends Optimizer {
  constructor(params: ParamsInput, lr?: number | NAdamOptions, options?: NAdamOptions) {
    const o = _resolveOptions<NAdamOptions>('NAdam.__init__', lr, options, OPTIONS);
    const { lr: learningRate = 2e-3, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3, foreach = null } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('epsilon value', eps);
    _checkBetas(betas);
    _checkRange('weight_decay value', weight_decay);
    _checkRange('momentum_decay value', momentum_decay);
    super(params, { lr: learningRate, betas, eps, weight_decay, momentum_decay, foreach });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) _setdefault(group, 'foreach', null);
    _stepTensor(this.state);
    _stepTensor(this.state, 'mu_product');
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, betas, eps, weight_decay, momentum_decay } = group as unknown as Required<NAdamOptions>;
        const [beta1, beta2] = betas;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const state = this._stateOf(param) as NAdamState;
          if (Object.keys(state).length === 0) {
            state.step = _scalarState(0);
            state.mu_product = _scalarState(1);
            state.exp_avg = _zerosState(param);
            state.exp_avg_sq = _zerosState(param);
          }
          const { exp_avg, exp_avg_sq, mu_product, step: step_t } = state;
          step_t.add_(1);
          const step = step_t.item();
          const bias_correction2 = 1 - _pow(beta2, step);
          const grad = weight_decay !== 0 ? g.add(param, { alpha: weight_decay }) : g;

          // The momentum cache: mu_t and mu_{t+1}; their running product stays a tensor, as in PyTorch.
          const mu = beta1 * (1 - 0.5 * _pow(0.96, step * momentum_decay));
          const mu_next = beta1 * (1 - 0.5 * _pow(0.96, (step + 1) * momentum_decay));
          mu_product.mul_(mu);
          const mu_product_next = mu_product.mul(mu).mul(mu_next);

          exp_avg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
          exp_avg_sq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
          const denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps);
          param.addcdiv_(grad, denom, { value: (-lr * (1 - mu)) / (1 - mu_product.item()) });
          param.addcdiv_(exp_avg, denom, { value: (-lr * mu_next) / (1 - mu_product_next.item()) });
        }
      }
    });
  }
}
