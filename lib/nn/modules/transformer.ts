// Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer and
// TransformerDecoderLayer (torch/nn/modules/transformer.py, PyTorch 1.13).
//
// In eval mode without autograd, TransformerEncoderLayer takes PyTorch 1.13's fused fast path
// (torch._transformer_encoder_layer_fwd) under the same conditions as Python. The nested-tensor
// path of TransformerEncoder for padded batches is not ported: with a src_key_padding_mask Python
// also writes zeros at padded positions of the encoder output before the final norm; here they
// stay computed.
import { isPlainObject } from '../../_args.js';
import { bool as torchBool } from '../../dtype.js';
import type { DeviceLike } from '../../device.js';
import { TorchError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Parameter } from '../parameter.js';
import { FACTORY, fusedOpAccepts, checkBool, checkNumber, checkOptionalTensor, checkSize, factoryKwargs, signature, type ArgsOf } from './_layer_utils.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './normalization.js';
import { GELU, ReLU } from './activation.js';
import { MultiheadAttention } from './attention.js';
import { ModuleList } from './container.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** An activation: 'relu', 'gelu', a function of a Tensor, or a Module (called through forward). */
export type Activation = 'relu' | 'gelu' | ((input: Tensor) => Tensor) | Module;

/** Python's `_get_activation_fn`: F.relu or F.gelu for their names. */
export function _get_activation_fn(activation: string): (input: Tensor) => Tensor {
  if (activation === 'relu') return F.relu;
  if (activation === 'gelu') return F.gelu as (input: Tensor) => Tensor;
  throw new TorchError(`activation should be relu/gelu, not ${activation}`);
}

function checkActivation(where: string, activation: unknown): ((input: Tensor) => Tensor) | Module {
  if (typeof activation === 'string') return _get_activation_fn(activation);
  if (typeof activation === 'function' || activation instanceof Module) return activation as ((input: Tensor) => Tensor) | Module;
  throw argumentError(where, 'activation', "'relu', 'gelu', a function or a Module", activation);
}

function applyActivation(activation: ((input: Tensor) => Tensor) | Module, x: Tensor): Tensor {
  return activation instanceof Module ? (activation.forward(x) as Tensor) : activation(x);
}

function checkKeyPaddingMaskDtype(mask: Tensor | null): void {
  // Python raises AssertionError; a bad argument value is a ValueError here.
  if (mask !== null && mask.dtype !== torchBool && !mask.is_floating_point()) {
    throw new ValueError('only bool and floating types of key_padding_mask are supported');
  }
}

// ---- copy.deepcopy of a module ---------------------------------------------------------------

type Attributes = Record<string, unknown>;


/** A detached copy of t's data as a new tensor of the same kind (Python's Parameter/Tensor.__deepcopy__). */
function copyTensor(t: Tensor): Tensor {
  const data = torch.no_grad(() => t.clone());
  if (t instanceof Parameter) {
    const p = new Parameter(data, t.requires_grad);
    data.dispose();
    return p;
  }
  if (t.requires_grad) data.requires_grad_(true);
  return data;
}

/** Python's copy.deepcopy for the values a module holds; `memo` keeps shared objects shared. */
function deepcopyValue(v: unknown, memo: Map<unknown, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v; // primitives and functions, atomic as in Python
  if (memo.has(v)) return memo.get(v);
  let out: unknown;
  if (v instanceof Module) return deepcopyModule(v, memo);
  if (v instanceof Tensor) out = copyTensor(v);
  else if (Array.isArray(v)) out = v.map((x) => deepcopyValue(x, memo));
  else if (v instanceof Map) out = new Map([...v].map(([k, x]) => [k, deepcopyValue(x, memo)]));
  else if (v instanceof Set) out = new Set([...v].map((x) => deepcopyValue(x, memo)));
  else if (isPlainObject(v)) out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepcopyValue(x, memo)]));
  else out = v; // dtypes, devices and other immutable objects
  memo.set(v, out);
  return out;
}

