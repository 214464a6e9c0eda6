// The layer modules (conv, pooling, batchnorm, normalization, embeddings, activations,
// padding, pixel shuffle, upsampling) against PyTorch 1.13, from
// scripts/fixtures/make_nn_layers.py: default init after the same seed, repr, state_dict
// keys, then forward outputs and gradients with the fixture's weights loaded.
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import * as nnBase from '../lib/nn/index.js';
import * as layers from '../lib/nn/modules/index_layers.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const nn = { ...nnBase, ...layers };
type Module = nnBase.Module;

interface LayerCase {
  repr: string;
  state_dict_keys: string[];
  parameter_names: string[];
  init: Record<string, TensorFixture>;
  state: Record<string, TensorFixture>;
  x: TensorFixture;
  forward_kwargs: Record<string, unknown>;
  y: TensorFixture | TensorFixture[];
  g: TensorFixture;
  x_grad?: TensorFixture;
  grads: Record<string, TensorFixture>;
  state_after?: Record<string, TensorFixture>;
}

const cases: Record<string, LayerCase> = { ...loadFixture('nn_layers_conv.json'), ...loadFixture('nn_layers.json') };
const EXACT = { rtol: 0, atol: 0 };

/** How each case's module is built: the same calls as make_nn_layers.py, in torch-node's conventions. */
const MODULES: Record<string, () => Module> = {
  conv1d: () => new nn.Conv1d(2, 4, 3),
  conv1d_opts: () => new nn.Conv1d(4, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 2, bias: false }),
  conv1d_same_circular: () => new nn.Conv1d(2, 3, 4, { padding: 'same', padding_mode: 'circular' }),
  conv2d: () => new nn.Conv2d(3, 4, 3),
  conv2d_pad_stride: () => new nn.Conv2d(3, 4, [3, 2], [2, 1], [1, 0]),
  conv2d_reflect: () => new nn.Conv2d(2, 4, 3, { padding: 1, padding_mode: 'reflect' }),
  conv2d_replicate: () => new nn.Conv2d(2, 2, 3, { padding: 2, dilation: 2, padding_mode: 'replicate' }),
  conv2d_circular: () => new nn.Conv2d(2, 2, 3, { padding: [1, 2], padding_mode: 'circular' }),
  conv2d_same: () => new nn.Conv2d(2, 3, [3, 4], { padding: 'same', dilation: [1, 2] }),
  conv2d_same_reflect: () => new nn.Conv2d(2, 3, 4, { padding: 'same', padding_mode: 'reflect' }),
  conv2d_valid: () => new nn.Conv2d(2, 3, 3, { padding: 'valid' }),
  conv2d_depthwise: () => new nn.Conv2d(4, 8, 3, 1, 0, 1, 4, false),
  conv2d_unbatched: () => new nn.Conv2d(2, 3, 3),
  conv3d: () => new nn.Conv3d(2, 3, 2, { padding: [1, 0, 0] }),
  conv_transpose1d: () => new nn.ConvTranspose1d(3, 2, 3, { stride: 2, padding: 1, output_padding: 1 }),
  conv_transpose2d: () => new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, groups: 2, dilation: 2 }),
  conv_transpose2d_output_size: () => new nn.ConvTranspose2d(2, 3, 3, 2),
  max_pool1d: () => new nn.MaxPool1d(3, 2, 1),
  max_pool1d_indices: () => new nn.MaxPool1d(2, { return_indices: true, ceil_mode: true }),
  max_pool2d: () => new nn.MaxPool2d(2, 2),
  max_pool2d_opts: () => new nn.MaxPool2d([3, 2], { stride: [2, 1], padding: 1, dilation: [1, 2], ceil_mode: true }),
  max_pool2d_indices: () => new nn.MaxPool2d(2, { return_indices: true }),
  avg_pool1d: () => new nn.AvgPool1d(3, 2, 1, { count_include_pad: false }),
  avg_pool2d: () => new nn.AvgPool2d(2),
  avg_pool2d_opts: () => new nn.AvgPool2d([3, 3], { stride: 2, padding: 1, ceil_mode: true, divisor_override: 2 }),
  adaptive_avg_pool1d: () => new nn.AdaptiveAvgPool1d(3),
  adaptive_avg_pool2d: () => new nn.AdaptiveAvgPool2d([2, null]),
  adaptive_avg_pool2d_int: () => new nn.AdaptiveAvgPool2d(1),
  adaptive_max_pool2d: () => new nn.AdaptiveMaxPool2d(2),
  adaptive_max_pool2d_indices: () => new nn.AdaptiveMaxPool2d([3, 2], { return_indices: true }),
  lp_pool2d: () => new nn.LPPool2d(2, 2),
  batch_norm1d: () => new nn.BatchNorm1d(3),
  batch_norm1d_3d_cumulative: () => new nn.BatchNorm1d(3, { momentum: null }),
  batch_norm2d: () => new nn.BatchNorm2d(3),
  batch_norm2d_options: () => new nn.BatchNorm2d(2, 1e-3, 0.3),
  batch_norm2d_no_affine_no_stats: () => new nn.BatchNorm2d(3, { affine: false, track_running_stats: false }),
  batch_norm2d_eval: () => new nn.BatchNorm2d(3),
  batch_norm2d_eval_no_stats: () => new nn.BatchNorm2d(2, { track_running_stats: false }),
  layer_norm: () => new nn.LayerNorm(4),
  layer_norm_shape: () => new nn.LayerNorm([3, 4], { eps: 1e-6, elementwise_affine: false }),
  group_norm: () => new nn.GroupNorm(2, 4),
  group_norm_no_affine: () => new nn.GroupNorm(3, 6, { eps: 1e-3, affine: false }),
  local_response_norm: () => new nn.LocalResponseNorm(2),
  embedding: () => new nn.Embedding(10, 3),
  embedding_padding_idx: () => new nn.Embedding(6, 4, { padding_idx: -1 }),
  embedding_max_norm: () => new nn.Embedding(5, 3, { max_norm: 0.5 }),
  embedding_bag_sum: () => new nn.EmbeddingBag(10, 3, { mode: 'sum' }),
  embedding_bag_max: () => new nn.EmbeddingBag(6, 2, { mode: 'max' }),
  embedding_bag_mean_padding: () => new nn.EmbeddingBag(6, 3, { padding_idx: 0 }),
  relu: () => new nn.ReLU(),
  relu6: () => new nn.ReLU6(),
  leaky_relu: () => new nn.LeakyReLU(0.2),
  elu: () => new nn.ELU({ alpha: 0.5 }),
  celu: () => new nn.CELU(1.5),
  selu: () => new nn.SELU(),
  gelu: () => new nn.GELU(),
  gelu_tanh: () => new nn.GELU({ approximate: 'tanh' }),
  silu: () => new nn.SiLU(),
  mish: () => new nn.Mish(),
  tanh: () => new nn.Tanh(),
  sigmoid: () => new nn.Sigmoid(),
  log_sigmoid: () => new nn.LogSigmoid(),
  softplus: () => new nn.Softplus({ beta: 2, threshold: 1 }),
  hardtanh: () => new nn.Hardtanh(-0.5, 0.8),
  hardswish: () => new nn.Hardswish(),
  hardsigmoid: () => new nn.Hardsigmoid(),
  hardshrink: () => new nn.Hardshrink(),
  softshrink: () => new nn.Softshrink(0.3),
  softsign: () => new nn.Softsign(),
  tanhshrink: () => new nn.Tanhshrink(),
  threshold: () => new nn.Threshold(0.1, 20.5),
  softmax: () => new nn.Softmax({ dim: 1 }),
  log_softmax: () => new nn.LogSoftmax(-1),
  softmin: () => new nn.Softmin(0),
  softmax2d: () => new nn.Softmax2d(),
  glu: () => new nn.GLU(1),
  prelu: () => new nn.PReLU(),
  prelu_channels: () => new nn.PReLU(3, { init: 0.1 }),
  zero_pad2d: () => new nn.ZeroPad2d([1, 1, 2, 0]),
  constant_pad1d: () => new nn.ConstantPad1d([3, 1], 3.5),
  constant_pad2d: () => new nn.ConstantPad2d(1, -1.5),
  reflection_pad1d: () => new nn.ReflectionPad1d(2),
  reflection_pad2d: () => new nn.ReflectionPad2d([1, 0, 2, 1]),
  replication_pad1d: () => new nn.ReplicationPad1d([2, 1]),
  replication_pad2d: () => new nn.ReplicationPad2d(1),
  pixel_shuffle: () => new nn.PixelShuffle(2),
  pixel_unshuffle: () => new nn.PixelUnshuffle(2),
  upsample_nearest: () => new nn.Upsample({ scale_factor: 2 }),
  upsample_bilinear: () => new nn.Upsample({ size: [3, 5], mode: 'bilinear', align_corners: true }),
  upsampling_nearest2d: () => new nn.UpsamplingNearest2d({ scale_factor: 2 }),
  upsampling_bilinear2d: () => new nn.UpsamplingBilinear2d(4),
};

