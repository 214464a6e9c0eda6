// Helpers for the torch.save / torch.load / safetensors tests: comparing JS values with the
// descriptions that scripts/fixtures/check_serialization.py writes for Python objects,
// comparing two loaded values, and running that script when Python with torch is present.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Tensor } from '../lib/index.js';
import { DType, Layout } from '../lib/dtype.js';
import { OrderedDict, isParameter } from '../lib/serialization/index.js';

export const REPO = join(import.meta.dirname, '..');
export const FIXTURES = join(import.meta.dirname, 'fixtures', 'serialization');
export const PYTHON = '/usr/bin/python3';

/** A Python value as check_serialization.describe writes it. */
export type Described =
  | { type: 'tensor' | 'storage'; dtype: string; shape: number[]; stride: number[]; storage_offset: number; requires_grad: boolean; parameter: boolean; device: string; storage?: number | null; data?: (number | string | boolean)[] }
  | { type: 'OrderedDict'; items: [Described, Described][]; metadata: Described | null }
  | { type: 'dict'; items: [Described, Described][] }
  | { type: 'list' | 'tuple' | 'set'; items: Described[] }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: string }
  | { type: 'float'; value: number | string }
  | { type: 'str'; value: string }
  | { type: 'bytes'; hex: string }
  | { type: 'None' }
  | { type: 'dtype'; value: string }
  | { type: 'layout'; value: string };

function decodeFloat(v: number | string): number {
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v);
}

/** The address of element 0 of a tensor's storage: equal for tensors that share one. */
export function storageAddress(t: Tensor): bigint {
  return t.data_ptr() - BigInt(t.storage_offset() * t.element_size());
}

function tensorValues(t: Tensor): (number | bigint)[] {
  return Array.from(t.toTypedArray() as ArrayLike<number | bigint>);
}

interface CompareOptions {
  /** Compare storage offsets too (files written by PyTorch); torch-node's save trims storages, so not for its files. */
  exactOffsets: boolean;
}

/**
 * Asserts that the JS value `actual` is what Python described: same types (dict as plain
 * object or Map, OrderedDict as OrderedDict, tuple as frozen array), same values bit for bit,
 * and tensors share storages exactly where Python's did.
 */
