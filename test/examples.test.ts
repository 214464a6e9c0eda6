// The topic examples (examples/*.ts), each run as a user runs it, in a child process, in the
// reduced mode CI uses (TORCH_NODE_EXAMPLES_QUICK=1). Every example checks its own result and
// exits non-zero when the result is not reached; here we assert the exit code, its
// "RESULT <name>: PASS" line, and the files it writes (PNG grids that decode to the expected
// size and are not blank; a checkpoint that loads back into the model it came from).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import torch, { type Tensor } from '../lib/index.js';
import { BookCNN } from '../examples/_common.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = mkdtempSync(join(tmpdir(), 'torch-node-examples-test-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx examples/<name>.ts` in quick mode, writing its files into OUT. */
function runExample(name: string, extraArgs: string[] = []): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', `${name}.ts`), ...extraArgs], {
      cwd: ROOT,
      env: { ...process.env, TORCH_NODE_EXAMPLES_QUICK: '1', TORCH_NODE_EXAMPLES_OUT: OUT, FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Asserts a clean pass: exit code 0, the RESULT line, no failed check, and returns stdout. */
async function expectPass(name: string): Promise<string> {
  const run = await runExample(name);
  const log = `${run.stdout}\n${run.stderr}`;
  expect(run.code, log).toBe(0);
  expect(run.stdout, log).toMatch(new RegExp(`^RESULT ${name}: PASS `, 'm'));
  expect(run.stdout, log).toMatch(/\(quick mode\)/);
  expect(run.stdout, log).not.toMatch(/\[FAIL\]/);
  return run.stdout;
}

/** Decodes a PNG the example wrote; checks its size and that it is not one flat colour. */
function expectPng(file: string, width: number, height: number): void {
  const png = PNG.sync.read(readFileSync(join(OUT, file)));
  expect([png.width, png.height]).toEqual([width, height]);
  const values = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) values.add(png.data[i]);
  expect(values.size).toBeGreaterThan(16);
}

// The children run one at a time (this file's tests are sequential): the examples are CPU-bound.
const TIMEOUT = 240_000;

describe('examples (quick mode, as child processes)', () => {
  it('pretrain_finetune: freezes, fine-tunes, beats the same recipe without pretraining; its checkpoint loads', async () => {
    const stdout = await expectPass('pretrain_finetune');
    expect(stdout).toMatch(/frozen conv1\/conv2 parameters are bit-for-bit unchanged/);
    const state = torch.load(join(OUT, 'pretrained_cnn.pt')) as Map<string, Tensor>;
    const model = new BookCNN(5);
    const expected = model.state_dict();
    expect([...state.keys()]).toEqual([...expected.keys()]);
    for (const [key, value] of expected) expect(state.get(key)!.shape, key).toEqual(value.shape);
    expect(model.load_state_dict(state)).toEqual({ missing_keys: [], unexpected_keys: [] });
  }, TIMEOUT);

  it('autoencoder: reconstruction error below the mean-image baseline; writes the PNG', async () => {
    const stdout = await expectPass('autoencoder');
    const [, trained, baseline] = /RESULT autoencoder: PASS test reconstruction MSE ([\d.]+) vs mean-image baseline ([\d.]+)/.exec(stdout)!;
    expect(Number(trained)).toBeLessThan(Number(baseline));
    expectPng('autoencoder_reconstructions.png', 10 * 30 + 2, 2 * 30 + 2);
  }, TIMEOUT);

  it('word_embeddings: same-topic words are closer than other-topic words', async () => {
    const stdout = await expectPass('word_embeddings');
    const [, correct, total] = /RESULT word_embeddings: PASS (\d+)\/(\d+) words/.exec(stdout)!;
    expect(Number(correct)).toBeGreaterThan(Number(total) / 2);
  }, TIMEOUT);

  it('gan: both losses move and the grid of generated digits is written', async () => {
    await expectPass('gan');
    expectPng('gan_digits.png', 8 * 30 + 2, 8 * 30 + 2);
  }, TIMEOUT);

  it('bert_mlm: MLM loss below the unigram baseline, fine-tuned beats scratch', async () => {
    const stdout = await expectPass('bert_mlm');
    const [, mlm, unigram] = /RESULT bert_mlm: PASS MLM loss ([\d.]+) vs unigram ([\d.]+)/.exec(stdout)!;
    expect(Number(mlm)).toBeLessThan(Number(unigram));
  }, TIMEOUT);

  it('optimization: prints the table of variants and every technique shows its effect', async () => {
    const stdout = await expectPass('optimization');
    for (const variant of ['baseline', 'StepLR', 'CosineAnnealingLR', 'batch size 8', 'batch size 256', 'clip_grad_norm_', 'weight clipping', 'weight_decay', 'dropout 0.5']) {
      expect(stdout).toContain(variant);
    }
  }, TIMEOUT);

  it('saliency: the map concentrates on the digit; writes the PNG', async () => {
    await expectPass('saliency');
    expectPng('saliency.png', 12 * 30 + 2, 2 * 30 + 2);
  }, TIMEOUT);
});