/**
 * A deep copy of a module: same class, its plain attributes, and copies of its parameters,
 * buffers and submodules (same values, new storage), like Python's `copy.deepcopy(module)`.
 */
function deepcopyModule<T extends Module>(module: T, memo: Map<unknown, unknown> = new Map()): T {
  if (memo.has(module)) return memo.get(module) as T;
  // Runs only Module's constructor (the registration proxy), with module's class as prototype.
  const copy = Reflect.construct(Module, [], module.constructor) as T;
  memo.set(module, copy);
  const registered = new Set<string>([...module._parameters.keys(), ...module._buffers.keys(), ...module._modules.keys()]);
  for (const key of Object.keys(module)) {
    if (!registered.has(key)) (copy as unknown as Attributes)[key] = deepcopyValue((module as unknown as Attributes)[key], memo);
  }
  for (const [name, param] of module._parameters) copy.register_parameter(name, param === null ? null : (deepcopyValue(param, memo) as Parameter));
  for (const [name, buffer] of module._buffers) {
    copy.register_buffer(name, buffer === null ? null : (deepcopyValue(buffer, memo) as Tensor), !module._non_persistent_buffers_set.has(name));
  }
  for (const [name, child] of module._modules) copy.add_module(name, child === null ? null : deepcopyModule(child, memo));
  return copy;
}

/** Python's `_get_clones`: a ModuleList of N deep copies of module (same initial weights, separate parameters). */
export function _get_clones(module: Module, N: number): ModuleList {
  return new ModuleList(Array.from({ length: N }, () => deepcopyModule(module)));
}

/** Frees the parameters and buffers of a module that nothing references any more. */
function disposeModule(module: Module): void {
  for (const p of module.parameters()) p.dispose();
  for (const b of module.buffers()) b.dispose();
}

// ---- layers ------------------------------------------------------------------------------------

const LAYER_PARAMS = [
  ['dim_feedforward', 2048 as number],
  ['dropout', 0.1 as number],
  ['activation', F.relu as Activation],
  ['layer_norm_eps', 1e-5 as number],
  ['batch_first', false as boolean],
  ['norm_first', false as boolean],
  ...FACTORY,
] as const;
const ENCODER_LAYER = signature('nn.TransformerEncoderLayer', 2, LAYER_PARAMS);
const DECODER_LAYER = signature('nn.TransformerDecoderLayer', 2, LAYER_PARAMS);

/** Optional constructor arguments of TransformerEncoderLayer and TransformerDecoderLayer. */
export type TransformerLayerArgs = ArgsOf<typeof LAYER_PARAMS>;
/** Those arguments parsed (ENCODER_LAYER and DECODER_LAYER share LAYER_PARAMS). */
type ParsedLayerArgs = ReturnType<typeof ENCODER_LAYER.parse>;

/**
 * The constructor body TransformerEncoderLayer and TransformerDecoderLayer share: checks the
 * arguments and assigns the submodules in PyTorch's order (self_attn, [multihead_attn], linear1,
 * dropout, linear2, norm_first, norm1, norm2, [norm3], dropout1, dropout2, [dropout3]; the
 * bracketed ones for the decoder only), which is the state_dict's order. Returns the checked
 * activation, for the caller to assign last, as PyTorch does.
 */
