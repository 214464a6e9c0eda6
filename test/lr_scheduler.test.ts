// torch.optim.lr_scheduler against PyTorch 1.13: the lr (and momentum / betas) sequences,
// final state dicts, verbose output and errors recorded by scripts/fixtures/make_lr_scheduler.py
// (regenerate with /usr/bin/python3). The optimizer is a plain object with two parameter groups,
// the same groups as the real SGD / Adam / Adagrad that the script drives.
import { afterEach, describe, expect, it, vi } from 'vitest';
import torch from '../lib/index.js';
import { IndexError, TorchError, TorchTypeError, ValueError } from '../lib/errors.js';
import {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  EPOCH_DEPRECATION_WARNING,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  LRScheduler,
  MultiplicativeLR,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  _LRScheduler,
  clearWarningRegistry,
  type LrLambda,
  type SchedulableOptimizer,
  type ScaleFn,
  type SchedulerStateDict,
} from '../lib/optim/lr_scheduler.js';
import { loadFixture } from './_util.js';

type Group = { lr: number; [option: string]: unknown };
type Kwargs = Record<string, any>;
type AnyScheduler = LRScheduler | ReduceLROnPlateau;

interface SequenceCase {
  name: string;
  scheduler: string;
  kwargs: Kwargs;
  optimizer: 'sgd' | 'adam' | 'adagrad';
  groups: Group[];
  steps: number;
  epochs?: (number | null)[];
  metrics?: number[];
  lr: number[][];
  momentum?: number[][];
  betas?: number[][][];
  final_groups: Group[];
  state_dict: SchedulerStateDict;
}

interface ErrorCase {
  name: string;
  scheduler: string;
  kwargs: Kwargs;
  groups: Group[];
  steps: number;
  epochs?: (number | null)[];
  error: string;
  message: string;
}

interface VerboseCase {
  name: string;
  scheduler: string;
  kwargs: Kwargs;
  groups: Group[];
  steps: number;
  epochs?: (number | null)[];
  metrics?: number[];
  printed: string[];
}

const sequences = loadFixture<SequenceCase[]>('lr_scheduler_sequences.json');
const errors = loadFixture<{ cases: ErrorCase[]; special: Record<string, { error: string; message: string }> }>(
  'lr_scheduler_errors.json',
);
const verboseCases = loadFixture<VerboseCase[]>('lr_scheduler_verbose.json');

// The functions the fixture script refers to by name.
const LAMBDAS: Record<string, LrLambda> = {
  div10: (epoch) => Math.floor(epoch / 10),
  pow095: (epoch) => 0.95 ** epoch,
  const095: () => 0.95,
  lin100: (epoch) => 1 - epoch / 100,
};
const SCALE_FNS: Record<string, ScaleFn> = {
  half_pow: (x) => 0.5 ** x,
  inv_sqrt: (x) => 1 / Math.sqrt(x + 1),
};

function fakeOptimizer(groups: Group[]): SchedulableOptimizer {
  return { param_groups: structuredClone(groups) };
}

/** Schedulers whose one required argument (after the optimizer) is positional, by that argument's name. */
const ONE_REQUIRED_ARG: Record<string, [new (opt: SchedulableOptimizer, required: any, options: Kwargs) => AnyScheduler, string]> = {
  StepLR: [StepLR, 'step_size'],
  MultiStepLR: [MultiStepLR, 'milestones'],
  ExponentialLR: [ExponentialLR, 'gamma'],
  CosineAnnealingLR: [CosineAnnealingLR, 'T_max'],
  CosineAnnealingWarmRestarts: [CosineAnnealingWarmRestarts, 'T_0'],
  OneCycleLR: [OneCycleLR, 'max_lr'],
};

