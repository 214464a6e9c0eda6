// torch.dtype objects. Codes are c10::ScalarType values, stable across libtorch versions.
import { native } from './_C.js';
import { TorchTypeError } from './errors.js';

export class DType {
  /** @internal */
  constructor(
    readonly name: string,
    /** c10::ScalarType code */
    readonly code: number,
    readonly is_floating_point: boolean,
    readonly is_signed: boolean,
    readonly itemsize: number,
  ) {}
  toString(): string {
    return `torch.${this.name}`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export const uint8 = new DType('uint8', 0, false, false, 1);
export const int8 = new DType('int8', 1, false, true, 1);
export const int16 = new DType('int16', 2, false, true, 2);
export const int32 = new DType('int32', 3, false, true, 4);
export const int64 = new DType('int64', 4, false, true, 8);
export const float16 = new DType('float16', 5, true, true, 2);
export const float32 = new DType('float32', 6, true, true, 4);
export const float64 = new DType('float64', 7, true, true, 8);
export const bool = new DType('bool', 11, false, false, 1);
export const bfloat16 = new DType('bfloat16', 15, true, true, 2);

const BY_CODE: DType[] = [];
for (const d of [uint8, int8, int16, int32, int64, float16, float32, float64, bool, bfloat16]) BY_CODE[d.code] = d;

/** Aliases PyTorch also has: torch.float, torch.double, torch.half, torch.long, torch.int, torch.short. */
export const dtypeAliases = { float: float32, double: float64, half: float16, long: int64, int: int32, short: int16 } as const;

export function dtypeFromCode(code: number): DType {
  const d = BY_CODE[code];
  if (!d) throw new TorchTypeError(`torch-node does not support the libtorch scalar type with code ${code} yet`);
  return d;
}

/** Accepts a DType or its name ('float32', 'float', 'torch.int64'). */
export function toDType(value: DType | string, where = 'dtype'): DType {
  if (value instanceof DType) return value;
  if (typeof value === 'string') {
    const name = value.startsWith('torch.') ? value.slice(6) : value;
    const found = BY_CODE.find((d) => d?.name === name) ?? (dtypeAliases as Record<string, DType>)[name];
    if (found) return found;
  }
  throw new TorchTypeError(`${where}: expected a torch dtype (e.g. torch.float32) but received ${String(value)}`);
}

export function get_default_dtype(): DType {
  return dtypeFromCode(native.getDefaultDtype());
}

export function set_default_dtype(d: DType): void {
  const dtype = toDType(d, 'set_default_dtype');
  if (!dtype.is_floating_point) throw new TorchTypeError(`only floating-point types are supported as the default type (set_default_dtype got ${dtype})`);
  native.setDefaultDtype(dtype.code);
}

/** torch.layout and torch.memory_format values (codes are libtorch's enums). */
export class Layout {
  /** @internal */ constructor(readonly name: string, readonly code: number) {}
  toString(): string { return `torch.${this.name}`; }
}
export const strided = new Layout('strided', 0);
export const sparse_coo = new Layout('sparse_coo', 1);

export class MemoryFormat {
  /** @internal */ constructor(readonly name: string, readonly code: number) {}
  toString(): string { return `torch.${this.name}`; }
}
export const contiguous_format = new MemoryFormat('contiguous_format', 0);
export const preserve_format = new MemoryFormat('preserve_format', 1);
export const channels_last = new MemoryFormat('channels_last', 2);
export const channels_last_3d = new MemoryFormat('channels_last_3d', 3);
