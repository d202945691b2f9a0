/**
 * @module
 * QueryEngine on Amazon Athena (engine 3): start the query in the pipeline's workgroup, poll it with backoff
 * until it ends (stopping it when it outlives the timeout), then page through its results as text.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type Row,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { linesOfBatches } from '../core/csv-record.ts';
import type {
  LineResult,
  QueryEngine,
  QueryEngineCapabilities,
  QueryParameter,
  QueryResult,
  ValueKind,
} from '../core/ports/query-engine.ts';
import { GLUE_DATABASE } from '../core/schema/lake-tables.ts';

/** How an {@link AthenaQueryEngine} reaches Athena and how patiently it waits. */
export interface AthenaQueryEngineOptions {
  readonly client: AthenaClient;
  /** The workgroup; it enforces the result location and the bytes-scanned cutoff. */
  readonly workGroup: string;
  /**
   * The Glue database unqualified table names resolve in.
   * @default GLUE_DATABASE (`totesys_lake`)
   */
  readonly database?: string;
  /**
   * First delay between two status polls; it doubles up to `maxPollDelayMs`.
   * @default 250
   */
  readonly initialPollDelayMs?: number;
  /** @default 5000 */
  readonly maxPollDelayMs?: number;
  /**
   * How long one query may take, queueing included, before it is stopped (StopQueryExecution) and reported as
   * timed out.
   * @default 30 minutes (Athena's own default DML timeout)
   */
  readonly timeoutMs?: number;
  /**
   * How many times a throttled call (`TooManyRequestsException`, `ThrottlingException`) is tried again.
   * @default 8
   */
  readonly throttleRetries?: number;
  /** Waits between polls; injected by tests so they never sleep. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock used for the timeout. @default Date.now */
  readonly now?: () => number;
}

/** A query Athena ran and reported as FAILED or CANCELLED, or one that did not end in time. */
export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
  constructor(
    message: string,
    readonly queryExecutionId: string | undefined,
    readonly state: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Rows per `GetQueryResults` page: Athena's maximum. */
const PAGE_SIZE = 1000;

const THROTTLING_ERRORS = new Set(['TooManyRequestsException', 'ThrottlingException']);

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Turns a parameter into the SQL literal Athena substitutes for `?`. Athena pastes `ExecutionParameters` into
 * the statement as literals, so a string must arrive already quoted (`'abc'`, quotes doubled inside).
 */
export function athenaLiteral(value: QueryParameter): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`Athena cannot bind the non-finite number ${value}.`);
    return String(value);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * A {@link QueryEngine} over Athena.
 *
 * Values come back exactly as Athena renders them (decimals as their text, timestamps as
 * `YYYY-MM-DD HH:MM:SS.mmm`); SQL NULL is a cell without `VarCharValue` and becomes `null`.
 */
export class AthenaQueryEngine implements QueryEngine {
  /** None: partition pruning on `dt` and Parquet statistics bound what Athena reads. */
  readonly capabilities: QueryEngineCapabilities = {};
  readonly #client: AthenaClient;
  readonly #workGroup: string;
  readonly #database: string;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #timeoutMs: number;
  readonly #throttleRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;

  constructor(options: AthenaQueryEngineOptions) {
    this.#client = options.client;
    this.#workGroup = options.workGroup;
    this.#database = options.database ?? GLUE_DATABASE;
    this.#initialDelay = options.initialPollDelayMs ?? 250;
    this.#maxDelay = options.maxPollDelayMs ?? 5000;
    this.#timeoutMs = options.timeoutMs ?? 30 * 60 * 1000;
    this.#throttleRetries = options.throttleRetries ?? 8;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#now = options.now ?? Date.now;
  }

  async query(sql: string, parameters: readonly QueryParameter[] = []): Promise<QueryResult> {
    const rows: (string | null)[][] = [];
    let last: QueryResult | undefined;
    for await (const page of this.queryBatches(sql, parameters, Number.POSITIVE_INFINITY)) {
      for (const row of page.rows) rows.push([...row]);
      last = page;
    }
    return { columns: last?.columns ?? [], rows, kinds: last?.kinds ?? [] };
  }

