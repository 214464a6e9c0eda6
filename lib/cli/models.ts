// The book's three models (seed 000_6684bfea08699d93, sections 4.1-4.3) as the CLI trains them
// on 28x28 grayscale images (MNIST, Fashion-MNIST). Each keeps the book's layers and names and
// changes only what the input forces; every change is marked "ADAPTED" and says why.
// examples/book/{cnn,rnn,transformer}.ts hold the listings as printed, line for line; they live
// outside lib/ (the package's build), so the CLI keeps its own adapted copies here.
//
// The parameter names (state_dict keys) are the book's, so a checkpoint loads into the same
// classes written in Python (test/cli.test.ts does exactly that).
import { ValueError } from '../errors.js';
import { Module } from '../nn/modules/module.js';
import { Conv2d } from '../nn/modules/conv.js';
import { Dropout } from '../nn/modules/dropout.js';
import { Linear } from '../nn/modules/linear.js';
import { MaxPool2d } from '../nn/modules/pooling.js';
import { RNN as RNNLayer } from '../nn/modules/rnn.js';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/modules/transformer.js';
import * as F from '../nn/functional.js';
import type { Tensor } from '../tensor.js';
import { torch } from '../torch.js';

/** The models the CLI knows. */
export const MODEL_NAMES = ['cnn', 'rnn', 'transformer'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Side of the square images (MNIST and Fashion-MNIST). */
const IMAGE_SIZE = 28;
const NUM_CLASSES = 10;

/**
 * The book's CNN (section 4.1) for 1x28x28 images.
 *
 * ADAPTED: the book's CNN takes 3x32x32 images (CIFAR-10): `Conv2d(3, 32, ...)` and
 * `fc1 = Linear(64 * 8 * 8, 128)`. For 1x28x28 images the smaller honest change is two numbers:
 * `in_channels` 1, and 64 * 7 * 7 features after two 2x2 poolings (28 -> 14 -> 7). The other way,
 * padding each image to 32x32 and repeating it over 3 channels, would keep the numbers but feed
 * the network invented data and cost about 30% more compute for nothing.
 *
 * Shape: input (N, 1, 28, 28), output (N, 10) logits.
 */
export class CNN extends Module {
  declare conv1: Conv2d;
  declare conv2: Conv2d;
  declare pool: MaxPool2d;
  declare fc1: Linear;
  declare fc2: Linear;

  constructor() {
    super();
    this.conv1 = new Conv2d(1, 32, 3, { padding: 1 }); // ADAPTED: book: Conv2d(3, 32, 3, padding=1)
    this.conv2 = new Conv2d(32, 64, 3, { padding: 1 });
    this.pool = new MaxPool2d(2, 2);
    this.fc1 = new Linear(64 * 7 * 7, 128); // ADAPTED: book: Linear(64 * 8 * 8, 128)
    this.fc2 = new Linear(128, NUM_CLASSES);
  }

  override forward(x: Tensor): Tensor {
    x = this.pool.forward(F.relu(this.conv1.forward(x)));
    x = this.pool.forward(F.relu(this.conv2.forward(x)));
    x = x.view(-1, 64 * 7 * 7); // ADAPTED: book: x.view(-1, 64 * 8 * 8)
    x = F.relu(this.fc1.forward(x));
    x = this.fc2.forward(x);
    return x;
  }
}

/**
 * The book's RNN classifier (section 4.2), unchanged: a stacked `nn.RNN` (tanh) read by a linear
 * layer at the last time step. The CLI feeds it an image's 28 rows as a sequence of 28 steps of
 * 28 pixels (input_size 28), with the book's hidden_size 50 and num_layers 2, and 10 classes.
 *
 * Shape: input (N, 28, 28) = (batch, rows as time steps, pixels per row), output (N, 10).
 */
export class RNN extends Module {
  declare hidden_size: number;
  declare num_layers: number;
  declare rnn: RNNLayer;
  declare fc: Linear;

  constructor(input_size: number, hidden_size: number, num_layers: number, num_classes: number) {
    super();
    this.hidden_size = hidden_size;
    this.num_layers = num_layers;
    this.rnn = new RNNLayer(input_size, hidden_size, num_layers, { batch_first: true });
    this.fc = new Linear(hidden_size, num_classes);
  }

  override forward(x: Tensor): Tensor {
    const h0 = torch.zeros(this.num_layers, x.size(0), this.hidden_size).to(x.device);
    const [out] = this.rnn.forward(x, h0);
    return this.fc.forward(out.index(':', -1, ':'));
  }
}

/**
 * The book's sinusoidal positional encoding (section 4.3, with the fixes of
 * examples/book/transformer.ts: the standard frequency term, dropout in forward).
 *
 * Shape: input and output (N, S, d_model).
 */
export class PositionalEncoding extends Module {
  declare dropout: Dropout;
  declare pe: Tensor;

  constructor(d_model: number, dropout: number, max_len = 5000) {
    super();
    this.dropout = new Dropout(dropout);
    torch.tidy(() => {
      const pe = torch.zeros(max_len, d_model);
      const position = torch.arange(0, max_len).unsqueeze(1);
      const div_term = torch.exp(torch.arange(0, d_model, 2).mul(-Math.log(10000.0) / d_model));
      pe.index_put_([':', '0::2'], torch.sin(position.mul(div_term)));
      pe.index_put_([':', '1::2'], torch.cos(position.mul(div_term)));
      this.register_buffer('pe', pe.unsqueeze(0));
    });
  }

  override forward(x: Tensor): Tensor {
    x = x.add(this.pe.index(':', `:${x.size(1)}`));
    return this.dropout.forward(x);
  }
}

/**
 * The book's Transformer (section 4.3) turned into an image classifier, in the way of a vision
 * transformer: the image is cut into a 7x7 grid of 4x4 patches, a sequence of 49 vectors of 16
 * pixels, which the book's stack (positional encoding, TransformerEncoder, linear read-out) reads.
 *
 * ADAPTED: the book's model maps a sequence of `ntoken`-wide vectors to `ntoken` scores per
 * position. A classifier needs (1) a front end from 16 pixels to d_model features (`embedding`,
 * a Linear), since pixels are not the book's one-hot tokens, and (2) one answer per image: the
 * encoder's outputs are averaged over the sequence before `fc`, which maps d_model to 10 classes.
 * `max_len` is the sequence length (49) instead of 5000, so the `pe` buffer saved in the
 * checkpoint stays small. Layers use batch_first=True, as in the fixed book listing.
 *
 * Shape: input (N, 49, 16) patches, output (N, 10).
 */
export class PatchTransformer extends Module {
  declare embedding: Linear;
  declare pos_encoder: PositionalEncoding;
  declare transformer_encoder: TransformerEncoder;
  declare fc: Linear;

  constructor(patch_dim: number, num_patches: number, d_model: number, nhead: number, nhid: number, dropout: number, nlayers: number, num_classes: number) {
    super();
    this.embedding = new Linear(patch_dim, d_model);
    this.pos_encoder = new PositionalEncoding(d_model, dropout, num_patches);
    const encoder_layers = new TransformerEncoderLayer(d_model, nhead, nhid, dropout, { batch_first: true });
    this.transformer_encoder = new TransformerEncoder(encoder_layers, nlayers);
    this.fc = new Linear(d_model, num_classes);
  }

  override forward(src: Tensor): Tensor {
    src = this.pos_encoder.forward(this.embedding.forward(src));
    const output = this.transformer_encoder.forward(src);
    return this.fc.forward(output.mean(1));
  }
}

/** The constructor arguments of each model, saved in the checkpoint as `model_config`. */
export interface ModelConfigs {
  cnn: Record<string, never>;
  rnn: { input_size: number; hidden_size: number; num_layers: number; num_classes: number };
  transformer: { patch_size: number; d_model: number; nhead: number; nhid: number; dropout: number; nlayers: number; num_classes: number };
}
export type ModelConfig = ModelConfigs[ModelName];

/** The configurations the CLI trains (the book's sizes where it gives them). */
export const DEFAULT_CONFIGS: ModelConfigs = {
  cnn: {},
  rnn: { input_size: IMAGE_SIZE, hidden_size: 50, num_layers: 2, num_classes: NUM_CLASSES },
  transformer: { patch_size: 4, d_model: 64, nhead: 4, nhid: 128, dropout: 0.1, nlayers: 2, num_classes: NUM_CLASSES },
};

/** Whether `name` is one of the CLI's models. */
export function isModelName(name: unknown): name is ModelName {
  return typeof name === 'string' && (MODEL_NAMES as readonly string[]).includes(name);
}

/** Builds a model from its name and configuration (the checkpoint's `args.model` and `model_config`). */
export function createModel(name: ModelName, config: Record<string, unknown> = DEFAULT_CONFIGS[name]): Module {
  const c = { ...DEFAULT_CONFIGS[name], ...config } as Record<string, number>;
  switch (name) {
    case 'cnn':
      return new CNN();
    case 'rnn':
      return new RNN(c.input_size, c.hidden_size, c.num_layers, c.num_classes);
    case 'transformer': {
      if (IMAGE_SIZE % c.patch_size !== 0) throw new ValueError(`transformer: patch_size ${c.patch_size} does not divide the image size ${IMAGE_SIZE}`);
      const grid = IMAGE_SIZE / c.patch_size;
      return new PatchTransformer(c.patch_size * c.patch_size, grid * grid, c.d_model, c.nhead, c.nhid, c.dropout, c.nlayers, c.num_classes);
    }
  }
}

/**
 * Turns a batch of images (N, 1, 28, 28) into the model's input: the images themselves for the
 * CNN, the rows as a sequence (N, 28, 28) for the RNN, and the patch sequence (N, 49, 16) for the
 * Transformer (patches in row-major order, each patch's pixels row-major).
 */
export function modelInput(name: ModelName, images: Tensor, config: Record<string, unknown> = DEFAULT_CONFIGS[name]): Tensor {
  const n = images.size(0);
  switch (name) {
    case 'cnn':
      return images;
    case 'rnn':
      return images.reshape(n, IMAGE_SIZE, IMAGE_SIZE);
    case 'transformer': {
      const p = ((config as { patch_size?: number }).patch_size ?? DEFAULT_CONFIGS.transformer.patch_size) as number;
      const g = IMAGE_SIZE / p;
      // (N, 1, g, p, g, p) -> (N, g, g, 1, p, p) -> (N, g*g, p*p)
      return images.reshape(n, 1, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(n, g * g, p * p);
    }
  }
}

/** The number of trainable parameters. */
export function countParameters(model: Module): number {
  let total = 0;
  for (const p of model.parameters()) total += p.numel();
  return total;
}
