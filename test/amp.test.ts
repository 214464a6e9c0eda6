// torch.autocast on the CPU, GradScaler without CUDA (and torch.amp.GradScaler('cpu')),
// torch.backends flags and torch.cuda's answers without a GPU, against PyTorch 1.13
// (scripts/fixtures/make_amp.py).
import { afterEach, describe, expect, it, vi } from 'vitest';
import torch, { Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import * as F from '../lib/nn/functional.js';
import * as nnBase from '../lib/nn/index.js';
import * as layers from '../lib/nn/modules/index_layers.js';
import { SGD } from '../lib/optim/sgd.js';
import * as amp from '../lib/amp/index.js';
import * as backends from '../lib/backends.js';
import * as cudaMemory from '../lib/cuda_memory.js';
import { expectTensor, fromFixture, loadFixture, runInFreshProcess, settle, type TensorFixture } from './_util.js';
import { CNN } from '../examples/book/cnn.js';

const nn = { ...nnBase, ...layers };
const fx = loadFixture('amp.json');
const EXACT = { rtol: 0, atol: 0 };

/** Collects the messages of process.emitWarning calls made while fn runs. */
function warningsOf<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation(((w: string | Error) => {
    warnings.push(typeof w === 'string' ? w : w.message);
  }) as typeof process.emitWarning);
  try {
    return { result: fn(), warnings };
  } finally {
    spy.mockRestore();
  }
}

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

afterEach(() => {
  // Every test must leave autocast off, whatever it did.
  expect(amp.is_autocast_cpu_enabled()).toBe(false);
  expect(amp.get_autocast_cpu_dtype()).toBe(torch.bfloat16);
});

describe('CPU autocast: op dtypes and values equal PyTorch', () => {
  const inputs: Record<string, Tensor> = Object.fromEntries(Object.entries(fx.ops.inputs as Record<string, TensorFixture>).map(([k, v]) => [k, fromFixture(v)]));
  const cases: Record<string, (t: Record<string, Tensor>) => Tensor> = {
    mm: (t) => torch.mm(t.a, t.b),
    matmul: (t) => torch.matmul(t.a, t.b),
    bmm: (t) => torch.bmm(t.batch_a, t.batch_b),
    addmm: (t) => torch.addmm(t.bias, t.a, t.b),
    linear: (t) => F.linear(t.a, t.weight, t.bias),
    conv2d: (t) => F.conv2d(t.image, t.kernel, t.kernel_bias, 1, 1),
    relu_of_mm: (t) => torch.relu(torch.mm(t.a, t.b)),
    add_float_to_bf16: (t) => torch.mm(t.a, t.b).add(t.bias),
    cross_entropy: (t) => F.cross_entropy(t.logits, t.target),
    mse_loss: (t) => F.mse_loss(t.logits, torch.zeros(4, 5)),
    softmax: (t) => torch.softmax(t.logits, 1),
  };
  it('covers every op of the fixture', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(fx.ops.ops).sort());
  });
  for (const [name, run] of Object.entries(cases)) {
    it(`${name}: float32 outside, PyTorch's dtype and values inside`, () => {
      const want = fx.ops.ops[name];
      expectTensor(run(inputs), want.plain, { rtol: 1e-6, atol: 1e-6 });
      const cast = amp.autocast('cpu', { dtype: torch.bfloat16 }, () => run(inputs));
      expectTensor(cast, want.autocast, EXACT);
    });
  }
});