function initLayer(
  layer: TransformerEncoderLayer | TransformerDecoderLayer,
  where: string,
  d_model: number,
  nhead: number,
  a: ParsedLayerArgs,
): ((input: Tensor) => Tensor) | Module {
  const decoder = layer instanceof TransformerDecoderLayer ? layer : null;
  checkSize(where, 'd_model', d_model);
  checkSize(where, 'dim_feedforward', a.dim_feedforward);
  const factory = { device: a.device, dtype: a.dtype };
  const kwargs = factoryKwargs(a);
  layer.self_attn = new MultiheadAttention(d_model, nhead, { dropout: a.dropout, batch_first: a.batch_first, ...factory });
  if (decoder) decoder.multihead_attn = new MultiheadAttention(d_model, nhead, { dropout: a.dropout, batch_first: a.batch_first, ...factory });
  // Implementation of Feedforward model
  layer.linear1 = new Linear(d_model, a.dim_feedforward, kwargs);
  layer.dropout = new Dropout(a.dropout);
  layer.linear2 = new Linear(a.dim_feedforward, d_model, kwargs);
  layer.norm_first = checkBool(where, 'norm_first', a.norm_first);
  layer.norm1 = new LayerNorm(d_model, { eps: checkNumber(where, 'layer_norm_eps', a.layer_norm_eps), ...factory });
  layer.norm2 = new LayerNorm(d_model, { eps: a.layer_norm_eps, ...factory });
  if (decoder) decoder.norm3 = new LayerNorm(d_model, { eps: a.layer_norm_eps, ...factory });
  layer.dropout1 = new Dropout(a.dropout);
  layer.dropout2 = new Dropout(a.dropout);
  if (decoder) decoder.dropout3 = new Dropout(a.dropout);
  return checkActivation(where, a.activation);
}

const ENCODER_LAYER_FORWARD_PARAMS = [
  ['src_mask', null as Tensor | null],
  ['src_key_padding_mask', null as Tensor | null],
] as const;
const ENCODER_LAYER_FORWARD = signature('TransformerEncoderLayer.forward', 1, ENCODER_LAYER_FORWARD_PARAMS);
/** Optional arguments of TransformerEncoderLayer.forward. */
export type TransformerEncoderLayerForwardArgs = ArgsOf<typeof ENCODER_LAYER_FORWARD_PARAMS>;

