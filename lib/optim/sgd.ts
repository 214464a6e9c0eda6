// torch.optim.SGD (torch/optim/sgd.py), PyTorch 1.13's single-tensor update.
import { torch } from '../torch.js';
import type { Tensor } from '../tensor.js';
import { ValueError } from '../errors.js';
import { keep } from '../memory.js';
import { Optimizer, _checkRange, _rejectUnsupported, _resolveOptions, _setdefault, required, type Closure, type ParamsInput } from './optimizer.js';

/** Options of {@link SGD}, with PyTorch's names and defaults. */
export interface SGDOptions {
  /** learning rate (required, here or in every parameter group) */
  lr?: number;
  /** momentum factor (default: 0) */
  momentum?: number;
  /** dampening for momentum (default: 0) */
  dampening?: number;
  /** weight decay, L2 penalty (default: 0) */
  weight_decay?: number;
  /** enables Nesterov momentum (default: false) */
  nesterov?: boolean;
  /** maximize the objective instead of minimizing (default: false) */
  maximize?: boolean;
  /** accepted for compatibility; torch-node always runs the for-loop implementation (default: null) */
  foreach?: boolean | null;
  /** not supported (default: false) */
  differentiable?: boolean;
}

const OPTIONS = ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach', 'differentiable'] as const;

/**
 * Stochastic gradient descent, optionally with momentum (Python: `torch.optim.SGD`).
 *
 * With momentum the buffer is `b = momentum * b + (1 - dampening) * g` and the step `p -= lr * b`
 * (or `p -= lr * (g + momentum * b)` with nesterov), as in PyTorch.
 *
 * Args:
 *   params: Tensors or parameter groups to optimize.
 *   lr: learning rate (positional, or in the options).
 *   options: {@link SGDOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 *   optimizer.zero_grad(); loss_fn(model.forward(input), target).backward(); optimizer.step();
 */
export class SGD extends Optimizer {
  constructor(params: ParamsInput, lr?: number | SGDOptions, options?: SGDOptions) {
    const o = _resolveOptions<SGDOptions>('SGD.__init__', lr, options, OPTIONS);
    const {
      lr: learningRate = required, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false,
      maximize = false, foreach = null, differentiable = false,
    } = o;
    if (learningRate !== required) _checkRange('learning rate', learningRate);
    _checkRange('momentum value', momentum);
    _checkRange('weight_decay value', weight_decay);
    _rejectUnsupported('SGD', o, ['differentiable']);
    const defaults = { lr: learningRate, momentum, dampening, weight_decay, nesterov, maximize, foreach, differentiable };
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    super(params, defaults);
  }

  protected override __setstate__(): void {
    super.__setstate__();
    for (const group of this.param_groups) {
      _setdefault(group, 'nesterov', false);
      _setdefault(group, 'maximize', false);
      _setdefault(group, 'foreach', null);
      _setdefault(group, 'differentiable', false);
    }
  }

  /** Performs a single optimization step; returns the closure's loss if one is given. */
  step(closure?: Closure): Tensor | number | undefined {
    return this._stepWith(closure, () => {
      for (const group of this.param_groups) {
        const { lr, momentum, dampening, weight_decay, nesterov, maximize } = group as unknown as Required<SGDOptions> & { lr: number };
        for (const [param, grad] of Optimizer._withGrad(group)) {
          const state = this._stateOf(param);
          let buf = (state.momentum_buffer ?? null) as Tensor | null;
          let d_p = maximize ? grad.neg() : grad;
          if (weight_decay !== 0) d_p = d_p.add(param, { alpha: weight_decay });
          if (momentum !== 0) {
            if (buf === null) buf = keep(torch.clone(d_p).detach()); // state outlives step()'s tidy()
            else buf.mul_(momentum).add_(d_p, { alpha: 1 - dampening });
            d_p = nesterov ? d_p.add(buf, { alpha: momentum }) : buf;
          }
          param.add_(d_p, { alpha: -lr });
          state.momentum_buffer = buf;
        }
      }
    });
  }
}
