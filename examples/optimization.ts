// The book's optimisation topics (2.3.2 "学习率调整、批量大小调整、权重裁剪、正则化", and Q3-Q6: gradient
// descent, mini-batches, regularisation, Dropout) on one model: a one-hidden-layer MLP trained on a
// small MNIST subset (small, so that over-fitting and regularisation show). Each variant changes one
// thing against the baseline; a table prints its effect, and the example checks the effect each
// technique is for: a schedule sets the learning rate it promises, a larger batch takes fewer steps,
// gradient clipping tames a learning rate too large to train well without it, weight clipping bounds the
// weights, weight decay shrinks them, dropout narrows the train/test gap.
//
// Run: npx tsx examples/optimization.ts [--quick]
import torch, { data, nn, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { QUICK, accuracy, banner, fmt, loadMnist, pick, report, table } from './_common.js';

banner('optimization', 'learning-rate schedules, batch size, gradient/weight clipping, weight decay, dropout');

const train = loadMnist({ train: true, limit: pick(500, 2000) });
const test = loadMnist({ train: false, limit: 1000 });
const epochs = pick(6, 15);

/** What a variant changes against the baseline. */
interface Variant {
  name: string;
  lr?: number;
  batch_size?: number;
  /** Makes a learning-rate scheduler for the optimizer; stepped once per epoch or per batch. */
  scheduler?: (opt: optim.Optimizer, stepsPerEpoch: number) => { step(): void; get_last_lr(): number[] };
  perBatch?: boolean;
  /** nn.utils.clip_grad_norm_(model.parameters(), max_norm) before each step. */
  clip_grad_norm?: number;
  /** Clamp every weight into [-c, c] after each step (WGAN's weight clipping). */
  clip_weights?: number;
  /** SGD's weight_decay: L2 regularisation folded into the update. */
  weight_decay?: number;
  /** Dropout after the hidden layer. */
  dropout?: number;
}

/** The model: Flatten -> Linear(784, 128) -> ReLU -> Dropout(p) -> Linear(128, 10). */
function makeModel(p: number): nn.Sequential {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Dropout(p), new nn.Linear(128, 10));
}

interface Result {
  variant: Variant;
  steps: number;
  lastLr: number;
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  weightNorm: number;
  maxAbsWeight: number;
  meanGradNorm: number;
  seconds: number;
}

function run(variant: Variant): Result {
  torch.manual_seed(0); // the same initial weights and batch order for every variant
  const model = makeModel(variant.dropout ?? 0);
  const batch_size = variant.batch_size ?? 32;
  const loader = new data.DataLoader(new data.TensorDataset(train.images, train.labels), { batch_size, shuffle: true, disposeBatches: true });
  const optimizer = new optim.SGD(model.parameters(), { lr: variant.lr ?? 0.05, momentum: 0.9, weight_decay: variant.weight_decay ?? 0 });
  const scheduler = variant.scheduler?.(optimizer, loader.length);
  const weights = [...model.named_parameters()].filter(([name]) => name.endsWith('weight')).map(([, p]) => p);
  let steps = 0;
  let gradNormSum = 0;
  const start = performance.now();
  model.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [x, y] of loader) {
      torch.tidy(() => {
        optimizer.zero_grad();
        F.cross_entropy(model.forward(x), y).backward();
        // clip_grad_norm_ rescales all gradients together so that their joint L2 norm is at most
        // max_norm, and returns the norm they had before; here it also measures the norm (max_norm = inf).
        gradNormSum += nn.utils.clip_grad_norm_(model.parameters(), variant.clip_grad_norm ?? Infinity).item() as number;
        optimizer.step();
        // Weight clipping acts on the weights themselves, after the step, without autograd.
        if (variant.clip_weights !== undefined) torch.no_grad(() => weights.forEach((w) => w.clamp_(-variant.clip_weights!, variant.clip_weights!)));
      });
      steps++;
      if (variant.perBatch) scheduler?.step();
    }
    if (!variant.perBatch) scheduler?.step();
  }
  const seconds = (performance.now() - start) / 1000;
  model.eval(); // dropout off for every evaluation
  const trainLoss = torch.no_grad(() => torch.tidy(() => F.cross_entropy(model.forward(train.images), train.labels).item() as number));
  return {
    variant, steps, seconds, trainLoss,
    lastLr: optimizer.param_groups[0].lr as number,
    trainAcc: accuracy(model, train.images, train.labels),
    testAcc: accuracy(model, test.images, test.labels),
    weightNorm: torch.no_grad(() => torch.tidy(() => Math.sqrt(weights.reduce((s, w) => s + (w.pow(2).sum().item() as number), 0)))),
    maxAbsWeight: torch.no_grad(() => torch.tidy(() => Math.max(...weights.map((w) => w.abs().max().item() as number)))),
    meanGradNorm: gradNormSum / steps,
  };
}

