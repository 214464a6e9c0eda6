// Memory: dispose (idempotent), `using` / [Symbol.dispose], tidy (keeps only what it returns,
// nested, frees on throw, rejects async fns), liveTensorCount/liveTensorBytes, and a long
// loop that never disposes: GC (fed by the bytes the native side reports to V8) must bound RSS.
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../lib/index.js';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { runInFreshProcess, settle } from './_util.js';
import { native } from '../lib/_C.js';

const live = () => torch.liveTensorCount();
const rssMB = () => process.memoryUsage().rss / 2 ** 20;

describe('dispose', () => {
  it('frees the native tensor once; dispose is idempotent', () => {
    const before = live();
    const t = torch.ones(3);
    expect(live()).toBe(before + 1);
    expect(t.isDisposed).toBe(false);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(live()).toBe(before);
    t.dispose();
    t[Symbol.dispose]();
    expect(live()).toBe(before);
  });

  it('disposing a view leaves its base usable, and the other way round', () => {
    const before = live();
    const base = torch.arange(6);
    const view = base.view(2, 3);
    view.dispose();
    expect(base.tolist()).toEqual([0, 1, 2, 3, 4, 5]);
    const v2 = base.index('1:3');
    base.dispose();
    expect(v2.tolist()).toEqual([1, 2]); // the view keeps the storage alive
    v2.dispose();
    expect(live()).toBe(before);
  });

  it('`using` disposes at the end of the block (also on throw)', () => {
    const before = live();
    let escaped: Tensor | undefined;
    {
      using t = torch.ones(2);
      escaped = t;
      expect(live()).toBe(before + 1);
    }
    expect(escaped!.isDisposed).toBe(true);
    expect(live()).toBe(before);
    expect(() => {
      using t = torch.zeros(4);
      escaped = t;
      throw new Error('inside using');
    }).toThrow('inside using');
    expect(escaped!.isDisposed).toBe(true);
    expect(live()).toBe(before);
  });

  it('liveTensorBytes follows the storage of live tensors', () => {
    const bytesBefore = torch.liveTensorBytes();
    const t = torch.zeros(1_000_000);
    const grown = torch.liveTensorBytes() - bytesBefore;
    expect(grown).toBeGreaterThanOrEqual(4_000_000);
    expect(grown).toBeLessThan(4_100_000);
    t.dispose();
    expect(torch.liveTensorBytes()).toBe(bytesBefore);
  });

  it('a tensor given to .grad stays alive after the JS object that set it is disposed', () => {
    const before = live();
    const w = torch.ones(2, { requires_grad: true });
    const g = torch.full([2], 3.5);
    w.grad = g;
    g.dispose();
    const read = w.grad!;
    expect(read.tolist()).toEqual([3.5, 3.5]);
    read.dispose();
    w.dispose();
    expect(live()).toBe(before);
  });
});