export function expectDescribed(actual: unknown, described: Described, options: CompareOptions): void {
  const tensors: [number, Tensor, string][] = [];
  const visit = (a: unknown, d: Described, path: string): void => {
    const at = (what: string) => `${path || 'value'}: ${what}`;
    switch (d.type) {
      case 'tensor':
      case 'storage': {
        expect(a, at('a Tensor')).toBeInstanceOf(Tensor);
        const t = a as Tensor;
        expect(t.dtype.name, at('dtype')).toBe(d.dtype);
        expect(t.shape, at('shape')).toEqual(d.shape);
        expect(t.device.toString(), at('device')).toBe(d.device);
        expect(t.requires_grad, at('requires_grad')).toBe(d.requires_grad);
        expect(isParameter(t), at('is a Parameter')).toBe(d.parameter);
        if (d.type === 'tensor') expect(t.stride(), at('stride')).toEqual(d.stride);
        if (options.exactOffsets) expect(t.storage_offset(), at('storage_offset')).toBe(d.storage_offset);
        if (d.data) {
          const values = tensorValues(t);
          expect(values.length, at('numel')).toBe(d.data.length);
          d.data.forEach((want, i) => {
            const got = values[i];
            if (d.dtype === 'int64') expect(String(got), at(`element ${i}`)).toBe(want);
            else if (d.dtype === 'bool') expect(got === 1, at(`element ${i}`)).toBe(want);
            else if (!Object.is(got, decodeFloat(want as number | string))) expect.fail(at(`element ${i} is ${got}, expected ${want}`));
          });
        }
        if (d.storage !== undefined && d.storage !== null) tensors.push([d.storage, t, path]);
        return;
      }
      case 'OrderedDict': {
        expect(a, at('an OrderedDict (a Map)')).toBeInstanceOf(Map);
        const m = a as Map<unknown, unknown>;
        expect([...m.keys()].length, at('size')).toBe(d.items.length);
        const entries = [...m.entries()];
        d.items.forEach(([k, v], i) => {
          visit(entries[i][0], k, `${path}<key ${i}>`);
          visit(entries[i][1], v, `${path}[${JSON.stringify(entries[i][0])}]`);
        });
        const metadata = (m as OrderedDict)._metadata;
        if (d.metadata === null) expect(metadata, at('_metadata')).toBeUndefined();
        else visit(metadata, d.metadata, `${path}._metadata`);
        return;
      }
      case 'dict': {
        expect(a !== null && typeof a === 'object' && !(a instanceof OrderedDict), at('a dict (plain object or Map)')).toBe(true);
        if (a instanceof Map) {
          const entries = [...a.entries()];
          expect(entries.length, at('size')).toBe(d.items.length);
          d.items.forEach(([k, v], i) => {
            visit(entries[i][0], k, `${path}<key ${i}>`);
            visit(entries[i][1], v, `${path}[${String(entries[i][0])}]`);
          });
        } else {
          const o = a as Record<string, unknown>;
          expect(Object.getPrototypeOf(o) === Object.prototype || Object.getPrototypeOf(o) === null, at('a plain object')).toBe(true);
          expect(Object.keys(o).length, at('size')).toBe(d.items.length);
          for (const [k, v] of d.items) {
            expect(k.type, at('a plain object has string keys only')).toBe('str');
            const key = (k as { value: string }).value;
            expect(Object.prototype.hasOwnProperty.call(o, key), at(`has key ${JSON.stringify(key)}`)).toBe(true);
            visit(o[key], v, `${path}.${key}`);
          }
        }
        return;
      }
      case 'list':
      case 'tuple': {
        expect(Array.isArray(a), at(`a ${d.type} (array)`)).toBe(true);
        expect(Object.isFrozen(a), at(d.type === 'tuple' ? 'frozen (a tuple)' : 'not frozen (a list)')).toBe(d.type === 'tuple');
        const arr = a as unknown[];
        expect(arr.length, at('length')).toBe(d.items.length);
        d.items.forEach((item, i) => visit(arr[i], item, `${path}[${i}]`));
        return;
      }
      case 'set': {
        expect(a, at('a Set')).toBeInstanceOf(Set);
        const arr = [...(a as Set<unknown>)];
        expect(arr.length, at('size')).toBe(d.items.length);
        d.items.forEach((item, i) => visit(arr[i], item, `${path}{${i}}`));
        return;
      }
      case 'bool':
        expect(a, at('bool')).toBe(d.value);
        return;
      case 'int':
        expect(typeof a === 'number' ? Number.isInteger(a) : typeof a === 'bigint', at('an integer')).toBe(true);
        expect(BigInt(a as number | bigint), at('int value')).toBe(BigInt(d.value));
        if (typeof a === 'bigint') expect(Number.isSafeInteger(Number(a)), at('bigint only beyond 2^53')).toBe(false);
        return;
      case 'float':
        expect(typeof a, at('float')).toBe('number');
        if (!Object.is(a, decodeFloat(d.value))) expect.fail(at(`float ${String(a)}, expected ${d.value}`));
        return;
      case 'str':
        expect(a, at('str')).toBe(d.value);
        return;
      case 'bytes':
        expect(a, at('bytes')).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(a as Uint8Array).toString('hex'), at('bytes value')).toBe(d.hex);
        return;
      case 'None':
        expect(a, at('None')).toBeNull();
        return;
      case 'dtype':
        expect(a, at('dtype')).toBeInstanceOf(DType);
        expect((a as DType).name, at('dtype value')).toBe(d.value);
        return;
      case 'layout':
        expect(a, at('layout')).toBeInstanceOf(Layout);
        expect(String(a), at('layout value')).toBe(d.value);
        return;
    }
  };
  visit(actual, described, '');
  // Sharing: two tensors share memory here exactly when they shared a storage in Python.
  for (let i = 0; i < tensors.length; i++) {
    for (let j = i + 1; j < tensors.length; j++) {
      const [si, ti, pi] = tensors[i];
      const [sj, tj, pj] = tensors[j];
      expect(storageAddress(ti) === storageAddress(tj), `${pi} and ${pj} share a storage`).toBe(si === sj);
    }
  }
}

