// torch.save / torch.load against real PyTorch 1.13:
//  - every checkpoint written by scripts/fixtures/make_serialization.py loads to the values and
//    structure PyTorch describes (expected.json), views sharing memory as they did;
//  - files torch.save writes here are byte-for-byte the files PyTorch writes for the same objects
//    (checked against the committed fixtures, no Python needed), and round-trip every dtype;
//  - files written here load in Python with torch.load(weights_only=True) (when /usr/bin/python3
//    has torch: scripts/fixtures/check_serialization.py);
//  - refused and damaged inputs give TorchErrors; nothing leaks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import torch, { NotImplementedError, Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import { Parameter } from '../lib/nn/parameter.js';
import { OrderedDict, UnpicklingError, ZipError, _chunking, allowedGlobals, isParameter, load, save } from '../lib/serialization/index.js';
import { ZipReader, ZipWriter, BufferSource, MemorySink } from '../lib/serialization/zip.js';
import {
  FIXTURES, checkWithPython, disposeAll, expectDescribed, pythonUnavailable, sameLoaded, storageAddress, tensorsIn, type Described,
} from './_serialization_util.js';

const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Described>;
const moduleOutput = JSON.parse(readFileSync(join(FIXTURES, 'module_output.json'), 'utf8')) as { output: Described };
const fixture = (name: string) => join(FIXTURES, name);
const ALL_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'torch-node-serialization-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Where an entry's data starts in an archive. */
function dataStart(bytes: Uint8Array, name: string): number {
  const entry = new ZipReader(new BufferSource(bytes)).entries.get(name)!;
  const header = new DataView(bytes.buffer, bytes.byteOffset + entry.localHeaderOffset, 30);
  return entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
}

/** The raw bits of a tensor's elements (float16/bfloat16 as their int16 bits). */
function bits(t: Tensor): (number | bigint)[] {
  return torch.tidy(() => {
    const d = t.dtype === torch.float16 || t.dtype === torch.bfloat16 ? t.view(torch.int16) : t;
    return Array.from(d.contiguous().toTypedArray() as ArrayLike<number | bigint>);
  });
}

