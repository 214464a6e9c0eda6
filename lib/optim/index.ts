// torch.optim: optimizers with PyTorch 1.13's update rules.
export { Optimizer, required, type ParamGroup, type ParamGroupInput, type ParamsInput, type Closure, type OptimizerState, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { LBFGS, type LBFGSOptions } from './lbfgs.js';
export * as lr_scheduler from './lr_scheduler.js';
