// torch.optim.lr_scheduler (torch/optim/lr_scheduler.py, PyTorch 1.13): learning-rate
// schedulers. Each scheduler writes `lr` (and, for OneCycleLR / CyclicLR, `momentum` or
// `betas`) into its optimizer's parameter groups with the same float operations, in the
// same order, as PyTorch, so the sequences it produces are PyTorch's, double for double
// (cos, log and pow are computed as glibc computes them for CPython; see "Correctly rounded").
//
// PyTorch subclasses set their own fields and then call `super().__init__(optimizer, ...)`,
// which takes the first step. A TypeScript constructor cannot touch `this` before `super()`,
// so here subclasses call `super()`, set their fields, then `this._initialize(optimizer, ...)`.
import { warn } from '../warnings.js';
import { NotImplementedError, IndexError, TorchError, TorchTypeError, ValueError, argumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';

// ---------------------------------------------------------------------------------------------
// The optimizer as schedulers see it
// ---------------------------------------------------------------------------------------------

/**
 * What a scheduler needs from an optimizer: its parameter groups (each with an `lr`).
 *
 * Any torch.optim optimizer fits. `defaults` (PyTorch's `optimizer.defaults`) is consulted by
 * OneCycleLR and CyclicLR to tell whether the optimizer has `momentum` or `betas`; without it
 * the first parameter group is consulted.
 */
export interface SchedulableOptimizer {
  param_groups: Array<{ lr: number; [option: string]: unknown }>;
  defaults?: object;
}

/** One parameter group of a {@link SchedulableOptimizer}. */
export type SchedulableParamGroup = SchedulableOptimizer['param_groups'][number];

/** A multiplicative factor of the learning rate as a function of the epoch (LambdaLR, MultiplicativeLR). */
export type LrLambda = (epoch: number) => number;

/** CyclicLR's custom scaling policy: the amplitude scale (0..1) for a cycle number or an iteration. */
export type ScaleFn = (x: number) => number;

/** Options every epoch-based scheduler takes. */
export interface SchedulerOptions {
  /** The index of the last epoch; -1 starts the schedule. Default: -1. */
  last_epoch?: number;
  /** Print a message for each update. Default: false. */
  verbose?: boolean;
}

/** The scheduler's state as a plain object (see {@link LRScheduler.state_dict}). */
export type SchedulerStateDict = Record<string, unknown>;

/** PyTorch's UserWarning for `scheduler.step(epoch)`. */
export const EPOCH_DEPRECATION_WARNING =
  'The epoch parameter in `scheduler.step()` was not necessary and is being ' +
  'deprecated where possible. Please use `scheduler.step()` to step the ' +
  'scheduler. During the deprecation, if epoch is different from None, the ' +
  'closed form is used instead of the new chainable form, where available. ' +
  'Please open an issue if you are unable to replicate your use case: ' +
  'https://github.com/pytorch/pytorch/issues/new/choose.';

const GET_LAST_LR_WARNING = 'To get the last learning rate computed by the scheduler, please use `get_last_lr()`.';

// ---------------------------------------------------------------------------------------------
// Python semantics the schedules depend on
// ---------------------------------------------------------------------------------------------

// Python's `warnings.warn`, shown once per message (clearWarningRegistry resets it, for tests).
export { clearWarningRegistry } from '../warnings.js';

/** Python's `str()` of a value, for messages that quote an argument. */
function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
    if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
    // Python's repr switches to exponent notation below 1e-4 and from 1e16; JS's String at 1e-7 and 1e21.
    const [mantissa, exponent] = value.toExponential().split('e');
    const exp = Number(exponent);
    if (exp >= -4 && exp < 16) return String(value);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (Array.isArray(value)) return `[${value.map(pyStr).join(', ')}]`;
  return String(value);
}

/** The type name PyTorch's "... is not an Optimizer" would give. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') return (value as object).constructor?.name ?? 'Object';
  return typeof value;
}

// Python raises ZeroDivisionError where JS divides into inf / nan; these raise TorchError with
// Python's message. JS cannot tell 2 from 2.0, so the messages assume the operand types that
// PyTorch's code has at each call site.

/** Python's true division `a / b` (of floats, or of ints with `ints`). */
function pyDiv(a: number, b: number, ints = false): number {
  if (b === 0) throw new TorchError(ints ? 'division by zero' : 'float division by zero');
  return a / b;
}

/** Python's `a % b` of ints: the result has the sign of the divisor. */
function pyMod(a: number, b: number): number {
  if (b === 0) throw new TorchError(Number.isInteger(a) ? 'integer modulo by zero' : 'float modulo');
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Python's `a // b` of ints. */
function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new TorchError('integer division or modulo by zero');
  return Math.floor(a / b);
}

/** Python's `bisect.bisect_right` on a sorted array. */
function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Correctly rounded cos, log and pow, in double-double arithmetic. CPython's math.cos,
// math.log and `**` call glibc, whose cos, log and pow round correctly except within a few
// hundredths of an ulp of a midpoint; V8's Math.cos, Math.log and `**` (fdlibm) are off by an
// ulp far more often. Computing them here to ~2^-100 and rounding once gives PyTorch's
// doubles. Where it matters most: CosineAnnealingWarmRestarts truncates math.log(x, T_mult) to
// an integer, and at restart epochs that quotient lies within an ulp of an integer (V8's
// Math.log(3) is one ulp below ln 3, which puts epoch 363 of T_0=3, T_mult=3 in another cycle).

/** An unevaluated sum hi + lo of two doubles with |lo| <= ulp(hi) / 2. */
type DoubleDouble = [number, number];
const SPLITTER = 134217729; // 2^27 + 1, Dekker's split

