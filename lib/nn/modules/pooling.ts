// Pooling layers (torch/nn/modules/pooling.py): max, average, adaptive, max-unpool and power-average pooling.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { argumentError } from '../../errors.js';
import { checkBool, checkIntOrTuple, checkNumber, namedErrors, pyStr, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';
import { _ntuple, _single } from './utils.js';

/** An int or one int per spatial dimension. */
export type IntOrTuple = number | number[];
/** An adaptive pool's output size: an int, or one entry per dimension where null keeps the input's size. */
export type AdaptiveSize = number | (number | null)[];
/** What a pooling layer with `return_indices` gives: `[output, indices]` when R is true. */
export type PoolResult<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

type MaxPoolParams<R extends boolean> = readonly [
  readonly ['stride', IntOrTuple | null],
  readonly ['padding', IntOrTuple],
  readonly ['dilation', IntOrTuple],
  readonly ['return_indices', R],
  readonly ['ceil_mode', boolean],
];
/** The optional arguments of MaxPool1d/2d/3d: `(stride, padding, dilation, return_indices, ceil_mode)` positionally, or by name. */
export type MaxPoolArgs<R extends boolean> = ArgsOf<MaxPoolParams<R>>;
const MAX_POOL_PARAMS = [
  ['stride', null],
  ['padding', 0],
  ['dilation', 1],
  ['return_indices', false],
  ['ceil_mode', false],
] as const;

/**
 * Base class of the max pooling layers (Python: `_MaxPoolNd`). Keeps kernel_size, stride,
 * padding and dilation as given (an int or an array), as PyTorch does, so its repr matches.
 */
export class _MaxPoolNd<R extends boolean = false> extends Module {
  declare kernel_size: IntOrTuple;
  declare stride: IntOrTuple;
  declare padding: IntOrTuple;
  declare dilation: IntOrTuple;
  declare return_indices: R;
  declare ceil_mode: boolean;

  constructor(kernel_size: IntOrTuple, ...args: MaxPoolArgs<R>) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 2, MAX_POOL_PARAMS).parse(args);
    this.kernel_size = checkIntOrTuple(where, 'kernel_size', kernel_size, undefined, 1);
    this.stride = a.stride !== null ? checkIntOrTuple(where, 'stride', a.stride, undefined, 1) : this.kernel_size;
    this.padding = checkIntOrTuple(where, 'padding', a.padding);
    this.dilation = checkIntOrTuple(where, 'dilation', a.dilation, undefined, 1);
    this.return_indices = checkBool(where, 'return_indices', a.return_indices) as R;
    this.ceil_mode = checkBool(where, 'ceil_mode', a.ceil_mode);
  }

  override extra_repr(): string {
    return `kernel_size=${pyStr(this.kernel_size)}, stride=${pyStr(this.stride)}, padding=${pyStr(this.padding)}, dilation=${pyStr(this.dilation)}, ceil_mode=${pyStr(this.ceil_mode)}`;
  }

  /** @internal */
  _pool(op: typeof F.max_pool1d, input: Tensor): PoolResult<R> {
    return namedErrors(this.constructor.name, () =>
      op(input, this.kernel_size, this.stride, this.padding, this.dilation, { ceil_mode: this.ceil_mode, return_indices: this.return_indices as boolean }),
    ) as PoolResult<R>;
  }
}

/**
 * 1-D max pooling (Python: `nn.MaxPool1d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)`).
 *
 * Args:
 *   kernel_size: the window size. stride: default kernel_size. padding: implicit -inf padding on both sides.
 *   dilation: spacing between window elements. return_indices: also return the argmax indices
 *   (for MaxUnpool1d). ceil_mode: round the output size up instead of down.
 *
 * Shape: input (N, C, L_in) or (C, L_in); output (N, C, L_out).
 *
 * Example: `new nn.MaxPool1d(3, 2).forward(torch.randn(20, 16, 50))`
 */
export class MaxPool1d<R extends boolean = false> extends _MaxPoolNd<R> {
  /** The pooled input; `[output, indices]` with return_indices. */
  override forward(input: Tensor): PoolResult<R> {
    return this._pool(F.max_pool1d, input);
  }
}

