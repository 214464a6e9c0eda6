// A torch-node process and a Python PyTorch process (/usr/bin/python3, torch 1.13 on the same
// libtorch) in one Gloo group: collectives across them, and a DDP run whose ranks are one
// Node and one Python process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const pythonTorch = spawnSync(PYTHON, ['-c', 'import torch, torch.distributed as d; assert d.is_gloo_available(); print(torch.__version__)'], { encoding: 'utf8' });
const skipReason = pythonTorch.status === 0 ? null : `${PYTHON} with torch (and Gloo) is not available`;

function runRank(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const parse = (stdout: string) => JSON.parse(/^RESULT:(.*)$/m.exec(stdout)![1]);

describe.skipIf(skipReason !== null)(`Node + Python in one process group${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('collectives and a DDP run agree across a Node rank and a Python rank', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-node-interop-'));
    try {
      const common = {
        ...process.env, WORLD_SIZE: '2', GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1',
        TEST_INIT_METHOD: `file://${join(dir, 'rendezvous')}`,
        DDP_FIXTURE: join(import.meta.dirname, 'fixtures', 'distributed_ddp.json'),
      };
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const [node, python] = await Promise.all([
        runRank(process.execPath, ['--import', tsx, join(import.meta.dirname, 'distributed', 'worker_interop.ts')], { ...common, RANK: '0' }),
        runRank(PYTHON, [join(import.meta.dirname, 'distributed', 'interop_rank.py')], { ...common, RANK: '1' }),
      ]);
      expect(node.code, node.stderr).toBe(0);
      expect(python.code, python.stderr).toBe(0);
      const n = parse(node.stdout);
      const p = parse(python.stdout);
      // Each rank r contributes [r + 1, 10 r] to all_reduce, broadcasts [r, r] from rank 1, gathers [3 r].
      const ranks = [0, 1];
      expect(n.all_reduce).toEqual([ranks.reduce((a, r) => a + r + 1, 0), ranks.reduce((a, r) => a + 10 * r, 0)]);
      expect(p.all_reduce).toEqual(n.all_reduce);
      expect(n.broadcast).toEqual([1, 1]);
      expect(p.broadcast).toEqual(n.broadcast);
      expect(n.all_gather).toEqual(ranks.map((r) => 3 * r));
      expect(p.all_gather).toEqual(n.all_gather);
      // DDP: the averaged gradients and the weights after two steps are the same on both.
      expect(n.grads_first).toEqual(p.grads_first);
      expect(n.final).toEqual(p.final);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
