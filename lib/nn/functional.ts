// torch.nn.functional: the stateless layer of torch.nn, after torch/nn/functional.py
// (PyTorch 1.13), written over the generated ATen op surface. Where Python's function is
// an ATen op itself (F.conv2d is torch.conv2d), so is ours; elsewhere the Python body is
// ported: the same checks, messages, warnings and ATen calls in the same order, so that
// results (and seeded random draws) match PyTorch's.
//
// Calling convention, the same as the generated ops: required arguments are positional;
// the optional ones may follow positionally in Python's order, and/or come in a trailing
// options object under their Python names:
//   F.max_pool2d(x, 2, 2, 1)        F.max_pool2d(x, 2, { stride: 2, padding: 1 })
// Python's None is null (undefined means "not given").
import { makeFunction } from '../_ops/dispatch.js';
import { Signature, signature, type ArgsOf, type OptionsOf, type Param, type ParamList, type PositionalOf, type Prefixes } from '../_args.js';
import type { GeneratedTorchFunctions, Generated_nn_Functions } from '../_generated/signatures.js';
import { DType, bool as torchBool, contiguous_format, int64, uint8 } from '../dtype.js';
import { NotImplementedError, TorchError, TorchTypeError, ValueError, argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import * as _Reduction from './_reduction.js';
import { warn } from './_reduction.js';
import { _list_with_default, _pair, _single, _triple, type ScalarOrTuple } from './modules/utils.js';

export type { ScalarOrTuple } from './modules/utils.js';
export { _Reduction };

/** An int or one int per spatial dimension (Python's `BroadcastingList2[int]` and kin). */
export type IntOrTuple = ScalarOrTuple<number>;
/** A loss reduction: 'none' | 'mean' | 'sum'. */
export type Reduction = _Reduction.Reduction;

// ---- argument handling ----------------------------------------------------------------

type Before<P extends ParamList, N extends string> = P extends readonly [infer E extends Param, ...infer R extends ParamList] ? (E[0] extends N ? [] : [E, ...Before<R, N>]) : [];
type UpTo<P extends ParamList, N extends string, T> = P extends readonly [infer E extends Param, ...infer R extends ParamList]
  ? E[0] extends N ? [T] : [E[1] | undefined, ...UpTo<R, N, T>]
  : [];
type Narrowed<P extends ParamList, N extends string, T> = { [I in keyof P]: P[I] extends readonly [N, unknown] ? readonly [N, T] : P[I] };
/** The calls that set the flag `N` to true: positionally, or in the options. */
type FlagArgs<P extends ParamList, N extends string> =
  | UpTo<P, N, true>
  | [...UpTo<P, N, true>, OptionsOf<P>]
  | RequiredOptions<Prefixes<PositionalOf<Before<P, N>>>, OptionsOf<P> & { [K in N]: true }>;
type RequiredOptions<T, O> = T extends unknown[] ? [...T, O] : never;
/** The calls that leave the flag `N` false. */
type NoFlagArgs<P extends ParamList, N extends string> = ArgsOf<Narrowed<P, N, false>>;

type Args<S> = S extends Signature<infer P, infer K> ? ArgsOf<P, K> : never;

/** A torch.* ATen function as a function of this module (Python binds these directly too). */
function aten<N extends keyof GeneratedTorchFunctions>(name: N): GeneratedTorchFunctions[N] {
  return makeFunction(name) as unknown as GeneratedTorchFunctions[N];
}
/** A torch._C._nn ATen function as a function of this module. */
function atenNN<N extends keyof Generated_nn_Functions>(name: N): Generated_nn_Functions[N] {
  return makeFunction(name) as unknown as Generated_nn_Functions[N];
}

// ---- small shared helpers ------------------------------------------------------------------

function checkTensor(where: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw argumentError(where, name, 'a Tensor', value);
}
function checkOptionalTensor(where: string, name: string, value: unknown): asserts value is Tensor | null {
  if (value !== null && !(value instanceof Tensor)) throw argumentError(where, name, 'a Tensor or null', value);
}
function checkNumber(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw argumentError(where, name, 'a number', value);
}
function checkInt(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argumentError(where, name, 'an integer', value);
}
function checkBool(where: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw argumentError(where, name, 'a boolean', value);
}

/** Python's repr of a torch.Size, for messages: `torch.Size([2, 3])`. */
function pySize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}
/** Python's repr of a list of numbers or nulls, for messages: `[2, None]`. */
function pyList(values: readonly unknown[]): string {
  return `[${values.map((v) => (v === null || v === undefined ? 'None' : typeof v === 'string' ? `'${v}'` : String(v))).join(', ')}]`;
}
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
/** Broadcasts two shapes (ATen's infer_size), with its error for sizes that do not match. */
function inferSize(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const offset = n - 1 - i;
    const dimA = a.length - 1 - offset;
    const dimB = b.length - 1 - offset;
    const sizeA = dimA >= 0 ? a[dimA] : 1;
    const sizeB = dimB >= 0 ? b[dimB] : 1;
    if (sizeA !== sizeB && sizeA !== 1 && sizeB !== 1) {
      throw new TorchError(`The size of tensor a (${sizeA}) must match the size of tensor b (${sizeB}) at non-singleton dimension ${i}`);
    }
    out[i] = sizeA === 1 ? sizeB : sizeA;
  }
  return out;
}
/** Python's floor division of ints. */
const floorDiv = (a: number, b: number): number => Math.floor(a / b);

// ---- convolutions ------------------------------------------------------------------------

/**
 * 1-D convolution over an input of shape (N, C_in, L) or (C_in, L).
 *
 * Python: `conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`;
 * `padding` may also be 'valid' or 'same'.
 *
 * Example: `F.conv1d(x, w, null, 1, 'same')` or `F.conv1d(x, w, { padding: 1 })`
 */
export const conv1d = aten('conv1d');
/**
 * 2-D convolution over an input of shape (N, C_in, H, W) or (C_in, H, W).
 *
 * Python: `conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`;
 * `stride`, `padding`, `dilation` take an int or [h, w]; `padding` may also be 'valid' or 'same'.
 *
 * Shape: weight (C_out, C_in / groups, kH, kW); bias (C_out).
 * Example: `F.conv2d(x, w, b, { padding: 1 })`
 */
export const conv2d = aten('conv2d');
/** 3-D convolution. Python: `conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`. */
export const conv3d = aten('conv3d');
/**
 * 1-D transposed convolution ("deconvolution").
 * Python: `conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)`.
 *
 * Shape: weight (C_in, C_out / groups, kW).
 */
export const conv_transpose1d = aten('conv_transpose1d');
/**
 * 2-D transposed convolution.
 * Python: `conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)`.
 *
 * Shape: weight (C_in, C_out / groups, kH, kW).
 */
export const conv_transpose2d = aten('conv_transpose2d');
/** 3-D transposed convolution. Python: `conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)`. */
export const conv_transpose3d = aten('conv_transpose3d');
/** 1-D convolution over (time, batch, channels) input. Python: `conv_tbc(input, weight, bias, pad=0)`. */
export const conv_tbc = aten('conv_tbc');

// ---- pooling ----------------------------------------------------------------------------

const AVG_POOL1D = signature('avg_pool1d', 2, [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
  ['ceil_mode', false as boolean],
  ['count_include_pad', true as boolean],
]);
/**
 * 1-D average pooling. Python: `avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)`.
 *
 * Args: stride defaults to kernel_size.
 * Example: `F.avg_pool1d(x, 3, 2)`
 */
export function avg_pool1d(input: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof AVG_POOL1D>): Tensor {
  const a = AVG_POOL1D.parse(args);
  return torch.avg_pool1d(input, kernel_size as number[], a.stride ?? [], a.padding as number[], a.ceil_mode, a.count_include_pad);
}

const AVG_POOL2D = signature('avg_pool2d', 2, [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
  ['ceil_mode', false as boolean],
  ['count_include_pad', true as boolean],
  ['divisor_override', null as number | null],
]);
/**
 * 2-D average pooling.
 * Python: `avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)`.
 *
 * Args: stride defaults to kernel_size; divisor_override replaces the window size as divisor.
 */
export function avg_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof AVG_POOL2D>): Tensor {
  const a = AVG_POOL2D.parse(args);
  return torch._nn.avg_pool2d(input, kernel_size as number[], a.stride ?? [], a.padding as number[], a.ceil_mode, a.count_include_pad, a.divisor_override);
}

const AVG_POOL3D = signature('avg_pool3d', 2, AVG_POOL2D.params);
/** 3-D average pooling. Python: `avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)`. */
export function avg_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof AVG_POOL3D>): Tensor {
  const a = AVG_POOL3D.parse(args);
  return torch._nn.avg_pool3d(input, kernel_size as number[], a.stride ?? [], a.padding as number[], a.ceil_mode, a.count_include_pad, a.divisor_override);
}

const MAX_POOL_PARAMS = [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
  ['dilation', 1 as IntOrTuple],
  ['ceil_mode', false as boolean],
  ['return_indices', false as boolean],
] as const;
type MaxPoolParams = typeof MAX_POOL_PARAMS;
/** Options of max_pool1d/2d/3d. */
export type MaxPoolOptions = OptionsOf<MaxPoolParams>;
const MAX_POOL1D = signature('max_pool1d', 2, MAX_POOL_PARAMS);
const MAX_POOL1D_WITH_INDICES = signature('max_pool1d_with_indices', 2, MAX_POOL_PARAMS);
const MAX_POOL2D = signature('max_pool2d', 2, MAX_POOL_PARAMS);
const MAX_POOL2D_WITH_INDICES = signature('max_pool2d_with_indices', 2, MAX_POOL_PARAMS);
const MAX_POOL3D = signature('max_pool3d', 2, MAX_POOL_PARAMS);
const MAX_POOL3D_WITH_INDICES = signature('max_pool3d_with_indices', 2, MAX_POOL_PARAMS);

/** 1-D max pooling that also returns the argmax indices: `[output, indices]`. Same arguments as max_pool1d. */
export function max_pool1d_with_indices(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): [Tensor, Tensor] {
  const a = MAX_POOL1D_WITH_INDICES.parse(args);
  return torch.max_pool1d_with_indices(input, kernel_size as number[], a.stride ?? [], a.padding as number[], a.dilation as number[], a.ceil_mode);
}
/**
 * 1-D max pooling.
 * Python: `max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)`.
 *
 * Returns `[output, indices]` when return_indices is true.
 */
export function max_pool1d(input: Tensor, kernel_size: IntOrTuple, ...args: FlagArgs<MaxPoolParams, 'return_indices'>): [Tensor, Tensor];
export function max_pool1d(input: Tensor, kernel_size: IntOrTuple, ...args: NoFlagArgs<MaxPoolParams, 'return_indices'>): Tensor;
export function max_pool1d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): Tensor | [Tensor, Tensor];
export function max_pool1d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): Tensor | [Tensor, Tensor] {
  const a = MAX_POOL1D.parse(args);
  const stride = a.stride ?? [];
  if (a.return_indices) return torch.max_pool1d_with_indices(input, kernel_size as number[], stride, a.padding as number[], a.dilation as number[], a.ceil_mode);
  return torch.max_pool1d(input, kernel_size as number[], stride, a.padding as number[], a.dilation as number[], a.ceil_mode);
}

/** 2-D max pooling that also returns the argmax indices: `[output, indices]`. Same arguments as max_pool2d. */
export function max_pool2d_with_indices(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): [Tensor, Tensor] {
  const a = MAX_POOL2D_WITH_INDICES.parse(args);
  return torch._nn.max_pool2d_with_indices(input, kernel_size as number[], a.stride ?? [], a.padding as number[], a.dilation as number[], a.ceil_mode);
}
/**
 * 2-D max pooling.
 * Python: `max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)`.
 *
 * Returns `[output, indices]` when return_indices is true (the indices max_unpool2d takes).
 * Example: `F.max_pool2d(x, 2)`; `const [y, idx] = F.max_pool2d(x, 2, { return_indices: true })`
 */
export function max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: FlagArgs<MaxPoolParams, 'return_indices'>): [Tensor, Tensor];
export function max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: NoFlagArgs<MaxPoolParams, 'return_indices'>): Tensor;
export function max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): Tensor | [Tensor, Tensor];
export function max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): Tensor | [Tensor, Tensor] {
  const a = MAX_POOL2D.parse(args);
  const stride = a.stride ?? [];
  if (a.return_indices) return torch._nn.max_pool2d_with_indices(input, kernel_size as number[], stride, a.padding as number[], a.dilation as number[], a.ceil_mode);
  return torch.max_pool2d(input, kernel_size as number[], stride, a.padding as number[], a.dilation as number[], a.ceil_mode);
}

/** 3-D max pooling that also returns the argmax indices: `[output, indices]`. Same arguments as max_pool3d. */
export function max_pool3d_with_indices(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): [Tensor, Tensor] {
  const a = MAX_POOL3D_WITH_INDICES.parse(args);
  return torch._nn.max_pool3d_with_indices(input, kernel_size as number[], a.stride ?? [], a.padding as number[], a.dilation as number[], a.ceil_mode);
}
/**
 * 3-D max pooling.
 * Python: `max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)`.
 */
export function max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: FlagArgs<MaxPoolParams, 'return_indices'>): [Tensor, Tensor];
export function max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: NoFlagArgs<MaxPoolParams, 'return_indices'>): Tensor;
export function max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): Tensor | [Tensor, Tensor];
export function max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<MaxPoolParams>): Tensor | [Tensor, Tensor] {
  const a = MAX_POOL3D.parse(args);
  const stride = a.stride ?? [];
  if (a.return_indices) return torch._nn.max_pool3d_with_indices(input, kernel_size as number[], stride, a.padding as number[], a.dilation as number[], a.ceil_mode);
  return torch.max_pool3d(input, kernel_size as number[], stride, a.padding as number[], a.dilation as number[], a.ceil_mode);
}