describe('torch.load reads what PyTorch wrote', () => {
  for (const name of Object.keys(expected)) {
    it(`${name} has PyTorch's values and structure`, () => {
      const value = load(fixture(name));
      expectDescribed(value, expected[name], { exactOffsets: true });
      disposeAll(value);
    });
  }

  it('views of one storage share memory after loading', () => {
    const v = load(fixture('views.pt'));
    const base = v.base as Tensor;
    const before = bits(v.column);
    base.index_put_([1, 2], 100);
    expect(bits(v.row)).toEqual(bits(base.index(1)));
    expect(bits(v.column)).not.toEqual(before);
    expect(bits(v.column)).toEqual(bits(base.index(':', 2)));
    expect(bits(v.transposed)).toEqual(bits(base.t()));
    expect(bits(v.list[1])).toEqual(bits(base.index(2)));
    (v.other as Tensor).zero_();
    expect(bits(v.other_tail)).toEqual([0, 0]);
    expect(storageAddress(v.other)).not.toBe(storageAddress(base));
    disposeAll(v);
  });

  it('a state_dict is an OrderedDict that keeps its key order and _metadata', () => {
    const sd = load(fixture('state_dict.pt'));
    expect(sd).toBeInstanceOf(OrderedDict);
    expect(sd).toBeInstanceOf(Map);
    const want = expected['state_dict.pt'] as { items: [{ value: string }, unknown][]; metadata: { items: [{ value: string }, unknown][] } };
    expect([...sd.keys()]).toEqual(want.items.map(([k]) => k.value));
    expect([...sd._metadata.keys()]).toEqual(want.metadata.items.map(([k]) => k.value));
    expect(Object.keys(sd._metadata.get(''))).toEqual(['version']);
    disposeAll(sd);
  });

  it('Python dicts with non-string keys load as Maps, plain ones as objects', () => {
    const ckpt = load(fixture('checkpoint.pt'));
    expect(ckpt.int_keys).toBeInstanceOf(Map);
    expect([...ckpt.int_keys.keys()]).toEqual([1, 2]);
    expect(ckpt.optimizer.state).toBeInstanceOf(Map);
    expect(Object.getPrototypeOf(ckpt.optimizer)).toBe(Object.prototype);
    expect(Object.isFrozen(ckpt.tuple)).toBe(true);
    expect(Object.isFrozen(ckpt.flags)).toBe(false);
    expect(typeof ckpt.huge).toBe('bigint');
    disposeAll(ckpt);
  });

  it('a deflated archive loads like the stored one', () => {
    const stored = load(fixture('state_dict.pt'));
    const deflated = load(fixture('deflated.pt'));
    expect(sameLoaded(stored, deflated)).toBe(true);
    disposeAll([stored, deflated]);
  });

  it('reads paths, Buffers, Uint8Arrays at any offset, and ArrayBuffers alike', () => {
    const bytes = readFileSync(fixture('views.pt'));
    const fromPath = load(fixture('views.pt'));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const copy = new Uint8Array(bytes);
    for (const other of [load(bytes), load(shifted.subarray(3)), load(copy.buffer)]) {
      expect(sameLoaded(fromPath, other)).toBe(true);
      disposeAll(other);
    }
    disposeAll(fromPath);
  });

  it('reads the byteorder record of newer PyTorch, big-endian data included', () => {
    const t = { f: torch.tensor([1.5, -2, 3.25], { dtype: torch.float64 }), h: torch.tensor([1, -0.5], { dtype: torch.float16 }), i: torch.arange(4, { dtype: torch.int32 }) };
    const zip = new ZipReader(new BufferSource(save(t)));
    for (const order of ['little', 'big']) {
      const sink = new MemorySink();
      const writer = new ZipWriter(sink);
      for (const name of zip.entries.keys()) {
        const data = new Uint8Array(zip.read(name));
        const itemsize = { 'archive/data/0': 8, 'archive/data/1': 2, 'archive/data/2': 4 }[name];
        if (order === 'big' && itemsize) for (let i = 0; i < data.length; i += itemsize) data.subarray(i, i + itemsize).reverse();
        writer.add(name, data);
      }
      writer.add('archive/byteorder', Buffer.from(order));
      writer.finish();
      const loaded = load(sink.toBuffer());
      for (const k of ['f', 'h', 'i'] as const) expect(bits(loaded[k])).toEqual(bits(t[k]));
      disposeAll(loaded);
    }
    disposeAll(t);
  });

  it('Parameters load as nn.Parameter with their requires_grad', () => {
    const p = load(fixture('parameters.pt'));
    expect(p.weight).toBeInstanceOf(Parameter);
    expect(p.weight.requires_grad).toBe(true);
    expect(p.frozen).toBeInstanceOf(Parameter);
    expect(p.frozen.requires_grad).toBe(false);
    expect(isParameter(p.leaf)).toBe(false);
    expect(p.leaf.requires_grad).toBe(true);
    expect(p.leaf.is_leaf).toBe(true);
    disposeAll(p);
  });

  it('map_location accepts cpu, a Device and a location map', () => {
    const plain = load(fixture('dtypes.pt'));
    for (const map_location of ['cpu', torch.device('cpu'), { cpu: 'cpu' }, new Map([['cpu', 'cpu']])]) {
      const v = load(fixture('dtypes.pt'), { map_location });
      expect(sameLoaded(plain, v)).toBe(true);
      disposeAll(v);
    }
    disposeAll(plain);
  });

  it.skipIf(torch.cuda.is_available())('map_location to CUDA without CUDA is a clear error', () => {
    expect(() => load(fixture('dtypes.pt'), { map_location: 'cuda' })).toThrow(/torch\.cuda\.is_available\(\) is False.*map_location='cpu'/);
    expect(() => load(fixture('dtypes.pt'), { map_location: { cpu: 'cuda:0' } })).toThrow(TorchError);
  });

  it('rejects bad map_location values', () => {
    expect(() => load(fixture('dtypes.pt'), { map_location: 'not a device' })).toThrow(TorchError);
    expect(() => load(fixture('dtypes.pt'), { map_location: 7 as never })).toThrow(TorchTypeError);
    expect(() => load(fixture('dtypes.pt'), { map_location: 'xla' })).toThrow(NotImplementedError);
  });

  it('does not leak tensors', () => {
    const start = torch.liveTensorCount();
    for (const name of Object.keys(expected)) disposeAll(load(fixture(name)));
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
  });
});