function twoSum(a: number, b: number): DoubleDouble {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function quickTwoSum(a: number, b: number): DoubleDouble {
  const s = a + b;
  return [s, b - (s - a)];
}

function split(a: number): DoubleDouble {
  const t = SPLITTER * a;
  const hi = t - (t - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DoubleDouble {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const [s1, s2] = twoSum(a[0], b[0]);
  const [t1, t2] = twoSum(a[1], b[1]);
  const [hi, lo] = quickTwoSum(s1, s2 + t1);
  return quickTwoSum(hi, lo + t2);
}

function ddNeg(a: DoubleDouble): DoubleDouble {
  return [-a[0], -a[1]];
}

function ddMul(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const [p, e] = twoProd(a[0], b[0]);
  return quickTwoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}

function ddDiv(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const q1 = a[0] / b[0];
  const r1 = ddAdd(a, ddNeg(ddMul(b, [q1, 0])));
  const q2 = r1[0] / b[0];
  const r2 = ddAdd(r1, ddNeg(ddMul(b, [q2, 0])));
  const q3 = r2[0] / b[0];
  return ddAdd(quickTwoSum(q1, q2), [q3, 0]);
}

/** a - k * c, with the constant c given to ~160 bits as three doubles. */
function ddReduce(a: DoubleDouble, k: number, c: readonly [number, number, number]): DoubleDouble {
  let r = ddAdd(a, ddNeg(twoProd(k, c[0])));
  r = ddAdd(r, ddNeg(twoProd(k, c[1])));
  return ddAdd(r, [-k * c[2], 0]);
}

const PI_OVER_2 = [1.5707963267948966, 6.123233995736766e-17, -1.4973849048591698e-33] as const;
const LN2 = [0.6931471805599453, 2.3190468138462996e-17, 5.707708438416212e-34] as const;
const TINY_TERM = 2 ** -110;
const float64View = new DataView(new ArrayBuffer(8));

/** 2^k as a double, exactly, for integer k in [-1074, 1023]. */
function pow2(k: number): number {
  if (k >= -1022) {
    float64View.setBigUint64(0, BigInt(k + 1023) << 52n);
    return float64View.getFloat64(0);
  }
  return pow2(k + 52) * 2 ** -52;
}

/** cos(r) for |r| <= pi/4 by its Taylor series. */
function cosSeries(r: DoubleDouble): DoubleDouble {
  const r2 = ddMul(r, r);
  let term: DoubleDouble = [1, 0];
  let sum: DoubleDouble = [1, 0];
  for (let n = 2; n < 64; n += 2) {
    term = ddDiv(ddMul(term, r2), [n * (n - 1), 0]);
    sum = ddAdd(sum, n % 4 === 2 ? ddNeg(term) : term);
    if (term[0] < TINY_TERM) break;
  }
  return sum;
}

/** sin(r) for |r| <= pi/4 by its Taylor series. */
function sinSeries(r: DoubleDouble): DoubleDouble {
  const r2 = ddMul(r, r);
  let term = r;
  let sum = r;
  for (let n = 3; n < 64; n += 2) {
    term = ddDiv(ddMul(term, r2), [n * (n - 1), 0]);
    sum = ddAdd(sum, n % 4 === 3 ? ddNeg(term) : term);
    if (Math.abs(term[0]) <= Math.abs(sum[0]) * TINY_TERM) break;
  }
  return sum;
}

/** Python's `math.cos(x)`. */
function pyCos(x: number): number {
  const ax = Math.abs(x);
  if (!Number.isFinite(x) || ax > 2 ** 40) return Math.cos(x);
  const k = Math.round(ax / PI_OVER_2[0]);
  const r = ddReduce([ax, 0], k, PI_OVER_2);
  const quadrant = k % 4;
  const v = quadrant === 0 ? cosSeries(r) : quadrant === 1 ? ddNeg(sinSeries(r)) : quadrant === 2 ? ddNeg(cosSeries(r)) : sinSeries(r);
  return v[0] + v[1];
}

/** ln(x) of a positive finite double, to ~2^-104. */
function logDD(x: number): DoubleDouble {
  // x = m * 2^k with m in [sqrt(1/2), sqrt(2)), both exactly.
  let k = 0;
  let y = x;
  if (y < 2 ** -1000) {
    y *= 2 ** 100; // subnormals and tiny normals: bring the exponent into range
    k -= 100;
  }
  float64View.setFloat64(0, y);
  const exponent = ((float64View.getUint16(0) >> 4) & 0x7ff) - 1023;
  k += exponent;
  let m = y * pow2(-exponent);
  if (m >= Math.SQRT2) {
    m /= 2;
    k += 1;
  }
  // ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1) / (m + 1), |s| < 0.172.
  const s = ddDiv([m - 1, 0], twoSum(m, 1));
  const s2 = ddMul(s, s);
  let power = s;
  let sum = s;
  for (let j = 3; j < 80; j += 2) {
    power = ddMul(power, s2);
    const term = ddDiv(power, [j, 0]);
    sum = ddAdd(sum, term);
    if (Math.abs(term[0]) <= Math.abs(sum[0]) * TINY_TERM) break;
  }
  // k ln2 + ln(m), with ln2 to ~160 bits.
  return ddReduce(ddAdd(sum, sum), -k, LN2);
}

/** Python's `math.log(x)`. */
function pyLn(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x);
  const v = logDD(x);
  return v[0] + v[1];
}

/** Python's `math.log(x, base)`: ln(x) / ln(base). */
function pyLog(x: number, base: number): number {
  return pyDiv(pyLn(x), pyLn(base));
}

/** Python's `x ** y` of floats. */
function pyPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (!Number.isFinite(x) || !Number.isFinite(y) || x === 0) return x ** y;
  if (x < 0) {
    if (!Number.isInteger(y)) return NaN; // Python gives a complex number
    const magnitude = pyPow(-x, y);
    return y % 2 === 0 ? magnitude : -magnitude;
  }
  const z = ddMul(logDD(x), [y, 0]);
  if (z[0] > 709 || z[0] < -708) return x ** y; // overflow / subnormal results
  // e^z = 2^k e^r, r = z - k ln2, |r| <= ln2 / 2, e^r by its Taylor series.
  const k = Math.round(z[0] / LN2[0]);
  const r = ddReduce(z, k, LN2);
  let term: DoubleDouble = [1, 0];
  let sum: DoubleDouble = [1, 0];
  for (let n = 1; n < 64; n++) {
    term = ddDiv(ddMul(term, r), [n, 0]);
    sum = ddAdd(sum, term);
    if (Math.abs(term[0]) <= TINY_TERM) break;
  }
  return (sum[0] + sum[1]) * pow2(k);
}

/** Python's `'{:.4e}'.format(x)`. */
function formatExp4(x: number): string {
  if (!Number.isFinite(x)) return pyStr(x);
  return x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Python's `'%.2f' if isinstance(epoch, float) else '%.5d'` (an integral number counts as an int). */
function formatEpoch(epoch: number): string {
  if (!Number.isInteger(epoch)) return epoch.toFixed(2);
  return (epoch < 0 ? '-' : '') + String(Math.abs(epoch)).padStart(5, '0');
}

// ---------------------------------------------------------------------------------------------
// Argument checks
// ---------------------------------------------------------------------------------------------

/** PyTorch's `isinstance(optimizer, Optimizer)`, structurally: an object with an array of parameter groups. */
function checkOptimizer(optimizer: unknown): SchedulableOptimizer {
  const groups = (optimizer as SchedulableOptimizer | null)?.param_groups;
  if (
    typeof optimizer !== 'object' || optimizer === null || !Array.isArray(groups) ||
    !groups.every((g) => typeof g === 'object' && g !== null)
  ) {
    throw new TorchTypeError(`${typeName(optimizer)} is not an Optimizer`);
  }
  return optimizer as SchedulableOptimizer;
}

function checkNumber(where: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') throw argumentError(where, arg, 'a number', value);
  return value;
}

function checkNumberOrList(where: string, arg: string, value: unknown): number | number[] {
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value;
  throw argumentError(where, arg, 'a number or an array of numbers', value);
}

function checkBoolean(where: string, arg: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw argumentError(where, arg, 'a boolean', value);
  return value;
}

function checkFunctionOrList<F>(where: string, arg: string, value: unknown): F | F[] {
  if (typeof value === 'function') return value as F;
  if (Array.isArray(value) && value.every((v) => typeof v === 'function')) return value as F[];
  throw argumentError(where, arg, 'a function or an array of functions', value);
}

/** `optimizer.defaults`, or the first group where the optimizer has none. */
function optimizerDefaults(optimizer: SchedulableOptimizer): object {
  return optimizer.defaults ?? optimizer.param_groups[0] ?? {};
}

/** OneCycleLR / CyclicLR's `_format_param`: one value per parameter group. */
function formatParam(name: string, optimizer: SchedulableOptimizer, param: number | number[]): number[] {
  if (Array.isArray(param)) {
    if (param.length !== optimizer.param_groups.length) {
      throw new ValueError(`expected ${optimizer.param_groups.length} values for ${name}, got ${param.length}`);
    }
    return [...param];
  }
  return optimizer.param_groups.map(() => param);
}

/** A numeric option of a parameter group, read as PyTorch reads `group[key]` (KeyError when absent). */
function groupNumber(group: SchedulableParamGroup, key: string): number {
  if (!(key in group)) throw new TorchError(`the parameter group has no '${key}'`);
  return group[key] as number;
}

// ---------------------------------------------------------------------------------------------
// State dicts
// ---------------------------------------------------------------------------------------------

/** A deep copy of plain data (arrays, plain objects, primitives). */
function copyData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyData) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copyData(v);
    return out as T;
  }
  return value;
}

/**
 * The object's own fields as a plain object, like PyTorch's `self.__dict__` minus `exclude`.
 * Functions (lambdas, bound methods) are left out, as are fields never set.
 */
function fieldsOf(obj: object, exclude: readonly string[]): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [key, value] of Object.entries(obj)) {
    if (exclude.includes(key) || typeof value === 'function' || value === undefined) continue;
    out[key] = copyData(value);
  }
  return out;
}

/** The saved state of a function: its own enumerable properties (PyTorch saves a callable object's `__dict__`, not a plain function). */
function functionState(fn: LrLambda): Record<string, unknown> | null {
  const own = Object.entries(fn);
  return own.length === 0 ? null : copyData(Object.fromEntries(own));
}

// ---------------------------------------------------------------------------------------------
// LRScheduler
// ---------------------------------------------------------------------------------------------

type CountedStep = ((...args: unknown[]) => unknown) & { _with_counter?: boolean };
type StepCountingOptimizer = SchedulableOptimizer & { step?: CountedStep; _step_count?: number };

/**
 * Wraps `optimizer.step` so that it counts its calls, as PyTorch does, to warn when
 * `scheduler.step()` comes before `optimizer.step()`. Objects without a `step` method are left alone.
 */
function countOptimizerSteps(optimizer: StepCountingOptimizer): void {
  const step = optimizer.step;
  if (typeof step !== 'function' || step._with_counter) return;
  const counted: CountedStep = (...args: unknown[]) => {
    optimizer._step_count = (optimizer._step_count ?? 0) + 1;
    return step.apply(optimizer, args);
  };
  counted._with_counter = true;
  optimizer.step = counted;
}

/**
 * Base class of the epoch-based schedulers (PyTorch 1.13's `_LRScheduler`, 2.x's `LRScheduler`).
 *
 * A subclass sets its own fields, then calls `this._initialize(optimizer, last_epoch, verbose)`
 * (where PyTorch calls `super().__init__`), and implements `get_lr()` (the chainable form, from
 * the groups' current `lr`) and optionally `_get_closed_form_lr()` (used by `step(epoch)`).
 *
 * Example:
 * ```ts
 * class WarmupLR extends LRScheduler {
 *   warmup: number;
 *   constructor(optimizer: SchedulableOptimizer, warmup: number) {
 *     super();
 *     this.warmup = warmup;
 *     this._initialize(optimizer);
 *   }
 *   get_lr() { return this.base_lrs.map((lr) => lr * Math.min(1, (this.last_epoch + 1) / this.warmup)); }
 * }
 * ```
 */
export class LRScheduler {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  optimizer!: SchedulableOptimizer;
  /** Each group's `initial_lr`. */
  base_lrs!: number[];
  /** The index of the last epoch (or batch) stepped. */
  last_epoch!: number;
  /** Print a message for each update. */
  verbose!: boolean;
  /** @internal How many times step() ran since the initial step. */
  _step_count!: number;
  /** @internal True while step() is calling get_lr(). */
  _get_lr_called_within_step!: boolean;
  /** @internal The groups' lr after the last step. */
  _last_lr!: number[];

  protected constructor() {}

