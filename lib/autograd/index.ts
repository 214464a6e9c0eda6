// torch.autograd: grad() and backward() over several tensors.
import { native } from '../_C.js';
import { argumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
export { no_grad, enable_grad, set_grad_enabled, is_grad_enabled } from './grad_mode.js';

const asList = (v: Tensor | Tensor[], where: string, arg: string): Tensor[] => {
  const list = Array.isArray(v) ? v : [v];
  for (const t of list) if (!(t instanceof Tensor)) throw argumentError(where, arg, 'a Tensor or an array of Tensors', t);
  return list;
};

/** Gradients of outputs w.r.t. inputs (Python: `torch.autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False)`). */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  options: { grad_outputs?: Tensor | (Tensor | null)[] | null; retain_graph?: boolean; create_graph?: boolean; allow_unused?: boolean } = {},
): (Tensor | null)[] {
  const outs = asList(outputs, 'autograd.grad', 'outputs');
  const ins = asList(inputs, 'autograd.grad', 'inputs');
  const gradOutputs = options.grad_outputs == null ? outs.map(() => null) : Array.isArray(options.grad_outputs) ? options.grad_outputs : [options.grad_outputs];
  return native.autogradGrad(
    outs.map((t) => t._h), ins.map((t) => t._h), gradOutputs.map((g) => (g ? g._h : null)),
    options.retain_graph, options.create_graph ?? false, options.allow_unused ?? false,
  );
}

/** Python: `torch.autograd.backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None)`. */
export function backward(
  tensors: Tensor | Tensor[],
  options: { grad_tensors?: Tensor | (Tensor | null)[] | null; retain_graph?: boolean; create_graph?: boolean; inputs?: Tensor[] } = {},
): void {
  const ts = asList(tensors, 'autograd.backward', 'tensors');
  const grads = options.grad_tensors == null ? ts.map(() => null) : Array.isArray(options.grad_tensors) ? options.grad_tensors : [options.grad_tensors];
  native.backward(ts.map((t) => t._h), grads.map((g) => (g ? g._h : null)), options.retain_graph, options.create_graph ?? false, options.inputs?.map((t) => t._h));
}
