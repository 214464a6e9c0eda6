// torch.jit.load against real PyTorch 1.13: TorchScript files written by
// scripts/fixtures/make_jit.py (torch.jit.script and torch.jit.trace) run to Python's outputs,
// expose Python's parameters/buffers/state_dict, switch train/eval, and fail with TorchErrors.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import torch, { Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import { ScriptModule, load } from '../lib/jit/index.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const expected = loadFixture('jit_expected.json');
const file = (name: string) => join(import.meta.dirname, 'fixtures', 'jit', name);

function expectNamed(actual: Iterable<[string, Tensor]>, want: [string, TensorFixture][]): void {
  const pairs = [...actual];
  expect(pairs.map(([n]) => n)).toEqual(want.map(([n]) => n));
  pairs.forEach(([, t], i) => expectTensor(t, want[i][1], { rtol: 0, atol: 0 }));
}

describe('torch.jit.load: outputs equal PyTorch', () => {
  it('scripted MLP: forward and the exported method', () => {
    const m = load(file('mlp_scripted.pt'), { map_location: 'cpu' });
    expect(m).toBeInstanceOf(ScriptModule);
    const x = fromFixture(expected.mlp.input);
    expectTensor(m.forward(x), expected.mlp.forward);
    expectTensor(m.run_method('extra', x, expected.mlp.extra_scale), expected.mlp.extra);
    expectTensor(m.extra(x, expected.mlp.extra_scale), expected.mlp.extra);
    expect(m.method_names().sort()).toEqual(expected.mlp.methods);
    expect(m.training).toBe(expected.mlp.training);
  });

  it('traced CNN with batch norm', () => {
    const m = load(file('cnn_traced.pt'));
    expectTensor(m.forward(fromFixture(expected.cnn.input)), expected.cnn.forward);
  });

  it('scripted control flow with a buffer: train() and eval() change the result', () => {
    const m = load(file('flow_scripted.pt'));
    const v = fromFixture(expected.flow.input);
    expect(m.training).toBe(true);
    expectTensor(m.forward(v, expected.flow.steps, expected.flow.flip), expected.flow.train);
    expect(m.eval()).toBe(m);
    expect(m.training).toBe(false);
    expectTensor(m.forward(v, expected.flow.steps, expected.flow.flip), expected.flow.eval);
    expectTensor(m.forward(v, 0, false), expected.flow.eval_noflip_0);
    m.train();
    expect(m.training).toBe(true);
    m.train(false);
    expect(m.training).toBe(false);
  });

  it('tuple, dict, int and string results; tuple and list[str] arguments', () => {
    const m = load(file('multi_scripted.pt'));
    const x = fromFixture(expected.multi.x);
    const y = fromFixture(expected.multi.y);
    const c = fromFixture(expected.multi.pair0);
    const [sum, byName, count, first] = m.forward(x, y, [c, c], expected.multi.names);
    const [wantSum, wantByName, wantCount, wantFirst] = expected.multi.forward;
    expectTensor(sum, wantSum);
    expect(Object.keys(byName)).toEqual(Object.keys(wantByName));
    for (const k of Object.keys(wantByName)) expectTensor(byName[k], wantByName[k]);
    expect(count).toBe(wantCount);
    expect(first).toBe(wantFirst);
    const stats = m.stats(x);
    expect(Object.keys(stats)).toEqual(Object.keys(expected.multi.stats));
    for (const k of Object.keys(stats)) expect(stats[k]).toBeCloseTo(expected.multi.stats[k], 6);
  });
});

