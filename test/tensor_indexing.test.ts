// Python's x[...] and x[...] = v against PyTorch 1.13 (test/fixtures/core_indexing.json).
// The index expressions are data shared with scripts/fixtures/make_core.py, which applies
// each one with Python's own indexing; here the same spec goes to x.index(...) / x.index_put_.
import { afterAll, describe, expect, it } from 'vitest';
import torch, { Tensor, type IndexSpec } from '../lib/index.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

/** One index in the shared spec: int, slice string or '...', null, boolean, {tensor: name}, {list: ints}. */
type SpecItem = number | string | null | boolean | { tensor: string } | { list: number[] };
/** A number ('nan' for NaN, as the fixture writes it) or a named tensor. */
type Value = number | 'nan' | { tensor: string };

interface IndexingFixture {
  tensors: Record<string, TensorFixture>;
  reads: { target: string; spec: SpecItem[]; out: TensorFixture }[];
  writes: { target: string; spec: SpecItem[]; value: Value; out: TensorFixture }[];
  ops: Record<string, TensorFixture>;
}

const fixture = loadFixture<IndexingFixture>('core_indexing.json');
const T = torch.tidy(() => Object.fromEntries(Object.entries(fixture.tensors).map(([k, v]) => [k, fromFixture(v)])) as Record<string, Tensor>);

function toIndex(spec: SpecItem[]): IndexSpec[] {
  return spec.map((item) => {
    if (item !== null && typeof item === 'object') return 'tensor' in item ? T[item.tensor] : item.list;
    return item;
  });
}

const valueOf = (value: Value): number | Tensor => (value === 'nan' ? NaN : typeof value === 'number' ? value : T[value.tensor]);

const label = (spec: SpecItem[]) =>
  `[${spec.map((s) => (s === null ? 'None' : typeof s === 'object' ? ('tensor' in s ? s.tensor : JSON.stringify(s.list)) : typeof s === 'string' && s !== '...' ? s : String(s))).join(', ')}]`;

describe('x.index(...) reads like Python x[...]', () => {
  for (const { target, spec, out } of fixture.reads) {
    it(`${target}${label(spec)}`, () => {
      torch.tidy(() => expectTensor(T[target].index(...toIndex(spec)), out));
    });
  }

  it('basic indexing returns views; advanced indexing returns copies', () => {
    torch.tidy(() => {
      const y = T.y.clone();
      y.index(1).index_put_([0], 100);
      y.index(':', '1:3').index_put_([0, 0], 200);
      y.index('...', null, -1).index_put_([2, 0], 300);
      y.index(T.idx_02).index_put_([0, 0], -7); // a copy: y unchanged by this
      y.index(T.mask_rows).index_put_([0, 0], -8); // a copy too
      const want = T.y.clone();
      want.index_put_([1, 0], 100);
      want.index_put_([0, 1], 200);
      want.index_put_([2, 3], 300);
      expect(torch.equal(y, want)).toBe(true);
    });
  });

  it('an int index on a 1-d tensor gives a 0-dim tensor; item() reads it', () => {
    torch.tidy(() => {
      const r = T.y.index(2, 3);
      expect(r.shape).toEqual([]);
      expect(r.item()).toBe(11);
    });
  });

  it('whitespace inside slice strings is accepted', () => {
    torch.tidy(() => {
      expect(torch.equal(T.y.index(' 1 : 3 '), T.y.index('1:3'))).toBe(true);
    });
  });

  // Tensors and int arrays travel beside the shared index codes (lib/tensor.ts encodeIndices), in order.
  it('mixes int arrays, Tensors and slices in any order', () => {
    torch.tidy(() => {
      const rows = torch.tensor([2, 0]);
      expect(T.y.index([0, 2], '1:3').tolist()).toEqual(T.y.index(torch.tensor([0, 2]), '1:3').tolist());
      expect(T.y.index(rows, [1, 3]).tolist()).toEqual([T.y.index(2, 1).item(), T.y.index(0, 3).item()]);
      expect(T.y.index([2, 0], rows).tolist()).toEqual([T.y.index(2, 2).item(), T.y.index(0, 0).item()]);
    });
  });

  it('more indices than the codes hold is a clear IndexError, before anything runs', () => {
    const before = torch.liveTensorCount();
    expect(() => T.y.index(...new Array<null>(300).fill(null))).toThrow(/too many indices \(300; at most 256\)/);
    expect(torch.liveTensorCount()).toBe(before);
  });
});

describe('x.index_put_([...], v) writes like Python x[...] = v', () => {
  for (const { target, spec, value, out } of fixture.writes) {
    const v = typeof value === 'object' ? value.tensor : String(value);
    it(`${target}${label(spec)} = ${v}`, () => {
      torch.tidy(() => {
        const x = T[target].clone();
        const returned = x.index_put_(toIndex(spec), valueOf(value));
        expect(returned).toBe(x);
        expectTensor(x, out);
      });
    });
  }

  it('index_put_ with accumulate=true sums duplicates (ATen index_put_)', () => {
    torch.tidy(() => {
      const y = T.y.clone();
      expect(y.index_put_([T.idx_dup], T.acc_vals, true)).toBe(y);
      expectTensor(y, fixture.ops.index_put_accumulate);
      const yf = T.yf.clone();
      expect(yf.index_put_([T.idx_a, T.idx_b], 0.25, true)).toBe(yf);
      expectTensor(yf, fixture.ops.index_put_accumulate_scalar);
    });
  });

  it('does not modify the source tensors', () => {
    expectTensor(T.y, fixture.tensors.y);
    expectTensor(T.x, fixture.tensors.x);
    expectTensor(T.yf, fixture.tensors.yf);
  });
});

