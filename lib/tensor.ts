// torch.Tensor. A Tensor owns one native handle; ops come from the generated table
// (lib/_ops/dispatch.ts), and what needs care is written here: conversion to JS data,
// indexing, autograd entry points, printing and memory.
import { inspect } from 'node:util';
import { native, type Handle } from './_C.js';
import { callMethod, registerTensorClass } from './_ops/dispatch.js';
import type { GeneratedTensorMethods } from './_generated/signatures.js';
import { Device, type DeviceLike } from './device.js';
import { DType, dtypeFromCode, get_default_dtype, bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, uint8, type MemoryFormat } from './dtype.js';
import { IndexError, TorchTypeError, ValueError, argumentError } from './errors.js';
import { registerTrackedClass, trackTensor } from './memory.js';
import { formatTensor } from './_tensor_str.js';
import { isPlainObject } from './_args.js';

/** One index of `x.index(...)`, like Python's `x[...]`: an int, a slice string ('1:3', '::2', ':'), '...', null (None), a boolean, a Tensor (mask or indices), or an array of ints. */
export type IndexSpec = number | string | null | boolean | Tensor | number[];

/** Nested arrays as returned by tolist(). */
export type NestedList<T> = T | NestedList<T>[];

export interface BackwardOptions {
  retain_graph?: boolean;
  create_graph?: boolean;
  inputs?: Tensor[];
}

export interface ToOptions {
  dtype?: DType;
  device?: DeviceLike;
  non_blocking?: boolean;
  copy?: boolean;
  memory_format?: MemoryFormat;
}

/** @internal The handle of a Tensor object that has no native tensor (yet). */
export const NO_HANDLE = -1 as Handle;

const SLICE = /^(-?\d+)?:(-?\d+)?(?::(-?\d+)?)?$/;
// A slice string's [start, stop, step], NaN where omitted. Slice strings repeat in loops
// (x.index(':', -1)): each is parsed once. Only valid ones are kept.
const parsedSlices = new Map<string, [number, number, number]>();

// Indices reach native code through one Float64Array shared with native/indexing.cpp (no array
// per call): four numbers per index, the kind and then an int's value or a slice's start, stop
// and step. Tensors and int arrays are passed as extra arguments, in order.
const INDEX_KIND = { int: 0, none: 1, ellipsis: 2, false: 3, true: 4, slice: 5, extra: 6 } as const;
const indexCodes = new Float64Array(native.indexCodes);
const MAX_INDICES = indexCodes.length / 4;

/** Writes `indices` into indexCodes; returns the extra arguments (Tensors, int arrays as Float64Array). */
function encodeIndices(what: string, indices: IndexSpec[]): readonly unknown[] {
  if (indices.length > MAX_INDICES) throw new IndexError(`${what}: too many indices (${indices.length}; at most ${MAX_INDICES})`);
  let extras: unknown[] | undefined; // most indexing has none: no array then
  for (let i = 0; i < indices.length; i++) {
    const spec = indices[i];
    const at = 4 * i;
    if (typeof spec === 'number') {
      if (!Number.isInteger(spec)) throw argumentError(what, `index ${i}`, 'an integer', spec);
      indexCodes[at] = INDEX_KIND.int;
      indexCodes[at + 1] = spec;
    } else if (typeof spec === 'string') {
      if (spec === '...') {
        indexCodes[at] = INDEX_KIND.ellipsis;
        continue;
      }
      const [start, stop, step] = parsedSlices.get(spec) ?? parseSlice(what, spec, i);
      indexCodes[at] = INDEX_KIND.slice;
      indexCodes[at + 1] = start;
      indexCodes[at + 2] = stop;
      indexCodes[at + 3] = step;
    } else if (spec === null) {
      indexCodes[at] = INDEX_KIND.none;
    } else if (typeof spec === 'boolean') {
      indexCodes[at] = spec ? INDEX_KIND.true : INDEX_KIND.false;
    } else if (spec instanceof Tensor) {
      indexCodes[at] = INDEX_KIND.extra;
      (extras ??= []).push(spec);
    } else if (Array.isArray(spec)) {
      if (!spec.every((v) => Number.isInteger(v))) throw argumentError(what, `index ${i}`, 'an array of integers', spec);
      // The native side turns it into an int64 index tensor that no JS object has to own.
      indexCodes[at] = INDEX_KIND.extra;
      (extras ??= []).push(Float64Array.from(spec));
    } else {
      throw argumentError(what, `index ${i}`, 'an int, slice string, "...", null, boolean, Tensor or int array', spec);
    }
  }
  return extras ?? NO_EXTRAS;
}
const NO_EXTRAS: readonly unknown[] = Object.freeze([]);

