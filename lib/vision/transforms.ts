// torchvision.transforms for torch-node: image transforms over Tensors, written from
// torchvision's documented behaviour and its tensor code path (functional_tensor.py).
//
// Images are Tensors of shape [..., C, H, W] (uint8 in [0, 255] or float in [0, 1]), or
// RawImages, torch-node's stand-in for PIL images: `{ data, width, height, channels }` with
// the pixels interleaved row by row (HWC), as in a decoded PNG or a canvas ImageData. A
// RawImage goes through the geometric transforms as a uint8 [C, H, W] tensor and comes
// back as a RawImage; ToTensor turns either kind into a float [C, H, W] tensor.
//
// Random transforms draw from the global generator with the calls torchvision makes
// (torch.rand, torch.randint, torch.empty(1).uniform_), so the same torch.manual_seed gives
// the same crops, flips and angles as torchvision on tensors.
import { TorchTypeError, ValueError, argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import type { DType } from '../dtype.js';

// -----------------------------------------------------------------------------------------
// Images
// -----------------------------------------------------------------------------------------

/**
 * A decoded image with interleaved pixels (PIL's role in torchvision): `data[(y * width + x) * channels + c]`.
 * `data` holds bytes (Uint8Array, Uint8ClampedArray, or numbers 0..255), or floats
 * (Float32Array/Float64Array, which ToTensor keeps as they are, like a float numpy array).
 * `channels` defaults to data.length / (width * height), so a canvas ImageData is a RawImage.
 */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | number[];
  width: number;
  height: number;
  channels?: number;
}

/** An image transforms accept: a Tensor [..., C, H, W] (or [H, W]) or a RawImage. */
export type ImageLike = Tensor | RawImage;

/** A transform: a function, or an object with `forward(input)` (every class in this file). */
export type TransformLike<I = any, O = any> = ((input: I) => O) | { forward(input: I): O };

/** Interpolation modes, as torchvision's InterpolationMode enum (its values are these strings). */
export const InterpolationMode = { NEAREST: 'nearest', BILINEAR: 'bilinear', BICUBIC: 'bicubic' } as const;
export type InterpolationMode = (typeof InterpolationMode)[keyof typeof InterpolationMode];

/** Padding modes of pad(): constant fill, edge (replicate), reflect (without the edge) and symmetric (with it). */
export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

function isRawImage(value: unknown): value is RawImage {
  if (value === null || typeof value !== 'object' || value instanceof Tensor) return false;
  const v = value as RawImage;
  return (ArrayBuffer.isView(v.data) || Array.isArray(v.data)) && typeof v.width === 'number' && typeof v.height === 'number';
}

function rawImageChannels(where: string, img: RawImage): number {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new ValueError(`${where}: image width and height must be positive integers, got ${width}x${height}`);
  }
  const channels = img.channels ?? data.length / (width * height);
  if (!Number.isInteger(channels) || channels <= 0 || data.length !== width * height * channels) {
    throw new ValueError(`${where}: image data has ${data.length} values, which is not width * height * channels (${width} * ${height} * ${img.channels ?? '?'})`);
  }
  return channels;
}

function describeImage(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}

function checkImage(where: string, img: unknown): void {
  if (img instanceof Tensor) {
    if (img.dim() < 2) throw new TorchTypeError(`${where}: Tensor is not a torch image (expected [..., H, W], got shape [${img.shape.join(', ')}])`);
    return;
  }
  if (!isRawImage(img)) throw new TorchTypeError(`${where}: expected an image (a Tensor [..., C, H, W] or a RawImage { data, width, height, channels }) but received ${describeImage(img)}`);
}

/** The image's [channels, height, width] (torchvision: `F.get_dimensions(img)`). */
export function get_dimensions(img: ImageLike): [number, number, number] {
  checkImage('get_dimensions', img);
  if (img instanceof Tensor) {
    const s = img.shape;
    return [s.length === 2 ? 1 : s[s.length - 3], s[s.length - 2], s[s.length - 1]];
  }
  return [rawImageChannels('get_dimensions', img), img.height, img.width];
}

/**
 * A RawImage as a tensor [C, H, W] without scaling: uint8 for bytes, float for float data
 * (torchvision: `F.pil_to_tensor(pic)`).
 *
 * Example: `pil_to_tensor({ data: new Uint8Array(2 * 3 * 3), width: 3, height: 2, channels: 3 }).shape` is [3, 2, 3].
 */
export function pil_to_tensor(pic: RawImage): Tensor {
  if (!isRawImage(pic)) throw argumentError('pil_to_tensor', 'pic', 'a RawImage { data, width, height, channels }', pic);
  const channels = rawImageChannels('pil_to_tensor', pic);
  const { data } = pic;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    // a float image (PIL's mode 'F'): its values as they are
    return torch.tidy(() => torch.from_typed_array(data, [pic.height, pic.width, channels]).permute(2, 0, 1).contiguous());
  }
  const bytes = data instanceof Uint8Array ? data : data instanceof Uint8ClampedArray ? new Uint8Array(data.buffer, data.byteOffset, data.length) : Uint8Array.from(data as ArrayLike<number>);
  return torch.tidy(() => torch.from_typed_array(bytes, [pic.height, pic.width, channels]).permute(2, 0, 1).contiguous());
}

/** A [C, H, W] (or [H, W]) tensor as a RawImage: bytes, or floats for float32/float64 tensors. */
function tensorToRawImage(t: Tensor): RawImage {
  return torch.tidy(() => {
    const chw = t.dim() === 2 ? t.unsqueeze(0) : t;
    const [channels, height, width] = chw.shape;
    const target = chw.dtype === torch.float32 || chw.dtype === torch.float64 ? chw.dtype : torch.uint8;
    const data = chw.permute(1, 2, 0).contiguous().to(target).toTypedArray() as Uint8Array | Float32Array | Float64Array;
    return { data, width, height, channels };
  });
}

/** Runs a tensor function on an image: a RawImage goes through as a uint8 [C, H, W] tensor and comes back as a RawImage. */
function onImage<T extends ImageLike>(where: string, img: T, fn: (t: Tensor) => Tensor): T {
  checkImage(where, img);
  if (img instanceof Tensor) return torch.tidy(() => fn(img)) as T;
  return torch.tidy(() => tensorToRawImage(fn(pil_to_tensor(img as RawImage)))) as T;
}

/**
 * Converts a RawImage or an HxW / HxWxC tensor (numpy's image layout) to a tensor [C, H, W]
 * (torchvision: `F.to_tensor(pic)`). Bytes (uint8) are scaled to float in [0, 1] in the default
 * dtype; float data is kept as it is.
 *
 * Example: `to_tensor({ data: bytes, width: 28, height: 28, channels: 1 })` is a float tensor [1, 28, 28].
 */
