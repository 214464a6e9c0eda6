// Non-linear activations (torch/nn/modules/activation.py), each a thin module over
// nn.functional. MultiheadAttention, which PyTorch also keeps in activation.py, lives in
// attention.ts.
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { warn } from '../_reduction.js';
import * as F from '../functional.js';
import type { Parameter } from '../parameter.js';
import { FACTORY, checkBool, checkInt, checkNumber, checkSize, checkString, factoryKwargs, parameterOf, pyFloat, pyNumber, pyRepr, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

const INPLACE = [['inplace', false as boolean]] as const;
/** The argument of the activations that can work in place: `(inplace)`, or `{ inplace }`. */
export type InplaceArgs = ArgsOf<typeof INPLACE>;

/** Parses `(inplace)` for an activation module. */
function parseInplace(name: string, args: readonly unknown[]): boolean {
  const { inplace } = signature(`nn.${name}`, 0, INPLACE).parse(args);
  return checkBool(`nn.${name}`, 'inplace', inplace);
}

const THRESHOLD_PARAMS = INPLACE;

/**
 * y = x where x > threshold, else value (Python: `nn.Threshold(threshold, value, inplace=False)`).
 *
 * Shape: input (*), output the same.
 *
 * Example: `new nn.Threshold(0.1, 20).forward(torch.randn(2))`
 */
export class Threshold extends Module {
  declare threshold: number;
  declare value: number;
  declare inplace: boolean;

  constructor(threshold: number, value: number, ...args: ArgsOf<typeof THRESHOLD_PARAMS>) {
    super();
    const where = 'nn.Threshold';
    const a = signature(where, 2, THRESHOLD_PARAMS).parse(args);
    this.threshold = checkNumber(where, 'threshold', threshold);
    this.value = checkNumber(where, 'value', value);
    this.inplace = checkBool(where, 'inplace', a.inplace);
  }

  override forward(input: Tensor): Tensor {
    return F.threshold(input, this.threshold, this.value, this.inplace);
  }

  override extra_repr(): string {
    return `threshold=${pyNumber(this.threshold)}, value=${pyNumber(this.value)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/**
 * max(0, x) elementwise (Python: `nn.ReLU(inplace=False)`).
 *
 * Shape: input (*), output the same.
 *
 * Example: `new nn.ReLU().forward(torch.randn(2))`
 */
export class ReLU extends Module {
  declare inplace: boolean;

  constructor(...args: InplaceArgs) {
    super();
    this.inplace = parseInplace('ReLU', args);
  }

  override forward(input: Tensor): Tensor {
    return F.relu(input, { inplace: this.inplace });
  }

  override extra_repr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

const RRELU_PARAMS = [
  ['lower', 1.0 / 8 as number],
  ['upper', 1.0 / 3 as number],
  ['inplace', false as boolean],
] as const;

/**
 * Randomized leaky ReLU: negative inputs are scaled by a slope drawn from U(lower, upper)
 * while training, and by (lower + upper) / 2 in eval mode (Python: `nn.RReLU(lower=1/8, upper=1/3, inplace=False)`).
 *
 * Shape: input (*), output the same.
 */
export class RReLU extends Module {
  declare lower: number;
  declare upper: number;
  declare inplace: boolean;

  constructor(...args: ArgsOf<typeof RRELU_PARAMS>) {
    super();
    const where = 'nn.RReLU';
    const a = signature(where, 0, RRELU_PARAMS).parse(args);
    this.lower = checkNumber(where, 'lower', a.lower);
    this.upper = checkNumber(where, 'upper', a.upper);
    this.inplace = checkBool(where, 'inplace', a.inplace);
  }

  override forward(input: Tensor): Tensor {
    return F.rrelu(input, this.lower, this.upper, this.training, this.inplace);
  }

  override extra_repr(): string {
    return `lower=${pyFloat(this.lower)}, upper=${pyFloat(this.upper)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

const HARDTANH_PARAMS = [
  ['min_val', -1.0 as number],
  ['max_val', 1.0 as number],
  ['inplace', false as boolean],
  ['min_value', null as number | null],
  ['max_value', null as number | null],
] as const;
/** The optional arguments of Hardtanh: `(min_val, max_val, inplace)`; min_value/max_value are deprecated names. */
export type HardtanhArgs = ArgsOf<typeof HARDTANH_PARAMS>;

/**
 * Clamps to [min_val, max_val] (Python: `nn.Hardtanh(min_val=-1.0, max_val=1.0, inplace=False)`).
 *
 * Shape: input (*), output the same.
 *
 * Example: `new nn.Hardtanh(-2, 2).forward(torch.randn(2))`
 */
export class Hardtanh extends Module {
  declare min_val: number;
  declare max_val: number;
  declare inplace: boolean;

  constructor(...args: HardtanhArgs) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 0, HARDTANH_PARAMS).parse(args);
    let { min_val, max_val } = a;
    if (a.min_value !== null) {
      warn('keyword argument min_value is deprecated and rename to min_val');
      min_val = a.min_value;
    }
    if (a.max_value !== null) {
      warn('keyword argument max_value is deprecated and rename to max_val');
      max_val = a.max_value;
    }
    this.min_val = checkNumber(where, 'min_val', min_val);
    this.max_val = checkNumber(where, 'max_val', max_val);
    this.inplace = checkBool(where, 'inplace', a.inplace);
    if (!(this.max_val > this.min_val)) {
      throw new ValueError(`${this.constructor.name}: max_val (${pyFloat(this.max_val)}) must be greater than min_val (${pyFloat(this.min_val)})`);
    }
  }

  override forward(input: Tensor): Tensor {
    return F.hardtanh(input, this.min_val, this.max_val, this.inplace);
  }

  override extra_repr(): string {
    return `min_val=${pyFloat(this.min_val)}, max_val=${pyFloat(this.max_val)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/**
 * min(max(0, x), 6) (Python: `nn.ReLU6(inplace=False)`).
 *
 * Shape: input (*), output the same.
 */
export class ReLU6 extends Hardtanh {
  constructor(...args: InplaceArgs) {
    super(0.0, 6.0, parseInplace('ReLU6', args));
  }

  override extra_repr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** 1 / (1 + exp(-x)) (Python: `nn.Sigmoid()`). Shape: input (*), output the same. */
export class Sigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return torch.sigmoid(input);
  }
}

/** relu6(x + 3) / 6 (Python: `nn.Hardsigmoid(inplace=False)`). Shape: input (*), output the same. */
export class Hardsigmoid extends Module {
  declare inplace: boolean;

  constructor(...args: InplaceArgs) {
    super();
    this.inplace = parseInplace('Hardsigmoid', args);
  }

  override forward(input: Tensor): Tensor {
    return F.hardsigmoid(input, this.inplace);
  }
}

/** tanh(x) (Python: `nn.Tanh()`). Shape: input (*), output the same. */
export class Tanh extends Module {
  override forward(input: Tensor): Tensor {
    return torch.tanh(input);
  }
}

/** x * sigmoid(x), the swish (Python: `nn.SiLU(inplace=False)`). Shape: input (*), output the same. */
export class SiLU extends Module {
  declare inplace: boolean;

  constructor(...args: InplaceArgs) {
    super();
    this.inplace = parseInplace('SiLU', args);
  }

  override forward(input: Tensor): Tensor {
    return F.silu(input, { inplace: this.inplace });
  }

  override extra_repr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** x * tanh(softplus(x)) (Python: `nn.Mish(inplace=False)`). Shape: input (*), output the same. */
export class Mish extends Module {
  declare inplace: boolean;

  constructor(...args: InplaceArgs) {
    super();
    this.inplace = parseInplace('Mish', args);
  }

  override forward(input: Tensor): Tensor {
    return F.mish(input, { inplace: this.inplace });
  }

  override extra_repr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** x * relu6(x + 3) / 6 (Python: `nn.Hardswish(inplace=False)`). Shape: input (*), output the same. */
export class Hardswish extends Module {
  declare inplace: boolean;

  constructor(...args: InplaceArgs) {
    super();
    this.inplace = parseInplace('Hardswish', args);
  }

  override forward(input: Tensor): Tensor {
    return F.hardswish(input, this.inplace);
  }
}

const ALPHA_PARAMS = [
  ['alpha', 1.0 as number],
  ['inplace', false as boolean],
] as const;
/** The optional arguments of ELU and CELU: `(alpha, inplace)`. */
export type AlphaArgs = ArgsOf<typeof ALPHA_PARAMS>;

/**
 * x where x > 0, else alpha (exp(x) - 1) (Python: `nn.ELU(alpha=1.0, inplace=False)`).
 *
 * Shape: input (*), output the same.
 */
export class ELU extends Module {
  declare alpha: number;
  declare inplace: boolean;

  constructor(...args: AlphaArgs) {
    super();
    const a = signature('nn.ELU', 0, ALPHA_PARAMS).parse(args);
    this.alpha = checkNumber('nn.ELU', 'alpha', a.alpha);
    this.inplace = checkBool('nn.ELU', 'inplace', a.inplace);
  }

  override forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha, this.inplace);
  }

  override extra_repr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/**
 * max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (Python: `nn.CELU(alpha=1.0, inplace=False)`).
 *
 * Shape: input (*), output the same.
 */
export class CELU extends Module {
  declare alpha: number;
  declare inplace: boolean;

  constructor(...args: AlphaArgs) {
    super();
    const a = signature('nn.CELU', 0, ALPHA_PARAMS).parse(args);
    this.alpha = checkNumber('nn.CELU', 'alpha', a.alpha);
    this.inplace = checkBool('nn.CELU', 'inplace', a.inplace);
  }

  override forward(input: Tensor): Tensor {
    return F.celu(input, this.alpha, this.inplace);
  }

  override extra_repr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** scale * (max(0, x) + min(0, alpha (exp(x) - 1))) with the self-normalizing constants (Python: `nn.SELU(inplace=False)`). */
export class SELU extends Module {
  declare inplace: boolean;

  constructor(...args: InplaceArgs) {
    super();
    this.inplace = parseInplace('SELU', args);
  }

  override forward(input: Tensor): Tensor {
    return F.selu(input, this.inplace);
  }

  override extra_repr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/**
 * Gated linear unit: a * sigmoid(b) with a, b the halves of the input along dim
 * (Python: `nn.GLU(dim=-1)`).
 *
 * Shape: input (*1, N, *2), output (*1, N / 2, *2).
 */
export class GLU extends Module {
  declare dim: number;

  constructor(...args: ArgsOf<readonly [readonly ['dim', number]]>) {
    super();
    const a = signature('nn.GLU', 0, [['dim', -1]] as const).parse(args);
    this.dim = checkInt('nn.GLU', 'dim', a.dim);
  }

  override forward(input: Tensor): Tensor {
    return F.glu(input, this.dim);
  }

  override extra_repr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Gaussian error linear unit, x * Phi(x) (Python: `nn.GELU(approximate='none')`);
 * approximate 'tanh' uses the tanh estimate.
 *
 * Shape: input (*), output the same.
 *
 * Example: `new nn.GELU('tanh').forward(x)` or `new nn.GELU({ approximate: 'tanh' })`
 */
export class GELU extends Module {
  declare approximate: 'none' | 'tanh';

  constructor(...args: ArgsOf<readonly [readonly ['approximate', 'none' | 'tanh']]>) {
    super();
    const a = signature('nn.GELU', 0, [['approximate', 'none']] as const).parse(args);
    this.approximate = checkString('nn.GELU', 'approximate', a.approximate) as 'none' | 'tanh';
  }

  override forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }

  override extra_repr(): string {
    return `approximate=${pyRepr(this.approximate)}`;
  }
}

const LAMBD = [['lambd', 0.5 as number]] as const;

/** x where |x| > lambd, else 0 (Python: `nn.Hardshrink(lambd=0.5)`). Shape: input (*), output the same. */
export class Hardshrink extends Module {
  declare lambd: number;

  constructor(...args: ArgsOf<typeof LAMBD>) {
    super();
    this.lambd = checkNumber('nn.Hardshrink', 'lambd', signature('nn.Hardshrink', 0, LAMBD).parse(args).lambd);
  }

  override forward(input: Tensor): Tensor {
    return F.hardshrink(input, this.lambd);
  }

  override extra_repr(): string {
    return pyFloat(this.lambd);
  }
}

const LEAKY_RELU_PARAMS = [
  ['negative_slope', 0.01 as number],
  ['inplace', false as boolean],
] as const;

/**
 * x where x >= 0, else negative_slope * x (Python: `nn.LeakyReLU(negative_slope=0.01, inplace=False)`).
 *
 * Shape: input (*), output the same.
 *
 * Example: `new nn.LeakyReLU(0.1).forward(torch.randn(2))`
 */
export class LeakyReLU extends Module {
  declare negative_slope: number;
  declare inplace: boolean;

  constructor(...args: ArgsOf<typeof LEAKY_RELU_PARAMS>) {
    super();
    const a = signature('nn.LeakyReLU', 0, LEAKY_RELU_PARAMS).parse(args);
    this.negative_slope = checkNumber('nn.LeakyReLU', 'negative_slope', a.negative_slope);
    this.inplace = checkBool('nn.LeakyReLU', 'inplace', a.inplace);
  }

  override forward(input: Tensor): Tensor {
    return F.leaky_relu(input, this.negative_slope, this.inplace);
  }

  override extra_repr(): string {
    return `negative_slope=${pyFloat(this.negative_slope)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** log(1 / (1 + exp(-x))) (Python: `nn.LogSigmoid()`). Shape: input (*), output the same. */
export class LogSigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

const SOFTPLUS_PARAMS = [
  ['beta', 1 as number],
  ['threshold', 20 as number],
] as const;

/**
 * 1/beta * log(1 + exp(beta * x)), linear where beta * x > threshold
 * (Python: `nn.Softplus(beta=1, threshold=20)`).
 *
 * Shape: input (*), output the same.
 */
export class Softplus extends Module {
  declare beta: number;
  declare threshold: number;

  constructor(...args: ArgsOf<typeof SOFTPLUS_PARAMS>) {
    super();
    const a = signature('nn.Softplus', 0, SOFTPLUS_PARAMS).parse(args);
    this.beta = checkNumber('nn.Softplus', 'beta', a.beta);
    this.threshold = checkNumber('nn.Softplus', 'threshold', a.threshold);
  }

  override forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }

  override extra_repr(): string {
    return `beta=${pyNumber(this.beta)}, threshold=${pyNumber(this.threshold)}`;
  }
}

/** x - lambd where x > lambd, x + lambd where x < -lambd, else 0 (Python: `nn.Softshrink(lambd=0.5)`). */
export class Softshrink extends Module {
  declare lambd: number;

  constructor(...args: ArgsOf<typeof LAMBD>) {
    super();
    this.lambd = checkNumber('nn.Softshrink', 'lambd', signature('nn.Softshrink', 0, LAMBD).parse(args).lambd);
  }

  override forward(input: Tensor): Tensor {
    return F.softshrink(input, this.lambd);
  }

  override extra_repr(): string {
    return pyFloat(this.lambd);
  }
}

const PRELU_PARAMS = [
  ['num_parameters', 1 as number],
  ['init', 0.25 as number],
  ...FACTORY,
] as const;
/** The optional arguments of PReLU: `(num_parameters, init, device, dtype)`. */
export type PReLUArgs = ArgsOf<typeof PRELU_PARAMS>;

/**
 * max(0, x) + weight * min(0, x) with a learnt slope, one shared or one per channel
 * (Python: `nn.PReLU(num_parameters=1, init=0.25, device=None, dtype=None)`).
 *
 * Shape: input (*) with channels at dim 1 when num_parameters > 1; output the same.
 *
 * Attributes: weight (num_parameters), filled with init.
 */
export class PReLU extends Module {
  declare num_parameters: number;
  declare weight: Parameter;

  constructor(...args: PReLUArgs) {
    super();
    const a = signature('nn.PReLU', 0, PRELU_PARAMS).parse(args);
    this.num_parameters = checkSize('nn.PReLU', 'num_parameters', a.num_parameters);
    const initValue = checkNumber('nn.PReLU', 'init', a.init);
    this.weight = parameterOf(torch.empty(this.num_parameters, factoryKwargs(a)).fill_(initValue));
  }

  override forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }

  override extra_repr(): string {
    return `num_parameters=${this.num_parameters}`;
  }
}

/** x / (1 + |x|) (Python: `nn.Softsign()`). Shape: input (*), output the same. */
export class Softsign extends Module {
  override forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

/** x - tanh(x) (Python: `nn.Tanhshrink()`). Shape: input (*), output the same. */
export class Tanhshrink extends Module {
  override forward(input: Tensor): Tensor {
    return F.tanhshrink(input);
  }
}

/** `(dim)`: the dimension softmax-like layers work along; null picks one as PyTorch does, with a warning. */
export type SoftmaxArgs = ArgsOf<readonly [readonly ['dim', number | null]]>;

function parseDim(name: string, args: readonly unknown[]): number | null {
  const { dim } = signature(`nn.${name}`, 0, [['dim', null as number | null]] as const).parse(args);
  return dim === null ? null : checkInt(`nn.${name}`, 'dim', dim);
}

/**
 * softmax(-x) along dim (Python: `nn.Softmin(dim=None)`).
 *
 * Shape: input (*), output the same.
 */
export class Softmin extends Module {
  declare dim: number | null;

  constructor(...args: SoftmaxArgs) {
    super();
    this.dim = parseDim('Softmin', args);
  }

  override forward(input: Tensor): Tensor {
    return F.softmin(input, this.dim, { _stacklevel: 5 });
  }

  override extra_repr(): string {
    return `dim=${this.dim === null ? 'None' : this.dim}`;
  }
}

/**
 * exp(x) / sum(exp(x)) along dim (Python: `nn.Softmax(dim=None)`).
 *
 * Shape: input (*), output the same, with values in [0, 1] summing to 1 along dim.
 *
 * Example: `new nn.Softmax(1).forward(torch.randn(2, 3))`
 */
export class Softmax extends Module {
  declare dim: number | null;

  constructor(...args: SoftmaxArgs) {
    super();
    this.dim = parseDim('Softmax', args);
  }

  override forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim, { _stacklevel: 5 });
  }

  override extra_repr(): string {
    return `dim=${this.dim === null ? 'None' : this.dim}`;
  }
}

/**
 * Softmax over the channels at each spatial position of a (N, C, H, W) or (C, H, W) input
 * (Python: `nn.Softmax2d()`).
 */
export class Softmax2d extends Module {
  override forward(input: Tensor): Tensor {
    if (input.dim() !== 4 && input.dim() !== 3) throw new ValueError(`Softmax2d: Softmax2d requires a 3D or 4D tensor as input (got ${input.dim()}D input)`);
    return F.softmax(input, -3, { _stacklevel: 5 });
  }
}

/**
 * log(softmax(x)) along dim, computed stably (Python: `nn.LogSoftmax(dim=None)`).
 *
 * Shape: input (*), output the same.
 */
export class LogSoftmax extends Module {
  declare dim: number | null;

  constructor(...args: SoftmaxArgs) {
    super();
    this.dim = parseDim('LogSoftmax', args);
  }

  override forward(input: Tensor): Tensor {
    return F.log_softmax(input, this.dim, { _stacklevel: 5 });
  }

  override extra_repr(): string {
    return `dim=${this.dim === null ? 'None' : this.dim}`;
  }
}
