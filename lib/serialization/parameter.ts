// How torch.load makes nn.Parameters and torch.save recognises them.
import { Parameter } from '../nn/parameter.js';
import { Tensor } from '../tensor.js';

/** Python's torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): a Parameter sharing `data`'s storage. */
export function makeParameter(data: Tensor, requiresGrad: boolean): Tensor {
  return new Parameter(data, requiresGrad);
}

/** Whether torch.save writes `t` as a `torch.nn.Parameter`. */
export function isParameter(t: Tensor): boolean {
  return t instanceof Parameter;
}
