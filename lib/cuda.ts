// torch.cuda: what can be asked of CUDA without a GPU-specific build.
import { native } from './_C.js';
import { TorchError } from './errors.js';

export function is_available(): boolean {
  return native.cudaIsAvailable();
}
export function device_count(): number {
  return native.cudaDeviceCount();
}
export function synchronize(device?: number): void {
  if (!native.cudaIsAvailable()) throw new TorchError('torch.cuda.synchronize: CUDA is not available (this libtorch has no CUDA support or no GPU is present)');
  native.cudaSynchronize(device);
}
export { manual_seed as manual_seed_all, manual_seed } from './random.js';
export {
  current_device, set_device, device, get_device_properties, get_device_name, get_device_capability, is_bf16_supported,
  memory_allocated, max_memory_allocated, memory_reserved, max_memory_reserved, empty_cache, reset_peak_memory_stats, mem_get_info,
  Stream, Event, current_stream, default_stream, set_stream, stream, record_stream,
} from './cuda_memory.js';
// A re-export only: reading it at module evaluation would hit the amp <-> torch import cycle.
export { cuda_amp as amp } from './amp/index.js';