/**
 * 2-D max pooling (Python: `nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)`).
 *
 * Args: as MaxPool1d, each an int or [h, w].
 *
 * Shape: input (N, C, H_in, W_in) or (C, H_in, W_in); output (N, C, H_out, W_out) with
 * H_out = floor((H_in + 2 padding[0] - dilation[0] (kernel_size[0] - 1) - 1) / stride[0] + 1)
 * (ceil with ceil_mode).
 *
 * Example:
 * ```ts
 * const pool = new nn.MaxPool2d(2, 2);
 * pool.forward(torch.randn(1, 3, 8, 8)).shape  // [1, 3, 4, 4]
 * const [out, indices] = new nn.MaxPool2d(2, { return_indices: true }).forward(x);
 * ```
 */
export class MaxPool2d<R extends boolean = false> extends _MaxPoolNd<R> {
  /** The pooled input; `[output, indices]` with return_indices. */
  override forward(input: Tensor): PoolResult<R> {
    return this._pool(F.max_pool2d, input);
  }
}

/**
 * 3-D max pooling (Python: `nn.MaxPool3d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)`).
 *
 * Shape: input (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in); output (N, C, D_out, H_out, W_out).
 */
export class MaxPool3d<R extends boolean = false> extends _MaxPoolNd<R> {
  /** The pooled input; `[output, indices]` with return_indices. */
  override forward(input: Tensor): PoolResult<R> {
    return this._pool(F.max_pool3d, input);
  }
}

const MAX_UNPOOL_PARAMS = [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
] as const;
/** The optional arguments of MaxUnpool1d/2d/3d: `(stride, padding)`. */
export type MaxUnpoolArgs = ArgsOf<typeof MAX_UNPOOL_PARAMS>;

/** Base class of the max-unpooling layers (Python: `_MaxUnpoolNd`); arguments are stored as one int per dimension. */
export class _MaxUnpoolNd extends Module {
  declare kernel_size: number[];
  declare stride: number[];
  declare padding: number[];

  constructor(n: number, kernel_size: IntOrTuple, args: readonly unknown[]) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 2, MAX_UNPOOL_PARAMS).parse(args);
    const ntuple = _ntuple(n);
    this.kernel_size = ntuple(checkIntOrTuple(where, 'kernel_size', kernel_size, n, 1));
    this.stride = ntuple(checkIntOrTuple(where, 'stride', a.stride ?? kernel_size, n, 1));
    this.padding = ntuple(checkIntOrTuple(where, 'padding', a.padding, n));
  }

  override extra_repr(): string {
    return `kernel_size=${pyStr(this.kernel_size)}, stride=${pyStr(this.stride)}, padding=${pyStr(this.padding)}`;
  }
}

/**
 * Partial inverse of MaxPool1d: puts each value back where the indices say, zeros elsewhere
 * (Python: `nn.MaxUnpool1d(kernel_size, stride=None, padding=0)`).
 *
 * Shape: input and indices (N, C, H_in); output (N, C, H_out), or `output_size`.
 */
export class MaxUnpool1d extends _MaxUnpoolNd {
  constructor(kernel_size: IntOrTuple, ...args: MaxUnpoolArgs) {
    super(1, kernel_size, args);
  }

  override forward(input: Tensor, indices: Tensor, output_size: number[] | null = null): Tensor {
    return namedErrors('MaxUnpool1d', () => F.max_unpool1d(input, indices, this.kernel_size, this.stride, this.padding, output_size));
  }
}

/**
 * Partial inverse of MaxPool2d (Python: `nn.MaxUnpool2d(kernel_size, stride=None, padding=0)`).
 *
 * Shape: input and indices (N, C, H_in, W_in); output (N, C, H_out, W_out), or `output_size`.
 * Example: `const [y, i] = new nn.MaxPool2d(2, { return_indices: true }).forward(x); new nn.MaxUnpool2d(2).forward(y, i)`
 */
export class MaxUnpool2d extends _MaxUnpoolNd {
  constructor(kernel_size: IntOrTuple, ...args: MaxUnpoolArgs) {
    super(2, kernel_size, args);
  }

  override forward(input: Tensor, indices: Tensor, output_size: number[] | null = null): Tensor {
    return namedErrors('MaxUnpool2d', () => F.max_unpool2d(input, indices, this.kernel_size, this.stride, this.padding, output_size));
  }
}

/** Partial inverse of MaxPool3d (Python: `nn.MaxUnpool3d(kernel_size, stride=None, padding=0)`). */
export class MaxUnpool3d extends _MaxUnpoolNd {
  constructor(kernel_size: IntOrTuple, ...args: MaxUnpoolArgs) {
    super(3, kernel_size, args);
  }