describe('autocast as a scope and as a guard', () => {
  const a = fromFixture(fx.ops.inputs.a);
  const b = fromFixture(fx.ops.inputs.b);

  it('the callback form returns fn\'s result and restores the state', () => {
    const y = amp.autocast('cpu', { dtype: torch.bfloat16 }, () => {
      expect(amp.is_autocast_cpu_enabled()).toBe(true);
      return a.mm(b);
    });
    expect(y.dtype).toBe(torch.bfloat16);
    expect(a.mm(b).dtype).toBe(torch.float32);
  });

  it('the callback form with default options uses the CPU autocast dtype', () => {
    expect(amp.autocast('cpu', () => a.mm(b)).dtype).toBe(torch.bfloat16);
  });

  it('`using` enters and leaves the region', () => {
    {
      using region = amp.autocast('cpu', { dtype: torch.bfloat16 });
      expect(region).toBeInstanceOf(amp.AutocastMode);
      expect(a.mm(b).dtype).toBe(torch.bfloat16);
    }
    expect(a.mm(b).dtype).toBe(torch.float32);
  });

  it('leaves the region when fn throws', () => {
    expect(() => amp.autocast('cpu', () => {
      throw new RangeError('boom');
    })).toThrow(RangeError);
  });

  it('leaves the region when a returned Promise settles', async () => {
    const p = amp.autocast('cpu', async () => a.mm(b).dtype);
    expect(amp.is_autocast_cpu_enabled()).toBe(true);
    expect(await p).toBe(torch.bfloat16);
    expect(amp.is_autocast_cpu_enabled()).toBe(false);
  });

  it('nests like PyTorch: enabled:false inside, re-enabled after, state restored outside', () => {
    const want = fx.nesting;
    const dtype = () => String(a.mm(b).dtype);
    const seen: Record<string, unknown> = {};
    amp.autocast('cpu', { dtype: torch.bfloat16 }, () => {
      seen.outer_before = dtype();
      amp.autocast('cpu', { enabled: false }, () => {
        seen.inner_disabled = dtype();
        seen.inner_disabled_is_enabled = amp.is_autocast_cpu_enabled();
      });
      seen.outer_after = dtype();
      seen.outer_is_enabled = amp.is_autocast_cpu_enabled();
      seen.inner_enabled = amp.autocast('cpu', { dtype: torch.bfloat16 }, dtype);
    });
    seen.outside = dtype();
    seen.outside_is_enabled = amp.is_autocast_cpu_enabled();
    seen.cpu_dtype = String(amp.get_autocast_cpu_dtype());
    seen.gpu_dtype = String(amp.get_autocast_gpu_dtype());
    seen.cache_enabled = amp.is_autocast_cache_enabled();
    seen.enabled_false = amp.autocast('cpu', { dtype: torch.bfloat16, enabled: false }, dtype);
    seen.cache_disabled_inside = amp.autocast('cpu', { cache_enabled: false }, () => amp.is_autocast_cache_enabled());
    seen.cache_after = amp.is_autocast_cache_enabled();
    seen.cpu_amp_autocast = amp.cpu_amp.autocast({}, dtype);
    expect(seen).toEqual(want);
  });

  it('wrap() runs a function in a fresh entry of the region each call', () => {
    const region = new amp.AutocastMode('cpu', { dtype: torch.bfloat16 });
    const mm = region.wrap((x: Tensor, y: Tensor) => x.mm(y));
    expect(mm(a, b).dtype).toBe(torch.bfloat16);
    expect(mm(a, b).dtype).toBe(torch.bfloat16);
    expect(a.mm(b).dtype).toBe(torch.float32);
  });

  it('leaving a region twice does nothing the second time', () => {
    const region = amp.autocast('cpu');
    region.exit();
    region.exit();
    expect(amp.is_autocast_cpu_enabled()).toBe(false);
  });

  it('torch.cuda.amp.autocast without CUDA warns like PyTorch and leaves CUDA autocast off', () => {
    if (torch.cuda.is_available()) return;
    const { result, warnings } = warningsOf(() => amp.cuda_amp.autocast({}, () => amp.is_autocast_enabled()));
    expect(result).toBe(fx.messages.cuda_is_enabled);
    expect(warnings).toEqual([fx.messages.cuda_unavailable_warning]);
  });

  it('a training step under autocast in tidy leaves no tensor behind', () => {
    const w = torch.randn(6, 5, { requires_grad: true });
    const step = () => {
      const loss = amp.autocast('cpu', () => a.mm(w).float().pow(2).mean());
      loss.backward();
      w.grad = null;
    };
    torch.tidy(step);
    settle();
    const start = torch.liveTensorCount();
    torch.tidy(step);
    settle();
    expect(torch.liveTensorCount()).toBe(start);
  });
});

