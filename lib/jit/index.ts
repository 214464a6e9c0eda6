// torch.jit: loading TorchScript modules written by Python's torch.jit.save (scripted or
// traced) and running them. Mirrors torch/jit/_serialization.py (load) and the
// RecursiveScriptModule of torch/jit/_script.py.
import { existsSync, statSync } from 'node:fs';
import { native } from '../_C.js';
import { Device, deviceString, type DeviceLike } from '../device.js';
import { DType } from '../dtype.js';
import { TorchError, ValueError, argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';

/** An opaque native handle owning one torch::jit::Module. */
type ModuleHandle = { readonly __scriptModule: unique symbol };

/** The native entry points of native/jit.cpp. */
interface JitNative {
  jitLoad(path: string, device: string | undefined): ModuleHandle;
  jitRunMethod(h: ModuleHandle, name: string, args: unknown[]): unknown;
  jitMethodNames(h: ModuleHandle): string[];
  jitNamedParameters(h: ModuleHandle, recurse: boolean): [string, Tensor | null][];
  jitNamedBuffers(h: ModuleHandle, recurse: boolean): [string, Tensor | null][];
  jitNamedChildren(h: ModuleHandle): [string, ModuleHandle][];
  jitOriginalName(h: ModuleHandle): string;
  jitTo(h: ModuleHandle, device: string, dtype?: number): void;
  jitTrain(h: ModuleHandle, mode: boolean): void;
  jitIsTraining(h: ModuleHandle): boolean;
}

const jitNative = native as unknown as JitNative;

/** What a TorchScript method takes from JS: Tensors, numbers, booleans, strings, null, arrays (lists or tuples) and plain objects (Dict[str, V]). */
export type ScriptValue = Tensor | number | boolean | bigint | string | null | undefined | ScriptValue[] | { [key: string]: ScriptValue };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function toNative(value: unknown, where: string): unknown {
  if (value instanceof Tensor) return value;
  if (Array.isArray(value)) return value.map((v) => toNative(v, where));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toNative(v, where);
    return out;
  }
  if (value === null || value === undefined || ['number', 'boolean', 'string', 'bigint'].includes(typeof value)) return value;
  throw argumentError(where, 'args', 'Tensors, numbers, booleans, strings, null, arrays or plain objects', value);
}

function fromNative(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromNative);
  if (value instanceof Tensor) return value;
  // A submodule is a module handle: an External, the one kind of object without a prototype.
  if (Object.getPrototypeOf(value) === null) return new ScriptModule(value as ModuleHandle);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromNative(v);
  return out;
}

function namedTensors(pairs: [string, Tensor | null][], prefix: string): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [name, t] of pairs) if (t !== null) out.push([prefix + name, t]);
  return out;
}

/**
 * A TorchScript module loaded by {@link load} (Python: `torch.jit.RecursiveScriptModule`).
 *
 * `forward(...args)` runs the module; every other method the file exports (`@torch.jit.export`)
 * is callable with `run_method(name, ...args)` and, where the name does not clash with a
 * ScriptModule member, as `module.<name>(...args)`. Arguments are positional (Python keywords
 * are not supported); tuples are passed as arrays, Dict[str, V] as plain objects. Results come
 * back as Tensors, numbers, booleans, strings, null, arrays (lists and tuples) and plain
 * objects (dicts).
 *
 * Example:
 * ```ts
 * const model = torch.jit.load('model.pt', { map_location: 'cpu' });
 * model.eval();
 * const y = torch.no_grad(() => model.forward(torch.randn(1, 4)));
 * ```
 */
export class ScriptModule {
  /** Methods exported by the TorchScript file, installed on the instance when their names are free. */
  [method: string]: any;

  /** @internal The native module handle. */
  readonly _h: ModuleHandle;

