// safetensors (Hugging Face's format, python package `safetensors.torch`): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, and an
// optional "__metadata__": {string: string}}, then the data: every tensor's bytes, row-major,
// little-endian, back to back. The header is validated as the reference implementation
// does (and more: duplicate keys are refused) before any tensor is read; a file is read once,
// header first, then each tensor's bytes.
import { Device, type DeviceLike } from './device.js';
import { DType, bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, uint8 } from './dtype.js';
import { NotImplementedError, TorchError, TorchTypeError, ValueError, argumentError } from './errors.js';
import { Tensor } from './tensor.js';
import { checkDeviceSyntax, checkedDevice, tensorBytePieces, tensorFromBytes, tensorFromPieces, tensorToBytes } from './serialization/bytes.js';
import { BufferSource, FileSource, type ByteSource } from './serialization/zip.js';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** A safetensors file or header that does not follow the format. */
export class SafetensorError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorError';
  }
}

/** The reference implementation's limit on the header. */
const MAX_HEADER_SIZE = 100_000_000;
const MAX_JSON_DEPTH = 64;
const METADATA_KEY = '__metadata__';

/** safetensors dtypes in the reference's enum order (the order of alignment, used when writing). */
const DTYPE_ORDER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
const DTYPES: Record<string, DType> = {
  BOOL: bool, U8: uint8, I8: int8, I16: int16, I32: int32, I64: int64, F16: float16, BF16: bfloat16, F32: float32, F64: float64,
};
const NAMES = new Map<DType, string>(Object.entries(DTYPES).map(([name, d]) => [d, name]));
/** Known to safetensors but not to torch-node (or to PyTorch 1.13). */
const UNSUPPORTED = new Set(['U16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64', 'C128']);

// ---- a strict JSON parser: duplicate keys are errors, numbers stay text -------------------

type Json = null | boolean | string | JsonNumber | Json[] | Map<string, Json>;
class JsonNumber {
  constructor(readonly text: string) {}
}

function parseJson(text: string, where: string): Json {
  let pos = 0;
  const fail = (message: string): never => {
    throw new SafetensorError(`${where}: the header is not valid JSON: ${message} (at character ${pos})`);
  };
  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };
  const string = (): string => {
    pos++; // opening quote
    let out = '';
    let chunkStart = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(chunkStart, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        out += text.slice(chunkStart, pos);
        const e = text[pos + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          pos += 2;
        } else if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else fail('bad escape');
        chunkStart = pos;
        continue;
      }
      pos++;
    }
  };
  const value = (depth: number): Json => {
    if (depth > MAX_JSON_DEPTH) fail(`nested more than ${MAX_JSON_DEPTH} levels`);
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const map = new Map<string, Json>();
      ws();
      if (text[pos] === '}') {
        pos++;
        return map;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a key');
        const key = string();
        if (map.has(key)) throw new SafetensorError(`${where}: the header has the key ${JSON.stringify(key)} twice`);
        ws();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        map.set(key, value(depth + 1));
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return map;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const list: Json[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return list;
      }
      for (;;) {
        list.push(value(depth + 1));
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return list;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 400));
    if (!literal) fail('unexpected character');
    pos += literal![0].length;
    if (literal![0] === 'true') return true;
    if (literal![0] === 'false') return false;
    if (literal![0] === 'null') return null;
    return new JsonNumber(literal![0]);
  };
  const result = value(0);
  ws();
  if (pos !== text.length) fail('unexpected data after the header object');
  return result;
}

// ---- header -------------------------------------------------------------------------

/** One tensor's entry in a header: data offsets are relative to the start of the data. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

interface Header {
  /** In data order. */
  tensors: TensorInfo[];
  metadata: Record<string, string> | null;
  /** Where the data starts in the file: 8 + header length. */
  dataStart: number;
}

function usize(v: Json, what: string, where: string): number {
  if (!(v instanceof JsonNumber) || !/^(0|[1-9]\d*)$/.test(v.text)) throw new SafetensorError(`${where}: ${what} must be a non-negative integer`);
  const n = Number(v.text);
  if (!Number.isSafeInteger(n)) throw new SafetensorError(`${where}: ${what} ${v.text} is too large`);
  return n;
}