/**
 * One encoder layer: self-attention and a feed-forward network, each with a residual connection
 * and LayerNorm (Python: `nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048,
 * dropout=0.1, activation=F.relu, layer_norm_eps=1e-05, batch_first=False, norm_first=False,
 * device=None, dtype=None)`).
 *
 * Args:
 *   d_model: the number of expected features in the input.
 *   nhead: the number of attention heads.
 *   dim_feedforward: the width of the feed-forward network (default 2048).
 *   dropout: the dropout probability (default 0.1).
 *   activation: 'relu' (default), 'gelu', a function of a Tensor, or a Module.
 *   layer_norm_eps: eps of the LayerNorms (default 1e-5).
 *   batch_first: (N, S, E) instead of (S, N, E) (default false).
 *   norm_first: LayerNorm before attention and feed-forward instead of after (default false).
 *
 * Shape: src (S, E), (S, N, E) or (N, S, E) with batch_first; output the same.
 *
 * Example:
 * ```ts
 * const layer = new nn.TransformerEncoderLayer(512, 8, { batch_first: true });
 * layer.forward(torch.rand(32, 10, 512)).shape  // [32, 10, 512]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  norm_first!: boolean;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  /** 1 for F.relu or a ReLU module, 2 for F.gelu or a GELU module, else 0 (informs PyTorch's fast path). */
  activation_relu_or_gelu: number;
  declare activation: ((input: Tensor) => Tensor) | Module;

  constructor(d_model: number, nhead: number, ...args: TransformerLayerArgs) {
    super();
    const activation = initLayer(this, 'nn.TransformerEncoderLayer', d_model, nhead, ENCODER_LAYER.parse(args));
    this.activation_relu_or_gelu = activation === F.relu || activation instanceof ReLU ? 1 : activation === F.gelu || activation instanceof GELU ? 2 : 0;
    this.activation = activation;
  }

  /**
   * Passes src through the layer. Python: `forward(src, src_mask=None, src_key_padding_mask=None)`.
   *
   * Args:
   *   src_mask: (S, S) or (N * nhead, S, S) attention mask (see MultiheadAttention's attn_mask).
   *   src_key_padding_mask: (N, S) or (S); true marks padding.
   */
  override forward(src: Tensor, ...args: TransformerEncoderLayerForwardArgs): Tensor {
    const a = ENCODER_LAYER_FORWARD.parse(args);
    const src_mask = checkOptionalTensor('TransformerEncoderLayer.forward', 'src_mask', a.src_mask);
    const src_key_padding_mask = checkOptionalTensor('TransformerEncoderLayer.forward', 'src_key_padding_mask', a.src_key_padding_mask);
    checkKeyPaddingMaskDtype(src_key_padding_mask);
    if (this._canTakeFastPath(src, src_mask)) {
      const attn = this.self_attn;
      return torch._transformer_encoder_layer_fwd(
        src, attn.embed_dim, attn.num_heads, attn.in_proj_weight!, attn.in_proj_bias!, attn.out_proj.weight, attn.out_proj.bias!,
        this.activation_relu_or_gelu === 2, this.norm_first, this.norm1.eps,
        this.norm1.weight!, this.norm1.bias!, this.norm2.weight!, this.norm2.bias!,
        this.linear1.weight, this.linear1.bias!, this.linear2.weight, this.linear2.bias!,
        // (src_mask is null here: it rules out the fast path, as in Python)
        src_key_padding_mask, { mask_type: src_key_padding_mask !== null ? 1 : null },
      );
    }
    // see Fig. 1 of https://arxiv.org/pdf/2002.04745v1.pdf
    let x = src;
    if (this.norm_first) {
      x = x.add(this._sa_block(this.norm1.forward(x), src_mask, src_key_padding_mask));
      x = x.add(this._ff_block(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this._sa_block(x, src_mask, src_key_padding_mask)));
      x = this.norm2.forward(x.add(this._ff_block(x)));
    }
    return x;
  }

  /** Python's `why_not_sparsity_fast_path` checks, in its order: eval mode, no autograd to record, batch_first, ... */
  _canTakeFastPath(src: Tensor, src_mask: Tensor | null): boolean {
    const attn = this.self_attn;
    if (src.dim() !== 3 || this.training || !attn.batch_first || !attn._qkv_same_embed_dim || this.activation_relu_or_gelu === 0) return false;
    if (this.norm1.eps !== this.norm2.eps || src_mask !== null || attn.num_heads % 2 === 1 || torch.is_autocast_enabled()) return false;
    return fusedOpAccepts([src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias, this.norm1.weight, this.norm1.bias,
      this.norm2.weight, this.norm2.bias, this.linear1.weight, this.linear1.bias, this.linear2.weight, this.linear2.bias]);
  }

  /** Self-attention block. */
  _sa_block(x: Tensor, attn_mask: Tensor | null, key_padding_mask: Tensor | null): Tensor {
    const [out] = this.self_attn.forward(x, x, x, { attn_mask, key_padding_mask, need_weights: false });
    return this.dropout1.forward(out);
  }

  /** Feed-forward block. */
  _ff_block(x: Tensor): Tensor {
    x = this.linear2.forward(this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x))));
    return this.dropout2.forward(x);
  }
}

const DECODER_LAYER_FORWARD_PARAMS = [
  ['tgt_mask', null as Tensor | null],
  ['memory_mask', null as Tensor | null],
  ['tgt_key_padding_mask', null as Tensor | null],
  ['memory_key_padding_mask', null as Tensor | null],
] as const;
const DECODER_LAYER_FORWARD = signature('TransformerDecoderLayer.forward', 2, DECODER_LAYER_FORWARD_PARAMS);
/** Optional arguments of TransformerDecoderLayer.forward and TransformerDecoder.forward. */
export type TransformerDecoderForwardArgs = ArgsOf<typeof DECODER_LAYER_FORWARD_PARAMS>;

/**
 * One decoder layer: self-attention, attention over the encoder's output (memory) and a
 * feed-forward network, each with a residual connection and LayerNorm (Python:
 * `nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
 * activation=F.relu, layer_norm_eps=1e-05, batch_first=False, norm_first=False, device=None, dtype=None)`).
 * Arguments as for TransformerEncoderLayer.
 *
 * Shape: tgt (T, E), (T, N, E) or (N, T, E) with batch_first; memory (S, ...) likewise; output like tgt.
 *
 * Example: `new nn.TransformerDecoderLayer(512, 8).forward(tgt, memory, { tgt_mask })`
 */
