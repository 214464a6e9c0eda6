// For the launcher test: rank 1 fails after a moment; rank 0 would run for a long time.
import { rank } from './_worker_util.js';

console.log(`rank ${rank} started`);
if (rank === 1) {
  await new Promise((r) => setTimeout(r, 200));
  throw new Error(`rank ${rank} failed on purpose`);
}
await new Promise((r) => setTimeout(r, 30_000));
console.log('rank 0 was not stopped');
