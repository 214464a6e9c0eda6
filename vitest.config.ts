import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons are not safe to share across worker threads' module caches: one process per file.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
