// torch.nn.init: parameter initialisation. Every function makes the same ATen calls in the
// same order as torch/nn/init.py, so after the same torch.manual_seed the values are PyTorch's.
import { no_grad } from '../autograd/grad_mode.js';
import { ValueError, argumentError } from '../errors.js';
import { tidy } from '../memory.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';

function checkTensor(where: string, tensor: unknown): asserts tensor is Tensor {
  if (!(tensor instanceof Tensor)) throw argumentError(`nn.init.${where}`, 'tensor', 'a Tensor', tensor);
}

function checkNumber(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw argumentError(`nn.init.${where}`, name, 'a number', value);
}

// erf as glibc computes it (fdlibm's coefficients, glibc's evaluation order): Python's math.erf
// calls glibc, and JS has no Math.erf.
const ERX = 8.45062911510467529297e-01;
const EFX = 1.28379167095512586316e-01;
const EFX8 = 1.02703333676410069053e+00;
const PP = [1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02, -5.77027029648944159157e-03, -2.37630166566501626084e-05];
const QQ = [3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03, 1.32494738004321644526e-04, -3.96022827877536812320e-06];
const PA = [-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01, 3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02, -2.16637559486879084300e-03];
const QA = [1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02, 1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02];
const RA = [-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01, -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02, -8.12874355063065934246e+01, -9.81432934416914548592e+00];
const SA = [1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02, 6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02, 6.57024977031928170135e+00, -6.04244152148580987438e-02];
const RB = [-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01, -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03, -4.83519191608651397019e+02];
const SB = [3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03, 3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02, -2.24409524465858183362e+01];

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the high word

// glibc's branch limit for |x| < 1/0.35 compares the high word with 0x4006DB6E.
f64[0] = 0;
u32[HI] = 0x4006db6e;
const ERF_RA_LIMIT = f64[0];

/** @internal erf(x) computed as glibc does. */
export function _erf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (!Number.isFinite(x)) return x > 0 ? 1 : -1;
  const sign = x < 0;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -28) {
      if (ax < 2 ** -1022) return 0.125 * (8.0 * x + EFX8 * x);
      return x + EFX * x;
    }
    // glibc evaluates the polynomials in this split (Estrin-like) order, not fdlibm's Horner order.
    const z = x * x;
    const r1 = PP[0] + z * PP[1];
    const z2 = z * z;
    const r2 = PP[2] + z * PP[3];
    const z4 = z2 * z2;
    const s1 = 1 + z * QQ[0];
    const s2 = QQ[1] + z * QQ[2];
    const s3 = QQ[3] + z * QQ[4];
    const r = r1 + z2 * r2 + z4 * PP[4];
    const s = s1 + z2 * s2 + z4 * s3;
    return x + x * (r / s);
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const s2 = s * s;
    const s4 = s2 * s2;
    const s6 = s4 * s2;
    const P = PA[0] + s * PA[1] + s2 * (PA[2] + s * PA[3]) + s4 * (PA[4] + s * PA[5]) + s6 * PA[6];
    const Q = 1 + s * QA[0] + s2 * (QA[1] + s * QA[2]) + s4 * (QA[3] + s * QA[4]) + s6 * QA[5];
    return sign ? -ERX - P / Q : ERX + P / Q;
  }
  if (ax >= 6) return sign ? -1 : 1;
  const s = 1 / (ax * ax);
  let R: number;
  let S: number;
  const s2 = s * s;
  const s4 = s2 * s2;
  const s6 = s4 * s2;
  if (ax < ERF_RA_LIMIT) {
    const s8 = s4 * s4;
    R = RA[0] + s * RA[1] + s2 * (RA[2] + s * RA[3]) + s4 * (RA[4] + s * RA[5]) + s6 * (RA[6] + s * RA[7]);
    S = 1 + s * SA[0] + s2 * (SA[1] + s * SA[2]) + s4 * (SA[3] + s * SA[4]) + s6 * (SA[5] + s * SA[6]) + s8 * SA[7];
  } else {
    R = RB[0] + s * RB[1] + s2 * (RB[2] + s * RB[3]) + s4 * (RB[4] + s * RB[5]) + s6 * RB[6];
    S = 1 + s * SB[0] + s2 * (SB[1] + s * SB[2]) + s4 * (SB[3] + s * SB[4]) + s6 * (SB[5] + s * SB[6]);
  }
  f64[0] = ax;
  u32[1 - HI] = 0; // z = x with the low 32 bits cleared
  const z = f64[0];
  const r = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + R / S);
  return sign ? r / ax - 1 : 1 - r / ax;
}

