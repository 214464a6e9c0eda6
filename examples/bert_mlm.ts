// BERT-style pretraining then fine-tuning (the book's Q8: "BERT……使用变压器架构进行预训练"): a tiny
// Transformer encoder learns a synthetic language by masked-language modelling (hide 15% of the
// tokens, predict them from both sides), then is fine-tuned with a small labelled set to classify
// sentences, reading the output at a [CLS] token as BERT does.
//
// The language: sentences of 8 "words" (ids from a vocabulary of 20) that count around a circle,
// each word 1 or 2 steps after the previous one, either upwards or downwards. Masked words are
// predictable from their neighbours once the direction is known; the classification task is the
// direction itself. Every word is equally frequent, so a bag of words cannot tell the classes apart.
// Checks: the held-out MLM loss falls well below the unigram baseline ln(20), and the fine-tuned
// classifier clears a bound and beats the same model trained from scratch on the same few labels.
//
// Run: npx tsx examples/bert_mlm.ts [--quick]
import torch, { nn, optim, type Tensor } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import { QUICK, banner, fmt, pick, report } from './_common.js';

banner('bert_mlm', 'masked-LM pretraining of a tiny Transformer encoder, then fine-tuning for classification');
torch.manual_seed(0);

// ---- the synthetic corpus ----------------------------------------------------------------------
const WORDS = 20; // word ids are 3..22
const PAD = 0, CLS = 1, MASK = 2; // PAD is unused (all sentences have one length), kept as BERT has it
const VOCAB = WORDS + 3;
const LENGTH = 8;

/** n sentences [n, 1 + LENGTH] starting with [CLS], and their direction labels (1 up, 0 down). */
function sentences(n: number): { ids: Tensor; labels: Tensor } {
  return torch.tidy(() => {
    const labels = torch.randint(0, 2, [n]);
    const direction = labels.mul(2).sub(1).unsqueeze(1); // +1 or -1
    const steps = torch.randint(1, 3, [n, LENGTH - 1]).mul(direction); // each step 1 or 2
    const start = torch.randint(0, WORDS, [n, 1]);
    const words = torch.cat([start, start.add(steps.cumsum(1))], 1).remainder(WORDS).add(3);
    return { ids: torch.cat([torch.full([n, 1], CLS), words], 1), labels };
  });
}

// ---- the model ---------------------------------------------------------------------------------
/** Token and learned position embeddings, a Transformer encoder, a final LayerNorm: [N, S] -> [N, S, d]. */
class TinyBert extends nn.Module {
  declare tokens: nn.Embedding;
  declare positions: nn.Embedding;
  declare encoder: nn.TransformerEncoder;
  declare norm: nn.LayerNorm;
  declare mlm_head: nn.Linear;
  constructor(d = 48, heads = 4, layers = 2) {
    super();
    this.tokens = new nn.Embedding(VOCAB, d);
    this.positions = new nn.Embedding(1 + LENGTH, d);
    // Python: nn.TransformerEncoder(nn.TransformerEncoderLayer(d, heads, 2 * d, 0.1, 'gelu', batch_first=True), layers)
    this.encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(d, heads, 2 * d, 0.1, 'gelu', { batch_first: true }), layers);
    this.norm = new nn.LayerNorm(d);
    this.mlm_head = new nn.Linear(d, VOCAB); // predicts the hidden word at each position
  }
  override forward(ids: Tensor): Tensor {
    const x = this.tokens.forward(ids).add(this.positions.weight.index(`:${ids.size(1)}`));
    return this.norm.forward(this.encoder.forward(x));
  }
}

/**
 * BERT's masking: choose 15% of the word positions; of those, 80% become [MASK], 10% a random word,
 * 10% stay. Targets are the original words there and -100 (cross_entropy's ignore_index) elsewhere.
 */
function maskTokens(ids: Tensor): { input: Tensor; targets: Tensor } {
  return torch.tidy(() => {
    const chosen = torch.rand(ids.shape).lt(0.15).logical_and(ids.ne(CLS));
    const targets = torch.where(chosen, ids, -100);
    const r = torch.rand(ids.shape);
    let input = torch.where(chosen.logical_and(r.lt(0.8)), MASK, ids);
    input = torch.where(chosen.logical_and(r.ge(0.8)).logical_and(r.lt(0.9)), torch.randint(3, VOCAB, ids.shape), input);
    return { input, targets };
  });
}

function mlmLoss(model: TinyBert, ids: Tensor): Tensor {
  const { input, targets } = maskTokens(ids);
  const logits = model.mlm_head.forward(model.forward(input));
  return F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1), { ignore_index: -100 });
}

