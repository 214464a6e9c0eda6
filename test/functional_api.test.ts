// torch.nn.functional's calling convention, in-place forms, warnings, argument errors that
// only torch-node raises, the shared helpers (_pair, _Reduction) and memory. Values are
// checked against PyTorch in functional.test.ts; here results are compared with each other.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import torch, { NotImplementedError, Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import * as _Reduction from '../lib/nn/_reduction.js';
import { _list_with_default, _ntuple, _pair, _quadruple, _reverse_repeat_tuple, _single, _triple } from '../lib/nn/modules/utils.js';

function expectSame(a: Tensor, b: Tensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  expect(torch.equal(a, b)).toBe(true);
}

let emitted: string[] = [];
beforeEach(() => {
  _Reduction.clearWarningRegistry();
  emitted = [];
  vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error) => {
    emitted.push(String(warning));
  }) as typeof process.emitWarning);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('calling convention: positional or options', () => {
  it('gives the same result for optional arguments passed positionally, in options, or mixed', () => {
    torch.manual_seed(0);
    const x = torch.randn(1, 2, 7, 7);
    const a = F.max_pool2d(x, 3, 2, 1, 1, true);
    const b = F.max_pool2d(x, 3, { stride: 2, padding: 1, ceil_mode: true });
    const c = F.max_pool2d(x, 3, 2, { padding: 1, ceil_mode: true });
    const d = F.max_pool2d(x, 3, undefined, { stride: 2, padding: [1, 1], dilation: [1, 1], ceil_mode: true });
    expectSame(a, b);
    expectSame(a, c);
    expectSame(a, d);
  });

  it('treats undefined as "not given" and null as None', () => {
    torch.manual_seed(1);
    const x = torch.randn(1, 1, 6);
    expectSame(F.avg_pool1d(x, 2, undefined, 0), F.avg_pool1d(x, 2));
    expectSame(F.avg_pool1d(x, 2, null), F.avg_pool1d(x, 2, 2));
    expectSame(F.softmax(x, { dim: 2, dtype: undefined }), F.softmax(x, 2));
  });

  it('aliases of ATen ops take the same two forms', () => {
    torch.manual_seed(2);
    const x = torch.randn(1, 2, 5, 5);
    const w = torch.randn(3, 2, 3, 3);
    expectSame(F.conv2d(x, w, null, 1, 1), F.conv2d(x, w, { padding: 1 }));
    expectSame(F.conv2d(x, w, null, 1, 'same'), F.conv2d(x, w, { padding: 'same' }));
    expectSame(F.pad(x, [1, 1], 'constant', 2.5), F.pad(x, [1, 1], { value: 2.5 }));
  });

  it('returns [output, indices] with return_indices, positionally or in options', () => {
    torch.manual_seed(3);
    const x = torch.randn(1, 1, 4, 4);
    const [y, idx]: [Tensor, Tensor] = F.max_pool2d(x, 2, { return_indices: true });
    const [y2, idx2]: [Tensor, Tensor] = F.max_pool2d(x, 2, null, 0, 1, false, true);
    const plain: Tensor = F.max_pool2d(x, 2);
    expectSame(y, plain);
    expectSame(y2, plain);
    expectSame(idx, idx2);
    expect(idx.dtype).toBe(torch.int64);
    const [ay, ai]: [Tensor, Tensor] = F.adaptive_max_pool2d(x, 2, { return_indices: true });
    expectSame(ay, F.adaptive_max_pool2d(x, 2));
    expectSame(ai, F.adaptive_max_pool2d_with_indices(x, 2)[1]);
    expectSame(F.max_unpool2d(y, idx, 2), F.max_unpool2d(y2, idx2, 2, { output_size: [4, 4] }));
  });

  it('rejects too many positional arguments like Python', () => {
    const x = torch.randn(2, 3);
    expect(() => (F.softmax as (...a: unknown[]) => Tensor)(x, 1, 3, null, 5)).toThrow(TorchTypeError);
    expect(() => (F.softmax as (...a: unknown[]) => Tensor)(x, 1, 3, null, 5)).toThrow('softmax() takes from 1 to 4 positional arguments but 5 were given');
    expect(() => (F.tanhshrink as (...a: unknown[]) => Tensor)(x, 1)).toThrow('tanhshrink() takes 1 positional argument but 2 were given');
  });

  it('rejects an argument given both positionally and in options', () => {
    const x = torch.randn(2, 3);
    expect(() => F.softmax(x, 1, { dim: 0 } as never)).toThrow(TorchTypeError);
    expect(() => F.softmax(x, 1, { dim: 0 } as never)).toThrow("softmax() got multiple values for argument 'dim'");
  });

  it('rejects unknown option names', () => {
    const x = torch.randn(2, 3);
    expect(() => F.dropout(x, { prob: 0.5 } as never)).toThrow(TorchTypeError);
    expect(() => F.dropout(x, { prob: 0.5 } as never)).toThrow("dropout() got an unexpected keyword argument 'prob'");
    expect(() => F.conv1d(torch.randn(1, 1, 4), torch.randn(1, 1, 2), { pad: 1 } as never)).toThrow(TorchTypeError);
  });

  it('takes keyword-only options only in the options object', () => {
    torch.manual_seed(4);
    const [q, k, v] = [torch.randn(1, 2, 4), torch.randn(1, 3, 4), torch.randn(1, 3, 4)];
    expectSame(F.scaled_dot_product_attention(q, k, v, { scale: 0.5 }), F.scaled_dot_product_attention(q, k, v, null, 0, false, { scale: 0.5 }));
    const [a, p, n] = [torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3)];
    expect(() => (F.triplet_margin_with_distance_loss as (...x: unknown[]) => Tensor)(a, p, n, null)).toThrow(
      'triplet_margin_with_distance_loss() takes 3 positional arguments but 4 were given',
    );
  });
});