describe('autocast errors', () => {
  it('an unknown device type is a TorchError with PyTorch\'s message', () => {
    const e = thrownBy(() => amp.autocast('xpu2' as 'cpu'));
    expect(e).toBeInstanceOf(TorchError);
    expect(e.message).toContain(fx.messages.bad_device);
  });

  it('float16 on a 1.13 CPU warns at construction and is refused on entry, as in PyTorch', () => {
    if (!torch.__libtorch_version__.startsWith('1.')) return;
    const { warnings } = warningsOf(() => {
      const e = thrownBy(() => amp.autocast('cpu', { dtype: torch.float16 }, () => 0));
      expect(e).toBeInstanceOf(TorchError);
      expect(e.message).toBe(fx.messages.float16_on_cpu_enter_error);
    });
    expect(warnings).toEqual([fx.messages.float16_on_cpu_warning]);
    expect(amp.is_autocast_cpu_enabled()).toBe(fx.messages.float16_on_cpu_is_enabled_after);
  });

  it('arguments of the wrong type are TypeErrors naming the argument', () => {
    const cases: [() => unknown, string][] = [
      [() => amp.autocast('cpu', { dtype: 'bfloat16' as unknown as typeof torch.bfloat16 }), "'dtype'"],
      [() => amp.autocast('cpu', { enabled: 1 as unknown as boolean }), "'enabled'"],
      [() => amp.autocast('cpu', { cache_enabled: 'yes' as unknown as boolean }), "'cache_enabled'"],
      [() => amp.set_autocast_cpu_dtype(5 as unknown as typeof torch.bfloat16), "'dtype'"],
    ];
    for (const [fn, arg] of cases) {
      const e = thrownBy(fn);
      expect(e).toBeInstanceOf(TorchTypeError);
      expect(e.message).toContain(arg);
    }
  });

  it('entering the same region twice is an error', () => {
    const region = new amp.AutocastMode('cpu');
    region.__enter__();
    try {
      expect(() => region.__enter__()).toThrow(/already entered/);
    } finally {
      region.__exit__();
    }
  });
});

describe("the book's CNN under CPU autocast", () => {
  const want = fx.cnn;

  it('forward gives PyTorch\'s bfloat16 output; 3 SGD steps give its losses', () => {
    torch.manual_seed(0);
    const model = new CNN();
    torch.manual_seed(1);
    const x = torch.randn(4, 3, 32, 32);
    const target = torch.tensor([3, 7, 0, 9]);
    const output = amp.autocast('cpu', { dtype: torch.bfloat16 }, () => torch.no_grad(() => model.forward(x)));
    expectTensor(output, want.output, { rtol: 1e-2, atol: 1e-2 });
    const criterion = new nn.CrossEntropyLoss();
    const losses: number[] = [];
    const lossDtypes: string[] = [];
    for (let step = 0; step < 3; step++) {
      torch.tidy(() => {
        model.zero_grad();
        const loss = amp.autocast('cpu', { dtype: torch.bfloat16 }, () => criterion.forward(model.forward(x), target));
        lossDtypes.push(String(loss.dtype));
        loss.backward();
        torch.no_grad(() => {
          for (const p of model.parameters()) p.sub_(p.grad!.mul(0.01));
        });
        losses.push(loss.item() as number);
      });
    }
    expect(lossDtypes).toEqual(want.loss_dtypes);
    losses.forEach((l, i) => expect(Math.abs(l - want.losses[i])).toBeLessThanOrEqual(1e-3 * Math.abs(want.losses[i])));
    const gradDtypes = Object.fromEntries([...model.named_parameters()].map(([n, p]) => [n, String(p.grad!.dtype)]));
    expect(gradDtypes).toEqual(want.grad_dtypes);
    expectTensor(model.fc2.bias!, want.fc2_bias_after, { rtol: 1e-3, atol: 1e-4 });
  });
});