function _unpool_output_size(input: Tensor, kernel_size: number[], stride: number[], padding: number[], output_size: readonly number[] | null): number[] {
  const input_size = input.shape;
  const default_size: number[] = [];
  for (let d = 0; d < kernel_size.length; d++) {
    default_size.push((input_size[input_size.length - kernel_size.length + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]);
  }
  if (output_size === null) return default_size;
  let size = [...output_size];
  if (size.length === kernel_size.length + 2) size = size.slice(2);
  if (size.length !== kernel_size.length) {
    throw new ValueError(`output_size should be a sequence containing ${kernel_size.length} or ${kernel_size.length + 2} elements, but it has a length of '${size.length}'`);
  }
  for (let d = 0; d < kernel_size.length; d++) {
    const min_size = default_size[d] - stride[d];
    const max_size = default_size[d] + stride[d];
    if (!(min_size < size[d] && size[d] < max_size)) {
      throw new ValueError(`invalid output_size "${pyList(size)}" (dim ${d} must be between ${min_size} and ${max_size})`);
    }
  }
  return size;
}

const MAX_UNPOOL_PARAMS = [
  ['stride', null as IntOrTuple | null],
  ['padding', 0 as IntOrTuple],
  ['output_size', null as number[] | null],
] as const;
const MAX_UNPOOL1D = signature('max_unpool1d', 3, MAX_UNPOOL_PARAMS);
const MAX_UNPOOL2D = signature('max_unpool2d', 3, MAX_UNPOOL_PARAMS);
const MAX_UNPOOL3D = signature('max_unpool3d', 3, MAX_UNPOOL_PARAMS);

/**
 * Partial inverse of max_pool1d: puts each value back at its index, zeros elsewhere.
 * Python: `max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None)`.
 */
export function max_unpool1d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof MAX_UNPOOL1D>): Tensor {
  const a = MAX_UNPOOL1D.parse(args);
  const kernel = _single(kernel_size);
  const stride = a.stride !== null ? _single(a.stride) : kernel;
  const output_size = _unpool_output_size(input, kernel, stride, _single(a.padding), a.output_size);
  return torch._nn.max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), [...output_size, 1]).squeeze(-1);
}
/**
 * Partial inverse of max_pool2d. Python: `max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None)`.
 */
export function max_unpool2d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof MAX_UNPOOL2D>): Tensor {
  const a = MAX_UNPOOL2D.parse(args);
  const kernel = _pair(kernel_size);
  const stride = a.stride !== null ? _pair(a.stride) : kernel;
  const output_size = _unpool_output_size(input, kernel, stride, _pair(a.padding), a.output_size);
  return torch._nn.max_unpool2d(input, indices, output_size);
}
/**
 * Partial inverse of max_pool3d. Python: `max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None)`.
 */
export function max_unpool3d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof MAX_UNPOOL3D>): Tensor {
  const a = MAX_UNPOOL3D.parse(args);
  const kernel = _triple(kernel_size);
  const stride = a.stride !== null ? _triple(a.stride) : kernel;
  const padding = _triple(a.padding);
  const output_size = _unpool_output_size(input, kernel, stride, padding, a.output_size);
  return torch._nn.max_unpool3d(input, indices, output_size, stride, padding);
}

const LP_POOL2D = signature('lp_pool2d', 3, [
  ['stride', null as IntOrTuple | null],
  ['ceil_mode', false as boolean],
]);
/**
 * 2-D power-average pooling: (sum of x^p over the window)^(1/p).
 * Python: `lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False)`.
 */
export function lp_pool2d(input: Tensor, norm_type: number, kernel_size: IntOrTuple, ...args: Args<typeof LP_POOL2D>): Tensor {
  const a = LP_POOL2D.parse(args);
  const [kw, kh] = _pair(kernel_size);
  const out = a.stride !== null
    ? avg_pool2d(input.pow(norm_type), kernel_size, a.stride, 0, a.ceil_mode)
    : avg_pool2d(input.pow(norm_type), kernel_size, { padding: 0, ceil_mode: a.ceil_mode });
  return torch.sign(out).mul(relu(torch.abs(out))).mul(kw * kh).pow(1.0 / norm_type);
}

const LP_POOL1D = signature('lp_pool1d', 3, LP_POOL2D.params);
/**
 * 1-D power-average pooling. Python: `lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False)`.
 */
export function lp_pool1d(input: Tensor, norm_type: number, kernel_size: number, ...args: Args<typeof LP_POOL1D>): Tensor {
  const a = LP_POOL1D.parse(args);
  const out = a.stride !== null
    ? avg_pool1d(input.pow(norm_type), kernel_size, a.stride, 0, a.ceil_mode)
    : avg_pool1d(input.pow(norm_type), kernel_size, { padding: 0, ceil_mode: a.ceil_mode });
  return torch.sign(out).mul(relu(torch.abs(out))).mul(kernel_size).pow(1.0 / norm_type);
}

const ADAPTIVE_MAX_PARAMS = [['return_indices', false as boolean]] as const;
type AdaptiveMaxParams = typeof ADAPTIVE_MAX_PARAMS;
const ADAPTIVE_MAX_POOL1D = signature('adaptive_max_pool1d', 2, ADAPTIVE_MAX_PARAMS);
const ADAPTIVE_MAX_POOL1D_WITH_INDICES = signature('adaptive_max_pool1d_with_indices', 2, ADAPTIVE_MAX_PARAMS);
const ADAPTIVE_MAX_POOL2D = signature('adaptive_max_pool2d', 2, ADAPTIVE_MAX_PARAMS);
const ADAPTIVE_MAX_POOL2D_WITH_INDICES = signature('adaptive_max_pool2d_with_indices', 2, ADAPTIVE_MAX_PARAMS);
const ADAPTIVE_MAX_POOL3D = signature('adaptive_max_pool3d', 2, ADAPTIVE_MAX_PARAMS);
const ADAPTIVE_MAX_POOL3D_WITH_INDICES = signature('adaptive_max_pool3d_with_indices', 2, ADAPTIVE_MAX_PARAMS);
/** An adaptive pool's output size: an int, or one entry per dimension where null keeps the input's size. */
export type AdaptiveSize = number | readonly (number | null)[];

/** Adaptive 1-D max pooling returning `[output, indices]`. */
export function adaptive_max_pool1d_with_indices(input: Tensor, output_size: IntOrTuple, ...args: ArgsOf<AdaptiveMaxParams>): [Tensor, Tensor] {
  ADAPTIVE_MAX_POOL1D_WITH_INDICES.parse(args);
  return torch.adaptive_max_pool1d(input, output_size as number[]);
}
/**
 * Adaptive 1-D max pooling to `output_size` positions.
 * Python: `adaptive_max_pool1d(input, output_size, return_indices=False)`.
 */
export function adaptive_max_pool1d(input: Tensor, output_size: IntOrTuple, ...args: FlagArgs<AdaptiveMaxParams, 'return_indices'>): [Tensor, Tensor];
export function adaptive_max_pool1d(input: Tensor, output_size: IntOrTuple, ...args: NoFlagArgs<AdaptiveMaxParams, 'return_indices'>): Tensor;
export function adaptive_max_pool1d(input: Tensor, output_size: IntOrTuple, ...args: ArgsOf<AdaptiveMaxParams>): Tensor | [Tensor, Tensor];
export function adaptive_max_pool1d(input: Tensor, output_size: IntOrTuple, ...args: ArgsOf<AdaptiveMaxParams>): Tensor | [Tensor, Tensor] {
  const a = ADAPTIVE_MAX_POOL1D.parse(args);
  const result = torch.adaptive_max_pool1d(input, output_size as number[]);
  return a.return_indices ? result : result[0];
}

/** Adaptive 2-D max pooling returning `[output, indices]`. */
export function adaptive_max_pool2d_with_indices(input: Tensor, output_size: AdaptiveSize, ...args: ArgsOf<AdaptiveMaxParams>): [Tensor, Tensor] {
  ADAPTIVE_MAX_POOL2D_WITH_INDICES.parse(args);
  return torch._nn.adaptive_max_pool2d(input, _list_with_default(output_size, input.shape) as number[]);
}
/**
 * Adaptive 2-D max pooling to an (H, W) output; null entries keep the input's size.
 * Python: `adaptive_max_pool2d(input, output_size, return_indices=False)`.
 */
export function adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSize, ...args: FlagArgs<AdaptiveMaxParams, 'return_indices'>): [Tensor, Tensor];
export function adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSize, ...args: NoFlagArgs<AdaptiveMaxParams, 'return_indices'>): Tensor;
export function adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSize, ...args: ArgsOf<AdaptiveMaxParams>): Tensor | [Tensor, Tensor];
export function adaptive_max_pool2d(input: Tensor, output_size: AdaptiveSize, ...args: ArgsOf<AdaptiveMaxParams>): Tensor | [Tensor, Tensor] {
  const a = ADAPTIVE_MAX_POOL2D.parse(args);
  const result = torch._nn.adaptive_max_pool2d(input, _list_with_default(output_size, input.shape) as number[]);
  return a.return_indices ? result : result[0];
}

/** Adaptive 3-D max pooling returning `[output, indices]`. */
export function adaptive_max_pool3d_with_indices(input: Tensor, output_size: AdaptiveSize, ...args: ArgsOf<AdaptiveMaxParams>): [Tensor, Tensor] {
  ADAPTIVE_MAX_POOL3D_WITH_INDICES.parse(args);
  return torch._nn.adaptive_max_pool3d(input, _list_with_default(output_size, input.shape) as number[]);
}
/** Adaptive 3-D max pooling. Python: `adaptive_max_pool3d(input, output_size, return_indices=False)`. */
export function adaptive_max_pool3d(input: Tensor, output_size: AdaptiveSize, ...args: FlagArgs<AdaptiveMaxParams, 'return_indices'>): [Tensor, Tensor];
export function adaptive_max_pool3d(input: Tensor, output_size: AdaptiveSize, ...args: NoFlagArgs<AdaptiveMaxParams, 'return_indices'>): Tensor;
export function adaptive_max_pool3d(input: Tensor, output_size: AdaptiveSize, ...args: ArgsOf<AdaptiveMaxParams>): Tensor | [Tensor, Tensor];
export function adaptive_max_pool3d(input: Tensor, output_size: AdaptiveSize, ...args: ArgsOf<AdaptiveMaxParams>): Tensor | [Tensor, Tensor] {
  const a = ADAPTIVE_MAX_POOL3D.parse(args);
  const result = torch._nn.adaptive_max_pool3d(input, _list_with_default(output_size, input.shape) as number[]);
  return a.return_indices ? result : result[0];
}

/** Adaptive 1-D average pooling to `output_size` positions. Python: `adaptive_avg_pool1d(input, output_size)`. */
export const adaptive_avg_pool1d = aten('adaptive_avg_pool1d');
const ADAPTIVE_AVG_POOL2D = signature('adaptive_avg_pool2d', 2, []);
const ADAPTIVE_AVG_POOL3D = signature('adaptive_avg_pool3d', 2, []);
/**
 * Adaptive 2-D average pooling to an (H, W) output; null entries keep the input's size.
 * Python: `adaptive_avg_pool2d(input, output_size)`.
 *
 * Example: `F.adaptive_avg_pool2d(x, [1, null])`
 */
export function adaptive_avg_pool2d(input: Tensor, output_size: AdaptiveSize, ...rest: []): Tensor {
  ADAPTIVE_AVG_POOL2D.parse(rest);
  checkTensor('adaptive_avg_pool2d', 'input', input);
  return torch._nn.adaptive_avg_pool2d(input, _list_with_default(output_size, input.shape) as number[]);
}
/** Adaptive 3-D average pooling. Python: `adaptive_avg_pool3d(input, output_size)`. */
export function adaptive_avg_pool3d(input: Tensor, output_size: AdaptiveSize, ...rest: []): Tensor {
  ADAPTIVE_AVG_POOL3D.parse(rest);
  checkTensor('adaptive_avg_pool3d', 'input', input);
  return torch._nn.adaptive_avg_pool3d(input, _list_with_default(output_size, input.shape) as number[]);
}

const FRACTIONAL_PARAMS = [
  ['output_size', null as IntOrTuple | null],
  ['output_ratio', null as ScalarOrTuple<number> | null],
  ['return_indices', false as boolean],
  ['_random_samples', null as Tensor | null],
] as const;
type FractionalParams = typeof FRACTIONAL_PARAMS;
const FRACTIONAL_MAX_POOL2D = signature('fractional_max_pool2d', 2, FRACTIONAL_PARAMS);
const FRACTIONAL_MAX_POOL2D_WITH_INDICES = signature('fractional_max_pool2d_with_indices', 2, FRACTIONAL_PARAMS);
const FRACTIONAL_MAX_POOL3D = signature('fractional_max_pool3d', 2, FRACTIONAL_PARAMS);
const FRACTIONAL_MAX_POOL3D_WITH_INDICES = signature('fractional_max_pool3d_with_indices', 2, FRACTIONAL_PARAMS);

/** Fractional 2-D max pooling returning `[output, indices]`. Same arguments as fractional_max_pool2d. */
export function fractional_max_pool2d_with_indices(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<FractionalParams>): [Tensor, Tensor] {
  const a = FRACTIONAL_MAX_POOL2D_WITH_INDICES.parse(args);
  let output_size = a.output_size;
  if (output_size === null && a.output_ratio === null) {
    throw new ValueError('fractional_max_pool2d requires specifying either an output_size or an output_ratio');
  }
  if (output_size === null) {
    const ratio = _pair(a.output_ratio!);
    output_size = [Math.trunc(input.size(-2) * ratio[0]), Math.trunc(input.size(-1) * ratio[1])];
  }
  let samples = a._random_samples;
  if (samples === null) {
    const n_batch = input.dim() === 3 ? 1 : input.size(0);
    samples = torch.rand(n_batch, input.size(-3), 2, { dtype: input.dtype, device: input.device });
  }
  return torch._nn.fractional_max_pool2d(input, kernel_size as number[], output_size as number[], samples);
}
/**
 * 2-D max pooling over randomly sized windows (Graham, Fractional Max-Pooling).
 * Python: `fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None)`.
 */
