// Gradient clipping (torch/nn/utils/clip_grad.py): clip_grad_norm_ and clip_grad_value_,
// with the same ATen calls as PyTorch 1.13 so the total norm and the scaled gradients match.
import { TorchError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { warn } from '../_reduction.js';
import { parseOptionalArgs, pyFloat, type OptionalArgs } from './_python.js';

/** One tensor or an iterable of tensors (e.g. `model.parameters()`). */
export type TensorOrTensors = Tensor | Iterable<Tensor>;

/** The gradients of `parameters` that are not null (each a new handle the caller disposes). */
function gradsOf(where: string, parameters: TensorOrTensors): Tensor[] {
  const params: Iterable<Tensor> = parameters instanceof Tensor ? [parameters] : parameters;
  if (params == null || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw argumentError(where, 'parameters', 'a Tensor or an iterable of Tensors', parameters);
  }
  const grads: Tensor[] = [];
  for (const p of params) {
    if (!(p instanceof Tensor)) throw argumentError(where, 'parameters', 'a Tensor or an iterable of Tensors', p);
    const g = p.grad;
    if (g !== null) grads.push(g);
  }
  return grads;
}

/** Options of clip_grad_norm_. */
export interface ClipGradNormOptions {
  norm_type?: number;
  error_if_nonfinite?: boolean;
}

/**
 * Scales the gradients of `parameters` in place so that their total norm (as if all
 * gradients were one vector) is at most max_norm (Python:
 * `clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False)`).
 *
 * Args:
 *   parameters: a Tensor or an iterable of Tensors whose gradients are clipped.
 *   max_norm: the largest allowed total norm.
 *   norm_type: the p of the p-norm, `Infinity` for the largest absolute value (default 2).
 *   error_if_nonfinite: throw when the total norm is nan or infinite (default false).
 *
 * Returns: the total norm of the gradients before clipping, a 0-d tensor.
 *
 * Example: `nn.utils.clip_grad_norm_(model.parameters(), 1.0)`
 */
export function clip_grad_norm_(
  parameters: TensorOrTensors,
  max_norm: number,
  ...args: OptionalArgs<[norm_type: number, error_if_nonfinite: boolean], ClipGradNormOptions>
): Tensor {
  const { norm_type, error_if_nonfinite } = parseOptionalArgs('clip_grad_norm_', 2, { norm_type: 2.0 as number, error_if_nonfinite: false as boolean }, args);
  if (typeof max_norm !== 'number') throw argumentError('clip_grad_norm_', 'max_norm', 'a number', max_norm);
  if (typeof norm_type !== 'number') throw argumentError('clip_grad_norm_', 'norm_type', 'a number', norm_type);
  if (typeof error_if_nonfinite !== 'boolean') throw argumentError('clip_grad_norm_', 'error_if_nonfinite', 'a boolean', error_if_nonfinite);
  const grads = gradsOf('clip_grad_norm_', parameters);
  if (grads.length === 0) return torch.tensor(0.0);
  try {
    const device = grads[0].device;
    const total_norm = torch.tidy(() => {
      if (norm_type === Infinity) {
        const norms = grads.map((g) => g.detach().abs().max().to(device));
        return norms.length === 1 ? norms[0] : torch.max(torch.stack(norms));
      }
      // Python's torch.norm(g, p) with dim=None is _VF.norm(g, p, dim=range(g.dim())).
      const norms = grads.map((g) => torch.norm(g.detach(), norm_type, dimsOf(g), false).to(device));
      const stacked = torch.stack(norms);
      return torch.norm(stacked, norm_type, [0], false);
    });
    if (error_if_nonfinite && torch.tidy(() => torch.logical_or(total_norm.isnan(), total_norm.isinf()).item())) {
      total_norm.dispose();
      throw new TorchError(
        `The total norm of order ${pyFloat(norm_type)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
          'To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`',
      );
    }
    torch.tidy(() => {
      // Python's `max_norm / (total_norm + 1e-6)` is Tensor.__rtruediv__: reciprocal() * max_norm.
      const clip_coef = total_norm.add(1e-6).reciprocal().mul(max_norm);
      const clip_coef_clamped = torch.clamp(clip_coef, { max: 1.0 });
      for (const g of grads) g.detach().mul_(clip_coef_clamped.to(g.device));
    });
    return total_norm;
  } finally {
    for (const g of grads) g.dispose();
  }
}

function dimsOf(t: Tensor): number[] {
  return Array.from({ length: t.dim() }, (_, i) => i);
}

/**
 * Deprecated alias of clip_grad_norm_ (Python: `clip_grad_norm`); warns once.
 */
export function clip_grad_norm(parameters: TensorOrTensors, max_norm: number, ...args: OptionalArgs<[norm_type: number, error_if_nonfinite: boolean], ClipGradNormOptions>): Tensor {
  warn('torch.nn.utils.clip_grad_norm is now deprecated in favor of torch.nn.utils.clip_grad_norm_.');
  return clip_grad_norm_(parameters, max_norm, ...args);
}

/**
 * Clamps every gradient of `parameters` into [-clip_value, clip_value], in place (Python:
 * `clip_grad_value_(parameters, clip_value)`).
 *
 * Example: `nn.utils.clip_grad_value_(model.parameters(), 0.5)`
 */
export function clip_grad_value_(parameters: TensorOrTensors, clip_value: number): void {
  if (typeof clip_value !== 'number') throw argumentError('clip_grad_value_', 'clip_value', 'a number', clip_value);
  const grads = gradsOf('clip_grad_value_', parameters);
  try {
    torch.tidy(() => {
      for (const g of grads) g.detach().clamp_({ min: -clip_value, max: clip_value });
    });
  } finally {
    for (const g of grads) g.dispose();
  }
}