/** Builds a scheduler from the fixture's Python keyword arguments: required ones positionally, the rest as options. */
function build(opt: SchedulableOptimizer, scheduler: string, kwargs: Kwargs): AnyScheduler {
  const lambdas = (v: string | string[]) => (Array.isArray(v) ? v.map((n) => LAMBDAS[n]) : LAMBDAS[v]);
  const oneRequired = ONE_REQUIRED_ARG[scheduler];
  if (oneRequired !== undefined) {
    const [cls, name] = oneRequired;
    const { [name]: required, ...rest } = kwargs;
    return new cls(opt, required, rest);
  }
  switch (scheduler) {
    case 'LambdaLR': {
      const { lr_lambda, ...rest } = kwargs;
      return new LambdaLR(opt, lambdas(lr_lambda), rest);
    }
    case 'MultiplicativeLR': {
      const { lr_lambda, ...rest } = kwargs;
      return new MultiplicativeLR(opt, lambdas(lr_lambda), rest);
    }
    case 'LinearLR':
      return new LinearLR(opt, kwargs);
    case 'ConstantLR':
      return new ConstantLR(opt, kwargs);
    case 'PolynomialLR':
      return new PolynomialLR(opt, kwargs);
    case 'CyclicLR': {
      const { base_lr, max_lr, scale_fn, ...rest } = kwargs;
      return new CyclicLR(opt, base_lr, max_lr, { ...rest, scale_fn: scale_fn ? SCALE_FNS[scale_fn] : null });
    }
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(opt, kwargs);
    case 'SequentialLR': {
      const { schedulers, milestones, ...rest } = kwargs;
      const inner = schedulers.map((s: Kwargs) => build(opt, s.scheduler, s.kwargs) as LRScheduler);
      return new SequentialLR(opt, inner, milestones, rest);
    }
    case 'ChainedScheduler':
      return new ChainedScheduler(kwargs.schedulers.map((s: Kwargs) => build(opt, s.scheduler, s.kwargs) as LRScheduler));
    default:
      throw new Error(`unknown scheduler ${scheduler}`);
  }
}

/** Step i of a fixture case: with the recorded metric, the recorded epoch, or plain. */
function stepCase(sched: AnyScheduler, c: { metrics?: number[]; epochs?: (number | null)[] }, i: number): void {
  if (sched instanceof ReduceLROnPlateau) sched.step(c.metrics![i]);
  else if (c.epochs && c.epochs[i] !== null) sched.step(c.epochs[i] as number);
  else sched.step();
}

/**
 * Equal to PyTorch's double, or within 1e-12 relative. Nearly all values are bit-equal; the
 * exceptions are glibc's rare misrounded cos / pow results (lr_scheduler.ts rounds correctly)
 * and the lambdas above, whose `**` is V8's, one ulp off glibc's pow at times.
 */
function close(actual: unknown, expected: number): boolean {
  if (typeof actual !== 'number') return false;
  if (Object.is(actual, expected)) return true;
  return Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
}

function expectClose(actual: unknown, expected: number, where: string): void {
  if (!close(actual, expected)) expect.fail(`${where}: got ${actual}, expected ${expected}`);
}

const decode = (v: unknown): unknown =>
  v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v;

