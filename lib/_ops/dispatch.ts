// The generic op path. Every ATen op in lib/_generated/native_functions.ts becomes a
// torch.* function and/or Tensor method. A call picks the first overload whose
// schema accepts the arguments (Python's rules: positional arguments in schema
// order, keyword arguments in a trailing options object, a lone int[] accepts
// varargs), converts them for the native layer and calls the op by id.
import { isPlainObject } from '../_args.js';
import { native, type Handle } from '../_C.js';
import { Device } from '../device.js';
import { DType, Layout, MemoryFormat } from '../dtype.js';
import { retryAfterCudaOom } from '../cuda_memory.js';
import { NotImplementedError, TorchError, TorchTypeError } from '../errors.js';
import { NATIVE_FUNCTIONS } from '../_generated/native_functions.js';
import { isExposed, parseSchema, type Schema, type SchemaArg } from './schema.js';

/** What the dispatcher needs of a Tensor; the class registers itself to avoid an import cycle. */
export interface TensorLike {
  readonly _h: Handle;
  _own(handle: Handle): TensorLike;
}
type TensorClass = { new (handle?: Handle): TensorLike; prototype: TensorLike };
let Tensor: TensorClass;
export function registerTensorClass(cls: TensorClass): void {
  Tensor = cls;
  // Native code makes the Tensors that other native functions return with `new Tensor(handle)`.
  native.setTensorClass(cls);
}

interface Overload {
  schema: Schema;
  /** Parameters the caller supplies: for a method, all but self. */
  params: SchemaArg[];
  /** Positions (in schema order) of the caller's params. */
  paramSlots: number[];
  positionalCount: number;
  selfSlot: number;
  /** A lone int[] positional parameter takes varargs: x.view(2, 3), torch.zeros(2, 3). */
  varargsIntList: boolean;
  /** Factory functions take requires_grad, which is not part of the ATen schema. */
  isFactory: boolean;
  /** Numbers are accepted for Tensor parameters (see NUMBERS_AS_TENSORS). */
  numbersAsTensors: boolean;
  /** Returns one new Tensor: the caller makes the Tensor object and the native call fills it. */
  returnsNewTensor: boolean;
  opId?: number;
}

const methodTables = new Map<string, OpTable>();
const functionTables = new Map<string, OpTable>();

// Python's argument parser lets numbers stand for Tensors in these ops (they become
// "wrapped number" tensors) and hides their Scalar overloads, so `w.mul(2)` records
// MulBackward0 and promotes types like a Python scalar
// (torch/csrc/utils/python_arg_parser.cpp: should_allow_numbers_as_tensors).
const NUMBERS_AS_TENSORS = new Set([
  'add', 'add_', 'div', 'div_', 'divide', 'divide_', 'mul', 'mul_', 'multiply', 'multiply_', 'sub', 'sub_',
  'subtract', 'subtract_', 'true_divide', 'true_divide_', 'floor_divide', 'floor_divide_', 'to', '_to_copy', 'copy_',
]);
const HIDDEN_SCALAR_OVERLOADS = new Set(['add', 'add_', 'sub', 'sub_', 'mul', 'mul_', 'div', 'div_']);

function buildOverloads(name: string, asMethod: boolean): Overload[] {
  const entry = NATIVE_FUNCTIONS[name];
  const overloads: Overload[] = [];
  for (const text of entry?.schemas ?? []) {
    const schema = parseSchema(text);
    if (!isExposed(schema)) continue;
    if (HIDDEN_SCALAR_OVERLOADS.has(schema.name) && schema.overload.startsWith('Scalar')) continue;
    const selfSlot = asMethod ? schema.args.findIndex((a) => a.name === 'self' && a.baseType === 'Tensor') : -1;
    if (asMethod && selfSlot < 0) continue;
    const paramSlots = schema.args.map((_, i) => i).filter((i) => i !== selfSlot);
    const params = paramSlots.map((i) => schema.args[i]);
    const positionalCount = params.filter((a) => !a.kwargOnly).length;
    const names = new Set(schema.args.map((a) => a.name));
    overloads.push({
      schema,
      params,
      paramSlots,
      positionalCount,
      selfSlot,
      varargsIntList: positionalCount === 1 && (params[0].baseType === 'int[]' || params[0].baseType === 'SymInt[]'),
      isFactory: names.has('pin_memory') && names.has('device'),
      numbersAsTensors: NUMBERS_AS_TENSORS.has(schema.name),
      returnsNewTensor: schema.returns.length === 1 && schema.returns[0].baseType === 'Tensor' && !schema.returns[0].mutated,
    });
  }
  return overloads;
}

