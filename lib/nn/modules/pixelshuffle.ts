// Sub-pixel rearrangements (torch/nn/modules/pixelshuffle.py): PixelShuffle and PixelUnshuffle.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { checkIntOrTuple, namedErrors } from './_layer_utils.js';
import { Module } from './module.js';

/**
 * Rearranges (*, C r^2, H, W) into (*, C, H r, W r), for sub-pixel convolution
 * (Python: `nn.PixelShuffle(upscale_factor)`).
 *
 * Example: `new nn.PixelShuffle(3).forward(torch.randn(1, 9, 4, 4)).shape  // [1, 1, 12, 12]`
 */
export class PixelShuffle extends Module {
  declare upscale_factor: number;

  constructor(upscale_factor: number) {
    super();
    this.upscale_factor = checkIntOrTuple('nn.PixelShuffle', 'upscale_factor', upscale_factor, undefined, 1) as number;
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('PixelShuffle', () => F.pixel_shuffle(input, this.upscale_factor));
  }

  override extra_repr(): string {
    return `upscale_factor=${this.upscale_factor}`;
  }
}

/**
 * Rearranges (*, C, H r, W r) into (*, C r^2, H, W), the inverse of PixelShuffle
 * (Python: `nn.PixelUnshuffle(downscale_factor)`).
 *
 * Example: `new nn.PixelUnshuffle(3).forward(torch.randn(1, 1, 12, 12)).shape  // [1, 9, 4, 4]`
 */
export class PixelUnshuffle extends Module {
  declare downscale_factor: number;

  constructor(downscale_factor: number) {
    super();
    this.downscale_factor = checkIntOrTuple('nn.PixelUnshuffle', 'downscale_factor', downscale_factor, undefined, 1) as number;
  }

  override forward(input: Tensor): Tensor {
    return namedErrors('PixelUnshuffle', () => F.pixel_unshuffle(input, this.downscale_factor));
  }

  override extra_repr(): string {
    return `downscale_factor=${this.downscale_factor}`;
  }
}
