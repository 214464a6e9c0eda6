// A GAN on MNIST (the book's Q7: "生成对抗网络……通过两个神经网络（生成器和判别器）之间的对抗训练来生成新的数据
// 样本"): a small DCGAN. The generator turns noise into 28x28 images with transposed convolutions;
// the discriminator, a small CNN, tells real digits from generated ones; they are trained in turn.
// Checks: both losses move away from their starting values, the generated images' mean image gets
// much closer to the real one, and a grid of generated digits is written as a PNG.
//
// Run: npx tsx examples/gan.ts [--quick] [--out DIR]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import torch, { data, nn, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { QUICK, banner, fmt, loadMnist, outputDir, pick, report, saveImageGrid } from './_common.js';

banner('gan', 'DCGAN on MNIST, writes a grid of generated digits');
torch.manual_seed(0);

// Real images scaled to [-1, 1] to match the generator's tanh. Python: transforms.Normalize((0.5,), (0.5,))
const real = loadMnist({ train: true, limit: pick(2000, 8000) }).images.mul(2).sub(1);
const zDim = 32;

const generator = new nn.Sequential(
  new nn.Linear(zDim, 64 * 7 * 7), new nn.BatchNorm1d(64 * 7 * 7), new nn.ReLU(), new nn.Unflatten(1, [64, 7, 7]),
  new nn.ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), // 7 -> 14
  new nn.ConvTranspose2d(32, 1, 4, { stride: 2, padding: 1 }), new nn.Tanh(), //                      14 -> 28
);
const discriminator = new nn.Sequential(
  new nn.Conv2d(1, 32, 4, { stride: 2, padding: 1 }), new nn.LeakyReLU(0.2), //                      28 -> 14
  new nn.Conv2d(32, 64, 4, { stride: 2, padding: 1 }), new nn.BatchNorm2d(64), new nn.LeakyReLU(0.2), // 14 -> 7
  new nn.Flatten(), new nn.Linear(64 * 7 * 7, 1), // a logit: real (1) or generated (0)
);

// DCGAN's settings: Adam with lr 2e-4 and beta1 0.5; the loss is binary cross-entropy on logits.
const optG = new optim.Adam(generator.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
const optD = new optim.Adam(discriminator.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
const batch = pick(32, 64);
const ones = torch.ones(batch, 1);
const zeros = torch.zeros(batch, 1);
const fixedNoise = torch.randn(64, zDim); // the noise behind the PNG grid (the DCGAN tutorial's fixed_noise)

const realMean = real.mean(0);
/**
 * L1 distance between the mean generated image and the mean real image, in [0, 1] pixel units: a
 * cheap sign that the generator puts ink where digits have it (0.38 for the untrained generator).
 */
function meanImageDistance(): number {
  generator.eval();
  const d = torch.no_grad(() => torch.tidy(() => generator.forward(torch.randn(500, zDim)).mean(0).sub(realMean).abs().mean().div(2).item() as number));
  generator.train();
  return d;
}
const distanceBefore = meanImageDistance();

const loader = new data.DataLoader(new data.TensorDataset(real), { batch_size: batch, shuffle: true, drop_last: true, disposeBatches: true });
const epochs = pick(1, 8);
const lossesD: number[] = [];
const lossesG: number[] = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
  for (const [x] of loader) {
    torch.tidy(() => {
      // 1. Discriminator: real images -> 1, generated images -> 0. detach() keeps this step's
      //    gradient out of the generator, exactly as in PyTorch.
      const fake = generator.forward(torch.randn(batch, zDim));
      optD.zero_grad();
      const lossD = F.binary_cross_entropy_with_logits(discriminator.forward(x), ones)
        .add(F.binary_cross_entropy_with_logits(discriminator.forward(fake.detach()), zeros));
      lossD.backward();
      optD.step();
      // 2. Generator: make the discriminator say 1 for its images (the "non-saturating" loss).
      optG.zero_grad();
      const lossG = F.binary_cross_entropy_with_logits(discriminator.forward(fake), ones);
      lossG.backward();
      optG.step();
      lossesD.push(lossD.item() as number);
      lossesG.push(lossG.item() as number);
    });
  }
  const recent = (l: number[]) => l.slice(-loader.length).reduce((a, b) => a + b, 0) / loader.length;
  console.log(`epoch ${epoch}/${epochs}: D loss ${fmt(recent(lossesD))}, G loss ${fmt(recent(lossesG))}, mean-image distance ${fmt(meanImageDistance())}`);
}
const distanceAfter = meanImageDistance();

// 64 digits from the fixed noise, 8 per row (torchvision.utils.save_image(fake, path, nrow=8, normalize=True)).
const png = join(outputDir(), 'gan_digits.png');
generator.eval();
const [width, height] = torch.no_grad(() => torch.tidy(() => saveImageGrid(generator.forward(fixedNoise).add(1).div(2), png, 8)));
console.log(`wrote ${png} (${width}x${height})`);

const mean = (l: number[]) => l.reduce((a, b) => a + b, 0) / l.length;
const k = 20; // average the first and last k steps: single GAN steps are noisy
const [d0, d1, g0, g1] = [mean(lossesD.slice(0, k)), mean(lossesD.slice(-k)), mean(lossesG.slice(0, k)), mean(lossesG.slice(-k))];
console.log(`D loss ${fmt(d0)} -> ${fmt(d1)}, G loss ${fmt(g0)} -> ${fmt(g1)} over ${lossesD.length} steps`);
console.log(`mean generated image vs mean real image (L1): ${fmt(distanceBefore)} before training, ${fmt(distanceAfter)} after`);
const bound = pick(0.6, 0.25);
report('gan', `D loss ${fmt(d0, 2)} -> ${fmt(d1, 2)}, G loss ${fmt(g0, 2)} -> ${fmt(g1, 2)}, mean-image distance ${fmt(distanceBefore, 3)} -> ${fmt(distanceAfter, 3)}`, [
  { claim: 'losses are finite and both moved by more than 0.1 from their first steps', ok: [d0, d1, g0, g1].every(Number.isFinite) && Math.abs(d1 - d0) > 0.1 && Math.abs(g1 - g0) > 0.1 },
  { claim: `the generated images' mean image got closer to the real one: under ${bound * 100}% of its starting distance${QUICK ? ' (quick-mode bound)' : ''}`, ok: distanceAfter < bound * distanceBefore },
  { claim: 'the PNG grid was written', ok: existsSync(png) && width === 8 * 30 + 2 && height === 8 * 30 + 2 },
]);
