// Loss functions (torch/nn/modules/loss.py). Each keeps its options and calls nn.functional;
// class weights (and BCEWithLogitsLoss's pos_weight) are buffers, as in PyTorch, so they move
// with .to() and appear in state_dict().
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import * as _Reduction from '../_reduction.js';
import * as F from '../functional.js';
import { checkBool, checkInt, checkNumber, checkOptionalTensor, checkString, namedErrors, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

/** A loss reduction: 'none' | 'mean' | 'sum'. */
export type Reduction = _Reduction.Reduction;

/** Base class of the losses (Python: `_Loss`): the reduction, from the deprecated size_average/reduce flags when given. */
export class _Loss extends Module {
  /** 'none' | 'mean' | 'sum' (checked when the loss is computed, as in PyTorch). */
  declare reduction: string;

  constructor(size_average: boolean | null = null, reduce: boolean | null = null, reduction: string = 'mean') {
    super();
    const where = `nn.${this.constructor.name}`;
    if (size_average !== null) checkBool(where, 'size_average', size_average);
    if (reduce !== null) checkBool(where, 'reduce', reduce);
    this.reduction = size_average !== null || reduce !== null ? _Reduction.legacy_get_string(size_average, reduce) : checkString(where, 'reduction', reduction);
  }

  /** @internal The loss computation, with the module's name on libtorch's errors. */
  _compute(fn: () => Tensor): Tensor {
    return namedErrors(this.constructor.name, fn);
  }
}

/** Base class of the losses with per-class weights (Python: `_WeightedLoss`): `weight` is a buffer. */
export class _WeightedLoss extends _Loss {
  declare weight: Tensor | null;

  constructor(weight: Tensor | null = null, size_average: boolean | null = null, reduce: boolean | null = null, reduction: string = 'mean') {
    super(size_average, reduce, reduction);
    this.register_buffer('weight', checkOptionalTensor(`nn.${this.constructor.name}`, 'weight', weight));
  }
}

const REDUCTION_PARAMS = [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;
/** The arguments of the losses with only a reduction: `(size_average, reduce, reduction)`; size_average and reduce are deprecated. */
export type ReductionArgs = ArgsOf<typeof REDUCTION_PARAMS>;

/**
 * Mean absolute error (Python: `nn.L1Loss(size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input (*), target the same; output a scalar, or input's shape with reduction 'none'.
 *
 * Example: `new nn.L1Loss().forward(pred, target)`
 */
export class L1Loss extends _Loss {
  constructor(...args: ReductionArgs) {
    const a = signature('nn.L1Loss', 0, REDUCTION_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.l1_loss(input, target, { reduction: this.reduction as Reduction }));
  }
}

const NLL_PARAMS = [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['ignore_index', -100 as number],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;
/** The arguments of NLLLoss: `(weight, size_average, ignore_index, reduce, reduction)`. */
export type NLLLossArgs = ArgsOf<typeof NLL_PARAMS>;

/**
 * Negative log likelihood of class indices under log-probabilities
 * (Python: `nn.NLLLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')`).
 *
 * Args: weight: a rescaling weight per class (C); ignore_index: a target value that does not count.
 * Shape: input (N, C) or (C) or (N, C, d1, ...); target (N) or () or (N, d1, ...) int64 in [0, C).
 *
 * Example: `new nn.NLLLoss().forward(F.log_softmax(logits, 1), labels)`
 */
export class NLLLoss extends _WeightedLoss {
  declare ignore_index: number;

  constructor(...args: NLLLossArgs) {
    const a = signature(`nn.${new.target.name}`, 0, NLL_PARAMS).parse(args);
    super(a.weight, a.size_average, a.reduce, a.reduction);
    this.ignore_index = checkInt(`nn.${this.constructor.name}`, 'ignore_index', a.ignore_index);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.nll_loss(input, target, { weight: this.weight, ignore_index: this.ignore_index, reduction: this.reduction as Reduction }));
  }
}

const POISSON_PARAMS = [
  ['log_input', true as boolean],
  ['full', false as boolean],
  ['size_average', null as boolean | null],
  ['eps', 1e-8 as number],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;

/**
 * Negative log likelihood of a Poisson-distributed target
 * (Python: `nn.PoissonNLLLoss(log_input=True, full=False, size_average=None, eps=1e-08, reduce=None, reduction='mean')`).
 *
 * Args: log_input: the input is log(rate) (loss exp(input) - target * input), else the rate
 * (loss input - target * log(input + eps)); full: add the Stirling term.
 * Shape: input (*), target the same.
 */
export class PoissonNLLLoss extends _Loss {
  declare log_input: boolean;
  declare full: boolean;
  declare eps: number;

  constructor(...args: ArgsOf<typeof POISSON_PARAMS>) {
    const where = 'nn.PoissonNLLLoss';
    const a = signature(where, 0, POISSON_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.log_input = checkBool(where, 'log_input', a.log_input);
    this.full = checkBool(where, 'full', a.full);
    this.eps = checkNumber(where, 'eps', a.eps);
  }

  override forward(log_input: Tensor, target: Tensor): Tensor {
    return this._compute(() =>
      F.poisson_nll_loss(log_input, target, { log_input: this.log_input, full: this.full, eps: this.eps, reduction: this.reduction as Reduction }),
    );
  }
}

const GAUSSIAN_PARAMS = [
  ['full', false as boolean],
  ['eps', 1e-6 as number],
  ['reduction', 'mean' as Reduction],
] as const;

/**
 * Negative log likelihood of the target under a Gaussian with mean `input` and variance `var`
 * (Python: `nn.GaussianNLLLoss(*, full=False, eps=1e-06, reduction='mean')`; options only).
 *
 * Shape: input (N, *), target the same, var the same or with one fewer / a size-1 last dimension.
 */
export class GaussianNLLLoss extends _Loss {
  declare full: boolean;
  declare eps: number;

  constructor(options: { full?: boolean; eps?: number; reduction?: Reduction } = {}) {
    const where = 'nn.GaussianNLLLoss';
    const { full, eps, reduction } = signature(where, 0, GAUSSIAN_PARAMS).parse([options]);
    super(null, null, reduction);
    this.full = checkBool(where, 'full', full);
    this.eps = checkNumber(where, 'eps', eps);
  }

  override forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return this._compute(() => F.gaussian_nll_loss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction as Reduction }));
  }
}

const KL_DIV_PARAMS = [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction | 'batchmean'],
  ['log_target', false as boolean],
] as const;