export function to_tensor(pic: RawImage | Tensor): Tensor {
  if (pic instanceof Tensor) {
    if (pic.dim() !== 2 && pic.dim() !== 3) throw new ValueError(`pic should be 2/3 dimensional. Got ${pic.dim()} dimensions.`);
    return torch.tidy(() => {
      const hwc = pic.dim() === 2 ? pic.unsqueeze(-1) : pic;
      const chw = hwc.permute(2, 0, 1).contiguous();
      return chw.dtype === torch.uint8 ? chw.to(torch.get_default_dtype()).div(255) : chw;
    });
  }
  if (!isRawImage(pic)) throw argumentError('to_tensor', 'pic', 'a RawImage { data, width, height, channels } or an HxW(xC) Tensor', pic);
  const channels = rawImageChannels('to_tensor', pic);
  if (pic.data instanceof Float32Array || pic.data instanceof Float64Array) {
    const floats = pic.data;
    return torch.tidy(() => torch.from_typed_array(floats, [pic.height, pic.width, channels]).permute(2, 0, 1).contiguous());
  }
  return torch.tidy(() => pil_to_tensor(pic).to(torch.get_default_dtype()).div(255));
}

// -----------------------------------------------------------------------------------------
// Functional transforms (torchvision.transforms.functional)
// -----------------------------------------------------------------------------------------

/** Python's round(): halves go to the even neighbour. */
function pyRound(x: number): number {
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}

/** torchvision's _setup_size: an int or [size] gives [size, size]; [h, w] stays. */
function setupSize(where: string, size: number | readonly number[]): [number, number] {
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw argumentError(where, 'size', 'a positive integer or [h, w]', size);
    return [size, size];
  }
  if (!Array.isArray(size)) throw argumentError(where, 'size', 'a positive integer or [h, w]', size);
  if (size.length === 1) return setupSize(where, size[0]);
  if (size.length !== 2) throw new ValueError('Please provide only two dimensions (h, w) for size.');
  if (!size.every((s) => Number.isInteger(s) && s > 0)) throw argumentError(where, 'size', 'positive integers [h, w]', size);
  return [size[0], size[1]];
}

/** Reshapes [..., C, H, W] (or [H, W]) to [N, C, H, W]; returns it and the inverse. */
function as4d(t: Tensor): [Tensor, (out: Tensor) => Tensor] {
  const shape = t.shape;
  if (shape.length === 4) return [t, (out) => out];
  if (shape.length === 3) return [t.unsqueeze(0), (out) => out.squeeze(0)];
  if (shape.length === 2) return [t.reshape(1, 1, shape[0], shape[1]), (out) => out.reshape(out.shape.slice(2))];
  const lead = shape.slice(0, -3);
  return [t.reshape(-1, ...shape.slice(-3)), (out) => out.reshape([...lead, ...out.shape.slice(1)])];
}

const INTEGER_DTYPES = new Set(['uint8', 'int8', 'int16', 'int32', 'int64']);

/** torchvision's _cast_squeeze_out: rounds before casting back to an integer dtype. */
function castBack(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  return INTEGER_DTYPES.has(dtype.name) ? t.round().to(dtype) : t.to(dtype);
}

/** Flips an image left to right (torchvision: `F.hflip(img)`). */
export function hflip<T extends ImageLike>(img: T): T {
  return onImage('hflip', img, (t) => t.flip(-1));
}

/** Flips an image top to bottom (torchvision: `F.vflip(img)`). */
export function vflip<T extends ImageLike>(img: T): T {
  return onImage('vflip', img, (t) => t.flip(-2));
}

/** torchvision's _parse_pad_padding: [left, right, top, bottom] from an int, [all], [lr, tb] or [l, t, r, b]. */
function parsePadding(where: string, padding: number | readonly number[]): [number, number, number, number] {
  if (typeof padding === 'number') {
    if (!Number.isInteger(padding)) throw argumentError(where, 'padding', 'an integer or an array of 1, 2 or 4 integers', padding);
    return [padding, padding, padding, padding];
  }
  if (!Array.isArray(padding) || !padding.every((p) => Number.isInteger(p))) throw new TorchTypeError(`${where}: Got inappropriate padding arg: expected an integer or an array of 1, 2 or 4 integers`);
  if (padding.length === 1) return [padding[0], padding[0], padding[0], padding[0]];
  if (padding.length === 2) return [padding[0], padding[0], padding[1], padding[1]];
  if (padding.length === 4) return [padding[0], padding[2], padding[1], padding[3]];
  throw new ValueError(`Padding must be an int or a 1, 2, or 4 element tuple, not a ${padding.length} element tuple`);
}

function padSymmetric(t: Tensor, p: [number, number, number, number]): Tensor {
  let img = t;
  if (p.some((v) => v < 0)) {
    const [cl, cr, ct, cb] = p.map((v) => -Math.min(v, 0));
    img = img.index('...', `${ct}:${img.size(-2) - cb}`, `${cl}:${img.size(-1) - cr}`);
    p = p.map((v) => Math.max(v, 0)) as [number, number, number, number];
  }
  const indices = (n: number, before: number, after: number): Tensor => {
    const idx: number[] = [];
    for (let i = before - 1; i >= 0; i--) idx.push(i % n);
    for (let i = 0; i < n; i++) idx.push(i);
    for (let i = 0; i < after; i++) idx.push(n - 1 - (i % n));
    return torch.tensor(idx, { dtype: torch.int64 });
  };
  const h = img.size(-2);
  const w = img.size(-1);
  return img.index_select(-2, indices(h, p[2], p[3])).index_select(-1, indices(w, p[0], p[1]));
}

function padTensor(t: Tensor, padding: number | readonly number[], fill: number, padding_mode: PaddingMode): Tensor {
  const p = parsePadding('pad', padding);
  if (padding_mode === 'symmetric') return padSymmetric(t, p);
  if (padding_mode === 'constant') return torch.constant_pad_nd(t, p, fill);
  const [x, restore] = as4d(t);
  const out = x.is_floating_point() ? x : x.to(torch.float32);
  const padded = padding_mode === 'reflect' ? torch._nn.reflection_pad2d(out, p) : torch._nn.replication_pad2d(out, p);
  return restore(padded.to(t.dtype));
}

function checkPadArgs(where: string, fill: unknown, padding_mode: unknown): void {
  if (typeof fill !== 'number') throw new TorchTypeError(`${where}: Got inappropriate fill arg: expected a number for tensor images but received ${describeImage(fill)}`);
  if (!['constant', 'edge', 'reflect', 'symmetric'].includes(padding_mode as string)) throw new ValueError('Padding mode should be either constant, edge, reflect or symmetric');
}

/**
 * Pads an image on each side (torchvision: `F.pad(img, padding, fill=0, padding_mode='constant')`).
 *
 * Args:
 *   padding: an int for every side, [left/right, top/bottom], or [left, top, right, bottom].
 *   fill: the constant mode's value.
 *   padding_mode: 'constant', 'edge', 'reflect' or 'symmetric'.
 *
 * Example: `pad(img, 4, { padding_mode: 'reflect' })`
 */