/** Reads and validates the header of a file of `fileSize` bytes. */
function readHeader(source: ByteSource, where: string): Header {
  if (source.size < 8) throw new SafetensorError(`${where}: the file is ${source.size} bytes, too small for a safetensors header`);
  const lengthBytes = source.read(0, 8);
  const n = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) throw new SafetensorError(`${where}: the header declares ${n} bytes, more than the ${MAX_HEADER_SIZE} allowed`);
  const headerLength = Number(n);
  if (8 + headerLength > source.size) throw new SafetensorError(`${where}: the header declares ${headerLength} bytes but the file has only ${source.size - 8} after its length`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(source.read(8, headerLength));
  } catch {
    throw new SafetensorError(`${where}: the header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new SafetensorError(`${where}: the header does not start with '{'`);
  const root = parseJson(text, where);
  if (!(root instanceof Map)) throw new SafetensorError(`${where}: the header is not a JSON object`);

  let metadata: Record<string, string> | null = null;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of root) {
    if (name === METADATA_KEY) {
      if (!(entry instanceof Map)) throw new SafetensorError(`${where}: ${METADATA_KEY} must be an object of strings`);
      metadata = {};
      for (const [k, v] of entry) {
        if (typeof v !== 'string') throw new SafetensorError(`${where}: ${METADATA_KEY}[${JSON.stringify(k)}] must be a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const at = `${where}: tensor ${JSON.stringify(name)}`;
    if (!(entry instanceof Map)) throw new SafetensorError(`${at} must be an object {dtype, shape, data_offsets}`);
    const dtypeName = entry.get('dtype');
    const shape = entry.get('shape');
    const offsets = entry.get('data_offsets');
    if (typeof dtypeName !== 'string') throw new SafetensorError(`${at} has no dtype string`);
    const dtype = DTYPES[dtypeName];
    if (!dtype) {
      if (UNSUPPORTED.has(dtypeName)) throw new NotImplementedError(`${at} has dtype ${dtypeName}, which torch-node does not support`);
      throw new SafetensorError(`${at} has an unknown dtype ${JSON.stringify(dtypeName)}`);
    }
    if (!Array.isArray(shape)) throw new SafetensorError(`${at} has no shape list`);
    const dims = shape.map((d, i) => usize(d, `shape[${i}]`, at));
    if (!Array.isArray(offsets) || offsets.length !== 2) throw new SafetensorError(`${at} must have data_offsets [begin, end]`);
    const begin = usize(offsets[0], 'data_offsets[0]', at);
    const end = usize(offsets[1], 'data_offsets[1]', at);
    tensors.push({ name, dtype, shape: dims, begin, end });
  }

  // The data must be exactly the tensors' byte ranges, back to back: no gaps, no overlaps.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const t of tensors) {
    const at = `${where}: tensor ${JSON.stringify(t.name)}`;
    if (t.end < t.begin) throw new SafetensorError(`${at} has data_offsets [${t.begin}, ${t.end}] that end before they begin`);
    if (t.begin !== expectedBegin) {
      throw new SafetensorError(`${at} starts at byte ${t.begin} of the data but the previous tensor ends at ${expectedBegin} (${t.begin < expectedBegin ? 'overlap' : 'gap'})`);
    }
    const bytes = t.shape.reduce((p, d) => p * BigInt(d), 1n) * BigInt(t.dtype.itemsize);
    if (bytes !== BigInt(t.end - t.begin)) throw new SafetensorError(`${at} has shape [${t.shape}] of ${t.dtype} (${bytes} bytes) but data_offsets [${t.begin}, ${t.end}] hold ${t.end - t.begin}`);
    expectedBegin = t.end;
  }
  const dataStart = 8 + headerLength;
  if (dataStart + expectedBegin !== source.size) {
    throw new SafetensorError(`${where}: the tensors cover ${expectedBegin} bytes of data but the file has ${source.size - dataStart} after the header`);
  }
  return { tensors, metadata, dataStart };
}

function byName(a: TensorInfo, b: TensorInfo): number {
  return Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8'));
}

function deviceOption(device: DeviceLike | undefined, where: string): string {
  if (device === undefined) return 'cpu';
  if (typeof device !== 'string' && !(device instanceof Device)) throw argumentError(where, 'device', "a device ('cpu', 'cuda:0') or a Device", device);
  checkDeviceSyntax(String(device), 'device', where);
  return String(device);
}

/** @internal Tensors larger than this are read in pieces of this size (a multiple of 8); tests make it small. */
export const _chunking = { chunkBytes: 64 * 1024 * 1024 };