  /**
   * PyTorch's `_LRScheduler.__init__`: attaches the optimizer, sets each group's `initial_lr`
   * (or requires it when resuming with `last_epoch` != -1), and takes the initial step.
   */
  protected _initialize(optimizer: SchedulableOptimizer, last_epoch = -1, verbose = false): void {
    const opt = checkOptimizer(optimizer);
    this.optimizer = opt;
    checkNumber(this.constructor.name, 'last_epoch', last_epoch);
    if (last_epoch === -1) {
      for (const group of opt.param_groups) if (!('initial_lr' in group)) group.initial_lr = group.lr;
    } else {
      opt.param_groups.forEach((group, i) => {
        if (!('initial_lr' in group)) {
          throw new TorchError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.base_lrs = opt.param_groups.map((group) => group.initial_lr as number);
    this.last_epoch = last_epoch;
    countOptimizerSteps(opt as StepCountingOptimizer);
    this.verbose = verbose;
    this._initial_step();
  }

  /** @internal Resets the step counts and takes the first step. */
  _initial_step(): void {
    const opt = this.optimizer as StepCountingOptimizer;
    if (typeof opt.step === 'function') opt._step_count = 0;
    this._step_count = 0;
    this.step();
  }

  /**
   * The scheduler's state: every field but the optimizer (and functions), as a plain object.
   * Save the optimizer's state with it: chainable schedules continue from the groups' `lr`.
   */
  state_dict(): SchedulerStateDict {
    return fieldsOf(this, ['optimizer']);
  }

  /** Restores the state returned by {@link state_dict}. */
  load_state_dict(state_dict: SchedulerStateDict): void {
    Object.assign(this, copyData(state_dict));
  }

  /** The learning rates (one per group) that the last step set. */
  get_last_lr(): number[] {
    return [...this._last_lr];
  }

  /** The learning rates for `last_epoch`, in the chainable form. Subclasses implement it. */
  get_lr(): number[] {
    throw new NotImplementedError(`${this.constructor.name} does not implement get_lr()`);
  }

  /** @internal The closed form of the schedule, used by `step(epoch)` where a scheduler has one. */
  _get_closed_form_lr?(): number[];

  /** Prints the learning rate of `group` when `is_verbose` (PyTorch's message). */
  print_lr(is_verbose: boolean, group: number, lr: number, epoch?: number): void {
    if (!is_verbose) return;
    if (epoch === undefined || epoch === null) {
      console.log(`Adjusting learning rate of group ${group} to ${formatExp4(lr)}.`);
    } else {
      console.log(`Epoch ${formatEpoch(epoch)}: adjusting learning rate of group ${group} to ${formatExp4(lr)}.`);
    }
  }

  /** @internal PyTorch's warning when get_lr() is called from outside step(). */
  protected _warn_get_lr_outside_step(): void {
    if (!this._get_lr_called_within_step) warn(GET_LAST_LR_WARNING);
  }

  /**
   * Advances the schedule one epoch and writes the new learning rates into the optimizer.
   *
   * Args:
   *   epoch: deprecated in PyTorch; jumps to this epoch, using the closed form where the
   *     scheduler has one (warns like PyTorch).
   */
  step(epoch?: number): void {
    const opt = this.optimizer as StepCountingOptimizer;
    // https://github.com/pytorch/pytorch/issues/20124: scheduler.step() belongs after optimizer.step().
    if (this._step_count === 1 && typeof opt.step === 'function') {
      if (!opt.step._with_counter) {
        warn(
          'Seems like `optimizer.step()` has been overridden after learning rate scheduler ' +
            'initialization. Please, make sure to call `optimizer.step()` before ' +
            '`lr_scheduler.step()`. See more details at ' +
            'https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate',
        );
      } else if ((opt._step_count ?? 0) < 1) {
        warn(
          'Detected call of `lr_scheduler.step()` before `optimizer.step()`. ' +
            'In PyTorch 1.1.0 and later, you should call them in the opposite order: ' +
            '`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this ' +
            'will result in PyTorch skipping the first value of the learning rate schedule. ' +
            'See more details at ' +
            'https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate',
        );
      }
    }
    this._step_count += 1;

    let values: number[];
    this._get_lr_called_within_step = true;
    try {
      if (epoch === undefined || epoch === null) {
        this.last_epoch += 1;
        values = this.get_lr();
      } else {
        checkNumber(`${this.constructor.name}.step`, 'epoch', epoch);
        warn(EPOCH_DEPRECATION_WARNING);
        this.last_epoch = epoch;
        values = this._get_closed_form_lr !== undefined ? this._get_closed_form_lr() : this.get_lr();
      }
    } finally {
      this._get_lr_called_within_step = false;
    }

    const groups = this.optimizer.param_groups;
    const n = Math.min(groups.length, values.length);
    for (let i = 0; i < n; i++) {
      groups[i].lr = values[i];
      this.print_lr(this.verbose, i, values[i], epoch);
    }
    this._last_lr = groups.map((group) => group.lr);
  }
}

/** PyTorch 1.13's name of {@link LRScheduler}. */
export const _LRScheduler = LRScheduler;
/** PyTorch 1.13's name of {@link LRScheduler}. */
export type _LRScheduler = LRScheduler;

// ---------------------------------------------------------------------------------------------
// LambdaLR, MultiplicativeLR
// ---------------------------------------------------------------------------------------------

function formatLambdas(where: string, optimizer: SchedulableOptimizer, lr_lambda: unknown): LrLambda[] {
  const fns = checkFunctionOrList<LrLambda>(where, 'lr_lambda', lr_lambda);
  if (!Array.isArray(fns)) return optimizer.param_groups.map(() => fns);
  if (fns.length !== optimizer.param_groups.length) {
    throw new ValueError(`Expected ${optimizer.param_groups.length} lr_lambdas, but got ${fns.length}`);
  }
  return [...fns];
}

/**
 * Sets each group's learning rate to its initial lr times `lr_lambda(epoch)`.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   lr_lambda: a function of the epoch giving the factor, or one such function per group.
 *   options: `last_epoch` (default -1), `verbose` (default false).
 *
 * Example:
 * ```ts
 * const scheduler = new LambdaLR(optimizer, [(epoch) => Math.floor(epoch / 30), (epoch) => 0.95 ** epoch]);
 * for (let epoch = 0; epoch < 100; epoch++) { train(); scheduler.step(); }
 * ```
 */
/** What LambdaLR and MultiplicativeLR share: one factor function per group, left out of state_dict. */
abstract class LambdaScheduler extends LRScheduler {
  /** One factor function per group. */
  lr_lambdas: LrLambda[];

  constructor(name: string, optimizer: SchedulableOptimizer, lr_lambda: LrLambda | LrLambda[], options: SchedulerOptions) {
    super();
    const opt = checkOptimizer(optimizer);
    this.optimizer = opt;
    this.lr_lambdas = formatLambdas(name, opt, lr_lambda);
    this._initialize(opt, options.last_epoch ?? -1, options.verbose ?? false);
  }

  /** The state without the lambdas: only function objects that carry properties save those. */
  override state_dict(): SchedulerStateDict {
    const state = fieldsOf(this, ['optimizer', 'lr_lambdas']);
    state.lr_lambdas = this.lr_lambdas.map(functionState);
    return state;
  }

  override load_state_dict(state_dict: SchedulerStateDict): void {
    const { lr_lambdas, ...rest } = state_dict;
    Object.assign(this, copyData(rest));
    if (Array.isArray(lr_lambdas)) {
      lr_lambdas.forEach((fnState, idx) => {
        if (fnState !== null && fnState !== undefined) Object.assign(this.lr_lambdas[idx], copyData(fnState));
      });
    }
  }
}

export class LambdaLR extends LambdaScheduler {
  constructor(optimizer: SchedulableOptimizer, lr_lambda: LrLambda | LrLambda[], options: SchedulerOptions = {}) {
    super('LambdaLR', optimizer, lr_lambda, options);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    return this.lr_lambdas.map((lmbda, i) => this.base_lrs[i] * lmbda(this.last_epoch));
  }
}

/**
 * Multiplies each group's learning rate by `lr_lambda(epoch)` at every step (after the first).
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   lr_lambda: a function of the epoch giving the factor, or one such function per group.
 *   options: `last_epoch` (default -1), `verbose` (default false).
 *
 * Example:
 * ```ts
 * const scheduler = new MultiplicativeLR(optimizer, () => 0.95);
 * ```
 */
export class MultiplicativeLR extends LambdaScheduler {
  constructor(optimizer: SchedulableOptimizer, lr_lambda: LrLambda | LrLambda[], options: SchedulerOptions = {}) {
    super('MultiplicativeLR', optimizer, lr_lambda, options);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    if (this.last_epoch > 0) {
      return this.lr_lambdas.map((lmbda, i) => groups[i].lr * lmbda(this.last_epoch));
    }
    return groups.map((group) => group.lr);
  }
}

// ---------------------------------------------------------------------------------------------
// StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR
// ---------------------------------------------------------------------------------------------

/** Options of {@link StepLR}. */
export interface StepLROptions extends SchedulerOptions {
  /** Multiplicative factor of learning rate decay. Default: 0.1. */
  gamma?: number;
}

/**
 * Multiplies each group's learning rate by `gamma` every `step_size` epochs.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   step_size: period of the decay, in epochs.
 *   options: `gamma` (default 0.1), `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * // lr = 0.05 for epochs 0-29, 0.005 for 30-59, 0.0005 for 60-89, ...
 * const scheduler = new StepLR(optimizer, 30, { gamma: 0.1 });
 * ```
 */
export class StepLR extends LRScheduler {
  step_size: number;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, step_size: number, options: StepLROptions = {}) {
    super();
    this.step_size = checkNumber('StepLR', 'step_size', step_size);
    this.gamma = checkNumber('StepLR', 'gamma', options.gamma ?? 0.1);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    if (this.last_epoch === 0 || pyMod(this.last_epoch, this.step_size) !== 0) return groups.map((group) => group.lr);
    return groups.map((group) => group.lr * this.gamma);
  }

  override _get_closed_form_lr(): number[] {
    return this.base_lrs.map((base_lr) => base_lr * pyPow(this.gamma, pyFloorDiv(this.last_epoch, this.step_size)));
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions extends SchedulerOptions {
  /** Multiplicative factor of learning rate decay. Default: 0.1. */
  gamma?: number;
}

/**
 * Multiplies each group's learning rate by `gamma` at each milestone epoch (by `gamma ** k`
 * where a milestone is listed k times).
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   milestones: epoch indices.
 *   options: `gamma` (default 0.1), `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * // lr = 0.05 for epochs 0-29, 0.005 for 30-79, 0.0005 from 80
 * const scheduler = new MultiStepLR(optimizer, [30, 80], { gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** How many times each epoch is a milestone (PyTorch's `Counter(milestones)`). */
  milestones: Record<number, number>;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, milestones: number[], options: MultiStepLROptions = {}) {
    super();
    if (!Array.isArray(milestones) || !milestones.every((m) => typeof m === 'number')) {
      throw argumentError('MultiStepLR', 'milestones', 'an array of numbers', milestones);
    }
    this.milestones = {};
    for (const m of milestones) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    this.gamma = checkNumber('MultiStepLR', 'gamma', options.gamma ?? 0.1);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    const count = this.milestones[this.last_epoch];
    if (!count) return groups.map((group) => group.lr);
    return groups.map((group) => group.lr * pyPow(this.gamma, count));
  }

  override _get_closed_form_lr(): number[] {
    const sorted: number[] = [];
    for (const [m, count] of Object.entries(this.milestones)) for (let i = 0; i < count; i++) sorted.push(Number(m));
    sorted.sort((a, b) => a - b);
    return this.base_lrs.map((base_lr) => base_lr * pyPow(this.gamma, bisectRight(sorted, this.last_epoch)));
  }
}

/** Options of {@link ConstantLR}. */
export interface ConstantLROptions extends SchedulerOptions {
  /** The factor applied until the milestone, in [0, 1]. Default: 1/3. */
  factor?: number;
  /** The number of epochs the factor applies. Default: 5. */
  total_iters?: number;
}

/**
 * Multiplies each group's learning rate by a constant `factor` until epoch `total_iters`.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   options: `factor` (default 1/3), `total_iters` (default 5), `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * // lr = 0.025 for epochs 0-3, 0.05 from epoch 4
 * const scheduler = new ConstantLR(optimizer, { factor: 0.5, total_iters: 4 });
 * ```
 */
export class ConstantLR extends LRScheduler {
  factor: number;
  total_iters: number;

  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    super();
    const factor = checkNumber('ConstantLR', 'factor', options.factor ?? 1.0 / 3);
    if (factor > 1.0 || factor < 0) throw new ValueError('Constant multiplicative factor expected to be between 0 and 1.');
    this.factor = factor;
    this.total_iters = checkNumber('ConstantLR', 'total_iters', options.total_iters ?? 5);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    if (this.last_epoch === 0) return groups.map((group) => group.lr * this.factor);
    if (this.last_epoch !== this.total_iters) return groups.map((group) => group.lr);
    return groups.map((group) => group.lr * pyDiv(1.0, this.factor));
  }

  override _get_closed_form_lr(): number[] {
    const reached = this.last_epoch >= this.total_iters ? 1 : 0;
    return this.base_lrs.map((base_lr) => base_lr * (this.factor + reached * (1 - this.factor)));
  }
}

/** Options of {@link LinearLR}. */
export interface LinearLROptions extends SchedulerOptions {
  /** The factor at the first epoch, in [0, 1]. Default: 1/3. */
  start_factor?: number;
  /** The factor at epoch `total_iters` and after, in [0, 1]. Default: 1.0. */
  end_factor?: number;
  /** The number of epochs over which the factor changes. Default: 5. */
  total_iters?: number;
}

/**
 * Multiplies each group's learning rate by a factor that changes linearly from `start_factor`
 * to `end_factor` over `total_iters` epochs.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   options: `start_factor` (default 1/3), `end_factor` (default 1.0), `total_iters` (default 5),
 *     `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * // lr = 0.025, 0.03125, 0.0375, 0.04375, then 0.05
 * const scheduler = new LinearLR(optimizer, { start_factor: 0.5, total_iters: 4 });
 * ```
 */
export class LinearLR extends LRScheduler {
  start_factor: number;
  end_factor: number;
  total_iters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    super();
    const start_factor = checkNumber('LinearLR', 'start_factor', options.start_factor ?? 1.0 / 3);
    const end_factor = checkNumber('LinearLR', 'end_factor', options.end_factor ?? 1.0);
    if (start_factor > 1.0 || start_factor < 0) throw new ValueError('Starting multiplicative factor expected to be between 0 and 1.');
    if (end_factor > 1.0 || end_factor < 0) throw new ValueError('Ending multiplicative factor expected to be between 0 and 1.');
    this.start_factor = start_factor;
    this.end_factor = end_factor;
    this.total_iters = checkNumber('LinearLR', 'total_iters', options.total_iters ?? 5);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    if (this.last_epoch === 0) return groups.map((group) => group.lr * this.start_factor);
    if (this.last_epoch > this.total_iters) return groups.map((group) => group.lr);
    const delta = this.end_factor - this.start_factor;
    const ratio = pyDiv(delta, this.total_iters * this.start_factor + (this.last_epoch - 1) * delta);
    return groups.map((group) => group.lr * (1 + ratio));
  }

  override _get_closed_form_lr(): number[] {
    const progress = pyDiv((this.end_factor - this.start_factor) * Math.min(this.total_iters, this.last_epoch), this.total_iters);
    return this.base_lrs.map((base_lr) => base_lr * (this.start_factor + progress));
  }
}

/**
 * Multiplies each group's learning rate by `gamma` every epoch.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   gamma: multiplicative factor of learning rate decay.
 *   options: `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * const scheduler = new ExponentialLR(optimizer, 0.9);
 * ```
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, gamma: number, options: SchedulerOptions = {}) {
    super();
    this.gamma = checkNumber('ExponentialLR', 'gamma', gamma);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    if (this.last_epoch === 0) return groups.map((group) => group.lr);
    return groups.map((group) => group.lr * this.gamma);
  }

  override _get_closed_form_lr(): number[] {
    return this.base_lrs.map((base_lr) => base_lr * pyPow(this.gamma, this.last_epoch));
  }
}

// ---------------------------------------------------------------------------------------------
// SequentialLR
// ---------------------------------------------------------------------------------------------

/**
 * Runs schedulers one after another: `schedulers[i]` drives the learning rate from
 * `milestones[i - 1]` on (restarted there with `step(0)`, as PyTorch does).
 *
 * Args:
 *   optimizer: the optimizer all the schedulers wrap.
 *   schedulers: the schedulers, in order.
 *   milestones: the epochs at which the next scheduler takes over (one fewer than schedulers).
 *   options: `last_epoch` (default -1); `verbose` does nothing, as in PyTorch.
 *
 * Example:
 * ```ts
 * // lr = 0.1, 0.1, then 0.9, 0.81, 0.729, ... (optimizer lr 1.0)
 * const warmup = new ConstantLR(optimizer, { factor: 0.1, total_iters: 2 });
 * const decay = new ExponentialLR(optimizer, 0.9);
 * const scheduler = new SequentialLR(optimizer, [warmup, decay], [2]);
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** @internal The schedulers, in order. */
  _schedulers: LRScheduler[];
  /** @internal The epochs at which the next scheduler takes over. */
  _milestones: number[];

