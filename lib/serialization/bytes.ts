// Tensors from raw little-endian bytes and back, and the device checks of torch.load;
// shared by torch.save/torch.load and safetensors.
import * as cuda from '../cuda.js';
import { Device } from '../device.js';
import { DType, bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, uint8 } from '../dtype.js';
import { NotImplementedError, TorchError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';

function parseDevice(location: string, what: string, where: string): Device {
  try {
    return new Device(location);
  } catch {
    throw new TorchError(`${where}: ${what} '${location}' is not a device (expected e.g. 'cpu' or 'cuda:0')`);
  }
}

/**
 * The device string to put loaded data on, checked like Python's default_restore_location:
 * 'cuda' needs CUDA, other devices than cpu, cuda and meta are refused.
 */
export function checkedDevice(location: string, what: string, where: string): string {
  const device = parseDevice(location, what, where);
  if (device.type === 'cpu' || device.type === 'meta') return device.toString();
  if (device.type === 'cuda') {
    if (!cuda.is_available()) {
      throw new TorchError(
        "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use torch.load with map_location='cpu' to map your storages to the CPU.",
      );
    }
    const count = cuda.device_count();
    if ((device.index ?? 0) >= count) {
      throw new TorchError(`Attempting to deserialize object on CUDA device ${device.index} but torch.cuda.device_count() is ${count}. Please use torch.load with map_location to map your storages to an existing device.`);
    }
    return device.toString();
  }
  throw new NotImplementedError(`${where}: data cannot be placed on '${location}' by torch-node (use 'cpu')`);
}

/** Only checks that `location` is a device string (for options given before anything is loaded). */
export function checkDeviceSyntax(location: string, what: string, where: string): void {
  parseDevice(location, what, where);
}

/**
 * A tensor of `shape` holding `bytes` (little-endian, row-major), copied; `bytes` is not
 * kept. bool bytes other than 0 and 1 read as true.
 */
export function tensorFromBytes(bytes: Uint8Array, dtype: DType, shape: number[], options: { bigEndian?: boolean; device?: string } = {}): Tensor {
  const itemsize = dtype.itemsize;
  const numel = bytes.length / itemsize;
  let data = bytes;
  if (options.bigEndian && itemsize > 1) {
    data = new Uint8Array(bytes);
    for (let i = 0; i < data.length; i += itemsize) data.subarray(i, i + itemsize).reverse();
  } else if (data.byteOffset % itemsize !== 0) {
    data = new Uint8Array(bytes); // typed views must be aligned
  }
  const { buffer, byteOffset } = data;
  let typed: ArrayBufferView;
  let reinterpret = false;
  switch (dtype) {
    case float32: typed = new Float32Array(buffer, byteOffset, numel); break;
    case float64: typed = new Float64Array(buffer, byteOffset, numel); break;
    case int64: typed = new BigInt64Array(buffer, byteOffset, numel); break;
    case int32: typed = new Int32Array(buffer, byteOffset, numel); break;
    case int16: typed = new Int16Array(buffer, byteOffset, numel); break;
    case int8: typed = new Int8Array(buffer, byteOffset, numel); break;
    case uint8: case bool: typed = new Uint8Array(buffer, byteOffset, numel); break;
    case float16: case bfloat16:
      typed = new Int16Array(buffer, byteOffset, numel);
      reinterpret = true;
      break;
    default:
      throw new NotImplementedError(`tensors of ${dtype} cannot be read from bytes`);
  }
  let t = torch.from_typed_array(typed, shape, { dtype: reinterpret ? int16 : dtype });
  if (reinterpret) {
    const viewed = t.view(dtype);
    t.dispose();
    t = viewed;
  }
  const device = options.device ?? 'cpu';
  if (device !== 'cpu') {
    const moved = t.to(device);
    t.dispose();
    t = moved;
  }
  return t;
}

/**
 * A 1-D tensor of `numel` elements filled from consecutive pieces of little-endian bytes
 * that `produce` hands to `accept` (each a whole number of elements; bytes beyond the
 * tensor are ignored). Only one piece at a time is held in JS memory.
 */
export function tensorFromPieces(dtype: DType, numel: number, produce: (accept: (bytes: Uint8Array) => void) => void, options: { bigEndian?: boolean } = {}): Tensor {
  const out = torch.empty([numel], { dtype });
  let filled = 0;
  try {
    produce((bytes) => {
      const n = Math.min(bytes.length / dtype.itemsize, numel - filled);
      if (n <= 0) return;
      torch.tidy(() => {
        const part = tensorFromBytes(bytes.subarray(0, n * dtype.itemsize), dtype, [n], options);
        out.narrow(0, filled, n).copy_(part);
      });
      filled += n;
    });
    if (filled !== numel) throw new TorchError(`internal error: ${filled} of ${numel} elements were read`);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** The little-endian bytes of `t`'s elements in row-major order (a copy, on the CPU). */
export function tensorToBytes(t: Tensor): Uint8Array {
  const typed = torch.tidy(() => {
    const data = t.detach();
    return (data.dtype === float16 || data.dtype === bfloat16 ? data.view(int16) : data).toTypedArray();
  });
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** The bytes of a contiguous tensor's elements in pieces of at most `chunkBytes` (a multiple of 8). */
export function* tensorBytePieces(t: Tensor, chunkBytes: number): Generator<Uint8Array> {
  const numel = t.numel();
  const perPiece = Math.max(1, Math.floor(chunkBytes / t.element_size()));
  if (numel <= perPiece) {
    yield tensorToBytes(t);
    return;
  }
  for (let start = 0; start < numel; start += perPiece) {
    const n = Math.min(perPiece, numel - start);
    yield torch.tidy(() => tensorToBytes(t.detach().reshape([-1]).narrow(0, start, n)));
  }
}
