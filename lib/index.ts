// torch-node: PyTorch for TypeScript on Node.js.
//   import torch from 'torch-node';            the whole namespace, like `import torch`
//   import { Tensor, tensor } from 'torch-node'; named exports
import { torch } from './torch.js';

export default torch;
export { torch };
export type { Torch } from './torch.js';
export { Tensor, type IndexSpec, type NestedList } from './tensor.js';
export { tensor, from_typed_array, type TensorData, type TensorOptions } from './creation.js';
export { Device, device, type DeviceLike } from './device.js';
export { DType, get_default_dtype, set_default_dtype } from './dtype.js';
export { TorchError, IndexError, TorchTypeError, ValueError, NotImplementedError } from './errors.js';
export { tidy, keep, liveTensorCount, liveTensorBytes, smallBlockStats } from './memory.js';
export { no_grad, enable_grad, set_grad_enabled, is_grad_enabled } from './autograd/grad_mode.js';
export { manual_seed } from './random.js';
export * as nn from './nn/index.js';
export * as F from './nn/functional.js';
export * as optim from './optim/index.js';
export { save, load, OrderedDict, UnpicklingError } from './serialization/index.js';
export * as safetensors from './safetensors.js';
export * as jit from './jit/index.js';
export { ScriptModule } from './jit/index.js';
export * as data from './utils/data/index.js';
export * as distributed from './distributed/index.js';
export * as amp from './amp/index.js';
export * as backends from './backends.js';
export { autocast } from './amp/index.js';
export * as vision from './vision/index.js';