function opTable(name: string, asMethod: boolean): OpTable {
  const cache = asMethod ? methodTables : functionTables;
  let found = cache.get(name);
  if (!found) {
    found = { name, overloads: buildOverloads(name, asMethod), shapes: new Map() };
    cache.set(name, found);
  }
  return found;
}

function opIdOf(overload: Overload): number {
  if (overload.opId === undefined) {
    const id = native.findOp(`aten::${overload.schema.name}`, overload.schema.overload);
    if (id < 0) {
      throw new NotImplementedError(
        `${overload.schema.name}: the op aten::${overload.schema.name}${overload.schema.overload ? '.' + overload.schema.overload : ''} is not in the libtorch torch-node was built against (libtorch ${native.libtorchVersion()})`,
      );
    }
    overload.opId = id;
  }
  return overload.opId;
}

const isInteger = (v: unknown): boolean => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
const isTensor = (v: unknown): v is TensorLike => v instanceof Tensor;

/** Converts one JS value for a schema argument, or returns NO_MATCH. */
const NO_MATCH = Symbol('no match');
function convert(arg: SchemaArg, v: unknown, numbersAsTensors: boolean): unknown {
  if (v === undefined) return undefined;
  if (v === null) return arg.optional ? null : NO_MATCH;
  switch (arg.baseType) {
    case 'Tensor':
      // A real handle is a number; anything else on a Tensor-looking object is a fake.
      if (isTensor(v)) return typeof v._h === 'number' ? v._h : NO_MATCH;
      // The native layer turns a number into a wrapped-number tensor. A plain number would read
      // as a handle there, so it travels boxed.
      if (numbersAsTensors) {
        if (typeof v === 'number') return [v];
        if (typeof v === 'boolean' || typeof v === 'bigint') return v;
      }
      return NO_MATCH;
    case 'Scalar':
      return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? v : NO_MATCH;
    case 'int':
    case 'SymInt':
      return isInteger(v) ? v : NO_MATCH;
    case 'float':
      return typeof v === 'number' ? v : NO_MATCH;
    case 'bool':
      return typeof v === 'boolean' ? v : NO_MATCH;
    case 'str':
      return typeof v === 'string' ? v : NO_MATCH;
    case 'int[]':
    case 'SymInt[]':
      // Like Python, a single int stands for a list only where the schema gives its size (int[2]).
      if (isInteger(v)) return arg.fixedSize !== undefined ? v : NO_MATCH;
      return Array.isArray(v) && v.every(isInteger) ? v : NO_MATCH;
    case 'float[]':
      if (typeof v === 'number') return arg.fixedSize !== undefined ? new Array(arg.fixedSize).fill(v) : NO_MATCH;
      return Array.isArray(v) && v.every((x) => typeof x === 'number') ? v : NO_MATCH;
    case 'bool[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'boolean') ? v : NO_MATCH;
    case 'Tensor[]':
      return Array.isArray(v) && v.every(isTensor) ? v.map((t) => t._h) : NO_MATCH;
    case 'Tensor?[]':
      return Array.isArray(v) && v.every((t) => t === null || isTensor(t)) ? v.map((t) => (t === null ? null : t._h)) : NO_MATCH;
    case 'ScalarType':
      return v instanceof DType ? v.code : NO_MATCH;
    case 'Layout':
      return v instanceof Layout ? v.code : NO_MATCH;
    case 'MemoryFormat':
      return v instanceof MemoryFormat ? v.code : NO_MATCH;
    case 'Device':
      if (v instanceof Device) return deviceCode(v);
      return typeof v === 'string' ? deviceCodeOf(v) : NO_MATCH;
    default:
      return NO_MATCH;
  }
}

