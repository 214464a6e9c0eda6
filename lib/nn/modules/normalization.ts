// Normalization layers without running statistics (torch/nn/modules/normalization.py):
// LayerNorm, GroupNorm and LocalResponseNorm.
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import type { Parameter } from '../parameter.js';
import { FACTORY, checkBool, checkNumber, checkSize, factoryKwargs, namedErrors, parameterOf, pyFloat, pyStr, pyTuple, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

const LAYER_NORM_PARAMS = [
  ['eps', 1e-5 as number],
  ['elementwise_affine', true as boolean],
  ...FACTORY,
] as const;
/** The optional arguments of LayerNorm: `(eps, elementwise_affine, device, dtype)` positionally, or by name. */
export type LayerNormArgs = ArgsOf<typeof LAYER_NORM_PARAMS>;

/**
 * Layer normalization over the last dimensions of the input (Python: `nn.LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True, device=None, dtype=None)`).
 *
 * y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with the statistics taken over the
 * last len(normalized_shape) dimensions of each sample.
 *
 * Args:
 *   normalized_shape: the trailing shape to normalise over (an int for the last dimension).
 *   eps: added to the variance for stability (default 1e-5).
 *   elementwise_affine: learn weight (ones) and bias (zeros) of shape normalized_shape (default true).
 *
 * Shape: input (N, *), output the same.
 *
 * Example: `new nn.LayerNorm(10).forward(torch.randn(20, 5, 10))`
 */
export class LayerNorm extends Module {
  declare normalized_shape: number[];
  declare eps: number;
  declare elementwise_affine: boolean;
  declare weight: Parameter | null;
  declare bias: Parameter | null;

  constructor(normalized_shape: number | number[], ...args: LayerNormArgs) {
    super();
    const where = 'nn.LayerNorm';
    const a = signature(where, 2, LAYER_NORM_PARAMS).parse(args);
    const shape = typeof normalized_shape === 'number' ? [normalized_shape] : normalized_shape;
    if (!Array.isArray(shape)) checkSize(where, 'normalized_shape', normalized_shape);
    shape.forEach((s) => checkSize(where, 'normalized_shape', s));
    this.normalized_shape = [...shape];
    this.eps = checkNumber(where, 'eps', a.eps);
    this.elementwise_affine = checkBool(where, 'elementwise_affine', a.elementwise_affine);
    const factory = factoryKwargs(a);
    if (this.elementwise_affine) {
      this.weight = parameterOf(torch.empty(this.normalized_shape, factory));
      this.bias = parameterOf(torch.empty(this.normalized_shape, factory));
    } else {
      this.register_parameter('weight', null);
      this.register_parameter('bias', null);
    }
    this.reset_parameters();
  }

  /** weight to 1, bias to 0. */
  reset_parameters(): void {
    if (this.elementwise_affine) {
      init.ones_(this.weight!);
      init.zeros_(this.bias!);
    }
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('LayerNorm', () => F.layer_norm(input, this.normalized_shape, this.weight, this.bias, this.eps));
  }

  override extra_repr(): string {
    return `${pyTuple(this.normalized_shape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyStr(this.elementwise_affine)}`;
  }
}

const GROUP_NORM_PARAMS = [
  ['eps', 1e-5 as number],
  ['affine', true as boolean],
  ...FACTORY,
] as const;
/** The optional arguments of GroupNorm: `(eps, affine, device, dtype)` positionally, or by name. */
export type GroupNormArgs = ArgsOf<typeof GROUP_NORM_PARAMS>;

/**
 * Group normalization: the channels are split into num_groups groups, each normalised per
 * sample (Python: `nn.GroupNorm(num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None)`).
 *
 * Args:
 *   num_groups: the number of groups; must divide num_channels.
 *   num_channels: C.
 *   eps: added to the variance for stability (default 1e-5).
 *   affine: learn a per-channel weight (ones) and bias (zeros) (default true).
 *
 * Shape: input (N, C, *), output the same.
 *
 * Example: `new nn.GroupNorm(3, 6).forward(torch.randn(20, 6, 10, 10))`
 */
export class GroupNorm extends Module {
  declare num_groups: number;
  declare num_channels: number;
  declare eps: number;
  declare affine: boolean;
  declare weight: Parameter | null;
  declare bias: Parameter | null;

  constructor(num_groups: number, num_channels: number, ...args: GroupNormArgs) {
    super();
    const where = 'nn.GroupNorm';
    const a = signature(where, 3, GROUP_NORM_PARAMS).parse(args);
    checkSize(where, 'num_groups', num_groups);
    checkSize(where, 'num_channels', num_channels);
    if (num_groups === 0 || num_channels % num_groups !== 0) throw new ValueError('num_channels must be divisible by num_groups');
    this.num_groups = num_groups;
    this.num_channels = num_channels;
    this.eps = checkNumber(where, 'eps', a.eps);
    this.affine = checkBool(where, 'affine', a.affine);
    const factory = factoryKwargs(a);
    if (this.affine) {
      this.weight = parameterOf(torch.empty(num_channels, factory));
      this.bias = parameterOf(torch.empty(num_channels, factory));
    } else {
      this.register_parameter('weight', null);
      this.register_parameter('bias', null);
    }
    this.reset_parameters();
  }

  /** weight to 1, bias to 0. */
  reset_parameters(): void {
    if (this.affine) {
      init.ones_(this.weight!);
      init.zeros_(this.bias!);
    }
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('GroupNorm', () => F.group_norm(input, this.num_groups, this.weight, this.bias, this.eps));
  }

  override extra_repr(): string {
    return `${this.num_groups}, ${this.num_channels}, eps=${pyFloat(this.eps)}, affine=${pyStr(this.affine)}`;
  }
}

const LRN_PARAMS = [
  ['alpha', 1e-4 as number],
  ['beta', 0.75 as number],
  ['k', 1.0 as number],
] as const;
/** The optional arguments of LocalResponseNorm: `(alpha, beta, k)`. */
export type LocalResponseNormArgs = ArgsOf<typeof LRN_PARAMS>;

/**
 * Local response normalization across neighbouring channels, as in AlexNet
 * (Python: `nn.LocalResponseNorm(size, alpha=0.0001, beta=0.75, k=1.0)`).
 *
 * Shape: input (N, C, *), output the same.
 */
export class LocalResponseNorm extends Module {
  declare size: number;
  declare alpha: number;
  declare beta: number;
  declare k: number;

  constructor(size: number, ...args: LocalResponseNormArgs) {
    super();
    const where = 'nn.LocalResponseNorm';
    const a = signature(where, 2, LRN_PARAMS).parse(args);
    this.size = checkSize(where, 'size', size);
    this.alpha = checkNumber(where, 'alpha', a.alpha);
    this.beta = checkNumber(where, 'beta', a.beta);
    this.k = checkNumber(where, 'k', a.k);
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('LocalResponseNorm', () => F.local_response_norm(input, this.size, this.alpha, this.beta, this.k));
  }

  override extra_repr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}
