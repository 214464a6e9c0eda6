// The layer modules over nn.functional, for lib/nn/index.ts to re-export:
//   export * from './modules/index_layers.js';
export * from './conv.js';
export * from './pooling.js';
export * from './batchnorm.js';
export * from './normalization.js';
export * from './dropout.js';
export * from './sparse.js';
export * from './activation.js';
export * from './loss.js';
export * from './padding.js';
export * from './pixelshuffle.js';
export * from './upsampling.js';