export function fractional_max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: FlagArgs<FractionalParams, 'return_indices'>): [Tensor, Tensor];
export function fractional_max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: NoFlagArgs<FractionalParams, 'return_indices'>): Tensor;
export function fractional_max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<FractionalParams>): Tensor | [Tensor, Tensor];
export function fractional_max_pool2d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<FractionalParams>): Tensor | [Tensor, Tensor] {
  const a = FRACTIONAL_MAX_POOL2D.parse(args);
  const result = fractional_max_pool2d_with_indices(input, kernel_size, { ...a, return_indices: false });
  return a.return_indices ? result : result[0];
}

/** Fractional 3-D max pooling returning `[output, indices]`. Same arguments as fractional_max_pool3d. */
export function fractional_max_pool3d_with_indices(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<FractionalParams>): [Tensor, Tensor] {
  const a = FRACTIONAL_MAX_POOL3D_WITH_INDICES.parse(args);
  let output_size = a.output_size;
  if (output_size === null && a.output_ratio === null) {
    throw new ValueError('fractional_max_pool3d requires specifying either an output_size or an output_ratio');
  }
  if (output_size === null) {
    const ratio = _triple(a.output_ratio!);
    output_size = [Math.trunc(input.size(-3) * ratio[0]), Math.trunc(input.size(-2) * ratio[1]), Math.trunc(input.size(-1) * ratio[2])];
  }
  let samples = a._random_samples;
  if (samples === null) {
    const n_batch = input.dim() === 4 ? 1 : input.size(0);
    samples = torch.rand(n_batch, input.size(-4), 3, { dtype: input.dtype, device: input.device });
  }
  return torch._nn.fractional_max_pool3d(input, kernel_size as number[], output_size as number[], samples);
}
/**
 * 3-D fractional max pooling.
 * Python: `fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None)`.
 */
export function fractional_max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: FlagArgs<FractionalParams, 'return_indices'>): [Tensor, Tensor];
export function fractional_max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: NoFlagArgs<FractionalParams, 'return_indices'>): Tensor;
export function fractional_max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<FractionalParams>): Tensor | [Tensor, Tensor];
export function fractional_max_pool3d(input: Tensor, kernel_size: IntOrTuple, ...args: ArgsOf<FractionalParams>): Tensor | [Tensor, Tensor] {
  const a = FRACTIONAL_MAX_POOL3D.parse(args);
  const result = fractional_max_pool3d_with_indices(input, kernel_size, { ...a, return_indices: false });
  return a.return_indices ? result : result[0];
}

// ---- dropout ------------------------------------------------------------------------------

const DROPOUT_PARAMS = [
  ['p', 0.5 as number],
  ['training', true as boolean],
  ['inplace', false as boolean],
] as const;
/** Options of the dropout functions. */
export type DropoutOptions = OptionsOf<typeof DROPOUT_PARAMS>;
const ALPHA_DROPOUT_PARAMS = [
  ['p', 0.5 as number],
  ['training', false as boolean],
  ['inplace', false as boolean],
] as const;

function checkDropout(where: string, p: unknown, training: unknown, inplace: unknown): asserts p is number {
  checkNumber(where, 'p', p);
  if (p < 0.0 || p > 1.0) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
  checkBool(where, 'training', training);
  checkBool(where, 'inplace', inplace);
}

const DROPOUT = signature('dropout', 1, DROPOUT_PARAMS);
/**
 * Zeroes each element with probability p while training and scales the rest by 1/(1-p).
 * Python: `dropout(input, p=0.5, training=True, inplace=False)`. Draws from the default
 * generator exactly as PyTorch does, so seeded masks match.
 *
 * Example: `F.dropout(x, 0.2, model.training)`
 */
export function dropout(input: Tensor, ...args: Args<typeof DROPOUT>): Tensor {
  const { p, training, inplace } = DROPOUT.parse(args);
  checkDropout('dropout', p, training, inplace);
  return inplace ? torch.dropout_(input, p, training) : torch.dropout(input, p, training);
}

const ALPHA_DROPOUT = signature('alpha_dropout', 1, ALPHA_DROPOUT_PARAMS);
/**
 * Dropout that keeps the mean and variance of self-normalizing (SELU) activations.
 * Python: `alpha_dropout(input, p=0.5, training=False, inplace=False)`.
 */
export function alpha_dropout(input: Tensor, ...args: Args<typeof ALPHA_DROPOUT>): Tensor {
  const { p, training, inplace } = ALPHA_DROPOUT.parse(args);
  checkDropout('alpha_dropout', p, training, inplace);
  return inplace ? torch.alpha_dropout_(input, p, training) : torch.alpha_dropout(input, p, training);
}

const DROPOUT1D = signature('dropout1d', 1, DROPOUT_PARAMS);
/**
 * Zeroes whole channels of an (N, C, L) or (C, L) input with probability p.
 * Python: `dropout1d(input, p=0.5, training=True, inplace=False)`.
 */
export function dropout1d(input: Tensor, ...args: Args<typeof DROPOUT1D>): Tensor {
  const { p, training, inplace } = DROPOUT1D.parse(args);
  checkDropout('dropout1d', p, training, inplace);
  const inp_dim = input.dim();
  if (inp_dim !== 2 && inp_dim !== 3) {
    throw new TorchError(
      `dropout1d: Expected 2D or 3D input, but received a ${inp_dim}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`,
    );
  }
  const is_batched = inp_dim === 3;
  let x = input;
  if (!is_batched) x = inplace ? input.unsqueeze_(0) : input.unsqueeze(0);
  let result = inplace ? torch.feature_dropout_(x, p, training) : torch.feature_dropout(x, p, training);
  if (!is_batched) result = inplace ? result.squeeze_(0) : result.squeeze(0);
  return result;
}

const DROPOUT2D = signature('dropout2d', 1, DROPOUT_PARAMS);
/**
 * Zeroes whole channels of an (N, C, H, W) or (C, H, W) input with probability p.
 * Python: `dropout2d(input, p=0.5, training=True, inplace=False)`. As in PyTorch 1.13, a 3-D
 * input is taken as (N, C, L) with a warning.
 */
export function dropout2d(input: Tensor, ...args: Args<typeof DROPOUT2D>): Tensor {
  const { p, training, inplace } = DROPOUT2D.parse(args);
  checkDropout('dropout2d', p, training, inplace);
  const inp_dim = input.dim();
  if (inp_dim !== 3 && inp_dim !== 4) {
    warn(
      `dropout2d: Received a ${inp_dim}-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).`,
    );
  }
  if (inp_dim === 3) {
    warn(
      'dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.',
    );
  }
  return inplace ? torch.feature_dropout_(input, p, training) : torch.feature_dropout(input, p, training);
}

const DROPOUT3D = signature('dropout3d', 1, DROPOUT_PARAMS);
/**
 * Zeroes whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p.
 * Python: `dropout3d(input, p=0.5, training=True, inplace=False)`.
 */
export function dropout3d(input: Tensor, ...args: Args<typeof DROPOUT3D>): Tensor {
  const { p, training, inplace } = DROPOUT3D.parse(args);
  checkDropout('dropout3d', p, training, inplace);
  const inp_dim = input.dim();
  if (inp_dim !== 4 && inp_dim !== 5) {
    warn(
      `dropout3d: Received a ${inp_dim}-D input to dropout3d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).`,
    );
  }
  const is_batched = inp_dim === 5;
  let x = input;
  if (!is_batched) x = inplace ? input.unsqueeze_(0) : input.unsqueeze(0);
  let result = inplace ? torch.feature_dropout_(x, p, training) : torch.feature_dropout(x, p, training);
  if (!is_batched) result = inplace ? result.squeeze_(0) : result.squeeze(0);
  return result;
}

const FEATURE_ALPHA_DROPOUT = signature('feature_alpha_dropout', 1, ALPHA_DROPOUT_PARAMS);
/**
 * Alpha dropout of whole channels. Python: `feature_alpha_dropout(input, p=0.5, training=False, inplace=False)`.
 */
export function feature_alpha_dropout(input: Tensor, ...args: Args<typeof FEATURE_ALPHA_DROPOUT>): Tensor {
  const { p, training, inplace } = FEATURE_ALPHA_DROPOUT.parse(args);
  checkDropout('feature_alpha_dropout', p, training, inplace);
  return inplace ? torch.feature_alpha_dropout_(input, p, training) : torch.feature_alpha_dropout(input, p, training);
}

// ---- activations ----------------------------------------------------------------------------

const INPLACE = [['inplace', false as boolean]] as const;

const THRESHOLD = signature('threshold', 3, INPLACE);
/**
 * Replaces each element not greater than `threshold` by `value`.
 * Python: `threshold(input, threshold, value, inplace=False)`.
 */
export function threshold(input: Tensor, threshold: number, value: number, ...args: Args<typeof THRESHOLD>): Tensor {
  const { inplace } = THRESHOLD.parse(args);
  return inplace ? torch.threshold_(input, threshold, value) : torch.threshold(input, threshold, value);
}
/** In-place threshold. Python: `threshold_(input, threshold, value)`. */
export const threshold_ = aten('threshold_');

const RELU = signature('relu', 1, INPLACE);
/** max(0, x) elementwise. Python: `relu(input, inplace=False)`. */
export function relu(input: Tensor, ...args: Args<typeof RELU>): Tensor {
  const { inplace } = RELU.parse(args);
  return inplace ? torch.relu_(input) : torch.relu(input);
}
/** In-place relu. Python: `relu_(input)`. */
export const relu_ = aten('relu_');

const GLU = signature('glu', 1, [['dim', -1 as number]]);
/**
 * Gated linear unit: splits `input` in halves a, b along `dim` and returns a * sigmoid(b).
 * Python: `glu(input, dim=-1)`.
 */
export function glu(input: Tensor, ...args: Args<typeof GLU>): Tensor {
  const { dim } = GLU.parse(args);
  checkTensor('glu', 'input', input);
  if (input.dim() === 0) throw new TorchError('glu does not support scalars because halving size must be even');
  return torch._nn.glu(input, dim);
}

const HARDTANH = signature('hardtanh', 1, [
  ['min_val', -1.0 as number],
  ['max_val', 1.0 as number],
  ['inplace', false as boolean],
]);
/** Clamps to [min_val, max_val]. Python: `hardtanh(input, min_val=-1., max_val=1., inplace=False)`. */
export function hardtanh(input: Tensor, ...args: Args<typeof HARDTANH>): Tensor {
  const { min_val, max_val, inplace } = HARDTANH.parse(args);
  return inplace ? torch._nn.hardtanh_(input, min_val, max_val) : torch._nn.hardtanh(input, min_val, max_val);
}
/** In-place hardtanh. Python: `hardtanh_(input, min_val=-1., max_val=1.)`. */
export const hardtanh_ = atenNN('hardtanh_');

const RELU6 = signature('relu6', 1, INPLACE);
/** min(max(0, x), 6). Python: `relu6(input, inplace=False)`. */
export function relu6(input: Tensor, ...args: Args<typeof RELU6>): Tensor {
  const { inplace } = RELU6.parse(args);
  return inplace ? torch._nn.relu6_(input) : torch._nn.relu6(input);
}

const ELU = signature('elu', 1, [
  ['alpha', 1.0 as number],
  ['inplace', false as boolean],
]);
/** x if x > 0 else alpha * (exp(x) - 1). Python: `elu(input, alpha=1.0, inplace=False)`. */
export function elu(input: Tensor, ...args: Args<typeof ELU>): Tensor {
  const { alpha, inplace } = ELU.parse(args);
  return inplace ? torch._nn.elu_(input, alpha) : torch._nn.elu(input, alpha);
}
/** In-place elu. Python: `elu_(input, alpha=1.)`. */
export const elu_ = atenNN('elu_');

const SELU = signature('selu', 1, INPLACE);
/** Scaled ELU with the self-normalizing constants. Python: `selu(input, inplace=False)`. */
export function selu(input: Tensor, ...args: Args<typeof SELU>): Tensor {
  const { inplace } = SELU.parse(args);
  return inplace ? torch.selu_(input) : torch.selu(input);
}
/** In-place selu. Python: `selu_(input)`. */
export const selu_ = aten('selu_');

const CELU = signature('celu', 1, [
  ['alpha', 1.0 as number],
  ['inplace', false as boolean],
]);
/** max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). Python: `celu(input, alpha=1., inplace=False)`. */
export function celu(input: Tensor, ...args: Args<typeof CELU>): Tensor {
  const { alpha, inplace } = CELU.parse(args);
  return inplace ? torch.celu_(input, alpha) : torch.celu(input, alpha);
}
/** In-place celu. Python: `celu_(input, alpha=1.)`. */
export const celu_ = aten('celu_');

const LEAKY_RELU = signature('leaky_relu', 1, [
  ['negative_slope', 0.01 as number],
  ['inplace', false as boolean],
]);
/** x if x >= 0 else negative_slope * x. Python: `leaky_relu(input, negative_slope=0.01, inplace=False)`. */
export function leaky_relu(input: Tensor, ...args: Args<typeof LEAKY_RELU>): Tensor {
  const { negative_slope, inplace } = LEAKY_RELU.parse(args);
  return inplace ? torch._nn.leaky_relu_(input, negative_slope) : torch._nn.leaky_relu(input, negative_slope);
}
/** In-place leaky_relu. Python: `leaky_relu_(input, negative_slope=0.01)`. */
export const leaky_relu_ = atenNN('leaky_relu_');

/** max(0, x) + weight * min(0, x), weight per channel or shared. Python: `prelu(input, weight)`. */
export const prelu = aten('prelu');

const RRELU = signature('rrelu', 1, [
  ['lower', 1.0 / 8 as number],
  ['upper', 1.0 / 3 as number],
  ['training', false as boolean],
  ['inplace', false as boolean],
]);
/**
 * Randomized leaky ReLU: the negative slope is drawn from U(lower, upper) while training.
 * Python: `rrelu(input, lower=1./8, upper=1./3, training=False, inplace=False)`.
 */
export function rrelu(input: Tensor, ...args: Args<typeof RRELU>): Tensor {
  const { lower, upper, training, inplace } = RRELU.parse(args);
  return inplace ? torch.rrelu_(input, lower, upper, training) : torch.rrelu(input, lower, upper, training);
}
/** In-place rrelu. Python: `rrelu_(input, lower=1./8, upper=1./3, training=False)`. */
export const rrelu_ = aten('rrelu_');

