// Randomness against PyTorch 1.13 (test/fixtures/core_random.json): after torch.manual_seed(s)
// the default CPU generator gives exactly PyTorch's numbers (same libtorch, same generator).
// Compared exactly, float32 and float64, for several seeds and shapes.
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import { loadFixture, type TensorFixture } from './_util.js';

interface RandomFixture {
  seeds: number[];
  values: Record<string, Record<string, TensorFixture | TensorFixture[]>>;
  big_seed: { seed: string; rand: TensorFixture };
}

const fixture = loadFixture<RandomFixture>('core_random.json');

/** The JS expression for each recipe (the Python one has the same name in make_core.py). */
const RECIPES: Record<string, () => Tensor | Tensor[]> = {
  rand_3x4: () => torch.rand(3, 4),
  rand_17_float64: () => torch.rand(17, { dtype: torch.float64 }),
  randn_2x3: () => torch.randn(2, 3),
  randn_20: () => torch.randn(20),
  randn_5_float64: () => torch.randn(5, { dtype: torch.float64 }),
  randn_4x5_float64: () => torch.randn(4, 5, { dtype: torch.float64 }),
  randint_low_high: () => torch.randint(0, 10, [3, 3]),
  randint_high: () => torch.randint(7, [7]),
  randint_negative_int32: () => torch.randint(-5, 5, [2, 4], { dtype: torch.int32 }),
  randperm_10: () => torch.randperm(10),
  randperm_40: () => torch.randperm(40),
  normal_: () => torch.empty(3, 3).normal_(2, 0.5),
  normal__20: () => torch.empty(20).normal_(),
  normal__float64: () => torch.empty(18, { dtype: torch.float64 }).normal_(-1, 3),
  normal_tensors: () => torch.normal(torch.arange(4, { dtype: torch.float32 }), torch.full([4], 0.1)),
  uniform_: () => torch.empty(2, 5).uniform_(-1, 1),
  uniform__float64: () => torch.empty(6, { dtype: torch.float64 }).uniform_(),
  bernoulli_: () => torch.empty(4, 4).bernoulli_(0.3),
  bernoulli__float64: () => torch.empty(10, { dtype: torch.float64 }).bernoulli_(0.7),
  bernoulli_tensor: () => torch.bernoulli(torch.linspace(0, 1, 8)),
  dropout: () => torch.dropout(torch.ones(4, 5), 0.5, true),
  dropout_float64: () => torch.dropout(torch.ones(3, 7, { dtype: torch.float64 }), 0.2, true),
  dropout_eval: () => torch.dropout(torch.ones(2, 3), 0.5, false),
  rand_like: () => torch.rand_like(torch.zeros(2, 2, { dtype: torch.float64 })),
  randn_like: () => torch.randn_like(torch.zeros(3)),
  randint_like: () => torch.randint_like(torch.zeros(5), 3, 9),
  sequence: () => [torch.rand(2), torch.randn(3), torch.randint(0, 5, [4]), torch.randperm(6), torch.empty(2).uniform_()],
};

/** Bit-exact comparison: same shape, dtype and every value (int64 as BigInt). */
function expectExactly(actual: Tensor, expected: TensorFixture, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  expect(actual.dtype.name, what).toBe(expected.dtype);
  const got = Array.from(actual.toTypedArray() as ArrayLike<number | bigint>);
  const want = expected.data.map((v) => (expected.dtype === 'int64' ? BigInt(v as string) : v));
  expect(got, what).toEqual(want);
}

describe('same seed, same numbers as PyTorch', () => {
  it('every recipe of the fixture has a JS expression and vice versa', () => {
    expect(Object.keys(RECIPES).sort()).toEqual(Object.keys(fixture.values[String(fixture.seeds[0])]).sort());
  });

  for (const seed of fixture.seeds) {
    describe(`manual_seed(${seed})`, () => {
      for (const [name, expected] of Object.entries(fixture.values[String(seed)])) {
        it(name, () => {
          torch.tidy(() => {
            torch.manual_seed(seed);
            const result = RECIPES[name]();
            if (Array.isArray(expected)) {
              const list = result as Tensor[];
              expect(list.length).toBe(expected.length);
              list.forEach((t, i) => expectExactly(t, expected[i], `${name}[${i}]`));
            } else {
              expectExactly(result as Tensor, expected, name);
            }
          });
        });
      }
    });
  }

  it('a seed beyond 2^32 given as a BigInt', () => {
    torch.tidy(() => {
      torch.manual_seed(BigInt(fixture.big_seed.seed));
      expectExactly(torch.rand(3), fixture.big_seed.rand, 'rand after big seed');
      expect(torch.initial_seed()).toBe(BigInt(fixture.big_seed.seed));
    });
  });

  it('the same seed twice gives the same numbers; the stream moves on without a reseed', () => {
    torch.tidy(() => {
      torch.manual_seed(5);
      const first = torch.randn(6);
      const next = torch.randn(6);
      torch.manual_seed(5);
      expect(torch.equal(torch.randn(6), first)).toBe(true);
      expect(torch.equal(next, first)).toBe(false);
      expect(torch.initial_seed()).toBe(5n);
    });
  });

  it('in-place random ops return the same JS object', () => {
    torch.tidy(() => {
      const t = torch.empty(3);
      expect(t.normal_()).toBe(t);
      expect(t.uniform_(0, 2)).toBe(t);
      expect(t.bernoulli_(0.5)).toBe(t);
      expect(t.random_(0, 4)).toBe(t);
      expect(t.exponential_()).toBe(t);
    });
  });
});
