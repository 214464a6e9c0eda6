// A worker thread for test/cpu_allocator.test.ts: many small-tensor ops on its own torch-node
// instance while other threads do the same, so that the small-block cache is shared between threads.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const torch = (await import('../../lib/index.ts')).default;
const x = torch.full([5], workerData.value);
let sum = 0;
for (let i = 0; i < workerData.steps; i++) sum += x.add(i).sum().item();
parentPort.postMessage(sum);
