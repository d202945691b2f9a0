import { defineConfig } from 'vitest/config';

/**
 * Three layers, named by the test file (`npm test` runs all three; `npm run test:unit` and friends one):
 * - `unit` (`*.test.ts`): in-process only, no PostgreSQL, no server, no child process but a short Node one;
 *   runs in seconds. It has no global setup, and its setup file refuses every PostgreSQL connection, so a
 *   unit test that reaches for a database fails at once and says how to move it (`test/support/unit-setup.ts`).
 * - `integration` (`*.integration.test.ts`): real PostgreSQL (one embedded cluster per run, shared by the
 *   files, each creating its own databases: `test/support/global-postgres.ts`) and moto_server.
 * - `slow` (`*.slow.test.ts`): the CLI as a child process, the 1M-row transaction, CDK synthesis and cfn-lint.
 * On a 2-core machine two test files at a time is the sweet spot.
 */
const INTEGRATION = 'test/**/*.integration.test.ts';
const SLOW = 'test/**/*.slow.test.ts';
const WITH_POSTGRES = ['test/support/global-postgres.ts'];

export default defineConfig({
  test: {
    // Safety nets, not measurements: end-to-end and CDK tests take minutes on a busy 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [INTEGRATION, SLOW],
          setupFiles: ['test/support/unit-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: [INTEGRATION], globalSetup: WITH_POSTGRES },
      },
      { extends: true, test: { name: 'slow', include: [SLOW], globalSetup: WITH_POSTGRES } },
    ],
  },
});
