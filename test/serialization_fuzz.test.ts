// Fuzzing torch.load and safetensors.load with damaged copies of real checkpoints (the files
// PyTorch wrote for test/fixtures/serialization, and safetensors files written here). Every
// variant must either load or throw a TorchError (never another error, a crash or a hang),
// and a damaged zip checkpoint that still loads must load to exactly the original (the
// archive's CRC-32s protect every record). The PRNG is seeded: failures are reproducible.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import torch, { TorchError } from '../lib/index.js';
import { load } from '../lib/serialization/index.js';
import { BufferSource, MemorySink, ZipReader, ZipWriter } from '../lib/serialization/zip.js';
import * as safetensors from '../lib/safetensors.js';
import { FIXTURES, disposeAll, prng, sameLoaded } from './_serialization_util.js';

/** No single load may take longer than this (a hang would exceed it; normal loads take milliseconds). */
const MAX_LOAD_MS = 2000;

type Mutation = (bytes: Uint8Array, rand: () => number) => { bytes: Uint8Array; what: string };

const randInt = (rand: () => number, n: number) => Math.floor(rand() * n);

/** Byte-level damage: what disks, networks and hostile editors do. */
const MUTATIONS: Mutation[] = [
  (b, r) => {
    const out = new Uint8Array(b);
    const flips = 1 + randInt(r, 3);
    const at: number[] = [];
    for (let i = 0; i < flips; i++) {
      const p = randInt(r, out.length);
      out[p] ^= 1 << randInt(r, 8);
      at.push(p);
    }
    return { bytes: out, what: `bit flips at ${at}` };
  },
  (b, r) => {
    const out = new Uint8Array(b);
    const p = randInt(r, out.length);
    const n = 1 + randInt(r, 8);
    for (let i = p; i < Math.min(out.length, p + n); i++) out[i] = randInt(r, 256);
    return { bytes: out, what: `${n} random bytes at ${p}` };
  },
  (b, r) => {
    const n = randInt(r, b.length);
    return { bytes: b.slice(0, n), what: `truncated to ${n}` };
  },
  (b, r) => {
    const p = randInt(r, b.length);
    const n = 1 + randInt(r, 16);
    return { bytes: new Uint8Array([...b.subarray(0, p), ...b.subarray(p + n)]), what: `${n} bytes deleted at ${p}` };
  },
  (b, r) => {
    const p = randInt(r, b.length);
    const extra = Array.from({ length: 1 + randInt(r, 16) }, () => randInt(r, 256));
    return { bytes: new Uint8Array([...b.subarray(0, p), ...extra, ...b.subarray(p)]), what: `${extra.length} bytes inserted at ${p}` };
  },
  (b, r) => {
    // a 16/32-bit field (size, offset, count, length) set to an extreme
    const out = new Uint8Array(b);
    const p = randInt(r, Math.max(1, out.length - 4));
    const value = [0, 0xffffffff, 0x7fffffff, 0x80000000, randInt(r, 2 ** 32)][randInt(r, 5)];
    new DataView(out.buffer).setUint32(p, value >>> 0, true);
    return { bytes: out, what: `u32 at ${p} set to ${value}` };
  },
  (b, r) => {
    const out = new Uint8Array(b);
    const from = randInt(r, out.length);
    const to = randInt(r, out.length);
    const n = 1 + randInt(r, 64);
    out.copyWithin(to, from, from + n);
    return { bytes: out, what: `${n} bytes copied from ${from} to ${to}` };
  },
];

/** Opcodes that reach the interesting parts of the unpickler. */
const OPCODES = [0x28, 0x2e, 0x30, 0x31, 0x32, 0x4a, 0x4b, 0x4d, 0x4e, 0x51, 0x52, 0x58, 0x61, 0x62, 0x63, 0x65, 0x68, 0x6a, 0x5d, 0x71, 0x72, 0x73, 0x74, 0x29, 0x75, 0x47, 0x7d, 0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8f, 0x90, 0x91, 0x93, 0x94, 0x95, 0x42, 0x43, 0x69, 0xff];

