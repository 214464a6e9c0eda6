// The pickle writer behind torch.save: Python's pickle.Pickler at protocol 2 (what
// torch.save uses), with PyTorch's reductions for tensors, Parameters, dtypes and
// OrderedDicts. It memoizes and batches exactly as CPython does, so the data.pkl it
// writes for a state_dict is byte-for-byte the one PyTorch writes.
//
// JS values become Python values as follows:
//   null/undefined -> None, boolean -> bool, integer number -> int (-0 stays a float),
//   other number -> float, bigint -> int, string -> str, Uint8Array -> bytes,
//   Array -> list, frozen Array -> tuple, plain object -> dict, OrderedDict or a Map with a
//   `_metadata` property (torch.nn's state_dict()) -> OrderedDict, other Map -> dict (any keys),
//   Set -> set, Tensor -> Tensor (nn.Parameter -> Parameter),
//   DType -> torch dtype, Layout -> torch layout.
import { isPlainObject } from '../_args.js';
import { DType, Layout } from '../dtype.js';
import { TorchTypeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { OrderedDict } from './collections.js';

/** How a tensor's storage is referenced in the pickle (torch.serialization's persistent_id). */
export interface StorageReference {
  /** 'FloatStorage', 'HalfStorage', ... (a global in module `torch`) */
  storageType: string;
  key: string;
  location: string;
  /** Elements in the storage record. */
  numel: number;
  /** The tensor's offset into that storage, in elements. */
  offset: number;
}

export interface PicklerHooks {
  /** The storage a tensor is saved in (called once per distinct tensor, in pickling order). */
  storageOf(t: Tensor): StorageReference;
  isParameter(t: Tensor): boolean;
}

const BATCH_SIZE = 1000;
/** Nesting deeper than this is refused like Python's RecursionError, before the JS stack overflows. */
const MAX_DEPTH = 1000;

class ByteBuilder {
  private bytes = new Uint8Array(256);
  private dv = new DataView(this.bytes.buffer);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.dv = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }
  u16(v: number): void {
    this.reserve(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.dv.setInt32(this.length, v, true);
    this.length += 4;
  }
  f64be(v: number): void {
    this.reserve(8);
    this.dv.setFloat64(this.length, v, false);
    this.length += 8;
  }
  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e,
  BINPERSID: 0x51, REDUCE: 0x52, BINUNICODE: 0x58, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63, APPENDS: 0x65,
  BINGET: 0x68, LONG_BINGET: 0x6a, EMPTY_LIST: 0x5d, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74,
  EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47, EMPTY_DICT: 0x7d, PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86,
  TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  EMPTY_SET: 0x8f, ADDITEMS: 0x90,
} as const;

/** pickle's encode_long: the shortest little-endian two's complement bytes of `x`. */
export function encodeLong(x: bigint): Uint8Array {
  if (x === 0n) return new Uint8Array(0);
  let bitLength = 0;
  for (let v = x < 0n ? -x : x; v > 0n; v >>= 1n) bitLength++;
  let n = (bitLength >> 3) + 1;
  const out = new Uint8Array(n);
  let v = BigInt.asUintN(8 * n, x);
  for (let i = 0; i < n; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (x < 0n && n > 1 && out[n - 1] === 0xff && (out[n - 2] & 0x80) !== 0) n--;
  return out.subarray(0, n);
}

function describe(v: unknown): string {
  if (typeof v === 'object' && v !== null) return v.constructor?.name ?? 'object';
  return typeof v;
}

/** Pickles `obj` the way torch.save does (protocol 2). */
export function pickle(obj: unknown, hooks: PicklerHooks): Uint8Array {
  const out = new ByteBuilder();
  const objectMemo = new Map<object, number>();
  const stringMemo = new Map<string, number>();
  /** Strings inside persistent ids: in PyTorch these are separate objects from the user's strings. */
  const pidStringMemo = new Map<string, number>();
  const globalMemo = new Map<string, number>();
  let memoSize = 0;
  let depth = 0;
  const path: string[] = [];

  const put = (): number => {
    const idx = memoSize++;
    if (idx < 256) {
      out.byte(OP.BINPUT);
      out.byte(idx);
    } else {
      out.byte(OP.LONG_BINPUT);
      out.u32(idx);
    }
    return idx;
  };
  const get = (idx: number): void => {
    if (idx < 256) {
      out.byte(OP.BINGET);
      out.byte(idx);
    } else {
      out.byte(OP.LONG_BINGET);
      out.u32(idx);
    }
  };
  const where = (): string => (path.length ? ` at ${path.join('')}` : '');

  const saveInt = (value: bigint): void => {
    if (value >= 0n && value <= 0xffn) {
      out.byte(OP.BININT1);
      out.byte(Number(value));
    } else if (value >= 0n && value <= 0xffffn) {
      out.byte(OP.BININT2);
      out.u16(Number(value));
    } else if (value >= -0x80000000n && value <= 0x7fffffffn) {
      out.byte(OP.BININT);
      out.i32(Number(value));
    } else {
      const bytes = encodeLong(value);
      if (bytes.length < 256) {
        out.byte(OP.LONG1);
        out.byte(bytes.length);
      } else {
        out.byte(OP.LONG4);
        out.i32(bytes.length);
      }
      out.raw(bytes);
    }
  };
  const saveString = (s: string, memo: Map<string, number>): void => {
    const known = memo.get(s);
    if (known !== undefined) return get(known);
    const bytes = Buffer.from(s, 'utf8');
    out.byte(OP.BINUNICODE);
    out.u32(bytes.length);
    out.raw(bytes);
    memo.set(s, put());
  };
  const saveGlobal = (module: string, name: string): void => {
    const key = `${module}\n${name}`;
    const known = globalMemo.get(key);
    if (known !== undefined) return get(known);
    out.byte(OP.GLOBAL);
    out.raw(Buffer.from(`${module}\n${name}\n`, 'utf8'));
    globalMemo.set(key, put());
  };
  /** Memoizes `obj` after its REDUCE, or replaces a duplicate made while saving its arguments (pickle's save_reduce). */
  const memoizeReduced = (obj: object): void => {
    const known = objectMemo.get(obj);
    if (known !== undefined) {
      out.byte(OP.POP);
      get(known);
    } else objectMemo.set(obj, put());
  };
  const batchSetItems = (entries: [unknown, unknown][], keyLabel: (k: unknown) => string): void => {
    for (let i = 0; i < entries.length; i += BATCH_SIZE) {
      const batch = entries.slice(i, i + BATCH_SIZE);
      if (batch.length > 1) out.byte(OP.MARK);
      for (const [k, v] of batch) {
        save(k);
        path.push(keyLabel(k));
        save(v);
        path.pop();
      }
      out.byte(batch.length > 1 ? OP.SETITEMS : OP.SETITEM);
    }
  };
  const dictLabel = (k: unknown): string => `[${typeof k === 'string' ? JSON.stringify(k) : String(k)}]`;
  const emptyOrderedDict = (): void => {
    saveGlobal('collections', 'OrderedDict');
    out.byte(OP.EMPTY_TUPLE);
    out.byte(OP.REDUCE);
    put();
  };

  const saveTuple = (items: readonly unknown[], self: object | null): void => {
    if (items.length === 0) {
      out.byte(OP.EMPTY_TUPLE);
      return;
    }
    if (items.length <= 3) {
      items.forEach((item, i) => {
        path.push(`[${i}]`);
        save(item);
        path.pop();
      });
      const known = self ? objectMemo.get(self) : undefined;
      if (known !== undefined) {
        for (let i = 0; i < items.length; i++) out.byte(OP.POP);
        get(known);
        return;
      }
      out.byte([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length - 1]);
      const idx = put();
      if (self) objectMemo.set(self, idx);
      return;
    }
    out.byte(OP.MARK);
    items.forEach((item, i) => {
      path.push(`[${i}]`);
      save(item);
      path.pop();
    });
    const known = self ? objectMemo.get(self) : undefined;
    if (known !== undefined) {
      out.byte(OP.POP_MARK);
      get(known);
      return;
    }
    out.byte(OP.TUPLE);
    const idx = put();
    if (self) objectMemo.set(self, idx);
  };

  const saveTensorData = (t: Tensor, requiresGrad: boolean): void => {
    if (t.device.type === 'meta') {
      saveGlobal('torch._utils', '_rebuild_meta_tensor_no_storage');
      saveTuple([t.dtype, Object.freeze(t.shape), Object.freeze(t.stride()), requiresGrad], null);
      out.byte(OP.REDUCE);
      return;
    }
    const ref = hooks.storageOf(t);
    saveGlobal('torch._utils', '_rebuild_tensor_v2');
    out.byte(OP.MARK);
    // persistent id ('storage', storage_type, key, location, numel)
    out.byte(OP.MARK);
    saveString('storage', pidStringMemo);
    saveGlobal('torch', ref.storageType);
    saveString(ref.key, pidStringMemo);
    saveString(ref.location, pidStringMemo);
    saveInt(BigInt(ref.numel));
    out.byte(OP.TUPLE);
    put();
    out.byte(OP.BINPERSID);
    saveInt(BigInt(ref.offset));
    saveTuple(Object.freeze(t.shape), null);
    saveTuple(Object.freeze(t.stride()), null);
    out.byte(requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
    emptyOrderedDict(); // backward_hooks
    out.byte(OP.TUPLE);
    put();
    out.byte(OP.REDUCE);
  };

  const saveTensor = (t: Tensor): void => {
    if (t.isDisposed) throw new ValueError(`torch.save: a tensor${where()} has been disposed`);
    if (hooks.isParameter(t)) {
      saveGlobal('torch._utils', '_rebuild_parameter');
      saveTensorData(t, false); // param.data: a fresh tensor object in PyTorch, never memoized as the parameter
      put();
      out.byte(t.requires_grad ? OP.NEWTRUE : OP.NEWFALSE);
      emptyOrderedDict();
      out.byte(OP.TUPLE3);
      put();
      out.byte(OP.REDUCE);
    } else {
      saveTensorData(t, t.requires_grad);
    }
    memoizeReduced(t);
  };

  const save = (v: unknown, asOrderedDict = false): void => {
    if (v === null || v === undefined) return out.byte(OP.NONE);
    switch (typeof v) {
      case 'boolean':
        return out.byte(v ? OP.NEWTRUE : OP.NEWFALSE);
      case 'number':
        if (Number.isInteger(v) && !Object.is(v, -0)) return saveInt(BigInt(v));
        out.byte(OP.BINFLOAT);
        return out.f64be(v);
      case 'bigint':
        return saveInt(v);
      case 'string':
        return saveString(v, stringMemo);
      case 'object':
        break;
      default:
        throw new TorchTypeError(`torch.save: cannot save a ${typeof v}${where()} (Python's pickle has no equivalent)`);
    }
    const o = v as object;
    const known = objectMemo.get(o);
    if (known !== undefined) return get(known);
    if (++depth > MAX_DEPTH) throw new ValueError(`torch.save: the object is nested more than ${MAX_DEPTH} levels deep${where()}`);
    try {
      if (o instanceof Tensor) return saveTensor(o);
      if (o instanceof DType) return saveGlobal('torch', o.name);
      if (o instanceof Layout) {
        saveGlobal('torch.serialization', '_get_layout');
        saveString(o.toString(), stringMemo);
        out.byte(OP.TUPLE1);
        put();
        out.byte(OP.REDUCE);
        return memoizeReduced(o);
      }
      if (Array.isArray(o)) {
        if (Object.isFrozen(o)) return saveTuple(o, o);
        out.byte(OP.EMPTY_LIST);
        objectMemo.set(o, put());
        for (let i = 0; i < o.length; i += BATCH_SIZE) {
          const batch = o.slice(i, i + BATCH_SIZE);
          if (batch.length > 1) out.byte(OP.MARK);
          batch.forEach((item, j) => {
            path.push(`[${i + j}]`);
            save(item);
            path.pop();
          });
          out.byte(batch.length > 1 ? OP.APPENDS : OP.APPEND);
        }
        return;
      }
      if (o instanceof Map && (asOrderedDict || o instanceof OrderedDict || Object.prototype.hasOwnProperty.call(o, '_metadata'))) {
        saveGlobal('collections', 'OrderedDict');
        out.byte(OP.EMPTY_TUPLE);
        out.byte(OP.REDUCE);
        objectMemo.set(o, put());
        batchSetItems([...o.entries()], dictLabel);
        const metadata = (o as { _metadata?: unknown })._metadata;
        if (metadata !== undefined && metadata !== null) {
          // OrderedDict.__reduce__'s state: vars(od), a dict holding _metadata (itself an OrderedDict)
          out.byte(OP.EMPTY_DICT);
          put();
          saveString('_metadata', stringMemo);
          path.push('._metadata');
          save(metadata, metadata instanceof Map);
          path.pop();
          out.byte(OP.SETITEM);
          out.byte(OP.BUILD);
        }
        return;
      }
      if (o instanceof Map) {
        out.byte(OP.EMPTY_DICT);
        objectMemo.set(o, put());
        return batchSetItems([...o.entries()], dictLabel);
      }
      if (o instanceof Set) {
        out.byte(OP.EMPTY_SET);
        objectMemo.set(o, put());
        const items = [...o];
        for (let i = 0; i < items.length; i += BATCH_SIZE) {
          out.byte(OP.MARK);
          for (const item of items.slice(i, i + BATCH_SIZE)) save(item);
          out.byte(OP.ADDITEMS);
        }
        return;
      }
      if (o instanceof Uint8Array && !(o instanceof Uint8ClampedArray)) {
        if (o.length < 256) {
          out.byte(OP.SHORT_BINBYTES);
          out.byte(o.length);
        } else {
          out.byte(OP.BINBYTES);
          out.u32(o.length);
        }
        out.raw(o);
        objectMemo.set(o, put());
        return;
      }
      if (ArrayBuffer.isView(o)) throw new TorchTypeError(`torch.save: cannot save a ${describe(o)}${where()}: make it a tensor with torch.from_typed_array()`);
      if (isPlainObject(o)) {
        out.byte(OP.EMPTY_DICT);
        objectMemo.set(o, put());
        return batchSetItems(Object.entries(o), dictLabel);
      }
      throw new TorchTypeError(`torch.save: cannot save a ${describe(o)}${where()}: only tensors, numbers, strings, booleans, null, arrays, plain objects, Maps, Sets, OrderedDicts, dtypes and Uint8Arrays can be saved`);
    } finally {
      depth--;
    }
  };

  out.byte(OP.PROTO);
  out.byte(2);
  save(obj);
  out.byte(OP.STOP);
  return out.result();
}