  constructor(optimizer: SchedulableOptimizer, schedulers: LRScheduler[], milestones: number[], options: SchedulerOptions = {}) {
    super();
    if (!Array.isArray(schedulers) || !schedulers.every((s) => s instanceof LRScheduler)) {
      throw argumentError('SequentialLR', 'schedulers', 'an array of LRScheduler', schedulers);
    }
    if (!Array.isArray(milestones) || !milestones.every((m) => typeof m === 'number')) {
      throw argumentError('SequentialLR', 'milestones', 'an array of numbers', milestones);
    }
    for (let idx = 0; idx < schedulers.length; idx++) {
      if (schedulers[idx].optimizer !== optimizer) {
        throw new ValueError(
          'Sequential Schedulers expects all schedulers to belong to the same optimizer, but ' +
            `got schedulers at index ${idx} to be different than the optimizer passed in.`,
        );
      }
      if (schedulers[idx].optimizer !== schedulers[0].optimizer) {
        throw new ValueError(
          'Sequential Schedulers expects all schedulers to belong to the same optimizer, but ' +
            `got schedulers at index 0 and ${idx} to be different.`,
        );
      }
    }
    if (milestones.length !== schedulers.length - 1) {
      throw new ValueError(
        'Sequential Schedulers expects number of schedulers provided to be one more ' +
          'than the number of milestone points, but got number of schedulers ' +
          `${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    this._schedulers = schedulers;
    this._milestones = milestones;
    this.last_epoch = (options.last_epoch ?? -1) + 1;
    this.optimizer = optimizer;

    // Reset the learning rates back to their initial values...
    for (const group of optimizer.param_groups) group.lr = groupNumber(group, 'initial_lr');
    // ..."undo" the step each scheduler took when it was made...
    for (const scheduler of this._schedulers) scheduler.last_epoch -= 1;
    // ...and take the initial step of the first scheduler only.
    this._schedulers[0]._initial_step();
    this._last_lr = schedulers[0].get_last_lr();
  }

  /** Steps the scheduler in charge of the next epoch. */
  override step(): void {
    this.last_epoch += 1;
    const idx = bisectRight(this._milestones, this.last_epoch);
    const scheduler = this._schedulers[idx];
    if (idx > 0 && this._milestones[idx - 1] === this.last_epoch) scheduler.step(0);
    else scheduler.step();
    this._last_lr = scheduler.get_last_lr();
  }

  /** The state, with each wrapped scheduler's state under `_schedulers`. */
  override state_dict(): SchedulerStateDict {
    const state = fieldsOf(this, ['optimizer', '_schedulers']);
    state._schedulers = this._schedulers.map((s) => s.state_dict());
    return state;
  }

  override load_state_dict(state_dict: SchedulerStateDict): void {
    const { _schedulers, ...rest } = state_dict;
    Object.assign(this, copyData(rest));
    (_schedulers as SchedulerStateDict[]).forEach((s, idx) => this._schedulers[idx].load_state_dict(s));
  }
}

// ---------------------------------------------------------------------------------------------
// PolynomialLR, CosineAnnealingLR
// ---------------------------------------------------------------------------------------------

/** Options of {@link PolynomialLR}. */
export interface PolynomialLROptions extends SchedulerOptions {
  /** The number of epochs over which the learning rate decays to 0. Default: 5. */
  total_iters?: number;
  /** The power of the polynomial. Default: 1.0. */
  power?: number;
}

/**
 * Decays each group's learning rate as `base_lr * (1 - epoch / total_iters) ** power`, reaching 0
 * at `total_iters`.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   options: `total_iters` (default 5), `power` (default 1.0), `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * // lr = 0.001, 0.00075, 0.0005, 0.00025, then 0
 * const scheduler = new PolynomialLR(optimizer, { total_iters: 4, power: 1.0 });
 * ```
 */
export class PolynomialLR extends LRScheduler {
  total_iters: number;
  power: number;

  constructor(optimizer: SchedulableOptimizer, options: PolynomialLROptions = {}) {
    super();
    this.total_iters = checkNumber('PolynomialLR', 'total_iters', options.total_iters ?? 5);
    this.power = checkNumber('PolynomialLR', 'power', options.power ?? 1.0);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    if (this.last_epoch === 0 || this.last_epoch > this.total_iters) return groups.map((group) => group.lr);
    const decay_factor = pyPow(
      pyDiv(1.0 - pyDiv(this.last_epoch, this.total_iters, true), 1.0 - pyDiv(this.last_epoch - 1, this.total_iters, true)),
      this.power,
    );
    return groups.map((group) => group.lr * decay_factor);
  }

  override _get_closed_form_lr(): number[] {
    return this.base_lrs.map(
      (base_lr) => base_lr * pyPow(1.0 - pyDiv(Math.min(this.total_iters, this.last_epoch), this.total_iters, true), this.power),
    );
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Minimum learning rate. Default: 0. */
  eta_min?: number;
}

/**
 * Anneals each group's learning rate from its initial lr to `eta_min` along a cosine over
 * `T_max` epochs (and back up over the next `T_max`), in PyTorch's recursive form:
 * `lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max))`.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   T_max: maximum number of iterations.
 *   options: `eta_min` (default 0), `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * const scheduler = new CosineAnnealingLR(optimizer, 100, { eta_min: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  T_max: number;
  eta_min: number;

  constructor(optimizer: SchedulableOptimizer, T_max: number, options: CosineAnnealingLROptions = {}) {
    super();
    this.T_max = checkNumber('CosineAnnealingLR', 'T_max', T_max);
    this.eta_min = checkNumber('CosineAnnealingLR', 'eta_min', options.eta_min ?? 0);
    this._initialize(optimizer, options.last_epoch ?? -1, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const groups = this.optimizer.param_groups;
    const { eta_min, T_max, last_epoch } = this;
    if (last_epoch === 0) return groups.map((group) => group.lr);
    if (this._step_count === 1 && last_epoch > 0) {
      return this.base_lrs.map((base_lr) => eta_min + ((base_lr - eta_min) * (1 + pyCos(pyDiv(last_epoch * Math.PI, T_max)))) / 2);
    }
    if (pyMod(last_epoch - 1 - T_max, 2 * T_max) === 0) {
      return this.base_lrs.map((base_lr, i) => groups[i].lr + ((base_lr - eta_min) * (1 - pyCos(pyDiv(Math.PI, T_max)))) / 2);
    }
    return groups.map(
      (group) =>
        pyDiv(1 + pyCos(pyDiv(Math.PI * last_epoch, T_max)), 1 + pyCos(pyDiv(Math.PI * (last_epoch - 1), T_max))) *
          (group.lr - eta_min) +
        eta_min,
    );
  }

  override _get_closed_form_lr(): number[] {
    const { eta_min, T_max, last_epoch } = this;
    return this.base_lrs.map((base_lr) => eta_min + ((base_lr - eta_min) * (1 + pyCos(pyDiv(Math.PI * last_epoch, T_max)))) / 2);
  }
}

// ---------------------------------------------------------------------------------------------
// ChainedScheduler
// ---------------------------------------------------------------------------------------------

/**
 * Steps several chainable schedulers of one optimizer together: each `step()` calls every
 * scheduler's `step()` in order, so their factors multiply.
 *
 * Args:
 *   schedulers: the schedulers to chain.
 *
 * Example:
 * ```ts
 * // lr = 0.09, 0.081, 0.729, 0.6561, 0.59049, ... (optimizer lr 1.0)
 * const scheduler = new ChainedScheduler([
 *   new ConstantLR(optimizer, { factor: 0.1, total_iters: 2 }),
 *   new ExponentialLR(optimizer, 0.9),
 * ]);
 * ```
 */
export class ChainedScheduler extends LRScheduler {
  /** @internal The chained schedulers. */
  _schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[]) {
    super();
    if (!Array.isArray(schedulers) || !schedulers.every((s) => s instanceof LRScheduler)) {
      throw argumentError('ChainedScheduler', 'schedulers', 'an array of LRScheduler', schedulers);
    }
    if (schedulers.length === 0) throw new IndexError('list index out of range');
    for (let idx = 1; idx < schedulers.length; idx++) {
      if (schedulers[idx].optimizer !== schedulers[0].optimizer) {
        throw new ValueError(
          'ChainedScheduler expects all schedulers to belong to the same optimizer, but ' +
            `got schedulers at index 0 and ${idx} to be different`,
        );
      }
    }
    this._schedulers = [...schedulers];
    this.optimizer = schedulers[0].optimizer;
    this._last_lr = this._schedulers[this._schedulers.length - 1].optimizer.param_groups.map((group) => group.lr);
  }

  /** Steps every chained scheduler. */
  override step(): void {
    for (const scheduler of this._schedulers) scheduler.step();
    this._last_lr = this._schedulers[this._schedulers.length - 1].optimizer.param_groups.map((group) => group.lr);
  }

  /** The state, with each chained scheduler's state under `_schedulers`. */
  override state_dict(): SchedulerStateDict {
    const state = fieldsOf(this, ['optimizer', '_schedulers']);
    state._schedulers = this._schedulers.map((s) => s.state_dict());
    return state;
  }

  override load_state_dict(state_dict: SchedulerStateDict): void {
    const { _schedulers, ...rest } = state_dict;
    Object.assign(this, copyData(rest));
    (_schedulers as SchedulerStateDict[]).forEach((s, idx) => this._schedulers[idx].load_state_dict(s));
  }
}

// ---------------------------------------------------------------------------------------------
// ReduceLROnPlateau
// ---------------------------------------------------------------------------------------------

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing; 'max': when it stops increasing. Default: 'min'. */
  mode?: 'min' | 'max';
  /** new_lr = lr * factor. Default: 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. Default: 10. */
  patience?: number;
  /** Threshold for a significant improvement. Default: 1e-4. */
  threshold?: number;
  /** 'rel': best * (1 -/+ threshold); 'abs': best -/+ threshold. Default: 'rel'. */
  threshold_mode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default: 0. */
  cooldown?: number;
  /** Lower bound on the learning rate, for all groups or one per group. Default: 0. */
  min_lr?: number | number[];
  /** Reductions smaller than eps are skipped. Default: 1e-8. */
  eps?: number;
  /** Print a message for each reduction. Default: false. */
  verbose?: boolean;
}

/**
 * Reduces the learning rate by `factor` when a metric has stopped improving for `patience` epochs.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   options: `mode`, `factor`, `patience`, `threshold`, `threshold_mode`, `cooldown`, `min_lr`,
 *     `eps`, `verbose` (see {@link ReduceLROnPlateauOptions}).
 *
 * Example:
 * ```ts
 * const scheduler = new ReduceLROnPlateau(optimizer, { mode: 'min' });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   train();
 *   scheduler.step(validate()); // after validation
 * }
 * ```
 */
export class ReduceLROnPlateau {
  factor: number;
  /** The optimizer whose groups' `lr` this scheduler reduces. */
  optimizer: SchedulableOptimizer;
  min_lrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldown_counter: number;
  mode!: 'min' | 'max';
  threshold!: number;
  threshold_mode!: 'rel' | 'abs';
  /** The best metric so far. */
  best!: number;
  num_bad_epochs!: number;
  /** The worst value for the mode: inf for 'min', -inf for 'max'. */
  mode_worse!: number;
  eps: number;
  last_epoch: number;
  /** @internal The groups' lr after the last step. */
  _last_lr?: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const factor = checkNumber('ReduceLROnPlateau', 'factor', options.factor ?? 0.1);
    if (factor >= 1.0) throw new ValueError('Factor should be < 1.0.');
    this.factor = factor;
    this.optimizer = checkOptimizer(optimizer);

    const min_lr = checkNumberOrList('ReduceLROnPlateau', 'min_lr', options.min_lr ?? 0);
    if (Array.isArray(min_lr)) {
      if (min_lr.length !== optimizer.param_groups.length) {
        throw new ValueError(`expected ${optimizer.param_groups.length} min_lrs, got ${min_lr.length}`);
      }
      this.min_lrs = [...min_lr];
    } else {
      this.min_lrs = optimizer.param_groups.map(() => min_lr);
    }

    this.patience = checkNumber('ReduceLROnPlateau', 'patience', options.patience ?? 10);
    this.verbose = checkBoolean('ReduceLROnPlateau', 'verbose', options.verbose ?? false);
    this.cooldown = checkNumber('ReduceLROnPlateau', 'cooldown', options.cooldown ?? 0);
    this.cooldown_counter = 0;
    this.eps = checkNumber('ReduceLROnPlateau', 'eps', options.eps ?? 1e-8);
    this.last_epoch = 0;
    this._init_is_better(options.mode ?? 'min', checkNumber('ReduceLROnPlateau', 'threshold', options.threshold ?? 1e-4), options.threshold_mode ?? 'rel');
    this._reset();
  }

  /** Resets the bad-epoch and cooldown counters. */
  _reset(): void {
    this.best = this.mode_worse;
    this.cooldown_counter = 0;
    this.num_bad_epochs = 0;
  }

  /**
   * Records the metric of one epoch and reduces the learning rate if it has plateaued.
   *
   * Args:
   *   metrics: the monitored quantity (a number or a one-element Tensor).
   *   epoch: deprecated in PyTorch; the epoch number (warns like PyTorch).
   */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = typeof metrics === 'number' ? metrics : Number((metrics as Tensor).item());
    if (epoch === undefined || epoch === null) {
      epoch = this.last_epoch + 1;
    } else {
      warn(EPOCH_DEPRECATION_WARNING);
    }
    this.last_epoch = epoch;

    if (this.is_better(current, this.best)) {
      this.best = current;
      this.num_bad_epochs = 0;
    } else {
      this.num_bad_epochs += 1;
    }

    if (this.in_cooldown) {
      this.cooldown_counter -= 1;
      this.num_bad_epochs = 0; // ignore any bad epochs in cooldown
    }

    if (this.num_bad_epochs > this.patience) {
      this._reduce_lr(epoch);
      this.cooldown_counter = this.cooldown;
      this.num_bad_epochs = 0;
    }

    this._last_lr = this.optimizer.param_groups.map((group) => group.lr);
  }