const highLr = 0.5; // 10x the baseline's
const variants: Variant[] = [
  { name: 'baseline (SGD lr 0.05, momentum 0.9, batch 32)' },
  // Python: StepLR(optimizer, step_size=epochs // 3, gamma=0.2), scheduler.step() once per epoch.
  { name: 'lr schedule: StepLR x0.2 every third', scheduler: (opt) => new optim.lr_scheduler.StepLR(opt, Math.floor(epochs / 3), { gamma: 0.2 }) },
  // Python: CosineAnnealingLR(optimizer, T_max=total_steps), scheduler.step() once per batch.
  { name: 'lr schedule: CosineAnnealingLR', scheduler: (opt, n) => new optim.lr_scheduler.CosineAnnealingLR(opt, epochs * n), perBatch: true },
  { name: 'batch size 8', batch_size: 8 },
  { name: 'batch size 256', batch_size: 256 },
  { name: `lr ${highLr}, no clipping`, lr: highLr },
  { name: `lr ${highLr} + clip_grad_norm_(0.5)`, lr: highLr, clip_grad_norm: 0.5 },
  { name: 'weight clipping to [-0.05, 0.05]', clip_weights: 0.05 },
  { name: 'L2: weight_decay 5e-3', weight_decay: 5e-3 },
  { name: 'dropout 0.5', dropout: 0.5 },
];
const results = variants.map((v) => {
  const r = run(v);
  console.log(`trained: ${v.name} (${fmt(r.seconds, 1)} s)`);
  return r;
});
console.log(`${train.images.size(0)} training images, ${test.images.size(0)} test images, ${epochs} epochs each`);
console.log(table(
  ['variant', 'steps', 'last lr', 'train loss', 'train acc', 'test acc', 'gap', '|w|', 'max|w|', 'mean |grad|', 'seconds'],
  results.map((r) => [
    r.variant.name, String(r.steps), fmt(r.lastLr, 5), fmt(r.trainLoss, 3), `${fmt(r.trainAcc * 100, 1)}%`, `${fmt(r.testAcc * 100, 1)}%`,
    fmt((r.trainAcc - r.testAcc) * 100, 1), fmt(r.weightNorm, 2), fmt(r.maxAbsWeight, 3), fmt(r.meanGradNorm, 2), fmt(r.seconds, 1),
  ]),
));

const [base, step, cosine, small, large, high, clipped, wclip, decay, dropout] = results;
const bound = pick(0.8, 0.85);
const gap = (r: Result) => r.trainAcc - r.testAcc;
report('optimization', `baseline test accuracy ${fmt(base.testAcc * 100, 1)}%; ${variants.length} variants compared`, [
  { claim: `the baseline learns (test accuracy > ${bound * 100}%)${QUICK ? ' (quick-mode bound)' : ''}`, ok: base.testAcc > bound },
  { claim: `StepLR ends at 0.05 x 0.2^${Math.floor(epochs / Math.floor(epochs / 3))} and CosineAnnealingLR at ~0`, ok: Math.abs(step.lastLr - 0.05 * 0.2 ** Math.floor(epochs / Math.floor(epochs / 3))) < 1e-12 && cosine.lastLr < 1e-6 },
  { claim: 'a larger batch takes fewer steps and ends at a higher training loss than batch 32 (same epochs, same lr)', ok: large.steps < base.steps && large.trainLoss > base.trainLoss && small.steps > base.steps },
  { claim: `at lr ${highLr}, clip_grad_norm_ lowers the training loss and adds 5+ points of test accuracy`, ok: clipped.trainLoss < high.trainLoss && clipped.testAcc > high.testAcc + 0.05 },
  { claim: 'weight clipping keeps every weight within [-0.05, 0.05]', ok: wclip.maxAbsWeight <= Math.fround(0.05) }, // float32's 0.05
  { claim: 'weight decay gives a smaller weight norm than the baseline', ok: decay.weightNorm < base.weightNorm },
  { claim: 'dropout narrows the train/test accuracy gap', ok: gap(dropout) < gap(base) },
]);
