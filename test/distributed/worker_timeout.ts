// A rank that leaves (or stalls) must make the others fail with a clear error within the
// group's timeout instead of hanging. SCENARIO:
//   hang         rank 1 stays alive but never joins the collective
//   exit         rank 1 exits right after init_process_group
//   never_joins  rank 1 exits before init_process_group
import * as dist from '../../lib/distributed/index.js';
import { report, rank, worldSize as world, torch } from './_worker_util.js';

const scenario = process.env.SCENARIO;
const timeout = Number(process.env.GROUP_TIMEOUT_MS);
const init = () => dist.init_process_group({ backend: 'gloo', init_method: process.env.TEST_INIT_METHOD, rank, world_size: world, timeout });

async function expectFailure(fn: () => Promise<unknown>): Promise<void> {
  const start = Date.now();
  try {
    await fn();
    report({ error: null, elapsed: Date.now() - start });
  } catch (e) {
    report({ error: `${(e as Error).constructor.name}: ${(e as Error).message.split('\n')[0]}`, elapsed: Date.now() - start });
  }
}

if (rank === 1) {
  if (scenario === 'never_joins') process.exit(0);
  await init();
  if (scenario === 'exit') process.exit(0);
  // 'hang': alive, but never calls the collective; leave after rank 0 has timed out.
  await new Promise((r) => setTimeout(r, timeout + 1000));
  process.exit(0);
} else {
  if (scenario === 'never_joins') {
    await expectFailure(init);
  } else {
    await init();
    if (scenario === 'exit') await new Promise((r) => setTimeout(r, 300));
    await expectFailure(() => dist.all_reduce(torch.ones(4)));
  }
  // The group cannot be torn down cleanly with a peer gone; leave without waiting for it.
  process.exit(0);
}
