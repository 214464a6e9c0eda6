// safetensors: round trips of every dtype, the byte layout of the format's reference
// implementation (huggingface/safetensors, safetensors/src/tensor.rs: its serialization test
// vectors), header validation with hand-made bad headers, and reading a file only once.
// (Python's `safetensors` package is not installed here, so there are no files written by it.)
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import torch, { NotImplementedError, Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import { SafetensorError, _chunking, load, load_file, safe_open, save, save_file } from '../lib/safetensors.js';
import { disposeAll } from './_serialization_util.js';

// Counts the bytes the library reads from files (readSync passes through unchanged).
const readCounter = vi.hoisted(() => ({ bytes: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    readSync: (...args: Parameters<typeof actual.readSync>) => {
      const n = actual.readSync(...args);
      readCounter.bytes += n;
      return n;
    },
  };
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'torch-node-safetensors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bits(t: Tensor): (number | bigint)[] {
  return torch.tidy(() => {
    const d = t.dtype === torch.float16 || t.dtype === torch.bfloat16 ? t.view(torch.int16) : t;
    return Array.from(d.contiguous().toTypedArray() as ArrayLike<number | bigint>);
  });
}

function sample(): Record<string, Tensor> {
  torch.manual_seed(0);
  const floats = torch.tensor([0, -0, 1.5, -2.25, 65504, 1e-3, Infinity, -Infinity, NaN], { dtype: torch.float64 });
  return {
    f32: floats.float(),
    f64: floats.clone(),
    f16: floats.half(),
    bf16: floats.bfloat16(),
    i8: torch.arange(-4, 4).to(torch.int8),
    i16: torch.arange(-4, 4).to(torch.int16),
    i32: torch.arange(-4, 4).to(torch.int32),
    i64: torch.from_typed_array(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n])),
    u8: torch.arange(250, 256).to(torch.uint8),
    bool: torch.tensor([true, false, true]),
    matrix: torch.randn(3, 4),
    scalar: torch.tensor(7.25),
    empty: torch.zeros(0, 2),
  };
}

/** A file with this header text and data. */
function fileWith(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = Buffer.from(header, 'utf8');
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(h.length));
  return new Uint8Array(Buffer.concat([n, h, data]));
}

describe('safetensors round trips', () => {
  it('every dtype, a scalar and an empty tensor come back bit for bit', () => {
    const tensors = sample();
    for (const loaded of [load(save(tensors)), (save_file(tensors, join(dir, 'all.safetensors')), load_file(join(dir, 'all.safetensors')))]) {
      expect(Object.keys(loaded)).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        expect(loaded[name].dtype, name).toBe(t.dtype);
        expect(loaded[name].shape, name).toEqual(t.shape);
        expect(bits(loaded[name]), name).toEqual(bits(t));
      }
      disposeAll(loaded);
    }
    disposeAll(tensors);
  });

  it('metadata is written and read back; Maps are accepted', () => {
    const t = torch.ones(2);
    const path = join(dir, 'meta.safetensors');
    save_file(new Map([['w', t]]), path, { format: 'pt', 'é': 'ü' });
    using f = safe_open(path, { framework: 'pt' });
    expect(f.metadata()).toEqual({ format: 'pt', 'é': 'ü' });
    expect(f.keys()).toEqual(['w']);
    const w = f.get_tensor('w');
    expect(bits(w)).toEqual(bits(t));
    expect(() => f.get_tensor('nope')).toThrow(/no tensor named "nope"/);
    disposeAll([t, w]);
  });

  it('reads from Buffers at any offset and from ArrayBuffers', () => {
    const tensors = sample();
    const bytes = save(tensors);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    for (const loaded of [load(shifted.subarray(1)), load(new Uint8Array(bytes).buffer)]) {
      for (const [name, t] of Object.entries(tensors)) expect(bits(loaded[name])).toEqual(bits(t));
      disposeAll(loaded);
    }
    disposeAll(tensors);
  });

  it('load_file reads each byte of the file once: the header, then the data', () => {
    const big = { a: torch.randn(512, 256), b: torch.arange(100000) };
    const path = join(dir, 'big.safetensors');
    save_file(big, path);
    readCounter.bytes = 0;
    const loaded = load_file(path);
    expect(readCounter.bytes).toBe(fs.statSync(path).size);
    disposeAll([big, loaded]);
  });

  it('large tensors are written and read in pieces', () => {
    const previous = _chunking.chunkBytes;
    const tensors = sample();
    const path = join(dir, 'pieces.safetensors');
    try {
      _chunking.chunkBytes = 16;
      save_file(tensors, path);
      expect(Buffer.compare(readFileSync(path), save(tensors))).toBe(0);
      const start = torch.liveTensorCount();
      const loaded = load_file(path);
      for (const [name, t] of Object.entries(tensors)) {
        expect(loaded[name].shape, name).toEqual(t.shape);
        expect(bits(loaded[name]), name).toEqual(bits(t));
      }
      disposeAll(loaded);
      expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
    } finally {
      _chunking.chunkBytes = previous;
      disposeAll(tensors);
    }
  });

  it('does not leak tensors', () => {
    const tensors = sample();
    const start = torch.liveTensorCount();
    disposeAll(load(save(tensors)));
    save_file(tensors, join(dir, 'leak.safetensors'));
    disposeAll(load_file(join(dir, 'leak.safetensors')));
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
    disposeAll(tensors);
  });
});