describe('torch.save writes what PyTorch writes', () => {
  for (const name of ['state_dict.pt', 'dtypes.pt', 'parameters.pt']) {
    it(`${name}: loading PyTorch's file and saving it gives the same bytes`, () => {
      const value = load(fixture(name));
      const out = join(dir, name);
      save(value, out);
      expect(Buffer.compare(readFileSync(out), readFileSync(fixture(name)))).toBe(0);
      disposeAll(value);
    });
  }

  it("torch.nn's state_dict shape (a Map with a hidden _metadata Map) is saved as PyTorch's OrderedDict", () => {
    const loaded = load(fixture('state_dict.pt'));
    const sd = new Map(loaded);
    Object.defineProperty(sd, '_metadata', { value: new Map(loaded._metadata), enumerable: false });
    const out = join(dir, 'state_dict.pt');
    save(sd, out);
    expect(Buffer.compare(readFileSync(out), readFileSync(fixture('state_dict.pt')))).toBe(0);
    disposeAll(loaded);
  });

  it('names the archive folder after the file, like PyTorch ("archive" for bytes)', () => {
    const t = torch.ones(2);
    save(t, join(dir, 'weights.v2.pt'));
    expect([...new ZipReader(new BufferSource(readFileSync(join(dir, 'weights.v2.pt')))).entries.keys()]).toEqual(['weights.v2/data.pkl', 'weights.v2/data/0', 'weights.v2/version']);
    expect([...new ZipReader(new BufferSource(save(t))).entries.keys()]).toEqual(['archive/data.pkl', 'archive/data/0', 'archive/version']);
    t.dispose();
  });

  it('stores data 64-byte aligned, as PyTorch does for memory mapping', () => {
    const bytes = save({ a: torch.ones(3), b: torch.arange(5) });
    for (const name of new ZipReader(new BufferSource(bytes)).entries.keys()) expect(dataStart(bytes, name) % 64).toBe(0);
  });
});

/** Objects that exercise everything torch.save supports, built in JS. */
function jsObjects() {
  torch.manual_seed(0);
  const dtypes: Record<string, Tensor> = {};
  const floats = torch.tensor([0, -0, 1.5, -2.25, 1e-3, 65504, Infinity, -Infinity, NaN], { dtype: torch.float64 });
  for (const d of ALL_DTYPES) {
    dtypes[d.name] = d.is_floating_point ? floats.to(d) : d === torch.bool ? torch.tensor([true, false, true]) : torch.arange(-3, 5).to(d);
  }
  dtypes.int64_extremes = torch.from_typed_array(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]));
  dtypes.scalar = torch.tensor(2.5);
  dtypes.empty = torch.zeros(0, 3, { dtype: torch.float64 });
  dtypes.matrix = torch.randn(3, 4);

  const base = torch.arange(24, { dtype: torch.float32 }).reshape(4, 6);
  const tail = torch.arange(10, { dtype: torch.int64 });
  const views = {
    base,
    row: base.index(1),
    column: base.index(':', 2),
    transposed: base.t(),
    strided: base.index('1:', '::2'),
    expanded: base.index(0, '0:1').expand(3, 6),
    separate: torch.ones(2, 2),
    only_a_view: tail.index('6:9'), // its storage is saved trimmed to these 3 elements
    list: [base.index(3), tail.index('7:')],
  };

  const containers = {
    int: 7, negative: -(2 ** 40), big: 2n ** 62n, huge: -(2n ** 70n), float: 3.25, minus_zero: -0, nan: NaN, inf: -Infinity,
    str: 'héllo ✓ 🎉', empty_str: '', yes: true, no: false, nothing: null,
    list: [1, 'two', [3, [4]], []],
    tuple: Object.freeze([1, Object.freeze(['a', null]), Object.freeze([])]),
    dict: { nested: { deeper: { deepest: 'x' } }, empty: {} },
    int_keys: new Map<unknown, unknown>([[1, 'one'], [2n ** 64n, 'big'], [Object.freeze([1, 2]), 'tuple key'], [null, 'none']]),
    ordered: new OrderedDict([['10', 1], ['2', 2], ['b', 3]]),
    set: new Set([1, 2, 3]),
    bytes: new Uint8Array([0, 1, 255, 128]),
    dtype: torch.bfloat16,
    tensors: [torch.tensor([1, 2, 3]), torch.tensor(5.5, { dtype: torch.float64 })],
    meta: torch.empty_strided([2, 3], [1, 2], { dtype: torch.float16, device: 'meta' }), // shape only, no data
  };

  const parameters = {
    weight: new Parameter(torch.randn(2, 3)),
    frozen: new Parameter(torch.randn(3), false),
    leaf: torch.randn(2, { requires_grad: true }),
    result: torch.randn(2, { requires_grad: true }).exp(), // not a leaf: saved with requires_grad, like PyTorch
  };
  return { dtypes, views, containers, parameters };
}

