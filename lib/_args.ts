// Python-style optional arguments for hand-written functions and constructors: the optional
// parameters in Python's order, positionally or by name in a trailing options object, with
// Python's errors for too many, repeated or unknown arguments. Used by nn.functional and the
// nn modules (the generated ATen surface resolves its own overloads in lib/_ops/dispatch.ts).
import { TorchTypeError } from './errors.js';

/** One optional parameter: its Python name and default. */
export type Param = readonly [name: string, defaultValue: unknown];
export type ParamList = readonly Param[];

/** The trailing options object of a signature: each parameter by its Python name. */
export type OptionsOf<P extends ParamList> = { [E in P[number] as E[0]]?: E[1] | undefined };
/** Every parameter's value once defaults are filled in. */
export type ValuesOf<P extends ParamList> = { [E in P[number] as E[0]]: E[1] };
export type PositionalOf<P extends ParamList> = { -readonly [I in keyof P]: P[I] extends readonly [string, infer T] ? T | undefined : never };
export type Prefixes<T extends unknown[]> = T extends [...infer H, unknown] ? T | Prefixes<H> : [];
export type WithOptions<T, O> = T extends unknown[] ? T | [...T, O] : never;
/** The optional arguments of a call: a prefix of the parameters in Python's order, then optionally an options object. */
export type ArgsOf<P extends ParamList, K extends ParamList = readonly []> = WithOptions<Prefixes<PositionalOf<P>>, OptionsOf<P> & OptionsOf<K>>;

/** A plain object ({...} or Object.create(null)): an options object, not a Tensor, array, Map or class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A Python signature's optional part: parses the rest arguments of a call (positional in
 * Python's order, then an optional options object) into every parameter's value, with
 * Python's errors for too many, repeated or unknown arguments.
 */
export class Signature<P extends ParamList, K extends ParamList> {
  constructor(
    readonly name: string,
    /** How many required positional parameters come before the optional ones. */
    readonly required: number,
    readonly params: P,
    readonly kwOnly: K,
  ) {}

  parse(args: readonly unknown[]): ValuesOf<P> & ValuesOf<K> {
    let positional = args;
    let options: Record<string, unknown> | undefined;
    if (args.length > 0 && isPlainObject(args[args.length - 1])) {
      options = args[args.length - 1] as Record<string, unknown>;
      positional = args.slice(0, -1);
    }
    if (positional.length > this.params.length) {
      const given = this.required + positional.length;
      const takes = this.params.length === 0
        ? `${this.required} positional argument${this.required === 1 ? '' : 's'}`
        : `from ${this.required} to ${this.required + this.params.length} positional arguments`;
      throw new TorchTypeError(`${this.name}() takes ${takes} but ${given} were given`);
    }
    const values: Record<string, unknown> = {};
    for (const [name, value] of this.params) values[name] = value;
    for (const [name, value] of this.kwOnly) values[name] = value;
    const setPositionally = new Set<string>();
    positional.forEach((v, i) => {
      if (v === undefined) return;
      const name = this.params[i][0];
      values[name] = v;
      setPositionally.add(name);
    });
    if (options) {
      for (const key of Object.keys(options)) {
        if (!(key in values)) throw new TorchTypeError(`${this.name}() got an unexpected keyword argument '${key}'`);
        if (setPositionally.has(key)) throw new TorchTypeError(`${this.name}() got multiple values for argument '${key}'`);
        if (options[key] !== undefined) values[key] = options[key];
      }
    }
    return values as ValuesOf<P> & ValuesOf<K>;
  }
}

export function signature<const P extends ParamList, const K extends ParamList = readonly []>(name: string, required: number, params: P, kwOnly?: K): Signature<P, K> {
  return new Signature(name, required, params, (kwOnly ?? []) as unknown as K);
}

