// DistributedDataParallel on c10d's Reducer, 2 and 3 Gloo ranks: gradients and a short
// training run against single-process runs on the combined batches (float64, computed in
// each worker), and against Python's DDP on the same weights, data and sampler (fixture).
import { beforeAll, describe, expect, it } from 'vitest';
import torch from '../lib/index.js';
import * as dist from '../lib/distributed/index.js';
import * as nn from '../lib/nn/index.js';
import { DistributedDataParallel } from '../lib/nn/parallel/index.js';
import { TorchError, TorchTypeError, ValueError } from '../lib/errors.js';
import { loadFixture } from './_util.js';
import { launch, worker, type Launched } from './distributed/_launch.js';

// float64 sums in a different order differ by a few ulps at most.
const TIGHT = 1e-14;

describe.each([2, 3])('DistributedDataParallel on %i ranks', (world) => {
  let launched: Launched;
  beforeAll(async () => {
    launched = await launch(worker('worker_ddp.ts'), world);
  });

  it('runs on every rank', () => {
    expect(launched.code, launched.stderr).toBe(0);
    expect(launched.results.size).toBe(world);
  });

  it('averaged gradients equal the full batch gradients of one process', () => {
    for (const [, r] of launched.results) {
      expect(r.grad_max_diff_bucket_view_false).toBeLessThan(TIGHT);
      expect(r.grad_max_diff_bucket_view_true).toBeLessThan(TIGHT);
    }
  });

  it('5 SGD steps on DistributedSampler batches: same weights on every rank, equal to one process on the combined batches', () => {
    for (const [, r] of launched.results) {
      expect(r.sampler_indices_match).toBe(true);
      expect(r.train_max_diff_across_ranks).toBe(0);
      expect(r.train_max_diff_vs_single_process).toBeLessThan(TIGHT);
      expect(r.step_leaked).toBe(0);
      expect(r.state_dict_keys).toEqual(['module.0.weight', 'module.0.bias', 'module.2.weight', 'module.2.bias']);
    }
  });

  it('no_sync accumulates locally; the next synced backward reduces the sum', () => {
    for (const [, r] of launched.results) {
      expect(r.no_sync_grad_is_local).toBe(0);
      expect(r.no_sync_then_sync_max_diff).toBeLessThan(TIGHT);
      expect(r.no_sync_guard_flag).toBe(false);
      expect(r.no_sync_guard_restored).toBe(true);
    }
  });

  it('find_unused_parameters leaves unused parameters without gradient', () => {
    for (const [, r] of launched.results) {
      expect(r.unused_grad_is_null).toBe(true);
      expect(r.unused_used_grads_max_diff).toBeLessThan(TIGHT);
    }
  });

  it('refuses models that differ across ranks', () => {
    for (const [, r] of launched.results) expect(r.mismatch_error).toMatch(/^TorchError: DDP expects same model across all ranks/);
  });

  if (world === 2) {
    it("matches Python's DDP step for step, and its bucket layout", () => {
      const fixture = loadFixture('distributed_ddp.json');
      for (const [, r] of launched.results) {
        expect(r.first_grads_max_diff_vs_python).toBeLessThan(TIGHT);
        expect(r.final_max_diff_vs_python).toBeLessThan(TIGHT);
        expect(r.bucket_layouts).toEqual(fixture.bucket_layouts);
      }
    });
  }
});

describe('DistributedDataParallel arguments', () => {
  it('needs a process group and checks its options', async () => {
    expect(() => new DistributedDataParallel(new nn.Linear(2, 2))).toThrow(/Default process group has not been initialized/);
    process.env.GLOO_SOCKET_IFNAME = 'lo';
    await dist.init_process_group({ store: new dist.HashStore(), rank: 0, world_size: 1, timeout: 10_000 });
    try {
      const frozen = new nn.Linear(2, 2).requires_grad_(false);
      expect(() => new DistributedDataParallel(frozen)).toThrow(/doesn't have any parameter that requires a gradient/);
      expect(() => new DistributedDataParallel(new nn.Linear(2, 2), { device_ids: [0] })).toThrow(ValueError);
      expect(() => new DistributedDataParallel(new nn.Linear(2, 2), { bucket_cap_mb: 0 })).toThrow(TorchTypeError);
      expect(() => new DistributedDataParallel({} as never)).toThrow(/expected an nn.Module for 'module'/);
      // A one-rank DDP is the plain model.
      torch.manual_seed(0);
      const model = new nn.Linear(3, 2).double();
      const ddp = new DistributedDataParallel(model);
      expect(ddp.module).toBe(model);
      const x = torch.randn(4, 3, { dtype: torch.float64 });
      ddp.forward(x).sum().backward();
      const g = model.weight.grad!.clone();
      model.weight.grad = null;
      model.bias!.grad = null;
      model.forward(x).sum().backward();
      expect(model.weight.grad!.sub(g).abs().max().item()).toBe(0);
    } finally {
      await dist.destroy_process_group();
    }
    expect(dist.is_initialized()).toBe(false);
    await expect(dist.destroy_process_group()).rejects.toThrow(TorchError);
  });
});
