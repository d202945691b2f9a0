import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPipelineStatus } from '../../local/pipeline-status.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';

describe('pipeline status', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  beforeEach(async () => {
    source = await createSourceDatabase();
    warehouse = await createTestDatabase('wh');
    await withClient(warehouse.url, (client) => migrateWarehouse(client));
  });
  afterEach(async () => {
    await source.drop();
    await warehouse.drop();
  });

  it('counts the error objects waiting per lake table through the lake’s ObjectStore (S3 or a directory)', async () => {
    // Prepare: error objects of two tables, and lake data that is not an error.
    const lake = new MemoryObjectStore();
    const body = new TextEncoder().encode('{}\n');
    await lake.put('errors/dim_currency/processing-failed/2026/01/02/totesys-currency-1-a', body);
    await lake.put('errors/dim_currency/format-conversion-failed/2026/01/02/totesys-currency-1-b', body);
    await lake.put('errors/fact_payment/processing-failed/2026/01/02/totesys-payment-1-c', body);
    await lake.put('dim_currency/dt=2026-01-02/totesys-currency-1-d.parquet', body);

    // Act
    const status = await readPipelineStatus({
      sourceUrl: source.url,
      warehouseUrl: warehouse.url,
      dataDir: '/nonexistent',
      slot: source.name,
      lake,
    });

    // Assess
    expect(status.lake.errorsWaiting).toEqual({ dim_currency: 2, fact_payment: 1 });
  });
});
