// torch.optim.Adagrad (torch/optim/adagrad.py), PyTorch 1.13's single-tensor update (dense gradients).
import { torch } from '../torch.js';
import type { Tensor } from '../tensor.js';
import { keep, tidy } from '../memory.js';
import {
  Optimizer, _checkRange, _resolveOptions, _scalarState, _setdefault, _stepTensor,
  type Closure, type OptimizerState, type ParamGroupInput, type ParamsInput,
} from './optimizer.js';

/** Options of {@link Adagrad}, with PyTorch's names and defaults. */
export interface AdagradOptions {
  /** learning rate (default: 1e-2) */
  lr?: number;
  /** learning rate decay (default: 0) */
  lr_decay?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** starting value of the squared-gradient sums (default: 0) */
  initial_accumulator_value?: number;
  /** added to the denominator for numerical stability (default: 1e-10) */
  eps?: number;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
}

const OPTIONS = ['lr', 'lr_decay', 'weight_decay', 'initial_accumulator_value', 'eps', 'foreach', 'maximize'] as const;

interface AdagradState extends OptimizerState {
  step: Tensor;
  sum: Tensor;
}

/**
 * Adagrad (Python: `torch.optim.Adagrad`), from "Adaptive Subgradient Methods for Online Learning
 * and Stochastic Optimization". Its state is created for every parameter at construction.
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link AdagradOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.Adagrad(model.parameters(), { lr: 0.01, lr_decay: 1e-4 });
 */
export class Adagrad extends Optimizer {
  constructor(params: ParamsInput, lr?: number | AdagradOptions, options?: AdagradOptions) {
    const o = _resolveOptions<AdagradOptions>('Adagrad.__init__', lr, options, OPTIONS);
    const {
      lr: learningRate = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10,
      foreach = null, maximize = false,
    } = o;
    _checkRange('learning rate', learningRate);
    _checkRange('lr_decay value', lr_decay);
    _checkRange('weight_decay value', weight_decay);
    _checkRange('initial_accumulator_value value', initial_accumulator_value);
    _checkRange('epsilon value', eps);
    super(params, { lr: learningRate, lr_decay, eps, weight_decay, initial_accumulator_value, foreach, maximize });
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      _setdefault(group, 'foreach', null);
      _setdefault(group, 'maximize', false);
    }
    _stepTensor(this.state);
  }

  /**
   * Adds a parameter group and creates its state (step, sum), as PyTorch's constructor does for
   * the initial groups. (PyTorch 1.13 gives groups added later no state, so their step fails.)
   */
  override add_param_group(param_group: ParamGroupInput): void {
    super.add_param_group(param_group);
    const group = this.param_groups[this.param_groups.length - 1];
    tidy(() => {
      for (const p of group.params) {
        if (this.state.has(p)) continue;
        const state = this._stateOf(p);
        state.step = _scalarState(0);
        state.sum = keep(torch.full_like(p, group.initial_accumulator_value as number, { memory_format: torch.preserve_format }));
      }
    });
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, weight_decay, lr_decay, eps, maximize } = group as unknown as Required<AdagradOptions>;
        for (const [param, g] of Optimizer._withGrad(group)) {
          const { step: step_t, sum: state_sum } = this._stateOf(param) as AdagradState;
          step_t.add_(1);
          const step = step_t.item();
          let grad = maximize ? g.neg() : g;
          if (weight_decay !== 0) grad = grad.add(param, { alpha: weight_decay });
          const clr = lr / (1 + (step - 1) * lr_decay);
          state_sum.addcmul_(grad, grad, { value: 1 });
          const std = state_sum.sqrt().add_(eps);
          param.addcdiv_(grad, std, { value: -clr });
        }
      }
    });
  }
}
