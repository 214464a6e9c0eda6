// nn.init against PyTorch 1.13: each initialiser after torch.manual_seed(0) must give
// PyTorch's exact values (fixtures from scripts/fixtures/make_nn_module.py).
import { describe, expect, it } from 'vitest';
import torch, { Tensor, TorchTypeError, ValueError } from '../lib/index.js';
import * as nn from '../lib/nn/index.js';
import { _erf } from '../lib/nn/init.js';
import { dtypeNamed, expectTensor, loadFixture, type TensorFixture } from './_util.js';

interface InitCase {
  name: string;
  shape: number[];
  dtype: string;
  value: TensorFixture;
}

const fx = loadFixture<{
  cases: InitCase[];
  gains: [string, number | null, number][];
  fans: [number[], [number, number]][];
  erf: [number, number][];
}>('nn_init.json');

const init = nn.init;
const RUN: Record<string, (t: Tensor) => unknown> = {
  uniform_: (t) => init.uniform_(t, -1.0, 2.0),
  uniform_default: (t) => init.uniform_(t),
  normal_: (t) => init.normal_(t, 0.5, 2.0),
  trunc_normal_: (t) => init.trunc_normal_(t),
  trunc_normal_args: (t) => init.trunc_normal_(t, 1.0, 0.5, 0.0, 1.5),
  trunc_normal_f64: (t) => init.trunc_normal_(t, 0.3, 0.7, -1.1, 0.9),
  constant_: (t) => init.constant_(t, 0.25),
  ones_: (t) => init.ones_(t),
  zeros_: (t) => init.zeros_(t),
  eye_: (t) => init.eye_(t),
  dirac_: (t) => init.dirac_(t),
  dirac_groups: (t) => init.dirac_(t, 2),
  xavier_uniform_: (t) => init.xavier_uniform_(t, 2.0),
  xavier_normal_: (t) => init.xavier_normal_(t),
  kaiming_uniform_: (t) => init.kaiming_uniform_(t, { a: Math.sqrt(5) }),
  kaiming_uniform_fan_out_relu: (t) => init.kaiming_uniform_(t, { mode: 'fan_out', nonlinearity: 'relu' }),
  kaiming_normal_: (t) => init.kaiming_normal_(t),
  kaiming_normal_args: (t) => init.kaiming_normal_(t, 0.1, 'fan_out'),
  orthogonal_: (t) => init.orthogonal_(t),
  orthogonal_tall: (t) => init.orthogonal_(t, 1.5),
  sparse_: (t) => init.sparse_(t, 0.5),
};

describe('nn.init matches PyTorch after the same seed', () => {
  it('covers every fixture case', () => {
    expect(fx.cases.map((c) => c.name).sort()).toEqual(Object.keys(RUN).sort());
  });

  for (const c of fx.cases) {
    it(c.name, () => {
      torch.manual_seed(0);
      const t = torch.empty(c.shape, { dtype: dtypeNamed(c.dtype) });
      const returned = RUN[c.name](t);
      expect(returned).toBe(t);
      // orthogonal_ goes through a QR decomposition (LAPACK), the others are elementwise: exact
      const tol = c.name.startsWith('orthogonal') ? { rtol: 1e-6, atol: 1e-6 } : { rtol: 0, atol: 0 };
      expectTensor(t, c.value, tol);
    });
  }

  it('initialises a Parameter in place without recording autograd history', () => {
    const p = new nn.Parameter(torch.empty(3, 4));
    init.kaiming_uniform_(p, { a: Math.sqrt(5) });
    expect(p.requires_grad).toBe(true);
    expect(p.is_leaf).toBe(true);
    expect(p.grad_fn).toBeNull();
  });

  it('calculate_gain', () => {
    for (const [name, param, gain] of fx.gains) expect(init.calculate_gain(name, param)).toBe(gain);
  });

  it('_calculate_fan_in_and_fan_out', () => {
    for (const [shape, fans] of fx.fans) expect(init._calculate_fan_in_and_fan_out(torch.empty(shape))).toEqual(fans);
  });

  it('erf (used by trunc_normal_) equals Python\'s math.erf', () => {
    for (const [x, y] of fx.erf) expect(_erf(x)).toBe(y);
  });
});

describe('nn.init errors', () => {
  it('rejects bad arguments with clear messages', () => {
    expect(() => init.calculate_gain('swish')).toThrow(ValueError);
    expect(() => init.calculate_gain('swish')).toThrow('Unsupported nonlinearity swish');
    expect(() => init.calculate_gain('leaky_relu', true as never)).toThrow('negative_slope true not a valid number');
    expect(() => init._calculate_fan_in_and_fan_out(torch.empty(3))).toThrow('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
    expect(() => init.kaiming_uniform_(torch.empty(2, 2), { mode: 'fan_avg' as never })).toThrow("Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']");
    expect(() => init.eye_(torch.empty(2, 2, 2))).toThrow('Only tensors with 2 dimensions are supported');
    expect(() => init.dirac_(torch.empty(2, 2))).toThrow('Only tensors with 3, 4, or 5 dimensions are supported');
    expect(() => init.dirac_(torch.empty(3, 2, 2), 2)).toThrow('dim 0 must be divisible by groups');
    expect(() => init.orthogonal_(torch.empty(3))).toThrow('Only tensors with 2 or more dimensions are supported');
    expect(() => init.uniform_([1, 2] as never)).toThrow(TorchTypeError);
    expect(() => init.uniform_([1, 2] as never)).toThrow("nn.init.uniform_: expected a Tensor for 'tensor' but received an array");
    expect(() => init.normal_(torch.empty(2), 'a' as never)).toThrow("expected a number for 'mean'");
  });
});

describe('nn.init memory', () => {
  it('leaves no temporary tensor behind', () => {
    const t = torch.empty(6, 4);
    const start = torch.liveTensorCount();
    for (const fn of Object.values(RUN)) {
      if (fn === RUN.dirac_ || fn === RUN.dirac_groups) continue; // 3-D and up only
      fn(t);
    }
    init.dirac_(torch.tidy(() => torch.empty(2, 2, 3)));
    expect(torch.liveTensorCount()).toBe(start + 1);
  });
});
