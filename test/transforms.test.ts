// Vision transforms against torchvision's tensor code path, computed by PyTorch 1.13 with the
// same torch ops (test/fixtures/transforms.json, written by scripts/fixtures/make_data.py).
// Random transforms are compared after the same torch.manual_seed: same draws, same output.
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import {
  CenterCrop, Compose, Lambda, Normalize, PILToTensor, Pad, RandomAffine, RandomCrop, RandomHorizontalFlip, RandomResizedCrop,
  RandomRotation, RandomVerticalFlip, Resize, ToTensor, affine, center_crop, crop, hflip, normalize, pad, resize, rotate, to_tensor, vflip,
  type RawImage,
} from '../lib/vision/transforms.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const fx = loadFixture<Record<string, any>>('transforms.json');
const imgU8 = (): Tensor => fromFixture(fx.img_u8 as TensorFixture);
const img = (): Tensor => imgU8().float().div(255);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** The fixture's uint8 [C, H, W] image as a RawImage (interleaved HWC bytes). */
function rawImage(): RawImage {
  const t = imgU8();
  return { data: t.permute(1, 2, 0).contiguous().toTypedArray() as Uint8Array, width: 10, height: 8, channels: 3 };
}

// First, while no other test has left tensors for the garbage collector to take mid-count.
describe('memory', () => {
  it('transforms free their intermediates; Compose frees the tensors between steps', () => {
    const x = torch.tidy(() => img());
    const raw = torch.tidy(() => rawImage());
    const start = torch.liveTensorCount();
    const outs = [
      rotate(x, 30, { interpolation: 'bilinear', fill: 0 }),
      resize(x, [5, 7]),
      pad(x, [1, 2, 3, 4], { padding_mode: 'symmetric' }),
      new RandomAffine(10, { translate: [0.1, 0.1] }).forward(x),
      new Compose([new RandomCrop(6, { padding: 1 }), new ToTensor(), new Normalize(MEAN, STD), new RandomHorizontalFlip()]).forward(raw),
    ];
    expect(torch.liveTensorCount()).toBe(start + outs.length);
    hflip(raw);
    expect(torch.liveTensorCount()).toBe(start + outs.length);
    outs.forEach((o) => o.dispose());
    x.dispose();
  });
});

describe('conversions', () => {
  it('ToTensor: RawImage and HWC uint8 tensors to float CHW in [0, 1]', () => {
    expectTensor(new ToTensor().forward(rawImage()), fx.to_tensor);
    expectTensor(to_tensor(imgU8().permute(1, 2, 0)), fx.to_tensor);
    const gray = to_tensor(fromFixture(fx.gray_u8).squeeze(0));
    expect(gray.shape).toEqual([1, 6, 5]);
    expectTensor(gray.mul(255).round().to(torch.uint8), fx.gray_u8);
    const floats = to_tensor({ data: new Float32Array([0.25, 0.5]), width: 2, height: 1 });
    expect(floats.tolist()).toEqual([[[0.25, 0.5]]]);
  });
  it('PILToTensor keeps bytes; a canvas-like RGBA ImageData infers 4 channels', () => {
    expectTensor(new PILToTensor().forward(rawImage()), fx.img_u8);
    const rgba = { data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]), width: 2, height: 1 };
    expect(new PILToTensor().forward(rgba).shape).toEqual([4, 1, 2]);
  });
  it('Normalize, float32 and float64, in place or not', () => {
    const x = img();
    expectTensor(new Normalize(MEAN, STD).forward(x), fx.normalize);
    expectTensor(x, { ...fx.to_tensor }); // not in place
    const inplace = new Normalize(MEAN, STD, true).forward(x);
    expect(inplace).toBe(x);
    expectTensor(x, fx.normalize);
    expectTensor(normalize(img().double(), MEAN, STD), fx.normalize_f64);
  });
});

