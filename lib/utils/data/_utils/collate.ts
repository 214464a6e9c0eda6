// Collation: merging a list of samples into a batch (torch/utils/data/_utils/collate.py).
//
// JS has no int/float distinction, no tuples and no numpy, so the type rules map as:
//   Tensor                   -> torch.stack(batch, 0)
//   TypedArray (numpy array) -> torch.tensor(each), then stacked
//   number                   -> int64 tensor when every value is an integer, else float64
//                               (Python decides by the first element's type: int or float)
//   boolean                  -> bool tensor (Python's bool is an int: torch.tensor([True]) is bool)
//   bigint                   -> int64 tensor
//   string                   -> unchanged list
//   Map / plain object       -> same keys, each collated
//   array                    -> transposed, each position collated (tuples and lists alike)
import { isPlainObject } from '../../../_args.js';
import { TorchError, TorchTypeError } from '../../../errors.js';
import { Tensor } from '../../../tensor.js';
import { torch } from '../../../torch.js';

/** A key of a collate_fn_map: a class (matched with instanceof, exact class first) or a `typeof` name for primitives. */
export type CollateKey = Function | 'number' | 'string' | 'boolean' | 'bigint';

/** A collate function for one element type; receives the whole batch of such elements. */
export type CollateFn = (batch: any[], options: { collate_fn_map?: Map<CollateKey, CollateFn> }) => any;

const TYPED_ARRAYS: Function[] = [Float32Array, Float64Array, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Int32Array, BigInt64Array];

function isTypedArray(value: unknown): value is ArrayBufferView {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'Object';
  return typeof value;
}

const ERROR_FORMAT = 'default_collate: batch must contain tensors, typed arrays, numbers, booleans, strings, Maps, plain objects or arrays; found ';

/** Python's `torch.as_tensor(ndarray)` for a TypedArray (Uint8ClampedArray is read as uint8). */
function typedArrayToTensor(array: ArrayBufferView): Tensor {
  const data = array instanceof Uint8ClampedArray ? new Uint8Array(array.buffer, array.byteOffset, array.length) : array;
  return torch.from_typed_array(data);
}

function collateTensorFn(batch: Tensor[]): Tensor {
  return torch.stack(batch, 0);
}

function collateTypedArrayFn(batch: ArrayBufferView[], options: { collate_fn_map?: Map<CollateKey, CollateFn> }): unknown {
  return collate(batch.map(typedArrayToTensor), options);
}

function collateNumberFn(batch: number[]): Tensor {
  const allIntegers = batch.every((v) => Number.isInteger(v));
  return torch.tensor(batch, { dtype: allIntegers ? torch.int64 : torch.float64 });
}

function collateBooleanFn(batch: boolean[]): Tensor {
  return torch.tensor(batch);
}

function collateBigintFn(batch: bigint[]): Tensor {
  return torch.tensor(batch, { dtype: torch.int64 });
}

function collateStringFn(batch: string[]): string[] {
  return batch;
}

/**
 * The collate functions default_collate uses, by element type (Python: `default_collate_fn_map`).
 * Extend it in place to teach default_collate a new type:
 * `default_collate_fn_map.set(MyType, (batch) => ...)`.
 */
export const default_collate_fn_map = new Map<CollateKey, CollateFn>([
  [Tensor, collateTensorFn as CollateFn],
  ...TYPED_ARRAYS.map((cls): [CollateKey, CollateFn] => [cls, collateTypedArrayFn as CollateFn]),
  ['number', collateNumberFn as CollateFn],
  ['boolean', collateBooleanFn as CollateFn],
  ['bigint', collateBigintFn as CollateFn],
  ['string', collateStringFn as CollateFn],
]);

function lookup(elem: unknown, map: Map<CollateKey, CollateFn>): CollateFn | undefined {
  const kind = typeof elem;
  if (kind === 'number' || kind === 'string' || kind === 'boolean' || kind === 'bigint') return map.get(kind);
  if (typeof elem !== 'object' || elem === null) return undefined;
  const exact = map.get((elem as object).constructor as Function);
  if (exact) return exact;
  for (const [key, fn] of map) if (typeof key === 'function' && elem instanceof key) return fn;
  return undefined;
}

/**
 * Collates a batch using the functions in `collate_fn_map` for the element types it names,
 * and recursing into Maps, plain objects and arrays (Python: `collate(batch, *, collate_fn_map=None)`).
 *
 * Args:
 *   batch: the samples of one batch (a non-empty array).
 *   collate_fn_map: element type -> collate function; looked up by exact class first, then
 *     by instanceof in insertion order, and by `typeof` name for primitives.
 */
export function collate(batch: readonly unknown[], options: { collate_fn_map?: Map<CollateKey, CollateFn> } = {}): any {
  if (!Array.isArray(batch)) throw new TorchTypeError(`collate: expected an array of samples for 'batch' but received ${typeName(batch)}`);
  if (batch.length === 0) throw new TorchError('collate: the batch is empty');
  const { collate_fn_map } = options;
  const elem = batch[0];
  if (collate_fn_map) {
    const fn = lookup(elem, collate_fn_map);
    if (fn) return fn(batch as unknown[], { collate_fn_map });
  }
  if (elem instanceof Map) {
    const out = new Map();
    for (const key of elem.keys()) out.set(key, collate(batch.map((d) => (d as Map<unknown, unknown>).get(key)), options));
    return out;
  }
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) out[key] = collate(batch.map((d) => (d as Record<string, unknown>)[key]), options);
    return out;
  }
  if (Array.isArray(elem)) {
    const size = elem.length;
    if (!batch.every((d) => Array.isArray(d) && d.length === size)) throw new TorchError('each element in list of batch should be of equal size');
    return Array.from({ length: size }, (_, i) => collate(batch.map((d) => (d as unknown[])[i]), options));
  }
  throw new TorchTypeError(ERROR_FORMAT + typeName(elem));
}

/**
 * Puts each data field into a tensor with an outer batch dimension: tensors are stacked,
 * numbers, booleans and typed arrays become tensors, strings stay as they are, and Maps,
 * plain objects and arrays are collated field by field (Python: `default_collate(batch)`).
 *
 * Example:
 * ```ts
 * default_collate([0, 1, 2, 3]);                        // tensor([0, 1, 2, 3])
 * default_collate([{ A: 0, B: 1 }, { A: 100, B: 100 }]); // { A: tensor([0, 100]), B: tensor([1, 100]) }
 * default_collate([[0, 1], [2, 3]]);                    // [tensor([0, 2]), tensor([1, 3])]
 * ```
 */
export function default_collate(batch: readonly unknown[]): any {
  return collate(batch, { collate_fn_map: default_collate_fn_map });
}

/**
 * Converts typed arrays (JS's numpy arrays) into tensors, recursing into Maps, plain objects
 * and arrays, and leaves everything else unchanged (Python: `default_convert(data)`). The
 * DataLoader uses it when automatic batching is off (`batch_size: null`).
 */
export function default_convert(data: unknown): any {
  if (data instanceof Tensor) return data;
  if (isTypedArray(data)) return typedArrayToTensor(data);
  if (data instanceof Map) {
    const out = new Map();
    for (const [key, value] of data) out.set(key, default_convert(value));
    return out;
  }
  if (isPlainObject(data)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(data)) out[key] = default_convert(data[key]);
    return out;
  }
  if (Array.isArray(data)) return data.map(default_convert);
  return data;
}