/** log(1 / (1 + exp(-x))). Python: `logsigmoid(input)`. */
export const logsigmoid = atenNN('log_sigmoid');
/**
 * Gaussian error linear unit, x * Phi(x); `approximate: 'tanh'` uses the tanh estimate.
 * Python: `gelu(input, *, approximate='none')` (approximate is keyword-only).
 *
 * Example: `F.gelu(x, { approximate: 'tanh' })`
 */
export const gelu = atenNN('gelu');
/** x where |x| > lambd, else 0. Python: `hardshrink(input, lambd=0.5)`. */
export const hardshrink = aten('hardshrink');

const TANHSHRINK = signature('tanhshrink', 1, []);
/** x - tanh(x). Python: `tanhshrink(input)`. */
export function tanhshrink(input: Tensor, ...rest: []): Tensor {
  TANHSHRINK.parse(rest);
  checkTensor('tanhshrink', 'input', input);
  return input.sub(input.tanh());
}
const SOFTSIGN = signature('softsign', 1, []);
/** x / (1 + |x|). Python: `softsign(input)`. */
export function softsign(input: Tensor, ...rest: []): Tensor {
  SOFTSIGN.parse(rest);
  checkTensor('softsign', 'input', input);
  return input.div(input.abs().add(1));
}
/**
 * 1/beta * log(1 + exp(beta * x)), linear where beta * x > threshold.
 * Python: `softplus(input, beta=1, threshold=20)`.
 */
export const softplus = atenNN('softplus');
/** x - lambd where x > lambd, x + lambd where x < -lambd, else 0. Python: `softshrink(input, lambd=0.5)`. */
export const softshrink = atenNN('softshrink');