  override forward(input: Tensor, indices: Tensor, output_size: number[] | null = null): Tensor {
    return namedErrors('MaxUnpool3d', () => F.max_unpool3d(input, indices, this.kernel_size, this.stride, this.padding, output_size));
  }
}

/** Base class of the average pooling layers (Python: `_AvgPoolNd`). */
export class _AvgPoolNd extends Module {
  declare kernel_size: IntOrTuple;
  declare stride: IntOrTuple;
  declare padding: IntOrTuple;
  declare ceil_mode: boolean;
  declare count_include_pad: boolean;

  override extra_repr(): string {
    return `kernel_size=${pyStr(this.kernel_size)}, stride=${pyStr(this.stride)}, padding=${pyStr(this.padding)}`;
  }
}

const AVG_POOL1D_PARAMS = [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
  ['ceil_mode', false as boolean],
  ['count_include_pad', true as boolean],
] as const;
/** The optional arguments of AvgPool1d: `(stride, padding, ceil_mode, count_include_pad)`. */
export type AvgPool1dArgs = ArgsOf<typeof AVG_POOL1D_PARAMS>;

/**
 * 1-D average pooling (Python: `nn.AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)`).
 * Arguments are stored as 1-tuples, as in PyTorch.
 *
 * Args: count_include_pad: count the zero padding in the average.
 * Shape: input (N, C, L_in) or (C, L_in); output (N, C, L_out).
 *
 * Example: `new nn.AvgPool1d(3, 2).forward(torch.randn(1, 1, 7))`
 */
export class AvgPool1d extends _AvgPoolNd {
  declare kernel_size: number[];
  declare stride: number[];
  declare padding: number[];

  constructor(kernel_size: IntOrTuple, ...args: AvgPool1dArgs) {
    super();
    const where = 'nn.AvgPool1d';
    const a = signature(where, 2, AVG_POOL1D_PARAMS).parse(args);
    this.kernel_size = _single(checkIntOrTuple(where, 'kernel_size', kernel_size, 1, 1));
    this.stride = _single(checkIntOrTuple(where, 'stride', a.stride ?? kernel_size, 1, 1));
    this.padding = _single(checkIntOrTuple(where, 'padding', a.padding, 1));
    this.ceil_mode = checkBool(where, 'ceil_mode', a.ceil_mode);
    this.count_include_pad = checkBool(where, 'count_include_pad', a.count_include_pad);
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('AvgPool1d', () => F.avg_pool1d(input, this.kernel_size, this.stride, this.padding, this.ceil_mode, this.count_include_pad));
  }
}

const AVG_POOL_PARAMS = [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
  ['ceil_mode', false as boolean],
  ['count_include_pad', true as boolean],
  ['divisor_override', null as number | null],
] as const;
/** The optional arguments of AvgPool2d/3d: `(stride, padding, ceil_mode, count_include_pad, divisor_override)`. */
export type AvgPoolArgs = ArgsOf<typeof AVG_POOL_PARAMS>;

/** AvgPool2d/3d: arguments kept as given, as PyTorch does. */
class _AvgPoolKeepingArgs extends _AvgPoolNd {
  declare divisor_override: number | null;

  constructor(kernel_size: IntOrTuple, args: readonly unknown[]) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 2, AVG_POOL_PARAMS).parse(args);
    this.kernel_size = checkIntOrTuple(where, 'kernel_size', kernel_size, undefined, 1);
    this.stride = a.stride !== null ? checkIntOrTuple(where, 'stride', a.stride, undefined, 1) : this.kernel_size;
    this.padding = checkIntOrTuple(where, 'padding', a.padding);
    this.ceil_mode = checkBool(where, 'ceil_mode', a.ceil_mode);
    this.count_include_pad = checkBool(where, 'count_include_pad', a.count_include_pad);
    this.divisor_override = a.divisor_override === null ? null : checkIntOrTuple(where, 'divisor_override', a.divisor_override, undefined, 1) as number;
  }
}

/**
 * 2-D average pooling (Python: `nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)`).
 *
 * Args: divisor_override: divide by this instead of the window size.
 * Shape: input (N, C, H_in, W_in) or (C, H_in, W_in); output (N, C, H_out, W_out).
 *
 * Example: `new nn.AvgPool2d(2).forward(torch.randn(1, 3, 8, 8)).shape  // [1, 3, 4, 4]`
 */
