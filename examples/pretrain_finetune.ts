// Pretraining then fine-tuning (the book's 2.2 "预训练模型与微调模型"): pretrain the book's CNN on
// MNIST digits 0-4, save it with torch.save, load it back, freeze the convolutional layers with
// requires_grad_(false), put a new head on it and fine-tune on a few labelled digits 5-9, with a
// lower learning rate for the pretrained fc1 than for the new head (optimizer parameter groups).
// Checks: the frozen weights did not change, the fine-tuned accuracy clears a bound, and with the
// same short fine-tuning budget the pretrained trunk beats the same recipe on random weights.
//
// Run: npx tsx examples/pretrain_finetune.ts [--quick]
import { join } from 'node:path';
import torch, { data, nn, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { BookCNN, QUICK, accuracy, banner, fmt, loadMnist, outputDir, pick, report } from './_common.js';

banner('pretrain_finetune', 'pretrain on digits 0-4, fine-tune a new head on digits 5-9');
torch.manual_seed(0);

// ---- data: two tasks from MNIST -----------------------------------------------------------
const train = loadMnist({ train: true, limit: pick(5000, 8000) });
const test = loadMnist({ train: false, limit: 2000 });
/** The images and labels (0-4) of the digits in [lo, lo + 5). Python: `x[(y >= lo) & (y < lo + 5)]`. */
function digits(set: { images: Tensor; labels: Tensor }, lo: number, limit = Infinity) {
  const mask = set.labels.ge(lo).logical_and(set.labels.lt(lo + 5));
  const n = Math.min(limit, mask.sum().item() as number);
  return { images: set.images.index(mask).index(`:${n}`), labels: set.labels.index(mask).sub(lo).index(`:${n}`) };
}
const pretrainSet = digits(train, 0);
const pretrainTest = digits(test, 0);
const fewLabels = 50; // the "small labelled task": 10 digits per class
const finetuneSet = digits(train, 5, fewLabels);
const finetuneTest = digits(test, 5);
console.log(`pretraining images: ${pretrainSet.images.size(0)}, fine-tuning images: ${fewLabels}, test images: ${finetuneTest.images.size(0)}`);

/**
 * The usual PyTorch loop: for each batch, zero_grad, forward, loss, backward, step. torch.tidy
 * frees the step's intermediate tensors at once (JS has no reference counting to do it for us).
 */
function fit(model: nn.Module, optimizer: optim.Optimizer, set: { images: Tensor; labels: Tensor }, epochs: number, batch_size: number): number {
  const loader = new data.DataLoader(new data.TensorDataset(set.images, set.labels), { batch_size, shuffle: true, disposeBatches: true });
  model.train();
  let last = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [x, y] of loader) {
      last = torch.tidy(() => {
        optimizer.zero_grad();
        const loss = F.cross_entropy(model.forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item() as number;
      });
    }
  }
  return last;
}

// ---- 1. pretrain ------------------------------------------------------------------------------
const pretrained = new BookCNN(5);
const pretrainEpochs = pick(2, 3);
const pretrainLoss = fit(pretrained, new optim.Adam(pretrained.parameters(), { lr: 1e-3 }), pretrainSet, pretrainEpochs, 64);
const pretrainAcc = accuracy(pretrained, pretrainTest.images, pretrainTest.labels);
console.log(`pretrained ${pretrainEpochs} epoch(s): last loss ${fmt(pretrainLoss)}, test accuracy on digits 0-4: ${fmt(pretrainAcc * 100, 1)}%`);

// ---- 2. save and load -------------------------------------------------------------------------
// Python: torch.save(model.state_dict(), path); model.load_state_dict(torch.load(path)).
// The file is a real PyTorch checkpoint: Python's torch.load reads it too.
const checkpoint = join(outputDir(), 'pretrained_cnn.pt');
torch.save(pretrained.state_dict(), checkpoint);
const model = new BookCNN(5);
model.load_state_dict(torch.load(checkpoint));
console.log(`saved and reloaded ${checkpoint}`);

// ---- 3. freeze the lower layers, new head, parameter groups ------------------------------------
/**
 * Freezes conv1 and conv2, replaces fc2 by a new 5-way head, and fine-tunes on the few labels with
 * two parameter groups: the pretrained fc1 at a ~30x lower learning rate than the new head.
 */