  /**
   * The learning rates (one per group) after the last step. PyTorch 1.13's ReduceLROnPlateau has
   * no such method (2.x has), only `_last_lr`.
   */
  get_last_lr(): number[] {
    if (this._last_lr === undefined) throw new TorchError("'ReduceLROnPlateau' object has no attribute '_last_lr'");
    return [...this._last_lr];
  }

  /** @internal Multiplies each group's lr by factor, bounded by min_lr, unless the change is below eps. */
  _reduce_lr(epoch: number): void {
    this.optimizer.param_groups.forEach((param_group, i) => {
      const old_lr = Number(param_group.lr);
      const new_lr = Math.max(old_lr * this.factor, this.min_lrs[i]);
      if (old_lr - new_lr > this.eps) {
        param_group.lr = new_lr;
        if (this.verbose) console.log(`Epoch ${formatEpoch(epoch)}: reducing learning rate of group ${i} to ${formatExp4(new_lr)}.`);
      }
    });
  }

  /** True while the scheduler waits after a reduction. */
  get in_cooldown(): boolean {
    return this.cooldown_counter > 0;
  }

  /** Whether metric `a` is a significant improvement on `best`. */
  is_better(a: number, best: number): boolean {
    if (this.mode === 'min' && this.threshold_mode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min' && this.threshold_mode === 'abs') return a < best - this.threshold;
    if (this.mode === 'max' && this.threshold_mode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** @internal Validates and sets mode, threshold and threshold_mode. */
  _init_is_better(mode: string, threshold: number, threshold_mode: string): void {
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`mode ${mode} is unknown!`);
    if (threshold_mode !== 'rel' && threshold_mode !== 'abs') throw new ValueError(`threshold mode ${threshold_mode} is unknown!`);
    this.mode_worse = mode === 'min' ? Infinity : -Infinity;
    this.mode = mode;
    this.threshold = threshold;
    this.threshold_mode = threshold_mode;
  }

  /** The scheduler's state: every field but the optimizer, as a plain object. */
  state_dict(): SchedulerStateDict {
    return fieldsOf(this, ['optimizer']);
  }

  /** Restores the state returned by {@link state_dict}. */
  load_state_dict(state_dict: SchedulerStateDict): void {
    Object.assign(this, copyData(state_dict));
    this._init_is_better(this.mode, this.threshold, this.threshold_mode);
    // JSON has no infinities: a state saved with JSON.stringify before any improvement has best = null.
    if (this.best === null) this.best = this.mode_worse;
  }
}

// ---------------------------------------------------------------------------------------------
// CyclicLR
// ---------------------------------------------------------------------------------------------

/** Options of {@link CyclicLR}. */
export interface CyclicLROptions extends SchedulerOptions {
  /** Iterations in the increasing half of a cycle. Default: 2000. */
  step_size_up?: number;
  /** Iterations in the decreasing half of a cycle. Default: step_size_up. */
  step_size_down?: number | null;
  /** 'triangular', 'triangular2' (amplitude halves each cycle) or 'exp_range' (scaled by gamma ** iterations); ignored with scale_fn. Default: 'triangular'. */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** The constant of 'exp_range'. Default: 1.0. */
  gamma?: number;
  /** A custom scaling policy with 0 <= scale_fn(x) <= 1; replaces mode. Default: null. */
  scale_fn?: ScaleFn | null;
  /** Whether scale_fn takes the cycle number ('cycle') or the iteration ('iterations'). Default: 'cycle'. */
  scale_mode?: 'cycle' | 'iterations';
  /** Cycle momentum inversely to the learning rate. Default: true. */
  cycle_momentum?: boolean;
  /** Lower momentum boundary, for all groups or one per group. Default: 0.8. */
  base_momentum?: number | number[];
  /** Upper momentum boundary, for all groups or one per group. Default: 0.9. */
  max_momentum?: number | number[];
}

/**
 * Cycles each group's learning rate between `base_lr` and `max_lr` (cyclical learning rates,
 * Smith 2017), and momentum inversely between `max_momentum` and `base_momentum`. Step it after
 * every batch.
 *
 * Args:
 *   optimizer: the wrapped optimizer (with `momentum` when cycle_momentum is on).
 *   base_lr: lower learning rate boundary, for all groups or one per group.
 *   max_lr: upper learning rate boundary, for all groups or one per group.
 *   options: see {@link CyclicLROptions}.
 *
 * Example:
 * ```ts
 * const scheduler = new CyclicLR(optimizer, 0.01, 0.1, { step_size_up: 2000 });
 * for (const batch of loader) { trainBatch(batch); scheduler.step(); }
 * ```
 */
export class CyclicLR extends LRScheduler {
  max_lrs: number[];
  total_size: number;
  step_ratio: number;
  mode: string;
  gamma: number;
  /** @internal The custom scaling policy, or null. */
  _scale_fn_custom: ScaleFn | null;
  /** @internal The built-in scaling policy of `mode`, or null with a custom one. */
  _scale_fn_ref: ScaleFn | null;
  scale_mode: 'cycle' | 'iterations';
  cycle_momentum: boolean;
  base_momentums?: number[];
  max_momentums?: number[];

  constructor(optimizer: SchedulableOptimizer, base_lr: number | number[], max_lr: number | number[], options: CyclicLROptions = {}) {
    super();
    const opt = checkOptimizer(optimizer);
    this.optimizer = opt;
    const last_epoch = options.last_epoch ?? -1;

    const base_lrs = formatParam('base_lr', opt, checkNumberOrList('CyclicLR', 'base_lr', base_lr));
    if (last_epoch === -1) base_lrs.forEach((lr, i) => (opt.param_groups[i].lr = lr));

    this.max_lrs = formatParam('max_lr', opt, checkNumberOrList('CyclicLR', 'max_lr', max_lr));

    const step_size_up = checkNumber('CyclicLR', 'step_size_up', options.step_size_up ?? 2000);
    const step_size_down = options.step_size_down == null ? step_size_up : checkNumber('CyclicLR', 'step_size_down', options.step_size_down);
    this.total_size = step_size_up + step_size_down;
    this.step_ratio = pyDiv(step_size_up, this.total_size);

    const mode = options.mode ?? 'triangular';
    const scale_fn = options.scale_fn ?? null;
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && scale_fn === null) {
      throw new ValueError('mode is invalid and scale_fn is None');
    }
    this.mode = mode;
    this.gamma = checkNumber('CyclicLR', 'gamma', options.gamma ?? 1.0);

    if (scale_fn === null) {
      this._scale_fn_custom = null;
      if (mode === 'triangular') {
        this._scale_fn_ref = (x) => this._triangular_scale_fn(x);
        this.scale_mode = 'cycle';
      } else if (mode === 'triangular2') {
        this._scale_fn_ref = (x) => this._triangular2_scale_fn(x);
        this.scale_mode = 'cycle';
      } else {
        this._scale_fn_ref = (x) => this._exp_range_scale_fn(x);
        this.scale_mode = 'iterations';
      }
    } else {
      if (typeof scale_fn !== 'function') throw argumentError('CyclicLR', 'scale_fn', 'a function or null', scale_fn);
      this._scale_fn_custom = scale_fn;
      this._scale_fn_ref = null;
      this.scale_mode = options.scale_mode ?? 'cycle';
    }

    this.cycle_momentum = checkBoolean('CyclicLR', 'cycle_momentum', options.cycle_momentum ?? true);
    if (this.cycle_momentum) {
      if (!('momentum' in optimizerDefaults(opt))) {
        throw new ValueError('optimizer must support momentum with `cycle_momentum` option enabled');
      }
      const base_momentums = formatParam('base_momentum', opt, checkNumberOrList('CyclicLR', 'base_momentum', options.base_momentum ?? 0.8));
      if (last_epoch === -1) base_momentums.forEach((momentum, i) => (opt.param_groups[i].momentum = momentum));
      this.base_momentums = opt.param_groups.map((group) => groupNumber(group, 'momentum'));
      this.max_momentums = formatParam('max_momentum', opt, checkNumberOrList('CyclicLR', 'max_momentum', options.max_momentum ?? 0.9));
    }

    this._initialize(opt, last_epoch, options.verbose ?? false);
    this.base_lrs = base_lrs;
  }

  /** The amplitude scale for `x` (a cycle number or an iteration, per scale_mode). */
  scale_fn(x: number): number {
    if (this._scale_fn_custom !== null) return this._scale_fn_custom(x);
    return (this._scale_fn_ref as ScaleFn)(x);
  }

  /** @internal */
  _triangular_scale_fn(_x: number): number {
    return 1.0;
  }

  /** @internal */
  _triangular2_scale_fn(x: number): number {
    return 1 / pyPow(2.0, x - 1);
  }

  /** @internal */
  _exp_range_scale_fn(x: number): number {
    return pyPow(this.gamma, x);
  }

  /**
   * The learning rates at batch `last_epoch`. When cycle_momentum is on, also writes the
   * groups' momentum, as PyTorch does.
   */
  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const cycle = Math.floor(1 + this.last_epoch / this.total_size);
    const x = 1 + this.last_epoch / this.total_size - cycle;
    const scale_factor = x <= this.step_ratio ? x / this.step_ratio : (x - 1) / (this.step_ratio - 1);
    const scaleArg = this.scale_mode === 'cycle' ? cycle : this.last_epoch;

    const lrs = this.base_lrs.map((base_lr, i) => {
      const base_height = (this.max_lrs[i] - base_lr) * scale_factor;
      return base_lr + base_height * this.scale_fn(scaleArg);
    });

    if (this.cycle_momentum) {
      const max_momentums = this.max_momentums as number[];
      const momentums = (this.base_momentums as number[]).map((base_momentum, i) => {
        const base_height = (max_momentums[i] - base_momentum) * scale_factor;
        return max_momentums[i] - base_height * this.scale_fn(scaleArg);
      });
      const groups = this.optimizer.param_groups;
      for (let i = 0; i < Math.min(groups.length, momentums.length); i++) groups[i].momentum = momentums[i];
    }
    return lrs;
  }
}

