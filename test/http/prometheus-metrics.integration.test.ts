import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { beforeEach, describe, expect, it } from 'vitest';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
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
});
