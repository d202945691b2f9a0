import { defineConfig } from 'vitest/config';

// Integration tests start real PostgreSQL clusters; on a 2-core machine two files at a time is the sweet spot.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
  },
});
