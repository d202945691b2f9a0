/**
 * @module
 * Vitest global setup: one embedded PostgreSQL cluster for the whole run. Test files create their own
 * databases in it (see `test-databases.ts`), so they stay isolated without paying for a cluster each.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../local/embedded-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's cluster (database `postgres`). */
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A world-traversable temp dir: as root, PostgreSQL runs as `postgres` and must be able to enter it.
  const root = await mkdtemp(join(tmpdir(), 'totesys-stream-test-'));
  await chmod(root, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  project.provide('pgAdminUrl', cluster.adminUrl);
  return async () => {
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
    await rm(`${join(root, 'pg')}.password`, { force: true });
  };
}