describe('torch.save and torch.load round trips', () => {
  it('every dtype round-trips bit for bit', () => {
    const { dtypes } = jsObjects();
    const loaded = load(save(dtypes));
    for (const [name, t] of Object.entries(dtypes)) {
      expect(loaded[name].dtype).toBe(t.dtype);
      expect(loaded[name].shape).toEqual(t.shape);
      expect(bits(loaded[name]), name).toEqual(bits(t));
    }
    disposeAll([dtypes, loaded]);
  });

  it('views keep their strides and share memory again, and storages are trimmed to what is used', () => {
    const { views } = jsObjects();
    const bytes = save(views);
    const loaded = load(bytes);
    expect(sameLoaded(views, loaded, { offsets: false })).toBe(true);
    loaded.base.index_put_([1, 2], -1);
    expect(bits(loaded.column)).toEqual(bits(loaded.base.index(':', 2)));
    expect(bits(loaded.row)).toEqual(bits(loaded.base.index(1)));
    expect(loaded.only_a_view.storage_offset()).toBe(0);
    expect(loaded.list[1].storage_offset()).toBe(1);
    const zip = new ZipReader(new BufferSource(bytes));
    const sizes = [...zip.entries.values()].filter((e) => e.name.includes('/data/')).map((e) => e.size);
    expect(sizes).toEqual([24 * 4, 4 * 4, 4 * 8]); // base, separate, tail[6:10]
    disposeAll([views, loaded]);
  });

  it('containers, numbers, strings and dtypes come back with their types', () => {
    const { containers } = jsObjects();
    const loaded = load(save(containers));
    expect(sameLoaded(containers, loaded)).toBe(true);
    expect([...loaded.int_keys.keys()]).toEqual([1, 2n ** 64n, [1, 2], null]);
    expect(Object.isFrozen([...loaded.int_keys.keys()][2])).toBe(true);
    expect(Object.is(loaded.minus_zero, -0)).toBe(true);
    disposeAll([containers, loaded]);
  });

  it('Parameters and requires_grad survive', () => {
    const { parameters } = jsObjects();
    const loaded = load(save(parameters));
    expect(loaded.weight).toBeInstanceOf(Parameter);
    expect(loaded.frozen.requires_grad).toBe(false);
    expect(loaded.leaf.requires_grad && loaded.leaf.is_leaf).toBe(true);
    expect(loaded.result.requires_grad && loaded.result.is_leaf).toBe(true);
    expect(sameLoaded(parameters, loaded)).toBe(true);
    disposeAll([parameters, loaded]);
  });

  it('a "__proto__" key is an ordinary key, not a prototype', () => {
    const loaded = load(save(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')));
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
    expect(Object.keys(loaded)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('shared references and cycles are kept', () => {
    const shared = [1, 2];
    const cyclic: unknown[] = ['self'];
    cyclic.push(cyclic);
    const t = torch.ones(2);
    const loaded = load(save({ a: shared, b: shared, cyclic, t1: t, t2: t }));
    expect(loaded.a).toBe(loaded.b);
    expect(loaded.cyclic[1]).toBe(loaded.cyclic);
    expect(loaded.t1).toBe(loaded.t2);
    disposeAll([t, loaded]);
  });

  it('large storages are written and read in pieces', () => {
    const previous = _chunking.chunkBytes;
    _chunking.chunkBytes = 24; // 3 float64s, 6 float32s, 12 float16s per piece
    try {
      const { dtypes, views } = jsObjects();
      const start = torch.liveTensorCount();
      for (const obj of [dtypes, views]) {
        const bytes = save(obj);
        _chunking.chunkBytes = previous;
        const reference = load(bytes); // read in one piece
        _chunking.chunkBytes = 24;
        const loaded = load(bytes);
        expect(sameLoaded(reference, loaded)).toBe(true);
        expect(sameLoaded(obj, loaded, { offsets: false })).toBe(true);
        const corrupted = Buffer.from(bytes);
        corrupted[dataStart(bytes, 'archive/data/0') + 30] ^= 1; // in a later piece of storage 0
        expect(() => load(corrupted)).toThrow(/CRC-32/);
        disposeAll([reference, loaded]);
      }
      expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
      disposeAll([dtypes, views]);
    } finally {
      _chunking.chunkBytes = previous;
    }
  });

  it('ZIP64 records (files over 4 GB) are written and read', () => {
    const { views } = jsObjects();
    const loaded = load(save(views, undefined, { _forceZip64: true }));
    expect(sameLoaded(views, loaded, { offsets: false })).toBe(true);
    disposeAll([views, loaded]);
  });

  it('saves to a path and loads from it', () => {
    const t = torch.randn(3, 2);
    const path = join(dir, 'tensor.pt');
    expect(save(t, path)).toBeUndefined();
    const back = load(path);
    expect(bits(back)).toEqual(bits(t));
    disposeAll([t, back]);
  });

  it('refuses what it cannot save, naming where it is', () => {
    expect(() => save({ a: [1, { f: () => 1 }] })).toThrow(/cannot save a function at \["a"\]\[1\]\["f"\]/);
    expect(() => save({ d: new Date() })).toThrow(TorchTypeError);
    expect(() => save(new Float32Array(2))).toThrow(/from_typed_array/);
    expect(() => save(Symbol('x'))).toThrow(TorchTypeError);
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 1500; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    expect(() => save(deep)).toThrow(/nested more than/);
    const t = torch.ones(4);
    const asInt = t.view(torch.int32);
    expect(() => save([t, asInt])).toThrow(ValueError);
    expect(() => save([t, asInt])).toThrow(/view the same data as different types/);
    const disposed = torch.ones(1);
    disposed.dispose();
    expect(() => save({ disposed })).toThrow(/disposed/);
    expect(() => save(t, 42 as never)).toThrow(TorchTypeError);
    disposeAll([t, asInt]);
  });

  it('does not leak tensors', () => {
    const objects = jsObjects();
    const start = torch.liveTensorCount();
    const loaded = load(save(objects));
    disposeAll(loaded);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
    disposeAll(objects);
  });
});

const noPython = pythonUnavailable();
if (noPython) console.log(`skipping the checks of torch-node's files with PyTorch: ${noPython}`);

describe.skipIf(noPython !== null)('files written by torch-node load in PyTorch', () => {
  const written: Record<string, unknown> = {};
  let verdict: ReturnType<typeof checkWithPython>;
  let stateDictPath: string;
  let pyDir: string;

  beforeAll(() => {
    pyDir = mkdtempSync(join(dir, 'for-python-'));
    const objects = jsObjects();
    const files: Record<string, [unknown, { _forceZip64?: boolean }?]> = {
      'dtypes.pt': [objects.dtypes],
      'views.pt': [objects.views],
      'containers.pt': [objects.containers],
      'parameters.pt': [objects.parameters],
      'zip64.pt': [objects.views, { _forceZip64: true }],
    };
    // A state_dict built in JS (fresh tensors, no _metadata) for Python's load_state_dict.
    const sd = load(fixture('state_dict.pt'));
    const fresh = new OrderedDict<string, Tensor>([...sd].map(([k, v]) => [k, (v as Tensor).clone()]));
    files['state_dict.pt'] = [fresh];
    for (const [name, [obj, options]] of Object.entries(files)) {
      save(obj, join(pyDir, name), options);
      written[name] = obj;
    }
    stateDictPath = join(pyDir, 'state_dict.pt');
    verdict = checkWithPython(Object.keys(files).map((n) => join(pyDir, n)), [['mlp', stateDictPath]]);
  }, 300_000);

  for (const name of ['dtypes.pt', 'views.pt', 'containers.pt', 'parameters.pt', 'zip64.pt', 'state_dict.pt']) {
    it(`${name} loads in PyTorch to the same values and structure`, () => {
      const result = verdict.files[join(pyDir, name)];
      if (!result.ok) expect.fail(result.error);
      expectDescribed(written[name], result.value, { exactOffsets: false });
      // PyTorch 1.13's weights-only unpickler cannot read floats or bytes; files without them must not need more.
      if (name !== 'containers.pt') expect(result.weights_only).toBe(true);
    });
  }

  it("a state_dict saved here loads into PyTorch's model with load_state_dict", () => {
    const result = verdict.modules[`mlp=${stateDictPath}`];
    if (!result.ok) expect.fail(result.error);
    expect(result.missing).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.output).toEqual(moduleOutput.output);
  });
});

// ---- hand-made pickles and archives --------------------------------------------------

const bytesOf = (...parts: (number | string | Uint8Array | number[])[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p as Uint8Array))));
const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const n = Buffer.alloc(4);
  n.writeUInt32LE(b.length);
  return bytesOf('X', n, b);
};
const int = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return bytesOf('J', b);
};
const tuple = (...items: Uint8Array[]) => bytesOf('(', ...items, 't');
/** A pickle of one tensor over storage '0' with the given geometry. */
function tensorPickle(o: { numel: number; size: number[]; stride: number[]; offset?: number; type?: string }): Uint8Array {
  const pid = bytesOf('(', str('storage'), `ctorch\n${o.type ?? 'FloatStorage'}\n`, str('0'), str('cpu'), int(o.numel), 't', 'Q');
  return bytesOf(
    0x80, 2, 'ctorch._utils\n_rebuild_tensor_v2\n', '(', pid, int(o.offset ?? 0), tuple(...o.size.map(int)), tuple(...o.stride.map(int)),
    0x89, 'ccollections\nOrderedDict\n', ')', 'R', 't', 'R', '.',
  );
}
function archive(pkl: Uint8Array, records: Record<string, Uint8Array> = {}): Buffer {
  const sink = new MemorySink();
  const zip = new ZipWriter(sink);
  zip.add('archive/data.pkl', pkl);
  for (const [name, data] of Object.entries(records)) zip.add(`archive/${name}`, data);
  zip.finish();
  return sink.toBuffer();
}
const floats = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