// ---------------------------------------------------------------------------------------------
// CosineAnnealingWarmRestarts
// ---------------------------------------------------------------------------------------------

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions extends SchedulerOptions {
  /** Factor by which the period grows after each restart (an integer >= 1). Default: 1. */
  T_mult?: number;
  /** Minimum learning rate. Default: 0. */
  eta_min?: number;
}

/**
 * Anneals each group's learning rate along a cosine from its initial lr to `eta_min` over `T_i`
 * epochs, then restarts (SGDR); `T_0` is the first period and each next period is `T_mult`
 * times longer. `step(epoch)` accepts fractional epochs, to step after every batch.
 *
 * Args:
 *   optimizer: the wrapped optimizer.
 *   T_0: iterations before the first restart (a positive integer).
 *   options: `T_mult` (default 1), `eta_min` (default 0), `last_epoch`, `verbose`.
 *
 * Example:
 * ```ts
 * const scheduler = new CosineAnnealingWarmRestarts(optimizer, 10, { T_mult: 2 });
 * for (let epoch = 0; epoch < 20; epoch++) {
 *   for (let i = 0; i < iters; i++) { trainBatch(); scheduler.step(epoch + i / iters); }
 * }
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T_0: number;
  /** The current period. */
  T_i: number;
  T_mult: number;
  eta_min: number;
  /** Epochs since the last restart (fractional with step(epoch)). */
  T_cur: number;

  constructor(optimizer: SchedulableOptimizer, T_0: number, options: CosineAnnealingWarmRestartsOptions = {}) {
    super();
    const T_mult = options.T_mult ?? 1;
    const last_epoch = options.last_epoch ?? -1;
    if (typeof T_0 !== 'number' || T_0 <= 0 || !Number.isInteger(T_0)) throw new ValueError(`Expected positive integer T_0, but got ${pyStr(T_0)}`);
    if (typeof T_mult !== 'number' || T_mult < 1 || !Number.isInteger(T_mult)) throw new ValueError(`Expected integer T_mult >= 1, but got ${pyStr(T_mult)}`);
    this.T_0 = T_0;
    this.T_i = T_0;
    this.T_mult = T_mult;
    this.eta_min = checkNumber('CosineAnnealingWarmRestarts', 'eta_min', options.eta_min ?? 0);
    this.T_cur = last_epoch;
    this._initialize(optimizer, last_epoch, options.verbose ?? false);
  }

  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    return this.base_lrs.map(
      (base_lr) => this.eta_min + ((base_lr - this.eta_min) * (1 + pyCos((Math.PI * this.T_cur) / this.T_i))) / 2,
    );
  }

  /**
   * Advances one epoch, or goes to `epoch` (which may be fractional: `epoch + i / iters` after
   * batch i). Plain and explicit steps can be interleaved.
   */
  override step(epoch?: number): void {
    if ((epoch === undefined || epoch === null) && this.last_epoch < 0) epoch = 0;

    if (epoch === undefined || epoch === null) {
      epoch = this.last_epoch + 1;
      this.T_cur = this.T_cur + 1;
      if (this.T_cur >= this.T_i) {
        this.T_cur = this.T_cur - this.T_i;
        this.T_i = this.T_i * this.T_mult;
      }
    } else {
      checkNumber('CosineAnnealingWarmRestarts.step', 'epoch', epoch);
      if (epoch < 0) throw new ValueError(`Expected non-negative epoch, but got ${pyStr(epoch)}`);
      if (epoch >= this.T_0) {
        if (this.T_mult === 1) {
          this.T_cur = pyMod(epoch, this.T_0);
        } else {
          // PyTorch finds the cycle with a float log, and so does this (see correctlyRoundedLog).
          const n = Math.trunc(pyLog((epoch / this.T_0) * (this.T_mult - 1) + 1, this.T_mult));
          this.T_cur = epoch - (this.T_0 * (this.T_mult ** n - 1)) / (this.T_mult - 1);
          this.T_i = this.T_0 * this.T_mult ** n;
        }
      } else {
        this.T_i = this.T_0;
        this.T_cur = epoch;
      }
    }
    this.last_epoch = Math.floor(epoch);

    let values: number[];
    this._get_lr_called_within_step = true;
    try {
      values = this.get_lr();
    } finally {
      this._get_lr_called_within_step = false;
    }
    const groups = this.optimizer.param_groups;
    for (let i = 0; i < Math.min(groups.length, values.length); i++) {
      groups[i].lr = values[i];
      this.print_lr(this.verbose, i, values[i], epoch);
    }
    this._last_lr = groups.map((group) => group.lr);
  }
}

