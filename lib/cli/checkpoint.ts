// The CLI's checkpoint: one torch.save file that Python's torch.load reads as
//   { 'model': OrderedDict (the state_dict, with _metadata), 'optimizer': optimizer.state_dict(),
//     'scheduler': scheduler.state_dict() or None, 'epoch': epochs completed, 'step': batches done in
//     the next epoch (non-zero after an interrupt), 'args': the training options, 'model_config':
//     the model's constructor arguments, 'history': the curves, 'test_accuracy', 'classes', ... }
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StateDict } from '../nn/modules/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { load, save } from '../serialization/index.js';
import { Tensor } from '../tensor.js';
import { UsageError } from './args.js';
import { isModelName, type ModelName } from './models.js';
import type { History } from './plot.js';

/** The version written into checkpoints. */
export const CLI_VERSION = '0.1.0';

/** The options a run was trained with (Python's argparse names). */
export interface TrainArgs {
  model: ModelName;
  dataset: 'mnist' | 'fashion-mnist';
  epochs: number;
  limit: number | null;
  test_limit: number | null;
  batch_size: number;
  lr: number;
  optimizer: 'sgd' | 'adam' | 'adamw';
  scheduler: 'none' | 'step' | 'cosine' | 'onecycle';
  device: 'auto' | 'cpu' | 'cuda';
  seed: number;
  save: string | null;
  resume: string | null;
  plot: string | null;
  data_root: string | null;
}

/** What a checkpoint holds. */
export interface Checkpoint {
  model: StateDict;
  optimizer: OptimizerStateDict;
  scheduler: Record<string, unknown> | null;
  /** Epochs completed. */
  epoch: number;
  /** Batches already trained in epoch `epoch` (0 unless the run was interrupted). */
  step: number;
  steps_per_epoch: number;
  args: TrainArgs;
  model_config: Record<string, unknown>;
  history: History;
  /** Test accuracy (%) after the last completed epoch, or null. */
  test_accuracy: number | null;
  classes: string[];
  torch_node_version: string;
}

/** A copy of `value` with every tensor on the CPU (GPU tensors are copied; call inside tidy()). */
function toCpu<T>(value: T): T {
  if (value instanceof Tensor) return (value.device.type === 'cpu' ? value : value.to('cpu')) as T;
  if (Array.isArray(value)) return value.map(toCpu) as T;
  if (value instanceof Map) {
    const copy = new Map([...value].map(([k, v]) => [k, toCpu(v)]));
    const metadata = (value as StateDict)._metadata;
    if (metadata !== undefined) Object.defineProperty(copy, '_metadata', { value: metadata, enumerable: false, writable: true, configurable: true });
    return copy as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCpu(v)])) as T;
  }
  return value;
}

/**
 * Writes the checkpoint atomically (a temporary file renamed over the target), creating the
 * folder. Tensors are saved on the CPU, so the file loads without a GPU.
 * Call inside torch.tidy() to free the copies.
 */
export function saveCheckpoint(checkpoint: Checkpoint, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const optimizer = {
    state: new Map([...checkpoint.optimizer.state].map(([id, s]) => [id, toCpu(s)])),
    param_groups: checkpoint.optimizer.param_groups,
  };
  const tmp = `${path}.tmp-${process.pid}`;
  save({ ...checkpoint, model: toCpu(checkpoint.model), optimizer }, tmp);
  renameSync(tmp, path);
}

/**
 * Reads a checkpoint written by `torch-node train`, on the CPU. A missing file or a file that is
 * not such a checkpoint is a UsageError (exit code 2).
 */
export function loadCheckpoint(path: string, what = 'checkpoint'): Checkpoint {
  if (!existsSync(path)) throw new UsageError(`${what} not found: ${path}`);
  if (!statSync(path).isFile()) throw new UsageError(`${what} is not a file: ${path}`);
  let value: any;
  try {
    value = load(path, { map_location: 'cpu' });
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const ok =
    value !== null && typeof value === 'object' && value.model instanceof Map && value.args !== null && typeof value.args === 'object' && isModelName(value.args.model);
  if (!ok) throw new UsageError(`${path} is not a torch-node train checkpoint (expected a dict with 'model' and 'args')`);
  return value as Checkpoint;
}
