// The loss modules against PyTorch 1.13 (scripts/fixtures/make_nn_layers.py): values,
// gradients of every float input, repr, state_dict keys (weights are buffers), and no leak.
import { describe, expect, it, vi } from 'vitest';
import torch, { Tensor, TorchTypeError } from '../lib/index.js';
import { clearWarningRegistry } from '../lib/nn/_reduction.js';
import * as nnBase from '../lib/nn/index.js';
import * as layers from '../lib/nn/modules/index_layers.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const nn = { ...nnBase, ...layers };
type Module = nnBase.Module;

interface LossCase {
  repr: string;
  state_dict_keys: string[];
  reduction: string;
  inputs: TensorFixture[];
  others: TensorFixture[];
  loss: TensorFixture;
  g: TensorFixture;
  grads: TensorFixture[];
}

const cases: Record<string, LossCase> = loadFixture('nn_layers_losses.json');
const t = (data: number[]) => torch.tensor(data);

/** The same constructions as make_nn_layers.py's loss_cases. */
const LOSSES: Record<string, () => Module> = {
  cross_entropy: () => new nn.CrossEntropyLoss(),
  cross_entropy_weighted: () => new nn.CrossEntropyLoss({ weight: t([0.2, 1.0, 0.5, 2.0, 1.5]), ignore_index: 1, reduction: 'sum' }),
  cross_entropy_probs_smoothing: () => new nn.CrossEntropyLoss({ label_smoothing: 0.1 }),
  cross_entropy_none: () => new nn.CrossEntropyLoss({ reduction: 'none' }),
  nll: () => new nn.NLLLoss(),
  nll_weighted_none: () => new nn.NLLLoss(t([1.0, 0.5, 2.0, 0.1]), { reduction: 'none' }),
  mse: () => new nn.MSELoss(),
  mse_sum: () => new nn.MSELoss({ reduction: 'sum' }),
  l1: () => new nn.L1Loss(),
  smooth_l1: () => new nn.SmoothL1Loss({ beta: 0.5 }),
  huber: () => new nn.HuberLoss({ delta: 0.5 }),
  bce: () => new nn.BCELoss(t([0.5, 1.0, 2.0])),
  bce_with_logits: () => new nn.BCEWithLogitsLoss({ pos_weight: t([1.0, 2.0, 3.0]) }),
  kl_div_batchmean: () => new nn.KLDivLoss({ reduction: 'batchmean' }),
  kl_div_log_target: () => new nn.KLDivLoss({ reduction: 'sum', log_target: true }),
  cosine_embedding: () => new nn.CosineEmbeddingLoss(0.2),
  margin_ranking: () => new nn.MarginRankingLoss({ margin: 0.1 }),
  triplet_margin: () => new nn.TripletMarginLoss({ margin: 0.5 }),
  triplet_margin_p1_swap: () => new nn.TripletMarginLoss({ margin: 1.0, p: 1, swap: true, reduction: 'none' }),
  hinge_embedding: () => new nn.HingeEmbeddingLoss({ margin: 0.5 }),
  soft_margin: () => new nn.SoftMarginLoss(),
  poisson_nll: () => new nn.PoissonNLLLoss(),
  poisson_nll_rate_full: () => new nn.PoissonNLLLoss(false, true),
  multilabel_soft_margin: () => new nn.MultiLabelSoftMarginLoss(t([1.0, 2.0, 0.5])),
  multi_margin: () => new nn.MultiMarginLoss(2, 0.5),
  multilabel_margin: () => new nn.MultiLabelMarginLoss(),
  gaussian_nll: () => new nn.GaussianNLLLoss(),
  ctc: () => new nn.CTCLoss(),
  ctc_sum_zero_infinity: () => new nn.CTCLoss(3, 'sum', true),
};

function inputsOf(c: LossCase): Tensor[] {
  return c.inputs.map((f) => fromFixture(f).requires_grad_(true));
}

describe('loss modules match PyTorch', () => {
  it('every fixture case has a loss here', () => {
    expect(Object.keys(LOSSES).sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [key, c] of Object.entries(cases)) {
    describe(key, () => {
      it('has PyTorch\'s repr, reduction and state_dict keys', () => {
        const m = LOSSES[key]();
        expect(String(m)).toBe(c.repr);
        expect((m as layers._Loss).reduction).toBe(c.reduction);
        expect([...m.state_dict().keys()]).toEqual(c.state_dict_keys);
      });

      it('gives PyTorch\'s loss and input gradients', () => {
        const m = LOSSES[key]();
        const inputs = inputsOf(c);
        const loss = m.forward(...inputs, ...c.others.map(fromFixture)) as Tensor;
        expectTensor(loss, c.loss);
        loss.mul(fromFixture(c.g)).sum().backward();
        inputs.forEach((x, i) => expectTensor(x.grad!, c.grads[i], { atol: 1e-5 }));
      });

      it('leaves no tensor behind in tidy', () => {
        const m = LOSSES[key]();
        const inputs = inputsOf(c);
        const others = c.others.map(fromFixture);
        const g = fromFixture(c.g);
        const pass = () => (m.forward(...inputs, ...others) as Tensor).mul(g).sum().backward();
        torch.tidy(pass);
        const start = torch.liveTensorCount();
        torch.tidy(pass);
        expect(torch.liveTensorCount()).toBe(start);
      });
    });
  }
});

describe('loss options', () => {
  it('weight and pos_weight are buffers that follow .to()', () => {
    const ce = new nn.CrossEntropyLoss({ weight: torch.ones(3) });
    expect([...ce.named_buffers()].map(([n]) => n)).toEqual(['weight']);
    ce.double();
    expect(ce.weight!.dtype).toBe(torch.float64);
    const bce = new nn.BCEWithLogitsLoss({ weight: torch.ones(2), pos_weight: torch.ones(2) });
    expect([...bce.state_dict().keys()]).toEqual(['weight', 'pos_weight']);
    expect([...new nn.BCEWithLogitsLoss().state_dict().keys()]).toEqual([]);
  });

  it('maps the deprecated size_average and reduce flags to a reduction, with PyTorch\'s warning', () => {
    clearWarningRegistry();
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      expect(new nn.MSELoss({ size_average: false }).reduction).toBe('sum');
      expect(new nn.L1Loss(null, false).reduction).toBe('none');
      expect(new nn.CrossEntropyLoss({ size_average: true, reduce: true }).reduction).toBe('mean');
      expect(emitWarning.mock.calls.map((call) => call[0])).toEqual([
        "size_average and reduce args will be deprecated, please use reduction='sum' instead.",
        "size_average and reduce args will be deprecated, please use reduction='none' instead.",
        "size_average and reduce args will be deprecated, please use reduction='mean' instead.",
      ]);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('rejects unknown and repeated options', () => {
    expect(() => new nn.MSELoss({ reductio: 'sum' } as never)).toThrow(TorchTypeError);
    expect(() => new nn.MSELoss({ reductio: 'sum' } as never)).toThrow("nn.MSELoss() got an unexpected keyword argument 'reductio'");
    expect(() => new nn.NLLLoss(null, null, -100, { weight: null })).toThrow("got multiple values for argument 'weight'");
    expect(() => new nn.CrossEntropyLoss({ weight: [1, 2] as never })).toThrow(TorchTypeError);
  });
});
