/**
 * Tensor printing that reproduces PyTorch 1.13's `repr(tensor)` (torch/_tensor_str.py)
 * character for character: layout, wrapping, number formatting, summarisation and suffixes.
 *
 * Self-contained on purpose: callers hand over a plain description of the tensor
 * ({@link TensorForPrinting}) so this module never touches the native binding.
 * @module
 */

/** Everything {@link formatTensor} needs to know about a tensor. */
export interface TensorForPrinting {
  shape: number[];
  /** PyTorch dtype name without 'torch.': 'float32','float64','float16','bfloat16','int8','uint8','int16','int32','int64','bool' */
  dtype: string;
  /** the default float dtype's name right now (normally 'float32'); decides whether dtype= is printed */
  defaultDtype: string;
  /** device string: 'cpu', 'cuda:0' */
  device: string;
  /** true when the tensor requires grad; printed as requires_grad=True only when there is no gradFn */
  requiresGrad: boolean;
  /** e.g. 'AddBackward0', or null; printed as grad_fn=<AddBackward0> */
  gradFn: string | null;
  /**
   * Row-major values, length = product(shape). Float16/bfloat16 come already widened
   * (as their float values). int64 comes as a BigInt64Array. bool as Uint8Array (0/1).
   */
  values: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;
}

/** Printing options, mirroring `torch._tensor_str.PRINT_OPTS`. */
export interface PrintOptions {
  /** digits after the decimal point (fixed) or after the leading digit (scientific) */
  precision: number;
  /** tensors with more elements than this are summarised with `...`; may be Infinity */
  threshold: number;
  /** items kept at the start and end of each summarised dimension */
  edgeitems: number;
  /** characters per line before a 1-D row wraps */
  linewidth: number;
  /** force (true) or forbid (false) scientific notation; null lets the formatter decide */
  sci_mode: boolean | null;
}

/** The live print options, shared by every {@link formatTensor} call (PyTorch's defaults). */
export const printOptions: PrintOptions = {
  precision: 4,
  threshold: 1000,
  edgeitems: 3,
  linewidth: 80,
  sci_mode: null,
};

/**
 * Same semantics as `torch.set_printoptions`: a `profile` resets precision, threshold,
 * edgeitems and linewidth first, then any explicitly given option overrides it.
 * Like PyTorch, `sci_mode` is always assigned, so leaving it out resets it to `null`.
 */
export function set_printoptions(
  options: Partial<PrintOptions> & { profile?: 'default' | 'short' | 'full' },
): void {
  switch (options.profile) {
    case 'default':
      Object.assign(printOptions, { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 });
      break;
    case 'short':
      Object.assign(printOptions, { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 });
      break;
    case 'full':
      Object.assign(printOptions, { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 });
      break;
    case undefined:
      break;
  }
  if (options.precision !== undefined) printOptions.precision = options.precision;
  if (options.threshold !== undefined) printOptions.threshold = options.threshold;
  if (options.edgeitems !== undefined) printOptions.edgeitems = options.edgeitems;
  if (options.linewidth !== undefined) printOptions.linewidth = options.linewidth;
  printOptions.sci_mode = options.sci_mode ?? null;
}

/**
 * Returns exactly what Python's `repr(tensor)` prints for the described tensor,
 * using the current {@link printOptions}.
 */
export function formatTensor(t: TensorForPrinting): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const numel = t.shape.reduce((product, size) => product * size, 1);
  const suffixes: string[] = [];

  // The interface has no notion of a default device, so anything off the CPU is named.
  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);

  let body: string;
  if (numel === 0) {
    // NumPy-style: the shape is only implicit for 1-D empties.
    if (t.shape.length !== 1) suffixes.push(`size=${pythonTuple(t.shape)}`);
    // Nothing to infer the dtype from, so even int64/bool name theirs.
    if (t.dtype !== t.defaultDtype) suffixes.push(`dtype=torch.${t.dtype}`);
    body = '[]';
  } else {
    if (!hasImplicitDtype(t.dtype, t.defaultDtype)) suffixes.push(`dtype=torch.${t.dtype}`);
    body = formatContents(t, indent, numel);
  }

  if (t.gradFn !== null) suffixes.push(`grad_fn=<${t.gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');

  return appendSuffixes(prefix + body, suffixes, indent);
}

// ---------------------------------------------------------------------------------------------
// Layout

const FLOATING_DTYPES = new Set(['float16', 'bfloat16', 'float32', 'float64']);

/** Dtypes that a literal of the tensor's values would produce anyway, so repr omits them. */
function hasImplicitDtype(dtype: string, defaultDtype: string): boolean {
  const defaultComplex = defaultDtype === 'float64' ? 'complex128' : 'complex64';
  return dtype === defaultDtype || dtype === defaultComplex || dtype === 'int64' || dtype === 'bool';
}

/** `str(tuple(shape))` in Python, including the trailing comma of 1-tuples. */
function pythonTuple(items: number[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** Adds `, suffix` after the body, moving a suffix to its own line when it would pass linewidth. */
function appendSuffixes(text: string, suffixes: string[], indent: number): string {
  const parts = [text];
  // Python's arithmetic, off-by-two included: without a newline this is len(text) + 2.
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > printOptions.linewidth) {
      parts.push(',\n' + ' '.repeat(indent) + suffix);
      lastLineLength = indent + suffix.length;
    } else {
      parts.push(', ' + suffix);
      lastLineLength += suffix.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

/** The integers from `from` up to, not including, `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

/**
 * Indices shown along a dimension: all of them, or the first and last edgeitems when summarising.
 * Python slices the innermost dimension as `[:edge]` and `[-edge:]`, and `[-0:]` is the whole
 * dimension, which matters only for edgeitems 0.
 */
function keptIndices(size: number, summarize: boolean, isInnermost: boolean): number[] {
  const edge = printOptions.edgeitems;
  if (!summarize || size <= 2 * edge) return range(0, size);
  const tailStart = isInnermost && edge === 0 ? 0 : size - edge;
  return [...range(0, edge), ...range(tailStart, size)];
}

/** Row-major strides of a contiguous tensor. */
function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d]!;
  }
  return strides;
}

