// `torch-node run`: a torchrun-style launcher (torch/distributed/run.py). It starts
// nproc_per_node copies of a script with the environment torchrun gives them (RANK,
// LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, ...), forwards their output with a rank
// prefix, and when one fails, stops the others and exits non-zero with that rank's error.
//
//   torch-node run --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P]
//                  [--standalone] [--no-python] script.ts [script args...]
//
// .ts/.mts/.cts scripts run under tsx (node --import tsx), .js/.mjs/.cjs under node, and with
// --no-python the script is run as an executable.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValueError } from '../errors.js';

/** What `torch-node run` was asked to do. */
export interface RunOptions {
  nproc_per_node: number;
  nnodes: number;
  node_rank: number;
  master_addr: string;
  master_port: number;
  /** Pick a free port on 127.0.0.1 (single-node jobs). */
  standalone: boolean;
  /** Run the script as an executable instead of through node/tsx. */
  no_python: boolean;
  /** Seconds to wait after SIGTERM before SIGKILL when stopping the other ranks. */
  stop_grace_seconds: number;
  script: string;
  script_args: string[];
}

const USAGE =
  'usage: torch-node run [--nproc-per-node N] [--nnodes M] [--node-rank R] [--master-addr A] [--master-port P]\n' +
  '                      [--standalone] [--no-python] script [script args ...]';

function usageError(message: string): ValueError {
  return new ValueError(`torch-node run: ${message}\n${USAGE}`);
}

function intOption(name: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^\d+$/.test(value)) throw usageError(`${name} expects an integer, got ${value === undefined ? 'nothing' : `'${value}'`}`);
  const n = Number(value);
  if (n < min) throw usageError(`${name} must be at least ${min}, got ${n}`);
  return n;
}

/**
 * Parses torchrun's arguments: options (`--nproc-per-node 2`, `--nproc_per_node=2`) up to the
 * script, everything after it goes to the script.
 */
export function parseRunArgs(argv: string[]): RunOptions {
  const options: RunOptions = {
    nproc_per_node: 1, nnodes: 1, node_rank: 0, master_addr: '127.0.0.1', master_port: 29500,
    standalone: false, no_python: false, stop_grace_seconds: 5, script: '', script_args: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) break;
    if (arg === '--') {
      i++;
      break;
    }
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/_/g, '-');
    const takeValue = (): string | undefined => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--nproc-per-node': {
        const v = takeValue();
        options.nproc_per_node = v === 'cpu' || v === 'auto' ? cpus().length : intOption(name, v, 1);
        break;
      }
      case '--nnodes': {
        const v = takeValue();
        if (v !== undefined && v.includes(':')) throw usageError('elastic node ranges (--nnodes MIN:MAX) are not supported; give a fixed --nnodes');
        options.nnodes = intOption(name, v, 1);
        break;
      }
      case '--node-rank':
        options.node_rank = intOption(name, takeValue(), 0);
        break;
      case '--master-addr': {
        const v = takeValue();
        if (!v) throw usageError('--master-addr expects a host name or address');
        options.master_addr = v;
        break;
      }
      case '--master-port':
        options.master_port = intOption(name, takeValue(), 0);
        if (options.master_port > 65535) throw usageError(`--master-port must be at most 65535, got ${options.master_port}`);
        break;
      case '--standalone':
        options.standalone = true;
        break;
      case '--no-python':
        options.no_python = true;
        break;
      case '--stop-grace-seconds':
        options.stop_grace_seconds = intOption(name, takeValue(), 0);
        break;
      case '-h':
      case '--help':
        throw usageError('help requested');
      default:
        if (name.startsWith('--rdzv') || name === '--max-restarts' || name === '--monitor-interval') {
          throw usageError(`${name} (elastic rendezvous and restarts) is not supported`);
        }
        throw usageError(`unknown option ${arg}`);
    }
  }
  if (i >= argv.length) throw usageError('the script to run is missing');
  options.script = argv[i];
  options.script_args = argv.slice(i + 1);
  if (options.node_rank >= options.nnodes) throw usageError(`--node-rank ${options.node_rank} must be below --nnodes ${options.nnodes}`);
  if (options.standalone && options.nnodes !== 1) throw usageError('--standalone runs a single node (--nnodes 1)');
  return options;
}

/** A free TCP port on 127.0.0.1 (what --standalone uses). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The command that runs `script`: node for JS, node with tsx's loader for TypeScript. */
function commandFor(script: string, args: string[], noPython: boolean): [string, string[]] {
  if (noPython) return [script, args];
  const ext = extname(script);
  if (ext === '.ts' || ext === '.mts' || ext === '.cts' || ext === '.tsx') {
    let loader: string | undefined;
    for (const from of [resolve(script), import.meta.filename ?? process.argv[1]]) {
      try {
        loader = createRequire(from).resolve('tsx');
        break;
      } catch {
        // try the next place
      }
    }
    if (loader === undefined) throw new ValueError(`torch-node run: ${script} is TypeScript, but the package 'tsx' was not found to run it (npm install --save-dev tsx), or compile it to JavaScript first`);
    // tsx's ESM loader entry; `--import` wants a URL.
    const loaderEntry = resolve(dirname(loader), 'loader.mjs');
    return [process.execPath, ['--import', pathToFileURL(existsSync(loaderEntry) ? loaderEntry : loader).href, script, ...args]];
  }
  return [process.execPath, [script, ...args]];
}