/** Deep comparison of plain data, numbers within {@link close}. */
function expectDeepClose(actual: unknown, expected: unknown, where: string): void {
  expected = decode(expected);
  if (typeof expected === 'number') return expectClose(actual, expected, where);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) expect.fail(`${where}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    expected.forEach((e, i) => expectDeepClose((actual as unknown[])[i], e, `${where}[${i}]`));
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) expect.fail(`${where}: got ${String(actual)}, expected an object`);
    expect(Object.keys(actual as object).sort(), `${where} keys`).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected)) expectDeepClose((actual as Record<string, unknown>)[k], e, `${where}.${k}`);
    return;
  }
  expect(actual, where).toEqual(expected);
}

function expectGroups(opt: SchedulableOptimizer, c: SequenceCase, step: number): void {
  opt.param_groups.forEach((g, i) => {
    expectClose(g.lr, c.lr[step][i], `${c.name}: lr of group ${i} after step ${step}`);
    if (c.momentum) expectClose(g.momentum, c.momentum[step][i], `${c.name}: momentum of group ${i} after step ${step}`);
    if (c.betas) expectDeepClose(g.betas, c.betas[step][i], `${c.name}: betas of group ${i} after step ${step}`);
  });
}

function lastLr(sched: AnyScheduler): number[] {
  return sched.get_last_lr();
}

// Warnings are part of PyTorch's behaviour, but noise here; the warning tests spy on them.
afterEach(() => {
  vi.restoreAllMocks();
  clearWarningRegistry();
});

describe('lr sequences equal PyTorch 1.13', () => {
  for (const c of sequences) {
    it(c.name, () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const opt = fakeOptimizer(c.groups);
      const sched = build(opt, c.scheduler, c.kwargs);
      expectGroups(opt, c, 0);
      for (let i = 0; i < c.steps; i++) {
        stepCase(sched, c, i);
        expectGroups(opt, c, i + 1);
        expect(lastLr(sched)).toEqual(opt.param_groups.map((g) => g.lr));
      }
      expectDeepClose(opt.param_groups, c.final_groups, `${c.name}: final groups`);
      expectDeepClose(sched.state_dict(), c.state_dict, `${c.name}: state_dict`);
    });
  }
});

describe('state_dict() / load_state_dict() resume the same sequence', () => {
  for (const c of sequences) {
    it(c.name, () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const half = Math.floor(c.steps / 2);
      const first = fakeOptimizer(c.groups);
      const original = build(first, c.scheduler, c.kwargs);
      for (let i = 0; i < half; i++) stepCase(original, c, i);
      // Saved as JSON, as a JS program would; the optimizer's groups are saved with it.
      const saved = JSON.parse(JSON.stringify(original.state_dict())) as SchedulerStateDict;
      const savedGroups = structuredClone(first.param_groups);

      const second = fakeOptimizer(c.groups);
      const resumed = build(second, c.scheduler, c.kwargs);
      second.param_groups.splice(0, second.param_groups.length, ...savedGroups);
      resumed.load_state_dict(saved);
      expect(lastLr(resumed)).toEqual(lastLr(original));
      for (let i = half; i < c.steps; i++) {
        stepCase(resumed, c, i);
        expectGroups(second, c, i + 1);
      }
      expectDeepClose(resumed.state_dict(), c.state_dict, `${c.name}: state_dict`);
    });
  }

  it('load_state_dict copies the state instead of sharing it', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const sched = new StepLR(opt, 2);
    const state = sched.state_dict();
    (state.base_lrs as number[])[0] = 5;
    expect(sched.base_lrs).toEqual([0.1]);
    sched.load_state_dict(state);
    (state.base_lrs as number[])[0] = 7;
    expect(sched.base_lrs).toEqual([5]);
  });

  it('LambdaLR saves the properties of function objects, not plain functions', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }, { lr: 0.01 }]);
    const scaled = Object.assign((epoch: number) => scaled.factor ** epoch, { factor: 0.5 });
    const sched = new LambdaLR(opt, [scaled, (epoch) => 1 / (epoch + 1)]);
    const state = sched.state_dict();
    expect(state.lr_lambdas).toEqual([{ factor: 0.5 }, null]);

    const other = Object.assign((epoch: number) => other.factor ** epoch, { factor: 0.9 });
    const restored = new LambdaLR(fakeOptimizer([{ lr: 0.1 }, { lr: 0.01 }]), [other, (epoch) => epoch]);
    restored.load_state_dict(state);
    expect(other.factor).toBe(0.5);
    expect(state.lr_lambdas).toEqual([{ factor: 0.5 }, null]);
  });
});

describe('verbose output equals PyTorch', () => {
  for (const c of verboseCases) {
    it(c.name, () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
      const opt = fakeOptimizer(c.groups);
      const sched = build(opt, c.scheduler, { ...c.kwargs, verbose: true });
      for (let i = 0; i < c.steps; i++) stepCase(sched, c, i);
      expect(printed).toEqual(c.printed);
    });
  }
});

describe('errors equal PyTorch', () => {
  const classes: Record<string, new (...args: any[]) => Error> = {
    ValueError,
    TypeError: TorchTypeError,
    // torch-node has no KeyError or ZeroDivisionError class
    KeyError: TorchError,
    ZeroDivisionError: TorchError,
  };

  for (const c of errors.cases) {
    it(c.name, () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const opt = fakeOptimizer(c.groups);
      const run = () => {
        const sched = build(opt, c.scheduler, c.kwargs);
        for (let i = 0; i < c.steps; i++) stepCase(sched, c, i);
      };
      expect(run).toThrow(classes[c.error]);
      expect(run).toThrow(c.message);
    });
  }

  it('schedulers of other optimizers', () => {
    const a = fakeOptimizer([{ lr: 0.1 }, { lr: 0.01 }]);
    const b = fakeOptimizer([{ lr: 0.1 }, { lr: 0.01 }]);
    const { special } = errors;
    expect(() => new SequentialLR(a, [new ConstantLR(b), new ExponentialLR(b, 0.9)], [2])).toThrow(ValueError);
    expect(() => new SequentialLR(a, [new ConstantLR(b), new ExponentialLR(b, 0.9)], [2])).toThrow(
      special.sequential_other_optimizer.message,
    );
    expect(() => new SequentialLR(a, [new ConstantLR(a), new ExponentialLR(b, 0.9)], [2])).toThrow(
      special.sequential_mixed_optimizers.message,
    );
    expect(() => new ChainedScheduler([new ConstantLR(a), new ExponentialLR(b, 0.9)])).toThrow(ValueError);
    expect(() => new ChainedScheduler([new ConstantLR(a), new ExponentialLR(b, 0.9)])).toThrow(
      special.chained_mixed_optimizers.message,
    );
  });

  it('objects that are not optimizers', () => {
    const { special } = errors;
    const t = torch.zeros(2);
    expect(() => new StepLR(t as unknown as SchedulableOptimizer, 3)).toThrow(TorchTypeError);
    expect(() => new StepLR(t as unknown as SchedulableOptimizer, 3)).toThrow(special.not_an_optimizer.message);
    t.dispose();
    const bad: unknown[] = [5, null, undefined, 'sgd', {}, { param_groups: 'lr' }, { param_groups: [1] }];
    for (const value of bad) {
      const opt = value as SchedulableOptimizer;
      expect(() => new ExponentialLR(opt, 0.9)).toThrow(TorchTypeError);
      expect(() => new ExponentialLR(opt, 0.9)).toThrow(/is not an Optimizer$/);
      expect(() => new OneCycleLR(opt, 0.1, { total_steps: 10 })).toThrow(/is not an Optimizer$/);
      expect(() => new CyclicLR(opt, 0.01, 0.1)).toThrow(/is not an Optimizer$/);
      expect(() => new LambdaLR(opt, () => 1)).toThrow(/is not an Optimizer$/);
      expect(() => new ReduceLROnPlateau(opt)).toThrow(/is not an Optimizer$/);
    }
    expect(() => new StepLR(5 as unknown as SchedulableOptimizer, 3)).toThrow('number is not an Optimizer');
  });

  it('arguments of the wrong type', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    expect(() => new StepLR(opt, '3' as unknown as number)).toThrow(TorchTypeError);
    expect(() => new StepLR(opt, '3' as unknown as number)).toThrow("StepLR: expected a number for 'step_size' but received string 3");
    expect(() => new MultiStepLR(opt, 3 as unknown as number[])).toThrow(TorchTypeError);
    expect(() => new LambdaLR(opt, 0.5 as unknown as LrLambda)).toThrow("expected a function or an array of functions for 'lr_lambda'");
    expect(() => new CyclicLR(opt, 0.01, 'big' as unknown as number)).toThrow(TorchTypeError);
    expect(() => new SequentialLR(opt, [{} as LRScheduler], [])).toThrow(TorchTypeError);
    expect(() => new ChainedScheduler([])).toThrow(IndexError);
  });

  it('OneCycleLR with epochs but no steps_per_epoch (PyTorch raises a TypeError comparing None)', () => {
    const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
    expect(() => new OneCycleLR(opt, 0.1, { epochs: 3 })).toThrow(ValueError);
    expect(() => new OneCycleLR(opt, 0.1, { epochs: 3 })).toThrow('Expected positive integer steps_per_epoch, but got None');
  });
});

describe('warnings like PyTorch', () => {
  it('step(epoch) is deprecated', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const sched = new StepLR(fakeOptimizer([{ lr: 0.1 }]), 2);
    expect(warn).not.toHaveBeenCalled();
    sched.step(4);
    expect(warn).toHaveBeenCalledWith(EPOCH_DEPRECATION_WARNING, { type: 'UserWarning' });
  });

  it('get_lr() outside step()', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const sched = new ExponentialLR(opt, 0.5);
    sched.step();
    expect(warn).not.toHaveBeenCalled();
    expect(sched.get_lr()).toEqual([0.05 * 0.5]);
    expect(warn).toHaveBeenCalledWith(
      'To get the last learning rate computed by the scheduler, please use `get_last_lr()`.',
      { type: 'UserWarning' },
    );
    expect(opt.param_groups[0].lr).toBe(0.05); // get_lr() does not step
  });

  it('scheduler.step() before optimizer.step()', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    let updates = 0;
    const opt = { param_groups: [{ lr: 0.1 }], step: () => ++updates };
    const sched = new StepLR(opt, 2);
    sched.step();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/^Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`/);

    warn.mockClear();
    clearWarningRegistry();
    const opt2 = { param_groups: [{ lr: 0.1 }], step: () => ++updates };
    const sched2 = new StepLR(opt2, 2);
    opt2.step();
    sched2.step();
    expect(warn).not.toHaveBeenCalled();
    expect(updates).toBe(1); // the wrapped step still runs
    expect(opt.param_groups[0].lr).toBe(opt2.param_groups[0].lr);
  });
});

