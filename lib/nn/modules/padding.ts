// Padding layers (torch/nn/modules/padding.py): constant, zero, reflection and replication padding.
// Padding amounts are stored as F.pad takes them: (left, right) for the last dimension, then
// (top, bottom), then (front, back).
import { argumentError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { checkNumber, namedErrors, pyNumber, pyStr } from './_layer_utils.js';
import { Module } from './module.js';
import { _ntuple } from './utils.js';

/** `n` padding amounts from an int (the same on every side) or an array of n ints. */
function paddingOf(where: string, n: number, padding: unknown): number[] {
  const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (Array.isArray(padding) ? padding.length !== n || !padding.every(isInt) : !isInt(padding)) {
    throw argumentError(where, 'padding', `an integer or an array of ${n} integers`, padding);
  }
  return _ntuple(n)(padding as number | number[]);
}

/** Base class of the constant padding layers (Python: `_ConstantPadNd`). */
export class _ConstantPadNd extends Module {
  declare padding: number[];
  declare value: number;

  constructor(n: number, padding: number | number[], value: number) {
    super();
    const where = `nn.${this.constructor.name}`;
    this.value = checkNumber(where, 'value', value);
    this.padding = paddingOf(where, n, padding);
  }

  override forward(input: Tensor): Tensor {
    return namedErrors(this.constructor.name, () => F.pad(input, this.padding, 'constant', this.value));
  }

  override extra_repr(): string {
    return `padding=${pyStr(this.padding)}, value=${pyNumber(this.value)}`;
  }
}

/**
 * Pads the last dimension with a constant (Python: `nn.ConstantPad1d(padding, value)`).
 *
 * Args: padding: an int for both sides, or [left, right]; value: the fill value.
 * Shape: input (C, W_in) or (N, C, W_in); output W_out = W_in + left + right.
 *
 * Example: `new nn.ConstantPad1d([3, 1], 3.5).forward(torch.randn(1, 2, 4)).shape  // [1, 2, 8]`
 */
export class ConstantPad1d extends _ConstantPadNd {
  constructor(padding: number | number[], value: number) {
    super(2, padding, value);
  }
}

/**
 * Pads the last two dimensions with a constant (Python: `nn.ConstantPad2d(padding, value)`).
 *
 * Args: padding: an int for all sides, or [left, right, top, bottom]; value: the fill value.
 * Shape: input (C, H_in, W_in) or (N, C, H_in, W_in).
 */
export class ConstantPad2d extends _ConstantPadNd {
  constructor(padding: number | number[], value: number) {
    super(4, padding, value);
  }
}

/**
 * Pads the last three dimensions with a constant (Python: `nn.ConstantPad3d(padding, value)`).
 *
 * Args: padding: an int, or [left, right, top, bottom, front, back]; value: the fill value.
 */
export class ConstantPad3d extends _ConstantPadNd {
  constructor(padding: number | number[], value: number) {
    super(6, padding, value);
  }
}

/**
 * Pads the last two dimensions with zeros (Python: `nn.ZeroPad2d(padding)`).
 *
 * Args: padding: an int for all sides, or [left, right, top, bottom] (negative values crop).
 * Shape: input (C, H_in, W_in) or (N, C, H_in, W_in).
 *
 * Example: `new nn.ZeroPad2d([1, 1, 2, 0]).forward(torch.randn(1, 1, 3, 3)).shape  // [1, 1, 5, 5]`
 */
export class ZeroPad2d extends ConstantPad2d {
  constructor(padding: number | number[]) {
    super(padding, 0.0);
  }

  override extra_repr(): string {
    return pyStr(this.padding);
  }
}

/** Base class of the reflection and replication padding layers: F.pad with a mode. */
class _ModePadNd extends Module {
  declare padding: number[];

  constructor(n: number, padding: number | number[]) {
    super();
    this.padding = paddingOf(`nn.${this.constructor.name}`, n, padding);
  }

  /** @internal */
  _pad(input: Tensor, mode: 'reflect' | 'replicate'): Tensor {
    return namedErrors(this.constructor.name, () => F.pad(input, this.padding, mode));
  }

  override extra_repr(): string {
    return pyStr(this.padding);
  }
}

/** Base class of the reflection padding layers (Python: `_ReflectionPadNd`). */
export class _ReflectionPadNd extends _ModePadNd {
  override forward(input: Tensor): Tensor {
    return this._pad(input, 'reflect');
  }
}

/**
 * Pads the last dimension with its reflection (Python: `nn.ReflectionPad1d(padding)`); each
 * side must be smaller than the input's size.
 *
 * Args: padding: an int for both sides, or [left, right].
 * Shape: input (C, W_in) or (N, C, W_in).
 *
 * Example: `new nn.ReflectionPad1d(2).forward(torch.arange(8.0).reshape(1, 2, 4))`
 */
export class ReflectionPad1d extends _ReflectionPadNd {
  constructor(padding: number | number[]) {
    super(2, padding);
  }
}

/**
 * Pads the last two dimensions with their reflection (Python: `nn.ReflectionPad2d(padding)`).
 *
 * Args: padding: an int for all sides, or [left, right, top, bottom].
 * Shape: input (C, H_in, W_in) or (N, C, H_in, W_in).
 */
export class ReflectionPad2d extends _ReflectionPadNd {
  constructor(padding: number | number[]) {
    super(4, padding);
  }
}

/** Pads the last three dimensions with their reflection (Python: `nn.ReflectionPad3d(padding)`). */
export class ReflectionPad3d extends _ReflectionPadNd {
  constructor(padding: number | number[]) {
    super(6, padding);
  }
}

/** Base class of the replication padding layers (Python: `_ReplicationPadNd`). */
export class _ReplicationPadNd extends _ModePadNd {
  override forward(input: Tensor): Tensor {
    return this._pad(input, 'replicate');
  }
}

/**
 * Pads the last dimension by repeating its edge values (Python: `nn.ReplicationPad1d(padding)`).
 *
 * Args: padding: an int for both sides, or [left, right].
 * Shape: input (C, W_in) or (N, C, W_in).
 */
export class ReplicationPad1d extends _ReplicationPadNd {
  constructor(padding: number | number[]) {
    super(2, padding);
  }
}

/**
 * Pads the last two dimensions by repeating their edge values (Python: `nn.ReplicationPad2d(padding)`).
 *
 * Args: padding: an int for all sides, or [left, right, top, bottom].
 * Shape: input (C, H_in, W_in) or (N, C, H_in, W_in).
 */
export class ReplicationPad2d extends _ReplicationPadNd {
  constructor(padding: number | number[]) {
    super(4, padding);
  }
}

/** Pads the last three dimensions by repeating their edge values (Python: `nn.ReplicationPad3d(padding)`). */
export class ReplicationPad3d extends _ReplicationPadNd {
  constructor(padding: number | number[]) {
    super(6, padding);
  }
}