function parseSlice(what: string, spec: string, position: number): [number, number, number] {
  const m = SLICE.exec(spec.replace(/\s+/g, ''));
  if (!m) throw argumentError(what, `index ${position}`, "a slice string like '1:3', '::2' or ':', or '...'", spec);
  const bound = (s: string | undefined) => (s === undefined ? NaN : Number(s));
  const slice: [number, number, number] = [bound(m[1]), bound(m[2]), bound(m[3])];
  if (slice[2] === 0) throw new ValueError(`slice step cannot be zero (in '${spec}')`);
  if (slice[2] < 0) throw new ValueError(`step must be greater than zero (in '${spec}')`);
  if (parsedSlices.size < 1024) parsedSlices.set(spec, slice);
  return slice;
}

// x.device: Devices are immutable, so each device string is parsed once (0.13 -> 0.09 µs a read).
const devices = new Map<string, Device>();

// Sizes and strides come back through a Float64Array shared with the addon; native calls return
// their count (or the array itself when there are more than it holds).
const sharedInts = new Float64Array(native.sharedInts);
function intList(result: number | number[]): number[] {
  if (typeof result !== 'number') return result;
  const out: number[] = [];
  for (let i = 0; i < result; i++) out.push(sharedInts[i]);
  return out;
}

/** Nested arrays of `shape` over row-major values; `convert` null keeps the values as they are. */
function nest(flat: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array, shape: number[], convert: ((v: unknown) => unknown) | null): NestedList<unknown> {
  if (shape.length === 0) return convert ? convert(flat[0]) : flat[0];
  const build = (dim: number, offset: number): unknown[] => {
    const n = shape[dim];
    const out = new Array(n);
    if (dim === shape.length - 1) {
      // A plain loop into a preallocated array: V8 keeps the numbers unboxed, and it runs ~12×
      // faster than Array.from(typedArray) for a row of 1,000 floats.
      if (convert === null) for (let i = 0; i < n; i++) out[i] = flat[offset + i];
      else for (let i = 0; i < n; i++) out[i] = convert(flat[offset + i]);
      return out;
    }
    let stride = 1;
    for (let d = dim + 1; d < shape.length; d++) stride *= shape[d];
    for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
    return out;
  };
  return build(0, 0);
}

function int64ToNumber(v: unknown): number {
  const n = Number(v as bigint);
  if (!Number.isSafeInteger(n)) throw new RangeError(`the int64 value ${v} does not fit a JS number exactly; use toTypedArray() to get a BigInt64Array`);
  return n;
}

/**
 * The arguments of Python's `to(...)` in any of its forms (a dtype, a device, a Tensor to match,
 * booleans for non_blocking then copy, an options object) as one options object; shared by
 * Tensor.to and Module.to.
 */
export function parseToArgs(where: string, args: unknown[]): ToOptions {
  const options: ToOptions = {};
  let booleans = 0;
  for (const a of args) {
    if (a instanceof DType) options.dtype = a;
    else if (a instanceof Device || typeof a === 'string') options.device = a;
    else if (a instanceof Tensor) {
      options.dtype = a.dtype;
      options.device = a.device;
    } else if (typeof a === 'boolean') {
      if (booleans++ === 0) options.non_blocking = a;
      else options.copy = a;
    } else if (isPlainObject(a)) Object.assign(options, a);
    else throw argumentError(where, 'arguments', 'a dtype, device, Tensor or options', a);
  }
  return options;
}

