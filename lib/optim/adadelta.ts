// torch.optim.Adadelta (torch/optim/adadelta.py), PyTorch 1.13's single-tensor update.
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkRange, _resolveOptions, _setdefault, _zerosState,
  type Closure, type OptimizerState, type ParamsInput,
} from './optimizer.js';

/** Options of {@link Adadelta}, with PyTorch's names and defaults. */
export interface AdadeltaOptions {
  /** coefficient that scales delta before it is applied to the parameters (default: 1.0) */
  lr?: number;
  /** coefficient of the running averages of the squared gradient and squared delta (default: 0.9) */
  rho?: number;
  /** added to the denominator for numerical stability (default: 1e-6) */
  eps?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
}

const OPTIONS = ['lr', 'rho', 'eps', 'weight_decay', 'foreach', 'maximize'] as const;

interface AdadeltaState extends OptimizerState {
  step: number;
  square_avg: Tensor;
  acc_delta: Tensor;
}

/**
 * Adadelta (Python: `torch.optim.Adadelta`), from "ADADELTA: An Adaptive Learning Rate Method".
 * Its `step` state is a number, as in PyTorch 1.13.
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link AdadeltaOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.Adadelta(model.parameters(), { rho: 0.9 });
 */
export class Adadelta extends Optimizer {
  constructor(params: ParamsInput, lr?: number | AdadeltaOptions, options?: AdadeltaOptions) {
    const o = _resolveOptions<AdadeltaOptions>('Adadelta.__init__', lr, options, OPTIONS);
    const { lr: learningRate = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0, foreach = null, maximize = false } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('rho value', rho, { le: 1.0 });
    _checkRange('epsilon value', eps);
    _checkRange('weight_decay value', weight_decay);
    super(params, { lr: learningRate, rho, eps, weight_decay, maximize, foreach });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      _setdefault(group, 'foreach', null);
      _setdefault(group, 'maximize', false);
    }
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, rho, eps, weight_decay, maximize } = group as unknown as Required<AdadeltaOptions>;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const state = this._stateOf(param) as AdadeltaState;
          if (Object.keys(state).length === 0) {
            state.step = 0;
            state.square_avg = _zerosState(param);
            state.acc_delta = _zerosState(param);
          }
          state.step += 1;

          const { square_avg, acc_delta } = state;
          let grad = maximize ? g.neg() : g;
          if (weight_decay !== 0) grad = grad.add(param, { alpha: weight_decay });
          square_avg.mul_(rho).addcmul_(grad, grad, { value: 1 - rho });
          const std = square_avg.add(eps).sqrt_();
          const delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad);
          acc_delta.mul_(rho).addcmul_(delta, delta, { value: 1 - rho });
          param.add_(delta, { alpha: -lr });
        }
      }
    });
  }
}