export class AvgPool2d extends _AvgPoolKeepingArgs {
  constructor(kernel_size: IntOrTuple, ...args: AvgPoolArgs) {
    super(kernel_size, args);
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('AvgPool2d', () =>
      F.avg_pool2d(input, this.kernel_size, this.stride, this.padding, this.ceil_mode, this.count_include_pad, this.divisor_override),
    );
  }
}

/** 3-D average pooling (Python: `nn.AvgPool3d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)`). */
export class AvgPool3d extends _AvgPoolKeepingArgs {
  constructor(kernel_size: IntOrTuple, ...args: AvgPoolArgs) {
    super(kernel_size, args);
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('AvgPool3d', () =>
      F.avg_pool3d(input, this.kernel_size, this.stride, this.padding, this.ceil_mode, this.count_include_pad, this.divisor_override),
    );
  }
}

const LP_POOL_PARAMS = [
  ['stride', null as IntOrTuple | null],
  ['ceil_mode', false as boolean],
] as const;
/** The optional arguments of LPPool1d/2d: `(stride, ceil_mode)`. */
export type LPPoolArgs = ArgsOf<typeof LP_POOL_PARAMS>;

/** Base class of the power-average pools (Python: `_LPPoolNd`). */
export class _LPPoolNd extends Module {
  declare norm_type: number;
  declare kernel_size: IntOrTuple;
  declare stride: IntOrTuple | null;
  declare ceil_mode: boolean;

  constructor(norm_type: number, kernel_size: IntOrTuple, ...args: LPPoolArgs) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 3, LP_POOL_PARAMS).parse(args);
    this.norm_type = checkNumber(where, 'norm_type', norm_type);
    this.kernel_size = checkIntOrTuple(where, 'kernel_size', kernel_size, undefined, 1);
    this.stride = a.stride === null ? null : checkIntOrTuple(where, 'stride', a.stride, undefined, 1);
    this.ceil_mode = checkBool(where, 'ceil_mode', a.ceil_mode);
  }

  override extra_repr(): string {
    return `norm_type=${pyStr(this.norm_type)}, kernel_size=${pyStr(this.kernel_size)}, stride=${pyStr(this.stride)}, ceil_mode=${pyStr(this.ceil_mode)}`;
  }
}

/**
 * 1-D power-average pooling, (sum x^p)^(1/p) over each window (Python: `nn.LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False)`).
 *
 * Shape: input (N, C, L_in) or (C, L_in); output (N, C, L_out).
 */
export class LPPool1d extends _LPPoolNd {
  override forward(input: Tensor): Tensor {
    return namedErrors('LPPool1d', () => F.lp_pool1d(input, this.norm_type, this.kernel_size as number, this.stride, this.ceil_mode));
  }
}

/**
 * 2-D power-average pooling (Python: `nn.LPPool2d(norm_type, kernel_size, stride=None, ceil_mode=False)`).
 *
 * Shape: input (N, C, H_in, W_in) or (C, H_in, W_in); output (N, C, H_out, W_out).
 */
export class LPPool2d extends _LPPoolNd {
  override forward(input: Tensor): Tensor {
    return namedErrors('LPPool2d', () => F.lp_pool2d(input, this.norm_type, this.kernel_size, this.stride, this.ceil_mode));
  }
}

/** Base class of the adaptive max pools (Python: `_AdaptiveMaxPoolNd`). */
export class _AdaptiveMaxPoolNd<R extends boolean = false> extends Module {
  declare output_size: AdaptiveSize;
  declare return_indices: R;

  constructor(output_size: AdaptiveSize, ...args: ArgsOf<readonly [readonly ['return_indices', R]]>) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 2, [['return_indices', false]] as const).parse(args);
    this.output_size = adaptiveSize(where, output_size);
    this.return_indices = checkBool(where, 'return_indices', a.return_indices) as R;
  }

  override extra_repr(): string {
    return `output_size=${pyStr(this.output_size)}`;
  }
}

/** An adaptive pool's output size, checked: an int or an array of ints and nulls. */
function adaptiveSize(where: string, output_size: unknown): AdaptiveSize {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (Array.isArray(output_size) ? output_size.every((v) => v === null || ok(v)) : ok(output_size)) {
    return Array.isArray(output_size) ? [...output_size] : (output_size as number);
  }
  throw argumentError(where, 'output_size', 'a non-negative integer or an array of non-negative integers and nulls', output_size);
}

