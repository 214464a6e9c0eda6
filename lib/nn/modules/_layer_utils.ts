// Shared by the layer modules (conv.ts, pooling.ts, batchnorm.ts, ...): parsing of Python-style
// constructor arguments (positional in Python's order, then an options object under Python's
// keyword names), Python's repr of the values extra_repr() shows, and the small checks the
// constructors share.
import type { DeviceLike } from '../../device.js';
import type { DType } from '../../dtype.js';
import { Signature, type ParamList } from '../../_args.js';
import { TorchError, TorchTypeError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { is_grad_enabled } from '../../autograd/grad_mode.js';
import { Parameter } from '../parameter.js';

// ---- constructor arguments ----------------------------------------------------------------

export type { OptionsOf, ArgsOf } from '../../_args.js';

/** Where to create a module's parameters and buffers (Python's `device=None, dtype=None` keywords). */
export interface FactoryKwargs {
  device?: DeviceLike;
  dtype?: DType;
}

/** The `device` and `dtype` parameters every module with parameters takes last. */
export const FACTORY = [
  ['device', null as DeviceLike | null],
  ['dtype', null as DType | null],
] as const;

/**
 * The tensor checks that end Python's fast-path conditions in MultiheadAttention and
 * TransformerEncoderLayer: every tensor the fused op takes exists (a bias=False layer would pass
 * None, which the op's schema does not take), lives on CPU or CUDA, and autograd has nothing to
 * record for any of them.
 */
export function fusedOpAccepts(tensors: readonly (Tensor | null)[]): boolean {
  if (tensors.some((t) => t === null || (t.device.type !== 'cpu' && t.device.type !== 'cuda'))) return false;
  return !(is_grad_enabled() && tensors.some((t) => t!.requires_grad));
}

/** A constructor signature: `name` for messages, the number of required arguments, the optional parameters with defaults. */
export function signature<const P extends ParamList>(name: string, required: number, params: P): Signature<P, readonly []> {
  return new Signature(name, required, params, [] as const);
}

/** The factory options to pass to torch.empty/zeros: only the ones given. */
export function factoryKwargs(values: { device: DeviceLike | null; dtype: DType | null }): FactoryKwargs {
  const out: FactoryKwargs = {};
  if (values.device !== null) out.device = values.device;
  if (values.dtype !== null) out.dtype = values.dtype;
  return out;
}

/** A new Parameter over `data`'s storage; `data`'s own handle is released (the Parameter holds its own). */
export function parameterOf(data: Tensor): Parameter {
  const p = new Parameter(data);
  data.dispose();
  return p;
}

// ---- checks -------------------------------------------------------------------------------

/** A non-negative integer (a size). */
export function checkSize(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw argumentError(where, name, 'a non-negative integer', value);
  return value;
}

/** An integer. */
export function checkInt(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argumentError(where, name, 'an integer', value);
  return value;
}

/** A number. */
export function checkNumber(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw argumentError(where, name, 'a number', value);
  return value;
}

/** A boolean. */
export function checkBool(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw argumentError(where, name, 'a boolean', value);
  return value;
}

/** A string. */
export function checkString(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string') throw argumentError(where, name, 'a string', value);
  return value;
}

/** A Tensor or null. */
export function checkOptionalTensor(where: string, name: string, value: unknown): Tensor | null {
  if (value !== null && !(value instanceof Tensor)) throw argumentError(where, name, 'a Tensor or null', value);
  return value;
}

/** An int or an array of `n` ints (or of any length when n is omitted), each at least `min`. */
export function checkIntOrTuple(where: string, name: string, value: unknown, n?: number, min = 0): number | number[] {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  const what = min === 0 ? 'non-negative' : min === 1 ? 'positive' : `>= ${min}`;
  if (Array.isArray(value)) {
    if ((n !== undefined && value.length !== n) || !value.every(ok)) {
      throw argumentError(where, name, `a ${what} integer or an array of ${n ?? 'such'} ${what} integers`, value);
    }
    return [...value] as number[];
  }
  if (!ok(value)) throw argumentError(where, name, `a ${what} integer or an array of ${n ?? 'such'} ${what} integers`, value);
  return value as number;
}

/**
 * Runs a module's computation; an error from libtorch gets the module's name in front of its
 * message ("Conv2d: Given groups=1, weight of size ..."), so that in a model the failing layer
 * is plain. The error keeps its class.
 */
export function namedErrors<T>(moduleName: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TorchError || e instanceof TorchTypeError) {
      const err = e as Error;
      const prefix = `${moduleName}: `;
      if (!err.message.startsWith(prefix)) {
        const old = err.message;
        err.message = prefix + old;
        if (typeof err.stack === 'string') err.stack = err.stack.replace(old, err.message);
      }
    }
    throw e;
  }
}

// ---- Python's repr -----------------------------------------------------------------------------

/** Python's repr of a float: `1.0`, `0.1`, `1e-05`, `inf`. */
export function pyFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const [mantissa, exponent] = value.toExponential().split('e');
  const exp = Number(exponent);
  // Python writes exponent notation below 1e-4 and from 1e16; JS's String below 1e-6 and from 1e21.
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(value);
  return Number.isInteger(value) ? `${s}.0` : s;
}

/** Python's repr of a number whose Python type follows its value: an int when integral, else a float. */
export function pyNumber(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? String(value) : pyFloat(value);
}

/** Python's repr of a tuple of numbers: `(1, 2)`, `(3,)`. */
export function pyTuple(values: readonly number[], item: (v: number) => string = pyNumber): string {
  return values.length === 1 ? `(${item(values[0])},)` : `(${values.map(item).join(', ')})`;
}

/** Python's `str()` of a value as extra_repr's format() shows it: ints, tuples for arrays, True/False, None. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (Array.isArray(value)) return value.length === 1 ? `(${pyStr(value[0])},)` : `(${value.map(pyStr).join(', ')})`;
  return String(value);
}

/** Python's repr of a string: `'none'`. */
export function pyRepr(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
