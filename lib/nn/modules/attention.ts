// MultiheadAttention (torch/nn/modules/activation.py, PyTorch 1.13) and the Linear subclass it
// uses for its output projection (torch/nn/modules/linear.py). The computation itself is
// F.multi_head_attention_forward (lib/nn/functional.ts), as in Python.
//
// As in PyTorch 1.13, batched self-attention in eval mode without autograd takes the fused "fast
// path" (torch._native_multi_head_attention) under Python's conditions; everything else takes the
// math path, which is what PyTorch computes whenever gradients are recorded.
import { ValueError } from '../../errors.js';
import { bool as torchBool } from '../../dtype.js';
import type { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import type { Parameter } from '../parameter.js';
import { FACTORY, fusedOpAccepts, checkBool, checkNumber, checkOptionalTensor, checkSize, factoryKwargs, parameterOf, signature, type ArgsOf } from './_layer_utils.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/**
 * A Linear layer that PyTorch's quantization tooling leaves alone; MultiheadAttention's
 * out_proj is one (Python: `nn.modules.linear.NonDynamicallyQuantizableLinear`). It behaves
 * exactly like Linear.
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

const MHA_PARAMS = [
  ['dropout', 0.0 as number],
  ['bias', true as boolean],
  ['add_bias_kv', false as boolean],
  ['add_zero_attn', false as boolean],
  ['kdim', null as number | null],
  ['vdim', null as number | null],
  ['batch_first', false as boolean],
  ...FACTORY,
] as const;
const MHA = signature('nn.MultiheadAttention', 2, MHA_PARAMS);

const MHA_FORWARD_PARAMS = [
  ['key_padding_mask', null as Tensor | null],
  ['need_weights', true as boolean],
  ['attn_mask', null as Tensor | null],
  ['average_attn_weights', true as boolean],
] as const;
const MHA_FORWARD = signature('MultiheadAttention.forward', 3, MHA_FORWARD_PARAMS);

/** Options of MultiheadAttention's constructor (Python's keyword arguments). */
export type MultiheadAttentionArgs = ArgsOf<typeof MHA_PARAMS>;
/** Options of MultiheadAttention.forward (Python's keyword arguments). */
export type MultiheadAttentionForwardArgs = ArgsOf<typeof MHA_FORWARD_PARAMS>;

/**
 * Multi-head attention from "Attention Is All You Need" (Python: `nn.MultiheadAttention(embed_dim,
 * num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None,
 * batch_first=False, device=None, dtype=None)`). Optional arguments come positionally in
 * Python's order and/or in a trailing options object.
 *
 * Args:
 *   embed_dim: total dimension of the model; split across the heads.
 *   num_heads: number of parallel heads; must divide embed_dim.
 *   dropout: dropout probability on the attention weights (default 0).
 *   bias: whether the input and output projections have a bias (default true).
 *   add_bias_kv: learn a bias appended to the key and value sequences.
 *   add_zero_attn: append a zero step to the key and value sequences.
 *   kdim, vdim: feature sizes of key and value (default embed_dim); when either differs,
 *     separate q_proj_weight, k_proj_weight, v_proj_weight replace in_proj_weight.
 *   batch_first: inputs and outputs are (N, L, E) instead of (L, N, E).
 *
 * Shape: query (L, E) or (L, N, E) / (N, L, E); key (S, kdim) ...; value (S, vdim) ...;
 * output like query; weights (N, L, S), or (N, num_heads, L, S) without averaging.
 *
 * Example:
 * ```ts
 * const mha = new nn.MultiheadAttention(16, 4, { batch_first: true });
 * const [out, weights] = mha.forward(x, x, x, { key_padding_mask: pad });
 * ```
 */
export class MultiheadAttention extends Module {
  embed_dim: number;
  kdim: number;
  vdim: number;
  _qkv_same_embed_dim: boolean;
  num_heads: number;
  dropout: number;
  batch_first: boolean;
  head_dim: number;
  add_zero_attn: boolean;
  declare in_proj_weight: Parameter | null;
  declare q_proj_weight: Parameter | null;
  declare k_proj_weight: Parameter | null;
  declare v_proj_weight: Parameter | null;
  declare in_proj_bias: Parameter | null;
  declare out_proj: NonDynamicallyQuantizableLinear;
  declare bias_k: Parameter | null;
  declare bias_v: Parameter | null;

  constructor(embed_dim: number, num_heads: number, ...args: MultiheadAttentionArgs) {
    super();
    const a = MHA.parse(args);
    const where = 'nn.MultiheadAttention';
    this.embed_dim = checkSize(where, 'embed_dim', embed_dim);
    if (a.kdim !== null) checkSize(where, 'kdim', a.kdim);
    if (a.vdim !== null) checkSize(where, 'vdim', a.vdim);
    this.kdim = a.kdim ?? embed_dim;
    this.vdim = a.vdim ?? embed_dim;
    this._qkv_same_embed_dim = this.kdim === embed_dim && this.vdim === embed_dim;
    if (typeof num_heads !== 'number' || !Number.isInteger(num_heads) || num_heads <= 0) throw new ValueError(`${where}: num_heads must be a positive integer, got ${String(num_heads)}`);
    this.num_heads = num_heads;
    this.dropout = checkNumber(where, 'dropout', a.dropout);
    this.batch_first = checkBool(where, 'batch_first', a.batch_first);
    checkBool(where, 'bias', a.bias);
    checkBool(where, 'add_bias_kv', a.add_bias_kv);
    this.head_dim = Math.floor(embed_dim / num_heads);
    // Python asserts this (AssertionError); a bad argument value is a ValueError here.
    if (this.head_dim * num_heads !== this.embed_dim) throw new ValueError('embed_dim must be divisible by num_heads');

    const kwargs = factoryKwargs(a);
    if (!this._qkv_same_embed_dim) {
      this.q_proj_weight = parameterOf(torch.empty([embed_dim, embed_dim], kwargs));
      this.k_proj_weight = parameterOf(torch.empty([embed_dim, this.kdim], kwargs));
      this.v_proj_weight = parameterOf(torch.empty([embed_dim, this.vdim], kwargs));
      this.register_parameter('in_proj_weight', null);
    } else {
      this.in_proj_weight = parameterOf(torch.empty([3 * embed_dim, embed_dim], kwargs));
      this.register_parameter('q_proj_weight', null);
      this.register_parameter('k_proj_weight', null);
      this.register_parameter('v_proj_weight', null);
    }
    if (a.bias) this.in_proj_bias = parameterOf(torch.empty(3 * embed_dim, kwargs));
    else this.register_parameter('in_proj_bias', null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embed_dim, embed_dim, { bias: a.bias, ...kwargs });
    if (a.add_bias_kv) {
      this.bias_k = parameterOf(torch.empty([1, 1, embed_dim], kwargs));
      this.bias_v = parameterOf(torch.empty([1, 1, embed_dim], kwargs));
    } else {
      // Plain attributes, not registered parameters, as in Python.
      this.bias_k = null;
      this.bias_v = null;
    }
    this.add_zero_attn = checkBool(where, 'add_zero_attn', a.add_zero_attn);
    this._reset_parameters();
  }

  /** Re-draws the projections as PyTorch does: xavier_uniform_ weights, zero biases, xavier_normal_ bias_k/bias_v. */
  _reset_parameters(): void {
    if (this._qkv_same_embed_dim) {
      init.xavier_uniform_(this.in_proj_weight!);
    } else {
      init.xavier_uniform_(this.q_proj_weight!);
      init.xavier_uniform_(this.k_proj_weight!);
      init.xavier_uniform_(this.v_proj_weight!);
    }
    if (this.in_proj_bias !== null) {
      init.constant_(this.in_proj_bias, 0);
      init.constant_(this.out_proj.bias!, 0);
    }
    if (this.bias_k !== null) init.xavier_normal_(this.bias_k);
    if (this.bias_v !== null) init.xavier_normal_(this.bias_v);
  }

  /** Python's `why_not_fast_path` checks: batched self-attention (one tensor for query, key and value) in eval mode, nothing autograd must record, ... */
  _canTakeFastPath(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | null): boolean {
    if (query.dim() !== 3 || query !== key || key !== value) return false;
    if (this.in_proj_bias !== null && query.dtype !== this.in_proj_bias.dtype) return false;
    if (this.in_proj_weight !== null && query.dtype !== this.in_proj_weight.dtype) return false;
    if (this.training || !this.batch_first || this.bias_k !== null || this.bias_v !== null || this.dropout || this.add_zero_attn) return false;
    if (!this._qkv_same_embed_dim || attn_mask !== null || this.num_heads % 2 === 1 || torch.is_autocast_enabled()) return false;
    return fusedOpAccepts([query, this.in_proj_weight, this.in_proj_bias, this.out_proj.weight, this.out_proj.bias]);
  }

  /**
   * Attends from query to key/value. Python: `forward(query, key, value, key_padding_mask=None,
   * need_weights=True, attn_mask=None, average_attn_weights=True)`.
   *
   * Args:
   *   key_padding_mask: (N, S) or (S); bool (true = ignore that key) or float (added).
   *   need_weights: also return the attention weights (default true).
   *   attn_mask: (L, S) or (N * num_heads, L, S); bool (true = may not attend) or float (added).
   *   average_attn_weights: average the returned weights over the heads (default true).
   *
   * Returns `[attn_output, attn_output_weights]`, the weights null unless need_weights.
   */
  override forward(query: Tensor, key: Tensor, value: Tensor, ...args: MultiheadAttentionForwardArgs): [Tensor, Tensor | null] {
    const a = MHA_FORWARD.parse(args);
    const where = 'MultiheadAttention.forward';
    const key_padding_mask = checkOptionalTensor(where, 'key_padding_mask', a.key_padding_mask);
    const attn_mask = checkOptionalTensor(where, 'attn_mask', a.attn_mask);
    const need_weights = checkBool(where, 'need_weights', a.need_weights);
    const average_attn_weights = checkBool(where, 'average_attn_weights', a.average_attn_weights);
    const is_batched = query.dim() === 3;
    if (key_padding_mask !== null && key_padding_mask.dtype !== torchBool && !key_padding_mask.is_floating_point()) {
      throw new ValueError('only bool and floating types of key_padding_mask are supported');
    }
    if (this._canTakeFastPath(query, key, value, attn_mask)) {
      // PyTorch 1.13's fused self-attention, under Python's conditions.
      const [out, weights] = torch._native_multi_head_attention(
        query, key, value, this.embed_dim, this.num_heads, this.in_proj_weight!, this.in_proj_bias!,
        this.out_proj.weight, this.out_proj.bias!, key_padding_mask,
        { need_weights, average_attn_weights, mask_type: key_padding_mask !== null ? 1 : null },
      ) as unknown as [Tensor, Tensor | null];
      return [out, need_weights ? weights : null];
    }

    if (this.batch_first && is_batched) {
      // Keep query/key/value identical where they were: F's in-projection takes its
      // self-attention and encoder-decoder shortcuts from object identity, as in Python.
      if (key === value) {
        if (query === key) {
          query = key = value = query.transpose(1, 0);
        } else {
          [query, key] = [query.transpose(1, 0), key.transpose(1, 0)];
          value = key;
        }
      } else {
        [query, key, value] = [query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)];
      }
    }

    const common = {
      training: this.training,
      key_padding_mask,
      need_weights,
      attn_mask,
      average_attn_weights,
    };
    const [attn_output, attn_output_weights] = this._qkv_same_embed_dim
      ? F.multi_head_attention_forward(
          query, key, value, this.embed_dim, this.num_heads,
          this.in_proj_weight, this.in_proj_bias,
          this.bias_k, this.bias_v, this.add_zero_attn,
          this.dropout, this.out_proj.weight, this.out_proj.bias,
          common,
        )
      : F.multi_head_attention_forward(
          query, key, value, this.embed_dim, this.num_heads,
          this.in_proj_weight, this.in_proj_bias,
          this.bias_k, this.bias_v, this.add_zero_attn,
          this.dropout, this.out_proj.weight, this.out_proj.bias,
          {
            ...common,
            use_separate_proj_weight: true,
            q_proj_weight: this.q_proj_weight,
            k_proj_weight: this.k_proj_weight,
            v_proj_weight: this.v_proj_weight,
          },
        );
    if (this.batch_first && is_batched) return [attn_output.transpose(1, 0), attn_output_weights];
    return [attn_output, attn_output_weights];
  }
}
