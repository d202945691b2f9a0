/**
 * @module
 * A seeded source database, an empty warehouse database and a data directory, for end-to-end tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReconcileReport, reconcile } from '../../local/reconcile/reconcile.ts';
import { runSync } from '../../local/sync.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';

export interface E2eWorld {
  readonly source: TestDatabase;
  readonly warehouse: TestDatabase;
  readonly dataDir: string;
  /** A replication slot name unique to this world (the cluster is shared). */
  readonly slot: string;
  close(): Promise<void>;
}

/** Creates the databases; seeds the source at `scale` (0 leaves it empty). */
export async function openWorld(scale: number): Promise<E2eWorld> {
  const source = await createSourceDatabase('e2e_src');
  const warehouse = await createTestDatabase('e2e_wh');
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-data-'));
  if (scale > 0) await withClient(source.url, (client) => seedSource(client, { scale, seed: 7 }));
  return {
    source,
    warehouse,
    dataDir,
    slot: `${source.name}_slot`,
    async close() {
      await source.drop();
      await warehouse.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The world's pipeline names: its slot and publication (the cluster is shared by every test file). */
export function pipelineNames(world: E2eWorld): { slot: string; publication: string } {
  return { slot: world.slot, publication: `${world.source.name}_pub` };
}

/** Runs the pipeline until the warehouse has caught up with the source (`sync`). */
export function syncWorld(world: E2eWorld, timeoutMs = 110_000) {
  return runSync({
    sourceUrl: world.source.url,
    warehouseUrl: world.warehouse.url,
    dataDir: world.dataDir,
    ...pipelineNames(world),
    timeoutMs,
  });
}

/** `reconcile` on the world, catching up with a sync (or with `catchUp`, say waiting for a running pipeline). */
export function reconcileWorld(
  world: E2eWorld,
  catchUp?: (lsn: bigint) => Promise<void>,
): Promise<ReconcileReport> {
  return reconcile({
    sourceUrl: world.source.url,
    warehouseUrl: world.warehouse.url,
    publication: pipelineNames(world).publication,
    catchUp:
      catchUp ??
      (async () => {
        await syncWorld(world);
      }),
  });
}