let cudaAvailable: boolean | undefined;
// The device types torch-node takes, as c10::DeviceType numbers them (c10/core/DeviceType.h).
const DEVICE_TYPES: Record<string, number> = { cpu: 0, cuda: 1, meta: 14 };
// A Device argument goes to native code as a number: its c10::DeviceType * DEVICE_TYPE_STEP +
// index + 1, where 0 stands for no index (native/op_args.h kDeviceTypeStep).
const DEVICE_TYPE_STEP = 65536;

/** A device's code; a CUDA device on a machine or libtorch without CUDA is a clear error, not libtorch's backend dump. */
function deviceCode(d: Device): number {
  if (d.type === 'cuda') {
    cudaAvailable ??= native.cudaIsAvailable();
    if (!cudaAvailable) {
      throw new TorchError(`device '${d}' requested, but CUDA is not available: this libtorch (${native.libtorchVersion()}) was built without CUDA or no GPU is visible. Build against a CUDA libtorch (LIBTORCH or LIBTORCH_USE_PYTORCH=1) on a machine with a GPU.`);
    }
  }
  const type = DEVICE_TYPES[d.type];
  if (type === undefined) throw new TorchError(`device type '${d.type}' is not supported by torch-node (use 'cpu' or 'cuda')`);
  const index = d.index ?? -1;
  if (index >= DEVICE_TYPE_STEP - 1) throw new TorchError(`device '${d}': the index is out of range`);
  return type * DEVICE_TYPE_STEP + index + 1;
}

/** The code of a device string, parsed once ('cpu' is passed on most calls that take a device). */
const deviceCodes = new Map<string, number>();
function deviceCodeOf(s: string): number {
  let code = deviceCodes.get(s);
  if (code === undefined) {
    code = deviceCode(new Device(s));
    deviceCodes.set(s, code);
  }
  return code;
}

function isOptionsObject(v: unknown): v is Record<string, unknown> {
  // Tensors are the common last argument: rule them out before the slower prototype lookup.
  return !(v instanceof Tensor) && isPlainObject(v);
}

/** Arguments for the native call in schema order, or null when this overload does not fit. */
function bind(overload: Overload, self: TensorLike | undefined, positional: unknown[], options: Record<string, unknown> | undefined): unknown[] | null {
  const { params, paramSlots } = overload;
  let given = positional;
  if (overload.varargsIntList && given.length > 0 && !Array.isArray(given[0])) {
    if (!given.every(isInteger)) return null;
    given = [given];
  }
  if (given.length > overload.positionalCount) return null;
  const slots: unknown[] = new Array(overload.schema.args.length);
  if (overload.selfSlot >= 0) {
    const handle = self!._h;
    if (typeof handle !== 'number') return null; // not a real tensor
    slots[overload.selfSlot] = handle;
  }
  for (let i = 0; i < given.length; i++) {
    const value = convert(params[i], given[i], overload.numbersAsTensors);
    if (value === NO_MATCH) return null;
    slots[paramSlots[i]] = value;
  }
  if (options !== undefined) {
    for (const key in options) {
      if (key === 'requires_grad' && overload.isFactory) continue;
      const p = params.findIndex((a) => a.name === key);
      // Unknown keyword, or given both positionally and by keyword.
      if (p < 0 || slots[paramSlots[p]] !== undefined) return null;
      const value = convert(params[p], options[key], overload.numbersAsTensors);
      if (value === NO_MATCH) return null;
      slots[paramSlots[p]] = value;
    }
  }
  // Required parameters (no default) must be given; an optional type without a default may be null.
  for (let i = 0; i < params.length; i++) {
    if (slots[paramSlots[i]] === undefined && params[i].defaultValue === undefined) return null;
  }
  return slots;
}

