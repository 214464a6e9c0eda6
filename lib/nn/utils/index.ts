// torch.nn.utils: gradient clipping, parameter/vector conversion, weight normalization and
// the packed/padded sequence helpers of the recurrent modules (torch/nn/utils/__init__.py).
//   import * as utils from './nn/utils/index.js'; utils.clip_grad_norm_(model.parameters(), 1.0)
export { clip_grad_norm_, clip_grad_norm, clip_grad_value_, type TensorOrTensors, type ClipGradNormOptions } from './clip_grad.js';
export { parameters_to_vector, vector_to_parameters } from './convert_parameters.js';
export { weight_norm, remove_weight_norm } from './weight_norm.js';
export * as rnn from './rnn.js';