/**
 * Kullback-Leibler divergence of the target from the input, which holds log-probabilities
 * (Python: `nn.KLDivLoss(size_average=None, reduce=None, reduction='mean', log_target=False)`).
 *
 * Args: reduction 'batchmean' (sum / batch size) is the mathematical KL divergence; 'mean'
 * divides by the number of elements and warns, as PyTorch does. log_target: the target is
 * given as log-probabilities too.
 * Shape: input (*), target the same.
 *
 * Example: `new nn.KLDivLoss({ reduction: 'batchmean' }).forward(F.log_softmax(x, 1), p)`
 */
export class KLDivLoss extends _Loss {
  declare log_target: boolean;

  constructor(...args: ArgsOf<typeof KL_DIV_PARAMS>) {
    const a = signature('nn.KLDivLoss', 0, KL_DIV_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.log_target = checkBool('nn.KLDivLoss', 'log_target', a.log_target);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.kl_div(input, target, { reduction: this.reduction as Reduction, log_target: this.log_target }));
  }
}

/**
 * Mean squared error (Python: `nn.MSELoss(size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input (*), target the same; output a scalar, or input's shape with reduction 'none'.
 *
 * Example: `new nn.MSELoss({ reduction: 'sum' }).forward(pred, y)`
 */
export class MSELoss extends _Loss {
  constructor(...args: ReductionArgs) {
    const a = signature('nn.MSELoss', 0, REDUCTION_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.mse_loss(input, target, { reduction: this.reduction as Reduction }));
  }
}