describe('tidy', () => {
  it('frees every tensor made inside except the returned one', () => {
    const before = live();
    const kept = torch.tidy(() => {
      const a = torch.ones(3);
      const b = a.mul(2);
      b.add(1);
      return b.sum();
    });
    expect(kept.item()).toBe(6);
    expect(live()).toBe(before + 1);
    kept.dispose();
    expect(live()).toBe(before);
  });

  it('keeps tensors in returned arrays, plain objects, nested containers and Maps', () => {
    const before = live();
    const out = torch.tidy(() => {
      torch.zeros(5);
      const m = new Map<string, Tensor>([['m', torch.ones(1)]]);
      return { list: [torch.ones(1), [torch.ones(2)]], obj: { deep: { t: torch.ones(3) } }, m, n: 3, s: 'x' };
    });
    expect(live()).toBe(before + 4);
    expect((out.list[0] as Tensor).isDisposed).toBe(false);
    expect(((out.list[1] as Tensor[])[0]).shape).toEqual([2]);
    expect(out.obj.deep.t.shape).toEqual([3]);
    expect(out.m.get('m')!.isDisposed).toBe(false);
    for (const t of [out.list[0] as Tensor, (out.list[1] as Tensor[])[0], out.obj.deep.t, out.m.get('m')!]) t.dispose();
    expect(live()).toBe(before);
  });

  it('nested tidy: an inner result moves to the outer scope and is freed there unless returned', () => {
    const before = live();
    let inner: Tensor | undefined;
    let innerDropped: Tensor | undefined;
    const outer = torch.tidy(() => {
      inner = torch.tidy(() => {
        innerDropped = torch.ones(2);
        return torch.ones(3);
      });
      expect(innerDropped!.isDisposed).toBe(true);
      expect(inner.isDisposed).toBe(false);
      const kept = torch.tidy(() => torch.ones(4).mul(2));
      return kept;
    });
    expect(inner!.isDisposed).toBe(true);
    expect(outer.isDisposed).toBe(false);
    expect(outer.tolist()).toEqual([2, 2, 2, 2]);
    outer.dispose();
    expect(live()).toBe(before);
  });

  it('a tensor created before tidy and returned from it is not disposed', () => {
    const before = live();
    const outside = torch.ones(2);
    const same = torch.tidy(() => {
      outside.mul(3);
      return outside;
    });
    expect(same).toBe(outside);
    expect(outside.isDisposed).toBe(false);
    outside.dispose();
    expect(live()).toBe(before);
  });

  it('keep() rescues a tensor from the scope', () => {
    const before = live();
    let rescued: Tensor | undefined;
    torch.tidy(() => {
      rescued = torch.keep(torch.ones(2));
      torch.ones(3);
    });
    expect(rescued!.isDisposed).toBe(false);
    rescued!.dispose();
    expect(live()).toBe(before);
  });

  it('a throwing fn still frees everything, and the error propagates', () => {
    const before = live();
    let made: Tensor | undefined;
    expect(() =>
      torch.tidy(() => {
        made = torch.ones(2);
        made.add(1);
        throw new RangeError('from inside tidy');
      }),
    ).toThrow('from inside tidy');
    expect(made!.isDisposed).toBe(true);
    expect(live()).toBe(before);
  });

  it('rejects an async fn with a clear error and frees what it made before the first await', async () => {
    const before = live();
    let made: Tensor | undefined;
    let pending: Promise<unknown> | undefined;
    const e = (() => {
      try {
        torch.tidy((() => {
          made = torch.ones(2);
          pending = (async () => {
            await null;
          })();
          return pending;
        }) as () => unknown);
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(TypeError);
    expect(e!.message).toContain('tidy(fn) is synchronous');
    expect(e!.message).toContain('Promise');
    expect(made!.isDisposed).toBe(true);
    await pending;
    expect(live()).toBe(before);
    expect(() => torch.tidy(async () => torch.ones(1))).toThrow(/synchronous/);
    expect(() => torch.tidy(5 as never)).toThrow(TypeError);
  });

  // tidy finds tensors by class, never by reading properties of the result.
  it('frees the scope when the returned value throws on every property read', () => {
    const before = live();
    const result = torch.tidy(() => {
      torch.ones(2);
      return new Proxy({}, { get() { throw new Error('getter'); } });
    });
    expect(typeof result).toBe('object');
    expect(live()).toBe(before);
  });

  it('liveTensorCount returns to its start after a mixed workload', () => {
    const before = live();
    torch.tidy(() => {
      const w = torch.randn(4, 3, { requires_grad: true });
      const x = torch.randn(5, 4);
      const loss = x.matmul(w).relu().pow(2).mean();
      loss.backward();
      void w.grad;
      const [values, indices] = x.max(1);
      torch.cat([values, indices.float()]).split(2);
      x.index(':', '1:3').clone().index_put_([0], 1);
      String(x);
      x.tolist();
    });
    expect(live()).toBe(before);
  });
});

describe('a loop that never disposes', () => {
  const ITERATIONS = 100_000;
  const BOUND_MB = 300;

  /**
   * `a = a.add(b).mul(0.5)` on 8x8 tensors, plus a 1 MB tensor (written, so its pages count in RSS)
   * every 100 iterations: 200k small and 1000 large tensors, ~1.1 GB if nothing were freed.
   * Returns the largest RSS growth seen; stops early once growth exceeds the bound.
   */
  async function loop(yieldEvery: number | null): Promise<number> {
    let a = torch.rand(8, 8);
    const b = torch.rand(8, 8);
    let big: Tensor | undefined;
    // warm up allocator and JIT so the baseline is not the cold process
    for (let i = 0; i < 2000; i++) a = a.add(b).mul(0.5);
    await new Promise((r) => setImmediate(r));
    const base = rssMB();
    let growth = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      a = a.add(b).mul(0.5);
      if (i % 100 === 0) big = torch.ones(262_144);
      if (yieldEvery !== null && i % yieldEvery === 0) await new Promise((r) => setImmediate(r));
      if (i % 1000 === 0) {
        growth = Math.max(growth, rssMB() - base);
        if (growth > BOUND_MB) break;
      }
    }
    growth = Math.max(growth, rssMB() - base);
    expect(big!.shape).toEqual([262_144]);
    expect(a.shape).toEqual([8, 8]);
    return growth;
  }

  it(`keeps RSS growth under ${BOUND_MB} MB when the event loop turns (every 1000 iterations)`, async () => {
    const started = Date.now();
    const growth = await loop(1000);
    expect(growth).toBeLessThan(BOUND_MB);
    expect(Date.now() - started).toBeLessThan(30_000);
    // and the finalizers bring the live count back down
    await new Promise((r) => setTimeout(r, 50));
    expect(live()).toBeLessThan(ITERATIONS);
  });

  // Tensor finalizers are Node-API basic finalizers, run during GC: a synchronous loop frees too
  // (before: 200k live tensors, +1.15 GB RSS after 100k iterations).
  it(`keeps RSS growth under ${BOUND_MB} MB in a fully synchronous loop`, async () => {
    const growth = await loop(null);
    expect(growth).toBeLessThan(BOUND_MB);
  });

  // Few JS objects but much native memory (a training step's activations): V8 alone would not
  // collect until its young generation fills; lib/memory.ts collects when native bytes grow.
  it('frees large dropped tensors in a synchronous loop that makes few JS objects (1.2 GB dropped)', () => {
    torch.ones(1); // load everything before the baseline
    const base = rssMB();
    const liveBytesBase = torch.liveTensorBytes();
    let growth = 0;
    for (let i = 0; i < 300; i++) {
      torch.ones(1024, 1024); // 4 MB, written, then dropped
      growth = Math.max(growth, rssMB() - base);
    }
    expect(growth).toBeLessThan(BOUND_MB);
    // Without collections all 1.2 GB would still be live; the collection step grows with the
    // memory already live (half of it), so allow up to half of what was dropped.
    expect(torch.liveTensorBytes() - liveBytesBase).toBeLessThan(600 * 2 ** 20);
  });
});

describe('collections driven by the number of live tensors', () => {
  // Elementwise work on scalars makes many tensors but little memory; lib/memory.ts collects the
  // young generation every few thousand of them, so that they are freed while still in cache.
  // Left to V8 alone, tens of thousands are alive at once (its young generation holds ~100k).
  it('keeps the tensors dropped by a synchronous scalar loop to a few thousand', () => {
    const a = torch.rand(1);
    const b = torch.rand(1);
    a.add(b); // load everything before the baseline
    const base = torch.liveTensorCount();
    let peak = 0;
    for (let i = 0; i < 50_000; i++) {
      a.add(b);
      if (i % 256 === 0) peak = Math.max(peak, torch.liveTensorCount() - base);
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(3 * 4096);
  });
});

describe('the live tensor count and bytes', () => {
  // They are published by the addon into a buffer that JS reads; the GC's finalizers publish too.
  it('follow tensors that the garbage collector frees', () => {
    settle();
    const count = torch.liveTensorCount();
    const bytes = torch.liveTensorBytes();
    (() => torch.ones(256, 1024))(); // 1 MB, dropped at once
    expect(torch.liveTensorCount()).toBe(count + 1);
    expect(torch.liveTensorBytes() - bytes).toBeGreaterThanOrEqual(2 ** 20);
    settle();
    expect(torch.liveTensorCount()).toBe(count);
    expect(torch.liveTensorBytes()).toBe(bytes);
  });

  // Live activations inside tidy are not garbage: collecting when they grow would be futile work
  // on every step (a minor and a full collection, ~10 ms here).
  it('a tidy loop whose live tensors grow past the step each time does not collect every step', async () => {
    const entries: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    for (let i = 0; i < 30; i++) {
      torch.tidy(() => {
        const a = torch.ones(1024, 1024, 8); // 32 MB, alive until the end of the step
        a.mul(2).add(1);
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    expect(entries.length).toBeLessThan(10);
  });
});

describe('tensor handles', () => {
  // Each Tensor owns one slot of the addon's tensor table; JS holds it as the number
  // index * 256 + generation (native/tensor_handle.cpp), and the slot is freed only when the
  // GC collects the Tensor object.
  const fakeWith = (handle: number): Tensor => {
    const fake = Object.create(Tensor.prototype) as Tensor;
    (fake as unknown as { _h: number })._h = handle;
    return fake;
  };

  it('a handle left over from a collected tensor is rejected, also once its slot holds another tensor', () => {
    settle();
    const stale = (() => torch.ones(2)._h)();
    settle(); // frees the slot; the next tensors take freed slots first
    const fresh = Array.from({ length: 64 }, () => torch.zeros(3));
    const reused = fresh.find((t) => Math.floor(t._h / 256) === Math.floor(stale / 256));
    expect(reused, 'the freed slot was reused').toBeDefined();
    expect(reused!._h).not.toBe(stale);
    for (const run of [() => fakeWith(stale).add(1), () => torch.cat([fresh[0], fakeWith(stale)]), () => fakeWith(stale).tolist()]) {
      expect(() => run()).toThrow(/expected a Tensor/);
    }
    // The slot's new tensor is untouched.
    expect(reused!.tolist()).toEqual([0, 0, 0]);
  });

  it('ops whose result the caller never sees leave nothing alive', () => {
    const x = torch.ones(3);
    settle();
    const start = live();
    for (let i = 0; i < 100; i++) {
      x.add_(1); // in place: returns x itself
      x.contiguous(); // dropped
      expect(() => x.view(7)).toThrow(/invalid for input of size 3/); // fails after its result object was made
      x.max(0); // a tuple: its Tensors are made in JS and adopted (adoptResults)
      x.unbind(0); // a list
    }
    settle();
    expect(live()).toBe(start);
    expect(x.tolist()).toEqual([101, 101, 101]);
  });

  it('a failing op inside tidy disposes cleanly, and the count returns to its start', () => {
    settle();
    const start = live();
    const kept = torch.tidy(() => {
      const a = torch.ones(2, 2);
      expect(() => a.mm(torch.ones(3, 3))).toThrow(/cannot be multiplied/);
      return a.mul(3);
    });
    expect(kept.tolist()).toEqual([[3, 3], [3, 3]]);
    expect(live()).toBe(start + 1);
    kept.dispose();
    expect(live()).toBe(start);
  });

  it('numbers still stand for tensors where Python allows it (wrapped numbers promote like scalars)', () => {
    const i = torch.tensor([1, 2], { dtype: torch.int64 });
    expect(i.mul(2.5).dtype).toBe(torch.float32);
    expect(i.mul(2.5).tolist()).toEqual([2.5, 5]);
    expect(i.add(true).tolist()).toEqual([2, 3]);
    expect(i.mul(2n as never).dtype).toBe(torch.int64);
    // A number is never read as a handle, even one that equals a live tensor's handle.
    expect(i.add(i._h).tolist()).toEqual([1 + i._h, 2 + i._h]);
  });
});

describe("glibc's heap thresholds (native/addon.cpp)", () => {
  const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);
  // The thresholds are set once, when the addon loads: each case runs in a fresh process.
  const TUNING = ["const { native } = await import('./lib/_C.ts');", 'console.log(JSON.stringify(native.mallocTuning()));'];

  it.skipIf(!glibc)('are set at load, unless the user set glibc\'s own or opted out', () => {
    expect(native.mallocTuning()).toEqual([32 * 2 ** 20, 64 * 2 ** 20]);
    expect(runInFreshProcess(TUNING)).toEqual([32 * 2 ** 20, 64 * 2 ** 20]);
    expect(runInFreshProcess(TUNING, { TORCH_NODE_MALLOC_TUNING: '0' })).toBeNull();
    expect(runInFreshProcess(TUNING, { MALLOC_TRIM_THRESHOLD_: '1000000' })).toBeNull();
  });

  // A tidy training step of the book's CNN (batch 8) allocates ~4 MB of activations and
  // gradients and frees them at its end. With glibc's defaults the freed heap top goes back to
  // the OS and the next step faults the pages in again (~1,000 page faults a step here); with
  // the thresholds set, the pages stay. Without them glibc's choice varies from run to run (about
  // one run in six, small allocations happen to pin the heap's top and it is not trimmed), so the
  // untuned loop runs up to three times for a run that shows the trimming.
  it.skipIf(!glibc)('keep a tidy training loop from faulting its memory back in on every step', () => {
    const loop = [
      "const torch = (await import('./lib/index.ts')).default;",
      "const { F, optim } = await import('./lib/index.ts');",
      "const { CNN } = await import('./examples/book/cnn.ts');",
      'torch.manual_seed(0);',
      'const model = new CNN();',
      'const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });',
      'const x = torch.randn(8, 3, 32, 32);',
      'const y = torch.randint(0, 10, [8]);',
      'const step = () => torch.tidy(() => { opt.zero_grad(); F.cross_entropy(model.forward(x), y).backward(); opt.step(); });',
      'for (let i = 0; i < 5; i++) step();',
      'const before = process.resourceUsage().minorPageFault;',
      'for (let i = 0; i < 60; i++) step();',
      'console.log(JSON.stringify(process.resourceUsage().minorPageFault - before));',
    ];
    const tuned = runInFreshProcess(loop) as number;
    let untuned = 0;
    for (let run = 0; run < 3 && untuned <= 10_000; run++) untuned = Math.max(untuned, runInFreshProcess(loop, { TORCH_NODE_MALLOC_TUNING: '0' }) as number);
    expect(untuned).toBeGreaterThan(10_000);
    expect(tuned).toBeLessThan(untuned / 4);
  });
});
