// torch.save / torch.load (torch/serialization.py): PyTorch's checkpoint format, a zip
// archive holding a pickle (data.pkl) and one record per storage (data/<key>). Files are
// interchangeable with Python's torch.save / torch.load, and loading is weights-only by
// construction: the unpickler can only rebuild tensors, Parameters and plain containers.
//
// JS <-> Python values (see pickle.ts and pickler.ts for the full table):
//   dict -> plain object (a Map when some key is not a string), OrderedDict -> OrderedDict
//   (a Map subclass, with `_metadata` for state_dicts), list -> Array, tuple -> frozen Array,
//   int -> number (bigint beyond 2^53), Parameter -> Tensor with requires_grad (see parameter.ts).
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { endianness } from 'node:os';
import { Device, type DeviceLike } from '../device.js';
import { checkDeviceSyntax, checkedDevice, tensorFromBytes, tensorFromPieces, tensorToBytes } from './bytes.js';
import { DType, Layout, bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, uint8 } from '../dtype.js';
import { NotImplementedError, TorchError, ValueError, argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import { isParameter } from './parameter.js';
import { PyDict, UnpicklingError, finalize, typeName, unpickle, type UnpicklerPolicy } from './pickle.js';
import { pickle, type StorageReference } from './pickler.js';
import { LoadedStorage, StorageType, WeightsOnlyPolicy, type StorageLoader } from './weights_only.js';
import { BufferSource, FileSink, FileSource, MemorySink, ZipReader, ZipWriter, type ByteSource } from './zip.js';

export { OrderedDict } from './collections.js';
export { UnpicklingError } from './pickle.js';
export { ZipError } from './zip.js';
export { isParameter } from './parameter.js';
export { allowedGlobals } from './weights_only.js';

/** Where loaded storages go: a device for all, or a map from saved location to device ('cuda:0' -> 'cpu'). */
export type MapLocation = DeviceLike | Record<string, string> | Map<string, string>;

export interface LoadOptions {
  /** Python's map_location: 'cpu', a device, or {saved_location: device}. Default: where each storage was saved. */
  map_location?: MapLocation;
}

export interface SaveOptions {
  /** @internal Writes ZIP64 records even for small files (tests of the large-file path). */
  _forceZip64?: boolean;
}

/** The magic number that starts a legacy (pre-1.6) torch.save file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;
const FORMAT_VERSION = '3\n';
/** @internal Storages are read and written in pieces of `chunkBytes` (a multiple of 8); tests make it small. */
export const _chunking = { chunkBytes: 64 * 1024 * 1024 };

const STORAGE_NAMES = new Map<DType, string>([
  [float32, 'FloatStorage'], [float64, 'DoubleStorage'], [float16, 'HalfStorage'], [bfloat16, 'BFloat16Storage'],
  [int64, 'LongStorage'], [int32, 'IntStorage'], [int16, 'ShortStorage'], [int8, 'CharStorage'], [uint8, 'ByteStorage'],
  [bool, 'BoolStorage'],
]);

function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new NotImplementedError('torch.save/torch.load: big-endian machines are not supported');
}

// ---- load ---------------------------------------------------------------------------

function restoreLocationFor(mapLocation: MapLocation | undefined): (location: string) => string {
  if (mapLocation === undefined || mapLocation === null) return (location) => location;
  if (typeof mapLocation === 'string' || mapLocation instanceof Device) {
    const target = String(mapLocation);
    checkDeviceSyntax(target, 'map_location', 'torch.load');
    return () => target;
  }
  if (mapLocation instanceof Map) return (location) => mapLocation.get(location) ?? location;
  if (typeof mapLocation === 'object') {
    const table = mapLocation as Record<string, string>;
    return (location) => (Object.prototype.hasOwnProperty.call(table, location) ? table[location] : location);
  }
  throw argumentError('torch.load', 'map_location', "a device ('cpu'), a Device, or a {saved_location: device} object or Map", mapLocation);
}

/** Refuses every global: the small pickles around a legacy file's main one hold plain data only. */
function plainDataPolicy(label: string): UnpicklerPolicy {
  const refuse = (): never => {
    throw new UnpicklingError(`${label}: the legacy file header holds something other than plain data`);
  };
  return { findClass: refuse, persistentLoad: refuse, reduce: refuse, newObject: refuse, build: refuse };
}

interface LoadContext {
  label: string;
  restoreLocation: (location: string) => string;
  /** Every tensor made so far, freed if loading fails. */
  created: Tensor[];
}