  /** @internal Made by torch.jit.load (or for submodules), not constructed directly. */
  constructor(handle: ModuleHandle) {
    this._h = handle;
    for (const name of jitNative.jitMethodNames(handle)) {
      if (name in this) continue;
      Object.defineProperty(this, name, {
        value: (...args: ScriptValue[]) => this.run_method(name, ...args),
        enumerable: false,
        configurable: true,
        writable: true,
      });
    }
  }

  /** Runs the module's forward method (Python: `module(*args)`). */
  forward(...args: ScriptValue[]): any {
    return this.run_method('forward', ...args);
  }

  /** Runs the TorchScript method `name` (Python: `module.<name>(*args)`). Wrong argument types raise libtorch's message as a TorchError. */
  run_method(name: string, ...args: ScriptValue[]): any {
    if (typeof name !== 'string') throw argumentError('ScriptModule.run_method', 'name', 'a method name string', name);
    return fromNative(jitNative.jitRunMethod(this._h, name, toNative(args, `ScriptModule.${name}`) as unknown[]));
  }

  /** The names of the module's TorchScript methods (forward and the exported ones). */
  method_names(): string[] {
    return jitNative.jitMethodNames(this._h);
  }

  /** The Python class this module was scripted or traced from (RecursiveScriptModule's `original_name`). */
  get original_name(): string {
    return jitNative.jitOriginalName(this._h);
  }

  /** Whether the module is in training mode; set by train() and eval(). */
  get training(): boolean {
    return jitNative.jitIsTraining(this._h);
  }

  /** Sets training mode (true) or evaluation mode (false) on this module and its submodules. Returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError('training mode is expected to be boolean');
    jitNative.jitTrain(this._h, mode);
    return this;
  }

  /** Sets evaluation mode: `train(false)`. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** The parameters of this module and (with recurse) its submodules; they share storage with the module. */
  *parameters(recurse = true): Generator<Tensor> {
    for (const [, p] of this.named_parameters('', recurse)) yield p;
  }

  /** [name, parameter] pairs with dotted names (`'fc1.weight'`), like Python's named_parameters. */
  named_parameters(prefix = '', recurse = true): Generator<[string, Tensor]> {
    return namedTensors(jitNative.jitNamedParameters(this._h, recurse), prefix ? prefix + '.' : '')[Symbol.iterator]() as Generator<[string, Tensor]>;
  }

  /** The buffers of this module and (with recurse) its submodules. */
  *buffers(recurse = true): Generator<Tensor> {
    for (const [, b] of this.named_buffers('', recurse)) yield b;
  }

  /** [name, buffer] pairs with dotted names (`'bn.running_mean'`). */
  named_buffers(prefix = '', recurse = true): Generator<[string, Tensor]> {
    return namedTensors(jitNative.jitNamedBuffers(this._h, recurse), prefix ? prefix + '.' : '')[Symbol.iterator]() as Generator<[string, Tensor]>;
  }

  /** [name, submodule] pairs of the immediate children. */
  *named_children(): Generator<[string, ScriptModule]> {
    for (const [name, h] of jitNative.jitNamedChildren(this._h)) yield [name, new ScriptModule(h)];
  }

  /** The immediate submodules. */
  *children(): Generator<ScriptModule> {
    for (const [, m] of this.named_children()) yield m;
  }

  /**
   * The parameters and buffers by dotted name, in Python's order (each module's parameters,
   * then its buffers, then its children's). Values are detached, like nn.Module.state_dict.
   */
  state_dict(options: { prefix?: string; keep_vars?: boolean } = {}): Map<string, Tensor> {
    const { prefix = '', keep_vars = false } = options;
    const destination = new Map<string, Tensor>();
    const visit = (module: ScriptModule, at: string): void => {
      const own = [...namedTensors(jitNative.jitNamedParameters(module._h, false), at), ...namedTensors(jitNative.jitNamedBuffers(module._h, false), at)];
      for (const [name, t] of own) destination.set(name, keep_vars ? t : t.detach());
      for (const [name, child] of module.named_children()) visit(child, at + name + '.');
    };
    visit(this, prefix);
    return destination;
  }

