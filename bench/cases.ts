// torch-node side of the benchmarks. Each case has a Python twin in bench/cases.py,
// written to be as idiomatic there as this file is here. Run one case:
//   npx tsx bench/cases.ts <case> <seconds>
// It prints one JSON line: { case, unit, value } where value is µs per iteration
// (lower is better) or, for memory, peak RSS in MiB.
import torch, { nn, F, optim, type Tensor } from '../lib/index.js';
import { CNN } from '../examples/book/cnn.js';
import { RNN } from '../examples/book/rnn.js';

torch.set_num_threads(Number(process.env.BENCH_THREADS ?? 1));

/**
 * Runs `step` for ~seconds after a warm-up; returns µs per call. The clock is read once per batch
 * of steps that takes about a millisecond (the warm-up measures how many), not once per step: a
 * per-step clock read and loop cost more on one side than on the other (Python's interpreted loop
 * about 0.1 µs more), which for a 1 µs op would be measured as the op's.
 */
function timeIt(step: () => void, seconds: number): number {
  const warmupStart = performance.now();
  const warmupEnd = warmupStart + Math.min(0.3, seconds / 3) * 1000;
  let warmupSteps = 0;
  while (performance.now() < warmupEnd) {
    step();
    warmupSteps++;
  }
  const batch = Math.max(1, Math.floor(warmupSteps / (performance.now() - warmupStart)));
  let iterations = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) step();
    iterations += batch;
  }
  return ((performance.now() - start) * 1000) / iterations;
}

// ---- models: the book's CNN and RNN are examples/book's (Python: scripts/fixtures/book_models.py);
// the Transformer encoder classifier, the LSTM language model and the MLP are this benchmark's own.
class TransformerModel extends nn.Module {
  encoder: nn.TransformerEncoder;
  fc: nn.Linear;
  constructor(d_model: number, nhead: number, num_layers: number, classes: number) {
    super();
    this.encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(d_model, nhead, { dim_feedforward: 4 * d_model, dropout: 0.1, batch_first: true }), num_layers);
    this.fc = new nn.Linear(d_model, classes);
  }
  override forward(x: Tensor): Tensor {
    return this.fc.forward(this.encoder.forward(x));
  }
}

class LSTMLanguageModel extends nn.Module {
  embed = new nn.Embedding(1000, 128);
  lstm = new nn.LSTM(128, 256, 2, { batch_first: true });
  head = new nn.Linear(256, 1000);
  override forward(tokens: Tensor): Tensor {
    const [out] = this.lstm.forward(this.embed.forward(tokens));
    return this.head.forward(out);
  }
}

class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 10);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(F.relu(this.fc1.forward(x)));
  }
}

function trainStep(model: nn.Module, optimizer: optim.Optimizer, x: Tensor, y: Tensor, flatten = false): () => void {
  return () =>
    torch.tidy(() => {
      optimizer.zero_grad();
      let out = (model as unknown as { forward(x: Tensor): Tensor }).forward(x);
      if (flatten) out = out.flatten(0, 1);
      F.cross_entropy(out, y).backward();
      optimizer.step();
    });
}

function inferStep(model: nn.Module, x: Tensor): () => void {
  model.eval();
  return () => torch.no_grad(() => torch.tidy(() => void (model as unknown as { forward(x: Tensor): Tensor }).forward(x)));
}

type Case = (seconds: number) => { value: number; unit: string; per?: number };

const cnnTrain = (batch: number): Case => (s) => {
  torch.manual_seed(0);
  const model = new CNN();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn(batch, 3, 32, 32);
  const y = torch.randint(0, 10, [batch]);
  return { value: timeIt(trainStep(model, opt, x, y), s), unit: 'us/step', per: batch };
};
const cnnInfer = (batch: number): Case => (s) => {
  torch.manual_seed(0);
  const model = new CNN();
  return { value: timeIt(inferStep(model, torch.randn(batch, 3, 32, 32)), s), unit: 'us/step', per: batch };
};

export const CASES: Record<string, Case> = {
  add: (s) => {
    const a = torch.ones(1);
    const b = torch.ones(1);
    return { value: timeIt(() => void a.add(b), s), unit: 'us/op' };
  },
  add_grad: (s) => {
    const a = torch.ones(1, { requires_grad: true });
    const b = torch.ones(1);
    return { value: timeIt(() => void a.add(b), s), unit: 'us/op' };
  },
  chain10: (s) => {
    const x = torch.ones(1);
    return {
      value: timeIt(() => void x.add(1).mul(2).sub(0.5).div(3).neg().abs().exp().log().sqrt().relu(), s),
      unit: 'us/chain',
    };
  },
  slice: (s) => {
    const x = torch.randn(8, 8);
    return { value: timeIt(() => void x.index(':', -1), s), unit: 'us/op' };
  },
  from_array_1000: (s) => {
    const data = Array.from({ length: 1000 }, (_, i) => i * 0.5);
    return { value: timeIt(() => void torch.tensor(data).tolist(), s), unit: 'us/roundtrip' };
  },
  cnn_train_b8: cnnTrain(8),
  cnn_train_b64: cnnTrain(64),
  cnn_train_b256: cnnTrain(256),
  cnn_infer_b1: cnnInfer(1),
  cnn_infer_b64: cnnInfer(64),
  rnn_train_b64: (s) => {
    torch.manual_seed(0);
    const model = new RNN(10, 50, 2, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
    return { value: timeIt(trainStep(model, opt, torch.randn(64, 32, 10), torch.randint(0, 2, [64])), s), unit: 'us/step', per: 64 };
  },
  transformer_train_b32: (s) => {
    torch.manual_seed(0);
    const model = new TransformerModel(128, 4, 2, 16);
    const opt = new optim.Adam(model.parameters(), { lr: 1e-4 });
    const x = torch.randn(32, 64, 128);
    const y = torch.randint(0, 16, [32 * 64]);
    return { value: timeIt(trainStep(model, opt, x, y, true), s), unit: 'us/step', per: 32 * 64 };
  },
  transformer_infer_b1: (s) => {
    torch.manual_seed(0);
    const model = new TransformerModel(128, 4, 2, 16);
    return { value: timeIt(inferStep(model, torch.randn(1, 64, 128)), s), unit: 'us/step' };
  },
  lstm_lm_step: (s) => {
    torch.manual_seed(0);
    const model = new LSTMLanguageModel();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const tokens = torch.randint(0, 1000, [16, 35]);
    const targets = torch.randint(0, 1000, [16 * 35]);
    return { value: timeIt(trainStep(model, opt, tokens, targets, true), s), unit: 'us/step' };
  },
  mlp_infer_b1: (s) => {
    torch.manual_seed(0);
    return { value: timeIt(inferStep(new MLP(), torch.randn(1, 784)), s), unit: 'us/step' };
  },
  cnn_train_memory: () => {
    // 200 steps of the book CNN at batch 64 without any dispose/tidy: the GC must keep up.
    torch.manual_seed(0);
    const model = new CNN();
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = torch.randn(64, 3, 32, 32);
    const y = torch.randint(0, 10, [64]);
    for (let i = 0; i < 200; i++) {
      opt.zero_grad();
      F.cross_entropy(model.forward(x), y).backward();
      opt.step();
    }
    return { value: process.resourceUsage().maxRSS / 1024, unit: 'MiB peak RSS' };
  },
};

const [name, seconds] = [process.argv[2], Number(process.argv[3] ?? 2)];
if (name) {
  const run = CASES[name];
  if (!run) {
    console.error(`unknown case '${name}'; cases: ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
  console.log(JSON.stringify({ case: name, ...run(seconds) }));
}