// ---------------------------------------------------------------------------------------------
// OneCycleLR
// ---------------------------------------------------------------------------------------------

/** Options of {@link OneCycleLR}; give `total_steps`, or `epochs` and `steps_per_epoch`. */
export interface OneCycleLROptions extends SchedulerOptions {
  /** The total number of steps in the cycle. */
  total_steps?: number | null;
  /** With steps_per_epoch, gives total_steps = epochs * steps_per_epoch. */
  epochs?: number | null;
  /** With epochs, gives total_steps = epochs * steps_per_epoch. */
  steps_per_epoch?: number | null;
  /** The fraction of the cycle spent increasing the learning rate. Default: 0.3. */
  pct_start?: number;
  /** 'cos' or 'linear' annealing. Default: 'cos'. */
  anneal_strategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's beta1) inversely to the learning rate. Default: true. */
  cycle_momentum?: boolean;
  /** Momentum at the peak learning rate, for all groups or one per group. Default: 0.85. */
  base_momentum?: number | number[];
  /** Momentum at the start and end of the cycle, for all groups or one per group. Default: 0.95. */
  max_momentum?: number | number[];
  /** initial_lr = max_lr / div_factor. Default: 25. */
  div_factor?: number;
  /** min_lr = initial_lr / final_div_factor. Default: 1e4. */
  final_div_factor?: number;
  /** Use a third phase that anneals to min_lr (as in the paper) instead of ending phase two there. Default: false. */
  three_phase?: boolean;
}