describe('API', () => {
  it('_LRScheduler is LRScheduler, and schedulers are LRSchedulers', () => {
    expect(_LRScheduler).toBe(LRScheduler);
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const step = new StepLR(opt, 2);
    expect(step).toBeInstanceOf(LRScheduler);
    expect(new ChainedScheduler([step])).toBeInstanceOf(_LRScheduler);
    expect(new ReduceLROnPlateau(opt)).not.toBeInstanceOf(LRScheduler);
  });

  it('sets initial_lr, and resumes from it with last_epoch', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }, { lr: 0.01 }]);
    const sched = new StepLR(opt, 2, { gamma: 0.5 });
    expect(opt.param_groups.map((g) => g.initial_lr)).toEqual([0.1, 0.01]);
    for (let i = 0; i < 5; i++) sched.step();
    const resumed = new StepLR(opt, 2, { gamma: 0.5, last_epoch: sched.last_epoch });
    expect(resumed.base_lrs).toEqual([0.1, 0.01]);
    expect(resumed.last_epoch).toBe(6);
    expect(opt.param_groups[0].lr).toBe(0.1 * 0.5 * 0.5 * 0.5);
  });

  it('get_last_lr() returns a copy', () => {
    const sched = new StepLR(fakeOptimizer([{ lr: 0.1 }]), 2);
    sched.get_last_lr()[0] = 3;
    expect(sched.get_last_lr()).toEqual([0.1]);
  });

  it('a user subclass of LRScheduler', () => {
    class WarmupLR extends LRScheduler {
      warmup: number;
      constructor(optimizer: SchedulableOptimizer, warmup: number) {
        super();
        this.warmup = warmup;
        this._initialize(optimizer);
      }
      override get_lr(): number[] {
        return this.base_lrs.map((lr) => lr * Math.min(1, (this.last_epoch + 1) / this.warmup));
      }
    }
    const opt = fakeOptimizer([{ lr: 0.4 }]);
    const sched = new WarmupLR(opt, 4);
    const lrs = [opt.param_groups[0].lr];
    for (let i = 0; i < 4; i++) {
      sched.step();
      lrs.push(opt.param_groups[0].lr);
    }
    expect(lrs).toEqual([0.1, 0.2, 0.30000000000000004, 0.4, 0.4]);
    expect(sched.state_dict()).toMatchObject({ warmup: 4, last_epoch: 4, base_lrs: [0.4] });
  });

  it('OneCycleLR and CyclicLR read momentum support from optimizer.defaults when there is one', () => {
    const withDefaults = { param_groups: [{ lr: 0.1, momentum: 0.9 }], defaults: { lr: 0.1 } };
    expect(() => new CyclicLR(withDefaults, 0.01, 0.1)).toThrow('optimizer must support momentum with `cycle_momentum` option enabled');
    const adamLike = { param_groups: [{ lr: 0.1, betas: [0.9, 0.99] }], defaults: { lr: 0.1, betas: [0.9, 0.99] } };
    new OneCycleLR(adamLike, 0.1, { total_steps: 10 });
    expect(adamLike.param_groups[0].betas).toEqual([0.95, 0.99]);
  });
});

