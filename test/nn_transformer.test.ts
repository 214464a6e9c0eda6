// nn.MultiheadAttention, nn.TransformerEncoderLayer/Encoder, nn.TransformerDecoderLayer/Decoder and
// nn.Transformer against PyTorch 1.13: seeded init, state_dict names, repr, outputs, attention weights
// and gradients, errors, no leak (fixtures from scripts/fixtures/make_nn_transformer.py).
import { describe, expect, it } from 'vitest';
import torch, { Tensor, TorchError, TorchTypeError, ValueError, nn } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { Module } from '../lib/nn/modules/module.js';
import { MultiheadAttention } from '../lib/nn/modules/attention.js';
import { Dropout } from '../lib/nn/modules/dropout.js';
import { LayerNorm } from '../lib/nn/modules/normalization.js';
import { Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer } from '../lib/nn/modules/transformer.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

// ---- building the fixtures' modules (the Python script builds the same specs) ----------------------
interface ModuleSpec {
  kind: 'mha' | 'enc_layer' | 'dec_layer' | 'encoder' | 'decoder' | 'transformer';
  args?: number[];
  kwargs?: Record<string, unknown>;
  layer?: ModuleSpec;
  num_layers?: number;
  norm?: number | null;
}

interface ModuleEntry {
  spec: ModuleSpec;
  seed: number;
  repr: string;
  state_dict: [string, TensorFixture][];
  named_parameters: string[];
}

interface GradsFixture {
  params: [string, TensorFixture][];
  inputs: Record<string, TensorFixture>;
}

/** The module a spec describes, built as the Python script builds it (same constructor order). */
function build(spec: ModuleSpec): Module {
  const kw = (spec.kwargs ?? {}) as any;
  const args = spec.args ?? [];
  switch (spec.kind) {
    case 'mha':
      return new MultiheadAttention(args[0], args[1], kw);
    case 'enc_layer':
      return new TransformerEncoderLayer(args[0], args[1], args[2], kw);
    case 'dec_layer':
      return new TransformerDecoderLayer(args[0], args[1], args[2], kw);
    case 'encoder': {
      const layer = build(spec.layer!);
      const norm = spec.norm ? new LayerNorm(spec.norm) : null;
      return new TransformerEncoder(layer, spec.num_layers!, norm);
    }
    case 'decoder': {
      const layer = build(spec.layer!);
      const norm = spec.norm ? new LayerNorm(spec.norm) : null;
      return new TransformerDecoder(layer, spec.num_layers!, norm);
    }
    case 'transformer': {
      const options = { ...kw };
      for (const part of ['custom_encoder', 'custom_decoder']) if (part in options) options[part] = build(options[part]);
      return new Transformer(options);
    }
  }
}

/** The module of a fixture entry, built right after torch.manual_seed(entry.seed), as in Python. */
function seeded(entry: ModuleEntry): Module {
  torch.manual_seed(entry.seed);
  return build(entry.spec);
}

/** A leaf tensor with a fixture's values that requires grad. */
function leaf(f: TensorFixture): Tensor {
  return fromFixture(f).requires_grad_(true);
}

/** Masks from a fixture: tensors as Tensors, anything else as it is. */
function masksOf(masks: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, v !== null && typeof v === 'object' && 'shape' in (v as object) ? fromFixture(v as TensorFixture) : v]));
}

const GRAD_TOL = { rtol: 1e-4, atol: 1e-5 };

/** Every parameter gradient and input gradient equals PyTorch's. */
function expectGrads(module: Module, inputs: Record<string, Tensor>, grads: GradsFixture): void {
  const params = new Map(module.named_parameters());
  const withGrad = [...params].filter(([, p]) => p.grad !== null).map(([k]) => k);
  expect(withGrad).toEqual(grads.params.map(([k]) => k));
  for (const [name, g] of grads.params) expectTensor(params.get(name)!.grad!, g, GRAD_TOL);
  expect(Object.keys(inputs).filter((k) => inputs[k].grad !== null).sort()).toEqual(Object.keys(grads.inputs).sort());
  for (const [name, g] of Object.entries(grads.inputs)) expectTensor(inputs[name].grad!, g, GRAD_TOL);
}

// ---- fixtures ----------------------------------------------------------------------------------