export function pad<T extends ImageLike>(img: T, padding: number | readonly number[], options: { fill?: number; padding_mode?: PaddingMode } = {}): T {
  const { fill = 0, padding_mode = 'constant' } = options;
  checkPadArgs('pad', fill, padding_mode);
  parsePadding('pad', padding);
  return onImage('pad', img, (t) => padTensor(t, padding, fill, padding_mode));
}

function cropTensor(t: Tensor, top: number, left: number, height: number, width: number): Tensor {
  const h = t.size(-2);
  const w = t.size(-1);
  const right = left + width;
  const bottom = top + height;
  if (left < 0 || top < 0 || right > w || bottom > h) {
    const padding = [Math.max(-left, 0), Math.max(-top, 0), Math.max(right - w, 0), Math.max(bottom - h, 0)];
    return padTensor(t.index('...', `${Math.max(top, 0)}:${bottom}`, `${Math.max(left, 0)}:${right}`), padding, 0, 'constant');
  }
  return t.index('...', `${top}:${bottom}`, `${left}:${right}`);
}

/**
 * Crops the box with top-left corner (top, left) and size height x width; parts outside the
 * image are zero-padded (torchvision: `F.crop(img, top, left, height, width)`).
 */
export function crop<T extends ImageLike>(img: T, top: number, left: number, height: number, width: number): T {
  for (const [name, v] of [['top', top], ['left', left], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v)) throw argumentError('crop', name, 'an integer', v);
  }
  return onImage('crop', img, (t) => cropTensor(t, top, left, height, width));
}

function centerCropTensor(t: Tensor, output_size: [number, number]): Tensor {
  const [cropHeight, cropWidth] = output_size;
  let img = t;
  let h = img.size(-2);
  let w = img.size(-1);
  if (cropWidth > w || cropHeight > h) {
    const padding = [
      cropWidth > w ? Math.floor((cropWidth - w) / 2) : 0,
      cropHeight > h ? Math.floor((cropHeight - h) / 2) : 0,
      cropWidth > w ? Math.floor((cropWidth - w + 1) / 2) : 0,
      cropHeight > h ? Math.floor((cropHeight - h + 1) / 2) : 0,
    ];
    img = padTensor(img, padding, 0, 'constant');
    h = img.size(-2);
    w = img.size(-1);
    if (cropWidth === w && cropHeight === h) return img;
  }
  const top = pyRound((h - cropHeight) / 2);
  const left = pyRound((w - cropWidth) / 2);
  return cropTensor(img, top, left, cropHeight, cropWidth);
}

/** Crops the center; a crop larger than the image is zero-padded (torchvision: `F.center_crop(img, output_size)`). */
export function center_crop<T extends ImageLike>(img: T, output_size: number | readonly number[]): T {
  const size = setupSize('center_crop', output_size);
  return onImage('center_crop', img, (t) => centerCropTensor(t, size));
}

/** torchvision's _compute_resized_output_size: [new_h, new_w]. */
function resizedOutputSize(h: number, w: number, size: number | readonly number[], max_size: number | null): [number, number] {
  const single = typeof size === 'number' || size.length === 1;
  if (!single) {
    if (max_size !== null) throw new ValueError(`max_size should only be passed if size specifies the length of the smaller edge, i.e. size should be an int or a sequence of length 1 in torchscript mode.`);
    return [(size as number[])[0], (size as number[])[1]];
  }
  const requested = typeof size === 'number' ? size : size[0];
  const [short, long] = w <= h ? [w, h] : [h, w];
  let newShort = requested;
  let newLong = Math.trunc((requested * long) / short);
  if (max_size !== null) {
    if (max_size <= requested) throw new ValueError(`max_size = ${max_size} must be strictly greater than the requested size for the smaller edge size = ${requested}`);
    if (newLong > max_size) {
      newShort = Math.trunc((max_size * newShort) / newLong);
      newLong = max_size;
    }
  }
  return w <= h ? [newLong, newShort] : [newShort, newLong];
}

function interpolateTensor(t: Tensor, size: [number, number], interpolation: InterpolationMode, antialias: boolean): Tensor {
  const [x, restore] = as4d(t);
  const dtype = t.dtype;
  const input = x.is_floating_point() ? x : x.to(torch.float32);
  let out: Tensor;
  if (interpolation === 'nearest') out = torch._nn.upsample_nearest2d(input, size);
  else if (interpolation === 'bilinear') out = antialias ? torch._nn._upsample_bilinear2d_aa(input, size, false) : torch._nn.upsample_bilinear2d(input, size, false);
  else {
    out = antialias ? torch._nn._upsample_bicubic2d_aa(input, size, false) : torch._nn.upsample_bicubic2d(input, size, false);
    if (dtype === torch.uint8) out = out.clamp(0, 255);
  }
  return restore(castBack(out, dtype));
}

function checkInterpolation(where: string, interpolation: unknown, allowed: readonly string[]): InterpolationMode {
  if (!allowed.includes(interpolation as string)) throw new ValueError(`${where}: interpolation should be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${String(interpolation)}`);
  return interpolation as InterpolationMode;
}

/** Options of resize() and Resize. */
export interface ResizeOptions {
  /** 'bilinear' (default), 'nearest' or 'bicubic'. */
  interpolation?: InterpolationMode;
  /** The longer edge's maximum when `size` is a single number. */
  max_size?: number | null;
  /** Antialiased down-sampling (bilinear and bicubic); default false, torchvision's default for tensors up to 0.16. */
  antialias?: boolean | null;
}

/**
 * Resizes an image (torchvision: `F.resize(img, size, interpolation=BILINEAR, max_size=None, antialias=None)`).
 * A single number matches the smaller edge to it, keeping the aspect ratio; [h, w] sets both.
 * Bilinear is `F.interpolate(mode='bilinear', align_corners=False)`; uint8 images are resized
 * in float32 and rounded back.
 *
 * Example: `resize(img, [14, 14])`
 */
export function resize<T extends ImageLike>(img: T, size: number | readonly number[], options: ResizeOptions = {}): T {
  const interpolation = checkInterpolation('resize', options.interpolation ?? 'bilinear', ['nearest', 'bilinear', 'bicubic']);
  const max_size = options.max_size ?? null;
  const antialias = Boolean(options.antialias) && interpolation !== 'nearest';
  if (typeof size === 'number') setupSize('resize', size);
  else if (!Array.isArray(size) || (size.length !== 1 && size.length !== 2) || !size.every((s) => Number.isInteger(s) && s > 0)) {
    throw argumentError('resize', 'size', 'a positive integer, [size] or [h, w]', size);
  }
  const [, h, w] = get_dimensions(img);
  const target = resizedOutputSize(h, w, size, max_size);
  return onImage('resize', img, (t) => interpolateTensor(t, target, interpolation, antialias));
}