/** Cases built in eval mode. */
const EVAL = new Set(['batch_norm2d_eval', 'batch_norm2d_eval_no_stats']);

function stateOf(fixtures: Record<string, TensorFixture>): Map<string, Tensor> {
  return new Map(Object.entries(fixtures).map(([k, v]) => [k, fromFixture(v)]));
}

/** Module.forward with the case's extra arguments (Python's forward kwargs). */
function runForward(m: Module, x: Tensor, kwargs: Record<string, unknown>): Tensor | Tensor[] {
  if ('output_size' in kwargs) return m.forward(x, kwargs.output_size as number[]);
  if ('offsets' in kwargs) return m.forward(x, fromFixture(kwargs.offsets as TensorFixture));
  return m.forward(x);
}

function build(key: string): Module {
  torch.manual_seed(0);
  const m = MODULES[key]();
  if (EVAL.has(key)) m.eval();
  return m;
}

function input(c: LayerCase): Tensor {
  const x = fromFixture(c.x);
  if (x.is_floating_point()) x.requires_grad_(true);
  return x;
}

describe('layer modules match PyTorch', () => {
  it('every fixture case has a module here', () => {
    expect(Object.keys(MODULES).sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [key, c] of Object.entries(cases)) {
    describe(key, () => {
      it('has the default init of PyTorch after the same seed, its repr and state_dict keys', () => {
        const m = build(key);
        expect(String(m)).toBe(c.repr);
        expect([...m.state_dict().keys()]).toEqual(c.state_dict_keys);
        expect([...m.named_parameters()].map(([n]) => n)).toEqual(c.parameter_names);
        const state = m.state_dict();
        for (const [name, want] of Object.entries(c.init)) expectTensor(state.get(name)!, want, EXACT);
      });

      it('gives PyTorch\'s outputs and gradients with the fixture\'s weights', () => {
        const m = build(key);
        if (Object.keys(c.state).length > 0) m.load_state_dict(stateOf(c.state));
        const x = input(c);
        const y = runForward(m, x, c.forward_kwargs);
        if (Array.isArray(c.y)) {
          expect(Array.isArray(y)).toBe(true);
          const ys = y as Tensor[];
          expect(ys.length).toBe(c.y.length);
          c.y.forEach((want, i) => expectTensor(ys[i], want));
        } else {
          expect(y).toBeInstanceOf(Tensor);
          expectTensor(y as Tensor, c.y);
        }
        const out = Array.isArray(y) ? y[0] : y;
        out.mul(fromFixture(c.g)).sum().backward();
        if (c.x_grad) expectTensor(x.grad!, c.x_grad);
        const params = new Map(m.named_parameters());
        expect([...params.keys()].filter((n) => params.get(n)!.grad !== null).sort()).toEqual(Object.keys(c.grads).sort());
        for (const [name, want] of Object.entries(c.grads)) expectTensor(params.get(name)!.grad!, want, { atol: 1e-5 });
        const after = m.state_dict();
        for (const [name, want] of Object.entries(c.state_after ?? c.state)) expectTensor(after.get(name)!, want);
      });

      it('leaves no tensor behind in tidy', () => {
        const m = build(key);
        const x = input(c);
        const g = fromFixture(c.g);
        const pass = () => {
          const y = runForward(m, x, c.forward_kwargs);
          (Array.isArray(y) ? y[0] : y).mul(g).sum().backward();
        };
        torch.tidy(pass); // warm-up
        m.zero_grad();
        const start = torch.liveTensorCount();
        torch.tidy(pass);
        m.zero_grad();
        expect(torch.liveTensorCount()).toBe(start);
      });
    });
  }
});

describe('reprs of other configurations', () => {
  const reprs: Record<string, string> = loadFixture('nn_layers_misc.json').reprs;
  const built: Record<string, () => Module> = {
    conv2d_full: () => new nn.Conv2d(4, 8, [3, 5], { stride: [2, 1], padding: [4, 2], dilation: [3, 1], groups: 2, bias: false, padding_mode: 'circular' }),
    conv_transpose1d: () => new nn.ConvTranspose1d(4, 2, 3, 2, 1, 1, 2, false, 2),
    max_pool2d_tuple: () => new nn.MaxPool2d([2, 3], { stride: [1, 2], padding: 1, dilation: 2, ceil_mode: true }),
    avg_pool1d: () => new nn.AvgPool1d(4),
    batch_norm2d: () => new nn.BatchNorm2d(16, { eps: 0.001, momentum: null, affine: false }),
    relu_inplace: () => new nn.ReLU({ inplace: true }),
    leaky_relu_inplace: () => new nn.LeakyReLU(0.1, true),
    hardtanh_inplace: () => new nn.Hardtanh({ inplace: true }),
    relu6_inplace: () => new nn.ReLU6(true),
    rrelu: () => new nn.RReLU(),
    elu: () => new nn.ELU(),
    softplus: () => new nn.Softplus(),
    softmax_none: () => new nn.Softmax(),
    embedding_full: () => new nn.Embedding(10, 3, { padding_idx: 0, max_norm: 2.0, norm_type: 1.0, scale_grad_by_freq: true, sparse: true }),
    embedding_bag_full: () => new nn.EmbeddingBag(10, 3, { max_norm: 1.5, mode: 'max', padding_idx: 2 }),
    layer_norm: () => new nn.LayerNorm([2, 3]),
    group_norm: () => new nn.GroupNorm(2, 6),
    upsample_size: () => new nn.Upsample({ size: 4, mode: 'bilinear' }),
    upsample_tuple: () => new nn.Upsample({ scale_factor: [2, 3] }),
    constant_pad3d: () => new nn.ConstantPad3d(1, 2),
    cross_entropy: () => new nn.CrossEntropyLoss(),
    local_response_norm: () => new nn.LocalResponseNorm(3, { alpha: 0.001 }),
    max_unpool2d: () => new nn.MaxUnpool2d(2),
    lp_pool1d: () => new nn.LPPool1d(2, 3, 2),
    dropout3d: () => new nn.Dropout3d(),
  };
  it('covers every fixture entry', () => {
    expect(Object.keys(built).sort()).toEqual(Object.keys(reprs).sort());
  });
  for (const [key, make] of Object.entries(built)) {
    it(key, () => expect(String(make())).toBe(reprs[key]));
  }
});

describe('constructor conventions', () => {
  it('takes optional arguments positionally in Python\'s order or by name', () => {
    const a = new nn.Conv2d(3, 8, 3, 2, 1, 1, 1, false, 'reflect');
    const b = new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, bias: false, padding_mode: 'reflect' });
    const c = new nn.Conv2d(3, 8, 3, 2, { padding: 1, bias: false, padding_mode: 'reflect' });
    expect(String(a)).toBe(String(b));
    expect(String(c)).toBe(String(b));
    expect(a.stride).toEqual([2, 2]);
    expect(a.bias).toBeNull();
  });

  it('creates parameters with the given dtype', () => {
    const conv = new nn.Conv2d(2, 3, 3, { dtype: torch.float64 });
    expect(conv.weight.dtype).toBe(torch.float64);
    expect(conv.bias!.dtype).toBe(torch.float64);
    const bn = new nn.BatchNorm1d(3, { dtype: torch.float64 });
    expect(bn.running_mean!.dtype).toBe(torch.float64);
    expect(bn.num_batches_tracked!.dtype).toBe(torch.int64);
    expect(new nn.Embedding(4, 2, { dtype: torch.float64 }).weight.dtype).toBe(torch.float64);
    expect(new nn.LayerNorm(4, { dtype: torch.float64 }).weight!.dtype).toBe(torch.float64);
  });

  it('max pooling with return_indices gives [output, indices]', () => {
    const pool = new nn.MaxPool2d(2, { return_indices: true });
    const [out, indices] = pool.forward(torch.randn(1, 1, 4, 4));
    expect(out.shape).toEqual([1, 1, 2, 2]);
    expect(indices.dtype).toBe(torch.int64);
    const unpooled = new nn.MaxUnpool2d(2).forward(out, indices);
    expect(unpooled.shape).toEqual([1, 1, 4, 4]);
    expect(unpooled.sum().item()).toBeCloseTo(out.sum().item() as number, 5);
  });

  it('Embedding.from_pretrained shares the tensor and freezes it unless told', () => {
    const weights = torch.tensor([[1, 2.3, 3], [4, 5.1, 6.3]]);
    const frozen = nn.Embedding.from_pretrained(weights);
    expect(frozen.weight.requires_grad).toBe(false);
    expect(frozen.forward(torch.tensor([1])).tolist()).toEqual(weights.index(torch.tensor([1])).tolist());
    expect(String(frozen)).toBe('Embedding(2, 3)');
    weights.index_put_([0, 0], 10);
    expect(frozen.weight.index(0, 0).item()).toBe(10);
    const trainable = nn.Embedding.from_pretrained(weights, { freeze: false, padding_idx: 1 });
    expect(trainable.weight.requires_grad).toBe(true);
    expect(trainable.padding_idx).toBe(1);
    const bag = nn.EmbeddingBag.from_pretrained(weights, { mode: 'sum' });
    expect(bag.forward(torch.tensor([[0, 1]])).tolist()).toEqual(weights.sum(0, { keepdim: true }).tolist());
  });

  it('in-place activations write into their input', () => {
    const x = torch.tensor([-1.0, 2.0]);
    const y = new nn.ReLU(true).forward(x);
    expect(x.tolist()).toEqual([0, 2]);
    expect(y.tolist()).toEqual([0, 2]);
  });

  it('modules are registered as children with their parameters and buffers', () => {
    const seq = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU());
    expect([...seq.state_dict().keys()]).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
    ]);
    expect(seq.forward(torch.randn(2, 1, 5, 5)).shape).toEqual([2, 2, 3, 3]);
  });
});
