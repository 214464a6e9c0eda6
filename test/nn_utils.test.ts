// torch.nn.utils against PyTorch 1.13: clip_grad_norm_ / clip_grad_value_,
// parameters_to_vector / vector_to_parameters, weight_norm / remove_weight_norm and the
// padded/packed sequence helpers (fixtures from scripts/fixtures/make_nn_rnn.py).
import { afterEach, describe, expect, it, vi } from 'vitest';
import torch, { Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import { clearWarningRegistry } from '../lib/nn/_reduction.js';
import * as nn from '../lib/nn/index.js';
import { LSTM } from '../lib/nn/modules/rnn.js';
import * as utils from '../lib/nn/utils/index.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const fx = loadFixture('nn_rnn_utils.json');
const EXACT = { rtol: 0, atol: 0 };
const { rnn } = utils;

const decodeFloat = (v: number | string): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

interface ClipCase {
  seed: number;
  norm_type: number | string;
  max_norm: number;
  grads_before: TensorFixture[];
  total_norm: TensorFixture;
  grads_after: TensorFixture[];
}

/** Parameters with the fixture's gradients set. */
function paramsWithGrads(grads: TensorFixture[]): Tensor[] {
  return grads.map((g) => {
    const grad = fromFixture(g);
    const p = torch.zeros(grad.shape, { requires_grad: true });
    p.grad = grad;
    return p;
  });
}

describe('clip_grad_norm_ and clip_grad_value_', () => {
  for (const c of fx.clip_norm as ClipCase[]) {
    it(`norm_type=${c.norm_type}, max_norm=${c.max_norm}: PyTorch's total norm and scaled gradients`, () => {
      const params = paramsWithGrads(c.grads_before);
      const total = utils.clip_grad_norm_(params, c.max_norm, { norm_type: decodeFloat(c.norm_type) });
      expectTensor(total, c.total_norm);
      params.forEach((p, i) => expectTensor(p.grad!, c.grads_after[i]));
    });
  }

  it('takes norm_type positionally, a single tensor, and returns 0 without gradients', () => {
    const c = (fx.clip_norm as ClipCase[])[1];
    const params = paramsWithGrads(c.grads_before);
    expectTensor(utils.clip_grad_norm_(params, c.max_norm, Infinity, false), c.total_norm);
    const single = paramsWithGrads([c.grads_before[0]])[0];
    expect(utils.clip_grad_norm_(single, 1e9).item()).toBeGreaterThan(0);
    expect(utils.clip_grad_norm_([torch.zeros(2, { requires_grad: true })], 1.0).item()).toBe(0);
  });

  it('error_if_nonfinite throws PyTorch\'s message', () => {
    const p = torch.zeros(3, { requires_grad: true });
    p.grad = torch.tensor([1.0, Infinity, 2.0]);
    const call = () => utils.clip_grad_norm_([p], 1.0, { error_if_nonfinite: true });
    expect(call).toThrow(TorchError);
    expect(call).toThrow(fx.clip_nonfinite.message);
    expect(utils.clip_grad_norm_([p], 1.0).item()).toBe(Infinity);
  });

  it('clip_grad_norm (deprecated) warns and clips', () => {
    clearWarningRegistry();
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const c = (fx.clip_norm as ClipCase[])[0];
    const params = paramsWithGrads(c.grads_before);
    expectTensor(utils.clip_grad_norm(params, c.max_norm), c.total_norm);
    expect(spy).toHaveBeenCalledWith('torch.nn.utils.clip_grad_norm is now deprecated in favor of torch.nn.utils.clip_grad_norm_.', { type: 'UserWarning' });
  });
  afterEach(() => vi.restoreAllMocks());

  it('clip_grad_value_ clamps like PyTorch', () => {
    const c = fx.clip_value;
    const params = paramsWithGrads(c.grads_before);
    utils.clip_grad_value_(params, c.clip_value);
    params.forEach((p, i) => expectTensor(p.grad!, c.grads_after[i], EXACT));
  });

  it('rejects bad arguments', () => {
    expect(() => utils.clip_grad_norm_(5 as never, 1.0)).toThrow(TorchTypeError);
    expect(() => utils.clip_grad_norm_([], '1' as never)).toThrow(TorchTypeError);
    expect(() => utils.clip_grad_value_([], null as never)).toThrow(TorchTypeError);
    expect(() => utils.clip_grad_norm_([], 1, { p: 2 } as never)).toThrow("got an unexpected keyword argument 'p'");
  });

  it('leaves no tensor behind but the total norm', () => {
    const params = paramsWithGrads((fx.clip_norm as ClipCase[])[0].grads_before);
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      utils.clip_grad_norm_(params, 0.5);
      utils.clip_grad_norm_(params, 0.5, Infinity);
      utils.clip_grad_value_(params, 0.1);
    });
    expect(torch.liveTensorCount()).toBe(start);
    const total = utils.clip_grad_norm_(params, 0.5);
    expect(torch.liveTensorCount()).toBe(start + 1);
    total.dispose();
  });
});