/**
 * The JS value of the unpickled object; storages saved on their own become 1-D tensors.
 * Every tensor made while loading that the result does not hold (whole-storage tensors,
 * the data of Parameters) is freed.
 */
function finish(value: unknown, ctx: LoadContext): unknown {
  const reached = new Set<Tensor>();
  const result = finalize(value, (leaf) => {
    if (leaf instanceof Tensor) {
      reached.add(leaf);
      return leaf;
    }
    if (leaf instanceof DType || leaf instanceof Layout) return leaf;
    if (leaf instanceof LoadedStorage && leaf.tensor) {
      reached.add(leaf.tensor);
      return leaf.tensor;
    }
    throw new UnpicklingError(`${ctx.label}: the checkpoint holds ${leaf instanceof StorageType ? leaf.fullName : typeName(leaf)} as a value, which torch-node cannot represent`);
  });
  for (const t of ctx.created) if (!reached.has(t)) t.dispose();
  return result;
}

function loadZip(source: ByteSource, ctx: LoadContext): unknown {
  const zip = new ZipReader(source, ctx.label);
  const names = [...zip.entries.keys()];
  const slash = names.length > 0 ? names[0].indexOf('/') : -1;
  if (slash <= 0) throw new TorchError(`${ctx.label}: not a torch.save file (a zip archive whose entries are not in one folder)`);
  const prefix = names[0].slice(0, slash + 1);
  if (zip.entries.has(`${prefix}constants.pkl`)) {
    throw new NotImplementedError(`${ctx.label}: this is a TorchScript archive (torch.jit.save); torch-node cannot load TorchScript modules, only torch.save files`);
  }
  if (!zip.entries.has(`${prefix}data.pkl`)) throw new TorchError(`${ctx.label}: not a torch.save file (the archive has no ${prefix}data.pkl)`);
  let bigEndian = false;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`));
    if (order !== 'little' && order !== 'big') throw new TorchError(`${ctx.label}: unknown byte order '${order.slice(0, 20)}'`);
    bigEndian = order === 'big';
  }

  const loaded = new Map<string, LoadedStorage>();
  const loadStorage: StorageLoader = (type, key, location, numel, view) => {
    if (view !== null) throw new UnpicklingError(`${ctx.label}: storage views exist only in the legacy format`);
    const cached = loaded.get(key);
    if (cached) return cached;
    const dtype = type.dtype!;
    const device = checkedDevice(ctx.restoreLocation(location), 'storage location', ctx.label);
    const name = `${prefix}data/${key}`;
    const entry = zip.entries.get(name);
    if (!entry) throw new TorchError(`${ctx.label}: the archive has no record ${name} for a storage it uses`);
    if (numel > entry.size / dtype.itemsize) {
      throw new TorchError(`${ctx.label}: storage '${key}' declares ${numel} ${dtype.name} elements but its record ${name} holds only ${entry.size} bytes`);
    }
    const tensor = readStorage(zip, name, dtype, numel, bigEndian, device, ctx);
    const storage = new LoadedStorage(dtype, numel, tensor);
    loaded.set(key, storage);
    return storage;
  };
  const data = zip.read(`${prefix}data.pkl`);
  const policy = new WeightsOnlyPolicy(loadStorage, ctx.created, ctx.label);
  const { value, end } = unpickle(data, policy, 0, `${ctx.label}: data.pkl`);
  if (end !== data.length) throw new UnpicklingError(`${ctx.label}: data.pkl has ${data.length - end} bytes after its end`);
  return finish(value, ctx);
}

/**
 * A storage record as a 1-D tensor of `numel` elements (the record may be longer). Large
 * records are read and copied in pieces, so no more than one piece is held in JS memory.
 */
function readStorage(zip: ZipReader, name: string, dtype: DType, numel: number, bigEndian: boolean, device: string, ctx: LoadContext): Tensor {
  const nbytes = numel * dtype.itemsize;
  const entry = zip.entries.get(name)!;
  if (entry.size <= _chunking.chunkBytes) {
    const tensor = tensorFromBytes(zip.read(name).subarray(0, nbytes), dtype, [numel], { bigEndian, device });
    ctx.created.push(tensor);
    return tensor;
  }
  const cpu = tensorFromPieces(dtype, numel, (accept) => zip.readChunks(name, _chunking.chunkBytes, accept), { bigEndian });
  ctx.created.push(cpu);
  if (device === 'cpu') return cpu;
  const moved = cpu.to(device);
  ctx.created.push(moved);
  return moved;
}

function legacyInt64(bytes: Uint8Array, at: number, label: string): number {
  if (at + 8 > bytes.length) throw new TorchError(`${label}: the legacy file is truncated in its storage data`);
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigInt64(0, true);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TorchError(`${label}: a storage declares ${v} elements`);
  return Number(v);
}

/** The pre-1.6 format: five pickles in a row (magic, version, sys_info, the object, storage keys), then each storage's size and bytes. */
function loadLegacy(bytes: Uint8Array, ctx: LoadContext): unknown {
  const label = ctx.label;
  const plain = plainDataPolicy(label);
  const magic = unpickle(bytes, plain, 0, label);
  if (magic.value !== LEGACY_MAGIC) throw new TorchError(`${label}: invalid magic number; corrupt file?`);
  const protocol = unpickle(bytes, plain, magic.end, label);
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) throw new TorchError(`${label}: invalid protocol version: ${String(protocol.value)}`);
  const sysInfo = unpickle(bytes, plain, protocol.end, label);
  if (!(sysInfo.value instanceof PyDict)) throw new TorchError(`${label}: the legacy header has no sys_info dict`);
  if (sysInfo.value.map.get('little_endian') === false) throw new NotImplementedError(`${label}: big-endian legacy files are not supported`);
  const objectStart = sysInfo.end;

  // First pass: which storages the object uses (key -> dtype and size), and where its pickle ends.
  const declared = new Map<string, { type: StorageType; numel: number; location: string }>();
  const scan: StorageLoader = (type, key, location, numel, view) => {
    const previous = declared.get(key);
    if (previous && (previous.type.dtype !== type.dtype || previous.numel !== numel)) throw new TorchError(`${label}: storage '${key}' is declared twice with different types or sizes`);
    declared.set(key, { type, numel, location });
    const viewSize = view ? view[2] : numel;
    return new LoadedStorage(type.dtype!, typeof viewSize === 'number' ? viewSize : 0, null);
  };
  const scanned = unpickle(bytes, new WeightsOnlyPolicy(scan, [], label, true), objectStart, label);
  const keys = unpickle(bytes, plain, scanned.end, label);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new TorchError(`${label}: the legacy storage key list is damaged`);

  const roots = new Map<string, LoadedStorage>();
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const info = declared.get(key);
    if (!info) throw new TorchError(`${label}: storage '${key}' has data but is not used`);
    if (roots.has(key)) throw new TorchError(`${label}: storage '${key}' is stored twice`);
    const dtype = info.type.dtype!;
    const numel = legacyInt64(bytes, pos, label);
    pos += 8;
    if (numel !== info.numel) throw new TorchError(`${label}: storage '${key}' has ${numel} elements but ${info.numel} are declared`);
    if (numel > (bytes.length - pos) / dtype.itemsize) throw new TorchError(`${label}: the legacy file is truncated in storage '${key}'`);
    const device = checkedDevice(ctx.restoreLocation(info.location), 'storage location', label);
    const tensor = tensorFromBytes(bytes.subarray(pos, pos + numel * dtype.itemsize), dtype, [numel], { device });
    pos += numel * dtype.itemsize;
    ctx.created.push(tensor);
    roots.set(key, new LoadedStorage(dtype, numel, tensor));
  }

  const views = new Map<string, LoadedStorage>();
  const load: StorageLoader = (_type, key, _location, _numel, view) => {
    const root = roots.get(key);
    if (!root) throw new TorchError(`${label}: storage '${key}' has no data in the file`);
    if (view === null) return root;
    const [viewKey, offset, size] = view;
    if (typeof offset !== 'number' || typeof size !== 'number' || offset < 0 || size < 0 || offset + size > root.numel) {
      throw new TorchError(`${label}: a view of storage '${key}' is outside it`);
    }
    const cacheKey = String(viewKey);
    let storage = views.get(cacheKey);
    if (!storage) {
      const tensor = root.tensor!.narrow(0, offset, size);
      ctx.created.push(tensor);
      storage = new LoadedStorage(root.dtype, size, tensor);
      views.set(cacheKey, storage);
    }
    return storage;
  };
  const { value } = unpickle(bytes, new WeightsOnlyPolicy(load, ctx.created, label), objectStart, label);
  return finish(value, ctx);
}

/**
 * Loads an object saved with torch.save, in Python or here (Python: `torch.load(f, map_location=None, weights_only=True)`).
 * Loading is always weights-only: tensors, Parameters, dtypes and plain containers are
 * rebuilt; any other class or function named in the file is refused with an UnpicklingError
 * naming it, and no code from the file ever runs. Views that shared a storage when saved
 * share memory again. Reads the zip format (PyTorch >= 1.6) and the legacy format.
 *
 * Args:
 *   f: a file path, or the file's bytes (Buffer, Uint8Array or ArrayBuffer).
 *   options.map_location: 'cpu', a device, or {saved_location: device}.
 *
 * Returns Python dicts as plain objects (a Map when some key is not a string), OrderedDicts
 * (state_dicts) as OrderedDict (a Map), lists as arrays, tuples as frozen arrays, and ints
 * as numbers (bigints beyond 2^53).
 *
 * Example: `const sd = torch.load('model.pt', { map_location: 'cpu' }); sd.get('fc.weight')`
 */
export function load(f: string | Uint8Array | ArrayBuffer, options: LoadOptions = {}): any {
  assertLittleEndianHost();
  if (typeof options !== 'object' || options === null) throw argumentError('torch.load', 'options', 'an options object', options);
  const restoreLocation = restoreLocationFor(options.map_location);
  let source: ByteSource;
  let label: string;
  if (typeof f === 'string') {
    source = new FileSource(f);
    label = f;
  } else if (f instanceof Uint8Array) {
    source = new BufferSource(f);
    label = 'torch.load';
  } else if (f instanceof ArrayBuffer) {
    source = new BufferSource(new Uint8Array(f));
    label = 'torch.load';
  } else {
    throw argumentError('torch.load', 'f', 'a file path, Buffer, Uint8Array or ArrayBuffer', f);
  }
  const ctx: LoadContext = { label, restoreLocation, created: [] };
  try {
    if (source.size === 0) throw new TorchError(`${label}: the file is empty`);
    const head = source.read(0, Math.min(source.size, 512));
    if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return loadZip(source, ctx);
    if (head[0] === 0x80) return loadLegacy(source.read(0, source.size), ctx);
    if (head.length >= 262 && new TextDecoder('latin1').decode(head.subarray(257, 262)) === 'ustar') {
      throw new NotImplementedError(`${label}: the tar-based checkpoint format of PyTorch < 0.4 is not supported; re-save it with a recent PyTorch`);
    }
    const magic = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new TorchError(`${label}: not a PyTorch checkpoint (it starts with bytes ${magic}, neither a zip archive nor a pickle)`);
  } catch (e) {
    for (const t of ctx.created) t.dispose();
    throw e;
  } finally {
    source.close();
  }
}

// ---- save ---------------------------------------------------------------------------

interface StorageGroup {
  key: string;
  dtype: DType;
  device: string;
  /** First and one-past-last element used by the tensors saved from this storage. */
  start: number;
  end: number;
  member: Tensor | null;
}

function extentOf(t: Tensor): number {
  const size = t.shape;
  const stride = t.stride();
  let last = 0;
  for (let i = 0; i < size.length; i++) last += (size[i] - 1) * stride[i];
  return last + 1;
}

/**
 * Groups the saved tensors by the storage they view. Two tensors share a storage when the
 * address of element 0 of their storage is the same; each storage is written once, trimmed
 * to the elements its saved tensors use, so views still share memory after loading.
 */
class StoragePlanner {
  readonly groups: StorageGroup[] = [];
  private readonly byAddress = new Map<string, StorageGroup>();
  private readonly placement = new Map<Tensor, { group: StorageGroup; offset: number }>();

  add(t: Tensor): void {
    if (this.placement.has(t)) return;
    const dtype = t.dtype;
    if (!STORAGE_NAMES.has(dtype)) throw new NotImplementedError(`torch.save: tensors of ${dtype} cannot be saved`);
    const device = t.device.toString();
    const offset = t.storage_offset();
    if (t.numel() === 0) {
      const group = this.newGroup(dtype, device, 0, 0, null);
      this.placement.set(t, { group, offset: 0 });
      return;
    }
    const base = t.data_ptr() - BigInt(offset * dtype.itemsize);
    const address = `${device}@${base}`;
    const end = offset + extentOf(t);
    let group = this.byAddress.get(address);
    if (group) {
      if (group.dtype !== dtype) throw new ValueError('Cannot save multiple tensors or storages that view the same data as different types');
      group.start = Math.min(group.start, offset);
      group.end = Math.max(group.end, end);
    } else {
      group = this.newGroup(dtype, device, offset, end, t);
      this.byAddress.set(address, group);
    }
    this.placement.set(t, { group, offset });
  }

  private newGroup(dtype: DType, device: string, start: number, end: number, member: Tensor | null): StorageGroup {
    const group: StorageGroup = { key: String(this.groups.length), dtype, device, start, end, member };
    this.groups.push(group);
    return group;
  }

  reference(t: Tensor): StorageReference {
    const placed = this.placement.get(t);
    if (!placed) throw new TorchError('torch.save: internal error: a tensor was not planned');
    const { group, offset } = placed;
    return { storageType: STORAGE_NAMES.get(group.dtype)!, key: group.key, location: group.device, numel: group.end - group.start, offset: offset - group.start };
  }

  byteLength(group: StorageGroup): number {
    return (group.end - group.start) * group.dtype.itemsize;
  }

  /** The little-endian bytes of a storage's used elements, a piece at a time. */
  *chunks(group: StorageGroup): Generator<Uint8Array> {
    const member = group.member;
    if (!member) return;
    const perChunk = Math.max(1, Math.floor(_chunking.chunkBytes / group.dtype.itemsize));
    for (let start = group.start; start < group.end; start += perChunk) {
      const n = Math.min(perChunk, group.end - start);
      yield torch.tidy(() => tensorToBytes(member.detach().as_strided([n], [1], start)));
    }
  }
}

/** The archive's folder name, as PyTorch derives it from the file name ('model.pt' -> 'model'). */
function archiveName(path: string | undefined): string {
  if (path === undefined) return 'archive';
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem.length > 0 ? stem : 'archive';
}

/**
 * Saves an object to a file in PyTorch's format (Python: `torch.save(obj, f)`); Python's
 * `torch.load(f, weights_only=True)` reads it back to the same values and structure.
 * Without `f`, returns the file's bytes. Tensors that view one storage are saved sharing it;
 * each storage is trimmed to the elements the saved tensors use.
 *
 * Saves: tensors (Parameters as torch.nn.Parameter), numbers (integers as int), bigints,
 * strings, booleans, null, arrays (list), frozen arrays (tuple), plain objects and Maps
 * (dict), OrderedDict (a state_dict, with its `_metadata`), Sets, Uint8Arrays (bytes) and dtypes.
 * Note: PyTorch 1.13's weights-only loader cannot read floats or bytes (its own torch.save
 * writes them with opcodes it does not know); newer PyTorch and plain torch.load can.
 *
 * Example: `torch.save(model.state_dict(), 'model.pt')`
 */
export function save(obj: unknown, f?: undefined, options?: SaveOptions): Buffer;
export function save(obj: unknown, f: string, options?: SaveOptions): void;
export function save(obj: unknown, f?: string, options: SaveOptions = {}): Buffer | void {
  assertLittleEndianHost();
  if (f !== undefined && typeof f !== 'string') throw argumentError('torch.save', 'f', 'a file path (or nothing, to get the bytes)', f);
  const planner = new StoragePlanner();
  // First pass finds every tensor (in pickling order) so each storage's extent is known
  // before the second pass writes offsets into it.
  pickle(obj, {
    storageOf: (t) => {
      planner.add(t);
      return { storageType: 'FloatStorage', key: '', location: '', numel: 0, offset: 0 };
    },
    isParameter,
  });
  const data = pickle(obj, { storageOf: (t) => planner.reference(t), isParameter });
  const prefix = archiveName(f);
  const write = (writer: ZipWriter) => {
    writer.add(`${prefix}/data.pkl`, data);
    const sorted = [...planner.groups].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); // PyTorch sorts keys as strings
    for (const group of sorted) writer.addStreamed(`${prefix}/data/${group.key}`, planner.byteLength(group), planner.chunks(group));
    writer.add(`${prefix}/version`, new TextEncoder().encode(FORMAT_VERSION));
    writer.finish();
  };
  if (f === undefined) {
    const sink = new MemorySink();
    write(new ZipWriter(sink, { forceZip64: options._forceZip64 }));
    return sink.toBuffer();
  }
  const fd = openSync(f, 'w');
  try {
    write(new ZipWriter(new FileSink(fd), { forceZip64: options._forceZip64 }));
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(f);
    } catch {
      // the partial file could not be removed; the original error matters more
    }
    throw e;
  }
  closeSync(fd);
}
