// A restricted pickle reader (Python's pickle.Unpickler, protocols 2-5, binary opcodes only).
// It never imports or calls anything: GLOBAL and STACK_GLOBAL ask a policy for an allowed
// object, and REDUCE / NEWOBJ / BUILD / BINPERSID hand their arguments to that policy, which
// refuses everything it does not know (see weights_only.ts, after PyTorch's
// torch/_weights_only_unpickler.py). What a pickle can make without the policy is plain data:
// None, bools, ints, floats, strings, bytes, lists, tuples, dicts and sets.
//
// Python values become JS values as follows (after `finalize`):
//   None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number,
//   str -> string, bytes -> Uint8Array, list -> Array, tuple -> frozen Array, set -> Set,
//   dict -> plain object when every key is a string, else Map; OrderedDict -> OrderedDict (a Map).
import { TorchError } from '../errors.js';
import { OrderedDict } from './collections.js';

/** A pickle that cannot be read: damaged, truncated, or asking for something that is not allowed. */
export class UnpicklingError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'UnpicklingError';
  }
}

/** A Python dict while it is being unpickled: keys may be any hashable value, order is kept. */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  /** Instance attributes set by BUILD (an OrderedDict's `_metadata`). */
  attributes: Map<string, unknown> | null = null;
  constructor(readonly ordered: boolean) {}
}

