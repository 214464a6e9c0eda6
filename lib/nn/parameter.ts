// torch.nn.Parameter: a Tensor that a Module registers as one of its parameters.
import { inspect } from 'node:util';
import { native, type Handle } from '../_C.js';
import { callOp } from '../_ops/dispatch.js';
import { argumentError } from '../errors.js';
import { keep } from '../memory.js';
import { Tensor } from '../tensor.js';
import { torch } from '../torch.js';

let detachOp: number | undefined;

/** Gives `owner` a native tensor aliasing `data` without autograd history (Python's `Tensor._make_subclass(cls, data, ...)`). */
function setDetachedAlias(owner: Tensor, data: Tensor): void {
  detachOp ??= native.findOp('aten::detach', '');
  owner._own(callOp(detachOp, owner, [data._h]) as Handle);
}

/**
 * A kind of Tensor that is to be considered a module parameter: assigned to a Module field
 * (`this.weight = new nn.Parameter(torch.empty(3, 4))`) it is registered under that name and
 * appears in `parameters()`, `named_parameters()` and `state_dict()`.
 *
 * The Parameter shares `data`'s storage (like Python) but is a new leaf tensor that requires
 * grad. Parameters are long-lived module state, so `torch.tidy` never disposes them; free one
 * with `dispose()`.
 *
 * Args:
 *   data: the parameter tensor (default: an empty tensor).
 *   requires_grad: whether the parameter requires gradient (default: true).
 *
 * Example: `const w = new nn.Parameter(torch.randn(3, 4));  String(w)  // 'Parameter containing:\ntensor(...)'`
 */
export class Parameter extends Tensor {
  constructor(data?: Tensor | null, requires_grad = true) {
    if (data != null && !(data instanceof Tensor)) throw argumentError('nn.Parameter', 'data', 'a Tensor', data);
    if (typeof requires_grad !== 'boolean') throw argumentError('nn.Parameter', 'requires_grad', 'a boolean', requires_grad);
    const source = data ?? torch.empty(0);
    super();
    setDetachedAlias(this, source);
    if (data == null) source.dispose();
    keep(this);
    native.setRequiresGrad(this._h, requires_grad);
  }

  /** Python's repr: `Parameter containing:\ntensor([...], requires_grad=True)`. */
  override toString(): string {
    return 'Parameter containing:\n' + super.toString();
  }

  override [inspect.custom](): string {
    return this.toString();
  }
}