/** Damage to the pickle alone, in an otherwise valid archive (correct CRCs): exercises the unpickler and the tensor checks. */
const PICKLE_MUTATIONS: Mutation[] = [
  ...MUTATIONS.slice(0, 5),
  (b, r) => {
    const out = new Uint8Array(b);
    const p = randInt(r, out.length);
    out[p] = OPCODES[randInt(r, OPCODES.length)];
    return { bytes: out, what: `opcode ${out[p].toString(16)} at ${p}` };
  },
  (b, r) => {
    const p = randInt(r, b.length);
    const op = OPCODES[randInt(r, OPCODES.length)];
    return { bytes: new Uint8Array([...b.subarray(0, p), op, ...b.subarray(p)]), what: `opcode ${op.toString(16)} inserted at ${p}` };
  },
  (b, r) => {
    // a small int argument (sizes, strides, offsets, memo keys) changed
    const out = new Uint8Array(b);
    const ints = [...out.keys()].filter((i) => out[i] === 0x4b && i + 1 < out.length);
    if (ints.length === 0) return { bytes: out, what: 'unchanged' };
    const p = ints[randInt(r, ints.length)] + 1;
    out[p] = [0, 1, 2, 255, randInt(r, 256)][randInt(r, 5)];
    return { bytes: out, what: `BININT1 argument at ${p} set to ${out[p]}` };
  },
];

function rezip(original: Uint8Array, mutate: (pkl: Uint8Array) => Uint8Array): Buffer {
  const zip = new ZipReader(new BufferSource(original));
  const sink = new MemorySink();
  const writer = new ZipWriter(sink);
  for (const name of zip.entries.keys()) writer.add(name, name.endsWith('/data.pkl') ? mutate(zip.read(name)) : zip.read(name));
  writer.finish();
  return sink.toBuffer();
}

interface FuzzStats {
  variants: number;
  loaded: number;
  refused: number;
  slowestMs: number;
}