/** What `x.grad_fn` is: the autograd node that made a tensor, by its PyTorch name (`MulBackward0`). */
export class GradFn {
  /** @internal */
  constructor(private readonly nodeName: string) {}
  name(): string {
    return this.nodeName;
  }
  toString(): string {
    return `<${this.nodeName} object>`;
  }
}

export interface Tensor extends GeneratedTensorMethods {}

export class Tensor {
  /** @internal The native handle: the slot this object owns in the addon's tensor table (NO_HANDLE until it has one). */
  readonly _h: Handle;

  /** @internal Tensors are made by torch functions, not constructed directly. */
  constructor(handle: Handle = NO_HANDLE) {
    this._h = handle;
    trackTensor(this);
  }

  /** @internal Takes the handle that a native call returned after filling this new object (callOp's owner). */
  _own(handle: Handle): this {
    (this as { _h: Handle })._h = handle;
    return this;
  }

  // ---- metadata ---------------------------------------------------------------
  /** The sizes of each dimension (Python: `x.shape`, a torch.Size; here a number[]). */
  get shape(): number[] {
    return intList(native.sizes(this._h));
  }
  /** Python: `x.size()` or `x.size(dim)`. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const sizes = intList(native.sizes(this._h));
    if (dim === undefined) return sizes;
    if (!Number.isInteger(dim)) throw argumentError('Tensor.size', 'dim', 'an integer', dim);
    const d = dim < 0 ? dim + sizes.length : dim;
    if (d < 0 || d >= sizes.length) throw new IndexError(`Dimension out of range (expected to be in range of [${-sizes.length}, ${sizes.length - 1}], but got ${dim})`);
    return sizes[d];
  }
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    const strides = intList(native.strides(this._h));
    if (dim === undefined) return strides;
    if (!Number.isInteger(dim)) throw argumentError('Tensor.stride', 'dim', 'an integer', dim);
    const d = dim < 0 ? dim + strides.length : dim;
    if (d < 0 || d >= strides.length) throw new IndexError(`Dimension out of range (expected to be in range of [${-strides.length}, ${strides.length - 1}], but got ${dim})`);
    return strides[d];
  }
  dim(): number {
    return native.dim(this._h);
  }
  get ndim(): number {
    return native.dim(this._h);
  }
  ndimension(): number {
    return native.dim(this._h);
  }
  numel(): number {
    return native.numel(this._h);
  }
  nelement(): number {
    return native.numel(this._h);
  }
  get dtype(): DType {
    return dtypeFromCode(native.scalarType(this._h));
  }
  get device(): Device {
    const name = native.device(this._h);
    let device = devices.get(name);
    if (device === undefined) {
      device = Object.freeze(new Device(name));
      devices.set(name, device);
    }
    return device;
  }
  get is_cuda(): boolean {
    return native.device(this._h).startsWith('cuda');
  }
  is_floating_point(): boolean {
    return this.dtype.is_floating_point;
  }
  element_size(): number {
    return this.dtype.itemsize;
  }
  storage_offset(): number {
    return native.storageOffset(this._h);
  }
  data_ptr(): bigint {
    return native.dataPtr(this._h);
  }
  is_contiguous(options?: { memory_format?: MemoryFormat }): boolean {
    return native.isContiguous(this._h, options?.memory_format?.code);
  }
  /** The transpose of a 2-D tensor, or all dimensions reversed (Python: `x.T`). */
  get T(): Tensor {
    const n = this.dim();
    return this.permute(Array.from({ length: n }, (_, i) => n - 1 - i));
  }
  /** The last two dimensions transposed (Python: `x.mT`). */
  get mT(): Tensor {
    return this.transpose(-2, -1);
  }