const WEIGHTED_PARAMS = [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;
/** The arguments of BCELoss and MultiLabelSoftMarginLoss: `(weight, size_average, reduce, reduction)`. */
export type WeightedLossArgs = ArgsOf<typeof WEIGHTED_PARAMS>;

/**
 * Binary cross entropy between probabilities and targets in [0, 1]
 * (Python: `nn.BCELoss(weight=None, size_average=None, reduce=None, reduction='mean')`).
 *
 * Args: weight: a rescaling weight per element, broadcast to the input's shape.
 * Shape: input (*) in [0, 1], target the same.
 *
 * Example: `new nn.BCELoss().forward(torch.sigmoid(logits), labels)`
 */
export class BCELoss extends _WeightedLoss {
  constructor(...args: WeightedLossArgs) {
    const a = signature('nn.BCELoss', 0, WEIGHTED_PARAMS).parse(args);
    super(a.weight, a.size_average, a.reduce, a.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.binary_cross_entropy(input, target, { weight: this.weight, reduction: this.reduction as Reduction }));
  }
}

const BCE_WITH_LOGITS_PARAMS = [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
  ['pos_weight', null as Tensor | null],
] as const;

/**
 * Sigmoid then binary cross entropy, in one numerically stable step
 * (Python: `nn.BCEWithLogitsLoss(weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None)`).
 *
 * Args: weight: a rescaling weight per element; pos_weight: a weight of the positive examples
 * per class (broadcast over the last dimension). Both are buffers.
 * Shape: input (*) logits, target the same.
 *
 * Example: `new nn.BCEWithLogitsLoss({ pos_weight: torch.full([64], 3.0) }).forward(logits, labels)`
 */
export class BCEWithLogitsLoss extends _Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;

  constructor(...args: ArgsOf<typeof BCE_WITH_LOGITS_PARAMS>) {
    const where = 'nn.BCEWithLogitsLoss';
    const a = signature(where, 0, BCE_WITH_LOGITS_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.register_buffer('weight', checkOptionalTensor(where, 'weight', a.weight));
    this.register_buffer('pos_weight', checkOptionalTensor(where, 'pos_weight', a.pos_weight));
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() =>
      F.binary_cross_entropy_with_logits(input, target, this.weight, { pos_weight: this.pos_weight, reduction: this.reduction as Reduction }),
    );
  }
}

const MARGIN1_PARAMS = [
  ['margin', 1.0 as number],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;
const MARGIN0_PARAMS = [
  ['margin', 0.0 as number],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;
/** The arguments of the margin losses: `(margin, size_average, reduce, reduction)`. */
export type MarginLossArgs = ArgsOf<typeof MARGIN0_PARAMS>;

/**
 * x where target is 1, max(0, margin - x) where target is -1
 * (Python: `nn.HingeEmbeddingLoss(margin=1.0, size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input (*), target the same with values 1 or -1.
 */
export class HingeEmbeddingLoss extends _Loss {
  declare margin: number;

  constructor(...args: MarginLossArgs) {
    const a = signature('nn.HingeEmbeddingLoss', 0, MARGIN1_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.margin = checkNumber('nn.HingeEmbeddingLoss', 'margin', a.margin);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.hinge_embedding_loss(input, target, { margin: this.margin, reduction: this.reduction as Reduction }));
  }
}

/**
 * Multi-class multi-label hinge loss; target holds class indices, padded with -1
 * (Python: `nn.MultiLabelMarginLoss(size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input (C) or (N, C), target the same, int64.
 */
export class MultiLabelMarginLoss extends _Loss {
  constructor(...args: ReductionArgs) {
    const a = signature('nn.MultiLabelMarginLoss', 0, REDUCTION_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.multilabel_margin_loss(input, target, { reduction: this.reduction as Reduction }));
  }
}

const SMOOTH_L1_PARAMS = [
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
  ['beta', 1.0 as number],
] as const;

/**
 * Squared error below beta, absolute error above, joined smoothly
 * (Python: `nn.SmoothL1Loss(size_average=None, reduce=None, reduction='mean', beta=1.0)`).
 *
 * Shape: input (*), target the same.
 */
export class SmoothL1Loss extends _Loss {
  declare beta: number;

  constructor(...args: ArgsOf<typeof SMOOTH_L1_PARAMS>) {
    const a = signature('nn.SmoothL1Loss', 0, SMOOTH_L1_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.beta = checkNumber('nn.SmoothL1Loss', 'beta', a.beta);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.smooth_l1_loss(input, target, { reduction: this.reduction as Reduction, beta: this.beta }));
  }
}

const HUBER_PARAMS = [
  ['reduction', 'mean' as Reduction],
  ['delta', 1.0 as number],
] as const;

/**
 * Squared error below delta, delta-scaled absolute error above
 * (Python: `nn.HuberLoss(reduction='mean', delta=1.0)`).
 *
 * Shape: input (*), target the same.
 */
export class HuberLoss extends _Loss {
  declare delta: number;

  constructor(...args: ArgsOf<typeof HUBER_PARAMS>) {
    const a = signature('nn.HuberLoss', 0, HUBER_PARAMS).parse(args);
    super(null, null, a.reduction);
    this.delta = checkNumber('nn.HuberLoss', 'delta', a.delta);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.huber_loss(input, target, { reduction: this.reduction as Reduction, delta: this.delta }));
  }
}

/**
 * Two-class logistic loss log(1 + exp(-target * input))
 * (Python: `nn.SoftMarginLoss(size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input (*), target the same with values 1 or -1.
 */
export class SoftMarginLoss extends _Loss {
  constructor(...args: ReductionArgs) {
    const a = signature('nn.SoftMarginLoss', 0, REDUCTION_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.soft_margin_loss(input, target, { reduction: this.reduction as Reduction }));
  }
}

const CROSS_ENTROPY_PARAMS = [
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['ignore_index', -100 as number],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
  ['label_smoothing', 0.0 as number],
] as const;
/** The arguments of CrossEntropyLoss: `(weight, size_average, ignore_index, reduce, reduction, label_smoothing)`. */
export type CrossEntropyLossArgs = ArgsOf<typeof CROSS_ENTROPY_PARAMS>;

/**
 * Cross entropy between logits and class indices or class probabilities
 * (Python: `nn.CrossEntropyLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0)`).
 *
 * Args: weight: a rescaling weight per class (C), a buffer; ignore_index: a target index that
 * does not count; label_smoothing: in [0, 1], mixes the target with the uniform distribution.
 *
 * Shape: input (N, C) or (C) or (N, C, d1, ...) of unnormalised logits; target int64 class
 * indices (N) / () / (N, d1, ...), or probabilities of input's shape.
 *
 * Example:
 * ```ts
 * const criterion = new nn.CrossEntropyLoss();
 * const loss = criterion.forward(model.forward(x), labels);
 * loss.backward();
 * ```
 */
export class CrossEntropyLoss extends _WeightedLoss {
  declare ignore_index: number;
  declare label_smoothing: number;

  constructor(...args: CrossEntropyLossArgs) {
    const where = 'nn.CrossEntropyLoss';
    const a = signature(where, 0, CROSS_ENTROPY_PARAMS).parse(args);
    super(a.weight, a.size_average, a.reduce, a.reduction);
    this.ignore_index = checkInt(where, 'ignore_index', a.ignore_index);
    this.label_smoothing = checkNumber(where, 'label_smoothing', a.label_smoothing);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() =>
      F.cross_entropy(input, target, {
        weight: this.weight,
        ignore_index: this.ignore_index,
        reduction: this.reduction as Reduction,
        label_smoothing: this.label_smoothing,
      }),
    );
  }
}

