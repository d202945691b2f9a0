/**
 * @module
 * Vitest global setup of the `integration` and `slow` projects: one embedded PostgreSQL cluster for the whole
 * run. Test files create their own databases in it (see `test-databases.ts`), so they stay isolated without
 * paying for a cluster each. The `unit` project has no global setup, hence no cluster.
 *
 * Both projects run this setup in the one Vitest process; the first starts the cluster, the others use it,
 * and the last teardown stops it.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type EmbeddedCluster, startEmbeddedPostgres } from '../../local/embedded-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's cluster (database `postgres`). */
    pgAdminUrl: string;
  }
}

interface SharedCluster {
  readonly started: Promise<{ cluster: EmbeddedCluster; root: string }>;
  users: number;
}

// The setup module may be loaded once per project: the cluster is kept on the process, not the module.
const KEY = Symbol.for('totesys-stream.test-cluster');
const shared = globalThis as typeof globalThis & { [KEY]?: SharedCluster };

async function startCluster(): Promise<{ cluster: EmbeddedCluster; root: string }> {
  // A world-traversable temp dir: as root, PostgreSQL runs as `postgres` and must be able to enter it.
  const root = await mkdtemp(join(tmpdir(), 'totesys-stream-test-'));
  await chmod(root, 0o755);
  return { cluster: await startEmbeddedPostgres({ dataDir: join(root, 'pg') }), root };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared[KEY] ??= { started: startCluster(), users: 0 };
  const entry = shared[KEY];
  entry.users++;
  const { cluster, root } = await entry.started;
  project.provide('pgAdminUrl', cluster.adminUrl);
  return async () => {
    if (--entry.users > 0) return;
    delete shared[KEY];
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
    await rm(`${join(root, 'pg')}.password`, { force: true });
  };
}