const initFx = loadFixture<{
  modules: Record<string, ModuleEntry>;
  errors: Record<string, { type: string; message: string }>;
  square_subsequent_mask: TensorFixture;
  transformer_default_repr: string;
}>('nn_transformer_init.json');

interface MhaCase {
  name: string;
  module: string;
  same: 'qkv' | 'kv' | null;
  train: boolean;
  run_seed: number | null;
  inputs: Record<string, TensorFixture>;
  masks: Record<string, TensorFixture>;
  options: Record<string, unknown>;
  out: TensorFixture;
  weights: TensorFixture | null;
  grad_out: TensorFixture;
  grad_weights: TensorFixture | null;
  grads: GradsFixture;
}
/** Eval-mode self-attention; Python counted its calls of the fused torch._native_multi_head_attention. */
interface MhaFastCase {
  name: string;
  module: string;
  query: TensorFixture;
  key: TensorFixture;
  self_attention: boolean;
  grad: boolean;
  masks: Record<string, TensorFixture>;
  options: Record<string, boolean>;
  out: TensorFixture;
  weights: TensorFixture | null;
  fused_calls: number;
}
const mhaFx = loadFixture<{ cases: MhaCase[]; fast_cases: MhaFastCase[] }>('nn_transformer_mha.json');

/** Runs fn with torch.<name> wrapped to count its calls; returns fn's result and the count. */
function countingCalls<T>(name: string, fn: () => T): [T, number] {
  const torchFns = torch as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fused = torchFns[name];
  let calls = 0;
  torchFns[name] = (...a: unknown[]) => {
    calls++;
    return fused(...a);
  };
  try {
    return [fn(), calls];
  } finally {
    torchFns[name] = fused;
  }
}

interface LayerCase {
  name: string;
  module: string;
  train: boolean;
  run_seed: number | null;
  inputs: [string, TensorFixture][];
  masks: Record<string, TensorFixture>;
  out: TensorFixture;
  grad_out: TensorFixture;
  grads: GradsFixture;
}
/** Eval-mode forwards; Python counted its calls of the fused torch._transformer_encoder_layer_fwd. */
interface FastCase {
  name: string;
  module: string;
  src: TensorFixture;
  masks: Record<string, TensorFixture>;
  grad: boolean;
  out: TensorFixture;
  fused_calls: number;
}
const layerFx = loadFixture<{ cases: LayerCase[]; fast_cases: FastCase[] }>('nn_transformer_layers.json');

/** Bit-for-bit equality with a fixture (float32 values are written with enough digits to give each one back exactly). */
function expectExact(actual: Tensor, f: TensorFixture): void {
  expect(actual.shape).toEqual(f.shape);
  expect(actual.dtype.name).toBe(f.dtype);
  const want = fromFixture(f);
  const same = actual.equal(want);
  want.dispose();
  if (!same) expectTensor(actual, f, { rtol: 0, atol: 0 }); // reports the first differing element
  expect(same).toBe(true);
}
const OUT_TOL = { rtol: 1e-5, atol: 1e-5 };

/** The fixture's module with PyTorch's weights loaded (after its seeded init was checked separately). */
function withFixtureWeights(name: string): Module {
  const entry = initFx.modules[name];
  const m = seeded(entry);
  m.load_state_dict(new Map(entry.state_dict.map(([k, t]) => [k, fromFixture(t)])));
  return m;
}

// ---- seeded init, state_dict keys, repr ----------------------------------------------------------

