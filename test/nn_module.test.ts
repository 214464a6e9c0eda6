// nn.Module, containers, Parameter, Linear/Bilinear/Identity/Flatten/Unflatten against
// PyTorch 1.13 (fixtures from scripts/fixtures/make_nn_module.py).
import { describe, expect, it } from 'vitest';
import torch, { IndexError, NotImplementedError, Tensor, TorchError, TorchTypeError, ValueError } from '../lib/index.js';
import * as nn from '../lib/nn/index.js';
import { expectTensor, fromFixture, loadFixture, type TensorFixture } from './_util.js';

const fx = loadFixture('nn_module.json');
const EXACT = { rtol: 0, atol: 0 };

interface ModuleInfo {
  repr: string;
  named_parameters: [string, TensorFixture][];
  named_buffers: string[];
  named_modules: string[];
  named_children: string[];
  state_dict_keys: string[];
}

/** Python's Net from make_nn_module.py; `features` is a class field, the rest assigned in the constructor. */
class Net extends nn.Module {
  features = new nn.Sequential(new nn.Linear(4, 8), new nn.Identity(), new nn.Linear(8, 6));
  heads: nn.ModuleList;
  declare scale: Tensor;
  proj: nn.Bilinear;
  declare extra: nn.Parameter | null;
  flat: nn.Flatten;
  unflat: nn.Unflatten;

  constructor() {
    super();
    this.heads = new nn.ModuleList([new nn.Linear(6, 2), new nn.Linear(6, 3, false)]);
    this.register_buffer('scale', torch.ones(2));
    this.register_buffer('scratch', torch.zeros(1), { persistent: false });
    this.proj = new nn.Bilinear(2, 3, 2);
    this.register_parameter('extra', null);
    this.flat = new nn.Flatten();
    this.unflat = new nn.Unflatten(1, [2, 1]);
  }

  override forward(x: Tensor): Tensor {
    const h = this.features.forward(x);
    const a = this.heads.get<nn.Linear>(0).forward(h).mul(this.scale);
    const b = this.heads.get<nn.Linear>(1).forward(h);
    return this.unflat.forward(this.flat.forward(this.proj.forward(a, b)));
  }
}

class Small extends nn.Module {
  features: nn.Sequential;
  other: nn.Linear;
  constructor() {
    super();
    this.features = new nn.Sequential(new nn.Linear(4, 8), new nn.Identity());
    this.other = new nn.Linear(2, 2);
    this.register_buffer('scale', torch.ones(2));
  }
}

function expectModuleInfo(m: nn.Module, info: ModuleInfo): void {
  expect(m.toString()).toBe(info.repr);
  const params = [...m.named_parameters()];
  expect(params.map(([n]) => n)).toEqual(info.named_parameters.map(([n]) => n));
  params.forEach(([, p], i) => expectTensor(p, info.named_parameters[i][1], EXACT));
  expect([...m.named_buffers()].map(([n]) => n)).toEqual(info.named_buffers);
  expect([...m.named_modules()].map(([n]) => n)).toEqual(info.named_modules);
  expect([...m.named_children()].map(([n]) => n)).toEqual(info.named_children);
  expect([...m.state_dict().keys()]).toEqual(info.state_dict_keys);
}

