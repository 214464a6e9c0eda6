// Upsampling layers (torch/nn/modules/upsampling.py): Upsample, UpsamplingNearest2d, UpsamplingBilinear2d.
import type { Tensor } from '../../tensor.js';
import * as F from '../functional.js';
import { namedErrors, pyFloat, pyStr, pyTuple, signature, type ArgsOf } from './_layer_utils.js';
import { Module } from './module.js';

/** The interpolation modes of Upsample. */
export type UpsampleMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area' | 'nearest-exact';

const UPSAMPLE_PARAMS = [
  ['size', null as number | number[] | null],
  ['scale_factor', null as number | number[] | null],
  ['mode', 'nearest' as UpsampleMode],
  ['align_corners', null as boolean | null],
  ['recompute_scale_factor', null as boolean | null],
] as const;
/** The arguments of Upsample: `(size, scale_factor, mode, align_corners, recompute_scale_factor)` positionally, or by name. */
export type UpsampleArgs = ArgsOf<typeof UPSAMPLE_PARAMS>;

/**
 * Upsamples (N, C, W), (N, C, H, W) or (N, C, D, H, W) input to `size` or by `scale_factor`
 * (Python: `nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None)`).
 *
 * Args:
 *   size: the output's spatial size; or scale_factor: the multiplier (one of the two).
 *   mode: 'nearest' (default), 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', 'nearest-exact'.
 *   align_corners: for the interpolating modes, align the corner pixels' centres.
 *
 * Example: `new nn.Upsample({ scale_factor: 2, mode: 'bilinear' }).forward(torch.randn(1, 1, 2, 2)).shape  // [1, 1, 4, 4]`
 */
export class Upsample extends Module {
  declare name: string;
  declare size: number | number[] | null;
  declare scale_factor: number | number[] | null;
  declare mode: UpsampleMode;
  declare align_corners: boolean | null;
  declare recompute_scale_factor: boolean | null;

  constructor(...args: UpsampleArgs) {
    super();
    const a = signature(`nn.${this.constructor.name}`, 0, UPSAMPLE_PARAMS).parse(args);
    this.name = this.constructor.name;
    this.size = Array.isArray(a.size) ? [...a.size] : a.size;
    // Python keeps float(scale_factor), and None for 0 (a falsy factor).
    this.scale_factor = Array.isArray(a.scale_factor) ? [...a.scale_factor] : a.scale_factor ? a.scale_factor : null;
    this.mode = a.mode;
    this.align_corners = a.align_corners;
    this.recompute_scale_factor = a.recompute_scale_factor;
  }

  override forward(input: Tensor): Tensor {
    return namedErrors(this.constructor.name, () =>
      F.interpolate(input, this.size, this.scale_factor, this.mode, this.align_corners, { recompute_scale_factor: this.recompute_scale_factor }),
    );
  }

  override extra_repr(): string {
    let info: string;
    if (this.scale_factor !== null) {
      info = 'scale_factor=' + (Array.isArray(this.scale_factor) ? pyTuple(this.scale_factor, pyFloat) : pyFloat(this.scale_factor));
    } else {
      info = 'size=' + pyStr(this.size);
    }
    return info + ', mode=' + this.mode;
  }
}

/**
 * 2-D nearest-neighbour upsampling (Python: `nn.UpsamplingNearest2d(size=None, scale_factor=None)`), Upsample with mode 'nearest'.
 */
export class UpsamplingNearest2d extends Upsample {
  constructor(...args: ArgsOf<readonly [readonly ['size', number | number[] | null], readonly ['scale_factor', number | number[] | null]]>) {
    const a = signature('nn.UpsamplingNearest2d', 0, [['size', null], ['scale_factor', null]] as const).parse(args);
    super(a.size, a.scale_factor, { mode: 'nearest' });
  }
}

/**
 * 2-D bilinear upsampling with align_corners true (Python: `nn.UpsamplingBilinear2d(size=None, scale_factor=None)`).
 */
export class UpsamplingBilinear2d extends Upsample {
  constructor(...args: ArgsOf<readonly [readonly ['size', number | number[] | null], readonly ['scale_factor', number | number[] | null]]>) {
    const a = signature('nn.UpsamplingBilinear2d', 0, [['size', null], ['scale_factor', null]] as const).parse(args);
    super(a.size, a.scale_factor, { mode: 'bilinear', align_corners: true });
  }
}