describe('seeded default init equals PyTorch', () => {
  for (const [name, entry] of Object.entries(initFx.modules)) {
    it(name, () => {
      const m = seeded(entry);
      const sd = m.state_dict();
      expect([...sd.keys()]).toEqual(entry.state_dict.map(([k]) => k));
      for (const [k, t] of entry.state_dict) expectExact(sd.get(k)!, t);
      expect([...m.named_parameters()].map(([k]) => k)).toEqual(entry.named_parameters);
      expect(String(m)).toBe(entry.repr);
    });
  }

  it('state_dict keys follow PyTorch naming', () => {
    const keys = initFx.modules.transformer.state_dict.map(([k]) => k);
    expect(keys).toContain('encoder.layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('encoder.layers.1.linear1.weight');
    expect(keys).toContain('decoder.layers.0.multihead_attn.out_proj.bias');
    expect(keys).toContain('decoder.norm.weight');
  });

  it('Transformer() with the defaults prints like PyTorch', () => {
    const m = new Transformer({ num_encoder_layers: 1, num_decoder_layers: 1 });
    expect(String(m)).toBe(initFx.transformer_default_repr);
    expect(m.d_model).toBe(512);
    expect(m.nhead).toBe(8);
    for (const p of m.parameters()) p.dispose();
  });

  it('TransformerEncoder copies the layer: same initial values, separate parameters', () => {
    torch.manual_seed(3);
    const layer = new TransformerEncoderLayer(8, 2, 16);
    const encoder = new TransformerEncoder(layer, 2);
    const [a, b] = [encoder.layers.get<TransformerEncoderLayer>(0), encoder.layers.get<TransformerEncoderLayer>(1)];
    expect(a).not.toBe(b);
    expect(a).not.toBe(layer);
    expect(a.self_attn.in_proj_weight).not.toBe(b.self_attn.in_proj_weight);
    expect(a.self_attn.in_proj_weight!.equal(layer.self_attn.in_proj_weight!)).toBe(true);
    expect(b.linear2.weight.equal(layer.linear2.weight)).toBe(true);
    torch.no_grad(() => a.linear1.weight.add_(1));
    expect(a.linear1.weight.equal(b.linear1.weight)).toBe(false);
    expect(b.linear1.weight.equal(layer.linear1.weight)).toBe(true);
    expect(a.activation).toBe(layer.activation);
    expect(a.activation_relu_or_gelu).toBe(1);
    expect(a.training).toBe(true);
    // the layer passed in stays the caller's and is not registered
    expect([...encoder.named_children()].map(([k]) => k)).toEqual(['layers']);
  });

  it('generate_square_subsequent_mask is float -inf above the diagonal, static and on instances', () => {
    expectExact(Transformer.generate_square_subsequent_mask(4), initFx.square_subsequent_mask);
    const m = seeded(initFx.modules.transformer) as Transformer;
    expectExact(m.generate_square_subsequent_mask(4), initFx.square_subsequent_mask);
  });
});

// ---- MultiheadAttention forward and backward -------------------------------------------------------

describe('MultiheadAttention forward/backward equals PyTorch', () => {
  for (const c of mhaFx.cases) {
    it(c.name, () => {
      const m = withFixtureWeights(c.module) as MultiheadAttention;
      m.train(c.train);
      const inputs: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(c.inputs)) inputs[k] = leaf(t);
      const q = inputs.query;
      const k = c.same === 'qkv' ? q : inputs.key;
      const v = c.same === null ? inputs.value : k;
      if (c.run_seed !== null) torch.manual_seed(c.run_seed);
      const [out, w] = m.forward(q, k, v, { ...c.options, ...masksOf(c.masks) });
      expectTensor(out, c.out, OUT_TOL);
      let loss = out.mul(fromFixture(c.grad_out)).sum();
      if (c.weights === null) {
        expect(w).toBeNull();
      } else {
        expectTensor(w!, c.weights, OUT_TOL);
        loss = loss.add(w!.mul(fromFixture(c.grad_weights!)).sum());
      }
      loss.backward();
      expectGrads(m, inputs, c.grads);
    });
  }

  it('positional forward arguments follow Python order', () => {
    const c = mhaFx.cases.find((x) => x.name === 'per_head_weights')!;
    const m = withFixtureWeights(c.module) as MultiheadAttention;
    m.eval();
    const [q, k, v] = [fromFixture(c.inputs.query), fromFixture(c.inputs.key), fromFixture(c.inputs.value)];
    const [out, w] = m.forward(q, k, v, fromFixture(c.masks.key_padding_mask), true, null, false);
    expectTensor(out, c.out, OUT_TOL);
    expectTensor(w!, c.weights!, OUT_TOL);
  });
});

// ---- layers, stacks and the whole Transformer ----------------------------------------------------------