describe('Linear, Bilinear, Identity, Flatten, Unflatten', () => {
  it('Linear(4, 3) after manual_seed(0) has PyTorch\'s exact parameters, forward and backward', () => {
    torch.manual_seed(0);
    const lin = new nn.Linear(4, 3);
    const f = fx.linear;
    expectTensor(lin.weight, f.weight, EXACT);
    expectTensor(lin.bias!, f.bias, EXACT);
    const x = fromFixture(f.x).requires_grad_(true);
    const y = lin.forward(x);
    expectTensor(y, f.y);
    y.mul(y).sum().backward();
    expectTensor(lin.weight.grad!, f.weight_grad);
    expectTensor(lin.bias!.grad!, f.bias_grad);
    expectTensor(x.grad!, f.x_grad);
    expect(lin.toString()).toBe(f.repr);
    expect(new nn.Linear(5, 1, false).toString()).toBe(f.repr_nobias);
    expect([...lin.state_dict().keys()]).toEqual(['weight', 'bias']);
  });

  it('Linear takes { bias, dtype } and a factory options object', () => {
    torch.manual_seed(0);
    const lin = new nn.Linear(3, 2, { dtype: torch.float64 });
    expectTensor(lin.weight, fx.linear64.weight, EXACT);
    expectTensor(lin.bias!, fx.linear64.bias, EXACT);
    const noBias = new nn.Linear(3, 2, false, { dtype: torch.float64 });
    expect(noBias.bias).toBeNull();
    expect(noBias.weight.dtype).toBe(torch.float64);
  });

  it('Parameter prints as "Parameter containing:" like Python', () => {
    torch.manual_seed(0);
    const lin = new nn.Linear(4, 3);
    expect(String(lin.bias)).toBe(fx.linear.param_repr);
    expect(lin.weight).toBeInstanceOf(nn.Parameter);
    expect(lin.weight).toBeInstanceOf(Tensor);
    expect(lin.weight.requires_grad).toBe(true);
    expect(lin.weight.is_leaf).toBe(true);
    expect(new nn.Parameter(torch.ones(2), false).requires_grad).toBe(false);
    expect(new nn.Parameter().shape).toEqual([0]);
  });

  it('Bilinear matches PyTorch', () => {
    torch.manual_seed(0);
    const bil = new nn.Bilinear(3, 2, 4);
    const f = fx.bilinear;
    expectTensor(bil.weight, f.weight, EXACT);
    expectTensor(bil.bias!, f.bias, EXACT);
    expectTensor(bil.forward(fromFixture(f.x1), fromFixture(f.x2)), f.y);
    expect(bil.toString()).toBe(f.repr);
  });

  it('Identity, Flatten and Unflatten', () => {
    const x = torch.randn(2, 3, 4);
    expect(new nn.Identity(1, 'ignored').forward(x)).toBe(x);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 12]);
    expect(new nn.Flatten(0, 1).forward(x).shape).toEqual([6, 4]);
    expect(new nn.Unflatten(2, [2, 2]).forward(x).shape).toEqual([2, 3, 2, 2]);
    expect(new nn.Flatten().toString()).toBe(fx.flatten.repr);
    expect(new nn.Flatten(0, 2).toString()).toBe(fx.flatten.repr2);
    expect(new nn.Unflatten(1, [2, 5, 5]).toString()).toBe(fx.flatten.unflatten_repr);
    expect(new nn.Unflatten(-1, [4]).toString()).toBe(fx.flatten.unflatten_repr1);
  });
});

