import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons are not safe to share across worker threads' module caches: one process per file.
    pool: 'forks',
    // gc() for test/_setup.ts and settle(): collected garbage must not move tensor counts mid-test.
    execArgv: ['--expose-gc'],
    setupFiles: ['test/_setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
