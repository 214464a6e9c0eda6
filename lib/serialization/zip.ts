// The subset of ZIP that PyTorch's checkpoints use (caffe2/serialize/inline_container.cc):
// stored entries whose data starts on a 64-byte boundary (padding in an "FB" extra field),
// data descriptors after each entry, and a ZIP64 end of central directory. The reader also
// takes deflated entries and archives written by other tools (zip -r, Python's zipfile).
//
// Every number read from the file is checked against the file before it is used, so a
// damaged or hostile archive is a TorchError, never a read out of bounds or an allocation
// sized by a field nobody checked.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { TorchError } from '../errors.js';

/** A damaged, truncated or unsupported archive. */
export class ZipError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

// ---- CRC-32 --------------------------------------------------------------------------

let crcTable: Int32Array | undefined;

function crc32Fallback(data: Uint8Array, crc: number): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (ISO-HDLC, as in ZIP) of `data`, continuing from `crc`. Node's zlib.crc32 where it exists (Node >= 20.15). */
export function crc32(data: Uint8Array, crc = 0): number {
  return nativeCrc32 ? nativeCrc32(data, crc) >>> 0 : crc32Fallback(data, crc);
}

// ---- byte sources -------------------------------------------------------------------

/** Random access to the bytes of an archive: a file read piecewise, or a buffer in memory. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (the caller has checked the range). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new ZipError(`read of ${length} bytes at ${offset} is outside the ${this.size}-byte buffer`);
    return this.bytes.subarray(offset, offset + length);
  }
  close(): void {}
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | null;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }
  read(offset: number, length: number): Uint8Array {
    if (this.fd === null) throw new ZipError(`${this.path}: the file is already closed`);
    if (offset < 0 || length < 0 || offset + length > this.size) throw new ZipError(`${this.path}: read of ${length} bytes at ${offset} is outside the ${this.size}-byte file`);
    // A fresh ArrayBuffer (not Buffer's shared pool) so typed views over it are aligned.
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) throw new ZipError(`${this.path}: the file ended early (it changed while being read?)`);
      done += n;
    }
    return out;
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

// ---- reading ------------------------------------------------------------------------

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_DATA_DESCRIPTOR = 0x08074b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const EOCD_SIZE = 22;
const EOCD64_SIZE = 56;
const EOCD64_LOCATOR_SIZE = 20;
/** Deflate cannot expand data by more than about 1032:1; a larger declared ratio is a lie. */
const MAX_DEFLATE_RATIO = 1032;

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(dv: DataView, at: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`zip: ${what} (${v}) is larger than any file`);
  return Number(v);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** A ZIP archive opened for reading: the central directory is parsed and checked at once, entries are read on demand. */
