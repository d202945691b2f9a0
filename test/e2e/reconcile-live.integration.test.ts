import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalPipeline } from '../../local/pipeline.ts';
import { waitForWarehouseCut } from '../../local/sync.ts';
import { Simulator } from '../../source/simulator/simulator.ts';
import { withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';
import { type E2eWorld, openWorld, pipelineNames, reconcileWorld } from './e2e-harness.ts';

let world: E2eWorld;
let pipeline: LocalPipeline;
let simulator: Simulator;
const simulatorErrors: Error[] = [];

beforeEach(async () => {
  world = await openWorld(0.01);
  pipeline = await LocalPipeline.start({
    sourceUrl: world.source.url,
    warehouseUrl: world.warehouse.url,
    dataDir: world.dataDir,
    ...pipelineNames(world),
    loaderIntervalMs: 200,
    watermarkIntervalMs: 200,
  });
  simulator = new Simulator({
    sourceUrl: world.source.url,
    rate: 40,
    seed: 31,
    onError: (error) => simulatorErrors.push(error),
  });
  await waitFor('the first load', async () => (await pipeline.warehouse.currentCut()) !== null, 60_000);
  await simulator.start();
});

afterEach(async () => {
  await simulator.stop();
  await pipeline.stop();
  await world.close();
});

/** Reconcile against the running pipeline: wait for its loader to pass reconcile's snapshot. */
const reconcileLive = () =>
  reconcileWorld(world, async (lsn) => {
    await waitForWarehouseCut(world.warehouse.url, lsn, 60_000);
  });

const onWarehouse = (sql: string) => withClient(world.warehouse.url, (c) => c.query(sql));

describe('reconcile while the pipeline and a simulator run', () => {
  it('finds no difference in any run, and exactly the planted differences once they are planted', async () => {
    // Act and assess: every run is exact although the source keeps changing.
    const cuts = new Set<string>();
    let replayed = 0;
    for (let run = 0; run < 8; run++) {
      const report = await reconcileLive();
      expect(report.differences, `run ${run} at cut ${report.cutLsn}`).toEqual([]);
      cuts.add(report.cutLsn);
      replayed += report.replayedChanges;
    }
    expect(cuts.size).toBe(8);
    expect(replayed).toBeGreaterThan(0);
    expect(simulator.summary().totalChanges).toBeGreaterThan(100);
    // Deletes flowed too: orders cancelled with their transaction and payment.
    expect(simulator.summary().changes.order_cancelled).toBeGreaterThan(0);

    // Prepare: three differences the simulator cannot touch. A payment type renamed in the warehouse; a sales
    // order the source never had; a paid order (never cancelled) marked deleted far beyond any real LSN.
    await onWarehouse("UPDATE dim_payment_type SET payment_type_name = 'PLANTED' WHERE payment_type_id = 1");
    await onWarehouse(
      `INSERT INTO fact_sales_order (sales_record_id, sales_order_id, created_date, created_time,
         last_updated_date, last_updated_time, sales_staff_id, counterparty_id, units_sold, unit_price,
         currency_id, design_id, agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id,
         version_lsn, version_seq)
       SELECT 900000000, 90000000, created_date, created_time, last_updated_date, last_updated_time,
         sales_staff_id, counterparty_id, units_sold, unit_price, currency_id, design_id, agreed_payment_date,
         agreed_delivery_date, agreed_delivery_location_id, 0, 0
       FROM fact_sales_order ORDER BY sales_record_id LIMIT 1`,
    );
    const paid = await onWarehouse(
      `INSERT INTO pipeline.fact_deletion
       SELECT 'fact_payment', payment_id, 99999999999999999999, 0, now() FROM current_payment WHERE paid
       ORDER BY payment_id LIMIT 1 RETURNING order_id`,
    );
    const paidId = String(paid.rows[0].order_id);

    // Act and assess: found in every run, nothing else.
    for (let run = 0; run < 3; run++) {
      const report = await reconcileLive();
      expect(report.differences, `run ${run} at cut ${report.cutLsn}`).toEqual([
        { table: 'dim_payment_type', key: '1', kind: 'column-differs', columns: ['payment_type_name'] },
        { table: 'fact_sales_order', key: '90000000', kind: 'extra-in-warehouse' },
        { table: 'fact_payment', key: paidId, kind: 'missing-in-warehouse' },
      ]);
    }
    expect(simulatorErrors).toEqual([]);
  }, 600_000);
});
