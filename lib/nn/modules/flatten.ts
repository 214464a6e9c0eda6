// Flatten and Unflatten (torch/nn/modules/flatten.py).
import { TorchTypeError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { Module } from './module.js';

/**
 * Flattens the dimensions start_dim..end_dim into one (Python: `nn.Flatten(start_dim=1, end_dim=-1)`).
 *
 * Shape: input (*, S_start, ..., S_end, *), output (*, S_start * ... * S_end, *).
 *
 * Example: `new nn.Flatten().forward(torch.randn(32, 1, 5, 5)).shape  // [32, 25]`
 */
export class Flatten extends Module {
  start_dim: number;
  end_dim: number;

  constructor(start_dim = 1, end_dim = -1) {
    super();
    if (!Number.isInteger(start_dim)) throw argumentError('nn.Flatten', 'start_dim', 'an integer', start_dim);
    if (!Number.isInteger(end_dim)) throw argumentError('nn.Flatten', 'end_dim', 'an integer', end_dim);
    this.start_dim = start_dim;
    this.end_dim = end_dim;
  }

  override forward(input: Tensor): Tensor {
    return input.flatten(this.start_dim, this.end_dim);
  }

  override extra_repr(): string {
    return `start_dim=${this.start_dim}, end_dim=${this.end_dim}`;
  }
}

/**
 * Expands dimension `dim` into the shape `unflattened_size` (Python: `nn.Unflatten(dim, unflattened_size)`).
 * Named dimensions are not supported: dim is an integer.
 *
 * Shape: input (*, S_dim, *), output (*, U_1, ..., U_n, *) with U_1 * ... * U_n = S_dim.
 *
 * Example: `new nn.Unflatten(1, [2, 5, 5]).forward(torch.randn(2, 50)).shape  // [2, 2, 5, 5]`
 */
export class Unflatten extends Module {
  dim: number;
  unflattened_size: number[];

  constructor(dim: number, unflattened_size: number[]) {
    super();
    if (!Number.isInteger(dim)) throw new TorchTypeError('invalid argument type for dim parameter');
    if (!Array.isArray(unflattened_size)) throw new TorchTypeError(`unflattened_size must be a tuple of ints, but found type ${typeof unflattened_size}`);
    unflattened_size.forEach((elem, idx) => {
      if (!Number.isInteger(elem)) throw new TorchTypeError(`unflattened_size must be tuple of ints, but found element of type ${typeof elem} at pos ${idx}`);
    });
    this.dim = dim;
    this.unflattened_size = [...unflattened_size];
  }

  override forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattened_size);
  }

  /** Shows unflattened_size as the Python tuple `(2, 5, 5)`. */
  override extra_repr(): string {
    const size = this.unflattened_size.length === 1 ? `(${this.unflattened_size[0]},)` : `(${this.unflattened_size.join(', ')})`;
    return `dim=${this.dim}, unflattened_size=${size}`;
  }
}