describe('torch.cuda.amp.GradScaler without CUDA', () => {
  it('disables itself with PyTorch\'s warning; its methods answer as when disabled', () => {
    if (torch.cuda.is_available()) return;
    const { result: scaler, warnings } = warningsOf(() => new amp.cuda_amp.GradScaler());
    expect(warnings).toEqual([fx.messages.grad_scaler_warning]);
    const want = fx.messages.grad_scaler;
    expect(scaler.is_enabled()).toBe(want.is_enabled);
    expect(scaler.get_scale()).toBe(want.get_scale);
    expect(scaler.state_dict()).toEqual(want.state_dict);
    expect(scaler._get_growth_tracker()).toBe(want.growth_tracker);
    const loss = torch.tensor(2.5);
    expect(scaler.scale(loss)).toBe(loss);
  });

  it('step() still steps the optimizer, exactly as optimizer.step() alone', () => {
    const { result: scaler } = warningsOf(() => new amp.cuda_amp.GradScaler({ enabled: !torch.cuda.is_available() ? true : false }));
    torch.manual_seed(0);
    const ours = new nn.Linear(4, 3);
    const twin = new nn.Linear(4, 3);
    twin.load_state_dict(ours.state_dict());
    const x = torch.randn(5, 4);
    const sgdOurs = new SGD(ours.parameters(), { lr: 0.1 });
    const sgdTwin = new SGD(twin.parameters(), { lr: 0.1 });
    scaler.scale(ours.forward(x).pow(2).sum()).backward();
    scaler.step(sgdOurs);
    scaler.update();
    twin.forward(x).pow(2).sum().backward();
    sgdTwin.step();
    expect(ours.weight.equal(twin.weight)).toBe(true);
    expect(ours.bias!.equal(twin.bias!)).toBe(true);
  });
});

