// torch.nn: modules, parameters and initialisation.
//   import { nn } from 'torch-node', or torch.nn
export { Module, KeyError, AttributeError, type StateDict, type IncompatibleKeys, type ModuleToOptions } from './modules/module.js';
export { Parameter } from './parameter.js';
export * from './modules/container.js';
export { Identity, Linear, Bilinear, type FactoryOptions } from './modules/linear.js';
export * from './modules/flatten.js';
export * from './modules/index_layers.js';
export * from './modules/rnn.js';
export { MultiheadAttention, NonDynamicallyQuantizableLinear } from './modules/attention.js';
export { TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, Transformer } from './modules/transformer.js';
export * as utils from './utils/index.js';
export * as parallel from './parallel/index.js';
export * as init from './init.js';
export * as functional from './functional.js';
