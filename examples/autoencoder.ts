// Self-supervised learning, images (the book's 2.2.1: "图像自编码器通过最小化重构误差来学习图像特征"): a
// convolutional autoencoder on MNIST. The encoder squeezes each 28x28 digit into a short code; the
// decoder (transposed convolutions) rebuilds the image from it; the loss is the reconstruction
// error, so no label is used. Checks: the test reconstruction MSE is well below the baseline of
// predicting the mean training image for every digit. Writes originals above reconstructions as a PNG.
//
// Run: npx tsx examples/autoencoder.ts [--quick] [--out DIR]
import { join } from 'node:path';
import torch, { data, nn, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { QUICK, banner, fmt, loadMnist, outputDir, pick, report, saveImageGrid } from './_common.js';

banner('autoencoder', 'convolutional autoencoder on MNIST, reconstruction error vs the mean image');
torch.manual_seed(0);

const train = loadMnist({ train: true, limit: pick(2000, 8000) }).images; // labels are not used
const test = loadMnist({ train: false, limit: 1000 }).images;
const codeSize = 16;

// nn.Sequential as in Python: Conv2d with stride 2 halves the image (28 -> 14 -> 7),
// ConvTranspose2d with stride 2 and output_padding 1 doubles it back (7 -> 14 -> 28).
const encoder = new nn.Sequential(
  new nn.Conv2d(1, 16, 3, { stride: 2, padding: 1 }), new nn.ReLU(),
  new nn.Conv2d(16, 32, 3, { stride: 2, padding: 1 }), new nn.ReLU(),
  new nn.Flatten(), new nn.Linear(32 * 7 * 7, codeSize),
);
const decoder = new nn.Sequential(
  new nn.Linear(codeSize, 32 * 7 * 7), new nn.ReLU(), new nn.Unflatten(1, [32, 7, 7]),
  new nn.ConvTranspose2d(32, 16, 3, { stride: 2, padding: 1, output_padding: 1 }), new nn.ReLU(),
  new nn.ConvTranspose2d(16, 1, 3, { stride: 2, padding: 1, output_padding: 1 }), new nn.Sigmoid(),
);
const autoencoder = new nn.Sequential(encoder, decoder);
console.log(`code size ${codeSize} (from 784 pixels), ${[...autoencoder.parameters()].reduce((n, p) => n + p.numel(), 0)} parameters`);

/** Mean squared reconstruction error over a set of images (eval mode, no autograd). */
function reconstructionMse(images: Tensor): number {
  return torch.no_grad(() => torch.tidy(() => F.mse_loss(autoencoder.forward(images), images).item() as number));
}

// The baseline a model must beat: predict the mean training image for every test image.
const meanImage = train.mean(0, { keepdim: true });
const baseline = torch.tidy(() => F.mse_loss(meanImage.expand_as(test), test).item() as number);
const before = reconstructionMse(test);

// Training: the target is the input itself. A TensorDataset of one tensor yields [x] batches.
// The loss is binary cross-entropy (pixels in [0, 1] read as probabilities of ink): it trains much
// faster than MSE through the sigmoid, which at first only learns the mean image. MSE is reported.
const loader = new data.DataLoader(new data.TensorDataset(train), { batch_size: 32, shuffle: true, disposeBatches: true });
const optimizer = new optim.Adam(autoencoder.parameters(), { lr: 5e-3 });
const epochs = pick(3, 10);
for (let epoch = 1; epoch <= epochs; epoch++) {
  let sum = 0;
  let batches = 0;
  for (const [x] of loader) {
    sum += torch.tidy(() => {
      optimizer.zero_grad();
      const reconstruction = autoencoder.forward(x);
      F.binary_cross_entropy(reconstruction, x).backward();
      optimizer.step();
      return F.mse_loss(reconstruction.detach(), x).item() as number;
    });
    batches++;
  }
  console.log(`epoch ${epoch}/${epochs}: train MSE ${fmt(sum / batches)}, test MSE ${fmt(reconstructionMse(test))}`);
}
const after = reconstructionMse(test);

// Originals (top row) above their reconstructions (bottom row), like torchvision.utils.save_image.
const png = join(outputDir(), 'autoencoder_reconstructions.png');
torch.no_grad(() => torch.tidy(() => {
  const originals = test.index(':10');
  saveImageGrid(torch.cat([originals, autoencoder.forward(originals)]), png, 10);
}));
console.log(`wrote ${png}`);

const ratio = after / baseline;
const bound = pick(0.6, 0.35);
console.log(`test MSE: untrained ${fmt(before)}, mean-image baseline ${fmt(baseline)}, trained ${fmt(after)} (${fmt(ratio * 100, 1)}% of the baseline)`);
report('autoencoder', `test reconstruction MSE ${fmt(after)} vs mean-image baseline ${fmt(baseline)}`, [
  { claim: `reconstruction MSE < ${bound * 100}% of the mean-image baseline${QUICK ? ' (quick-mode bound)' : ''}`, ok: ratio < bound },
  { claim: 'training lowered the test MSE', ok: after < before },
]);