describe('geometry', () => {
  it('flips', () => {
    expectTensor(hflip(img()), fx.hflip);
    expectTensor(vflip(img()), fx.vflip);
  });
  it('pad: constant, edge, reflect, symmetric, negative', () => {
    expectTensor(pad(img(), 2, { fill: 0.5 }), fx.pad_constant_2);
    expectTensor(pad(img(), [1, 2], { padding_mode: 'edge' }), fx.pad_edge_1_2);
    expectTensor(pad(img(), [1, 2, 3, 4], { padding_mode: 'reflect' }), fx.pad_reflect_1234);
    expectTensor(pad(img(), [1, 2, 3, 4], { padding_mode: 'symmetric' }), fx.pad_symmetric_1234);
    expectTensor(pad(img(), [-1, 2, 0, -2], { padding_mode: 'symmetric' }), fx.pad_symmetric_neg);
    expectTensor(new Pad([-1, 2, 0, 1], { fill: 0.5 }).forward(img()), fx.pad_constant_neg);
    expectTensor(pad(imgU8(), 3, { padding_mode: 'reflect' }), fx.pad_reflect_u8);
  });
  it('crop and center_crop, inside and outside the image', () => {
    expectTensor(crop(img(), 1, 2, 4, 5), fx.crop_inside);
    expectTensor(crop(img(), -2, 7, 5, 6), fx.crop_outside);
    expectTensor(new CenterCrop([4, 6]).forward(img()), fx.center_crop_4x6);
    expectTensor(center_crop(img(), 5), fx.center_crop_5x5);
    expectTensor(new CenterCrop([11, 13]).forward(img()), fx.center_crop_11x13);
  });
  it('resize: bilinear (F.interpolate, align_corners=False), nearest, bicubic, uint8, antialias', () => {
    expectTensor(resize(img(), [5, 7]), fx.resize_5x7);
    expectTensor(new Resize([12, 15]).forward(img()), fx.resize_up_12x15);
    expectTensor(new Resize(4).forward(img()), fx.resize_short_4);
    expectTensor(resize(img(), [5, 7], { interpolation: 'nearest' }), fx.resize_nearest_5x7);
    expectTensor(resize(img(), [5, 7], { interpolation: 'bicubic' }), fx.resize_bicubic_5x7);
    expectTensor(resize(imgU8(), [5, 7]), fx.resize_u8_5x7);
    expectTensor(resize(img(), [4, 5], { antialias: true }), fx.resize_antialias_4x5);
  });
  it('rotate: nearest, bilinear with and without fill, expand, center, uint8', () => {
    const tol = { atol: 1e-5, rtol: 1e-5 };
    expectTensor(rotate(img(), 30, { fill: [0, 0, 0] }), fx.rotate_30_nearest, tol);
    expectTensor(rotate(img(), 30, { interpolation: 'bilinear', fill: [0.25, 0.5, 0.75] }), fx.rotate_30_bilinear_fill, tol);
    expectTensor(rotate(img(), 30, { interpolation: 'bilinear' }), fx.rotate_30_bilinear_nofill, tol);
    expectTensor(rotate(img(), 45, { interpolation: 'bilinear', expand: true, fill: 0 }), fx.rotate_45_expand, tol);
    expectTensor(rotate(img(), 20, { center: [2, 3], fill: 1 }), fx.rotate_20_center, tol);
    expectTensor(rotate(imgU8(), 15, { interpolation: 'bilinear', fill: 0 }), fx.rotate_u8_bilinear);
  });
  it('affine: rotation, translation, scale and shear', () => {
    const tol = { atol: 1e-5, rtol: 1e-5 };
    expectTensor(affine(img(), 10, [1, -2], 1.2, [5, 0], { interpolation: 'bilinear', fill: 0 }), fx.affine_fixed, tol);
    expectTensor(affine(img(), -15, [0, 1], 0.8, [10, -5], { fill: [0.1, 0.2, 0.3] }), fx.affine_shear_xy, tol);
  });
  it('RawImages go through the geometric transforms and stay RawImages', () => {
    const flipped = hflip(rawImage());
    expect(flipped.width).toBe(10);
    expectTensor(new PILToTensor().forward(flipped).float().div(255), fx.hflip);
    const floats = new Float32Array([0.1, 0.2, 0.3]);
    const flippedFloats = hflip({ data: floats, width: 3, height: 1 });
    expect(flippedFloats.data).toBeInstanceOf(Float32Array);
    expect(Array.from(flippedFloats.data)).toEqual(Array.from(floats).reverse());
    const rotated = rotate(rawImage(), 15, { interpolation: 'bilinear', fill: 0 });
    expectTensor(new PILToTensor().forward(rotated), fx.rotate_u8_bilinear);
  });
});

