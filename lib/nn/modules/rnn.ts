// Recurrent layers (torch/nn/modules/rnn.py): RNNBase, RNN, LSTM, GRU over libtorch's fused
// multi-layer kernels (aten::rnn_tanh, rnn_relu, lstm, gru, which also run PackedSequence
// input through their `.data` overloads), and the single-step cells RNNCell, LSTMCell,
// GRUCell over aten::rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell.
//
// Parameters are created, named and registered in PyTorch's order and reset_parameters()
// makes the same uniform_ draws, so after the same torch.manual_seed the weights are
// PyTorch's; the flat weight list goes to the kernels in that same order.
import type { DeviceLike } from '../../device.js';
import type { DType } from '../../dtype.js';
import { TorchError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { warn } from '../_reduction.js';
import * as init from '../init.js';
import { Parameter } from '../parameter.js';
import { PackedSequence } from '../utils/rnn.js';
import { parseOptionalArgs, pyFloat, pyTuple, type OptionalArgs } from '../utils/_python.js';
import { checkSize, type FactoryOptions } from './linear.js';
import { Module } from './module.js';

/** Which recurrence an RNNBase runs. */
export type RNNMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** The keyword arguments of nn.RNN, nn.LSTM and nn.GRU (Python's names and defaults). */
export interface RNNBaseOptions extends FactoryOptions {
  /** Number of stacked recurrent layers (default 1). */
  num_layers?: number;
  /** Whether the layers have the bias weights b_ih and b_hh (default true). */
  bias?: boolean;
  /** Whether input and output are (batch, seq, feature) instead of (seq, batch, feature) (default false). */
  batch_first?: boolean;
  /** Dropout probability on the outputs of each layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Whether the layers run in both directions (default false). */
  bidirectional?: boolean;
  /** LSTM only: size of the projected hidden state, 0 for none (default 0). */
  proj_size?: number;
}

/** The keyword arguments of nn.RNN. */
export interface RNNOptions extends Omit<RNNBaseOptions, 'proj_size'> {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** The keyword arguments of nn.LSTM. */
export type LSTMOptions = RNNBaseOptions;
/** The keyword arguments of nn.GRU. */
export type GRUOptions = Omit<RNNBaseOptions, 'proj_size'>;

type CommonPositional = [num_layers: number, bias: boolean, batch_first: boolean, dropout: number, bidirectional: boolean];
/** The optional arguments of RNNBase: Python's positional order, then an options object. */
export type RNNBaseArgs = OptionalArgs<[...CommonPositional, proj_size: number], RNNBaseOptions>;
/** The optional arguments of nn.RNN: `(num_layers, bias, batch_first, dropout, bidirectional)`, then `{ nonlinearity, ... }`. */
export type RNNArgs = OptionalArgs<CommonPositional, RNNOptions>;
/** The optional arguments of nn.LSTM: `(num_layers, bias, batch_first, dropout, bidirectional, proj_size)`, then options. */
export type LSTMArgs = OptionalArgs<[...CommonPositional, proj_size: number], LSTMOptions>;
/** The optional arguments of nn.GRU: `(num_layers, bias, batch_first, dropout, bidirectional)`, then options. */
export type GRUArgs = OptionalArgs<CommonPositional, GRUOptions>;

const BASE_DEFAULTS = {
  num_layers: 1 as number,
  bias: true as boolean,
  batch_first: false as boolean,
  dropout: 0 as number,
  bidirectional: false as boolean,
  proj_size: 0 as number,
  device: undefined as DeviceLike | undefined,
  dtype: undefined as DType | undefined,
};

function checkBool(where: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw argumentError(where, name, 'a boolean', value);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Python's `tensor.index_select(dim, permutation)` (`_apply_permutation`). */
function _apply_permutation(tensor: Tensor, permutation: Tensor, dim = 1): Tensor {
  return tensor.index_select(dim, permutation);
}

/** Disposes `t` unless it is one of `keep` (a temporary that turned out to be the input itself). */
function disposeUnless(t: Tensor | null | undefined, ...keep: (Tensor | null | undefined)[]): void {
  if (t != null && !keep.includes(t)) t.dispose();
}

/** The hidden state argument of RNNBase's internals: one tensor, or LSTM's (h, c) pair. */
type Hidden = Tensor | [Tensor, Tensor];

/** What RNNBase.forward works on once its input is unpacked (Python's locals of forward). */
interface PreparedInput {
  input: Tensor;
  batch_sizes: Tensor | null;
  sorted_indices: Tensor | null;
  unsorted_indices: Tensor | null;
  max_batch_size: number;
  is_batched: boolean;
  batch_dim: number;
}

/**
 * Base class of nn.RNN, nn.LSTM and nn.GRU (Python: `nn.RNNBase(mode, input_size, hidden_size,
 * num_layers=1, bias=True, batch_first=False, dropout=0., bidirectional=False, proj_size=0,
 * device=None, dtype=None)`). Holds the per-layer weights, named `weight_ih_l{k}`,
 * `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (and `weight_hr_l{k}` with proj_size),
 * with the suffix `_reverse` for the reverse direction.
 */
export class RNNBase extends Module {
  /** 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'. */
  declare mode: RNNMode;
  declare input_size: number;
  declare hidden_size: number;
  declare num_layers: number;
  declare bias: boolean;
  declare batch_first: boolean;
  declare dropout: number;
  declare bidirectional: boolean;
  declare proj_size: number;
  /** The names of the flat weights, in the order the fused kernels take them. */
  declare _flat_weights_names: string[];
  /** The weight names of each layer and direction. */
  declare _all_weights: string[][];

  constructor(mode: RNNMode, input_size: number, hidden_size: number, ...args: RNNBaseArgs) {
    super();
    const where = `nn.${mode === 'RNN_TANH' || mode === 'RNN_RELU' ? 'RNN' : mode}`;
    const a = parseOptionalArgs('__init__', 3, BASE_DEFAULTS, args, ['device', 'dtype']);
    this.mode = mode;
    this.input_size = checkSize(where, 'input_size', input_size);
    this.hidden_size = checkSize(where, 'hidden_size', hidden_size);
    if (typeof a.num_layers !== 'number' || !Number.isInteger(a.num_layers) || a.num_layers < 1) throw argumentError(where, 'num_layers', 'a positive integer', a.num_layers);
    this.num_layers = a.num_layers;
    checkBool(where, 'bias', a.bias);
    this.bias = a.bias;
    checkBool(where, 'batch_first', a.batch_first);
    this.batch_first = a.batch_first;
    const dropout = a.dropout as unknown;
    if (typeof dropout !== 'number' || Number.isNaN(dropout) || !(dropout >= 0 && dropout <= 1)) {
      throw new ValueError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
    }
    this.dropout = dropout;
    checkBool(where, 'bidirectional', a.bidirectional);
    this.bidirectional = a.bidirectional;
    if (typeof a.proj_size !== 'number' || !Number.isInteger(a.proj_size)) throw argumentError(where, 'proj_size', 'an integer', a.proj_size);
    this.proj_size = a.proj_size;
    const num_directions = this.bidirectional ? 2 : 1;

    if (dropout > 0 && this.num_layers === 1) {
      warn(
        'dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects ' +
          `num_layers greater than 1, but got dropout=${pyFloat(dropout)} and num_layers=${this.num_layers}`,
      );
    }
    if (this.proj_size < 0) throw new ValueError('proj_size should be a positive integer or zero to disable projections');
    if (this.proj_size >= hidden_size) throw new ValueError('proj_size has to be smaller than hidden_size');

    let gate_size: number;
    if (mode === 'LSTM') gate_size = 4 * hidden_size;
    else if (mode === 'GRU') gate_size = 3 * hidden_size;
    else if (mode === 'RNN_TANH' || mode === 'RNN_RELU') gate_size = hidden_size;
    else throw new ValueError('Unrecognized RNN mode: ' + String(mode));

    const factory: FactoryOptions = {};
    if (a.device !== undefined) factory.device = a.device;
    if (a.dtype !== undefined) factory.dtype = a.dtype;
    const param = (...size: number[]) => new Parameter(torch.empty(size, factory));

    this._flat_weights_names = [];
    this._all_weights = [];
    for (let layer = 0; layer < this.num_layers; layer++) {
      for (let direction = 0; direction < num_directions; direction++) {
        const real_hidden_size = this.proj_size > 0 ? this.proj_size : hidden_size;
        const layer_input_size = layer === 0 ? input_size : real_hidden_size * num_directions;
        const suffix = direction === 1 ? '_reverse' : '';
        const layer_params: [string, Parameter][] = [
          [`weight_ih_l${layer}${suffix}`, param(gate_size, layer_input_size)],
          [`weight_hh_l${layer}${suffix}`, param(gate_size, real_hidden_size)],
        ];
        if (this.bias) layer_params.push([`bias_ih_l${layer}${suffix}`, param(gate_size)], [`bias_hh_l${layer}${suffix}`, param(gate_size)]);
        if (this.proj_size > 0) layer_params.push([`weight_hr_l${layer}${suffix}`, param(this.proj_size, hidden_size)]);
        for (const [name, p] of layer_params) this.register_parameter(name, p);
        const names = layer_params.map(([name]) => name);
        this._flat_weights_names.push(...names);
        this._all_weights.push(names);
      }
    }
    this.flatten_parameters();
    this.reset_parameters();
  }

  /** The flat weights in the kernels' order, read from the module (so reassigned parameters are seen). */
  get _flat_weights(): Tensor[] {
    const self = this as unknown as Record<string, Tensor>;
    return this._flat_weights_names.map((name) => self[name]);
  }

  /** The weights of each layer and direction (Python's `all_weights`). */
  get all_weights(): Parameter[][] {
    const self = this as unknown as Record<string, Parameter>;
    return this._all_weights.map((names) => names.map((name) => self[name]));
  }

  /**
   * Python packs CUDA weights into one cuDNN buffer here. libtorch's CPU kernels take the
   * separate weights as they are, so on the CPU this is a no-op, as in PyTorch.
   */
  flatten_parameters(): void {
    // cuDNN weight flattening (torch._cudnn_rnn_flatten_weight) is not wired: the fused
    // kernels accept unflattened weights on every device, only slower on cuDNN.
  }

  /** Re-draws every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order, as PyTorch does. */
  reset_parameters(): void {
    const stdv = this.hidden_size > 0 ? 1.0 / Math.sqrt(this.hidden_size) : 0;
    for (const weight of this.parameters()) init.uniform_(weight, -stdv, stdv);
  }

  /** Throws TorchError unless input has the expected rank (2 for packed data, else 3) and feature size. */
  check_input(input: Tensor, batch_sizes: Tensor | null): void {
    const expected_input_dim = batch_sizes !== null ? 2 : 3;
    if (input.dim() !== expected_input_dim) throw new TorchError(`input must have ${expected_input_dim} dimensions, got ${input.dim()}`);
    if (this.input_size !== input.size(-1)) {
      throw new TorchError(`input.size(-1) must be equal to input_size. Expected ${this.input_size}, got ${input.size(-1)}`);
    }
  }

  /** The hidden state's expected shape: (num_layers * num_directions, batch, proj_size or hidden_size). */
  get_expected_hidden_size(input: Tensor, batch_sizes: Tensor | null): [number, number, number] {
    const mini_batch = batch_sizes !== null ? firstBatchSize(batch_sizes) : input.size(this.batch_first ? 0 : 1);
    const num_directions = this.bidirectional ? 2 : 1;
    return [this.num_layers * num_directions, mini_batch, this.proj_size > 0 ? this.proj_size : this.hidden_size];
  }

  /** Throws TorchError (`Expected hidden size (2, 3, 20), got [1, 3, 20]`) when hx's shape differs. */
  check_hidden_size(hx: Tensor, expected_hidden_size: readonly number[], msg = 'Expected hidden size {}, got {}'): void {
    const shape = hx.shape;
    if (!sameShape(shape, expected_hidden_size)) {
      const parts = msg.split('{}');
      throw new TorchError(parts[0] + pyTuple(expected_hidden_size) + parts[1] + `[${shape.join(', ')}]` + (parts[2] ?? ''));
    }
  }

  /** Checks the input and hidden state before the kernel runs. */
  check_forward_args(input: Tensor, hidden: Hidden, batch_sizes: Tensor | null): void {
    this.check_input(input, batch_sizes);
    this.check_hidden_size(hidden as Tensor, this.get_expected_hidden_size(input, batch_sizes));
  }

  /** hx with its batch reordered by `permutation` (dimension 1), or hx itself when permutation is null. */
  permute_hidden(hx: Hidden, permutation: Tensor | null): Hidden {
    if (permutation === null) return hx;
    return _apply_permutation(hx as Tensor, permutation);
  }

  /** @internal Python's first half of forward: unpacks a PackedSequence or adds the batch dimension to unbatched input. */
  _prepare(input: Tensor | PackedSequence): PreparedInput {
    if (input instanceof PackedSequence) {
      const [data, batch_sizes, sorted_indices, unsorted_indices] = input as unknown as [Tensor, Tensor, Tensor | null, Tensor | null];
      return { input: data, batch_sizes, sorted_indices, unsorted_indices, max_batch_size: firstBatchSize(batch_sizes), is_batched: true, batch_dim: 1 };
    }
    if (!(input instanceof Tensor)) throw argumentError(`nn.${this._get_name()}.forward`, 'input', 'a Tensor or a PackedSequence', input);
    const is_batched = input.dim() === 3;
    const batch_dim = this.batch_first ? 0 : 1;
    const batchedInput = is_batched ? input : input.unsqueeze(batch_dim);
    return {
      input: batchedInput,
      batch_sizes: null,
      sorted_indices: null,
      unsorted_indices: null,
      max_batch_size: batchedInput.size(this.batch_first ? 0 : 1),
      is_batched,
      batch_dim,
    };
  }

  /** @internal Zeros of shape (num_layers * num_directions, batch, size), like input's dtype and device. */
  _zeros(input: Tensor, max_batch_size: number, size: number): Tensor {
    const num_directions = this.bidirectional ? 2 : 1;
    return torch.zeros([this.num_layers * num_directions, max_batch_size, size], { dtype: input.dtype, device: input.device });
  }

  /** @internal Runs the fused kernel of this mode: `[output, h_n]`, or `[output, h_n, c_n]` for LSTM. */
  _run(p: PreparedInput, hx: Hidden): Tensor[] {
    const weights = this._flat_weights;
    const tail = [this.bias, this.num_layers, this.dropout, this.training, this.bidirectional] as const;
    const { input, batch_sizes } = p;
    switch (this.mode) {
      case 'RNN_TANH':
        return batch_sizes === null
          ? torch.rnn_tanh(input, hx as Tensor, weights, ...tail, this.batch_first)
          : torch.rnn_tanh(input, batch_sizes, hx as Tensor, weights, ...tail);
      case 'RNN_RELU':
        return batch_sizes === null
          ? torch.rnn_relu(input, hx as Tensor, weights, ...tail, this.batch_first)
          : torch.rnn_relu(input, batch_sizes, hx as Tensor, weights, ...tail);
      case 'GRU':
        return batch_sizes === null ? torch.gru(input, hx as Tensor, weights, ...tail, this.batch_first) : torch.gru(input, batch_sizes, hx as Tensor, weights, ...tail);
      case 'LSTM':
        return batch_sizes === null ? torch.lstm(input, hx as Tensor[], weights, ...tail, this.batch_first) : torch.lstm(input, batch_sizes, hx as Tensor[], weights, ...tail);
    }
  }

  override extra_repr(): string {
    let s = `${this.input_size}, ${this.hidden_size}`;
    if (this.proj_size !== 0) s += `, proj_size=${this.proj_size}`;
    if (this.num_layers !== 1) s += `, num_layers=${this.num_layers}`;
    if (this.bias !== true) s += ', bias=False';
    if (this.batch_first !== false) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional !== false) s += ', bidirectional=True';
    return s;
  }
}

/** `int(batch_sizes[0])` without a temporary tensor. */
function firstBatchSize(batch_sizes: Tensor): number {
  return Number((batch_sizes.toTypedArray() as ArrayLike<number | bigint>)[0]);
}

/** The single-tensor forward of nn.RNN and nn.GRU (Python's RNN.forward / GRU.forward). */
function forwardSingleHidden(self: RNNBase, orig_input: Tensor | PackedSequence, hx: Tensor | null | undefined): [Tensor | PackedSequence, Tensor] {
  const p = self._prepare(orig_input);
  const temporaries: Tensor[] = [];
  if (p.input !== orig_input && !(orig_input instanceof PackedSequence)) temporaries.push(p.input);
  try {
    let h = hx ?? null;
    if (h !== null && !(h instanceof Tensor)) throw argumentError(`nn.${self._get_name()}.forward`, 'hx', 'a Tensor or null', h);
    if (p.batch_sizes === null) {
      if (!p.is_batched) {
        if (h !== null) {
          if (h.dim() !== 2) throw new TorchError(`For unbatched 2-D input, hx should also be 2-D but got ${h.dim()}-D tensor`);
          h = h.unsqueeze(1);
          temporaries.push(h);
        }
      } else if (h !== null && h.dim() !== 3) {
        throw new TorchError(`For batched 3-D input, hx should also be 3-D but got ${h.dim()}-D tensor`);
      }
    }
    if (h === null) {
      h = self._zeros(p.input, p.max_batch_size, self.hidden_size);
      temporaries.push(h);
    } else if (p.sorted_indices !== null) {
      h = self.permute_hidden(h, p.sorted_indices) as Tensor;
      temporaries.push(h);
    }
    self.check_forward_args(p.input, h, p.batch_sizes);
    const [output, hidden] = self._run(p, h);
    if (orig_input instanceof PackedSequence) {
      const output_packed = new PackedSequence(output, p.batch_sizes, p.sorted_indices, p.unsorted_indices);
      const h_n = self.permute_hidden(hidden, p.unsorted_indices) as Tensor;
      if (h_n !== hidden) hidden.dispose();
      return [output_packed, h_n];
    }
    if (!p.is_batched) {
      const out = output.squeeze(p.batch_dim);
      const h_n = hidden.squeeze(1);
      output.dispose();
      hidden.dispose();
      return [out, h_n];
    }
    return [output, hidden];
  } finally {
    for (const t of temporaries) disposeUnless(t, hx, orig_input instanceof Tensor ? orig_input : null);
  }
}

/**
 * A multi-layer Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), or with ReLU
 * (Python: `nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
 * batch_first=False, dropout=0., bidirectional=False, device=None, dtype=None)`).
 *
 * Args:
 *   input_size: features of the input x.
 *   hidden_size: features of the hidden state h.
 *   then positionally `num_layers, bias, batch_first, dropout, bidirectional`, and/or an
 *   options object `{ num_layers, nonlinearity, bias, batch_first, dropout, bidirectional, device, dtype }`.
 *
 * Shape: input (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
 * PackedSequence; h_0 (D * num_layers, N, H_out) or (D * num_layers, H_out), zeros when
 * omitted. Returns `[output, h_n]`: output (L, N, D * H_out) (or packed like the input), h_n
 * like h_0. D is 2 when bidirectional.
 *
 * Attributes: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (and `_reverse`), from
 * U(-sqrt(k), sqrt(k)) with k = 1 / hidden_size.
 *
 * Example:
 * ```ts
 * const rnn = new nn.RNN(10, 20, 2);
 * const [output, hn] = rnn.forward(torch.randn(5, 3, 10), torch.randn(2, 3, 20));
 * ```
 */
export class RNN extends RNNBase {
  /** 'tanh' or 'relu'. */
  declare nonlinearity: 'tanh' | 'relu';

  constructor(input_size: number, hidden_size: number, ...args: RNNArgs) {
    const last = args[args.length - 1];
    let nonlinearity: unknown = 'tanh';
    let rest = args as RNNBaseArgs;
    if (typeof last === 'object' && last !== null) {
      if ('proj_size' in last) throw new ValueError('proj_size argument is only supported for LSTM, not RNN or GRU');
      const { nonlinearity: given, ...options } = last as RNNOptions;
      if (given !== undefined) nonlinearity = given;
      rest = [...args.slice(0, -1), options] as RNNBaseArgs;
    }
    let mode: RNNMode;
    if (nonlinearity === 'tanh') mode = 'RNN_TANH';
    else if (nonlinearity === 'relu') mode = 'RNN_RELU';
    else throw new ValueError(`Unknown nonlinearity '${String(nonlinearity)}'`);
    super(mode, input_size, hidden_size, ...rest);
    this.nonlinearity = nonlinearity;
  }

  /**
   * Runs the RNN over a sequence.
   *
   * Args:
   *   input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in), or a PackedSequence.
   *   hx: the initial hidden state, or null/omitted for zeros.
   *
   * Returns: `[output, h_n]`; output is a PackedSequence when input is one.
   */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    return forwardSingleHidden(this, input, hx);
  }
}

/**
 * A multi-layer long short-term memory RNN, optionally with projections (Python:
 * `nn.LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.,
 * bidirectional=False, proj_size=0, device=None, dtype=None)`).
 *
 * Args:
 *   input_size: features of the input x.
 *   hidden_size: features of the cell state c (and of h without projection).
 *   then positionally `num_layers, bias, batch_first, dropout, bidirectional, proj_size`,
 *   and/or an options object with those names and `device`, `dtype`.
 *
 * Shape: input as for nn.RNN; h_0 (D * num_layers, N, H_out) and c_0 (D * num_layers, N,
 * hidden_size), 2-D for unbatched input, zeros when omitted; H_out is proj_size if > 0, else
 * hidden_size. Returns `[output, [h_n, c_n]]`.
 *
 * Attributes: weight_ih_l{k} (4*hidden_size, ...), weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k},
 * weight_hr_l{k} (proj_size, hidden_size) with proj_size, and `_reverse` variants, from
 * U(-sqrt(k), sqrt(k)) with k = 1 / hidden_size.
 *
 * Example:
 * ```ts
 * const lstm = new nn.LSTM(10, 20, 2);
 * const [output, [hn, cn]] = lstm.forward(torch.randn(5, 3, 10), [torch.randn(2, 3, 20), torch.randn(2, 3, 20)]);
 * ```
 */
export class LSTM extends RNNBase {
  constructor(input_size: number, hidden_size: number, ...args: LSTMArgs) {
    super('LSTM', input_size, hidden_size, ...args);
  }

  /** The cell state's expected shape: (num_layers * num_directions, batch, hidden_size). */
  get_expected_cell_size(input: Tensor, batch_sizes: Tensor | null): [number, number, number] {
    const mini_batch = batch_sizes !== null ? firstBatchSize(batch_sizes) : input.size(this.batch_first ? 0 : 1);
    const num_directions = this.bidirectional ? 2 : 1;
    return [this.num_layers * num_directions, mini_batch, this.hidden_size];
  }

  override check_forward_args(input: Tensor, hidden: Hidden, batch_sizes: Tensor | null): void {
    const [h, c] = hidden as [Tensor, Tensor];
    this.check_input(input, batch_sizes);
    this.check_hidden_size(h, this.get_expected_hidden_size(input, batch_sizes), 'Expected hidden[0] size {}, got {}');
    this.check_hidden_size(c, this.get_expected_cell_size(input, batch_sizes), 'Expected hidden[1] size {}, got {}');
  }

  override permute_hidden(hx: Hidden, permutation: Tensor | null): Hidden {
    if (permutation === null) return hx;
    const [h, c] = hx as [Tensor, Tensor];
    return [_apply_permutation(h, permutation), _apply_permutation(c, permutation)];
  }

  /**
   * Runs the LSTM over a sequence.
   *
   * Args:
   *   input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in), or a PackedSequence.
   *   hx: `[h_0, c_0]`, or null/omitted for zeros.
   *
   * Returns: `[output, [h_n, c_n]]`; output is a PackedSequence when input is one.
   */
  override forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  override forward(input: PackedSequence, hx?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  override forward(input: Tensor | PackedSequence, hx?: [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]];
  override forward(orig_input: Tensor | PackedSequence, hx?: [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    const p = this._prepare(orig_input);
    const temporaries: Tensor[] = [];
    if (p.input !== orig_input && !(orig_input instanceof PackedSequence)) temporaries.push(p.input);
    const given: Tensor[] = [];
    try {
      let state: [Tensor, Tensor];
      if (hx == null) {
        const real_hidden_size = this.proj_size > 0 ? this.proj_size : this.hidden_size;
        state = [this._zeros(p.input, p.max_batch_size, real_hidden_size), this._zeros(p.input, p.max_batch_size, this.hidden_size)];
        temporaries.push(...state);
      } else {
        if (!Array.isArray(hx) || hx.length !== 2 || !(hx[0] instanceof Tensor) || !(hx[1] instanceof Tensor)) {
          throw argumentError('nn.LSTM.forward', 'hx', 'a [h_0, c_0] pair of Tensors or null', hx);
        }
        given.push(hx[0], hx[1]);
        state = [hx[0], hx[1]];
        if (p.batch_sizes === null) {
          if (p.is_batched) {
            if (hx[0].dim() !== 3 || hx[1].dim() !== 3) {
              throw new TorchError(`For batched 3-D input, hx and cx should also be 3-D but got (${hx[0].dim()}-D, ${hx[1].dim()}-D) tensors`);
            }
          } else {
            if (hx[0].dim() !== 2 || hx[1].dim() !== 2) {
              throw new TorchError(`For unbatched 2-D input, hx and cx should also be 2-D but got (${hx[0].dim()}-D, ${hx[1].dim()}-D) tensors`);
            }
            state = [hx[0].unsqueeze(1), hx[1].unsqueeze(1)];
            temporaries.push(...state);
          }
        }
        if (p.sorted_indices !== null) {
          state = this.permute_hidden(state, p.sorted_indices) as [Tensor, Tensor];
          temporaries.push(...state);
        }
      }
      this.check_forward_args(p.input, state, p.batch_sizes);
      const [output, h_n, c_n] = this._run(p, state);
      if (orig_input instanceof PackedSequence) {
        const output_packed = new PackedSequence(output, p.batch_sizes, p.sorted_indices, p.unsorted_indices);
        const hidden = this.permute_hidden([h_n, c_n], p.unsorted_indices) as [Tensor, Tensor];
        if (hidden[0] !== h_n) {
          h_n.dispose();
          c_n.dispose();
        }
        return [output_packed, hidden];
      }
      if (!p.is_batched) {
        const result: [Tensor, [Tensor, Tensor]] = [output.squeeze(p.batch_dim), [h_n.squeeze(1), c_n.squeeze(1)]];
        output.dispose();
        h_n.dispose();
        c_n.dispose();
        return result;
      }
      return [output, [h_n, c_n]];
    } finally {
      for (const t of temporaries) disposeUnless(t, ...given, orig_input instanceof Tensor ? orig_input : null);
    }
  }
}

/**
 * A multi-layer gated recurrent unit RNN (Python: `nn.GRU(input_size, hidden_size,
 * num_layers=1, bias=True, batch_first=False, dropout=0., bidirectional=False, device=None,
 * dtype=None)`).
 *
 * Args: as nn.RNN, without nonlinearity.
 *
 * Shape: as nn.RNN. Returns `[output, h_n]`.
 *
 * Attributes: weight_ih_l{k} (3*hidden_size, ...), weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}
 * (and `_reverse`), from U(-sqrt(k), sqrt(k)) with k = 1 / hidden_size.
 *
 * Example:
 * ```ts
 * const gru = new nn.GRU(10, 20, 2);
 * const [output, hn] = gru.forward(torch.randn(5, 3, 10), torch.randn(2, 3, 20));
 * ```
 */
export class GRU extends RNNBase {
  constructor(input_size: number, hidden_size: number, ...args: GRUArgs) {
    const last = args[args.length - 1];
    if (typeof last === 'object' && last !== null && 'proj_size' in last) throw new ValueError('proj_size argument is only supported for LSTM, not RNN or GRU');
    super('GRU', input_size, hidden_size, ...(args as RNNBaseArgs));
  }

  /**
   * Runs the GRU over a sequence.
   *
   * Args:
   *   input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in), or a PackedSequence.
   *   hx: the initial hidden state, or null/omitted for zeros.
   *
   * Returns: `[output, h_n]`; output is a PackedSequence when input is one.
   */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    return forwardSingleHidden(this, input, hx);
  }
}

// ---- cells ---------------------------------------------------------------------------

/** The keyword arguments of the cells. */
export interface RNNCellOptions extends FactoryOptions {
  /** Whether the cell has the bias weights b_ih and b_hh (default true). */
  bias?: boolean;
}

/**
 * Base class of the cells (Python: `nn.RNNCellBase(input_size, hidden_size, bias, num_chunks,
 * device=None, dtype=None)`): weight_ih (num_chunks * hidden_size, input_size), weight_hh
 * (num_chunks * hidden_size, hidden_size), bias_ih and bias_hh (num_chunks * hidden_size) or null.
 */
export class RNNCellBase extends Module {
  declare input_size: number;
  declare hidden_size: number;
  declare bias: boolean;
  declare weight_ih: Parameter;
  declare weight_hh: Parameter;
  declare bias_ih: Parameter | null;
  declare bias_hh: Parameter | null;

  constructor(input_size: number, hidden_size: number, bias: boolean, num_chunks: number, factory: FactoryOptions = {}) {
    super();
    const where = `nn.${new.target.name}`;
    this.input_size = checkSize(where, 'input_size', input_size);
    this.hidden_size = checkSize(where, 'hidden_size', hidden_size);
    checkBool(where, 'bias', bias);
    this.bias = bias;
    const kwargs: FactoryOptions = {};
    if (factory.device !== undefined) kwargs.device = factory.device;
    if (factory.dtype !== undefined) kwargs.dtype = factory.dtype;
    this.weight_ih = new Parameter(torch.empty([num_chunks * hidden_size, input_size], kwargs));
    this.weight_hh = new Parameter(torch.empty([num_chunks * hidden_size, hidden_size], kwargs));
    if (bias) {
      this.bias_ih = new Parameter(torch.empty(num_chunks * hidden_size, kwargs));
      this.bias_hh = new Parameter(torch.empty(num_chunks * hidden_size, kwargs));
    } else {
      this.register_parameter('bias_ih', null);
      this.register_parameter('bias_hh', null);
    }
    this.reset_parameters();
  }

  override extra_repr(): string {
    let s = `${this.input_size}, ${this.hidden_size}`;
    if (this.bias !== true) s += ', bias=False';
    const nonlinearity = (this as { nonlinearity?: string }).nonlinearity;
    if (nonlinearity !== undefined && nonlinearity !== 'tanh') s += `, nonlinearity=${nonlinearity}`;
    return s;
  }

  /** Re-draws every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order, as PyTorch does. */
  reset_parameters(): void {
    const stdv = this.hidden_size > 0 ? 1.0 / Math.sqrt(this.hidden_size) : 0;
    for (const weight of this.parameters()) init.uniform_(weight, -stdv, stdv);
  }

  /** @internal Python's assert on the input rank; returns whether the input is batched. */
  _checkCellInput(input: unknown): boolean {
    if (!(input instanceof Tensor)) throw argumentError(`nn.${this._get_name()}.forward`, 'input', 'a Tensor', input);
    const dim = input.dim();
    // Python raises AssertionError here.
    if (dim !== 1 && dim !== 2) throw new TorchError(`${this._get_name()}: Expected input to be 1-D or 2-D but received ${dim}-D tensor`);
    return dim === 2;
  }

  /** @internal Zeros (batch, hidden_size) like input. */
  _zeros(input: Tensor): Tensor {
    return torch.zeros([input.size(0), this.hidden_size], { dtype: input.dtype, device: input.device });
  }
}

type CellArgs = OptionalArgs<[bias: boolean], RNNCellOptions>;

function parseCellArgs(where: string, args: readonly unknown[], extra: Record<string, unknown> = {}): { bias: boolean; device?: DeviceLike; dtype?: DType } & Record<string, unknown> {
  return parseOptionalArgs(where, 3, { bias: true as boolean, ...extra, device: undefined as DeviceLike | undefined, dtype: undefined as DType | undefined }, args, ['device', 'dtype']);
}

/** Runs a single-hidden-state cell kernel on batched or unbatched input (Python's RNNCell/GRUCell forward). */
function forwardCell(cell: RNNCellBase, input: Tensor, hx: Tensor | null | undefined, kernel: (input: Tensor, hx: Tensor) => Tensor): Tensor {
  const is_batched = cell._checkCellInput(input);
  if (hx != null && !(hx instanceof Tensor)) throw argumentError(`nn.${cell._get_name()}.forward`, 'hx', 'a Tensor or null', hx);
  const batchedInput = is_batched ? input : input.unsqueeze(0);
  const h = hx == null ? cell._zeros(batchedInput) : is_batched ? hx : hx.unsqueeze(0);
  try {
    const ret = kernel(batchedInput, h);
    if (is_batched) return ret;
    const squeezed = ret.squeeze(0);
    ret.dispose();
    return squeezed;
  } finally {
    disposeUnless(batchedInput, input);
    disposeUnless(h, hx);
  }
}

/**
 * An Elman RNN cell, h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or with ReLU (Python:
 * `nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None)`).
 *
 * Shape: input (N, H_in) or (H_in); hidden (N, H_out) or (H_out), zeros when omitted;
 * returns h' like hidden.
 *
 * Example:
 * ```ts
 * const cell = new nn.RNNCell(10, 20);
 * let hx = torch.randn(3, 20);
 * for (const x of torch.randn(6, 3, 10).unbind(0)) hx = cell.forward(x, hx);
 * ```
 */
export class RNNCell extends RNNCellBase {
  /** 'tanh' or 'relu'. */
  declare nonlinearity: string;

  constructor(input_size: number, hidden_size: number, ...args: OptionalArgs<[bias: boolean, nonlinearity: 'tanh' | 'relu'], RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' }>) {
    const a = parseCellArgs('__init__', args, { nonlinearity: 'tanh' });
    super(input_size, hidden_size, a.bias, 1, { device: a.device, dtype: a.dtype });
    if (typeof a.nonlinearity !== 'string') throw argumentError('nn.RNNCell', 'nonlinearity', "'tanh' or 'relu'", a.nonlinearity);
    this.nonlinearity = a.nonlinearity;
  }

  /** One step: `h' = cell(input, hx)`. Throws TorchError for an unknown nonlinearity. */
  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return forwardCell(this, input, hx, (x, h) => {
      if (this.nonlinearity === 'tanh') return torch.rnn_tanh_cell(x, h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
      if (this.nonlinearity === 'relu') return torch.rnn_relu_cell(x, h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
      throw new TorchError(`Unknown nonlinearity: ${this.nonlinearity}`);
    });
  }
}

/**
 * A long short-term memory cell (Python: `nn.LSTMCell(input_size, hidden_size, bias=True,
 * device=None, dtype=None)`).
 *
 * Shape: input (N, H_in) or (H_in); hx `[h_0, c_0]`, each (N, hidden_size) or (hidden_size),
 * zeros when omitted; returns `[h_1, c_1]`.
 *
 * Example:
 * ```ts
 * const cell = new nn.LSTMCell(10, 20);
 * let [hx, cx] = cell.forward(torch.randn(3, 10));
 * ```
 */
export class LSTMCell extends RNNCellBase {
  constructor(input_size: number, hidden_size: number, ...args: CellArgs) {
    const a = parseCellArgs('__init__', args);
    super(input_size, hidden_size, a.bias, 4, { device: a.device, dtype: a.dtype });
  }

  /** One step: `[h_1, c_1] = cell(input, [h_0, c_0])`. */
  override forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    const is_batched = this._checkCellInput(input);
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2 || !(hx[0] instanceof Tensor) || !(hx[1] instanceof Tensor))) {
      throw argumentError('nn.LSTMCell.forward', 'hx', 'a [h_0, c_0] pair of Tensors or null', hx);
    }
    const batchedInput = is_batched ? input : input.unsqueeze(0);
    let state: [Tensor, Tensor];
    if (hx == null) {
      const zeros = this._zeros(batchedInput);
      state = [zeros, zeros];
    } else {
      state = is_batched ? [hx[0], hx[1]] : [hx[0].unsqueeze(0), hx[1].unsqueeze(0)];
    }
    try {
      const [h1, c1] = torch.lstm_cell(batchedInput, state, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
      if (is_batched) return [h1, c1];
      const ret: [Tensor, Tensor] = [h1.squeeze(0), c1.squeeze(0)];
      h1.dispose();
      c1.dispose();
      return ret;
    } finally {
      disposeUnless(batchedInput, input);
      disposeUnless(state[0], ...(hx ?? []));
      if (state[1] !== state[0]) disposeUnless(state[1], ...(hx ?? []));
    }
  }
}

/**
 * A gated recurrent unit cell (Python: `nn.GRUCell(input_size, hidden_size, bias=True,
 * device=None, dtype=None)`).
 *
 * Shape: input (N, H_in) or (H_in); hidden (N, H_out) or (H_out), zeros when omitted;
 * returns h' like hidden.
 *
 * Example: `const h1 = new nn.GRUCell(10, 20).forward(torch.randn(3, 10), torch.randn(3, 20));`
 */
export class GRUCell extends RNNCellBase {
  constructor(input_size: number, hidden_size: number, ...args: CellArgs) {
    const a = parseCellArgs('__init__', args);
    super(input_size, hidden_size, a.bias, 3, { device: a.device, dtype: a.dtype });
  }

  /** One step: `h' = cell(input, hx)`. */
  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return forwardCell(this, input, hx, (x, h) => torch.gru_cell(x, h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh));
  }
}

