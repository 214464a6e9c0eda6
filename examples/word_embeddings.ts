// Self-supervised learning, text (the book's 2.2.1: "词嵌入通过最小化词义相似性之间的距离来学习词汇表表示"):
// word embeddings trained skip-gram style, with negative sampling, on a small text that retells the
// book's chapter 2 (BOOK_TEXT in _common.ts). Each word learns to predict the words around it; words
// used in the same contexts end up with similar vectors. Checks: words of one topic (say "kernel" and
// "pixels") are closer, by cosine similarity, than words of different topics ("kernel" and "hidden").
//
// Run: npx tsx examples/word_embeddings.ts [--quick]
import torch, { nn, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { BOOK_TEXT, QUICK, banner, fmt, pick, report, table, tokenize } from './_common.js';

banner('word_embeddings', 'skip-gram with negative sampling on the book\'s chapter-2 text');
torch.manual_seed(0);

// ---- corpus -> (center, context) pairs ----------------------------------------------------------
// word2vec subsamples very frequent words; on a text this small, dropping the function words does
// the same job. Pairs never cross a paragraph (a paragraph is one topic).
const STOP = new Set('a an the and or of to in on at by as is are so its it each with into for over one such how many does not through from at same any there their our'.split(' '));
const paragraphs = BOOK_TEXT.split(/\n\s*\n/).map((p) => tokenize(p).filter((w) => !STOP.has(w))).filter((p) => p.length > 0);
const vocab = [...new Set(paragraphs.flat())].sort();
const index = new Map(vocab.map((w, i) => [w, i]));
const window = 2;
const centers: number[] = [];
const contexts: number[] = [];
for (const words of paragraphs) {
  words.forEach((w, i) => {
    for (let j = Math.max(0, i - window); j <= Math.min(words.length - 1, i + window); j++) {
      if (j !== i) {
        centers.push(index.get(w)!);
        contexts.push(index.get(words[j])!);
      }
    }
  });
}
const V = vocab.length;
console.log(`${paragraphs.flat().length} tokens, vocabulary ${V} words, ${centers.length} (center, context) pairs`);

// Negative samples come from the unigram distribution raised to 3/4 (word2vec's choice).
const noise = torch.bincount(torch.tensor(paragraphs.flat().map((w) => index.get(w)!)), { minlength: V }).float().pow(0.75);

// ---- the model: two embedding tables ------------------------------------------------------------
// Python: self.center = nn.Embedding(V, D); self.context = nn.Embedding(V, D);
//         score = (self.center(c) * self.context(o)).sum(-1)   -- a dot product per pair
class SkipGram extends nn.Module {
  declare center: nn.Embedding;
  declare context: nn.Embedding;
  constructor(vocabSize: number, dim: number) {
    super();
    this.center = new nn.Embedding(vocabSize, dim);
    this.context = new nn.Embedding(vocabSize, dim);
    // word2vec starts the context vectors at zero, so that all scores start at 0.5.
    torch.no_grad(() => this.context.weight.zero_());
  }
  /** Logits that `context` words appear around `center` words: center [N], context [N, K] -> [N, K]. */
  override forward(center: Tensor, context: Tensor): Tensor {
    return this.center.forward(center).unsqueeze(1).mul(this.context.forward(context)).sum(-1);
  }
}
const dim = 24;
const model = new SkipGram(V, dim);
const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
const negatives = 5;
const centerT = torch.tensor(centers);
const contextT = torch.tensor(contexts).unsqueeze(1);
const targets = torch.cat([torch.ones(centers.length, 1), torch.zeros(centers.length, negatives)], 1);

// Full-batch training: every pair with its true context (label 1) and 5 noise words (label 0),
// logistic loss on each. Python: F.binary_cross_entropy_with_logits(scores, targets).
const epochs = pick(150, 300);
let firstLoss = NaN;
let lastLoss = NaN;
for (let epoch = 0; epoch < epochs; epoch++) {
  lastLoss = torch.tidy(() => {
    const noiseWords = torch.multinomial(noise, centers.length * negatives, true).view(centers.length, negatives);
    optimizer.zero_grad();
    const loss = F.binary_cross_entropy_with_logits(model.forward(centerT, torch.cat([contextT, noiseWords], 1)), targets);
    loss.backward();
    optimizer.step();
    return loss.item() as number;
  });
  if (epoch === 0) firstLoss = lastLoss;
}
console.log(`loss: ${fmt(firstLoss)} (first epoch) -> ${fmt(lastLoss)} (epoch ${epochs})`);

// ---- what the embeddings learned ----------------------------------------------------------------
// A word's vector is the sum of its two embeddings (as GloVe does; steadier than either table alone
// on a text this small). Cosine similarity of every pair: normalise the rows, one matrix product.
const unit = torch.no_grad(() => F.normalize(model.center.weight.add(model.context.weight), { dim: 1 }));
const similarity = unit.matmul(unit.t());
const cos = (a: string, b: string) => similarity.index(index.get(a)!, index.get(b)!).item() as number;
function nearest(word: string, k = 4): string {
  const scores = similarity.index(index.get(word)!).clone();
  scores.index_put_([torch.tensor([index.get(word)!])], -2); // not the word itself
  const [, top] = scores.topk(k); // torch.topk returns (values, indices): an array here
  return (top.tolist() as number[]).map((i) => vocab[i]).join(', ');
}
console.log(table(['word', 'nearest words (cosine)'], ['image', 'kernel', 'sequence', 'hidden', 'attention', 'query', 'pretrained', 'learning'].map((w) => [w, nearest(w)])));

// (word, a word of the same topic, a word of another topic)
const triples: [string, string, string][] = [
  ['kernel', 'pixels', 'hidden'],
  ['image', 'convolution', 'sequence'],
  ['pooling', 'feature', 'attention'],
  ['recurrent', 'hidden', 'pixels'],
  ['sequence', 'time', 'kernel'],
  ['hidden', 'state', 'query'],
  ['attention', 'query', 'pooling'],
  ['key', 'values', 'recurrent'],
  ['transformer', 'attention', 'image'],
  ['pretrained', 'fine', 'kernel'],
  ['labels', 'task', 'attention'],
  ['learning', 'rate', 'pixels'],
  ['dropout', 'overfit', 'query'],
];
const rows = triples.map(([w, same, other]) => [w, `${same} ${fmt(cos(w, same), 2)}`, `${other} ${fmt(cos(w, other), 2)}`, cos(w, same) > cos(w, other) ? 'yes' : 'no']);
console.log(table(['word', 'same topic', 'other topic', 'closer to same?'], rows));
const correct = triples.filter(([w, same, other]) => cos(w, same) > cos(w, other)).length;

// Topic level: mean cosine within a topic's words vs between topics.
const topics = [
  ['image', 'pixels', 'kernel', 'convolution', 'pooling', 'edges'],
  ['sequence', 'recurrent', 'hidden', 'state', 'time', 'token'],
  ['attention', 'query', 'key', 'values', 'transformer', 'softmax'],
  ['pretrained', 'fine', 'tuned', 'labels', 'task', 'representations'],
];
let within = 0, nWithin = 0, between = 0, nBetween = 0;
topics.forEach((ta, a) => topics.forEach((tb, b) => {
  for (const x of ta) for (const y of tb) {
    if (x === y) continue;
    if (a === b) { within += cos(x, y); nWithin++; } else { between += cos(x, y); nBetween++; }
  }
}));
within /= nWithin;
between /= nBetween;
console.log(`mean cosine within a topic ${fmt(within, 3)}, between topics ${fmt(between, 3)}`);

const need = pick(11, 12);
report('word_embeddings', `${correct}/${triples.length} words closer to their topic; cosine within topics ${fmt(within, 2)} vs between ${fmt(between, 2)}`, [
  { claim: `the skip-gram loss fell (${fmt(firstLoss)} -> ${fmt(lastLoss)})`, ok: lastLoss < firstLoss * 0.7 },
  { claim: `at least ${need} of ${triples.length} words are closer to a same-topic word than to an other-topic word${QUICK ? ' (quick-mode bound)' : ''}`, ok: correct >= need },
  { claim: 'mean cosine within topics exceeds mean cosine between topics by 0.2+', ok: within > between + 0.2 },
]);
