// Dropout layers (torch/nn/modules/dropout.py). Each draws from the default generator exactly
// as PyTorch does, so after the same torch.manual_seed the masks are PyTorch's.
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { checkBool, checkNumber, namedErrors, pyFloat, pyNumber, pyStr, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

const DROPOUT_PARAMS = [
  ['p', 0.5 as number],
  ['inplace', false as boolean],
] as const;
/** The arguments of the dropout layers: `(p, inplace)` positionally, or by name. */
export type DropoutArgs = ArgsOf<typeof DROPOUT_PARAMS>;

/** Base class of the dropout layers (Python: `_DropoutNd`): p in [0, 1] and inplace. */
export class _DropoutNd extends Module {
  /** The probability of an element (or channel) to be zeroed. */
  declare p: number;
  declare inplace: boolean;

  constructor(...args: DropoutArgs) {
    super();
    const where = `nn.${this.constructor.name}`;
    const a = signature(where, 0, DROPOUT_PARAMS).parse(args);
    const p = checkNumber(where, 'p', a.p);
    if (p < 0 || p > 1) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${pyNumber(p)}`);
    this.p = p;
    this.inplace = checkBool(where, 'inplace', a.inplace);
  }

  override extra_repr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyStr(this.inplace)}`;
  }
}

/**
 * Zeroes each element with probability p while training, scaling the others by 1/(1-p); the
 * identity in eval mode (Python: `nn.Dropout(p=0.5, inplace=False)`).
 *
 * Shape: input (*), output the same.
 *
 * Example: `const drop = new nn.Dropout(0.2); drop.forward(x); drop.eval(); drop.forward(x) // x`
 */
export class Dropout extends _DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.inplace);
  }
}

/**
 * Zeroes whole channels of a (N, C, L) or (C, L) input with probability p while training
 * (Python: `nn.Dropout1d(p=0.5, inplace=False)`).
 */
export class Dropout1d extends _DropoutNd {
  override forward(input: Tensor): Tensor {
    return namedErrors('Dropout1d', () => F.dropout1d(input, this.p, this.training, this.inplace));
  }
}

/**
 * Zeroes whole channels of a (N, C, H, W) or (C, H, W) input with probability p while training
 * (Python: `nn.Dropout2d(p=0.5, inplace=False)`). As in PyTorch 1.13, a 3-D input is taken as
 * (N, C, L), with a warning.
 *
 * Example: `new nn.Dropout2d(0.2).forward(torch.randn(20, 16, 32, 32))`
 */
export class Dropout2d extends _DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout2d(input, this.p, this.training, this.inplace);
  }
}

/** Zeroes whole channels of a (N, C, D, H, W) or (C, D, H, W) input with probability p while training (Python: `nn.Dropout3d(p=0.5, inplace=False)`). */
export class Dropout3d extends _DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout3d(input, this.p, this.training, this.inplace);
  }
}

/** Dropout that keeps the mean and variance of SELU activations (Python: `nn.AlphaDropout(p=0.5, inplace=False)`; inplace is ignored, as in PyTorch). */
export class AlphaDropout extends _DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.alpha_dropout(input, this.p, this.training);
  }
}

/** Alpha dropout of whole channels (Python: `nn.FeatureAlphaDropout(p=0.5, inplace=False)`; inplace is ignored, as in PyTorch). */
export class FeatureAlphaDropout extends _DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.feature_alpha_dropout(input, this.p, this.training);
  }
}