describe('in-place forms', () => {
  it('return the input object, changed', () => {
    const x = torch.tensor([-1.5, 0.5, 2]);
    const before = x.clone();
    expect(F.relu(x, { inplace: true })).toBe(x);
    expectSame(x, F.relu(before));
    const y = torch.tensor([-1.5, 0.5, 2]);
    expect(F.relu_(y)).toBe(y);
    expect(F.leaky_relu_(y, 0.2)).toBe(y);
    const z = torch.tensor([-3, 0.25, 4]);
    expect(F.hardtanh(z, -1, 1, true)).toBe(z);
    expect(z.tolist()).toEqual([-1, 0.25, 1]);
  });

  it('dropout inplace with training false leaves the input unchanged', () => {
    const x = torch.tensor([1, 2, 3, 4]);
    expect(F.dropout(x, 0.5, false, true)).toBe(x);
    expect(x.tolist()).toEqual([1, 2, 3, 4]);
  });
});

describe('dropout', () => {
  it('draws the same mask for the same seed', () => {
    const x = torch.ones(50);
    torch.manual_seed(123);
    const a = F.dropout(x, 0.3);
    torch.manual_seed(123);
    const b = F.dropout(x, { p: 0.3 });
    expectSame(a, b);
    const kept = (a.toTypedArray() as Float32Array).filter((v) => v !== 0);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.7, 5);
  });

  it('is the identity when not training', () => {
    const x = torch.randn(3, 4);
    expectSame(F.dropout(x, 0.9, false), x);
    expectSame(F.dropout2d(torch.ones(1, 2, 3, 3), { training: false }), torch.ones(1, 2, 3, 3));
  });

  it('validates p and the flags', () => {
    const x = torch.ones(3);
    expect(() => F.dropout(x, -0.5)).toThrow(ValueError);
    expect(() => F.dropout(x, -0.5)).toThrow('dropout probability has to be between 0 and 1, but got -0.5');
    expect(() => F.feature_alpha_dropout(x, 1.01)).toThrow(ValueError);
    expect(() => F.dropout(x, '0.5' as never)).toThrow(TorchTypeError);
    expect(() => F.dropout(x, 0.5, 'yes' as never)).toThrow("expected a boolean for 'training'");
  });
});