describe('ScriptModule: parameters, buffers, state_dict, to, repr', () => {
  for (const [key, name] of [['mlp', 'mlp_scripted.pt'], ['cnn', 'cnn_traced.pt'], ['flow', 'flow_scripted.pt']] as const) {
    it(`${name}: named_parameters, named_buffers and state_dict equal Python's`, () => {
      const m = load(file(name));
      expectNamed(m.named_parameters(), expected[key].named_parameters);
      expectNamed(m.named_buffers(), expected[key].named_buffers);
      expectNamed(m.state_dict(), expected[key].state_dict);
      expect([...m.parameters()].length).toBe(expected[key].named_parameters.length);
      expect([...m.buffers()].length).toBe(expected[key].named_buffers.length);
    });
  }

  it('parameters share storage with the module and require grad', () => {
    const m = load(file('mlp_scripted.pt'));
    const [, w] = [...m.named_parameters()][0];
    expect(w.requires_grad).toBe(true);
    torch.no_grad(() => w.zero_());
    const [, again] = [...m.named_parameters()][0];
    expect(again.abs().sum().item()).toBe(0);
    expect(m.state_dict().get('fc1.weight')!.requires_grad).toBe(false);
  });

  it('gradients flow through forward into the parameters', () => {
    const m = load(file('mlp_scripted.pt'));
    m.forward(fromFixture(expected.mlp.input)).sum().backward();
    for (const p of m.parameters()) expect(p.grad).not.toBeNull();
  });

  it('to(cpu), cpu() and to(float64)', () => {
    const m = load(file('mlp_scripted.pt'));
    expect(m.to('cpu')).toBe(m);
    expect(m.cpu()).toBe(m);
    expect(String([...m.parameters()][0].device)).toBe('cpu');
    m.to(torch.float64);
    for (const p of m.parameters()) expect(p.dtype).toBe(torch.float64);
    expectTensor(m.forward(fromFixture(expected.mlp.input).double()).float(), expected.mlp.forward, { rtol: 1e-5, atol: 1e-6 });
  });

  it("toString matches Python's repr", () => {
    expect(load(file('mlp_scripted.pt')).toString()).toBe(expected.repr.mlp);
    expect(String(load(file('cnn_traced.pt')))).toBe(expected.repr.cnn);
  });
});

describe('torch.jit.load: errors', () => {
  it('a missing file names the path', () => {
    expect(() => load(file('nope.pt'))).toThrow(ValueError);
    expect(() => load(file('nope.pt'))).toThrow(/nope\.pt does not exist/);
  });

  it('a torch.save file suggests torch.load', () => {
    expect(() => load(file('not_torchscript.pt'))).toThrow(TorchError);
    expect(() => load(file('not_torchscript.pt'))).toThrow(/not a TorchScript file.*torch\.load/s);
  });

  it('a non-zip file is a TorchError', () => {
    expect(() => load(join(import.meta.dirname, 'fixtures', 'jit_expected.json'))).toThrow(TorchError);
  });

  it("wrong argument types give libtorch's message", () => {
    const m = load(file('mlp_scripted.pt'));
    expect(() => m.forward('text')).toThrow(TorchError);
    expect(() => m.forward('text')).toThrow(/forward\(\) Expected a value of type 'Tensor'/);
    expect(() => m.forward()).toThrow(/forward\(\) is missing value for argument 'x'/);
    expect(() => m.forward(torch.randn(2, 5))).toThrow(TorchError);
    expect(() => m.run_method('missing', 1)).toThrow(/no method named 'missing'/);
    expect(() => m.forward(new Date() as never)).toThrow(TorchTypeError);
    expect(() => load(42 as never)).toThrow(TorchTypeError);
    expect(() => load(file('mlp_scripted.pt'), { map_location: 3 as never })).toThrow(TorchTypeError);
    expect(() => m.train('yes' as never)).toThrow(ValueError);
  });
});

describe('no leak', () => {
  it('forward, methods, parameters and state_dict inside tidy leave no live tensors', () => {
    const m = load(file('multi_scripted.pt'));
    const mlp = load(file('mlp_scripted.pt'));
    const x = fromFixture(expected.mlp.input);
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      mlp.forward(x);
      mlp.extra(x, 2);
      [...mlp.parameters()];
      mlp.state_dict();
      const a = torch.randn(2);
      m.forward(a, a, [a, a], ['p', 'q']);
    });
    expect(torch.liveTensorCount()).toBe(start);
  });
});