describe("torch.amp.GradScaler('cpu'): the scaling state machine", () => {
  /** A linear model and its twin with the same weights, for a scaled and a plain run. */
  function twins() {
    torch.manual_seed(0);
    const scaled = new nn.Linear(4, 3);
    const plain = new nn.Linear(4, 3);
    plain.load_state_dict(scaled.state_dict());
    const x = torch.randn(5, 4);
    return { scaled, plain, x };
  }

  it('scale() multiplies by init_scale; gradients come out scaled, step() unscales them exactly', () => {
    const { scaled, plain, x } = twins();
    const scaler = new amp.GradScaler('cpu');
    expect(scaler.is_enabled()).toBe(true);
    expect(scaler.get_scale()).toBe(2 ** 16);
    const loss = scaled.forward(x).pow(2).sum();
    const scaledLoss = scaler.scale(loss);
    expect(scaledLoss.item()).toBe(Math.fround((loss.item() as number) * 2 ** 16));
    scaledLoss.backward();
    plain.forward(x).pow(2).sum().backward();
    // A power-of-two scale is exact in float32.
    expect(scaled.weight.grad!.equal(plain.weight.grad!.mul(2 ** 16))).toBe(true);
    const sgd = new SGD(scaled.parameters(), { lr: 0.1 });
    const result = scaler.step(sgd);
    expect(result).toBeUndefined();
    expect(scaled.weight.grad!.equal(plain.weight.grad!)).toBe(true);
    new SGD(plain.parameters(), { lr: 0.1 }).step();
    expect(scaled.weight.equal(plain.weight)).toBe(true);
    scaler.update();
    expect(scaler.get_scale()).toBe(2 ** 16);
    expect(scaler._get_growth_tracker()).toBe(1);
  });

  it('an inf gradient skips the step and backs the scale off; clean steps grow it after growth_interval', () => {
    const { scaled, x } = twins();
    const scaler = new amp.GradScaler('cpu', { init_scale: 1024, growth_interval: 2, backoff_factor: 0.25, growth_factor: 4 });
    const sgd = new SGD(scaled.parameters(), { lr: 0.1 });
    const before = scaled.weight.clone();
    scaler.scale(scaled.forward(x).sum()).backward();
    torch.no_grad(() => scaled.bias!.grad!.index_put_([torch.tensor([0])], torch.tensor([Infinity])));
    scaler.step(sgd);
    expect(scaled.weight.equal(before)).toBe(true);
    scaler.update();
    expect(scaler.get_scale()).toBe(1024 * 0.25);
    expect(scaler._get_growth_tracker()).toBe(0);
    for (let i = 0; i < 2; i++) {
      sgd.zero_grad();
      scaler.scale(scaled.forward(x).sum()).backward();
      scaler.step(sgd);
      scaler.update();
    }
    expect(scaled.weight.equal(before)).toBe(false);
    expect(scaler.get_scale()).toBe(1024 * 0.25 * 4);
    expect(scaler._get_growth_tracker()).toBe(0);
  });

  it('unscale_ then step: clipping sees unscaled gradients; update(new_scale) sets the scale', () => {
    const { scaled, plain, x } = twins();
    const scaler = new amp.GradScaler('cpu', { init_scale: 8 });
    const sgd = new SGD(scaled.parameters(), { lr: 0.1 });
    scaler.scale(scaled.forward(x).sum()).backward();
    plain.forward(x).sum().backward();
    scaler.unscale_(sgd);
    expect(scaled.weight.grad!.equal(plain.weight.grad!)).toBe(true);
    scaler.step(sgd);
    scaler.update(3.0);
    expect(scaler.get_scale()).toBe(3);
    scaler.update(torch.tensor([5], { dtype: torch.float32 }));
    expect(scaler.get_scale()).toBe(5);
  });

  it('state_dict / load_state_dict round-trip', () => {
    const { scaled, x } = twins();
    const scaler = new amp.GradScaler('cpu', { init_scale: 64, growth_factor: 3, backoff_factor: 0.125, growth_interval: 7 });
    const sgd = new SGD(scaled.parameters(), { lr: 0.1 });
    scaler.scale(scaled.forward(x).sum()).backward();
    scaler.step(sgd);
    scaler.update();
    const state = scaler.state_dict();
    expect(state).toEqual({ scale: 64, growth_factor: 3, backoff_factor: 0.125, growth_interval: 7, _growth_tracker: 1 });
    const restored = new amp.GradScaler('cpu');
    restored.load_state_dict(state);
    expect(restored.state_dict()).toEqual(state);
    expect(() => restored.load_state_dict({})).toThrow(/source state dict is empty/);
  });

  it('misuse raises PyTorch\'s errors', () => {
    const { scaled, x } = twins();
    const sgd = new SGD(scaled.parameters(), { lr: 0.1 });
    const fresh = new amp.GradScaler('cpu');
    expect(() => fresh.step(sgd)).toThrow('Attempted step but _scale is None.');
    const scaler = new amp.GradScaler('cpu');
    scaler.scale(scaled.forward(x).sum()).backward();
    scaler.unscale_(sgd);
    expect(() => scaler.unscale_(sgd)).toThrow('unscale_() has already been called on this optimizer since the last update().');
    scaler.step(sgd);
    expect(() => scaler.step(sgd)).toThrow('step() has already been called since the last update().');
    expect(() => scaler.unscale_(sgd)).toThrow('unscale_() is being called after step().');
    scaler.update();
    expect(() => scaler.step(sgd, (() => 0) as never)).toThrow('Closure use is not currently supported if GradScaler is enabled.');
    expect(() => new amp.GradScaler('cpu', { growth_factor: 1 })).toThrow(ValueError);
    expect(() => new amp.GradScaler('cpu', { backoff_factor: 1 })).toThrow('The backoff factor must be < 1.0.');
    expect(() => new amp.GradScaler('tpu' as 'cpu')).toThrow(TorchTypeError);
    expect(() => scaler.scale([torch.ones(1), 3] as unknown[])).toThrow('outputs must be a Tensor or an iterable of Tensors');
    const half = torch.zeros(3, { dtype: torch.float16, requires_grad: true });
    half.grad = torch.ones(3, { dtype: torch.float16 });
    const halfOpt = new SGD([half], { lr: 0.1 });
    scaler.scale(torch.ones(1));
    expect(() => scaler.unscale_(halfOpt)).toThrow('Attempting to unscale FP16 gradients.');
  });

  it('scale() of nested arrays scales every tensor', () => {
    const scaler = new amp.GradScaler('cpu', { init_scale: 4 });
    const [a, [b]] = scaler.scale([torch.tensor([1.0, 2.0]), [torch.tensor([3.0])]]) as [Tensor, [Tensor]];
    expect(a.tolist()).toEqual([4, 8]);
    expect(b.tolist()).toEqual([12]);
  });

  it('an iteration in tidy leaves no tensor behind', () => {
    const { scaled, x } = twins();
    const scaler = new amp.GradScaler('cpu');
    const sgd = new SGD(scaled.parameters(), { lr: 0.01 });
    const iteration = () =>
      torch.tidy(() => {
        sgd.zero_grad();
        scaler.scale(scaled.forward(x).sum()).backward();
        scaler.step(sgd);
        scaler.update();
      });
    iteration();
    settle();
    const start = torch.liveTensorCount();
    iteration();
    iteration();
    settle();
    expect(torch.liveTensorCount()).toBe(start);
  });
});