/** Crops, then resizes (torchvision: `F.resized_crop(img, top, left, height, width, size, interpolation=BILINEAR)`). */
export function resized_crop<T extends ImageLike>(img: T, top: number, left: number, height: number, width: number, size: number | readonly number[], options: Omit<ResizeOptions, 'max_size'> = {}): T {
  const target = setupSize('resized_crop', size);
  const interpolation = checkInterpolation('resized_crop', options.interpolation ?? 'bilinear', ['nearest', 'bilinear', 'bicubic']);
  const antialias = Boolean(options.antialias) && interpolation !== 'nearest';
  return onImage('resized_crop', img, (t) => interpolateTensor(cropTensor(t, top, left, height, width), target, interpolation, antialias));
}

/**
 * The inverse of the affine map "rotate by `angle` and shear around `center`, scale, then
 * translate", as the 2x3 matrix grid sampling needs (torchvision's _get_inverse_affine_matrix).
 */
function inverseAffineMatrix(center: [number, number], angle: number, translate: [number, number], scale: number, shear: [number, number]): number[] {
  const radians = (deg: number): number => deg * (Math.PI / 180);
  const rot = radians(angle);
  const sx = radians(shear[0]);
  const sy = radians(shear[1]);
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** torchvision's _gen_affine_grid: output pixel centres mapped through `theta`, normalised by the input size. */
function affineGrid(theta: Tensor, w: number, h: number, ow: number, oh: number): Tensor {
  const d = 0.5;
  const base = torch.empty([1, oh, ow, 3], { dtype: theta.dtype });
  base.index('...', 0).copy_(torch.linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, ow, { dtype: torch.float32 }));
  base.index('...', 1).copy_(torch.linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, oh, { dtype: torch.float32 }).unsqueeze(-1));
  base.index('...', 2).fill_(1);
  const rescaled = theta.transpose(1, 2).div(torch.tensor([0.5 * w, 0.5 * h], { dtype: theta.dtype }));
  return base.view(1, oh * ow, 3).bmm(rescaled).view(1, oh, ow, 2);
}

/** torchvision's _apply_grid_transform: grid_sample with zero padding, then `fill` where the grid left the image. */
function applyGrid(t: Tensor, grid: Tensor, mode: InterpolationMode, fill: number[] | null): Tensor {
  const [x4, restore] = as4d(t);
  const dtype = t.dtype;
  let img = x4.dtype === grid.dtype ? x4 : x4.to(grid.dtype);
  const n = img.size(0);
  const g = n > 1 ? grid.expand([n, grid.size(1), grid.size(2), grid.size(3)]) : grid;
  if (fill !== null) img = torch.cat([img, torch.ones([n, 1, img.size(2), img.size(3)], { dtype: img.dtype })], 1);
  let out = torch.grid_sampler(img, g, mode === 'nearest' ? 1 : 0, 0, false);
  if (fill !== null) {
    const mask = out.index(':', '-1:').expand_as(out.index(':', ':-1'));
    out = out.index(':', ':-1');
    const fillImg = torch.tensor(fill, { dtype: out.dtype }).view(1, fill.length, 1, 1).expand_as(out);
    if (mode === 'nearest') {
      const holes = mask.lt(0.5);
      out = torch.where(holes, fillImg, out);
    } else {
      out = out.mul(mask).add(mask.neg().add(1).mul(fillImg));
    }
  }
  return restore(castBack(out, dtype));
}

function checkFill(where: string, fill: number | readonly number[] | null, channels: number): number[] | null {
  if (fill === null) return null;
  const list = typeof fill === 'number' ? [fill] : Array.from(fill);
  if (!list.every((f) => typeof f === 'number')) throw argumentError(where, 'fill', 'a number or an array of numbers', fill);
  if (list.length > 1 && list.length !== channels) {
    throw new ValueError(`The number of elements in 'fill' cannot broadcast to match the number of channels of the image (${list.length} != ${channels})`);
  }
  return list;
}

/** torchvision's _compute_affine_output_size: the size that holds the whole transformed image. */
function affineOutputSize(matrix: number[], w: number, h: number): [number, number] {
  return torch.tidy(() => {
    const pts = torch.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], { dtype: torch.float32 });
    const theta = torch.tensor(matrix, { dtype: torch.float32 }).view(2, 3);
    const newPts = torch.matmul(pts, theta.T);
    const shift = torch.tensor([w * 0.5, h * 0.5], { dtype: torch.float32 });
    const minVals = newPts.amin(0).add(shift);
    const maxVals = newPts.amax(0).add(shift);
    const tol = 1e-4;
    const cmax = torch.ceil(maxVals.div(tol).trunc_().mul(tol));
    const cmin = torch.floor(minVals.div(tol).trunc_().mul(tol));
    const size = cmax.sub(cmin).tolist() as number[];
    return [Math.trunc(size[0]), Math.trunc(size[1])] as [number, number];
  });
}

function gridTransform(t: Tensor, matrix: number[], interpolation: InterpolationMode, fill: number[] | null, outputSize?: [number, number]): Tensor {
  const w = t.size(-1);
  const h = t.size(-2);
  const [ow, oh] = outputSize ?? [w, h];
  const dtype = t.is_floating_point() ? t.dtype : torch.float32;
  const theta = torch.tensor(matrix, { dtype }).reshape(1, 2, 3);
  return applyGrid(t, affineGrid(theta, w, h, ow, oh), interpolation, fill);
}

/** Options of rotate() and RandomRotation. */
export interface RotateOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: InterpolationMode;
  /** Enlarge the output to hold the whole rotated image (default false). */
  expand?: boolean;
  /** The rotation centre [x, y] in pixels (default: the image centre). */
  center?: readonly [number, number] | null;
  /** The value of pixels outside the rotated image: a number, one per channel, or null (zeros, no fill mask). */
  fill?: number | readonly number[] | null;
}

function centerOffset(center: readonly [number, number] | null | undefined, width: number, height: number): [number, number] {
  if (center === null || center === undefined) return [0, 0];
  if (!Array.isArray(center) || center.length !== 2) throw argumentError('center', 'center', '[x, y]', center);
  return [center[0] - width * 0.5, center[1] - height * 0.5];
}

/**
 * Rotates an image by `angle` degrees counter-clockwise (torchvision:
 * `F.rotate(img, angle, interpolation=NEAREST, expand=False, center=None, fill=None)`).
 *
 * Example: `rotate(img, 30, { interpolation: 'bilinear' })`
 */
export function rotate<T extends ImageLike>(img: T, angle: number, options: RotateOptions = {}): T {
  if (typeof angle !== 'number') throw argumentError('rotate', 'angle', 'a number', angle);
  const interpolation = checkInterpolation('rotate', options.interpolation ?? 'nearest', ['nearest', 'bilinear']);
  const [channels, height, width] = get_dimensions(img);
  const fill = checkFill('rotate', options.fill ?? null, channels);
  const matrix = inverseAffineMatrix(centerOffset(options.center, width, height), -angle, [0, 0], 1.0, [0, 0]);
  const outSize = options.expand ? affineOutputSize(matrix, width, height) : undefined;
  return onImage('rotate', img, (t) => gridTransform(t, matrix, interpolation, fill, outSize));
}

