// torchvision for torch-node: image transforms and datasets.
//   import { transforms, datasets } from './vision/index.js'
export * as transforms from './transforms.js';
export * as datasets from './datasets.js';
export type { RawImage, ImageLike, TransformLike } from './transforms.js';
