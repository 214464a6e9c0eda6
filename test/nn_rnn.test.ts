// nn.RNN / LSTM / GRU and the cells against PyTorch 1.13: seeded init, names, reprs, forward
// and backward (fixtures from scripts/fixtures/make_nn_rnn.py), errors and leaks.
import { afterEach, describe, expect, it, vi } from 'vitest';
import torch, { Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import { clearWarningRegistry } from '../lib/nn/_reduction.js';
import * as nn from '../lib/nn/index.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell } from '../lib/nn/modules/rnn.js';
import { PackedSequence, pack_padded_sequence, pad_packed_sequence } from '../lib/nn/utils/rnn.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const initFx = loadFixture('nn_rnn_init.json');
const EXACT = { rtol: 0, atol: 0 };

type Config = [kind: string, args: unknown[], kwargs: Record<string, unknown>];
const KINDS: Record<string, new (...args: any[]) => nn.Module> = { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell };

/** The module of a fixture config: Python's `getattr(nn, kind)(*args, **kwargs)`. */
function build([kind, args, kwargs]: Config): nn.Module {
  return Object.keys(kwargs).length > 0 ? new KINDS[kind](...args, kwargs) : new KINDS[kind](...args);
}

interface ForwardCase {
  name: string;
  config: Config;
  seed: number;
  dtype: 'float32' | 'float64';
  train: boolean;
  x: TensorFixture;
  h0?: TensorFixture[];
  packed?: { lengths: number[]; enforce_sorted: boolean; total_length?: number };
  packed_data?: TensorFixture;
  batch_sizes?: TensorFixture;
  sorted_indices?: TensorFixture | null;
  unsorted_indices?: TensorFixture | null;
  out_packed_data?: TensorFixture;
  lengths?: TensorFixture;
  out?: TensorFixture;
  hidden: TensorFixture[];
  x_grad: TensorFixture;
  h0_grad?: TensorFixture[];
  param_grads: [string, TensorFixture][];
}

/** Runs a fixture case as make_nn_rnn.py's run_case does and checks every result. */
function checkForwardCase(c: ForwardCase): void {
  const dtype = c.dtype === 'float64' ? torch.float64 : torch.float32;
  torch.manual_seed(c.seed);
  const m = build(c.config);
  if (c.dtype === 'float64') m.double();
  m.train(c.train);
  const x = torch.randn(c.x.shape, { dtype, requires_grad: true });
  expectTensor(x, c.x, EXACT);
  const hs = c.h0?.map((h) => torch.randn(h.shape, { dtype, requires_grad: true }));
  hs?.forEach((h, i) => expectTensor(h, c.h0![i], EXACT));
  torch.manual_seed(c.seed + 1);
  const kind = c.config[0];
  const hx = hs === undefined ? null : kind === 'LSTM' || kind === 'LSTMCell' ? [hs[0], hs[1]] : hs[0];

  let out: Tensor | null = null;
  let hidden: Tensor[];
  if (c.packed) {
    const batch_first = Boolean(c.config[2].batch_first);
    const input = pack_padded_sequence(x, c.packed.lengths, { batch_first, enforce_sorted: c.packed.enforce_sorted });
    expect(input).toBeInstanceOf(PackedSequence);
    expectTensor(input.data, c.packed_data!, EXACT);
    expectTensor(input.batch_sizes, c.batch_sizes!, EXACT);
    if (c.sorted_indices) expectTensor(input.sorted_indices!, c.sorted_indices, EXACT);
    else expect(input.sorted_indices).toBeNull();
    if (c.unsorted_indices) expectTensor(input.unsorted_indices!, c.unsorted_indices, EXACT);
    else expect(input.unsorted_indices).toBeNull();
    const [outPacked, h] = (m as RNN).forward(input, hx as any) as [PackedSequence, Tensor | [Tensor, Tensor]];
    expect(outPacked).toBeInstanceOf(PackedSequence);
    expect(outPacked.batch_sizes).toBe(input.batch_sizes);
    expectTensor(outPacked.data, c.out_packed_data!);
    const [padded, lengths] = pad_packed_sequence(outPacked, { batch_first, total_length: c.packed.total_length ?? null });
    expectTensor(lengths, c.lengths!, EXACT);
    out = padded;
    hidden = Array.isArray(h) ? h : [h];
  } else if (kind.endsWith('Cell')) {
    const h = (m as RNNCell).forward(x, hx as any) as Tensor | [Tensor, Tensor];
    hidden = Array.isArray(h) ? h : [h];
  } else {
    const [o, h] = (m as RNN).forward(x, hx as any) as [Tensor, Tensor | [Tensor, Tensor]];
    out = o;
    hidden = Array.isArray(h) ? h : [h];
  }
  if (out !== null) expectTensor(out, c.out!);
  expect(hidden.length).toBe(c.hidden.length);
  hidden.forEach((h, i) => expectTensor(h, c.hidden[i]));

  let loss = hidden.map((t) => t.pow(2).sum()).reduce((a, b) => a.add(b));
  if (out !== null) loss = loss.add(out.pow(2).sum());
  loss.backward();
  expectTensor(x.grad!, c.x_grad);
  hs?.forEach((h, i) => expectTensor(h.grad!, c.h0_grad![i]));
  const params = [...m.named_parameters()];
  expect(params.map(([n]) => n)).toEqual(c.param_grads.map(([n]) => n));
  params.forEach(([, p], i) => expectTensor(p.grad!, c.param_grads[i][1]));
}

describe('construction: seeded init, parameter names, repr', () => {
  for (const f of initFx.init as { config: Config; seed: number; repr: string; named_parameters: [string, TensorFixture][]; state_dict_keys: string[] }[]) {
    it(`${f.repr} has PyTorch's parameters, names, state_dict keys and repr`, () => {
      torch.manual_seed(f.seed);
      const m = build(f.config);
      expect(m.toString()).toBe(f.repr);
      const params = [...m.named_parameters()];
      expect(params.map(([n]) => n)).toEqual(f.named_parameters.map(([n]) => n));
      params.forEach(([, p], i) => {
        expect(p).toBeInstanceOf(nn.Parameter);
        expectTensor(p, f.named_parameters[i][1], EXACT);
      });
      expect([...m.state_dict().keys()]).toEqual(f.state_dict_keys);
    });
  }

  it('keeps the flat weights in PyTorch\'s order and sees reassigned parameters', () => {
    const lstm = new LSTM(3, 4, { num_layers: 2, bidirectional: true, proj_size: 2 });
    expect(lstm._flat_weights_names).toEqual([...lstm.named_parameters()].map(([n]) => n));
    expect(lstm._all_weights.length).toBe(4);
    expect(lstm._all_weights[1]).toEqual(['weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse', 'weight_hr_l0_reverse']);
    expect(lstm.all_weights[2][0]).toBe(lstm.get_parameter('weight_ih_l1'));
    const replacement = new nn.Parameter(torch.zeros(16, 3));
    (lstm as unknown as Record<string, nn.Parameter>).weight_ih_l0 = replacement;
    expect(lstm._flat_weights[0]).toBe(replacement);
  });

  it('takes Python\'s positional order and keyword options, device and dtype', () => {
    const a = new GRU(4, 5, 2, false, true, 0.0, true);
    expect([a.num_layers, a.bias, a.batch_first, a.dropout, a.bidirectional]).toEqual([2, false, true, 0, true]);
    const b = new LSTM(4, 5, 1, { proj_size: 3, dtype: torch.float64 });
    expect(b.proj_size).toBe(3);
    expect((b as unknown as Record<string, Tensor>).weight_hr_l0.dtype).toBe(torch.float64);
    const r = new RNN(4, 5, { nonlinearity: 'relu' });
    expect(r.mode).toBe('RNN_RELU');
    expect(r.nonlinearity).toBe('relu');
    expect(new LSTMCell(2, 3, { dtype: torch.float64 }).weight_ih.dtype).toBe(torch.float64);
    expect(new RNNCell(2, 3, false, 'relu').toString()).toBe('RNNCell(2, 3, bias=False, nonlinearity=relu)');
  });

  it('is an nn.Module that .double() and eval() like any other', () => {
    const gru = new GRU(3, 4);
    expect(gru).toBeInstanceOf(RNNBase);
    expect(gru).toBeInstanceOf(nn.Module);
    gru.double().eval();
    expect(gru.training).toBe(false);
    expect(gru._flat_weights.every((w) => w.dtype === torch.float64)).toBe(true);
    const [out] = gru.forward(torch.randn(2, 1, 3, { dtype: torch.float64 }));
    expect(out.dtype).toBe(torch.float64);
  });
});

describe('forward and backward match PyTorch', () => {
  const cases = [...(loadFixture('nn_rnn_forward.json').forward as ForwardCase[]), ...(loadFixture('nn_rnn_forward_more.json').forward as ForwardCase[])];
  for (const c of cases) {
    it(c.name, () => checkForwardCase(c));
  }

  it('a PackedSequence destructures like Python\'s named tuple and survives tidy', () => {
    const x = torch.randn(4, 3, 2);
    const packed = torch.tidy(() => pack_padded_sequence(x, torch.tensor([2, 4, 1]), { enforce_sorted: false }));
    const [data, batch_sizes, sorted_indices, unsorted_indices] = packed;
    expect(data).toBe(packed.data);
    expect(batch_sizes!.tolist()).toEqual([3, 2, 1, 1]);
    expect(sorted_indices!.tolist()).toEqual([1, 0, 2]);
    expect(unsorted_indices!.tolist()).toEqual([1, 0, 2]);
    expect(packed.length).toBe(4);
    expect(Object.isFrozen(packed)).toBe(true);
    expect(packed.to(torch.float32)).toBe(packed);
    expect(packed.double().data.dtype).toBe(torch.float64);
  });
});

describe('errors', () => {
  const e = initFx.errors as Record<string, { type: string; message: string }>;
  const rnn = new RNN(10, 20, 2);
  const lstm = new LSTM(10, 20, 2);
  const gru = new GRU(10, 20);

  it('wrong input size', () => {
    expect(() => rnn.forward(torch.randn(5, 3, 7))).toThrow(TorchError);
    expect(() => rnn.forward(torch.randn(5, 3, 7))).toThrow(e.wrong_input_size.message);
  });

  it('mismatched hidden state shapes', () => {
    expect(() => rnn.forward(torch.randn(5, 3, 10), torch.randn(1, 3, 20))).toThrow(e.wrong_hidden_size.message);
    expect(() => lstm.forward(torch.randn(5, 3, 10), [torch.randn(1, 3, 20), torch.randn(2, 3, 20)])).toThrow(e.lstm_wrong_h.message);
    expect(() => lstm.forward(torch.randn(5, 3, 10), [torch.randn(2, 3, 20), torch.randn(2, 3, 21)])).toThrow(e.lstm_wrong_c.message);
    expect(() => gru.forward(torch.randn(5, 3, 10), torch.randn(3, 20))).toThrow(e.batched_2d_hx.message);
    expect(() => rnn.forward(torch.randn(5, 10), torch.randn(2, 1, 20))).toThrow(e.unbatched_3d_hx.message);
    expect(() => lstm.forward(torch.randn(5, 3, 10), [torch.randn(3, 20), torch.randn(3, 20)])).toThrow(e.lstm_batched_2d_hx.message);
    expect(() => lstm.forward(torch.randn(5, 10), [torch.randn(2, 1, 20), torch.randn(2, 1, 20)])).toThrow(e.lstm_unbatched_3d_hx.message);
    expect(() => rnn.forward(torch.randn(5, 3, 10), torch.randn(1, 3, 20))).toThrow(TorchError);
  });

  it('wrong input rank', () => {
    expect(() => rnn.forward(torch.randn(5, 3, 2, 10))).toThrow(TorchError);
    expect(() => rnn.forward(torch.randn(5, 3, 2, 10))).toThrow(e.rank_4.message);
    expect(() => gru.forward(torch.randn(10))).toThrow(e.rank_1.message);
    expect(() => new GRUCell(10, 20).forward(torch.randn(2, 3, 10))).toThrow(e.cell_rank.message);
    expect(() => new LSTMCell(10, 20).forward(torch.randn(2, 3, 10))).toThrow(e.lstmcell_rank.message);
    expect(() => new RNNCell(10, 20).forward(torch.randn(2, 3, 10))).toThrow(e.rnncell_rank.message);
    expect(() => new RNNCell(10, 20).forward(torch.randn(2, 3, 10))).toThrow(TorchError);
  });

  it('bad constructor arguments', () => {
    const cases: [() => unknown, string][] = [
      [() => new LSTM(10, 20, { dropout: 1.5 }), 'dropout_out_of_range'],
      [() => new RNN(10, 20, { proj_size: 5 } as never), 'proj_size_rnn'],
      [() => new GRU(10, 20, { proj_size: 5 } as never), 'proj_size_gru'],
      [() => new LSTM(10, 20, { proj_size: 20 }), 'proj_size_too_big'],
      [() => new LSTM(10, 20, { proj_size: -1 }), 'proj_size_negative'],
      [() => new RNN(10, 20, { nonlinearity: 'sigmoid' as never }), 'bad_nonlinearity'],
    ];
    for (const [make, key] of cases) {
      expect(e[key].type).toBe('ValueError');
      expect(make).toThrow(ValueError);
      expect(make).toThrow(e[key].message);
    }
    expect(() => new LSTM(10, 20, { num_layers: 0 })).toThrow(TorchTypeError);
    expect(() => new LSTM(10, 20, { bias: 1 as never })).toThrow(TorchTypeError);
    expect(() => new LSTM(10, -1)).toThrow(TorchTypeError);
    expect(() => new LSTM(10, 20, 2, { num_layers: 2 })).toThrow("got multiple values for argument 'num_layers'");
    expect(() => new LSTM(10, 20, { layers: 2 } as never)).toThrow("got an unexpected keyword argument 'layers'");
    expect(() => lstm.forward(torch.randn(5, 3, 10), torch.randn(2, 3, 20) as never)).toThrow(TorchTypeError);
  });

  it('dropout with one layer warns like PyTorch', () => {
    clearWarningRegistry();
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    new GRU(10, 20, { dropout: 0.5 });
    expect(spy).toHaveBeenCalledWith(initFx.dropout_warning, { type: 'UserWarning' });
  });
  afterEach(() => vi.restoreAllMocks());
});

describe('no leaks', () => {
  it('forward + backward inside tidy frees every intermediate tensor', () => {
    const lstm = new LSTM(3, 4, { num_layers: 2, bidirectional: true, batch_first: true });
    const gru = new GRU(3, 4, { num_layers: 2, dropout: 0.3 });
    const rnn = new RNN(3, 4);
    const proj = new LSTM(3, 4, { proj_size: 2 });
    const cells = [new RNNCell(3, 4), new LSTMCell(3, 4), new GRUCell(3, 4)] as const;
    const x = torch.randn(2, 5, 3);
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      const packed = pack_padded_sequence(x, [3, 5], { batch_first: true, enforce_sorted: false });
      const [out, [h, c]] = lstm.forward(packed);
      const [padded] = pad_packed_sequence(out, { batch_first: true });
      padded.sum().add(h.sum()).add(c.sum()).backward();
    });
    torch.tidy(() => {
      const [out, h] = gru.forward(torch.randn(5, 2, 3), torch.randn(2, 2, 4));
      out.sum().add(h.sum()).backward();
    });
    torch.tidy(() => {
      const [out, h] = rnn.forward(torch.randn(5, 3));
      out.sum().add(h.sum()).backward();
    });
    torch.tidy(() => {
      const [out, [h, c]] = proj.forward(torch.randn(5, 3), [torch.zeros(1, 2), torch.zeros(1, 4)]);
      out.sum().add(h.sum()).add(c.sum()).backward();
    });
    torch.tidy(() => {
      const input = torch.randn(2, 3);
      cells[0].forward(input).sum().backward();
      const [h, c] = cells[1].forward(input.index(0));
      h.sum().add(c.sum()).backward();
      cells[2].forward(input, torch.randn(2, 4)).sum().backward();
    });
    expect(torch.liveTensorCount()).toBe(start);
  });

  it('a forward outside tidy leaves only its results alive', () => {
    const lstm = new LSTM(3, 4, { bidirectional: true });
    const x = torch.randn(5, 3);
    const start = torch.liveTensorCount();
    const [out, [h, c]] = lstm.forward(x);
    expect(torch.liveTensorCount()).toBe(start + 3);
    for (const t of [out, h, c]) t.dispose();
    expect(torch.liveTensorCount()).toBe(start);
  });
});