/** Options of affine(). */
export interface AffineOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: InterpolationMode;
  /** The value of pixels outside the transformed image: a number, one per channel, or null. */
  fill?: number | readonly number[] | null;
  /** The centre [x, y] in pixels (default: the image centre). */
  center?: readonly [number, number] | null;
}

/**
 * Applies an affine transformation keeping the image centre fixed (torchvision:
 * `F.affine(img, angle, translate, scale, shear, interpolation=NEAREST, fill=None, center=None)`).
 *
 * Args:
 *   angle: rotation in degrees, clockwise.
 *   translate: [tx, ty] in pixels.
 *   scale: overall scale (> 0).
 *   shear: degrees; a number shears along x, [sx, sy] along both axes.
 */
export function affine<T extends ImageLike>(img: T, angle: number, translate: readonly [number, number], scale: number, shear: number | readonly number[], options: AffineOptions = {}): T {
  if (typeof angle !== 'number') throw argumentError('affine', 'angle', 'a number', angle);
  if (!Array.isArray(translate) || translate.length !== 2) throw new ValueError(`Argument translate should be a sequence of length 2, got ${String(translate)}`);
  if (typeof scale !== 'number' || !(scale > 0)) throw new ValueError('Argument scale should be positive');
  let shearXY: [number, number];
  if (typeof shear === 'number') shearXY = [shear, 0];
  else if (Array.isArray(shear) && shear.length === 1) shearXY = [shear[0], shear[0]];
  else if (Array.isArray(shear) && shear.length === 2) shearXY = [shear[0], shear[1]];
  else throw new ValueError(`Shear should be a sequence containing two values. Got ${String(shear)}`);
  const interpolation = checkInterpolation('affine', options.interpolation ?? 'nearest', ['nearest', 'bilinear']);
  const [channels, height, width] = get_dimensions(img);
  const fill = checkFill('affine', options.fill ?? null, channels);
  const matrix = inverseAffineMatrix(centerOffset(options.center, width, height), angle, [translate[0], translate[1]], scale, shearXY);
  return onImage('affine', img, (t) => gridTransform(t, matrix, interpolation, fill));
}

/**
 * Normalizes a float image per channel: `(x - mean[c]) / std[c]` (torchvision:
 * `F.normalize(tensor, mean, std, inplace=False)`).
 *
 * Shape: [..., C, H, W], float.
 */
export function normalize(tensor: Tensor, mean: number | readonly number[], std: number | readonly number[], inplace = false): Tensor {
  if (!(tensor instanceof Tensor)) throw argumentError('normalize', 'tensor', 'a Tensor', tensor);
  if (!tensor.is_floating_point()) throw new TorchTypeError(`Input tensor should be a float tensor. Got torch.${tensor.dtype.name}.`);
  if (tensor.dim() < 3) throw new ValueError(`Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [${tensor.shape.join(', ')}]`);
  const asList = (v: number | readonly number[], name: string): number[] => {
    const list = typeof v === 'number' ? [v] : Array.from(v);
    if (list.length === 0 || !list.every((x) => typeof x === 'number')) throw argumentError('normalize', name, 'a number or an array of numbers', v);
    return list;
  };
  const meanList = asList(mean, 'mean');
  const stdList = asList(std, 'std');
  return torch.tidy(() => {
    const out = inplace ? tensor : tensor.clone();
    const dtype = out.dtype;
    const meanT = torch.tensor(meanList, { dtype });
    const stdT = torch.tensor(stdList, { dtype });
    if (stdT.eq(0).any().item()) throw new ValueError(`std evaluated to zero after conversion to torch.${dtype.name}, leading to division by zero.`);
    return out.sub_(meanT.view(-1, 1, 1)).div_(stdT.view(-1, 1, 1));
  });
}

// -----------------------------------------------------------------------------------------
// Transform classes (torchvision.transforms)
// -----------------------------------------------------------------------------------------

/** Applies a TransformLike: a function is called, an object's `forward` is. */
export function applyTransform<I, O>(transform: TransformLike<I, O>, input: I): O {
  if (typeof transform === 'function') return transform(input);
  if (transform !== null && typeof transform === 'object' && typeof transform.forward === 'function') return transform.forward(input);
  throw argumentError('transform', 'transform', 'a function or an object with forward()', transform);
}

function isTransformLike(value: unknown): boolean {
  return typeof value === 'function' || (value !== null && typeof value === 'object' && typeof (value as { forward?: unknown }).forward === 'function');
}

/** Base class of the transforms: `forward(img)` transforms; `toString()` prints like torchvision's repr. */
export abstract class Transform<I = any, O = any> {
  abstract forward(input: I): O;

  /** The arguments shown by toString(). */
  protected reprArgs(): string {
    return '';
  }

  toString(): string {
    return `${this.constructor.name}(${this.reprArgs()})`;
  }
}

function fmt(value: unknown): string {
  if (Array.isArray(value)) return `(${value.map(fmt).join(', ')})`;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  return String(value);
}

/**
 * Chains transforms (torchvision: `Compose(transforms)`). Tensors produced between two steps
 * are disposed once the next step has used them, unless the output holds them.
 *
 * Example: `new Compose([new RandomCrop(28, { padding: 2 }), new ToTensor(), new Normalize([0.1307], [0.3081])])`
 */
export class Compose extends Transform {
  readonly transforms: TransformLike[];

  constructor(transforms: TransformLike[]) {
    super();
    if (!Array.isArray(transforms)) throw argumentError('Compose', 'transforms', 'an array of transforms', transforms);
    transforms.forEach((t, i) => {
      if (!isTransformLike(t)) throw argumentError('Compose', `transforms[${i}]`, 'a function or an object with forward()', t);
    });
    this.transforms = transforms;
  }

  forward(input: unknown): any {
    let current = input;
    for (const t of this.transforms) {
      const next = applyTransform(t, current);
      if (current instanceof Tensor && current !== input && current !== next && !holdsTensor(next, current)) current.dispose();
      current = next;
    }
    return current;
  }

  toString(): string {
    return `Compose(\n${this.transforms.map((t) => `    ${typeof t === 'function' ? `<function ${t.name || 'anonymous'}>` : String(t)}`).join('\n')}\n)`;
  }
}

function holdsTensor(value: unknown, t: Tensor, depth = 0): boolean {
  if (value === t) return true;
  if (depth > 8 || value === null || typeof value !== 'object' || value instanceof Tensor) return false;
  const children = Array.isArray(value) ? value : value instanceof Map ? Array.from(value.values()) : Object.values(value);
  return children.some((v) => holdsTensor(v, t, depth + 1));
}

/**
 * Converts a RawImage, or an HxW(xC) uint8 tensor, to a float tensor [C, H, W] in [0, 1]
 * (torchvision: `ToTensor()`).
 */
