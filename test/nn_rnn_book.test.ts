// The book's RNN classifier (seed 000_6684bfea08699d93, section 4.2) ported one-to-one:
// same seed => same init, same outputs and the same losses over 5 manual SGD steps as
// PyTorch (fixture from scripts/fixtures/make_nn_rnn.py).
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { expectTensor, loadFixture, type TensorFixture } from './_util.js';
import { RNN } from '../examples/book/rnn.js';

const fx = loadFixture('nn_rnn_book.json');
const EXACT = { rtol: 0, atol: 0 };

describe("the book's RNN classifier (section 4.2)", () => {
  it('has PyTorch\'s init, outputs and SGD losses for the same seed', () => {
    torch.manual_seed(0);
    const model = new RNN(10, 50, 2, 2);
    expect(model.toString()).toBe(fx.repr);
    const params = [...model.named_parameters()];
    expect(params.map(([n]) => n)).toEqual((fx.params as [string, TensorFixture][]).map(([n]) => n));
    params.forEach(([, p], i) => expectTensor(p, fx.params[i][1], EXACT));

    const x = torch.randn(4, 32, 10);
    expectTensor(x, fx.x, EXACT);
    const y = torch.randint(0, 2, [4]);
    expectTensor(y, fx.y, EXACT);
    torch.tidy(() => expectTensor(torch.no_grad(() => model.forward(x)), fx.out0));

    const lr = 0.1;
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const loss = torch.tidy(() => {
        const out = model.forward(x);
        const l = F.cross_entropy(out, y);
        model.zero_grad();
        l.backward();
        torch.no_grad(() => {
          for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
        });
        return l.item();
      });
      losses.push(loss);
    }
    (fx.losses as number[]).forEach((want, i) => expect(Math.abs(losses[i] - want)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want)));
    torch.tidy(() => {
      expectTensor(torch.no_grad(() => model.forward(x)), fx.out_final);
      expectTensor(model.fc.weight, fx.fc_weight_final);
    });
  });

  it('a training step in tidy leaves no tensor behind', () => {
    torch.manual_seed(0);
    const model = new RNN(10, 50, 2, 2);
    const x = torch.randn(4, 32, 10);
    const y = torch.randint(0, 2, [4]);
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      const loss = F.cross_entropy(model.forward(x), y);
      model.zero_grad();
      loss.backward();
      torch.no_grad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(0.1));
      });
    });
    expect(torch.liveTensorCount()).toBe(start);
  });
});