describe('parameters_to_vector and vector_to_parameters', () => {
  it('round-trips an LSTM\'s parameters like PyTorch', () => {
    const c = fx.convert;
    torch.manual_seed(c.seed);
    const lstm = new LSTM(3, 4, { bidirectional: true });
    const vec = utils.parameters_to_vector(lstm.parameters());
    expectTensor(vec, c.vector, EXACT);
    const newVec = torch.arange(vec.numel(), { dtype: torch.float32 }).div(100.0);
    utils.vector_to_parameters(newVec, lstm.parameters());
    const params = [...lstm.named_parameters()];
    expect(params.map(([n]) => n)).toEqual((c.params_after as [string, TensorFixture][]).map(([n]) => n));
    params.forEach(([, p], i) => expectTensor(p, c.params_after[i][1], EXACT));
    // As in Python, the parameters now view the vector's storage.
    newVec.zero_();
    expect(lstm.get_parameter('bias_hh_l0_reverse').abs().sum().item()).toBe(0);
    expect(utils.parameters_to_vector(lstm.parameters()).abs().sum().item()).toBe(0);
  });

  it('rejects a non-tensor vector with PyTorch\'s TypeError', () => {
    const lstm = new LSTM(3, 4);
    expect(fx.convert.not_tensor.type).toBe('TypeError');
    expect(() => utils.vector_to_parameters([1.0, 2.0] as never, lstm.parameters())).toThrow(TorchTypeError);
    expect(() => utils.vector_to_parameters([1.0, 2.0] as never, lstm.parameters())).toThrow(fx.convert.not_tensor.message);
    expect(() => utils.parameters_to_vector(3 as never)).toThrow(TorchTypeError);
  });

  it('leaves no tensor behind', () => {
    const lstm = new LSTM(3, 4);
    const start = torch.liveTensorCount();
    torch.tidy(() => utils.vector_to_parameters(utils.parameters_to_vector(lstm.parameters()).mul(2), lstm.parameters()));
    expect(torch.liveTensorCount()).toBe(start);
  });
});

describe('weight_norm and remove_weight_norm', () => {
  for (const c of fx.weight_norm as any[]) {
    it(`dim=${c.dim}: PyTorch's g, v, output, gradients and state_dict keys`, () => {
      torch.manual_seed(51);
      let m = new nn.Linear(4, 3);
      expectTensor(m.weight, c.weight, EXACT);
      m = utils.weight_norm(m, 'weight', c.dim);
      const mm = m as unknown as Record<string, Tensor>;
      expectTensor(mm.weight_g, c.weight_g, EXACT);
      expectTensor(mm.weight_v, c.weight_v, EXACT);
      const x = torch.randn(2, 4);
      expectTensor(x, c.x, EXACT);
      const y = m.forward(x);
      expectTensor(y, c.y);
      y.pow(2).sum().backward();
      expectTensor(mm.weight_g.grad!, c.weight_g_grad);
      expectTensor(mm.weight_v.grad!, c.weight_v_grad);
      expect([...m.state_dict().keys()]).toEqual(c.state_dict_keys);
      expect([...m.named_parameters()].map(([n]) => n)).toEqual(c.named_parameters);

      torch.no_grad(() => mm.weight_g.mul_(2.0));
      m.forward(x);
      utils.remove_weight_norm(m);
      expect(m.weight).toBeInstanceOf(nn.Parameter);
      expectTensor(m.weight, c.removed_weight);
      expect([...m.state_dict().keys()]).toEqual(c.removed_keys);
      expect(m.forward).toBe(nn.Linear.prototype.forward);
      expect(() => utils.remove_weight_norm(m)).toThrow(ValueError);
      expect(() => utils.remove_weight_norm(m)).toThrow(c.remove_again.message);
    });
  }

  it('refuses to normalize the same parameter twice', () => {
    const m = utils.weight_norm(new nn.Linear(4, 3));
    expect(() => utils.weight_norm(m)).toThrow(TorchError);
    expect(() => utils.weight_norm(m)).toThrow(fx.weight_norm_twice.message);
    expect(() => utils.weight_norm(new nn.Linear(4, 3), 'nope')).toThrow(ValueError);
  });

  it('a forward + backward in tidy keeps only the recomputed weight', () => {
    const m = utils.weight_norm(new nn.Linear(4, 3));
    const x = torch.randn(2, 4);
    const start = torch.liveTensorCount();
    torch.tidy(() => m.forward(x).sum().backward());
    torch.tidy(() => m.forward(x).sum().backward());
    expect(torch.liveTensorCount()).toBe(start);
    expect((m as unknown as Record<string, Tensor>).weight.isDisposed).toBe(false);
  });
});

