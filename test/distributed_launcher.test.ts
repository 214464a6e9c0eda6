// The torch-node launcher (`torch-node run`, lib/distributed/run.ts) and failure handling:
// a failing rank stops the others; a rank that leaves or stalls makes the others fail with a
// clear error within the group's timeout instead of hanging.
import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../lib/distributed/run.js';
import { ValueError } from '../lib/errors.js';
import { launch, worker } from './distributed/_launch.js';

describe('parseRunArgs', () => {
  it("reads torchrun's options up to the script and passes the rest to it", () => {
    const o = parseRunArgs(['--nproc-per-node', '4', '--nnodes=2', '--node_rank', '1', '--master-addr', '10.0.0.1', '--master_port=1234', 'train.ts', '--epochs', '3']);
    expect(o).toMatchObject({ nproc_per_node: 4, nnodes: 2, node_rank: 1, master_addr: '10.0.0.1', master_port: 1234, script: 'train.ts', script_args: ['--epochs', '3'] });
    expect(parseRunArgs(['x.js'])).toMatchObject({ nproc_per_node: 1, nnodes: 1, node_rank: 0, master_addr: '127.0.0.1', master_port: 29500, standalone: false });
    expect(parseRunArgs(['--standalone', '--', '--weird-name.js'])).toMatchObject({ standalone: true, script: '--weird-name.js' });
  });

  it('rejects what it cannot do', () => {
    expect(() => parseRunArgs([])).toThrow(/the script to run is missing/);
    expect(() => parseRunArgs(['--nproc-per-node', 'two', 'x.js'])).toThrow(ValueError);
    expect(() => parseRunArgs(['--nproc-per-node', '0', 'x.js'])).toThrow(/must be at least 1/);
    expect(() => parseRunArgs(['--nnodes', '1:4', 'x.js'])).toThrow(/elastic node ranges/);
    expect(() => parseRunArgs(['--rdzv-backend', 'c10d', 'x.js'])).toThrow(/not supported/);
    expect(() => parseRunArgs(['--node-rank', '2', '--nnodes', '2', 'x.js'])).toThrow(/must be below --nnodes/);
    expect(() => parseRunArgs(['--frobnicate', 'x.js'])).toThrow(/unknown option --frobnicate/);
  });
});

describe('launcher', () => {
  it("stops the other ranks when one fails and exits non-zero with that rank's error", async () => {
    const r = await launch(worker('worker_fail.ts'), 2);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[rank0]: rank 0 started');
    expect(r.stdout).toContain('[rank1]: rank 1 started');
    expect(r.stdout).not.toContain('rank 0 was not stopped');
    expect(r.stderr).toMatch(/torch-node run: rank 1 \(local_rank 1\) exited with code 1; the other ranks were stopped/);
    expect(r.stderr).toMatch(/its error \(last lines of its stderr\):[\s\S]*Error: rank 1 failed on purpose/);
    // Rank 0 would have slept 30 s.
    expect(r.elapsedMs).toBeLessThan(15_000);
  });
});

describe('a rank that leaves or stalls', () => {
  const timeout = 1500;
  const scenario = (name: string) => launch(worker('worker_timeout.ts'), 2, { env: { SCENARIO: name, GROUP_TIMEOUT_MS: String(timeout) } });

  it('stalled peer: the collective fails with a timeout error after the group timeout', async () => {
    const r = await scenario('hang');
    const { error, elapsed } = r.results.get(0);
    expect(error).toMatch(/^TorchError: .*Timed out waiting 1500ms/);
    expect(elapsed).toBeGreaterThanOrEqual(timeout - 50);
    expect(elapsed).toBeLessThan(timeout + 3000);
  });

  it('exited peer: the collective fails at once with the connection error', async () => {
    const r = await scenario('exit');
    const { error, elapsed } = r.results.get(0);
    expect(error).toMatch(/^TorchError: .*Connection closed by peer/);
    expect(elapsed).toBeLessThan(timeout);
  });

  it('peer never joins: init_process_group fails with a timeout error', async () => {
    const r = await scenario('never_joins');
    const { error, elapsed } = r.results.get(0);
    expect(error).toMatch(/^TorchError: Timed out after 1500 ms creating process group '0' on rank 0: not all 2 ranks joined/);
    expect(elapsed).toBeLessThan(timeout + 3000);
  });
});
