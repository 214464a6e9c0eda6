// Walking the tensors of a batch: arrays, Maps, Sets, plain objects and the own enumerable
// fields of class instances, as a collate_fn may return any of them.
import { Tensor } from '../../../tensor.js';

/** Calls `visit` on every Tensor reachable from `value` (cycle-safe, depth-limited). */
export function forEachTensor(value: unknown, visit: (t: Tensor) => void, depth = 0, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || depth > 16) return;
  if (value instanceof Tensor) {
    visit(value);
    return;
  }
  if (seen.has(value) || ArrayBuffer.isView(value)) return;
  seen.add(value);
  if (Array.isArray(value) || value instanceof Set) {
    for (const v of value) forEachTensor(v, visit, depth + 1, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) forEachTensor(v, visit, depth + 1, seen);
  } else {
    for (const v of Object.values(value)) forEachTensor(v, visit, depth + 1, seen);
  }
}

/** Replaces every Tensor in arrays, Maps and plain objects by `fn(tensor)`; other values are kept. */
export function mapTensors(value: unknown, fn: (t: Tensor) => Tensor): unknown {
  if (value instanceof Tensor) return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapTensors(v, fn));
  if (value instanceof Map) return new Map(Array.from(value, ([k, v]) => [k, mapTensors(v, fn)]));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapTensors(v, fn)]));
  }
  return value;
}

/** Disposes every Tensor reachable from `value`. */
export function disposeTensors(value: unknown): void {
  forEachTensor(value, (t) => t.dispose());
}
