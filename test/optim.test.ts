// torch.optim against PyTorch 1.13 (fixtures from scripts/fixtures/make_optim.py): parameters after
// several steps of every optimizer, state_dict layout, state_dict round trips (ours and PyTorch's),
// LBFGS with and without strong-Wolfe line search, errors, zero_grad, and memory.
import { describe, expect, it } from 'vitest';
import torch, { Tensor, TorchTypeError, ValueError } from '../lib/index.js';
import * as optim from '../lib/optim/index.js';
import type { Optimizer, OptimizerStateDict } from '../lib/optim/index.js';
import { expectTensor, fromFixture, isTensorFixture, loadFixture, settle, type TensorFixture } from './_util.js';

type ParamName = 'W' | 'b' | 'u' | 'unused';
const PARAM_NAMES: ParamName[] = ['W', 'b', 'u', 'unused'];

interface Case {
  name: string;
  optimizer: string;
  dtype: string;
  options: Record<string, unknown>;
  groups: Array<Record<string, unknown> & { params: ParamName[] }> | null;
  steps: number;
  mid: number;
  after: Record<ParamName, TensorFixture>;
  state_dict: any;
  params_mid: Record<ParamName, TensorFixture>;
  state_dict_mid: any;
  roundtrip: Record<ParamName, TensorFixture>;
}

interface ProblemFixture {
  problem: Record<'X' | 'Y' | ParamName, TensorFixture>;
  cases: Case[];
}

const OPTIMIZERS: Record<string, new (params: any, options?: any) => Optimizer> = {
  SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop, Adagrad: optim.Adagrad,
  Adadelta: optim.Adadelta, Adamax: optim.Adamax, NAdam: optim.NAdam, RAdam: optim.RAdam,
};

/** Tolerances: the same ATen ops run in the same order, so results agree to the last bits. */
const TOL: Record<string, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-9, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
};

/** Turns fixture JSON into values: tensor fixtures become Tensors, the rest is copied. */
function revive(value: unknown): unknown {
  if (isTensorFixture(value)) return fromFixture(value);
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  return value;
}

