// The torch-node command line (lib/cli), run as a child process as a user runs it: short
// trainings of the three book models end to end (exit code, checkpoint, eval, plot), the
// checkpoint read by Python's PyTorch into the same classes (same logits), Ctrl-C then
// --resume, and one-line errors with exit code 2 for bad command lines and missing files.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import torch from '../lib/index.js';
import { createModel, modelInput, type ModelName } from '../lib/cli/models.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'lib/cli/index.ts')];
const PYTHON = '/usr/bin/python3';
const hasPythonTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `torch-node <args>` (the TypeScript source through tsx) and collects its output. */
function cli(args: string[], options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The accuracy in a "test accuracy: 87.50% (...)" line. */
function accuracyOf(stdout: string): number {
  const match = /test accuracy: ([\d.]+)%/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return Number(match![1]);
}

/**
 * Well-formedness of an XML document: every tag closed in order, attributes quoted, no stray
 * '<' or unescaped '&' in text. Returns the element names in document order.
 */
function parseXml(text: string): string[] {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  const stack: string[] = [];
  const elements: string[] = [];
  let last = 0;
  const checkText = (chunk: string) => {
    expect(chunk).not.toMatch(/[<>]/);
    expect(chunk).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+);)/);
  };
  for (let m = token.exec(body); m !== null; m = token.exec(body)) {
    checkText(body.slice(last, m.index));
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      expect(stack.pop(), `</${name}> closes the open element`).toBe(name);
    } else {
      elements.push(name);
      if (!selfClosing) stack.push(name);
    }
  }
  checkText(body.slice(last));
  expect(stack).toEqual([]);
  return elements;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'torch-node-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const RUNS: { model: ModelName; dataset: string; plot: string; minAccuracy: number; extra: string[] }[] = [
  // 300 Fashion-MNIST images, 10 steps: the CNN is well above chance (10%) already.
  { model: 'cnn', dataset: 'fashion-mnist', plot: 'cnn.svg', minAccuracy: 20, extra: [] },
  { model: 'rnn', dataset: 'mnist', plot: 'rnn.svg', minAccuracy: 10, extra: ['--epochs', '2', '--lr', '0.003'] },
  { model: 'transformer', dataset: 'mnist', plot: 'transformer.html', minAccuracy: 10, extra: ['--epochs', '2', '--scheduler', 'onecycle', '--lr', '0.003'] },
];

describe('torch-node train / eval (300 images, end to end)', () => {
  for (const run of RUNS) {
    it(`${run.model}: trains, saves a checkpoint that loads back, evaluates above chance, plots`, async () => {
      const save = join(dir, `${run.model}.pt`);
      const plot = join(dir, run.plot);
      const train = await cli(['train', run.model, '--dataset', run.dataset, '--limit', '300', '--test-limit', '300', '--batch-size', '32', '--save', save, '--plot', plot, ...run.extra]);
      expect(train.code, train.stderr).toBe(0);
      expect(train.stdout).toMatch(new RegExp(`^training ${run.model} \\([\\d,]+ parameters\\) on ${run.dataset}: 300 train / 300 test images, cpu`));
      expect(train.stdout).toMatch(/epoch 1\/\d+: train loss [\d.]+, acc [\d.]+% \| test loss [\d.]+, acc [\d.]+% \| [\d.]+ s, \d+ img\/s/);
      const trainedAccuracy = accuracyOf(train.stdout);
      expect(trainedAccuracy).toBeGreaterThan(run.minAccuracy);

      // The checkpoint loads back with torch.load and holds the run.
      const checkpoint = torch.load(save);
      expect(checkpoint.args).toMatchObject({ model: run.model, dataset: run.dataset, limit: 300, batch_size: 32 });
      expect(checkpoint.epoch).toBe(checkpoint.args.epochs);
      expect(checkpoint.step).toBe(0);
      expect(checkpoint.test_accuracy).toBeCloseTo(trainedAccuracy, 1);
      const model = createModel(run.model, checkpoint.model_config);
      expect([...checkpoint.model.keys()]).toEqual([...model.state_dict().keys()]);
      model.load_state_dict(checkpoint.model);
      expect(checkpoint.history.test.accuracy.length).toBe(checkpoint.epoch);
      expect(checkpoint.history.train.loss.length).toBeGreaterThan(0);

      // eval on the checkpoint: the same test images give the same accuracy.
      const evaluation = await cli(['eval', save, '--limit', '300']);
      expect(evaluation.code, evaluation.stderr).toBe(0);
      expect(accuracyOf(evaluation.stdout)).toBeCloseTo(trainedAccuracy, 2);
      expect(evaluation.stdout).toMatch(/evaluated on 300 \S+ test images on cpu/);

      // The plot: well-formed XML (SVG, or HTML holding the SVG) with the curves as paths.
      const text = readFileSync(plot, 'utf8');
      const elements = parseXml(text.replace(/^<!DOCTYPE html>\s*/, ''));
      expect(elements).toContain('svg');
      expect(text).toMatch(/<path d="M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+"/);
      expect(text).toContain('>accuracy</text>');
      if (run.plot.endsWith('.html')) expect(elements[0]).toBe('html');
      else expect(elements[0]).toBe('svg');
    });
  }
});

