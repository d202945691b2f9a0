import { defineConfig } from 'vitest/config';

// Integration tests share one embedded PostgreSQL cluster (test/support/global-postgres.ts) and create their
// own databases in it. On a 2-core machine two test files at a time is the sweet spot.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-postgres.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
  },
});