describe('torch.load refuses what is not weights', () => {
  it('a checkpoint that would run code is refused, naming the global', () => {
    const start = torch.liveTensorCount();
    expect(() => load(fixture('runs_code.pt'))).toThrow(UnpicklingError);
    expect(() => load(fixture('runs_code.pt'))).toThrow(/unsupported global 'posix\.system'/);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // the tensor loaded before the refusal is freed
  });

  it('refuses globals outside the weights-only allowlist, however they are named', () => {
    expect(() => load(archive(bytesOf(0x80, 2, 'cbuiltins\neval\n', '(', str('1'), 't', 'R', '.')))).toThrow(/unsupported global 'builtins\.eval'/);
    expect(() => load(archive(bytesOf(0x80, 4, str('os'), str('system'), 0x93, '.')))).toThrow(/unsupported global 'os\.system'/);
    expect(() => load(archive(bytesOf(0x80, 2, 'ctorch\nload\n', '.')))).toThrow(/'torch\.load'/);
    expect(allowedGlobals()).toContain('torch._utils._rebuild_tensor_v2');
    expect(allowedGlobals()).not.toContain('torch.load');
  });

  it('refuses calls and instantiations of allowed names that are not functions', () => {
    expect(() => load(archive(bytesOf(0x80, 2, 'ctorch\nfloat32\n', ')', 'R', '.')))).toThrow(/torch\.float32 cannot be called/);
    expect(() => load(archive(bytesOf(0x80, 2, 'ctorch\nFloatTensor\n', ')', 'R', '.')))).toThrow(/cannot be called while loading/);
    expect(() => load(archive(bytesOf(0x80, 2, 'ccollections\nOrderedDict\n', ')', 0x81, '.')))).toThrow(/unsupported class/);
    expect(() => load(archive(bytesOf(0x80, 2, ']', '}', 'b', '.')))).toThrow(/can only build Tensor, Parameter or OrderedDict/);
    expect(() => load(archive(bytesOf(0x80, 2, tuple(str('module'), str('x')), 'Q', '.')))).toThrow(/only persistent_load of storage/);
  });

  it('refuses opcodes that are not plain data', () => {
    expect(() => load(archive(bytesOf(0x80, 2, 'i__main__\nX\n', '.')))).toThrow(/INST \(0x69 'i'\) is not supported/);
    expect(() => load(archive(bytesOf(0x80, 2, 0xff, '.')))).toThrow(/unknown opcode \(0xff\)/);
    expect(() => load(archive(bytesOf(0x80, 2, 0x82, 1, '.')))).toThrow(/EXT1/);
  });

  it('reports damaged pickles', () => {
    expect(() => load(archive(bytesOf(0x80, 2, str('abc').subarray(0, 6))))).toThrow(/truncated/);
    expect(() => load(archive(bytesOf(0x80, 2, ')', 'N', 'a', '.')))).toThrow(/APPEND\(S\) on a tuple/);
    expect(() => load(archive(bytesOf(0x80, 2, 'h', 5, '.')))).toThrow(/memo key 5/);
    expect(() => load(archive(bytesOf(0x80, 2, 'e', '.')))).toThrow(/MARK expected/);
    expect(() => load(archive(bytesOf(0x80, 2, 's', '.')))).toThrow(/stack underflow/);
    expect(() => load(archive(bytesOf(0x80, 9, 'N', '.')))).toThrow(/protocol 9/);
    expect(() => load(archive(bytesOf(0x80, 2, 'N', '.', 'N')))).toThrow(/1 bytes after its end/);
    expect(() => load(archive(bytesOf(0x80, 2, 'X', [0xff, 0xff, 0xff, 0x7f], 'abc')))).toThrow(/truncated/);
  });

  it('checks tensors against their storages before making them', () => {
    const start = torch.liveTensorCount();
    const four = { 'data/0': floats(1, 2, 3, 4) };
    expect(() => load(archive(tensorPickle({ numel: 4, size: [10], stride: [1] }), four))).toThrow(/needs 10 elements but its storage has 4/);
    expect(() => load(archive(tensorPickle({ numel: 4, size: [2, 2], stride: [2, 1], offset: 1 }), four))).toThrow(/needs 5 elements/);
    expect(() => load(archive(tensorPickle({ numel: 8, size: [8], stride: [1] }), four))).toThrow(/declares 8 float32 elements but its record archive\/data\/0 holds only 16 bytes/);
    expect(() => load(archive(tensorPickle({ numel: 4, size: [4], stride: [1] }), {}))).toThrow(/no record archive\/data\/0/);
    expect(() => load(archive(tensorPickle({ numel: 4, size: [2], stride: [-1] }), four))).toThrow(/non-negative integers, got -1/);
    expect(() => load(archive(tensorPickle({ numel: 4, size: [2 ** 30, 2 ** 30, 2 ** 30], stride: [0, 0, 0] }), four))).toThrow(/more elements than torch-node can address/);
    expect(() => load(archive(tensorPickle({ numel: 4, size: [2, 2], stride: [1] }), four))).toThrow(/size has 2 dimensions but stride has 1/);
    expect(() => load(archive(tensorPickle({ numel: 4, size: [4], stride: [1], type: 'ComplexFloatStorage' }), four))).toThrow(NotImplementedError);
    expect(torch.liveTensorCount()).toBeLessThanOrEqual(start); // GC may free older garbage meanwhile
    // a zero stride over one element is a valid (expanded) tensor
    const expanded = load(archive(tensorPickle({ numel: 4, size: [3, 5], stride: [0, 0], offset: 3 }), four));
    expect(expanded.shape).toEqual([3, 5]);
    expect(new Set(bits(expanded))).toEqual(new Set(bits(torch.tensor([4], { dtype: torch.float32 }))));
    disposeAll(expanded);
  });

  it('TorchScript archives and the tar format are explained, not misread', () => {
    expect(() => load(fixture('torchscript.pt'))).toThrow(/TorchScript archive/);
    const tar = new Uint8Array(1024);
    tar.set(Buffer.from('ustar'), 257);
    tar[0] = 0x61;
    expect(() => load(tar)).toThrow(/tar-based checkpoint format/);
  });
});