export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  /** Where the central directory starts: no entry's data may reach past it. */
  private readonly dataEnd: number;

  constructor(readonly source: ByteSource, readonly label = 'archive') {
    const size = source.size;
    if (size < EOCD_SIZE) throw new ZipError(`${label}: not a zip archive (only ${size} bytes)`);
    // The end-of-central-directory record is within the last 22 + 65535 bytes (its comment is at most 65535).
    const tailLength = Math.min(size, EOCD_SIZE + 0xffff);
    const tailStart = size - tailLength;
    const tail = source.read(tailStart, tailLength);
    const tv = view(tail);
    let eocd = -1;
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + tv.getUint16(i + 20, true) <= tailLength) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipError(`${label}: the zip end-of-central-directory record is missing (file truncated?)`);
    const eocdOffset = tailStart + eocd;
    let entryCount = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    let cdLimit = eocdOffset;
    if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) throw new ZipError(`${label}: multi-disk zip archives are not supported`);

    // ZIP64: a locator right before the end record points at the 64-bit end record.
    if (eocdOffset >= EOCD64_LOCATOR_SIZE) {
      const loc = view(source.read(eocdOffset - EOCD64_LOCATOR_SIZE, EOCD64_LOCATOR_SIZE));
      if (loc.getUint32(0, true) === SIG_EOCD64_LOCATOR) {
        const eocd64Offset = u64(loc, 8, 'the ZIP64 end record offset');
        if (eocd64Offset + EOCD64_SIZE > eocdOffset - EOCD64_LOCATOR_SIZE) throw new ZipError(`${label}: the ZIP64 end record offset ${eocd64Offset} is outside the file`);
        const e64 = view(source.read(eocd64Offset, EOCD64_SIZE));
        if (e64.getUint32(0, true) !== SIG_EOCD64) throw new ZipError(`${label}: bad ZIP64 end record signature`);
        entryCount = u64(e64, 32, 'the ZIP64 entry count');
        cdSize = u64(e64, 40, 'the ZIP64 central directory size');
        cdOffset = u64(e64, 48, 'the ZIP64 central directory offset');
        cdLimit = eocd64Offset;
      }
    }
    if (cdOffset + cdSize > cdLimit) throw new ZipError(`${label}: the central directory (${cdSize} bytes at ${cdOffset}) is outside the file`);
    if (entryCount * CENTRAL_HEADER_SIZE > cdSize) throw new ZipError(`${label}: ${entryCount} entries cannot fit a ${cdSize}-byte central directory`);
    this.dataEnd = cdOffset;

    const cd = source.read(cdOffset, cdSize);
    const dv = view(cd);
    let p = 0;
    for (let i = 0; i < entryCount; i++) {
      if (p + CENTRAL_HEADER_SIZE > cdSize || dv.getUint32(p, true) !== SIG_CENTRAL) throw new ZipError(`${label}: central directory entry ${i} is damaged`);
      const flags = dv.getUint16(p + 8, true);
      const method = dv.getUint16(p + 10, true);
      const crc = dv.getUint32(p + 16, true);
      let compressedSize = dv.getUint32(p + 20, true);
      let uncompressedSize = dv.getUint32(p + 24, true);
      const nameLength = dv.getUint16(p + 28, true);
      const extraLength = dv.getUint16(p + 30, true);
      const commentLength = dv.getUint16(p + 32, true);
      let localHeaderOffset = dv.getUint32(p + 42, true);
      const nameStart = p + CENTRAL_HEADER_SIZE;
      const extraStart = nameStart + nameLength;
      const next = extraStart + extraLength + commentLength;
      if (next > cdSize) throw new ZipError(`${label}: central directory entry ${i} runs past the directory`);
      const nameBytes = cd.subarray(nameStart, extraStart);
      let name: string;
      try {
        name = flags & 0x800 ? utf8.decode(nameBytes) : latin1.decode(nameBytes);
      } catch {
        throw new ZipError(`${label}: entry ${i} has a name that is not valid UTF-8`);
      }
      // ZIP64 extended information: present for each field saturated at 0xFFFFFFFF, in this order.
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        let q = extraStart;
        const extraEnd = extraStart + extraLength;
        let found = false;
        while (q + 4 <= extraEnd) {
          const id = dv.getUint16(q, true);
          const len = dv.getUint16(q + 2, true);
          if (q + 4 + len > extraEnd) break;
          if (id === 0x0001) {
            let r = q + 4;
            const take = (what: string): number => {
              if (r + 8 > q + 4 + len) throw new ZipError(`${label}: entry '${name}' has a short ZIP64 extra field`);
              const v = u64(dv, r, what);
              r += 8;
              return v;
            };
            if (uncompressedSize === 0xffffffff) uncompressedSize = take(`the size of '${name}'`);
            if (compressedSize === 0xffffffff) compressedSize = take(`the compressed size of '${name}'`);
            if (localHeaderOffset === 0xffffffff) localHeaderOffset = take(`the offset of '${name}'`);
            found = true;
            break;
          }
          q += 4 + len;
        }
        if (!found) throw new ZipError(`${label}: entry '${name}' needs a ZIP64 extra field but has none`);
      }
      if (flags & 0x1) throw new ZipError(`${label}: entry '${name}' is encrypted`);
      if (method !== 0 && method !== 8) throw new ZipError(`${label}: entry '${name}' uses compression method ${method} (only stored and deflate are supported)`);
      if (method === 0 && compressedSize !== uncompressedSize) throw new ZipError(`${label}: stored entry '${name}' declares ${uncompressedSize} bytes but holds ${compressedSize}`);
      if (method === 8 && uncompressedSize > compressedSize * MAX_DEFLATE_RATIO + 1024) throw new ZipError(`${label}: entry '${name}' declares ${uncompressedSize} bytes from ${compressedSize} compressed bytes, more than deflate can produce`);
      if (localHeaderOffset + LOCAL_HEADER_SIZE + compressedSize > this.dataEnd) throw new ZipError(`${label}: entry '${name}' (${compressedSize} bytes at ${localHeaderOffset}) is outside the file's data`);
      if (this.entries.has(name)) throw new ZipError(`${label}: the archive has two entries named '${name}'`);
      this.entries.set(name, { name, method, compressedSize, size: uncompressedSize, crc32: crc, localHeaderOffset });
      p = next;
    }
  }

  /** Where an entry's data starts, from its local header (whose name must match the directory's). */
  private dataOffset(entry: ZipEntry): number {
    const header = this.source.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE);
    const hv = view(header);
    if (hv.getUint32(0, true) !== SIG_LOCAL) throw new ZipError(`${this.label}: the local header of '${entry.name}' is damaged`);
    const nameLength = hv.getUint16(26, true);
    const extraLength = hv.getUint16(28, true);
    const start = entry.localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
    if (start + entry.compressedSize > this.dataEnd) throw new ZipError(`${this.label}: the data of '${entry.name}' runs past the end of the entries`);
    const localName = this.source.read(entry.localHeaderOffset + LOCAL_HEADER_SIZE, nameLength);
    const expected = Buffer.from(entry.name, 'utf8');
    if (Buffer.compare(Buffer.from(localName.buffer, localName.byteOffset, localName.byteLength), expected) !== 0 && latin1.decode(localName) !== entry.name) {
      throw new ZipError(`${this.label}: the local header of '${entry.name}' names another entry`);
    }
    return start;
  }

  /**
   * Streams an entry's bytes to `onChunk` in pieces of at most `chunkSize` bytes (stored
   * entries are read piece by piece), then checks the CRC-32 of the whole entry: a caller
   * must not trust what it received until this returns.
   */
  readChunks(name: string, chunkSize: number, onChunk: (bytes: Uint8Array, offset: number) => void): void {
    const entry = this.entries.get(name);
    if (!entry) throw new ZipError(`${this.label}: no entry named '${name}'`);
    if (entry.method !== 0) {
      const data = this.read(name);
      for (let off = 0; off < data.length; off += chunkSize) onChunk(data.subarray(off, Math.min(data.length, off + chunkSize)), off);
      return;
    }
    const start = this.dataOffset(entry);
    let crc = 0;
    for (let off = 0; off < entry.size; off += chunkSize) {
      const chunk = this.source.read(start + off, Math.min(chunkSize, entry.size - off));
      crc = crc32(chunk, crc);
      onChunk(chunk, off);
    }
    if (crc !== entry.crc32) throw new ZipError(`${this.label}: entry '${name}' is corrupted (CRC-32 ${hex(crc)} but the archive says ${hex(entry.crc32)})`);
  }

  /** The bytes of an entry, decompressed and checked against its CRC-32. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new ZipError(`${this.label}: no entry named '${name}'`);
    const start = this.dataOffset(entry);
    const raw = this.source.read(start, entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else {
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (e) {
        throw new ZipError(`${this.label}: entry '${name}' cannot be decompressed (${(e as Error).message})`);
      }
      if (data.length !== entry.size) throw new ZipError(`${this.label}: entry '${name}' decompressed to ${data.length} bytes but declares ${entry.size}`);
    }
    const actual = crc32(data);
    if (actual !== entry.crc32) throw new ZipError(`${this.label}: entry '${name}' is corrupted (CRC-32 ${hex(actual)} but the archive says ${hex(entry.crc32)})`);
    return data;
  }

  close(): void {
    this.source.close();
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

// ---- writing ------------------------------------------------------------------------

/** Where the writer's bytes go: a file written in order, or chunks collected in memory. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  readonly position: number;
}

export class FileSink implements ByteSink {
  position = 0;
  constructor(private readonly fd: number) {}
  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.position += bytes.length;
  }
}

export class MemorySink implements ByteSink {
  position = 0;
  private readonly chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.position += bytes.length;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Data of records is aligned so that a reader can map tensors straight from the file. */
