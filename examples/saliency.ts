// Explainability (the book's 5.3 "解释性AI"): an input-gradient saliency map for the book's CNN. Train
// the CNN on MNIST, then ask which pixels the predicted class score is most sensitive to: the
// gradient of that score with respect to the input image, |d score / d pixel|. Checks: the saliency
// lies on the digit's strokes more than on the background (and more so than for the untrained CNN),
// and torch.autograd.grad gives the same map as .backward() + x.grad. Writes digits above their
// saliency maps as a PNG.
//
// Run: npx tsx examples/saliency.ts [--quick] [--out DIR]
import { join } from 'node:path';
import torch, { data, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { BookCNN, QUICK, accuracy, banner, fmt, hotColormap, loadMnist, outputDir, pick, report, saveImageGrid } from './_common.js';

banner('saliency', 'input-gradient saliency maps of the book\'s CNN on MNIST');
torch.manual_seed(0);
const train = loadMnist({ train: true, limit: pick(2000, 8000) });
const test = loadMnist({ train: false, limit: 1000 });
const model = new BookCNN(10);

/**
 * Saliency, the PyTorch way: make the input a leaf that requires grad, run the model, backpropagate
 * the score of the chosen class, read x.grad. Python:
 *     x = images.clone().requires_grad_(); model(x).gather(1, labels[:, None]).sum().backward(); x.grad.abs()
 * Summing the scores is fine: image i's score depends only on image i (eval mode, no batch norm).
 */
function saliency(images: Tensor, classes: Tensor): Tensor {
  return torch.tidy(() => {
    model.eval();
    const x = images.clone().requires_grad_();
    model.forward(x).gather(1, classes.unsqueeze(1)).sum().backward();
    return x.grad!.abs();
  });
}

/** Per image: mean saliency on the digit's pixels (ink > 0.2) over mean saliency on the background. */
function concentration(images: Tensor, maps: Tensor): Tensor {
  return torch.tidy(() => {
    const ink = images.gt(0.2).float();
    const onDigit = maps.mul(ink).sum([1, 2, 3]).div(ink.sum([1, 2, 3]));
    const offDigit = maps.mul(ink.neg().add(1)).sum([1, 2, 3]).div(ink.neg().add(1).sum([1, 2, 3]));
    return onDigit.div(offDigit);
  });
}

const probe = test.images.index(':200');
const probeLabels = test.labels.index(':200');
const untrainedRatio = torch.tidy(() => concentration(probe, saliency(probe, probeLabels)).mean().item() as number);

// Train the CNN (the usual loop; see pretrain_finetune.ts for the commented version).
const loader = new data.DataLoader(new data.TensorDataset(train.images, train.labels), { batch_size: 32, shuffle: true, disposeBatches: true });
const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
const epochs = pick(1, 3);
for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  for (const [x, y] of loader) {
    torch.tidy(() => {
      optimizer.zero_grad();
      F.cross_entropy(model.forward(x), y).backward();
      optimizer.step();
    });
  }
  console.log(`epoch ${epoch}/${epochs}: test accuracy ${fmt(accuracy(model, test.images, test.labels) * 100, 1)}%`);
}
const testAcc = accuracy(model, test.images, test.labels);

// Saliency of the predicted class for 200 test digits.
const predicted = torch.no_grad(() => model.eval().forward(probe).argmax(1));
const maps = saliency(probe, predicted);
const ratios = concentration(probe, maps);
const trainedRatio = ratios.mean().item() as number;
const share = torch.tidy(() => ratios.gt(1).float().mean().item() as number);

// The same map with torch.autograd.grad, which returns the gradient instead of accumulating it in .grad.
// Python: (g,) = torch.autograd.grad(model(x).gather(1, c[:, None]).sum(), x)
const agree = torch.tidy(() => {
  const x = probe.index(':8').clone().requires_grad_();
  const [g] = torch.autograd.grad(model.forward(x).gather(1, predicted.index(':8').unsqueeze(1)).sum(), x);
  return torch.allclose(g!.abs(), maps.index(':8'));
});

// 12 digits (top) above their saliency maps (bottom), each map scaled to its own maximum.
const png = join(outputDir(), 'saliency.png');
torch.tidy(() => {
  const digits = probe.index(':12');
  const m = maps.index(':12');
  const scaled = m.div(m.amax([1, 2, 3], { keepdim: true }));
  saveImageGrid(torch.cat([digits.expand(12, 3, 28, 28), hotColormap(scaled)]), png, 12);
});
console.log(`wrote ${png}`);
console.log(`saliency on digit pixels / on background: ${fmt(untrainedRatio, 2)} untrained, ${fmt(trainedRatio, 2)} trained (mean over 200 digits; ${fmt(share * 100, 0)}% of digits above 1)`);

const bound = pick(1.5, 2);
report('saliency', `saliency ${fmt(trainedRatio, 2)}x denser on the digit than on the background (untrained: ${fmt(untrainedRatio, 2)}x), test accuracy ${fmt(testAcc * 100, 1)}%`, [
  { claim: `the CNN learned (test accuracy ${fmt(testAcc * 100, 1)}% > ${pick(85, 95)}%)${QUICK ? ' (quick-mode bound)' : ''}`, ok: testAcc > pick(0.85, 0.95) },
  { claim: `saliency per pixel is ${bound}x+ higher on the digit than on the background${QUICK ? ' (quick-mode bound)' : ''}`, ok: trainedRatio > bound },
  { claim: 'training concentrated the saliency on the digit (ratio above the untrained CNN\'s)', ok: trainedRatio > untrainedRatio },
  { claim: 'torch.autograd.grad and .backward() + x.grad give the same map', ok: agree },
]);