/**
 * Multi-label one-versus-all logistic loss
 * (Python: `nn.MultiLabelSoftMarginLoss(weight=None, size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input (N, C), target the same with values 0 or 1.
 */
export class MultiLabelSoftMarginLoss extends _WeightedLoss {
  constructor(...args: WeightedLossArgs) {
    const a = signature('nn.MultiLabelSoftMarginLoss', 0, WEIGHTED_PARAMS).parse(args);
    super(a.weight, a.size_average, a.reduce, a.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.multilabel_soft_margin_loss(input, target, { weight: this.weight, reduction: this.reduction as Reduction }));
  }
}

/**
 * 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1
 * (Python: `nn.CosineEmbeddingLoss(margin=0.0, size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input1, input2 (N, D) or (D); target (N) or () with values 1 or -1.
 */
export class CosineEmbeddingLoss extends _Loss {
  declare margin: number;

  constructor(...args: MarginLossArgs) {
    const a = signature('nn.CosineEmbeddingLoss', 0, MARGIN0_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.margin = checkNumber('nn.CosineEmbeddingLoss', 'margin', a.margin);
  }

  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.cosine_embedding_loss(input1, input2, target, { margin: this.margin, reduction: this.reduction as Reduction }));
  }
}

/**
 * max(0, -target * (input1 - input2) + margin), target 1 meaning input1 should rank higher
 * (Python: `nn.MarginRankingLoss(margin=0.0, size_average=None, reduce=None, reduction='mean')`).
 *
 * Shape: input1, input2, target (N) or ().
 */
export class MarginRankingLoss extends _Loss {
  declare margin: number;

  constructor(...args: MarginLossArgs) {
    const a = signature('nn.MarginRankingLoss', 0, MARGIN0_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.margin = checkNumber('nn.MarginRankingLoss', 'margin', a.margin);
  }

  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return this._compute(() => F.margin_ranking_loss(input1, input2, target, { margin: this.margin, reduction: this.reduction as Reduction }));
  }
}

