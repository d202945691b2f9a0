import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { splitJsonObjects } from '../../firehose/format-conversion.ts';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import type { TransformFunction } from '../../firehose/transformation-invocation.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import {
  currencyEvent,
  errorDocuments,
  MemoryObjectStore,
  NEVER,
  openFirehose,
  pack,
  readParquet,
  salesOrderEvent,
  streamConfig,
  tempDir,
} from './firehose-fixtures.ts';

/** A transform that emits the given output data for every record, partitioned as told. */
function emitting(
  output: (
    record: FirehoseTransformationEvent['records'][number],
    index: number,
  ) => {
    data: string;
    keys?: Record<string, string>;
  },
): TransformFunction {
  return async (event): Promise<FirehoseTransformationResult> => ({
    records: event.records.map((record, index) => {
      const { data, keys } = output(record, index);
      return {
        recordId: record.recordId,
        result: 'Ok',
        data: Buffer.from(data).toString('base64'),
        ...(keys ? { metadata: { partitionKeys: keys } } : {}),
      };
    }),
  });
}

const META = '"_op":"c","_lsn":"1001","_seq":0,"_xid":701,"_commit_ts":"2022-11-03 14:20:49.962"';

describe('record format conversion and dynamic partitioning', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MemoryObjectStore;
  let firehose: LocalFirehose | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new MemoryObjectStore();
  });

  afterEach(async () => {
    await firehose?.close({ deliver: false });
    firehose = undefined;
    await cleanup();
  });

  async function run(
    source: string,
    transform: TransformFunction | undefined,
    records: Uint8Array[],
    target: ObjectStore = store,
  ) {
    firehose = await openFirehose(join(dir, 'spool'), [
      streamConfig(target, source, {
        processorBuffering: NEVER,
        bufferingHints: NEVER,
        ...(transform ? { transform } : {}),
      }),
    ]);
    await firehose.putRecordBatch({
      DeliveryStreamName: `totesys-${source}`,
      Records: records.map((Data) => ({ Data })),
    });
    await firehose.flush();
    return firehose.metrics()[0]!;
  }

  it('converts packed events through the real handler to Parquet with exact decimals, dates, times and millisecond timestamps', async () => {
    await run('sales_order', undefined, [
      pack([
        salesOrderEvent(1, '2022-11-03T14:20:52.186Z', '3.94'),
        salesOrderEvent(2, '2022-11-03T15:00:00.001Z', '12345678.99'),
      ]),
    ]);
    const [key, ...others] = store.keys();
    expect(others).toEqual([]);
    expect(key).toMatch(
      /^fact_sales_order\/dt=2022-11-03\/totesys-sales_order-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.parquet$/,
    );
    const rows = await readParquet(store.objects.get(key!)!);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      sales_order_id: 2,
      created_date: new Date('2022-11-03T00:00:00.000Z'),
      created_time: '14:20:52.186',
      sales_staff_id: 16,
      unit_price: 12345678.99,
      agreed_delivery_date: new Date('2022-11-10T00:00:00.000Z'),
      _op: 'c',
      _lsn: 5002n,
      _seq: 2,
      _commit_ts: new Date('2022-11-03T15:00:00.001Z'),
    });
  });

  it('writes Parquet that DuckDB reads through hive partitioning on dt, with exact DECIMAL and millisecond TIMESTAMP', async () => {
    const lake = new FsObjectStore(join(dir, 'lake'), 'bucket');
    await run(
      'sales_order',
      undefined,
      [
        pack([salesOrderEvent(1, '2022-11-03T14:20:52.186Z', '0.10')]),
        pack([salesOrderEvent(2, '2022-11-04T09:00:00.500Z', '0.20')]),
      ],
      lake,
    );
    expect((await lake.list('')).map(({ key }) => key.split('/').slice(0, 2).join('/'))).toEqual([
      'fact_sales_order/dt=2022-11-03',
      'fact_sales_order/dt=2022-11-04',
    ]);
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT dt, sales_order_id, CAST(unit_price AS VARCHAR) AS price, typeof(unit_price) AS price_type,
                CAST(_commit_ts AS VARCHAR) AS commit_ts, typeof(_commit_ts) AS ts_type, typeof(dt) AS dt_type
           FROM read_parquet('${join(dir, 'lake', 'bucket')}/fact_sales_order/*/*.parquet', hive_partitioning = true)
          ORDER BY sales_order_id`,
      );
      expect(reader.getRowObjectsJson()).toEqual([
        {
          dt: '2022-11-03',
          sales_order_id: 1,
          price: '0.10',
          price_type: 'DECIMAL(10,2)',
          commit_ts: '2022-11-03 14:20:52.186',
          ts_type: 'TIMESTAMP',
          dt_type: 'DATE',
        },
        {
          dt: '2022-11-04',
          sales_order_id: 2,
          price: '0.20',
          price_type: 'DECIMAL(10,2)',
          commit_ts: '2022-11-04 09:00:00.5',
          ts_type: 'TIMESTAMP',
          dt_type: 'DATE',
        },
      ]);
    } finally {
      connection.closeSync();
      duck.closeSync();
    }
  });

  it('reads keys case-insensitively, drops attributes not in the schema and accepts concatenated objects', async () => {
    const data = `{"CURRENCY_ID":1,"Currency_Code":"GBP","extra":{"nested":true},${META}}{"currency_id":2,"currency_code":"USD",${META}}`;
    await run(
      'currency',
      emitting(() => ({ data, keys: { dt: '2022-11-03' } })),
      [Buffer.from('x')],
    );
    const [key] = store.keys('dim_currency/dt=2022-11-03/');
    const rows = await readParquet(store.objects.get(key!)!);
    expect(rows.map((row) => [row.currency_id, row.currency_code, row.currency_name])).toEqual([
      [1, 'GBP', null],
      [2, 'USD', null],
    ]);
    expect(Object.keys(rows[0]!)).not.toContain('extra');
  });

  it.each([
    ['a JSON array', `[{"currency_id":1,${META}}]`, 'DataFormatConversion.ParseError'],
    ['unparsable JSON', '{"currency_id":1,', 'DataFormatConversion.ParseError'],
    [
      'a value its column type cannot hold',
      `{"currency_id":"one",${META}}`,
      'DataFormatConversion.MalformedData',
    ],
    [
      'a timestamp finer than milliseconds',
      `{"currency_id":1,"_commit_ts":"2022-11-03 14:20:49.9621"}`,
      'DataFormatConversion.MalformedData',
    ],
  ])(
    'sends a record holding %s to format-conversion-failed and still converts the rest',
    async (_, bad, code) => {
      const good = `{"currency_id":9,"currency_code":"EUR",${META}}\n`;
      const metrics = await run(
        'currency',
        emitting((_, index) => ({ data: index === 1 ? bad : good, keys: { dt: '2022-11-03' } })),
        [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')],
      );
      const dataKeys = store.keys('dim_currency/');
      expect(dataKeys).toHaveLength(1);
      expect((await readParquet(store.objects.get(dataKeys[0]!)!)).map((row) => row.currency_id)).toEqual([
        9, 9,
      ]);
      const errorKeys = store.keys('errors/dim_currency/format-conversion-failed/');
      expect(errorKeys).toHaveLength(1);
      expect(errorKeys[0]).toMatch(
        /^errors\/dim_currency\/format-conversion-failed\/\d{4}\/\d{2}\/\d{2}\/totesys-currency-1-/,
      );
      const [document, ...more] = errorDocuments(store.objects.get(errorKeys[0]!)!);
      expect(more).toEqual([]);
      expect(document).toMatchObject({
        attemptsMade: 1,
        lastErrorCode: code,
        lastErrorMessage: expect.stringContaining('dim_currency'),
        arrivalTimestamp: expect.any(Number),
        attemptEndingTimestamp: expect.any(Number),
        dataCatalogTable: { databaseName: 'totesys_lake', tableName: 'dim_currency', region: 'eu-west-2' },
      });
      expect(Buffer.from(document!.rawData as string, 'base64').toString()).toBe(bad);
      expect(metrics).toMatchObject({ conversionFailedRecords: 1, deliveredRecords: 2 });
    },
  );

  it('writes a conversion failure once even when the delivery of its batch had to be retried', async () => {
    const good = `{"currency_id":9,"currency_code":"EUR",${META}}\n`;
    firehose = await openFirehose(join(dir, 'spool'), [
      streamConfig(store, 'currency', {
        processorBuffering: NEVER,
        bufferingHints: NEVER,
        transform: emitting((_, index) => ({ data: index === 0 ? '[1]' : good, keys: { dt: '2022-11-03' } })),
      }),
    ]);
    await firehose.putRecordBatch({
      DeliveryStreamName: 'totesys-currency',
      Records: [{ Data: Buffer.from('a') }, { Data: Buffer.from('b') }],
    });
    store.failPuts = true;
    await expect(firehose.flush()).rejects.toThrow(/injected put failure/);
    store.failPuts = false;
    await firehose.flush();
    const [errorKey, ...moreErrors] = store.keys('errors/');
    expect(moreErrors).toEqual([]);
    expect(errorDocuments(store.objects.get(errorKey!)!)).toHaveLength(1);
    expect(store.keys('dim_currency/')).toHaveLength(1);
    expect(firehose.metrics()[0]).toMatchObject({
      conversionFailedRecords: 1,
      deliveredRecords: 1,
      backlogBytes: 0,
    });
  });

  it('routes records to one object per partition key value and a record without the key to partitioning-failed', async () => {
    const row = (id: number) => `{"currency_id":${id},"currency_code":"GBP",${META}}\n`;
    const metrics = await run(
      'currency',
      emitting((_, index) =>
        index === 3
          ? { data: row(index) }
          : { data: row(index), keys: { dt: index % 2 === 0 ? '2022-11-03' : '2022-11-04' } },
      ),
      [0, 1, 2, 3, 4].map((i) => Buffer.from(String(i))),
    );
    const ids = async (prefix: string) =>
      (await Promise.all(store.keys(prefix).map((key) => readParquet(store.objects.get(key)!))))
        .flat()
        .map((r) => r.currency_id);
    expect(store.keys('dim_currency/dt=2022-11-03/')).toHaveLength(1);
    expect(await ids('dim_currency/dt=2022-11-03/')).toEqual([0, 2, 4]);
    expect(await ids('dim_currency/dt=2022-11-04/')).toEqual([1]);
    const [errorKey] = store.keys('errors/dim_currency/partitioning-failed/');
    const [document] = errorDocuments(store.objects.get(errorKey!)!);
    expect(document).toMatchObject({ errorCode: 'DynamicPartitioning.PartitionKeyMissing' });
    expect(Buffer.from(document!.rawData as string, 'base64').toString()).toBe(row(3));
    expect(metrics).toMatchObject({ partitioningFailedRecords: 1, deliveredObjects: 2, deliveredRecords: 4 });
  });

  it('converts a dimension through the real handler, adding the ISO 4217 currency name and metadata columns', async () => {
    await run('currency', undefined, [pack([currencyEvent(1, 'GBP', '2022-11-03T14:20:49.962Z')])]);
    const [key] = store.keys('dim_currency/dt=2022-11-03/');
    expect((await readParquet(store.objects.get(key!)!))[0]).toMatchObject({
      currency_id: 1,
      currency_code: 'GBP',
      currency_name: 'Pound Sterling',
      _op: 'c',
      _lsn: 1001n,
      _xid: 701n,
    });
  });
});

describe('splitting a record into JSON objects', () => {
  it.each([
    ['newline-terminated objects', '{"a":1}\n{"a":2}\n', [{ a: 1 }, { a: 2 }]],
    ['concatenated objects', '{"a":1}{"a":"}{"} {"a":3}', [{ a: 1 }, { a: '}{' }, { a: 3 }]],
    ['blank lines and pretty-printed objects', '{\n"a":1\n}\n\n{"a":2}', [{ a: 1 }, { a: 2 }]],
  ])('reads %s', (_, text, expected) => {
    expect(splitJsonObjects(text)).toEqual(expected);
  });

  it.each([
    ['a JSON array', '[{"a":1}]'],
    ['a scalar', '42'],
    ['a newline where a comma is missing', '{"a":1\n"b":2}'],
    ['an unclosed object', '{"a":1}{"a":'],
    ['nothing but whitespace', ' \n '],
  ])('refuses %s', (_, text) => {
    expect(() => splitJsonObjects(text)).toThrow();
  });
});