describe('Module registration and introspection', () => {
  it('a nested module has PyTorch\'s parameters, names, state_dict keys, repr and output', () => {
    torch.manual_seed(0);
    const net = new Net();
    expectModuleInfo(net, fx.net);
    expectTensor(net.forward(fromFixture(fx.net.input)), fx.net.output);
  });

  it('Sequential from a Map keeps integer-like names in insertion order', () => {
    torch.manual_seed(0);
    const seq = new nn.Sequential(new Map<string, nn.Module>([['conv', new nn.Linear(2, 2)], ['10', new nn.Identity()], ['2', new nn.Linear(2, 1)]]));
    expectModuleInfo(seq, fx.ordered_seq);
    expect(seq.slice(1).toString()).toBe(fx.ordered_seq.slice_repr);
  });

  it('ModuleDict from a Map matches Python\'s dict order', () => {
    torch.manual_seed(0);
    const md = new nn.ModuleDict(new Map<string, nn.Module>([['b', new nn.Linear(2, 2)], ['a', new nn.Identity()], ['1', new nn.Flatten()]]));
    expectModuleInfo(md, fx.module_dict);
  });

  it('ParameterList and ParameterDict wrap tensors and print like Python', () => {
    torch.manual_seed(0);
    const pl = new nn.ParameterList([new nn.Parameter(torch.randn(2, 3)), torch.randn(4)]);
    expectModuleInfo(pl, fx.parameter_list);
    expect(pl.length).toBe(2);
    expect(pl.get(-1)).toBeInstanceOf(nn.Parameter);
    expect([...pl].length).toBe(2);
    expect(new nn.ParameterList([torch.zeros(3)]).toString()).toBe(fx.parameter_list1_repr);
    torch.manual_seed(0);
    const pd = new nn.ParameterDict({ w: new nn.Parameter(torch.randn(2)), b: torch.randn(3, 1) });
    expectModuleInfo(pd, fx.parameter_dict);
    expect([...pd]).toEqual(['b', 'w']);
    expect(pd.get('w')).toBeInstanceOf(nn.Parameter);
    expect(pd.get('missing', null)).toBeNull();
  });

  it('null slots, empty containers and non-Module fields print and iterate like Python', () => {
    class Holder extends nn.Module {
      pl = new nn.ParameterList([new nn.Parameter(torch.zeros(2)), new nn.Parameter(torch.zeros(1, 2))]);
      pd = new nn.ParameterDict(new Map([['z', new nn.Parameter(torch.zeros(3))], ['a', new nn.Parameter(torch.zeros(2, 2))]]));
      empty = new nn.Sequential();
      none = null;
    }
    const h = new Holder();
    h.register_module('nothing', null);
    expectModuleInfo(h, fx.holder);
  });

  it('ModuleDict keeps Map order; ModuleDict from an object follows JS key order', () => {
    const md = new nn.ModuleDict(new Map<string, nn.Module>([['b', new nn.Identity()], ['1', new nn.Flatten()]]));
    expect([...md]).toEqual(['b', '1']);
    expect(md.get('1')).toBeInstanceOf(nn.Flatten);
    expect(md.has('b')).toBe(true);
    md.delete('b');
    expect([...md.keys()]).toEqual(['1']);
    expect(md.length).toBe(1);
  });

  it('class fields and constructor assignments register in declaration order', () => {
    class A extends nn.Module {
      first = new nn.Linear(1, 1);
      declare second: nn.Linear;
      third = new nn.Parameter(torch.zeros(1));
      constructor() {
        super();
        this.second = new nn.Linear(1, 2);
      }
    }
    class B extends A {
      declare fourth: nn.Identity;
      constructor() {
        super();
        this.fourth = new nn.Identity();
      }
    }
    const b = new B();
    expect([...b.named_parameters()].map(([n]) => n)).toEqual(['third', 'first.weight', 'first.bias', 'second.weight', 'second.bias']);
    expect([...b.named_children()].map(([n]) => n)).toEqual(['first', 'second', 'fourth']);
    expect(b.second).toBeInstanceOf(nn.Linear);
  });

  it('assignment follows Module.__setattr__: null keeps a slot, a Tensor updates a buffer, delete unregisters', () => {
    const lin = new nn.Linear(2, 2);
    lin.bias = null;
    expect([...lin._parameters.keys()]).toEqual(['weight', 'bias']);
    expect([...lin.named_parameters()].map(([n]) => n)).toEqual(['weight']);
    expect(lin.toString()).toBe('Linear(in_features=2, out_features=2, bias=False)');
    const net = new Net();
    const newScale = torch.full([2], 3.0);
    net.scale = newScale;
    expect(net.get_buffer('scale')).toBe(newScale);
    expect([...net.named_buffers()].map(([n]) => n)).toEqual(['scale', 'scratch']);
    delete (net as unknown as Record<string, unknown>).proj;
    expect([...net.named_children()].map(([n]) => n)).not.toContain('proj');
    expect((net as unknown as Record<string, unknown>).proj).toBeUndefined();
    const seqBefore = net.features;
    net.features = new nn.Sequential(new nn.Identity());
    expect(net.features).not.toBe(seqBefore);
    expect([...net.named_children()].map(([n]) => n)[0]).toBe('features');
  });

  it('get_submodule, get_parameter, get_buffer', () => {
    const net = new Net();
    expect(net.get_submodule('features.0')).toBe(net.features.get(0));
    expect(net.get_submodule('')).toBe(net);
    expect(net.get_parameter('heads.1.weight')).toBe(net.heads.get<nn.Linear>(1).weight);
    expect(net.get_buffer('scale')).toBe(net.scale);
  });

  it('parameters() deduplicates shared parameters and modules', () => {
    const shared = new nn.Linear(2, 2);
    const seq = new nn.Sequential(shared, shared);
    expect([...seq.parameters()].length).toBe(2);
    expect([...seq.named_modules()].map(([n]) => n)).toEqual(['', '0']);
    expect([...seq.named_parameters({ prefix: 'model' })].map(([n]) => n)).toEqual(['model.0.weight', 'model.0.bias']);
    expect([...new Net().parameters(false)].length).toBe(0);
  });

  it('train(), eval(), requires_grad_(), apply()', () => {
    const net = new Net();
    net.eval();
    expect([...net.modules()].every((m) => m.training === false)).toBe(true);
    net.train();
    expect([...net.modules()].every((m) => m.training)).toBe(true);
    net.requires_grad_(false);
    expect([...net.parameters()].some((p) => p.requires_grad)).toBe(false);
    const visited: string[] = [];
    new nn.Sequential(new nn.Identity(), new nn.Flatten()).apply((m) => visited.push(m._get_name()));
    expect(visited).toEqual(['Identity', 'Flatten', 'Sequential']);
  });

  it('zero_grad() sets grads to null by default, or zeros them', () => {
    const lin = new nn.Linear(3, 2);
    lin.forward(torch.ones(1, 3)).sum().backward();
    lin.zero_grad({ set_to_none: false });
    expect(lin.weight.grad!.abs().sum().item()).toBe(0);
    lin.zero_grad();
    expect(lin.weight.grad).toBeNull();
  });

  it('to(dtype) converts floating-point state in place, keeping the Parameter objects', () => {
    const net = new Net();
    const weight = net.features.get<nn.Linear>(0).weight;
    net.features.get<nn.Linear>(0).forward(torch.ones(1, 4)).sum().backward();
    const before = weight.tolist();
    net.to(torch.float64);
    expect(net.features.get<nn.Linear>(0).weight).toBe(weight);
    expect(weight.dtype).toBe(torch.float64);
    expect(weight.grad!.dtype).toBe(torch.float64);
    expect(weight.tolist()).toEqual(before);
    expect(net.scale.dtype).toBe(torch.float64);
    expect(net.forward(torch.randn(2, 4, { dtype: torch.float64 })).dtype).toBe(torch.float64);
    net.float();
    expect(weight.dtype).toBe(torch.float32);
    net.half().to({ dtype: torch.float32 });
    expect(net.scale.dtype).toBe(torch.float32);
    net.cpu();
    expect(String(weight.device)).toBe('cpu');
  });

  it('to() leaves integer buffers\' dtype alone', () => {
    const m = new nn.Module();
    m.register_buffer('count', torch.tensor([1, 2]));
    m.to(torch.float64);
    expect(m.get_buffer('count').dtype).toBe(torch.int64);
  });

  it('state_dict() is a Map of detached tensors (keep_vars keeps the Parameters)', () => {
    const lin = new nn.Linear(2, 2);
    const sd = lin.state_dict();
    expect(sd).toBeInstanceOf(Map);
    expect(sd.get('weight')!.requires_grad).toBe(false);
    expect(sd.get('weight')).not.toBeInstanceOf(nn.Parameter);
    expect(lin.state_dict({ keep_vars: true }).get('weight')).toBe(lin.weight);
    expect([...lin.state_dict({ prefix: 'fc.' }).keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(sd._metadata!.get('')).toEqual({ version: 1 });
  });

  it('load_state_dict() copies values and reports missing/unexpected keys like PyTorch', () => {
    torch.manual_seed(0);
    const small = new Small();
    torch.manual_seed(1);
    const net = new Net();
    const result = net.load_state_dict(small.state_dict(), false);
    expect(result).toEqual({ missing_keys: fx.load_nonstrict.missing_keys, unexpected_keys: fx.load_nonstrict.unexpected_keys });
    expectTensor(net.features.get<nn.Linear>(0).weight, fx.load_nonstrict['features.0.weight'], EXACT);
    expectTensor(net.scale, fx.load_nonstrict.scale, EXACT);

    const source = new Net();
    const target = new Net();
    expect(target.load_state_dict(source.state_dict())).toEqual({ missing_keys: [], unexpected_keys: [] });
    expect(target.heads.get<nn.Linear>(1).weight.equal(source.heads.get<nn.Linear>(1).weight)).toBe(true);
    // a plain object works too
    const obj = Object.fromEntries(source.state_dict());
    expect(new Net().load_state_dict(obj, { strict: true }).missing_keys).toEqual([]);
  });

  it('Sequential: get, negative index, slice, append, insert, delete, pop, iteration, forward', () => {
    const a = new nn.Identity();
    const b = new nn.Flatten();
    const c = new nn.Unflatten(1, [2, 3]);
    const seq = new nn.Sequential(a, b);
    expect(seq.length).toBe(2);
    expect(seq.get(-1)).toBe(b);
    seq.append(c);
    expect([...seq]).toEqual([a, b, c]);
    expect(seq.slice(1).length).toBe(2);
    expect(seq.slice(1).get(0)).toBe(b);
    expect(seq.forward(torch.zeros(4, 2, 3)).shape).toEqual([4, 2, 3]);
    seq.insert(0, new nn.Identity());
    expect([...seq._modules.keys()]).toEqual(['0', '1', '2', '3']);
    expect(seq.get(1)).toBe(a);
    seq.delete(0);
    expect([...seq._modules.keys()]).toEqual(['0', '1', '2']);
    expect(seq.pop(-1)).toBe(c);
    expect(seq.length).toBe(2);
    seq.extend(new nn.Sequential(new nn.Identity()));
    expect(seq.length).toBe(3);
  });

  it('ModuleList: get, append, extend, insert, length, iteration', () => {
    const list = new nn.ModuleList([new nn.Linear(1, 1)]);
    list.append(new nn.Identity()).extend([new nn.Flatten()]);
    list.insert(1, new nn.Linear(2, 2));
    expect(list.length).toBe(4);
    expect([...list].map((m) => m._get_name())).toEqual(['Linear', 'Linear', 'Identity', 'Flatten']);
    expect([...list.named_parameters()].map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(list.get(-1)).toBeInstanceOf(nn.Flatten);
    expect(list.slice(0, 2).length).toBe(2);
  });
});

describe('errors', () => {
  it('load_state_dict names the keys and both shapes, like PyTorch', () => {
    const bad = new Net().state_dict();
    bad.set('features.0.weight', torch.zeros(8, 5));
    bad.set('heads.0.bias', torch.zeros(3));
    const messageOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(TorchError);
        return (e as Error).message;
      }
      throw new Error('did not throw');
    };
    expect(messageOf(() => new Net().load_state_dict(bad))).toBe(fx.load_shape_error);
    expect(messageOf(() => new Net().load_state_dict(bad, false))).toBe(fx.load_shape_error_nonstrict);
    expect(messageOf(() => new Net().load_state_dict(new Small().state_dict()))).toBe(fx.load_strict_error);
  });

  it('load_state_dict rejects what is not dict-like', () => {
    expect(() => new Net().load_state_dict(42 as never)).toThrow(TorchTypeError);
    expect(() => new Net().load_state_dict(42 as never)).toThrow(/Expected state_dict to be dict-like/);
    expect(() => new Net().load_state_dict(new Map(), 'yes' as never)).toThrow(/expected a boolean for 'strict'/);
  });

  it('assignments of the wrong kind to registered names', () => {
    const lin = new nn.Linear(2, 2);
    expect(() => { (lin as unknown as Record<string, unknown>).weight = torch.zeros(2, 2); }).toThrow(TorchTypeError);
    expect(() => { (lin as unknown as Record<string, unknown>).weight = torch.zeros(2, 2); }).toThrow("cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None expected)");
    const net = new Net();
    expect(() => { (net as unknown as Record<string, unknown>).features = 3; }).toThrow("cannot assign 'int' as child module 'features' (torch.nn.Module or None expected)");
    expect(() => { (net as unknown as Record<string, unknown>).scale = 'x'; }).toThrow("cannot assign 'str' as buffer 'scale' (torch.Tensor or None expected)");
  });

  it('registration checks names and types', () => {
    const m = new nn.Module();
    expect(() => m.register_buffer('a.b', torch.zeros(1))).toThrow(nn.KeyError);
    expect(() => m.register_buffer('a.b', torch.zeros(1))).toThrow('buffer name can\'t contain "."');
    expect(() => m.register_parameter('', null)).toThrow('parameter name can\'t be empty string ""');
    expect(() => m.register_buffer('train', torch.zeros(1))).toThrow("attribute 'train' already exists");
    expect(() => m.register_buffer('t', 5 as never)).toThrow(TorchTypeError);
    expect(() => m.register_parameter('p', torch.zeros(1) as never)).toThrow("cannot assign 'torch.FloatTensor' object to parameter 'p' (torch.nn.Parameter or None required)");
    expect(() => m.add_module('x', {} as never)).toThrow('Object is not a Module subclass');
    const w = new nn.Parameter(torch.ones(1));
    const nonLeaf = w.mul(2);
    Object.setPrototypeOf(nonLeaf, nn.Parameter.prototype);
    expect(() => m.register_parameter('q', nonLeaf as nn.Parameter)).toThrow(ValueError);
    expect(() => m.register_parameter('q', nonLeaf as nn.Parameter)).toThrow("Cannot assign non-leaf Tensor to parameter 'q'");
  });

  it('lookups that fail', () => {
    const net = new Net();
    expect(() => net.get_submodule('features.7')).toThrow(nn.AttributeError);
    expect(() => net.get_submodule('features.7')).toThrow('Sequential has no attribute `7`');
    expect(() => net.get_submodule('scale')).toThrow('`scale` is not an nn.Module');
    expect(() => net.get_parameter('scale')).toThrow('`scale` is not an nn.Parameter');
    expect(() => net.get_buffer('features.0.weight')).toThrow('`weight` is not a buffer');
    expect(() => net.features.get(3)).toThrow(IndexError);
    expect(() => net.features.get(3)).toThrow('index 3 is out of range');
    expect(() => net.heads.get(-3)).toThrow('index -3 is out of range');
    expect(() => new nn.ModuleDict().get('x')).toThrow(nn.KeyError);
  });

  it('module arguments and modes', () => {
    expect(() => new nn.Linear('4' as never, 3)).toThrow(TorchTypeError);
    expect(() => new nn.Linear('4' as never, 3)).toThrow("nn.Linear: expected a non-negative integer for 'in_features' but received string 4");
    expect(() => new nn.Linear(4, 3, 'yes' as never)).toThrow("expected a boolean for 'bias'");
    expect(() => new nn.Unflatten(1, 6 as never)).toThrow('unflattened_size must be a tuple of ints');
    expect(() => new nn.Flatten(0.5)).toThrow(TorchTypeError);
    expect(() => new nn.Module().forward()).toThrow(NotImplementedError);
    expect(() => new nn.Module().forward()).toThrow('Module [Module] is missing the required "forward" function');
    expect(() => new nn.Linear(2, 2).train('yes' as never)).toThrow(ValueError);
    expect(() => new nn.Linear(2, 2).to(torch.int64)).toThrow('nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64');
    expect(() => new nn.Linear(2, 2).forward(torch.zeros(3, 5))).toThrow(TorchError);
    expect(() => new nn.Parameter([1, 2] as never)).toThrow(TorchTypeError);
    expect(() => new nn.ParameterList().forward()).toThrow('ParameterList should not be called.');
  });
});

describe('memory', () => {
  it('a forward and backward pass in tidy leave no tensor behind', () => {
    const net = new Net();
    const x = torch.randn(3, 4);
    torch.tidy(() => net.forward(x)); // warm-up
    const start = torch.liveTensorCount();
    torch.tidy(() => {
      net.forward(x).sum().backward();
    });
    net.zero_grad();
    torch.tidy(() => {
      net.state_dict();
      net.load_state_dict(net.state_dict());
      [...net.parameters()].map((p) => p.shape);
    });
    expect(torch.liveTensorCount()).toBe(start);
  });

  it('to() frees the converted copies', () => {
    const net = new Net();
    const start = torch.liveTensorCount();
    net.double();
    net.float();
    net.to('cpu');
    expect(torch.liveTensorCount()).toBe(start);
  });

  it('modules built inside tidy keep their parameters and buffers', () => {
    const net = torch.tidy(() => new Net());
    expect([...net.parameters()].every((p) => !p.isDisposed)).toBe(true);
    expect(net.scale.isDisposed).toBe(false);
    expect(net.forward(torch.randn(1, 4)).shape).toEqual([1, 2, 1]);
  });
});