/** Loads every variant; returns counts. `mustMatch` demands that a variant that loads equals `original`. */
function fuzz(variants: Iterable<{ bytes: Uint8Array; what: string }>, loadFn: (b: Uint8Array) => unknown, original: unknown, mustMatch: boolean): FuzzStats {
  const stats: FuzzStats = { variants: 0, loaded: 0, refused: 0, slowestMs: 0 };
  for (const { bytes, what } of variants) {
    stats.variants++;
    const start = performance.now();
    let value: unknown;
    try {
      value = loadFn(bytes);
    } catch (e) {
      if (!(e instanceof TorchError)) expect.fail(`${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
      stats.refused++;
      value = undefined;
    }
    const elapsed = performance.now() - start;
    stats.slowestMs = Math.max(stats.slowestMs, elapsed);
    if (elapsed > MAX_LOAD_MS) expect.fail(`${what}: took ${elapsed.toFixed(0)} ms`);
    if (value !== undefined) {
      stats.loaded++;
      if (mustMatch && !sameLoaded(value, original)) expect.fail(`${what}: loaded, but not to the original`);
      disposeAll(value);
    }
  }
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(stats));
  return stats;
}

function* variantsOf(bytes: Uint8Array, mutations: Mutation[], count: number, seed: number) {
  const rand = prng(seed);
  for (let i = 0; i < count; i++) {
    const m = mutations[i % mutations.length];
    const { bytes: out, what } = m(bytes, rand);
    yield { bytes: out, what: `variant ${i} (seed ${seed}): ${what}` };
  }
}

const CHECKPOINTS = ['state_dict.pt', 'checkpoint.pt', 'views.pt', 'deflated.pt', 'parameters.pt', 'dtypes.pt'];

describe('fuzzing torch.load', () => {
  CHECKPOINTS.forEach((name, k) => {
    it(`damaged copies of ${name} load to the original or throw a TorchError`, () => {
      const bytes = readFileSync(join(FIXTURES, name));
      const original = load(bytes);
      const start = torch.liveTensorCount();
      const stats = fuzz(variantsOf(bytes, MUTATIONS, 70, 1000 + k), load, original, true);
      expect(stats.variants).toBe(70);
      expect(stats.refused).toBeGreaterThan(0);
      expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
      disposeAll(original);
    });

    it(`${name} with a damaged pickle in a valid archive loads or throws a TorchError`, () => {
      const bytes = readFileSync(join(FIXTURES, name));
      const start = torch.liveTensorCount();
      const rand = prng(2000 + k);
      const variants = (function* () {
        for (let i = 0; i < 40; i++) {
          let what = '';
          const archive = rezip(bytes, (pkl) => {
            const m = PICKLE_MUTATIONS[i % PICKLE_MUTATIONS.length](pkl, rand);
            what = `pickle variant ${i} (seed ${2000 + k}): ${m.what}`;
            return m.bytes;
          });
          yield { bytes: archive, what };
        }
      })();
      const stats = fuzz(variants, load, null, false);
      expect(stats.variants).toBe(40);
      expect(stats.refused).toBeGreaterThan(0);
      expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
    });
  });

  it('damaged copies of a legacy-format checkpoint load or throw a TorchError', () => {
    const bytes = readFileSync(join(FIXTURES, 'legacy.pt'));
    const start = torch.liveTensorCount();
    const stats = fuzz(variantsOf(bytes, [...MUTATIONS, ...PICKLE_MUTATIONS.slice(5)], 120, 3000), load, null, false);
    expect(stats.refused).toBeGreaterThan(0);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
  });
});

describe('fuzzing safetensors.load', () => {
  torch.manual_seed(0);
  const tensors = {
    'layer.0.weight': torch.randn(4, 3),
    'layer.0.bias': torch.randn(4, { dtype: torch.float64 }),
    mask: torch.tensor([true, false, true]),
    ids: torch.arange(5),
    half: torch.randn(2, 2).half(),
    scalar: torch.tensor(1.5, { dtype: torch.bfloat16 }),
    empty: torch.zeros(0, 2),
  };
  const file = safetensors.save(tensors, { format: 'pt', note: 'fuzz' });

  it('damaged files load or throw a TorchError', () => {
    const start = torch.liveTensorCount();
    const stats = fuzz(variantsOf(file, MUTATIONS, 300, 4000), (b) => safetensors.load(b), null, false);
    expect(stats.refused).toBeGreaterThan(0);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
  });

  it('damaged headers (with a correct length) load or throw a TorchError', () => {
    const n = Number(Buffer.from(file).readBigUInt64LE(0));
    const header = Buffer.from(file.subarray(8, 8 + n)).toString('utf8');
    const data = file.subarray(8 + n);
    const rand = prng(5000);
    const edits: ((h: string) => string)[] = [
      (h) => h.replace(/\d+/g, (d) => (rand() < 0.2 ? String(Number(d) + randInt(rand, 5) - 2) : d)),
      (h) => h.replace(/"(F32|F64|BOOL|I64|F16|BF16)"/, ['"U16"', '"F8_E4M3"', '"X"', '"F32"', '"I8"'][randInt(rand, 5)]),
      (h) => {
        const p = randInt(rand, h.length);
        return h.slice(0, p) + '{}[],:"0-1e9'[randInt(rand, 12)] + h.slice(p + 1);
      },
      (h) => h.replace(/"shape":\[[^\]]*\]/, ['"shape":[]', '"shape":[-1]', '"shape":[1.5]', '"shape":[4294967296,4294967296]', '"shape":"x"'][randInt(rand, 5)]),
      (h) => h.replace(/"data_offsets":\[\d+,\d+\]/, ['"data_offsets":[0]', '"data_offsets":[5,1]', '"data_offsets":[0,99999999999]', '"data_offsets":[1,2,3]'][randInt(rand, 4)]),
      (h) => h.replace('"layer.0.bias"', '"layer.0.weight"'),
    ];
    const variants = (function* () {
      for (let i = 0; i < 150; i++) {
        const edited = Buffer.from(edits[i % edits.length](header), 'utf8');
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(BigInt(edited.length));
        yield { bytes: new Uint8Array(Buffer.concat([length, edited, data])), what: `header variant ${i}: ${edited.toString('utf8').slice(0, 200)}` };
      }
    })();
    const start = torch.liveTensorCount();
    const stats = fuzz(variants, (b) => safetensors.load(b), null, false);
    expect(stats.refused).toBeGreaterThan(0);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
  });
});
