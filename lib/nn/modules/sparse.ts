// Embedding lookups (torch/nn/modules/sparse.py): Embedding and EmbeddingBag.
import { no_grad } from '../../autograd/grad_mode.js';
import { ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Parameter } from '../parameter.js';
import { FACTORY, checkBool, checkInt, checkNumber, checkSize, factoryKwargs, namedErrors, parameterOf, pyFloat, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

/** A padding_idx within [-num_embeddings, num_embeddings), made non-negative; null stays null. */
function normalisePaddingIdx(where: string, padding_idx: number | null, num_embeddings: number, message: string): number | null {
  if (padding_idx === null) return null;
  checkInt(where, 'padding_idx', padding_idx);
  if (padding_idx > 0) {
    if (!(padding_idx < num_embeddings)) throw new ValueError(message);
  } else if (padding_idx < 0) {
    if (!(padding_idx >= -num_embeddings)) throw new ValueError(message);
    return num_embeddings + padding_idx;
  }
  return padding_idx;
}

/** The module's weight: a new one of the given size, or a Parameter over `_weight` (which must have that size). */
function checkPretrained(weight: unknown, num_embeddings: number, embedding_dim: number): Tensor {
  if (!(weight instanceof Tensor)) throw argumentError('nn.Embedding', '_weight', 'a Tensor or null', weight);
  if (weight.dim() !== 2 || weight.size(0) !== num_embeddings || weight.size(1) !== embedding_dim) {
    throw new ValueError('Shape of weight does not match num_embeddings and embedding_dim');
  }
  return weight;
}

/** The [rows, cols] of the weights given to from_pretrained, which must be a 2-D Tensor. */
function pretrainedShape(where: string, embeddings: unknown): number[] {
  if (!(embeddings instanceof Tensor)) throw argumentError(where, 'embeddings', 'a Tensor', embeddings);
  if (embeddings.dim() !== 2) throw new ValueError('Embeddings parameter is expected to be 2-dimensional');
  return embeddings.shape;
}

const EMBEDDING_PARAMS = [
  ['padding_idx', null as number | null],
  ['max_norm', null as number | null],
  ['norm_type', 2.0 as number],
  ['scale_grad_by_freq', false as boolean],
  ['sparse', false as boolean],
  ['_weight', null as Tensor | null],
  ...FACTORY,
] as const;
/** The optional arguments of Embedding: `(padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight, device, dtype)` positionally, or by name. */
export type EmbeddingArgs = ArgsOf<typeof EMBEDDING_PARAMS>;

const EMBEDDING_FROM_PRETRAINED_PARAMS = [
  ['freeze', true as boolean],
  ['padding_idx', null as number | null],
  ['max_norm', null as number | null],
  ['norm_type', 2.0 as number],
  ['scale_grad_by_freq', false as boolean],
  ['sparse', false as boolean],
] as const;
/** The optional arguments of Embedding.from_pretrained: `(freeze, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)`. */
export type EmbeddingFromPretrainedArgs = ArgsOf<typeof EMBEDDING_FROM_PRETRAINED_PARAMS>;

/**
 * A lookup table of num_embeddings vectors of size embedding_dim, indexed by integer tensors
 * (Python: `nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None, device=None, dtype=None)`).
 *
 * Args:
 *   num_embeddings, embedding_dim: the table's size.
 *   padding_idx: a row that gets no gradient and starts as zeros (negative counts from the end).
 *   max_norm: looked-up rows with a larger norm are rescaled to max_norm, in place in weight.
 *   norm_type: the p of the norm for max_norm (default 2).
 *   scale_grad_by_freq: scale gradients by the inverse frequency of the words in the batch.
 *   sparse: sparse gradients for weight.
 *
 * Shape: input (*) of int64 or int32 indices; output (*, embedding_dim).
 *
 * Attributes: weight (num_embeddings, embedding_dim), from N(0, 1).
 *
 * Example: `new nn.Embedding(10, 3, { padding_idx: 0 }).forward(torch.tensor([[1, 2, 0]]))`
 */
export class Embedding extends Module {
  declare num_embeddings: number;
  declare embedding_dim: number;
  declare padding_idx: number | null;
  declare max_norm: number | null;
  declare norm_type: number;
  declare scale_grad_by_freq: boolean;
  declare sparse: boolean;
  declare weight: Parameter;

  constructor(num_embeddings: number, embedding_dim: number, ...args: EmbeddingArgs) {
    super();
    const where = 'nn.Embedding';
    const a = signature(where, 3, EMBEDDING_PARAMS).parse(args);
    this.num_embeddings = checkSize(where, 'num_embeddings', num_embeddings);
    this.embedding_dim = checkSize(where, 'embedding_dim', embedding_dim);
    this.padding_idx = normalisePaddingIdx(where, a.padding_idx, num_embeddings, 'Padding_idx must be within num_embeddings');
    this.max_norm = a.max_norm === null ? null : checkNumber(where, 'max_norm', a.max_norm);
    this.norm_type = checkNumber(where, 'norm_type', a.norm_type);
    this.scale_grad_by_freq = checkBool(where, 'scale_grad_by_freq', a.scale_grad_by_freq);
    if (a._weight === null) {
      this.weight = parameterOf(torch.empty([num_embeddings, embedding_dim], factoryKwargs(a)));
      this.reset_parameters();
    } else {
      this.weight = new Parameter(checkPretrained(a._weight, num_embeddings, embedding_dim));
    }
    this.sparse = checkBool(where, 'sparse', a.sparse);
  }

  /** Re-draws weight from N(0, 1) and zeroes the padding_idx row, as PyTorch does. */
  reset_parameters(): void {
    init.normal_(this.weight);
    this._fill_padding_idx_with_zero();
  }

  /** Zeroes the padding_idx row of weight. */
  _fill_padding_idx_with_zero(): void {
    if (this.padding_idx !== null) {
      const padding_idx = this.padding_idx;
      no_grad(() => {
        const row = this.weight.index(padding_idx);
        row.fill_(0);
        row.dispose();
      });
    }
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('Embedding', () =>
      F.embedding(input, this.weight, this.padding_idx, this.max_norm, this.norm_type, this.scale_grad_by_freq, this.sparse),
    );
  }

  override extra_repr(): string {
    let s = `${this.num_embeddings}, ${this.embedding_dim}`;
    if (this.padding_idx !== null) s += `, padding_idx=${this.padding_idx}`;
    if (this.max_norm !== null) s += `, max_norm=${pyFloat(this.max_norm)}`;
    if (this.norm_type !== 2) s += `, norm_type=${pyFloat(this.norm_type)}`;
    if (this.scale_grad_by_freq !== false) s += ', scale_grad_by_freq=True';
    if (this.sparse !== false) s += ', sparse=True';
    return s;
  }

  /**
   * An Embedding whose weight is `embeddings` (sharing its storage), frozen unless
   * `freeze: false` (Python: `Embedding.from_pretrained(embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False)`).
   *
   * Example: `nn.Embedding.from_pretrained(torch.tensor([[1, 2.3, 3], [4, 5.1, 6.3]])).forward(torch.tensor([1]))`
   */
  static from_pretrained(embeddings: Tensor, ...args: EmbeddingFromPretrainedArgs): Embedding {
    const where = 'Embedding.from_pretrained';
    const a = signature(where, 1, EMBEDDING_FROM_PRETRAINED_PARAMS).parse(args);
    const [rows, cols] = pretrainedShape(where, embeddings);
    const embedding = new Embedding(rows, cols, {
      _weight: embeddings,
      padding_idx: a.padding_idx,
      max_norm: a.max_norm,
      norm_type: a.norm_type,
      scale_grad_by_freq: a.scale_grad_by_freq,
      sparse: a.sparse,
    });
    embedding.weight.requires_grad_(!checkBool(where, 'freeze', a.freeze));
    return embedding;
  }
}

type BagMode = 'sum' | 'mean' | 'max';

const EMBEDDING_BAG_PARAMS = [
  ['max_norm', null as number | null],
  ['norm_type', 2.0 as number],
  ['scale_grad_by_freq', false as boolean],
  ['mode', 'mean' as BagMode],
  ['sparse', false as boolean],
  ['_weight', null as Tensor | null],
  ['include_last_offset', false as boolean],
  ['padding_idx', null as number | null],
  ...FACTORY,
] as const;
/** The optional arguments of EmbeddingBag: `(max_norm, norm_type, scale_grad_by_freq, mode, sparse, _weight, include_last_offset, padding_idx, device, dtype)` positionally, or by name. */
export type EmbeddingBagArgs = ArgsOf<typeof EMBEDDING_BAG_PARAMS>;

const EMBEDDING_BAG_FROM_PRETRAINED_PARAMS = [
  ['freeze', true as boolean],
  ['max_norm', null as number | null],
  ['norm_type', 2.0 as number],
  ['scale_grad_by_freq', false as boolean],
  ['mode', 'mean' as BagMode],
  ['sparse', false as boolean],
  ['include_last_offset', false as boolean],
  ['padding_idx', null as number | null],
] as const;
/** The optional arguments of EmbeddingBag.from_pretrained: `(freeze, max_norm, norm_type, scale_grad_by_freq, mode, sparse, include_last_offset, padding_idx)`. */
export type EmbeddingBagFromPretrainedArgs = ArgsOf<typeof EMBEDDING_BAG_FROM_PRETRAINED_PARAMS>;

/**
 * Sums, averages or maxes "bags" of embeddings without building the looked-up rows
 * (Python: `nn.EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, mode='mean', sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None, dtype=None)`).
 *
 * Args: as Embedding, and mode ('sum' | 'mean' | 'max'); include_last_offset: offsets has one
 * more entry, the end of the last bag; padding_idx rows are left out of the bags.
 *
 * Shape: input (B, N) of fixed-length bags, or 1-D with offsets (B) marking where each bag
 * starts; per_sample_weights (mode 'sum') the shape of input; output (B, embedding_dim).
 *
 * Example: `new nn.EmbeddingBag(10, 3, { mode: 'sum' }).forward(torch.tensor([1, 2, 4, 5, 4, 3, 2, 9]), torch.tensor([0, 4]))`
 */
export class EmbeddingBag extends Module {
  declare num_embeddings: number;
  declare embedding_dim: number;
  declare max_norm: number | null;
  declare norm_type: number;
  declare scale_grad_by_freq: boolean;
  declare mode: BagMode;
  declare sparse: boolean;
  declare include_last_offset: boolean;
  declare padding_idx: number | null;
  declare weight: Parameter;

  constructor(num_embeddings: number, embedding_dim: number, ...args: EmbeddingBagArgs) {
    super();
    const where = 'nn.EmbeddingBag';
    const a = signature(where, 3, EMBEDDING_BAG_PARAMS).parse(args);
    this.num_embeddings = checkSize(where, 'num_embeddings', num_embeddings);
    this.embedding_dim = checkSize(where, 'embedding_dim', embedding_dim);
    this.max_norm = a.max_norm === null ? null : checkNumber(where, 'max_norm', a.max_norm);
    this.norm_type = checkNumber(where, 'norm_type', a.norm_type);
    this.scale_grad_by_freq = checkBool(where, 'scale_grad_by_freq', a.scale_grad_by_freq);
    this.padding_idx = normalisePaddingIdx(where, a.padding_idx, num_embeddings, 'padding_idx must be within num_embeddings');
    if (a._weight === null) {
      this.weight = parameterOf(torch.empty([num_embeddings, embedding_dim], factoryKwargs(a)));
      this.reset_parameters();
    } else {
      this.weight = new Parameter(checkPretrained(a._weight, num_embeddings, embedding_dim));
    }
    this.mode = a.mode;
    this.sparse = checkBool(where, 'sparse', a.sparse);
    this.include_last_offset = checkBool(where, 'include_last_offset', a.include_last_offset);
  }

  /** Re-draws weight from N(0, 1) and zeroes the padding_idx row, as PyTorch does. */
  reset_parameters(): void {
    init.normal_(this.weight);
    this._fill_padding_idx_with_zero();
  }

  /** Zeroes the padding_idx row of weight. */
  _fill_padding_idx_with_zero(): void {
    if (this.padding_idx !== null) {
      const padding_idx = this.padding_idx;
      no_grad(() => {
        const row = this.weight.index(padding_idx);
        row.fill_(0);
        row.dispose();
      });
    }
  }

  /**
   * The reduced bags.
   *
   * Args: input: 2-D (B, N) bags, or 1-D indices with offsets; offsets: where each bag starts
   * (1-D input only); per_sample_weights: a weight per index (mode 'sum' only).
   */
  override forward(input: Tensor, offsets: Tensor | null = null, per_sample_weights: Tensor | null = null): Tensor {
    return namedErrors('EmbeddingBag', () =>
      F.embedding_bag(
        input,
        this.weight,
        offsets,
        this.max_norm,
        this.norm_type,
        this.scale_grad_by_freq,
        this.mode,
        this.sparse,
        per_sample_weights,
        this.include_last_offset,
        this.padding_idx,
      ),
    );
  }

  override extra_repr(): string {
    let s = `${this.num_embeddings}, ${this.embedding_dim}`;
    if (this.max_norm !== null) s += `, max_norm=${pyFloat(this.max_norm)}`;
    if (this.norm_type !== 2) s += `, norm_type=${pyFloat(this.norm_type)}`;
    if (this.scale_grad_by_freq !== false) s += ', scale_grad_by_freq=True';
    s += `, mode=${this.mode}`;
    if (this.padding_idx !== null) s += `, padding_idx=${this.padding_idx}`;
    return s;
  }

  /**
   * An EmbeddingBag whose weight is `embeddings` (sharing its storage), frozen unless
   * `freeze: false` (Python: `EmbeddingBag.from_pretrained(embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, mode='mean', sparse=False, include_last_offset=False, padding_idx=None)`).
   */
  static from_pretrained(embeddings: Tensor, ...args: EmbeddingBagFromPretrainedArgs): EmbeddingBag {
    const where = 'EmbeddingBag.from_pretrained';
    const a = signature(where, 1, EMBEDDING_BAG_FROM_PRETRAINED_PARAMS).parse(args);
    const [rows, cols] = pretrainedShape(where, embeddings);
    const bag = new EmbeddingBag(rows, cols, {
      _weight: embeddings,
      max_norm: a.max_norm,
      norm_type: a.norm_type,
      scale_grad_by_freq: a.scale_grad_by_freq,
      mode: a.mode,
      sparse: a.sparse,
      include_last_offset: a.include_last_offset,
      padding_idx: a.padding_idx,
    });
    bag.weight.requires_grad_(!checkBool(where, 'freeze', a.freeze));
    return bag;
  }
}
