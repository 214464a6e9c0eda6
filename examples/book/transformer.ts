// The book's Transformer (section 4.3, "使用PyTorch实现变压器"), ported line for line, with the
// Python beside each line. The listing does not run as printed; each fix is marked "FIX" and says
// why. scripts/fixtures/make_nn_transformer.py holds the same fixed version in Python, and
// test/nn_transformer_book.test.ts checks that both give the same initial weights, outputs and
// training losses.
//
// Run: npx tsx examples/book/transformer.ts
import { pathToFileURL } from 'node:url';
import torch, { nn, optim, type Tensor } from '../../lib/index.js';
import * as F from '../../lib/nn/functional.js';
import { Dropout } from '../../lib/nn/modules/dropout.js';
import { TransformerEncoder, TransformerEncoderLayer } from '../../lib/nn/modules/transformer.js';

// import torch
// import torch.nn as nn
// import math                          # FIX: the book uses math.log without importing math
// import torch.nn.functional as F      # FIX: used below for the training loss

// class Transformer(nn.Module):
/** The book's model: positional encoding, a stack of encoder layers, a linear read-out. Input (N, S, ntoken). */
export class Transformer extends nn.Module {
  declare pos_encoder: PositionalEncoding;
  declare transformer_encoder: TransformerEncoder;
  declare fc: nn.Linear;

  //     def __init__(self, ntoken, nhead, nhid, dropout=0.5, nlayers=2):
  // FIX: nlayers replaces the book's `len(encoder_layers)`: a layer has no len(). It comes after
  // dropout so that the book's positional arguments keep their meaning.
  constructor(ntoken: number, nhead: number, nhid: number, dropout = 0.5, nlayers = 2) {
    //         super().__init__()
    super();
    //         self.pos_encoder = PositionalEncoding(ntoken, dropout)
    this.pos_encoder = new PositionalEncoding(ntoken, dropout);
    //         encoder_layers = nn.TransformerEncoderLayer(ntoken, nhead, nhid, dropout, batch_first=True)
    // FIX: batch_first=True. The positional encoding adds pe[:, :S] along dim 1, i.e. it takes
    // (N, S, E) input; without batch_first the encoder would read dim 0 as the sequence and
    // attend across the batch.
    const encoder_layers = new TransformerEncoderLayer(ntoken, nhead, nhid, dropout, { batch_first: true });
    //         self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
    this.transformer_encoder = new TransformerEncoder(encoder_layers, nlayers);
    //         self.fc = nn.Linear(ntoken, ntoken)
    // FIX: the book writes nn.Linear(nhid, ntoken), but the encoder's output width is its d_model,
    // ntoken (nhid is only the feed-forward width inside each layer), so the read-out takes ntoken
    // features. (The smallest change that makes the shapes agree; an nn.Embedding front end would
    // be the other way.)
    this.fc = new nn.Linear(ntoken, ntoken);
  }

  //     def forward(self, src):
  override forward(src: Tensor): Tensor {
    //         src = self.pos_encoder(src)
    src = this.pos_encoder.forward(src);
    //         output = self.transformer_encoder(src)
    let output = this.transformer_encoder.forward(src);
    //         output = self.fc(output)
    output = this.fc.forward(output);
    //         return output
    return output;
  }
}

// class PositionalEncoding(nn.Module):
/** Sinusoidal positional encoding added to (N, S, d_model) input, then dropout. */
export class PositionalEncoding extends nn.Module {
  declare dropout: Dropout;
  declare pe: Tensor;

  //     def __init__(self, d_model, dropout, max_len=5000):
  constructor(d_model: number, dropout: number, max_len = 5000) {
    //         super().__init__()
    super();
    //         self.dropout = nn.Dropout(dropout)
    this.dropout = new Dropout(dropout);
    torch.tidy(() => {
      //         pe = torch.zeros(max_len, d_model)
      let pe = torch.zeros(max_len, d_model);
      //         position = torch.arange(0, max_len).unsqueeze(1)
      const position = torch.arange(0, max_len).unsqueeze(1);
      //         div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
      // FIX: the book writes exp((arange(0, d_model, 2) * (log(10000) / d_model)) / position.float().pow(2)):
      // position is 0 in the first row, so that divides by zero (inf, then nan in sin/cos), and it
      // is not the sinusoidal encoding anyway. This is the standard frequency term 1 / 10000^(2i/d_model).
      const div_term = torch.exp(torch.arange(0, d_model, 2).mul(-Math.log(10000.0) / d_model));
      //         pe[:, 0::2] = torch.sin(position * div_term)
      pe.index_put_([':', '0::2'], torch.sin(position.mul(div_term)));
      //         pe[:, 1::2] = torch.cos(position * div_term)
      pe.index_put_([':', '1::2'], torch.cos(position.mul(div_term)));
      //         pe = pe.unsqueeze(0)
      pe = pe.unsqueeze(0);
      // FIX: the book has `pe = self.dropout(pe)` here: it would zero random entries of the fixed
      // table once and for all (and rescale the rest) at construction. Dropout belongs in forward.
      //         self.register_buffer('pe', pe)
      this.register_buffer('pe', pe);
    });
  }

  // FIX: the book gives PositionalEncoding no forward; this is the usual one.
  //     def forward(self, x):
  override forward(x: Tensor): Tensor {
    //         x = x + self.pe[:, :x.size(1)]
    x = x.add(this.pe.index(':', `:${x.size(1)}`));
    //         return self.dropout(x)
    return this.dropout.forward(x);
  }
}

/**
 * A few SGD steps on a copy task (predict each input token from its one-hot vector); returns the
 * losses. Python (make_nn_transformer.py):
 *     optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
 *     for _ in range(steps):
 *         optimizer.zero_grad()
 *         output = model(src)
 *         loss = F.cross_entropy(output.reshape(-1, 100), tokens.reshape(-1))
 *         loss.backward()
 *         optimizer.step()
 */
export function train(model: Transformer, src: Tensor, tokens: Tensor, steps: number, ntoken = 100): number[] {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    torch.tidy(() => {
      optimizer.zero_grad();
      const output = model.forward(src);
      const loss = F.cross_entropy(output.reshape(-1, ntoken), tokens.reshape(-1));
      loss.backward();
      optimizer.step();
      losses.push(loss.item() as number);
    });
  }
  return losses;
}

function main(): void {
  // # 使用变压器 (using the Transformer)
  // model = Transformer(ntoken=100, nhead=4, nhid=256)
  // FIX: nhead=4: the book's nhead=8 does not divide ntoken=100 (the model width), and
  // MultiheadAttention needs embed_dim divisible by num_heads.
  torch.manual_seed(0);
  const model = new Transformer(100, 4, 256);
  console.log(String(model));

  // A batch of 2 sequences of 8 random tokens, fed as one-hot vectors of width ntoken.
  const tokens = torch.randint(0, 100, [2, 8]);
  const src = F.one_hot(tokens, 100).float();
  const output = torch.tidy(() => model.forward(src));
  console.log('output shape:', output.shape);

  const losses = train(model, src, tokens, 5);
  losses.forEach((loss, step) => console.log(`step ${step + 1}: loss ${loss.toFixed(4)}`));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
