// torch.optim.RMSprop (torch/optim/rmsprop.py), PyTorch 1.13's single-tensor update.
import type { Tensor } from '../tensor.js';
import {
  Optimizer, _checkRange, _rejectUnsupported, _resolveOptions, _setdefault, _zerosState,
  type Closure, type OptimizerState, type ParamsInput,
} from './optimizer.js';

/** Options of {@link RMSprop}, with PyTorch's names and defaults. */
export interface RMSpropOptions {
  /** learning rate (default: 1e-2) */
  lr?: number;
  /** smoothing constant of the squared-gradient average (default: 0.99) */
  alpha?: number;
  /** added to the denominator for numerical stability (default: 1e-8) */
  eps?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** momentum factor (default: 0) */
  momentum?: number;
  /** normalize by an estimate of the gradient's variance (default: false) */
  centered?: boolean;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
  /** not supported (default: false) */
  differentiable?: boolean;
}

const OPTIONS = ['lr', 'alpha', 'eps', 'weight_decay', 'momentum', 'centered', 'foreach', 'maximize', 'differentiable'] as const;

interface RMSpropState extends OptimizerState {
  step: number;
  square_avg: Tensor;
  momentum_buffer?: Tensor;
  grad_avg?: Tensor;
}

/**
 * RMSprop (Python: `torch.optim.RMSprop`), as proposed by G. Hinton; the centered variant follows
 * "Generating Sequences With Recurrent Neural Networks". Its `step` state is a number, as in PyTorch 1.13.
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link RMSpropOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.RMSprop(model.parameters(), { lr: 0.01, centered: true });
 */
export class RMSprop extends Optimizer {
  constructor(params: ParamsInput, lr?: number | RMSpropOptions, options?: RMSpropOptions) {
    const o = _resolveOptions<RMSpropOptions>('RMSprop.__init__', lr, options, OPTIONS);
    const {
      lr: learningRate = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0, centered = false,
      foreach = null, maximize = false, differentiable = false,
    } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('epsilon value', eps);
    _checkRange('momentum value', momentum);
    _checkRange('weight_decay value', weight_decay);
    _checkRange('alpha value', alpha);
    _rejectUnsupported('RMSprop', o, ['differentiable']);
    super(params, { lr: learningRate, momentum, alpha, eps, centered, weight_decay, foreach, maximize, differentiable });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      for (const [k, v] of [['momentum', 0], ['centered', false], ['foreach', null], ['maximize', false], ['differentiable', false]] as const) _setdefault(group, k, v);
    }
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, alpha, eps, weight_decay, momentum, centered, maximize } = group as unknown as Required<RMSpropOptions>;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const state = this._stateOf(param) as RMSpropState;
          if (Object.keys(state).length === 0) {
            state.step = 0;
            state.square_avg = _zerosState(param);
            if (momentum > 0) state.momentum_buffer = _zerosState(param);
            if (centered) state.grad_avg = _zerosState(param);
          }
          state.step += 1;

          let grad = maximize ? g.neg() : g;
          const square_avg = state.square_avg;
          if (weight_decay !== 0) grad = grad.add(param, { alpha: weight_decay });
          square_avg.mul_(alpha).addcmul_(grad, grad, { value: 1 - alpha });
          let avg: Tensor;
          if (centered) {
            const grad_avg = state.grad_avg!;
            grad_avg.mul_(alpha).add_(grad, { alpha: 1 - alpha });
            avg = square_avg.addcmul(grad_avg, grad_avg, { value: -1 }).sqrt_();
          } else {
            avg = square_avg.sqrt();
          }
          avg = avg.add_(eps);
          if (momentum > 0) {
            const buf = state.momentum_buffer!;
            buf.mul_(momentum).addcdiv_(grad, avg);
            param.add_(buf, { alpha: -lr });
          } else {
            param.addcdiv_(grad, avg, { value: -lr });
          }
        }
      }
    });
  }
}