describe('torch.backends flags', () => {
  const names: [string, () => boolean, (v: boolean) => void][] = [
    ['cuda.matmul.allow_tf32', () => backends.cuda.matmul.allow_tf32, (v) => (backends.cuda.matmul.allow_tf32 = v)],
    ['cudnn.allow_tf32', () => backends.cudnn.allow_tf32, (v) => (backends.cudnn.allow_tf32 = v)],
    ['cudnn.benchmark', () => backends.cudnn.benchmark, (v) => (backends.cudnn.benchmark = v)],
    ['cudnn.deterministic', () => backends.cudnn.deterministic, (v) => (backends.cudnn.deterministic = v)],
    ['cudnn.enabled', () => backends.cudnn.enabled, (v) => (backends.cudnn.enabled = v)],
  ];

  it("start at PyTorch's defaults", () => {
    for (const [name, get] of names) expect(get(), name).toBe(fx.backends[name]);
    if (!torch.cuda.is_available()) {
      expect(backends.cudnn.is_available()).toBe(fx.backends['cudnn.is_available']);
      expect(backends.cudnn.version()).toBe(fx.backends['cudnn.version']);
    }
  });

  it('set and get round-trip, and setting back restores the default', () => {
    for (const [name, get, set] of names) {
      const initial = get();
      set(!initial);
      expect(get(), name).toBe(!initial);
      set(initial);
      expect(get(), name).toBe(initial);
    }
  });

  it('a non-boolean is a TypeError naming the flag', () => {
    const e = thrownBy(() => ((backends.cudnn as { benchmark: unknown }).benchmark = 1));
    expect(e).toBeInstanceOf(TorchTypeError);
    expect(e.message).toContain('torch.backends.cudnn.benchmark');
  });
});

describe('torch.cuda without a GPU answers like PyTorch', () => {
  const noGpu = !torch.cuda.is_available();

  it.skipIf(!noGpu)('memory figures are 0 and empty_cache() does nothing', () => {
    const want = fx.cuda_without_gpu;
    expect(cudaMemory.memory_allocated()).toBe(want.memory_allocated);
    expect(cudaMemory.max_memory_allocated()).toBe(want.max_memory_allocated);
    expect(cudaMemory.memory_reserved()).toBe(want.memory_reserved);
    expect(cudaMemory.max_memory_reserved()).toBe(want.max_memory_reserved);
    expect(cudaMemory.memory_allocated(0)).toBe(0);
    expect(cudaMemory.empty_cache()).toBeUndefined();
    expect(cudaMemory.is_bf16_supported()).toBe(false);
  });

  it.skipIf(!noGpu)('what needs a GPU throws a TorchError that says why', () => {
    const needsGpu: [string, () => unknown][] = [
      ['current_device', () => cudaMemory.current_device()],
      ['set_device', () => cudaMemory.set_device(0)],
      ['reset_peak_memory_stats', () => cudaMemory.reset_peak_memory_stats()],
      ['mem_get_info', () => cudaMemory.mem_get_info()],
      ['get_device_name', () => cudaMemory.get_device_name()],
      ['Stream', () => new cudaMemory.Stream()],
      ['Event', () => new cudaMemory.Event({ enable_timing: true })],
      ['current_stream', () => cudaMemory.current_stream()],
      ['device', () => cudaMemory.device(0, () => 1)],
    ];
    const why = cudaMemory.hasCudaSupport() ? 'CUDA is not available' : 'Torch not compiled with CUDA enabled';
    for (const [name, fn] of needsGpu) {
      const e = thrownBy(fn);
      expect(e, name).toBeInstanceOf(TorchError);
      expect(e.message, name).toContain(`torch.cuda.${name}`);
      expect(e.message, name).toContain(why);
    }
    // A negative device index is a no-op in PyTorch, with or without CUDA.
    expect(cudaMemory.set_device(-1)).toBeUndefined();
  });

  it('bad device arguments are errors naming the argument', () => {
    expect(thrownBy(() => cudaMemory.memory_allocated(1.5))).toBeInstanceOf(TorchTypeError);
    const e = thrownBy(() => cudaMemory.memory_allocated('cpu'));
    expect(e).toBeInstanceOf(TorchError);
    expect(e.message).toContain('Expected a cuda device, but got: cpu');
    expect(thrownBy(() => new cudaMemory.Event({ enable_timing: 1 as unknown as boolean }))).toBeInstanceOf(TorchTypeError);
  });
});

