// The book's RNN (section 4.2, "使用PyTorch实现递归神经网络"), ported line for line, with the
// Python beside each line. The listing runs as printed. test/nn_rnn_book.test.ts checks that the
// same class gives PyTorch's initial weights, outputs and SGD losses for the same seed.
// `torch-node train rnn` trains it on MNIST-style images read row by row (input_size 28).
//
// Run: npx tsx examples/book/rnn.ts
import { pathToFileURL } from 'node:url';
import torch, { nn, type Tensor } from '../../lib/index.js';
import * as F from '../../lib/nn/functional.js';

// import torch
// import torch.nn as nn

// class RNN(nn.Module):
/** The book's RNN classifier: a stacked tanh RNN read by a linear layer at the last time step. Input (N, S, input_size). */
export class RNN extends nn.Module {
  declare hidden_size: number;
  declare num_layers: number;
  declare rnn: nn.RNN;
  declare fc: nn.Linear;

  //     def __init__(self, input_size, hidden_size, num_layers, num_classes):
  constructor(input_size: number, hidden_size: number, num_layers: number, num_classes: number) {
    //         super(RNN, self).__init__()
    super();
    //         self.hidden_size = hidden_size
    this.hidden_size = hidden_size;
    //         self.num_layers = num_layers
    this.num_layers = num_layers;
    //         self.rnn = nn.RNN(input_size, hidden_size, num_layers, batch_first=True)
    this.rnn = new nn.RNN(input_size, hidden_size, num_layers, { batch_first: true });
    //         self.fc = nn.Linear(hidden_size, num_classes)
    this.fc = new nn.Linear(hidden_size, num_classes);
  }

  //     def forward(self, x):
  override forward(x: Tensor): Tensor {
    //         h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
    const h0 = torch.zeros(this.num_layers, x.size(0), this.hidden_size).to(x.device);
    //         out, _ = self.rnn(x, h0)
    let [out] = this.rnn.forward(x, h0);
    //         out = self.fc(out[:, -1, :])
    out = this.fc.forward(out.index(':', -1, ':'));
    //         return out
    return out;
  }
}

/**
 * A few plain gradient-descent steps on one fixed batch; returns the losses. Python
 * (scripts/fixtures/make_nn_rnn.py):
 *     for _ in range(steps):
 *         loss = F.cross_entropy(model(x), y)
 *         model.zero_grad()
 *         loss.backward()
 *         with torch.no_grad():
 *             for p in model.parameters():
 *                 p -= lr * p.grad
 */
export function train(model: RNN, x: Tensor, y: Tensor, steps: number, lr = 0.1): number[] {
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    torch.tidy(() => {
      const loss = F.cross_entropy(model.forward(x), y);
      model.zero_grad();
      loss.backward();
      torch.no_grad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
      });
      losses.push(loss.item() as number);
    });
  }
  return losses;
}

function main(): void {
  // # 使用递归神经网络 (using the RNN)
  // model = RNN(input_size=10, hidden_size=50, num_layers=2, num_classes=2)
  torch.manual_seed(0);
  const model = new RNN(10, 50, 2, 2);
  console.log(String(model));

  // A batch of 4 random sequences of 32 steps of 10 features, and a class (0 or 1) for each.
  const x = torch.randn(4, 32, 10);
  const y = torch.randint(0, 2, [4]);
  const output = torch.no_grad(() => model.forward(x));
  console.log('output shape:', output.shape); // [4, 2]: one score per class

  const losses = train(model, x, y, 5);
  losses.forEach((loss, step) => console.log(`step ${step + 1}: loss ${loss.toFixed(4)}`));
  if (!(output.shape[0] === 4 && output.shape[1] === 2 && losses[losses.length - 1] < losses[0])) {
    throw new Error('the RNN did not give [4, 2] scores or did not learn the batch');
  }
  console.log('ok: the loss went down on the batch; `npx torch-node train rnn` trains it on real images');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
