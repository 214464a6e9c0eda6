// Layer modules against PyTorch 1.13 (scripts/fixtures/make_nn_layers.py): errors for bad
// input and bad constructor arguments, BatchNorm's running statistics, seeded dropout masks,
// and the book's CNN (section 4.1) trained for 5 SGD steps.
import { describe, expect, it } from 'vitest';
import torch, { IndexError, Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import * as nnBase from '../lib/nn/index.js';
import * as layers from '../lib/nn/modules/index_layers.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';
import { CNN } from '../examples/book/cnn.js';

const nn = { ...nnBase, ...layers };
const fx = loadFixture('nn_layers_misc.json');
const errors: Record<string, { type: string; message: string }> = fx.errors;

/** Asserts that fn throws `cls` with PyTorch's message for `key` (the module's name may come in front). */
function expectPyTorchError(fn: () => unknown, cls: new (...args: never[]) => Error, key: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${key} to throw`).toBeInstanceOf(cls);
  expect((thrown as Error).message).toContain(errors[key].message);
}

describe('errors', () => {
  const x35 = () => torch.randn(1, 3, 5, 5);

  it('a convolution given the wrong number of channels names the module, both shapes and the channel counts', () => {
    const conv = new nn.Conv2d(4, 8, 3);
    expectPyTorchError(() => conv.forward(x35()), TorchError, 'conv2d_channels');
    expect(() => conv.forward(x35())).toThrow(/^Conv2d: Given groups=1, weight of size \[8, 4, 3, 3\], expected input\[1, 3, 5, 5\] to have 4 channels, but got 3 channels instead$/);
  });

  it('a convolution given an input of the wrong rank says which ranks it takes', () => {
    expectPyTorchError(() => new nn.Conv2d(4, 8, 3).forward(torch.randn(5, 5)), TorchError, 'conv2d_rank');
  });

  it('convolution constructors reject what PyTorch rejects, with its messages', () => {
    expectPyTorchError(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), ValueError, 'conv2d_in_groups');
    expectPyTorchError(() => new nn.Conv2d(4, 6, 3, { groups: 4 }), ValueError, 'conv2d_out_groups');
    expectPyTorchError(() => new nn.Conv2d(4, 4, 3, { groups: 0 }), ValueError, 'conv2d_groups_zero');
    expectPyTorchError(() => new nn.Conv2d(4, 4, 3, { padding: 'same', stride: 2 }), ValueError, 'conv2d_same_strided');
    expectPyTorchError(() => new nn.ConvTranspose2d(2, 2, 3, { padding_mode: 'reflect' }), ValueError, 'conv_transpose2d_padding_mode');
    // Python prints a set, in hash order: compare the parts around it.
    expect(() => new nn.Conv2d(4, 4, 3, { padding_mode: 'foo' as never })).toThrow(ValueError);
    expect(() => new nn.Conv2d(4, 4, 3, { padding_mode: 'foo' as never })).toThrow(errors.conv2d_padding_mode.message.split(' {')[0]);
    expect(() => new nn.Conv2d(4, 4, 3, { padding_mode: 'foo' as never })).toThrow("but got padding_mode='foo'");
    expect(() => new nn.Conv2d(4, 4, 3, { padding: 'full' as never })).toThrow(errors.conv2d_padding_string.message.split(' {')[0]);
  });

  it('convolution constructors reject negative sizes and bad argument types', () => {
    expect(() => new nn.Conv2d(-1, 4, 3)).toThrow(TorchTypeError);
    expect(() => new nn.Conv2d(-1, 4, 3)).toThrow("nn.Conv2d: expected a non-negative integer for 'in_channels' but received number -1");
    expect(() => new nn.Conv2d(3, 4, 0)).toThrow("for 'kernel_size'");
    expect(() => new nn.Conv2d(3, 4, [3, 3, 3])).toThrow("for 'kernel_size'");
    expect(() => new nn.Conv1d(3, 4, 3, { stride: -1 })).toThrow("for 'stride'");
    expect(() => new nn.Conv2d(3, 4, 3, { bias: 'yes' as never })).toThrow("for 'bias'");
    expect(() => new nn.Conv2d(3, 4, 3, 1, 0, 1, 1, true, 'zeros', null, null, 7 as never)).toThrow('nn.Conv2d() takes from 3 to 11 positional arguments but 12 were given');
    expect(() => new nn.Conv2d(3, 4, 3, { strides: 2 } as never)).toThrow("nn.Conv2d() got an unexpected keyword argument 'strides'");
  });

  it('a transposed convolution given an output_size it cannot reach says which sizes it can', () => {
    const up = new nn.ConvTranspose2d(2, 3, 3, 2);
    expectPyTorchError(() => up.forward(torch.randn(1, 2, 3, 3), [10, 8]), ValueError, 'conv_transpose2d_output_size');
    expectPyTorchError(() => up.forward(torch.randn(1, 2, 3, 3), [1, 8, 8]), ValueError, 'conv_transpose2d_output_size_length');
  });

  it('batch norm checks the input rank, the channel count and the batch size', () => {
    expectPyTorchError(() => new nn.BatchNorm2d(3).forward(torch.randn(2, 3, 4)), ValueError, 'batch_norm2d_rank');
    expect(() => new nn.BatchNorm2d(3).forward(torch.randn(2, 3, 4))).toThrow('BatchNorm2d: expected 4D input (got 3D input), input of size [2, 3, 4]');
    expectPyTorchError(() => new nn.BatchNorm1d(3).forward(torch.randn(2, 3, 4, 4)), ValueError, 'batch_norm1d_rank');
    // libtorch's "running_mean should contain 3 elements not 4" names no shape: ours does.
    expect(errors.batch_norm2d_channels.message).toBe('running_mean should contain 3 elements not 4');
    expect(() => new nn.BatchNorm2d(4).forward(x35())).toThrow(TorchError);
    expect(() => new nn.BatchNorm2d(4).forward(x35())).toThrow('BatchNorm2d: expected input with 4 channels (num_features), but got input of size [1, 3, 5, 5] with 3 channels');
    expect(() => new nn.BatchNorm1d(4, { track_running_stats: false }).forward(torch.randn(2, 3))).toThrow('BatchNorm1d: expected input with 4 channels');
    // Without per-channel tensors PyTorch takes any channel count, and so do we.
    expect(new nn.BatchNorm2d(4, { affine: false, track_running_stats: false }).forward(x35()).shape).toEqual([1, 3, 5, 5]);
    expectPyTorchError(() => new nn.BatchNorm1d(3).forward(torch.randn(1, 3)), ValueError, 'batch_norm1d_single');
    expect(() => new nn.BatchNorm1d(-2)).toThrow("for 'num_features'");
  });

  it('a failed batch-norm forward does not count the batch', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(() => bn.forward(torch.randn(2, 3, 4))).toThrow(ValueError);
    expect(() => bn.forward(torch.randn(2, 4, 3, 3))).toThrow(TorchError);
    expect(bn.num_batches_tracked!.item()).toBe(0);
  });

  it('normalization layers', () => {
    expectPyTorchError(() => new nn.LayerNorm(4).forward(torch.randn(2, 3)), TorchError, 'layer_norm_shape');
    expectPyTorchError(() => new nn.GroupNorm(3, 4), ValueError, 'group_norm_divisible');
    expectPyTorchError(() => new nn.GroupNorm(2, 4).forward(torch.randn(2, 6, 3)), TorchError, 'group_norm_channels');
  });

  it('dropout probability outside [0, 1]', () => {
    expectPyTorchError(() => new nn.Dropout(1.5), ValueError, 'dropout_p');
    expectPyTorchError(() => new nn.Dropout2d(-0.1), ValueError, 'dropout_p_negative');
  });

  it('embeddings', () => {
    expectPyTorchError(() => new nn.Embedding(5, 3, { padding_idx: 5 }), ValueError, 'embedding_padding_idx');
    expectPyTorchError(() => new nn.Embedding(5, 3).forward(torch.tensor([1, 5])), IndexError, 'embedding_index');
    expectPyTorchError(() => nn.Embedding.from_pretrained(torch.randn(3)), ValueError, 'embedding_from_pretrained_rank');
    expect(() => new nn.Embedding(5, 3, { _weight: torch.randn(4, 3) })).toThrow('Shape of weight does not match num_embeddings and embedding_dim');
  });

  it('pooling, padding, pixel shuffle and softmax2d', () => {
    expectPyTorchError(() => new nn.MaxPool2d(2, { padding: 2 }).forward(x35()), TorchError, 'max_pool2d_padding');
    expectPyTorchError(() => new nn.ReflectionPad2d(3).forward(torch.randn(1, 1, 2, 2)), TorchError, 'reflection_pad2d_size');
    expectPyTorchError(() => new nn.PixelShuffle(2).forward(torch.randn(1, 3, 2, 2)), TorchError, 'pixel_shuffle_channels');
    expectPyTorchError(() => new nn.Softmax2d().forward(torch.randn(2, 3)), ValueError, 'softmax2d_rank');
    expect(() => new nn.MaxPool2d(0)).toThrow("for 'kernel_size'");
    expect(() => new nn.ZeroPad2d([1, 2, 3])).toThrow("nn.ZeroPad2d: expected an integer or an array of 4 integers for 'padding'");
  });

  it('losses', () => {
    expectPyTorchError(() => new nn.CrossEntropyLoss().forward(torch.randn(2, 3), torch.tensor([0, 3])), IndexError, 'cross_entropy_target');
    expectPyTorchError(() => new nn.MSELoss({ reduction: 'avg' as never }).forward(torch.randn(2), torch.randn(2)), ValueError, 'mse_reduction');
    expectPyTorchError(() => new nn.MultiMarginLoss(3), ValueError, 'multi_margin_p');
    expectPyTorchError(() => new nn.BCELoss().forward(torch.rand(2, 3), torch.rand(3)), ValueError, 'bce_size');
  });

  it('activations', () => {
    expect(() => new nn.Hardtanh(1, -1)).toThrow(ValueError);
    expect(() => new nn.LeakyReLU('0.1' as never)).toThrow("nn.LeakyReLU: expected a number for 'negative_slope'");
    expect(() => new nn.ReLU({ inplace: 1 } as never)).toThrow("for 'inplace'");
  });
});

describe('BatchNorm running statistics', () => {
  interface Running {
    xs: TensorFixture[];
    running_mean: TensorFixture;
    running_var: TensorFixture;
    num_batches_tracked: TensorFixture;
    x_eval: TensorFixture;
    y_eval: TensorFixture;
  }
  const makers: Record<string, () => layers.BatchNorm2d> = {
    momentum: () => new nn.BatchNorm2d(3, { momentum: 0.2 }),
    cumulative: () => new nn.BatchNorm2d(3, { momentum: null }),
  };
  for (const [key, make] of Object.entries(makers)) {
    it(`${key}: three training passes update them as PyTorch does, eval mode uses them`, () => {
      const want: Running = fx.batch_norm_running[key];
      torch.manual_seed(0);
      const bn = make();
      for (const x of want.xs) bn.forward(fromFixture(x));
      expectTensor(bn.running_mean!, want.running_mean);
      expectTensor(bn.running_var!, want.running_var);
      expectTensor(bn.num_batches_tracked!, want.num_batches_tracked);
      bn.eval();
      expectTensor(bn.forward(fromFixture(want.x_eval)), want.y_eval);
      // Eval mode leaves the statistics alone.
      expectTensor(bn.num_batches_tracked!, want.num_batches_tracked);
      expectTensor(bn.running_mean!, want.running_mean);
    });
  }

  it('state dicts from before num_batches_tracked (version 1) still load', () => {
    const bn = new nn.BatchNorm1d(2);
    bn.num_batches_tracked!.fill_(5);
    const old = bn.state_dict();
    old.delete('num_batches_tracked');
    old._metadata!.set('', { version: 1 });
    const fresh = new nn.BatchNorm1d(2);
    fresh.load_state_dict(old);
    expect(fresh.num_batches_tracked!.item()).toBe(0);
    expect(bn.state_dict()._metadata!.get('')).toEqual({ version: 2 });
    const current = bn.state_dict();
    current.delete('num_batches_tracked');
    expect(() => new nn.BatchNorm1d(2).load_state_dict(current)).toThrow('Missing key(s) in state_dict: "num_batches_tracked"');
  });

  it('reset_running_stats and reset_parameters', () => {
    const bn = new nn.BatchNorm1d(2);
    bn.forward(torch.randn(4, 2));
    bn.reset_running_stats();
    expect(bn.running_mean!.tolist()).toEqual([0, 0]);
    expect(bn.running_var!.tolist()).toEqual([1, 1]);
    expect(bn.num_batches_tracked!.item()).toBe(0);
  });
});

describe('Dropout with a seed draws PyTorch\'s masks', () => {
  const makers: Record<string, () => nnBase.Module> = {
    dropout: () => new nn.Dropout(0.3),
    dropout2d: () => new nn.Dropout2d(0.5),
    dropout1d: () => new nn.Dropout1d(0.4),
    alpha_dropout: () => new nn.AlphaDropout(0.2),
  };
  for (const [key, make] of Object.entries(makers)) {
    it(key, () => {
      const want = fx.dropout[key];
      const m = make();
      expect(String(m)).toBe(want.repr);
      const x = fromFixture(want.x);
      torch.manual_seed(0);
      expectTensor(m.forward(x), want.y);
      m.eval();
      expect(m.forward(x).tolist()).toEqual(x.tolist()); // eval mode: the identity
    });
  }

  it('repr with inplace', () => {
    expect(String(new nn.Dropout(0.1, true))).toBe(fx.dropout.dropout_inplace_repr);
  });
});

interface ParamSummary {
  shape: number[];
  sum: number;
  abs_sum: number;
  sample: TensorFixture;
}

function expectSummary(p: Tensor, want: ParamSummary, exact: boolean): void {
  expect(p.shape).toEqual(want.shape);
  const flat = p.detach().reshape(-1);
  const close = (got: number, w: number) => expect(Math.abs(got - w)).toBeLessThanOrEqual((exact ? 1e-12 : 1e-5) * Math.max(1, Math.abs(w)));
  close(flat.double().sum().item() as number, want.sum);
  close(flat.double().abs().sum().item() as number, want.abs_sum);
  const step = Math.max(1, Math.floor(flat.numel() / 50));
  expectTensor(flat.index(`::${step}`), want.sample, exact ? { rtol: 0, atol: 0 } : { rtol: 1e-4, atol: 1e-6 });
}

describe("the book's CNN", () => {
  const want = fx.cnn;

  it('has the same init as Python\'s CNN() after the same seed, and the same repr', () => {
    torch.manual_seed(0);
    const model = new CNN();
    expect(String(model)).toBe(want.repr);
    expect([...model.state_dict().keys()]).toEqual(want.state_dict_keys);
    for (const [name, p] of model.named_parameters()) expectSummary(p, want.init[name], true);
  });

  it('gives the same outputs and the same losses over 5 SGD steps', () => {
    torch.manual_seed(0);
    const model = new CNN();
    torch.manual_seed(1);
    const x = torch.randn(2, 3, 32, 32);
    expect(x.double().sum().item()).toBe(want.x_sum);
    const target = torch.tensor([3, 7]);
    expectTensor(torch.no_grad(() => model.forward(x)), want.output, { atol: 1e-5 });
    const criterion = new nn.CrossEntropyLoss();
    const lr = 0.01;
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      torch.tidy(() => {
        model.zero_grad();
        const loss = criterion.forward(model.forward(x), target);
        loss.backward();
        torch.no_grad(() => {
          for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
        });
        losses.push(loss.item() as number);
      });
    }
    losses.forEach((l, i) => expect(Math.abs(l - want.losses[i])).toBeLessThanOrEqual(1e-5 * Math.abs(want.losses[i])));
    expectTensor(torch.no_grad(() => model.forward(x)), want.output_after, { atol: 1e-5 });
    for (const [name, p] of model.named_parameters()) expectSummary(p, want.trained[name], false);
  });

  it('a training step in tidy leaves no tensor behind', () => {
    const model = new CNN();
    const criterion = new nn.CrossEntropyLoss();
    const x = torch.randn(2, 3, 32, 32);
    const target = torch.tensor([1, 2]);
    const step = () => {
      model.zero_grad();
      criterion.forward(model.forward(x), target).backward();
      torch.no_grad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(0.01));
      });
    };
    torch.tidy(step);
    const start = torch.liveTensorCount();
    torch.tidy(step);
    model.zero_grad();
    expect(torch.liveTensorCount()).toBe(start);
  });
});
