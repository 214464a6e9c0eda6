// The book's CNN (section 4.1, "使用PyTorch实现卷积神经网络"), ported line for line, with the
// Python beside each line. The listing runs as printed once F is imported (marked "FIX").
// test/nn_layers_misc.test.ts checks that the same class gives PyTorch's initial weights,
// outputs and SGD losses for the same seed. `torch-node train cnn` trains it on Fashion-MNIST
// (lib/cli/models.ts: the same class adapted to 1x28x28 images).
//
// Run: npx tsx examples/book/cnn.ts
import { pathToFileURL } from 'node:url';
import torch, { nn, optim, type Tensor } from '../../lib/index.js';
import * as F from '../../lib/nn/functional.js';

// import torch
// import torch.nn as nn
// import torch.nn.functional as F      # FIX: the book uses F.relu without importing F

// class CNN(nn.Module):
/** The book's CNN: two 3x3 convolutions with max pooling, then two linear layers. Input (N, 3, 32, 32). */
export class CNN extends nn.Module {
  declare conv1: nn.Conv2d;
  declare conv2: nn.Conv2d;
  declare pool: nn.MaxPool2d;
  declare fc1: nn.Linear;
  declare fc2: nn.Linear;

  //     def __init__(self):
  constructor() {
    //         super(CNN, self).__init__()
    super();
    //         self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
    this.conv1 = new nn.Conv2d(3, 32, 3, { padding: 1 });
    //         self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
    this.conv2 = new nn.Conv2d(32, 64, 3, { padding: 1 });
    //         self.pool = nn.MaxPool2d(2, 2)
    this.pool = new nn.MaxPool2d(2, 2);
    //         self.fc1 = nn.Linear(64 * 8 * 8, 128)
    this.fc1 = new nn.Linear(64 * 8 * 8, 128);
    //         self.fc2 = nn.Linear(128, 10)
    this.fc2 = new nn.Linear(128, 10);
  }

  //     def forward(self, x):
  override forward(x: Tensor): Tensor {
    //         x = self.pool(F.relu(self.conv1(x)))
    x = this.pool.forward(F.relu(this.conv1.forward(x)));
    //         x = self.pool(F.relu(self.conv2(x)))
    x = this.pool.forward(F.relu(this.conv2.forward(x)));
    //         x = x.view(-1, 64 * 8 * 8)
    x = x.view(-1, 64 * 8 * 8);
    //         x = F.relu(self.fc1(x))
    x = F.relu(this.fc1.forward(x));
    //         x = self.fc2(x)
    x = this.fc2.forward(x);
    //         return x
    return x;
  }
}

/**
 * A few SGD steps on one fixed batch; returns the losses. Python:
 *     optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
 *     criterion = nn.CrossEntropyLoss()
 *     for _ in range(steps):
 *         optimizer.zero_grad()
 *         loss = criterion(model(x), target)
 *         loss.backward()
 *         optimizer.step()
 */
export function train(model: CNN, x: Tensor, target: Tensor, steps: number): number[] {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  const criterion = new nn.CrossEntropyLoss();
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    torch.tidy(() => {
      optimizer.zero_grad();
      const loss = criterion.forward(model.forward(x), target);
      loss.backward();
      optimizer.step();
      losses.push(loss.item() as number);
    });
  }
  return losses;
}

function main(): void {
  // # 使用卷积神经网络 (using the CNN)
  // model = CNN()
  torch.manual_seed(0);
  const model = new CNN();
  console.log(String(model));

  // A batch of 4 random 3x32x32 images (CIFAR-10's shape, which the book's layer sizes assume).
  const x = torch.randn(4, 3, 32, 32);
  const target = torch.tensor([3, 7, 0, 9]);
  const output = torch.no_grad(() => model.forward(x));
  console.log('output shape:', output.shape); // [4, 10]: one score per class

  const losses = train(model, x, target, 5);
  losses.forEach((loss, step) => console.log(`step ${step + 1}: loss ${loss.toFixed(4)}`));
  if (!(output.shape[0] === 4 && output.shape[1] === 10 && losses[losses.length - 1] < losses[0])) {
    throw new Error('the CNN did not give [4, 10] scores or did not learn the batch');
  }
  console.log('ok: the loss went down on the batch; `npx torch-node train cnn` trains it on real images');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
