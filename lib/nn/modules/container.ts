// Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict (torch/nn/modules/container.py).
// Python's `seq[i]`, `seq[i] = m`, `del seq[i]`, `len(seq)` and `seq[a:b]` are get(i), set(i, m),
// delete(i), length and slice(a, b) here; negative indices count from the end as in Python.
import { isPlainObject } from '../../_args.js';
import { IndexError, TorchError, TorchTypeError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { Parameter } from '../parameter.js';
import { KeyError, Module } from './module.js';

type Attributes = Record<string, unknown>;

function isIterable(v: unknown): v is Iterable<unknown> {
  return v != null && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** Python's `idx` normalisation for a container of `size` items: an integer in [-size, size). */
function absoluteIndex(idx: number, size: number): number {
  if (!Number.isInteger(idx)) throw new TorchTypeError(`expected an integer index but received ${String(idx)}`);
  if (!(-size <= idx && idx < size)) throw new IndexError(`index ${idx} is out of range`);
  return idx < 0 ? idx + size : idx;
}

/** Python's `slice(start, stop).indices(size)` for step 1. */
function sliceBounds(size: number, start?: number, end?: number): [number, number] {
  const clamp = (v: number | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    if (!Number.isInteger(v)) throw new TorchTypeError(`slice indices must be integers but received ${String(v)}`);
    return v < 0 ? Math.max(0, v + size) : Math.min(v, size);
  };
  return [clamp(start, 0), clamp(end, size)];
}

/** Renumbers `_modules` as '0', '1', ... after a deletion (Python rebuilds the OrderedDict). */
function renumber(module: Module): void {
  const values = [...module._modules.values()];
  for (const key of [...module._modules.keys()]) delete (module as unknown as Attributes)[key];
  values.forEach((m, i) => module.add_module(String(i), m));
}

/**
 * A sequential container: forward() passes the input through each module in turn (Python: `nn.Sequential`).
 *
 * Build it from modules (`new nn.Sequential(a, b, c)`, named '0', '1', '2') or from an ordered
 * Map of name -> module (`new nn.Sequential(new Map([['conv1', c], ['relu1', r]]))`). A plain
 * object works too, but JS moves integer-like keys of objects first: use a Map when order matters.
 *
 * Example: `const model = new nn.Sequential(new nn.Linear(4, 8), new nn.Flatten()); model.get(-1)`
 */
export class Sequential extends Module {
  constructor(...args: Module[] | [Map<string, Module> | Record<string, Module>]) {
    super();
    if (args.length === 1 && (args[0] instanceof Map || isPlainObject(args[0]))) {
      const entries = args[0] instanceof Map ? [...args[0].entries()] : Object.entries(args[0]);
      for (const [key, module] of entries) this.add_module(key, module as Module);
    } else {
      (args as Module[]).forEach((module, idx) => this.add_module(String(idx), module));
    }
  }

  /** Number of modules (Python: `len(seq)`). */
  get length(): number {
    return this._modules.size;
  }

  /** The module at index idx, negative counting from the end (Python: `seq[idx]`). */
  get<T extends Module = Module>(idx: number): T {
    let i = absoluteIndex(idx, this.length);
    for (const module of this._modules.values()) if (i-- === 0) return module as T;
    throw new IndexError(`index ${idx} is out of range`);
  }

  /** Replaces the module at index idx (Python: `seq[idx] = module`). */
  set(idx: number, module: Module): void {
    const key = [...this._modules.keys()][absoluteIndex(idx, this.length)];
    (this as unknown as Attributes)[key] = module;
  }

  /** Removes the module at index idx and renumbers the rest '0', '1', ... (Python: `del seq[idx]`). */
  delete(idx: number): void {
    const key = [...this._modules.keys()][absoluteIndex(idx, this.length)];
    delete (this as unknown as Attributes)[key];
    renumber(this);
  }

  /** The modules start..end-1 in a new Sequential that keeps their names (Python: `seq[start:end]`). */
  slice(start?: number, end?: number): Sequential {
    const [from, to] = sliceBounds(this.length, start, end);
    const entries = [...this._modules.entries()].slice(from, to) as [string, Module][];
    return new (this.constructor as new (m: Map<string, Module>) => Sequential)(new Map(entries));
  }

  /** Removes and returns the module at index idx. */
  pop<T extends Module = Module>(idx: number): T {
    const v = this.get<T>(idx);
    this.delete(idx);
    return v;
  }

  /** Appends a module at the end. Returns this. */
  append(module: Module): this {
    this.add_module(String(this.length), module);
    return this;
  }

  /** Inserts a module before index (which may equal length, or be negative). Returns this. */
  insert(index: number, module: Module): this {
    if (!(module instanceof Module)) throw new TorchTypeError(`module should be of type: Module but received ${typeof module}`);
    const n = this._modules.size;
    if (!Number.isInteger(index) || !(-n <= index && index <= n)) throw new IndexError(`Index out of range: ${index}`);
    if (index < 0) index += n;
    const values = [...this._modules.values()];
    values.splice(index, 0, module);
    for (const key of [...this._modules.keys()]) delete (this as unknown as Attributes)[key];
    values.forEach((m, i) => this.add_module(String(i), m));
    return this;
  }

  /** Appends every module of an iterable (e.g. another Sequential). Returns this. */
  extend(sequential: Iterable<Module>): this {
    if (!isIterable(sequential)) throw argumentError('Sequential.extend', 'sequential', 'an iterable of modules', sequential);
    for (const layer of sequential) this.append(layer);
    return this;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    return (this._modules as Map<string, Module>).values();
  }

  /** Passes input through each module in turn and returns the last output. */
  override forward(input: any): any {
    for (const module of this._modules.values()) input = (module as Module).forward(input);
    return input;
  }
}

/**
 * A list of submodules, registered under '0', '1', ... (Python: `nn.ModuleList`). It has no forward().
 *
 * Example: `this.layers = new nn.ModuleList(Array.from({ length: 3 }, () => new nn.Linear(10, 10)));`
 */
export class ModuleList extends Module {
  constructor(modules?: Iterable<Module> | null) {
    super();
    if (modules != null) this.extend(modules);
  }

  /** Number of modules (Python: `len(list)`). */
  get length(): number {
    return this._modules.size;
  }

  /** The module at index idx, negative counting from the end (Python: `list[idx]`). */
  get<T extends Module = Module>(idx: number): T {
    return this._modules.get(String(absoluteIndex(idx, this.length))) as T;
  }

  /** Replaces the module at index idx (Python: `list[idx] = module`). */
  set(idx: number, module: Module): void {
    (this as unknown as Attributes)[String(absoluteIndex(idx, this.length))] = module;
  }

  /** Removes the module at index idx and renumbers the rest (Python: `del list[idx]`). */
  delete(idx: number): void {
    delete (this as unknown as Attributes)[String(absoluteIndex(idx, this.length))];
    renumber(this);
  }

  /** The modules start..end-1 in a new ModuleList (Python: `list[start:end]`). */
  slice(start?: number, end?: number): ModuleList {
    const [from, to] = sliceBounds(this.length, start, end);
    return new (this.constructor as new (m: Module[]) => ModuleList)(([...this._modules.values()] as Module[]).slice(from, to));
  }

  /** Removes and returns the module at index idx. */
  pop<T extends Module = Module>(idx: number): T {
    const v = this.get<T>(idx);
    this.delete(idx);
    return v;
  }

  /** Inserts a module before index. */
  insert(index: number, module: Module): void {
    if (!Number.isInteger(index)) throw argumentError('ModuleList.insert', 'index', 'an integer', index);
    const values = [...this._modules.values()];
    values.splice(index, 0, module);
    for (const key of [...this._modules.keys()]) delete (this as unknown as Attributes)[key];
    values.forEach((m, i) => this.add_module(String(i), m));
  }

  /** Appends a module at the end. Returns this. */
  append(module: Module): this {
    this.add_module(String(this.length), module);
    return this;
  }

  /** Appends every module of an iterable. Returns this. */
  extend(modules: Iterable<Module>): this {
    if (!isIterable(modules)) throw new TorchTypeError(`ModuleList.extend should be called with an iterable, but got ${typeof modules}`);
    const offset = this.length;
    let i = 0;
    for (const module of modules) this.add_module(String(offset + i++), module);
    return this;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    return (this._modules as Map<string, Module>).values();
  }
}

/**
 * An ordered dictionary of submodules (Python: `nn.ModuleDict`). Iterating yields its keys, as in Python.
 * Build it from a Map, a plain object or [key, module] pairs. It has no forward().
 *
 * Example: `this.choices = new nn.ModuleDict({ conv: new nn.Conv2d(10, 10, 3), pool: new nn.MaxPool2d(3) });`
 */
export class ModuleDict extends Module {
  constructor(modules?: Map<string, Module> | Record<string, Module> | Iterable<[string, Module]> | null) {
    super();
    if (modules != null) this.update(modules);
  }

  /** Number of entries (Python: `len(d)`). */
  get length(): number {
    return this._modules.size;
  }

  /** The module under key (Python: `d[key]`); throws KeyError when absent. */
  get<T extends Module = Module>(key: string): T {
    if (!this._modules.has(key)) throw new KeyError(`'${key}'`);
    return this._modules.get(key) as T;
  }

  /** Adds or replaces the module under key (Python: `d[key] = module`). */
  set(key: string, module: Module): void {
    this.add_module(key, module);
  }

  /** Removes key (Python: `del d[key]`). */
  delete(key: string): void {
    if (!this._modules.has(key)) throw new KeyError(`'${key}'`);
    delete (this as unknown as Attributes)[key];
  }

  /** Whether key is present (Python: `key in d`). */
  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** Removes every entry. */
  clear(): void {
    for (const key of [...this._modules.keys()]) delete (this as unknown as Attributes)[key];
  }

  /** Removes key and returns its module. */
  pop<T extends Module = Module>(key: string): T {
    const v = this.get<T>(key);
    this.delete(key);
    return v;
  }

  keys(): IterableIterator<string> {
    return this._modules.keys();
  }

  items(): IterableIterator<[string, Module]> {
    return (this._modules as Map<string, Module>).entries();
  }

  values(): IterableIterator<Module> {
    return (this._modules as Map<string, Module>).values();
  }

  /** Adds or replaces entries from a Map, a plain object, a ModuleDict or [key, module] pairs, in their order. */
  update(modules: Map<string, Module> | Record<string, Module> | ModuleDict | Iterable<[string, Module]>): void {
    if (modules instanceof ModuleDict) {
      for (const [key, module] of modules.items()) this.set(key, module);
    } else if (modules instanceof Map) {
      for (const [key, module] of modules) this.set(key, module);
    } else if (isPlainObject(modules)) {
      for (const [key, module] of Object.entries(modules)) this.set(key, module as Module);
    } else if (isIterable(modules)) {
      let j = 0;
      for (const m of modules as Iterable<unknown>) {
        if (!isIterable(m)) throw new TorchTypeError(`ModuleDict update sequence element #${j} should be Iterable; is${typeof m}`);
        const pair = [...m];
        if (pair.length !== 2) throw new ValueError(`ModuleDict update sequence element #${j} has length ${pair.length}; 2 is required`);
        this.set(pair[0] as string, pair[1] as Module);
        j++;
      }
    } else {
      throw new TorchTypeError(`ModuleDict.update should be called with an iterable of key/value pairs, but got ${typeof modules}`);
    }
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this._modules.keys();
  }
}

function describeEntry(p: unknown, typeName: (t: Tensor) => string): string {
  if (p instanceof Tensor) {
    const size_str = p.shape.join('x');
    const device_str = p.is_cuda ? ` (GPU ${p.device.index ?? 0})` : '';
    return `${p instanceof Parameter ? 'Parameter' : 'Tensor'} containing: [${typeName(p)} of size ${size_str}${device_str}]`;
  }
  return `Object of type: ${(p as object)?.constructor?.name ?? typeof p}`;
}

/**
 * A list of parameters registered under '0', '1', ... (Python: `nn.ParameterList`). Tensors
 * that are not Parameters are wrapped in one when added.
 *
 * Example: `this.params = new nn.ParameterList([torch.randn(10, 10), torch.randn(10, 10)]);`
 */
export class ParameterList extends Module {
  declare _size: number;

  constructor(values?: Iterable<Tensor | unknown> | null) {
    super();
    this._size = 0;
    if (values != null) this.extend(values);
  }

  /** Number of entries (Python: `len(list)`). */
  get length(): number {
    return this._size;
  }

  /** The entry at index idx, negative counting from the end (Python: `list[idx]`). */
  get<T = Parameter>(idx: number): T {
    return (this as unknown as Attributes)[String(absoluteIndex(idx, this._size))] as T;
  }

  /** Sets the entry at index idx; a Tensor is wrapped in a Parameter (Python: `list[idx] = value`). */
  set(idx: number, param: unknown): void {
    const key = String(absoluteIndex(idx, this._size));
    if (param instanceof Tensor && !(param instanceof Parameter)) param = new Parameter(param);
    (this as unknown as Attributes)[key] = param;
  }

  /** The entries start..end-1 in a new ParameterList (Python: `list[start:end]`). */
  slice(start?: number, end?: number): ParameterList {
    const [from, to] = sliceBounds(this._size, start, end);
    const out = new (this.constructor as new () => ParameterList)();
    for (let i = from; i < to; i++) out.append(this.get(i));
    return out;
  }

  /** Appends a value at the end. Returns this. */
  append(value: unknown): this {
    const new_idx = this._size;
    this._size += 1;
    this.set(new_idx, value);
    return this;
  }

  /** Appends every value of an iterable (not a Tensor). Returns this. */
  extend(values: Iterable<unknown>): this {
    if (!isIterable(values) || values instanceof Tensor) throw new TorchTypeError(`ParameterList.extend should be called with an iterable, but got ${values instanceof Tensor ? 'Tensor' : typeof values}`);
    for (const value of values) this.append(value);
    return this;
  }

  *[Symbol.iterator](): IterableIterator<Parameter> {
    for (let i = 0; i < this._size; i++) yield this.get(i);
  }

  override extra_repr(): string {
    const lines: string[] = [];
    for (let k = 0; k < this._size; k++) lines.push(`  (${k}): ${describeEntry(this.get<unknown>(k), (p) => String(p.dtype))}`);
    return lines.join('\n');
  }

  /** ParameterList is not callable. */
  override forward(): never {
    throw new TorchError('ParameterList should not be called.');
  }
}

/**
 * An ordered dictionary of parameters (Python: `nn.ParameterDict`). Tensors that are not
 * Parameters are wrapped in one when added. Iterating yields its keys, as in Python.
 * Built from a plain object, keys are added in sorted order (as Python does for a dict); a
 * Map, a ParameterDict or [key, value] pairs keep their order.
 */
export class ParameterDict extends Module {
  declare _keys: Map<string, null>;

  constructor(parameters?: Map<string, unknown> | Record<string, unknown> | ParameterDict | Iterable<[string, unknown]> | null) {
    super();
    this._keys = new Map();
    if (parameters != null) this.update(parameters);
  }

  /** Number of entries (Python: `len(d)`). */
  get length(): number {
    return this._keys.size;
  }

  /** The value under key, or `default_` when absent (Python: `d.get(key, default)`; `d[key]` is get(key) on a present key). */
  get<T = Parameter>(key: string, default_?: T): T {
    if (typeof key !== 'string') throw new TorchTypeError(`Index given to ParameterDict cannot be used as a key as it is not a string (type is '${typeof key}').`);
    if (!this._keys.has(key)) return default_ as T;
    return (this as unknown as Attributes)[key] as T;
  }

  /** Adds or replaces the value under key; a Tensor is wrapped in a Parameter (Python: `d[key] = value`). */
  set(key: string, value: unknown): void {
    if (typeof key !== 'string') throw new TorchTypeError(`Index given to ParameterDict cannot be used as a key as it is not a string (type is '${typeof key}').`);
    this._keys.set(key, null);
    if (value instanceof Tensor && !(value instanceof Parameter)) value = new Parameter(value);
    (this as unknown as Attributes)[key] = value;
  }

  /** Removes key (Python: `del d[key]`). */
  delete(key: string): void {
    if (!this._keys.has(key)) throw new KeyError(`'${key}'`);
    this._keys.delete(key);
    delete (this as unknown as Attributes)[key];
  }

  /** Whether key is present (Python: `key in d`). */
  has(key: string): boolean {
    return this._keys.has(key);
  }

  /** A new ParameterDict holding the same values. */
  copy(): ParameterDict {
    return new ParameterDict(new Map([...this._keys.keys()].map((k) => [k, this.get<unknown>(k)])));
  }

  /** Returns the value under key, first setting it to `default_` when absent. */
  setdefault<T = Parameter>(key: string, default_: unknown = null): T {
    if (!this.has(key)) this.set(key, default_);
    return this.get<T>(key);
  }

  /** Removes every entry. */
  clear(): void {
    for (const k of [...this._keys.keys()]) this.delete(k);
  }

  /** Removes key and returns its value. */
  pop<T = Parameter>(key: string): T {
    if (!this._keys.has(key)) throw new KeyError(`'${key}'`);
    const v = this.get<T>(key);
    this.delete(key);
    return v;
  }

  /** Removes and returns the last inserted [key, value] pair. */
  popitem(): [string, unknown] {
    const keys = [...this._keys.keys()];
    if (keys.length === 0) throw new KeyError("'popitem(): dictionary is empty'");
    const k = keys[keys.length - 1];
    return [k, this.pop<unknown>(k)];
  }

  /** A new ParameterDict with the given keys, each set to default_. */
  fromkeys(keys: Iterable<string>, default_: unknown = null): ParameterDict {
    return new ParameterDict([...keys].map((k) => [k, default_] as [string, unknown]));
  }

  keys(): IterableIterator<string> {
    return this._keys.keys();
  }

  *items(): IterableIterator<[string, unknown]> {
    for (const k of this._keys.keys()) yield [k, this.get<unknown>(k)];
  }

  *values(): IterableIterator<unknown> {
    for (const k of this._keys.keys()) yield this.get<unknown>(k);
  }

  /** Adds or replaces entries; a plain object's keys are added sorted (as Python does for a dict), other sources keep their order. */
  update(parameters: Map<string, unknown> | Record<string, unknown> | ParameterDict | Iterable<[string, unknown]>): void {
    if (parameters instanceof ParameterDict) {
      for (const [key, value] of [...parameters.items()]) this.set(key, value);
    } else if (parameters instanceof Map) {
      for (const [key, value] of parameters) this.set(key, value);
    } else if (isPlainObject(parameters)) {
      for (const key of Object.keys(parameters).sort()) this.set(key, parameters[key]);
    } else if (isIterable(parameters)) {
      let j = 0;
      for (const p of parameters as Iterable<unknown>) {
        if (!isIterable(p)) throw new TorchTypeError(`ParameterDict update sequence element #${j} should be Iterable; is${typeof p}`);
        const pair = [...p];
        if (pair.length !== 2) throw new ValueError(`ParameterDict update sequence element #${j} has length ${pair.length}; 2 is required`);
        this.set(pair[0] as string, pair[1]);
        j++;
      }
    } else {
      throw new TorchTypeError(`ParametersDict.update should be called with an iterable of key/value pairs, but got ${typeof parameters}`);
    }
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this._keys.keys();
  }

  override extra_repr(): string {
    const lines: string[] = [];
    for (const [k, p] of this.items()) lines.push(`  (${k}): ${describeEntry(p, (t) => t.type() as string)}`);
    return lines.join('\n');
  }

  /** ParameterDict is not callable. */
  override forward(): never {
    throw new TorchError('ParameterDict should not be called.');
  }
}
