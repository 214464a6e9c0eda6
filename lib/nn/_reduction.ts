// Loss reductions as ATen's enum (aten/src/ATen/core/Reduction.h), after
// torch/nn/_reduction.py, and the `warnings.warn` that torch.nn uses.
import { ValueError } from '../errors.js';
import { warn } from '../warnings.js';

export { warn, clearWarningRegistry } from '../warnings.js';

/** A loss reduction by name. 'elementwise_mean' is a deprecated alias of 'mean'. */
export type Reduction = 'none' | 'mean' | 'sum';

/**
 * ATen's reduction enum for a reduction name: none=0, mean=1, sum=2.
 *
 * Throws ValueError for any other name.
 */
export function get_enum(reduction: string): number {
  switch (reduction) {
    case 'none':
      return 0;
    case 'mean':
      return 1;
    case 'elementwise_mean':
      warn("reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.");
      return 1;
    case 'sum':
      return 2;
    default:
      throw new ValueError(`${reduction} is not a valid value for reduction`);
  }
}

/**
 * The reduction name for the deprecated `size_average` / `reduce` flags (null means the
 * default, true): both true gives 'mean', `reduce` alone 'sum', otherwise 'none'.
 */
export function legacy_get_string(size_average: boolean | null | undefined, reduce: boolean | null | undefined, emit_warning = true): Reduction {
  const sizeAverage = size_average ?? true;
  const doReduce = reduce ?? true;
  const ret: Reduction = sizeAverage && doReduce ? 'mean' : doReduce ? 'sum' : 'none';
  if (emit_warning) warn(`size_average and reduce args will be deprecated, please use reduction='${ret}' instead.`);
  return ret;
}

/** ATen's reduction enum for the deprecated `size_average` / `reduce` flags. */
export function legacy_get_enum(size_average: boolean | null | undefined, reduce: boolean | null | undefined, emit_warning = true): number {
  return get_enum(legacy_get_string(size_average, reduce, emit_warning));
}
