// Command-line parsing for torch-node's CLI: a table of options per command, `--name value` and
// `--name=value`, typed and range-checked values, and one error class (UsageError) that the
// entry point turns into a one-line message, the usage, and exit code 2.

/** A bad command line (unknown option, bad value, missing file...): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How an option's value is read. */
export type OptionKind = 'int' | 'number' | 'string' | 'choice' | 'flag';

/** One option of a command. */
export interface OptionSpec {
  kind: OptionKind;
  /** One line of help. */
  help: string;
  /** Allowed values of a 'choice'. */
  choices?: readonly string[];
  /** Smallest allowed value of an 'int' or 'number'. */
  min?: number;
  /** Whether `min` itself is excluded (lr > 0). */
  exclusiveMin?: boolean;
  /** The value's name in the help (`--epochs N`). */
  metavar?: string;
  /** Shown in the help; the command fills in the real default. */
  defaultText?: string;
}

export type OptionValue = string | number | boolean | null;

/** The result of parsing: positionals, options by snake_case name, and which options were given. */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, OptionValue>;
  /** snake_case names of the options given on the command line. */
  given: Set<string>;
  /** `-h` / `--help` was given. */
  help: boolean;
}

/** `batch-size` -> `batch_size` (the checkpoint's `args` use Python's argparse names). */
export function snakeCase(name: string): string {
  return name.replace(/-/g, '_');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** " (did you mean --epochs?)" when a known name is close to `name`. */
export function suggestion(name: string, known: readonly string[], prefix = ''): string {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${prefix}${best}?)` : '';
}

function parseValue(name: string, spec: OptionSpec, raw: string): OptionValue {
  switch (spec.kind) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) throw new UsageError(`--${name} expects an integer, got '${raw}'`);
      const value = Number(raw);
      if (spec.min !== undefined && value < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, got ${value}`);
      return value;
    }
    case 'number': {
      const value = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(value)) throw new UsageError(`--${name} expects a number, got '${raw}'`);
      if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) {
        throw new UsageError(`--${name} must be ${spec.exclusiveMin ? 'greater than' : 'at least'} ${spec.min}, got ${value}`);
      }
      return value;
    }
    case 'choice':
      if (!spec.choices!.includes(raw)) throw new UsageError(`--${name} must be one of ${spec.choices!.join(', ')}, got '${raw}'${suggestion(raw, spec.choices!)}`);
      return raw;
    case 'string':
      if (raw === '') throw new UsageError(`--${name} expects a ${spec.metavar?.toLowerCase() ?? 'value'}, got an empty string`);
      return raw;
    default:
      throw new UsageError(`--${name} takes no value, got '${raw}'`);
  }
}

/**
 * Parses `argv` (the words after the command) against `specs` (keyed by kebab-case name).
 * Accepts `--name value`, `--name=value`, flags without a value, `--` to end the options, and
 * `-h`/`--help`. Throws UsageError for unknown options, missing or bad values, and repeats.
 */
export function parseArgs(argv: readonly string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const result: ParsedArgs = { positionals: [], options: {}, given: new Set(), help: false };
  const names = Object.keys(specs);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      result.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-h' || word === '--help') {
      result.help = true;
      continue;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      result.positionals.push(word);
      continue;
    }
    if (!word.startsWith('--')) throw new UsageError(`unknown option '${word}' (options are spelled --name)`);
    const eq = word.indexOf('=');
    const name = word.slice(2, eq >= 0 ? eq : undefined);
    const spec = specs[name] ?? specs[name.replace(/_/g, '-')];
    if (spec === undefined) throw new UsageError(`unknown option '--${name}'${suggestion(name, names, '--')}`);
    const key = snakeCase(name);
    if (result.given.has(key)) throw new UsageError(`--${name} was given twice`);
    result.given.add(key);
    if (spec.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value, got '${word.slice(eq + 1)}'`);
      result.options[key] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = word.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} expects ${describeValue(spec)}`);
      raw = next;
      i++;
    }
    result.options[key] = parseValue(name, spec, raw);
  }
  return result;
}

function describeValue(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'choice':
      return `one of ${spec.choices!.join(', ')}`;
    default:
      return `a ${spec.metavar?.toLowerCase() ?? 'value'}`;
  }
}

/** The options' help lines, aligned: `  --epochs N          Epochs to train (default: 1)`. */
export function formatOptions(specs: Record<string, OptionSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const metavar = spec.kind === 'flag' ? '' : ` ${spec.kind === 'choice' ? spec.choices!.join('|') : (spec.metavar ?? 'VALUE')}`;
    const left = `  --${name}${metavar}`;
    const right = spec.defaultText !== undefined ? `${spec.help} (default: ${spec.defaultText})` : spec.help;
    return [left, right] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows.map(([left, right]) => (left.length + 2 > width ? `${left}\n${' '.repeat(width)}${right}` : left.padEnd(width) + right)).join('\n');
}