describe('the byte layout of the reference implementation', () => {
  // huggingface/safetensors safetensors/src/tensor.rs, tests `test_serialization` and `test_empty`.
  it('one F32 tensor [1, 2, 3]', () => {
    const t = torch.from_typed_array(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 2, 3]);
    expect([...save({ 'attn.0': t })]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44,
      34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34,
      58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    t.dispose();
  });

  it('no tensors, with and without metadata', () => {
    expect([...save({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect([...save({}, { framework: 'pt' })]).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119,
      111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('tensors are laid out by decreasing alignment, then by name, from an 8-byte aligned start', () => {
    const tensors = sample();
    const bytes = save(tensors);
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; data_offsets: number[] }>;
    const order = ['BOOL', 'U8', 'I8', 'I16', 'F16', 'BF16', 'I32', 'F32', 'F64', 'I64'];
    const names = Object.keys(header);
    const expectedNames = [...names].sort((a, b) => order.indexOf(header[b].dtype) - order.indexOf(header[a].dtype) || (a < b ? -1 : 1));
    expect(names).toEqual(expectedNames);
    const offsets = names.map((k) => header[k].data_offsets);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i][0]).toBe(offsets[i - 1][1]);
    disposeAll(tensors);
  });
});

describe('safetensors refuses bad files', () => {
  const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
  const entry = (dtype: string, shape: unknown, offsets: unknown) => `{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

  it('header length: too small, too large, past the end', () => {
    expect(() => load(new Uint8Array(5))).toThrow(/too small for a safetensors header/);
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(2n ** 63n);
    expect(() => load(huge)).toThrow(/more than the 100000000 allowed/);
    const past = Buffer.alloc(16);
    past.writeBigUInt64LE(1000n);
    expect(() => load(past)).toThrow(SafetensorError);
    expect(() => load(past)).toThrow(/declares 1000 bytes but the file has only 8/);
  });

  it('the header must be UTF-8 JSON object text without duplicate keys', () => {
    const bad = new Uint8Array(fileWith('{}  '));
    bad[9] = 0xff;
    expect(() => load(bad)).toThrow(/not valid UTF-8/);
    expect(() => load(fileWith('[]'))).toThrow(/does not start with '\{'/);
    expect(() => load(fileWith('{"a":'))).toThrow(/not valid JSON/);
    expect(() => load(fileWith('{"a":1} x'))).toThrow(/unexpected data after/);
    expect(() => load(fileWith('{"a":{"dtype":"F32","dtype":"F64","shape":[],"data_offsets":[0,4]}}', f32(1)))).toThrow(/key "dtype" twice/);
    expect(() => load(fileWith(`{"x":${entry('F32', [1], [0, 4])},"x":${entry('F32', [1], [4, 8])}}`, f32(1, 2)))).toThrow(/key "x" twice/);
    expect(() => load(fileWith(`{"deep":${'['.repeat(100)}${']'.repeat(100)}}`))).toThrow(/nested more than 64 levels/);
  });

  it('each tensor entry is checked', () => {
    expect(() => load(fileWith('{"a":1}'))).toThrow(/tensor "a" must be an object/);
    expect(() => load(fileWith(`{"a":${entry('X', [1], [0, 4])}}`, f32(1)))).toThrow(/unknown dtype "X"/);
    expect(() => load(fileWith(`{"a":${entry('U16', [2], [0, 4])}}`, f32(1)))).toThrow(NotImplementedError);
    expect(() => load(fileWith(`{"a":${entry('F32', [-1], [0, 4])}}`, f32(1)))).toThrow(/shape\[0\] must be a non-negative integer/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1.5], [0, 4])}}`, f32(1)))).toThrow(/shape\[0\] must be a non-negative integer/);
    expect(() => load(fileWith(`{"a":${entry('F32', 'x', [0, 4])}}`, f32(1)))).toThrow(/no shape list/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [0])}}`, f32(1)))).toThrow(/data_offsets \[begin, end\]/);
    expect(() => load(fileWith('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}', f32(1)))).toThrow(/data_offsets\[1\] must be a non-negative integer/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [0, 99999999999999999999])}}`, f32(1)))).toThrow(/too large/);
  });

  it('byte ranges must match shapes and tile the data exactly', () => {
    const two = f32(1, 2);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [4, 0])}}`, two))).toThrow(/end before they begin/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [0, 4])},"b":${entry('F32', [1], [2, 6])}}`, two))).toThrow(/overlap/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [4, 8])}}`, two))).toThrow(/gap/);
    expect(() => load(fileWith(`{"a":${entry('F32', [3], [0, 8])}}`, two))).toThrow(/\(12 bytes\) but data_offsets \[0, 8\] hold 8/);
    expect(() => load(fileWith(`{"a":${entry('F32', [4294967296, 4294967296], [0, 8])}}`, two))).toThrow(/hold 8/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [0, 4])}}`, two))).toThrow(/cover 4 bytes of data but the file has 8/);
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [0, 4])},"b":${entry('F32', [1], [4, 8])}}`, f32(1)))).toThrow(/cover 8 bytes of data but the file has 4/);
  });

  it('__metadata__ must map strings to strings', () => {
    expect(() => load(fileWith('{"__metadata__":{"a":1}}'))).toThrow(/__metadata__\["a"\] must be a string/);
    expect(() => load(fileWith('{"__metadata__":[]}'))).toThrow(/__metadata__ must be an object of strings/);
  });

  it('nothing is left allocated by a refused file', () => {
    const start = torch.liveTensorCount();
    expect(() => load(fileWith(`{"a":${entry('F32', [1], [0, 4])},"b":${entry('U32', [1], [4, 8])}}`, f32(1, 2)))).toThrow(TorchError);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
  });

  it('devices: cpu works, CUDA without CUDA and bad devices are errors', () => {
    const t = torch.ones(1);
    const bytes = save({ t });
    disposeAll(load(bytes, { device: 'cpu' }));
    if (!torch.cuda.is_available()) expect(() => load(bytes, { device: 'cuda' })).toThrow(/torch\.cuda\.is_available\(\) is False/);
    expect(() => load(bytes, { device: 'gpu!' })).toThrow(TorchError);
    expect(() => load(bytes, { device: 3 as never })).toThrow(TorchTypeError);
    expect(() => safe_open(join(dir, 'x'), { framework: 'tf' })).toThrow(ValueError);
    t.dispose();
  });
});

describe('safetensors refuses what it cannot save', () => {
  it('like safetensors.torch.save: contiguous, unshared tensors, string metadata', () => {
    const base = torch.randn(3, 4);
    expect(() => save({ t: base.t() })).toThrow(ValueError);
    expect(() => save({ t: base.t() })).toThrow(/non contiguous tensor: `t`/);
    expect(() => save({ a: base, b: base.index(1) })).toThrow(/share memory.*\["a","b"\]/);
    expect(() => save({ a: [1, 2] as never })).toThrow(TorchTypeError);
    expect(() => save({ a: base }, { n: 1 as never })).toThrow(/metadata values must be strings/);
    expect(() => save({ __metadata__: base })).toThrow(/reserved/);
    expect(() => save_file({ a: base }, 5 as never)).toThrow(TorchTypeError);
    const path = join(dir, 'kept.safetensors');
    writeFileSync(path, 'previous');
    expect(() => save_file({ t: base.t() }, path)).toThrow(ValueError);
    expect(readFileSync(path, 'utf8')).toBe('previous'); // checked before the file is opened
    base.dispose();
  });
});
