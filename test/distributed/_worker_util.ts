// Helpers for the worker processes the distributed tests start (through `run()`, the
// torch-node launcher): results go to stdout as one `RESULT:<json>` line per rank.
import torch, { Tensor } from '../../lib/index.js';

/** A tensor in the fixtures' format ({ shape, dtype, data }), int64 as numbers. */
export function tensorJson(t: Tensor): { shape: number[]; dtype: string; data: number[] } {
  const flat = t.detach().reshape(-1);
  const data = Array.from(flat.toTypedArray() as ArrayLike<number | bigint>, Number);
  flat.dispose();
  return { shape: t.shape, dtype: t.dtype.name, data };
}

/** Converts nested objects/arrays of tensors for JSON. */
export function toJson(v: unknown): unknown {
  if (v instanceof Tensor) return tensorJson(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toJson(x)]));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

export function report(result: unknown): void {
  process.stdout.write('RESULT:' + JSON.stringify(toJson(result)) + '\n');
}

export const rank = Number(process.env.RANK);
export const worldSize = Number(process.env.WORLD_SIZE);
export { torch };
