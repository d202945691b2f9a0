import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecutionState,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaQueryEngine, AthenaQueryError, athenaLiteral } from '../../lake/athena-query-engine.ts';

const athena = mockClient(AthenaClient);
const ID = 'b0f1c2d3-0000-4000-8000-000000000001';

function status(State: QueryExecutionState, extra: Record<string, unknown> = {}) {
  return {
    QueryExecution: { QueryExecutionId: ID, StatementType: 'DML' as const, Status: { State, ...extra } },
  };
}

function cells(...values: (string | undefined)[]) {
  return { Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) };
}

const METADATA = {
  ColumnInfo: [
    { Name: 'sales_order_id', Type: 'integer' },
    { Name: 'unit_price', Type: 'decimal' },
  ],
};

/** An engine whose waits are recorded instead of slept, on a clock that moves only when it "sleeps". */
function engine(options: { timeoutMs?: number } = {}) {
  const delays: number[] = [];
  let clock = 0;
  const e = new AthenaQueryEngine({
    client: new AthenaClient({ region: 'eu-west-2' }),
    workGroup: 'totesys',
    initialPollDelayMs: 100,
    maxPollDelayMs: 800,
    sleep: async (ms) => {
      delays.push(ms);
      clock += ms;
    },
    now: () => clock,
    ...options,
  });
  return { engine: e, delays };
}

beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
});