/** What the unpickler asks of its caller for everything beyond plain data. */
export interface UnpicklerPolicy {
  /** GLOBAL / STACK_GLOBAL: an allowed object, or throw naming `module.name`. */
  findClass(module: string, name: string): unknown;
  /** BINPERSID: the object a persistent id stands for (PyTorch: a storage). */
  persistentLoad(pid: unknown): unknown;
  /** REDUCE: `callable(*args)`. */
  reduce(callable: unknown, args: readonly unknown[]): unknown;
  /** NEWOBJ: `cls.__new__(cls, *args)`. */
  newObject(cls: unknown, args: readonly unknown[]): unknown;
  /** BUILD: `inst.__setstate__(state)`; returns the object that replaces `inst` on the stack. */
  build(instance: unknown, state: unknown): unknown;
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

function describeOpcode(code: number): string {
  const name = OPCODE_NAMES[code];
  const printable = code >= 0x20 && code < 0x7f ? ` '${String.fromCharCode(code)}'` : '';
  return `${name ?? 'unknown opcode'} (0x${code.toString(16).padStart(2, '0')}${printable})`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_GLOBAL_NAME = 4096;
const MARK = Symbol('MARK');

/** Python int from little-endian two's complement bytes (pickle's decode_long). */
export function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return pyInt(value);
}

/** A Python int as a JS number when exact, else a bigint. */
export function pyInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Marks a JS array as a Python tuple (frozen). */
export function makeTuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

export function isTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

/**
 * Runs one pickle in `data` starting at `start`. Returns the unpickled value (still holding
 * PyDict placeholders: call `finalize`) and the offset just past its STOP opcode.
 */
export function unpickle(data: Uint8Array, policy: UnpicklerPolicy, start = 0, label = 'pickle'): { value: unknown; end: number } {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (message: string, at = pos): never => {
    throw new UnpicklingError(`${label}: ${message} (at byte ${at})`);
  };
  const need = (n: number): number => {
    if (n > data.length - pos) fail(`the data is truncated: ${n} more bytes needed but only ${data.length - pos} remain`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow (damaged pickle)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow (damaged pickle)');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = metastack.pop();
    if (previous === undefined) fail('MARK expected but not found (damaged pickle)');
    stack = previous!;
    return items;
  };
  const text = (at: number, length: number): string => {
    try {
      return utf8.decode(data.subarray(at, at + length));
    } catch {
      return fail('a string is not valid UTF-8', at);
    }
  };
  const lengthOf = (v: bigint | number, what: string): number => {
    if (typeof v === 'bigint') {
      if (v > BigInt(data.length)) fail(`${what} of ${v} bytes is longer than the data`);
      return Number(v);
    }
    return v;
  };
  const readLine = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0 || end - pos > MAX_GLOBAL_NAME) fail('a GLOBAL name is not terminated');
    const line = text(pos, end - pos);
    pos = end + 1;
    return line;
  };
  const memoize = (key: number): void => {
    memo.set(key, top());
  };
  const fromMemo = (key: number): void => {
    if (!memo.has(key)) fail(`memo key ${key} was never stored (damaged pickle)`);
    stack.push(memo.get(key));
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof PyDict)) fail(`SETITEM(S) on a ${typeName(dict)}, not a dict`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).map.set(items[i], items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list) || Object.isFrozen(list)) fail(`APPEND(S) on a ${typeName(list)}, not a list`);
    for (const item of items) (list as unknown[]).push(item);
  };

  for (;;) {
    const at = need(1);
    const op = data[at];
    switch (op) {
      case 0x80: { // PROTO
        const version = data[need(1)];
        if (version > 5) fail(`unsupported pickle protocol ${version}`, at);
        break;
      }
      case 0x95: { // FRAME: a length hint only
        const length = dv.getBigUint64(need(8), true);
        if (length > BigInt(data.length - pos)) fail('a FRAME is longer than the data', at);
        break;
      }
      case 0x2e: // STOP
        if (metastack.length > 0) fail('STOP inside an unfinished MARK', at);
        return { value: pop(), end: pos };
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(dv.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(data[need(1)]); break; // BININT1
      case 0x4d: stack.push(dv.getUint16(need(2), true)); break; // BININT2
      case 0x8a: { // LONG1
        const n = data[need(1)];
        const p = need(n);
        stack.push(decodeLong(data.subarray(p, p + n)));
        break;
      }
      case 0x8b: { // LONG4
        const n = dv.getInt32(need(4), true);
        if (n < 0) fail('LONG4 with a negative length', at);
        const p = need(n);
        stack.push(decodeLong(data.subarray(p, p + n)));
        break;
      }
      case 0x47: stack.push(dv.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: { // BINUNICODE
        const n = dv.getUint32(need(4), true);
        stack.push(text(need(n), n));
        break;
      }
      case 0x8c: { // SHORT_BINUNICODE
        const n = data[need(1)];
        stack.push(text(need(n), n));
        break;
      }
      case 0x8d: { // BINUNICODE8
        const n = lengthOf(dv.getBigUint64(need(8), true), 'a string');
        stack.push(text(need(n), n));
        break;
      }
      case 0x55: { // SHORT_BINSTRING: a Python 2 str, decoded as UTF-8 like torch.load's default encoding
        const n = data[need(1)];
        stack.push(text(need(n), n));
        break;
      }
      case 0x54: { // BINSTRING
        const n = dv.getInt32(need(4), true);
        if (n < 0) fail('BINSTRING with a negative length', at);
        stack.push(text(need(n), n));
        break;
      }
      case 0x43: { // SHORT_BINBYTES
        const n = data[need(1)];
        const p = need(n);
        stack.push(new Uint8Array(data.subarray(p, p + n))); // a copy, never a view of the file
        break;
      }
      case 0x42: { // BINBYTES
        const n = dv.getUint32(need(4), true);
        const p = need(n);
        stack.push(new Uint8Array(data.subarray(p, p + n))); // a copy, never a view of the file
        break;
      }
      case 0x8e: case 0x96: { // BINBYTES8, BYTEARRAY8
        const n = lengthOf(dv.getBigUint64(need(8), true), 'a bytes object');
        const p = need(n);
        stack.push(new Uint8Array(data.subarray(p, p + n))); // a copy, never a view of the file
        break;
      }
      case 0x29: stack.push(makeTuple([])); break; // EMPTY_TUPLE
      case 0x74: { // TUPLE
        const items = popMark(); // before naming `stack`, which popMark replaces
        stack.push(makeTuple(items));
        break;
      }
      case 0x85: stack.push(makeTuple([pop()])); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(makeTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(makeTuple([a, b, c]));
        break;
      }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: { // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: stack.push(new PyDict(false)); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const dict = new PyDict(false);
        setItems(dict, items);
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail(`ADDITEMS on a ${typeName(set)}, not a set`, at);
        for (const item of items) (set as Set<unknown>).add(item);
        break;
      }
      case 0x91: { // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x71: memoize(data[need(1)]); break; // BINPUT
      case 0x72: memoize(dv.getUint32(need(4), true)); break; // LONG_BINPUT
      case 0x94: memoize(memo.size); break; // MEMOIZE
      case 0x68: fromMemo(data[need(1)]); break; // BINGET
      case 0x6a: fromMemo(dv.getUint32(need(4), true)); break; // LONG_BINGET
      case 0x63: { // GLOBAL
        const module = readLine();
        const name = readLine();
        stack.push(policy.findClass(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings', at);
        stack.push(policy.findClass(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const callable = pop();
        if (!isTuple(args)) fail(`REDUCE arguments must be a tuple, not a ${typeName(args)}`, at);
        stack.push(policy.reduce(callable, args as readonly unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!isTuple(args)) fail(`NEWOBJ arguments must be a tuple, not a ${typeName(args)}`, at);
        stack.push(policy.newObject(cls, args as readonly unknown[]));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const instance = pop();
        stack.push(policy.build(instance, state));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        stack.push(policy.persistentLoad(pid));
        break;
      }
      default:
        fail(`${describeOpcode(op)} is not supported by torch-node's weights-only unpickler`, at);
    }
  }
}

export function typeName(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/**
 * Turns the unpickled value into its JS form: PyDicts become plain objects, Maps or
 * OrderedDicts, tuples stay frozen arrays. Iterative (no recursion, any depth) and safe for
 * cycles and shared references (a value reached twice becomes one JS object).
 */
export function finalize(root: unknown, leaf: (v: object) => unknown = (v) => v): unknown {
  const done = new Map<object, unknown>();
  const work: (() => void)[] = [];
  const tuples: unknown[][] = [];

  const convert = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const seen = done.get(v);
    if (seen !== undefined || done.has(v)) return seen;
    if (v instanceof PyDict) {
      const keys = [...v.map.keys()];
      let out: Map<unknown, unknown> | Record<string, unknown>;
      if (v.ordered) out = new OrderedDict();
      else if (keys.every((k) => typeof k === 'string')) out = {};
      else out = new Map();
      done.set(v, out);
      work.push(() => {
        if (out instanceof Map) {
          for (const [k, value] of v.map) out.set(convert(k), convert(value));
          if (out instanceof OrderedDict && v.attributes) {
            const metadata = v.attributes.get('_metadata');
            // not enumerable, like the _metadata of torch.nn's state_dict()
            if (metadata !== undefined) Object.defineProperty(out, '_metadata', { value: convert(metadata), writable: true, enumerable: false, configurable: true });
          }
        } else {
          for (const [k, value] of v.map) {
            Object.defineProperty(out, k as string, { value: convert(value), enumerable: true, writable: true, configurable: true });
          }
        }
      });
      return out;
    }
    if (Array.isArray(v)) {
      if (Object.isFrozen(v)) {
        const out: unknown[] = new Array(v.length);
        done.set(v, out);
        tuples.push(out);
        work.push(() => {
          for (let i = 0; i < v.length; i++) out[i] = convert(v[i]);
        });
        return out;
      }
      done.set(v, v);
      work.push(() => {
        for (let i = 0; i < v.length; i++) v[i] = convert(v[i]);
      });
      return v;
    }
    if (v instanceof Set) {
      const out = new Set<unknown>();
      done.set(v, out);
      work.push(() => {
        for (const item of v) out.add(convert(item));
      });
      return out;
    }
    if (v instanceof Uint8Array) return v;
    const out = leaf(v);
    done.set(v, out);
    return out;
  };

  const result = convert(root);
  while (work.length > 0) work.pop()!();
  for (const t of tuples) Object.freeze(t);
  return result;
}
