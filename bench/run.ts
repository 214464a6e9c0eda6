// npm run bench [-- --quick] [--cases a,b] [--reps N] [--seconds S] [--no-python] [--floor]
// Runs every case of bench/cases.ts and its twin in bench/cases.py, interleaved, each
// in a fresh process, several times; prints case | torch-node | PyTorch | ratio (median
// time, torch-node ÷ PyTorch: below 1 means torch-node is faster) and writes
// bench/results.json. Both sides use the same thread count (BENCH_THREADS, default 1).
// --floor also builds bench/floor and runs, beside the two, the cases it has in C++ (libtorch
// alone, no binding), and measures what it costs V8's collector to own a tensor: the table then
// has the lowest ratio that a binding whose tensors the GC owns could reach (see floorRatio).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { native } from '../lib/_C.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const quick = flag('--quick');
const withFloor = flag('--floor');
const reps = Number(option('--reps', quick ? '1' : '5'));
const seconds = Number(option('--seconds', quick ? '0.2' : '2'));
const threads = process.env.BENCH_THREADS ?? '1';

const ALL_CASES = [
  'add', 'add_grad', 'chain10', 'slice', 'from_array_1000',
  'cnn_train_b8', 'cnn_train_b64', 'cnn_train_b256', 'cnn_infer_b1', 'cnn_infer_b64',
  'rnn_train_b64', 'transformer_train_b32', 'transformer_infer_b1', 'lstm_lm_step', 'mlp_infer_b1',
  'cnn_train_memory',
];
const cases = option('--cases', '') ? option('--cases', '').split(',') : ALL_CASES;

function findPython(): string | null {
  if (flag('--no-python')) return null;
  for (const candidate of [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next interpreter
    }
  }
  return null;
}
const python = findPython();
const pythonTorch = python ? execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim() : null;

/** The .ts files under `dir`, recursively (declaration files excluded). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * The torch-node side runs as compiled JavaScript, as the package ships, not under tsx: tsx is a
 * development loader and would add its own ~33 MiB to the memory case (compiled, a process starts
 * at 213 MiB; Python with torch at 224 MiB). esbuild transpiles file by file, as tsx does, into
 * build/bench-js; lib/_C.ts still finds the addon from there (it looks for the package root).
 */