export class TransformerDecoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare multihead_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  norm_first!: boolean;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare norm3: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare dropout3: Dropout;
  declare activation: ((input: Tensor) => Tensor) | Module;

  constructor(d_model: number, nhead: number, ...args: TransformerLayerArgs) {
    super();
    this.activation = initLayer(this, 'nn.TransformerDecoderLayer', d_model, nhead, DECODER_LAYER.parse(args));
  }

  /**
   * Passes tgt (and the encoder's output, memory) through the layer. Python: `forward(tgt,
   * memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)`.
   */
  override forward(tgt: Tensor, memory: Tensor, ...args: TransformerDecoderForwardArgs): Tensor {
    const a = DECODER_LAYER_FORWARD.parse(args);
    const where = 'TransformerDecoderLayer.forward';
    const tgt_mask = checkOptionalTensor(where, 'tgt_mask', a.tgt_mask);
    const memory_mask = checkOptionalTensor(where, 'memory_mask', a.memory_mask);
    const tgt_key_padding_mask = checkOptionalTensor(where, 'tgt_key_padding_mask', a.tgt_key_padding_mask);
    const memory_key_padding_mask = checkOptionalTensor(where, 'memory_key_padding_mask', a.memory_key_padding_mask);
    // see Fig. 1 of https://arxiv.org/pdf/2002.04745v1.pdf
    let x = tgt;
    if (this.norm_first) {
      x = x.add(this._sa_block(this.norm1.forward(x), tgt_mask, tgt_key_padding_mask));
      x = x.add(this._mha_block(this.norm2.forward(x), memory, memory_mask, memory_key_padding_mask));
      x = x.add(this._ff_block(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this._sa_block(x, tgt_mask, tgt_key_padding_mask)));
      x = this.norm2.forward(x.add(this._mha_block(x, memory, memory_mask, memory_key_padding_mask)));
      x = this.norm3.forward(x.add(this._ff_block(x)));
    }
    return x;
  }

  /** Self-attention block. */
  _sa_block(x: Tensor, attn_mask: Tensor | null, key_padding_mask: Tensor | null): Tensor {
    const [out] = this.self_attn.forward(x, x, x, { attn_mask, key_padding_mask, need_weights: false });
    return this.dropout1.forward(out);
  }

  /** Multi-head attention block over memory. */
  _mha_block(x: Tensor, mem: Tensor, attn_mask: Tensor | null, key_padding_mask: Tensor | null): Tensor {
    const [out] = this.multihead_attn.forward(x, mem, mem, { attn_mask, key_padding_mask, need_weights: false });
    return this.dropout2.forward(out);
  }

  /** Feed-forward block. */
  _ff_block(x: Tensor): Tensor {
    x = this.linear2.forward(this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x))));
    return this.dropout3.forward(x);
  }
}

// ---- stacks ------------------------------------------------------------------------------------

const ENCODER_PARAMS = [
  ['norm', null as Module | null],
  ['enable_nested_tensor', true as boolean],
  ['mask_check', true as boolean],
] as const;
const ENCODER = signature('nn.TransformerEncoder', 2, ENCODER_PARAMS);

const ENCODER_FORWARD_PARAMS = [
  ['mask', null as Tensor | null],
  ['src_key_padding_mask', null as Tensor | null],
] as const;
const ENCODER_FORWARD = signature('TransformerEncoder.forward', 1, ENCODER_FORWARD_PARAMS);
/** Optional arguments of TransformerEncoder.forward. */
export type TransformerEncoderForwardArgs = ArgsOf<typeof ENCODER_FORWARD_PARAMS>;

function checkLayer(where: string, name: string, layer: unknown): Module {
  if (!(layer instanceof Module)) throw argumentError(where, name, 'a Module', layer);
  return layer;
}