// An op's arguments go to native code through this Float64Array (native/dispatch.cpp callOp):
// their count, then per argument what JS has there and its value; lists of numbers (int[],
// float[], a Tensor[]'s handles) follow in the same buffer as their length and values. Reading
// them there costs native code no Node-API call. Only what has no code travels as a JS value.
const opArgs = new Float64Array(native.opArgs);
const ARG = { undefined: 0, number: 1, null: 2, false: 3, true: 4, numberList: 5, jsValue: 6 } as const;
const MAX_ARGS: number = native.maxOpArgs;
const LIST_START = 1 + 2 * MAX_ARGS;
/** Counts callOp's writes into opArgs, so that one can tell when another ran in the middle of it. */
let opArgsWriters = 0;

/** Writes `list` at `at` as its length and values; false (writing nothing that counts) if one is not a number or it does not fit. */
function writeNumberList(list: unknown[], at: number): boolean {
  if (at + 1 + list.length > opArgs.length) return false;
  for (let k = 0; k < list.length; k++) {
    const x = list[k];
    if (typeof x !== 'number') return false;
    opArgs[at + 1 + k] = x;
  }
  opArgs[at] = list.length;
  return true;
}

/**
 * Calls op `id` with its arguments in schema order (undefined for "use the default"). `owner`: a
 * new Tensor that receives the result when the op returns one Tensor (the call then returns its
 * handle), else undefined.
 */
export function callOp(id: number, owner: TensorLike | undefined, slots: unknown[]): unknown {
  if (slots.length > MAX_ARGS) throw new NotImplementedError(`an op with ${slots.length} arguments: torch-node passes at most ${MAX_ARGS}`);
  const writer = ++opArgsWriters;
  let jsValues: unknown[] | undefined;
  let list = LIST_START;
  opArgs[0] = slots.length;
  for (let i = 0; i < slots.length; i++) {
    const v = slots[i];
    const at = 1 + 2 * i;
    if (typeof v === 'number') {
      opArgs[at] = ARG.number; // a handle or a number: the op's schema says which
      opArgs[at + 1] = v;
    } else if (v === undefined) {
      opArgs[at] = ARG.undefined;
    } else if (v === null) {
      opArgs[at] = ARG.null;
    } else if (typeof v === 'boolean') {
      opArgs[at] = v ? ARG.true : ARG.false;
    } else if (Array.isArray(v) && writeNumberList(v, list)) {
      opArgs[at] = ARG.numberList;
      opArgs[at + 1] = list;
      list += 1 + v.length;
    } else {
      opArgs[at] = ARG.jsValue;
      (jsValues ??= []).push(v);
    }
  }
  // A getter on an array element that ran an op meanwhile wrote over opArgs: pass them all as JS
  // values instead, which reads no element here.
  if (opArgsWriters !== writer) return callOpWithJsValues(id, owner, slots);
  if (jsValues === undefined) return native.callOp(id, owner);
  return jsValues.length === 1 ? native.callOp(id, owner, jsValues[0]) : native.callOp(id, owner, ...jsValues);
}

function callOpWithJsValues(id: number, owner: TensorLike | undefined, slots: unknown[]): unknown {
  opArgs[0] = slots.length;
  for (let i = 0; i < slots.length; i++) opArgs[1 + 2 * i] = ARG.jsValue;
  return native.callOp(id, owner, ...slots);
}

// The tensors among array results (tuples, lists) come back from native code as handles queued
// in this buffer as [count, handle...]: making each Tensor object here is ~0.4 µs cheaper than
// native code calling the constructor. A tuple or list of Tensors alone comes back as `true`;
// anything else as an array with undefined placeholders for them.
const unownedResults = new Float64Array(native.unownedResults);

/**
 * Makes the Tensors of queued result handles and hands them to native code. `result` is what
 * native code returned: true when the result is the queued tensors alone (a tuple or list of
 * Tensors), else a value whose undefined placeholders they fill.
 */
