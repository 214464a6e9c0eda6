// Shared test helpers: reading fixtures written by scripts/fixtures/*.py (real PyTorch)
// and comparing tensors with them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import type { DType } from '../lib/dtype.js';

export interface TensorFixture {
  shape: number[];
  dtype: string;
  data: (number | string | boolean)[];
}

/**
 * Runs `lines` as an ES module (TypeScript, through tsx) in a fresh Node process at the repository
 * root, with `env` added to this one's, and returns its last line of output parsed as JSON. For what
 * a process decides once, at load (glibc's heap thresholds), or how it runs without --expose-gc.
 */
export function runInFreshProcess(lines: string[], env: Record<string, string> = {}): any {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lines.join('\n')], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as T;
}

export function isTensorFixture(v: unknown): v is TensorFixture {
  return typeof v === 'object' && v !== null && 'shape' in v && 'dtype' in v && 'data' in v;
}

const decode = (v: number | string | boolean): number | boolean =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : typeof v === 'string' ? Number(v) : v;

export function dtypeNamed(name: string): DType {
  return (torch as unknown as Record<string, DType>)[name];
}

/** Builds a Tensor holding a fixture's exact values. */
export function fromFixture(f: TensorFixture): Tensor {
  const dtype = dtypeNamed(f.dtype);
  if (f.dtype === 'int64') {
    return torch.from_typed_array(BigInt64Array.from(f.data, (v) => BigInt(v as string)), f.shape, { dtype });
  }
  if (f.dtype === 'bool') return torch.tensor(f.data.map(Boolean) as boolean[]).reshape(f.shape);
  return torch.from_typed_array(Float64Array.from(f.data, (v) => decode(v) as number), f.shape, { dtype });
}

/** Default tolerances per dtype for results computed by the same kernels. */
const TOLERANCE: Record<string, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
  float16: { rtol: 1e-3, atol: 1e-3 },
  bfloat16: { rtol: 1e-2, atol: 1e-2 },
};

/** Asserts that `actual` has the fixture's shape and dtype, and its values within tolerance (exact for integer and bool dtypes). */
export function expectTensor(actual: Tensor, expected: TensorFixture, tol?: { rtol?: number; atol?: number }): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype.name).toBe(expected.dtype);
  const values = Array.from(actual.toTypedArray() as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  const want = expected.data;
  const { rtol, atol } = { ...(TOLERANCE[expected.dtype] ?? { rtol: 0, atol: 0 }), ...tol };
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const a = values[i];
    if (expected.dtype === 'int64') {
      if (a !== w) expect.fail(`element ${i}: got ${a}, expected ${w}`);
    } else if (expected.dtype === 'bool') {
      if (Boolean(a) !== w) expect.fail(`element ${i}: got ${a}, expected ${w}`);
    } else {
      const wv = decode(w) as number;
      const av = a as number;
      if (Number.isNaN(wv)) {
        if (!Number.isNaN(av)) expect.fail(`element ${i}: got ${av}, expected NaN`);
      } else if (!(Math.abs(av - wv) <= atol + rtol * Math.abs(wv))) {
        expect.fail(`element ${i}: got ${av}, expected ${wv} (rtol ${rtol}, atol ${atol})`);
      }
    }
  }
}

/** Collects garbage now (tests run with --expose-gc), so that liveTensorCount() counts only what is reachable or undisposed on purpose. */
export function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