const OPS: Record<string, () => Tensor> = {
  index_select: () => T.y.index_select(1, torch.tensor([3, 0])),
  index_select_dim0: () => T.x.index_select(0, torch.tensor([1, 1, 0])),
  gather: () => T.y.gather(1, torch.tensor([[0, 0], [1, 0], [3, 2]])),
  gather_dim0: () => T.y.gather(0, torch.tensor([[2, 1, 0, 0]])),
  scatter_src: () => torch.zeros(3, 4, { dtype: torch.int64 }).scatter(1, SIDX(), torch.tensor([[1, 2], [3, 4], [5, 6]])),
  scatter_value: () => T.yf.scatter(1, SIDX(), -1.5),
  scatter_reduce_add: () => T.y.scatter(1, SIDX(), torch.tensor([[1, 2], [3, 4], [5, 6]]), { reduce: 'add' }),
  scatter_add: () => torch.zeros(3, 4).scatter_add(1, SIDX(), torch.ones(3, 2)),
  masked_fill: () => T.y.masked_fill(T.mask_y, -1),
  masked_fill_float: () => T.yf.masked_fill(T.mask_y, 0.5),
  masked_fill_broadcast: () => T.yf.masked_fill(T.mask_cols, -2.0),
  masked_fill_tensor: () => T.yf.masked_fill(T.mask_y, torch.tensor(9.5).sub(0.5)),
  narrow: () => T.y.narrow(1, 1, 2),
  narrow_negative_start: () => T.x.narrow(-1, -2, 2),
  select: () => T.x.select(1, -1),
  select_dim0: () => T.y.select(0, 2),
  index_put_accumulate: () => T.y.clone().index_put_([T.idx_dup], T.acc_vals, true),
  index_put_accumulate_scalar: () => T.yf.clone().index_put_([T.idx_a, T.idx_b], torch.tensor(0.25), true),
};
function SIDX(): Tensor {
  return torch.tensor([[1, 0], [2, 3], [0, 0]]);
}

describe('index_select, gather, scatter, masked_fill, narrow, select', () => {
  it('every fixture op has a JS expression and vice versa', () => {
    expect(Object.keys(OPS).sort()).toEqual(Object.keys(fixture.ops).sort());
  });
  for (const name of Object.keys(fixture.ops)) {
    it(name, () => {
      torch.tidy(() => expectTensor(OPS[name](), fixture.ops[name]));
    });
  }

  it('in-place forms return the same object with the same values', () => {
    torch.tidy(() => {
      const z = torch.zeros(3, 4, { dtype: torch.int64 });
      expect(z.scatter_(1, SIDX(), torch.tensor([[1, 2], [3, 4], [5, 6]]))).toBe(z);
      expectTensor(z, fixture.ops.scatter_src);
      const yf = T.yf.clone();
      expect(yf.scatter_(1, SIDX(), -1.5)).toBe(yf);
      expectTensor(yf, fixture.ops.scatter_value);
      const y = T.y.clone();
      expect(y.masked_fill_(T.mask_y, -1)).toBe(y);
      expectTensor(y, fixture.ops.masked_fill);
      const s = torch.zeros(3, 4);
      expect(s.scatter_add_(1, SIDX(), torch.ones(3, 2))).toBe(s);
      expectTensor(s, fixture.ops.scatter_add);
    });
  });

  it('narrow and select are views of their source', () => {
    torch.tidy(() => {
      const y = T.y.clone();
      y.narrow(1, 1, 2).fill_(0);
      y.select(0, 2).fill_(-1);
      expect(y.tolist()).toEqual([[0, 0, 0, 3], [4, 0, 0, 7], [-1, -1, -1, -1]]);
    });
  });
});

describe('indexing leaves no tensors behind', () => {
  const usesIntArray = (spec: SpecItem[]) => spec.some((s) => s !== null && typeof s === 'object' && 'list' in s);

  it('liveTensorCount returns to its start after tidy', () => {
    const before = torch.liveTensorCount();
    torch.tidy(() => {
      for (const { target, spec } of fixture.reads) if (!usesIntArray(spec)) T[target].index(...toIndex(spec));
      for (const { target, spec, value } of fixture.writes) if (!usesIntArray(spec)) T[target].clone().index_put_(toIndex(spec), valueOf(value));
      for (const run of Object.values(OPS)) run();
    });
    expect(torch.liveTensorCount()).toBe(before);
  });

  // BUG (reported): parseIndex turns an int array into a native tensor handle that no Tensor
  // owns, so neither tidy nor dispose frees it (only GC does, eventually).
  it('an int-array index ([0, 2]) frees its temporary index tensor', () => {
    const before = torch.liveTensorCount();
    torch.tidy(() => {
      T.y.index([0, 2]);
      T.y.clone().index_put_([[0, 2]], 9);
    });
    expect(torch.liveTensorCount()).toBe(before);
  });
});

afterAll(() => {
  for (const t of Object.values(T)) t.dispose();
});