// ---- 1. masked-language-model pretraining --------------------------------------------------------
const bert = new TinyBert();
const heldOut = sentences(256).ids;
const heldOutLoss = () => torch.no_grad(() => torch.tidy(() => {
  bert.eval();
  torch.manual_seed(123); // the same masks at every evaluation
  const loss = mlmLoss(bert, heldOut).item() as number;
  bert.train();
  return loss;
}));
const unigram = Math.log(WORDS); // cross-entropy of guessing from word frequencies alone (all equal)
console.log(`unigram baseline ln(${WORDS}) = ${fmt(unigram)}; held-out MLM loss before training ${fmt(heldOutLoss())}`);
torch.manual_seed(1);
const pretrainSteps = pick(150, 1000);
const optimizer = new optim.AdamW(bert.parameters(), { lr: 3e-3, weight_decay: 0.01 });
// A linear warm-up then linear decay, BERT's schedule: LambdaLR multiplies the base lr by f(step).
const warmup = Math.round(pretrainSteps / 10);
const schedule = new optim.lr_scheduler.LambdaLR(optimizer, (step) => (step < warmup ? (step + 1) / warmup : Math.max(0.05, (pretrainSteps - step) / (pretrainSteps - warmup))));
for (let step = 1; step <= pretrainSteps; step++) {
  torch.tidy(() => {
    optimizer.zero_grad();
    mlmLoss(bert, sentences(64).ids).backward();
    optimizer.step();
    schedule.step();
  });
  if (step % (pretrainSteps / 5) === 0) console.log(`pretraining step ${step}/${pretrainSteps}: held-out MLM loss ${fmt(heldOutLoss())}`);
}
const mlmFinal = heldOutLoss();

// ---- 2. fine-tuning for classification -------------------------------------------------------------
const labelled = sentences(pick(64, 128));
const test = sentences(500);

/** Fine-tunes encoder + a new head on the labelled set; returns the test accuracy. */
function finetune(model: TinyBert, encoderLr: number, steps: number): number {
  const head = new nn.Linear(model.norm.normalized_shape[0], 2);
  // Two parameter groups: the (pretrained) encoder moves slower than the new head. The MLM head is
  // not used for classification, so it is left out.
  const encoderParams = [...model.named_parameters()].filter(([name]) => !name.startsWith('mlm_head')).map(([, p]) => p);
  const opt = new optim.AdamW([{ params: encoderParams, lr: encoderLr }, { params: head.parameters() }], { lr: 3e-3 });
  const classify = (ids: Tensor) => head.forward(model.forward(ids).index(':', 0)); // the [CLS] position
  model.train();
  for (let step = 0; step < steps; step++) {
    torch.tidy(() => {
      opt.zero_grad();
      F.cross_entropy(classify(labelled.ids), labelled.labels).backward();
      opt.step();
    });
  }
  model.eval();
  return torch.no_grad(() => torch.tidy(() => classify(test.ids).argmax(1).eq(test.labels).float().mean().item() as number));
}
const steps = pick(40, 80);
torch.manual_seed(2);
const finetuned = finetune(bert, 1e-3, steps);
torch.manual_seed(2);
const scratch = finetune(new TinyBert(), 3e-3, steps);
console.log(`fine-tuned on ${labelled.labels.size(0)} labelled sentences for ${steps} steps: test accuracy ${fmt(finetuned * 100, 1)}%`);
console.log(`the same model from scratch (no pretraining):          test accuracy ${fmt(scratch * 100, 1)}%`);

const mlmBound = pick(0.6, 0.35);
const accBound = pick(0.7, 0.95);
report('bert_mlm', `MLM loss ${fmt(mlmFinal, 3)} vs unigram ${fmt(unigram, 3)}; direction accuracy ${fmt(finetuned * 100, 1)}% fine-tuned vs ${fmt(scratch * 100, 1)}% from scratch`, [
  { claim: `held-out MLM loss ${fmt(mlmFinal, 3)} < ${mlmBound * 100}% of the unigram baseline${QUICK ? ' (quick-mode bound)' : ''}`, ok: mlmFinal < mlmBound * unigram },
  { claim: `fine-tuned accuracy > ${accBound * 100}%${QUICK ? ' (quick-mode bound)' : ''}`, ok: finetuned > accBound },
  { claim: 'fine-tuning the pretrained encoder beats training from scratch on the same labels', ok: finetuned > scratch },
]);
