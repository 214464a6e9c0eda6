// Loads the native addon once. A failed load says what to do instead of a bare dlopen error.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndexError, NotImplementedError, TorchError, TorchTypeError, ValueError } from './errors.js';
import type { Tensor } from './tensor.js';

/** A native tensor handle: the number of the tensor-table slot that one Tensor object owns (native/tensor_handle.cpp). */
export type Handle = number & { readonly __handle: unique symbol };

/** See torch.smallBlockStats. */
export interface SmallBlockStats {
  allocated: number;
  reserved: number;
}

export interface NativeAddon {
  setErrorClasses(classes: Record<string, Function>): void;
  /** [mmap threshold, trim threshold] that the addon gave glibc at load, or null (native/addon.cpp). */
  mallocTuning(): [number, number] | null;
  /** Bytes in use and bytes reserved by the small-block cache for CPU data, or null when it is off (native/cpu_allocator.cpp). */
  smallBlockStats(): SmallBlockStats | null;
  // tensor handles
  setTensorClass(cls: new (h: Handle) => object): void;
  dispose(h: Handle): void;
  isDisposed(h: Handle): boolean;
  /** [live tensor count, live native bytes] as float64s, kept current by the addon. */
  readonly tensorStats: ArrayBuffer;
  /** The count of sizes, written into `sharedInts`; the array itself when there are more than it holds. */
  sizes(h: Handle): number | number[];
  strides(h: Handle): number | number[];
  readonly sharedInts: ArrayBuffer;
  dim(h: Handle): number;
  numel(h: Handle): number;
  scalarType(h: Handle): number;
  device(h: Handle): string;
  storageOffset(h: Handle): number;
  isContiguous(h: Handle, memoryFormat?: number): boolean;
  dataPtr(h: Handle): bigint;
  isSameTensor(a: Handle, b: Handle): boolean;
  // ops
  findOp(name: string, overload: string): number;
  /**
   * The arguments are in `opArgs` (written by lib/_ops/dispatch.ts callOp); `jsValues` are those it
   * could not code there. `owner`: a new Tensor that receives the result when the op returns one
   * Tensor (the call then returns its handle), else undefined.
   */
  callOp(id: number, owner: { readonly _h: Handle } | undefined, ...jsValues: unknown[]): unknown;
  opSchema(id: number): string;
  opCallsUnboxed(id: number): boolean;
  readonly opArgs: ArrayBuffer;
  readonly maxOpArgs: number;
  /** [count, handle...]: result tensors that callOp queued (returning true, or undefined placeholders), waiting for `adoptResults`. */
  readonly unownedResults: ArrayBuffer;
  adoptResults(...owners: { readonly _h: Handle }[]): void;
  // data
  fromTypedArray(data: ArrayBufferView, shape: number[], dtype: number, asBool?: boolean): Tensor;
  toTypedArray(h: Handle): Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;
  item(h: Handle): number | boolean | bigint;
  /** The indices are in `indexCodes` (see lib/tensor.ts encodeIndices); Tensor and int-array indices follow as `extras`. */
  index(h: Handle, owner: Tensor, count: number, ...extras: unknown[]): Handle;
  indexPut(h: Handle, value: Tensor | number | boolean, count: number, ...extras: unknown[]): void;
  readonly indexCodes: ArrayBuffer;
  // autograd
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, value: boolean): void;
  grad(h: Handle): Tensor | null;
  setGrad(h: Handle, g: Handle | null): void;
  gradFnName(h: Handle): string | null;
  isLeaf(h: Handle): boolean;
  retainGrad(h: Handle): void;
  backward(tensors: Handle[], grads: (Handle | null)[], retainGraph: boolean | undefined, createGraph: boolean, inputs?: Handle[]): void;
  autogradGrad(outputs: Handle[], inputs: Handle[], gradOutputs: (Handle | null)[], retainGraph: boolean | undefined, createGraph: boolean, allowUnused: boolean): (Tensor | null)[];
  isGradEnabled(): boolean;
  setGradEnabled(enabled: boolean): void;
  // context
  manualSeed(seed: number | bigint): void;
  initialSeed(): bigint;
  setDefaultDtype(code: number): void;
  getDefaultDtype(): number;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(device?: number): void;
  libtorchVersion(): string;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

function load(): NativeAddon {
  const root = packageRoot();
  const path = process.env.TORCH_NODE_ADDON ?? join(root, 'build', 'Release', 'torch_node.node');
  const require = createRequire(import.meta.url);
  if (!existsSync(path)) {
    throw new Error(
      `torch-node: the native addon is not built (${path} is missing).\n` +
        'Possible solutions:\n' +
        '  - build it: npm run build:native   (needs libtorch: see scripts/setup-debian.sh or set LIBTORCH)\n' +
        '  - reinstall: npm install torch-node',
    );
  }
  try {
    return require(path) as NativeAddon;
  } catch (e) {
    const reason = (e as Error).message;
    const missingSo = /lib(torch|c10)[\w.]*\.so[^:]*: cannot open shared object file/.exec(reason);
    throw new Error(
      `torch-node: could not load the native addon ${path}:\n  ${reason}\n` +
        'Possible solutions:\n' +
        (missingSo
          ? `  - the libtorch it was built against is gone (${missingSo[0]}): reinstall it (apt-get install libtorch-dev) or set LD_LIBRARY_PATH to its lib directory\n`
          : '') +
        '  - rebuild for this Node and libtorch: npm run build:native\n' +
        '  - if you moved or upgraded libtorch, rebuild after setting LIBTORCH or LIBTORCH_USE_PYTORCH=1',
    );
  }
}

export const native: NativeAddon = load();
native.setErrorClasses({ TorchError, IndexError, TypeError: TorchTypeError, ValueError, NotImplementedError });