/**
 * A stack of num_layers copies of an encoder layer (Python: `nn.TransformerEncoder(encoder_layer,
 * num_layers, norm=None, enable_nested_tensor=True, mask_check=True)`). Each copy is a deep copy
 * of encoder_layer, so all start from its weights; encoder_layer itself is not registered.
 * enable_nested_tensor and mask_check are kept for compatibility: this port always runs the
 * math path (see the note at the top of this file).
 *
 * Shape: src as the layer takes it; output the same.
 *
 * Example:
 * ```ts
 * const layer = new nn.TransformerEncoderLayer(512, 8);
 * const encoder = new nn.TransformerEncoder(layer, 6);
 * encoder.forward(torch.rand(10, 32, 512)).shape  // [10, 32, 512]
 * ```
 */
export class TransformerEncoder extends Module {
  declare layers: ModuleList;
  num_layers: number;
  declare norm: Module | null;
  enable_nested_tensor: boolean;
  mask_check: boolean;

  constructor(encoder_layer: Module, num_layers: number, ...args: ArgsOf<typeof ENCODER_PARAMS>) {
    super();
    const a = ENCODER.parse(args);
    const where = 'nn.TransformerEncoder';
    checkLayer(where, 'encoder_layer', encoder_layer);
    checkSize(where, 'num_layers', num_layers);
    if (a.norm !== null) checkLayer(where, 'norm', a.norm);
    this.layers = _get_clones(encoder_layer, num_layers);
    this.num_layers = num_layers;
    this.norm = a.norm;
    this.enable_nested_tensor = checkBool(where, 'enable_nested_tensor', a.enable_nested_tensor);
    this.mask_check = checkBool(where, 'mask_check', a.mask_check);
  }

  /**
   * Passes src through the layers in turn, then the norm. Python: `forward(src, mask=None,
   * src_key_padding_mask=None)`. Each layer is called as `layer.forward(x, { src_mask,
   * src_key_padding_mask })`, Python's keyword call.
   */
  override forward(src: Tensor, ...args: TransformerEncoderForwardArgs): Tensor {
    const a = ENCODER_FORWARD.parse(args);
    const mask = checkOptionalTensor('TransformerEncoder.forward', 'mask', a.mask);
    const src_key_padding_mask = checkOptionalTensor('TransformerEncoder.forward', 'src_key_padding_mask', a.src_key_padding_mask);
    checkKeyPaddingMaskDtype(src_key_padding_mask);
    let output = src;
    for (const mod of this.layers) output = mod.forward(output, { src_mask: mask, src_key_padding_mask }) as Tensor;
    if (this.norm !== null) output = this.norm.forward(output) as Tensor;
    return output;
  }
}

const DECODER_PARAMS = [['norm', null as Module | null]] as const;
const DECODER = signature('nn.TransformerDecoder', 2, DECODER_PARAMS);
const DECODER_FORWARD = signature('TransformerDecoder.forward', 2, DECODER_LAYER_FORWARD_PARAMS);

/**
 * A stack of num_layers copies of a decoder layer (Python: `nn.TransformerDecoder(decoder_layer,
 * num_layers, norm=None)`); copies as in TransformerEncoder.
 *
 * Shape: tgt and memory as the layer takes them; output like tgt.
 *
 * Example: `new nn.TransformerDecoder(new nn.TransformerDecoderLayer(512, 8), 6).forward(tgt, memory)`
 */
export class TransformerDecoder extends Module {
  declare layers: ModuleList;
  num_layers: number;
  declare norm: Module | null;

  constructor(decoder_layer: Module, num_layers: number, ...args: ArgsOf<typeof DECODER_PARAMS>) {
    super();
    const a = DECODER.parse(args);
    const where = 'nn.TransformerDecoder';
    checkLayer(where, 'decoder_layer', decoder_layer);
    checkSize(where, 'num_layers', num_layers);
    if (a.norm !== null) checkLayer(where, 'norm', a.norm);
    this.layers = _get_clones(decoder_layer, num_layers);
    this.num_layers = num_layers;
    this.norm = a.norm;
  }