describe('AthenaQueryEngine', () => {
  it('declares no file floor: partition pruning and Parquet statistics bound its reads', () => {
    expect(new AthenaQueryEngine({ client: new AthenaClient({}), workGroup: 'wg' }).capabilities).toEqual({});
  });

  it('binds parameters as SQL literals in the workgroup and the lake database', async () => {
    athena.on(GetQueryExecutionCommand).resolves(status('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: METADATA, Rows: [] } });
    const { engine: e } = engine();

    await e.query('SELECT * FROM fact_sales_order WHERE _op = ? AND _lsn > ? AND x = ? AND y IS ?', [
      "it's",
      42,
      true,
      null,
    ]);

    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start.ExecutionParameters).toEqual(["'it''s'", '42', 'true', 'NULL']);
    expect(start.WorkGroup).toBe('totesys');
    expect(start.QueryExecutionContext).toEqual({ Database: 'totesys_lake' });
  });

  it('omits ExecutionParameters when the statement has none, because Athena rejects an empty list', async () => {
    athena.on(GetQueryExecutionCommand).resolves(status('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: METADATA, Rows: [] } });
    const { engine: e } = engine();
    await e.query('SELECT 1');
    expect(
      athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.ExecutionParameters,
    ).toBeUndefined();
  });

  it('polls through QUEUED and RUNNING, back to QUEUED, with doubling delays capped at the maximum', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(status('QUEUED'))
      .resolvesOnce(status('RUNNING'))
      .resolvesOnce(status('QUEUED'))
      .resolvesOnce(status('RUNNING'))
      .resolvesOnce(status('RUNNING'))
      .resolves(status('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: METADATA,
        Rows: [cells('sales_order_id', 'unit_price'), cells('1', '3.50')],
      },
    });
    const { engine: e, delays } = engine();

    const result = await e.query('SELECT sales_order_id, unit_price FROM fact_sales_order');

    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(6);
    expect(delays).toEqual([100, 200, 400, 800, 800]);
    expect(result).toEqual({
      columns: ['sales_order_id', 'unit_price'],
      rows: [['1', '3.50']],
      kinds: ['integer', 'decimal'],
    });
  });

  it("reports a FAILED query with Athena's own error message and type", async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(status('RUNNING'))
      .resolves(
        status('FAILED', {
          StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8: Column nope cannot be resolved',
          AthenaError: {
            ErrorCategory: 2,
            ErrorType: 1006,
            ErrorMessage: 'COLUMN_NOT_FOUND: Column nope cannot be resolved',
          },
        }),
      );
    const { engine: e } = engine();

    const error = await e.query('SELECT nope FROM dim_staff').catch((err: unknown) => err);

    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).message).toMatch(/ended FAILED \(error type 1006\): COLUMN_NOT_FOUND/);
    expect((error as AthenaQueryError).queryExecutionId).toBe(ID);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('reports a CANCELLED query with its StateChangeReason when there is no AthenaError', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolves(status('CANCELLED', { StateChangeReason: 'Query cancelled by user' }));
    const { engine: e } = engine();
    await expect(e.query('SELECT 1')).rejects.toThrow(/ended CANCELLED: Query cancelled by user/);
  });

  it('gives up with a clear message when the query outlives its timeout', async () => {
    athena.on(GetQueryExecutionCommand).resolves(status('QUEUED'));
    const { engine: e } = engine({ timeoutMs: 1000 });
    await expect(e.query('SELECT 1')).rejects.toThrow(/still QUEUED after 1000 ms/);
  });

  it('stops the query it gives up on, so that it neither runs on nor scans (and bills) more', async () => {
    athena.on(GetQueryExecutionCommand).resolves(status('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    const { engine: e } = engine({ timeoutMs: 1000 });

    await expect(e.query('SELECT 1')).rejects.toThrow(/still RUNNING after 1000 ms/);

    expect(athena.commandCalls(StopQueryExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { QueryExecutionId: ID },
    ]);
  });

  it('still reports the timeout when the query cannot be stopped, and says to stop it by hand', async () => {
    athena.on(GetQueryExecutionCommand).resolves(status('QUEUED'));
    const denied = Object.assign(new Error('not authorized to perform athena:StopQueryExecution'), {
      name: 'AccessDeniedException',
    });
    athena.on(StopQueryExecutionCommand).rejects(denied);
    const { engine: e } = engine({ timeoutMs: 1000 });

    const error = await e.query('SELECT 1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).message).toMatch(/still QUEUED after 1000 ms/);
    expect((error as AthenaQueryError).message).toMatch(
      new RegExp(`could not be stopped \\(AccessDeniedException\\); stop query ${ID} in the Athena console`),
    );
    expect((error as AthenaQueryError).cause).toBe(denied);
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });

  it('pages by NextToken, skipping only the header row of the first page, NULL as null', async () => {
    const header = cells('sales_order_id', 'unit_price');
    const page1 = [header, ...Array.from({ length: 999 }, (_, i) => cells(String(i + 1), '1.00'))];
    const page2 = [cells('sales_order_id', 'unit_price'), cells('1001', undefined)];
    athena.on(GetQueryExecutionCommand).resolves(status('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({ ResultSet: { ResultSetMetadata: METADATA, Rows: page1 }, NextToken: 'p2' })
      .resolvesOnce({ ResultSet: { ResultSetMetadata: METADATA, Rows: page2 } });
    const { engine: e } = engine();

    const result = await e.query('SELECT sales_order_id, unit_price FROM fact_sales_order');

    const calls = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueryExecutionId: ID, MaxResults: 1000, NextToken: undefined },
      { QueryExecutionId: ID, MaxResults: 1000, NextToken: 'p2' },
    ]);
    expect(result.rows).toHaveLength(1001);
    expect(result.rows[0]).toEqual(['1', '1.00']);
    // A data row that happens to equal the column names on a later page is data, not a header.
    expect(result.rows[999]).toEqual(['sales_order_id', 'unit_price']);
    expect(result.rows[1000]).toEqual(['1001', null]);
  });

  it('hands out batches of at most batchRows, fetching the next page only when the batches before are taken', async () => {
    const header = cells('sales_order_id', 'unit_price');
    const page1 = [header, ...Array.from({ length: 999 }, (_, i) => cells(String(i + 1), '1.00'))];
    const page2 = Array.from({ length: 1000 }, (_, i) => cells(String(i + 1000), '2.00'));
    athena.on(GetQueryExecutionCommand).resolves(status('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({ ResultSet: { ResultSetMetadata: METADATA, Rows: page1 }, NextToken: 'p2' })
      .resolvesOnce({ ResultSet: { ResultSetMetadata: METADATA, Rows: page2 } });
    const { engine: e } = engine();

    const sizes: number[] = [];
    const pagesRead: number[] = [];
    for await (const batch of e.queryBatches(
      'SELECT sales_order_id, unit_price FROM fact_sales_order',
      [],
      600,
    )) {
      sizes.push(batch.rows.length);
      pagesRead.push(athena.commandCalls(GetQueryResultsCommand).length);
      expect(batch.columns).toEqual(['sales_order_id', 'unit_price']);
    }

    expect(sizes).toEqual([600, 600, 600, 199]);
    // The first batch was handed out before the second page was asked for.
    expect(pagesRead).toEqual([1, 2, 2, 2]);
  });

  it('keeps the first row of a DDL or SHOW result, which has no header', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { QueryExecutionId: ID, StatementType: 'UTILITY', Status: { State: 'SUCCEEDED' } },
    });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'string' }] },
        Rows: [cells('tab_name')],
      },
    });
    const { engine: e } = engine();
    expect((await e.query('SHOW TABLES')).rows).toEqual([['tab_name']]);
  });

  it('retries a throttled StartQueryExecution with backoff, then runs the query once', async () => {
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    athena.on(StartQueryExecutionCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({
      QueryExecutionId: ID,
    });
    athena.on(GetQueryExecutionCommand).resolves(status('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: METADATA, Rows: [] } });
    const { engine: e, delays } = engine();

    await e.query('SELECT 1');

    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it('stops retrying a throttled call after the configured tries and keeps the cause', async () => {
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    athena.on(StartQueryExecutionCommand).rejects(throttled);
    const e = new AthenaQueryEngine({
      client: new AthenaClient({ region: 'eu-west-2' }),
      workGroup: 'totesys',
      throttleRetries: 2,
      sleep: async () => {},
    });

    const error = (await e.query('SELECT 1').catch((err: unknown) => err)) as AthenaQueryError;

    expect(error.message).toMatch(/kept throttling StartQueryExecution in workgroup totesys after 3 tries/);
    expect(error.cause).toBe(throttled);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(3);
  });

  it('does not retry errors that are not throttling', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(Object.assign(new Error('bad SQL'), { name: 'InvalidRequestException' }));
    const { engine: e } = engine();
    await expect(e.query('SELEC 1')).rejects.toThrow('bad SQL');
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(1);
  });
});

describe('athenaLiteral', () => {
  it('quotes strings and doubles embedded quotes so a value can never end the literal', () => {
    expect(athenaLiteral("x'; DROP TABLE t; --")).toBe("'x''; DROP TABLE t; --'");
  });

  it('refuses numbers Athena cannot represent', () => {
    expect(() => athenaLiteral(Number.NaN)).toThrow(/non-finite/);
  });
});
