import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERVICES } from '../../core/operations.ts';
import { lambdaLogger, powertoolsLog } from '../../functions/operations/powertools-log.ts';
import { createHandler, handler } from '../../functions/transformer/handler.ts';
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
});