  /**
   * Passes tgt and memory through the layers in turn, then the norm. Python: `forward(tgt, memory,
   * tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)`.
   * Each layer is called as `layer.forward(x, memory, { tgt_mask, memory_mask, ... })`.
   */
  override forward(tgt: Tensor, memory: Tensor, ...args: TransformerDecoderForwardArgs): Tensor {
    const a = DECODER_FORWARD.parse(args);
    let output = tgt;
    for (const mod of this.layers) {
      output = mod.forward(output, memory, {
        tgt_mask: a.tgt_mask,
        memory_mask: a.memory_mask,
        tgt_key_padding_mask: a.tgt_key_padding_mask,
        memory_key_padding_mask: a.memory_key_padding_mask,
      }) as Tensor;
    }
    if (this.norm !== null) output = this.norm.forward(output) as Tensor;
    return output;
  }
}

// ---- the whole model -------------------------------------------------------------------------

const TRANSFORMER_PARAMS = [
  ['d_model', 512 as number],
  ['nhead', 8 as number],
  ['num_encoder_layers', 6 as number],
  ['num_decoder_layers', 6 as number],
  ['dim_feedforward', 2048 as number],
  ['dropout', 0.1 as number],
  ['activation', F.relu as Activation],
  ['custom_encoder', null as Module | null],
  ['custom_decoder', null as Module | null],
  ['layer_norm_eps', 1e-5 as number],
  ['batch_first', false as boolean],
  ['norm_first', false as boolean],
  ...FACTORY,
] as const;
const TRANSFORMER = signature('nn.Transformer', 0, TRANSFORMER_PARAMS);
/** Optional constructor arguments of Transformer. */
export type TransformerArgs = ArgsOf<typeof TRANSFORMER_PARAMS>;

const TRANSFORMER_FORWARD_PARAMS = [
  ['src_mask', null as Tensor | null],
  ['tgt_mask', null as Tensor | null],
  ['memory_mask', null as Tensor | null],
  ['src_key_padding_mask', null as Tensor | null],
  ['tgt_key_padding_mask', null as Tensor | null],
  ['memory_key_padding_mask', null as Tensor | null],
] as const;
const TRANSFORMER_FORWARD = signature('Transformer.forward', 2, TRANSFORMER_FORWARD_PARAMS);
/** Optional arguments of Transformer.forward. */
export type TransformerForwardArgs = ArgsOf<typeof TRANSFORMER_FORWARD_PARAMS>;

/**
 * The encoder-decoder Transformer of "Attention Is All You Need" (Python: `nn.Transformer(d_model=512,
 * nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, dropout=0.1,
 * activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-05,
 * batch_first=False, norm_first=False, device=None, dtype=None)`). All arguments are optional,
 * positionally in Python's order and/or in an options object. Every parameter with more than
 * one dimension is re-drawn with xavier_uniform_ after construction, as in PyTorch.
 *
 * Shape: src (S, E) / (S, N, E) / (N, S, E) with batch_first; tgt (T, ...) likewise; output like tgt.
 *
 * Example:
 * ```ts
 * const model = new nn.Transformer({ nhead: 16, num_encoder_layers: 12 });
 * const out = model.forward(src, tgt, { tgt_mask: nn.Transformer.generate_square_subsequent_mask(tgt.size(0)) });
 * ```
 */
export class Transformer extends Module {
  declare encoder: Module;
  declare decoder: Module;
  d_model: number;
  nhead: number;
  batch_first: boolean;