describe('Transformer modules forward/backward equal PyTorch', () => {
  for (const c of layerFx.cases) {
    it(c.name, () => {
      const m = withFixtureWeights(c.module);
      m.train(c.train);
      const inputs: Record<string, Tensor> = {};
      for (const [k, t] of c.inputs) inputs[k] = leaf(t);
      if (c.run_seed !== null) torch.manual_seed(c.run_seed);
      const out = m.forward(...Object.values(inputs), masksOf(c.masks)) as Tensor;
      expectTensor(out, c.out, OUT_TOL);
      out.mul(fromFixture(c.grad_out)).sum().backward();
      expectGrads(m, inputs, c.grads);
    });
  }

  it('activation may be a function or a Module', () => {
    const c = layerFx.cases.find((x) => x.name === 'enc_layer_plain')!;
    const entry = initFx.modules.enc_layer;
    class MyReLU extends Module {
      override forward(x: Tensor): Tensor {
        return x.relu();
      }
    }
    // PyTorch flags only nn.ReLU / F.relu (1) and nn.GELU / F.gelu (2) for its fast path.
    for (const activation of [(x: Tensor) => x.relu(), new MyReLU(), new nn.ReLU()]) {
      const m = new TransformerEncoderLayer(8, 2, 16, { activation });
      m.load_state_dict(new Map(entry.state_dict.map(([k, t]) => [k, fromFixture(t)])));
      m.eval();
      expectTensor(m.forward(fromFixture(c.inputs[0][1])), c.out, OUT_TOL);
      expect(m.activation_relu_or_gelu).toBe(activation instanceof nn.ReLU ? 1 : 0);
    }
    expect(new TransformerEncoderLayer(8, 2, 16, { activation: 'gelu' }).activation_relu_or_gelu).toBe(2);
    expect(new TransformerEncoderLayer(8, 2, 16, { activation: F.relu }).activation_relu_or_gelu).toBe(1);
  });
});

describe('eval mode without autograd takes the fused encoder-layer fast path where PyTorch does', () => {
  for (const c of layerFx.fast_cases) {
    it(`${c.name}: ${c.fused_calls} fused call(s), output equals PyTorch's`, () => {
      const m = withFixtureWeights(c.module);
      m.eval();
      const [out, calls] = countingCalls('_transformer_encoder_layer_fwd', () =>
        torch.set_grad_enabled(c.grad, () => m.forward(fromFixture(c.src), masksOf(c.masks)) as Tensor),
      );
      expectTensor(out, c.out, OUT_TOL);
      expect(calls).toBe(c.fused_calls);
    });
  }
});

describe('eval mode without autograd takes the fused self-attention fast path where PyTorch does', () => {
  for (const c of mhaFx.fast_cases) {
    it(`${c.name}: ${c.fused_calls} fused call(s), output and weights equal PyTorch's`, () => {
      const m = withFixtureWeights(c.module) as MultiheadAttention;
      m.eval();
      const query = fromFixture(c.query);
      const key = c.self_attention ? query : fromFixture(c.key);
      const [[out, weights], calls] = countingCalls('_native_multi_head_attention', () =>
        torch.set_grad_enabled(c.grad, () => m.forward(query, key, key, { ...masksOf(c.masks), ...c.options })),
      );
      expectTensor(out, c.out, OUT_TOL);
      if (c.weights === null) expect(weights).toBeNull();
      else expectTensor(weights!, c.weights, OUT_TOL);
      expect(calls).toBe(c.fused_calls);
    });
  }
});

// ---- errors ------------------------------------------------------------------------------------------