  // ---- autograd ---------------------------------------------------------------
  get requires_grad(): boolean {
    return native.requiresGrad(this._h);
  }
  set requires_grad(value: boolean) {
    this.requires_grad_(value);
  }
  requires_grad_(requires_grad = true): this {
    if (typeof requires_grad !== 'boolean') throw argumentError('Tensor.requires_grad_', 'requires_grad', 'a boolean', requires_grad);
    native.setRequiresGrad(this._h, requires_grad);
    return this;
  }
  /** The gradient accumulated by backward(), or null. */
  get grad(): Tensor | null {
    return native.grad(this._h);
  }
  set grad(value: Tensor | null) {
    // A Tensor-looking object without a handle must not read as null (clearing the gradient).
    if (value !== null && !(value instanceof Tensor && typeof value._h === 'number')) throw argumentError('Tensor.grad', 'grad', 'a Tensor or null', value);
    native.setGrad(this._h, value === null ? null : value._h);
  }
  /** The autograd node that created this tensor (a GradFn: `name()` is PyTorch's, e.g. `MulBackward0`), or null for leaves. */
  get grad_fn(): GradFn | null {
    const name = native.gradFnName(this._h);
    return name === null ? null : new GradFn(name);
  }
  get is_leaf(): boolean {
    return native.isLeaf(this._h);
  }
  retain_grad(): void {
    native.retainGrad(this._h);
  }
  /** Computes gradients of this tensor w.r.t. graph leaves (Python: `x.backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)`). */
  backward(options?: BackwardOptions): void;
  backward(gradient: Tensor | null | undefined, options?: BackwardOptions): void;
  backward(gradient?: Tensor | null | BackwardOptions, options: BackwardOptions = {}): void {
    if (gradient != null && !(gradient instanceof Tensor)) {
      // loss.backward({ retain_graph: true }), like Python's keyword-only call.
      if (typeof gradient === 'object' && Object.getPrototypeOf(gradient) === Object.prototype) {
        options = gradient as BackwardOptions;
        gradient = null;
      } else throw argumentError('Tensor.backward', 'gradient', 'a Tensor or null', gradient);
    }
    native.backward([this._h], [gradient ? gradient._h : null], options.retain_graph, options.create_graph ?? false, options.inputs?.map((t) => t._h));
  }

  // ---- conversion to JS -------------------------------------------------------
  /** The value of a one-element tensor as a JS number (boolean for bool tensors). */
  item(): number {
    const n = native.numel(this._h);
    if (n !== 1) throw new ValueError(`only one element tensors can be converted to Python scalars (this one has ${n} elements)`);
    const v = native.item(this._h);
    return (typeof v === 'bigint' ? int64ToNumber(v) : v) as number;
  }
  /** The values as nested arrays (number, or boolean for bool tensors). int64 values beyond 2^53 throw a RangeError: use toTypedArray(). */
  tolist(): NestedList<number> {
    const values = native.toTypedArray(this._h);
    const dtype = this.dtype;
    const convert = dtype === bool ? (v: unknown) => v === 1 : dtype === int64 ? int64ToNumber : null;
    return nest(values, this.shape, convert) as NestedList<number>;
  }
  /** The values in row-major order as a new TypedArray (float16/bfloat16 as Float32Array, bool as Uint8Array, int64 as BigInt64Array). */
  toTypedArray(): Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array {
    return native.toTypedArray(this._h);
  }

  // ---- indexing ---------------------------------------------------------------
  /** Python's `x[...]`: `x.index(':', -1)` is `x[:, -1]`, `x.index('...', null, '1:3')` is `x[..., None, 1:3]`. */
  index(...indices: IndexSpec[]): Tensor {
    const extras = encodeIndices('Tensor.index', indices);
    const out = new Tensor();
    return out._own(extras.length === 0 ? native.index(this._h, out, indices.length) : native.index(this._h, out, indices.length, ...extras));
  }
  /**
   * Python's `x[indices] = values`, in place. `indices` holds index specs as for index();
   * with only Tensors (or nulls) it is ATen's index_put_ and `accumulate` adds instead of assigning.
   */
  index_put_(indices: IndexSpec[], values: Tensor | number | boolean, accumulate = false): this {
    if (!Array.isArray(indices)) throw argumentError('Tensor.index_put_', 'indices', 'an array of indices', indices);
    if (!(values instanceof Tensor) && typeof values !== 'number' && typeof values !== 'boolean') throw argumentError('Tensor.index_put_', 'values', 'a Tensor, number or boolean', values);
    if (accumulate || (indices.every((i) => i === null || i instanceof Tensor) && values instanceof Tensor)) {
      const valueTensor = values instanceof Tensor ? values : (callMethod(this, 'new_full', [[], values]) as Tensor);
      callMethod(this, 'index_put_', [indices, valueTensor, accumulate]);
      return this;
    }
    const extras = encodeIndices('Tensor.index_put_', indices);
    native.indexPut(this._h, values, indices.length, ...extras);
    return this;
  }