/** Where run() writes: the launcher's own stdout and stderr by default. */
export interface RunIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

interface RankProcess {
  rank: number;
  local_rank: number;
  child: ChildProcess;
  stderrTail: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const TAIL_LINES = 40;

/** Splits a stream into lines and writes each with a prefix; keeps the last lines if asked. */
function forwardLines(stream: NodeJS.ReadableStream | null, prefix: string, out: RunIO['stdout'], tail?: string[]): Promise<void> {
  return new Promise((done) => {
    if (stream === null) return done();
    let pending = '';
    stream.setEncoding('utf8');
    const emit = (line: string) => {
      out.write(prefix + line + '\n');
      if (tail !== undefined) {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    };
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        emit(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (pending !== '') emit(pending);
      done();
    });
    stream.on('error', () => done());
  });
}

/**
 * Runs a script on nproc_per_node local ranks (Python: `torchrun`). Resolves to the launcher's
 * exit code: 0 when every rank succeeded; otherwise the failing rank's exit code (1 when it
 * was killed by a signal), after the other ranks were stopped (SIGTERM, then SIGKILL after
 * the grace period) and the failure was reported on stderr with the end of that rank's stderr.
 *
 * Example: `process.exitCode = await run(['--nproc-per-node', '2', 'train.ts', '--epochs', '3'])`
 */
export async function run(argv: string[] | RunOptions, io: RunIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const options = Array.isArray(argv) ? parseRunArgs(argv) : argv;
  let { master_addr, master_port } = options;
  if (options.standalone) {
    master_addr = '127.0.0.1';
    master_port = await freePort();
  }
  const worldSize = options.nnodes * options.nproc_per_node;
  const runId = options.standalone ? randomUUID() : process.env.TORCHELASTIC_RUN_ID ?? 'none';
  const [command, baseArgs] = commandFor(options.script, options.script_args, options.no_python);

  const ranks: RankProcess[] = [];
  const outputs: Promise<void>[] = [];
  for (let local = 0; local < options.nproc_per_node; local++) {
    const rank = options.node_rank * options.nproc_per_node + local;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RANK: String(rank),
      LOCAL_RANK: String(local),
      WORLD_SIZE: String(worldSize),
      LOCAL_WORLD_SIZE: String(options.nproc_per_node),
      GROUP_RANK: String(options.node_rank),
      ROLE_RANK: String(rank),
      ROLE_NAME: 'default',
      ROLE_WORLD_SIZE: String(worldSize),
      GROUP_WORLD_SIZE: String(options.nnodes),
      MASTER_ADDR: master_addr,
      MASTER_PORT: String(master_port),
      TORCHELASTIC_RUN_ID: runId,
      TORCHELASTIC_RESTART_COUNT: '0',
      TORCHELASTIC_MAX_RESTARTS: '0',
    };
    // Like torchrun: one intra-op thread per rank unless the user chose, so N ranks do not
    // each start a thread per core.
    if (options.nproc_per_node > 1 && process.env.OMP_NUM_THREADS === undefined) env.OMP_NUM_THREADS = '1';
    const child = spawn(command, baseArgs, { env, stdio: ['inherit', 'pipe', 'pipe'] });
    const stderrTail: string[] = [];
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.on('error', (error) => {
        stderrTail.push(`could not start ${command}: ${error.message}`);
        done({ code: 127, signal: null });
      });
      child.on('exit', (code, signal) => done({ code, signal }));
    });
    outputs.push(forwardLines(child.stdout, `[rank${rank}]: `, io.stdout), forwardLines(child.stderr, `[rank${rank}]: `, io.stderr, stderrTail));
    ranks.push({ rank, local_rank: local, child, stderrTail, exit });
  }

  let failure: { proc: RankProcess; code: number | null; signal: NodeJS.Signals | null } | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const stopOthers = () => {
    for (const r of ranks) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      for (const r of ranks) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    }, options.stop_grace_seconds * 1000);
    killTimer.unref();
  };
  const forward = (signal: NodeJS.Signals) => () => {
    for (const r of ranks) r.child.kill(signal);
  };
  const onSigint = forward('SIGINT');
  const onSigterm = forward('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    await Promise.all(
      ranks.map(async (proc) => {
        const { code, signal } = await proc.exit;
        if ((code !== 0 || signal !== null) && failure === null) {
          failure = { proc, code, signal };
          stopOthers();
        }
      }),
    );
    await Promise.all(outputs);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }
  if (failure === null) return 0;
  const { proc, code, signal } = failure as { proc: RankProcess; code: number | null; signal: NodeJS.Signals | null };
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  io.stderr.write(
    `torch-node run: rank ${proc.rank} (local_rank ${proc.local_rank}) ${how}; the other ranks were stopped.\n` +
      `  script: ${options.script}\n` +
      (proc.stderrTail.length > 0 ? `  its error (last lines of its stderr):\n${proc.stderrTail.map((l) => '    ' + l).join('\n')}\n` : '  it wrote nothing to stderr\n'),
  );
  return code !== null && code > 0 ? code : 1;
}

// `npx tsx lib/distributed/run.ts --nproc-per-node 2 train.ts` until the CLI wires `torch-node run`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
    },
  );
}
