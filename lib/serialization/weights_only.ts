// What a checkpoint's pickle may name and call: the allowlist of PyTorch 1.13's
// torch/_weights_only_unpickler.py, and what each allowed name does (torch/_utils.py's
// _rebuild_* functions). Anything else is refused with an error that names it; nothing is
// ever looked up by name or executed.
import { DType, Layout, bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, sparse_coo, strided, uint8 } from '../dtype.js';
import { NotImplementedError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import { makeParameter } from './parameter.js';
import { PyDict, UnpicklingError, isTuple, makeTuple, typeName, type UnpicklerPolicy } from './pickle.js';

/** A storage class named in a checkpoint (torch.FloatStorage, ...): `dtype` null when torch-node has no such dtype. */
export class StorageType {
  constructor(readonly fullName: string, readonly dtype: DType | null, readonly why = '') {}
}

/** A storage read from the checkpoint: a 1-D tensor holding all of its elements. */
export class LoadedStorage {
  constructor(readonly dtype: DType, readonly numel: number, readonly tensor: Tensor | null) {}
}

type GlobalKind =
  | 'OrderedDict' | 'Parameter' | 'Size' | 'Tensor' | 'tensor_class' | 'get_layout'
  | '_rebuild_tensor' | '_rebuild_tensor_v2' | '_rebuild_parameter' | '_rebuild_sparse_tensor'
  | '_rebuild_sparse_csr_tensor' | '_rebuild_meta_tensor_no_storage';

/** An allowed global that is a function or class (what REDUCE / NEWOBJ may call). */
export class AllowedGlobal {
  constructor(readonly module: string, readonly name: string, readonly kind: GlobalKind) {}
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

const STORAGE_DTYPES: Record<string, DType | string> = {
  Float: float32, Double: float64, Half: float16, BFloat16: bfloat16, Long: int64, Int: int32, Short: int16,
  Char: int8, Byte: uint8, Bool: bool,
  ComplexFloat: 'complex dtypes are not supported by torch-node yet',
  ComplexDouble: 'complex dtypes are not supported by torch-node yet',
  QInt8: 'quantized tensors are not supported by torch-node',
  QUInt8: 'quantized tensors are not supported by torch-node',
  QInt32: 'quantized tensors are not supported by torch-node',
  QUInt4x2: 'quantized tensors are not supported by torch-node',
  QUInt2x4: 'quantized tensors are not supported by torch-node',
};
const TENSOR_CLASSES = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];
const SPARSE_TENSOR_CLASSES = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte'];

function buildAllowlist(): Map<string, unknown> {
  const allowed = new Map<string, unknown>();
  const fn = (module: string, name: string, kind: GlobalKind) => allowed.set(`${module}.${name}`, new AllowedGlobal(module, name, kind));
  fn('collections', 'OrderedDict', 'OrderedDict');
  fn('torch.nn.parameter', 'Parameter', 'Parameter');
  fn('torch.serialization', '_get_layout', 'get_layout');
  fn('torch', 'Size', 'Size');
  fn('torch', 'Tensor', 'Tensor');
  for (const name of ['_rebuild_parameter', '_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_sparse_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_sparse_csr_tensor'] as const) {
    fn('torch._utils', name, name);
  }
  // dtypes: PyTorch 1.13 lists the float, int and complex ones; bfloat16, uint8 and bool are
  // added here so that any dtype torch.save writes also loads (they are inert constants).
  for (const d of [float16, float32, float64, int8, int16, int32, int64, bfloat16, uint8, bool]) allowed.set(`torch.${d.name}`, d);
  for (const c of ['complex32', 'complex64', 'complex128']) allowed.set(`torch.${c}`, new StorageType(`torch.${c}`, null, 'complex dtypes are not supported by torch-node yet'));
  for (const [prefix, dtype] of Object.entries(STORAGE_DTYPES)) {
    for (const module of ['torch', 'torch.cuda']) {
      if (module === 'torch.cuda' && prefix.startsWith('Q')) continue;
      const full = `${module}.${prefix}Storage`;
      allowed.set(full, typeof dtype === 'string' ? new StorageType(full, null, dtype) : new StorageType(full, dtype));
    }
  }
  allowed.set('torch.storage.UntypedStorage', new StorageType('torch.storage.UntypedStorage', uint8));
  allowed.set('torch.storage.TypedStorage', new StorageType('torch.storage.TypedStorage', null, 'a TypedStorage without a dtype cannot be loaded'));
  for (const module of ['torch', 'torch.cuda']) for (const c of TENSOR_CLASSES) fn(module, `${c}Tensor`, 'tensor_class');
  for (const module of ['torch.sparse', 'torch.cuda.sparse']) for (const c of SPARSE_TENSOR_CLASSES) fn(module, `${c}Tensor`, 'tensor_class');
  return allowed;
}

let allowlist: Map<string, unknown> | undefined;

/** The names a checkpoint may use, as "module.name". */
export function allowedGlobals(): string[] {
  allowlist ??= buildAllowlist();
  return [...allowlist.keys()];
}

export interface StorageLoader {
  /**
   * The storage behind a persistent id ('storage', storage_type, key, location, numel[, view_metadata]),
   * loaded once per key.
   */
  (type: StorageType, key: string, location: string, numel: number, view: readonly unknown[] | null): LoadedStorage;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/**
 * The weights-only policy for the unpickler. `created` collects every tensor it makes so
 * that the caller can free them if loading fails half way.
 */
export class WeightsOnlyPolicy implements UnpicklerPolicy {
  /**
   * Args:
   *   loadStorage: reads the storage behind a persistent id.
   *   created: receives every tensor made, so the caller can free them if loading fails.
   *   label: names the file in error messages.
   *   scanOnly: a first pass over a legacy file, which only collects the storages it names
   *     (storages then have no tensor and nothing is built).
   */
  constructor(
    private readonly loadStorage: StorageLoader,
    readonly created: Tensor[],
    private readonly label: string,
    private readonly scanOnly = false,
  ) {}

  private fail(message: string): never {
    throw new UnpicklingError(`${this.label}: Weights only load failed: ${message}`);
  }

  findClass(module: string, name: string): unknown {
    allowlist ??= buildAllowlist();
    const full = `${module}.${name}`;
    if (!allowlist.has(full)) {
      this.fail(`unsupported global '${full}'. torch.load in torch-node only rebuilds tensors, storages, Parameters and plain containers (like Python's torch.load(weights_only=True)); other objects cannot be loaded`);
    }
    return allowlist.get(full);
  }

  persistentLoad(pid: unknown): unknown {
    if (!isTuple(pid) || pid.length < 1) this.fail(`persistent_load id must be a tuple, but got ${typeName(pid)}`);
    const id = pid as readonly unknown[];
    if (id[0] !== 'storage') this.fail(`only persistent_load of storage is allowed, but got ${String(id[0])}`);
    if (id.length !== 5 && id.length !== 6) this.fail(`a storage id has ${id.length} fields (5 expected)`);
    const [, type, key, location, numel] = id;
    const view = id.length === 6 ? id[5] : null;
    if (!(type instanceof StorageType)) this.fail(`a storage id names ${typeName(type)} instead of a storage type`);
    const storageType = type as StorageType;
    if (!storageType.dtype) throw new NotImplementedError(`${this.label}: cannot load ${storageType.fullName}: ${storageType.why}`);
    if (typeof key !== 'string' && !isInt(key)) this.fail(`a storage key must be a string, not ${typeName(key)}`);
    if (typeof location !== 'string') this.fail(`a storage location must be a string, not ${typeName(location)}`);
    if (!isInt(numel) || numel < 0) this.fail(`a storage size must be a non-negative integer, not ${String(numel)}`);
    if (view !== null && (!isTuple(view) || view.length !== 3)) this.fail('a storage view must be a (key, offset, size) tuple');
    return this.loadStorage(storageType, String(key), location as string, numel as number, view as readonly unknown[] | null);
  }

  reduce(callable: unknown, args: readonly unknown[]): unknown {
    if (!(callable instanceof AllowedGlobal)) {
      if (callable instanceof StorageType || callable instanceof DType) this.fail(`${callable instanceof DType ? callable.toString() : callable.fullName} cannot be called`);
      this.fail(`trying to call reduce for unrecognized function ${typeName(callable)}`);
    }
    const g = callable as AllowedGlobal;
    switch (g.kind) {
      case 'OrderedDict': {
        const dict = new PyDict(true);
        if (args.length === 1 && Array.isArray(args[0])) {
          for (const pair of args[0] as unknown[]) {
            if (!Array.isArray(pair) || pair.length !== 2) this.fail('OrderedDict() needs (key, value) pairs');
            dict.map.set((pair as unknown[])[0], (pair as unknown[])[1]);
          }
        } else if (args.length !== 0) this.fail(`OrderedDict() takes no arguments here, got ${args.length}`);
        return dict;
      }
      case '_rebuild_tensor_v2': {
        if (args.length < 6 || args.length > 7) this.fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
        if (typeof args[4] !== 'boolean') this.fail('_rebuild_tensor_v2: requires_grad must be a bool');
        return this.rebuildTensor(args[0], args[1], args[2], args[3], args[4] as boolean);
      }
      case '_rebuild_tensor':
        if (args.length !== 4) this.fail(`_rebuild_tensor takes 4 arguments, got ${args.length}`);
        return this.rebuildTensor(args[0], args[1], args[2], args[3], false);
      case '_rebuild_parameter':
        if (args.length !== 3) this.fail(`_rebuild_parameter takes 3 arguments, got ${args.length}`);
        return this.parameter(args[0], args[1]);
      case 'Parameter':
        return this.parameter(args[0], args.length > 1 ? args[1] : true);
      case '_rebuild_meta_tensor_no_storage': {
        if (args.length !== 4) this.fail(`_rebuild_meta_tensor_no_storage takes 4 arguments, got ${args.length}`);
        const [dtype, size, stride, requiresGrad] = args;
        if (!(dtype instanceof DType)) this.fail('_rebuild_meta_tensor_no_storage: dtype must be a torch dtype');
        const sizes = this.intTuple(size, 'size');
        const strides = this.intTuple(stride, 'stride');
        if (sizes.length !== strides.length) this.fail('_rebuild_meta_tensor_no_storage: size and stride differ in length');
        if (this.scanOnly) return null;
        const t = torch.empty_strided(sizes, strides, { dtype: dtype as DType, device: 'meta' });
        this.created.push(t);
        if (requiresGrad === true) t.requires_grad_(true);
        return t;
      }
      case 'Size': {
        if (args.length !== 1) this.fail(`torch.Size takes 1 argument, got ${args.length}`);
        return makeTuple(this.intTuple(args[0], 'torch.Size'));
      }
      case 'get_layout': {
        const layouts: Record<string, Layout> = { 'torch.strided': strided, 'torch.sparse_coo': sparse_coo };
        if (args.length !== 1 || typeof args[0] !== 'string') this.fail('_get_layout takes one string');
        const layout = layouts[args[0] as string];
        if (!layout) throw new NotImplementedError(`${this.label}: the layout ${String(args[0])} is not supported by torch-node`);
        return layout;
      }
      case '_rebuild_sparse_tensor':
      case '_rebuild_sparse_csr_tensor':
        throw new NotImplementedError(`${this.label}: the checkpoint holds a sparse tensor (${g}); sparse tensors are not supported by torch-node yet`);
      default:
        return this.fail(`${g} cannot be called while loading (torch-node rebuilds tensors only through torch._utils._rebuild_tensor_v2)`);
    }
  }

  newObject(cls: unknown, args: readonly unknown[]): unknown {
    if (!(cls instanceof AllowedGlobal) || cls.kind !== 'Parameter') this.fail(`trying to instantiate unsupported class ${typeName(cls)}`);
    return this.parameter(args[0], args.length > 1 ? args[1] : true);
  }

  build(instance: unknown, state: unknown): unknown {
    if (instance instanceof PyDict && instance.ordered) {
      if (state === null) return instance;
      if (!(state instanceof PyDict)) this.fail(`an OrderedDict's state must be a dict, not ${typeName(state)}`);
      const attributes = new Map<string, unknown>();
      for (const [k, v] of (state as PyDict).map) {
        if (typeof k !== 'string') this.fail('attribute names must be strings');
        attributes.set(k as string, v);
      }
      instance.attributes = attributes;
      return instance;
    }
    if (instance instanceof Tensor) {
      // A Parameter's __setstate__ state (extra attributes): nothing torch-node keeps.
      return instance;
    }
    return this.fail(`can only build Tensor, Parameter or OrderedDict objects, but got ${typeName(instance)}`);
  }

  private parameter(data: unknown, requiresGrad: unknown): Tensor | null {
    if (this.scanOnly && data === null) return null;
    if (!(data instanceof Tensor)) this.fail(`a Parameter's data must be a tensor, not ${typeName(data)}`);
    if (typeof requiresGrad !== 'boolean') this.fail('a Parameter\'s requires_grad must be a bool');
    const p = makeParameter(data as Tensor, requiresGrad as boolean);
    this.created.push(p);
    return p;
  }

  private intTuple(v: unknown, what: string): number[] {
    if (!Array.isArray(v)) this.fail(`${what} must be a tuple of ints, not ${typeName(v)}`);
    const items = v as unknown[];
    if (items.length > 64) this.fail(`${what} has ${items.length} dimensions (at most 64)`);
    for (const x of items) if (!isInt(x) || x < 0) this.fail(`${what} must hold non-negative integers, got ${String(x)}`);
    return items as number[];
  }

  /** torch._utils._rebuild_tensor: a tensor over `storage` with the given geometry, sharing its memory. */
  private rebuildTensor(storageValue: unknown, offsetValue: unknown, sizeValue: unknown, strideValue: unknown, requiresGrad: boolean): Tensor | null {
    if (!(storageValue instanceof LoadedStorage)) this.fail(`_rebuild_tensor_v2 needs a storage, got ${typeName(storageValue)}`);
    const storage = storageValue as LoadedStorage;
    if (!isInt(offsetValue) || offsetValue < 0) this.fail(`storage offset must be a non-negative integer, got ${String(offsetValue)}`);
    const offset = offsetValue as number;
    const size = this.intTuple(sizeValue, 'size');
    const stride = this.intTuple(strideValue, 'stride');
    if (size.length !== stride.length) this.fail(`size has ${size.length} dimensions but stride has ${stride.length}`);
    let numel = 1n;
    let lastIndex = BigInt(offset);
    for (let i = 0; i < size.length; i++) {
      numel *= BigInt(size[i]);
      if (size[i] > 0) lastIndex += BigInt(size[i] - 1) * BigInt(stride[i]);
    }
    if (numel > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a tensor of size [${size}] has more elements than torch-node can address`);
    if (numel > 0n && lastIndex >= BigInt(storage.numel)) {
      this.fail(`a tensor of size [${size}], stride [${stride}] and storage offset ${offset} needs ${lastIndex + 1n} elements but its storage has ${storage.numel}`);
    }
    if (this.scanOnly) return null;
    if (storage.tensor === null) this.fail('a storage has no data');
    const options = { dtype: storage.dtype, device: storage.tensor!.device };
    let t: Tensor;
    if (numel === 0n) {
      t = torch.empty_strided(size, stride, options);
      this.created.push(t);
    } else {
      t = torch.empty([0], options);
      this.created.push(t);
      // set_ takes an offset into the whole storage: a legacy storage view starts inside it
      t.set_(storage.tensor!, storage.tensor!.storage_offset() + offset, size, stride);
    }
    if (requiresGrad) t.requires_grad_(true);
    return t;
  }
}
