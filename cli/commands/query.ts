/**
 * @module
 * `query`: SQL over the lake tables: DuckDB over `<data-dir>/lake` locally, Athena when a workgroup is given.
 * Prints a table, CSV or JSON. The work is in `cli/actions/query.ts`, loaded when the command runs.
 */
import { type Command, Option } from 'commander';

/** How `query` prints its result. */
export type QueryFormat = 'table' | 'csv' | 'json';

/** Options of `query`. */
export interface QueryOptions {
  readonly file?: string;
  readonly format?: QueryFormat;
  readonly athenaWorkgroup?: string;
}

/** Registers `query`. */
export function register(program: Command): void {
  program
    .command('query')
    .description('Run SQL on the lake tables (DuckDB locally, Athena with --athena-workgroup).')
    .argument('[sql]', 'the statement')
    .option('--file <path>', 'read the statement from a file (e.g. queries/adhoc/top-counterparties.sql)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']))
    .addOption(
      new Option('--athena-workgroup <name>', 'run on Athena in this workgroup').env(
        'TOTESYS_ATHENA_WORKGROUP',
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream query "SELECT count(*) FROM fact_sales_order"\n' +
        '  $ totesys-stream query --file queries/adhoc/sales-by-month-and-currency.sql --format csv\n',
    )
    .action(async (sql: string | undefined, options: QueryOptions, command: Command) => {
      const { runQueryCommand } = await import('../actions/query.ts');
      await runQueryCommand(sql, options, command);
    });
}
