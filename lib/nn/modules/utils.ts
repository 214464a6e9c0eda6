// Argument helpers shared by torch.nn.functional and the nn modules, after
// torch/nn/modules/utils.py: scalar-or-tuple expansion (_single, _pair, _triple),
// padding reordering for F.pad, and output sizes with blanks filled from the input.
import { ValueError } from '../../errors.js';

/** A value for one dimension or one per dimension, like Python's `int | Tuple[int, ...]`. */
export type ScalarOrTuple<T> = T | T[];

/**
 * Returns a function that expands a scalar to `n` copies and copies an array as it is
 * (Python's `_ntuple(n)`: an iterable is kept whatever its length).
 *
 * Example: `_ntuple(2)(3)` is `[3, 3]`; `_ntuple(2)([1, 2])` is `[1, 2]`.
 */
export function _ntuple(n: number): <T>(x: T | readonly T[]) => T[] {
  return <T>(x: T | readonly T[]): T[] => (Array.isArray(x) ? [...(x as readonly T[])] : new Array<T>(n).fill(x as T));
}

/** `x` as a 1-element array unless it already is an array. */
export const _single = _ntuple(1);
/** `x` as a 2-element array unless it already is an array: `_pair(3)` is `[3, 3]`. */
export const _pair = _ntuple(2);
/** `x` as a 3-element array unless it already is an array. */
export const _triple = _ntuple(3);
/** `x` as a 4-element array unless it already is an array. */
export const _quadruple = _ntuple(4);

/**
 * Reverses `t` and repeats each element `n` times: turns a module's per-dimension padding
 * (first dimension first) into F.pad's order (last dimension first, both sides).
 *
 * Example: `_reverse_repeat_tuple([1, 2], 2)` is `[2, 2, 1, 1]`.
 */
export function _reverse_repeat_tuple<T>(t: readonly T[], n: number): T[] {
  const out: T[] = [];
  for (let i = t.length - 1; i >= 0; i--) for (let k = 0; k < n; k++) out.push(t[i]);
  return out;
}

/**
 * An output size with `null` entries replaced by the matching trailing entry of `defaults`
 * (the input's size); an integer is returned as it is. Used by the adaptive pools.
 *
 * Throws ValueError when `defaults` does not have more entries than `out_size`.
 */
export function _list_with_default(out_size: number | readonly (number | null)[], defaults: readonly number[]): number | number[] {
  if (typeof out_size === 'number') return out_size;
  if (defaults.length <= out_size.length) {
    throw new ValueError(`Input dimension should be at least ${out_size.length + 1}`);
  }
  const tail = defaults.slice(defaults.length - out_size.length);
  return out_size.map((v, i) => (v !== null && v !== undefined ? v : tail[i]));
}