export class ToTensor extends Transform<RawImage | Tensor, Tensor> {
  forward(pic: RawImage | Tensor): Tensor {
    return to_tensor(pic);
  }
}

/** Converts a RawImage to a uint8 tensor [C, H, W] without scaling (torchvision: `PILToTensor()`). */
export class PILToTensor extends Transform<RawImage, Tensor> {
  forward(pic: RawImage): Tensor {
    return pil_to_tensor(pic);
  }
}

/**
 * Normalizes each channel: `(x - mean[c]) / std[c]` (torchvision: `Normalize(mean, std, inplace=False)`).
 *
 * Example: `new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])`
 */
export class Normalize extends Transform<Tensor, Tensor> {
  readonly mean: number[];
  readonly std: number[];
  readonly inplace: boolean;

  constructor(mean: number | readonly number[], std: number | readonly number[], inplace: boolean | { inplace?: boolean } = false) {
    super();
    this.mean = typeof mean === 'number' ? [mean] : Array.from(mean);
    this.std = typeof std === 'number' ? [std] : Array.from(std);
    this.inplace = typeof inplace === 'boolean' ? inplace : Boolean(inplace?.inplace);
  }

  forward(tensor: Tensor): Tensor {
    return normalize(tensor, this.mean, this.std, this.inplace);
  }

  protected reprArgs(): string {
    return `mean=${fmt(this.mean)}, std=${fmt(this.std)}`;
  }
}

/**
 * Resizes to `size` (torchvision: `Resize(size, interpolation=BILINEAR, max_size=None, antialias=None)`).
 *
 * Example: `new Resize(14)` (smaller edge to 14) or `new Resize([32, 48])`.
 */
export class Resize extends Transform<ImageLike, ImageLike> {
  readonly size: number | number[];
  readonly interpolation: InterpolationMode;
  readonly max_size: number | null;
  readonly antialias: boolean | null;

  constructor(size: number | readonly number[], options: ResizeOptions = {}) {
    super();
    if (!(typeof size === 'number' || Array.isArray(size))) throw new TorchTypeError(`Size should be int or sequence. Got ${describeImage(size)}`);
    if (Array.isArray(size) && size.length !== 1 && size.length !== 2) throw new ValueError('If size is a sequence, it should have 1 or 2 values');
    this.size = typeof size === 'number' ? size : Array.from(size);
    this.interpolation = checkInterpolation('Resize', options.interpolation ?? 'bilinear', ['nearest', 'bilinear', 'bicubic']);
    this.max_size = options.max_size ?? null;
    this.antialias = options.antialias ?? null;
  }

  forward<T extends ImageLike>(img: T): T {
    return resize(img, this.size, { interpolation: this.interpolation, max_size: this.max_size, antialias: this.antialias });
  }

  protected reprArgs(): string {
    return `size=${fmt(this.size)}, interpolation=${this.interpolation}, max_size=${fmt(this.max_size)}, antialias=${fmt(this.antialias)}`;
  }
}

/** Crops the center to `size`, zero-padding if the image is smaller (torchvision: `CenterCrop(size)`). */
export class CenterCrop extends Transform<ImageLike, ImageLike> {
  readonly size: [number, number];

  constructor(size: number | readonly number[]) {
    super();
    this.size = setupSize('CenterCrop', size);
  }

  forward<T extends ImageLike>(img: T): T {
    return center_crop(img, this.size);
  }

  protected reprArgs(): string {
    return `size=${fmt(this.size)}`;
  }
}

/** Pads every side (torchvision: `Pad(padding, fill=0, padding_mode='constant')`). */
export class Pad extends Transform<ImageLike, ImageLike> {
  readonly padding: number | number[];
  readonly fill: number;
  readonly padding_mode: PaddingMode;

  constructor(padding: number | readonly number[], options: { fill?: number; padding_mode?: PaddingMode } = {}) {
    super();
    parsePadding('Pad', padding);
    const { fill = 0, padding_mode = 'constant' } = options;
    checkPadArgs('Pad', fill, padding_mode);
    this.padding = typeof padding === 'number' ? padding : Array.from(padding);
    this.fill = fill;
    this.padding_mode = padding_mode;
  }

  forward<T extends ImageLike>(img: T): T {
    return pad(img, this.padding, { fill: this.fill, padding_mode: this.padding_mode });
  }

  protected reprArgs(): string {
    return `padding=${fmt(this.padding)}, fill=${this.fill}, padding_mode=${this.padding_mode}`;
  }
}

/** Options of RandomCrop. */
export interface RandomCropOptions {
  /** Padding applied first: an int, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[] | null;
  /** Pad an image smaller than `size` up to it (default false). */
  pad_if_needed?: boolean;
  /** The constant padding value (default 0). */
  fill?: number;
  /** 'constant' (default), 'edge', 'reflect' or 'symmetric'. */
  padding_mode?: PaddingMode;
}

/**
 * Crops a random `size` window, after optional padding (torchvision:
 * `RandomCrop(size, padding=None, pad_if_needed=False, fill=0, padding_mode='constant')`).
 * The corner is `torch.randint(0, h - th + 1, (1,))` then `torch.randint(0, w - tw + 1, (1,))`.
 *
 * Example: `new RandomCrop(32, { padding: 4 })` (CIFAR-10 augmentation)
 */
export class RandomCrop extends Transform<ImageLike, ImageLike> {
  readonly size: [number, number];
  readonly padding: number | number[] | null;
  readonly pad_if_needed: boolean;
  readonly fill: number;
  readonly padding_mode: PaddingMode;

  constructor(size: number | readonly number[], options: RandomCropOptions = {}) {
    super();
    const { padding = null, pad_if_needed = false, fill = 0, padding_mode = 'constant' } = options;
    this.size = setupSize('RandomCrop', size);
    if (padding !== null) parsePadding('RandomCrop', padding);
    checkPadArgs('RandomCrop', fill, padding_mode);
    this.padding = padding === null ? null : typeof padding === 'number' ? padding : Array.from(padding);
    this.pad_if_needed = pad_if_needed;
    this.fill = fill;
    this.padding_mode = padding_mode;
  }

  /** The window [top, left, height, width] for an image (torchvision: `RandomCrop.get_params(img, output_size)`). */
  static get_params(img: ImageLike, output_size: readonly [number, number]): [number, number, number, number] {
    const [, h, w] = get_dimensions(img);
    const [th, tw] = output_size;
    if (h < th || w < tw) throw new ValueError(`Required crop size (${th}, ${tw}) is larger than input image size (${h}, ${w})`);
    if (w === tw && h === th) return [0, 0, h, w];
    const i = torch.tidy(() => torch.randint(0, h - th + 1, [1]).item());
    const j = torch.tidy(() => torch.randint(0, w - tw + 1, [1]).item());
    return [i, j, th, tw];
  }