/**
 * Adaptive 1-D max pooling to `output_size` positions, whatever the input length
 * (Python: `nn.AdaptiveMaxPool1d(output_size, return_indices=False)`).
 *
 * Shape: input (N, C, L_in) or (C, L_in); output (N, C, output_size).
 */
export class AdaptiveMaxPool1d<R extends boolean = false> extends _AdaptiveMaxPoolNd<R> {
  override forward(input: Tensor): PoolResult<R> {
    return namedErrors('AdaptiveMaxPool1d', () => F.adaptive_max_pool1d(input, this.output_size as IntOrTuple, { return_indices: this.return_indices as boolean })) as PoolResult<R>;
  }
}

/**
 * Adaptive 2-D max pooling to an (H, W) output (Python: `nn.AdaptiveMaxPool2d(output_size, return_indices=False)`).
 *
 * Args: output_size: an int for a square output, or [H, W] where null keeps the input's size.
 * Shape: input (N, C, H_in, W_in) or (C, H_in, W_in); output (N, C, H, W).
 *
 * Example: `new nn.AdaptiveMaxPool2d([5, 7]).forward(torch.randn(1, 64, 8, 9)).shape  // [1, 64, 5, 7]`
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends _AdaptiveMaxPoolNd<R> {
  override forward(input: Tensor): PoolResult<R> {
    return namedErrors('AdaptiveMaxPool2d', () => F.adaptive_max_pool2d(input, this.output_size, { return_indices: this.return_indices as boolean })) as PoolResult<R>;
  }
}

/** Adaptive 3-D max pooling (Python: `nn.AdaptiveMaxPool3d(output_size, return_indices=False)`). */
export class AdaptiveMaxPool3d<R extends boolean = false> extends _AdaptiveMaxPoolNd<R> {
  override forward(input: Tensor): PoolResult<R> {
    return namedErrors('AdaptiveMaxPool3d', () => F.adaptive_max_pool3d(input, this.output_size, { return_indices: this.return_indices as boolean })) as PoolResult<R>;
  }
}

/** Base class of the adaptive average pools (Python: `_AdaptiveAvgPoolNd`). */
export class _AdaptiveAvgPoolNd extends Module {
  declare output_size: AdaptiveSize;

  constructor(output_size: AdaptiveSize) {
    super();
    this.output_size = adaptiveSize(`nn.${this.constructor.name}`, output_size);
  }

  override extra_repr(): string {
    return `output_size=${pyStr(this.output_size)}`;
  }
}

/**
 * Adaptive 1-D average pooling to `output_size` positions (Python: `nn.AdaptiveAvgPool1d(output_size)`).
 *
 * Shape: input (N, C, L_in) or (C, L_in); output (N, C, output_size).
 */
export class AdaptiveAvgPool1d extends _AdaptiveAvgPoolNd {
  override forward(input: Tensor): Tensor {
    return namedErrors('AdaptiveAvgPool1d', () => F.adaptive_avg_pool1d(input, this.output_size as IntOrTuple));
  }
}

/**
 * Adaptive 2-D average pooling to an (H, W) output (Python: `nn.AdaptiveAvgPool2d(output_size)`).
 *
 * Args: output_size: an int for a square output, or [H, W] where null keeps the input's size.
 * Shape: input (N, C, H_in, W_in) or (C, H_in, W_in); output (N, C, H, W).
 *
 * Example: `new nn.AdaptiveAvgPool2d(1).forward(features).flatten(1)  // global average pooling`
 */
export class AdaptiveAvgPool2d extends _AdaptiveAvgPoolNd {
  override forward(input: Tensor): Tensor {
    return namedErrors('AdaptiveAvgPool2d', () => F.adaptive_avg_pool2d(input, this.output_size));
  }
}

/** Adaptive 3-D average pooling (Python: `nn.AdaptiveAvgPool3d(output_size)`). */
export class AdaptiveAvgPool3d extends _AdaptiveAvgPoolNd {
  override forward(input: Tensor): Tensor {
    return namedErrors('AdaptiveAvgPool3d', () => F.adaptive_avg_pool3d(input, this.output_size));
  }
}