/**
 * The recommended gain for a nonlinearity (its `nn.functional` name): 1 for linear, conv and sigmoid,
 * 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + negative_slope^2)) for leaky_relu (param =
 * negative_slope, default 0.01), 3/4 for selu.
 *
 * Example: `nn.init.calculate_gain('leaky_relu', 0.2)`
 */
export function calculate_gain(nonlinearity: string, param?: number | null): number {
  const linear_fns = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d'];
  if (linear_fns.includes(nonlinearity) || nonlinearity === 'sigmoid') return 1;
  if (nonlinearity === 'tanh') return 5.0 / 3;
  if (nonlinearity === 'relu') return Math.sqrt(2.0);
  if (nonlinearity === 'leaky_relu') {
    let negative_slope: number;
    if (param === undefined || param === null) negative_slope = 0.01;
    else if (typeof param === 'number') negative_slope = param;
    else throw new ValueError(`negative_slope ${String(param)} not a valid number`);
    return Math.sqrt(2.0 / (1 + negative_slope ** 2));
  }
  if (nonlinearity === 'selu') return 3.0 / 4;
  throw new ValueError(`Unsupported nonlinearity ${String(nonlinearity)}`);
}

/** Fills `tensor` with values from U(a, b), in place. Returns tensor. */
export function uniform_<T extends Tensor>(tensor: T, a = 0, b = 1): T {
  checkTensor('uniform_', tensor);
  checkNumber('uniform_', 'a', a);
  checkNumber('uniform_', 'b', b);
  return no_grad(() => tensor.uniform_(a, b)) as T;
}

/** Fills `tensor` with values from N(mean, std^2), in place. Returns tensor. */
export function normal_<T extends Tensor>(tensor: T, mean = 0, std = 1): T {
  checkTensor('normal_', tensor);
  checkNumber('normal_', 'mean', mean);
  checkNumber('normal_', 'std', std);
  return no_grad(() => tensor.normal_(mean, std)) as T;
}

/**
 * Fills `tensor` with values from N(mean, std^2) truncated to [a, b] (inverse-CDF method, as
 * PyTorch does), in place. Returns tensor.
 */
export function trunc_normal_<T extends Tensor>(tensor: T, mean = 0, std = 1, a = -2, b = 2): T {
  checkTensor('trunc_normal_', tensor);
  for (const [name, v] of [['mean', mean], ['std', std], ['a', a], ['b', b]] as const) checkNumber('trunc_normal_', name, v);
  const norm_cdf = (x: number) => (1 + _erf(x / Math.sqrt(2))) / 2;
  if (mean < a - 2 * std || mean > b + 2 * std) {
    process.emitWarning('mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.');
  }
  return no_grad(() => {
    const l = norm_cdf((a - mean) / std);
    const u = norm_cdf((b - mean) / std);
    tensor.uniform_(2 * l - 1, 2 * u - 1);
    tensor.erfinv_();
    tensor.mul_(std * Math.sqrt(2));
    tensor.add_(mean);
    tensor.clamp_({ min: a, max: b });
    return tensor;
  });
}

/** Fills `tensor` with `val`, in place. Returns tensor. */
export function constant_<T extends Tensor>(tensor: T, val: number): T {
  checkTensor('constant_', tensor);
  if (typeof val !== 'number' && typeof val !== 'boolean') throw argumentError('nn.init.constant_', 'val', 'a number', val);
  return no_grad(() => tensor.fill_(val)) as T;
}

/** Fills `tensor` with ones, in place. Returns tensor. */
export function ones_<T extends Tensor>(tensor: T): T {
  checkTensor('ones_', tensor);
  return no_grad(() => tensor.fill_(1.0)) as T;
}

/** Fills `tensor` with zeros, in place. Returns tensor. */
export function zeros_<T extends Tensor>(tensor: T): T {
  checkTensor('zeros_', tensor);
  return no_grad(() => tensor.zero_()) as T;
}