  forward<T extends ImageLike>(img: T): T {
    return onImage('RandomCrop', img, (t) => {
      let x = t;
      if (this.padding !== null) x = padTensor(x, this.padding, this.fill, this.padding_mode);
      const height = x.size(-2);
      const width = x.size(-1);
      if (this.pad_if_needed && width < this.size[1]) x = padTensor(x, [this.size[1] - width, 0], this.fill, this.padding_mode);
      if (this.pad_if_needed && height < this.size[0]) x = padTensor(x, [0, this.size[0] - height], this.fill, this.padding_mode);
      const [i, j, h, w] = RandomCrop.get_params(x, this.size);
      return cropTensor(x, i, j, h, w);
    });
  }

  protected reprArgs(): string {
    return `size=${fmt(this.size)}, padding=${fmt(this.padding)}`;
  }
}

/** `torch.rand(1) < p` as torchvision writes it: the float32 draw against p in float32. */
function coinFlip(p: number): boolean {
  return torch.tidy(() => torch.rand(1).item()) < Math.fround(p);
}

function checkProbability(where: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw argumentError(where, 'p', 'a probability in [0, 1]', p);
  return p;
}

/** Flips left to right with probability p (torchvision: `RandomHorizontalFlip(p=0.5)`; one `torch.rand(1)` per call). */
export class RandomHorizontalFlip extends Transform<ImageLike, ImageLike> {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkProbability('RandomHorizontalFlip', p);
  }

  forward<T extends ImageLike>(img: T): T {
    checkImage('RandomHorizontalFlip', img);
    return coinFlip(this.p) ? hflip(img) : img;
  }

  protected reprArgs(): string {
    return `p=${this.p}`;
  }
}

/** Flips top to bottom with probability p (torchvision: `RandomVerticalFlip(p=0.5)`). */
export class RandomVerticalFlip extends Transform<ImageLike, ImageLike> {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkProbability('RandomVerticalFlip', p);
  }

  forward<T extends ImageLike>(img: T): T {
    checkImage('RandomVerticalFlip', img);
    return coinFlip(this.p) ? vflip(img) : img;
  }

  protected reprArgs(): string {
    return `p=${this.p}`;
  }
}

/** torchvision's _setup_angle: a number d gives [-d, d]; else a [min, max] pair. */
function setupAngle(name: string, value: number | readonly number[], sizes: number[] = [2]): number[] {
  if (typeof value === 'number') {
    if (value < 0) throw new ValueError(`If ${name} is a single number, it must be positive.`);
    return [-value, value];
  }
  if (!Array.isArray(value) || !sizes.includes(value.length) || !value.every((v) => typeof v === 'number')) {
    throw new ValueError(`${name} should be a sequence of length ${sizes.join(' or ')}.`);
  }
  return Array.from(value);
}

/** `float(torch.empty(1).uniform_(low, high).item())`: one float32 draw from the global generator. */
function uniform(low: number, high: number): number {
  return torch.tidy(() => torch.empty(1).uniform_(low, high).item());
}

/**
 * Rotates by a random angle in [-degrees, degrees] or [min, max] (torchvision:
 * `RandomRotation(degrees, interpolation=NEAREST, expand=False, center=None, fill=0)`).
 *
 * Example: `new RandomRotation(15)`
 */
export class RandomRotation extends Transform<ImageLike, ImageLike> {
  readonly degrees: number[];
  readonly interpolation: InterpolationMode;
  readonly expand: boolean;
  readonly center: [number, number] | null;
  readonly fill: number | number[];

  constructor(degrees: number | readonly number[], options: RotateOptions = {}) {
    super();
    this.degrees = setupAngle('degrees', degrees);
    this.interpolation = checkInterpolation('RandomRotation', options.interpolation ?? 'nearest', ['nearest', 'bilinear']);
    this.expand = options.expand ?? false;
    if (options.center != null && (!Array.isArray(options.center) || options.center.length !== 2)) throw new ValueError('center should be a sequence of length 2.');
    this.center = options.center ? [options.center[0], options.center[1]] : null;
    const fill = options.fill ?? 0;
    if (typeof fill !== 'number' && !(Array.isArray(fill) && fill.every((f) => typeof f === 'number'))) throw new TorchTypeError('Fill should be either a sequence or a number.');
    this.fill = typeof fill === 'number' ? fill : Array.from(fill);
  }

  /** The angle for one call (torchvision: `RandomRotation.get_params(degrees)`). */
  static get_params(degrees: readonly number[]): number {
    return uniform(degrees[0], degrees[1]);
  }

  forward<T extends ImageLike>(img: T): T {
    const [channels] = get_dimensions(img);
    const fill = typeof this.fill === 'number' ? new Array<number>(channels).fill(this.fill) : this.fill;
    const angle = RandomRotation.get_params(this.degrees);
    return rotate(img, angle, { interpolation: this.interpolation, expand: this.expand, center: this.center, fill });
  }

  protected reprArgs(): string {
    return `degrees=${fmt(this.degrees)}, interpolation=${this.interpolation}, expand=${fmt(this.expand)}, fill=${fmt(this.fill)}`;
  }
}

/** Options of RandomAffine. */
export interface RandomAffineOptions {
  /** Maximum fractions [a, b] of the width and height for a random translation. */
  translate?: readonly [number, number] | null;
  /** A range [min, max] for a random scale. */
  scale?: readonly [number, number] | null;
  /** Shear degrees: d gives x-shear in [-d, d]; [min, max] x-shear; [xmin, xmax, ymin, ymax] both. */
  shear?: number | readonly number[] | null;
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: InterpolationMode;
  /** The value outside the transformed image (default 0). */
  fill?: number | readonly number[];
  /** The centre [x, y] in pixels (default: the image centre). */
  center?: readonly [number, number] | null;
}

/**
 * A random affine transformation keeping the centre fixed (torchvision:
 * `RandomAffine(degrees, translate=None, scale=None, shear=None, interpolation=NEAREST, fill=0, center=None)`).
 *
 * Example: `new RandomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1] })`
 */
export class RandomAffine extends Transform<ImageLike, ImageLike> {
  readonly degrees: number[];
  readonly translate: [number, number] | null;
  readonly scale: [number, number] | null;
  readonly shear: number[] | null;
  readonly interpolation: InterpolationMode;
  readonly fill: number | number[];
  readonly center: [number, number] | null;

  constructor(degrees: number | readonly number[], options: RandomAffineOptions = {}) {
    super();
    this.degrees = setupAngle('degrees', degrees);
    const { translate = null, scale = null, shear = null, center = null } = options;
    if (translate !== null) {
      if (!Array.isArray(translate) || translate.length !== 2) throw new ValueError('translate should be a sequence of length 2.');
      if (!translate.every((t) => t >= 0 && t <= 1)) throw new ValueError('translation values should be between 0 and 1');
    }
    if (scale !== null) {
      if (!Array.isArray(scale) || scale.length !== 2) throw new ValueError('scale should be a sequence of length 2.');
      if (!scale.every((s) => s > 0)) throw new ValueError('scale values should be positive');
    }
    this.translate = translate ? [translate[0], translate[1]] : null;
    this.scale = scale ? [scale[0], scale[1]] : null;
    this.shear = shear === null ? null : setupAngle('shear', shear, [2, 4]);
    this.interpolation = checkInterpolation('RandomAffine', options.interpolation ?? 'nearest', ['nearest', 'bilinear']);
    const fill = options.fill ?? 0;
    if (typeof fill !== 'number' && !(Array.isArray(fill) && fill.every((f) => typeof f === 'number'))) throw new TorchTypeError('Fill should be either a sequence or a number.');
    this.fill = typeof fill === 'number' ? fill : Array.from(fill);
    if (center !== null && (!Array.isArray(center) || center.length !== 2)) throw new ValueError('center should be a sequence of length 2.');
    this.center = center ? [center[0], center[1]] : null;
  }

