// The native half of torch.amp and torch.backends (native/autocast.cpp). An addon built
// before those existed has no `amp`/`backends` object: say so instead of a bare TypeError.
import { native } from '../_C.js';
import { TorchError } from '../errors.js';

/** Autocast state per device type ('cpu' | 'cuda'); thread-local in libtorch, and ops run on the JS thread. */
export interface AmpNative {
  isAutocastEnabled(deviceType: string): boolean;
  setAutocastEnabled(deviceType: string, enabled: boolean): void;
  /** A c10::ScalarType code. */
  getAutocastDtype(deviceType: string): number;
  setAutocastDtype(deviceType: string, dtypeCode: number): void;
  incrementNesting(): number;
  decrementNesting(): number;
  clearCache(): void;
  isCacheEnabled(): boolean;
  setCacheEnabled(enabled: boolean): void;
}

/** at::globalContext() flags by their torch.backends names ('cudnn.benchmark', ...). */
export interface BackendsNative {
  getFlag(name: string): boolean;
  setFlag(name: string, value: boolean): void;
  cudnnIsAvailable(): boolean;
  cudnnVersion(): number | null;
}

function rebuildHint(what: string): TorchError {
  return new TorchError(`${what}: the loaded native addon predates this feature; rebuild it with npm run build:native`);
}

/** @internal */
export function ampNative(): AmpNative {
  const amp = (native as unknown as { amp?: AmpNative }).amp;
  if (!amp) throw rebuildHint('torch.autocast');
  return amp;
}

/** @internal */
export function backendsNative(): BackendsNative {
  const backends = (native as unknown as { backends?: BackendsNative }).backends;
  if (!backends) throw rebuildHint('torch.backends');
  return backends;
}

/** libtorch's version as [major, minor] (the runtime one: autocast's rules changed across versions). */
export function libtorchVersion(): [number, number] {
  const [major, minor] = native.libtorchVersion().split('.').map((part) => Number.parseInt(part, 10));
  return [major, minor];
}
