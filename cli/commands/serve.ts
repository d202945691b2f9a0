/**
 * @module
 * `serve`: the dashboard, the payments API, `/api/status` and `/metrics` alone, against any warehouse
 * (`--warehouse-url`, say the one on RDS, best with a read-only role), or the embedded one of `up`'s data dir.
 * It only reads. Ctrl-C stops it. The work is in `cli/actions/serve.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';
import { addHttpOptions, type HttpOptions } from '../http-options.ts';

/** Registers `serve`. */
export function register(program: Command): void {
  addHttpOptions(
    program
      .command('serve')
      .description(
        'Serve the dashboard, the payments API, /api/status and /metrics over the warehouse (read only) until Ctrl-C.',
      ),
  )
    .addHelpText(
      'after',
      '\nWith --warehouse-url alone it needs nothing else (add --source-url for /api/status); with neither it\n' +
        'serves the embedded warehouse of --data-dir (the one `up` runs).\n\nExamples:\n' +
        '  $ totesys-stream serve --http-port 8080\n' +
        '  $ totesys-stream serve --warehouse-url postgres://dashboard@wh.example.com/warehouse?sslmode=require\n',
    )
    .action(async (options: HttpOptions, command: Command) => {
      const { runServeCommand } = await import('../actions/serve.ts');
      await runServeCommand(options, command);
    });
}
