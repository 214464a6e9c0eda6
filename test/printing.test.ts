// Compares formatTensor with PyTorch 1.13's repr() on the cases recorded by
// scripts/fixtures/make_printing.py (regenerate with /usr/bin/python3).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatTensor,
  printOptions,
  set_printoptions,
  type PrintOptions,
  type TensorForPrinting,
} from '../lib/_tensor_str.js';

interface PrintingCase {
  name: string;
  shape: number[];
  dtype: string;
  defaultDtype: string;
  device: string;
  requiresGrad: boolean;
  gradFn: string | null;
  /** int64 as strings, non-finite floats as 'nan' / 'inf' / '-inf', bool as 0/1 */
  values: (number | string)[];
  repr: string;
  options?: Partial<PrintOptions> & { profile?: 'default' | 'short' | 'full' };
}

const cases: PrintingCase[] = JSON.parse(
  readFileSync(new URL('./fixtures/printing.json', import.meta.url), 'utf8'),
);

function floatOf(value: number | string): number {
  if (value === 'nan') return NaN;
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  return Number(value);
}

function typedValues(dtype: string, values: (number | string)[]): TensorForPrinting['values'] {
  switch (dtype) {
    case 'float32':
    case 'float16': // arrive widened to float32, as the native side provides them
    case 'bfloat16':
      return Float32Array.from(values, floatOf);
    case 'float64':
      return Float64Array.from(values, floatOf);
    case 'int8':
      return Int8Array.from(values, Number);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values, Number);
    case 'int16':
      return Int16Array.from(values, Number);
    case 'int32':
      return Int32Array.from(values, Number);
    case 'int64':
      return BigInt64Array.from(values, (value) => BigInt(value));
    default:
      throw new Error(`fixture has unexpected dtype ${dtype}`);
  }
}

function toTensor(c: PrintingCase): TensorForPrinting {
  return {
    shape: c.shape,
    dtype: c.dtype,
    defaultDtype: c.defaultDtype,
    device: c.device,
    requiresGrad: c.requiresGrad,
    gradFn: c.gradFn,
    values: typedValues(c.dtype, c.values),
  };
}

function resetPrintOptions(): void {
  set_printoptions({ profile: 'default' });
}

describe('formatTensor matches Python repr', () => {
  afterEach(resetPrintOptions);

  it('has enough fixture cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  for (const c of cases) {
    it(c.name, () => {
      if (c.options) set_printoptions(c.options);
      expect(formatTensor(toTensor(c))).toBe(c.repr);
    });
  }

  it('names a non-CPU device', () => {
    const tensor: TensorForPrinting = {
      shape: [2],
      dtype: 'float32',
      defaultDtype: 'float32',
      device: 'cuda:0',
      requiresGrad: false,
      gradFn: null,
      values: Float32Array.of(1, 2),
    };
    expect(formatTensor(tensor)).toBe("tensor([1., 2.], device='cuda:0')");
  });
});

describe('set_printoptions', () => {
  afterEach(resetPrintOptions);

  it('precision 2 matches torch.set_printoptions(precision=2)', () => {
    const c = cases.find((candidate) => candidate.name === 'precision 2')!;
    set_printoptions({ precision: 2 });
    expect(formatTensor(toTensor(c))).toBe(c.repr);
    resetPrintOptions();
    expect(formatTensor(toTensor(c))).toBe('tensor([1.1235, 0.1250, 2.0000])');
  });

  it('resets sci_mode when it is not given, as PyTorch does', () => {
    set_printoptions({ sci_mode: true });
    expect(printOptions.sci_mode).toBe(true);
    set_printoptions({ precision: 3 });
    expect(printOptions.sci_mode).toBeNull();
    expect(printOptions.precision).toBe(3);
  });

  it('profiles set their values and explicit options override them', () => {
    set_printoptions({ profile: 'full', edgeitems: 5 });
    expect(printOptions).toEqual({ precision: 4, threshold: Infinity, edgeitems: 5, linewidth: 80, sci_mode: null });
    resetPrintOptions();
    expect(printOptions).toEqual({ precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sci_mode: null });
  });
});