function adoptResults(result: unknown): unknown {
  const count = unownedResults[0];
  if (count === 0) return result;
  const owners: TensorLike[] = [];
  for (let i = 0; i < count; i++) owners.push(new Tensor()._own(unownedResults[1 + i] as Handle));
  if (count === 1) native.adoptResults(owners[0]);
  else if (count === 2) native.adoptResults(owners[0], owners[1]);
  else native.adoptResults(...owners);
  if (result === true) return owners;
  fillPlaceholders(result as unknown[], owners, 0);
  return result;
}

/** Replaces the undefined placeholders of `array` (nested arrays included, in order) with owners[next...]; returns the next index. */
function fillPlaceholders(array: unknown[], owners: TensorLike[], next: number): number {
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (v === undefined) array[i] = owners[next++];
    else if (Array.isArray(v)) next = fillPlaceholders(v, owners, next);
  }
  return next;
}

/** Runs the op. A single new Tensor result goes into an object made here (native returns its handle); other results come back from native as they are. */
function call(overload: Overload, id: number, slots: unknown[]): unknown {
  const out = overload.returnsNewTensor ? new Tensor() : undefined;
  return resultOf(out, callOp(id, out, slots));
}

/** What native.callOp returned, made whole: `out` takes a new tensor's handle; queued tensors of other results get their objects. */
function resultOf(out: TensorLike | undefined, returned: unknown): unknown {
  if (out === undefined) return adoptResults(returned);
  // Otherwise null (an undefined tensor) or undefined (the op returned an argument).
  return typeof returned === 'number' ? out._own(returned as Handle) : returned;
}

/** An in-place op's result is its first argument, which native code returns as undefined: hand back the caller's object. */
function handBack(overload: Overload, self: TensorLike | undefined, positional: unknown[], result: unknown): unknown {
  if (result === undefined && overload.schema.returns.length === 1) return overload.selfSlot === 0 ? self : positional[0];
  return result;
}

function describeArg(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (isTensor(v)) return 'Tensor';
  if (Array.isArray(v)) return `[${v.map(describeArg).join(', ')}]`;
  if (v instanceof DType) return 'dtype';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v;
}

function signatureText(o: Overload): string {
  const params = o.params.map((a) => {
    const type = `${a.baseType}${a.fixedSize !== undefined ? '' : ''}${a.optional ? '?' : ''}`;
    return `${type} ${a.name}${a.defaultValue !== undefined ? `=${a.defaultValue}` : ''}`;
  });
  const firstKw = o.params.findIndex((a) => a.kwargOnly);
  if (firstKw >= 0) params.splice(firstKw, 0, '*');
  return `(${params.join(', ')})`;
}

function noMatch(label: string, overloads: Overload[], positional: unknown[], options?: Record<string, unknown>): TorchTypeError {
  if (overloads.length === 0) return new TorchTypeError(`${label}: no overload of this op can be called from JS`);
  const got = positional.map(describeArg);
  if (options) for (const k of Object.keys(options)) got.push(`${k}=${describeArg(options[k])}`);
  return new TorchTypeError(
    `${label}() received an invalid combination of arguments - got (${got.join(', ')}), but expected one of:\n` +
      overloads.map((o) => ` * ${signatureText(o)}`).join('\n'),
  );
}

// ---- the fast path for common call shapes ----------------------------------------------
// Whether an overload binds arguments that are Tensors, numbers and booleans depends only on each
// one's kind (a Tensor, an integral number, another number, a boolean), not on its value (see
// convert). So once a call has bound, a later call with the same kinds binds to the same overload
// in the same way: the op remembers, per call shape, where each of its slots comes from and
// writes opArgs straight from the arguments, skipping bind's search through the overloads.
const MAX_FAST_ARGS = 6;
const KIND_BITS = 2; // a Tensor 0, an integral number 1, another number 2, a boolean 3
// Where a slot comes from: the default, self, all the arguments as one int[] (varargs:
// x.view(2, 3)), or argument i: as it is (i >= 0) or as a one-element list (AS_LIST - i; a number
// for a Tensor parameter travels that way, see NUMBERS_AS_TENSORS).
const FROM_DEFAULT = -1;
const FROM_SELF = -2;
const FROM_ALL_ARGS = -3;
const AS_LIST = -4;