/** One phase of the 1cycle schedule: where it ends and which group keys it anneals between. */
export interface OneCyclePhase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * The 1cycle policy (Smith & Topin 2017): the learning rate rises from `max_lr / div_factor` to
 * `max_lr`, then anneals to `initial_lr / final_div_factor`, with momentum cycled inversely.
 * Step it after every batch; stepping past `total_steps` throws, as in PyTorch.
 *
 * Args:
 *   optimizer: the wrapped optimizer (with `momentum` or `betas` when cycle_momentum is on).
 *   max_lr: the peak learning rate, for all groups or one per group.
 *   options: see {@link OneCycleLROptions}; `total_steps` or `epochs` and `steps_per_epoch` are required.
 *
 * Example:
 * ```ts
 * const scheduler = new OneCycleLR(optimizer, 0.01, { steps_per_epoch: loader.length, epochs: 10 });
 * for (let epoch = 0; epoch < 10; epoch++) for (const batch of loader) { trainBatch(batch); scheduler.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  total_steps: number;
  /** @internal The phases of the cycle. */
  _schedule_phases: OneCyclePhase[];
  /** The annealing function of anneal_strategy. */
  anneal_func: (start: number, end: number, pct: number) => number;
  cycle_momentum: boolean;
  /** Whether momentum is cycled through `betas[0]` (Adam-like optimizers) instead of `momentum`. */
  use_beta1?: boolean;

  constructor(optimizer: SchedulableOptimizer, max_lr: number | number[], options: OneCycleLROptions = {}) {
    super();
    const opt = checkOptimizer(optimizer);
    this.optimizer = opt;
    const {
      total_steps = null, epochs = null, steps_per_epoch = null, pct_start = 0.3, anneal_strategy = 'cos',
      cycle_momentum = true, base_momentum = 0.85, max_momentum = 0.95, div_factor = 25.0, final_div_factor = 1e4,
      three_phase = false, last_epoch = -1, verbose = false,
    } = options;

    if (total_steps === null && epochs === null && steps_per_epoch === null) {
      throw new ValueError('You must define either total_steps OR (epochs AND steps_per_epoch)');
    } else if (total_steps !== null) {
      if (!isPositiveInteger(total_steps)) throw new ValueError(`Expected positive integer total_steps, but got ${pyStr(total_steps)}`);
      this.total_steps = total_steps;
    } else {
      if (!isPositiveInteger(epochs)) throw new ValueError(`Expected positive integer epochs, but got ${pyStr(epochs)}`);
      if (!isPositiveInteger(steps_per_epoch)) {
        throw new ValueError(`Expected positive integer steps_per_epoch, but got ${pyStr(steps_per_epoch)}`);
      }
      this.total_steps = epochs * steps_per_epoch;
    }

    checkNumber('OneCycleLR', 'pct_start', pct_start);
    if (three_phase) {
      this._schedule_phases = [
        { end_step: pct_start * this.total_steps - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
        { end_step: 2 * pct_start * this.total_steps - 2, start_lr: 'max_lr', end_lr: 'initial_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
        { end_step: this.total_steps - 1, start_lr: 'initial_lr', end_lr: 'min_lr', start_momentum: 'max_momentum', end_momentum: 'max_momentum' },
      ];
    } else {
      this._schedule_phases = [
        { end_step: pct_start * this.total_steps - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
        { end_step: this.total_steps - 1, start_lr: 'max_lr', end_lr: 'min_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
      ];
    }

    // PyTorch also insists on a Python float; JS numbers have no such distinction.
    if (pct_start < 0 || pct_start > 1) throw new ValueError(`Expected float between 0 and 1 pct_start, but got ${pyStr(pct_start)}`);

    if (anneal_strategy === 'cos') this.anneal_func = (start, end, pct) => this._annealing_cos(start, end, pct);
    else if (anneal_strategy === 'linear') this.anneal_func = (start, end, pct) => this._annealing_linear(start, end, pct);
    else throw new ValueError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${pyStr(anneal_strategy)}`);

    const max_lrs = formatParam('max_lr', opt, checkNumberOrList('OneCycleLR', 'max_lr', max_lr));
    checkNumber('OneCycleLR', 'div_factor', div_factor);
    checkNumber('OneCycleLR', 'final_div_factor', final_div_factor);
    if (last_epoch === -1) {
      opt.param_groups.forEach((group, idx) => {
        group.initial_lr = max_lrs[idx] / div_factor;
        group.max_lr = max_lrs[idx];
        group.min_lr = (group.initial_lr as number) / final_div_factor;
      });
    }

    this.cycle_momentum = checkBoolean('OneCycleLR', 'cycle_momentum', cycle_momentum);
    if (this.cycle_momentum) {
      const defaults = optimizerDefaults(opt);
      if (!('momentum' in defaults) && !('betas' in defaults)) {
        throw new ValueError('optimizer must support momentum with `cycle_momentum` option enabled');
      }
      this.use_beta1 = 'betas' in defaults;
      const max_momentums = formatParam('max_momentum', opt, checkNumberOrList('OneCycleLR', 'max_momentum', max_momentum));
      const base_momentums = formatParam('base_momentum', opt, checkNumberOrList('OneCycleLR', 'base_momentum', base_momentum));
      if (last_epoch === -1) {
        opt.param_groups.forEach((group, i) => {
          if (this.use_beta1) group.betas = [max_momentums[i], ...(group.betas as number[]).slice(1)];
          else group.momentum = max_momentums[i];
          group.max_momentum = max_momentums[i];
          group.base_momentum = base_momentums[i];
        });
      }
    }

    this._initialize(opt, last_epoch, verbose);
  }

  /** Cosine anneal from `start` to `end` as pct goes from 0.0 to 1.0. */
  _annealing_cos(start: number, end: number, pct: number): number {
    const cos_out = pyCos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cos_out;
  }

  /** Linearly anneal from `start` to `end` as pct goes from 0.0 to 1.0. */
  _annealing_linear(start: number, end: number, pct: number): number {
    return (end - start) * pct + start;
  }

  /**
   * The learning rates at batch `last_epoch`; throws past total_steps. When cycle_momentum is
   * on, also writes the groups' momentum (or betas[0]), as PyTorch does.
   */
  override get_lr(): number[] {
    this._warn_get_lr_outside_step();
    const step_num = this.last_epoch;
    if (step_num > this.total_steps) {
      throw new ValueError(`Tried to step ${step_num + 1} times. The specified number of total steps is ${this.total_steps}`);
    }

    const phases = this._schedule_phases;
    return this.optimizer.param_groups.map((group) => {
      let start_step = 0;
      let computed_lr = NaN;
      let computed_momentum = NaN;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i];
        const end_step = phase.end_step;
        if (step_num <= end_step || i === phases.length - 1) {
          const pct = pyDiv(step_num - start_step, end_step - start_step);
          computed_lr = this.anneal_func(groupNumber(group, phase.start_lr), groupNumber(group, phase.end_lr), pct);
          if (this.cycle_momentum) {
            computed_momentum = this.anneal_func(groupNumber(group, phase.start_momentum), groupNumber(group, phase.end_momentum), pct);
          }
          break;
        }
        start_step = phase.end_step;
      }
      if (this.cycle_momentum) {
        if (this.use_beta1) group.betas = [computed_momentum, ...(group.betas as number[]).slice(1)];
        else group.momentum = computed_momentum;
      }
      return computed_lr;
    });
  }
}