/** The bracketed body of a non-empty tensor, as `_tensor_str` builds it. */
function formatContents(t: TensorForPrinting, indent: number, numel: number): string {
  const summarize = numel > printOptions.threshold;
  const strides = contiguousStrides(t.shape);
  const rank = t.shape.length;

  // Widths and the fixed/scientific choice are decided on the elements that will be shown.
  const shownElements: number[] = [];
  const collectShown = (dim: number, offset: number): void => {
    if (dim === rank) {
      shownElements.push(offset);
      return;
    }
    for (const i of keptIndices(t.shape[dim]!, summarize, dim === rank - 1)) {
      collectShown(dim + 1, offset + i * strides[dim]!);
    }
  };
  collectShown(0, 0);
  const formatter = new ElementFormatter(t, shownElements);

  const formatVector = (offset: number, blockIndent: number): string => {
    const size = t.shape[rank - 1]!;
    const elementLength = formatter.width + 2; // the element plus ", "
    const elementsPerLine = Math.max(1, Math.floor((printOptions.linewidth - blockIndent) / elementLength));
    const edge = printOptions.edgeitems;
    const cell = (i: number) => formatter.format(offset + i);
    let cells: string[];
    if (summarize && size > 2 * edge) {
      const kept = keptIndices(size, true, true);
      cells = [...kept.slice(0, edge).map(cell), ' ...', ...kept.slice(edge).map(cell)];
    } else {
      cells = range(0, size).map(cell);
    }
    const lines: string[] = [];
    for (let start = 0; start < cells.length; start += elementsPerLine) {
      lines.push(cells.slice(start, start + elementsPerLine).join(', '));
    }
    return '[' + lines.join(',\n' + ' '.repeat(blockIndent + 1)) + ']';
  };

  const formatBlock = (dim: number, offset: number, blockIndent: number): string => {
    if (dim === rank - 1) return formatVector(offset, blockIndent);
    const size = t.shape[dim]!;
    const edge = printOptions.edgeitems;
    const child = (i: number) => formatBlock(dim + 1, offset + i * strides[dim]!, blockIndent + 1);
    let slices: string[];
    if (summarize && size > 2 * edge) {
      const kept = keptIndices(size, true, false);
      slices = [...kept.slice(0, edge).map(child), '...', ...kept.slice(edge).map(child)];
    } else {
      slices = range(0, size).map(child);
    }
    // One blank line between 2-D slices, two between 3-D slices, and so on.
    const remainingRank = rank - dim;
    return '[' + slices.join(',' + '\n'.repeat(remainingRank - 1) + ' '.repeat(blockIndent + 1)) + ']';
  };

  return rank === 0 ? formatter.format(0) : formatBlock(0, 0, indent);
}

// ---------------------------------------------------------------------------------------------
// Element formatting (PyTorch's _Formatter)

/** Decides one width and notation for all shown elements, then pads each element to it. */
class ElementFormatter {
  /** width every formatted element is right-aligned to */
  width = 1;
  private readonly floating: boolean;
  private intMode = true;
  private sciMode = false;

