// The `torch` namespace: hand-written functions plus every generated ATen function.
import { native } from './_C.js';
import { generatedNames, makeFunction } from './_ops/dispatch.js';
import type { GeneratedTorchFunctions, Generated_fft_Functions, Generated_linalg_Functions, Generated_nn_Functions, Generated_special_Functions } from './_generated/signatures.js';
import * as autograd from './autograd/index.js';
import { enable_grad, is_grad_enabled, no_grad, set_grad_enabled } from './autograd/grad_mode.js';
import { from_typed_array, tensor } from './creation.js';
import * as amp from './amp/index.js';
import * as backends from './backends.js';
import * as cuda from './cuda.js';
import { Device, device } from './device.js';
import {
  DType, Layout, MemoryFormat, bfloat16, bool, channels_last, channels_last_3d, contiguous_format, float16, float32, float64,
  get_default_dtype, int16, int32, int64, int8, preserve_format, set_default_dtype, sparse_coo, strided, uint8,
} from './dtype.js';
import { IndexError, NotImplementedError, TorchError, TorchTypeError, ValueError } from './errors.js';
import { keep, liveTensorBytes, liveTensorCount, smallBlockStats, tidy } from './memory.js';
import * as nn from './nn/index.js';
import * as optim from './optim/index.js';
import * as jit from './jit/index.js';
import * as safetensors from './safetensors.js';
import * as data from './utils/data/index.js';
import * as distributed from './distributed/index.js';
import * as vision from './vision/index.js';
import * as serialization from './serialization/index.js';
import { load, save } from './serialization/index.js';
import { initial_seed, manual_seed, seed } from './random.js';
import { set_printoptions } from './_tensor_str.js';
import { Tensor } from './tensor.js';

function namespaceOf<T>(names: string[], prefix: string): T {
  const ns: Record<string, Function> = {};
  for (const name of names) ns[name.slice(prefix.length)] = makeFunction(name);
  return ns as T;
}

const names = generatedNames();

const handwritten = {
  Tensor, tensor, from_typed_array, device, Device, DType, Layout, MemoryFormat,
  // dtypes, with PyTorch's aliases
  float32, float64, float16, bfloat16, int8, uint8, int16, int32, int64, bool,
  float: float32, double: float64, half: float16, long: int64, int: int32, short: int16,
  strided, sparse_coo, contiguous_format, preserve_format, channels_last, channels_last_3d,
  get_default_dtype, set_default_dtype,
  // randomness
  manual_seed, seed, initial_seed,
  // autograd
  autograd, no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
  // memory (torch-node's own, camelCase)
  tidy, keep, liveTensorCount, liveTensorBytes, smallBlockStats,
  // subpackages
  nn,
  optim,
  safetensors,
  serialization,
  /** TorchScript: torch.jit.load runs code from the file, like PyTorch (trust the file). */
  jit,
  utils: { data },
  distributed,
  vision,
  // model files (weights only: loading never runs code from the file)
  save,
  load,
  // devices and mixed precision
  cuda,
  amp,
  backends,
  autocast: amp.autocast,
  cpu: { amp: amp.cpu_amp },
  is_autocast_enabled: amp.is_autocast_enabled,
  is_autocast_cpu_enabled: amp.is_autocast_cpu_enabled,
  set_autocast_enabled: amp.set_autocast_enabled,
  set_autocast_cpu_enabled: amp.set_autocast_cpu_enabled,
  get_autocast_gpu_dtype: amp.get_autocast_gpu_dtype,
  get_autocast_cpu_dtype: amp.get_autocast_cpu_dtype,
  set_autocast_gpu_dtype: amp.set_autocast_gpu_dtype,
  set_autocast_cpu_dtype: amp.set_autocast_cpu_dtype,
  is_autocast_cache_enabled: amp.is_autocast_cache_enabled,
  set_autocast_cache_enabled: amp.set_autocast_cache_enabled,
  clear_autocast_cache: amp.clear_autocast_cache,
  // errors
  TorchError, IndexError, TorchTypeError, ValueError, NotImplementedError,
  is_tensor: (obj: unknown): obj is Tensor => obj instanceof Tensor,
  numel: (t: Tensor): number => t.numel(),
  is_floating_point: (t: Tensor): boolean => t.is_floating_point(),
  get_num_threads: (): number => native.getNumThreads(),
  set_num_threads: (n: number): void => native.setNumThreads(n),
  set_printoptions,
  /** The libtorch version the addon is linked against, e.g. '1.13.1'. */
  __libtorch_version__: native.libtorchVersion(),
  linalg: namespaceOf<Generated_linalg_Functions>(names.byModule.linalg ?? [], 'linalg_'),
  special: namespaceOf<Generated_special_Functions>(names.byModule.special ?? [], 'special_'),
  fft: namespaceOf<Generated_fft_Functions>(names.byModule.fft ?? [], 'fft_'),
  /** The ATen functions Python keeps in torch._C._nn (used by torch.nn.functional). */
  _nn: namespaceOf<Generated_nn_Functions>(names.byModule.nn ?? [], ''),
};

type Handwritten = typeof handwritten;
export type Torch = Handwritten & Omit<GeneratedTorchFunctions, keyof Handwritten>;

const generated: Record<string, Function> = {};
for (const name of names.functions) {
  if (name in handwritten) continue;
  generated[name] = makeFunction(name);
}

export const torch: Torch = Object.assign(generated, handwritten) as unknown as Torch;