const ALIGNMENT = 64;
const U32_MAX = 0xffffffff;

interface WrittenEntry {
  nameBytes: Uint8Array;
  crc: number;
  size: number;
  offset: number;
  zip64: boolean;
  flags: number;
}

/**
 * Writes an archive the way PyTorch's PyTorchStreamWriter does (stored entries, 64-byte
 * aligned data, data descriptors, ZIP64 end records), so a file written here is
 * byte-for-byte the file torch.save writes for the same records.
 */
export class ZipWriter {
  private readonly written: WrittenEntry[] = [];
  private readonly names = new Set<string>();

  constructor(private readonly sink: ByteSink, private readonly options: { forceZip64?: boolean } = {}) {}

  /** Adds an entry holding `data`. */
  add(name: string, data: Uint8Array): void {
    this.addStreamed(name, data.length, [data]);
  }

  /**
   * Adds an entry of `size` bytes whose data comes from `chunks`, written as each is
   * produced (so an entry never has to be in memory at once: the CRC and sizes go in the
   * data descriptor after it).
   */
  addStreamed(name: string, size: number, chunks: Iterable<Uint8Array>): void {
    if (this.names.has(name)) throw new ZipError(`zip: duplicate entry '${name}'`);
    this.names.add(name);
    const nameBytes = new Uint8Array(Buffer.from(name, 'utf8'));
    const offset = this.sink.position;
    const zip64 = this.options.forceZip64 === true || size >= U32_MAX || offset >= U32_MAX;
    // ZIP64 extra in the local header: uncompressed and compressed size (zero: they follow in
    // the data descriptor), then the header's own offset when it does not fit 32 bits.
    const zip64Local = zip64 ? 4 + 16 + (offset >= U32_MAX || this.options.forceZip64 ? 8 : 0) : 0;
    const start = offset + LOCAL_HEADER_SIZE + nameBytes.length + zip64Local + 4;
    const padding = (ALIGNMENT - (start % ALIGNMENT)) % ALIGNMENT;
    const extraLength = zip64Local + 4 + padding;

    const header = new Uint8Array(LOCAL_HEADER_SIZE + nameBytes.length + extraLength);
    const hv = view(header);
    hv.setUint32(0, SIG_LOCAL, true);
    hv.setUint16(4, zip64 ? 45 : 0, true); // version needed to extract
    // UTF-8 names; CRC and sizes in a data descriptor after the data, except for empty entries (as miniz does)
    const flags = size === 0 ? 0x0800 : 0x0808;
    hv.setUint16(6, flags, true);
    // method 0 (stored), time and date 0, CRC and sizes 0 (they follow in the descriptor)
    if (zip64) {
      hv.setUint32(18, U32_MAX, true);
      hv.setUint32(22, U32_MAX, true);
    }
    hv.setUint16(26, nameBytes.length, true);
    hv.setUint16(28, extraLength, true);
    header.set(nameBytes, LOCAL_HEADER_SIZE);
    let q = LOCAL_HEADER_SIZE + nameBytes.length;
    if (zip64) {
      hv.setUint16(q, 0x0001, true);
      hv.setUint16(q + 2, zip64Local - 4, true);
      // sizes stay zero here; the offset (if present) is written for readers that want it
      if (zip64Local === 28) hv.setBigUint64(q + 20, BigInt(offset), true);
      q += zip64Local;
    }
    hv.setUint16(q, 0x4246, true); // 'FB': PyTorch's alignment padding
    hv.setUint16(q + 2, padding, true);
    header.fill(0x5a, q + 4, q + 4 + padding); // 'Z'
    this.sink.write(header);
    let crc = 0;
    let written = 0;
    for (const chunk of chunks) {
      crc = crc32(chunk, crc);
      written += chunk.length;
      if (chunk.length > 0) this.sink.write(chunk);
    }
    if (written !== size) throw new ZipError(`zip: entry '${name}' was announced as ${size} bytes but ${written} were written`);
    this.written.push({ nameBytes, crc, size, offset, zip64, flags });
    if (size === 0) return;

    const descriptor = new Uint8Array(zip64 ? 24 : 16);
    const dv = view(descriptor);
    dv.setUint32(0, SIG_DATA_DESCRIPTOR, true);
    dv.setUint32(4, crc, true);
    if (zip64) {
      dv.setBigUint64(8, BigInt(size), true);
      dv.setBigUint64(16, BigInt(size), true);
    } else {
      dv.setUint32(8, size, true);
      dv.setUint32(12, size, true);
    }
    this.sink.write(descriptor);
  }