describe('random transforms: torchvision\'s draws for the same seed', () => {
  it('RandomCrop with padding, and with pad_if_needed and reflect padding', () => {
    torch.manual_seed(1);
    const t = new RandomCrop([8, 10], { padding: 4 });
    fx.random_crop_pad4.forEach((want: TensorFixture) => expectTensor(t.forward(img()), want));
    torch.manual_seed(2);
    const r = new RandomCrop([10, 12], { padding: [1, 0], pad_if_needed: true, padding_mode: 'reflect' });
    fx.random_crop_reflect_pad_if_needed.forEach((want: TensorFixture) => expectTensor(r.forward(img()), want));
  });
  it('RandomHorizontalFlip and RandomVerticalFlip draw torch.rand(1) < p', () => {
    torch.manual_seed(3);
    const h = new RandomHorizontalFlip();
    const x = img();
    const flips = fx.hflip_draws_seed3.map(() => {
      const out = h.forward(x);
      return out !== x && out.equal(x.flip(-1));
    });
    expect(flips).toEqual(fx.hflip_draws_seed3);
    torch.manual_seed(3);
    const v = new RandomVerticalFlip(0.3);
    expect(fx.vflip_draws_p03_seed3.map(() => v.forward(x) !== x)).toEqual(fx.vflip_draws_p03_seed3);
  });
  it('RandomRotation', () => {
    torch.manual_seed(4);
    const t = new RandomRotation(25);
    fx.random_rotation_25_seed4.forEach((want: TensorFixture) => expectTensor(t.forward(img()), want, { atol: 1e-5, rtol: 1e-5 }));
  });
  it('RandomAffine with translate, scale and a 4-value shear', () => {
    torch.manual_seed(5);
    const t = new RandomAffine([-20, 20], { translate: [0.2, 0.1], scale: [0.8, 1.2], shear: [-10, 10, -5, 5], interpolation: 'bilinear' });
    fx.random_affine_seed5.forEach((want: TensorFixture) => expectTensor(t.forward(img()), want, { atol: 1e-5, rtol: 1e-5 }));
  });
  it('RandomResizedCrop', () => {
    torch.manual_seed(6);
    const t = new RandomResizedCrop(6);
    fx.random_resized_crop_6_seed6.forEach((want: TensorFixture) => expectTensor(t.forward(img()), want));
  });
  it('Compose on a RawImage: RandomCrop, ToTensor, Normalize', () => {
    torch.manual_seed(7);
    const pipeline = new Compose([new RandomCrop(6, { padding: 1 }), new ToTensor(), new Normalize(MEAN, STD)]);
    expectTensor(pipeline.forward(rawImage()), fx.compose_seed7);
    expect(String(pipeline)).toContain('RandomCrop(size=(6, 6), padding=1)');
  });
  it('Lambda and plain functions compose', () => {
    const t = new Compose([new ToTensor(), new Lambda((x: Tensor) => x.mul(2)), (x: Tensor) => x.sub(1)]);
    expectTensor(t.forward(rawImage()).add(1).div(2), fx.to_tensor);
  });
});

describe('errors', () => {
  it('bad images', () => {
    expect(() => hflip(torch.zeros(3))).toThrow(torch.TorchTypeError);
    expect(() => hflip(torch.zeros(3))).toThrow(/not a torch image/);
    expect(() => hflip([1, 2] as never)).toThrow(/expected an image/);
    expect(() => to_tensor({ data: new Uint8Array(5), width: 2, height: 2 })).toThrow(torch.ValueError);
    expect(() => to_tensor({ data: new Uint8Array(5), width: 2, height: 2 })).toThrow(/not width \* height \* channels/);
    expect(() => to_tensor(torch.zeros(1, 2, 3, 4))).toThrow(/pic should be 2\/3 dimensional. Got 4 dimensions./);
  });
  it('Normalize: integer input, missing channel dim, zero std', () => {
    expect(() => normalize(imgU8(), MEAN, STD)).toThrow(/Input tensor should be a float tensor. Got torch.uint8./);
    expect(() => normalize(torch.zeros(4, 4), [0], [1])).toThrow(/Expected tensor to be a tensor image of size \(\.\.\., C, H, W\)/);
    expect(() => normalize(img(), MEAN, [1, 0, 1])).toThrow(/std evaluated to zero after conversion to torch.float32, leading to division by zero./);
  });
  it('bad sizes, paddings and ranges', () => {
    expect(() => new RandomCrop([1, 2, 3])).toThrow(/Please provide only two dimensions \(h, w\) for size./);
    expect(() => new RandomCrop(20).forward(img())).toThrow(/Required crop size \(20, 20\) is larger than input image size \(8, 10\)/);
    expect(() => pad(img(), [1, 2, 3])).toThrow(/Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple/);
    expect(() => pad(img(), 1, { padding_mode: 'wrap' as never })).toThrow(/Padding mode should be either constant, edge, reflect or symmetric/);
    expect(() => new RandomRotation(-5)).toThrow(/If degrees is a single number, it must be positive./);
    expect(() => new RandomAffine(0, { translate: [2, 0] })).toThrow(/translation values should be between 0 and 1/);
    expect(() => new RandomAffine(0, { scale: [0, 1] })).toThrow(/scale values should be positive/);
    expect(() => rotate(img(), 10, { fill: [1, 2] })).toThrow(/The number of elements in 'fill' cannot broadcast to match the number of channels of the image \(2 != 3\)/);
    expect(() => resize(img(), [5, 7], { interpolation: 'lanczos' as never })).toThrow(torch.ValueError);
    expect(() => new RandomHorizontalFlip(2)).toThrow(torch.TorchTypeError);
    expect(() => new Lambda(3 as never)).toThrow(/Argument lambd should be callable/);
    expect(() => new Compose([3 as never])).toThrow(torch.TorchTypeError);
  });
});
