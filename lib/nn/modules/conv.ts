// Convolution layers (torch/nn/modules/conv.py): Conv1d/2d/3d and ConvTranspose1d/2d/3d.
import { TorchTypeError, ValueError, argumentError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import type { Parameter } from '../parameter.js';
import {
  FACTORY,
  checkBool,
  checkIntOrTuple,
  checkSize,
  checkString,
  factoryKwargs,
  namedErrors,
  parameterOf,
  pyStr,
  signature,
  type ArgsOf,
  type FactoryKwargs,
} from './_layer_utils.js';
import { Module } from './module.js';
import { _ntuple, _reverse_repeat_tuple } from './utils.js';

/** How a convolution pads its input: 'zeros' (implicit, the default), or by F.pad with 'reflect', 'replicate' or 'circular'. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
/** A convolution's padding: an int, one int per spatial dimension, or 'same' / 'valid'. */
export type ConvPadding = number | number[] | 'same' | 'valid';

const VALID_PADDING_STRINGS = ['same', 'valid'];
const VALID_PADDING_MODES = ['zeros', 'reflect', 'replicate', 'circular'];
/** Python's repr of a set of strings, for the messages that print one. */
const pySet = (names: string[]) => `{${names.map((n) => `'${n}'`).join(', ')}}`;

/**
 * Base class of the convolution layers (Python: `_ConvNd`). Holds the normalised arguments
 * (one entry per spatial dimension), creates weight and bias, and initialises them as
 * PyTorch does.
 */
export class _ConvNd extends Module {
  declare in_channels: number;
  declare out_channels: number;
  declare kernel_size: number[];
  declare stride: number[];
  /** One int per spatial dimension, or 'same' / 'valid'. */
  declare padding: number[] | 'same' | 'valid';
  declare dilation: number[];
  declare transposed: boolean;
  declare output_padding: number[];
  declare groups: number;
  declare padding_mode: PaddingMode;
  /** F.pad's padding for the non-'zeros' padding modes (last dimension first, both sides). */
  declare _reversed_padding_repeated_twice: number[];
  /** (out_channels, in_channels / groups, *kernel_size), or (in_channels, out_channels / groups, *kernel_size) when transposed. */
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(
    in_channels: number,
    out_channels: number,
    kernel_size: number[],
    stride: number[],
    padding: number[] | 'same' | 'valid',
    dilation: number[],
    transposed: boolean,
    output_padding: number[],
    groups: number,
    bias: boolean,
    padding_mode: string,
    factory: FactoryKwargs = {},
  ) {
    super();
    const where = `nn.${this.constructor.name}`;
    checkSize(where, 'in_channels', in_channels);
    checkSize(where, 'out_channels', out_channels);
    if (typeof groups !== 'number' || !Number.isInteger(groups)) throw argumentError(where, 'groups', 'an integer', groups);
    checkBool(where, 'bias', bias);
    checkString(where, 'padding_mode', padding_mode);
    if (groups <= 0) throw new ValueError('groups must be a positive integer');
    if (in_channels % groups !== 0) throw new ValueError('in_channels must be divisible by groups');
    if (out_channels % groups !== 0) throw new ValueError('out_channels must be divisible by groups');
    if (typeof padding === 'string') {
      if (!VALID_PADDING_STRINGS.includes(padding)) {
        throw new ValueError(`Invalid padding string '${padding}', should be one of ${pySet(VALID_PADDING_STRINGS)}`);
      }
      if (padding === 'same' && stride.some((s) => s !== 1)) throw new ValueError("padding='same' is not supported for strided convolutions");
    }
    if (!VALID_PADDING_MODES.includes(padding_mode)) {
      throw new ValueError(`padding_mode must be one of ${pySet(VALID_PADDING_MODES)}, but got padding_mode='${padding_mode}'`);
    }
    this.in_channels = in_channels;
    this.out_channels = out_channels;
    this.kernel_size = kernel_size;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.transposed = transposed;
    this.output_padding = output_padding;
    this.groups = groups;
    this.padding_mode = padding_mode as PaddingMode;
    if (typeof padding === 'string') {
      const reversed = new Array<number>(2 * kernel_size.length).fill(0);
      if (padding === 'same') {
        // zip(dilation, kernel_size, range(len - 1, -1, -1)): the last dimension comes first in F.pad's order.
        for (let d = 0; d < kernel_size.length; d++) {
          const i = kernel_size.length - 1 - d;
          const total_padding = dilation[d] * (kernel_size[d] - 1);
          const left_pad = Math.floor(total_padding / 2);
          reversed[2 * i] = left_pad;
          reversed[2 * i + 1] = total_padding - left_pad;
        }
      }
      this._reversed_padding_repeated_twice = reversed;
    } else {
      this._reversed_padding_repeated_twice = _reverse_repeat_tuple(padding, 2);
    }
    const shape = transposed
      ? [in_channels, Math.floor(out_channels / groups), ...kernel_size]
      : [out_channels, Math.floor(in_channels / groups), ...kernel_size];
    this.weight = parameterOf(torch.empty(shape, factory));
    if (bias) this.bias = parameterOf(torch.empty(out_channels, factory));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /** Re-draws weight (kaiming_uniform_ with a = sqrt(5)) and bias (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), as PyTorch does. */
  reset_parameters(): void {
    init.kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fan_in] = init._calculate_fan_in_and_fan_out(this.weight);
      if (fan_in !== 0) {
        const bound = 1 / Math.sqrt(fan_in);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }

  override extra_repr(): string {
    let s = `${this.in_channels}, ${this.out_channels}, kernel_size=${pyStr(this.kernel_size)}, stride=${pyStr(this.stride)}`;
    // Python compares with a tuple of zeros as long as padding, so a padding string always shows.
    if (typeof this.padding === 'string' || this.padding.some((p) => p !== 0)) s += `, padding=${pyStr(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyStr(this.dilation)}`;
    if (this.output_padding.some((p) => p !== 0)) s += `, output_padding=${pyStr(this.output_padding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.padding_mode !== 'zeros') s += `, padding_mode=${this.padding_mode}`;
    return s;
  }
}

const CONV_PARAMS = [
  ['stride', 1 as number | number[]],
  ['padding', 0 as ConvPadding],
  ['dilation', 1 as number | number[]],
  ['groups', 1 as number],
  ['bias', true as boolean],
  ['padding_mode', 'zeros' as PaddingMode],
  ...FACTORY,
] as const;
/** The optional arguments of Conv1d/2d/3d: `(stride, padding, dilation, groups, bias, padding_mode, device, dtype)` positionally, or by name in an options object. */
export type ConvArgs = ArgsOf<typeof CONV_PARAMS>;

/** Normalises the arguments of Conv{n}d into per-dimension arrays and calls _ConvNd's constructor's arguments. */
function convArguments(name: string, n: number, kernel_size: unknown, args: readonly unknown[]) {
  const a = signature(`nn.${name}`, 3, CONV_PARAMS).parse(args);
  const where = `nn.${name}`;
  const ntuple = _ntuple(n);
  const kernel = ntuple(checkIntOrTuple(where, 'kernel_size', kernel_size, n, 1));
  const stride = ntuple(checkIntOrTuple(where, 'stride', a.stride, n, 1));
  let padding: number[] | 'same' | 'valid';
  if (typeof a.padding === 'string') padding = a.padding;
  else padding = ntuple(checkIntOrTuple(where, 'padding', a.padding, n));
  const dilation = ntuple(checkIntOrTuple(where, 'dilation', a.dilation, n, 1));
  return [kernel, stride, padding, dilation, false, ntuple(0), a.groups, a.bias, a.padding_mode, factoryKwargs(a)] as const;
}

/** The convolution itself, after the padding mode's F.pad when it is not 'zeros'. */
function convolve(m: _ConvNd, op: typeof F.conv1d, input: Tensor): Tensor {
  return namedErrors(m.constructor.name, () => {
    if (m.padding_mode !== 'zeros') {
      const padded = F.pad(input, m._reversed_padding_repeated_twice, m.padding_mode);
      return op(padded, m.weight, m.bias, m.stride, 0, m.dilation, m.groups);
    }
    if (typeof m.padding === 'string') return op(input, m.weight, m.bias, { stride: m.stride, padding: m.padding, dilation: m.dilation, groups: m.groups });
    return op(input, m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups);
  });
}

/**
 * 1-D convolution over an input of several channels (Python: `nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None)`).
 *
 * Args:
 *   in_channels, out_channels: channels of the input and of the output.
 *   kernel_size, stride, dilation: an int or [k].
 *   padding: an int or [p] added on both sides, or 'same' / 'valid'.
 *   groups: blocked connections from input to output channels; must divide both.
 *   bias: whether to learn an additive bias (default true).
 *   padding_mode: 'zeros' (default), 'reflect', 'replicate' or 'circular'.
 *   device, dtype: where and how to create the parameters.
 *
 * Shape: input (N, C_in, L_in) or (C_in, L_in); output (N, C_out, L_out) with
 * L_out = floor((L_in + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1).
 *
 * Example: `new nn.Conv1d(16, 33, 3, { stride: 2 }).forward(torch.randn(20, 16, 50))`
 */
export class Conv1d extends _ConvNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], ...args: ConvArgs) {
    super(in_channels, out_channels, ...convArguments('Conv1d', 1, kernel_size, args));
  }

  override forward(input: Tensor): Tensor {
    return convolve(this, F.conv1d, input);
  }
}

/**
 * 2-D convolution over an input of several channels (Python: `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None)`).
 *
 * Args:
 *   in_channels, out_channels: channels of the input and of the output.
 *   kernel_size, stride, dilation: an int, or [h, w].
 *   padding: an int or [h, w] added on both sides, or 'same' / 'valid'.
 *   groups: blocked connections from input to output channels; must divide both.
 *   bias: whether to learn an additive bias (default true).
 *   padding_mode: 'zeros' (default), 'reflect', 'replicate' or 'circular'.
 *   device, dtype: where and how to create the parameters.
 *
 * Positional in Python's order, or by name in a trailing options object.
 *
 * Shape: input (N, C_in, H_in, W_in) or (C_in, H_in, W_in); output (N, C_out, H_out, W_out).
 *
 * Attributes: weight (out_channels, in_channels / groups, kH, kW) and bias (out_channels),
 * from U(-sqrt(k), sqrt(k)) with k = groups / (C_in kH kW).
 *
 * Example:
 * ```ts
 * const conv = new nn.Conv2d(3, 32, 3, { padding: 1 });
 * conv.forward(torch.randn(2, 3, 32, 32)).shape  // [2, 32, 32, 32]
 * ```
 */
export class Conv2d extends _ConvNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], ...args: ConvArgs) {
    super(in_channels, out_channels, ...convArguments('Conv2d', 2, kernel_size, args));
  }

  override forward(input: Tensor): Tensor {
    return convolve(this, F.conv2d, input);
  }
}

/**
 * 3-D convolution over an input of several channels (Python: `nn.Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None)`).
 *
 * Args: as Conv2d, with [d, h, w] for the per-dimension arguments.
 *
 * Shape: input (N, C_in, D_in, H_in, W_in) or (C_in, D_in, H_in, W_in); output (N, C_out, D_out, H_out, W_out).
 *
 * Example: `new nn.Conv3d(4, 8, [3, 3, 3], { padding: 1 })`
 */
export class Conv3d extends _ConvNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], ...args: ConvArgs) {
    super(in_channels, out_channels, ...convArguments('Conv3d', 3, kernel_size, args));
  }

  override forward(input: Tensor): Tensor {
    return convolve(this, F.conv3d, input);
  }
}

/** Base class of the transposed convolutions (Python: `_ConvTransposeNd`): only 'zeros' padding, and output_size handling. */
export class _ConvTransposeNd extends _ConvNd {
  constructor(
    in_channels: number,
    out_channels: number,
    kernel_size: number[],
    stride: number[],
    padding: number[],
    dilation: number[],
    transposed: boolean,
    output_padding: number[],
    groups: number,
    bias: boolean,
    padding_mode: string,
    factory: FactoryKwargs = {},
  ) {
    if (padding_mode !== 'zeros') throw new ValueError(`Only "zeros" padding mode is supported for ${new.target.name}`);
    super(in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding, groups, bias, padding_mode, factory);
  }

  /**
   * The output_padding that gives `output_size` (the spatial sizes, optionally with the batch
   * and channel dimensions in front), or the module's own output_padding when it is null.
   * Throws ValueError for a size that no output_padding reaches.
   */
  _output_padding(
    input: Tensor,
    output_size: number[] | null,
    stride: number[],
    padding: number[],
    kernel_size: number[],
    num_spatial_dims: number,
    dilation: number[] | null = null,
  ): number[] {
    if (output_size === null) return [...this.output_padding];
    const has_batch_dim = input.dim() === num_spatial_dims + 2;
    const num_non_spatial_dims = has_batch_dim ? 2 : 1;
    let size = output_size;
    if (size.length === num_non_spatial_dims + num_spatial_dims) size = size.slice(num_non_spatial_dims);
    if (size.length !== num_spatial_dims) {
      throw new ValueError(
        `ConvTranspose${num_spatial_dims}D: for ${input.dim()}D input, output_size must have ${num_spatial_dims} or ${num_non_spatial_dims + num_spatial_dims} elements (got ${size.length})`,
      );
    }
    const min_sizes: number[] = [];
    const max_sizes: number[] = [];
    for (let d = 0; d < num_spatial_dims; d++) {
      const dim_size = (input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d] + (dilation !== null ? dilation[d] : 1) * (kernel_size[d] - 1) + 1;
      min_sizes.push(dim_size);
      max_sizes.push(min_sizes[d] + stride[d] - 1);
    }
    for (let i = 0; i < size.length; i++) {
      if (size[i] < min_sizes[i] || size[i] > max_sizes[i]) {
        throw new ValueError(
          `requested an output size of [${size.join(', ')}], but valid sizes range from [${min_sizes.join(', ')}] to [${max_sizes.join(', ')}] (for an input of torch.Size([${input.shape.slice(2).join(', ')}]))`,
        );
      }
    }
    return size.map((s, d) => s - min_sizes[d]);
  }

  /** @internal The transposed convolution of Conv{n}d's forward. */
  _transposed(op: typeof F.conv_transpose1d, num_spatial_dims: number, input: Tensor, output_size: number[] | null): Tensor {
    if (this.padding_mode !== 'zeros') throw new ValueError(`Only \`zeros\` padding mode is supported for ${this.constructor.name}`);
    if (output_size !== null && !Array.isArray(output_size)) throw argumentError(`${this.constructor.name}.forward`, 'output_size', 'an array of ints or null', output_size);
    const padding = this.padding as number[];
    return namedErrors(this.constructor.name, () => {
      const output_padding = this._output_padding(input, output_size, this.stride, padding, this.kernel_size, num_spatial_dims, this.dilation);
      return op(input, this.weight, this.bias, this.stride, padding, output_padding, this.groups, this.dilation);
    });
  }
}