describe('ReduceLROnPlateau with Tensor metrics', () => {
  it('reads a 0-dim Tensor as its value', () => {
    const metrics = [1.0, 0.5, 0.5, 0.5, 0.25];
    const a = fakeOptimizer([{ lr: 0.1 }]);
    const b = fakeOptimizer([{ lr: 0.1 }]);
    const byNumber = new ReduceLROnPlateau(a, { patience: 1 });
    const byTensor = new ReduceLROnPlateau(b, { patience: 1 });
    for (const m of metrics) {
      byNumber.step(m);
      const t = torch.tensor(m, { dtype: torch.float64 });
      byTensor.step(t);
      t.dispose();
    }
    expect(byTensor.state_dict()).toEqual(byNumber.state_dict());
    expect(b.param_groups[0].lr).toBe(a.param_groups[0].lr);
    expect(a.param_groups[0].lr).not.toBe(0.1);
  });

  it('does not leak tensors', () => {
    const start = torch.liveTensorCount();
    const sched = new ReduceLROnPlateau(fakeOptimizer([{ lr: 0.1 }]), { patience: 0 });
    torch.tidy(() => {
      for (let i = 0; i < 5; i++) sched.step(torch.tensor(1.0).mul(2).sum());
    });
    expect(torch.liveTensorCount()).toBe(start);
    expect(sched.get_last_lr()[0]).toBeLessThan(0.1);
  });
});