  constructor(...args: TransformerArgs) {
    super();
    const a = TRANSFORMER.parse(args);
    const where = 'nn.Transformer';
    const factory = { device: a.device, dtype: a.dtype };
    if (a.custom_encoder !== null) {
      this.encoder = checkLayer(where, 'custom_encoder', a.custom_encoder);
    } else {
      const encoder_layer = new TransformerEncoderLayer(a.d_model, a.nhead, a.dim_feedforward, a.dropout, a.activation, a.layer_norm_eps, a.batch_first, a.norm_first, factory);
      const encoder_norm = new LayerNorm(a.d_model, { eps: a.layer_norm_eps, ...factory });
      this.encoder = new TransformerEncoder(encoder_layer, a.num_encoder_layers, encoder_norm);
      disposeModule(encoder_layer); // only its copies are kept, as in Python
    }
    if (a.custom_decoder !== null) {
      this.decoder = checkLayer(where, 'custom_decoder', a.custom_decoder);
    } else {
      const decoder_layer = new TransformerDecoderLayer(a.d_model, a.nhead, a.dim_feedforward, a.dropout, a.activation, a.layer_norm_eps, a.batch_first, a.norm_first, factory);
      const decoder_norm = new LayerNorm(a.d_model, { eps: a.layer_norm_eps, ...factory });
      this.decoder = new TransformerDecoder(decoder_layer, a.num_decoder_layers, decoder_norm);
      disposeModule(decoder_layer);
    }
    this._reset_parameters();
    this.d_model = a.d_model;
    this.nhead = a.nhead;
    this.batch_first = checkBool(where, 'batch_first', a.batch_first);
  }

  /**
   * Encodes src and decodes tgt against it. Python: `forward(src, tgt, src_mask=None, tgt_mask=None,
   * memory_mask=None, src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)`.
   *
   * Shape: src_mask (S, S) or (N * nhead, S, S); tgt_mask (T, T) ...; memory_mask (T, S) ...;
   * the key padding masks (N, S), (N, T), (N, S).
   */
  override forward(src: Tensor, tgt: Tensor, ...args: TransformerForwardArgs): Tensor {
    const a = TRANSFORMER_FORWARD.parse(args);
    const is_batched = src.dim() === 3;
    if (!this.batch_first && src.size(1) !== tgt.size(1) && is_batched) {
      throw new TorchError('the batch number of src and tgt must be equal');
    } else if (this.batch_first && src.size(0) !== tgt.size(0) && is_batched) {
      throw new TorchError('the batch number of src and tgt must be equal');
    }
    if (src.size(-1) !== this.d_model || tgt.size(-1) !== this.d_model) {
      throw new TorchError('the feature number of src and tgt must be equal to d_model');
    }
    const memory = this.encoder.forward(src, { mask: a.src_mask, src_key_padding_mask: a.src_key_padding_mask }) as Tensor;
    return this.decoder.forward(tgt, memory, {
      tgt_mask: a.tgt_mask,
      memory_mask: a.memory_mask,
      tgt_key_padding_mask: a.tgt_key_padding_mask,
      memory_key_padding_mask: a.memory_key_padding_mask,
    }) as Tensor;
  }

  /**
   * A square causal mask for a sequence of length sz: float32, -inf above the diagonal
   * (masked) and 0 on and below it.
   *
   * Example: `nn.Transformer.generate_square_subsequent_mask(3)  // [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]`
   */
  static generate_square_subsequent_mask(sz: number, device: DeviceLike = 'cpu'): Tensor {
    checkSize('Transformer.generate_square_subsequent_mask', 'sz', sz);
    const full = torch.full([sz, sz], -Infinity, { device });
    const mask = torch.triu(full, 1);
    full.dispose();
    return mask;
  }

  /** The same as the static Transformer.generate_square_subsequent_mask (Python calls it on instances too). */
  generate_square_subsequent_mask(sz: number, device: DeviceLike = 'cpu'): Tensor {
    return Transformer.generate_square_subsequent_mask(sz, device);
  }

  /** Re-draws every parameter with more than one dimension with xavier_uniform_, as PyTorch does. */
  _reset_parameters(): void {
    for (const p of this.parameters()) {
      if (p.dim() > 1) init.xavier_uniform_(p);
    }
  }
}