  constructor(
    private readonly t: TensorForPrinting,
    shownElements: number[],
  ) {
    this.floating = FLOATING_DTYPES.has(t.dtype);
    if (!this.floating) {
      for (const index of shownElements) this.width = Math.max(this.width, this.plainText(index).length);
    } else {
      const nonzeroFinite = shownElements
        .map((index) => this.floatAt(index))
        .filter((value) => Number.isFinite(value) && value !== 0);
      // Only zeros and non-finite values: keep the integer look, and (as in PyTorch)
      // skip the sci_mode override below.
      if (nonzeroFinite.length === 0) return;

      let minAbs = Infinity;
      let maxAbs = 0;
      for (const value of nonzeroFinite) {
        minAbs = Math.min(minAbs, Math.abs(value));
        maxAbs = Math.max(maxAbs, Math.abs(value));
      }
      this.intMode = nonzeroFinite.every((value) => Number.isInteger(value));
      const precision = printOptions.precision;
      const spansTooManyDecades = maxAbs / minAbs > 1000 || maxAbs > 1e8;

      let render: (value: number) => string;
      let extraWidth = 0;
      if (this.intMode) {
        this.sciMode = spansTooManyDecades;
        if (this.sciMode) {
          render = (value) => formatScientific(value, precision);
        } else {
          render = (value) => formatFixed(value, 0);
          extraWidth = 1; // the trailing '.' that marks a float
        }
      } else {
        this.sciMode = spansTooManyDecades || minAbs < 1e-4;
        render = this.sciMode
          ? (value) => formatScientific(value, precision)
          : (value) => formatFixed(value, precision);
      }
      for (const value of nonzeroFinite) this.width = Math.max(this.width, render(value).length + extraWidth);
    }
    if (printOptions.sci_mode !== null) this.sciMode = printOptions.sci_mode;
  }

  /** The element at a flat row-major index, formatted and right-aligned to {@link width}. */
  format(index: number): string {
    let text: string;
    if (!this.floating) {
      text = this.plainText(index);
    } else {
      const value = this.floatAt(index);
      if (this.sciMode) {
        text = formatScientific(value, printOptions.precision);
      } else if (this.intMode) {
        text = formatFixed(value, 0) + (Number.isFinite(value) ? '.' : '');
      } else {
        text = formatFixed(value, printOptions.precision);
      }
    }
    return text.padStart(this.width);
  }

  private floatAt(index: number): number {
    return Number(this.t.values[index]);
  }

  /** Python's `str()` of an integer or bool element. */
  private plainText(index: number): string {
    const value = this.t.values[index]!;
    if (this.t.dtype === 'bool') return value ? 'True' : 'False';
    return value.toString();
  }
}

// ---------------------------------------------------------------------------------------------
// Exact decimal formatting
//
// Python's '{:.Nf}' and '{:.Ne}' round the exact binary value half-to-even; JavaScript's
// toFixed/toExponential round ties away from zero and switch notation above 1e21, so both
// are done here with BigInt arithmetic on the double's exact value.

/** Splits a finite double's magnitude into `mantissa * 2 ** exponent`. */
function decompose(value: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biasedExponent = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biasedExponent === 0) return { mantissa: fraction, exponent: -1074 }; // subnormal
  return { mantissa: fraction | (1n << 52n), exponent: biasedExponent - 1075 };
}

/** numerator / denominator rounded to the nearest integer, ties to even. */
function divideRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator % denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) {
    return quotient + 1n;
  }
  return quotient;
}

/** |value| * 10 ** decimalShift, rounded half-to-even to an integer. */
function scaledMagnitude(value: number, decimalShift: number): bigint {
  const { mantissa, exponent } = decompose(Math.abs(value));
  let numerator = mantissa;
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  if (decimalShift >= 0) numerator *= 10n ** BigInt(decimalShift);
  else denominator *= 10n ** BigInt(-decimalShift);
  return divideRoundHalfEven(numerator, denominator);
}

/** Python's spelling of non-finite floats; the sign of a NaN is never shown. */
function nonFiniteText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  return value > 0 ? 'inf' : '-inf';
}

/** The sign Python prints, which includes the one on negative zero. */
function signOf(value: number): string {
  return value < 0 || Object.is(value, -0) ? '-' : '';
}

/** Python's `'{:.<digits>f}'.format(value)`. */
function formatFixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return nonFiniteText(value);
  const scaled = scaledMagnitude(value, digits).toString();
  if (digits === 0) return signOf(value) + scaled;
  const padded = scaled.padStart(digits + 1, '0');
  const point = padded.length - digits;
  return `${signOf(value)}${padded.slice(0, point)}.${padded.slice(point)}`;
}

/** Python's `'{:.<digits>e}'.format(value)`. */
function formatScientific(value: number, digits: number): string {
  if (!Number.isFinite(value)) return nonFiniteText(value);
  let significand = 0n;
  let decimalExponent = 0;
  if (value !== 0) {
    const lowest = 10n ** BigInt(digits);
    const highest = lowest * 10n; // exclusive
    // log10 can be off by one near powers of ten; the loop corrects it.
    decimalExponent = Math.floor(Math.log10(Math.abs(value)));
    for (;;) {
      significand = scaledMagnitude(value, digits - decimalExponent);
      if (significand >= highest) decimalExponent++;
      else if (significand < lowest) decimalExponent--;
      else break;
    }
  }
  const significandText = significand.toString().padStart(digits + 1, '0');
  const fraction = digits > 0 ? '.' + significandText.slice(1) : '';
  const exponentText = String(Math.abs(decimalExponent)).padStart(2, '0');
  return `${signOf(value)}${significandText[0]}${fraction}e${decimalExponent < 0 ? '-' : '+'}${exponentText}`;
}
