// torch.tensor(): tensors from JS numbers, booleans, nested arrays, TypedArrays and Tensors.
import { native } from './_C.js';
import { type DeviceLike } from './device.js';
import { DType, bool, float32, float64, get_default_dtype, int16, int32, int64, int8, uint8 } from './dtype.js';
import { TorchTypeError, ValueError } from './errors.js';
import { Tensor } from './tensor.js';

export type TensorData = number | boolean | bigint | TensorData[] | ArrayBufferView | Tensor;

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceLike;
  requires_grad?: boolean;
}

const TYPED_ARRAY_DTYPES: [Function, DType][] = [
  [Float32Array, float32], [Float64Array, float64], [Int8Array, int8], [Uint8Array, uint8],
  [Int16Array, int16], [Int32Array, int32], [BigInt64Array, int64],
];

function dtypeOfTypedArray(data: ArrayBufferView): DType {
  for (const [cls, dtype] of TYPED_ARRAY_DTYPES) if (data instanceof cls) return dtype;
  throw new TorchTypeError(`torch.tensor: unsupported TypedArray ${data.constructor.name} (use Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Int32Array or BigInt64Array)`);
}

/**
 * Walks nested arrays once: the shape, the values as doubles (booleans as 0/1), and the dtype
 * Python would infer. `exact` holds the raw values only when some integer needs more than a
 * double's 53 bits (a BigInt, or a JS number beyond 2^53), for the int64 path.
 */
function flatten(data: TensorData): { shape: number[]; values: Float64Array; exact: (number | boolean | bigint)[] | null; kind: 'bool' | 'int' | 'float' } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  let total = 1;
  for (const n of shape) total *= n;
  const values = new Float64Array(total);
  let count = 0;
  let sawFloat = false;
  let sawInt = false;
  let needsExact = false;
  const last = shape.length - 1;
  const visit = (value: unknown, dim: number): void => {
    if (dim <= last) {
      if (!Array.isArray(value)) throw new ValueError(`torch.tensor: expected a sequence of length ${shape[dim]} at dim ${dim} (got ${typeof value})`);
      if (value.length !== shape[dim]) throw new ValueError(`torch.tensor: expected sequence of length ${shape[dim]} at dim ${dim} (got ${value.length})`);
      for (let i = 0; i < value.length; i++) visit(value[i], dim + 1);
      return;
    }
    if (typeof value === 'number') {
      // Integral numbers inside int64's range read as Python ints; 1e20 is a float (as in Python).
      if (Number.isInteger(value) && Math.abs(value) < 2 ** 63 && !Object.is(value, -0)) {
        sawInt = true;
        if (Math.abs(value) > 2 ** 53) needsExact = true;
      } else sawFloat = true;
      values[count++] = value;
    } else if (typeof value === 'boolean') {
      values[count++] = value ? 1 : 0;
    } else if (typeof value === 'bigint') {
      sawInt = true;
      needsExact = true;
      values[count++] = Number(value);
    } else {
      throw new TorchTypeError(`torch.tensor: expected numbers, booleans or nested arrays of them but found ${Array.isArray(value) ? 'a ragged nested array' : value === null ? 'null' : typeof value}`);
    }
  };
  visit(data, 0);
  const exact = needsExact ? ((shape.length === 0 ? [data] : (data as unknown[]).flat(Infinity)) as (number | boolean | bigint)[]) : null;
  return { shape, values, exact, kind: sawFloat ? 'float' : sawInt ? 'int' : count > 0 ? 'bool' : 'float' };
}

/**
 * Creates a tensor by copying `data` (Python: `torch.tensor(data, dtype=None, device=None, requires_grad=False)`).
 * Integers infer int64, any fractional number infers the default dtype, booleans infer bool.
 *
 * Example: `torch.tensor([[1, 2], [3, 4]], { dtype: torch.float32, requires_grad: true })`
 */
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  let result: Tensor;
  if (data instanceof Tensor) {
    result = data.detach().clone();
    if (options.dtype) result = result.to(options.dtype);
  } else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const source = dtypeOfTypedArray(data);
    const length = (data as unknown as ArrayLike<unknown>).length;
    result = native.fromTypedArray(data, [length], (options.dtype ?? source).code);
  } else {
    const { shape, values, exact, kind } = flatten(data);
    const target = options.dtype ?? (kind === 'float' ? get_default_dtype() : kind === 'int' ? int64 : bool);
    let buffer: ArrayBufferView = values;
    let asBool = false;
    if (kind === 'bool' && target === bool) {
      buffer = Uint8Array.from(values);
      asBool = true;
    } else if (exact !== null && kind === 'int' && target === int64) {
      // Exact int64 values beyond 2^53 travel as BigInts; out-of-range ones are an error, not a wrap.
      buffer = BigInt64Array.from(exact, (v) => {
        const big = BigInt(v as number | bigint);
        if (big < -(2n ** 63n) || big >= 2n ** 63n) throw new RangeError(`torch.tensor: ${big} overflows int64`);
        return big;
      });
    }
    result = native.fromTypedArray(buffer, shape, target.code, asBool);
  }
  if (options.device !== undefined) result = result.to(options.device);
  if (options.requires_grad) result.requires_grad_(true);
  return result;
}

/** torch.from_blob-like: a tensor that copies a TypedArray into the given shape (Python: `torch.from_numpy(a).reshape(shape)`). */
export function from_typed_array(data: ArrayBufferView, shape?: number[], options: TensorOptions = {}): Tensor {
  const length = (data as unknown as ArrayLike<unknown>).length;
  const source = dtypeOfTypedArray(data);
  return native.fromTypedArray(data, shape ?? [length], (options.dtype ?? source).code);
}
