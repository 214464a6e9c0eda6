// A seedable random source for the data utilities, bit-exact with a CPU torch.Generator.
//
// PyTorch's samplers and random_split take a `torch.Generator`; the core has no
// Generator objects yet, and calling ATen ops under a temporarily re-seeded global
// generator would disturb the global stream (its state cannot be saved and restored
// from JS). So this file ports the few pieces of ATen the data utilities need:
// at::mt19937 (aten/src/ATen/core/MT19937RNGEngine.h, seeded like
// CPUGeneratorImpl::set_current_seed) and the CPU kernels of randperm, randint and
// `random_()` on int64. For the same seed they produce the numbers PyTorch produces.
import { argumentError } from '../../../errors.js';
import { torch } from '../../../torch.js';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO_POW_32 = 2 ** 32;

/**
 * A seeded random number generator for samplers, DataLoader and random_split: the
 * data-utilities stand-in for `torch.Generator()` (CPU), producing the same numbers
 * as a `torch.Generator` seeded with the same value.
 *
 * Example: `new DataLoader(ds, { shuffle: true, generator: new Generator().manual_seed(42) })`
 */
export class Generator {
  private readonly state = new Uint32Array(N);
  private index = N;
  private seed = 67280421310721n;

  /** A generator seeded with `seed` (default: 67280421310721, `torch.Generator()`'s default seed). */
  constructor(seed?: number | bigint) {
    this.manual_seed(seed ?? 67280421310721n);
  }

  /** Re-seeds the generator; returns it (Python: `g.manual_seed(seed)`). */
  manual_seed(seed: number | bigint): this {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw argumentError('Generator.manual_seed', 'seed', 'an integer', seed);
    if (typeof seed !== 'number' && typeof seed !== 'bigint') throw argumentError('Generator.manual_seed', 'seed', 'an integer', seed);
    // Python wraps negative seeds into uint64; only the low 32 bits reach the engine.
    const wrapped = BigInt.asUintN(64, BigInt(seed));
    this.seed = wrapped;
    const mt = this.state;
    mt[0] = Number(wrapped & 0xffffffffn);
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
    return this;
  }

  /** The seed last set (Python: `g.initial_seed()`). */
  initial_seed(): bigint {
    return this.seed;
  }

  private twist(): void {
    const mt = this.state;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[(i + 1) % N] & LOWER_MASK);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }

  /** @internal One 32-bit draw (CPUGeneratorImpl::random). */
  random(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** @internal One 64-bit draw (CPUGeneratorImpl::random64: first draw in the high half). */
  random64(): bigint {
    const hi = this.random();
    const lo = this.random();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** @internal `torch.empty((), dtype=torch.int64).random_(generator=g)`: a value in [0, 2^63). */
  randomInt64(): bigint {
    return this.random64() % (1n << 63n);
  }

  /** @internal `torch.randint(high=n, size=(count,), generator=g).tolist()` for 0 < n < 2^32. */
  randint(n: number, count: number): number[] {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = n < TWO_POW_32 ? this.random() % n : Number(this.random64() % BigInt(n));
    return out;
  }

  /** @internal `torch.randperm(n, generator=g).tolist()` (the CPU kernel's Fisher-Yates). */
  randperm(n: number): number[] {
    const perm = new Array<number>(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    if (n < Math.floor(0xffffffff / 20)) {
      for (let i = 0; i < n - 1; i++) {
        const z = this.random() % (n - i);
        const saved = perm[i];
        perm[i] = perm[z + i];
        perm[z + i] = saved;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const z = Number(this.random64() % BigInt(i + 1));
        perm[i] = perm[z];
        perm[z] = i;
      }
    }
    return perm;
  }
}

/** What the data utilities accept where PyTorch takes `generator=`: a Generator, a seed, or `{ seed }`. */
export type GeneratorLike = Generator | number | bigint | { seed: number | bigint };

/** Turns a GeneratorLike into a Generator (a seed or `{ seed }` makes a fresh one); undefined/null stays undefined. */
export function toGenerator(where: string, generator: GeneratorLike | null | undefined): Generator | undefined {
  if (generator === undefined || generator === null) return undefined;
  if (generator instanceof Generator) return generator;
  if (typeof generator === 'number' || typeof generator === 'bigint') return new Generator(generator);
  if (typeof generator === 'object' && 'seed' in generator) return new Generator(generator.seed);
  throw argumentError(where, 'generator', 'a Generator, a seed or { seed }', generator);
}

/**
 * Draws a seed the way PyTorch does when no generator is given:
 * `int(torch.empty((), dtype=torch.int64).random_().item())`, from the global CPU generator.
 */
export function seedFromGlobalGenerator(): bigint {
  return torch.tidy(() => (torch.empty([], { dtype: torch.int64 }).random_().toTypedArray() as BigInt64Array)[0]);
}

/** `torch.empty((), dtype=torch.int64).random_(generator=g)`: from `g`, or from the global generator when `g` is undefined. */
export function drawInt64(generator: Generator | undefined): bigint {
  return generator ? generator.randomInt64() : seedFromGlobalGenerator();
}
