import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../core/ports/metrics.ts';
import { loaderMetricPoints } from '../../loader/loader-metrics.ts';
import { ROWS, watermarks, writeLake } from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness } from './loader-harness.ts';

const T0 = '2022-11-03T14:20:52.186Z';
const T1 = '2022-11-03T14:30:00.000Z';
const NOW = Date.parse('2022-11-03T15:00:00.000Z');

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await harness.close();
});

/** Lake lag per table, from a run's points. */
function lakeLag(points: readonly MetricPoint[]): Record<string, number> {
  return Object.fromEntries(
    points.filter((p) => p.name === 'LakeLagSeconds').map((p) => [p.dimensions?.['Table'], p.value]),
  );
}

/** The value of the dimensionless metric `name`. */
function metricValue(points: readonly MetricPoint[], name: string): number | undefined {
  return points.find((p) => p.name === name && p.dimensions === undefined)?.value;
}

describe('loader metrics', () => {
  it('publishes lake lag per table on a run that loads nothing, so a stalled stream still alarms', async () => {
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded' });
    // A payment changes, and every partition but fact_payment's gets the round's watermark: fact_payment's
    // delivery stalls, holding the cut at 150.
    await writeLake(harness.lakeDir, [
      { table: 'fact_payment', op: 'c', lsn: 250n, commitTs: T1, row: ROWS.payment(1) },
      ...watermarks(300n, T1).filter((w) => w.table !== 'fact_payment'),
    ]);
    const outcome = await harness.load();
    expect(outcome).toMatchObject({ status: 'unchanged', cutLsn: '150' });

    const lag = lakeLag(loaderMetricPoints(outcome, NOW));
    expect(Object.keys(lag)).toHaveLength(11);
    expect(lag['fact_payment']).toBeCloseTo((NOW - Date.parse(T0)) / 1000, 3);
    expect(lag['dim_design']).toBeCloseTo((NOW - Date.parse(T1)) / 1000, 3);
  });

  it('reports warehouse lag 0 while the lake holds no change above the cut, and the age of the cut when it does', async () => {
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded' });
    // A round without changes (the reader's quiet source): the cut moves on but its commit time stays at T0.
    await writeLake(harness.lakeDir, watermarks(300n, T1));
    const idle = await harness.load();
    expect(idle).toMatchObject({ status: 'loaded', toCut: { lsn: '300', commitTs: T0 } });
    expect(metricValue(loaderMetricPoints(idle, NOW), 'WarehouseLagSeconds')).toBe(0);

    // Changes above the cut that the cut cannot reach yet (fact_payment's partition lacks the round's watermark).
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'u', lsn: 400n, commitTs: T1, row: ROWS.design(1) },
      { table: 'fact_payment', op: 'c', lsn: 410n, commitTs: T1, row: ROWS.payment(1) },
      ...watermarks(450n, T1).filter((w) => w.table !== 'fact_payment'),
    ]);
    const behind = await harness.load();
    expect(behind).toMatchObject({ status: 'unchanged', cutLsn: '300' });
    expect(metricValue(loaderMetricPoints(behind, NOW), 'WarehouseLagSeconds')).toBeCloseTo(
      (NOW - Date.parse(T0)) / 1000,
      3,
    );
  });
});
