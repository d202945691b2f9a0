/**
 * @module
 * The simulator's statements are named prepared statements: the source parses and plans each once per
 * connection, then only binds and executes it. For the one-row changes planning cost the source's backends
 * two to four times the execution (bench/README.md, "The simulator's cost").
 */
import type pg from 'pg';
import type { QueryConfig } from 'pg';

/** A named statement: prepared on a connection's first use, then only bound and executed. */
export interface SimulatorStatement {
  readonly name: string;
  readonly text: string;
}

/** The statement `text` under the name `simulator-<name>` (unique per text: pg refuses a reused name). */
export function simulatorStatement(name: string, text: string): SimulatorStatement {
  return { name: `simulator-${name}`, text };
}

/** Runs a prepared simulator statement with its parameters. */
export function runStatement<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: pg.ClientBase,
  statement: SimulatorStatement,
  values: QueryConfig['values'] = [],
): Promise<pg.QueryResult<R>> {
  return client.query<R>({ name: statement.name, text: statement.text, values });
}
