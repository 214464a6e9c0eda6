// torch.amp, torch.cuda.amp and torch.cpu.amp: autocast regions and gradient scaling.
import { AutocastMode, autocast, cpu_autocast, cuda_autocast } from './autocast_mode.js';
import { CudaGradScaler, GradScaler, OptState } from './grad_scaler.js';

export { AutocastMode, autocast, GradScaler, OptState };
export type { AutocastDeviceType, AutocastOptions } from './autocast_mode.js';
export type { GradScalerOptions, GradScalerStateDict, ScalableOptimizer } from './grad_scaler.js';
export {
  is_autocast_enabled, set_autocast_enabled, is_autocast_cpu_enabled, set_autocast_cpu_enabled,
  get_autocast_dtype, get_autocast_gpu_dtype, get_autocast_cpu_dtype, set_autocast_gpu_dtype, set_autocast_cpu_dtype,
  is_autocast_cache_enabled, set_autocast_cache_enabled, clear_autocast_cache,
} from './autocast_mode.js';

/** torch.cuda.amp: autocast with float16 by default, and the CUDA GradScaler. */
export const cuda_amp = { autocast: cuda_autocast, GradScaler: CudaGradScaler };

/** torch.cpu.amp: autocast with bfloat16 by default. */
export const cpu_amp = { autocast: cpu_autocast };