describe('errors match PyTorch', () => {
  // Python's AssertionError (a failed argument check) is a ValueError in torch-node; RuntimeError is TorchError.
  const classOf: Record<string, new (...a: any[]) => Error> = { AssertionError: ValueError, RuntimeError: TorchError, ValueError };
  torch.manual_seed(0);
  const mha = new MultiheadAttention(8, 2);
  const x3 = torch.randn(3, 2, 8);
  const layer = new TransformerEncoderLayer(8, 2, 16);
  const tr = new Transformer({ d_model: 8, nhead: 2, num_encoder_layers: 1, num_decoder_layers: 1, dim_feedforward: 16 });
  const cases: Record<string, () => unknown> = {
    embed_dim_not_divisible: () => new MultiheadAttention(10, 3),
    attn_mask_2d_shape: () => mha.forward(x3, x3, x3, { attn_mask: torch.zeros(2, 2) }),
    attn_mask_3d_shape: () => mha.forward(x3, x3, x3, { attn_mask: torch.zeros(3, 3, 3) }),
    attn_mask_dtype: () => mha.forward(x3, x3, x3, { attn_mask: torch.zeros(3, 3, { dtype: torch.int32 }) }),
    query_rank_4: () => mha.forward(torch.randn(1, 3, 2, 8), x3, x3),
    query_rank_1: () => mha.forward(torch.randn(8), x3, x3),
    key_rank_mismatch: () => mha.forward(x3, torch.randn(4, 8), torch.randn(4, 8)),
    key_padding_mask_dtype: () => mha.forward(x3, x3, x3, { key_padding_mask: torch.zeros(2, 3, { dtype: torch.int64 }) }),
    key_padding_mask_shape: () => mha.forward(x3, x3, x3, { key_padding_mask: torch.zeros(2, 4, { dtype: torch.bool }) }),
    embed_dim_mismatch: () => mha.forward(torch.randn(3, 2, 6), torch.randn(3, 2, 6), torch.randn(3, 2, 6)),
    bad_activation: () => new TransformerEncoderLayer(8, 2, 16, { activation: 'tanh' as 'relu' }),
    encoder_kpm_dtype: () => layer.forward(torch.randn(4, 2, 8), { src_key_padding_mask: torch.zeros(2, 4, { dtype: torch.int64 }) }),
    transformer_batch: () => tr.forward(torch.randn(4, 2, 8), torch.randn(3, 3, 8)),
    transformer_d_model: () => tr.forward(torch.randn(4, 2, 8), torch.randn(3, 2, 10)),
    dropout_p: () => new Dropout(1.5),
  };
  for (const [name, fn] of Object.entries(cases)) {
    it(name, () => {
      const py = initFx.errors[name];
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(classOf[py.type]);
      expect((error as Error).message).toBe(py.message);
    });
  }

  it('bad JS arguments', () => {
    expect(() => new MultiheadAttention(8, 2, { batch_first: 1 as unknown as boolean })).toThrow(TorchTypeError);
    expect(() => new MultiheadAttention(8, 2, { nope: 1 } as never)).toThrow("got an unexpected keyword argument 'nope'");
    expect(() => mha.forward(x3, x3, x3, { attn_mask: [[0]] as unknown as Tensor })).toThrow(TorchTypeError);
    expect(() => new TransformerEncoder(null as unknown as Module, 2)).toThrow(TorchTypeError);
    expect(() => new TransformerEncoderLayer(8, 2, 16, { activation: 3 as unknown as 'relu' })).toThrow(TorchTypeError);
  });
});

// ---- no leak -----------------------------------------------------------------------------------------------

describe('no leak', () => {
  it('forward and backward inside tidy release every temporary', () => {
    const m = seeded(initFx.modules.transformer_bf) as Transformer;
    const mha = seeded(initFx.modules.mha_batch_first) as MultiheadAttention;
    m.train();
    const src = torch.randn(2, 4, 8);
    const tgt = torch.randn(2, 3, 8);
    const before = torch.liveTensorCount();
    torch.tidy(() => {
      const mask = Transformer.generate_square_subsequent_mask(3);
      const out = m.forward(src, tgt, { tgt_mask: mask, src_key_padding_mask: torch.tensor([[false, false, true, false], [false, false, false, false]]) });
      out.sum().backward();
      const [o, w] = mha.forward(src, src, src, { key_padding_mask: torch.zeros(2, 4, { dtype: torch.bool }), average_attn_weights: false });
      o.sum().add(w!.sum()).backward();
    });
    m.zero_grad();
    mha.zero_grad();
    expect(torch.liveTensorCount()).toBe(before);
  });

  it('building a Transformer keeps only its own parameters alive', () => {
    const before = torch.liveTensorCount();
    let m!: Transformer;
    torch.tidy(() => {
      m = new Transformer({ d_model: 8, nhead: 2, num_encoder_layers: 2, num_decoder_layers: 1, dim_feedforward: 16 });
    });
    const owned = [...m.parameters()].length + [...m.buffers()].length;
    expect(torch.liveTensorCount()).toBe(before + owned);
    for (const p of m.parameters()) p.dispose();
    expect(torch.liveTensorCount()).toBe(before);
  });
});
