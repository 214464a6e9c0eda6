// Test helper: runs a worker script on N ranks through `run()` (the torch-node launcher),
// capturing its output, with Gloo bound to loopback and a fresh rendezvous.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run } from '../../lib/distributed/run.js';

export interface Launched {
  code: number;
  stdout: string;
  stderr: string;
  /** Each rank's RESULT line, parsed, by rank. */
  results: Map<number, any>;
  elapsedMs: number;
}

export const worker = (name: string) => join(import.meta.dirname, name);

/**
 * Runs `script` on `nproc` ranks. rendezvous 'file' gives each worker TEST_INIT_METHOD
 * file:///tmp/...; 'env' gives env:// with MASTER_ADDR 127.0.0.1 and a free port.
 */
export async function launch(script: string, nproc: number, options: { rendezvous?: 'file' | 'env'; env?: Record<string, string> } = {}): Promise<Launched> {
  const { rendezvous = 'file', env = {} } = options;
  const dir = mkdtempSync(join(tmpdir(), 'torch-node-dist-'));
  const saved = { ...process.env };
  let stdout = '';
  let stderr = '';
  const start = Date.now();
  try {
    // Gloo binds to loopback only; the children inherit this environment.
    process.env.GLOO_SOCKET_IFNAME = 'lo';
    process.env.TEST_INIT_METHOD = rendezvous === 'file' ? `file://${join(dir, 'rendezvous')}` : 'env://';
    Object.assign(process.env, env);
    const argv = ['--nproc-per-node', String(nproc), '--stop-grace-seconds', '2'];
    if (rendezvous === 'env') argv.push('--master-addr', '127.0.0.1', '--master-port', String(await freePort()));
    const code = await run([...argv, script], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    const results = new Map<number, any>();
    for (const m of stdout.matchAll(/^\[rank(\d+)\]: RESULT:(.*)$/gm)) results.set(Number(m[1]), JSON.parse(m[2]));
    return { code, stdout, stderr, results, elapsedMs: Date.now() - start };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  }
}