const CONV_TRANSPOSE_PARAMS = [
  ['stride', 1 as number | number[]],
  ['padding', 0 as number | number[]],
  ['output_padding', 0 as number | number[]],
  ['groups', 1 as number],
  ['bias', true as boolean],
  ['dilation', 1 as number | number[]],
  ['padding_mode', 'zeros' as PaddingMode],
  ...FACTORY,
] as const;
/** The optional arguments of ConvTranspose1d/2d/3d: `(stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype)` positionally, or by name. */
export type ConvTransposeArgs = ArgsOf<typeof CONV_TRANSPOSE_PARAMS>;

function convTransposeArguments(name: string, n: number, kernel_size: unknown, args: readonly unknown[]) {
  const where = `nn.${name}`;
  const a = signature(where, 3, CONV_TRANSPOSE_PARAMS).parse(args);
  if (typeof a.padding === 'string') throw new TorchTypeError(`${where}: padding='${a.padding}' is only supported by the non-transposed convolutions`);
  const ntuple = _ntuple(n);
  const kernel = ntuple(checkIntOrTuple(where, 'kernel_size', kernel_size, n, 1));
  const stride = ntuple(checkIntOrTuple(where, 'stride', a.stride, n, 1));
  const padding = ntuple(checkIntOrTuple(where, 'padding', a.padding, n));
  const dilation = ntuple(checkIntOrTuple(where, 'dilation', a.dilation, n, 1));
  const output_padding = ntuple(checkIntOrTuple(where, 'output_padding', a.output_padding, n));
  return [kernel, stride, padding, dilation, true, output_padding, a.groups, a.bias, a.padding_mode as string, factoryKwargs(a)] as const;
}

