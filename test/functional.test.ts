// torch.nn.functional against PyTorch 1.13: every case in test/fixtures/functional_*.json
// (written by scripts/fixtures/make_functional.py) is replayed here. A case checks the
// outputs, the gradients of a weighted sum of the outputs with respect to each floating
// input, tensors changed in place, and the warnings raised; an error case checks the error
// class and message.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import torch, { IndexError, NotImplementedError, Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { clearWarningRegistry } from '../lib/nn/_reduction.js';
import { dtypeNamed, expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

type Encoded =
  | number
  | string
  | boolean
  | null
  | Encoded[]
  | { tensor: TensorFixture; grad: boolean }
  | { dtype: string }
  | { callable: string }
  | { same: number };

interface Case {
  name: string;
  fn: string;
  args: Encoded[];
  kwargs: Record<string, Encoded>;
  tuple: boolean;
  out: (TensorFixture | null)[];
  weights: (TensorFixture | null)[];
  grads: Record<string, TensorFixture | null>;
  mutated: Record<string, TensorFixture>;
  warnings: string[];
  seed?: number;
  tol?: { rtol?: number; atol?: number };
}

interface ErrorCase {
  name: string;
  fn: string;
  args: Encoded[];
  kwargs: Record<string, Encoded>;
  error: string;
  message: string;
  /** The part of the message to check, where torch-node's wording differs from Python's binding. */
  fragment?: string;
}

/** JS functions standing in for the Python callables a case names. */
const CALLABLES: Record<string, (x: Tensor, y: Tensor) => Tensor> = {
  l1: (x, y) => x.sub(y).abs().sum(-1),
};

/** Turns an encoded argument into the JS value; tensors that need a gradient become leaves. */
function decode(v: Encoded, previous: unknown[]): unknown {
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => decode(x, previous));
  if ('tensor' in v) {
    const t = fromFixture(v.tensor);
    return v.grad ? t.requires_grad_(true) : t;
  }
  if ('dtype' in v) return dtypeNamed(v.dtype);
  if ('callable' in v) return CALLABLES[v.callable];
  if ('same' in v) return previous[v.same];
  throw new Error(`unknown encoded argument ${JSON.stringify(v)}`);
}

function decodeCall(c: { args: Encoded[]; kwargs: Record<string, Encoded> }): { args: unknown[]; kwargs: Record<string, unknown> } {
  const args: unknown[] = [];
  for (const a of c.args) args.push(decode(a, args));
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.kwargs)) kwargs[k] = decode(v, args);
  return { args, kwargs };
}

function call(fn: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const f = (F as unknown as Record<string, (...a: unknown[]) => unknown>)[fn];
  if (typeof f !== 'function') throw new Error(`F.${fn} is missing`);
  return Object.keys(kwargs).length > 0 ? f(...args, kwargs) : f(...args);
}

/** Warnings libtorch raises from C++ (TORCH_WARN) reach Python but are not torch-node warnings. */
const isNativeWarning = (w: string): boolean => w.includes('(Triggered internally at');

let emitted: string[] = [];
beforeEach(() => {
  clearWarningRegistry();
  emitted = [];
  vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error) => {
    emitted.push(String(warning));
  }) as typeof process.emitWarning);
});
afterEach(() => {
  vi.restoreAllMocks();
});

function runCase(c: Case): void {
  const { args, kwargs } = decodeCall(c);
  if (c.seed !== undefined) torch.manual_seed(c.seed);
  const result = call(c.fn, args, kwargs);
  const outs = (c.tuple ? result : [result]) as (Tensor | null)[];
  expect(outs.length).toBe(c.out.length);
  let total: Tensor | null = null;
  c.out.forEach((expected, i) => {
    const actual = outs[i];
    if (expected === null) {
      expect(actual).toBeNull();
      return;
    }
    expect(actual).toBeInstanceOf(Tensor);
    expectTensor(actual!, expected, c.tol);
    const weight = c.weights[i];
    if (weight) {
      const term = actual!.mul(fromFixture(weight)).sum();
      total = total === null ? term : total.add(term);
    }
  });
  if (total !== null) (total as Tensor).backward();
  for (const [key, expected] of Object.entries(c.grads)) {
    const leaf = (/^\d+$/.test(key) ? args[Number(key)] : kwargs[key]) as Tensor;
    if (expected === null) expect(leaf.grad).toBeNull();
    else {
      expect(leaf.grad, `gradient of argument ${key}`).not.toBeNull();
      expectTensor(leaf.grad!, expected, c.tol);
    }
  }
  for (const [key, expected] of Object.entries(c.mutated)) {
    const changed = (/^\d+$/.test(key) ? args[Number(key)] : kwargs[key]) as Tensor;
    expectTensor(changed.detach(), expected, c.tol);
  }
  expect(emitted).toEqual(c.warnings.filter((w) => !isNativeWarning(w)));
}

const GROUPS = [
  'functional_activation.json',
  'functional_conv.json',
  'functional_pool.json',
  'functional_norm_embedding.json',
  'functional_loss.json',
  'functional_vision_attention.json',
];

for (const file of GROUPS) {
  const { cases } = loadFixture<{ cases: Case[] }>(file);
  describe(file.replace('.json', ''), () => {
    for (const c of cases) {
      it(c.name, () => {
        torch.tidy(() => runCase(c));
      });
    }
  });
}

/** The torch-node class of each Python exception. Python's asserts on arguments are ValueErrors here. */
const ERROR_CLASSES: Record<string, Function> = {
  ValueError,
  RuntimeError: TorchError,
  IndexError,
  NotImplementedError,
  TypeError: TorchTypeError,
  AssertionError: ValueError,
};

describe('functional errors', () => {
  const { errors } = loadFixture<{ errors: ErrorCase[] }>('functional_errors.json');
  for (const c of errors) {
    it(`${c.name} (${c.error})`, () => {
      torch.tidy(() => {
        const { args, kwargs } = decodeCall(c);
        let thrown: unknown;
        try {
          call(c.fn, args, kwargs);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, 'expected an error').toBeDefined();
        const err = thrown as Error;
        const cls = ERROR_CLASSES[c.error];
        expect(err.constructor, err.message).toBe(cls);
        expect(err).toBeInstanceOf(TorchError);
        if (c.error === 'TypeError') {
          // Python's argument parser words these differently; the argument must be named.
          const arg = /argument '(\w+)'/.exec(c.message)![1];
          expect(err.message).toContain(`'${arg}'`);
        } else {
          expect(err.message).toContain(c.fragment ?? c.message);
        }
      });
    });
  }
});
