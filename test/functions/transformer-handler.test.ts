import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseErrorDocuments } from '../../core/error-documents.ts';
import { METRICS, SERVICES } from '../../core/operations.ts';
import type { LogEntry } from '../../core/ports/log.ts';
import { logWriting } from '../../core/ports/log.ts';
import type { MetricPoint } from '../../core/ports/metrics.ts';
import { lambdaLogger, powertoolsLog } from '../../functions/operations/powertools-log.ts';
import { createHandler, handler } from '../../functions/transformer/handler.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import {
  directPutEvent,
  insertEvent,
  kinesisSourceEvent,
  packed,
  SOURCE_ROWS,
  unpacked,
} from '../transform/change-event-fixtures.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('transformer handler', () => {
  it('answers a Direct PUT invocation with one result per recordId and the dt partition key', async () => {
    const event = directPutEvent([packed(insertEvent('sales_order')), packed(insertEvent('staff'))]);
    const response = await handler(event);
    expect(response.records.map((r) => [r.recordId, r.result, r.metadata?.partitionKeys])).toEqual(
      event.records.map((r) => [r.recordId, 'Ok', { dt: '2022-11-03' }]),
    );
    expect(unpacked(response.records[1]?.data)).toEqual([
      expect.objectContaining({ staff_id: 1, first_name: 'Jeremie', department_id: 2, _op: 'c' }),
    ]);
  });

  it('answers a Kinesis-source invocation the same way', async () => {
    const response = await handler(kinesisSourceEvent([packed(insertEvent('payment'))], 7));
    expect(response.records[0]?.result).toBe('Ok');
  });

  it('logs each failed record as one JSON line naming record, table, column and LSN but no value', async () => {
    const lines: string[] = [];
    // Powertools writes ERROR entries to stderr, the others to stdout.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        return true;
      });
    }
    const handler = createHandler(powertoolsLog(lambdaLogger(SERVICES.transformer)));
    const secret = 'Marvin Marvellous Street';
    const row = { ...SOURCE_ROWS.address, address_line_1: secret, address_id: 'fifteen' };
    const event = directPutEvent([packed(insertEvent('address', row)), packed(insertEvent('address'))]);
    const response = await handler(event);
    expect(response.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(logged).toMatchObject({
      level: 'ERROR',
      service: SERVICES.transformer,
      message: 'firehose record ProcessingFailed',
      id: event.records[0]?.recordId,
      table: 'address',
      column: 'location_id',
      lsn: '24969464',
      invocationId: event.invocationId,
    });
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).not.toContain('fifteen');
  });

  describe('with an error location', () => {
    const secret = 'Marvin Marvellous Street';
    const addressEvent = (id: number | string, seq: number, extra: Record<string, string> = {}) =>
      insertEvent('address', { ...SOURCE_ROWS.address, address_id: id, ...extra }, seq);
    const batch = () => {
      const event = directPutEvent([
        packed(
          addressEvent(1, 0),
          addressEvent('fifteen', 1, { address_line_1: secret }),
          addressEvent(3, 2),
        ),
        packed(addressEvent(4, 3)),
      ]);
      return {
        ...event,
        deliveryStreamArn: 'arn:aws:firehose:eu-west-2:123456789012:deliverystream/totesys-address',
      };
    };
    const setUp = () => {
      const store = new MemoryObjectStore();
      const entries: LogEntry[] = [];
      const points: MetricPoint[] = [];
      const handler = createHandler(
        logWriting((entry) => entries.push(entry)),
        {
          errors: { store, now: () => 1_700_000_000_000 },
          metrics: { publish: (p) => void points.push(...p) },
        },
      );
      return { store, entries, points, handler };
    };

    it('writes a bad packed event under errors/<table>/transformer-failed/ and answers Ok for its record', async () => {
      const { store, entries, points, handler } = setUp();
      const event = batch();
      const response = await handler(event, { invokedFunctionArn: 'arn:aws:lambda:eu-west-2:1:function:t' });
      expect(response.records.map((r) => r.result)).toEqual(['Ok', 'Ok']);
      expect(unpacked(response.records[0]?.data).map((row) => row.location_id)).toEqual([1, 3]);
      const keys = store.keys('errors/');
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(
        /^errors\/dim_location\/transformer-failed\/2017\/10\/05\/totesys-address-24969464-1-[0-9a-f]{16}$/,
      );
      const [document] = parseErrorDocuments(store.objects.get(keys[0] ?? '') ?? new Uint8Array());
      expect(document).toMatchObject({ errorCode: 'Transformer.EventRejected', lsn: '0/17D00F8' });
      expect(document?.errorMessage).toMatch(/column location_id/);
      expect(JSON.parse(Buffer.from(document?.rawData ?? []).toString('utf8'))).toMatchObject({
        key: { address_id: 'fifteen' },
      });
      // Identifiers in the log, never a value of the row.
      expect(entries.map((e) => [e.level, e.message, e.object])).toEqual([
        ['ERROR', 'change event set aside; the rest of its record went on', keys[0]],
      ]);
      expect(JSON.stringify(entries)).not.toContain(secret);
      expect(JSON.stringify(entries)).not.toContain('fifteen');
      expect(points).toEqual([
        {
          name: METRICS.transformer.eventsRejected,
          unit: 'Count',
          value: 1,
        },
      ]);
    });

    it('writes the same object again when Firehose retries the batch', async () => {
      const { store, handler } = setUp();
      await handler(batch());
      const first = store.keys('errors/');
      await handler(batch());
      expect(store.keys('errors/')).toEqual(first);
    });

    it('fails the invocation, answering nothing, when the error location refuses the write', async () => {
      const { store, handler } = setUp();
      store.failPuts = true;
      await expect(handler(batch())).rejects.toThrow(/injected put failure/);
    });
  });
});