  // ---- device and dtype -------------------------------------------------------
  /** Python's `x.to(...)`: to(dtype), to(device), to(device, dtype), to(other), to({ device, dtype, non_blocking, copy }). */
  to(...args: (DType | DeviceLike | Tensor | ToOptions | boolean)[]): Tensor {
    // x.to(dtype), the commonest form, is the to.dtype overload as it stands.
    if (args.length === 1 && args[0] instanceof DType) return callMethod(this, 'to', args) as Tensor;
    return callMethod(this, 'to', [parseToArgs('Tensor.to', args)]) as Tensor;
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(device?: number | DeviceLike, options: { non_blocking?: boolean } = {}): Tensor {
    const d = device === undefined ? 'cuda' : typeof device === 'number' ? `cuda:${device}` : device;
    return this.to({ device: d, non_blocking: options.non_blocking });
  }
  float(): Tensor { return this.to(float32); }
  double(): Tensor { return this.to(float64); }
  half(): Tensor { return this.to(float16); }
  bfloat16(): Tensor { return this.to(bfloat16); }
  int(): Tensor { return this.to(int32); }
  long(): Tensor { return this.to(int64); }
  short(): Tensor { return this.to(int16); }
  char(): Tensor { return this.to(int8); }
  byte(): Tensor { return this.to(uint8); }
  bool(): Tensor { return this.to(bool); }
  /** Python's `x.type(dtype)`; without arguments, the type name such as 'torch.FloatTensor'. */
  type(dtype?: DType): Tensor | string {
    if (dtype !== undefined) return this.to(dtype);
    const names: Record<string, string> = { float32: 'Float', float64: 'Double', float16: 'Half', bfloat16: 'BFloat16', int8: 'Char', uint8: 'Byte', int16: 'Short', int32: 'Int', int64: 'Long', bool: 'Bool' };
    return `torch.${this.is_cuda ? 'cuda.' : ''}${names[this.dtype.name]}Tensor`;
  }

  // ---- memory -----------------------------------------------------------------
  /** Frees the native tensor now (idempotent). Using the tensor afterwards throws. */
  dispose(): void {
    // An object that never got its tensor (the op meant to fill it threw) has nothing to free.
    if (this._h !== NO_HANDLE) native.dispose(this._h);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
  get isDisposed(): boolean {
    return this._h === NO_HANDLE || native.isDisposed(this._h);
  }

  // ---- printing ---------------------------------------------------------------
  /** PyTorch's repr: `tensor([[1., 2.]], requires_grad=True)`. */
  toString(): string {
    if (this.isDisposed) return 'tensor(<disposed>)';
    const t = this.detach();
    try {
      return formatTensor({
        shape: t.shape,
        dtype: t.dtype.name,
        defaultDtype: get_default_dtype().name,
        device: native.device(this._h),
        requiresGrad: this.requires_grad,
        gradFn: native.gradFnName(this._h),
        values: t.toTypedArray(),
      });
    } finally {
      t.dispose();
    }
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

registerTensorClass(Tensor);
registerTrackedClass(Tensor);

// Generated ATen methods go onto the prototype unless written by hand above.
import { generatedNames, makeMethod } from './_ops/dispatch.js';
for (const name of generatedNames().methods) {
  if (name in Tensor.prototype) continue;
  Object.defineProperty(Tensor.prototype, name, { value: makeMethod(name), writable: true, configurable: true });
}