function _get_softmax_dim(name: string, ndim: number): number {
  warn(`Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`);
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

const SOFTMAX_PARAMS = [
  ['dim', null as number | null],
  ['_stacklevel', 3 as number],
  ['dtype', null as DType | null],
] as const;
/** Options of softmax, softmin and log_softmax. */
export type SoftmaxOptions = OptionsOf<typeof SOFTMAX_PARAMS>;
const SOFTMIN = signature('softmin', 1, SOFTMAX_PARAMS);
const SOFTMAX = signature('softmax', 1, SOFTMAX_PARAMS);
const LOG_SOFTMAX = signature('log_softmax', 1, SOFTMAX_PARAMS);

/**
 * softmax(-x) along `dim`. Python: `softmin(input, dim=None, _stacklevel=3, dtype=None)`.
 * Without dim it picks one as PyTorch does (0 for 0-, 1- and 3-D input, else 1) and warns.
 */
export function softmin(input: Tensor, ...args: Args<typeof SOFTMIN>): Tensor {
  const { dim, dtype } = SOFTMIN.parse(args);
  const d = dim ?? _get_softmax_dim('softmin', input.dim());
  return dtype === null ? input.neg().softmax(d) : input.neg().softmax(d, { dtype });
}
/**
 * exp(x) / sum(exp(x)) along `dim`; `dtype` casts the input first.
 * Python: `softmax(input, dim=None, _stacklevel=3, dtype=None)`. Without dim it picks one as
 * PyTorch does (0 for 0-, 1- and 3-D input, else 1) and warns.
 *
 * Example: `F.softmax(logits, -1)` or `F.softmax(logits, { dim: -1, dtype: torch.float64 })`
 */
export function softmax(input: Tensor, ...args: Args<typeof SOFTMAX>): Tensor {
  const { dim, dtype } = SOFTMAX.parse(args);
  const d = dim ?? _get_softmax_dim('softmax', input.dim());
  return dtype === null ? input.softmax(d) : input.softmax(d, { dtype });
}
/**
 * log(softmax(x)) along `dim`, computed stably. Python: `log_softmax(input, dim=None, _stacklevel=3, dtype=None)`.
 */
export function log_softmax(input: Tensor, ...args: Args<typeof LOG_SOFTMAX>): Tensor {
  const { dim, dtype } = LOG_SOFTMAX.parse(args);
  const d = dim ?? _get_softmax_dim('log_softmax', input.dim());
  return dtype === null ? input.log_softmax(d) : input.log_softmax(d, { dtype });
}

const GUMBEL_SOFTMAX = signature('gumbel_softmax', 1, [
  ['tau', 1 as number],
  ['hard', false as boolean],
  ['eps', 1e-10 as number],
  ['dim', -1 as number],
]);
/**
 * Samples from the Gumbel-softmax distribution; with `hard`, returns one-hot samples whose
 * gradient is the soft sample's (straight-through).
 * Python: `gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1)`.
 */
export function gumbel_softmax(logits: Tensor, ...args: Args<typeof GUMBEL_SOFTMAX>): Tensor {
  const { tau, hard, eps, dim } = GUMBEL_SOFTMAX.parse(args);
  if (eps !== 1e-10) warn('`eps` parameter is deprecated and has no effect.');
  const noise = torch.empty_like(logits, { memory_format: contiguous_format }).exponential_().log().neg();
  const gumbels = logits.add(noise).div(tau);
  const y_soft = gumbels.softmax(dim);
  if (!hard) return y_soft;
  const index = y_soft.max(dim, { keepdim: true })[1];
  const y_hard = torch.zeros_like(logits, { memory_format: contiguous_format }).scatter_(dim, index, 1.0);
  return y_hard.sub(y_soft.detach()).add(y_soft);
}

const TANH = signature('tanh', 1, []);
/** Deprecated alias of torch.tanh (warns). Python: `tanh(input)`. */
export function tanh(input: Tensor, ...rest: []): Tensor {
  TANH.parse(rest);
  warn('nn.functional.tanh is deprecated. Use torch.tanh instead.');
  return input.tanh();
}
const SIGMOID = signature('sigmoid', 1, []);
/** Deprecated alias of torch.sigmoid (warns). Python: `sigmoid(input)`. */
export function sigmoid(input: Tensor, ...rest: []): Tensor {
  SIGMOID.parse(rest);
  warn('nn.functional.sigmoid is deprecated. Use torch.sigmoid instead.');
  return input.sigmoid();
}

const HARDSIGMOID = signature('hardsigmoid', 1, INPLACE);
/** relu6(x + 3) / 6. Python: `hardsigmoid(input, inplace=False)`. */
export function hardsigmoid(input: Tensor, ...args: Args<typeof HARDSIGMOID>): Tensor {
  const { inplace } = HARDSIGMOID.parse(args);
  return inplace ? torch._nn.hardsigmoid_(input) : torch._nn.hardsigmoid(input);
}
const SILU = signature('silu', 1, INPLACE);
/** x * sigmoid(x) (swish). Python: `silu(input, inplace=False)`. */
export function silu(input: Tensor, ...args: Args<typeof SILU>): Tensor {
  const { inplace } = SILU.parse(args);
  return inplace ? torch._nn.silu_(input) : torch._nn.silu(input);
}
const MISH = signature('mish', 1, INPLACE);
/** x * tanh(softplus(x)). Python: `mish(input, inplace=False)`. */
export function mish(input: Tensor, ...args: Args<typeof MISH>): Tensor {
  const { inplace } = MISH.parse(args);
  return inplace ? torch._nn.mish_(input) : torch._nn.mish(input);
}
const HARDSWISH = signature('hardswish', 1, INPLACE);
/** x * relu6(x + 3) / 6. Python: `hardswish(input, inplace=False)`. */
export function hardswish(input: Tensor, ...args: Args<typeof HARDSWISH>): Tensor {
  const { inplace } = HARDSWISH.parse(args);
  return inplace ? torch._nn.hardswish_(input) : torch._nn.hardswish(input);
}

// ---- linear -----------------------------------------------------------------------------------

/**
 * y = x W^T + b. Python: `linear(input, weight, bias=None)`.
 *
 * Shape: input (*, in_features); weight (out_features, in_features); bias (out_features).
 */
export const linear = atenNN('linear');
/**
 * y = x1^T A x2 + b. Python: `bilinear(input1, input2, weight, bias=None)`.
 *
 * Shape: weight (out_features, in1_features, in2_features).
 */
export const bilinear = aten('bilinear');

// ---- embeddings ---------------------------------------------------------------------------

function _no_grad_embedding_renorm_(weight: Tensor, input: Tensor, max_norm: number, norm_type: number): void {
  // Like PyTorch: renormalise through a detached alias, so autograd does not see the write.
  const detached = weight.detach();
  try {
    torch.embedding_renorm_(detached, input, max_norm, norm_type);
  } finally {
    detached.dispose();
  }
}

const EMBEDDING = signature('embedding', 2, [
  ['padding_idx', null as number | null],
  ['max_norm', null as number | null],
  ['norm_type', 2.0 as number],
  ['scale_grad_by_freq', false as boolean],
  ['sparse', false as boolean],
]);
/**
 * Looks up rows of `weight` by the indices in `input`.
 * Python: `embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False)`.
 *
 * Args: padding_idx: its row gets no gradient; max_norm: rows looked up with a larger
 * norm are rescaled to max_norm in place in `weight`, as in PyTorch.
 * Shape: input (*) int64/int32; weight (num_embeddings, embedding_dim); output (*, embedding_dim).
 */
export function embedding(input: Tensor, weight: Tensor, ...args: Args<typeof EMBEDDING>): Tensor {
  const a = EMBEDDING.parse(args);
  checkTensor('embedding', 'input', input);
  checkTensor('embedding', 'weight', weight);
  let padding_idx = a.padding_idx;
  if (padding_idx !== null) {
    checkInt('embedding', 'padding_idx', padding_idx);
    if (padding_idx > 0) {
      if (!(padding_idx < weight.size(0))) throw new ValueError('Padding_idx must be within num_embeddings');
    } else if (padding_idx < 0) {
      if (!(padding_idx >= -weight.size(0))) throw new ValueError('Padding_idx must be within num_embeddings');
      padding_idx = weight.size(0) + padding_idx;
    }
  } else {
    padding_idx = -1;
  }
  let indices = input;
  if (a.max_norm !== null) {
    indices = input.contiguous();
    _no_grad_embedding_renorm_(weight, indices, a.max_norm, a.norm_type);
  }
  return torch.embedding(weight, indices, padding_idx, a.scale_grad_by_freq, a.sparse);
}

const EMBEDDING_BAG = signature('embedding_bag', 2, [
  ['offsets', null as Tensor | null],
  ['max_norm', null as number | null],
  ['norm_type', 2 as number],
  ['scale_grad_by_freq', false as boolean],
  ['mode', 'mean' as 'sum' | 'mean' | 'max'],
  ['sparse', false as boolean],
  ['per_sample_weights', null as Tensor | null],
  ['include_last_offset', false as boolean],
  ['padding_idx', null as number | null],
]);
/**
 * Sums, averages or maxes bags of embeddings without materialising the lookups.
 * Python: `embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None)`.
 *
 * Shape: input 2-D (B, N) of fixed-length bags, or 1-D with `offsets` (B) marking where each bag starts; output (B, embedding_dim).
 */
export function embedding_bag(input: Tensor, weight: Tensor, ...args: Args<typeof EMBEDDING_BAG>): Tensor {
  const a = EMBEDDING_BAG.parse(args);
  checkTensor('embedding_bag', 'input', input);
  checkTensor('embedding_bag', 'weight', weight);
  let offsets = a.offsets;
  let per_sample_weights = a.per_sample_weights;
  if (weight.dtype === int64 && input.is_floating_point()) {
    warn(
      'Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.',
    );
    [weight, input] = [input, weight];
  }
  if (per_sample_weights !== null && !sameShape(input.shape, per_sample_weights.shape)) {
    throw new ValueError(
      `embedding_bag: If per_sample_weights (${pySize(per_sample_weights.shape)}) is not None, then it must have the same shape as the input (${pySize(input.shape)})`,
    );
  }
  if (input.dim() === 2) {
    if (offsets !== null) {
      const type_str = offsets instanceof Tensor ? "<class 'torch.Tensor'>" : typeof offsets;
      throw new ValueError(
        `if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type ${type_str}`,
      );
    }
    offsets = torch.arange(0, input.numel(), input.size(1), { dtype: input.dtype, device: input.device });
    input = input.reshape(-1);
    if (per_sample_weights !== null) per_sample_weights = per_sample_weights.reshape(-1);
  } else if (input.dim() === 1) {
    if (offsets === null) throw new ValueError('offsets has to be a 1D Tensor but got None');
    if (offsets.dim() !== 1) throw new ValueError('offsets has to be a 1D Tensor');
  } else {
    throw new ValueError(`input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.dim()}`);
  }
  let mode_enum: number;
  if (a.mode === 'sum') mode_enum = 0;
  else if (a.mode === 'mean') mode_enum = 1;
  else if (a.mode === 'max') {
    mode_enum = 2;
    if (a.scale_grad_by_freq) throw new ValueError('max mode does not support scaling the gradient by the frequency');
    if (a.sparse) throw new ValueError('max mode does not support sparse weights');
  } else {
    throw new ValueError('mode has to be one of sum, mean or max');
  }
  if (a.max_norm !== null) _no_grad_embedding_renorm_(weight, input, a.max_norm, a.norm_type);
  if (per_sample_weights !== null && a.mode !== 'sum') {
    throw new NotImplementedError(
      `embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${a.mode}'). Please open a feature request on GitHub.`,
    );
  }
  const [ret] = torch.embedding_bag(weight, input, offsets, a.scale_grad_by_freq, mode_enum, a.sparse, per_sample_weights, a.include_last_offset, a.padding_idx);
  return ret;
}

// ---- normalization ---------------------------------------------------------------------------

function _verify_batch_size(size: readonly number[], shown: string): void {
  let size_prods = size[0];
  for (let i = 0; i < size.length - 2; i++) size_prods *= size[i + 2];
  if (size_prods === 1) throw new ValueError(`Expected more than 1 value per channel when training, got input size ${shown}`);
}

const BATCH_NORM = signature('batch_norm', 3, [
  ['weight', null as Tensor | null],
  ['bias', null as Tensor | null],
  ['training', false as boolean],
  ['momentum', 0.1 as number],
  ['eps', 1e-5 as number],
]);
/**
 * Batch normalization over the channel dimension (dim 1).
 * Python: `batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05)`.
 *
 * While training it normalises with the batch statistics and updates running_mean and
 * running_var in place (running = (1 - momentum) * running + momentum * batch, with the
 * unbiased batch variance); otherwise it uses the running statistics.
 * Shape: input (N, C, *); running stats, weight, bias (C).
 */
export function batch_norm(input: Tensor, running_mean: Tensor | null, running_var: Tensor | null, ...args: Args<typeof BATCH_NORM>): Tensor {
  const a = BATCH_NORM.parse(args);
  checkTensor('batch_norm', 'input', input);
  if (a.training) _verify_batch_size(input.shape, pySize(input.shape));
  return torch.batch_norm(input, a.weight, a.bias, running_mean, running_var, a.training, a.momentum, a.eps, true);
}

function _verify_spatial_size(size: readonly number[]): void {
  let size_prods = 1;
  for (let i = 2; i < size.length; i++) size_prods *= size[i];
  if (size_prods === 1) throw new ValueError(`Expected more than 1 spatial element when training, got input size ${pySize(size)}`);
}

const INSTANCE_NORM = signature('instance_norm', 1, [
  ['running_mean', null as Tensor | null],
  ['running_var', null as Tensor | null],
  ['weight', null as Tensor | null],
  ['bias', null as Tensor | null],
  ['use_input_stats', true as boolean],
  ['momentum', 0.1 as number],
  ['eps', 1e-5 as number],
]);
/**
 * Instance normalization: each channel of each sample normalised over its spatial positions.
 * Python: `instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-05)`.
 */
export function instance_norm(input: Tensor, ...args: Args<typeof INSTANCE_NORM>): Tensor {
  const a = INSTANCE_NORM.parse(args);
  checkTensor('instance_norm', 'input', input);
  if (a.use_input_stats) _verify_spatial_size(input.shape);
  return torch.instance_norm(input, a.weight, a.bias, a.running_mean, a.running_var, a.use_input_stats, a.momentum, a.eps, true);
}

const LAYER_NORM = signature('layer_norm', 2, [
  ['weight', null as Tensor | null],
  ['bias', null as Tensor | null],
  ['eps', 1e-5 as number],
]);
/**
 * Layer normalization over the last dimensions, given by `normalized_shape`.
 * Python: `layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05)`.
 *
 * Shape: weight and bias have shape normalized_shape.
 * Example: `F.layer_norm(x, [x.size(-1)])`
 */
export function layer_norm(input: Tensor, normalized_shape: number[], ...args: Args<typeof LAYER_NORM>): Tensor {
  const a = LAYER_NORM.parse(args);
  if (!Array.isArray(normalized_shape)) throw argumentError('layer_norm', 'normalized_shape', 'an array of ints', normalized_shape);
  return torch.layer_norm(input, normalized_shape, a.weight, a.bias, a.eps, true);
}

const GROUP_NORM = signature('group_norm', 2, [
  ['weight', null as Tensor | null],
  ['bias', null as Tensor | null],
  ['eps', 1e-5 as number],
]);
/**
 * Group normalization: channels split in `num_groups` groups, each normalised per sample.
 * Python: `group_norm(input, num_groups, weight=None, bias=None, eps=1e-05)`.
 */
export function group_norm(input: Tensor, num_groups: number, ...args: Args<typeof GROUP_NORM>): Tensor {
  const a = GROUP_NORM.parse(args);
  checkTensor('group_norm', 'input', input);
  checkInt('group_norm', 'num_groups', num_groups);
  const size = [floorDiv(input.size(0) * input.size(1), num_groups), num_groups, ...input.shape.slice(2)];
  _verify_batch_size(size, pyList(size));
  return torch.group_norm(input, num_groups, a.weight, a.bias, a.eps, true);
}

const LOCAL_RESPONSE_NORM = signature('local_response_norm', 2, [
  ['alpha', 1e-4 as number],
  ['beta', 0.75 as number],
  ['k', 1.0 as number],
]);
/**
 * Local response normalization across channels (AlexNet).
 * Python: `local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.)`.
 */
export function local_response_norm(input: Tensor, size: number, ...args: Args<typeof LOCAL_RESPONSE_NORM>): Tensor {
  const { alpha, beta, k } = LOCAL_RESPONSE_NORM.parse(args);
  checkTensor('local_response_norm', 'input', input);
  checkInt('local_response_norm', 'size', size);
  const dim = input.dim();
  if (dim < 3) throw new ValueError(`Expected 3D or higher dimensionality                          input (got ${dim} dimensions)`);
  if (input.numel() === 0) return input;
  let div = input.mul(input).unsqueeze(1);
  if (dim === 3) {
    div = pad(div, [0, 0, floorDiv(size, 2), floorDiv(size - 1, 2)]);
    div = avg_pool2d(div, [size, 1], { stride: 1 }).squeeze(1);
  } else {
    const sizes = input.shape;
    div = div.view(sizes[0], 1, sizes[1], sizes[2], -1);
    div = pad(div, [0, 0, 0, 0, floorDiv(size, 2), floorDiv(size - 1, 2)]);
    div = avg_pool3d(div, [size, 1, 1], { stride: 1 }).squeeze(1);
    div = div.view(sizes);
  }
  div = div.mul(alpha).add(k).pow(beta);
  return input.div(div);
}

// ---- losses -------------------------------------------------------------------------------

/** The deprecated size_average / reduce pair, kept in every loss that had it. */
type Legacy = { size_average: boolean | null; reduce: boolean | null };
const isLegacy = (a: Legacy): boolean => a.size_average !== null || a.reduce !== null;
/** The reduction as ATen's enum, from the legacy flags when given. */
function reductionEnum(a: Legacy & { reduction: string }): number {
  return isLegacy(a) ? _Reduction.legacy_get_enum(a.size_average, a.reduce) : _Reduction.get_enum(a.reduction);
}
/** The reduction name, from the legacy flags when given. */
function reductionString(a: Legacy & { reduction: string }): string {
  return isLegacy(a) ? _Reduction.legacy_get_string(a.size_average, a.reduce) : a.reduction;
}
function warnSizeMismatch(input: Tensor, target: Tensor): void {
  if (!sameShape(target.shape, input.shape)) {
    warn(
      `Using a target size (${pySize(target.shape)}) that is different to the input size (${pySize(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
}

const CTC_LOSS = signature('ctc_loss', 4, [
  ['blank', 0 as number],
  ['reduction', 'mean' as Reduction],
  ['zero_infinity', false as boolean],
]);
/**
 * Connectionist Temporal Classification loss.
 * Python: `ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean', zero_infinity=False)`.
 *
 * Shape: log_probs (T, N, C) (log_softmax output); targets (N, S) or concatenated (sum of
 * target_lengths); input_lengths, target_lengths (N) as Tensors or int arrays.
 */
export function ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | number[], target_lengths: Tensor | number[], ...args: Args<typeof CTC_LOSS>): Tensor {
  const a = CTC_LOSS.parse(args);
  return (torch.ctc_loss as (...x: unknown[]) => Tensor)(log_probs, targets, input_lengths, target_lengths, a.blank, _Reduction.get_enum(a.reduction), a.zero_infinity);
}

const NLL_LOSS = signature('nll_loss', 2, [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['ignore_index', -100 as number],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Negative log likelihood of class indices under log-probabilities.
 * Python: `nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')`.
 *
 * Shape: input (N, C) or (N, C, d1, ...); target (N) or (N, d1, ...) of int64 class indices.
 */
export function nll_loss(input: Tensor, target: Tensor, ...args: Args<typeof NLL_LOSS>): Tensor {
  const a = NLL_LOSS.parse(args);
  const reduction = reductionString(a);
  return torch._nn.nll_loss_nd(input, target, a.weight, _Reduction.get_enum(reduction), a.ignore_index);
}

const POISSON_NLL_LOSS = signature('poisson_nll_loss', 2, [
  ['log_input', true as boolean],
  ['full', false as boolean],
  ['size_average', null as boolean | null],
  ['eps', 1e-8 as number],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Negative log likelihood of a Poisson-distributed target.
 * Python: `poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction='mean')`.
 */
export function poisson_nll_loss(input: Tensor, target: Tensor, ...args: Args<typeof POISSON_NLL_LOSS>): Tensor {
  const a = POISSON_NLL_LOSS.parse(args);
  const reduction = reductionString(a);
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') throw new ValueError(`${reduction} is not valid`);
  return torch.poisson_nll_loss(input, target, a.log_input, a.full, a.eps, _Reduction.get_enum(reduction));
}

const GAUSSIAN_NLL_LOSS = signature('gaussian_nll_loss', 3, [
  ['full', false as boolean],
  ['eps', 1e-6 as number],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Negative log likelihood of the target under a Gaussian with mean `input` and variance `var`.
 * Python: `gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean')`.
 *
 * Shape: var is input's shape, or input's shape with the last dimension 1 or dropped (one variance shared).
 */
export function gaussian_nll_loss(input: Tensor, target: Tensor, variance: Tensor, ...args: Args<typeof GAUSSIAN_NLL_LOSS>): Tensor {
  const { full, eps, reduction } = GAUSSIAN_NLL_LOSS.parse(args);
  checkTensor('gaussian_nll_loss', 'input', input);
  checkTensor('gaussian_nll_loss', 'var', variance);
  let v = variance;
  if (!sameShape(v.shape, input.shape)) {
    const inputLead = input.shape.slice(0, -1);
    if (sameShape(inputLead, v.shape)) v = torch.unsqueeze(v, -1);
    else if (sameShape(inputLead, v.shape.slice(0, -1)) && v.size(-1) === 1) {
      // heteroscedastic case with a singleton last dimension: broadcasts as it is
    } else throw new ValueError('var is of incorrect size');
  }
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') throw new ValueError(`${reduction} is not valid`);
  if (torch.any(v.lt(0)).item()) throw new ValueError('var has negative entry/entries');
  v = v.clone();
  torch.no_grad(() => v.clamp_({ min: eps }));
  let loss = torch.log(v).add(input.sub(target).pow(2).div(v)).mul(0.5);
  if (full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

const KL_DIV = signature('kl_div', 2, [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction | 'batchmean'],
  ['log_target', false as boolean],
]);
/**
 * Kullback-Leibler divergence of `target` from `input` (input holds log-probabilities).
 * Python: `kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False)`.
 *
 * Args: reduction 'batchmean' divides the sum by the batch size (the mathematical KL
 * divergence); 'mean' divides by the number of elements and warns, as PyTorch does.
 */
export function kl_div(input: Tensor, target: Tensor, ...args: Args<typeof KL_DIV>): Tensor {
  const a = KL_DIV.parse(args);
  let reduction_enum: number;
  if (isLegacy(a)) {
    reduction_enum = _Reduction.legacy_get_enum(a.size_average, a.reduce);
  } else {
    if (a.reduction === 'mean') {
      warn(
        "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the same as 'batchmean' in the next major release.",
      );
    }
    reduction_enum = a.reduction === 'batchmean' ? _Reduction.get_enum('sum') : _Reduction.get_enum(a.reduction);
  }
  let reduced = torch.kl_div(input, target, reduction_enum, { log_target: a.log_target });
  if (a.reduction === 'batchmean' && input.dim() !== 0) reduced = reduced.div(input.size(0));
  return reduced;
}

const CROSS_ENTROPY = signature('cross_entropy', 2, [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['ignore_index', -100 as number],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
  ['label_smoothing', 0.0 as number],
]);
/**
 * Cross entropy between logits and class indices or class probabilities.
 * Python: `cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0)`.
 *
 * Shape: input (N, C) or (C) or (N, C, d1, ...) of unnormalised logits; target int64 class
 * indices (N) / () / (N, d1, ...), or float probabilities of input's shape.
 * Example: `F.cross_entropy(logits, labels, { label_smoothing: 0.1 })`
 */
export function cross_entropy(input: Tensor, target: Tensor, ...args: Args<typeof CROSS_ENTROPY>): Tensor {
  const a = CROSS_ENTROPY.parse(args);
  const reduction = reductionString(a);
  return torch._nn.cross_entropy_loss(input, target, a.weight, _Reduction.get_enum(reduction), a.ignore_index, a.label_smoothing);
}

const BINARY_CROSS_ENTROPY = signature('binary_cross_entropy', 2, [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Binary cross entropy between probabilities and targets in [0, 1].
 * Python: `binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction='mean')`.
 *
 * Throws ValueError when target's size differs from input's.
 */
export function binary_cross_entropy(input: Tensor, target: Tensor, ...args: Args<typeof BINARY_CROSS_ENTROPY>): Tensor {
  const a = BINARY_CROSS_ENTROPY.parse(args);
  checkTensor('binary_cross_entropy', 'input', input);
  checkTensor('binary_cross_entropy', 'target', target);
  const reduction_enum = reductionEnum(a);
  if (!sameShape(target.shape, input.shape)) {
    throw new ValueError(
      `Using a target size (${pySize(target.shape)}) that is different to the input size (${pySize(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  let weight = a.weight;
  if (weight !== null) weight = weight.expand(inferSize(target.shape, weight.shape));
  return torch._nn.binary_cross_entropy(input, target, weight, reduction_enum);
}

const BCE_WITH_LOGITS = signature('binary_cross_entropy_with_logits', 2, [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
  ['pos_weight', null as Tensor | null],
]);
/**
 * Sigmoid then binary cross entropy, computed stably.
 * Python: `binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None)`.
 *
 * Args: pos_weight: a weight for positive examples, one per class (broadcast over the last dimension).
 */
export function binary_cross_entropy_with_logits(input: Tensor, target: Tensor, ...args: Args<typeof BCE_WITH_LOGITS>): Tensor {
  const a = BCE_WITH_LOGITS.parse(args);
  checkTensor('binary_cross_entropy_with_logits', 'input', input);
  checkTensor('binary_cross_entropy_with_logits', 'target', target);
  const reduction_enum = reductionEnum(a);
  if (!sameShape(target.shape, input.shape)) {
    throw new ValueError(`Target size (${pySize(target.shape)}) must be the same as input size (${pySize(input.shape)})`);
  }
  return torch.binary_cross_entropy_with_logits(input, target, a.weight, a.pos_weight, reduction_enum);
}

const SMOOTH_L1_LOSS = signature('smooth_l1_loss', 2, [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
  ['beta', 1.0 as number],
]);
/**
 * Squared error below `beta`, absolute error above (scaled to join smoothly).
 * Python: `smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0)`.
 *
 * A target of another size is broadcast, with PyTorch's warning.
 */
export function smooth_l1_loss(input: Tensor, target: Tensor, ...args: Args<typeof SMOOTH_L1_LOSS>): Tensor {
  const a = SMOOTH_L1_LOSS.parse(args);
  checkTensor('smooth_l1_loss', 'input', input);
  checkTensor('smooth_l1_loss', 'target', target);
  warnSizeMismatch(input, target);
  const reduction = reductionString(a);
  const [expanded_input, expanded_target] = torch.broadcast_tensors([input, target]);
  return torch._nn.smooth_l1_loss(expanded_input, expanded_target, _Reduction.get_enum(reduction), a.beta);
}

const HUBER_LOSS = signature('huber_loss', 2, [
  ['reduction', 'mean' as Reduction],
  ['delta', 1.0 as number],
]);
/**
 * Squared error below `delta`, delta-scaled absolute error above.
 * Python: `huber_loss(input, target, reduction='mean', delta=1.0)`.
 */
export function huber_loss(input: Tensor, target: Tensor, ...args: Args<typeof HUBER_LOSS>): Tensor {
  const a = HUBER_LOSS.parse(args);
  checkTensor('huber_loss', 'input', input);
  checkTensor('huber_loss', 'target', target);
  warnSizeMismatch(input, target);
  const [expanded_input, expanded_target] = torch.broadcast_tensors([input, target]);
  return torch._nn.huber_loss(expanded_input, expanded_target, _Reduction.get_enum(a.reduction), a.delta);
}

const L1_LOSS = signature('l1_loss', 2, [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/** Mean absolute error. Python: `l1_loss(input, target, size_average=None, reduce=None, reduction='mean')`. */
export function l1_loss(input: Tensor, target: Tensor, ...args: Args<typeof L1_LOSS>): Tensor {
  const a = L1_LOSS.parse(args);
  checkTensor('l1_loss', 'input', input);
  checkTensor('l1_loss', 'target', target);
  warnSizeMismatch(input, target);
  const reduction = reductionString(a);
  const [expanded_input, expanded_target] = torch.broadcast_tensors([input, target]);
  return torch._nn.l1_loss(expanded_input, expanded_target, _Reduction.get_enum(reduction));
}

const MSE_LOSS = signature('mse_loss', 2, [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Mean squared error. Python: `mse_loss(input, target, size_average=None, reduce=None, reduction='mean')`.
 *
 * A target of another size is broadcast, with PyTorch's warning.
 * Example: `F.mse_loss(pred, y, { reduction: 'sum' })`
 */
export function mse_loss(input: Tensor, target: Tensor, ...args: Args<typeof MSE_LOSS>): Tensor {
  const a = MSE_LOSS.parse(args);
  checkTensor('mse_loss', 'input', input);
  checkTensor('mse_loss', 'target', target);
  warnSizeMismatch(input, target);
  const reduction = reductionString(a);
  const [expanded_input, expanded_target] = torch.broadcast_tensors([input, target]);
  return torch._nn.mse_loss(expanded_input, expanded_target, _Reduction.get_enum(reduction));
}

const MARGIN_RANKING_LOSS = signature('margin_ranking_loss', 3, [
  ['margin', 0 as number],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * max(0, -target * (input1 - input2) + margin), target in {1, -1}.
 * Python: `margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction='mean')`.
 */
export function margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, ...args: Args<typeof MARGIN_RANKING_LOSS>): Tensor {
  const a = MARGIN_RANKING_LOSS.parse(args);
  checkTensor('margin_ranking_loss', 'input1', input1);
  checkTensor('margin_ranking_loss', 'input2', input2);
  checkTensor('margin_ranking_loss', 'target', target);
  const reduction_enum = reductionEnum(a);
  if (input1.dim() !== input2.dim() || input1.dim() !== target.dim()) {
    throw new TorchError(
      `margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ${pySize(input1.shape)}, input2: ${pySize(input2.shape)}, target: ${pySize(target.shape)} `,
    );
  }
  return torch.margin_ranking_loss(input1, input2, target, a.margin, reduction_enum);
}

const HINGE_EMBEDDING_LOSS = signature('hinge_embedding_loss', 2, [
  ['margin', 1.0 as number],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * x where target is 1, max(0, margin - x) where target is -1.
 * Python: `hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction='mean')`.
 */
export function hinge_embedding_loss(input: Tensor, target: Tensor, ...args: Args<typeof HINGE_EMBEDDING_LOSS>): Tensor {
  const a = HINGE_EMBEDDING_LOSS.parse(args);
  return torch.hinge_embedding_loss(input, target, a.margin, reductionEnum(a));
}

const LEGACY_REDUCTION = [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;
const MULTILABEL_MARGIN_LOSS = signature('multilabel_margin_loss', 2, LEGACY_REDUCTION);
/**
 * Multi-class multi-label hinge loss; target holds class indices padded with -1.
 * Python: `multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')`.
 */
export function multilabel_margin_loss(input: Tensor, target: Tensor, ...args: Args<typeof MULTILABEL_MARGIN_LOSS>): Tensor {
  const a = MULTILABEL_MARGIN_LOSS.parse(args);
  return torch._nn.multilabel_margin_loss(input, target, reductionEnum(a));
}

const SOFT_MARGIN_LOSS = signature('soft_margin_loss', 2, LEGACY_REDUCTION);
/**
 * Two-class logistic loss log(1 + exp(-target * input)), target in {1, -1}.
 * Python: `soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')`.
 */
export function soft_margin_loss(input: Tensor, target: Tensor, ...args: Args<typeof SOFT_MARGIN_LOSS>): Tensor {
  const a = SOFT_MARGIN_LOSS.parse(args);
  return torch._nn.soft_margin_loss(input, target, reductionEnum(a));
}

const MULTILABEL_SOFT_MARGIN_LOSS = signature('multilabel_soft_margin_loss', 2, [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Multi-label one-versus-all logistic loss, averaged over classes.
 * Python: `multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction='mean')`.
 */
export function multilabel_soft_margin_loss(input: Tensor, target: Tensor, ...args: Args<typeof MULTILABEL_SOFT_MARGIN_LOSS>): Tensor {
  const a = MULTILABEL_SOFT_MARGIN_LOSS.parse(args);
  checkTensor('multilabel_soft_margin_loss', 'input', input);
  checkTensor('multilabel_soft_margin_loss', 'target', target);
  const reduction = reductionString(a);
  let loss = target.mul(logsigmoid(input)).add(torch.rsub(target, 1).mul(logsigmoid(input.neg()))).neg();
  if (a.weight !== null) loss = loss.mul(a.weight);
  const class_dim = input.dim() - 1;
  const C = input.size(class_dim);
  loss = loss.sum(class_dim).div(C);
  if (reduction === 'none') return loss;
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  throw new ValueError(`${reduction} is not valid`);
}

const COSINE_EMBEDDING_LOSS = signature('cosine_embedding_loss', 3, [
  ['margin', 0 as number],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1.
 * Python: `cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction='mean')`.
 */
export function cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, ...args: Args<typeof COSINE_EMBEDDING_LOSS>): Tensor {
  const a = COSINE_EMBEDDING_LOSS.parse(args);
  return torch.cosine_embedding_loss(input1, input2, target, a.margin, reductionEnum(a));
}

const MULTI_MARGIN_LOSS = signature('multi_margin_loss', 2, [
  ['p', 1 as number],
  ['margin', 1.0 as number],
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Multi-class hinge loss: sum over wrong classes of max(0, margin - x[y] + x[i])^p / C.
 * Python: `multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction='mean')`.
 */
export function multi_margin_loss(input: Tensor, target: Tensor, ...args: Args<typeof MULTI_MARGIN_LOSS>): Tensor {
  const a = MULTI_MARGIN_LOSS.parse(args);
  const reduction_enum = reductionEnum(a);
  if (a.p !== 1 && a.p !== 2) throw new ValueError('only p == 1 and p == 2 supported');
  if (a.weight !== null && a.weight.dim() !== 1) throw new ValueError('weight must be one-dimensional');
  return torch._nn.multi_margin_loss(input, target, a.p, a.margin, a.weight, reduction_enum);
}

const TRIPLET_MARGIN_LOSS = signature('triplet_margin_loss', 3, [
  ['margin', 1.0 as number],
  ['p', 2 as number],
  ['eps', 1e-6 as number],
  ['swap', false as boolean],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
]);
/**
 * max(d(a, p) - d(a, n) + margin, 0) with the p-norm distance.
 * Python: `triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None, reduce=None, reduction='mean')`.
 */
export function triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, ...args: Args<typeof TRIPLET_MARGIN_LOSS>): Tensor {
  const a = TRIPLET_MARGIN_LOSS.parse(args);
  const reduction_enum = reductionEnum(a);
  return torch.triplet_margin_loss(anchor, positive, negative, a.margin, a.p, a.eps, a.swap, reduction_enum);
}

const TRIPLET_MARGIN_WITH_DISTANCE_LOSS = signature('triplet_margin_with_distance_loss', 3, [], [
  ['distance_function', null as ((x1: Tensor, x2: Tensor) => Tensor) | null],
  ['margin', 1.0 as number],
  ['swap', false as boolean],
  ['reduction', 'mean' as Reduction],
]);
/**
 * Triplet margin loss with any distance function (default pairwise_distance).
 * Python: `triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction='mean')`
 * (every option is keyword-only).
 *
 * Example: `F.triplet_margin_with_distance_loss(a, p, n, { distance_function: (x, y) => x.sub(y).abs().sum(-1) })`
 */
export function triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, ...args: Args<typeof TRIPLET_MARGIN_WITH_DISTANCE_LOSS>): Tensor {
  const a = TRIPLET_MARGIN_WITH_DISTANCE_LOSS.parse(args);
  const distance_function = a.distance_function ?? ((x1: Tensor, x2: Tensor) => pairwise_distance(x1, x2));
  const positive_dist = distance_function(anchor, positive);
  let negative_dist = distance_function(anchor, negative);
  if (a.swap) {
    const swap_dist = distance_function(positive, negative);
    negative_dist = torch.min(negative_dist, swap_dist);
  }
  const output = torch.clamp(positive_dist.sub(negative_dist).add(a.margin), { min: 0.0 });
  const reduction_enum = _Reduction.get_enum(a.reduction);
  if (reduction_enum === 1) return output.mean();
  if (reduction_enum === 2) return output.sum();
  return output;
}

// ---- vision -------------------------------------------------------------------------------

/** (*, C*r^2, H, W) to (*, C, H*r, W*r). Python: `pixel_shuffle(input, upscale_factor)`. */
export const pixel_shuffle = aten('pixel_shuffle');
/** (*, C, H*r, W*r) to (*, C*r^2, H, W). Python: `pixel_unshuffle(input, downscale_factor)`. */
export const pixel_unshuffle = aten('pixel_unshuffle');
/** Interleaves channels across `groups` (ShuffleNet). Python: `channel_shuffle(input, groups)`. */
export const channel_shuffle = aten('channel_shuffle');
/** channel_shuffle without the autograd-composite path. Python: `native_channel_shuffle(input, groups)`. */
export const native_channel_shuffle = aten('native_channel_shuffle');

/**
 * Pads a tensor. `pad` lists (before, after) amounts starting from the last dimension:
 * [left, right] pads the last dimension, [left, right, top, bottom] the last two, and so on.
 * Python: `pad(input, pad, mode='constant', value=None)`; mode is 'constant', 'reflect',
 * 'replicate' or 'circular'; value (constant mode) defaults to 0.
 *
 * Example: `F.pad(x, [1, 1, 2, 0], { mode: 'reflect' })`
 */
export const pad = atenNN('pad');

type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area' | 'nearest-exact';
const INTERPOLATE = signature('interpolate', 1, [
  ['size', null as IntOrTuple | null],
  ['scale_factor', null as ScalarOrTuple<number> | null],
  ['mode', 'nearest' as InterpolateMode],
  ['align_corners', null as boolean | null],
  ['recompute_scale_factor', null as boolean | null],
  ['antialias', false as boolean],
]);
/**
 * Resizes to `size` or by `scale_factor` (one of the two).
 * Python: `interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None, antialias=False)`.
 *
 * Args: mode: 'nearest' | 'nearest-exact' | 'area' for (N, C, *) input, 'linear' for 3-D,
 * 'bilinear' / 'bicubic' for 4-D, 'trilinear' for 5-D input; align_corners (interpolating
 * modes only, default false); antialias (bilinear and bicubic).
 * Example: `F.interpolate(x, { scale_factor: 2, mode: 'bilinear', align_corners: false })`
 */
export function interpolate(input: Tensor, ...args: Args<typeof INTERPOLATE>): Tensor {
  const a = INTERPOLATE.parse(args);
  checkTensor('interpolate', 'input', input);
  const { size, scale_factor, mode, antialias } = a;
  let { align_corners, recompute_scale_factor } = a;
  if (mode === 'nearest' || mode === 'area' || mode === 'nearest-exact') {
    if (align_corners !== null) {
      throw new ValueError('align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear');
    }
  } else if (align_corners === null) {
    align_corners = false;
  }
  const dim = input.dim() - 2;
  let output_size: number[] | null;
  let scale_factors: number[] | null;
  if (size !== null && scale_factor !== null) {
    throw new ValueError('only one of size or scale_factor should be defined');
  } else if (size !== null) {
    scale_factors = null;
    if (Array.isArray(size)) {
      if (size.length !== dim) {
        throw new ValueError(
          `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyList(input.shape.slice(2))} and output size of ${pyList(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
        );
      }
      output_size = [...size];
    } else {
      output_size = new Array<number>(Math.max(dim, 0)).fill(size as number);
    }
  } else if (scale_factor !== null) {
    output_size = null;
    if (Array.isArray(scale_factor)) {
      if (scale_factor.length !== dim) {
        throw new ValueError(
          `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyList(input.shape.slice(2))} and scale_factor of shape ${pyList(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.`,
        );
      }
      scale_factors = [...scale_factor];
    } else {
      scale_factors = new Array<number>(Math.max(dim, 0)).fill(scale_factor as number);
    }
  } else {
    throw new ValueError('either size or scale_factor should be defined');
  }
  if (recompute_scale_factor !== null && recompute_scale_factor && size !== null) {
    throw new ValueError('recompute_scale_factor is not meaningful with an explicit size.');
  }
  if (mode === 'area' && output_size === null) recompute_scale_factor = true;
  if (recompute_scale_factor !== null && recompute_scale_factor) {
    output_size = scale_factors!.map((s, i) => Math.floor(input.size(i + 2) * s));
    scale_factors = null;
  }
  if (antialias && !((mode === 'bilinear' || mode === 'bicubic') && input.dim() === 4)) {
    throw new ValueError('Anti-alias option is only supported for bilinear and bicubic modes');
  }
  const nd = input.dim();
  if (mode === 'nearest') {
    if (nd === 3) return torch._nn.upsample_nearest1d(input, output_size, scale_factors);
    if (nd === 4) return torch._nn.upsample_nearest2d(input, output_size, scale_factors);
    if (nd === 5) return torch._nn.upsample_nearest3d(input, output_size, scale_factors);
  }
  if (mode === 'nearest-exact') {
    if (nd === 3) return torch._nn._upsample_nearest_exact1d(input, output_size, scale_factors);
    if (nd === 4) return torch._nn._upsample_nearest_exact2d(input, output_size, scale_factors);
    if (nd === 5) return torch._nn._upsample_nearest_exact3d(input, output_size, scale_factors);
  }
  if (mode === 'area') {
    if (nd === 3) return adaptive_avg_pool1d(input, output_size!);
    if (nd === 4) return adaptive_avg_pool2d(input, output_size!);
    if (nd === 5) return adaptive_avg_pool3d(input, output_size!);
  }
  if (nd === 3 && mode === 'linear') return torch._nn.upsample_linear1d(input, output_size, align_corners!, scale_factors);
  if (nd === 4 && mode === 'bilinear') {
    if (antialias) return torch._nn._upsample_bilinear2d_aa(input, output_size, align_corners!, scale_factors);
    return torch._nn.upsample_bilinear2d(input, output_size, align_corners!, scale_factors);
  }
  if (nd === 5 && mode === 'trilinear') return torch._nn.upsample_trilinear3d(input, output_size, align_corners!, scale_factors);
  if (nd === 4 && mode === 'bicubic') {
    if (antialias) return torch._nn._upsample_bicubic2d_aa(input, output_size, align_corners!, scale_factors);
    return torch._nn.upsample_bicubic2d(input, output_size, align_corners!, scale_factors);
  }
  if (nd === 3 && mode === 'bilinear') throw new NotImplementedError('Got 3D input, but bilinear mode needs 4D input');
  if (nd === 3 && mode === 'trilinear') throw new NotImplementedError('Got 3D input, but trilinear mode needs 5D input');
  if (nd === 4 && mode === 'linear') throw new NotImplementedError('Got 4D input, but linear mode needs 3D input');
  if (nd === 4 && mode === 'trilinear') throw new NotImplementedError('Got 4D input, but trilinear mode needs 5D input');
  if (nd === 5 && mode === 'linear') throw new NotImplementedError('Got 5D input, but linear mode needs 3D input');
  if (nd === 5 && mode === 'bilinear') throw new NotImplementedError('Got 5D input, but bilinear mode needs 4D input');
  throw new NotImplementedError(
    `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${nd}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
  );
}

const UPSAMPLE = signature('upsample', 1, [
  ['size', null as IntOrTuple | null],
  ['scale_factor', null as ScalarOrTuple<number> | null],
  ['mode', 'nearest' as InterpolateMode],
  ['align_corners', null as boolean | null],
]);
/** Deprecated form of interpolate (warns). Python: `upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None)`. */
export function upsample(input: Tensor, ...args: Args<typeof UPSAMPLE>): Tensor {
  const a = UPSAMPLE.parse(args);
  warn('nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.');
  return interpolate(input, a.size, a.scale_factor, a.mode, a.align_corners);
}

const UPSAMPLE_NEAREST = signature('upsample_nearest', 1, [
  ['size', null as IntOrTuple | null],
  ['scale_factor', null as ScalarOrTuple<number> | null],
]);
/** Deprecated: interpolate with mode 'nearest' (warns). Python: `upsample_nearest(input, size=None, scale_factor=None)`. */
export function upsample_nearest(input: Tensor, ...args: Args<typeof UPSAMPLE_NEAREST>): Tensor {
  const a = UPSAMPLE_NEAREST.parse(args);
  warn('nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.');
  return interpolate(input, a.size, a.scale_factor, { mode: 'nearest' });
}

const UPSAMPLE_BILINEAR = signature('upsample_bilinear', 1, UPSAMPLE_NEAREST.params);
/** Deprecated: interpolate with mode 'bilinear', align_corners true (warns). Python: `upsample_bilinear(input, size=None, scale_factor=None)`. */
export function upsample_bilinear(input: Tensor, ...args: Args<typeof UPSAMPLE_BILINEAR>): Tensor {
  const a = UPSAMPLE_BILINEAR.parse(args);
  warn('nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.');
  return interpolate(input, a.size, a.scale_factor, { mode: 'bilinear', align_corners: true });
}

const GRID_ALIGN_WARNING =
  'Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for details.';

const GRID_SAMPLE = signature('grid_sample', 2, [
  ['mode', 'bilinear' as 'bilinear' | 'nearest' | 'bicubic'],
  ['padding_mode', 'zeros' as 'zeros' | 'border' | 'reflection'],
  ['align_corners', null as boolean | null],
]);
/**
 * Samples `input` at the normalised (x, y[, z]) locations of `grid`, in [-1, 1].
 * Python: `grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None)`.
 *
 * Shape: input (N, C, H, W), grid (N, H_out, W_out, 2); or 5-D input with (N, D, H, W, 3) grid.
 */
export function grid_sample(input: Tensor, grid: Tensor, ...args: Args<typeof GRID_SAMPLE>): Tensor {
  const a = GRID_SAMPLE.parse(args);
  const { mode, padding_mode } = a;
  if (mode !== 'bilinear' && mode !== 'nearest' && mode !== 'bicubic') {
    throw new ValueError(`nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '${mode}'`);
  }
  if (padding_mode !== 'zeros' && padding_mode !== 'border' && padding_mode !== 'reflection') {
    throw new ValueError(`nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '${padding_mode}'`);
  }
  const mode_enum = mode === 'bilinear' ? 0 : mode === 'nearest' ? 1 : 2;
  const padding_mode_enum = padding_mode === 'zeros' ? 0 : padding_mode === 'border' ? 1 : 2;
  let align_corners = a.align_corners;
  if (align_corners === null) {
    warn(GRID_ALIGN_WARNING);
    align_corners = false;
  }
  return torch.grid_sampler(input, grid, mode_enum, padding_mode_enum, align_corners);
}

const AFFINE_GRID = signature('affine_grid', 2, [['align_corners', null as boolean | null]]);
/**
 * The sampling grid of a batch of affine transforms, for grid_sample.
 * Python: `affine_grid(theta, size, align_corners=None)`.
 *
 * Shape: theta (N, 2, 3) with size [N, C, H, W], or (N, 3, 4) with size [N, C, D, H, W].
 */
export function affine_grid(theta: Tensor, size: number[], ...args: Args<typeof AFFINE_GRID>): Tensor {
  let { align_corners } = AFFINE_GRID.parse(args);
  checkTensor('affine_grid', 'theta', theta);
  if (align_corners === null) {
    warn(GRID_ALIGN_WARNING);
    align_corners = false;
  }
  if (!theta.is_floating_point()) throw new ValueError(`Expected theta to have floating point type, but got torch.${theta.dtype.name}`);
  let spatial_size: number[];
  if (size.length === 4) {
    if (theta.dim() !== 3 || theta.shape[1] !== 2 || theta.shape[2] !== 3) {
      throw new ValueError(`Expected a batch of 2D affine matrices of shape Nx2x3 for size ${pyList(size)}. Got ${pySize(theta.shape)}.`);
    }
    spatial_size = size.slice(-2);
  } else if (size.length === 5) {
    if (theta.dim() !== 3 || theta.shape[1] !== 3 || theta.shape[2] !== 4) {
      throw new ValueError(`Expected a batch of 3D affine matrices of shape Nx3x4 for size ${pyList(size)}. Got ${pySize(theta.shape)}.`);
    }
    spatial_size = size.slice(-3);
  } else {
    throw new NotImplementedError(
      `affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${pyList(size)}.`,
    );
  }
  if (align_corners && Math.min(...spatial_size) === 1) {
    warn(
      'Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. This is not an intended use case of affine_grid. See the documentation of affine_grid for details.',
    );
  } else if (Math.min(...size) <= 0) {
    throw new ValueError(`Expected non-zero, positive output size. Got ${pyList(size)}`);
  }
  return torch.affine_grid_generator(theta, size, align_corners);
}

// ---- distances ----------------------------------------------------------------------------

/**
 * p-norm distance between the rows of x1 and x2 (eps added to the difference).
 * Python: `pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False)`.
 */
export const pairwise_distance = aten('pairwise_distance');
/** p-norm distances between all pairs of rows of an (N, M) input, as the N(N-1)/2 upper-triangle values. Python: `pdist(input, p=2)`. */
export const pdist = aten('pdist');
/** Cosine similarity along `dim`. Python: `cosine_similarity(x1, x2, dim=1, eps=1e-8)`. */
export const cosine_similarity = aten('cosine_similarity');
/**
 * One-hot encoding of int64 class indices: shape (*, num_classes).
 * Python: `one_hot(tensor, num_classes=-1)`; -1 infers num_classes as max + 1.
 */
export const one_hot = atenNN('one_hot');

const NORMALIZE = signature('normalize', 1, [
  ['p', 2.0 as number],
  ['dim', 1 as number],
  ['eps', 1e-12 as number],
  ['out', null as Tensor | null],
]);
/**
 * x / max(||x||_p, eps) along `dim`.
 * Python: `normalize(input, p=2.0, dim=1, eps=1e-12, out=None)` (out= is not supported).
 */
export function normalize(input: Tensor, ...args: Args<typeof NORMALIZE>): Tensor {
  const a = NORMALIZE.parse(args);
  checkTensor('normalize', 'input', input);
  if (a.out !== null) throw new NotImplementedError('normalize: out= is not supported by torch-node');
  const denom = input.norm(a.p, a.dim, { keepdim: true }).clamp_min(a.eps).expand_as(input);
  return input.div(denom);
}

const UNFOLD = signature('unfold', 2, [
  ['dilation', 1 as IntOrTuple],
  ['padding', 0 as IntOrTuple],
  ['stride', 1 as IntOrTuple],
]);
/**
 * Extracts sliding local blocks (im2col): (N, C, H, W) to (N, C * kH * kW, L).
 * Python: `unfold(input, kernel_size, dilation=1, padding=0, stride=1)`.
 */
export function unfold(input: Tensor, kernel_size: IntOrTuple, ...args: Args<typeof UNFOLD>): Tensor {
  const a = UNFOLD.parse(args);
  return torch._nn.im2col(input, _pair(kernel_size), _pair(a.dilation), _pair(a.padding), _pair(a.stride));
}

const FOLD = signature('fold', 3, UNFOLD.params);
/**
 * Sums sliding local blocks back into a tensor (col2im): (N, C * kH * kW, L) to (N, C, H, W).
 * Python: `fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1)`.
 */
export function fold(input: Tensor, output_size: IntOrTuple, kernel_size: IntOrTuple, ...args: Args<typeof FOLD>): Tensor {
  const a = FOLD.parse(args);
  return torch._nn.col2im(input, _pair(output_size), _pair(kernel_size), _pair(a.dilation), _pair(a.padding), _pair(a.stride));
}

// ---- attention ----------------------------------------------------------------------------

function assertShape(condition: boolean, message: string): asserts condition {
  // Python asserts these; a bad argument is a ValueError here.
  if (!condition) throw new ValueError(message);
}
const pyTuple = (values: readonly number[]): string => (values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`);

function _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | null): Tensor[] {
  const E = q.size(-1);
  if (k === v) {
    if (q === k) return linear(q, w, b).chunk(3, -1);
    const [w_q, w_kv] = w.split([E, E * 2]);
    const [b_q, b_kv] = b === null ? [null, null] : b.split([E, E * 2]);
    return [linear(q, w_q, b_q), ...linear(k, w_kv, b_kv).chunk(2, -1)];
  }
  const [w_q, w_k, w_v] = w.chunk(3);
  const [b_q, b_k, b_v] = b === null ? [null, null, null] : b.chunk(3);
  return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)];
}

function _in_projection(
  q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor,
  b_q: Tensor | null, b_k: Tensor | null, b_v: Tensor | null,
): Tensor[] {
  const [Eq, Ek, Ev] = [q.size(-1), k.size(-1), v.size(-1)];
  assertShape(sameShape(w_q.shape, [Eq, Eq]), `expecting query weights shape of ${pyTuple([Eq, Eq])}, but got ${pySize(w_q.shape)}`);
  assertShape(sameShape(w_k.shape, [Eq, Ek]), `expecting key weights shape of ${pyTuple([Eq, Ek])}, but got ${pySize(w_k.shape)}`);
  assertShape(sameShape(w_v.shape, [Eq, Ev]), `expecting value weights shape of ${pyTuple([Eq, Ev])}, but got ${pySize(w_v.shape)}`);
  assertShape(b_q === null || sameShape(b_q.shape, [Eq]), `expecting query bias shape of ${pyTuple([Eq])}, but got ${b_q && pySize(b_q.shape)}`);
  assertShape(b_k === null || sameShape(b_k.shape, [Eq]), `expecting key bias shape of ${pyTuple([Eq])}, but got ${b_k && pySize(b_k.shape)}`);
  assertShape(b_v === null || sameShape(b_v.shape, [Eq]), `expecting value bias shape of ${pyTuple([Eq])}, but got ${b_v && pySize(b_v.shape)}`);
  return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)];
}

function _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | null, attn_mask: Tensor | null, num_heads: number): boolean {
  if (query.dim() === 3) {
    assertShape(key.dim() === 3 && value.dim() === 3, `For batched (3-D) \`query\`, expected \`key\` and \`value\` to be 3-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`);
    if (key_padding_mask !== null) {
      assertShape(key_padding_mask.dim() === 2, `For batched (3-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 2-D but found ${key_padding_mask.dim()}-D tensor instead`);
    }
    if (attn_mask !== null) {
      assertShape(attn_mask.dim() === 2 || attn_mask.dim() === 3, `For batched (3-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attn_mask.dim()}-D tensor instead`);
    }
    return true;
  }
  if (query.dim() === 2) {
    assertShape(key.dim() === 2 && value.dim() === 2, `For unbatched (2-D) \`query\`, expected \`key\` and \`value\` to be 2-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`);
    if (key_padding_mask !== null) {
      assertShape(key_padding_mask.dim() === 1, `For unbatched (2-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 1-D but found ${key_padding_mask.dim()}-D tensor instead`);
    }
    if (attn_mask !== null) {
      assertShape(attn_mask.dim() === 2 || attn_mask.dim() === 3, `For unbatched (2-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attn_mask.dim()}-D tensor instead`);
      if (attn_mask.dim() === 3) {
        const expected_shape = [num_heads, query.shape[0], key.shape[0]];
        assertShape(sameShape(attn_mask.shape, expected_shape), `Expected \`attn_mask\` shape to be ${pyTuple(expected_shape)} but got ${pySize(attn_mask.shape)}`);
      }
    }
    return false;
  }
  throw new ValueError(`query should be unbatched 2D or batched 3D tensor but received ${query.dim()}-D query tensor`);
}

const MHA = signature('multi_head_attention_forward', 13, [
  ['training', true as boolean],
  ['key_padding_mask', null as Tensor | null],
  ['need_weights', true as boolean],
  ['attn_mask', null as Tensor | null],
  ['use_separate_proj_weight', false as boolean],
  ['q_proj_weight', null as Tensor | null],
  ['k_proj_weight', null as Tensor | null],
  ['v_proj_weight', null as Tensor | null],
  ['static_k', null as Tensor | null],
  ['static_v', null as Tensor | null],
  ['average_attn_weights', true as boolean],
]);
/**
 * The forward pass of nn.MultiheadAttention, as PyTorch 1.13 computes it.
 * Python: `multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True, key_padding_mask=None, need_weights=True, attn_mask=None, use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True)`.
 *
 * Returns `[attn_output, attn_weights]`, attn_weights null unless need_weights.
 * Shape: query (L, N, E) or (L, E); key, value (S, N, E) or (S, E); output like query.
 */
export function multi_head_attention_forward(
  query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: number, num_heads: number,
  in_proj_weight: Tensor | null, in_proj_bias: Tensor | null, bias_k: Tensor | null, bias_v: Tensor | null,
  add_zero_attn: boolean, dropout_p: number, out_proj_weight: Tensor, out_proj_bias: Tensor | null,
  ...args: Args<typeof MHA>
): [Tensor, Tensor | null] {
  const a = MHA.parse(args);
  let { key_padding_mask, attn_mask } = a;
  const is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads);
  if (!is_batched) {
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (key_padding_mask !== null) key_padding_mask = key_padding_mask.unsqueeze(0);
  }
  const [tgt_len, bsz, embed_dim] = query.shape;
  let src_len = key.shape[0];
  if (key_padding_mask !== null) {
    const kpmDtype = key_padding_mask.dtype;
    if (kpmDtype !== torchBool && !kpmDtype.is_floating_point) throw new ValueError('only bool and floating types of key_padding_mask are supported');
  }
  assertShape(embed_dim === embed_dim_to_check, `was expecting embedding dimension of ${embed_dim_to_check}, but got ${embed_dim}`);
  const head_dim = floorDiv(embed_dim, num_heads);
  assertShape(head_dim * num_heads === embed_dim, `embed_dim ${embed_dim} not divisible by num_heads ${num_heads}`);
  if (a.use_separate_proj_weight) {
    assertShape(sameShape(key.shape.slice(0, 2), value.shape.slice(0, 2)), `key's sequence and batch dims ${pySize(key.shape.slice(0, 2))} do not match value's ${pySize(value.shape.slice(0, 2))}`);
  } else {
    assertShape(sameShape(key.shape, value.shape), `key shape ${pySize(key.shape)} does not match value shape ${pySize(value.shape)}`);
  }

  let q: Tensor, k: Tensor, v: Tensor;
  if (!a.use_separate_proj_weight) {
    assertShape(in_proj_weight !== null, 'use_separate_proj_weight is False but in_proj_weight is None');
    [q, k, v] = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias);
  } else {
    assertShape(a.q_proj_weight !== null, 'use_separate_proj_weight is True but q_proj_weight is None');
    assertShape(a.k_proj_weight !== null, 'use_separate_proj_weight is True but k_proj_weight is None');
    assertShape(a.v_proj_weight !== null, 'use_separate_proj_weight is True but v_proj_weight is None');
    const [b_q, b_k, b_v] = in_proj_bias === null ? [null, null, null] : in_proj_bias.chunk(3);
    [q, k, v] = _in_projection(query, key, value, a.q_proj_weight, a.k_proj_weight, a.v_proj_weight, b_q, b_k, b_v);
  }

  if (attn_mask !== null) {
    if (attn_mask.dtype === uint8) {
      warn('Byte tensor for attn_mask in nn.MultiheadAttention is deprecated. Use bool tensor instead.');
      attn_mask = attn_mask.to(torchBool);
    } else {
      assertShape(attn_mask.is_floating_point() || attn_mask.dtype === torchBool, `Only float, byte, and bool types are supported for attn_mask, not torch.${attn_mask.dtype.name}`);
    }
    if (attn_mask.dim() === 2) {
      const correct_2d_size = [tgt_len, src_len];
      if (!sameShape(attn_mask.shape, correct_2d_size)) {
        throw new TorchError(`The shape of the 2D attn_mask is ${pySize(attn_mask.shape)}, but should be ${pyTuple(correct_2d_size)}.`);
      }
      attn_mask = attn_mask.unsqueeze(0);
    } else if (attn_mask.dim() === 3) {
      const correct_3d_size = [bsz * num_heads, tgt_len, src_len];
      if (!sameShape(attn_mask.shape, correct_3d_size)) {
        throw new TorchError(`The shape of the 3D attn_mask is ${pySize(attn_mask.shape)}, but should be ${pyTuple(correct_3d_size)}.`);
      }
    } else {
      throw new TorchError(`attn_mask's dimension ${attn_mask.dim()} is not supported`);
    }
  }

  if (bias_k !== null && bias_v !== null) {
    assertShape(a.static_k === null, 'bias cannot be added to static key.');
    assertShape(a.static_v === null, 'bias cannot be added to static value.');
    k = torch.cat([k, bias_k.repeat(1, bsz, 1)]);
    v = torch.cat([v, bias_v.repeat(1, bsz, 1)]);
    if (attn_mask !== null) attn_mask = pad(attn_mask, [0, 1]);
    if (key_padding_mask !== null) key_padding_mask = pad(key_padding_mask, [0, 1]);
  } else {
    assertShape(bias_k === null, 'bias_k is given without bias_v');
    assertShape(bias_v === null, 'bias_v is given without bias_k');
  }

  q = q.contiguous().view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1);
  if (a.static_k === null) {
    k = k.contiguous().view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1);
  } else {
    assertShape(a.static_k.size(0) === bsz * num_heads, `expecting static_k.size(0) of ${bsz * num_heads}, but got ${a.static_k.size(0)}`);
    assertShape(a.static_k.size(2) === head_dim, `expecting static_k.size(2) of ${head_dim}, but got ${a.static_k.size(2)}`);
    k = a.static_k;
  }
  if (a.static_v === null) {
    v = v.contiguous().view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1);
  } else {
    assertShape(a.static_v.size(0) === bsz * num_heads, `expecting static_v.size(0) of ${bsz * num_heads}, but got ${a.static_v.size(0)}`);
    assertShape(a.static_v.size(2) === head_dim, `expecting static_v.size(2) of ${head_dim}, but got ${a.static_v.size(2)}`);
    v = a.static_v;
  }

  if (add_zero_attn) {
    const zero_attn_shape = [bsz * num_heads, 1, head_dim];
    k = torch.cat([k, torch.zeros(zero_attn_shape, { dtype: k.dtype, device: k.device })], 1);
    v = torch.cat([v, torch.zeros(zero_attn_shape, { dtype: v.dtype, device: v.device })], 1);
    if (attn_mask !== null) attn_mask = pad(attn_mask, [0, 1]);
    if (key_padding_mask !== null) key_padding_mask = pad(key_padding_mask, [0, 1]);
  }

  src_len = k.size(1);
  if (key_padding_mask !== null) {
    assertShape(sameShape(key_padding_mask.shape, [bsz, src_len]), `expecting key_padding_mask shape of ${pyTuple([bsz, src_len])}, but got ${pySize(key_padding_mask.shape)}`);
    key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len);
    if (attn_mask === null) attn_mask = key_padding_mask;
    else if (attn_mask.dtype === torchBool) attn_mask = attn_mask.logical_or(key_padding_mask);
    else attn_mask = attn_mask.masked_fill(key_padding_mask, -Infinity);
  }
  if (attn_mask !== null && attn_mask.dtype === torchBool) {
    const new_attn_mask = torch.zeros_like(attn_mask, { dtype: q.dtype });
    new_attn_mask.masked_fill_(attn_mask, -Infinity);
    attn_mask = new_attn_mask;
  }
  if (!a.training) dropout_p = 0.0;

  const E = q.shape[2];
  const q_scaled = q.div(Math.sqrt(E));
  let attn_output_weights = attn_mask !== null
    ? torch.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
    : torch.bmm(q_scaled, k.transpose(-2, -1));
  attn_output_weights = softmax(attn_output_weights, { dim: -1 });
  if (dropout_p > 0.0) attn_output_weights = dropout(attn_output_weights, { p: dropout_p });
  let attn_output = torch.bmm(attn_output_weights, v);
  attn_output = attn_output.transpose(0, 1).contiguous().view(tgt_len * bsz, embed_dim);
  attn_output = linear(attn_output, out_proj_weight, out_proj_bias);
  attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1));

  if (a.need_weights) {
    attn_output_weights = attn_output_weights.view(bsz, num_heads, tgt_len, src_len);
    if (a.average_attn_weights) attn_output_weights = attn_output_weights.sum(1).div(num_heads);
    if (!is_batched) {
      attn_output = attn_output.squeeze(1);
      attn_output_weights = attn_output_weights.squeeze(0);
    }
    return [attn_output, attn_output_weights];
  }
  if (!is_batched) attn_output = attn_output.squeeze(1);
  return [attn_output, null];
}

const SCALED_DOT_PRODUCT_ATTENTION = signature('scaled_dot_product_attention', 3, [
  ['attn_mask', null as Tensor | null],
  ['dropout_p', 0.0 as number],
  ['is_causal', false as boolean],
], [['scale', null as number | null]]);
/**
 * softmax(Q K^T * scale + mask) V, with dropout on the attention weights.
 * Python (PyTorch 2.x): `scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None)`.
 * libtorch 1.13 has no public fused kernel, so this is PyTorch's documented reference
 * computation; dropout draws from the default generator like torch.dropout.
 *
 * Args: attn_mask: bool (true = take part in attention) or float (added to the scores),
 * broadcastable to (..., L, S); is_causal: a lower-triangular mask (not with attn_mask);
 * scale: defaults to 1 / sqrt(E).
 * Shape: query (..., L, E); key (..., S, E); value (..., S, Ev); output (..., L, Ev).
 */
export function scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, ...args: Args<typeof SCALED_DOT_PRODUCT_ATTENTION>): Tensor {
  const a = SCALED_DOT_PRODUCT_ATTENTION.parse(args);
  checkTensor('scaled_dot_product_attention', 'query', query);
  checkTensor('scaled_dot_product_attention', 'key', key);
  checkTensor('scaled_dot_product_attention', 'value', value);
  checkOptionalTensor('scaled_dot_product_attention', 'attn_mask', a.attn_mask);
  checkNumber('scaled_dot_product_attention', 'dropout_p', a.dropout_p);
  const L = query.size(-2);
  const S = key.size(-2);
  const scale_factor = a.scale === null ? 1 / Math.sqrt(query.size(-1)) : a.scale;
  let attn_bias = torch.zeros(L, S, { dtype: query.dtype, device: query.device });
  if (a.is_causal) {
    if (a.attn_mask !== null) throw new TorchError('_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True');
    const temp_mask = torch.ones(L, S, { dtype: torchBool, device: query.device }).tril(0);
    attn_bias = attn_bias.masked_fill(temp_mask.logical_not(), -Infinity);
  }
  if (a.attn_mask !== null) {
    attn_bias = a.attn_mask.dtype === torchBool
      ? attn_bias.masked_fill(a.attn_mask.logical_not(), -Infinity)
      : attn_bias.add(a.attn_mask);
  }
  let attn_weight = query.matmul(key.transpose(-2, -1)).mul(scale_factor);
  attn_weight = attn_weight.add(attn_bias);
  attn_weight = torch.softmax(attn_weight, -1);
  attn_weight = torch.dropout(attn_weight, a.dropout_p, true);
  return attn_weight.matmul(value);
}