function readTensor(source: ByteSource, header: Header, info: TensorInfo, device: string, where: string): Tensor {
  const target = checkedDevice(device, 'device', where);
  const start = header.dataStart + info.begin;
  const length = info.end - info.begin;
  if (length <= _chunking.chunkBytes) return tensorFromBytes(source.read(start, length), info.dtype, info.shape, { device: target });
  // one piece at a time: a large tensor is never held twice in memory
  const numel = length / info.dtype.itemsize;
  const flat = tensorFromPieces(info.dtype, numel, (accept) => {
    for (let off = 0; off < length; off += _chunking.chunkBytes) accept(source.read(start + off, Math.min(_chunking.chunkBytes, length - off)));
  });
  const shaped = flat.reshape(info.shape);
  flat.dispose();
  if (target === 'cpu') return shaped;
  const moved = shaped.to(target);
  shaped.dispose();
  return moved;
}

function readAll(source: ByteSource, device: string, where: string): Record<string, Tensor> {
  const header = readHeader(source, where);
  const out: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    // read in file order, return in name order (as Python's load_file does)
    const loaded = new Map<string, Tensor>();
    for (const info of header.tensors) {
      const t = readTensor(source, header, info, device, where);
      made.push(t);
      loaded.set(info.name, t);
    }
    for (const info of [...header.tensors].sort(byName)) {
      Object.defineProperty(out, info.name, { value: loaded.get(info.name), enumerable: true, writable: true, configurable: true });
    }
    return out;
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

/**
 * Loads every tensor of a safetensors file (Python: `safetensors.torch.load_file(filename, device='cpu')`).
 * The header is validated before any data is read; then each tensor's bytes are read once.
 *
 * Returns an object of name -> Tensor, in name order.
 *
 * Example: `const weights = load_file('model.safetensors'); weights['fc.weight']`
 */
export function load_file(filename: string, options: { device?: DeviceLike } = {}): Record<string, Tensor> {
  if (typeof filename !== 'string') throw argumentError('safetensors.load_file', 'filename', 'a file path', filename);
  const device = deviceOption(options.device, 'safetensors.load_file');
  const source = new FileSource(filename);
  try {
    return readAll(source, device, filename);
  } finally {
    source.close();
  }
}

/** Loads the tensors of safetensors bytes (Python: `safetensors.torch.load(data)`). */
export function load(data: Uint8Array | ArrayBuffer, options: { device?: DeviceLike } = {}): Record<string, Tensor> {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  if (!(bytes instanceof Uint8Array)) throw argumentError('safetensors.load', 'data', 'a Buffer, Uint8Array or ArrayBuffer', data);
  return readAll(new BufferSource(bytes), deviceOption(options.device, 'safetensors.load'), 'safetensors.load');
}

/**
 * A safetensors file opened for reading tensors one at a time (Python: `safe_open(filename, framework='pt', device='cpu')`).
 * Only the header is read when opening. Close it (or use `using`) when done.
 *
 * Example: `using f = safe_open('model.safetensors'); for (const k of f.keys()) f.get_tensor(k)`
 */
export class SafeOpen {
  private readonly source: FileSource;
  private readonly header: Header;
  private readonly byNameMap = new Map<string, TensorInfo>();
  private readonly device: string;

  constructor(readonly filename: string, options: { framework?: string; device?: DeviceLike } = {}) {
    if (options.framework !== undefined && options.framework !== 'pt') throw new ValueError(`safe_open: framework '${options.framework}' is not supported (only 'pt')`);
    this.device = deviceOption(options.device, 'safe_open');
    this.source = new FileSource(filename);
    try {
      this.header = readHeader(this.source, filename);
    } catch (e) {
      this.source.close();
      throw e;
    }
    for (const info of this.header.tensors) this.byNameMap.set(info.name, info);
  }
  /** The tensor names, sorted. */
  keys(): string[] {
    return [...this.header.tensors].sort(byName).map((t) => t.name);
  }
  /** The header's `__metadata__`, or null. */
  metadata(): Record<string, string> | null {
    return this.header.metadata ? { ...this.header.metadata } : null;
  }
  get_tensor(name: string): Tensor {
    const info = this.byNameMap.get(name);
    if (!info) throw new SafetensorError(`${this.filename}: no tensor named ${JSON.stringify(name)}`);
    return readTensor(this.source, this.header, info, this.device, this.filename);
  }
  close(): void {
    this.source.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Opens a safetensors file: see SafeOpen. */
export function safe_open(filename: string, options: { framework?: string; device?: DeviceLike } = {}): SafeOpen {
  return new SafeOpen(filename, options);
}

// ---- writing ------------------------------------------------------------------------

type TensorDict = Record<string, Tensor> | Map<string, Tensor>;

interface Prepared {
  header: Uint8Array;
  tensors: { name: string; tensor: Tensor }[];
}

/** Validates like safetensors.torch._flatten and lays out the header (sorted by alignment, then name). */
function prepare(tensors: TensorDict, metadata: Record<string, string> | null | undefined, where: string): Prepared {
  if (tensors === null || typeof tensors !== 'object') throw argumentError(where, 'tensors', 'an object or Map of name -> Tensor', tensors);
  const entries: [string, unknown][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const list: { name: string; tensor: Tensor; dtypeName: string }[] = [];
  for (const [name, tensor] of entries) {
    if (typeof name !== 'string') throw new TorchTypeError(`${where}: tensor names must be strings, got ${typeof name}`);
    if (name === METADATA_KEY) throw new ValueError(`${where}: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    if (!(tensor instanceof Tensor)) throw new TorchTypeError(`${where}: Key \`${name}\` is invalid, expected a Tensor but received ${tensor === null ? 'null' : typeof tensor === 'object' ? tensor.constructor?.name : typeof tensor}`);
    const dtypeName = NAMES.get(tensor.dtype);
    if (!dtypeName) throw new NotImplementedError(`${where}: tensors of ${tensor.dtype} cannot be saved`);
    if (!tensor.is_contiguous()) {
      throw new ValueError(
        `${where}: You are trying to save a non contiguous tensor: \`${name}\` which is not allowed. It either means you are trying to save tensors which are reference of each other in which case it's recommended to save only the full tensors, and reslice at load time, or simply call \`.contiguous()\` on your tensor to pack it before saving.`,
      );
    }
    list.push({ name, tensor, dtypeName });
  }
  // Tensors sharing memory would be written twice and come back unshared: refused like Python's.
  const byAddress = new Map<string, string[]>();
  for (const { name, tensor } of list) {
    if (tensor.numel() === 0) continue;
    const base = tensor.data_ptr() - BigInt(tensor.storage_offset() * tensor.element_size());
    const key = `${tensor.device}@${base}`;
    byAddress.set(key, [...(byAddress.get(key) ?? []), name]);
  }
  const shared = [...byAddress.values()].filter((names) => names.length > 1);
  if (shared.length > 0) {
    throw new TorchError(
      `${where}: Some tensors share memory, this will lead to duplicate memory on disk and potential differences when loading them again: ${JSON.stringify(shared)}. Save clones of them (t.clone()) instead.`,
    );
  }
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw argumentError(where, 'metadata', 'an object of string -> string', metadata);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TorchTypeError(`${where}: metadata values must be strings, but metadata[${JSON.stringify(k)}] is ${typeof v}`);
    }
  }
  list.sort((a, b) => DTYPE_ORDER.indexOf(b.dtypeName) - DTYPE_ORDER.indexOf(a.dtypeName) || Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8')));

  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const { name, tensor, dtypeName } of list) {
    const size = tensor.numel() * tensor.element_size();
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtypeName}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + size}]}`);
    offset += size;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8; // data aligned to 8 bytes, padded with spaces
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, tensors: list.map(({ name, tensor }) => ({ name, tensor })) };
}

/**
 * Serializes tensors to safetensors bytes (Python: `safetensors.torch.save(tensors, metadata=None)`).
 * Tensors must be contiguous and must not share memory; metadata is a string -> string map.
 */
export function save(tensors: TensorDict, metadata?: Record<string, string> | null): Buffer {
  const { header, tensors: list } = prepare(tensors, metadata, 'safetensors.save');
  return Buffer.concat([header, ...list.map(({ tensor }) => tensorToBytes(tensor))]);
}

/**
 * Writes tensors to a safetensors file (Python: `safetensors.torch.save_file(tensors, filename, metadata=None)`),
 * a piece at a time (the file is never assembled in memory).
 *
 * Example: `save_file({ weight: w, bias: b }, 'model.safetensors', { format: 'pt' })`
 */
export function save_file(tensors: TensorDict, filename: string, metadata?: Record<string, string> | null): void {
  if (typeof filename !== 'string') throw argumentError('safetensors.save_file', 'filename', 'a file path', filename);
  const { header, tensors: list } = prepare(tensors, metadata, 'safetensors.save_file');
  const fd = openSync(filename, 'w');
  const write = (bytes: Uint8Array) => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  };
  try {
    write(header);
    for (const { tensor } of list) for (const piece of tensorBytePieces(tensor, _chunking.chunkBytes)) write(piece);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(filename);
    } catch {
      // keep the original error
    }
    throw e;
  }
  closeSync(fd);
}
