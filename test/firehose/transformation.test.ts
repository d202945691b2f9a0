import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LambdaWorkerPool } from '../../firehose/lambda-worker-pool.ts';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import { encodePartition } from '../../firehose/partition-encoding.ts';
import type { TransformFunction } from '../../firehose/transformation-invocation.ts';
import {
  currencyEvent,
  errorDocuments,
  MemoryObjectStore,
  NEVER,
  openFirehose,
  pack,
  readParquet,
  realTransform,
  recording,
  streamConfig,
  tempDir,
} from './firehose-fixtures.ts';

const STREAM = 'totesys-currency';
const COMMIT = '2022-11-03T14:20:49.962Z';

describe('the transformation Lambda as the local Firehose invokes it', () => {
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

  async function start(transform: TransformFunction, overrides = {}) {
    firehose = await openFirehose(
      dir,
      [
        streamConfig(store, 'currency', {
          transform,
          bufferingHints: NEVER,
          processorBuffering: NEVER,
          ...overrides,
        }),
      ],
      { region: 'eu-west-2' },
    );
    return firehose;
  }

  async function putCurrencies(ids: readonly number[]) {
    const output = await firehose!.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: ids.map((id) => ({ Data: pack([currencyEvent(id, 'EUR', COMMIT)]) })),
    });
    return output.RequestResponses.map((entry) => entry.RecordId!);
  }

  it('sends the documented event shape: uuid invocationId, stream ARN, region, recordId, arrival ms, base64 data', async () => {
    const recorder = recording(realTransform);
    await start(recorder.transform);
    const before = Date.now();
    const ids = await putCurrencies([1, 2]);
    await firehose!.flush();
    expect(recorder.events).toHaveLength(1);
    const event = recorder.events[0]!;
    expect(Object.keys(event).sort()).toEqual(['deliveryStreamArn', 'invocationId', 'records', 'region']);
    expect(event.invocationId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(event.deliveryStreamArn).toBe(
      'arn:aws:firehose:eu-west-2:000000000000:deliverystream/totesys-currency',
    );
    expect(event.region).toBe('eu-west-2');
    expect(event.records.map((record) => record.recordId)).toEqual(ids);
    for (const record of event.records) {
      expect(Object.keys(record).sort()).toEqual(['approximateArrivalTimestamp', 'data', 'recordId']);
      expect(record.approximateArrivalTimestamp).toBeGreaterThanOrEqual(before);
      expect(record.approximateArrivalTimestamp).toBeLessThanOrEqual(Date.now());
    }
    expect(JSON.parse(Buffer.from(event.records[1]!.data, 'base64').toString('utf8'))).toEqual(
      currencyEvent(2, 'EUR', COMMIT),
    );
  });

  it('runs the real handler, or whole invocations, in a worker thread pool with the same result', async () => {
    const pool = new LambdaWorkerPool({
      module: new URL('../../functions/transformer/handler.ts', import.meta.url),
      workers: 1,
    });
    try {
      await start(pool.transform, { processorBuffering: { sizeInMBs: 0.0001, intervalInSeconds: 3600 } });
      await putCurrencies([1, 2]);
      await firehose!.close();
      // The same pool running whole invocations (event, handler, checks) in the worker.
      await start(realTransform, {
        invoker: pool.invoker,
        processorBuffering: { sizeInMBs: 0.0001, intervalInSeconds: 3600 },
      });
      await putCurrencies([3, 4]);
      await firehose!.flush();
      const rows = (
        await Promise.all(store.keys('dim_currency/').map((key) => readParquet(store.objects.get(key)!)))
      ).flat();
      expect(rows.map((row) => [row.currency_id, row.currency_name]).sort()).toEqual([
        [1, 'Euro'],
        [2, 'Euro'],
        [3, 'Euro'],
        [4, 'Euro'],
      ]);
      expect(firehose!.metrics()[0]).toMatchObject({ invocations: 2, invocationFailures: 0 });
    } finally {
      await pool.close();
    }
  });

  it('converts and encodes partitions in a worker thread pool exactly as on the main thread', async () => {
    const pool = new LambdaWorkerPool({
      module: new URL('../../functions/transformer/handler.ts', import.meta.url),
      workers: 1,
    });
    try {
      const meta = `"_op":"c","_lsn":"7","_seq":0,"_xid":"9","_commit_ts":"2022-11-03 14:20:49.962"`;
      const records = [
        `{"currency_id":1,"currency_code":"GBP",${meta}}\n{"currency_id":2,"currency_code":"USD",${meta}}\n`,
        `{"currency_id":"one",${meta}}`,
        `[{"currency_id":3}]`,
        `{"CURRENCY_ID":4,"currency_code":"EUR",${meta}}`,
      ].map((text) => Buffer.from(text));
      const inWorker = await pool.encoder('dim_currency', records);
      const onMain = encodePartition('dim_currency', records);
      expect(inWorker).toEqual(onMain);
      expect(inWorker.rows).toBe(3);
      expect(inWorker.failures.map((failure) => failure?.errorCode)).toEqual([
        undefined,
        'DataFormatConversion.MalformedData',
        'DataFormatConversion.ParseError',
        undefined,
      ]);
      expect((await readParquet(inWorker.body!)).map((row) => row.currency_id)).toEqual([1, 2, 4]);
      // And through a stream: invocations and encoding both in the worker.
      await start(realTransform, {
        invoker: pool.invoker,
        encoder: pool.encoder,
        processorBuffering: { sizeInMBs: 0.0001, intervalInSeconds: 3600 },
      });
      await putCurrencies([5, 6]);
      await firehose!.flush();
      const rows = (
        await Promise.all(store.keys('dim_currency/').map((key) => readParquet(store.objects.get(key)!)))
      ).flat();
      expect(rows.map((row) => [row.currency_id, row.currency_name]).sort()).toEqual([
        [5, 'Euro'],
        [6, 'Euro'],
      ]);
    } finally {
      await pool.close();
    }
  });

  it('splits invocations so each stays under the processor buffer size', async () => {
    const recorder = recording(realTransform);
    // 0.001 MB = 1048 bytes; each record is about 200 bytes, so 5 per invocation at most.
    await start(recorder.transform, { processorBuffering: { sizeInMBs: 0.001, intervalInSeconds: 3600 } });
    const ids = Array.from({ length: 23 }, (_, i) => i + 1);
    await putCurrencies(ids);
    await firehose!.flush();
    expect(recorder.events.length).toBeGreaterThan(4);
    for (const event of recorder.events) {
      const raw = event.records.reduce((sum, record) => sum + Buffer.from(record.data, 'base64').length, 0);
      expect(raw).toBeLessThanOrEqual(0.001 * 1024 * 1024);
    }
    expect(recorder.events.flatMap((event) => event.records).length).toBe(23);
    const rows = (
      await Promise.all(store.keys('dim_currency/').map((key) => readParquet(store.objects.get(key)!)))
    ).flat();
    expect(rows.map((row) => row.currency_id).sort((a, b) => Number(a) - Number(b))).toEqual(ids);
  });

  it('keeps every invocation request under the 6 MB Lambda payload limit, however large the processor buffer', async () => {
    const recorder = recording(async (event) => ({
      records: event.records.map((record) => ({
        recordId: record.recordId,
        result: 'Dropped' as const,
        data: record.data,
      })),
    }));
    await start(recorder.transform, { processorBuffering: { sizeInMBs: 16, intervalInSeconds: 3600 } });
    const big = { Data: new Uint8Array(1000 * 1024).fill(65) };
    for (let call = 0; call < 2; call++)
      await firehose!.putRecordBatch({ DeliveryStreamName: STREAM, Records: [big, big, big, big] });
    await firehose!.flush();
    expect(recorder.events.flatMap((event) => event.records)).toHaveLength(8);
    expect(recorder.events.length).toBeGreaterThan(1);
    for (const event of recorder.events)
      expect(JSON.stringify(event).length).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(firehose!.metrics()[0]).toMatchObject({ droppedRecords: 8, backlogBytes: 0 });
  });

  const brokenResponses: [
    string,
    (event: FirehoseTransformationEvent, ok: FirehoseTransformationResult) => unknown,
    string,
  ][] = [
    ['drops a recordId', (_, ok) => ({ records: ok.records.slice(1) }), 'Lambda.MissingRecordId'],
    [
      'duplicates a recordId',
      (_, ok) => ({ records: [...ok.records, ok.records[0]] }),
      'Lambda.DuplicatedRecordId',
    ],
    [
      'returns an unknown recordId',
      (_, ok) => ({ records: ok.records.map((r, i) => (i === 0 ? { ...r, recordId: '42' } : r)) }),
      'Lambda.MissingRecordId',
    ],
    [
      'returns a record without a recordId',
      (_, ok) => ({ records: ok.records.map((r, i) => (i === 0 ? { ...r, recordId: undefined } : r)) }),
      'Lambda.MissingRecordId',
    ],
    [
      'returns a result outside Ok|Dropped|ProcessingFailed',
      (_, ok) => ({ records: ok.records.map((r) => ({ ...r, result: 'Fine' })) }),
      'Lambda.JsonProcessingException',
    ],
    [
      'leaves out data',
      (_, ok) => ({ records: ok.records.map((r) => ({ ...r, data: undefined })) }),
      'Lambda.JsonProcessingException',
    ],
    ['returns a string, not an object', () => 'not json', 'Lambda.JsonProcessingException'],
    [
      'returns a response over 6 MB',
      (_, ok) => ({ records: ok.records.map((r) => ({ ...r, data: 'QUFB'.repeat(600_000) })) }),
      'Lambda.FunctionError',
    ],
    ['returns no records array', () => ({ items: [] }), 'Lambda.JsonProcessingException'],
    [
      'throws',
      () => {
        throw new TypeError('boom');
      },
      'Lambda.FunctionError',
    ],
  ];

  it.each(brokenResponses)(
    'a handler that %s fails the whole invocation, is retried NumberOfRetries times, then every record lands under processing-failed',
    async (_, breakIt, errorCode) => {
      let calls = 0;
      await start(
        async (event) => {
          calls++;
          const ok = await realTransform(event);
          return breakIt(event, ok) as FirehoseTransformationResult;
        },
        { numberOfRetries: 2 },
      );
      const before = Date.now();
      const ids = await putCurrencies([1, 2, 3]);
      await firehose!.flush();
      expect(calls).toBe(3);
      expect(store.keys('dim_currency/')).toEqual([]);
      const today = new Date(before).toISOString().slice(0, 10).replaceAll('-', '/');
      const keys = store.keys('errors/dim_currency/processing-failed/');
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(
        new RegExp(
          `^errors/dim_currency/processing-failed/${today}/totesys-currency-1-\\d{4}(-\\d{2}){5}-[0-9a-f-]{36}$`,
        ),
      );
      const documents = errorDocuments(store.objects.get(keys[0]!)!);
      expect(documents).toHaveLength(3);
      for (const [index, document] of documents.entries()) {
        expect(Object.keys(document).sort()).toEqual(
          [
            'attemptEndingTimestamp',
            'arrivalTimestamp',
            'attemptsMade',
            'errorCode',
            'errorMessage',
            'lambdaArn',
            'rawData',
          ].sort(),
        );
        expect(document.attemptsMade).toBe(3);
        expect(document.errorCode).toBe(errorCode);
        expect(document.arrivalTimestamp).toBeGreaterThanOrEqual(before);
        expect(document.attemptEndingTimestamp).toBeGreaterThanOrEqual(document.arrivalTimestamp as number);
        expect(document.lambdaArn).toBe('arn:aws:lambda:eu-west-2:000000000000:function:totesys-transformer');
        expect(JSON.parse(Buffer.from(document.rawData as string, 'base64').toString('utf8'))).toEqual(
          currencyEvent(index + 1, 'EUR', COMMIT),
        );
      }
      const metrics = firehose!.metrics()[0]!;
      expect(metrics.invocationFailures).toBe(3);
      expect(metrics.processingFailedRecords).toBe(3);
      expect(metrics.dataFreshnessSeconds).toBe(0);
      expect(ids).toHaveLength(3);
    },
  );

  it('delivers a batch whose first invocation failed once the retry succeeds', async () => {
    let calls = 0;
    await start(async (event) => {
      calls++;
      if (calls === 1) throw new Error('cold start timeout');
      return realTransform(event);
    });
    await putCurrencies([7]);
    await firehose!.flush();
    expect(calls).toBe(2);
    expect(store.keys('errors/')).toEqual([]);
    const [key] = store.keys('dim_currency/dt=2022-11-03/');
    expect((await readParquet(store.objects.get(key!)!))[0]).toMatchObject({
      currency_id: 7,
      currency_code: 'EUR',
    });
  });

  it('writes ProcessingFailed records under processing-failed without retrying, delivers Ok ones, and lets Dropped vanish', async () => {
    let calls = 0;
    await start(async (event) => {
      calls++;
      const ok = await realTransform(event);
      return {
        records: ok.records.map((record, index) =>
          index === 1 ? { ...record, result: 'Dropped' as const } : record,
        ),
      };
    });
    const bad = Buffer.from('{"table":"currency","op":"c"}\n');
    const output = await firehose!.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: [
        { Data: pack([currencyEvent(1, 'GBP', COMMIT)]) },
        { Data: pack([currencyEvent(2, 'USD', COMMIT)]) },
        { Data: bad },
      ],
    });
    expect(output.FailedPutCount).toBe(0);
    await firehose!.flush();
    expect(calls).toBe(1);
    const [dataKey] = store.keys('dim_currency/');
    expect((await readParquet(store.objects.get(dataKey!)!)).map((row) => row.currency_id)).toEqual([1]);
    const [errorKey, ...more] = store.keys('errors/dim_currency/processing-failed/');
    expect(more).toEqual([]);
    const [document] = errorDocuments(store.objects.get(errorKey!)!);
    expect(document).toMatchObject({ attemptsMade: 1, errorCode: 'Lambda.ProcessingFailedStatus' });
    expect(Buffer.from(document!.rawData as string, 'base64').equals(bad)).toBe(true);
    const metrics = firehose!.metrics()[0]!;
    expect(metrics).toMatchObject({
      droppedRecords: 1,
      processingFailedRecords: 1,
      deliveredRecords: 1,
      deliveredRows: 1,
    });
  });
});