/** Fills a 2-D `tensor` with the identity matrix, in place. Returns tensor. */
export function eye_<T extends Tensor>(tensor: T): T {
  checkTensor('eye_', tensor);
  if (tensor.ndimension() !== 2) throw new ValueError('Only tensors with 2 dimensions are supported');
  const [n, m] = tensor.shape;
  no_grad(() => {
    const identity = torch.eye(n, m, { dtype: tensor.dtype, device: tensor.device });
    tensor.copy_(identity);
    identity.dispose();
  });
  return tensor;
}

/**
 * Fills a 3-, 4- or 5-D `tensor` with the Dirac delta, preserving the identity of the inputs
 * of a convolution (per group with groups > 1), in place. Returns tensor.
 */
export function dirac_<T extends Tensor>(tensor: T, groups = 1): T {
  checkTensor('dirac_', tensor);
  if (!Number.isInteger(groups) || groups < 1) throw argumentError('nn.init.dirac_', 'groups', 'a positive integer', groups);
  const dimensions = tensor.ndimension();
  if (![3, 4, 5].includes(dimensions)) throw new ValueError('Only tensors with 3, 4, or 5 dimensions are supported');
  const sizes = tensor.size();
  if (sizes[0] % groups !== 0) throw new ValueError('dim 0 must be divisible by groups');
  const out_chans_per_grp = Math.floor(sizes[0] / groups);
  const min_dim = Math.min(out_chans_per_grp, sizes[1]);
  no_grad(() => {
    tensor.zero_();
    const centre = sizes.slice(2).map((s) => Math.floor(s / 2));
    for (let g = 0; g < groups; g++) {
      for (let d = 0; d < min_dim; d++) tensor.index_put_([g * out_chans_per_grp + d, d, ...centre], 1);
    }
  });
  return tensor;
}

/** [fan_in, fan_out] of a weight tensor with at least 2 dimensions (dim 1 is inputs, dim 0 outputs, the rest the receptive field). */
export function _calculate_fan_in_and_fan_out(tensor: Tensor): [number, number] {
  checkTensor('_calculate_fan_in_and_fan_out', tensor);
  const shape = tensor.shape;
  if (shape.length < 2) throw new ValueError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  let receptive_field_size = 1;
  for (const s of shape.slice(2)) receptive_field_size *= s;
  return [shape[1] * receptive_field_size, shape[0] * receptive_field_size];
}

