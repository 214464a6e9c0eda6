// torch.backends (torch/backends/cuda, torch/backends/cudnn): process-wide switches of
// libtorch's CUDA kernels, held by at::globalContext(). They can be read and set on any
// build; without CUDA they change nothing that runs.
import { backendsNative } from './amp/_native.js';
import { argumentError } from './errors.js';

function flag(owner: object, property: string, name: string): void {
  Object.defineProperty(owner, property, {
    enumerable: true,
    get: () => backendsNative().getFlag(name),
    set: (value: unknown) => {
      if (typeof value !== 'boolean') throw argumentError(`torch.backends.${name}`, property, 'a boolean', value);
      backendsNative().setFlag(name, value);
    },
  });
}

/** torch.backends.cuda.matmul: cuBLAS matrix-multiply switches. */
export interface CudaMatmulBackend {
  /** Whether float32 matmuls may use TensorFloat-32 tensor cores (Ampere and newer); default false. */
  allow_tf32: boolean;
}

/** torch.backends.cudnn: cuDNN switches and queries. */
export interface CudnnBackend {
  /** Whether cuDNN is used at all (default true). */
  enabled: boolean;
  /** Whether cuDNN benchmarks convolution algorithms per input shape and keeps the fastest (default false). */
  benchmark: boolean;
  /** Whether cuDNN uses only deterministic algorithms (default false). */
  deterministic: boolean;
  /** Whether cuDNN convolutions may use TensorFloat-32 (default true). */
  allow_tf32: boolean;
  /** Whether this libtorch has cuDNN. */
  is_available(): boolean;
  /** cuDNN's version number, or null without cuDNN. */
  version(): number | null;
}

const matmul = {} as CudaMatmulBackend;
flag(matmul, 'allow_tf32', 'cuda.matmul.allow_tf32');

/** torch.backends.cuda. Example: `torch.backends.cuda.matmul.allow_tf32 = true;` */
export const cuda: { readonly matmul: CudaMatmulBackend } = { matmul };

/** torch.backends.cudnn. Example: `torch.backends.cudnn.benchmark = true;` */
export const cudnn = {
  is_available: (): boolean => backendsNative().cudnnIsAvailable(),
  version: (): number | null => backendsNative().cudnnVersion(),
} as CudnnBackend;
flag(cudnn, 'enabled', 'cudnn.enabled');
flag(cudnn, 'benchmark', 'cudnn.benchmark');
flag(cudnn, 'deterministic', 'cudnn.deterministic');
flag(cudnn, 'allow_tf32', 'cudnn.allow_tf32');
