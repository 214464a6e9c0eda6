// torch.nn: modules, parameters and initialisation.
//   import { nn } from 'torch-node', or torch.nn
export { Module, KeyError, AttributeError, type StateDict, type IncompatibleKeys, type ModuleToOptions } from './modules/module.js';
export { Parameter } from './parameter.js';
export * from './modules/container.js';
export { Identity, Linear, Bilinear, type FactoryOptions } from './modules/linear.js';
export * from './modules/flatten.js';
export * as init from './init.js';
export * as functional from './functional.js';