interface CallShape {
  overload: Overload;
  id: number;
  /** Per slot, in schema order, where its value comes from (FROM_* or an argument index). */
  sources: number[];
}
/** An op's overloads, and the calls seen so far by shape (null: a shape that takes the generic path). */
interface OpTable {
  name: string;
  overloads: Overload[];
  shapes: Map<number, CallShape | null>;
}

/** @internal The call's shape: its argument count and their kinds; -1 when one is of another kind (exported for tests). */
export function shapeKey(args: unknown[]): number {
  const n = args.length;
  if (n > MAX_FAST_ARGS) return -1;
  let key = n;
  for (let i = 0; i < n; i++) {
    const v = args[i];
    let kind: number;
    if (v instanceof Tensor) kind = 0;
    else if (typeof v === 'number') kind = Number.isInteger(v) ? 1 : 2;
    else if (typeof v === 'boolean') kind = 3;
    else return -1;
    key |= kind << (3 + KIND_BITS * i);
  }
  return key;
}

const isListOf = (converted: unknown, v: number): boolean => Array.isArray(converted) && converted.length === 1 && converted[0] === v;

/** How a call that bound `overload` to `slots` filled them, or null when bind converted something fastCall cannot repeat. */
function shapeOf(overload: Overload, args: unknown[], slots: unknown[]): CallShape | null {
  if (slots.length > MAX_ARGS) return null;
  const sources: number[] = new Array(slots.length).fill(FROM_DEFAULT);
  if (overload.selfSlot >= 0) sources[overload.selfSlot] = FROM_SELF;
  if (overload.varargsIntList && args.length > 0) {
    sources[overload.paramSlots[0]] = FROM_ALL_ARGS;
  } else {
    for (let i = 0; i < args.length; i++) {
      const slot = overload.paramSlots[i];
      const v = args[i];
      if (v instanceof Tensor || typeof slots[slot] === typeof v) sources[slot] = i;
      else if (typeof v === 'number' && isListOf(slots[slot], v)) sources[slot] = AS_LIST - i;
      else return null;
    }
  }
  return { overload, id: opIdOf(overload), sources };
}

/**
 * Runs the op as `shape` says, writing opArgs straight from the arguments. NO_MATCH when the call
 * takes the generic path after all: a Tensor without a real handle, or a getter that ran an op
 * meanwhile.
 */
function fastCall(shape: CallShape, self: TensorLike | undefined, args: unknown[]): unknown {
  const { overload, id, sources } = shape;
  const out = overload.returnsNewTensor ? new Tensor() : undefined;
  const writer = ++opArgsWriters;
  let list = LIST_START;
  opArgs[0] = sources.length;
  for (let s = 0; s < sources.length; s++) {
    const from = sources[s];
    const at = 1 + 2 * s;
    if (from === FROM_DEFAULT) {
      opArgs[at] = ARG.undefined;
    } else if (from <= FROM_ALL_ARGS) {
      // At most MAX_FAST_ARGS numbers: they fit.
      if (from === FROM_ALL_ARGS) writeNumberList(args, list);
      else {
        opArgs[list] = 1;
        opArgs[list + 1] = args[AS_LIST - from] as number;
      }
      opArgs[at] = ARG.numberList;
      opArgs[at + 1] = list;
      list += 1 + opArgs[list];
    } else {
      const v = from === FROM_SELF ? self : args[from];
      if (typeof v === 'number') {
        opArgs[at] = ARG.number;
        opArgs[at + 1] = v;
      } else if (typeof v === 'boolean') {
        opArgs[at] = v ? ARG.true : ARG.false;
      } else {
        const handle = (v as TensorLike)._h;
        if (typeof handle !== 'number') return NO_MATCH;
        opArgs[at] = ARG.number;
        opArgs[at + 1] = handle;
      }
    }
  }
  if (opArgsWriters !== writer) return NO_MATCH;
  return handBack(overload, self, args, resultOf(out, native.callOp(id, out)));
}