  /** Writes the central directory and the end records. */
  finish(): void {
    const cdOffset = this.sink.position;
    for (const e of this.written) {
      const bigSize = e.zip64 && (e.size >= U32_MAX || this.options.forceZip64 === true);
      const bigOffset = e.zip64 && (e.offset >= U32_MAX || this.options.forceZip64 === true);
      const extraLength = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
      const record = new Uint8Array(CENTRAL_HEADER_SIZE + e.nameBytes.length + extraLength);
      const dv = view(record);
      dv.setUint32(0, SIG_CENTRAL, true);
      dv.setUint16(4, 0, true); // version made by
      dv.setUint16(6, extraLength > 0 ? 45 : 0, true);
      dv.setUint16(8, e.flags, true);
      dv.setUint32(16, e.crc, true);
      dv.setUint32(20, bigSize ? U32_MAX : e.size, true);
      dv.setUint32(24, bigSize ? U32_MAX : e.size, true);
      dv.setUint16(28, e.nameBytes.length, true);
      dv.setUint16(30, extraLength, true);
      dv.setUint32(42, bigOffset ? U32_MAX : e.offset, true);
      record.set(e.nameBytes, CENTRAL_HEADER_SIZE);
      if (extraLength > 0) {
        let q = CENTRAL_HEADER_SIZE + e.nameBytes.length;
        dv.setUint16(q, 0x0001, true);
        dv.setUint16(q + 2, extraLength - 4, true);
        q += 4;
        if (bigSize) {
          dv.setBigUint64(q, BigInt(e.size), true);
          dv.setBigUint64(q + 8, BigInt(e.size), true);
          q += 16;
        }
        if (bigOffset) dv.setBigUint64(q, BigInt(e.offset), true);
      }
      this.sink.write(record);
    }
    const cdSize = this.sink.position - cdOffset;
    const eocd64Offset = this.sink.position;
    const count = this.written.length;

    const end = new Uint8Array(EOCD64_SIZE + EOCD64_LOCATOR_SIZE + EOCD_SIZE);
    const dv = view(end);
    dv.setUint32(0, SIG_EOCD64, true);
    dv.setBigUint64(4, BigInt(EOCD64_SIZE - 12), true);
    dv.setUint16(12, 0x031e, true); // version made by (what PyTorch's miniz writes)
    dv.setUint16(14, 45, true);
    dv.setBigUint64(24, BigInt(count), true);
    dv.setBigUint64(32, BigInt(count), true);
    dv.setBigUint64(40, BigInt(cdSize), true);
    dv.setBigUint64(48, BigInt(cdOffset), true);
    let q = EOCD64_SIZE;
    dv.setUint32(q, SIG_EOCD64_LOCATOR, true);
    dv.setBigUint64(q + 8, BigInt(eocd64Offset), true);
    dv.setUint32(q + 16, 1, true);
    q += EOCD64_LOCATOR_SIZE;
    dv.setUint32(q, SIG_EOCD, true);
    dv.setUint16(q + 8, Math.min(count, 0xffff), true);
    dv.setUint16(q + 10, Math.min(count, 0xffff), true);
    dv.setUint32(q + 12, Math.min(cdSize, U32_MAX), true);
    dv.setUint32(q + 16, Math.min(cdOffset, U32_MAX), true);
    this.sink.write(end);
  }
}
