// torch.nn.Module: the base class of every layer and model.
//
// Registration works like Python's Module.__setattr__: the constructor returns a Proxy whose
// `set` and `defineProperty` traps see every `this.name = value` (constructor assignments and
// class field initialisers alike) and file Parameters, Modules and buffers into the ordered
// maps `_parameters`, `_modules` and `_buffers`, which give names and order to
// named_parameters(), state_dict() and toString(). Registered values are also mirrored as plain
// data properties of the target, so reading `this.fc1` or `this.weight` (the hot path of
// forward) goes through no trap at all.
import { isPlainObject } from '../../_args.js';
import { inspect } from 'node:util';
import { no_grad } from '../../autograd/grad_mode.js';
import { Device, type DeviceLike } from '../../device.js';
import { DType, MemoryFormat, bfloat16, float16, float32, float64 } from '../../dtype.js';
import { NotImplementedError, TorchError, TorchTypeError, ValueError, argumentError } from '../../errors.js';
import { keep } from '../../memory.js';
import { Tensor, parseToArgs } from '../../tensor.js';
import { torch } from '../../torch.js';
import { Parameter } from '../parameter.js';

/** Python's KeyError (a bad or missing key or attribute name). */
export class KeyError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
  // TorchError's brand check would make every TorchError an instance of this subclass.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** Python's AttributeError (no such attribute, or not of the expected kind). */
export class AttributeError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'AttributeError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/**
 * An ordered state dict: parameter and persistent buffer names (`'features.0.weight'`) to
 * tensors, in PyTorch's order. A Map, because a plain object would move integer-like keys
 * first. `_metadata` holds each module's `{ version }` as Python's OrderedDict does.
 */
export type StateDict = Map<string, Tensor> & { _metadata?: Map<string, Record<string, unknown>> };

/** What load_state_dict returns (Python's `_IncompatibleKeys` named tuple). */
export interface IncompatibleKeys {
  missing_keys: string[];
  unexpected_keys: string[];
}

/** Options of Module.to(), as Tensor.to() takes them. */
export interface ModuleToOptions {
  device?: DeviceLike;
  dtype?: DType;
  non_blocking?: boolean;
  memory_format?: MemoryFormat;
}

const RAW = Symbol('torch-node.Module.target');
const PROXY = Symbol('torch-node.Module.proxy');
const EXTRA_STATE_KEY_SUFFIX = '_extra_state';

type Attributes = Record<string | symbol, unknown>;

function rawOf(m: Module): Module & Attributes {
  return (m as unknown as Attributes)[RAW] as Module & Attributes;
}