const MULTI_MARGIN_PARAMS = [
  ['p', 1 as number],
  ['margin', 1.0 as number],
  ['weight', null as Tensor | null],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;

/**
 * Multi-class hinge loss (Python: `nn.MultiMarginLoss(p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction='mean')`).
 *
 * Args: p: 1 or 2; weight: a 1-D weight per class.
 * Shape: input (N, C) or (C); target (N) or () int64.
 */
export class MultiMarginLoss extends _WeightedLoss {
  declare p: number;
  declare margin: number;

  constructor(...args: ArgsOf<typeof MULTI_MARGIN_PARAMS>) {
    const where = 'nn.MultiMarginLoss';
    const a = signature(where, 0, MULTI_MARGIN_PARAMS).parse(args);
    super(a.weight, a.size_average, a.reduce, a.reduction);
    if (a.p !== 1 && a.p !== 2) throw new ValueError('only p == 1 and p == 2 supported');
    if (a.weight !== null && a.weight.dim() !== 1) throw new ValueError(`MultiMarginLoss: weight must be one-dimensional (got ${a.weight.dim()}D weight)`);
    this.p = a.p;
    this.margin = checkNumber(where, 'margin', a.margin);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return this._compute(() =>
      F.multi_margin_loss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction as Reduction }),
    );
  }
}

const TRIPLET_PARAMS = [
  ['margin', 1.0 as number],
  ['p', 2.0 as number],
  ['eps', 1e-6 as number],
  ['swap', false as boolean],
  ['size_average', null as boolean | null],
  ['reduce', null as boolean | null],
  ['reduction', 'mean' as Reduction],
] as const;

/**
 * max(d(a, p) - d(a, n) + margin, 0) with the p-norm distance
 * (Python: `nn.TripletMarginLoss(margin=1.0, p=2.0, eps=1e-06, swap=False, size_average=None, reduce=None, reduction='mean')`).
 *
 * Args: swap: use the smaller of d(a, n) and d(p, n) (distance swap).
 * Shape: anchor, positive, negative (N, D) or (D).
 */
export class TripletMarginLoss extends _Loss {
  declare margin: number;
  declare p: number;
  declare eps: number;
  declare swap: boolean;

  constructor(...args: ArgsOf<typeof TRIPLET_PARAMS>) {
    const where = 'nn.TripletMarginLoss';
    const a = signature(where, 0, TRIPLET_PARAMS).parse(args);
    super(a.size_average, a.reduce, a.reduction);
    this.margin = checkNumber(where, 'margin', a.margin);
    this.p = checkNumber(where, 'p', a.p);
    this.eps = checkNumber(where, 'eps', a.eps);
    this.swap = checkBool(where, 'swap', a.swap);
  }

  override forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return this._compute(() =>
      F.triplet_margin_loss(anchor, positive, negative, { margin: this.margin, p: this.p, eps: this.eps, swap: this.swap, reduction: this.reduction as Reduction }),
    );
  }
}

const CTC_PARAMS = [
  ['blank', 0 as number],
  ['reduction', 'mean' as Reduction],
  ['zero_infinity', false as boolean],
] as const;

/**
 * Connectionist Temporal Classification loss (Python: `nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)`).
 *
 * Args: blank: the blank label; zero_infinity: zero infinite losses (impossible alignments) and their gradients.
 * Shape: log_probs (T, N, C) or (T, C) from log_softmax; targets (N, S) or the concatenated
 * targets; input_lengths, target_lengths (N) as Tensors or arrays of ints.
 */
export class CTCLoss extends _Loss {
  declare blank: number;
  declare zero_infinity: boolean;

  constructor(...args: ArgsOf<typeof CTC_PARAMS>) {
    const where = 'nn.CTCLoss';
    const a = signature(where, 0, CTC_PARAMS).parse(args);
    super(null, null, a.reduction);
    this.blank = checkInt(where, 'blank', a.blank);
    this.zero_infinity = checkBool(where, 'zero_infinity', a.zero_infinity);
  }

  override forward(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | number[], target_lengths: Tensor | number[]): Tensor {
    return this._compute(() =>
      F.ctc_loss(log_probs, targets, input_lengths, target_lengths, this.blank, this.reduction as Reduction, this.zero_infinity),
    );
  }
}