/** Compares a state value of ours with PyTorch's (tensors within tolerance, the rest exactly). */
function expectStateValue(actual: unknown, expected: unknown, tol: { rtol: number; atol: number }, where: string): void {
  if (isTensorFixture(expected)) {
    expect(actual, where).toBeInstanceOf(Tensor);
    expectTensor(actual as Tensor, expected, tol);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, where).toBe(expected.length);
    expected.forEach((e, i) => expectStateValue((actual as unknown[])[i], e, tol, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected)) expectStateValue((actual as Record<string, unknown>)[k], e, tol, `${where}.${k}`);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

/** Our state_dict has the layout of PyTorch's: same groups (options and param ids), same state keys and values. */
function expectStateDict(actual: OptimizerStateDict, expected: any, tol: { rtol: number; atol: number }): void {
  expect(JSON.parse(JSON.stringify(actual.param_groups))).toEqual(expected.param_groups);
  expect([...actual.state.keys()].map(String).sort()).toEqual(Object.keys(expected.state).sort());
  for (const [id, s] of Object.entries(expected.state)) expectStateValue(actual.state.get(Number(id)), s, tol, `state[${id}]`);
}

function lossFn(X: Tensor, Y: Tensor, p: Record<ParamName, Tensor>): Tensor {
  // Python: ((tanh(X.matmul(W.t()) + b) - Y) ** 2).mean() + 0.1 * (u ** 4).sum()
  const pred = torch.tanh(X.matmul(p.W.t()).add(p.b));
  return pred.sub(Y).pow(2).mean().add(p.u.pow(4).sum().mul(0.1));
}

class Problem {
  readonly X: Tensor;
  readonly Y: Tensor;
  constructor(readonly fixture: ProblemFixture['problem']) {
    this.X = fromFixture(fixture.X);
    this.Y = fromFixture(fixture.Y);
  }
  params(values: Record<ParamName, TensorFixture> = this.fixture): Record<ParamName, Tensor> {
    return Object.fromEntries(PARAM_NAMES.map((k) => [k, fromFixture(values[k]).requires_grad_(true)])) as Record<ParamName, Tensor>;
  }
  build(c: Case, p: Record<ParamName, Tensor>): Optimizer {
    const Cls = OPTIMIZERS[c.optimizer];
    if (c.groups === null) return new Cls(PARAM_NAMES.map((k) => p[k]), c.options);
    return new Cls(c.groups.map((g) => ({ ...g, params: g.params.map((k) => p[k]) })), c.options);
  }
  run(opt: Optimizer, p: Record<ParamName, Tensor>, n: number): void {
    for (let i = 0; i < n; i++) {
      torch.tidy(() => {
        opt.zero_grad();
        lossFn(this.X, this.Y, p).backward();
        opt.step();
      });
    }
  }
}

function expectParams(p: Record<ParamName, Tensor>, expected: Record<ParamName, TensorFixture>, tol: { rtol: number; atol: number }): void {
  for (const k of PARAM_NAMES) expectTensor(p[k].detach(), expected[k], tol);
}

for (const dtype of ['float64', 'float32']) {
  const fixture = loadFixture<ProblemFixture>(`optim_${dtype}.json`);
  const problem = new Problem(fixture.problem);
  const tol = TOL[dtype];

  describe(`optimizers vs PyTorch (${dtype})`, () => {
    for (const c of fixture.cases) {
      describe(c.name, () => {
        it(`parameters after ${c.steps} steps and the state_dict match PyTorch`, () => {
          const p = problem.params();
          const opt = problem.build(c, p);
          problem.run(opt, p, c.steps);
          expectParams(p, c.after, tol);
          expectStateDict(opt.state_dict(), c.state_dict, tol);
        });

        it('a state_dict round trip continues like PyTorch and like an uninterrupted run', () => {
          const p = problem.params();
          const opt = problem.build(c, p);
          problem.run(opt, p, c.mid);
          // load_state_dict copies: the state_dict itself holds the live state, which step() goes on changing.
          const p2 = Object.fromEntries(PARAM_NAMES.map((k) => [k, p[k].detach().clone().requires_grad_(true)])) as Record<ParamName, Tensor>;
          const opt2 = problem.build(c, p2);
          opt2.load_state_dict(opt.state_dict());
          problem.run(opt, p, c.steps - c.mid);
          problem.run(opt2, p2, c.steps - c.mid);
          expectParams(p2, c.roundtrip, tol);
          // PyTorch casts every floating state tensor but `step` to the parameter dtype (NAdam's
          // float32 mu_product becomes float64), so a round trip may differ in the last bits.
          for (const k of PARAM_NAMES) expectTensor(p2[k].detach(), { ...c.after[k], data: Array.from(p[k].detach().toTypedArray() as Float64Array) }, { rtol: 1e-6, atol: 1e-9 });
        });

        it("loading PyTorch's state_dict and stepping matches PyTorch", () => {
          const p = problem.params(c.params_mid);
          const opt = problem.build(c, p);
          opt.load_state_dict(revive(c.state_dict_mid) as OptimizerStateDict);
          problem.run(opt, p, c.steps - c.mid);
          expectParams(p, c.roundtrip, tol);
        });
      });
    }
  });
}

// ---- LBFGS ------------------------------------------------------------------------------------

interface LBFGSCase {
  name: string;
  dtype: string;
  options: Record<string, unknown>;
  calls: number;
  start: Record<'a' | 'b', TensorFixture>;
  trace: Array<{ loss: number; a: TensorFixture; b: TensorFixture; func_evals: number; n_iter: number }>;
  state: Record<string, any> & { keys: string[] };
  params_mid: Record<'a' | 'b', TensorFixture>;
  state_dict_mid: any;
  roundtrip: Record<'a' | 'b', TensorFixture>;
}

function rosenbrock(a: Tensor, b: Tensor): Tensor {
  // Python: x = cat([a, b]); (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
  const x = torch.cat([a, b]);
  const head = x.index(':-1');
  return x.index('1:').sub(head.pow(2)).pow(2).mul(100).add(torch.rsub(head, 1).pow(2)).sum();
}

function lbfgsStep(opt: optim.LBFGS, a: Tensor, b: Tensor): Tensor | number | undefined {
  return opt.step(() => {
    opt.zero_grad();
    const loss = rosenbrock(a, b);
    loss.backward();
    return loss;
  });
}

describe('LBFGS vs PyTorch', () => {
  const { cases } = loadFixture<{ cases: LBFGSCase[] }>('optim_lbfgs.json');
  for (const c of cases) {
    const tol = c.dtype === 'float64' ? TOL.float64 : { rtol: 1e-5, atol: 1e-6 };
    describe(`${c.name} (${c.dtype})`, () => {
      it(`${c.calls} step() calls follow PyTorch's iterates, losses and evaluation counts`, () => {
        const a = fromFixture(c.start.a).requires_grad_(true);
        const b = fromFixture(c.start.b).requires_grad_(true);
        const opt = new optim.LBFGS([a, b], c.options);
        for (const expected of c.trace) {
          const loss = torch.tidy(() => {
            const l = lbfgsStep(opt, a, b);
            return l instanceof Tensor ? l.item() : l;
          });
          expect(loss).toBeCloseTo(expected.loss, c.dtype === 'float64' ? 9 : 4);
          expectTensor(a.detach(), expected.a, tol);
          expectTensor(b.detach(), expected.b, tol);
          const state = opt.state.get(a)!;
          expect(state.func_evals).toBe(expected.func_evals);
          expect(state.n_iter).toBe(expected.n_iter);
        }
        const sd = opt.state_dict();
        const s = sd.state.get(0)!;
        expect(Object.keys(s).sort()).toEqual(c.state.keys);
        expect(JSON.parse(JSON.stringify(sd.param_groups))).toEqual(c.state.param_groups);
        for (const key of ['func_evals', 'n_iter', 't', 'prev_loss', 'H_diag', 'd', 'prev_flat_grad', 'old_dirs', 'old_stps', 'ro']) {
          expectStateValue(s[key], c.state[key], tol, key);
        }
      });

      it("loading PyTorch's state_dict after the first call and continuing matches PyTorch", () => {
        const a = fromFixture(c.params_mid.a).requires_grad_(true);
        const b = fromFixture(c.params_mid.b).requires_grad_(true);
        const opt = new optim.LBFGS([a, b], c.options);
        opt.load_state_dict(revive(c.state_dict_mid) as OptimizerStateDict);
        for (let i = 1; i < c.calls; i++) torch.tidy(() => void lbfgsStep(opt, a, b));
        expectTensor(a.detach(), c.roundtrip.a, tol);
        expectTensor(b.detach(), c.roundtrip.b, tol);
      });
    });
  }

  it('rejects a missing closure and unknown line searches', () => {
    const x = torch.zeros(2, { requires_grad: true });
    const opt = new optim.LBFGS([x]);
    expect(() => (opt.step as () => unknown)()).toThrow(TorchTypeError);
    expect(() => (opt.step as () => unknown)()).toThrow("missing 1 required positional argument: 'closure'");
    const bad = new optim.LBFGS([x], { line_search_fn: 'backtracking' as 'strong_wolfe' });
    expect(() => lbfgsStep(bad, x, torch.ones(2))).toThrow("only 'strong_wolfe' is supported");
  });
});

// ---- errors -----------------------------------------------------------------------------------

describe('errors match PyTorch', () => {
  const { errors } = loadFixture<{ errors: Record<string, { type: string; message: string }> }>('optim_misc.json');
  const w = torch.zeros(2, { requires_grad: true });
  const v = torch.zeros(2, { requires_grad: true });
  const twoGroups = () => new optim.SGD([{ params: [w] }, { params: [v] }], { lr: 0.1 });
  const oneGroup = () => new optim.SGD([w, v], { lr: 0.1 });
  const attempts: Record<string, () => unknown> = {
    sgd_lr: () => new optim.SGD([w], { lr: -1 }),
    sgd_momentum: () => new optim.SGD([w], { lr: 0.1, momentum: -0.5 }),
    sgd_weight_decay: () => new optim.SGD([w], { lr: 0.1, weight_decay: -0.5 }),
    sgd_nesterov: () => new optim.SGD([w], { lr: 0.1, nesterov: true }),
    sgd_required_lr: () => new optim.SGD([w]),
    adam_eps: () => new optim.Adam([w], { eps: -0.5 }),
    adam_beta0: () => new optim.Adam([w], { betas: [1.5, 0.9] }),
    adam_beta1: () => new optim.Adam([w], { betas: [0.9, 1] }),
    adamw_lr: () => new optim.AdamW([w], { lr: -0.5 }),
    rmsprop_alpha: () => new optim.RMSprop([w], { alpha: -0.5 }),
    rmsprop_momentum: () => new optim.RMSprop([w], { momentum: -0.5 }),
    adagrad_lr_decay: () => new optim.Adagrad([w], { lr_decay: -0.5 }),
    adagrad_initial: () => new optim.Adagrad([w], { initial_accumulator_value: -0.5 }),
    adadelta_rho: () => new optim.Adadelta([w], { rho: 1.5 }),
    adamax_beta0: () => new optim.Adamax([w], { betas: [-0.5, 0.9] }),
    nadam_momentum_decay: () => new optim.NAdam([w], { momentum_decay: -0.5 }),
    radam_weight_decay: () => new optim.RAdam([w], { weight_decay: -0.5 }),
    duplicate_across_groups: () => new optim.SGD([{ params: [w] }, { params: [w, v] }], { lr: 0.1 }),
    empty: () => new optim.SGD([], { lr: 0.1 }),
    tensor_params: () => new optim.SGD(w as unknown as Tensor[], { lr: 0.1 }),
    non_leaf: () => new optim.SGD([w.mul(2)], { lr: 0.1 }),
    non_tensor: () => new optim.SGD([w, 3 as unknown as Tensor], { lr: 0.1 }),
    lbfgs_groups: () => new optim.LBFGS([{ params: [w] }, { params: [v] }]),
    load_group_count: () => twoGroups().load_state_dict(oneGroup().state_dict()),
    load_group_size: () => oneGroup().load_state_dict(new optim.SGD([w], { lr: 0.1 }).state_dict()),
  };
  for (const [name, expected] of Object.entries(errors)) {
    it(`${name}: ${expected.type}`, () => {
      const attempt = attempts[name];
      expect(attempt, `no TypeScript attempt for fixture error ${name}`).toBeDefined();
      const cls = expected.type === 'TypeError' ? TorchTypeError : ValueError;
      expect(attempt).toThrow(cls);
      expect(attempt).toThrow(expected.message);
    });
  }

  it('rejects unknown options, a Set of parameters, and an lr given twice', () => {
    expect(() => new optim.Adam([w], { lr: 0.1, momentum: 0.9 } as never)).toThrow(TorchTypeError);
    expect(() => new optim.Adam([w], { lr: 0.1, momentum: 0.9 } as never)).toThrow("unexpected keyword argument 'momentum'");
    expect(() => new optim.SGD([{ params: new Set([w]) }], { lr: 0.1 })).toThrow('ordering of tensors in sets');
    expect(() => new optim.SGD([w], 0.1, { lr: 0.2 })).toThrow("multiple values for argument 'lr'");
    expect(() => new optim.Adam([w], { capturable: true })).toThrow('not supported');
  });
});

// ---- behaviour ----------------------------------------------------------------------------------

describe('Optimizer behaviour', () => {
  const misc = loadFixture<{ repr: Record<string, string> }>('optim_misc.json');

  it('positional lr is the same as { lr }, and groups get every default', () => {
    const w = torch.zeros(2, { requires_grad: true });
    const a = new optim.SGD([w], 0.5, { momentum: 0.9 });
    const b = new optim.SGD([w], { lr: 0.5, momentum: 0.9 });
    expect(a.param_groups[0]).toEqual(b.param_groups[0]);
    expect(String(b)).toBe(misc.repr.sgd);
  });

  it("repr lists each group's options like PyTorch", () => {
    const w = torch.zeros(2, { requires_grad: true });
    const v = torch.zeros(2, { requires_grad: true });
    expect(String(new optim.Adam([{ params: [w] }, { params: [v], lr: 0.1, amsgrad: true }]))).toBe(misc.repr.adam);
  });

  it('zero_grad zeroes gradients by default (PyTorch 1.13) and sets them to null with set_to_none', () => {
    const w = torch.tensor([1, 2, 3], { dtype: torch.float64, requires_grad: true });
    const opt = new optim.Adam([w], { lr: 0.1 });
    w.pow(2).sum().backward();
    opt.zero_grad();
    const g = w.grad!;
    expect(g).not.toBeNull();
    expect(g.tolist()).toEqual([0, 0, 0]);
    expect(g.requires_grad).toBe(false);

    w.pow(2).sum().backward();
    opt.zero_grad({ set_to_none: true });
    expect(w.grad).toBeNull();
    // A parameter without a gradient is skipped: unchanged, and no state is created for it.
    const before = w.detach().clone();
    opt.step();
    expect(w.detach().equal(before)).toBe(true);
    expect(opt.state.has(w)).toBe(false);
  });

  it('step returns the loss of its closure, evaluated with grad enabled', () => {
    const w = torch.tensor([1, 2], { dtype: torch.float64, requires_grad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    const loss = torch.no_grad(() =>
      opt.step(() => {
        opt.zero_grad();
        const l = w.pow(2).sum();
        l.backward();
        return l;
      }),
    ) as Tensor;
    expect(loss.item()).toBe(5);
    expect(w.detach().tolist()).toEqual([1 - 0.1 * 2, 2 - 0.1 * 4]);
  });

  it('add_param_group fills defaults and rejects parameters already optimized', () => {
    const w = torch.zeros(2, { requires_grad: true });
    const v = torch.zeros(3, { requires_grad: true });
    const opt = new optim.Adagrad([w], { lr: 0.1 });
    opt.add_param_group({ params: v, lr: 0.01 });
    expect(opt.param_groups[1].params).toEqual([v]);
    expect(opt.param_groups[1].lr).toBe(0.01);
    expect(opt.param_groups[1].eps).toBe(1e-10);
    expect(opt.state.get(v)!.sum).toBeInstanceOf(Tensor);
    expect(() => opt.add_param_group({ params: [w] })).toThrow('some parameters appear in more than one parameter group');
  });

  it('load_state_dict takes the saved group options and casts state to the parameter dtype, except step', () => {
    const w32 = torch.tensor([1, -2], { dtype: torch.float32, requires_grad: true });
    const opt32 = new optim.Adam([w32], { lr: 0.1 });
    w32.pow(2).sum().backward();
    opt32.step();
    const w64 = torch.tensor([1, -2], { dtype: torch.float64, requires_grad: true });
    const opt64 = new optim.Adam([w64], { lr: 0.5 });
    opt64.load_state_dict(opt32.state_dict());
    expect(opt64.param_groups[0].lr).toBe(0.1);
    expect(opt64.param_groups[0].params[0]).toBe(w64);
    const s = opt64.state.get(w64)!;
    expect((s.exp_avg as Tensor).dtype).toBe(torch.float64);
    expect((s.step as Tensor).dtype).toBe(torch.float32);
    // The loaded state is a copy.
    expect(s.exp_avg).not.toBe(opt32.state.get(w32)!.exp_avg);
  });
});

// ---- memory -------------------------------------------------------------------------------------

describe('memory', () => {
  const { problem: fx, cases } = loadFixture<ProblemFixture>('optim_float64.json');
  const problem = new Problem(fx);
  const names = [...new Set(cases.map((c) => c.name))];
  for (const name of names) {
    it(`${name}: 100 steps inside tidy keep liveTensorCount constant and the state alive`, () => {
      const c = cases.find((k) => k.name === name)!;
      const p = problem.params();
      const opt = problem.build(c, p);
      problem.run(opt, p, 1);
      settle(); // the setup above leaves garbage that a GC during the loop would subtract
      const start = torch.liveTensorCount();
      problem.run(opt, p, 100);
      expect(torch.liveTensorCount()).toBe(start);
      for (const s of opt.state.values()) {
        for (const v of Object.values(s)) if (v instanceof Tensor) expect(v.isDisposed).toBe(false);
      }
    });
  }

  it('LBFGS: the history is bounded and dropped tensors are freed, but not those a state_dict holds', () => {
    const a = torch.tensor([-1.5, 2.0], { dtype: torch.float64, requires_grad: true });
    const b = torch.tensor([0.5, -0.8], { dtype: torch.float64, requires_grad: true });
    const opt = new optim.LBFGS([a, b], { max_iter: 4, history_size: 3, tolerance_grad: 0, tolerance_change: 0 });
    const step = () => torch.tidy(() => void lbfgsStep(opt, a, b));
    step();
    step();
    const saved = opt.state_dict().state.get(0)!;
    const savedDirs = [...(saved.old_dirs as Tensor[])];
    const shared = new Set(Object.values(saved).flat().filter((v): v is Tensor => v instanceof Tensor));
    settle();
    const start = torch.liveTensorCount();
    for (let i = 0; i < 20; i++) step();
    // Every step frees as many history tensors as it adds, except those the state_dict handed out.
    expect(torch.liveTensorCount()).toBe(start + [...shared].filter((t) => !Object.values(opt.state.get(a)!).flat().includes(t)).length);
    for (const t of savedDirs) expect(t.isDisposed).toBe(false);
    expect((opt.state.get(a)!.old_dirs as Tensor[]).length).toBe(3);
    const count = torch.liveTensorCount();
    for (let i = 0; i < 10; i++) step();
    expect(torch.liveTensorCount()).toBe(count);
  });

  it('state created inside a user tidy() survives it; dispose() frees it', () => {
    const w = torch.tensor([1, 2], { dtype: torch.float64, requires_grad: true });
    const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      w.pow(2).sum().backward();
      opt.step();
    });
    const buf = opt.state.get(w)!.momentum_buffer as Tensor;
    expect(buf.isDisposed).toBe(false);
    expect(torch.liveTensorCount()).toBe(start + 1); // the momentum buffer (w.grad belongs to w, not to a JS handle)
    opt.dispose();
    expect(buf.isDisposed).toBe(true);
    expect(opt.state.size).toBe(0);
  });
});