/** Python's torch.typename, for messages. */
function typename(v: unknown): string {
  if (v instanceof Tensor) return v.type() as string;
  if (v === null) return 'NoneType';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** `hasattr(self, name)`: an attribute that exists, where a declared-but-unset class field (value undefined) does not count. */
function hasAttr(raw: Attributes, name: string): boolean {
  return Object.hasOwn(raw, name) ? raw[name] !== undefined : name in raw;
}

/** The registered value readable as `module.name`, without going through the proxy. */
function mirror(raw: Attributes, name: string, value: unknown): void {
  Object.defineProperty(raw, name, { value, writable: true, enumerable: true, configurable: true });
}

function isRegistered(raw: Module, name: string): boolean {
  return raw._parameters.has(name) || raw._modules.has(name) || raw._buffers.has(name);
}

/** Python's `remove_from(self.__dict__, ...)`: forget `name` as a plain attribute and in the given maps. */
function removeFrom(raw: Module & Attributes, name: string, maps: (Map<string, unknown> | Set<string>)[]): void {
  if (Object.hasOwn(raw, name)) delete raw[name];
  for (const m of maps) m.delete(name);
}

/** Python's Module.__setattr__. */
function setAttribute(raw: Module & Attributes, self: Module, name: string, value: unknown): boolean {
  if (value instanceof Parameter) {
    removeFrom(raw, name, [raw._buffers, raw._modules, raw._non_persistent_buffers_set]);
    self.register_parameter(name, value);
  } else if (raw._parameters.has(name)) {
    if (value !== null) throw new TorchTypeError(`cannot assign '${typename(value)}' as parameter '${name}' (torch.nn.Parameter or None expected)`);
    self.register_parameter(name, null);
  } else if (value instanceof Module) {
    removeFrom(raw, name, [raw._parameters, raw._buffers, raw._non_persistent_buffers_set]);
    raw._modules.set(name, value);
    mirror(raw, name, value);
  } else if (raw._modules.has(name)) {
    if (value !== null) throw new TorchTypeError(`cannot assign '${typename(value)}' as child module '${name}' (torch.nn.Module or None expected)`);
    raw._modules.set(name, null);
    mirror(raw, name, null);
  } else if (raw._buffers.has(name)) {
    if (value !== null && !(value instanceof Tensor)) throw new TorchTypeError(`cannot assign '${typename(value)}' as buffer '${name}' (torch.Tensor or None expected)`);
    if (value !== null) keep(value);
    raw._buffers.set(name, value);
    mirror(raw, name, value);
  } else if (Object.hasOwn(raw, name)) {
    raw[name] = value;
  } else {
    // A new plain attribute, or an accessor on the prototype: run setters with `this` = the proxy.
    return Reflect.set(raw, name, value, self);
  }
  return true;
}

const HANDLER: ProxyHandler<Module & Attributes> = {
  set(raw, key, value, receiver) {
    if (typeof key === 'symbol') return Reflect.set(raw, key, value, receiver);
    return setAttribute(raw, receiver as Module, key, value);
  },
  defineProperty(raw, key, descriptor) {
    if (typeof key === 'string' && 'value' in descriptor) {
      const value: unknown = descriptor.value;
      // A class field declared without initialiser (`weight!: Parameter`) defines undefined
      // after the parent constructor ran: it must not wipe what the parent registered.
      if (value === undefined && isRegistered(raw, key)) return true;
      if (value instanceof Parameter || value instanceof Module || isRegistered(raw, key)) {
        return setAttribute(raw, raw[PROXY] as Module, key, value);
      }
    }
    return Reflect.defineProperty(raw, key, descriptor);
  },
  deleteProperty(raw, key) {
    if (typeof key === 'string') {
      if (raw._parameters.delete(key) || raw._modules.delete(key)) return Reflect.deleteProperty(raw, key);
      if (raw._buffers.delete(key)) {
        raw._non_persistent_buffers_set.delete(key);
        return Reflect.deleteProperty(raw, key);
      }
    }
    return Reflect.deleteProperty(raw, key);
  },
};

/** Python's `_addindent`: indents every line but the first. */
function addIndent(s: string, numSpaces: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const first = lines.shift()!;
  return first + '\n' + lines.map((line) => ' '.repeat(numSpaces) + line).join('\n');
}

function sizeString(shape: number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}

/** Replaces what `t` holds by `applied`, keeping the same JS object (Python's `t.data = applied`). */
function assignData(t: Tensor, applied: Tensor): void {
  if (applied === t) return;
  t.set_data(applied);
  applied.dispose();
}

/**
 * Base class for all neural network modules (Python: `torch.nn.Module`).
 *
 * Subclass it and assign submodules, `nn.Parameter`s and buffers to fields; they register
 * under the field's name in declaration order, so parameter names and state_dict keys are
 * exactly Python's. Call a module with `module.forward(x)`.
 *
 * Example:
 * ```ts
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(4, 8);          // class fields register too
 *   declare fc2: nn.Linear;
 *   constructor() {
 *     super();
 *     this.fc2 = new nn.Linear(8, 2);
 *     this.register_buffer('scale', torch.ones(2));
 *   }
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu()).mul(this.scale as Tensor);
 *   }
 * }
 * ```
 */
export class Module {
  /** Whether the module is in training mode; set by train() and eval(). */
  declare training: boolean;
  /** @internal Parameters registered on this module (not its children), in registration order. */
  declare _parameters: Map<string, Parameter | null>;
  /** @internal Buffers registered on this module, in registration order. */
  declare _buffers: Map<string, Tensor | null>;
  /** @internal Names of buffers left out of state_dict(). */
  declare _non_persistent_buffers_set: Set<string>;
  /** @internal Child modules, in registration order. */
  declare _modules: Map<string, Module | null>;

  /** Version number saved in state_dict metadata; subclasses bump it when their state_dict layout changes. */
  static _version = 1;

  constructor() {
    const raw = this as unknown as Module & Attributes;
    raw.training = true;
    const hidden = (name: string | symbol, value: unknown) => Object.defineProperty(raw, name, { value, writable: true, enumerable: false, configurable: true });
    hidden('_parameters', new Map());
    hidden('_buffers', new Map());
    hidden('_non_persistent_buffers_set', new Set());
    hidden('_modules', new Map());
    hidden(RAW, raw);
    const proxy = new Proxy(raw, HANDLER);
    hidden(PROXY, proxy);
    return proxy;
  }

  /**
   * The computation of this module. Subclasses override it with their own signature,
   * e.g. `forward(input: Tensor): Tensor`. torch-node modules are not callable: where Python
   * writes `self.fc(x)`, write `this.fc.forward(x)`.
   */
  forward(..._inputs: any[]): any {
    throw new NotImplementedError(`Module [${this.constructor.name}] is missing the required "forward" function`);
  }

  // ---- registration -----------------------------------------------------------------
  /**
   * Adds a buffer: module state that is not a parameter (e.g. BatchNorm's running_mean).
   * Persistent buffers are part of state_dict(). The buffer is readable as `module[name]`;
   * assigning a Tensor (or null) to that name later replaces it. Buffers are kept out of
   * `torch.tidy` scopes.
   *
   * Args:
   *   name: the buffer's name.
   *   tensor: the buffer, or null (then ignored by to()/state_dict()).
   *   persistent: whether it is part of state_dict() (default true); a boolean or `{ persistent }`.
   */
  register_buffer(name: string, tensor: Tensor | null, persistent: boolean | { persistent?: boolean } = true): void {
    const isPersistent = typeof persistent === 'object' && persistent !== null ? persistent.persistent ?? true : persistent;
    if (typeof isPersistent !== 'boolean') throw argumentError('Module.register_buffer', 'persistent', 'a boolean', persistent);
    const raw = rawOf(this);
    if (typeof name !== 'string') throw new TorchTypeError(`buffer name should be a string. Got ${typename(name)}`);
    if (name.includes('.')) throw new KeyError(`buffer name can't contain "."`);
    if (name === '') throw new KeyError(`buffer name can't be empty string ""`);
    if (hasAttr(raw, name) && !raw._buffers.has(name)) throw new KeyError(`attribute '${name}' already exists`);
    if (tensor != null && !(tensor instanceof Tensor)) throw new TorchTypeError(`cannot assign '${typename(tensor)}' object to buffer '${name}' (torch Tensor or None required)`);
    if (tensor != null) keep(tensor);
    raw._buffers.set(name, tensor ?? null);
    if (isPersistent) raw._non_persistent_buffers_set.delete(name);
    else raw._non_persistent_buffers_set.add(name);
    mirror(raw, name, tensor ?? null);
  }

  /**
   * Adds a parameter, readable as `module[name]`. Assigning a Parameter to a field does the
   * same; use this for a `null` slot (e.g. `this.register_parameter('bias', null)`).
   */
  register_parameter(name: string, param: Parameter | null): void {
    const raw = rawOf(this);
    if (typeof name !== 'string') throw new TorchTypeError(`parameter name should be a string. Got ${typename(name)}`);
    if (name.includes('.')) throw new KeyError(`parameter name can't contain "."`);
    if (name === '') throw new KeyError(`parameter name can't be empty string ""`);
    if (hasAttr(raw, name) && !raw._parameters.has(name)) throw new KeyError(`attribute '${name}' already exists`);
    if (param == null) {
      raw._parameters.set(name, null);
    } else if (!(param instanceof Parameter)) {
      throw new TorchTypeError(`cannot assign '${typename(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`);
    } else if (param.grad_fn) {
      throw new ValueError(
        `Cannot assign non-leaf Tensor to parameter '${name}'. Model parameters must be created explicitly. ` +
          `To express '${name}' as a function of another Tensor, compute the value in the forward() method.`,
      );
    } else {
      raw._parameters.set(name, param);
    }
    mirror(raw, name, param ?? null);
  }

  /** Adds a child module, readable as `module[name]` (Python: `add_module(name, module)`). */
  add_module(name: string, module: Module | null): void {
    const raw = rawOf(this);
    if (module != null && !(module instanceof Module)) throw new TorchTypeError(`${typename(module)} is not a Module subclass`);
    if (typeof name !== 'string') throw new TorchTypeError(`module name should be a string. Got ${typename(name)}`);
    if (hasAttr(raw, name) && !raw._modules.has(name)) throw new KeyError(`attribute '${name}' already exists`);
    if (name.includes('.')) throw new KeyError(`module name can't contain ".", got: ${name}`);
    if (name === '') throw new KeyError(`module name can't be empty string ""`);
    raw._modules.set(name, module ?? null);
    mirror(raw, name, module ?? null);
  }

  /** Alias for add_module(). */
  register_module(name: string, module: Module | null): void {
    this.add_module(name, module);
  }

  /** The submodule at a dotted path such as `'features.0'` ('' is this module). Throws AttributeError when there is none. */
  get_submodule(target: string): Module {
    if (typeof target !== 'string') throw argumentError('Module.get_submodule', 'target', 'a string', target);
    if (target === '') return this;
    let mod: Module = this;
    for (const item of target.split('.')) {
      const raw = rawOf(mod);
      if (!hasAttr(raw, item)) throw new AttributeError(`${mod._get_name()} has no attribute \`${item}\``);
      const next = raw[item];
      if (!(next instanceof Module)) throw new AttributeError(`\`${item}\` is not an nn.Module`);
      mod = next;
    }
    return mod;
  }

  /** The parameter at a dotted path such as `'features.0.weight'`. Throws AttributeError when there is none. */
  get_parameter(target: string): Parameter {
    if (typeof target !== 'string') throw argumentError('Module.get_parameter', 'target', 'a string', target);
    const dot = target.lastIndexOf('.');
    const mod = this.get_submodule(dot < 0 ? '' : target.slice(0, dot));
    const name = target.slice(dot + 1);
    const raw = rawOf(mod);
    if (!hasAttr(raw, name)) throw new AttributeError(`${mod._get_name()} has no attribute \`${name}\``);
    const param = raw[name];
    if (!(param instanceof Parameter)) throw new AttributeError(`\`${name}\` is not an nn.Parameter`);
    return param;
  }

  /** The buffer at a dotted path such as `'bn.running_mean'`. Throws AttributeError when there is none. */
  get_buffer(target: string): Tensor {
    if (typeof target !== 'string') throw argumentError('Module.get_buffer', 'target', 'a string', target);
    const dot = target.lastIndexOf('.');
    const mod = this.get_submodule(dot < 0 ? '' : target.slice(0, dot));
    const name = target.slice(dot + 1);
    const raw = rawOf(mod);
    if (!hasAttr(raw, name)) throw new AttributeError(`${mod._get_name()} has no attribute \`${name}\``);
    if (!raw._buffers.has(name)) throw new AttributeError(`\`${name}\` is not a buffer`);
    return raw[name] as Tensor;
  }

  /** Override (with set_extra_state) to store non-tensor state under `<prefix>_extra_state` in state_dict(). */
  get_extra_state(): unknown {
    throw new TorchError('Reached a code path in Module.get_extra_state() that should never be called.');
  }

  /** Receives what get_extra_state() saved, from load_state_dict(). */
  set_extra_state(_state: unknown): void {
    throw new TorchError('Reached a code path in Module.set_extra_state() that should never be called.');
  }

  // ---- iteration --------------------------------------------------------------------
  /** @internal Names and members of this module (and its descendants when recurse), each member once. */
  *_named_members<T>(getMembers: (m: Module) => Iterable<[string, T | null]>, prefix = '', recurse = true): Generator<[string, T]> {
    const memo = new Set<T>();
    const modules: Iterable<[string, Module]> = recurse ? this.named_modules(undefined, prefix) : [[prefix, this]];
    for (const [modulePrefix, module] of modules) {
      for (const [k, v] of getMembers(module)) {
        if (v == null || memo.has(v)) continue;
        memo.add(v);
        yield [modulePrefix + (modulePrefix ? '.' : '') + k, v];
      }
    }
  }

  /**
   * The parameters of this module and (with recurse) its descendants, each once. This is what
   * an optimizer takes: `new optim.SGD(model.parameters(), { lr: 0.1 })`.
   * Returns an iterator, like Python; spread it (`[...m.parameters()]`) for an array.
   */
  *parameters(recurse: boolean | { recurse?: boolean } = true): Generator<Parameter> {
    for (const [, p] of this.named_parameters({ recurse: typeof recurse === 'object' ? recurse.recurse ?? true : recurse })) yield p;
  }

  /** [name, parameter] pairs with dotted names (`'features.0.weight'`), in registration order. Args: prefix (default ''), recurse (default true), positional or `{ prefix, recurse }`. */
  named_parameters(prefix: string | { prefix?: string; recurse?: boolean } = '', recurse = true): Generator<[string, Parameter]> {
    if (typeof prefix === 'object' && prefix !== null) ({ prefix = '', recurse = true } = prefix);
    if (typeof prefix !== 'string') throw argumentError('Module.named_parameters', 'prefix', 'a string', prefix);
    return this._named_members((m) => m._parameters, prefix, recurse);
  }

  /** The buffers of this module and (with recurse) its descendants, each once. */
  *buffers(recurse: boolean | { recurse?: boolean } = true): Generator<Tensor> {
    for (const [, b] of this.named_buffers({ recurse: typeof recurse === 'object' ? recurse.recurse ?? true : recurse })) yield b;
  }

  /** [name, buffer] pairs with dotted names. Args: prefix (default ''), recurse (default true), positional or `{ prefix, recurse }`. */
  named_buffers(prefix: string | { prefix?: string; recurse?: boolean } = '', recurse = true): Generator<[string, Tensor]> {
    if (typeof prefix === 'object' && prefix !== null) ({ prefix = '', recurse = true } = prefix);
    if (typeof prefix !== 'string') throw argumentError('Module.named_buffers', 'prefix', 'a string', prefix);
    return this._named_members((m) => m._buffers, prefix, recurse);
  }

  /** The immediate child modules, each once. */
  *children(): Generator<Module> {
    for (const [, m] of this.named_children()) yield m;
  }

  /** [name, child] pairs of the immediate children, each child once. */
  *named_children(): Generator<[string, Module]> {
    const memo = new Set<Module>();
    for (const [name, module] of this._modules) {
      if (module !== null && !memo.has(module)) {
        memo.add(module);
        yield [name, module];
      }
    }
  }

  /** This module and all its descendants, each once, depth first. */
  *modules(): Generator<Module> {
    for (const [, m] of this.named_modules()) yield m;
  }

  /**
   * [name, module] pairs of this module ('' or prefix) and all descendants, depth first.
   * Args (positional or `{ memo, prefix, remove_duplicate }`): memo, a Set of modules to skip;
   * prefix (default ''); remove_duplicate (default true).
   */
  *named_modules(
    memo?: Set<Module> | { memo?: Set<Module>; prefix?: string; remove_duplicate?: boolean },
    prefix = '',
    remove_duplicate = true,
  ): Generator<[string, Module]> {
    let seen: Set<Module> | undefined;
    if (memo instanceof Set || memo === undefined) seen = memo;
    else ({ memo: seen, prefix = '', remove_duplicate = true } = memo);
    seen ??= new Set();
    if (seen.has(this)) return;
    if (remove_duplicate) seen.add(this);
    yield [prefix, this];
    for (const [name, module] of this._modules) {
      if (module === null) continue;
      yield* module.named_modules(seen, prefix + (prefix ? '.' : '') + name, remove_duplicate);
    }
  }

  // ---- modes and gradients ----------------------------------------------------------
  /** Sets training mode (true) or evaluation mode (false) on this module and its descendants. Returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError('training mode is expected to be boolean');
    this.training = mode;
    for (const module of this.children()) module.train(mode);
    return this;
  }

  /** Sets evaluation mode: `train(false)`. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Sets requires_grad on every parameter (e.g. `requires_grad_(false)` to freeze). Returns this. */
  requires_grad_(requires_grad = true): this {
    if (typeof requires_grad !== 'boolean') throw argumentError('Module.requires_grad_', 'requires_grad', 'a boolean', requires_grad);
    for (const p of this.parameters()) p.requires_grad_(requires_grad);
    return this;
  }

  /**
   * Resets the gradients of all parameters: to null (set_to_none, the default, as in
   * PyTorch 2.x), or to zeros. Args: set_to_none, a boolean or `{ set_to_none }`.
   */
  zero_grad(set_to_none: boolean | { set_to_none?: boolean } = true): void {
    const toNone = typeof set_to_none === 'object' && set_to_none !== null ? set_to_none.set_to_none ?? true : set_to_none;
    if (typeof toNone !== 'boolean') throw argumentError('Module.zero_grad', 'set_to_none', 'a boolean', set_to_none);
    for (const p of this.parameters()) {
      const grad = p.grad;
      if (grad === null) continue;
      if (toNone) {
        p.grad = null;
      } else {
        if (grad.grad_fn !== null) grad.detach_();
        else grad.requires_grad_(false);
        grad.zero_();
      }
      grad.dispose();
    }
  }

  /** Calls fn on every descendant (children first) and then on this module. Returns this. */
  apply(fn: (module: Module) => void): this {
    if (typeof fn !== 'function') throw argumentError('Module.apply', 'fn', 'a function', fn);
    for (const module of this.children()) module.apply(fn);
    fn(this);
    return this;
  }

  // ---- device and dtype -------------------------------------------------------------
  /**
   * @internal Applies fn to every parameter, gradient and buffer, recursively. The results
   * replace the tensors' contents in place (Python's `param.data = fn(param)`), so the same
   * Parameter and buffer objects stay registered and optimizers holding them see the change.
   */
  _apply(fn: (t: Tensor) => Tensor): this {
    for (const module of this.children()) module._apply(fn);
    const raw = rawOf(this);
    for (const [key, param] of raw._parameters) {
      if (param === null) continue;
      const applied = no_grad(() => fn(param));
      if (applied !== param && !torch._has_compatible_shallow_copy_type(param, applied)) {
        this.register_parameter(key, new Parameter(applied, param.requires_grad));
        applied.dispose();
      } else {
        assignData(param, applied);
      }
      const grad = param.grad;
      if (grad !== null) {
        assignData(grad, no_grad(() => fn(grad)));
        grad.dispose();
      }
    }
    for (const [key, buf] of raw._buffers) {
      if (buf === null) continue;
      const applied = fn(buf);
      if (applied !== buf && !torch._has_compatible_shallow_copy_type(buf, applied)) {
        raw._buffers.set(key, keep(applied));
        mirror(raw, key, applied);
      } else {
        assignData(buf, applied);
      }
    }
    return this;
  }

  /**
   * Moves and/or casts parameters and buffers in place, like Tensor.to(): `to('cuda')`,
   * `to(torch.float64)`, `to('cuda', torch.float16)`, `to(tensor)`,
   * `to({ device, dtype, non_blocking, memory_format })`. Only floating-point tensors change
   * dtype. Parameter and buffer objects stay the same (their contents are replaced). Returns this.
   */
  to(...args: (DType | DeviceLike | Tensor | ModuleToOptions | boolean)[]): this {
    const { device, dtype, non_blocking, memory_format } = parseToArgs('Module.to', args);
    if (dtype !== undefined) {
      if (!(dtype instanceof DType)) throw argumentError('Module.to', 'dtype', 'a torch dtype', dtype);
      if (!dtype.is_floating_point) throw new TorchTypeError(`nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=${dtype}`);
    }
    if (device !== undefined) new Device(String(device)); // validates the device string
    return this._apply((t) => {
      const target: ModuleToOptions & Record<string, unknown> = { non_blocking: non_blocking ?? false };
      if (device !== undefined) target.device = device;
      if (dtype !== undefined && t.is_floating_point()) target.dtype = dtype;
      if (memory_format !== undefined && (t.dim() === 4 || t.dim() === 5)) target.memory_format = memory_format;
      return t.to(target);
    });
  }

  /** Moves all parameters and buffers to the GPU (`cuda()`, `cuda(1)`), in place. Returns this. */
  cuda(device?: number | DeviceLike): this {
    return this._apply((t) => t.cuda(device));
  }

  /** Moves all parameters and buffers to the CPU, in place. Returns this. */
  cpu(): this {
    return this._apply((t) => t.cpu());
  }

  /** Casts all parameters and buffers to dst_type, in place. Returns this. */
  type(dst_type: DType): this {
    if (!(dst_type instanceof DType)) throw argumentError('Module.type', 'dst_type', 'a torch dtype', dst_type);
    return this._apply((t) => t.to(dst_type));
  }

  /** Casts floating-point parameters and buffers to float32, in place. Returns this. */
  float(): this {
    return this._apply((t) => (t.is_floating_point() ? t.to(float32) : t));
  }

  /** Casts floating-point parameters and buffers to float64, in place. Returns this. */
  double(): this {
    return this._apply((t) => (t.is_floating_point() ? t.to(float64) : t));
  }

  /** Casts floating-point parameters and buffers to float16, in place. Returns this. */
  half(): this {
    return this._apply((t) => (t.is_floating_point() ? t.to(float16) : t));
  }

  /** Casts floating-point parameters and buffers to bfloat16, in place. Returns this. */
  bfloat16(): this {
    return this._apply((t) => (t.is_floating_point() ? t.to(bfloat16) : t));
  }

  // ---- state dict -------------------------------------------------------------------
  /**
   * Saves this module's own parameters and persistent buffers into `destination` (not its
   * descendants'). Called by state_dict() on every module; override for custom state.
   */
  _save_to_state_dict(destination: StateDict, prefix: string, keep_vars: boolean): void {
    const raw = rawOf(this);
    for (const [name, param] of raw._parameters) {
      if (param !== null) destination.set(prefix + name, keep_vars ? param : param.detach());
    }
    for (const [name, buf] of raw._buffers) {
      if (buf !== null && !raw._non_persistent_buffers_set.has(name)) destination.set(prefix + name, keep_vars ? buf : buf.detach());
    }
    if (this.get_extra_state !== Module.prototype.get_extra_state) {
      destination.set(prefix + EXTRA_STATE_KEY_SUFFIX, this.get_extra_state() as Tensor);
    }
  }

  /**
   * The whole state of the module: parameters and persistent buffers under their dotted
   * names, in PyTorch's order, as a Map (plain objects reorder integer-like keys such as
   * `'0.weight'`). Tensors are detached aliases unless keep_vars.
   *
   * Args (all optional, in `{ ... }`): destination (a Map to fill), prefix (default ''),
   * keep_vars (default false).
   *
   * Example: `[...new nn.Linear(2, 3).state_dict().keys()]  // ['weight', 'bias']`
   */
  state_dict(options: { destination?: StateDict; prefix?: string; keep_vars?: boolean } = {}): StateDict {
    if (!isPlainObject(options)) throw argumentError('Module.state_dict', 'options', 'an options object { destination, prefix, keep_vars }', options);
    const { prefix = '', keep_vars = false } = options;
    if (typeof prefix !== 'string') throw argumentError('Module.state_dict', 'prefix', 'a string', prefix);
    let destination = options.destination;
    if (destination === undefined) {
      destination = new Map() as StateDict;
      Object.defineProperty(destination, '_metadata', { value: new Map(), writable: true, enumerable: false, configurable: true });
    } else if (!(destination instanceof Map)) {
      throw argumentError('Module.state_dict', 'destination', 'a Map', destination);
    }
    const local_metadata = { version: (this.constructor as typeof Module)._version };
    destination._metadata?.set(prefix.slice(0, -1), local_metadata);
    this._save_to_state_dict(destination, prefix, keep_vars);
    for (const [name, module] of this._modules) {
      if (module !== null) module.state_dict({ destination, prefix: prefix + name + '.', keep_vars });
    }
    return destination;
  }

  /**
   * Copies this module's own entries from `state_dict` (not its descendants'), collecting
   * missing and unexpected keys and error messages. Called by load_state_dict() on every
   * module; override for backward-compatible loading (see local_metadata.version).
   */
  _load_from_state_dict(
    state_dict: Map<string, unknown>,
    prefix: string,
    local_metadata: Record<string, unknown>,
    strict: boolean,
    missing_keys: string[],
    unexpected_keys: string[],
    error_msgs: string[],
  ): void {
    void local_metadata;
    const raw = rawOf(this);
    const local_state = new Map<string, Tensor>();
    for (const [k, v] of raw._parameters) if (v !== null) local_state.set(k, v);
    for (const [k, v] of raw._buffers) if (v !== null && !raw._non_persistent_buffers_set.has(k)) local_state.set(k, v);

    for (const [name, param] of local_state) {
      const key = prefix + name;
      if (state_dict.has(key)) {
        const given = state_dict.get(key);
        if (!(given instanceof Tensor)) {
          error_msgs.push(`While copying the parameter named "${key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${typename(given)}`);
          continue;
        }
        let input_param: Tensor = given;
        // Backward compatibility: loading 1-dim tensor from 0.3.* to version 0.4+
        let temporary: Tensor | null = null;
        if (param.dim() === 0 && input_param.dim() === 1) input_param = temporary = input_param.index(0);
        try {
          const paramShape = param.shape;
          const inputShape = input_param.shape;
          if (paramShape.length !== inputShape.length || paramShape.some((s, i) => s !== inputShape[i])) {
            error_msgs.push(`size mismatch for ${key}: copying a param with shape ${sizeString(inputShape)} from checkpoint, the shape in current model is ${sizeString(paramShape)}.`);
            continue;
          }
          try {
            no_grad(() => param.copy_(input_param));
          } catch (ex) {
            error_msgs.push(
              `While copying the parameter named "${key}", whose dimensions in the model are ${sizeString(paramShape)} and whose dimensions in the checkpoint are ${sizeString(inputShape)}, an exception occurred : ('${(ex as Error).message}',).`,
            );
          }
        } finally {
          temporary?.dispose();
        }
      } else if (strict) {
        missing_keys.push(key);
      }
    }

    const extra_state_key = prefix + EXTRA_STATE_KEY_SUFFIX;
    if (this.set_extra_state !== Module.prototype.set_extra_state) {
      if (state_dict.has(extra_state_key)) this.set_extra_state(state_dict.get(extra_state_key));
      else if (strict) missing_keys.push(extra_state_key);
    } else if (strict && state_dict.has(extra_state_key)) {
      unexpected_keys.push(extra_state_key);
    }

    if (strict) {
      for (const key of state_dict.keys()) {
        if (key.startsWith(prefix) && key !== extra_state_key) {
          const input_name = key.slice(prefix.length).split('.', 1)[0];
          if (!raw._modules.has(input_name) && !local_state.has(input_name)) unexpected_keys.push(key);
        }
      }
    }
  }

  /**
   * Copies parameters and buffers from `state_dict` (a Map or a plain object of name -> Tensor)
   * into this module and its descendants, in place. With strict (default true) the keys must
   * match state_dict()'s exactly.
   *
   * Returns `{ missing_keys, unexpected_keys }`. Throws a TorchError naming the module, the
   * keys, and for a shape mismatch both shapes, like PyTorch's RuntimeError.
   *
   * Args: state_dict; strict, a boolean or `{ strict }`.
   */
  load_state_dict(state_dict: Map<string, Tensor> | Record<string, Tensor>, strict: boolean | { strict?: boolean } = true): IncompatibleKeys {
    const isStrict = typeof strict === 'object' && strict !== null ? strict.strict ?? true : strict;
    if (typeof isStrict !== 'boolean') throw argumentError('Module.load_state_dict', 'strict', 'a boolean', strict);
    let entries: Map<string, unknown>;
    let metadata: Map<string, Record<string, unknown>> | undefined;
    if (state_dict instanceof Map) {
      entries = new Map(state_dict);
      metadata = (state_dict as StateDict)._metadata;
    } else if (isPlainObject(state_dict)) {
      entries = new Map(Object.entries(state_dict));
    } else {
      throw new TorchTypeError(`Expected state_dict to be dict-like, got ${typename(state_dict)}.`);
    }
    const missing_keys: string[] = [];
    const unexpected_keys: string[] = [];
    const error_msgs: string[] = [];

    const load = (module: Module, local_state_dict: Map<string, unknown>, prefix = ''): void => {
      const local_metadata = metadata?.get(prefix.slice(0, -1)) ?? {};
      module._load_from_state_dict(local_state_dict, prefix, local_metadata, true, missing_keys, unexpected_keys, error_msgs);
      for (const [name, child] of module._modules) {
        if (child === null) continue;
        const child_prefix = prefix + name + '.';
        const child_state_dict = new Map<string, unknown>();
        for (const [k, v] of local_state_dict) if (k.startsWith(child_prefix)) child_state_dict.set(k, v);
        load(child, child_state_dict, child_prefix);
      }
    };
    load(this, entries);

    if (isStrict) {
      if (unexpected_keys.length > 0) error_msgs.unshift(`Unexpected key(s) in state_dict: ${unexpected_keys.map((k) => `"${k}"`).join(', ')}. `);
      if (missing_keys.length > 0) error_msgs.unshift(`Missing key(s) in state_dict: ${missing_keys.map((k) => `"${k}"`).join(', ')}. `);
    }
    if (error_msgs.length > 0) {
      throw new TorchError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${error_msgs.join('\n\t')}`);
    }
    return { missing_keys, unexpected_keys };
  }

  // ---- printing ---------------------------------------------------------------------
  /** The class name shown by toString(). */
  _get_name(): string {
    return this.constructor.name;
  }

  /** Extra information shown inside this module's parentheses by toString(); override it (one or more lines). */
  extra_repr(): string {
    return '';
  }

  /** PyTorch's module repr: the module tree with each module's extra_repr(). */
  toString(): string {
    const extra = this.extra_repr();
    const extra_lines = extra ? extra.split('\n') : [];
    const child_lines: string[] = [];
    for (const [key, module] of this._modules) {
      child_lines.push('(' + key + '): ' + addIndent(module === null ? 'None' : module.toString(), 2));
    }
    const lines = [...extra_lines, ...child_lines];
    let main = this._get_name() + '(';
    if (lines.length > 0) {
      if (extra_lines.length === 1 && child_lines.length === 0) main += extra_lines[0];
      else main += '\n  ' + lines.join('\n  ') + '\n';
    }
    return main + ')';
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