function compileCases(): string {
  const outdir = join(root, 'build', 'bench-js');
  const entryPoints = [join(here, 'cases.ts'), join(here, 'floor', 'gc_ownership.ts'), ...tsFiles(join(root, 'lib')), ...tsFiles(join(root, 'examples', 'book'))];
  buildSync({ entryPoints, outdir, outbase: root, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  return join(outdir, 'bench', 'cases.js');
}
const compiledCases = compileCases();

interface Sample { value: number; unit: string; per?: number; results?: number }

function runSide(command: string, argv: string[], env: Record<string, string> = {}): Sample {
  const result = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, BENCH_THREADS: threads, ...env }, maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed:\n${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Sample;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs: number[]) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : 0);

/**
 * Builds bench/floor (build/floor): libtorch_cases, the C++ twins of some cases, and
 * gc_ownership.node. The cases it has, by name.
 */
function buildFloor(): { cases: Set<string>; program: string; env: Record<string, string>; addon: string } {
  const dir = join(root, 'build', 'floor');
  const nodeApi = (createRequire(import.meta.url)('node-api-headers') as { include_dir: string }).include_dir;
  const run = (argv: string[]) => execFileSync('cmake', argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  run(['-S', join(here, 'floor'), '-B', dir, `-DNODE_API_INCLUDE_DIR=${nodeApi}`]);
  run(['--build', dir]);
  const program = join(dir, 'libtorch_cases');
  const cases = new Set(execFileSync(program, ['--list'], { encoding: 'utf8' }).trim().split('\n'));
  // The glibc heap thresholds that the addon sets for itself (native/addon.cpp tuneMalloc), set
  // here through glibc's environment: the floor is what a binding could reach, and a binding can
  // keep its heap as torch-node does.
  const tuning = native.mallocTuning();
  const env: Record<string, string> = tuning ? { MALLOC_MMAP_THRESHOLD_: String(tuning[0]), MALLOC_TRIM_THRESHOLD_: String(tuning[1]) } : {};
  return { cases, program, env, addon: join(dir, 'gc_ownership.node') };
}
const floor = withFloor ? buildFloor() : null;

/**
 * What it costs V8's collector to own one tensor, in µs: a native call with a fresh object, plus
 * a tensor freed by a Node-API finalizer instead of at once (bench/floor/gc_ownership.ts).
 */
interface OwnershipProbes { callOnly: number; tensorFreedAtOnce: number; tensorOwnedByGc: number }
function gcOwnershipCost(addon: string): (OwnershipProbes & { perTensor: number }) | null {
  const script = join(dirname(compiledCases), 'floor', 'gc_ownership.js');
  const result = spawnSync(process.execPath, ['--expose-gc', script, addon, String(Math.max(1, seconds))], { encoding: 'utf8' });
  if (result.status !== 0) {
    failed = true;
    console.error(`gc_ownership failed:\n${result.stderr}`);
    return null;
  }
  const samples = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<keyof OwnershipProbes, number[]>;
  const probes: OwnershipProbes = { callOnly: median(samples.callOnly), tensorFreedAtOnce: median(samples.tensorFreedAtOnce), tensorOwnedByGc: median(samples.tensorOwnedByGc) };
  return { ...probes, perTensor: probes.callOnly + probes.tensorOwnedByGc - probes.tensorFreedAtOnce };
}

interface Row { case: string; unit: string; per?: number; torch_node: number[]; pytorch: number[]; libtorch: number[]; results?: number }
const rows: Row[] = [];
let failed = false;
for (const name of cases) {
  const row: Row = { case: name, unit: '', torch_node: [], pytorch: [], libtorch: [] };
  try {
    for (let r = 0; r < reps; r++) {
      const ours = runSide(process.execPath, [compiledCases, name, String(seconds)]);
      row.unit = ours.unit;
      row.per = ours.per;
      row.torch_node.push(ours.value);
      if (python) row.pytorch.push(runSide(python, [join(here, 'cases.py'), name, String(seconds)]).value);
      if (floor?.cases.has(name)) {
        const alone = runSide(floor.program, [name, String(seconds)], floor.env);
        row.libtorch.push(alone.value);
        row.results = alone.results;
      }
    }
  } catch (e) {
    failed = true;
    console.error((e as Error).message);
  }
  rows.push(row);
  const t = row.torch_node.length ? median(row.torch_node) : NaN;
  const p = row.pytorch.length ? median(row.pytorch) : NaN;
  const alone = row.libtorch.length ? `, libtorch alone ${median(row.libtorch).toFixed(2)}` : '';
  process.stderr.write(`${name}: torch-node ${t.toFixed(2)} ${row.unit}${python ? `, PyTorch ${p.toFixed(2)}, ratio ${(t / p).toFixed(3)}` : ''}${alone}\n`);
}
const ownership = floor ? gcOwnershipCost(floor.addon) : null;

/**
 * The lowest ratio a binding whose tensors V8's collector owns could reach: libtorch alone, plus
 * for each tensor a step returns to JS a native call and its ownership, over PyTorch's time.
 */
function floorRatio(row: Row): string {
  if (!ownership || !row.libtorch.length || !row.pytorch.length) return 'n/a';
  return ((median(row.libtorch) + (row.results ?? 0) * ownership.perTensor) / median(row.pytorch)).toFixed(3);
}

const fmt = (xs: number[], unit: string) => (xs.length ? `${median(xs).toFixed(unit.startsWith('MiB') ? 0 : 2)} ±${(spread(xs) * 50).toFixed(0)}%` : 'n/a');
const header = `| case | unit | torch-node | PyTorch ${pythonTorch ?? '(not run)'} | ratio |${floor ? ' libtorch alone | floor ratio |' : ''}`;
const lines = [header, `|---|---|---:|---:|---:|${floor ? '---:|---:|' : ''}`];
for (const row of rows) {
  const ratio = row.torch_node.length && row.pytorch.length ? (median(row.torch_node) / median(row.pytorch)).toFixed(3) : 'n/a';
  const floorCells = floor ? ` ${fmt(row.libtorch, row.unit)} | ${floorRatio(row)} |` : '';
  lines.push(`| ${row.case} | ${row.unit} | ${fmt(row.torch_node, row.unit)} | ${fmt(row.pytorch, row.unit)} | ${ratio} |${floorCells}`);
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${threads} thread(s) per side, ${reps} runs × ${seconds} s per case (median ± half the range)`;
const ownershipLine = ownership
  ? `\n\nGC ownership of a tensor (bench/floor/gc_ownership.ts): ${ownership.perTensor.toFixed(3)} µs = a native call with a fresh object ${ownership.callOnly.toFixed(3)} + freed by a finalizer ${ownership.tensorOwnedByGc.toFixed(3)} − freed at once ${ownership.tensorFreedAtOnce.toFixed(3)}`
  : '';
console.log(`${machine}\n\n${lines.join('\n')}${ownershipLine}`);
writeFileSync(
  join(here, quick ? 'results-quick.json' : 'results.json'),
  JSON.stringify({ machine, date: new Date().toISOString(), python, pythonTorch, threads: Number(threads), reps, seconds, ownership, rows }, null, 2) + '\n',
);
if (failed) process.exit(1);