describe('torch.load reports damaged files', () => {
  const good = () => Buffer.from(readFileSync(fixture('dtypes.pt')));
  /** Offset of the central directory entry for `name`. */
  const centralEntry = (bytes: Buffer, name: string) => bytes.indexOf(Buffer.concat([Buffer.from(name)]), bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))) - 46;

  it('wrong magic, empty and truncated files', () => {
    expect(() => load(Buffer.from('hello, this is not a checkpoint'))).toThrow(/not a PyTorch checkpoint \(it starts with bytes 68 65 6c 6c/);
    expect(() => load(new Uint8Array(0))).toThrow(/empty/);
    const bytes = good();
    for (const length of [10, 100, bytes.length / 2, bytes.length - 1]) {
      expect(() => load(bytes.subarray(0, Math.floor(length)))).toThrow(ZipError);
    }
    expect(() => load(bytes.subarray(0, bytes.length - 30))).toThrow(/end-of-central-directory record is missing/);
    expect(() => load(readFileSync(fixture('legacy.pt')).subarray(0, 1500))).toThrow(TorchError);
  });

  it('a flipped byte in tensor data fails the CRC-32 check', () => {
    const t = torch.tensor([1234.5, 2, 3], { dtype: torch.float32 });
    const bytes = save(t);
    bytes[dataStart(bytes, 'archive/data/0') + 5] ^= 0x10;
    expect(() => load(bytes)).toThrow(/entry 'archive\/data\/0' is corrupted \(CRC-32/);
    t.dispose();
  });

  it('entries that point outside the file or declare huge sizes', () => {
    const name = 'dtypes/data/0';
    let bytes = good();
    bytes.writeUInt32LE(0x7ffffff0, centralEntry(bytes, name) + 42);
    expect(() => load(bytes)).toThrow(/entry 'dtypes\/data\/0' \(\d+ bytes at 2147483632\) is outside the file's data/);
    bytes = good();
    bytes.writeUInt32LE(0xfffffff0, centralEntry(bytes, name) + 20);
    bytes.writeUInt32LE(0xfffffff0, centralEntry(bytes, name) + 24);
    expect(() => load(bytes)).toThrow(/4294967280 bytes .* is outside the file's data/);
    bytes = good();
    bytes.writeUInt16LE(8, centralEntry(bytes, name) + 10);
    bytes.writeUInt32LE(0x7ffffff0, centralEntry(bytes, name) + 24);
    expect(() => load(bytes)).toThrow(/more than deflate can produce/);
    bytes = good();
    bytes.writeUInt16LE(12, centralEntry(bytes, name) + 10);
    expect(() => load(bytes)).toThrow(/compression method 12/);
    bytes = good();
    bytes.writeUInt16LE(1, centralEntry(bytes, name) + 8);
    expect(() => load(bytes)).toThrow(/encrypted/);
  });

  it('a central directory that lies about its entries', () => {
    let bytes = good();
    const eocd64 = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
    bytes.writeBigUInt64LE(2n ** 40n, eocd64 + 32);
    expect(() => load(bytes)).toThrow(/entries cannot fit/);
    bytes = good();
    bytes.writeBigUInt64LE(2n ** 52n, eocd64 + 48);
    expect(() => load(bytes)).toThrow(/central directory .* is outside the file/);
    bytes = good();
    const second = centralEntry(bytes, 'dtypes/data/1');
    bytes.write('dtypes/data/0', second + 46, 'latin1');
    expect(() => load(bytes)).toThrow(/two entries named 'dtypes\/data\/0'/);
    bytes = good();
    const offsetOfData1 = bytes.readUInt32LE(centralEntry(bytes, 'dtypes/data/1') + 42);
    bytes.writeUInt32LE(offsetOfData1, centralEntry(bytes, 'dtypes/data/0') + 42);
    expect(() => load(bytes)).toThrow(/local header of 'dtypes\/data\/0' names another entry/);
  });

  it('archives that are not torch.save files', () => {
    const sink = new MemorySink();
    const zip = new ZipWriter(sink);
    zip.add('a/readme.txt', Buffer.from('hi'));
    zip.finish();
    expect(() => load(sink.toBuffer())).toThrow(/no a\/data\.pkl/);
    const flat = new MemorySink();
    const z2 = new ZipWriter(flat);
    z2.add('data.pkl', bytesOf(0x80, 2, 'N', '.'));
    z2.finish();
    expect(() => load(flat.toBuffer())).toThrow(/not in one folder/);
  });

  it('rejects arguments that are not files or bytes', () => {
    expect(() => load(42 as never)).toThrow(TorchTypeError);
    expect(() => load(join(dir, 'missing.pt'))).toThrow(/ENOENT/);
  });

  it('a tampered legacy header is refused', () => {
    const legacy = Buffer.from(readFileSync(fixture('legacy.pt')));
    legacy[6] ^= 0xff; // inside the magic number
    expect(() => load(legacy)).toThrow(/invalid magic number/);
  });

  it('leaves no partial file behind when saving fails', () => {
    const path = join(dir, 'partial.pt');
    writeFileSync(path, 'previous');
    expect(() => save({ bad: () => 0 }, path)).toThrow(TorchTypeError);
    expect(readFileSync(path, 'utf8')).toBe('previous'); // nothing written: the object is checked before the file is opened
  });
});

describe('tensorsIn helper sanity', () => {
  it('finds every tensor of a loaded checkpoint', () => {
    const v = load(fixture('checkpoint.pt'));
    const count = JSON.stringify(expected['checkpoint.pt']).split('"type":"tensor"').length - 1 + JSON.stringify(expected['checkpoint.pt']).split('"type":"storage"').length - 1;
    expect(tensorsIn(v).length).toBe(count);
    disposeAll(v);
  });
});
