// Runs before every test file. Tensor finalizers run during garbage collection, so garbage
// left by one test could be collected in the middle of the next one and move its
// liveTensorCount(); collecting before each test keeps those counts about that test only.
import { beforeEach } from 'vitest';

beforeEach(() => {
  (globalThis as { gc?: () => void }).gc?.();
});
