// Seeds. libtorch's default CPU generator is the one Python uses, so the same seed
// gives the same numbers as Python's PyTorch on the same libtorch.
import { native } from './_C.js';
import { argumentError } from './errors.js';

/** Seeds the CPU generator (and every CUDA generator). Python: `torch.manual_seed(seed)`. */
export function manual_seed(seed: number | bigint): void {
  if (!(typeof seed === 'bigint' || Number.isSafeInteger(seed))) throw argumentError('manual_seed', 'seed', 'an integer', seed);
  native.manualSeed(seed);
}

export function seed(): bigint {
  const s = BigInt(Math.floor(Math.random() * 2 ** 52));
  native.manualSeed(s);
  return s;
}

export function initial_seed(): bigint {
  return native.initialSeed();
}