  /**
   * One call's [angle, [tx, ty], scale, [shear_x, shear_y]] (torchvision:
   * `RandomAffine.get_params(degrees, translate, scale_ranges, shears, img_size)`, img_size = [width, height]).
   */
  static get_params(degrees: readonly number[], translate: readonly [number, number] | null, scale_ranges: readonly [number, number] | null, shears: readonly number[] | null, img_size: readonly [number, number]): [number, [number, number], number, [number, number]] {
    const angle = uniform(degrees[0], degrees[1]);
    let translations: [number, number] = [0, 0];
    if (translate !== null) {
      const maxDx = translate[0] * img_size[0];
      const maxDy = translate[1] * img_size[1];
      const tx = pyRound(uniform(-maxDx, maxDx));
      const ty = pyRound(uniform(-maxDy, maxDy));
      translations = [tx, ty];
    }
    const scale = scale_ranges !== null ? uniform(scale_ranges[0], scale_ranges[1]) : 1.0;
    let shearX = 0;
    let shearY = 0;
    if (shears !== null) {
      shearX = uniform(shears[0], shears[1]);
      if (shears.length === 4) shearY = uniform(shears[2], shears[3]);
    }
    return [angle, translations, scale, [shearX, shearY]];
  }

  forward<T extends ImageLike>(img: T): T {
    const [channels, height, width] = get_dimensions(img);
    const fill = typeof this.fill === 'number' ? new Array<number>(channels).fill(this.fill) : this.fill;
    const [angle, translations, scale, shear] = RandomAffine.get_params(this.degrees, this.translate, this.scale, this.shear, [width, height]);
    return affine(img, angle, translations, scale, shear, { interpolation: this.interpolation, fill, center: this.center });
  }

  protected reprArgs(): string {
    const parts = [`degrees=${fmt(this.degrees)}`];
    if (this.translate) parts.push(`translate=${fmt(this.translate)}`);
    if (this.scale) parts.push(`scale=${fmt(this.scale)}`);
    if (this.shear) parts.push(`shear=${fmt(this.shear)}`);
    return parts.join(', ');
  }
}

/**
 * Crops a random region of random area and aspect ratio, then resizes it to `size` (torchvision:
 * `RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3), interpolation=BILINEAR, antialias=None)`).
 *
 * Example: `new RandomResizedCrop(224)`
 */
export class RandomResizedCrop extends Transform<ImageLike, ImageLike> {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: InterpolationMode;
  readonly antialias: boolean | null;

  constructor(size: number | readonly number[], options: { scale?: readonly [number, number]; ratio?: readonly [number, number]; interpolation?: InterpolationMode; antialias?: boolean | null } = {}) {
    super();
    this.size = setupSize('RandomResizedCrop', size);
    const { scale = [0.08, 1.0], ratio = [3 / 4, 4 / 3] } = options;
    if (!Array.isArray(scale) || scale.length !== 2) throw new TorchTypeError('Scale should be a sequence');
    if (!Array.isArray(ratio) || ratio.length !== 2) throw new TorchTypeError('Ratio should be a sequence');
    if (scale[0] > scale[1] || ratio[0] > ratio[1]) process.emitWarning('Scale and ratio should be of kind (min, max)', { type: 'UserWarning' });
    this.scale = [scale[0], scale[1]];
    this.ratio = [ratio[0], ratio[1]];
    this.interpolation = checkInterpolation('RandomResizedCrop', options.interpolation ?? 'bilinear', ['nearest', 'bilinear', 'bicubic']);
    this.antialias = options.antialias ?? null;
  }

  /** One call's window [top, left, height, width] (torchvision: `RandomResizedCrop.get_params(img, scale, ratio)`). */
  static get_params(img: ImageLike, scale: readonly [number, number], ratio: readonly [number, number]): [number, number, number, number] {
    const [, height, width] = get_dimensions(img);
    const area = height * width;
    const logRatio = torch.tidy(() => torch.log(torch.tensor([ratio[0], ratio[1]], { dtype: torch.float32 })).tolist() as number[]);
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * uniform(scale[0], scale[1]);
      const aspectRatio = torch.tidy(() => torch.exp(torch.empty(1).uniform_(logRatio[0], logRatio[1])).item());
      const w = pyRound(Math.sqrt(targetArea * aspectRatio));
      const h = pyRound(Math.sqrt(targetArea / aspectRatio));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const i = torch.tidy(() => torch.randint(0, height - h + 1, [1]).item());
        const j = torch.tidy(() => torch.randint(0, width - w + 1, [1]).item());
        return [i, j, h, w];
      }
    }
    const inRatio = width / height;
    let w: number;
    let h: number;
    if (inRatio < Math.min(...ratio)) {
      w = width;
      h = pyRound(w / Math.min(...ratio));
    } else if (inRatio > Math.max(...ratio)) {
      h = height;
      w = pyRound(h * Math.max(...ratio));
    } else {
      w = width;
      h = height;
    }
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  forward<T extends ImageLike>(img: T): T {
    const [i, j, h, w] = RandomResizedCrop.get_params(img, this.scale, this.ratio);
    return resized_crop(img, i, j, h, w, this.size, { interpolation: this.interpolation, antialias: this.antialias });
  }

  protected reprArgs(): string {
    return `size=${fmt(this.size)}, scale=${fmt(this.scale)}, ratio=${fmt(this.ratio)}, interpolation=${this.interpolation}`;
  }
}

/**
 * A user function as a transform (torchvision: `Lambda(lambd)`).
 *
 * Example: `new Lambda((x: Tensor) => x.mul(2).sub(1))`
 */
export class Lambda<I = any, O = any> extends Transform<I, O> {
  readonly lambd: (input: I) => O;

  constructor(lambd: (input: I) => O) {
    super();
    if (typeof lambd !== 'function') throw new TorchTypeError(`Argument lambd should be callable, got '${describeImage(lambd)}'`);
    this.lambd = lambd;
  }

  forward(input: I): O {
    return this.lambd(input);
  }
}

/** torchvision.transforms.functional: the functions behind the transform classes. */
export const functional = {
  get_dimensions, to_tensor, pil_to_tensor, hflip, vflip, pad, crop, center_crop, resize, resized_crop, rotate, affine, normalize,
};