/**
 * 1-D transposed convolution, the gradient of Conv1d with respect to its input
 * (Python: `nn.ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None)`).
 *
 * Shape: input (N, C_in, L_in) or (C_in, L_in); output (N, C_out, L_out) with
 * L_out = (L_in - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1.
 *
 * Attributes: weight (in_channels, out_channels / groups, kernel_size).
 *
 * Example: `new nn.ConvTranspose1d(4, 2, 3, 2).forward(x, [2, 2, 11])  // output_size picks the output_padding`
 */
export class ConvTranspose1d extends _ConvTransposeNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], ...args: ConvTransposeArgs) {
    super(in_channels, out_channels, ...convTransposeArguments('ConvTranspose1d', 1, kernel_size, args));
  }

  /** Args: output_size: the wanted output size (spatial, or full); it picks the output_padding. */
  override forward(input: Tensor, output_size: number[] | null = null): Tensor {
    return this._transposed(F.conv_transpose1d, 1, input, output_size);
  }
}

/**
 * 2-D transposed convolution (Python: `nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None)`).
 *
 * Shape: input (N, C_in, H_in, W_in) or (C_in, H_in, W_in); output (N, C_out, H_out, W_out) with
 * H_out = (H_in - 1) stride[0] - 2 padding[0] + dilation[0] (kernel_size[0] - 1) + output_padding[0] + 1.
 *
 * Attributes: weight (in_channels, out_channels / groups, kH, kW).
 *
 * Example: `const up = new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1 }); up.forward(h, [12, 12])`
 */
export class ConvTranspose2d extends _ConvTransposeNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], ...args: ConvTransposeArgs) {
    super(in_channels, out_channels, ...convTransposeArguments('ConvTranspose2d', 2, kernel_size, args));
  }

  /** Args: output_size: the wanted output size (spatial, or full); it picks the output_padding. */
  override forward(input: Tensor, output_size: number[] | null = null): Tensor {
    return this._transposed(F.conv_transpose2d, 2, input, output_size);
  }
}

/**
 * 3-D transposed convolution (Python: `nn.ConvTranspose3d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None)`).
 *
 * Shape: input (N, C_in, D_in, H_in, W_in) or (C_in, D_in, H_in, W_in); output (N, C_out, D_out, H_out, W_out).
 */
export class ConvTranspose3d extends _ConvTransposeNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], ...args: ConvTransposeArgs) {
    super(in_channels, out_channels, ...convTransposeArguments('ConvTranspose3d', 3, kernel_size, args));
  }

  /** Args: output_size: the wanted output size (spatial, or full); it picks the output_padding. */
  override forward(input: Tensor, output_size: number[] | null = null): Tensor {
    return this._transposed(F.conv_transpose3d, 3, input, output_size);
  }
}