  /**
   * Moves (and with a floating dtype, casts) the parameters and buffers in place. Returns this.
   * Args: a device (`'cpu'`, `torch.device('cuda:0')`), a dtype, or `{ device, dtype }`.
   */
  to(arg: DeviceLike | DType | { device?: DeviceLike; dtype?: DType }): this {
    let device: DeviceLike | undefined;
    let dtype: DType | undefined;
    if (arg instanceof DType) dtype = arg;
    else if (typeof arg === 'string' || arg instanceof Device) device = arg;
    else if (isPlainObject(arg)) ({ device, dtype } = arg as { device?: DeviceLike; dtype?: DType });
    else throw argumentError('ScriptModule.to', 'arg', 'a device, a dtype or { device, dtype }', arg);
    if (dtype !== undefined && !(dtype instanceof DType)) throw argumentError('ScriptModule.to', 'dtype', 'a torch dtype', dtype);
    if (dtype !== undefined && !dtype.is_floating_point) {
      throw new TorchError(`nn.Module.to only accepts floating point dtypes, but got desired dtype=${dtype.name}`);
    }
    const target = device !== undefined ? deviceString(device) : this.currentDevice();
    jitNative.jitTo(this._h, target, dtype?.code);
    return this;
  }

  /** Moves the parameters and buffers to the CPU. Returns this. */
  cpu(): this {
    return this.to('cpu');
  }

  /** Python's repr: `RecursiveScriptModule(original_name=MLP ...)` with one line per submodule. */
  toString(): string {
    const children = [...this.named_children()];
    if (children.length === 0) return `RecursiveScriptModule(original_name=${this.original_name})`;
    const lines = [`original_name=${this.original_name}`, ...children.map(([name, m]) => `(${name}): ${m.toString().split('\n').join('\n  ')}`)];
    return 'RecursiveScriptModule(\n  ' + lines.join('\n  ') + '\n)';
  }

  private currentDevice(): string {
    for (const [, t] of this.state_dict({ keep_vars: true })) return String(t.device);
    return 'cpu';
  }
}

/**
 * Loads a TorchScript module saved by Python's `torch.jit.save` / `ScriptModule.save`
 * (from `torch.jit.script` or `torch.jit.trace`).
 *
 * Security: like PyTorch, this trusts the file. A TorchScript file holds code that runs in the
 * TorchScript interpreter when its methods are called; load only files from trusted sources.
 * (For plain weights from an untrusted source, prefer safetensors or `torch.load` with
 * `weights_only`.)
 *
 * Args:
 *   f: the path of the file.
 *   map_location: a device (`'cpu'`, `torch.device('cuda:0')`) to put every tensor on.
 *
 * Example: `const m = torch.jit.load('scripted.pt', { map_location: 'cpu' }); m.forward(x);`
 */
export function load(f: string, options: { map_location?: DeviceLike | null } = {}): ScriptModule {
  if (typeof f !== 'string') throw argumentError('torch.jit.load', 'f', 'a file path string', f);
  if (!isPlainObject(options)) throw argumentError('torch.jit.load', 'options', 'an options object { map_location }', options);
  const { map_location } = options;
  if (map_location != null && typeof map_location !== 'string' && !(map_location instanceof Device)) {
    throw argumentError('torch.jit.load', 'map_location', "a device like 'cpu' or torch.device('cuda:0')", map_location);
  }
  if (!existsSync(f)) throw new ValueError(`torch.jit.load: the provided filename ${f} does not exist`);
  if (statSync(f).isDirectory()) throw new ValueError(`torch.jit.load: the provided filename ${f} is a directory`);
  return new ScriptModule(jitNative.jitLoad(f, map_location == null ? undefined : deviceString(map_location)));
}