/** Calls op `table` with `args` (and `self` for a method): by the call's shape when it was seen before, else through bind. */
function invoke(table: OpTable, self: TensorLike | undefined, args: unknown[]): unknown {
  const key = shapeKey(args);
  if (key < 0) return invokeGeneric(table, self, args, -1);
  const shape = table.shapes.get(key);
  if (shape === undefined) return invokeGeneric(table, self, args, key);
  if (shape !== null) {
    let result: unknown;
    try {
      result = fastCall(shape, self, args);
    } catch (e) {
      // As in invokeGeneric: collect, empty the cache and retry once.
      result = retryAfterCudaOom(() => fastCall(shape, self, args), e);
    }
    if (result !== NO_MATCH) return result;
  }
  return invokeGeneric(table, self, args, -1);
}

/** Picks the first overload that binds; records the call's shape under `key` (unless -1) for fastCall. */
function invokeGeneric(table: OpTable, self: TensorLike | undefined, args: unknown[], key: number): unknown {
  const { name, overloads } = table;
  let options: Record<string, unknown> | undefined;
  let positional = args;
  if (args.length > 0 && isOptionsObject(args[args.length - 1])) {
    options = args[args.length - 1] as Record<string, unknown>;
    positional = args.slice(0, -1);
  }
  for (let i = 0; i < overloads.length; i++) {
    const overload = overloads[i];
    const slots = bind(overload, self, positional, options);
    if (slots === null) continue;
    if (key >= 0) table.shapes.set(key, shapeOf(overload, positional, slots));
    const id = opIdOf(overload);
    let result: unknown;
    try {
      result = call(overload, id, slots);
    } catch (e) {
      // GPU memory that only the GC can free: collect, empty the cache and retry once (other errors pass through).
      result = retryAfterCudaOom(() => call(overload, id, slots), e);
    }
    result = handBack(overload, self, positional, result);
    if (options?.requires_grad === true && overload.isFactory) (result as { requires_grad_(b: boolean): unknown }).requires_grad_(true);
    return result;
  }
  if (key >= 0) table.shapes.set(key, null);
  throw noMatch(self === undefined ? name : `Tensor.${name}`, overloads, positional, options);
}

/** @internal For tests: the overload that each call shape of op `name` seen so far takes (`null`: the generic path), by the shape's key. */
export function callShapes(name: string, asMethod: boolean): Map<number, string | null> {
  const shapes = (asMethod ? methodTables : functionTables).get(name)?.shapes ?? new Map<number, CallShape | null>();
  return new Map([...shapes].map(([key, shape]) => [key, shape && `${shape.overload.schema.name}.${shape.overload.schema.overload}`]));
}

/** Calls self.<name>(...args) through the generated op table. */
export function callMethod(self: TensorLike, name: string, args: unknown[]): unknown {
  return invoke(opTable(name, true), self, args);
}

/** A torch.<name> function bound to its overloads once (the hot path of generated functions). */
export function makeFunction(name: string): (...args: unknown[]) => unknown {
  let table: OpTable | undefined;
  return (...args: unknown[]) => invoke((table ??= opTable(name, false)), undefined, args);
}

/** A Tensor method bound to its overloads once (the hot path of generated methods). */
export function makeMethod(name: string): (this: TensorLike, ...args: unknown[]) => unknown {
  let table: OpTable | undefined;
  return function (this: TensorLike, ...args: unknown[]) {
    return invoke((table ??= opTable(name, true)), this, args);
  };
}

/** Names of generated ops by where Python exposes them. */
export function generatedNames(): { functions: string[]; methods: string[]; byModule: Record<string, string[]> } {
  const functions: string[] = [];
  const methods: string[] = [];
  const byModule: Record<string, string[]> = {};
  for (const [name, entry] of Object.entries(NATIVE_FUNCTIONS)) {
    if (entry.variants.includes('method')) methods.push(name);
    if (!entry.variants.includes('function')) continue;
    if (entry.module) (byModule[entry.module] ??= []).push(name);
    else functions.push(name);
  }
  return { functions, methods, byModule };
}
