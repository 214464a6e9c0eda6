// Tensor methods and torch.* functions written by hand (construction from JS data,
// indexing, conversion, autograd entry points, memory). The generator leaves these
// names out of the generated surface so there is exactly one definition of each.
export const HANDWRITTEN_METHODS = new Set([
  'index', 'index_put_', 'to', 'cpu', 'cuda', 'item', 'tolist', 'backward', 'requires_grad_', 'retain_grad', 'is_leaf',
  'size', 'dim', 'numel', 'data_ptr', 'stride', 'element_size', 'float', 'double', 'half', 'bfloat16', 'int', 'long',
  'short', 'char', 'byte', 'bool', 'type', 'output_nr', '_version', 'data', 'storage_offset', 'is_floating_point',
  'new_tensor', 'is_contiguous', 'ndimension', 'nelement',
  // properties in Python
  'T', 'mT', 'H', 'mH', 'shape', 'ndim', 'dtype', 'device', 'grad', 'requires_grad', 'is_cuda', 'grad_fn', 'real', 'imag',
]);

export const HANDWRITTEN_FUNCTIONS = new Set(['tensor', 'numel', 'is_floating_point', 'is_grad_enabled']);
