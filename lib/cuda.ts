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
