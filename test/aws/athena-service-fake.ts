/**
 * @module
 * Athena as its API reference documents it, behind aws-sdk-client-mock, so the QueryEngine contract runs
 * against the Athena adapter offline. The SQL itself is evaluated by an engine over the same lake files (the
 * lake's own DuckDB engine stands in for Trino); everything around it is Athena's:
 * - `StartQueryExecution` pastes `ExecutionParameters` into the `?` placeholders as the literals they are
 *   (outside quoted text), refuses an empty list (the API's minimum is one item) and a count that does not
 *   match, and starts the query at once: it reads the files present then.
 * - `GetQueryExecution` reports QUEUED, then RUNNING until the query ends, then SUCCEEDED, or FAILED with an
 *   `AthenaError` carrying the engine's reason.
 * - `GetQueryResults` refuses a query that has not SUCCEEDED, pages at most `MaxResults` (at most 1000) rows
 *   with an opaque `NextToken`, puts a header row of column names first on the first page of a SELECT, types
 *   each column in `ColumnInfo` (Trino type names), and gives SQL NULL as a cell without `VarCharValue`.
 */
import { randomUUID } from 'node:crypto';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  type Row,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { QueryEngine, QueryResult, ValueKind } from '../../core/ports/query-engine.ts';

/** Trino's type name for each kind the evaluator reports (text covers varchar, date and timestamp). */
const TRINO_TYPES: Readonly<Record<ValueKind, string>> = {
  integer: 'bigint',
  decimal: 'decimal',
  float: 'double',
  boolean: 'boolean',
  text: 'varchar',
};

interface Execution {
  polls: number;
  outcome: { result: QueryResult } | { error: Error } | undefined;
}

function invalid(message: string): InvalidRequestException {
  return new InvalidRequestException({ message, $metadata: { httpStatusCode: 400 } });
}

/** Replaces each `?` outside quoted text with the next literal, as Athena does with `ExecutionParameters`. */
export function pasteParameters(sql: string, literals: readonly string[]): string {
  let out = '';
  let next = 0;
  let quote: string | undefined;
  for (const char of sql) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      if (next >= literals.length) throw invalid('The query has more placeholders than ExecutionParameters.');
      out += literals[next++];
    } else out += char;
  }
  if (next !== literals.length) throw invalid('The query has fewer placeholders than ExecutionParameters.');
  return out;
}

/** Makes `stub` (a `mockClient(AthenaClient)`) answer as Athena would, evaluating SQL with `evaluator`. */
export function answerAsAthena(stub: AwsClientStub<AthenaClient>, evaluator: QueryEngine): void {
  const executions = new Map<string, Execution>();
  stub.reset();
  stub.on(StartQueryExecutionCommand).callsFake(async (input) => {
    if (!input.QueryString || !input.WorkGroup) throw invalid('QueryString and WorkGroup are required.');
    const literals: string[] | undefined = input.ExecutionParameters;
    if (literals !== undefined && literals.length === 0)
      throw invalid(
        "1 validation error detected: Value '[]' at 'executionParameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    const sql = pasteParameters(input.QueryString, literals ?? []);
    const id = randomUUID();
    const execution: Execution = { polls: 0, outcome: undefined };
    executions.set(id, execution);
    evaluator.query(sql).then(
      (result) => {
        execution.outcome = { result };
      },
      (error: Error) => {
        execution.outcome = { error };
      },
    );
    return { QueryExecutionId: id };
  });
  stub.on(GetQueryExecutionCommand).callsFake(async (input) => {
    const execution = executions.get(input.QueryExecutionId);
    if (!execution) throw invalid(`QueryExecution ${input.QueryExecutionId} was not found`);
    execution.polls++;
    const base = { QueryExecutionId: input.QueryExecutionId, StatementType: 'DML' };
    if (execution.polls === 1 || execution.outcome === undefined)
      return { QueryExecution: { ...base, Status: { State: execution.polls === 1 ? 'QUEUED' : 'RUNNING' } } };
    if ('error' in execution.outcome) {
      const message = execution.outcome.error.message;
      return {
        QueryExecution: {
          ...base,
          Status: {
            State: 'FAILED',
            StateChangeReason: message,
            AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: message },
          },
        },
      };
    }
    return { QueryExecution: { ...base, Status: { State: 'SUCCEEDED' } } };
  });
  stub.on(GetQueryResultsCommand).callsFake(async (input) => {
    const execution = executions.get(input.QueryExecutionId);
    const outcome = execution?.outcome;
    if (!execution || execution.polls < 2 || outcome === undefined || 'error' in outcome)
      throw invalid(`Query has not yet finished. Current state: ${outcome ? 'FAILED' : 'RUNNING'}`);
    const maxResults = input.MaxResults ?? 1000;
    if (maxResults < 1 || maxResults > 1000) throw invalid('MaxResults must be between 1 and 1000.');
    const { columns, rows, kinds } = outcome.result;
    const cells = (values: readonly (string | null)[]): Row => ({
      Data: values.map((value) => (value === null ? {} : { VarCharValue: value })),
    });
    // The header row is part of the result set, so it takes one of the first page's rows.
    const all = [cells(columns), ...rows.map(cells)];
    const start =
      input.NextToken === undefined
        ? 0
        : Number.parseInt(Buffer.from(input.NextToken, 'base64').toString(), 10);
    const end = Math.min(all.length, start + maxResults);
    return {
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: columns.map((name, i) => ({
            Name: name,
            Label: name,
            Type: TRINO_TYPES[kinds?.[i] ?? 'text'],
          })),
        },
        Rows: all.slice(start, end),
      },
      NextToken: end < all.length ? Buffer.from(String(end)).toString('base64') : undefined,
    };
  });
}