/** Whether two loaded values are the same: structure, types, tensor geometry and bits, sharing. */
export function sameLoaded(a: unknown, b: unknown, options: { offsets?: boolean } = {}): boolean {
  const offsets = options.offsets ?? true;
  const seen = new Map<object, object>();
  const tensorPairs: [Tensor, Tensor][] = [];
  const same = (x: unknown, y: unknown): boolean => {
    if (x === null || typeof x !== 'object') return Object.is(x, y);
    if (y === null || typeof y !== 'object') return false;
    if (seen.has(x)) return seen.get(x) === y;
    seen.set(x, y);
    if (x instanceof Tensor) {
      if (!(y instanceof Tensor)) return false;
      tensorPairs.push([x, y]);
      if (x.dtype !== y.dtype || x.requires_grad !== y.requires_grad || isParameter(x) !== isParameter(y)) return false;
      if (JSON.stringify([x.shape, x.stride()]) !== JSON.stringify([y.shape, y.stride()])) return false;
      if (offsets && x.storage_offset() !== y.storage_offset()) return false;
      if (x.device.type !== y.device.type) return false;
      if (x.device.type === 'meta') return true; // no data
      const vx = tensorValues(x);
      const vy = tensorValues(y);
      return vx.length === vy.length && vx.every((v, i) => Object.is(v, vy[i]));
    }
    if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false;
    if (x instanceof Map) {
      const ex = [...x.entries()];
      const ey = [...(y as Map<unknown, unknown>).entries()];
      if (ex.length !== ey.length || !ex.every(([k, v], i) => same(k, ey[i][0]) && same(v, ey[i][1]))) return false;
      return same((x as OrderedDict)._metadata ?? null, (y as OrderedDict)._metadata ?? null);
    }
    if (Array.isArray(x)) {
      const ya = y as unknown[];
      return Object.isFrozen(x) === Object.isFrozen(ya) && x.length === ya.length && x.every((v, i) => same(v, ya[i]));
    }
    if (x instanceof Set) return same([...x], [...(y as Set<unknown>)]);
    if (x instanceof Uint8Array) return Buffer.compare(Buffer.from(x), Buffer.from(y as Uint8Array)) === 0;
    if (x instanceof DType || x instanceof Layout) return x === y;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    return kx.length === ky.length && kx.every((k, i) => k === ky[i] && same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
  };
  if (!same(a, b)) return false;
  const withData = tensorPairs.filter(([x]) => x.device.type !== 'meta');
  return withData.every(([x1, y1]) => withData.every(([x2, y2]) => (storageAddress(x1) === storageAddress(x2)) === (storageAddress(y1) === storageAddress(y2))));
}

/** Every tensor reachable from a loaded value. */
export function tensorsIn(value: unknown): Tensor[] {
  const found = new Set<Tensor>();
  const seen = new Set<unknown>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Tensor) found.add(v);
    else if (v instanceof Map) {
      stack.push(...v.keys(), ...v.values(), (v as OrderedDict)._metadata);
    } else if (Array.isArray(v) || v instanceof Set) stack.push(...v);
    else if (!(v instanceof Uint8Array)) stack.push(...Object.values(v));
  }
  return [...found];
}

/** Frees every tensor in a loaded value. */
export function disposeAll(value: unknown): void {
  for (const t of tensorsIn(value)) t.dispose();
}

/** Why Python with torch cannot check files here, or null when it can. */
export function pythonUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) return `${PYTHON} is not available (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot import torch`;
  return null;
}

export interface Verdict {
  torch: string;
  files: Record<string, { ok: true; weights_only: boolean; value: Described } | { ok: false; error: string }>;
  modules: Record<string, { ok: true; missing: string[]; unexpected: string[]; output: Described } | { ok: false; error: string }>;
}

/** Runs scripts/fixtures/check_serialization.py on files (and --module NAME=FILE pairs). */
export function checkWithPython(files: string[], modules: [string, string][] = []): Verdict {
  const args = [join(REPO, 'scripts', 'fixtures', 'check_serialization.py'), ...modules.flatMap(([name, file]) => ['--module', `${name}=${file}`]), ...files];
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`check_serialization.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Verdict;
}

/** A deterministic PRNG (mulberry32) for reproducible fuzzing. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
