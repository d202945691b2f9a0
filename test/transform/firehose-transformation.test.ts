import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lakeColumns, lakeTableForSource } from '../../core/schema/lake-tables.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import { parseJsonRow } from '../../lake/lake-value.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import {
  MAX_RESPONSE_BYTES,
  RESPONSE_SIZE_LIMIT_REASON,
  transformBatch,
} from '../../transform/firehose-transformation.ts';
import {
  COMMIT_TS,
  directPutEvent,
  insertEvent,
  kinesisSourceEvent,
  LSN,
  packed,
  SOURCE_ROWS,
  unpacked,
} from './change-event-fixtures.ts';

const resultsOf = (event: FirehoseTransformationEvent) => transformBatch(event).response.records;

describe('transformBatch', () => {
  it('returns one Ok record per Direct PUT record, in order, for every source table', () => {
    const event = directPutEvent(SOURCE_TABLE_NAMES.map((table) => packed(insertEvent(table))));
    const records = resultsOf(event);
    expect(records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    SOURCE_TABLE_NAMES.forEach((table, index) => {
      const record = records[index];
      const lake = lakeTableForSource(table);
      expect(record, table).toMatchObject({
        result: 'Ok',
        metadata: { partitionKeys: { dt: '2022-11-03' } },
      });
      const [row] = unpacked(record?.data);
      expect(Object.keys(row ?? {})).toEqual(lakeColumns(lake).map((c) => c.name));
      expect(row?.[lake.keyColumn]).toBe(
        SOURCE_ROWS[table][lake.keyColumn === 'location_id' ? 'address_id' : lake.keyColumn],
      );
    });
  });

  it('accepts records from a Kinesis source whether subsequenceNumber is a number or a string', () => {
    for (const subsequence of [123456, '123456']) {
      const event = kinesisSourceEvent([packed(insertEvent('payment'))], subsequence);
      const [record] = resultsOf(event);
      expect(record?.result).toBe('Ok');
      expect(record?.recordId).toBe(event.records[0]?.recordId);
      expect(unpacked(record?.data)[0]).toMatchObject({ payment_id: 1, payment_amount: '56925.44' });
    }
  });

  it('maps every event of a packed record into newline-terminated lake rows sharing one dt', () => {
    const insert = insertEvent('payment', { ...SOURCE_ROWS.payment, paid: false });
    const update = { ...insertEvent('payment'), op: 'u', seq: 1 };
    const remove = { ...insertEvent('payment'), op: 'd', row: null, seq: 2 };
    const [record] = resultsOf(directPutEvent([packed(insert, update, remove)]));
    expect(record?.result).toBe('Ok');
    expect(unpacked(record?.data).map((row) => [row['_op'], row['paid'], row['_seq']])).toEqual([
      ['c', false, 0],
      ['u', true, 1],
      ['d', null, 2],
    ]);
  });

  it('takes dt from the UTC date of the commit time', () => {
    const late = { ...insertEvent('design'), commit_ts: '2022-11-03T23:59:59.999Z' };
    const early = { ...insertEvent('design'), commit_ts: '2022-11-04T00:00:00.000Z' };
    const records = resultsOf(directPutEvent([packed(late), packed(early)]));
    expect(records.map((r) => r.metadata?.partitionKeys['dt'])).toEqual(['2022-11-03', '2022-11-04']);
    expect(unpacked(records[0]?.data)[0]?.['_commit_ts']).toBe('2022-11-03 23:59:59.999');
  });

  it('writes output that converts to Parquet with the lake schema, exact values read back by DuckDB', async () => {
    const event = insertEvent('sales_order');
    const [record] = resultsOf(directPutEvent([packed(event)]));
    const table = lakeTableForSource('sales_order');
    const rows = unpacked(record?.data).map((row) => parseJsonRow(lakeColumns(table), row));
    const bytes = writeLakeParquet(table, rows);
    const dir = await mkdtemp(join(tmpdir(), 'transform-parquet-'));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const path = join(dir, 'rows.parquet');
      await writeFile(path, bytes);
      const reader = await duck.runAndReadAll(
        `SELECT unit_price, created_date, created_time, _lsn, _commit_ts FROM read_parquet('${path}')`,
      );
      expect(reader.getRowObjectsJson()).toEqual([
        {
          unit_price: '2.43',
          created_date: '2022-11-03',
          created_time: '14:20:52.186',
          _lsn: LSN,
          _commit_ts: '2022-11-03 14:20:52.186',
        },
      ]);
    } finally {
      duck.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('transformBatch with bad records', () => {
  const good = packed(insertEvent('sales_order'));
  const { table: _t, ...noTable } = insertEvent('sales_order');
  const { op: _o, ...noOp } = insertEvent('sales_order');
  const { lsn: _l, ...noLsn } = insertEvent('sales_order');
  const { seq: _s, ...noSeq } = insertEvent('sales_order');
  const { commit_ts: _c, ...noCommitTs } = insertEvent('sales_order');
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ['not base64', 'not base64!', /not base64/],
    ['base64 of bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'), /not UTF-8/],
    ['not JSON', Buffer.from('{"table": "sales_order",\n').toString('base64'), /not JSON/],
    ['a JSON array', packed([insertEvent('sales_order')]), /must be a JSON object/],
    ['empty', '', /no change event/],
    ['an event without table', packed(noTable), /lacks field table/],
    ['an event without op', packed(noOp), /lacks field op/],
    ['an event without lsn', packed(noLsn), /lacks field lsn/],
    ['an event without seq', packed(noSeq), /lacks field seq/],
    ['an event without commit_ts', packed(noCommitTs), /lacks field commit_ts/],
    [
      'an unknown table',
      packed({ ...insertEvent('sales_order'), table: 'sales_orders' }),
      /Unknown source table/,
    ],
    ['an unknown op', packed({ ...insertEvent('sales_order'), op: 'x' }), /op must be one of/],
    ['events of two tables', packed(insertEvent('sales_order'), insertEvent('design')), /two tables/],
    [
      'events of two commit dates',
      packed(insertEvent('design'), { ...insertEvent('design'), commit_ts: '2022-11-04T00:00:00.000Z' }),
      /two commit dates/,
    ],
    [
      'a row breaking the lake types',
      packed(insertEvent('sales_order', { ...SOURCE_ROWS.sales_order, agreed_payment_date: '2022-11-31' })),
      /fact_sales_order, column agreed_payment_date, LSN 24969464/,
    ],
    [
      'an LSN past the lake bigint',
      packed({ ...insertEvent('design'), lsn: '18446744073709551615' }),
      /_lsn/,
    ],
  ];

  for (const [kind, data, reason] of cases) {
    it(`fails only the record that is ${kind}, returning its data unchanged`, () => {
      const event = directPutEvent([good, data, good]);
      const { response, failures } = transformBatch(event);
      expect(response.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
      expect(response.records[1]).toEqual({
        recordId: event.records[1]?.recordId,
        result: 'ProcessingFailed',
        data,
      });
      expect(failures).toHaveLength(1);
      expect(failures[0]?.recordId).toBe(event.records[1]?.recordId);
      expect(failures[0]?.reason).toMatch(reason);
    });
  }

  it('names the table, column and LSN of a type failure for the log', () => {
    const row = { ...SOURCE_ROWS.payment, payment_date: '2022-02-30' };
    const { failures } = transformBatch(
      directPutEvent([packed({ ...insertEvent('payment', row), lsn: '777' })]),
    );
    expect(failures[0]).toMatchObject({ table: 'payment', column: 'payment_date', lsn: '777' });
  });

  it('fails a record whose data field is missing instead of throwing', () => {
    const event = directPutEvent([good]);
    const broken = { ...event, records: [{ recordId: 'r1', approximateArrivalTimestamp: 1 }] };
    const { response } = transformBatch(broken as unknown as FirehoseTransformationEvent);
    expect(response.records).toEqual([{ recordId: 'r1', result: 'ProcessingFailed', data: undefined }]);
  });
});

describe('transformBatch with rejectEventsApart', () => {
  const order = (id: number, seq: number, date = '2022-11-10') =>
    insertEvent(
      'sales_order',
      { ...SOURCE_ROWS.sales_order, sales_order_id: id, agreed_payment_date: date },
      seq,
    );
  const apart = (event: FirehoseTransformationEvent) => transformBatch(event, { rejectEventsApart: true });

  it('keeps the good events of a record and returns the bad one apart, with its line, LSN and reason', () => {
    const bad = order(2, 1, '2022-11-31');
    const lines = [order(1, 0), bad]
      .map((e) => JSON.stringify(e))
      .concat('{not json', JSON.stringify(order(3, 3)));
    const event = directPutEvent([Buffer.from(`${lines.join('\n')}\n`).toString('base64')]);
    const { response, failures, rejected } = apart(event);
    expect(response.records.map((r) => r.result)).toEqual(['Ok']);
    expect(unpacked(response.records[0]?.data).map((row) => row.sales_order_id)).toEqual([1, 3]);
    expect(failures).toEqual([]);
    expect(rejected.map((r) => [r.recordId, r.table, r.column, r.lsn, r.seq])).toEqual([
      [event.records[0]?.recordId, 'sales_order', 'agreed_payment_date', LSN, 1],
      [event.records[0]?.recordId, undefined, undefined, undefined, undefined],
    ]);
    expect(rejected[0]?.reason).toMatch(/fact_sales_order, column agreed_payment_date, LSN 24969464/);
    expect(rejected[1]?.reason).toMatch(/not JSON \(event 3 of the record\)/);
    expect(Buffer.from(rejected[0]?.data ?? []).toString('utf8')).toBe(`${JSON.stringify(bad)}\n`);
    expect(rejected[0]?.arrivalMs).toBe(event.records[0]?.approximateArrivalTimestamp);
  });

  it('still fails a record whole when none of its events is good, returning nothing apart', () => {
    const data = packed(order(1, 0, '2022-11-31'), order(2, 1, '2022-02-30'));
    const { response, failures, rejected } = apart(directPutEvent([data]));
    expect(response.records).toEqual([expect.objectContaining({ result: 'ProcessingFailed', data })]);
    expect(failures[0]?.reason).toMatch(/column agreed_payment_date/);
    expect(rejected).toEqual([]);
  });

  it('fails a record whole when its events span two commit dates (the packing is wrong, not one event)', () => {
    const later = { ...order(2, 1), commit_ts: '2022-11-04T00:00:00.001Z' };
    const { response, rejected } = apart(directPutEvent([packed(order(1, 0), later)]));
    expect(response.records[0]?.result).toBe('ProcessingFailed');
    expect(rejected).toEqual([]);
  });

  it('fails the whole record as before without the option', () => {
    const { response, rejected } = transformBatch(
      directPutEvent([packed(order(1, 0), order(2, 1, '2022-11-31'))]),
    );
    expect(response.records[0]?.result).toBe('ProcessingFailed');
    expect(rejected).toEqual([]);
  });
});

describe('transformBatch response size', () => {
  // Watermarks grow over threefold into lake rows (every business column present as null).
  const watermark = {
    table: 'purchase_order',
    op: 'w',
    key: {},
    row: null,
    lsn: LSN,
    seq: 0,
    xid: null,
    commit_ts: COMMIT_TS,
  };

  it('fails the record that would cross the limit and every later one, with the size reason', () => {
    const event = directPutEvent(
      [1, 2, 3].map((seq) => packed({ ...watermark, seq }, { ...watermark, seq })),
    );
    const oneOk = JSON.stringify(transformBatch(directPutEvent([event.records[0]?.data ?? ''])).response);
    // Room for the first record Ok and the two others failed (their original data must still come back).
    const failedBytes = event.records
      .slice(1)
      .reduce(
        (sum, r) =>
          sum + JSON.stringify({ recordId: r.recordId, result: 'ProcessingFailed', data: r.data }).length + 1,
        0,
      );
    const limit = oneOk.length + 1 + failedBytes;
    const { response, failures } = transformBatch(event, { maxResponseBytes: limit });
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed']);
    expect(response.records[2]?.data).toBe(event.records[2]?.data);
    expect(failures.map((f) => f.reason)).toEqual([RESPONSE_SIZE_LIMIT_REASON, RESPONSE_SIZE_LIMIT_REASON]);
    expect(JSON.stringify(response).length).toBeLessThanOrEqual(limit);
  });

  it('counts the response size to the byte: a limit of exactly its size lets every record through', () => {
    const event = directPutEvent([1, 2, 3].map((seq) => packed({ ...watermark, seq })));
    const exact = Buffer.byteLength(JSON.stringify(transformBatch(event).response));
    const atLimit = transformBatch(event, { maxResponseBytes: exact }).response;
    expect(atLimit.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok']);
    const belowLimit = transformBatch(event, { maxResponseBytes: exact - 1 }).response;
    expect(belowLimit.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'ProcessingFailed']);
  });

  it('keeps a real batch that grows past 6 MB under the Lambda response limit', () => {
    // 2.7 MB in, 9 MB out.
    const record = packed(...Array.from({ length: 4000 }, () => watermark));
    const event = directPutEvent(Array.from({ length: 4 }, () => record));
    const { response, failures } = transformBatch(event);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    const results = response.records.map((r) => r.result);
    expect(results[0]).toBe('Ok');
    expect(results.at(-1)).toBe('ProcessingFailed');
    expect(failures.length).toBe(results.filter((r) => r === 'ProcessingFailed').length);
    expect(new Set(failures.map((f) => f.reason))).toEqual(new Set([RESPONSE_SIZE_LIMIT_REASON]));
  });
});