describe('pad_sequence, pack_sequence, pad_packed_sequence, unpack_sequence', () => {
  const s = fx.sequences;
  const seqs = () => (s.seqs as TensorFixture[]).map(fromFixture);

  it('pad_sequence matches PyTorch', () => {
    expectTensor(rnn.pad_sequence(seqs()), s.pad_default, EXACT);
    expectTensor(rnn.pad_sequence(seqs(), { batch_first: true, padding_value: 7.5 }), s.pad_batch_first_value, EXACT);
    expectTensor(rnn.pad_sequence(seqs(), true, 7.5), s.pad_batch_first_value, EXACT);
    const stacked = torch.stack([torch.ones(2), torch.zeros(2)]);
    expect(rnn.pad_sequence(stacked).tolist()).toEqual([[1, 0], [1, 0]]);
  });

  it('pack_sequence / pad_packed_sequence / unpack_sequence match PyTorch', () => {
    const packed = rnn.pack_sequence(seqs(), false);
    expectTensor(packed.data, s.packed.data, EXACT);
    expectTensor(packed.batch_sizes, s.packed.batch_sizes, EXACT);
    expectTensor(packed.sorted_indices!, s.packed.sorted_indices, EXACT);
    expectTensor(packed.unsorted_indices!, s.packed.unsorted_indices, EXACT);
    const [padded, lengths] = rnn.pad_packed_sequence(packed, { batch_first: true, padding_value: -1.0 });
    expectTensor(padded, s.padded, EXACT);
    expectTensor(lengths, s.lengths, EXACT);
    const unpacked = rnn.unpack_sequence(packed);
    unpacked.forEach((t, i) => expectTensor(t, s.unpacked[i], EXACT));
    expectTensor(rnn.invert_permutation(torch.tensor([2, 0, 3, 1]))!, s.invert, EXACT);
    expect(rnn.invert_permutation(null)).toBeNull();
    expect(String(rnn.pack_sequence([torch.tensor([1, 2]), torch.tensor([3])]))).toBe(
      'PackedSequence(data=tensor([1, 3, 2]), batch_sizes=tensor([2, 1]), sorted_indices=None, unsorted_indices=None)',
    );
  });

  it('errors match PyTorch', () => {
    const e = loadFixture('nn_rnn_init.json').errors;
    expect(() => rnn.pack_padded_sequence(torch.randn(5, 3, 2), [2, 5, 3])).toThrow(TorchError);
    expect(() => rnn.pack_padded_sequence(torch.randn(5, 3, 2), [2, 5, 3])).toThrow(e.packed_unsorted.message);
    const packed = rnn.pack_sequence([torch.randn(4, 2), torch.randn(2, 2)]);
    expect(() => rnn.pad_packed_sequence(packed, { total_length: 3 })).toThrow(ValueError);
    expect(() => rnn.pad_packed_sequence(packed, { total_length: 3 })).toThrow(e.pad_packed_total_length.message);
    expect(() => rnn.pad_sequence(3 as never)).toThrow("pad_sequence: Expected iterable for input sequences, but got arg of type: <class 'int'>");
    expect(() => rnn.pack_padded_sequence(torch.randn(2, 2, 2), 'ab' as never)).toThrow(TorchTypeError);
  });

  it('leave no tensor behind', () => {
    const a = torch.randn(4, 2, { requires_grad: true });
    const b = torch.randn(2, 2, { requires_grad: true });
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      const packed = rnn.pack_sequence([b, a], false);
      const [padded] = rnn.pad_packed_sequence(packed);
      padded.sum().backward();
      rnn.unpack_sequence(packed);
      rnn.pad_sequence([a, b], true);
    });
    expect(torch.liveTensorCount()).toBe(start);
    const packed = rnn.pack_sequence([b, a], false);
    const owned = torch.liveTensorCount() - start;
    expect(owned).toBe(4); // data, batch_sizes, sorted_indices, unsorted_indices
    for (const t of packed) t?.dispose();
    expect(torch.liveTensorCount()).toBe(start);
  });
});
