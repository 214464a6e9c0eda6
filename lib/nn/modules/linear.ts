// Identity, Linear and Bilinear (torch/nn/modules/linear.py).
import type { DeviceLike } from '../../device.js';
import type { DType } from '../../dtype.js';
import { argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as init from '../init.js';
import { Parameter } from '../parameter.js';
import { Module } from './module.js';
import { parameterOf } from './_layer_utils.js';

/** Where and how to create a module's parameters (Python's `device=None, dtype=None` keywords). */
export interface FactoryOptions {
  device?: DeviceLike;
  dtype?: DType;
}

/** @internal Checks a size argument of a module constructor. */
export function checkSize(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw argumentError(where, name, 'a non-negative integer', value);
  return value;
}

/** @internal Splits `(bias?: boolean | { bias, device, dtype }, factory?)` into the bias flag and factory options. */
export function biasAndFactory(where: string, bias: boolean | (FactoryOptions & { bias?: boolean }) | undefined, factory: FactoryOptions | undefined): [boolean, FactoryOptions] {
  if (typeof bias === 'object' && bias !== null) {
    const { bias: flag = true, ...rest } = bias;
    if (typeof flag !== 'boolean') throw argumentError(where, 'bias', 'a boolean', flag);
    return [flag, rest];
  }
  const flag = bias ?? true;
  if (typeof flag !== 'boolean') throw argumentError(where, 'bias', 'a boolean', flag);
  return [flag, factory ?? {}];
}

function factoryKwargs(factory: FactoryOptions): FactoryOptions {
  const out: FactoryOptions = {};
  if (factory.device !== undefined) out.device = factory.device;
  if (factory.dtype !== undefined) out.dtype = factory.dtype;
  return out;
}

/**
 * A placeholder that returns its input unchanged; constructor arguments are ignored.
 *
 * Shape: input (*), output (*), the same.
 *
 * Example: `new nn.Identity().forward(x) === x`
 */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }

  override forward(input: Tensor): Tensor {
    return input;
  }
}

/**
 * Applies an affine transformation y = x A^T + b (Python: `nn.Linear(in_features, out_features, bias=True, device=None, dtype=None)`).
 *
 * Args:
 *   in_features: size of each input sample.
 *   out_features: size of each output sample.
 *   bias: whether to learn an additive bias (default true); or an options object
 *     `{ bias, device, dtype }`.
 *   factory: `{ device, dtype }` of the parameters.
 *
 * Shape: input (*, in_features), output (*, out_features).
 *
 * Attributes: weight (out_features, in_features) and bias (out_features), both from
 * U(-sqrt(k), sqrt(k)) with k = 1 / in_features.
 *
 * Example: `const fc = new nn.Linear(20, 30); fc.forward(torch.randn(128, 20)).shape  // [128, 30]`
 */
export class Linear extends Module {
  in_features: number;
  out_features: number;
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(in_features: number, out_features: number, bias?: boolean | (FactoryOptions & { bias?: boolean }), factory?: FactoryOptions) {
    super();
    const [hasBias, options] = biasAndFactory('nn.Linear', bias, factory);
    this.in_features = checkSize('nn.Linear', 'in_features', in_features);
    this.out_features = checkSize('nn.Linear', 'out_features', out_features);
    const kwargs = factoryKwargs(options);
    this.weight = parameterOf(torch.empty([out_features, in_features], kwargs));
    if (hasBias) this.bias = parameterOf(torch.empty(out_features, kwargs));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /** Re-draws weight (kaiming_uniform_ with a = sqrt(5)) and bias (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), as PyTorch does. */
  reset_parameters(): void {
    init.kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fan_in] = init._calculate_fan_in_and_fan_out(this.weight);
      const bound = fan_in > 0 ? 1 / Math.sqrt(fan_in) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  override forward(input: Tensor): Tensor {
    return torch._nn.linear(input, this.weight, this.bias);
  }

  override extra_repr(): string {
    return `in_features=${this.in_features}, out_features=${this.out_features}, bias=${this.bias !== null ? 'True' : 'False'}`;
  }
}

/**
 * Applies a bilinear transformation y = x1^T A x2 + b (Python: `nn.Bilinear(in1_features, in2_features, out_features, bias=True, device=None, dtype=None)`).
 *
 * Args:
 *   in1_features, in2_features: sizes of each first and second input sample.
 *   out_features: size of each output sample.
 *   bias: whether to learn an additive bias (default true); or `{ bias, device, dtype }`.
 *   factory: `{ device, dtype }` of the parameters.
 *
 * Shape: input1 (*, in1_features), input2 (*, in2_features), output (*, out_features).
 *
 * Attributes: weight (out_features, in1_features, in2_features) and bias (out_features), from
 * U(-sqrt(k), sqrt(k)) with k = 1 / in1_features.
 *
 * Example: `new nn.Bilinear(20, 30, 40).forward(torch.randn(128, 20), torch.randn(128, 30)).shape  // [128, 40]`
 */
export class Bilinear extends Module {
  in1_features: number;
  in2_features: number;
  out_features: number;
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(
    in1_features: number,
    in2_features: number,
    out_features: number,
    bias?: boolean | (FactoryOptions & { bias?: boolean }),
    factory?: FactoryOptions,
  ) {
    super();
    const [hasBias, options] = biasAndFactory('nn.Bilinear', bias, factory);
    this.in1_features = checkSize('nn.Bilinear', 'in1_features', in1_features);
    this.in2_features = checkSize('nn.Bilinear', 'in2_features', in2_features);
    this.out_features = checkSize('nn.Bilinear', 'out_features', out_features);
    const kwargs = factoryKwargs(options);
    this.weight = parameterOf(torch.empty([out_features, in1_features, in2_features], kwargs));
    if (hasBias) this.bias = parameterOf(torch.empty(out_features, kwargs));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /** Re-draws weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as PyTorch does. */
  reset_parameters(): void {
    const bound = 1 / Math.sqrt(this.weight.size(1));
    init.uniform_(this.weight, -bound, bound);
    if (this.bias !== null) init.uniform_(this.bias, -bound, bound);
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    return torch.bilinear(input1, input2, this.weight, this.bias);
  }

  override extra_repr(): string {
    return `in1_features=${this.in1_features}, in2_features=${this.in2_features}, out_features=${this.out_features}, bias=${this.bias !== null ? 'True' : 'False'}`;
  }
}