describe.skipIf(!hasPythonTorch)("Python's PyTorch reads the checkpoints", () => {
  it('loads them into the same classes written in Python and gets the same logits', () => {
    const script = String.raw`
import json, math, sys, collections
import torch, torch.nn as nn, torch.nn.functional as F

class CNN(nn.Module):
    def __init__(self):
        super(CNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 64 * 7 * 7)
        return self.fc2(F.relu(self.fc1(x)))

class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.rnn = nn.RNN(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)
    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        out, _ = self.rnn(x, h0)
        return self.fc(out[:, -1, :])

class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.register_buffer('pe', torch.zeros(1, max_len, d_model))
    def forward(self, x):
        return self.dropout(x + self.pe[:, :x.size(1)])

class PatchTransformer(nn.Module):
    def __init__(self, patch_dim, num_patches, d_model, nhead, nhid, dropout, nlayers, num_classes):
        super().__init__()
        self.embedding = nn.Linear(patch_dim, d_model)
        self.pos_encoder = PositionalEncoding(d_model, dropout, num_patches)
        layer = nn.TransformerEncoderLayer(d_model, nhead, nhid, dropout, batch_first=True)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers)
        self.fc = nn.Linear(d_model, num_classes)
    def forward(self, src):
        return self.fc(self.transformer_encoder(self.pos_encoder(self.embedding(src))).mean(1))

def build(name, c):
    if name == 'cnn':
        return CNN(), lambda x: x
    if name == 'rnn':
        return RNN(c['input_size'], c['hidden_size'], c['num_layers'], c['num_classes']), lambda x: x.reshape(x.size(0), 28, 28)
    p = c['patch_size']; g = 28 // p
    model = PatchTransformer(p * p, g * g, c['d_model'], c['nhead'], c['nhid'], c['dropout'], c['nlayers'], c['num_classes'])
    return model, lambda x: x.reshape(x.size(0), 1, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(x.size(0), g * g, p * p)

out = {}
for path in sys.argv[1:]:
    ckpt = torch.load(path)
    args = ckpt['args']
    assert isinstance(ckpt['model'], collections.OrderedDict) and hasattr(ckpt['model'], '_metadata'), type(ckpt['model'])
    model, to_input = build(args['model'], ckpt['model_config'])
    model.load_state_dict(ckpt['model'])  # strict: same keys and shapes
    optimizer = {'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW, 'sgd': torch.optim.SGD}[args['optimizer']](model.parameters(), lr=args['lr'])
    optimizer.load_state_dict(ckpt['optimizer'])
    states = [optimizer.state[p] for p in model.parameters()]
    model.eval()
    x = torch.linspace(-1, 1, 2 * 784).reshape(2, 1, 28, 28)
    with torch.no_grad():
        logits = model(to_input(x))
    out[args['model']] = {
        'logits': logits.tolist(), 'epoch': ckpt['epoch'], 'step': ckpt['step'],
        'optimizer_states': sum(1 for s in states if 'exp_avg' in s or 'momentum_buffer' in s),
        'params': len(states), 'test_accuracy': ckpt['test_accuracy'],
    }
print(json.dumps(out))
`;
    const paths = RUNS.map((r) => join(dir, `${r.model}.pt`));
    for (const p of paths) expect(existsSync(p), `${p} (written by the training tests)`).toBe(true);
    const py = spawnSync(PYTHON, ['-c', script, ...paths], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const results = JSON.parse(py.stdout.trim().split('\n').pop()!);
    for (const run of RUNS) {
      const got = results[run.model];
      const checkpoint = torch.load(join(dir, `${run.model}.pt`));
      expect(got.epoch).toBe(checkpoint.epoch);
      expect(got.test_accuracy).toBeCloseTo(checkpoint.test_accuracy, 6);
      // Adam's per-parameter state came through with int parameter ids.
      expect(got.optimizer_states).toBe(got.params);
      torch.tidy(() => {
        const model = createModel(run.model, checkpoint.model_config);
        model.load_state_dict(checkpoint.model);
        model.eval();
        const x = torch.linspace(-1, 1, 2 * 784).reshape(2, 1, 28, 28);
        const ours = torch.no_grad(() => model.forward(modelInput(run.model, x, checkpoint.model_config))).tolist() as number[][];
        ours.flat().forEach((v, i) => expect(Math.abs(v - got.logits.flat()[i])).toBeLessThan(1e-4));
      });
    }
  });
});

describe('data-parallel training under torch-node run', () => {
  it('2 ranks: each trains half of every epoch with DDP; rank 0 alone prints and saves the bare model', async () => {
    const save = join(dir, 'ddp.pt');
    const run = await cli(['run', '--nproc-per-node', '2', '--master-port', '29547', join(ROOT, 'bin/torch-node.js'), 'train', 'cnn', '--dataset', 'mnist',
      '--limit', '256', '--test-limit', '200', '--batch-size', '32', '--epochs', '1', '--save', save]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    // 256 images over 2 ranks at batch 32: 4 batches per rank and epoch (one process would take 8).
    expect(run.stdout).toMatch(/\[rank0\]: training cnn .* 256 train \/ 200 test images, cpu, 1 epoch of 4 batches of 32/);
    expect(run.stdout).not.toMatch(/\[rank1\]: training/);
    expect(accuracyOf(run.stdout)).toBeGreaterThan(10);
    const checkpoint = torch.load(save);
    expect([...checkpoint.model.keys()][0]).toBe('conv1.weight'); // the bare model, not DDP's 'module.' keys
    expect(checkpoint.step).toBe(0);
  });
});

describe('Ctrl-C and --resume', () => {
  it('SIGINT stops after saving a checkpoint (exit 130); --resume finishes the epoch from there', async () => {
    const save = join(dir, 'interrupted.pt');
    let sent = false;
    const interrupted = await cli(['train', 'rnn', '--dataset', 'mnist', '--epochs', '1', '--limit', '4000', '--test-limit', '200', '--save', save], {
      onStdout: (text, child) => {
        if (!sent && text.includes('training rnn')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 300);
        }
      },
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const message = /interrupted at epoch 1, batch (\d+)\/125: checkpoint saved to (\S+); continue with: torch-node train --resume \S+/.exec(interrupted.stderr);
    expect(message, interrupted.stderr).not.toBeNull();
    const batch = Number(message![1]);
    expect(batch).toBeGreaterThan(0);
    expect(batch).toBeLessThan(125);
    const saved = torch.load(save);
    expect([saved.epoch, saved.step]).toEqual([0, batch]);
    expect(saved.history.train.epoch.length).toBeGreaterThan(0);

    const finished = join(dir, 'resumed.pt');
    const resumed = await cli(['train', '--resume', save, '--save', finished]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming from ${save}: epoch 1, batch ${batch}/125`);
    expect(accuracyOf(resumed.stdout)).toBeGreaterThan(10);
    const done = torch.load(finished);
    expect([done.epoch, done.step]).toEqual([1, 0]);
    expect(done.args).toMatchObject({ model: 'rnn', limit: 4000, resume: save });

    // A run's defining options cannot change on resume.
    const changed = await cli(['train', 'rnn', '--resume', save, '--batch-size', '8']);
    expect(changed.code).toBe(2);
    expect(changed.stderr.split('\n')[0]).toBe(`torch-node: error: --batch-size cannot change when resuming (the checkpoint's run used ${saved.args.batch_size})`);
  });
});

describe('command-line errors: one line, the usage, exit code 2', () => {
  const notACheckpoint = () => {
    const path = join(dir, 'not-a-checkpoint.pt');
    writeFileSync(path, 'hello');
    return path;
  };
  const cases: [string, () => string[], RegExp][] = [
    ['a non-integer --epochs', () => ['train', 'cnn', '--epochs', 'two'], /^torch-node: error: --epochs expects an integer, got 'two'$/],
    ['an unknown option', () => ['train', 'cnn', '--epoch', '2'], /^torch-node: error: unknown option '--epoch' \(did you mean --epochs\?\)$/],
    ['an unknown model', () => ['train', 'mlp'], /^torch-node: error: unknown model 'mlp': choose one of cnn, rnn, transformer$/],
    ['no model', () => ['train'], /^torch-node: error: train needs a model: cnn, rnn, transformer$/],
    ['a bad --optimizer', () => ['train', 'cnn', '--optimizer', 'adagrad'], /^torch-node: error: --optimizer must be one of sgd, adam, adamw, got 'adagrad'$/],
    ['a non-positive --lr', () => ['train', 'cnn', '--lr', '0'], /^torch-node: error: --lr must be greater than 0, got 0$/],
    ['a missing value', () => ['train', 'cnn', '--save'], /^torch-node: error: --save expects a path$/],
    ['an unsupported plot format', () => ['train', 'cnn', '--plot', 'curves.png'], /^torch-node: error: --plot: the file must end in \.svg or \.html, got curves\.png$/],
    ['a missing --resume file', () => ['train', 'cnn', '--resume', join(dir, 'missing.pt')], /^torch-node: error: --resume checkpoint not found: .*missing\.pt$/],
    ['a missing checkpoint', () => ['eval', join(dir, 'missing.pt')], /^torch-node: error: checkpoint not found: .*missing\.pt$/],
    ['a file that is not a checkpoint', () => ['eval', notACheckpoint()], /^torch-node: error: cannot read checkpoint .*not-a-checkpoint\.pt: /],
    ['a missing --data-root', () => ['train', 'cnn', '--data-root', join(dir, 'no-such-folder')], /^torch-node: error: --data-root: no such folder: /],
    ['an unknown command', () => ['trian', 'cnn'], /^torch-node: error: unknown command 'trian' \(did you mean train\?\)$/],
    ['a bad launcher option', () => ['run', '--nproc-per-node', 'two', 'x.js'], /^torch-node: error: --nproc-per-node expects an integer, got 'two'$/],
  ];
  if (!torch.cuda.is_available()) cases.push(['--device cuda without CUDA', () => ['train', 'cnn', '--device', 'cuda'], /^torch-node: error: --device cuda: CUDA is not available/]);

  it('each bad command line', async () => {
    // Four at a time: each child loads libtorch.
    const results: Result[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([, args]) => cli(args())))));
    results.forEach((r, i) => {
      const [what, , message] = cases[i];
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0], what).toMatch(message);
      expect(lines[1], what).toMatch(/^usage: torch-node /);
      expect(r.stdout, what).toBe('');
    });
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const [top, train, viaBin] = await Promise.all([
      cli(['--help']),
      cli(['train', '--help']),
      new Promise<Result>((done) => {
        const r = spawnSync(process.execPath, [join(ROOT, 'bin/torch-node.js'), 'help', 'eval'], { cwd: ROOT, encoding: 'utf8' });
        done({ code: r.status, stdout: r.stdout, stderr: r.stderr });
      }),
    ]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^torch-node: PyTorch for TypeScript on Node.js\n\nusage: torch-node train <cnn\|rnn\|transformer>/);
    expect(train.code).toBe(0);
    expect(train.stdout).toContain('--scheduler none|step|cosine|onecycle');
    expect(train.stdout).toMatch(/--batch-size B\s+Images per training step \(default: 32\)/);
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin.stdout).toMatch(/^usage: torch-node eval <checkpoint>/);
  });
});
