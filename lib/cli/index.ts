// torch-node's command line:
//   torch-node train <cnn|rnn|transformer> [options]   train one of the book's models
//   torch-node eval <checkpoint> [options]             test accuracy of a checkpoint
//   torch-node run --nproc-per-node N script [args]    torchrun-style launcher (lib/distributed/run.ts)
// Exit codes: 0 done, 1 runtime error, 2 bad command line (one-line error and the usage on
// stderr), 130 interrupted by Ctrl-C (after saving the checkpoint).
//
// Run from a checkout: npx tsx lib/cli/index.ts train cnn  (or the package bin: npx torch-node ...)
import { pathToFileURL } from 'node:url';
import { UsageError, parseArgs, suggestion } from './args.js';
import { EVAL_OPTIONS, EVAL_USAGE, evalCommand, evalHelp, type CliIO } from './eval.js';
import { TRAIN_OPTIONS, TRAIN_USAGE, trainCommand, trainHelp } from './train.js';

const COMMANDS = ['train', 'eval', 'run', 'help'] as const;
const RUN_USAGE = 'usage: torch-node run --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P] script [args...]';

/** Another command's usage line(s) under the first: 'usage: ' becomes an indent. */
function indentUsage(usage: string): string {
  return usage.replace(/^usage: /, '       ');
}

/** The usage of every command (after an error that names no known command, and in the help). */
export const USAGE = [TRAIN_USAGE, indentUsage(EVAL_USAGE), indentUsage(RUN_USAGE), '       torch-node help [train|eval|run]'].join('\n');

/** The usage printed after a command-line error: the command's own when it is known. */
function usageFor(command: string | undefined): string {
  if (command === 'train') return TRAIN_USAGE;
  if (command === 'eval') return EVAL_USAGE;
  return USAGE;
}

function help(): string {
  return (
    'torch-node: PyTorch for TypeScript on Node.js\n\n' +
    `${USAGE}\n\n` +
    'commands:\n' +
    '  train   train the book\'s CNN, RNN or Transformer on MNIST / Fashion-MNIST, with a live progress bar,\n' +
    '          a checkpoint Python\'s torch.load reads, and optional loss/accuracy plots (--plot out.svg)\n' +
    '  eval    test accuracy of a checkpoint written by train\n' +
    '  run     start N copies of a script for distributed training (like torchrun)\n\n' +
    "Run 'torch-node help <command>' for the command's options.\n"
  );
}

/** What lib/distributed/run.ts exports (imported lazily: it is optional, and only `run` needs it). */
interface Launcher {
  parseRunArgs(argv: string[]): unknown;
  run(options: unknown, io?: { stdout: { write(chunk: string): unknown }; stderr: { write(chunk: string): unknown } }): Promise<number>;
}

/** `torch-node run ...`, dispatched to the torchrun-style launcher in lib/distributed/run.ts. */
async function runCommand(argv: string[], io: CliIO): Promise<number> {
  let launcher: Launcher;
  try {
    // A variable specifier: the launcher is optional, so the CLI type-checks and runs without it.
    const specifier = '../distributed/run.js';
    launcher = (await import(specifier)) as Launcher;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    io.stderr.write("torch-node: error: the 'run' command is not available in this build (lib/distributed/run.ts is missing)\n");
    return 1;
  }
  let options: unknown;
  try {
    options = launcher.parseRunArgs(argv);
  } catch (e) {
    // The launcher reports a bad command line as `torch-node run: <message>\n<usage>`.
    const message = e instanceof Error ? e.message : '';
    if (!message.startsWith('torch-node run: ')) throw e;
    const [first, ...usage] = message.split('\n');
    if (first.endsWith('help requested')) {
      io.stdout.write(`${usage.join('\n')}\n`);
      return 0;
    }
    io.stderr.write(`torch-node: error: ${first.slice('torch-node run: '.length)}\n${usage.join('\n')}\n`);
    return 2;
  }
  return launcher.run(options, io);
}

/**
 * Runs the command line `argv` (the words after `torch-node`) and returns the exit code.
 * Writes to `io` (default: the process's stdout and stderr).
 *
 * Example: `process.exitCode = await main(['train', 'cnn', '--epochs', '1'])`
 */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train': {
        const parsed = parseArgs(rest, TRAIN_OPTIONS);
        if (parsed.help) {
          io.stdout.write(trainHelp());
          return 0;
        }
        return await trainCommand(parsed, io);
      }
      case 'eval': {
        const parsed = parseArgs(rest, EVAL_OPTIONS);
        if (parsed.help) {
          io.stdout.write(evalHelp());
          return 0;
        }
        return evalCommand(parsed, io);
      }
      case 'run':
        return await runCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        if (rest[0] === 'train') io.stdout.write(trainHelp());
        else if (rest[0] === 'eval') io.stdout.write(evalHelp());
        else if (rest[0] === 'run') return await runCommand(['--help'], io);
        else io.stdout.write(help());
        return 0;
      case undefined:
        throw new UsageError('missing command: train, eval or run');
      default:
        throw new UsageError(`unknown command '${command}'${suggestion(command, COMMANDS)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`torch-node: error: ${e.message}\n${usageFor(command)}\n`);
      return 2;
    }
    const err = e as Error;
    io.stderr.write(`torch-node: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n`);
    if (process.env.TORCH_NODE_DEBUG) io.stderr.write(`${err?.stack ?? ''}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