function finetune(model: BookCNN, epochs: number, log = false): void {
  // Python: model.conv1.requires_grad_(False) (Module.requires_grad_ sets it on every parameter).
  model.conv1.requires_grad_(false);
  model.conv2.requires_grad_(false);
  model.fc2 = new nn.Linear(model.fc1.out_features, 5); // assigning a Module registers it, as in Python
  // Python: optim.Adam([{'params': model.fc1.parameters(), 'lr': 3e-4},
  //                     {'params': model.fc2.parameters()}], lr=1e-2)
  // The second group takes the default lr. Frozen parameters are simply not handed to the optimizer.
  const optimizer = new optim.Adam([{ params: model.fc1.parameters(), lr: 3e-4 }, { params: model.fc2.parameters() }], { lr: 1e-2 });
  if (log) console.log(`learning rate per parameter group: ${optimizer.param_groups.map((g) => g.lr).join(', ')}`);
  fit(model, optimizer, finetuneSet, epochs, 20);
}

const epochs = 30; // a short budget: 30 epochs of 50 images = 90 steps
const frozenBefore = [model.conv1.weight, model.conv1.bias!, model.conv2.weight, model.conv2.bias!].map((p) => p.clone());
const fc1Before = model.fc1.weight.clone();
finetune(model, epochs, true);
const finetunedAcc = accuracy(model, finetuneTest.images, finetuneTest.labels);
const frozenAfter = [model.conv1.weight, model.conv1.bias!, model.conv2.weight, model.conv2.bias!];
const frozenUnchanged = frozenBefore.every((w, i) => torch.equal(w, frozenAfter[i]));
const frozenNoGrad = frozenAfter.every((p) => !p.requires_grad && p.grad === null);
const fc1Moved = !torch.equal(fc1Before, model.fc1.weight);
const trainable = [...model.parameters()].filter((p) => p.requires_grad).reduce((n, p) => n + p.numel(), 0);
const total = [...model.parameters()].reduce((n, p) => n + p.numel(), 0);
console.log(`fine-tuned ${trainable} of ${total} parameters on ${fewLabels} labels for ${epochs} epochs: test accuracy on digits 5-9 ${fmt(finetunedAcc * 100, 1)}%`);

// ---- 4. the same recipe without pretraining, and a whole CNN from scratch ----------------------
// The fair ablation: identical frozen layers, head, optimizer and step budget, but random instead
// of pretrained weights; the pretrained trunk makes the new head learn faster. A whole CNN with
// every layer trainable from scratch is printed for reference: MNIST is easy enough that a small
// CNN learns much from 50 labels on its own (its convolutions adapt to digits 5-9, frozen ones do not).
torch.manual_seed(1);
const randomFrozen = new BookCNN(5);
finetune(randomFrozen, epochs);
const randomAcc = accuracy(randomFrozen, finetuneTest.images, finetuneTest.labels);
console.log(`same recipe on a random (not pretrained) CNN:  test accuracy on digits 5-9 ${fmt(randomAcc * 100, 1)}%`);
torch.manual_seed(1);
const scratch = new BookCNN(5);
fit(scratch, new optim.Adam(scratch.parameters(), { lr: 1e-3 }), finetuneSet, epochs, 20);
const scratchAcc = accuracy(scratch, finetuneTest.images, finetuneTest.labels);
console.log(`whole CNN trained from scratch (reference):    test accuracy on digits 5-9 ${fmt(scratchAcc * 100, 1)}%`);

const bound = pick(0.65, 0.7);
report('pretrain_finetune', `fine-tuned ${fmt(finetunedAcc * 100, 1)}% vs ${fmt(randomAcc * 100, 1)}% without pretraining (digits 5-9, ${fewLabels} labels)`, [
  { claim: `pretraining learned digits 0-4 (test accuracy ${fmt(pretrainAcc * 100, 1)}% > 90%)`, ok: pretrainAcc > 0.9 },
  { claim: 'frozen conv1/conv2 parameters are bit-for-bit unchanged and got no gradient', ok: frozenUnchanged && frozenNoGrad },
  { claim: 'fc1 (the lower learning-rate group) did change', ok: fc1Moved },
  { claim: `fine-tuned accuracy ${fmt(finetunedAcc * 100, 1)}% > ${bound * 100}%${QUICK ? ' (quick-mode bound)' : ''}`, ok: finetunedAcc > bound },
  { claim: `pretrained weights beat the same recipe on random weights (${fmt(randomAcc * 100, 1)}%) by 3+ points with the same budget`, ok: finetunedAcc > randomAcc + 0.03 },
]);