describe('CUDA out-of-memory handling: collect, empty the cache, retry once', () => {
  const oom = () => new TorchError('CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.19 GiB total capacity)');

  it('recognises libtorch\'s out-of-memory messages only', () => {
    expect(cudaMemory.isCudaOutOfMemory(oom())).toBe(true);
    expect(cudaMemory.isCudaOutOfMemory(new TorchError('CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate(handle)'))).toBe(true);
    expect(cudaMemory.isCudaOutOfMemory(new TorchError('shape mismatch'))).toBe(false);
    expect(cudaMemory.isCudaOutOfMemory('CUDA out of memory')).toBe(false);
  });

  it('the retry runs after a full garbage collection that frees unreachable tensors', () => {
    settle();
    const start = torch.liveTensorCount();
    (() => {
      for (let i = 0; i < 5; i++) torch.ones(1000); // dropped without dispose
    })();
    expect(torch.liveTensorCount()).toBe(start + 5);
    let attempts = 0;
    const result = cudaMemory.withCudaOomRetry(() => {
      attempts++;
      if (attempts === 1) throw oom();
      return torch.liveTensorCount();
    });
    expect(attempts).toBe(2);
    expect(result).toBe(start);
  });

  it('a second out-of-memory error becomes a TorchError with the figures; other errors pass through', () => {
    const e = thrownBy(() =>
      cudaMemory.withCudaOomRetry(() => {
        throw oom();
      }),
    );
    expect(e).toBeInstanceOf(TorchError);
    expect(e.message).toContain('CUDA out of memory, even after a full garbage collection and torch.cuda.empty_cache(): CUDA out of memory. Tried to allocate 2.00 GiB');
    expect(e.message).toContain('lower the batch size');
    const other = new RangeError('not memory');
    expect(thrownBy(() => cudaMemory.retryAfterCudaOom(() => 1, other))).toBe(other);
    let calls = 0;
    expect(thrownBy(() => cudaMemory.retryAfterCudaOom(() => {
      calls++;
      throw other;
    }, oom()))).toBe(other);
    expect(calls).toBe(1);
  });

  it('collectGarbage works without --expose-gc too (in a process without it)', () => {
    const { exposed, before, after } = runInFreshProcess([
      "const { collectGarbage } = await import('./lib/cuda_memory.ts');",
      "const torch = (await import('./lib/index.ts')).default;",
      '(() => { for (let i = 0; i < 3; i++) torch.ones(10); })();',
      'const before = torch.liveTensorCount();',
      'collectGarbage();',
      'console.log(JSON.stringify({ exposed: typeof globalThis.gc, before, after: torch.liveTensorCount() }));',
    ]);
    expect(exposed).toBe('undefined');
    expect(before).toBe(3);
    expect(after).toBe(0);
  });
});
