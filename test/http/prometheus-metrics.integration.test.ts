import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RowInsertEvent } from '../../core/change-event.ts';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { quarantineObject } from '../../lake/unreadable-objects.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { SchemaDriftRecords } from '../../reader/schema-drift.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { UnshippableChanges } from '../../reader/unshippable-changes.ts';
import { type E2eWorld, syncWorld } from '../e2e/e2e-harness.ts';
import { type HttpKit, httpWorldPerTest } from '../support/http-kit.ts';
import { withClient } from '../support/test-databases.ts';

const http = httpWorldPerTest(0.01);
let world: E2eWorld;
let kit: HttpKit | undefined;

beforeEach(() => {
  world = http.world();
  kit = undefined;
});

async function scrape(): Promise<{ contentType: string | null; families: Map<string, PrometheusFamily> }> {
  const response = await kit!.app.request('/metrics');
  expect(response.status).toBe(200);
  const families = parsePrometheusTextFormat(await response.text());
  return {
    contentType: response.headers.get('content-type'),
    families: new Map(families.map((f) => [f.name, f])),
  };
}

describe('/metrics', () => {
  it('parses as Prometheus text with every figure named in the README, the totals equal to the load history', async () => {
    // Prepare: two loads' worth of changes.
    await syncWorld(world);
    await withClient(world.source.url, (c) =>
      c.query("UPDATE staff SET last_updated = now(), first_name = 'Ada'"),
    );
    await syncWorld(world);
    kit = http.openKit(new Date());

    // Act
    const { contentType, families } = await scrape();

    // Assess
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const type = (name: string) => families.get(name)?.type;
    expect(type('totesys_reader_lag_seconds')).toBe('GAUGE');
    expect(type('totesys_reader_slot_lag_bytes')).toBe('GAUGE');
    expect(type('totesys_warehouse_lag_seconds')).toBe('GAUGE');
    expect(type('totesys_lake_lag_seconds')).toBe('GAUGE');
    expect(type('totesys_error_objects_waiting')).toBe('GAUGE');
    expect(type('totesys_warehouse_rows_loaded_total')).toBe('COUNTER');
    expect(type('totesys_end_to_end_seconds')).toBe('HISTOGRAM');
    expect(type('totesys_loader_run_duration_seconds')).toBe('HISTOGRAM');
    expect(
      families
        .get('totesys_lake_lag_seconds')
        ?.metrics.map((m) => m.labels?.['table'])
        .sort(),
    ).toEqual([...LAKE_TABLE_NAMES].sort());

    // The counters against an independent sum over pipeline.load_history.
    const history = await withClient(world.warehouse.url, async (client) => {
      const rows = await client.query<{ table_name: string; rows: string }>(
        `SELECT key AS table_name, sum(value::bigint)::text AS rows
           FROM pipeline.load_history, jsonb_each_text(rows_per_table) GROUP BY key HAVING sum(value::bigint) > 0`,
      );
      const loads = await client.query<{ n: string; changed: string }>(
        'SELECT count(*) AS n, count(latency_p50_s) AS changed FROM pipeline.load_history',
      );
      return { rows: rows.rows, loads: Number(loads.rows[0]?.n), changed: Number(loads.rows[0]?.changed) };
    });
    const counted = Object.fromEntries(
      (families.get('totesys_warehouse_rows_loaded_total')?.metrics ?? []).map((m) => [
        m.labels?.['table'],
        m.value,
      ]),
    );
    expect(counted).toEqual(Object.fromEntries(history.rows.map((r) => [r.table_name, r.rows])));
    const duration = families.get('totesys_loader_run_duration_seconds')?.metrics[0];
    expect(Number(duration?.count)).toBe(history.loads);
    const latency = families.get('totesys_end_to_end_seconds')?.metrics[0];
    // (The parser returns buckets keyed by `le`, which JavaScript orders integers first: sort by bound.)
    const buckets = Object.entries(latency?.buckets ?? {})
      .map(([le, n]) => [le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(n)] as const)
      .sort((a, b) => a[0] - b[0]);
    expect(buckets.length).toBeGreaterThan(5);
    // Cumulative: never decreasing, the last bucket holding every observation.
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]);
    expect(Number(latency?.count)).toBeGreaterThan(0);
    expect(Number(latency?.count)).toBe(buckets.at(-1)?.[1]);
    expect(history.changed).toBeGreaterThanOrEqual(2);
  });

  it('gauges what waits aside, from the status document: quarantined objects, set-aside changes, drifted tables', async () => {
    // Prepare: a loaded lake, then one object quarantined, one change set aside, one source table drifted,
    // each by the code that does it in the pipeline.
    await syncWorld(world);
    const paths = pipelinePaths(world.dataDir);
    const store = new FsObjectStore(paths.lake, LOCAL_LAKE_BUCKET);
    const state = new FileStateStore(paths.state);
    const [object] = (await store.list('fact_sales_order/')).filter((info) => info.key.endsWith('.parquet'));
    expect(object).toBeDefined();
    await quarantineObject(store, {
      key: object!.key,
      table: 'fact_sales_order',
      kind: 'corrupt',
      reason: 'a test marks it unreadable',
    });
    const event: RowInsertEvent = {
      table: 'design',
      op: 'c',
      lsn: '62338631',
      seq: 3,
      xid: 1,
      commit_ts: '2026-11-22T10:00:00.000Z',
      key: { design_id: 1 },
      row: { design_id: 1 },
    };
    await new UnshippableChanges({ store, stateStore: state }).setAside([
      { event, bytes: 2_000_000, reason: 'over the record limit (test)' },
    ]);
    await withClient(world.source.url, async (client) => {
      await client.query('ALTER TABLE design ADD COLUMN design_label text');
      await new SchemaDriftRecords({ stateStore: state }).observeCatalog(client);
    });
    kit = http.openKit(new Date());

    // Act
    const { families } = await scrape();

    // Assess
    const byTable = (name: string): Record<string, number> =>
      Object.fromEntries(
        (families.get(name)?.metrics ?? []).map((m) => [m.labels?.['table'], Number(m.value)]),
      );
    expect(families.get('totesys_lake_objects_quarantined')?.type).toBe('GAUGE');
    const quarantined = byTable('totesys_lake_objects_quarantined');
    expect(quarantined['fact_sales_order']).toBe(1);
    expect(Object.values(quarantined).reduce((a, b) => a + b, 0)).toBe(1);
    const setAside = byTable('totesys_reader_changes_set_aside');
    expect(setAside['design']).toBe(1);
    expect(Object.values(setAside).reduce((a, b) => a + b, 0)).toBe(1);
    expect(families.get('totesys_source_schema_drift_tables')?.type).toBe('GAUGE');
    expect(Number(families.get('totesys_source_schema_drift_tables')?.metrics[0]?.value)).toBe(1);
  });
});
