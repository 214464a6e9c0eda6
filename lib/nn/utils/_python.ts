// Python calling conventions shared by torch.nn.utils and the recurrent modules: optional
// arguments given positionally in Python's order and/or in a trailing options object under
// their Python names, and Python's str() of a float for messages and reprs.
import { isPlainObject } from '../../_args.js';
import { TorchTypeError } from '../../errors.js';

/** Every prefix of a tuple type: `[A, B]` gives `[] | [A] | [A, B]`. */
type Prefixes<T extends unknown[]> = T extends [...infer H, unknown] ? T | Prefixes<H> : [];

/** The optional arguments of a call: a prefix of `T` (Python's positional order), then optionally the options object `O`. */
export type OptionalArgs<T extends unknown[], O> = Prefixes<T> extends infer P ? (P extends unknown[] ? P | [...P, O] : never) : never;

/** @internal Whether `v` is a plain `{ ... }` object (an options object), not a Tensor, array or class instance. */
/**
 * @internal Parses the optional arguments of a call (positional in the order of `names`,
 * then an optional options object) into `defaults` overridden by what was given, with
 * Python's TypeErrors for too many, repeated or unknown arguments. `undefined` means "not given".
 *
 * Args:
 *   where: the function's Python name, for messages (`'pack_padded_sequence'`).
 *   required: how many required positional arguments come before these (for messages).
 *   defaults: every optional parameter's name and default, in Python's positional order.
 *   args: the rest arguments of the call.
 *   keywordOnly: names that may come only in the options object.
 */
export function parseOptionalArgs<D extends Record<string, unknown>>(where: string, required: number, defaults: D, args: readonly unknown[], keywordOnly: readonly string[] = []): D {
  const names = Object.keys(defaults).filter((n) => !keywordOnly.includes(n));
  let positional = args;
  let options: Record<string, unknown> | undefined;
  if (args.length > 0 && isPlainObject(args[args.length - 1])) {
    options = args[args.length - 1] as Record<string, unknown>;
    positional = args.slice(0, -1);
  }
  if (positional.length > names.length) {
    throw new TorchTypeError(`${where}() takes from ${required} to ${required + names.length} positional arguments but ${required + positional.length} were given`);
  }
  const values: Record<string, unknown> = { ...defaults };
  const setPositionally = new Set<string>();
  positional.forEach((v, i) => {
    if (v === undefined) return;
    values[names[i]] = v;
    setPositionally.add(names[i]);
  });
  if (options) {
    for (const key of Object.keys(options)) {
      if (!Object.hasOwn(defaults, key)) throw new TorchTypeError(`${where}() got an unexpected keyword argument '${key}'`);
      if (setPositionally.has(key)) throw new TorchTypeError(`${where}() got multiple values for argument '${key}'`);
      if (options[key] !== undefined) values[key] = options[key];
    }
  }
  return values as D;
}

/** @internal Python's `str(float(x))`: `1.0`, `0.5`, `1e-05`, `inf`. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const [mantissa, exponent] = x.toExponential().split('e');
  const exp = Number(exponent);
  // Python's repr switches to exponent notation below 1e-4 and from 1e16; JS's String at 1e-7 and 1e21.
  if (exp >= -4 && exp < 16) return String(x);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** @internal Python's repr of a tuple of ints: `(2, 3, 20)`, `(5,)`. */
export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}