function _calculate_correct_fan(tensor: Tensor, mode: string): number {
  if (typeof mode !== 'string') throw argumentError('nn.init', 'mode', "'fan_in' or 'fan_out'", mode);
  const lower = mode.toLowerCase();
  if (lower !== 'fan_in' && lower !== 'fan_out') throw new ValueError(`Mode ${mode} not supported, please use one of ['fan_in', 'fan_out']`);
  const [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  return lower === 'fan_in' ? fan_in : fan_out;
}

/** Glorot/Xavier uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), in place. Returns tensor. */
export function xavier_uniform_<T extends Tensor>(tensor: T, gain = 1): T {
  checkTensor('xavier_uniform_', tensor);
  checkNumber('xavier_uniform_', 'gain', gain);
  const [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const std = gain * Math.sqrt(2.0 / (fan_in + fan_out));
  const a = Math.sqrt(3.0) * std;
  return no_grad(() => tensor.uniform_(-a, a)) as T;
}

/** Glorot/Xavier normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)), in place. Returns tensor. */
export function xavier_normal_<T extends Tensor>(tensor: T, gain = 1): T {
  checkTensor('xavier_normal_', tensor);
  checkNumber('xavier_normal_', 'gain', gain);
  const [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const std = gain * Math.sqrt(2.0 / (fan_in + fan_out));
  return no_grad(() => tensor.normal_(0, std)) as T;
}

/** Options of the kaiming initialisers (Python's keyword arguments). */
export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (used with 'leaky_relu'); default 0. */
  a?: number;
  /** 'fan_in' (default) preserves the forward variance, 'fan_out' the backward one. */
  mode?: 'fan_in' | 'fan_out';
  /** The `nn.functional` name of the nonlinearity; default 'leaky_relu'. */
  nonlinearity?: string;
}

function kaimingStd(where: string, tensor: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = options;
  checkNumber(where, 'a', a);
  const fan = _calculate_correct_fan(tensor, mode);
  const gain = calculate_gain(nonlinearity, a);
  return gain / Math.sqrt(fan);
}

function kaimingArgs(a: number | KaimingOptions | undefined, mode?: 'fan_in' | 'fan_out', nonlinearity?: string): KaimingOptions {
  if (typeof a === 'object' && a !== null) return a;
  return { a, mode, nonlinearity };
}

/**
 * He/Kaiming uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan_mode), in place.
 * Returns tensor. Args positional (a, mode, nonlinearity) or `{ a, mode, nonlinearity }`.
 *
 * Example: `nn.init.kaiming_uniform_(w, { a: Math.sqrt(5) })`
 */
export function kaiming_uniform_<T extends Tensor>(tensor: T, a?: number | KaimingOptions, mode?: 'fan_in' | 'fan_out', nonlinearity?: string): T {
  checkTensor('kaiming_uniform_', tensor);
  const options = kaimingArgs(a, mode, nonlinearity);
  if (tensor.shape.includes(0)) {
    process.emitWarning('Initializing zero-element tensors is a no-op');
    return tensor;
  }
  const std = kaimingStd('kaiming_uniform_', tensor, options);
  const bound = Math.sqrt(3.0) * std;
  return no_grad(() => tensor.uniform_(-bound, bound)) as T;
}

/**
 * He/Kaiming normal: N(0, std^2) with std = gain / sqrt(fan_mode), in place. Returns tensor.
 * Args positional (a, mode, nonlinearity) or `{ a, mode, nonlinearity }`.
 */
export function kaiming_normal_<T extends Tensor>(tensor: T, a?: number | KaimingOptions, mode?: 'fan_in' | 'fan_out', nonlinearity?: string): T {
  checkTensor('kaiming_normal_', tensor);
  const options = kaimingArgs(a, mode, nonlinearity);
  if (tensor.shape.includes(0)) {
    process.emitWarning('Initializing zero-element tensors is a no-op');
    return tensor;
  }
  const std = kaimingStd('kaiming_normal_', tensor, options);
  return no_grad(() => tensor.normal_(0, std)) as T;
}

/**
 * Fills `tensor` (at least 2-D; trailing dimensions are flattened) with a (semi-)orthogonal
 * matrix from the QR decomposition of a normal sample, times gain, in place. Returns tensor.
 */
export function orthogonal_<T extends Tensor>(tensor: T, gain = 1): T {
  checkTensor('orthogonal_', tensor);
  checkNumber('orthogonal_', 'gain', gain);
  if (tensor.ndimension() < 2) throw new ValueError('Only tensors with 2 or more dimensions are supported');
  if (tensor.numel() === 0) return tensor;
  const rows = tensor.size(0);
  const cols = Math.floor(tensor.numel() / rows);
  tidy(() => {
    const flattened = tensor.new_empty([rows, cols]).normal_(0, 1);
    if (rows < cols) flattened.t_();
    const [q, r] = torch.linalg.qr(flattened) as unknown as [Tensor, Tensor];
    const d = torch.diag(r, 0);
    const ph = d.sign();
    q.mul_(ph);
    if (rows < cols) q.t_();
    no_grad(() => {
      tensor.view_as(q).copy_(q);
      tensor.mul_(gain);
    });
  });
  return tensor;
}

/**
 * Fills a 2-D `tensor` as a sparse matrix: N(0, std^2) values with a `sparsity` fraction of
 * each column set to zero, in place. Returns tensor.
 */
export function sparse_<T extends Tensor>(tensor: T, sparsity: number, std = 0.01): T {
  checkTensor('sparse_', tensor);
  checkNumber('sparse_', 'sparsity', sparsity);
  checkNumber('sparse_', 'std', std);
  if (tensor.ndimension() !== 2) throw new ValueError('Only tensors with 2 dimensions are supported');
  const [rows, cols] = tensor.shape;
  const num_zeros = Math.trunc(Math.ceil(sparsity * rows));
  tidy(() =>
    no_grad(() => {
      tensor.normal_(0, std);
      for (let col_idx = 0; col_idx < cols; col_idx++) {
        const row_indices = torch.randperm(rows);
        const zero_indices = row_indices.index(`:${num_zeros}`);
        tensor.index_put_([zero_indices, col_idx], 0);
      }
    }),
  );
  return tensor;
}
