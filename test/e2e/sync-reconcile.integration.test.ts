import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLsn } from '../../core/lsn.ts';
import { runSync } from '../../local/sync.ts';
import { Simulator } from '../../source/simulator/simulator.ts';
import { withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, reconcileWorld } from './e2e-harness.ts';

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
});

afterEach(async () => {
  await world.close();
});

function syncOptions() {
  return {
    sourceUrl: world.source.url,
    warehouseUrl: world.warehouse.url,
    dataDir: world.dataDir,
    slot: world.slot,
    publication: `${world.source.name}_pub`,
    timeoutMs: 110_000,
  };
}

describe('sync and reconcile on the embedded default', () => {
  it('a seeded source with a mixed workload syncs with no difference and one fact row per committed version', async () => {
    const first = await runSync(syncOptions());
    expect(parseLsn(first.cutLsn)).toBeGreaterThanOrEqual(parseLsn(first.targetLsn));
    expect(first.rowsLoaded.fact_sales_order).toBeGreaterThan(0);
    expect((await reconcileWorld(world)).differences).toEqual([]);

    // An independent record of every change from here on: a second slot, read back with test_decoding.
    await withClient(world.source.url, (c) =>
      c.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [`${world.slot}_audit`]),
    );
    const before = await versionCounts(world.warehouse.url);
    const simulator = new Simulator({ sourceUrl: world.source.url, seed: 11 });
    for (let i = 0; i < 40; i++) await simulator.step(5);
    const activity = await simulator.stop();
    await withClient(world.source.url, async (c) => {
      // The two changes that must reach the joined dimensions, for certain.
      await c.query(
        "UPDATE department SET department_name = department_name || ' (renamed)', last_updated = now() WHERE department_id = (SELECT department_id FROM staff ORDER BY staff_id LIMIT 1)",
      );
      await c.query(
        "UPDATE address SET city = 'Reconciled City', last_updated = now() WHERE address_id = (SELECT legal_address_id FROM counterparty ORDER BY counterparty_id LIMIT 1)",
      );
    });
    expect(activity.totalChanges).toBeGreaterThan(100);

    const second = await runSync(syncOptions());
    expect(parseLsn(second.cutLsn)).toBeGreaterThan(parseLsn(first.cutLsn));
    const report = await reconcileWorld(world);
    expect(report.differences).toEqual([]);
    expect(report.tables.dim_staff.sourceRows).toBeGreaterThan(0);

    const changes = await auditedVersions(world.source.url, `${world.slot}_audit`);
    const after = await versionCounts(world.warehouse.url);
    for (const [table, perOrder] of Object.entries(after)) {
      const ids = new Set([...Object.keys(perOrder), ...Object.keys(changes[table] ?? {})]);
      for (const id of ids) {
        const expected = (before[table]?.[id] ?? 0) + (changes[table]?.[id] ?? 0);
        expect(perOrder[id] ?? 0, `${table} order ${id}`).toBe(expected);
      }
    }
    const renamed = await withClient(world.warehouse.url, (c) =>
      c.query("SELECT count(*)::int AS n FROM dim_staff WHERE department_name LIKE '% (renamed)'"),
    );
    expect(renamed.rows[0].n).toBeGreaterThan(0);
    const moved = await withClient(world.warehouse.url, (c) =>
      c.query(
        "SELECT count(*)::int AS n FROM dim_counterparty WHERE counterparty_legal_city = 'Reconciled City'",
      ),
    );
    expect(moved.rows[0].n).toBeGreaterThan(0);
  });
});

const FACT_SOURCES: Record<string, { table: string; key: string }> = {
  sales_order: { table: 'fact_sales_order', key: 'sales_order_id' },
  purchase_order: { table: 'fact_purchase_order', key: 'purchase_order_id' },
  payment: { table: 'fact_payment', key: 'payment_id' },
};

/** Fact rows per order, per fact table. */
async function versionCounts(url: string): Promise<Record<string, Record<string, number>>> {
  return withClient(url, async (c) => {
    const counts: Record<string, Record<string, number>> = {};
    for (const { table, key } of Object.values(FACT_SOURCES)) {
      const result = await c.query(`SELECT ${key}::text AS id, count(*)::int AS n FROM ${table} GROUP BY 1`);
      counts[table] = Object.fromEntries(result.rows.map((r) => [r.id, r.n]));
    }
    return counts;
  });
}

/** Inserts and updates per order recorded by the audit slot, per fact table. */
async function auditedVersions(url: string, slot: string): Promise<Record<string, Record<string, number>>> {
  return withClient(url, async (c) => {
    const result = await c.query<{ data: string }>(
      'SELECT data FROM pg_logical_slot_get_changes($1, NULL, NULL)',
      [slot],
    );
    const counts: Record<string, Record<string, number>> = {};
    for (const { data } of result.rows) {
      const match = /^table public\.(\w+): (INSERT|UPDATE): (\w+)\[integer\]:(\d+)/.exec(data);
      if (!match) continue;
      const fact = FACT_SOURCES[match[1] ?? ''];
      if (!fact || match[3] !== fact.key) continue;
      const perOrder = counts[fact.table] ?? {};
      counts[fact.table] = perOrder;
      perOrder[match[4] ?? ''] = (perOrder[match[4] ?? ''] ?? 0) + 1;
    }
    return counts;
  });
}
