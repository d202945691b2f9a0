import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesAboveCut, warehouseLagSeconds } from '../../core/warehouse-lag.ts';
import { readPipelineStatus } from '../../local/pipeline-status.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';

const HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

describe('warehouse lag, one definition', () => {
  it('is 0 when no lake table holds a change above the cut, however old the cut commit is', () => {
    const cut = { lsn: '300', commitTs: HOUR_AGO() };
    const idle = [{ table: 'dim_design' as const, lsn: '300', emittedAt: null, newestChangeLsn: '100' }];
    const behind = [{ table: 'dim_design' as const, lsn: '300', emittedAt: null, newestChangeLsn: '400' }];
    expect(warehouseLagSeconds(cut, changesAboveCut(idle, cut.lsn), Date.now())).toBe(0);
    expect(warehouseLagSeconds(cut, changesAboveCut(behind, cut.lsn), Date.now())).toBeGreaterThan(3500);
    expect(warehouseLagSeconds(null, true, Date.now())).toBeNull();
  });
});

describe('status on an idle source', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    source = await createSourceDatabase();
    warehouse = await createTestDatabase('wh');
    dataDir = await mkdtemp(join(tmpdir(), 'status-lag-'));
    await withClient(warehouse.url, async (client) => {
      await migrateWarehouse(client);
      // The last load, an hour ago, left nothing behind its cut; since then the source only wrote WAL that
      // holds no change (heartbeats), so its position is far beyond the cut.
      await client.query(
        `INSERT INTO pipeline.cut (id, lsn, commit_ts, loaded_at) VALUES (1, 16, $1, $1)
           ON CONFLICT (id) DO UPDATE SET lsn = excluded.lsn, commit_ts = excluded.commit_ts`,
        [HOUR_AGO()],
      );
      await client.query(
        `INSERT INTO pipeline.lag_sample (sampled_at, stage, table_name, lag_seconds) VALUES ($1, 'warehouse', NULL, 0)`,
        [HOUR_AGO()],
      );
    });
    await withClient(source.url, (client) =>
      client.query("SELECT pg_logical_emit_message(false, 'beat', 'x')"),
    );
  });
  afterAll(async () => {
    await source.drop();
    await warehouse.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('shows warehouse lag 0, not the hour since the cut commit', async () => {
    const status = await readPipelineStatus({ sourceUrl: source.url, warehouseUrl: warehouse.url, dataDir });
    expect(status.warehouse.lagSeconds).toBe(0);
    expect(status.lag.warehouse).toBe(0);
  });

  it('keeps counting from the last sample when that load left changes behind its cut', async () => {
    await withClient(warehouse.url, (client) =>
      client.query(
        `INSERT INTO pipeline.lag_sample (sampled_at, stage, table_name, lag_seconds)
           VALUES (now() - interval '10 seconds', 'warehouse', NULL, 30)`,
      ),
    );
    const status = await readPipelineStatus({ sourceUrl: source.url, warehouseUrl: warehouse.url, dataDir });
    expect(status.lag.warehouse).toBeGreaterThanOrEqual(40);
    expect(status.lag.warehouse).toBeLessThan(100);
  });
});
