// Batch normalization (torch/nn/modules/batchnorm.py): BatchNorm1d/2d/3d over _NormBase/_BatchNorm.
import { TorchError, ValueError } from '../../errors.js';
import { int64 } from '../../dtype.js';
import type { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import type { Parameter } from '../parameter.js';
import { FACTORY, checkBool, checkNumber, checkSize, factoryKwargs, namedErrors, parameterOf, pyFloat, pyStr, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

const NORM_PARAMS = [
  ['eps', 1e-5 as number],
  ['momentum', 0.1 as number | null],
  ['affine', true as boolean],
  ['track_running_stats', true as boolean],
  ...FACTORY,
] as const;
/** The optional arguments of the BatchNorm layers: `(eps, momentum, affine, track_running_stats, device, dtype)` positionally, or by name. */
export type BatchNormArgs = ArgsOf<typeof NORM_PARAMS>;

/**
 * Base class of the normalization layers with running statistics (Python: `_NormBase`):
 * weight and bias when affine, and the running_mean, running_var and num_batches_tracked
 * buffers when track_running_stats (otherwise those buffers are registered as null).
 */
export class _NormBase extends Module {
  /** Version 2 added num_batches_tracked; older state dicts load without it. */
  static override _version = 2;

  declare num_features: number;
  declare eps: number;
  /** The running statistics' update factor; null means a cumulative moving average. */
  declare momentum: number | null;
  declare affine: boolean;
  declare track_running_stats: boolean;
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(num_features: number, ...args: BatchNormArgs) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 2, NORM_PARAMS).parse(args);
    this.num_features = checkSize(where, 'num_features', num_features);
    this.eps = checkNumber(where, 'eps', a.eps);
    this.momentum = a.momentum === null ? null : checkNumber(where, 'momentum', a.momentum);
    this.affine = checkBool(where, 'affine', a.affine);
    this.track_running_stats = checkBool(where, 'track_running_stats', a.track_running_stats);
    const factory = factoryKwargs(a);
    if (this.affine) {
      this.weight = parameterOf(torch.empty(num_features, factory));
      this.bias = parameterOf(torch.empty(num_features, factory));
    } else {
      this.register_parameter('weight', null);
      this.register_parameter('bias', null);
    }
    if (this.track_running_stats) {
      this.register_buffer('running_mean', torch.zeros(num_features, factory));
      this.register_buffer('running_var', torch.ones(num_features, factory));
      const { dtype: _, ...deviceOnly } = factory;
      this.register_buffer('num_batches_tracked', torch.tensor(0, { dtype: int64, ...deviceOnly }));
    } else {
      this.register_buffer('running_mean', null);
      this.register_buffer('running_var', null);
      this.register_buffer('num_batches_tracked', null);
    }
    this.reset_parameters();
  }

  /** Resets running_mean to 0, running_var to 1 and num_batches_tracked to 0. */
  reset_running_stats(): void {
    if (this.track_running_stats) {
      this.running_mean!.zero_();
      this.running_var!.fill_(1);
      this.num_batches_tracked!.zero_();
    }
  }

  /** Resets the running statistics, weight to 1 and bias to 0. */
  reset_parameters(): void {
    this.reset_running_stats();
    if (this.affine) {
      init.ones_(this.weight!);
      init.zeros_(this.bias!);
    }
  }

  /** Throws ValueError when the input's rank is not the layer's. */
  _check_input_dim(_input: Tensor): void {
    throw new Error('_check_input_dim must be overridden');
  }

  /**
   * Throws when the input's channel count (dim 1) is not num_features while there are
   * per-channel tensors (weight or running statistics), before any statistic is touched.
   * libtorch's own message ("running_mean should contain 3 elements not 4") names no shape.
   */
  _check_input_channels(input: Tensor): void {
    if (this.weight === null && this.running_mean === null) return;
    if (input.dim() >= 2 && input.size(1) !== this.num_features) {
      throw new TorchError(
        `${this.constructor.name}: expected input with ${this.num_features} channels (num_features), but got input of size [${input.shape.join(', ')}] with ${input.size(1)} channels`,
      );
    }
  }

  override extra_repr(): string {
    const momentum = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.num_features}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyStr(this.affine)}, track_running_stats=${pyStr(this.track_running_stats)}`;
  }

  /** State dicts from before version 2 have no num_batches_tracked: it loads as 0. */
  override _load_from_state_dict(
    state_dict: Map<string, unknown>,
    prefix: string,
    local_metadata: Record<string, unknown>,
    strict: boolean,
    missing_keys: string[],
    unexpected_keys: string[],
    error_msgs: string[],
  ): void {
    const version = local_metadata.version as number | undefined;
    let added: Tensor | null = null;
    if ((version === undefined || version < 2) && this.track_running_stats) {
      const num_batches_tracked_key = prefix + 'num_batches_tracked';
      if (!state_dict.has(num_batches_tracked_key)) {
        added = torch.tensor(0, { dtype: int64 });
        state_dict.set(num_batches_tracked_key, added);
      }
    }
    try {
      super._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs);
    } finally {
      added?.dispose();
    }
  }
}

/** Base class of BatchNorm1d/2d/3d (Python: `_BatchNorm`): the forward pass. */
export class _BatchNorm extends _NormBase {
  /**
   * Normalises with the batch's statistics while training (updating the running ones when
   * track_running_stats), and with the running statistics in eval mode.
   */
  override forward(input: Tensor): Tensor {
    const name = this.constructor.name;
    this._check_input_dim(input);
    this._check_input_channels(input);
    let exponential_average_factor = this.momentum ?? 0.0;
    if (this.training && this.track_running_stats && this.num_batches_tracked !== null) {
      this.num_batches_tracked.add_(1);
      exponential_average_factor = this.momentum === null ? 1.0 / Number(this.num_batches_tracked.item()) : this.momentum;
    }
    // Batch statistics while training, and in eval mode when there are no running statistics.
    const bn_training = this.training ? true : this.running_mean === null && this.running_var === null;
    // The buffers are passed when they are to be updated (training and tracked) or used (eval).
    const useBuffers = !this.training || this.track_running_stats;
    return namedErrors(name, () =>
      F.batch_norm(
        input,
        useBuffers ? this.running_mean : null,
        useBuffers ? this.running_var : null,
        this.weight,
        this.bias,
        bn_training,
        exponential_average_factor,
        this.eps,
      ),
    );
  }
}

/**
 * Batch normalization over a 2-D or 3-D input (Python: `nn.BatchNorm1d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None)`).
 *
 * y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, per channel.
 *
 * Args:
 *   num_features: C, the number of channels.
 *   eps: added to the variance for stability (default 1e-5).
 *   momentum: the running statistics' update factor (default 0.1); null for a cumulative average.
 *   affine: learn weight and bias (default true).
 *   track_running_stats: keep running_mean/running_var (default true); without them eval mode
 *     uses the batch statistics too.
 *
 * Shape: input (N, C) or (N, C, L); output the same.
 *
 * Example: `const bn = new nn.BatchNorm1d(100, { affine: false }); bn.forward(torch.randn(20, 100))`
 */
export class BatchNorm1d extends _BatchNorm {
  override _check_input_dim(input: Tensor): void {
    if (input.dim() !== 2 && input.dim() !== 3) throw new ValueError(`BatchNorm1d: expected 2D or 3D input (got ${input.dim()}D input), input of size [${input.shape.join(', ')}]`);
  }
}

/**
 * Batch normalization over a 4-D input (N, C, H, W) (Python: `nn.BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None)`).
 *
 * Args: as BatchNorm1d.
 * Shape: input (N, C, H, W); output the same.
 *
 * Example:
 * ```ts
 * const bn = new nn.BatchNorm2d(16);
 * bn.forward(torch.randn(8, 16, 5, 5));   // training: batch statistics, running stats updated
 * bn.eval(); bn.forward(x);                // eval: running statistics
 * ```
 */
export class BatchNorm2d extends _BatchNorm {
  override _check_input_dim(input: Tensor): void {
    if (input.dim() !== 4) throw new ValueError(`BatchNorm2d: expected 4D input (got ${input.dim()}D input), input of size [${input.shape.join(', ')}]`);
  }
}

/**
 * Batch normalization over a 5-D input (N, C, D, H, W) (Python: `nn.BatchNorm3d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None)`).
 *
 * Shape: input (N, C, D, H, W); output the same.
 */
export class BatchNorm3d extends _BatchNorm {
  override _check_input_dim(input: Tensor): void {
    if (input.dim() !== 5) throw new ValueError(`BatchNorm3d: expected 5D input (got ${input.dim()}D input), input of size [${input.shape.join(', ')}]`);
  }
}
