// Flattening parameters into one vector and back (torch/nn/utils/convert_parameters.py).
import { TorchTypeError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';

/** Python's torch.typename, for messages. */
function typename(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  return (v as object).constructor?.name ?? typeof v;
}

/** Python's `_check_param_device`: the CUDA index of param (-1 for the CPU), throwing when it differs from the previous one's. */
function checkParamDevice(param: Tensor, old_param_device: number | null): number {
  const device = param.is_cuda ? param.device.index ?? 0 : -1;
  if (old_param_device === null) return device;
  const differs = param.is_cuda ? device !== old_param_device : old_param_device !== -1;
  if (differs) throw new TorchTypeError('Found two parameters on different devices, this is currently not supported.');
  return old_param_device;
}

function checkIterable(where: string, parameters: unknown): asserts parameters is Iterable<Tensor> {
  if (parameters == null || typeof (parameters as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw argumentError(where, 'parameters', 'an iterable of Tensors', parameters);
  }
}

/**
 * Concatenates the parameters, flattened, into one 1-D tensor (Python:
 * `parameters_to_vector(parameters)`). All must be on the same device.
 *
 * Example: `const vec = nn.utils.parameters_to_vector(model.parameters());`
 */
export function parameters_to_vector(parameters: Iterable<Tensor>): Tensor {
  checkIterable('parameters_to_vector', parameters);
  let param_device: number | null = null;
  const vec: Tensor[] = [];
  try {
    for (const param of parameters) {
      if (!(param instanceof Tensor)) throw argumentError('parameters_to_vector', 'parameters', 'an iterable of Tensors', param);
      param_device = checkParamDevice(param, param_device);
      vec.push(param.view(-1));
    }
    return torch.cat(vec);
  } finally {
    for (const v of vec) v.dispose();
  }
}

/**
 * Copies consecutive slices of `vec` into the parameters (Python:
 * `vector_to_parameters(vec, parameters)`): each parameter's data becomes a view of `vec`
 * shaped like it, as Python's `param.data = ...` does.
 *
 * Throws TorchTypeError when vec is not a Tensor or the parameters are on different devices.
 *
 * Example: `nn.utils.vector_to_parameters(vec, model.parameters());`
 */
export function vector_to_parameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TorchTypeError(`expected torch.Tensor, but got: ${typename(vec)}`);
  checkIterable('vector_to_parameters', parameters);
  let param_device: number | null = null;
  let pointer = 0;
  for (const param of parameters) {
    if (!(param instanceof Tensor)) throw argumentError('vector_to_parameters', 'parameters', 'an iterable of Tensors', param);
    param_device = checkParamDevice(param, param_device);
    const num_param = param.numel();
    const slice = vec.index(`${pointer}:${pointer + num_param}`);
    const view = slice.view_as(param);
    const data = view.detach();
    try {
      param.set_data(data);
    } finally {
      slice.dispose();
      view.dispose();
      data.dispose();
    }
    pointer += num_param;
  }
}