describe('warnings', () => {
  it('shows a warning once per message, like Python', () => {
    const x = torch.randn(2, 2);
    F.tanh(x);
    F.tanh(x);
    expect(emitted).toEqual(['nn.functional.tanh is deprecated. Use torch.tanh instead.']);
    _Reduction.clearWarningRegistry();
    F.tanh(x);
    expect(emitted.length).toBe(2);
  });

  it('warns when a regression target broadcasts, and not otherwise', () => {
    const x = torch.randn(3, 2);
    F.mse_loss(x, torch.randn(3, 2));
    expect(emitted).toEqual([]);
    F.mse_loss(x, torch.randn(2));
    expect(emitted).toEqual([
      'Using a target size (torch.Size([2])) that is different to the input size (torch.Size([3, 2])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    ]);
  });

  it('picks the implicit softmax dimension as PyTorch does', () => {
    torch.manual_seed(5);
    const x3 = torch.randn(2, 3, 4);
    expectSame(F.softmax(x3), F.softmax(x3, 0));
    const x2 = torch.randn(2, 3);
    expectSame(F.log_softmax(x2), F.log_softmax(x2, 1));
    expect(emitted.length).toBe(2);
  });
});

describe('errors only torch-node raises', () => {
  it('rejects non-tensor inputs with a TypeError naming the argument', () => {
    expect(() => F.tanhshrink([1, 2] as never)).toThrow(TorchTypeError);
    expect(() => F.softsign(1 as never)).toThrow("softsign: expected a Tensor for 'input' but received number 1");
    expect(() => F.mse_loss(torch.ones(2), [1, 2] as never)).toThrow("mse_loss: expected a Tensor for 'target' but received an array");
    expect(() => F.embedding(torch.tensor([0]), torch.ones(3, 2), { padding_idx: 0.5 })).toThrow("expected an integer for 'padding_idx'");
  });

  it('reports ATen argument mismatches for aliased ops', () => {
    const x = torch.randn(1, 1, 4, 4);
    expect(() => F.conv2d(x, torch.randn(1, 1, 3, 3), 'bias' as never)).toThrow(TorchTypeError);
    expect(() => F.conv2d(x, torch.randn(1, 1, 3, 3), 'bias' as never)).toThrow('conv2d() received an invalid combination of arguments');
  });

  it('scaled_dot_product_attention refuses a mask with is_causal', () => {
    const q = torch.randn(1, 2, 4);
    expect(() => F.scaled_dot_product_attention(q, q, q, torch.zeros(2, 2), 0, true)).toThrow(TorchError);
    expect(() => F.scaled_dot_product_attention(q, q, q, torch.zeros(2, 2), 0, true)).toThrow('Explicit attn_mask should not be set when is_causal=True');
    expect(() => F.scaled_dot_product_attention(q, q, q, { dropout_p: 1.5 })).toThrow('dropout probability has to be between 0 and 1');
  });

  it('normalize does not support out=', () => {
    expect(() => F.normalize(torch.ones(2, 2), { out: torch.empty(2, 2) })).toThrow(NotImplementedError);
  });

  it('layer_norm wants normalized_shape as an array, as Python wants a tuple', () => {
    expect(() => F.layer_norm(torch.ones(2, 3), 3 as never)).toThrow(TorchTypeError);
  });
});

describe('helpers', () => {
  it('_single/_pair/_triple/_quadruple expand scalars and copy arrays', () => {
    expect(_single(3)).toEqual([3]);
    expect(_pair(3)).toEqual([3, 3]);
    expect(_triple(2)).toEqual([2, 2, 2]);
    expect(_quadruple(0)).toEqual([0, 0, 0, 0]);
    const given = [1, 2];
    const copied = _pair(given);
    expect(copied).toEqual([1, 2]);
    expect(copied).not.toBe(given);
    expect(_ntuple(2)([5])).toEqual([5]); // an array is kept whatever its length, as in Python
    expect(_reverse_repeat_tuple([1, 2, 3], 2)).toEqual([3, 3, 2, 2, 1, 1]);
  });

  it('_list_with_default fills nulls from the trailing input sizes', () => {
    expect(_list_with_default([null, 3], [8, 4, 5, 6])).toEqual([5, 3]);
    expect(_list_with_default(7, [1, 2])).toBe(7);
    expect(() => _list_with_default([1, 1], [4, 4])).toThrow(ValueError);
    expect(() => _list_with_default([1, 1], [4, 4])).toThrow('Input dimension should be at least 3');
  });

  it('_Reduction maps names and legacy flags to ATen enums', () => {
    expect(['none', 'mean', 'sum'].map(_Reduction.get_enum)).toEqual([0, 1, 2]);
    expect(_Reduction.get_enum('elementwise_mean')).toBe(1);
    expect(emitted).toEqual(["reduction='elementwise_mean' is deprecated, please use reduction='mean' instead."]);
    expect(() => _Reduction.get_enum('avg')).toThrow(ValueError);
    expect(_Reduction.legacy_get_string(null, null, false)).toBe('mean');
    expect(_Reduction.legacy_get_string(false, null, false)).toBe('sum');
    expect(_Reduction.legacy_get_string(true, false, false)).toBe('none');
    expect(_Reduction.legacy_get_enum(false, true, false)).toBe(2);
  });
});

describe('memory', () => {
  it('frees every tensor made inside tidy, through forward and backward', () => {
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      torch.manual_seed(6);
      const x = torch.randn(2, 3, 6, 6, { requires_grad: true });
      const w = torch.randn(4, 3, 3, 3, { requires_grad: true });
      let h = F.relu(F.conv2d(x, w, null, 1, 1));
      h = F.max_pool2d(h, 2);
      h = F.batch_norm(h, torch.zeros(4), torch.ones(4), null, null, true);
      h = F.dropout(F.gelu(h), 0.2);
      h = F.interpolate(h, { scale_factor: 2, mode: 'bilinear', align_corners: false });
      const logits = F.adaptive_avg_pool2d(h, 1).flatten(1);
      const loss = F.cross_entropy(logits, torch.tensor([1, 3])).add(F.mse_loss(F.softmax(logits, -1), torch.full([2, 4], 0.25)));
      const att = F.scaled_dot_product_attention(logits.unsqueeze(0), logits.unsqueeze(0), logits.unsqueeze(0), { is_causal: true });
      const [mha] = F.multi_head_attention_forward(
        logits.unsqueeze(1), logits.unsqueeze(1), logits.unsqueeze(1), 4, 2, torch.randn(12, 4), null, null, null, false, 0, torch.randn(4, 4), null,
      );
      F.embedding(torch.tensor([0, 1]), torch.randn(3, 4), { max_norm: 1 });
      F.gumbel_softmax(logits, { hard: true });
      loss.add(att.sum()).add(mha.sum()).backward();
      expect(x.grad).not.toBeNull();
    });
    expect(torch.liveTensorCount()).toBe(start);
  });
});
