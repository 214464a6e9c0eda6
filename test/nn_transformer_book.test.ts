// The book's Transformer (examples/book/transformer.ts) against the same fixed model in PyTorch
// (scripts/fixtures/make_nn_transformer.py): same seed => same initial weights, same outputs, same
// losses over 5 SGD steps; without dropout, and with the book's dropout=0.5 in training mode
// (the dropout masks match because the same ATen ops draw from the generator in the same order).
import { describe, expect, it } from 'vitest';
import torch, { type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { PositionalEncoding, Transformer, train } from '../examples/book/transformer.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

interface ParamStats {
  name: string;
  shape: number[];
  sum: number;
  abs_sum: number;
  head: TensorFixture;
}
interface BookRun {
  dropout: number;
  tokens: TensorFixture;
  params: ParamStats[];
  first_output: TensorFixture;
  losses: number[];
  state_dict_keys: string[];
  repr: string;
}
const fx = loadFixture<{ runs: BookRun[] }>('nn_transformer_book.json');

function closeTo(actual: number, expected: number, rtol: number, atol = 0): void {
  if (!(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected))) expect.fail(`got ${actual}, expected ${expected}`);
}

describe('book Transformer (section 4.3) equals PyTorch', () => {
  for (const run of fx.runs) {
    describe(`dropout=${run.dropout}`, () => {
      torch.manual_seed(0);
      const model = new Transformer(100, 4, 256, run.dropout);
      const tokens = torch.randint(0, 100, [2, 8]);
      // Snapshot of the initial state before anything trains the model.
      const initial = new Map([...model.state_dict()].map(([k, t]) => [k, t.clone()]));
      const src = F.one_hot(tokens, 100).float();
      const first = torch.tidy(() => model.forward(src));
      const losses = train(model, src, tokens, 5);

      it('draws the same tokens', () => {
        expectTensor(tokens, run.tokens);
      });

      it('same seed gives the same initial weights and state_dict names', () => {
        expect([...initial.keys()]).toEqual(run.state_dict_keys);
        expect(run.state_dict_keys).toContain('transformer_encoder.layers.0.self_attn.in_proj_weight');
        expect(run.state_dict_keys).toContain('transformer_encoder.layers.1.linear1.weight');
        for (const p of run.params) {
          const t = initial.get(p.name)!;
          expect(t.shape).toEqual(p.shape);
          const d = t.double();
          closeTo(d.sum().item() as number, p.sum, 1e-9, 1e-9);
          closeTo(d.abs().sum().item() as number, p.abs_sum, 1e-12);
          expect(t.reshape(-1).index(`:${p.head.shape[0]}`).equal(fromFixture(p.head))).toBe(true);
        }
      });

      it('prints like PyTorch', () => {
        expect(String(model)).toBe(run.repr);
      });

      it('gives the same output', () => {
        expectTensor(first, run.first_output, { rtol: 1e-5, atol: 1e-5 });
      });

      it('gives the same losses over 5 SGD steps', () => {
        expect(losses).toHaveLength(run.losses.length);
        losses.forEach((loss, i) => closeTo(loss, run.losses[i], 1e-5));
      });
    });
  }

  it('the positional encoding is finite and starts with sin(0)=0, cos(0)=1', () => {
    const pe = new PositionalEncoding(6, 0.0, 10);
    const table: Tensor = pe.pe;
    expect(table.shape).toEqual([1, 10, 6]);
    expect(table.isfinite().all().item()).toBe(true);
    expect(table.index(0, 0).tolist()).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('a train step leaves no temporaries behind', () => {
    torch.manual_seed(1);
    const model = new Transformer(12, 2, 16, 0.1);
    const tokens = torch.randint(0, 12, [2, 5]);
    const src = F.one_hot(tokens, 12).float();
    train(model, src, tokens, 1, 12); // creates the gradients once
    const before = torch.liveTensorCount();
    train(model, src, tokens, 2, 12);
    expect(torch.liveTensorCount()).toBe(before);
  });
});