  /** Result pages (GetQueryResults, 1,000 rows each) gathered into batches of `batchRows`, fetched as read. */
  async *queryBatches(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncGenerator<QueryResult> {
    const started = await this.#withThrottleRetry('StartQueryExecution', () =>
      this.#client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: this.#workGroup,
          QueryExecutionContext: { Database: this.#database },
          // Athena rejects an empty list: omit it when the statement has no placeholders.
          ExecutionParameters: parameters.length > 0 ? parameters.map(athenaLiteral) : undefined,
        }),
      ),
    );
    const id = started.QueryExecutionId;
    if (!id)
      throw new AthenaQueryError('Athena started a query but returned no QueryExecutionId.', id, undefined);
    const execution = await this.#waitForEnd(id);
    yield* this.#readResults(id, execution.QueryExecution?.StatementType, batchRows);
  }

  /**
   * The result pages' rows rendered as records here: GetQueryResults hands out values, not the CSV object Athena
   * also writes (whose quoting rules are its own), so the records come from the same typed values as the rows.
   */
  queryLines(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncIterable<LineResult> {
    return linesOfBatches(this.queryBatches(sql, parameters, batchRows));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  /** Polls until SUCCEEDED; QUEUED and RUNNING keep polling (RUNNING may fall back to QUEUED on retries). */
  async #waitForEnd(id: string): Promise<GetQueryExecutionCommandOutput> {
    const deadline = this.#now() + this.#timeoutMs;
    let delay = this.#initialDelay;
    for (;;) {
      const output = await this.#withThrottleRetry('GetQueryExecution', () =>
        this.#client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const status = output.QueryExecution?.Status;
      const state = status?.State;
      if (state === 'SUCCEEDED') return output;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const error = status?.AthenaError;
        const reason = error?.ErrorMessage ?? status?.StateChangeReason ?? 'no reason given';
        const kind = error?.ErrorType !== undefined ? ` (error type ${error.ErrorType})` : '';
        throw new AthenaQueryError(
          `Athena query ${id} in workgroup ${this.#workGroup} ended ${state}${kind}: ${reason}`,
          id,
          state,
        );
      }
      if (this.#now() >= deadline) {
        const timedOut = `Athena query ${id} was still ${state ?? 'in an unknown state'} after ${this.#timeoutMs} ms`;
        const advice =
          'check it in the Athena console (it may be queued behind the account quota) or raise timeoutMs.';
        // Given up on, it would go on running (and scanning, which Athena bills) up to the workgroup's limit.
        const stopFailure = await this.#stop(id);
        if (stopFailure === undefined)
          throw new AthenaQueryError(`${timedOut}; it was stopped; ${advice}`, id, state);
        const name = stopFailure instanceof Error ? stopFailure.name : 'unknown error';
        throw new AthenaQueryError(
          `${timedOut} and could not be stopped (${name}); stop query ${id} in the Athena console, then ${advice}`,
          id,
          state,
          { cause: stopFailure },
        );
      }
      await this.#sleep(delay);
      delay = Math.min(delay * 2, this.#maxDelay);
    }
  }

  /** Asks Athena to stop query `id`; what went wrong if it could not (undefined once it was asked). */
  async #stop(id: string): Promise<unknown> {
    try {
      await this.#withThrottleRetry('StopQueryExecution', () =>
        this.#client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })),
      );
      return undefined;
    } catch (error) {
      return error;
    }
  }

  async *#readResults(
    id: string,
    statementType: string | undefined,
    batchRows: number,
  ): AsyncGenerator<QueryResult> {
    let columns: string[] = [];
    let kinds: ValueKind[] = [];
    let rows: (string | null)[][] = [];
    let yielded = false;
    let nextToken: string | undefined;
    let first = true;
    do {
      const page = await this.#withThrottleRetry('GetQueryResults', () =>
        this.#client.send(
          new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: PAGE_SIZE, NextToken: nextToken }),
        ),
      );
      let pageRows: Row[] = page.ResultSet?.Rows ?? [];
      if (first) {
        const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        columns = info.map((c) => c.Name ?? c.Label ?? '');
        kinds = info.map((c) => athenaKind(c.Type));
        // A SELECT's first page starts with a row of column names; DDL and SHOW results do not.
        if (statementType !== 'DDL' && statementType !== 'UTILITY' && isHeader(pageRows[0], columns)) {
          pageRows = pageRows.slice(1);
        }
        first = false;
      }
      for (const row of pageRows) rows.push((row.Data ?? []).map((cell) => cell.VarCharValue ?? null));
      nextToken = page.NextToken;
      while (rows.length >= batchRows) {
        const full = rows.length === batchRows ? rows : rows.splice(0, batchRows);
        if (full === rows) rows = [];
        yielded = true;
        yield { columns, rows: full, kinds };
      }
    } while (nextToken);
    if (rows.length > 0 || !yielded) yield { columns, rows, kinds };
  }

  /** Runs `call`, trying again with backoff while Athena says it is throttling us. */
  async #withThrottleRetry<T>(operation: string, call: () => Promise<T>): Promise<T> {
    let delay = this.#initialDelay;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (!THROTTLING_ERRORS.has(name)) throw error;
        if (attempt >= this.#throttleRetries) {
          throw new AthenaQueryError(
            `Athena kept throttling ${operation} in workgroup ${this.#workGroup} after ${attempt + 1} tries; ` +
              'too many queries are running or queued in this account and region. Try again later or ask for a quota increase.',
            undefined,
            undefined,
            { cause: error },
          );
        }
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#maxDelay);
      }
    }
  }
}

/** The kind of an Athena (Trino) column type name such as `bigint` or `decimal`. */
function athenaKind(type: string | undefined): ValueKind {
  switch (type?.toLowerCase()) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'bigint':
      return 'integer';
    case 'decimal':
      return 'decimal';
    case 'real':
    case 'float':
    case 'double':
      return 'float';
    case 'boolean':
      return 'boolean';
    default:
      return 'text';
  }
}

function isHeader(row: Row | undefined, columns: readonly string[]): boolean {
  if (!row?.Data || row.Data.length !== columns.length) return false;
  return row.Data.every((cell, i) => cell.VarCharValue === columns[i]);
}
